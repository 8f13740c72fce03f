"""The defects real LKPP feeds have and a clean generator never makes (issue 14), with ground truth.

A clean province hides every pipeline bug that only real data triggers (the Kalbar/Kabupaten run of
issue 14: not one row reached core). `plant_quirks` rewrites the rows of one Pemda **after** its PDs
were generated, with its own random stream, so that `Quirks.off()` gives byte-identical feeds to a
generator without quirks and every quirk can be switched on or off alone:

1. orphan `kd_rup` — SPSE tender / non-tender / pencatatan and e-Katalog rows whose `kd_rup` is not in
   the year's announced RUP (a previous year's package, or a typo that dropped a digit);
2. facts repeated across `_event_date` — every non-tender BAPBAST payment published twice (09-01 and
   09-02), and pencatatan realisasi rows repeated once per `kd_rup_paket` of a multi-RUP package;
3. same-key rows that differ in value — e-kontrak near-duplicates where only `jabatan_wakil_penyedia`
   differs (as the real Kalbar row 10987097);
4. a budget line repeated with a different `pagu` (same `kd_rup`, `mak`, `sumber_dana`): both real;
5. endpoints that answer 404 (`Quirks.unavailable`, honoured by the simulator).

`measure_partitions` is the honest ground truth: it classifies the rows **as emitted** (not the plan),
so an accidental collision would be counted as well. `effective_rows` is the view a correct pipeline
loads (copies collapsed, differing same-key groups quarantined, repeated budget lines kept); the
PD figures of the ground truth are computed from it.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import asdict, dataclass, field
from operator import itemgetter
from typing import Iterable

from pantau.datasets import DATASETS as SPECS

# Source metadata: a copy differing only here is the same fact (issue 14 point 5).
METADATA_FIELDS = frozenset({"_event_date", "_inserted_date", "tgl_penarikan"})
# The pencatatan realisasi feed repeats a receipt once per kd_rup of its package: the package's RUP
# list is header information, not part of the receipt, so copies differing only there collapse.
COPY_VARYING_FIELDS: dict[str, frozenset[str]] = {
    "spse_pencatatan_nontender_realisasi": METADATA_FIELDS | {"kd_rup_paket"},
}
# A repeated budget line is real (both kept, an ordinal tells them apart); never quarantined.
KEPT_REPEATS = frozenset({"rup_paket_anggaran_penyedia"})
# The field holding kd_rup (";"-separated in SPSE) in every dataset that references RUP.
KD_RUP_FIELD: dict[str, str] = {
    "spse_tender_pengumuman": "kd_rup", "spse_tender_selesai_nilai": "kd_rup_paket",
    "spse_nontender_pengumuman": "kd_rup", "spse_nontender_selesai": "kd_rup",
    "spse_pencatatan_nontender": "kd_rup", "spse_pencatatan_nontender_realisasi": "kd_rup_paket",
    "ecat_paket_v5": "kd_rup", "ecat_paket_v6": "kd_rup",
}
# Orphans are planted per package family: every row of one package carries the same orphan code.
ORPHAN_FAMILIES: dict[str, tuple[str, ...]] = {
    "tender": ("spse_tender_pengumuman", "spse_tender_selesai_nilai"),
    "nontender": ("spse_nontender_pengumuman", "spse_nontender_selesai"),
    "pencatatan": ("spse_pencatatan_nontender", "spse_pencatatan_nontender_realisasi"),
    "ecat": ("ecat_paket_v6", "ecat_paket_v5"),
}
# The INAPROC v1 paths that answered 404 in the real run (issue 14 point 3): struktur anggaran PD,
# non-tender e-kontrak (the flat kontrak path and the nested BAPBAST path share the prefix), toko daring.
INAPROC_404: tuple[str, ...] = ("rup_struktur_anggaran", "spse_nontender_ekontrak_kontrak",
                                "spse_nontender_ekontrak_bapbast", "bela_toko_daring")
OTHER_YEAR_KD_RUP = (46_000_000, 52_000_000)  # below this year's penyedia ids, above swakelola ids
WAKIL_VARIANT = {"Direktur": "Direktur Utama", "Perseorangan": "Pemilik"}


@dataclass(frozen=True)
class Quirks:
    """Which real-feed defects to plant, and how many (deterministic for a seed).

    Orphan rates are lower than the real sample (92 % of tender rows, 99.7 % of v6 orders, 100 % of
    non-tender rows there, because that Kabupaten's SPSE was pulled for years whose RUP was not): at
    those rates the ITKP e-tendering / non-e-tendering shares, which join SPSE to RUP by kd_rup,
    would mean nothing in the demo. 20–35 % still makes orphans a large, visible finding.
    """

    orphan_tender: float = 0.25
    orphan_nontender: float = 0.35
    orphan_pencatatan: float = 0.30
    orphan_ecat: float = 0.20
    bapbast_event_date_copies: bool = True
    realisasi_per_kd_rup: bool = True
    same_key_different: int = 2  # near-duplicate e-kontrak rows per kontrak dataset
    anggaran_repeat_pagu: int = 3  # budget lines split into two same-key lines per Pemda
    unavailable_inaproc: tuple[str, ...] = INAPROC_404
    unavailable_isb: tuple[str, ...] = ()

    @classmethod
    def off(cls) -> "Quirks":
        """No quirk at all: the clean feeds older tests compare exact figures against."""
        return cls(0.0, 0.0, 0.0, 0.0, False, False, 0, 0, (), ())

    @classmethod
    def of(cls, value: "Quirks | bool | None") -> "Quirks":
        """`generate(quirks=...)` accepts a Quirks, True (defaults) or False/None (off)."""
        if isinstance(value, Quirks):
            return value
        return cls() if value else cls.off()

    def orphan_rate(self, family: str) -> float:
        return {"tender": self.orphan_tender, "nontender": self.orphan_nontender,
                "pencatatan": self.orphan_pencatatan, "ecat": self.orphan_ecat}[family]

    @property
    def unavailable(self) -> dict[str, list[str]]:
        """`Province.unavailable`: datasets whose endpoint answers 404, per source system."""
        return {"inaproc_v1": list(self.unavailable_inaproc), "isb": list(self.unavailable_isb)}

    def as_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


@dataclass
class Planted:
    """What `plant_quirks` did, for the ground truth (the measured counts come from the rows)."""

    orphans: dict[str, dict[str, str]] = field(default_factory=dict)  # family -> original -> orphan
    orphan_kind: dict[str, str] = field(default_factory=dict)  # orphan code -> tahun_lain | salah_ketik
    same_key_different: list[dict] = field(default_factory=list)
    repeated_lines: list[dict] = field(default_factory=list)


# ============================================================================================ planting
def plant_quirks(rows: dict[str, list[dict]], kd_klpd: str, quirks: Quirks, rng: random.Random,
                 ekontrak_pds: set[str]) -> Planted:
    """Apply every enabled quirk to the rows of `kd_klpd` (in place); return what was planted.

    `ekontrak_pds` are the kd_satker_str planted as lagging on e-kontrak: the only PDs where a
    near-duplicate may take a contract out of core without making the PD lag by accident.
    """
    planted = Planted()
    for family in ORPHAN_FAMILIES:
        rate = quirks.orphan_rate(family)
        if rate > 0:
            _plant_orphans(rows, kd_klpd, family, rate, rng, planted)
    if quirks.realisasi_per_kd_rup:
        _repeat_realisasi_per_kd_rup(rows, kd_klpd)
    if quirks.bapbast_event_date_copies:
        _repeat_bapbast(rows, kd_klpd)
    for sumber in ("tender", "nontender"):
        if quirks.same_key_different:
            _near_duplicates(rows, kd_klpd, sumber, quirks.same_key_different, rng, ekontrak_pds, planted)
    if quirks.anggaran_repeat_pagu:
        _repeat_budget_lines(rows, kd_klpd, quirks.anggaran_repeat_pagu, rng, planted)
    return planted


def _orphan_code(kd_rup: int, rng: random.Random, used: set[int], planted: Planted) -> int:
    """A kd_rup no announced package has: a previous year's id (7 in 10) or a dropped last digit."""
    if rng.random() < 0.3:
        typo = kd_rup // 10
        if typo not in used:
            used.add(typo)
            planted.orphan_kind[str(typo)] = "salah_ketik"
            return typo
    while True:
        code = rng.randrange(*OTHER_YEAR_KD_RUP)
        if code not in used:
            used.add(code)
            planted.orphan_kind[str(code)] = "tahun_lain"
            return code


def _plant_orphans(rows: dict, kd_klpd: str, family: str, rate: float, rng: random.Random,
                   planted: Planted) -> None:
    """Re-point a share of one family's packages (single-kd_rup ones) at a kd_rup outside the RUP."""
    names = ORPHAN_FAMILIES[family]
    seen: list[int] = []
    for name in names:
        f = KD_RUP_FIELD[name]
        for r in rows[name]:
            v = r[f]
            if r.get("kd_klpd") == kd_klpd and v is not None and ";" not in str(v):
                seen.append(int(v))
    mapping: dict[int, int] = {}
    used = set(int(k) for m in planted.orphans.values() for k in m.values())
    for kd in sorted(set(seen)):
        if rng.random() < rate:
            mapping[kd] = _orphan_code(kd, rng, used, planted)
    for name in names:
        f = KD_RUP_FIELD[name]
        for r in rows[name]:
            v = r[f]
            if r.get("kd_klpd") != kd_klpd or v is None or ";" in str(v):
                continue
            new = mapping.get(int(v))
            if new is not None:
                r[f] = new if isinstance(v, int) else str(new)
    planted.orphans[family] = {str(k): str(v) for k, v in mapping.items()}


def _repeat_realisasi_per_kd_rup(rows: dict, kd_klpd: str) -> None:
    """One copy of each receipt per kd_rup of its package, `kd_rup_paket` holding that one code."""
    out = []
    for r in rows["spse_pencatatan_nontender_realisasi"]:
        codes = str(r["kd_rup_paket"]).split(";")
        if r.get("kd_klpd") != kd_klpd or len(codes) == 1:
            out.append(r)
            continue
        for code in codes:
            out.append(dict(r, kd_rup_paket=code))
    rows["spse_pencatatan_nontender_realisasi"] = out


def _repeat_bapbast(rows: dict, kd_klpd: str) -> None:
    """Every non-tender payment twice, only `_event_date` differing (two pulls appended, 09-01/09-02)."""
    out = []
    for r in rows["spse_nontender_ekontrak_bapbast"]:
        if r.get("kd_klpd") != kd_klpd:
            out.append(r)
            continue
        year = str(r["tahun_anggaran"])
        out.append(dict(r, _event_date=f"{year}-09-01"))
        out.append(dict(r, _event_date=f"{year}-09-02"))
    rows["spse_nontender_ekontrak_bapbast"] = out


def _near_duplicates(rows: dict, kd_klpd: str, sumber: str, n: int, rng: random.Random,
                     ekontrak_pds: set[str], planted: Planted) -> None:
    """`n` e-kontrak rows repeated with another `jabatan_wakil_penyedia` (the real 10987097 case).

    Validation quarantines every copy, so the planted rows are first versions of contracts that also
    have an addendum (the contract stays in core) — else contracts of PDs already lagging on
    e-kontrak — so that no PD's lagging status changes by accident.
    """
    name, key = f"spse_{sumber}_ekontrak_kontrak", "kd_tender" if sumber == "tender" else "kd_nontender"
    feed = rows[name]
    versions: dict[int, list[int]] = {}
    for i, r in enumerate(feed):
        if r.get("kd_klpd") == kd_klpd:
            versions.setdefault(r[key], []).append(i)
    with_addendum = [ix[0] for ix in versions.values() if len(ix) > 1]
    lagging_pd = [ix[0] for ix in versions.values()
                  if len(ix) == 1 and feed[ix[0]]["kd_satker_str"] in ekontrak_pds]
    chosen = (rng.sample(with_addendum, min(n, len(with_addendum))) if with_addendum else [])
    if len(chosen) < n and lagging_pd:
        chosen += rng.sample(lagging_pd, min(n - len(chosen), len(lagging_pd)))
    for i in sorted(chosen, reverse=True):
        r = feed[i]
        twin = dict(r, jabatan_wakil_penyedia=WAKIL_VARIANT.get(r["jabatan_wakil_penyedia"], "Wakil Direktur"))
        feed.insert(i + 1, twin)
        planted.same_key_different.append({"dataset": name, "key": [r[key], r["versi_addendum"]],
                                           "fields": ["jabatan_wakil_penyedia"]})


def _repeat_budget_lines(rows: dict, kd_klpd: str, n: int, rng: random.Random, planted: Planted) -> None:
    """Split `n` announced budget lines into two lines with the same key and different pagu.

    The parts sum to the original line, so Σ lines of the package still equals its pagu — the real
    RUP-PaketAnggaranPenyedia rows differed only in pagu and both were real budget.
    """
    feed = rows["rup_paket_anggaran_penyedia"]
    count: dict[tuple, int] = {}
    for r in feed:
        if r.get("kd_klpd") == kd_klpd:
            k = (r["kd_rup"], r["mak"], r["sumber_dana"])
            count[k] = count.get(k, 0) + 1
    candidates = [i for i, r in enumerate(feed) if r.get("kd_klpd") == kd_klpd and r["pagu"] >= 10_000
                  and r["status_umumkan_rup"] == "Terumumkan" and count[(r["kd_rup"], r["mak"], r["sumber_dana"])] == 1]
    for i in sorted(rng.sample(candidates, min(n, len(candidates))), reverse=True):
        r = feed[i]
        total = r["pagu"]
        first = max(1000, int(total * rng.uniform(0.55, 0.85)) // 1000 * 1000)
        if first * 2 == total:
            first = total - 1000  # the two lines must differ in pagu
        feed[i] = dict(r, pagu=first)
        feed.insert(i + 1, dict(r, pagu=total - first))
        planted.repeated_lines.append({"kd_rup": r["kd_rup"], "mak": r["mak"], "sumber_dana": r["sumber_dana"],
                                       "pagu": [first, total - first]})


# ============================================================================================ measuring
def _value_view(row: dict, ignored: frozenset[str]) -> tuple:
    return tuple((k, v) for k, v in row.items() if k not in ignored)


def classify(dataset: str, rows: Iterable[dict]) -> dict[tuple, tuple[str, list[dict], list[str]]]:
    """Same-key groups of one feed partition: key -> (kind, rows, differing fields).

    kind: ``copies`` (equal apart from source metadata: collapse to one), ``differ`` (quarantine all),
    ``repeat`` (a repeated budget line: keep all). Keys with a single row are not returned.
    """
    get = itemgetter(*SPECS[dataset].key)
    rows = rows if isinstance(rows, list) else list(rows)
    keys = list(map(get, rows))
    dup = {k for k, n in Counter(keys).items() if n > 1}  # C-speed pass: most feeds have none
    if not dup:
        return {}
    groups: dict = {}
    for k, r in zip(keys, rows):
        if k in dup:
            groups.setdefault(k, []).append(r)
    ignored = COPY_VARYING_FIELDS.get(dataset, METADATA_FIELDS)
    out = {}
    for k, g in groups.items():
        views = {_value_view(r, ignored) for r in g}
        if len(views) == 1:
            out[k] = ("copies", g, [])
            continue
        fields = sorted({f for r in g for f in r if f not in ignored and len({repr(x.get(f)) for x in g}) > 1})
        out[k] = ("repeat" if dataset in KEPT_REPEATS else "differ", g, fields)
    return out


def effective_rows(dataset: str, rows: list[dict]) -> list[dict]:
    """The rows a correct load keeps: one per group of copies, none of a differing group."""
    groups = classify(dataset, rows)
    if not groups:
        return rows
    get = itemgetter(*SPECS[dataset].key)
    out, emitted = [], set()
    for r in rows:
        k = get(r)
        g = groups.get(k)
        if g is None or g[0] == "repeat":
            out.append(r)
        elif g[0] == "copies" and k not in emitted:
            emitted.add(k)
            out.append(r)
    return out


def _key_json(k) -> list:
    return list(k) if isinstance(k, tuple) else [k]


def measure_partitions(rows: dict[str, list[dict]], kd_klpd: str, tahun: int) -> dict[str, dict]:
    """Per dataset, the quirks found in the rows of one instansi (what INAPROC serves for it)."""
    announced = {r["kd_rup"] for name in ("rup_paket_penyedia", "rup_paket_swakelola") for r in rows[name]
                 if r.get("kd_klpd") == kd_klpd}
    out: dict[str, dict] = {}
    for name, all_rows in rows.items():
        mine = [r for r in all_rows if r.get("kd_klpd") == kd_klpd]
        if not mine:
            continue
        groups = classify(name, mine)
        copies = [(k, len(g)) for k, (kind, g, _) in groups.items() if kind == "copies"]
        differ = [(k, g, f) for k, (kind, g, f) in groups.items() if kind == "differ"]
        n_copies = sum(n - 1 for _, n in copies)
        n_differ = sum(len(g) for _, g, _ in differ)
        p = {"tahun": tahun, "n_rows": len(mine), "n_collapsible_copies": n_copies,
             "collapsible_keys": [_key_json(k) for k, _ in copies],
             "n_same_key_different_rows": n_differ,
             "same_key_different": [{"key": _key_json(k), "n_rows": len(g), "fields": f} for k, g, f in differ],
             "n_expected_loaded": len(mine) - n_copies - n_differ}
        f = KD_RUP_FIELD.get(name)
        if f:
            get = itemgetter(*SPECS[name].key)
            orphan_rows = [r for r in mine if r[f] is not None and any(
                int(x) not in announced for x in str(r[f]).split(";") if x.strip())]
            p["n_orphan_rows"] = len(orphan_rows)
            p["orphan_kd_rup"] = sorted({int(x) for r in orphan_rows for x in str(r[f]).split(";")
                                         if x.strip() and int(x) not in announced})
            p["orphan_keys"] = [_key_json(get(r)) for r in orphan_rows]
        if name == "rup_paket_anggaran_penyedia":
            by_rup: dict[int, int] = {}
            for r in effective_rows(name, mine):
                by_rup[r["kd_rup"]] = by_rup.get(r["kd_rup"], 0) + (r["pagu"] or 0)
            repeats = [(k, g, fl) for k, (kind, g, fl) in groups.items() if kind == "repeat"]
            p["repeated_lines"] = [{"key": _key_json(k), "pagu": [r["pagu"] for r in g], "fields": fl}
                                   for k, g, fl in repeats]
            p["pagu_total"] = sum(by_rup.values())
            # Σ pagu of every line (none dropped) of the kd_rup whose grain the repeats break; the
            # other kd_rup are one line per key, their Σ is plain to recompute from the rows
            p["pagu_by_kd_rup"] = {str(kd): by_rup[kd] for kd in sorted({k[0] for k, _, _ in repeats})}
        out[name] = p
    return out
