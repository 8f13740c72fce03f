"""Validation cost per 1,000,000 rows and its share of the extract→load path.

Measures, on one synthetic RUP-PaketPenyedia partition of N rows (default 1,000,000) against the
configured warehouse (PANTAU_WAREHOUSE_URL or the embedded server), in a scratch database:
  normalise  pantau.sources.normalize.normalize_records (records → typed frame)
  stage      pantau.load.staging.write_staging (COPY)
  validate   pantau.validate.validate_fetch (COPY TO → GX suite → audit + quarantine)
  load       pantau.load.load_fetch (staging → core + history)
Extract (HTTP) and raw landing are not measured (network-bound; see bench/extract.py).
Usage: .venv/bin/python bench/validate.py [N]
"""
from __future__ import annotations

import datetime as dt
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def records(n: int) -> list[dict]:
    base = {"tahun_anggaran": 2025, "kd_klpd": "D107", "nama_klpd": "Kab. Bandung", "jenis_klpd": "KABUPATEN",
            "kd_satker": 60412, "kd_satker_str": "1.03.2.15.1.04.03.0000", "nama_satker": "DINAS PUPR",
            "kd_metode_pengadaan": 8, "metode_pengadaan": "Pengadaan Langsung", "kd_jenis_pengadaan": "1",
            "jenis_pengadaan": "Barang", "status_umumkan_rup": "Terumumkan", "status_aktif_rup": True,
            "status_delete_rup": False, "tgl_awal_pemilihan": "2025-02-01",
            "tgl_pengumuman_paket": "2025-01-14 10:06:33", "_event_date": "2025-10-03"}
    out = []
    for i in range(n):
        r = dict(base, kd_rup=50_000_000 + i, nama_paket=f"Paket {i}", pagu=1_000_000 + i)
        if i % 1000 == 0:
            r["pagu"] = -1  # 0.1 % bad rows → quarantine path exercised
        out.append(r)
    return out


def main(n: int) -> None:
    from sqlalchemy.engine import make_url

    from pantau import db
    from pantau.config import warehouse_url
    from pantau.load import load_fetch
    from pantau.load.staging import write_staging
    from pantau.migrate import migrate
    from pantau.sources.normalize import normalize_records
    from pantau.validate import validate_fetch
    from pantau.validate.engine import validation_definition

    base = warehouse_url()
    name = f"bench_validate_{uuid.uuid4().hex[:8]}"
    admin = db.connect(str(make_url(base).set(database="postgres")))
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    url = str(make_url(base).set(database=name))
    try:
        migrate(url, log=lambda *_: None)
        t = time.perf_counter(); validation_definition("rup_paket_penyedia"); warm = time.perf_counter() - t
        recs = records(n)
        with db.transaction(url) as conn, conn.cursor() as cur:
            cur.execute("""INSERT INTO raw.fetch (source_system, dataset, kd_klpd, tahun, started_at, finished_at,
                           status, n_pages, n_rows, n_bytes, sha256) VALUES ('isb','rup_paket_penyedia','D107',2025,
                           now(), now(), 'ok', 1, %s, 0, 'bench') RETURNING fetch_id""", (n,))
            fetch_id = cur.fetchone()[0]
        times = {}
        t = time.perf_counter()
        df = normalize_records("rup_paket_penyedia", recs, source_system="isb",
                               context={"kd_klpd": "D107", "tahun": 2025})
        times["normalise"] = time.perf_counter() - t
        t = time.perf_counter()
        with db.transaction(url) as conn:
            write_staging(conn, "rup_paket_penyedia", fetch_id, df)
        times["stage"] = time.perf_counter() - t
        t = time.perf_counter()
        summary = validate_fetch(fetch_id, url=url)
        times["validate"] = time.perf_counter() - t
        t = time.perf_counter()
        res = load_fetch(fetch_id, dt.date(2025, 10, 3), url=url)
        times["load"] = time.perf_counter() - t
        total = sum(times.values())
        print(f"rows={n} quarantined={summary.n_quarantined} loaded={res.rows_loaded} "
              f"(GX import+context+suite, once per process: {warm:.2f} s, not counted)")
        for k, v in times.items():
            print(f"  {k:<9} {v:8.2f} s   {v / n * 1e6:8.2f} s per 1,000,000 rows   {v / total:6.1%} of normalise→load")
        share = times["validate"] / total
        print(f"validation: {times['validate'] / n * 1e6:.2f} s per 1,000,000 rows; "
              f"{share:.1%} of the measured extract→load path (target < 30 %): {'OK' if share < 0.30 else 'OVER'}")
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
