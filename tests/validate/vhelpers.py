"""Helpers for validation tests: land a raw body, run it through the real pipeline stages.

land (pantau.sources.raw.land_fetch) → read_fetch → normalize_records → write_staging →
validate_fetch → load_fetch: every stage is the owning module's own code, against PostgreSQL.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any


from pantau import db

SNAP_PREV = dt.date(2025, 10, 1)
SNAP_NEW = dt.date(2025, 10, 2)


def land(url: str, dataset: str, body: bytes | list[dict], *, kd_klpd: str | None = "D107",
         kd_lpse: int | None = None, tahun: int = 2025, status: str | None = None) -> int:
    """Land one ISB page (verbatim bytes or records as JSON) as the extractor would; fetch_id."""
    from pantau.sources import raw
    from pantau.sources.http import Page

    if not isinstance(body, bytes):
        n_rows: int | None = len(body)
        body = json.dumps(body).encode()
    else:
        n_rows = None
    now = dt.datetime.now(dt.timezone.utc)
    buf = raw.PageBuffer()
    buf.add(Page(page_no=0, body=body, http_status=200, fetched_at=now, url="https://isb.test/***", n_rows=n_rows))
    if status is None:
        status = "ok" if n_rows else "empty"
    meta = raw.FetchMeta("isb", dataset, kd_klpd, kd_lpse, tahun, "https://isb.test/***", {}, now)
    return raw.land_fetch(meta, buf, status=status, http_status=200, url=url).fetch_id


@dataclass
class Run:
    """What happened to one partition through the pipeline."""

    fetch_id: int
    raw_rows: int | None = None
    stage_error: Exception | None = None
    critical: Exception | None = None
    summary: Any = None
    load: Any = None
    n_quarantine_table: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        """Rows merged into the dataset's main core table (rows_loaded also counts bridge rows)."""
        if not self.load:
            return 0
        from pantau.load.mappings import MAPPINGS

        return self.load.per_table[MAPPINGS[self.load.dataset][0].table]["loaded"]

    @property
    def quarantined(self) -> int:
        return self.summary.n_quarantined if self.summary else 0

    @property
    def collapsed(self) -> int:
        return self.summary.n_collapsed if self.summary else 0


def run_pipeline(url: str, dataset: str, body: bytes | list[dict], *, snapshot: dt.date = SNAP_NEW,
                 validate: bool = True, **land_kw: Any) -> Run:
    """land → read → normalise → stage → validate → load; stops where the pipeline would stop."""
    from pantau.load import load_fetch
    from pantau.load.staging import write_staging
    from pantau.sources.errors import RawError
    from pantau.sources.normalize import normalize_records
    from pantau.sources.raw import read_fetch
    from pantau.validate import CriticalValidationError, validate_fetch

    fetch_id = land(url, dataset, body, **land_kw)
    run = Run(fetch_id)
    try:
        rf = read_fetch(fetch_id, url=url)
    except RawError as exc:  # non-JSON / truncated / HTML: stopped before staging, raw kept
        run.stage_error = exc
        return run
    run.raw_rows = len(rf.records)
    df = normalize_records(dataset, rf.records, source_system=rf.source_system,
                           context={"kd_klpd": rf.kd_klpd, "kd_lpse": rf.kd_lpse, "tahun": rf.tahun})
    with db.transaction(url) as conn:
        write_staging(conn, dataset, fetch_id, df)
    try:
        run.summary = validate_fetch(fetch_id, url=url) if validate else None
    except CriticalValidationError as exc:
        run.critical = exc
        run.summary = exc.summary
        return run
    run.load = load_fetch(fetch_id, snapshot, url=url, allow_unvalidated=not validate)
    if not validate:
        return run
    with db.connect(url) as c, c.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM quarantine.{dataset} WHERE fetch_id = %s", (fetch_id,))
        run.n_quarantine_table = cur.fetchone()[0]
    return run


def table_digest(url: str, table: str, where: str = "true") -> str:
    """md5 over a table's rows (ordered), to prove a partition was not touched."""
    with db.connect(url) as c, c.cursor() as cur:
        cur.execute(f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t WHERE {where}")
        return cur.fetchone()[0]


# ------------------------------------------------------------------------------ record makers
def rup_penyedia(i: int, **over: Any) -> dict:
    rec = {"tahun_anggaran": 2025, "kd_klpd": "D107", "nama_klpd": "Kab. Bandung", "jenis_klpd": "KABUPATEN",
           "kd_satker": 60412, "kd_satker_str": "1.03.2.15.1.04.03.0000", "nama_satker": "DINAS PUPR",
           "kd_rup": 53605000 + i, "nama_paket": f"Paket {i}", "pagu": 1_000_000 + i, "kd_metode_pengadaan": 8,
           "metode_pengadaan": "Pengadaan Langsung", "kd_jenis_pengadaan": "1", "jenis_pengadaan": "Barang",
           "status_pradipa": "Non-PraDIPA", "status_umumkan_rup": "Terumumkan", "status_aktif_rup": True,
           "status_delete_rup": False, "status_dikecualikan": False, "tipe_paket": "Penyedia",
           "tgl_awal_pemilihan": "2025-02-01", "tgl_pengumuman_paket": "2025-01-14 10:06:33",
           "tgl_buat_paket": "2025-01-10", "_event_date": "2025-10-03"}
    rec.update(over)
    return rec


def tender(i: int, **over: Any) -> dict:
    rec = {"tahun_anggaran": 2025, "list_tahun_anggaran": "2025", "kd_klpd": "D107", "nama_klpd": "Kab. Bandung",
           "jenis_klpd": "KABUPATEN", "kd_satker": "12335093", "kd_satker_str": "1.03.2.15.1.04.03.0000",
           "nama_satker": "DINAS PUPR", "kd_lpse": 93, "nama_lpse": "LPSE Kabupaten Bandung",
           "kd_tender": 10011868000 + i, "kd_pkt_dce": 9000 + i, "kd_rup": str(53605000 + i),
           "nama_paket": f"Tender {i}", "pagu": 900_000, "hps": 850_000.5, "sumber_dana": "APBD",
           "jenis_pengadaan": "Pengadaan Barang", "mtd_pemilihan": "Tender", "status_tender": "Selesai",
           "versi_tender": 1, "tgl_pengumuman_tender": "2025-03-01 10:00:00", "_event_date": "2025-10-03"}
    rec.update(over)
    return rec


def struktur(i: int, **over: Any) -> dict:
    rec = {"tahun_anggaran": 2025, "kd_klpd": "D107", "nama_klpd": "Kab. Bandung", "kd_satker": 60400 + i,
           "kd_satker_str": f"1.0{i}.0.00.0.00.01.0000", "nama_satker": f"PD {i}", "belanja_operasi": 100,
           "belanja_modal": 50, "belanja_btt": 5, "belanja_non_pengadaan": 40, "belanja_pengadaan": 155,
           "total_belanja": 195, "_event_date": "2025-10-03"}
    rec.update(over)
    return rec


def ecat_v5_line(i: int, **over: Any) -> dict:
    rec = {"tahun_anggaran": 2025, "kd_klpd": "D107", "satker_id": 361176, "kd_paket": 11289430 + i // 4,
           "no_paket": "SRM-P2412-11289430", "nama_paket": "Laptop", "kd_rup": 53605001, "kd_produk": 700 + i,
           "kuantitas": 12.0, "harga_satuan": 5670000.0, "ongkos_kirim": 0.0, "total_harga": 68040000.0,
           "tanggal_buat_paket": "2025-03-01", "status_paket": "proses_kontrak_ppk",
           "paket_status_str": "Paket Proses"}
    rec.update(over)
    return rec
