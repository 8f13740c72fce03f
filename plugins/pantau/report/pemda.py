"""Per-Pemda wording: `include/config/pemda/<kd_klpd>.yaml` over `default.yaml`.

Every text that differs between Pemda lives in YAML so a bureau can localise it without code.
Placeholders use `string.Template` (`${tahun}`), not Jinja or `str.format`: substitution cannot
reach attributes or run logic, so even a careless config edit cannot execute anything.
"""
from __future__ import annotations

import copy
import string
from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping

from pantau.config import CONFIG_DIR

JENIS_LABEL = {"provinsi": "Provinsi", "kabupaten": "Kabupaten", "kota": "Kota"}
PERIKSA = "Periksa status paket bersama UKPBJ"


class PemdaConfigError(ValueError):
    """The Pemda configuration is missing a required key or has an invalid value."""


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Maps merge recursively; lists and scalars replace (a Pemda's tembusan replaces the default)."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read(path) -> dict[str, Any]:
    import yaml

    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def load_pemda_config(kd_klpd: str) -> dict[str, Any]:
    """Merged configuration for one KLPD (default only when the KLPD has no file of its own)."""
    base = _read(CONFIG_DIR / "pemda" / "default.yaml")
    own = CONFIG_DIR / "pemda" / f"{kd_klpd}.yaml"
    cfg = deep_merge(base, _read(own)) if own.exists() else base
    cfg["_sumber"] = own.name if own.exists() else "default.yaml"
    validate_config(cfg)
    return cfg


def validate_config(cfg: Mapping[str, Any]) -> None:
    """Fail early, naming the key, instead of printing a half-empty letter."""
    for path in ("pemda.nama", "pemda.kota", "pemda.jenis", "penandatangan.nama", "judul"):
        if not _lookup(cfg, path):
            raise PemdaConfigError(f"pemda config lacks {path}")
    if cfg["pemda"]["jenis"] not in JENIS_LABEL:
        raise PemdaConfigError(f"pemda.jenis must be one of {sorted(JENIS_LABEL)}")
    if cfg.get("kertas", {}).get("ukuran", "A4") not in ("A4", "F4"):
        raise PemdaConfigError("kertas.ukuran must be A4 or F4")
    unconfirmed(cfg)


def _lookup(cfg: Mapping[str, Any], path: str) -> Any:
    node: Any = cfg
    for part in path.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def unconfirmed(cfg: Mapping[str, Any]) -> list[str]:
    """Keys listed under `belum_final`: values that are still placeholders (signer name, NIP,
    address …) until Bagian Umum confirms them. Each must name an existing key, so a typo cannot
    silently clear the guard."""
    paths = [str(p) for p in (cfg.get("belum_final") or [])]
    missing = [p for p in paths if _lookup(cfg, p) is None]
    if missing:
        raise PemdaConfigError(f"belum_final names keys that do not exist: {', '.join(missing)}")
    return paths


def check_official(cfg: Mapping[str, Any], kd_klpd: str, nomor: str | None) -> None:
    """A numbered (official) circular must not carry placeholder values; a draft may (it says DRAF)."""
    pending = unconfirmed(cfg)
    if nomor and pending:
        raise PemdaConfigError(
            f"Surat Edaran bernomor {nomor} untuk {kd_klpd} tidak diterbitkan: konfigurasi "
            f"{cfg.get('_sumber', 'pemda')} masih memuat nilai sementara ({', '.join(pending)}). "
            "Isi nilai resmi lalu hapus dari `belum_final`, atau terbitkan sebagai DRAF tanpa nomor.")


def nama_pemda(cfg: Mapping[str, Any]) -> str:
    """`Provinsi Kalimantan Barat`."""
    return f"{JENIS_LABEL[cfg['pemda']['jenis']]} {cfg['pemda']['nama']}"


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Fill `${name}` placeholders; unknown names stay visible rather than failing the run."""
    return string.Template(text).safe_substitute(values)


def placeholders(cfg: Mapping[str, Any], *, tahun: int, as_of: date, nomor: str | None) -> dict[str, str]:
    from pantau.report.formats import tanggal

    nama = nama_pemda(cfg)
    return {
        "nama_pemda": nama,
        "NAMA_PEMDA_CAPS": nama.upper(),
        "pemerintah": f"Pemerintah {nama}",
        "tahun": str(tahun),
        "kota": str(cfg["pemda"]["kota"]),
        "as_of": tanggal(as_of),
        "nomor_atau_draf": nomor or "DRAF",
        "jabatan": " ".join(cfg["penandatangan"]["jabatan"]).rstrip(","),
    }


def resolve_texts(obj: Any, values: Mapping[str, str]) -> Any:
    """Apply `substitute` to every string in a nested config structure."""
    if isinstance(obj, str):
        return substitute(obj, values)
    if isinstance(obj, list):
        return [resolve_texts(v, values) for v in obj]
    if isinstance(obj, dict):
        return {k: resolve_texts(v, values) for k, v in obj.items()}
    return obj


@dataclass(frozen=True)
class Action:
    """What a lampiran row tells the PD to do; `review` marks an unknown status combination."""

    aksi: str
    pelaksana: str
    review: bool = False


def _matches(entry: Mapping[str, Any], key: str, value: str | None) -> bool:
    if key not in entry or entry[key] is None:
        return True
    allowed = entry[key] if isinstance(entry[key], list) else [entry[key]]
    return (value or "").strip().casefold() in {str(a).strip().casefold() for a in allowed}


def resolve_action(cfg: Mapping[str, Any], *, rule: str, source: str, status_pkt: str | None,
                   status_pengiriman: str | None) -> Action:
    """First matching `aksi` entry; otherwise the review text, flagged, never a guess."""
    fields = {"rule": rule, "source": source, "status_pkt": status_pkt, "status_pengiriman": status_pengiriman}
    for entry in cfg.get("aksi") or []:
        if all(_matches(entry, k, v) for k, v in fields.items()):
            return Action(str(entry["aksi"]), str(entry.get("pelaksana", "")))
    fallback = cfg.get("aksi_periksa") or {}
    return Action(str(fallback.get("aksi", PERIKSA)), str(fallback.get("pelaksana", "UKPBJ")), review=True)


def deadline(cfg: Mapping[str, Any], rule: str, tahun: int) -> date | None:
    """The rule's deadline in the fiscal year (`batas_waktu: "11-30"`), None when not configured."""
    spec = (cfg.get("aturan") or {}).get(rule, {}).get("batas_waktu")
    if not spec:
        return None
    month, day = (int(p) for p in str(spec).split("-"))
    return date(tahun, month, day)
