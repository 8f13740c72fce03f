"""Deterministic generator of LKPP open-data feeds (ISB shape) with planted lagging PDs.

`generate(seed, scale, tahun, klpds)` returns a `Province`: for each KLPD its satker, and for each
dataset of docs/architecture.md the rows **exactly in the ISB raw shape** (field names, JSON types,
date formats of shared/docs/sources.md §3 / Appendix A). Same seed → byte-identical JSON
(`Province.sha256()`); no global random state, no clock.

Default province: Pemda D197 "Provinsi Kalimantan Barat" (LPSE 97, 44 PDs, ~10 500 RUP packages at
scale 1) and BUMD B201 "PDAM Tirta Khatulistiwa", whose tenders appear in LPSE 97's SPSE feeds and
whose kd_rup are not in any RUP feed (as for the real B154 row in LPSE 93).

Ground truth (`Province.ground_truth["klpd"][kd_klpd]`, only for specs with ``plant=True``)
-----------------------------------------------------------------------------------------
Every figure is recomputable from the rows alone (`measure_klpd` is the reference implementation;
tests/simulator re-implements it independently). Per PD = per `kd_satker_str` of the KLPD:

* ``pagu`` = Σ `pagu` of rup_paket_penyedia + rup_paket_swakelola rows of the KLPD/PD with
  `status_aktif_rup is True`, `status_delete_rup is False`, `status_umumkan_rup == "Terumumkan"`
  (package rows, never anggaran lines).
* ``committed`` = Σ of
  tender: spse_tender_selesai_nilai `nilai_kontrak` (non-null; its `kd_satker` holds kd_satker_str);
  non-tender: spse_nontender_selesai rows with `status_nontender == "Selesai"`, value = first non-null
  of `nilai_kontrak`, `nilai_negosiasi`, `nilai_terkoreksi`, `nilai_penawaran`;
  pencatatan: spse_pencatatan_nontender `total_realisasi` (null = 0) of rows with
  `status_nontender_pct == "Aktif"` (the "double input" Ditutup rows are excluded);
  e-katalog v6: `total_harga` of orders with `status_pkt != "CANCELLED"`;
  e-katalog v5: Σ lines (`total_harga` + `ongkos_kirim`), PD via `satker_id` = SIRUP kd_satker;
  toko daring: `valuasi` with `status_verif == "verified"`, PD via `kd_satker` (SIRUP id as text).
* ``paid`` = Σ of BAPBAST `besar_pembayaran` (tender + non-tender feeds, all rows);
  pencatatan realisasi `nilai_realisasi` whose `kd_nontender_pct` is an "Aktif" header;
  v6 `total_harga` with `status_pkt` in {COMPLETED, PAYMENT_OUTSIDE_SYSTEM};
  v5 lines (`total_harga` + `ongkos_kirim`) of packages with `paket_status_str == "Paket Selesai"`;
  toko daring `valuasi` with verified and `status_konfirmasi_ppmse == "selesai"`.
  ``paid_pct`` = paid / pagu, ``committed_pct`` = committed / pagu.
* e-purchasing ``ep_selesai`` = count of distinct v6 `kd_paket` with status_pkt in {COMPLETED,
  PAYMENT_OUTSIDE_SYSTEM} + distinct v5 `kd_paket` with paket_status_str "Paket Selesai";
  ``ep_aktif`` = distinct v6 `kd_paket` with status_pkt != "CANCELLED" + all distinct v5 `kd_paket`;
  ``ep_ratio`` = selesai / aktif (None when aktif = 0). ``delivered_not_closed`` = v6 kd_paket with
  status_pkt in {ON_PROCESS, ON_ADDENDUM} × status_pengiriman in {DELIVERED, BUYER_CONFIRMED, COMPLETED};
  ``v5_delivered_not_closed`` = v5 kd_paket with paket_status_str "Paket Proses" × status_paket
  "melakukan_pengiriman_dan_penerimaan" (other PDs' open v5 orders sit at "proses_kontrak_ppk").
* SiRUP ``sirup_ratio`` = pagu / StrukturAnggaranPD.belanja_pengadaan (None when that row is all-null):
  ≥ 1 in every PD except the planted "sirup" PD (≈ 0.55–0.7).
* e-kontrak ``n_selesai`` = distinct kd_tender of spse_tender_pengumuman with status_tender "Selesai"
  + distinct kd_nontender of spse_nontender_pengumuman with status_nontender "Selesai";
  ``n_kontrak`` = those with ≥ 1 row in the matching *_ekontrak_kontrak feed; ``missing_kontrak`` lists
  the others (sumber, kd_paket_spse, kd_rup).

Planted rules and thresholds (`THRESHOLDS`): e-purchasing-lagging PDs have ep_ratio < 0.3 and ≥ 5
delivered-not-closed orders, every other PD has ep_ratio ≥ 0.5 (or no orders) and **no**
delivered-not-closed order (v6 or v5), and the KLPD-wide ratio (Σ selesai / Σ aktif) is < 0.5 (Kalteng 2023
case); penyerapan-lagging PDs have paid_pct < 0.20, every other PD with pagu > 0 has ≥ 0.30;
e-kontrak-lagging PDs have ≥ 3 missing contracts, every other PD none. `violations` lists any
breach (empty for the default province; tests assert it).

Real-feed quirks (issue 14; gen_quirks.py, on by default, ``generate(quirks=False)`` = clean feeds)
----------------------------------------------------------------------------------------------
Orphan kd_rup, every non-tender BAPBAST payment twice (``_event_date`` 09-01/09-02), pencatatan
realisasi once per ``kd_rup_paket``, e-kontrak near-duplicates differing in ``jabatan_wakil_penyedia``,
budget lines repeated with another pagu, and ``Province.unavailable`` (INAPROC paths that 404).
The figures above are computed from the rows **a correct load keeps** (`gen_quirks.effective_rows`):
copies collapsed to one fact, same-key rows that differ left out (quarantined), repeated budget
lines kept — so a quirk never adds to `paid` and never changes which PDs lag.
``ground_truth["partitions"][dataset][kd_klpd]`` counts, from the rows as emitted: ``n_rows``,
``n_collapsible_copies`` (+ keys), ``same_key_different`` (key, n_rows, differing fields),
``n_expected_loaded`` (= n_rows − copies − same-key-different rows), ``n_orphan_rows`` /
``orphan_kd_rup`` / ``orphan_keys`` (kd_rup not in the instansi's announced RUP), and for
rup_paket_anggaran_penyedia ``repeated_lines``, ``pagu_total`` and ``pagu_by_kd_rup`` (of the kd_rup
with repeated lines). ``ground_truth["planted"][kd_klpd]`` says what was planted (orphan kinds
``tahun_lain``/``salah_ketik``); ``ground_truth["quirks"]`` the settings.
"""
from __future__ import annotations

import hashlib
import json
import random
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from . import gen_quirks as Q
from . import gen_util as U
from . import names as N
from .gen_pd import KlpdCtx, PdGen, Satker, empty_rows
from .gen_quirks import Quirks

__all__ = ["DATASETS", "THRESHOLDS", "KlpdSpec", "Province", "Quirks", "generate", "national_klpds",
           "measure_klpd", "to_inaproc_v1", "default_klpds"]

DATASETS: tuple[str, ...] = (
    "rup_master_satker", "rup_struktur_anggaran", "rup_paket_penyedia", "rup_paket_swakelola",
    "rup_paket_anggaran_penyedia", "spse_tender_pengumuman", "spse_tender_selesai_nilai",
    "spse_tender_ekontrak_kontrak", "spse_tender_ekontrak_bapbast", "spse_nontender_pengumuman",
    "spse_nontender_selesai", "spse_nontender_ekontrak_kontrak", "spse_nontender_ekontrak_bapbast",
    "spse_pencatatan_nontender", "spse_pencatatan_nontender_realisasi", "ecat_paket_v5", "ecat_paket_v6",
    "bela_toko_daring",
)
SPSE_DATASETS = frozenset(d for d in DATASETS if d.startswith("spse_"))
BASE_PACKAGES = 10_500  # RUP packages (penyedia + swakelola) of a size-1.0 KLPD at scale 1
THRESHOLDS = {
    "ep_ratio_lagging_max": 0.3, "ep_ratio_other_min": 0.5, "ep_klpd_ratio_max": 0.5,
    "ep_delivered_not_closed_lagging_min": 5, "paid_pct_lagging_max": 0.20, "paid_pct_other_min": 0.30,
    "ekontrak_missing_lagging_min": 3,
}
ROLES_D197 = {
    "DINAS PENDIDIKAN DAN KEBUDAYAAN": ("epurchasing",), "DINAS KESEHATAN": ("epurchasing",),
    "RSUD DR. SOEDARSO": ("epurchasing",), "DINAS PERTANIAN, PETERNAKAN DAN PERKEBUNAN": ("epurchasing",),
    "DINAS PERUMAHAN RAKYAT DAN KAWASAN PERMUKIMAN": ("penyerapan",),
    "DINAS KEPEMUDAAN DAN OLAHRAGA": ("penyerapan",), "BADAN PENANGGULANGAN BENCANA DAERAH": ("penyerapan",),
    "DINAS PERHUBUNGAN": ("ekontrak",), "DINAS KELAUTAN DAN PERIKANAN": ("ekontrak",),
    "DINAS PEKERJAAN UMUM DAN PENATAAN RUANG": ("consolidated",),
    "DINAS PARIWISATA DAN EKONOMI KREATIF": ("sirup",),
}
V6_SELESAI = ("COMPLETED", "PAYMENT_OUTSIDE_SYSTEM")
# Which INAPROC v1 endpoint serves each dataset (to_inaproc_v1 produces that endpoint's row shape).
INAPROC_V1_PATHS = {
    "rup_master_satker": "/v1/rup/master-satker", "rup_struktur_anggaran": "/v1/rup/struktur-anggaran-pd",
    "rup_paket_penyedia": "/v1/rup/paket-penyedia-terumumkan",
    "rup_paket_swakelola": "/v1/rup/paket-swakelola-terumumkan",
    "rup_paket_anggaran_penyedia": "/v1/rup/paket-anggaran-penyedia",
    "spse_tender_pengumuman": "/v1/tender/pengumuman", "spse_tender_selesai_nilai": "/v1/tender/tender-selesai-nilai",
    "spse_tender_ekontrak_kontrak": "/v1/tender/tender-ekontrak-kontrak",
    "spse_tender_ekontrak_bapbast": "/v1/tender/tender-ekontrak",
    "spse_nontender_pengumuman": "/v1/tender/non-tender-pengumuman",
    "spse_nontender_selesai": "/v1/tender/non-tender-selesai",
    "spse_nontender_ekontrak_kontrak": "/v1/tender/non-tender-ekontrak-kontrak",
    "spse_nontender_ekontrak_bapbast": "/v1/tender/non-tender-ekontrak",
    "spse_pencatatan_nontender": "/v1/tender/pencatatan-non-tender",
    "spse_pencatatan_nontender_realisasi": "/v1/tender/pencatatan-non-tender-realisasi",
    "ecat_paket_v5": "/v1/ekatalog-archive/paket-e-purchasing", "ecat_paket_v6": "/v1/ekatalog/paket-e-purchasing",
    "bela_toko_daring": "/v1/bela/toko-daring-realisasi",
}
MAX_ATTEMPTS = 40


@dataclass(frozen=True)
class KlpdSpec:
    """One instansi to generate. `size` scales its package count (1.0 ≈ 10 500 RUP packages)."""

    kd_klpd: str
    nama_klpd: str
    jenis_klpd: str
    kd_lpse: int
    size: float = 1.0
    n_pd: int | None = None  # None = the full PD list (44)
    host_kd_klpd: str | None = None  # BUMD: the Pemda whose LPSE feed carries its rows
    plant: bool = False  # plant lagging PDs and record ground truth
    nama_lpse: str = ""
    url_lpse: str = ""
    kota: str = ""
    provinsi: str = ""

    def as_dict(self) -> dict:
        return {"kd_klpd": self.kd_klpd, "nama_klpd": self.nama_klpd, "jenis_klpd": self.jenis_klpd,
                "kd_lpse": self.kd_lpse, "host_kd_klpd": self.host_kd_klpd}


def default_klpds() -> list[KlpdSpec]:
    """Prov. Kalimantan Barat (D197, LPSE 97) with planted lagging PDs, and its BUMD B201."""
    return [
        KlpdSpec("D197", "Provinsi Kalimantan Barat", "PROVINSI", 97, plant=True,
                 nama_lpse="LPSE Provinsi Kalimantan Barat", url_lpse="https://lpse.kalbarprov.go.id/eproc4",
                 kota="Pontianak (Kota)", provinsi="Kalimantan Barat"),
        KlpdSpec("B201", "PDAM Tirta Khatulistiwa", "BUMD", 97, size=0.0006, host_kd_klpd="D197",
                 nama_lpse="LPSE Provinsi Kalimantan Barat", url_lpse="https://lpse.kalbarprov.go.id/eproc4",
                 kota="Pontianak (Kota)", provinsi="Kalimantan Barat"),
    ]


def national_klpds(n: int, size: float = 0.0006, n_pd: int = 12, plant: bool = False) -> list[KlpdSpec]:
    """`n` Pemda specs with distinct codes D001.. (D197 skipped) and distinct kd_lpse (97 skipped).

    Small `size` by default so that a benchmark can ask for hundreds of KLPD at a high `scale`.
    """
    out: list[KlpdSpec] = []
    code, lpse = 0, 0
    for i in range(n):
        code += 1
        if code == 197:
            code += 1
        lpse += 1
        if lpse == 97:
            lpse += 1
        kind = i % 10
        if kind == 0:
            prov = N.PROVINSI_NAMES[(i // 10) % len(N.PROVINSI_NAMES)]
            nama, jenis, kota = f"Provinsi {prov}", "PROVINSI", f"{prov} (Prov.)"
        elif kind < 8:
            kab = N.KABUPATEN_NAMES[i % len(N.KABUPATEN_NAMES)]
            nama, jenis, kota = f"Kab. {kab}", "KABUPATEN", f"{kab} (Kab.)"
            prov = N.PROVINSI_NAMES[i % len(N.PROVINSI_NAMES)]
        else:
            kt = N.KOTA_NAMES[i % len(N.KOTA_NAMES)]
            nama, jenis, kota = f"Kota {kt}", "KOTA", f"{kt} (Kota)"
            prov = N.PROVINSI_NAMES[i % len(N.PROVINSI_NAMES)]
        kd = f"D{code:03d}"
        if sum(1 for s in out if s.nama_klpd.startswith(nama)):
            nama = f"{nama} {i}"
        out.append(KlpdSpec(kd, nama, jenis, lpse, size=size, n_pd=n_pd, plant=plant,
                            nama_lpse=f"LPSE {nama}", url_lpse=f"https://spse.inaproc.id/{kd.lower()}",
                            kota=kota, provinsi=prov))
    return out


@dataclass
class Province:
    """Generated feeds: instansi, satker, rows per dataset (ISB shape) and the ground truth."""

    seed: int
    scale: float
    tahun: int
    klpds: list[KlpdSpec]
    satkers: list[dict]
    datasets: dict[str, list[dict]]
    ground_truth: dict
    # Datasets whose endpoint answers 404, per source system (the simulator honours it): by default
    # the INAPROC v1 paths that 404 in reality, so routing must fall back to ISB for them.
    unavailable: dict[str, list[str]] = field(default_factory=lambda: {"inaproc_v1": [], "isb": []})
    _index: dict = field(default_factory=dict, repr=False)

    @property
    def n_rows(self) -> int:
        return sum(len(v) for v in self.datasets.values())

    def klpd(self, kd_klpd: str) -> KlpdSpec:
        return next(k for k in self.klpds if k.kd_klpd == kd_klpd)

    def rows_for(self, dataset: str, kd_klpd: str | None = None, kd_lpse: int | None = None,
                 tahun: int | None = None) -> list[dict]:
        """Rows as one ISB call would return them: SPSE by kd_lpse (BUMD rows included), others by kd_klpd."""
        if dataset not in self.datasets:
            raise KeyError(f"unknown dataset {dataset!r}")
        if kd_lpse is not None and dataset not in SPSE_DATASETS:
            raise ValueError(f"{dataset} is filtered by kd_klpd, not kd_lpse")
        rows = self.datasets[dataset]
        if kd_lpse is not None:
            rows = self._lookup(dataset, "kd_lpse", int(kd_lpse))
        if kd_klpd is not None:
            rows = self._lookup(dataset, "kd_klpd", kd_klpd) if kd_lpse is None else \
                [r for r in rows if r.get("kd_klpd") == kd_klpd]
        if tahun is not None:
            key = "tahun" if dataset == "bela_toko_daring" else "tahun_anggaran"
            rows = [r for r in rows if r.get(key) in (tahun, None)] if tahun == self.tahun else \
                [r for r in rows if r.get(key) == tahun]
        return rows

    def _lookup(self, dataset: str, key: str, value) -> list[dict]:
        idx = self._index.get((dataset, key))
        if idx is None:
            idx = {}
            for row in self.datasets[dataset]:
                idx.setdefault(row.get(key), []).append(row)
            self._index[(dataset, key)] = idx
        return idx.get(value, [])

    def to_json(self, dataset: str, **filters) -> bytes:
        """ISB body: a bare JSON array, compact, UTF-8 (byte-identical for the same seed)."""
        return dumps(self.rows_for(dataset, **filters))

    def inaproc_rows(self, dataset: str, kd_klpd: str | None = None, kd_lpse: int | None = None,
                     tahun: int | None = None) -> list[dict]:
        """Rows in INAPROC v1 shape; for *_ekontrak_bapbast: the parent tender-ekontrak rows."""
        rows = self.rows_for(dataset, kd_klpd, kd_lpse, tahun)
        kontrak = None
        if dataset.endswith("_ekontrak_bapbast"):
            kontrak = self.rows_for(dataset.replace("_bapbast", "_kontrak"), kd_klpd, kd_lpse, tahun)
        return to_inaproc_v1(dataset, rows, kontrak_rows=kontrak)

    def sha256(self) -> str:
        """Digest over every dataset's JSON (and the ground truth) — the determinism check."""
        h = hashlib.sha256()
        for name in DATASETS:
            h.update(name.encode())
            h.update(dumps(self.datasets[name]))
        h.update(dumps(self.ground_truth))
        return h.hexdigest()


def dumps(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# ====================================================================================== generation
def generate(seed: int = 2025, scale: float = 1.0, tahun: int = 2025,
             klpds: list[KlpdSpec] | None = None, quirks: Quirks | bool = True) -> Province:
    """Generate every dataset for `klpds` (default: D197 + BUMD B201), deterministic for `seed`.

    `quirks` (default on): the real-feed defects of gen_quirks, recorded in
    ``ground_truth["partitions"]`` / ``["planted"]``; ``quirks=False`` gives the clean feeds, byte for
    byte those of the generator before quirks existed.
    """
    specs = list(klpds) if klpds is not None else default_klpds()
    qk = Quirks.of(quirks)
    id_rng = random.Random(f"{seed}:ids")
    ids = {
        "rup_penyedia": U.Seq(id_rng, 53_600_000, 9), "rup_swakelola": U.Seq(id_rng, 38_470_000, 9),
        "tender": U.Seq(id_rng, 10_002_500, 5, mult=1000), "nontender": U.Seq(id_rng, 10_040_000, 5, mult=1000),
        "pencatatan": U.Seq(id_rng, 10_168_000, 5, mult=1000), "pkt_dce": U.Seq(id_rng, 10_200_000, 5, mult=1000),
        "v5_paket": U.Seq(id_rng, 11_200_000, 40), "produk": U.Seq(id_rng, 76_400_000, 900),
        "bumd_rup": U.Seq(id_rng, 70_100_000, 9), "bela": U.Seq(id_rng, 4_397_000, 30),
        "satker": U.Seq(id_rng, 60_410, 3), "spse_agency": U.Seq(id_rng, 11_000, 400),
        "penyedia": U.Seq(id_rng, 81_000, 5000),
    }
    datasets = empty_rows(DATASETS)
    satkers: list[dict] = []
    gt = {"seed": seed, "scale": scale, "tahun": tahun, "snapshot_date": f"{tahun}-10-03",
          "thresholds": THRESHOLDS, "klpd": {}, "quirks": qk.as_dict(), "unavailable": qk.unavailable,
          "planted": {}, "partitions": {name: {} for name in DATASETS}}
    for spec in specs:
        if spec.jenis_klpd == "BUMD" and spec.host_kd_klpd:
            continue
        bumds = [b for b in specs if b.host_kd_klpd == spec.kd_klpd]
        rows, sats, truth, planted = _gen_pemda(spec, bumds, seed, scale, tahun, ids, qk)
        for name in DATASETS:
            datasets[name].extend(rows[name])
        satkers.extend(sats)
        if truth is not None:
            gt["klpd"][spec.kd_klpd] = truth
        if planted is not None:
            gt["planted"][spec.kd_klpd] = planted
        for kd in [spec.kd_klpd] + [b.kd_klpd for b in bumds]:
            for name, part in Q.measure_partitions(rows, kd, tahun).items():
                gt["partitions"][name][kd] = part
    return Province(seed, scale, tahun, specs, satkers, datasets, gt, unavailable=qk.unavailable)


def _ctx(spec: KlpdSpec, tahun: int, ids: dict, penyedia: list, lpse_of: KlpdSpec | None = None) -> KlpdCtx:
    host = lpse_of or spec
    return KlpdCtx(spec.kd_klpd, spec.nama_klpd, spec.jenis_klpd, host.kd_lpse,
                   host.nama_lpse or f"LPSE {host.nama_klpd}", host.url_lpse or "https://spse.inaproc.id/x",
                   host.kota or "Pontianak (Kota)", host.provinsi or "Kalimantan Barat", tahun, ids, penyedia,
                   event_date=f"{tahun}-10-03", snapshot=date(tahun, 10, 3))


def _satkers(spec: KlpdSpec, ids: dict, rng: random.Random) -> list[Satker]:
    pds = N.PD_PROVINSI if spec.n_pd is None else N.PD_PROVINSI[: spec.n_pd]
    out = []
    for code, nama, weight, blud in pds:
        roles = ROLES_D197.get(nama, ()) if spec.plant else ()
        out.append(Satker(
            spec.kd_klpd, spec.nama_klpd, spec.jenis_klpd, ids["satker"].next(), code, nama,
            f"{ids['spse_agency'].next()}{spec.kd_lpse:03d}",
            "Satker/OPD BLU/BLUD" if blud else "Satker/OPD Non-BLU/BLUD", nama not in N.SUBUNIT_NO_BUDGET,
            weight, roles, f"Jl. {U.ch(rng, N.PLACES_KALBAR)} No. {U.ri(rng, 1, 120)}"))
    return out


def _gen_pemda(spec: KlpdSpec, bumds: list[KlpdSpec], seed: int, scale: float, tahun: int,
               ids: dict, quirks: Quirks) -> tuple[dict, list[dict], dict | None, dict | None]:
    rng = random.Random(f"{seed}:{spec.kd_klpd}")
    n_total = BASE_PACKAGES * spec.size * scale
    penyedia = [U.company(rng, ids["penyedia"].next()) for _ in range(max(20, min(600, int(n_total / 25))))]
    ctx = _ctx(spec, tahun, ids, penyedia)
    sats = _satkers(spec, ids, rng)
    total_w = sum(s.weight for s in sats)
    rows = empty_rows(DATASETS)
    planted: dict[str, list] = {}
    violations: list[str] = []
    for sat in sats:
        n = max(1, round(n_total * sat.weight / total_w))
        for attempt in range(MAX_ATTEMPTS):
            g = PdGen(ctx, sat, random.Random(f"{seed}:{spec.kd_klpd}:{sat.kd_satker_str}:{attempt}"), DATASETS)
            g.run(n)
            if not spec.plant:
                break
            problems = _pd_problems(g.rows, spec.kd_klpd, sat)
            if not problems:
                break
        else:
            violations.extend(problems)
        for name in DATASETS:
            rows[name].extend(g.rows[name])
        for k, v in g.planted.items():
            planted.setdefault(k, []).extend(v)
    v6 = rows["ecat_paket_v6"]
    if spec.plant and v6 and not any(isinstance(r["jml_produk"], float) for r in v6):
        v6[len(v6) // 2]["jml_produk"] = 4876.85  # the one float quantity of the real feed, guaranteed
    _master_and_struktur(rows, sats, ctx, rng)
    _bela(rows, sats, ctx, rng)
    for b in bumds:
        planted.setdefault("bumd_kd_tender", []).extend(_bumd(rows, b, spec, seed, scale, tahun, ids, penyedia))
    quirk_record = None
    if quirks != Quirks.off():
        # own random stream: planting never shifts the clean rows of this or any other Pemda
        done = Q.plant_quirks(rows, spec.kd_klpd, quirks, random.Random(f"{seed}:{spec.kd_klpd}:quirks"),
                              {s.kd_satker_str for s in sats if "ekontrak" in s.roles})
        quirk_record = {"orphans": done.orphans, "orphan_kind": done.orphan_kind,
                        "same_key_different": done.same_key_different, "repeated_budget_lines": done.repeated_lines}
    truth = _truth(rows, spec, sats, planted, violations) if spec.plant else None
    return rows, [s.as_dict() for s in sats], truth, quirk_record


def _pd_problems(rows: dict, kd_klpd: str, sat: Satker) -> list[str]:
    """Threshold breaches of one PD (checked right after generating it, retried with a new sub-seed)."""
    m = measure_klpd(rows, kd_klpd, {sat.kd_satker: sat.kd_satker_str}).get(sat.kd_satker_str)
    if m is None:
        return [f"{sat.nama_satker}: no rows"]
    return _problems(m, sat.roles, sat.nama_satker)


def _problems(m: dict, roles: tuple[str, ...], nama: str) -> list[str]:
    t, out = THRESHOLDS, []
    ratio, pct = m["ep_ratio"], m["paid_pct"]
    if "epurchasing" in roles:
        if ratio is None or ratio >= t["ep_ratio_lagging_max"] or \
                len(m["delivered_not_closed"]) < t["ep_delivered_not_closed_lagging_min"]:
            out.append(f"{nama}: e-purchasing not lagging ({ratio})")
    elif (ratio is not None and ratio < t["ep_ratio_other_min"]) or m["delivered_not_closed"] \
            or m["v5_delivered_not_closed"]:
        out.append(f"{nama}: e-purchasing lagging by accident ({ratio})")
    if "penyerapan" in roles:
        if pct is None or pct >= t["paid_pct_lagging_max"]:
            out.append(f"{nama}: penyerapan not lagging ({pct})")
    elif pct is not None and pct < t["paid_pct_other_min"]:
        out.append(f"{nama}: penyerapan lagging by accident ({pct})")
    if "ekontrak" in roles:
        if len(m["missing_kontrak"]) < t["ekontrak_missing_lagging_min"]:
            out.append(f"{nama}: e-kontrak not lagging")
    elif m["missing_kontrak"]:
        out.append(f"{nama}: e-kontrak missing by accident")
    return out


def _master_and_struktur(rows: dict, sats: list[Satker], ctx: KlpdCtx, rng: random.Random) -> None:
    """RUP-MasterSatker and RUP-StrukturAnggaranPD; sub-units get the all-null structure row."""
    pagu: dict[str, int] = {}
    for name in ("rup_paket_penyedia", "rup_paket_swakelola"):
        for r in rows[name]:
            if r["status_aktif_rup"] and not r["status_delete_rup"]:
                pagu[r["kd_satker_str"]] = pagu.get(r["kd_satker_str"], 0) + r["pagu"]
    for s in sats:
        rows["rup_master_satker"].append({
            "kd_satker": s.kd_satker, "kd_satker_str": s.kd_satker_str, "nama_satker": s.nama_satker,
            "alamat": None, "telepon": None, "fax": None, "kodepos": None, "status_satker": "Aktif",
            "ket_satker": s.ket_satker, "jenis_satker": "SKPD", "kd_klpd": ctx.kd_klpd, "nama_klpd": ctx.nama_klpd,
            "jenis_klpd": ctx.jenis_klpd, "kode_eselon": None})
        row = {"tahun_anggaran": ctx.tahun, "kd_klpd": ctx.kd_klpd, "nama_klpd": ctx.nama_klpd,
               "kd_satker": s.kd_satker, "kd_satker_str": s.kd_satker_str, "nama_satker": s.nama_satker}
        if not s.has_budget:
            row["tahun_anggaran"] = None
            row.update(dict.fromkeys(("belanja_operasi", "belanja_modal", "belanja_btt", "belanja_non_pengadaan",
                                      "belanja_pengadaan", "total_belanja")))
        else:
            # announced RUP covers belanja pengadaan (SiRUP ratio ≥ 1) except in a planted "sirup" PD
            base = pagu.get(s.kd_satker_str, 0)
            pengadaan = int(base / rng.uniform(0.55, 0.7)) if "sirup" in s.roles else int(base * rng.uniform(0.97, 1.0))
            modal = int(pengadaan * rng.uniform(0.0, 0.4))
            btt = 0 if rng.random() < 0.95 else int(pengadaan * 0.01)
            operasi = pengadaan - modal - btt
            non = int(pengadaan * rng.uniform(0.05, 0.6))
            row.update({"belanja_operasi": operasi, "belanja_modal": modal, "belanja_btt": btt,
                        "belanja_non_pengadaan": non, "belanja_pengadaan": pengadaan, "total_belanja": pengadaan + non})
        rows["rup_struktur_anggaran"].append(row)


def _bela(rows: dict, sats: list[Satker], ctx: KlpdCtx, rng: random.Random) -> None:
    """A few toko daring transactions, only in PDs without a planted rule (they add to 'paid')."""
    healthy = [s for s in sats if not s.roles] or sats
    for i in range(U.ri(rng, 3, 6)):
        s = U.ch(rng, healthy)
        d = datetime(ctx.tahun, U.ri(rng, 2, 9), U.ri(rng, 1, 28), U.ri(rng, 8, 16), U.ri(rng, 0, 59),
                     U.ri(rng, 0, 59))
        rows["bela_toko_daring"].append({
            "tahun": ctx.tahun, "kd_klpd": ctx.kd_klpd, "nama_klpd": ctx.nama_klpd, "kd_satker": str(s.kd_satker),
            "nama_satker": s.nama_satker, "order_id": str(ctx.ids["bela"].next()), "order_desc": None,
            "valuasi": U.ri(rng, 5, 75) * 1_000_000 - (1 if rng.random() < 0.3 else 0), "kategori": None,
            "metode_bayar": "transfer", "tanggal_transaksi": U.f_dt(d), "marketplace": "mbiz market",
            "merchant_name": None, "jenis_transaksi": "bela", "kota_kab": ctx.kota, "provinsi": ctx.provinsi,
            "nama_pemesan": f"{U.ch(rng, N.FIRST_NAMES)} {U.ch(rng, N.LAST_NAMES)}", "status_verif": "verified",
            "sumber_data": "api_v3", "status_konfirmasi_ppmse": "selesai" if i < 2 else U.ch(rng, ["gagal", None]),
            "keterangan_ppmse": None})


def _bumd(rows: dict, b: KlpdSpec, host: KlpdSpec, seed: int, scale: float, tahun: int, ids: dict,
          penyedia: list) -> list[int]:
    """BUMD tenders inside the host LPSE feed; their kd_rup exist in no RUP feed."""
    rng = random.Random(f"{seed}:{b.kd_klpd}")
    ctx = _ctx(b, tahun, ids, penyedia, lpse_of=host)
    sat = Satker(b.kd_klpd, b.nama_klpd, "BUMD", ids["satker"].next(), "0.00.0.00.0.00.01.0000",
                 b.nama_klpd.upper(), f"{ids['spse_agency'].next()}{host.kd_lpse:03d}", "Satker/OPD Non-BLU/BLUD",
                 False, 1.0, (), "Jl. Imam Bonjol No. 1")
    g = PdGen(ctx, sat, rng, DATASETS)
    n = max(2, round(BASE_PACKAGES * b.size * scale))
    for i in range(n):
        kd_jenis = "2" if i % 2 == 0 else "1"
        pkg = {"kd_rup": ids["bumd_rup"].next(), "nama": g.title(kd_jenis), "pagu": U.round_pagu(rng, 800e6),
               "metode": "Tender", "kd_jenis": kd_jenis, "month": U.ri(rng, 2, 6), "sumber": "BUMD",
               "mak": "", "ppk": g.ppk[0], "aktif": True}
        g.tender([pkg], force_selesai=i == 0)
    for name in SPSE_DATASETS:
        rows[name].extend(g.rows[name])
    return [r["kd_tender"] for r in g.rows["spse_tender_pengumuman"]]


# ====================================================================================== measuring
def _d(v) -> Decimal:
    return Decimal(str(v)) if v is not None else Decimal(0)


def measure_klpd(rows: dict[str, list[dict]], kd_klpd: str, sirup_to_str: dict[int, str]) -> dict[str, dict]:
    """Reference computation of the ground-truth figures per kd_satker_str (definitions: module doc)."""
    acc: dict[str, dict] = {}

    def pd(k: str) -> dict:
        if k not in acc:
            acc[k] = {"pagu": Decimal(0), "committed": Decimal(0), "paid": Decimal(0), "v6_selesai": set(),
                      "v6_aktif": set(), "v5_selesai": set(), "v5_aktif": set(), "delivered_not_closed": [],
                      "v5_dnc": set(),
                      "selesai": {}, "kontrak": set()}
        return acc[k]

    def mine(name: str) -> list[dict]:
        # what a correct load keeps: copies collapsed, same-key rows that differ quarantined
        return Q.effective_rows(name, [r for r in rows.get(name, ()) if r.get("kd_klpd") == kd_klpd])

    for name in ("rup_paket_penyedia", "rup_paket_swakelola"):
        for r in mine(name):
            if r["status_aktif_rup"] is True and r["status_delete_rup"] is False and \
                    r["status_umumkan_rup"] == "Terumumkan":
                pd(r["kd_satker_str"])["pagu"] += r["pagu"]
    for r in mine("spse_tender_selesai_nilai"):
        pd(r["kd_satker"])["committed"] += _d(r["nilai_kontrak"])
    for r in mine("spse_nontender_selesai"):
        if r["status_nontender"] == "Selesai":
            v = next((r[k] for k in ("nilai_kontrak", "nilai_negosiasi", "nilai_terkoreksi", "nilai_penawaran")
                      if r[k] is not None), None)
            pd(r["kd_satker_str"])["committed"] += _d(v)
    aktif_pct = set()
    for r in mine("spse_pencatatan_nontender"):
        if r["status_nontender_pct"] == "Aktif":
            aktif_pct.add(r["kd_nontender_pct"])
            pd(r["kd_satker_str"])["committed"] += _d(r["total_realisasi"])
    for r in mine("spse_pencatatan_nontender_realisasi"):
        if r["kd_nontender_pct"] in aktif_pct:
            pd(r["kd_satker_str"])["paid"] += _d(r["nilai_realisasi"])
    for name in ("spse_tender_ekontrak_bapbast", "spse_nontender_ekontrak_bapbast"):
        for r in mine(name):
            pd(r["kd_satker_str"])["paid"] += _d(r["besar_pembayaran"])
    for r in mine("ecat_paket_v6"):
        p = pd(r["kd_satker_str"])
        if r["status_pkt"] != "CANCELLED":
            p["v6_aktif"].add(r["kd_paket"])
            p["committed"] += _d(r["total_harga"])
        if r["status_pkt"] in V6_SELESAI:
            p["v6_selesai"].add(r["kd_paket"])
            p["paid"] += _d(r["total_harga"])
        if r["status_pkt"] in ("ON_PROCESS", "ON_ADDENDUM") and r["status_pengiriman"] in \
                ("DELIVERED", "BUYER_CONFIRMED", "COMPLETED"):
            p["delivered_not_closed"].append(r["kd_paket"])
    for r in mine("ecat_paket_v5"):
        p = pd(sirup_to_str[r["satker_id"]])
        value = _d(r["total_harga"]) + _d(r["ongkos_kirim"])
        p["v5_aktif"].add(r["kd_paket"])
        p["committed"] += value
        if r["paket_status_str"] == "Paket Selesai":
            p["v5_selesai"].add(r["kd_paket"])
            p["paid"] += value
        elif r["paket_status_str"] == "Paket Proses" and r["status_paket"] == "melakukan_pengiriman_dan_penerimaan":
            p["v5_dnc"].add(r["kd_paket"])
    for r in mine("bela_toko_daring"):
        if r["status_verif"] == "verified":
            p = pd(sirup_to_str[int(r["kd_satker"])])
            p["committed"] += r["valuasi"]
            if r["status_konfirmasi_ppmse"] == "selesai":
                p["paid"] += r["valuasi"]
    for sumber, feed, key, status_key in (("tender", "spse_tender", "kd_tender", "status_tender"),
                                          ("nontender", "spse_nontender", "kd_nontender", "status_nontender")):
        for r in mine(f"{feed}_pengumuman"):
            if r[status_key] == "Selesai":
                pd(r["kd_satker_str"])["selesai"][(sumber, r[key])] = r["kd_rup"]
        for r in mine(f"{feed}_ekontrak_kontrak"):
            pd(r["kd_satker_str"])["kontrak"].add((sumber, r[key]))
    return {k: _finish(v) for k, v in acc.items()}


def _finish(p: dict) -> dict:
    pagu, committed, paid = p["pagu"], p["committed"], p["paid"]
    selesai = len(p["v6_selesai"]) + len(p["v5_selesai"])
    aktif = len(p["v6_aktif"]) + len(p["v5_aktif"])
    missing = [{"sumber": s, "kd_paket_spse": kd, "kd_rup": kd_rup}
               for (s, kd), kd_rup in sorted(p["selesai"].items()) if (s, kd) not in p["kontrak"]]
    return {
        "pagu": float(pagu), "committed": float(round(committed, 2)), "paid": float(round(paid, 2)),
        "committed_pct": float(committed / pagu) if pagu else None, "paid_pct": float(paid / pagu) if pagu else None,
        "ep_selesai": selesai, "ep_aktif": aktif, "ep_ratio": selesai / aktif if aktif else None,
        "delivered_not_closed": sorted(p["delivered_not_closed"]),
        "v5_delivered_not_closed": sorted(p["v5_dnc"]),
        "n_selesai": len(p["selesai"]), "n_kontrak": len(p["selesai"]) - len(missing), "missing_kontrak": missing,
    }


def _truth(rows: dict, spec: KlpdSpec, sats: list[Satker], planted: dict, violations: list[str]) -> dict:
    per_pd = measure_klpd(rows, spec.kd_klpd, {s.kd_satker: s.kd_satker_str for s in sats})
    names = {s.kd_satker_str: s for s in sats}
    for k, m in per_pd.items():
        violations.extend(_problems(m, names[k].roles, names[k].nama_satker))
    sel = sum(m["ep_selesai"] for m in per_pd.values())
    akt = sum(m["ep_aktif"] for m in per_pd.values())
    klpd_ratio = sel / akt if akt else None
    if klpd_ratio is None or klpd_ratio >= THRESHOLDS["ep_klpd_ratio_max"]:
        violations.append(f"KLPD e-purchasing ratio not below 0.5 ({klpd_ratio})")

    def entry(s: Satker, keys: tuple[str, ...]) -> dict:
        m = per_pd[s.kd_satker_str]
        return {"kd_satker_str": s.kd_satker_str, "nama_satker": s.nama_satker, "kd_satker": s.kd_satker,
                **{k: m[k] for k in keys}}

    lag = lambda role: [s for s in sats if role in s.roles]  # noqa: E731
    bp = {r["kd_satker_str"]: r["belanja_pengadaan"] for r in rows["rup_struktur_anggaran"]}
    for k, m in per_pd.items():
        m["belanja_pengadaan"] = bp.get(k)
        m["sirup_ratio"] = m["pagu"] / bp[k] if bp.get(k) else None
        if (m["sirup_ratio"] is not None and m["sirup_ratio"] < 1.0) != ("sirup" in names[k].roles):
            violations.append(f"{names[k].nama_satker}: SiRUP ratio {m['sirup_ratio']}")
    ep_keys = ("ep_selesai", "ep_aktif", "ep_ratio", "delivered_not_closed", "v5_delivered_not_closed")
    py_keys = ("pagu", "committed", "paid", "committed_pct", "paid_pct")
    ek_keys = ("n_selesai", "n_kontrak", "missing_kontrak")
    retender = planted.get("retender_kd_rup", [])
    return {
        "kd_klpd": spec.kd_klpd, "nama_klpd": spec.nama_klpd, "kd_lpse": spec.kd_lpse,
        "lagging_pds": [{"kd_satker_str": s.kd_satker_str, "nama_satker": s.nama_satker,
                         "rules": [r for r in s.roles if r != "consolidated"]}
                        for s in sats if set(s.roles) - {"consolidated"}],
        "epurchasing": {"klpd_selesai": sel, "klpd_aktif": akt, "klpd_ratio": klpd_ratio,
                        "lagging": [entry(s, ep_keys) for s in lag("epurchasing")]},
        "penyerapan": {"lagging": [dict(entry(s, py_keys), unpaid_kontrak=_unpaid(rows, spec.kd_klpd, s))
                                   for s in lag("penyerapan")]},
        "ekontrak": {"lagging": [entry(s, ek_keys) for s in lag("ekontrak")]},
        "sirup": {"lagging": [dict(entry(s, ("pagu",)), belanja_pengadaan=bp[s.kd_satker_str],
                                   ratio=per_pd[s.kd_satker_str]["pagu"] / bp[s.kd_satker_str]) for s in lag("sirup")]},
        "per_pd": {k: per_pd[k] for k in sorted(per_pd)},
        "quirks": {
            "retender_kd_rup": sorted(retender)[:50], "n_retender_kd_rup": len(retender),
            "consolidated_kd_rup": planted.get("consolidated", []),
            "bumd_kd_tender": planted.get("bumd_kd_tender", []),
            "double_input_kd_nontender_pct": planted.get("double_input", []),
            "v5_multiline_kd_paket": planted.get("v5_multiline", [])[:50],
            "float_qty_kd_paket": [r["kd_paket"] for r in rows["ecat_paket_v6"] if isinstance(r["jml_produk"], float)],
            "monthly_bapbast": planted.get("monthly_bapbast", [])[:50],
            "all_null_struktur_kd_satker_str": [s.kd_satker_str for s in sats if not s.has_budget],
        },
        "violations": violations,
    }


def _unpaid(rows: dict, kd_klpd: str, s: Satker) -> list[dict]:
    """Contracts of the PD (latest e-kontrak rows) without any BAPBAST payment row: the packages behind
    a low paid_pct (committed but not paid)."""
    out = []
    for sumber, key in (("tender", "kd_tender"), ("nontender", "kd_nontender")):
        paid = {r[key] for r in rows[f"spse_{sumber}_ekontrak_bapbast"]
                if r["kd_klpd"] == kd_klpd and r["kd_satker_str"] == s.kd_satker_str}
        seen = set()
        name = f"spse_{sumber}_ekontrak_kontrak"
        for r in Q.effective_rows(name, [r for r in rows[name] if r["kd_klpd"] == kd_klpd]):
            if r["kd_satker_str"] == s.kd_satker_str and r[key] not in paid and r[key] not in seen:
                seen.add(r[key])
                out.append({"sumber": sumber, "kd_paket_spse": r[key], "nama_paket": r["nama_paket"],
                            "nilai_kontrak": r["nilai_kontrak"]})
    return out


# ====================================================================================== INAPROC v1
V6_RENAME = {
    "kd_paket": "order_id", "tahun_anggaran": "fiscal_year", "kd_klpd": "kode_klpd", "kd_satker_str": "kode_satker",
    "kd_rup": "rup_code", "rup_nama_pkt": "rup_name", "status_pkt": "status", "status_pengiriman": "shipment_status",
    "jml_jenis_produk": "count_product", "jml_produk": "total_qty", "total_harga": "total", "ongkir": "shipping_fee",
    "sumber_dana": "funding_source", "tgl_order": "order_date", "kd_penyedia_v6": "kode_penyedia",
    "kd_penyedia_sikap": "rekan_id",
}
ZWSP = "\u200b"
BAPBAST_FIELDS = ("no_bast", "tgl_bast", "no_bap", "tgl_bap", "besar_pembayaran", "progres_pekerjaan",
                  "cara_pembayaran_kontrak", "jabatan_penandatangan_sk", "_event_date", "_inserted_date")


def _stable_pick(row: dict, mod: int) -> bool:
    """Deterministic per-row choice (no rng): crc32 of the row's JSON."""
    return zlib.crc32(dumps(row)) % mod == 0


def _ulid_time(ulid: str) -> datetime:
    ms = 0
    for ch in ulid[:10]:
        ms = ms * 32 + U.CROCKFORD.index(ch)
    return datetime(1970, 1, 1) + timedelta(milliseconds=ms)


def to_inaproc_v1(dataset: str, rows: list[dict], kontrak_rows: list[dict] | None = None) -> list[dict]:
    """Convert ISB-shaped rows to the INAPROC v1 shape of the same dataset.

    * ecat_paket_v6 → /v1/ekatalog/paket-e-purchasing: renamed fields (sources.md §3.19), ISO order_date.
    * rup_paket_penyedia → `uraian_pekerjaan` instead of the ISB typo `urarian_pekerjaan`.
    * spse_nontender_selesai → `kd_klpd`/`jenis_klpd` null on some rows (docs example; fill from request).
    * spse_{tender,nontender}_ekontrak_bapbast → /v1/tender/{tender,non-tender}-ekontrak: one parent row per
      contract (the latest addendum of `kontrak_rows`, or the payment rows' own contract fields) carrying
      nested `spmkspp_history_json`, `bapbast_history_json` and `penilaian_kinerja_penyedia` arrays.
    * every dataset: a zero-width space at the end of `nama_satker`/`nama_paket` on ~1 row in 9.
    Other datasets keep ISB field names (same names in v1 for RUP/SPSE).
    """
    if dataset.endswith("_ekontrak_bapbast"):
        out = _ekontrak_parents(dataset, rows, kontrak_rows)
    else:
        out = []
        for r in rows:
            r = dict(r)
            if dataset == "ecat_paket_v6":
                t = _ulid_time(r["kd_paket"])
                r = {V6_RENAME.get(k, k): v for k, v in r.items()}
                r["order_date"] = f"{r['order_date']}T{t:%H:%M:%S}.{t.microsecond // 10000:02d}Z"
            elif dataset == "rup_paket_penyedia":
                r = {("uraian_pekerjaan" if k == "urarian_pekerjaan" else k): v for k, v in r.items()}
            elif dataset == "spse_nontender_selesai" and _stable_pick(r, 5):
                r["kd_klpd"], r["jenis_klpd"] = None, None
            out.append(r)
    for r in out:
        if _stable_pick(r, 9):
            key = "nama_satker" if r.get("nama_satker") else ("nama_paket" if r.get("nama_paket") else None)
            if key:
                r[key] = r[key] + ZWSP
    return out


def _ekontrak_parents(dataset: str, bapbast: list[dict], kontrak: list[dict] | None) -> list[dict]:
    key = "kd_tender" if dataset.startswith("spse_tender") else "kd_nontender"
    history: dict[int, list[dict]] = {}
    for r in bapbast:
        history.setdefault(r[key], []).append({k: r.get(k) for k in BAPBAST_FIELDS})
    parents: dict[int, dict] = {}
    for r in kontrak or ():
        if r[key] not in parents or r["versi_addendum"] > parents[r[key]]["versi_addendum"]:
            parents[r[key]] = r
    for r in bapbast:
        if r[key] not in parents:
            parents[r[key]] = {k: v for k, v in r.items() if k not in BAPBAST_FIELDS}
    out = []
    for kd, p in parents.items():
        row = dict(p)
        start = (p.get("tgl_kontrak") or "")[:10]
        d0 = date.fromisoformat(start) if start else None
        end = (p.get("tgl_kontrak_akhir") or "")[:10]
        d1 = date.fromisoformat(end) if end else (d0 + timedelta(days=30) if d0 else None)
        row["spmkspp_history_json"] = [] if d0 is None else [{
            "no_spmk_spp": (p.get("no_kontrak") or "").replace("KTR", "SPMK"), "tgl_spmk_spp": p.get("tgl_kontrak"),
            "tgl_mulai_pekerjaan": U.f_java(d0), "tgl_selesai_pekerjaan": U.f_java(d1),
            "waktu_penyelesaian": f"{(d1 - d0).days} hari kalender" if kd % 2 else f"{(d1 - d0).days} Hari Kalender"}]
        row["bapbast_history_json"] = history.get(kd, [])
        row["penilaian_kinerja_penyedia"] = []
        out.append(row)
    return out
