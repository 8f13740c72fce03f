"""Rows of one Perangkat Daerah (PD): RUP packages and everything that follows from them.

One `PdGen` turns a PD and a package count into ISB-shaped rows for every dataset, following the
procurement chain a real PD goes through: RUP package → tender / non-tender / pencatatan /
e-purchasing → e-kontrak → BAPBAST payments. Field names, JSON types and date formats follow
shared/docs/sources.md §3 and Appendix A. `roles` switches on the deliberate lagging behaviour that
the ground truth records (see generator.py).
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from . import gen_util as U
from . import names as N

# RUP method codes: 8/9/13/15 are confirmed (sources.md §4.1); the others are unknown in the real
# data and invented here (the pipeline must derive categories from the label, not the code).
METHODS = {
    "Pengadaan Langsung": 8, "E-Purchasing": 9, "Tender": 13, "Seleksi": 15,
    "Penunjukan Langsung": 7, "Tender Cepat": 14, "Dikecualikan": 17,
}
METHOD_WEIGHTS = {
    "healthy": [("Pengadaan Langsung", 50), ("E-Purchasing", 27), ("Tender", 9), ("Seleksi", 4),
                ("Tender Cepat", 2), ("Penunjukan Langsung", 2), ("Dikecualikan", 6)],
    "epurchasing": [("Pengadaan Langsung", 25), ("E-Purchasing", 62), ("Tender", 6), ("Seleksi", 2),
                    ("Tender Cepat", 1), ("Penunjukan Langsung", 1), ("Dikecualikan", 3)],
    "penyerapan": [("Pengadaan Langsung", 45), ("E-Purchasing", 12), ("Tender", 25), ("Seleksi", 8),
                   ("Tender Cepat", 4), ("Penunjukan Langsung", 3), ("Dikecualikan", 3)],
}
PAGU_RANGE = {  # log-uniform bounds in rupiah
    "Tender": (400e6, 6e9), "Tender Cepat": (250e6, 2e9), "Seleksi": (150e6, 1.5e9),
    "Pengadaan Langsung": (5e6, 200e6), "Penunjukan Langsung": (50e6, 500e6),
    "E-Purchasing": (5e6, 600e6), "Dikecualikan": (10e6, 300e6), "swakelola": (2e6, 120e6),
}
JENIS = {"1": "Barang", "2": "Pekerjaan Konstruksi", "3": "Jasa Konsultansi", "4": "Jasa Lainnya"}
JENIS_BY_METHOD = {
    "Tender": [("2", 70), ("1", 20), ("4", 10)], "Tender Cepat": [("2", 60), ("1", 40)],
    "Seleksi": [("3", 100)], "Pengadaan Langsung": [("1", 40), ("4", 25), ("2", 20), ("3", 15)],
    "Penunjukan Langsung": [("4", 100)], "E-Purchasing": [("1", 85), ("4", 15)],
    "Dikecualikan": [("4", 60), ("1", 40)],
}
E_TENDER = ("Tender", "Seleksi", "Tender Cepat")
NON_TENDER = ("Pengadaan Langsung", "Penunjukan Langsung")

# v6 (status_pkt, status_pengiriman) mixes; see docs/actions.md for what each combination means.
V6_HEALTHY = [(("COMPLETED", "COMPLETED"), 15), (("PAYMENT_OUTSIDE_SYSTEM", "COMPLETED"), 55),
              (("ON_PROCESS", "DRAFT"), 12), (("ON_PROCESS", "PROCESSING"), 7), (("ON_PROCESS", "SHIPPING"), 4),
              (("ON_ADDENDUM", "PROCESSING"), 2), (("CANCELLED", "DRAFT"), 5)]
V6_LAGGING = [(("ON_PROCESS", "COMPLETED"), 44), (("ON_PROCESS", "DELIVERED"), 16),
              (("ON_PROCESS", "BUYER_CONFIRMED"), 12), (("ON_ADDENDUM", "DELIVERED"), 2),
              (("ON_PROCESS", "DRAFT"), 14), (("PAYMENT_OUTSIDE_SYSTEM", "COMPLETED"), 7),
              (("COMPLETED", "COMPLETED"), 3), (("CANCELLED", "DRAFT"), 2)]
DELIVERED = ("DELIVERED", "BUYER_CONFIRMED", "COMPLETED")


def pick(rng: random.Random, weighted: list) -> object:
    """Weighted choice without building big lists (random.choices allocates per call)."""
    total = sum(w for _, w in weighted)
    x = rng.random() * total
    for value, w in weighted:
        x -= w
        if x < 0:
            return value
    return weighted[-1][0]


def log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


@dataclass
class Satker:
    """One PD as seen by every source: SIRUP int id, SIPD code, SPSE agency id, e-katalog id."""

    kd_klpd: str
    nama_klpd: str
    jenis_klpd: str
    kd_satker: int
    kd_satker_str: str
    nama_satker: str
    spse_kd_satker: str
    ket_satker: str
    has_budget: bool
    weight: float
    roles: tuple[str, ...] = ()
    alamat: str = ""

    def as_dict(self) -> dict:
        return {
            "kd_klpd": self.kd_klpd, "kd_satker": self.kd_satker, "kd_satker_str": self.kd_satker_str,
            "nama_satker": self.nama_satker, "spse_kd_satker": self.spse_kd_satker,
            "ecat_satker_id": self.kd_satker, "ket_satker": self.ket_satker, "jenis_satker": "SKPD",
            "has_budget": self.has_budget, "roles": list(self.roles),
        }


@dataclass
class KlpdCtx:
    """What every PD of one KLPD shares: identity, LPSE, id sequences, penyedia pool, dates."""

    kd_klpd: str
    nama_klpd: str
    jenis_klpd: str
    kd_lpse: int
    nama_lpse: str
    url_lpse: str
    kota: str
    provinsi: str
    tahun: int
    ids: dict
    penyedia: list
    event_date: str = ""
    snapshot: date = field(default_factory=lambda: date(2025, 10, 3))


def empty_rows(datasets: tuple[str, ...]) -> dict[str, list[dict]]:
    return {name: [] for name in datasets}


class PdGen:
    """Generates the rows of one PD into `self.rows` (dataset name → list of ISB-shaped dicts)."""

    def __init__(self, ctx: KlpdCtx, sat: Satker, rng: random.Random, datasets: tuple[str, ...]):
        self.c, self.s, self.rng = ctx, sat, rng
        self.rows = empty_rows(datasets)
        self.roles = set(sat.roles)
        self.ppk = [U.person(rng) for _ in range(3)]
        self.pokja = [U.person(rng) for _ in range(5)]
        self.pp = [U.person(rng) for _ in range(2)]
        self.abbr = "".join(w[0] for w in sat.nama_satker.split() if w[0].isalpha())[:6]
        self.planted: dict[str, list] = {"retender_kd_rup": [], "consolidated": [], "double_input": [],
                                         "v5_multiline": [], "monthly_bapbast": []}

    # ------------------------------------------------------------------ identity blocks
    def rup_ident(self) -> dict:
        c, s = self.c, self.s
        return {"tahun_anggaran": c.tahun, "kd_klpd": c.kd_klpd, "nama_klpd": c.nama_klpd,
                "jenis_klpd": c.jenis_klpd, "kd_satker": s.kd_satker, "kd_satker_str": s.kd_satker_str,
                "nama_satker": s.nama_satker}

    def spse_ident(self) -> dict:
        c, s = self.c, self.s
        return {"tahun_anggaran": c.tahun, "kd_klpd": c.kd_klpd, "nama_klpd": c.nama_klpd,
                "jenis_klpd": c.jenis_klpd, "kd_satker": s.spse_kd_satker, "kd_satker_str": s.kd_satker_str,
                "nama_satker": s.nama_satker}

    def mak(self, modal: bool) -> str:
        head = self.s.kd_satker_str[:4]
        r = self.rng
        acct = "5.2.02.05.01.0005" if modal else f"5.1.02.0{U.ri(r, 1, 3)}.01.{U.ri(r, 1, 60):04d}"
        return f"{head}.{U.ri(r, 1, 12):02d}.2.{U.ri(r, 1, 9):02d}.{U.ri(r, 1, 30):04d}.{acct}."

    # ------------------------------------------------------------------ RUP
    def title(self, kd_jenis: str) -> str:
        r = self.rng
        places = N.PLACES_KALBAR
        if kd_jenis == "1":
            t = U.ch(r, N.TITLES_BARANG)
        elif kd_jenis == "2":
            t = U.ch(r, N.TITLES_KONSTRUKSI)
        elif kd_jenis == "3":
            t = U.ch(r, N.TITLES_KONSULTANSI)
        else:
            t = U.ch(r, N.TITLES_JASA)
        return t.format(u=self.s.nama_satker.title(), p=U.ch(r, places), q=U.ch(r, places), n=U.ri(r, 1, 12))

    def rup_penyedia(self, metode: str, *, konsolidasi: bool = False, aktif: bool = True) -> dict:
        """One announced penyedia package + its budget lines; returns the internal package record."""
        r, c = self.rng, self.c
        kd_jenis = pick(r, JENIS_BY_METHOD[metode])
        lo, hi = PAGU_RANGE[metode]
        if "penyerapan" in self.roles and metode == "E-Purchasing":
            lo, hi = 2e6, 15e6  # small e-purchasing so that completed orders barely move absorption
        pagu = U.round_pagu(r, log_uniform(r, lo, hi))
        nama = self.title(kd_jenis)
        kd_rup = c.ids["rup_penyedia"].next()
        month = U.ri(r, 1, 7) if metode in E_TENDER else U.ri(r, 1, 9)
        ppk = U.ch(r, self.ppk)
        buat = date(c.tahun - 1, 12, 1) + timedelta(days=U.ri(r, 0, 45))
        umum = U.at_time(r, buat + timedelta(days=U.ri(r, 1, 30)), 7, 22)
        end_month = min(12, month + U.ri(r, 1, 6))
        row = self.rup_ident()
        row.update({
            "kd_rup": kd_rup, "nama_paket": nama, "pagu": pagu, "kd_metode_pengadaan": METHODS[metode],
            "metode_pengadaan": metode, "kd_jenis_pengadaan": kd_jenis, "jenis_pengadaan": JENIS[kd_jenis],
            "status_pradipa": "PraDIPA" if r.random() < 0.15 else "Non-PraDIPA", "status_pdn": "PDN",
            "status_ukm": "UKM" if pagu < 15e9 else "Non-UKM", "alasan_non_ukm": None,
            "status_konsolidasi": "Konsolidasi" if konsolidasi else "Non-Konsolidasi", "tipe_paket": "Penyedia",
            "kd_rup_swakelola": None, "kd_rup_lokal": None,
            "volume_pekerjaan": U.ch(r, ["1 Paket", "1 Kegiatan", "12 Bulan", f"{U.ri(r, 2, 9000)} Buah",
                                          "1\tPaket"]),
            "urarian_pekerjaan": nama, "spesifikasi_pekerjaan": nama + (" Rp." if r.random() < 0.05 else ""),
            "tgl_awal_pemilihan": U.f_date(date(c.tahun, month, 1)),
            "tgl_akhir_pemilihan": U.f_date(date(c.tahun, min(12, month + 1), 1)),
            "tgl_awal_kontrak": U.f_date(date(c.tahun, min(12, month + 1), 1)),
            "tgl_akhir_kontrak": U.f_date(date(c.tahun, end_month, 1)),
            "tgl_awal_pemanfaatan": U.f_date(date(c.tahun, min(12, month + 1), 1)),
            "tgl_akhir_pemanfaatan": U.f_date(date(c.tahun, 12, 1)),
            "tgl_buat_paket": U.f_date(buat), "tgl_pengumuman_paket": U.f_dt(umum),
            "nip_ppk": ppk[0], "nama_ppk": ppk[1],
            "username_ppk": ppk[1].split(",")[0].lower().replace(" ", "_") + f"-{U.ri(r, 10, 99)}",
            "status_aktif_rup": aktif, "status_delete_rup": not aktif, "status_umumkan_rup": "Terumumkan",
            "status_dikecualikan": metode == "Dikecualikan",
            "alasan_dikecualikan": "Pengadaan yang diatur dengan ketentuan tersendiri" if metode == "Dikecualikan" else None,
            "tahun_pertama": None, "kode_rup_tahun_pertama": None, "nomor_kontrak": None,
            "spp_aspek_ekonomi": r.random() < 0.3, "spp_aspek_sosial": False, "spp_aspek_lingkungan": False,
            "_event_date": c.event_date,
        })
        self.rows["rup_paket_penyedia"].append(row)
        sumber = "BLUD" if self.s.ket_satker.endswith(" BLU/BLUD") and r.random() < 0.6 else \
            ("APBDP" if r.random() < 0.06 else "APBD")
        mak = self.anggaran_lines(kd_rup, pagu, sumber, "Terumumkan", modal=kd_jenis == "2")
        return {"kd_rup": kd_rup, "nama": nama, "pagu": pagu, "metode": metode, "kd_jenis": kd_jenis,
                "month": month, "sumber": sumber, "mak": mak, "ppk": ppk, "aktif": aktif}

    def anggaran_lines(self, kd_rup: int, pagu: int, sumber: str, umumkan: str, modal: bool) -> str:
        """1–3 budget lines per package whose pagu sums to the package pagu (§3.3 grain)."""
        r, c = self.rng, self.c
        n = 1 if r.random() < 0.6 else U.ri(r, 2, 3)
        cuts = sorted(U.ri(r, 1, max(1, pagu // 1000 - 1)) * 1000 for _ in range(n - 1))
        parts, prev = [], 0
        for cut in cuts + [pagu]:
            parts.append(cut - prev)
            prev = cut
        first_mak = ""
        for part in parts:
            mak = self.mak(modal)
            first_mak = first_mak or mak
            row = self.rup_ident()
            row.update({"kd_rup": kd_rup, "kd_rup_lokal": None, "kd_kegiatan": 13_000_000 + U.ri(r, 0, 99_999),
                        "kd_komponen": None, "kd_subkegiatan": 14_500_000 + U.ri(r, 0, 199_999),
                        "pagu": part, "mak": mak, "sumber_dana": sumber, "asal_dana": c.kd_klpd,
                        "tahun_anggaran_dana": c.tahun, "asal_dana_klpd": c.nama_klpd,
                        "asal_dana_satker": self.s.nama_satker, "status_aktif_rup": True,
                        "status_delete_rup": False, "status_umumkan_rup": umumkan, "_event_date": c.event_date})
            self.rows["rup_paket_anggaran_penyedia"].append(row)
        return first_mak

    def rup_swakelola(self) -> None:
        r, c = self.rng, self.c
        pagu = U.round_pagu(r, log_uniform(r, *PAGU_RANGE["swakelola"]))
        ppk = U.ch(r, self.ppk)
        buat = date(c.tahun - 1, 11, 15) + timedelta(days=U.ri(r, 0, 60))
        umum = U.at_time(r, buat + timedelta(days=U.ri(r, 1, 40)), 7, 22)
        m = U.ri(r, 1, 6)
        row = self.rup_ident()
        tipe = 1 if r.random() < 0.95 else U.ri(r, 2, 4)
        row.update({
            "kd_rup": c.ids["rup_swakelola"].next(), "nama_paket": U.ch(r, N.TITLES_SWAKELOLA), "pagu": pagu,
            "tipe_swakelola": tipe, "volume_pekerjaan": U.ch(r, ["1 Kegiatan", "3 Kegiatan", "12 Bulan"]),
            "uraian_pekerjaan": U.ch(r, N.TITLES_SWAKELOLA), "kd_klpd_penyelenggara": None if tipe == 1 else c.kd_klpd,
            "nama_klpd_penyelenggara": None if tipe == 1 else c.nama_klpd,
            "nama_satker_penyelenggara": None if tipe == 1 else self.s.nama_satker,
            "tgl_awal_pelaksanaan_kontrak": U.f_date(date(c.tahun, m, 1)),
            "tgl_akhir_pelaksanaan_kontrak": U.f_date(date(c.tahun, 12, 1)),
            "tgl_buat_paket": U.f_date(buat), "tgl_pengumuman_paket": U.f_dt(umum),
            "nip_ppk": ppk[0], "nama_ppk": ppk[1], "username_ppk": "", "kd_rup_lokal": None,
            "status_aktif_rup": True, "status_delete_rup": False, "status_umumkan_rup": "Terumumkan",
            "_event_date": c.event_date,
        })
        self.rows["rup_paket_swakelola"].append(row)

    def rup_terinisiasi(self) -> None:
        """A package drafted but not announced: only in the anggaran feed (status Terinisiasi)."""
        r = self.rng
        self.anggaran_lines(self.c.ids["rup_penyedia"].next(), U.round_pagu(r, log_uniform(r, 5e6, 200e6)),
                            "APBD", "Terinisiasi", modal=False)

    # ------------------------------------------------------------------ whole PD
    def run(self, n_packages: int) -> "PdGen":
        r = self.rng
        n_pen = max(1, round(n_packages * 0.66))
        n_swa = max(0, n_packages - n_pen)
        role = "epurchasing" if "epurchasing" in self.roles else \
            ("penyerapan" if "penyerapan" in self.roles else "healthy")
        pkgs = [self.rup_penyedia(pick(r, METHOD_WEIGHTS[role]), aktif=r.random() > 0.004) for _ in range(n_pen)]
        for _ in range(n_swa):
            self.rup_swakelola()
        for _ in range(max(1, n_packages // 60)):
            self.rup_terinisiasi()
        if "consolidated" in self.roles:
            trio = [self.rup_penyedia("Tender", konsolidasi=True) for _ in range(3)]
            self.tender(trio, force_selesai=True)
            self.planted["consolidated"].append([p["kd_rup"] for p in trio])
        pl_pending: list[dict] = []
        for p in pkgs:
            if not p["aktif"]:
                continue  # deleted/inactive RUP packages never reach SPSE or e-katalog
            m = p["metode"]
            if m in E_TENDER:
                self.tender([p])
            elif m in NON_TENDER:
                x = r.random()
                if x < 0.62:
                    self.nontender(p)
                elif x < 0.90:
                    pl_pending.append(p)
            elif m == "E-Purchasing":
                self.epurchasing(p)
        self.pencatatan_all(pl_pending)
        return self

    # ------------------------------------------------------------------ tender
    def tender(self, pkgs: list[dict], force_selesai: bool = False) -> None:
        r, c = self.rng, self.c
        statuses = ["Gagal/Batal"] if r.random() < 0.10 else []
        final = "Selesai" if force_selesai else pick(r, [("Selesai", 80), ("Berlangsung", 15), ("Gagal/Batal", 5)])
        statuses.append(final)
        if len(statuses) > 1:
            self.planted["retender_kd_rup"].append(pkgs[0]["kd_rup"])
        p0 = pkgs[0]
        pagu = sum(p["pagu"] for p in pkgs)
        kd_rup = ";".join(str(p["kd_rup"]) for p in pkgs)
        metode = p0["metode"]
        spse_jenis = self.spse_jenis(p0["kd_jenis"])
        start = date(c.tahun, p0["month"], 1) + timedelta(days=U.ri(r, 0, 20))
        for versi, status in enumerate(statuses, 1):
            kd_tender, kd_pkt = c.ids["tender"].next(), c.ids["pkt_dce"].next()
            buat = U.at_time(r, U.clamp(start + timedelta(days=40 * (versi - 1)), c.snapshot - timedelta(days=40)))
            kk = buat + timedelta(days=U.ri(r, 2, 12), hours=U.ri(r, 0, 3))
            umum = datetime(kk.year, kk.month, kk.day, 16, 0, 0)
            hps = U.money(r, pagu * r.uniform(0.97, 0.9999), 0.35)
            pokja = r.sample(self.pokja, 3)
            row = {"tahun_anggaran": c.tahun, "list_tahun_anggaran": str(c.tahun)}
            row.update(self.spse_ident())
            konsult = metode == "Seleksi"
            row.update({
                "kd_lpse": c.kd_lpse, "nama_lpse": c.nama_lpse, "kd_tender": kd_tender, "kd_pkt_dce": kd_pkt,
                "kd_rup": kd_rup, "nama_paket": p0["nama"], "pagu": pagu, "hps": hps, "sumber_dana": p0["sumber"],
                "kualifikasi_paket": None if r.random() < 0.05 else ("Menengah" if pagu > 2.5e9 else "Kecil"),
                "jenis_pengadaan": spse_jenis, "mtd_pemilihan": metode,
                "mtd_evaluasi": "Kualitas dan Biaya" if konsult else "Harga Terendah Sistem Gugur",
                "mtd_kualifikasi": "Pra Dua File Kualitas Biaya" if konsult else "Pasca Satu File",
                "kontrak_pembayaran": pick(r, [("Gabungan Lumsum dan Harga Satuan", 50), ("Lumsum", 40),
                                               ("Harga Satuan", 6), ("Waktu Penugasan", 4)]),
                "status_tender": status, "tanggal_status": U.f_date(c.snapshot - timedelta(days=1)),
                "versi_tender": versi,
                "ket_ditutup": U.ch(r, N.KET_DITUTUP) if status == "Gagal/Batal" else None, "ket_diulang": None,
                "tgl_buat_paket": U.f_dt(buat), "tgl_kolektif_kolegial": U.f_dt(kk),
                "tgl_pengumuman_tender": U.f_dt(umum), "nip_ppk": p0["ppk"][0], "nama_ppk": p0["ppk"][1],
                "nip_pokja": ";".join(x[0] for x in pokja), "nama_pokja": ";".join(x[1] for x in pokja),
                "lokasi_pekerjaan": f"Kecamatan {U.ch(r, N.PLACES_KALBAR)} - {c.kota} - {c.provinsi}",
                "url_lpse": c.url_lpse, "_event_date": c.event_date,
            })
            self.rows["spse_tender_pengumuman"].append(row)
            if status == "Selesai":
                penetapan = U.clamp(umum.date() + timedelta(days=U.ri(r, 20, 40)), c.snapshot - timedelta(days=25))
                nilai = U.money(r, float(hps) * r.uniform(0.82, 0.995), 0.3)
                comp = U.ch(r, c.penyedia)
                self.rows["spse_tender_selesai_nilai"].append(self.selesai_nilai_row(
                    kd_tender, kd_pkt, kd_rup, pagu, hps, nilai, umum.date(), penetapan, comp))
                missing = "ekontrak" in self.roles and r.random() < 0.5
                if not missing:
                    self.kontrak("tender", kd_tender, p0, nilai, penetapan + timedelta(days=U.ri(r, 5, 14)), comp)
            elif status == "Berlangsung" and r.random() < 0.4:
                self.rows["spse_tender_selesai_nilai"].append(self.selesai_nilai_row(
                    kd_tender, kd_pkt, kd_rup, pagu, hps, None, umum.date(), None, None))

    def selesai_nilai_row(self, kd_tender, kd_pkt, kd_rup, pagu, hps, nilai, umum: date, penetapan, comp) -> dict:
        c, r = self.c, self.rng
        row = {"tahun_anggaran": c.tahun, "kd_klpd": c.kd_klpd, "nama_klpd": c.nama_klpd,
               "jenis_klpd": c.jenis_klpd, "kd_satker": self.s.kd_satker_str, "nama_satker": self.s.nama_satker,
               "kd_lpse": c.kd_lpse, "kd_tender": kd_tender, "kd_paket": kd_pkt, "kd_rup_paket": kd_rup,
               "pagu": pagu, "hps": hps}
        if nilai is None:
            row.update({"nilai_penawaran": None, "nilai_terkoreksi": None, "nilai_negosiasi": None,
                        "nilai_kontrak": None, "tgl_pengumuman_tender": U.f_date(umum),
                        "tgl_penetapan_pemenang": U.f_date(umum + timedelta(days=30)), "kd_penyedia": None,
                        "nama_penyedia": None, "npwp_penyedia": None, "npwp_16_penyedia": None,
                        "nilai_pdn_kontrak": None, "nilai_umk_kontrak": None, "_event_date": c.event_date})
            return row
        pdn = nilai if r.random() < 0.5 else None
        row.update({"nilai_penawaran": nilai, "nilai_terkoreksi": nilai, "nilai_negosiasi": nilai,
                    "nilai_kontrak": nilai, "tgl_pengumuman_tender": U.f_date(umum),
                    "tgl_penetapan_pemenang": U.f_date(penetapan), "kd_penyedia": comp["kd_penyedia"],
                    "nama_penyedia": comp["nama_penyedia"], "npwp_penyedia": comp["npwp"],
                    "npwp_16_penyedia": comp["npwp16"], "nilai_pdn_kontrak": pdn, "nilai_umk_kontrak": pdn,
                    "_event_date": c.event_date})
        return row

    def spse_jenis(self, kd_jenis: str) -> str:
        if kd_jenis == "1":
            return "Pengadaan Barang"
        if kd_jenis == "2":
            return "Pekerjaan Konstruksi"
        if kd_jenis == "4":
            return "Jasa Lainnya"
        return pick(self.rng, [("Jasa Konsultansi Badan Usaha Konstruksi", 55),
                               ("Jasa Konsultansi Badan Usaha Non Konstruksi", 30),
                               ("Jasa Konsultansi Perorangan Konstruksi", 9),
                               ("Jasa Konsultansi Perorangan Non Konstruksi", 6)])

    # ------------------------------------------------------------------ e-kontrak + BAPBAST
    def kontrak(self, sumber: str, kd: int, p: dict, nilai, tgl: date, comp: dict) -> None:
        """Contract row (+ rare addendum version) and its BAPBAST payment rows."""
        r, c = self.rng, self.c
        tgl = U.clamp(tgl, c.snapshot - timedelta(days=10))
        kd_field = "kd_tender" if sumber == "tender" else "kd_nontender"
        konstruksi = p["kd_jenis"] == "2"
        dur = U.ri(r, 75, 150) if konstruksi else U.ri(r, 20, 90)
        cara = pick(r, [("Sekaligus", 60), ("Termin", 20 if konstruksi else 10), ("Bulanan", 5 if konstruksi else 30)])
        if cara == "Bulanan":
            dur = (date(c.tahun, 12, 31) - tgl).days
        end = tgl + timedelta(days=dur)
        payments = self.payments(cara, float(nilai), tgl, end)
        if "penyerapan" in self.roles and r.random() < 0.9:
            payments = []  # work done or running, but nothing paid (committed ≫ paid)
        paid = sum(a for _, a, _ in payments)
        selesai = end <= c.snapshot and paid >= float(nilai) - 1
        status = "Kontrak Selesai" if selesai else "Kontrak Sedang Berjalan"
        ppk = p["ppk"]
        no = U.ri(r, 1, 3000)
        base = self.spse_ident()
        base.update({"alamat_satker": self.s.alamat, "kd_lpse": c.kd_lpse, kd_field: kd, "nama_paket": p["nama"]})
        if sumber == "nontender":
            base["mtd_pengadaan"] = p["metode"]
        penetapan = U.f_iso_ms(U.at_time(r, min(end, c.snapshot)), U.ri(r, 0, 999)) if selesai else None
        status_block = {"status_kontrak": status, "tgl_penetapan_status_kontrak": penetapan,
                        "alasan_penetapan_status_kontrak": None}
        k = dict(base)
        k.update({
            "lingkup_pekerjaan": f"<p>{p['nama']}\r\n</p><p><br></p>" if sumber == "tender" or r.random() < 0.01 else None,
            "no_sppbj": f"000.3.2/{no:04d}/SPPBJ/{self.abbr}/{c.tahun}",
            "no_kontrak": f"000.3.2/{no + 1:04d}/KTR/{self.abbr}/{c.tahun}",
            "tgl_kontrak": U.f_iso_day(tgl),
            "tgl_kontrak_awal": U.f_iso_day(tgl) if sumber == "tender" else None,
            "tgl_kontrak_akhir": U.f_iso_day(end) if sumber == "tender" else None,
            "kota_kontrak": c.kota.split(" (")[0] if r.random() < 0.9 else c.kota.split(" (")[0].upper(),
            "nip_ppk": ppk[0], "nama_ppk": ppk[1], "jabatan_ppk": "Pejabat Pembuat Komitmen",
            "no_sk_ppk": f"800/{U.ri(r, 1, 999):03d}/{self.abbr}",
        })
        if sumber == "tender":
            k["kd_penyedia"] = comp["kd_penyedia"]
        npwp16_key = "npwp_16_penyedia" if sumber == "tender" else "npwp16_penyedia"
        k.update({
            "nama_penyedia": comp["nama_penyedia"], "npwp_penyedia": comp["npwp"], npwp16_key: comp["npwp16"],
            "bentuk_usaha_penyedia": comp["bentuk"],
            "tipe_penyedia": "Penyedia Badan Usaha Non KSO" if sumber == "tender" else None, "anggota_kso": None,
            "wakil_sah_penyedia": comp["wakil"], "jabatan_wakil_penyedia": comp["jabatan"],
            "nama_rek_bank": comp["bank"], "no_rek_bank": comp["rek"],
            "nama_pemilik_rek_bank": comp["nama_penyedia"] if sumber == "tender" else None,
            "nilai_kontrak": nilai, "alasan_ubah_nilai_kontrak": "" if r.random() < 0.9 else "Pembulatan",
            "alasan_nilai_kontrak_10_persen": None, "nilai_pdn_kontrak": nilai, "nilai_umk_kontrak": nilai,
            "jenis_kontrak": pick(r, [("Lumsum", 70), ("Gabungan Lumsum dan Harga Satuan", 25),
                                      ("Harga Satuan", 3), ("Waktu Penugasan", 2)]),
            "informasi_lainnya": "" if sumber == "tender" else None,
        })
        k.update(status_block)
        k.update({"apakah_addendum": "Tidak", "versi_addendum": 0, "alasan_addendum": None})
        self.rows[f"spse_{sumber}_ekontrak_kontrak"].append(k)
        if r.random() < 0.02:
            k2 = dict(k)
            k2.update({"apakah_addendum": "Ya", "versi_addendum": 1,
                       "alasan_addendum": "Perlu penambahan waktu pelaksanaan pekerjaan"})
            self.rows[f"spse_{sumber}_ekontrak_kontrak"].append(k2)
        if len(payments) > 3 and cara == "Bulanan":
            self.planted["monthly_bapbast"].append(kd)
        for i, (d, amount, progres) in enumerate(payments, 1):
            b = dict(base)
            b.update({
                "lingkup_pekerjaan": None, "no_sppbj": k["no_sppbj"], "no_kontrak": k["no_kontrak"],
                "tgl_kontrak": k["tgl_kontrak"], "nilai_kontrak": nilai, "nip_ppk": ppk[0], "nama_ppk": ppk[1],
                "jabatan_ppk": "Pejabat Pembuat Komitmen", "no_sk_ppk": k["no_sk_ppk"],
                "jabatan_penandatangan_sk": "Kepala " + self.s.nama_satker.title(),
                "nama_penyedia": comp["nama_penyedia"], "alamat_penyedia": comp["alamat"],
                "npwp_penyedia": comp["npwp"], "npwp_16_penyedia": comp["npwp16"], "wakil_sah_penyedia": None,
                "jabatan_wakil_penyedia": comp["jabatan"].upper(),
                "no_bast": f"000.3.2/{no + 1 + i:04d}/BAST/{self.abbr}/{c.tahun}",
                "tgl_bast": U.f_iso_day(d) if r.random() > 0.003 else None,
                "no_bap": f"000.3.2/{no + 1 + i:04d}/BAP/{self.abbr}/{c.tahun}" if r.random() > 0.05 else "-",
                "tgl_bap": U.f_iso_day(d), "besar_pembayaran": amount, "progres_pekerjaan": progres,
                "cara_pembayaran_kontrak": cara,
            })
            b.update(status_block)
            b.update({"apakah_addendum": "Tidak", "versi_addendum": 0, "alasan_addendum": None,
                      "_event_date": U.ch(r, [f"{c.tahun}-09-01", f"{c.tahun}-09-02", f"{c.tahun}-09-16"]),
                      "_inserted_date": None})
            self.rows[f"spse_{sumber}_ekontrak_bapbast"].append(b)

    def payments(self, cara: str, nilai: float, start: date, end: date) -> list[tuple[date, int | float, object]]:
        """Payment schedule up to the snapshot: one, termin, or monthly (many rows per package)."""
        r, snap = self.rng, self.c.snapshot
        out: list = []
        if cara == "Sekaligus":
            d = end + timedelta(days=U.ri(r, 2, 15))
            if d <= snap:
                out.append((d, nilai, 100))
        elif cara == "Termin":
            n = U.ri(r, 2, 4)
            for i in range(1, n + 1):
                d = start + timedelta(days=(end - start).days * i // n + U.ri(r, 1, 7))
                if d <= snap:
                    out.append((d, nilai / n, round(100 * i / n, 2)))
        else:
            months = 12 - start.month + 1
            for i in range(months):
                m = start.month + i
                d = date(start.year, m, 28)
                if d <= snap:
                    out.append((d, nilai / months, None if r.random() < 0.4 else round(100 * (i + 1) / months)))
        return [(d, int(a) if float(a).is_integer() else round(a, 2), p) for d, a, p in out]

    # ------------------------------------------------------------------ non-tender
    def nontender(self, p: dict) -> None:
        r, c = self.rng, self.c
        statuses = ["Gagal/Batal"] if r.random() < 0.08 else []
        final = pick(r, [("Selesai", 76), ("Berlangsung", 19), ("-", 2), ("Gagal/Batal", 3)])
        statuses.append(final)
        if len(statuses) > 1:
            self.planted["retender_kd_rup"].append(p["kd_rup"])
        start = date(c.tahun, p["month"], 1) + timedelta(days=U.ri(r, 0, 25))
        spse_jenis = self.spse_jenis(p["kd_jenis"])
        pp = U.ch(r, self.pp)
        for versi, status in enumerate(statuses, 1):
            kd, kd_pkt = c.ids["nontender"].next(), c.ids["pkt_dce"].next()
            buat = U.at_time(r, U.clamp(start + timedelta(days=20 * (versi - 1)), c.snapshot - timedelta(days=30)))
            kk = buat + timedelta(days=U.ri(r, 1, 10), hours=U.ri(r, 0, 4))
            umum = datetime(kk.year, kk.month, kk.day, U.ch(r, [8, 10, 14, 16]), 0, 0)
            hps = U.money(r, p["pagu"] * r.uniform(0.97, 0.9999), 0.3)
            row = self.spse_ident()
            row.update({
                "lls_id": kd, "kd_lpse": c.kd_lpse, "nama_lpse": c.nama_lpse, "kd_nontender": kd,
                "kd_pkt_dce": kd_pkt, "kd_rup": str(p["kd_rup"]), "nama_paket": p["nama"], "pagu": p["pagu"],
                "hps": hps, "sumber_dana": p["sumber"], "mak": p["mak"], "kualifikasi_paket": "Kecil",
                "jenis_pengadaan": spse_jenis, "mtd_pemilihan": p["metode"],
                "kontrak_pembayaran": pick(r, [("Lumsum", 55), ("Gabungan Lumsum dan Harga Satuan", 37),
                                               ("Harga Satuan", 7), ("Waktu Penugasan", 1)]),
                "status_nontender": status, "versi_nontender": versi, "ket_diulang": None,
                "ket_ditutup": U.ch(r, N.KET_DITUTUP) if status == "Gagal/Batal" else (None if r.random() < 0.85 else ""),
                "tgl_buat_paket": U.f_dt(buat), "tgl_kolektif_kolegial": U.f_dt(kk),
                "tgl_pengumuman_nontender": None if status == "-" else U.f_dt_z6(umum),
                "nip_nama_ppk": None if r.random() < 0.1 else f"{p['ppk'][0]} - {p['ppk'][1]}",
                "nip_nama_pokja": None, "nip_nama_pp": f"{pp[0]} - {pp[1]}", "url_lpse": c.url_lpse,
                "repeat_order": "Tidak",
            })
            self.rows["spse_nontender_pengumuman"].append(row)
            if status not in ("Selesai", "Berlangsung") or (status == "Berlangsung" and r.random() < 0.5):
                continue
            selesai_dt = U.clamp(umum.date() + timedelta(days=U.ri(r, 5, 20)), c.snapshot - timedelta(days=12))
            nilai = U.money(r, float(hps) * r.uniform(0.9, 0.999), 0.15)
            comp = U.ch(r, c.penyedia)
            has_kontrak_val = status == "Selesai" and r.random() < 0.6
            s = {"tahun_anggaran": c.tahun, "lpse_id": c.kd_lpse}
            s.update(self.spse_ident())
            s.update({
                "kd_lpse": c.kd_lpse, "nama_lpse": c.nama_lpse, "kd_nontender": kd, "kd_pkt_dce": kd_pkt,
                "kd_rup": str(p["kd_rup"]), "nama_paket": p["nama"], "pagu": p["pagu"], "hps": hps,
                "nilai_penawaran": nilai if status == "Selesai" or r.random() < 0.7 else None,
                "nilai_terkoreksi": nilai if status == "Selesai" else None,
                "nilai_negosiasi": nilai if status == "Selesai" else None,
                "nilai_kontrak": nilai if has_kontrak_val else None,
                "nilai_pdn_kontrak": nilai if has_kontrak_val else None,
                "nilai_umk_kontrak": nilai if has_kontrak_val else None,
                "sumber_dana": p["sumber"], "mak": p["mak"], "kualifikasi_paket": "Kecil",
                "jenis_pengadaan": spse_jenis, "mtd_pemilihan": p["metode"], "kontrak_pembayaran": row["kontrak_pembayaran"],
                "status_nontender": status, "tgl_pengumuman_nontender": U.f_dt(umum),
                "tgl_selesai_nontender": U.f_dt(U.at_time(r, selesai_dt)), "kd_penyedia": comp["kd_penyedia"],
                "nama_penyedia": comp["nama_penyedia"], "npwp_penyedia": comp["npwp"],
                "npwp16_penyedia": comp["npwp16"], "url_lpse": c.url_lpse, "tgl_penarikan": c.event_date,
            })
            self.rows["spse_nontender_selesai"].append(s)
            if status == "Selesai" and not ("ekontrak" in self.roles and r.random() < 0.5):
                self.kontrak("nontender", kd, p, nilai, selesai_dt + timedelta(days=U.ri(r, 1, 10)), comp)

    # ------------------------------------------------------------------ pencatatan non-tender
    def pencatatan_all(self, pkgs: list[dict]) -> None:
        r = self.rng
        i = 0
        while i < len(pkgs):
            if i + 1 < len(pkgs) and r.random() < 0.05:
                self.pencatatan([pkgs[i], pkgs[i + 1]])  # one record covering two RUP packages ("a;b")
                i += 2
            else:
                self.pencatatan([pkgs[i]])
                i += 1

    def pencatatan(self, pkgs: list[dict]) -> None:
        r = self.rng
        p0 = pkgs[0]
        pagu = sum(p["pagu"] for p in pkgs)
        kd_rup = ";".join(str(p["kd_rup"]) for p in pkgs)
        if r.random() < 0.08:  # the "double input": a cancelled twin of the same purchase
            self.pencatatan_header(p0, kd_rup, pagu, "Ditutup", "Paket Dibatalkan", [], U.ch(r, N.PENCATATAN_ALASAN))
        ket = "Paket Selesai" if r.random() < 0.68 else "Paket Sedang Berjalan"
        if ket == "Paket Selesai":
            n = 1 if r.random() < 0.7 else U.ri(r, 2, 3)
            total = pagu * r.uniform(0.9, 1.0)
        else:
            n = U.ch(r, [0, 0, 1]) if "penyerapan" not in self.roles else 0
            total = pagu * r.uniform(0.2, 0.6)
        lines = [int(total / n) for _ in range(n)] if n else []
        self.pencatatan_header(p0, kd_rup, pagu, "Aktif", ket, lines, None)

    def pencatatan_header(self, p, kd_rup, pagu, status, ket, lines, alasan) -> None:
        r, c = self.rng, self.c
        kd, kd_pkt = c.ids["pencatatan"].next(), c.ids["pkt_dce"].next()
        buat = U.at_time(r, date(c.tahun, p["month"], 1) + timedelta(days=U.ri(r, 0, 27)))
        mulai = buat + timedelta(minutes=U.ri(r, 3, 40))
        selesai = date(c.tahun, 12, 31) if ket != "Paket Selesai" else (buat.date() - timedelta(days=U.ri(r, 0, 15))
                                                                         if r.random() < 0.2 else buat.date() + timedelta(days=U.ri(r, 0, 30)))
        total = sum(lines) if lines else None
        pad = " " * U.ri(r, 0, 20) if r.random() < 0.2 else ""
        row = self.spse_ident()
        row.update({
            "kd_lpse": c.kd_lpse, "kd_nontender_pct": kd, "kd_pkt_dce": kd_pkt, "kd_rup": kd_rup,
            "nama_paket": p["nama"], "pagu": pagu, "total_realisasi": total,
            "nilai_pdn_pct": total if total is not None else 0, "nilai_umk_pct": total if total is not None else 0,
            "sumber_dana": p["sumber"] if r.random() < 0.95 else "APBD;APBDP",
            "uraian_pekerjaan": f"{pad}<p>{p['nama']}\r\n</p><p> Sesuai kebutuhan {self.s.nama_satker.title()}</p>",
            "informasi_lainnya": None, "kategori_pengadaan": self.spse_jenis(p["kd_jenis"]),
            "mtd_pemilihan": p["metode"], "bukti_pembayaran": "NonSPK",
            "status_nontender_pct": status, "status_nontender_pct_ket": ket, "alasan_pembatalan": alasan,
            "nip_ppk": p["ppk"][0], "nama_ppk": p["ppk"][1],
            "tgl_buat_paket": U.f_iso_ms(buat, U.ri(r, 0, 999)), "tgl_mulai_paket": U.f_dt(mulai),
            "tgl_selesai_paket": U.f_date(U.clamp(selesai, date(c.tahun, 12, 31))) + " 00:00:00",
            "_event_date": c.event_date,
        })
        self.rows["spse_pencatatan_nontender"].append(row)
        if status == "Ditutup":
            self.planted["double_input"].append(kd)
        for j, nilai in enumerate(lines, 1):
            d = U.clamp(buat.date() + timedelta(days=U.ri(r, 0, 25)), c.snapshot - timedelta(days=3))
            jenis = pick(r, [("Kwitansi", 50), ("Bukti Pembelian", 20), ("Surat Perjanjian", 15),
                             ("Dokumen Lainnya", 9), ("Surat Pesanan", 6)])
            comp = U.ch(r, c.penyedia) if r.random() < 0.72 else None
            rr = self.spse_ident()
            rr.update({
                "kd_lpse": c.kd_lpse, "nama_lpse": c.nama_lpse, "kd_nontender_pct": kd, "kd_paket_dce": kd_pkt,
                "kd_rup_paket": kd_rup, "nama_paket": p["nama"], "pagu": pagu, "jenis_realisasi": jenis,
                # a blank receipt number (real quirk) only on a package's first line, so that two
                # equal instalments on one day stay distinguishable by their number
                "no_realisasi": f"BKU_{U.ri(r, 1, 400):03d}" if r.random() < 0.8 or j > 1 else "",
                "tgl_realisasi": U.f_iso_day(d), "nilai_realisasi": nilai,
                "dok_realisasi": None if r.random() < 0.9 else "Bukti Pembayaran",
                "ket_realisasi": f"Pembayaran {p['nama'][:40]}",
                "nama_penyedia": comp["nama_penyedia"] if comp else None, "npwp_penyedia": comp["npwp"] if comp else None,
                "nip_ppk": p["ppk"][0], "nama_ppk": p["ppk"][1], "_event_date": c.event_date,
            })
            self.rows["spse_pencatatan_nontender_realisasi"].append(rr)

    # ------------------------------------------------------------------ e-purchasing
    def epurchasing(self, p: dict) -> None:
        r = self.rng
        lag = "epurchasing" in self.roles
        n = U.ri(r, 1, 4) if lag else pick(r, [(1, 70), (2, 22), (3, 8)])
        budget = p["pagu"] * r.uniform(0.6, 0.98)
        for _ in range(n):
            value = budget / n
            if r.random() < 0.15:
                self.v5_order(p, value, lag)
            else:
                self.v6_order(p, value, lag)

    def v6_order(self, p: dict, value: float, lag: bool) -> None:
        r, c = self.rng, self.c
        status_pkt, kirim = pick(r, V6_LAGGING if lag else V6_HEALTHY)
        d = date(c.tahun, p["month"], 1) + timedelta(days=U.ri(r, 0, 27))
        d = U.clamp(d, c.snapshot - timedelta(days=2))
        comp = U.ch(r, c.penyedia)
        if comp["kd_penyedia_v6"] is None:
            comp["kd_penyedia_v6"] = U.ulid(r, datetime(c.tahun - 1, 1, 1) + timedelta(days=U.ri(r, 0, 700)))
        n_jenis = pick(r, [(1, 55), (2, 20), (3, 10), (5, 8), (9, 5), (10, 2)])
        ongkir = 0 if r.random() < 0.7 else U.ri(r, 50, 6000) * 1000
        qty = U.ri(r, 1, 300) * n_jenis
        if r.random() < 0.002:
            qty = 4876.85  # the one float jml_produk seen in the real feed
        row = {
            "tahun_anggaran": c.tahun, "jenis_instansi": c.jenis_klpd, "nama_instansi": c.nama_klpd,
            "nama_satker": self.s.nama_satker, "kd_klpd": c.kd_klpd, "kd_satker_str": self.s.kd_satker_str,
            "kd_paket": U.ulid(r, U.at_time(r, d, 7, 21)), "kd_rup": str(p["kd_rup"]), "rup_nama_pkt": p["nama"],
            "product_ids": ",".join(U.uuid4_like(r) for _ in range(min(n_jenis, 4))),
            "sumber_dana": p["sumber"] if r.random() < 0.99 else "APBD,APBDP",
            "mak": p["mak"].rstrip(".") + ".1.1.2.01.03.00.020.0002",
            "kd_penyedia_v6": comp["kd_penyedia_v6"], "kd_penyedia_sikap": comp["kd_penyedia_sikap"],
            "jml_jenis_produk": n_jenis, "jml_produk": qty, "ongkir": ongkir,
            "total_harga": max(10_000, int(value)), "tgl_order": U.f_date(d),
            "status_pkt": status_pkt, "status_pengiriman": kirim,
        }
        self.rows["ecat_paket_v6"].append(row)

    def v5_order(self, p: dict, value: float, lag: bool) -> None:
        r, c = self.rng, self.c
        kd_paket = c.ids["v5_paket"].next()
        selesai = r.random() < (0.05 if lag else 0.75)
        n_lines = 1 if r.random() < 0.5 else U.ri(r, 2, 6)
        d = U.clamp(date(c.tahun, p["month"], 1) + timedelta(days=U.ri(r, 0, 27)), c.snapshot - timedelta(days=5))
        comp = U.ch(r, c.penyedia)
        komoditas = U.ri(r, 80_000, 90_000)
        ongkir_total = 0.0 if r.random() < 0.8 else float(U.ri(r, 1, 50) * 10_000)
        if n_lines > 1:
            self.planted["v5_multiline"].append(kd_paket)
        for i in range(n_lines):
            qty = float(U.ri(r, 1, 24))
            harga = float(max(1000, int(value / n_lines / qty) // 100 * 100))
            self.rows["ecat_paket_v5"].append({
                "tahun_anggaran": c.tahun, "kd_klpd": c.kd_klpd, "satker_id": self.s.kd_satker, "nama_satker": None,
                "alamat_satker": self.s.alamat, "npwp_satker": U.npwp(r)[1][1:],
                "kd_paket": kd_paket, "no_paket": f"SRM-P{(c.tahun - 1) % 100:02d}12-{kd_paket}", "nama_paket": p["nama"],
                "kd_rup": p["kd_rup"], "nama_sumber_dana": p["sumber"], "kode_anggaran": p["mak"],
                "kd_komoditas": komoditas, "kd_produk": c.ids["produk"].next(), "kd_penyedia": comp["kd_penyedia"],
                "kd_penyedia_distributor": comp["kd_penyedia"] + 1, "jml_jenis_produk": n_lines,
                "kuantitas": qty, "harga_satuan": harga, "ongkos_kirim": ongkir_total if i == 0 else 0.0,
                "total_harga": qty * harga, "kd_user_pokja": 467_000 + U.ri(r, 0, 9999),
                "no_telp_user_pokja": f"08{U.ri(r, 10**9, 10**10 - 1)}",
                "email_user_pokja": f"pokja{U.ri(r, 1, 999)}@gmail.com", "kd_user_ppk": 471_873_000 + U.ri(r, 0, 999),
                "ppk_nip": p["ppk"][0], "jabatan_ppk": "-", "tanggal_buat_paket": U.f_date(d),
                "tanggal_edit_paket": U.f_date(d + timedelta(days=U.ri(r, 0, 3))), "deskripsi": None,
                "status_paket": "paket_selesai" if selesai else (
                    "melakukan_pengiriman_dan_penerimaan" if lag else "proses_kontrak_ppk"),
                "paket_status_str": "Paket Selesai" if selesai else "Paket Proses",
                "catatan_produk": "Garansi resmi, pengiriman termasuk instalasi",
                "kd_provinsi_wilayah_harga": 20, "kd_kabupaten_wilayah_harga": 260 + U.ri(r, 0, 13),
            })
