"""Per-Pemda wording: `include/config/pemda/<kd_klpd>.yaml` over `default.yaml`.

Every text that differs between Pemda lives in YAML so a bureau can localise it without code.
Placeholders use `string.Template` (`${tahun}`), not Jinja or `str.format`: substitution cannot
reach attributes or run logic, so even a careless config edit cannot execute anything.
"""
from __future__ import annotations

import copy
import re
import string
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Mapping

from pantau import ids
from pantau.config import CONFIG_DIR

if TYPE_CHECKING:
    from pantau.report.model import InputState

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
    """Merged configuration for one KLPD (default only when the KLPD has no file of its own).

    `kd_klpd` names a file, so it is checked against its code pattern and the file resolved under
    `pemda/` (`InvalidIdentifier` / `UnsafePath`): `../../x/evil` must not read a foreign YAML."""
    ids.check_kd_klpd(kd_klpd)
    pemda_dir = CONFIG_DIR / "pemda"
    base = _read(ids.resolve_under(pemda_dir, "default.yaml", what="pemda config"))
    own = ids.resolve_under(pemda_dir, f"{kd_klpd}.yaml", what="pemda config")
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
    catatan = cfg.get("catatan_data") or {}
    try:
        ambang = float(catatan.get("ambang_orphan", 0.20))
    except (TypeError, ValueError):
        ambang = -1.0
    if not 0 <= ambang <= 1:
        raise PemdaConfigError("catatan_data.ambang_orphan must be a share between 0 and 1 (e.g. 0.20)")
    if not isinstance(catatan.get("terima_tidak_tersedia") or [], list):
        raise PemdaConfigError("catatan_data.terima_tidak_tersedia must be a list of dataset names")
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


@dataclass(frozen=True)
class Deadline:
    """A rule's deadline as the letter states it: a date on or after the letter, or "segera"."""

    due: date | None          # printed date; None when already past (then `days_late` > 0)
    days_late: int = 0

    @property
    def text(self) -> str:
        """`paling lambat tanggal 30 Desember 2025` or `segera (terlambat 244 hari)`."""
        from pantau.report.formats import angka, tanggal

        if self.due is None:
            return f"segera (terlambat {angka(self.days_late)} hari)"
        return f"paling lambat tanggal {tanggal(self.due)}"

    @property
    def short(self) -> str:
        """For table cells: `30 Desember 2025` or `segera (terlambat 244 hari)`."""
        from pantau.report.formats import tanggal

        return self.text if self.due is None else tanggal(self.due)

    @property
    def sort_key(self) -> tuple[int, int]:
        """Past deadlines first (most days late first), then the earliest date."""
        return (0, -self.days_late) if self.due is None else (1, self.due.toordinal())


DEFAULT_TENGGAT_HARI = 14


def letter_deadline(cfg: Mapping[str, Any], rule: str, batas: date | None, tanggal: date) -> Deadline:
    """The deadline a letter dated `tanggal` gives for `rule`.

    Why not print `batas` as is: a deadline before the letter's own date asks the impossible (a
    31 March deadline in a letter of 30 November), so it becomes "segera" with the days late; a
    rule without a deadline gets `tenggat_hari` days from the letter (rule, else the Pemda's
    `tenggat_bawaan_hari`, default 14), never an unfilled "………"."""
    if batas is None:
        rule_cfg = (cfg.get("aturan") or {}).get(rule) or {}
        days = int(rule_cfg.get("tenggat_hari") or cfg.get("tenggat_bawaan_hari") or DEFAULT_TENGGAT_HARI)
        from datetime import timedelta

        return Deadline(tanggal + timedelta(days=days))
    if batas < tanggal:
        return Deadline(None, (tanggal - batas).days)
    return Deadline(batas)


# ---------------------------------------------------------------------------------------------
# input completeness (mart.metric_run_input): the caveat paragraph and the numbered-circular guard
class IncompleteInputsError(ValueError):
    """A numbered circular was asked for while a metric input is not currently loaded."""


STATE_FALLBACK = {
    "failed": "gagal dimuat — ${alasan}",
    "endpoint_not_available": "tidak tersedia di sumber (404)",
    "missing": "belum pernah dimuat",
    "running": "sedang dimuat dan belum selesai",
    "stale": "memakai data per ${tanggal_data}; percobaan pemuatan terakhir: ${keadaan_terakhir}",
}


def _catatan(cfg: Mapping[str, Any]) -> Mapping[str, Any]:
    return cfg.get("catatan_data") or {}


_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)


def short_reason(text: str | None, limit: int = 120) -> str:
    """First line of a failure reason, whitespace collapsed, URLs replaced, cut at `limit`
    characters: the letter names the cause, the full text stays in audit.partition_run. URLs go
    because ISB keys live in the URL path, and a circular is sent far beyond the bureau."""
    first = " ".join(((text or "").strip().splitlines() or [""])[0].split())
    first = _URL.sub("(alamat sumber)", first)
    if not first:
        return "alasan tidak tercatat"
    return first if len(first) <= limit else first[:limit - 1].rstrip() + "…"


def dataset_label(cfg: Mapping[str, Any], dataset: str) -> str:
    """Human name of a dataset; an unknown dataset keeps its technical name (never dropped)."""
    return str((_catatan(cfg).get("dataset") or {}).get(dataset) or dataset)


def family_label(cfg: Mapping[str, Any], family: str) -> str:
    return str((_catatan(cfg).get("keluarga") or {}).get(family) or family)


def _join_id(items: list[str]) -> str:
    """`a`, `a dan b`, `a, b dan c` (Indonesian list)."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " dan " + items[-1]


def indicator_labels(cfg: Mapping[str, Any], dataset: str) -> str:
    """The indicators a dataset feeds (pantau.metrics.inputs), in the Pemda's wording."""
    from pantau.metrics.inputs import METRIC_INPUTS

    names = (_catatan(cfg).get("indikator") or {})
    return _join_id([str(names.get(k) or k) for k in METRIC_INPUTS.get(dataset, ())]) or "indikator terkait"


def state_text(cfg: Mapping[str, Any], state: str, *, reason: str | None = None,
               snapshot_date: date | None = None, attempt_status: str | None = None) -> str:
    """`gagal dimuat — <alasan singkat>`, `tidak tersedia di sumber (404)`, … for one input."""
    from pantau.report.formats import tanggal

    words = {**STATE_FALLBACK, **(_catatan(cfg).get("keadaan") or {})}
    limit = int(_catatan(cfg).get("panjang_alasan", 120))
    last = ""
    if state == "stale":
        last = state_text(cfg, attempt_status or "failed", reason=reason)
    return substitute(str(words.get(state, state)), {
        "alasan": short_reason(reason, limit), "tanggal_data": tanggal(snapshot_date), "keadaan_terakhir": last})


def _accepted(cfg: Mapping[str, Any], inp: InputState) -> bool:
    """A 404 the Pemda has accepted (`terima_tidak_tersedia`) does not block a numbered circular:
    some LKPP sources simply do not publish a dataset. It is still named in the caveat."""
    accepted = set(_catatan(cfg).get("terima_tidak_tersedia") or [])
    unavailable = inp.state == "endpoint_not_available" or (
        inp.state == "stale" and inp.attempt_status == "endpoint_not_available")
    return unavailable and inp.dataset in accepted


def _orphan_threshold(cfg: Mapping[str, Any]) -> float:
    return float(_catatan(cfg).get("ambang_orphan", 0.20))


def input_caveat(cfg: Mapping[str, Any], inputs: tuple[InputState, ...], *, tahun: int) -> dict[str, Any] | None:
    """The caveat section of the letter (`bagian` shape), or None when every input is loaded and
    no orphan share is above the threshold. `cfg` is the resolved config (placeholders filled)."""
    from pantau.report.formats import angka, persen

    cat = _catatan(cfg)
    items = [substitute(str(cat.get("butir", "${dataset}: ${keadaan}; memengaruhi ${indikator}.")), {
        "dataset": dataset_label(cfg, i.dataset), "indikator": indicator_labels(cfg, i.dataset),
        "keadaan": state_text(cfg, i.state, reason=i.reason, snapshot_date=i.snapshot_date,
                              attempt_status=i.attempt_status)})
        for i in inputs if not i.complete]
    limit = _orphan_threshold(cfg)
    items += [substitute(str(cat.get("orphan", "${persen} paket ${dataset} merujuk kode RUP yang tidak "
                                             "terdapat pada RUP Tahun Anggaran ${tahun}.")), {
        "persen": persen(i.orphan_share * 100, 1), "dataset": dataset_label(cfg, i.dataset),
        "indikator": indicator_labels(cfg, i.dataset), "tahun": str(tahun),
        "n_orphan": angka(i.n_orphan), "n_paket": angka(i.n_rows_rup_ref)})
        for i in inputs if i.orphan_share is not None and float(i.orphan_share) > limit]
    if not items:
        return None
    return {"judul": str(cat.get("judul", "Catatan Kelengkapan Data")),
            "paragraf": [str(cat.get("pengantar", ""))] if cat.get("pengantar") else [],
            "butir": [{"num": f"{chr(ord('a') + k % 26)}.", "text": t} for k, t in enumerate(items)],
            "paragraf_akhir": [str(cat["penutup"])] if cat.get("penutup") else []}


def check_inputs_complete(cfg: Mapping[str, Any], kd_klpd: str, nomor: str | None,
                          inputs: tuple[InputState, ...], metric_run_id: int | None = None) -> None:
    """A numbered circular must rest on complete inputs; a draft may not (it carries the caveat).

    Same style as `check_official`: refused before rendering, naming each incomplete family and
    dataset with its state, so the operator knows which partitions to reload."""
    blocking = [i for i in inputs if not i.complete and not _accepted(cfg, i)]
    if not nomor or not blocking:
        return
    by_family: dict[str, list[str]] = {}
    for i in blocking:
        text = state_text(cfg, i.state, reason=i.reason, snapshot_date=i.snapshot_date,
                          attempt_status=i.attempt_status)
        by_family.setdefault(i.family, []).append(f"{dataset_label(cfg, i.dataset)} [{i.dataset}]: {text}")
    detail = "; ".join(f"keluarga {family_label(cfg, fam)}: {', '.join(items)}" for fam, items in by_family.items())
    run = f" (metric_run_id {metric_run_id})" if metric_run_id is not None else ""
    raise IncompleteInputsError(
        f"Surat Edaran bernomor {nomor} untuk {kd_klpd} tidak diterbitkan: data masukan metrik{run} belum "
        f"lengkap — {detail}. Muat ulang partisi tersebut lalu hitung ulang metrik, atau terbitkan sebagai "
        "DRAF tanpa nomor (DRAF memuat catatan kelengkapan data).")
