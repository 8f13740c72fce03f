"""The instansi Pantau PBJ follows (`include/config/pantau.yaml`), and adding one without code.

Why a module: a `kd_klpd` missing from `pantau.yaml` used to give a green run with every task
skipped, and onboarding a Pemda meant reading code to learn which files to write (issue 14 point
12). `configured()` fails loudly on an unknown code; `add()` writes the instansi and its Pemda
file (from `pemda/default.yaml`, every placeholder listed under `belum_final`, so a numbered
circular is refused until Bagian Umum fills them). CLI: `pantau instansi add|list`.

The configuration directory is read from `pantau.config.CONFIG_DIR` at call time (it follows
`PANTAU_HOME`), never captured at import, so a test or a second checkout can point it elsewhere.
"""
from __future__ import annotations

import copy
import itertools
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from pantau import config, ids

PANTAU_YAML = "pantau.yaml"
# One definition for every entry point (pantau.ids): letters and digits only, so a code can never
# name a path outside include/config/pemda/.
KD_KLPD_PATTERN = ids.KD_KLPD_PATTERN
JENIS_KLPD = ("PROVINSI", "KABUPATEN", "KOTA")  # the Pemda kinds a Sekda circular exists for
_JENIS_PREFIX = {"PROVINSI": "Provinsi ", "KABUPATEN": "Kabupaten ", "KOTA": "Kota "}


class UnknownInstansi(ValueError):
    """A requested kd_klpd is not in pantau.yaml: the run must fail, not skip every task."""

    def __init__(self, missing: list[str], path: Path) -> None:
        self.missing = list(missing)
        self.path = path
        super().__init__(
            f"kd_klpd {', '.join(missing)} tidak terdaftar di {path}; tambahkan dengan "
            f"`pantau instansi add --kd-klpd {missing[0]} --nama … --jenis …` / "
            f"kd_klpd {', '.join(missing)} not configured in {path}")


class InstansiError(ValueError):
    """An instansi cannot be added: invalid code, duplicate, or an unreadable pantau.yaml."""


def pantau_yaml_path() -> Path:
    return Path(config.CONFIG_DIR) / PANTAU_YAML


def pemda_dir() -> Path:
    return Path(config.CONFIG_DIR) / "pemda"


def _read_instansi() -> list[dict[str, Any]]:
    """The `instansi:` list of pantau.yaml, read fresh (it may have been `add`ed to since), with
    its shape checked so a broken file names itself."""
    path = pantau_yaml_path()
    if not path.exists():
        return []
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rows = doc.get("instansi") if isinstance(doc, dict) else None
    if rows is None:
        return []
    if not isinstance(rows, list) or not all(isinstance(r, dict) and r.get("kd_klpd") for r in rows):
        raise InstansiError(f"{path}: `instansi` harus berupa daftar entri dengan kd_klpd / "
                            f"`instansi` must be a list of entries with kd_klpd")
    return rows


def configured(kd_klpd: list[str] | None = None) -> list[dict[str, Any]]:
    """Configured instansi, optionally narrowed to `kd_klpd` (in pantau.yaml order).

    Raises `UnknownInstansi` naming every requested code that is not configured, and the file.
    """
    rows = _read_instansi()
    if not kd_klpd:
        return rows
    wanted = [str(k).strip() for k in kd_klpd]
    known = {str(r["kd_klpd"]) for r in rows}
    missing = [k for k in dict.fromkeys(wanted) if k not in known]
    if missing:
        raise UnknownInstansi(missing, pantau_yaml_path())
    return [r for r in rows if str(r["kd_klpd"]) in wanted]


def validate_kd_klpd(kd_klpd: str) -> str:
    """The code upper-cased, or `InstansiError` (also what keeps `../x` out of file names)."""
    code = str(kd_klpd).strip().upper()
    if not KD_KLPD_PATTERN.fullmatch(code):
        raise InstansiError(f"kd_klpd {kd_klpd!r} tidak valid: harus seperti D107 (huruf lalu 1-5 angka) / "
                            f"invalid kd_klpd {kd_klpd!r}: expected a code like D107")
    return code


def _validate(kd_klpd: str, nama_klpd: str, jenis_klpd: str, kd_lpse: int | None) -> dict[str, Any]:
    code = validate_kd_klpd(kd_klpd)
    nama = " ".join(str(nama_klpd).split())
    if not nama:
        raise InstansiError("nama_klpd kosong / nama_klpd is empty")
    jenis = str(jenis_klpd).strip().upper()
    if jenis not in JENIS_KLPD:
        raise InstansiError(f"jenis_klpd {jenis_klpd!r} tidak dikenal: pilih {', '.join(JENIS_KLPD)} / "
                            f"unknown jenis_klpd")
    entry: dict[str, Any] = {"kd_klpd": code, "nama_klpd": nama, "jenis_klpd": jenis}
    if kd_lpse is not None:
        if isinstance(kd_lpse, bool) or not str(kd_lpse).strip().isdigit() or not 0 < int(kd_lpse) < 100_000:
            raise InstansiError(f"kd_lpse {kd_lpse!r} tidak valid: harus bilangan bulat positif / invalid kd_lpse")
        entry["kd_lpse"] = int(kd_lpse)
    return entry


def _atomic_write(path: Path, text: str) -> None:
    """Write via a temp file + rename, so a crash never leaves half a YAML file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _pantau_yaml_text(entry: dict[str, Any]) -> str:
    """pantau.yaml with `entry` appended to `instansi:`, comments kept.

    The block is appended textually (ruamel is not a dependency) and the result re-parsed; when
    the file's layout does not allow that (instansi not the last key, other indentation), the
    file is rewritten from its data, keeping the leading comment block.
    """
    path = pantau_yaml_path()
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    doc = yaml.safe_load(text) or {}
    expected = {**doc, "instansi": [*(doc.get("instansi") or []), entry]}
    block = yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, default_flow_style=False)
    indented = "".join(f"  {line}" if line.strip() else line for line in block.splitlines(keepends=True))
    base = text if text.endswith("\n") or not text else text + "\n"
    if doc.get("instansi"):
        candidate: str | None = base + indented  # the usual case: instansi is the last key
    elif "instansi" not in doc:
        candidate = base + "instansi:\n" + indented
    else:  # `instansi: []`: nothing to append to
        candidate = None
    try:
        if candidate is not None and yaml.safe_load(candidate) == expected:
            return candidate
    except yaml.YAMLError:
        pass
    header = "".join(itertools.takewhile(lambda line: line.startswith("#"), text.splitlines(keepends=True)))
    return header + yaml.safe_dump(expected, allow_unicode=True, sort_keys=False, default_flow_style=False)


def _lookup(cfg: dict[str, Any], dotted: str) -> Any:
    node: Any = cfg
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _put(cfg: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = cfg
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = copy.deepcopy(value)


def pemda_text(entry: dict[str, Any]) -> str:
    """The new `pemda/<kd_klpd>.yaml`: name and kind filled in, every placeholder copied from
    default.yaml and listed under `belum_final` (so only a DRAF renders until they are filled)."""
    default = yaml.safe_load((pemda_dir() / "default.yaml").read_text(encoding="utf-8")) or {}
    jenis = entry["jenis_klpd"]
    prefix = _JENIS_PREFIX[jenis]
    nama = entry["nama_klpd"][len(prefix):] if entry["nama_klpd"].startswith(prefix) else entry["nama_klpd"]
    filled = {"pemda.jenis": jenis.lower(), "pemda.nama": nama}
    pending = [str(k) for k in default.get("belum_final") or [] if str(k) not in filled]
    if "surel.penerima" not in pending:
        pending.append("surel.penerima")  # nobody receives the PDF until a real address is set
    out: dict[str, Any] = {}
    for key, value in filled.items():
        _put(out, key, value)
    for key in pending:
        _put(out, key, _lookup(default, key) if _lookup(default, key) is not None else [])
    out["belum_final"] = pending
    header = (
        f"# {entry['nama_klpd']} (kd_klpd {entry['kd_klpd']}). Dibuat oleh `pantau instansi add` dari default.yaml;\n"
        "# menimpa (override) default.yaml. Nilai di bawah yang tercantum di `belum_final` masih sementara:\n"
        "# isi nilai resmi dari Bagian Umum lalu hapus kuncinya dari `belum_final`. Selama daftar itu tidak\n"
        "# kosong, Surat Edaran hanya dibuat sebagai DRAF (yang bernomor ditolak).\n"
        "# Created by `pantau instansi add`; keys under belum_final are placeholders.\n")
    return header + yaml.safe_dump(out, allow_unicode=True, sort_keys=False, default_flow_style=False)


def add(kd_klpd: str, nama_klpd: str, jenis_klpd: str, kd_lpse: int | None = None) -> list[Path]:
    """Add an instansi to pantau.yaml and write its Pemda file; returns the files written.

    Refuses an invalid or already configured kd_klpd. An existing `pemda/<kd_klpd>.yaml` (written
    by hand before) is kept as it is and not returned.
    """
    entry = _validate(kd_klpd, nama_klpd, jenis_klpd, kd_lpse)
    if any(str(r["kd_klpd"]).upper() == entry["kd_klpd"] for r in _read_instansi()):
        raise InstansiError(f"kd_klpd {entry['kd_klpd']} sudah terdaftar di {pantau_yaml_path()} / "
                            f"already configured")
    written: list[Path] = []
    pemda_file = pemda_dir() / f"{entry['kd_klpd']}.yaml"
    if not pemda_file.exists():
        _atomic_write(pemda_file, pemda_text(entry))
        written.append(pemda_file)
    _atomic_write(pantau_yaml_path(), _pantau_yaml_text(entry))
    written.insert(0, pantau_yaml_path())
    config.load_yaml.cache_clear()
    return written
