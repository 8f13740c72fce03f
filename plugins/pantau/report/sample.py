"""Deterministic synthetic circular models for tests, the bench and previews.

Realistic shape, not real data: PD names, package names and statuses follow the ISB feeds
(v6 `status_pkt` × `status_pengiriman`, v5 `Paket Proses`, SPSE tenders without contracts).
"""
from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from pantau.report.model import Circular, ItkpComponent, LaggingPackage, LaggingPd, PenyerapanPd

_PD = ["Dinas Pendidikan dan Kebudayaan", "Dinas Kesehatan", "Dinas Pekerjaan Umum dan Penataan Ruang",
       "Dinas Perhubungan", "Dinas Sosial", "Badan Perencanaan Pembangunan Daerah", "Dinas Pertanian",
       "Dinas Kelautan dan Perikanan", "Badan Pengelola Keuangan dan Aset Daerah", "Inspektorat",
       "Dinas Komunikasi dan Informatika", "Satuan Polisi Pamong Praja", "Dinas Lingkungan Hidup",
       "Dinas Perumahan Rakyat dan Kawasan Permukiman", "RSUD dr. Soedarso", "Biro Umum", "Dinas Pariwisata",
       "Badan Kepegawaian Daerah", "Dinas Koperasi dan UKM", "Dinas Tenaga Kerja dan Transmigrasi"]
_ITEMS = ["Belanja Alat Tulis Kantor", "Pengadaan Komputer PC", "Belanja Obat-obatan", "Pengadaan Laptop",
          "Belanja Bahan Cetak", "Pengadaan Meubelair", "Belanja Makanan dan Minuman Rapat",
          "Pengadaan Kendaraan Dinas Roda Dua", "Belanja Alat Kesehatan", "Pengadaan Printer",
          "Belanja Bahan Bakar Minyak", "Pemeliharaan Gedung Kantor", "Pengadaan Server dan Jaringan"]
_V6 = [("ON_PROCESS", "COMPLETED"), ("ON_PROCESS", "DELIVERED"), ("ON_PROCESS", "BUYER_CONFIRMED"),
       ("ON_PROCESS", "SHIPPING"), ("ON_PROCESS", "DRAFT"), ("ON_ADDENDUM", "DELIVERED")]


def _pd_name(i: int) -> str:
    base = _PD[i % len(_PD)]
    return base if i < len(_PD) else f"{base} Wilayah {i // len(_PD) + 1}"


def sample_circular(*, kd_klpd: str = "D197", tahun: int = 2023, n_pd: int = 6, n_packages: int = 30,
                    seed: int = 1, nomor: str | None = "000.3.6/123/PBJ/2023",
                    as_of: date = date(2023, 11, 30), unknown_status: int = 1,
                    names: dict[int, str] | None = None) -> Circular:
    """`n_pd` lagging PDs sharing `n_packages` packages; `unknown_status` packages get an unlisted
    status combination (they must show the review text); `names` overrides package names by index."""
    rnd = random.Random(seed)
    per_pd: list[list[LaggingPackage]] = [[] for _ in range(n_pd)]
    for k in range(n_packages):
        i = k % n_pd
        src, st, pg = "epurchasing_v6", *_V6[rnd.randrange(len(_V6))]
        if k % 11 == 5:
            src, st, pg = "epurchasing_v5", "Paket Proses", None
        if k < unknown_status:
            st, pg = "ON_PROCESS", "LOST_IN_TRANSIT"
        name = (names or {}).get(k) or f"{_ITEMS[rnd.randrange(len(_ITEMS))]} {_pd_name(i).split()[-1]} Tahap {k % 4 + 1}"
        per_pd[i].append(LaggingPackage(
            source=src, package_id=f"EPV6-{tahun}-{k:06d}", kd_rup=str(40_000_000 + k * 7),
            nama_paket=name, nilai=Decimal(rnd.randrange(5_000_000, 2_500_000_000)),
            status_pkt=st, status_pengiriman=pg, hari_terlambat=rnd.randrange(0, 60)))
    lagging = []
    for i in range(n_pd):
        lagging.append(LaggingPd(kd_satker_str=f"1.02.0.00.0.00.{i:02d}.0000", nama_satker=_pd_name(i),
                                 rule="epurchasing_paid_not_selesai", measured=Decimal(len(per_pd[i])),
                                 target=Decimal(0), unit="paket", n_packages=len(per_pd[i]),
                                 packages=tuple(per_pd[i]), deadline=date(tahun, 11, 30)))
    itkp = tuple(ItkpComponent(c, Decimal(r) / 100, Decimal(m), Decimal(r) * Decimal(m) / 10000)
                 for c, r, m in [("SiRUP", 9120, 10), ("E-Tendering", 8840, 5), ("E-Purchasing", 1250, 4),
                                 ("Toko Daring", 0, 1), ("Non E-Tendering", 7310, 5), ("E-Kontrak", 6400, 5)])
    peny = tuple(PenyerapanPd(f"1.02.0.00.0.00.{i:02d}.0000", _pd_name(i), Decimal(rnd.randrange(3000, 9500)) / 100,
                              Decimal(rnd.randrange(1500, 7000)) / 100, Decimal(75)) for i in range(n_pd))
    return Circular(kd_klpd=kd_klpd, tahun=tahun, as_of=as_of, tanggal=as_of, nomor=nomor, metric_run_id=None,
                    fetch_ids=(), lagging=tuple(lagging), itkp=itkp, penyerapan=peny)
