"""Fixtures for the source layer: a real simulator on 127.0.0.1 and fast client settings."""
from __future__ import annotations

from typing import Any, Iterator

import pytest

from pantau.simulator.server import SimulatorHandle, start_simulator
from pantau.sources.http import HttpSettings
from pantau.sources.routing import SourcePlan

TOKEN = "inprc0123456789abcdef0123456789abcdef"  # shaped like a real token, so leaks are searchable
KD_KLPD = "D197"
KD_LPSE = 97

# Tiny timeouts and backoff so retry paths run in milliseconds (production values: sources.yaml).
FAST = HttpSettings(connect_timeout=1.0, read_timeout=0.3, total_timeout=5.0, max_retries=2,
                    backoff_base=0.01, backoff_max=0.05)


def paket_rows(n: int, *, kd_klpd: str = KD_KLPD, tahun: int = 2025, start: int = 0) -> list[dict[str, Any]]:
    """RUP penyedia rows of realistic width (about 25 fields, as in sources.md §3.1)."""
    return [
        {
            "tahun_anggaran": tahun, "kd_klpd": kd_klpd, "nama_klpd": "Provinsi Kalimantan Barat",
            "jenis_klpd": "PROVINSI", "kd_satker": 60412 + i % 40, "kd_satker_str": f"1.03.2.15.1.04.{i % 40:02d}.0000",
            "nama_satker": f"Dinas {i % 40}", "kd_rup": 56_000_000 + i, "nama_paket": f"Belanja barang paket {i}",
            "pagu": 1_000_000 + 137 * i, "kd_metode_pengadaan": 9 if i % 3 else 13,
            "metode_pengadaan": "E-Purchasing" if i % 3 else "Tender", "kd_jenis_pengadaan": "1",
            "jenis_pengadaan": "Barang", "status_pdn": "PDN", "status_ukm": "UKM", "tipe_paket": "Penyedia",
            "volume_pekerjaan": "1 paket", "urarian_pekerjaan": "<p>Pengadaan barang</p>\r\n",
            "tgl_awal_pemilihan": "2025-02-01", "tgl_akhir_pemilihan": "2025-03-31",
            "tgl_pengumuman_paket": "2025-01-14 10:06:33", "nip_ppk": "198001012005011001",
            "nama_ppk": "Budi", "status_aktif_rup": True, "status_delete_rup": False,
            "status_umumkan_rup": "Terumumkan", "_event_date": "2025-10-03",
        }
        for i in range(start, start + n)
    ]


def spse_rows(n: int, *, kd_lpse: int = KD_LPSE, tahun: int = 2025) -> list[dict[str, Any]]:
    return [
        {"tahun_anggaran": tahun, "kd_klpd": KD_KLPD, "kd_lpse": kd_lpse, "kd_tender": 10_109_010_000 + i,
         "kd_rup": f"{56_000_000 + i};{56_000_100 + i}", "nama_paket": f"Tender {i}", "pagu": 2.5e9,
         "hps": 999995334.78, "status_tender": "Selesai"}
        for i in range(n)
    ]


@pytest.fixture
def sim() -> Iterator[SimulatorHandle]:
    handle = start_simulator({}, token=TOKEN)
    yield handle
    handle.stop()


def inaproc_plan(sim: SimulatorHandle, dataset: str = "rup_paket_penyedia", *, tahun: int = 2025,
                 kd_klpd: str = KD_KLPD, token: str = TOKEN, http: HttpSettings = FAST,
                 page_limit: int = 1000) -> SourcePlan:
    return SourcePlan(dataset=dataset, source_system="inaproc_v1", tahun=tahun, kd_klpd=kd_klpd,
                      url=sim.inaproc_url, path=sim.route(dataset).inaproc_path, token=token,
                      params={"kode_klpd": kd_klpd, "tahun": tahun}, page_limit=page_limit, http=http)


def isb_plan(sim: SimulatorHandle, dataset: str = "rup_paket_penyedia", *, tahun: int = 2024,
             kd_klpd: str = KD_KLPD, kd_lpse: int | None = None, url: str | None = None,
             http: HttpSettings = FAST) -> SourcePlan:
    instansi = kd_lpse if kd_lpse is not None else kd_klpd
    return SourcePlan(dataset=dataset, source_system="isb", tahun=tahun, kd_klpd=kd_klpd, kd_lpse=kd_lpse,
                      url=url or sim.isb_url(dataset, instansi, tahun), params={"tahun": tahun}, http=http)


@pytest.fixture
def make_inaproc_plan(sim):
    """`make_inaproc_plan(dataset=..., **kw)` → a SourcePlan aimed at the simulator's INAPROC."""
    return lambda *a, **kw: inaproc_plan(sim, *a, **kw)


@pytest.fixture
def make_isb_plan(sim):
    """`make_isb_plan(dataset=..., **kw)` → a SourcePlan with the simulator's keyed ISB URL."""
    return lambda *a, **kw: isb_plan(sim, *a, **kw)


@pytest.fixture
def rows():
    """Row factories: `rows.paket(n, ...)`, `rows.spse(n, ...)`; constants TOKEN, KD_KLPD, KD_LPSE, FAST."""
    import types

    return types.SimpleNamespace(paket=paket_rows, spse=spse_rows, TOKEN=TOKEN, KD_KLPD=KD_KLPD,
                                 KD_LPSE=KD_LPSE, FAST=FAST)
