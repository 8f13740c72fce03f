"""Benchmark: compute every metric for a national-sized warehouse (target < 60 s).

Creates a scratch database on the warehouse server (PANTAU_WAREHOUSE_URL or the embedded one),
applies the migrations, fills the history tables with generate_series (default 550 KLPD, about
2.6 M history rows), then times `pantau.metrics.compute_many(None, …)` (all KLPDs, one pass) and
one single-KLPD `compute`. compute_many spreads the KLPDs over one backend per core
(PANTAU_METRICS_WORKERS=1 for the one-backend figure). The scratch database is dropped at the end unless --keep.

    .venv/bin/python bench/metrics.py [--klpd 550] [--scale 1.0] [--keep]
    .venv/bin/python bench/metrics.py --db pantau_bench_xxxxxxxx [--profile]

--profile times every statement of the mart SQL files (same SQL, same transaction, committed as
usual) and prints the slowest ones, so a slow step can be EXPLAINed on its own.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

import psycopg2.extensions  # noqa: E402
import sqlparse  # noqa: E402
from psycopg2 import sql  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from pantau import db, metrics  # noqa: E402
from pantau.config import warehouse_url  # noqa: E402
from pantau.migrate import migrate  # noqa: E402

LINEAGE = "0, 0, 'bench'"
# Per KLPD (scaled): PDs, RUP packages, tenders, non-tenders, pencatatan, e-purchasing orders.
SIZES = dict(pd=40, rup=2000, tender=100, nontender=800, pct=300, orders=500, toko=20)


def generate(url: str, n_klpd: int, scale: float) -> dict[str, int]:
    """Fill history.* for tahun 2023 with a plausible national shape; returns row counts."""
    s = {k: max(1, int(v * (scale if k != "pd" else 1))) for k, v in SIZES.items()}
    p = dict(k=n_klpd, **s)
    stmts = [
        # KLPD k = 1..n, PD = g % pd
        f"""INSERT INTO history.dim_satker (kd_klpd, kd_satker_str, nama_satker, fetch_id, load_id, src_partition, valid_from)
            SELECT 'D' || k, 'PD' || d, 'Dinas ' || d, {LINEAGE}, '2023-01-01'
            FROM generate_series(1, %(k)s) k, generate_series(1, %(pd)s) d""",
        f"""INSERT INTO history.struktur_anggaran (tahun_anggaran, kd_klpd, kd_satker_str, belanja_pengadaan,
                fetch_id, load_id, src_partition, valid_from)
            SELECT 2023, 'D' || k, 'PD' || d, 20000000000, {LINEAGE}, '2023-01-01'
            FROM generate_series(1, %(k)s) k, generate_series(1, %(pd)s) d""",
        f"""INSERT INTO history.rup_paket (kd_rup, tahun_anggaran, kd_klpd, kd_satker_str, tipe, nama_paket, pagu,
                metode_pengadaan, status_umumkan_rup, status_aktif_rup, status_delete_rup, status_dikecualikan,
                fetch_id, load_id, src_partition, valid_from)
            SELECT k * 1000000 + g, 2023, 'D' || k, 'PD' || (g %% %(pd)s + 1),
                   CASE WHEN g %% 10 = 0 THEN 'swakelola' ELSE 'penyedia' END, 'Paket ' || g,
                   (50 + (g * 7919) %% 950) * 1000000,
                   CASE WHEN g %% 10 = 0 THEN NULL WHEN g %% 20 < 2 THEN 'Tender' WHEN g %% 20 < 12 THEN 'Pengadaan Langsung'
                        WHEN g %% 20 < 18 THEN 'E-Purchasing' ELSE 'Dikecualikan' END,
                   'Terumumkan', true, false, g %% 20 = 19, {LINEAGE}, '2023-01-02'
            FROM generate_series(1, %(k)s) k, generate_series(1, %(rup)s) g""",
        f"""INSERT INTO history.tender (kd_tender, tahun_anggaran, kd_klpd, kd_satker_str, pagu, mtd_pemilihan,
                status_tender, versi_tender, nilai_kontrak, tgl_penetapan_pemenang, fetch_id, load_id, src_partition, valid_from)
            SELECT k * 1000000 + g, 2023, 'D' || k, 'PD' || (g %% %(pd)s + 1), 2000000000, 'Tender',
                   CASE WHEN g %% 10 < 7 THEN 'Selesai' WHEN g %% 10 < 9 THEN 'Berlangsung' ELSE 'Gagal/Batal' END,
                   1, 1800000000, date '2023-03-01' + (g %% 200), {LINEAGE}, '2023-02-01'
            FROM generate_series(1, %(k)s) k, generate_series(1, %(tender)s) g""",
        f"""INSERT INTO history.tender_rup (kd_tender, kd_rup, ordinal, fetch_id, load_id, src_partition, valid_from)
            SELECT k * 1000000 + g, k * 1000000 + g, 0, {LINEAGE}, '2023-02-01'
            FROM generate_series(1, %(k)s) k, generate_series(1, %(tender)s) g""",
        f"""INSERT INTO history.nontender (kd_nontender, tahun_anggaran, kd_klpd, kd_satker_str, pagu, mtd_pemilihan,
                status_nontender, versi_nontender, nilai_kontrak, tgl_selesai_nontender, fetch_id, load_id, src_partition, valid_from)
            SELECT k * 1000000 + g, 2023, 'D' || k, 'PD' || (g %% %(pd)s + 1), 150000000, 'Pengadaan Langsung',
                   CASE WHEN g %% 10 < 8 THEN 'Selesai' ELSE 'Berlangsung' END, 1,
                   CASE WHEN g %% 2 = 0 THEN 140000000 END, timestamptz '2023-03-01' + (g %% 250) * interval '1 day',
                   {LINEAGE}, '2023-02-01'
            FROM generate_series(1, %(k)s) k, generate_series(1, %(nontender)s) g""",
        f"""INSERT INTO history.nontender_rup (kd_nontender, kd_rup, ordinal, fetch_id, load_id, src_partition, valid_from)
            SELECT k * 1000000 + g, k * 1000000 + 500000 + g, 0, {LINEAGE}, '2023-02-01'
            FROM generate_series(1, %(k)s) k, generate_series(1, %(nontender)s) g""",
        f"""INSERT INTO history.kontrak (sumber, kd_paket_spse, versi_addendum, nilai_kontrak, tgl_kontrak,
                fetch_id, load_id, src_partition, valid_from)
            SELECT s, k * 1000000 + g, 0, 1000000000, date '2023-03-01' + (g %% 200), {LINEAGE}, '2023-03-01'
            FROM generate_series(1, %(k)s) k, generate_series(1, %(nontender)s) g,
                 (VALUES ('tender'), ('nontender')) v(s)
            WHERE g %% 10 < 6 AND (s = 'nontender' OR g <= %(tender)s)""",
        f"""INSERT INTO history.pembayaran (sumber, kd_paket_spse, no_bap, no_bast, tgl_bap, besar_pembayaran,
                fetch_id, load_id, src_partition, valid_from)
            SELECT 'nontender', k * 1000000 + g, b::text, 'BAST-' || b, date '2023-04-01' + (g %% 200) + b * 30, 50000000,
                   {LINEAGE}, '2023-04-01'
            FROM generate_series(1, %(k)s) k, generate_series(1, %(nontender)s) g, generate_series(1, 2) b
            WHERE g %% 10 < 5""",
        f"""INSERT INTO history.pencatatan (jenis, kd_pct, tahun_anggaran, kd_klpd, kd_satker_str, pagu, total_realisasi,
                mtd_pemilihan, status, status_ket, tgl_buat_paket, fetch_id, load_id, src_partition, valid_from)
            SELECT CASE WHEN g %% 3 = 0 THEN 'swakelola' ELSE 'nontender' END, k * 1000000 + g, 2023, 'D' || k,
                   'PD' || (g %% %(pd)s + 1), 40000000, 40000000, 'Pengadaan Langsung',
                   CASE WHEN g %% 7 = 0 THEN 'Ditutup' ELSE 'Aktif' END,
                   CASE WHEN g %% 7 = 0 THEN 'Paket Dibatalkan' ELSE 'Paket Selesai' END,
                   timestamptz '2023-02-01' + (g %% 250) * interval '1 day', {LINEAGE}, '2023-02-01'
            FROM generate_series(1, %(k)s) k, generate_series(1, %(pct)s) g""",
        f"""INSERT INTO history.pencatatan_rup (jenis, kd_pct, kd_rup, ordinal, fetch_id, load_id, src_partition, valid_from)
            SELECT CASE WHEN g %% 3 = 0 THEN 'swakelola' ELSE 'nontender' END, k * 1000000 + g,
                   k * 1000000 + 800000 + g, 0, {LINEAGE}, '2023-02-01'
            FROM generate_series(1, %(k)s) k, generate_series(1, %(pct)s) g""",
        f"""INSERT INTO history.pencatatan_realisasi (jenis, kd_pct, no_realisasi, tgl_realisasi, nilai_realisasi,
                fetch_id, load_id, src_partition, valid_from)
            SELECT CASE WHEN g %% 3 = 0 THEN 'swakelola' ELSE 'nontender' END, k * 1000000 + g, '1',
                   date '2023-03-01' + (g %% 250), 40000000, {LINEAGE}, '2023-03-01'
            FROM generate_series(1, %(k)s) k, generate_series(1, %(pct)s) g""",
        # orders: 40 %% have an earlier ON_PROCESS version closed on 2023-11-01 (as-of matters)
        f"""INSERT INTO history.epurchasing_order (versi, kd_paket, tahun_anggaran, kd_klpd, kd_satker_str, kd_rup, nilai,
                status_pkt, status_pengiriman, tgl_order, fetch_id, load_id, src_partition, valid_from, valid_to)
            SELECT 'v6', k || '-' || g, 2023, 'D' || k, 'PD' || (g %% %(pd)s + 1), k * 1000000 + g, 25000000,
                   'ON_PROCESS', 'COMPLETED', date '2023-02-01' + (g %% 280), {LINEAGE}, '2023-02-01', '2023-11-01'
            FROM generate_series(1, %(k)s) k, generate_series(1, %(orders)s) g WHERE g %% 5 < 2""",
        f"""INSERT INTO history.epurchasing_order (versi, kd_paket, tahun_anggaran, kd_klpd, kd_satker_str, kd_rup, nilai,
                status_pkt, status_pengiriman, tgl_order, fetch_id, load_id, src_partition, valid_from)
            SELECT 'v6', k || '-' || g, 2023, 'D' || k, 'PD' || (g %% %(pd)s + 1), k * 1000000 + g, 25000000,
                   CASE WHEN g %% 5 < 2 THEN 'COMPLETED' WHEN g %% 5 = 2 THEN 'PAYMENT_OUTSIDE_SYSTEM' ELSE 'ON_PROCESS' END,
                   CASE WHEN g %% 5 = 4 THEN 'DRAFT' ELSE 'COMPLETED' END, date '2023-02-01' + (g %% 280), {LINEAGE},
                   CASE WHEN g %% 5 < 2 THEN date '2023-11-01' ELSE date '2023-02-01' END
            FROM generate_series(1, %(k)s) k, generate_series(1, %(orders)s) g""",
        f"""INSERT INTO history.toko_daring (order_id, tahun_anggaran, kd_klpd, kd_satker_str, valuasi, tanggal_transaksi,
                status_verif, status_konfirmasi_ppmse, fetch_id, load_id, src_partition, valid_from)
            SELECT k || '-' || g, 2023, 'D' || k, 'PD' || (g %% %(pd)s + 1), 2000000, timestamptz '2023-05-01',
                   'verified', CASE WHEN g %% 2 = 0 THEN 'selesai' ELSE 'gagal' END, {LINEAGE}, '2023-05-01'
            FROM generate_series(1, %(k)s) k, generate_series(1, %(toko)s) g""",
    ]
    with db.transaction(url) as conn, conn.cursor() as cur:
        for stmt in stmts:
            cur.execute(stmt, p)
    conn = db.connect(url)
    conn.autocommit = True  # VACUUM cannot run inside a transaction
    try:
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
            cur.execute("""SELECT relname, n_live_tup FROM pg_stat_user_tables
                           WHERE schemaname = 'history' AND n_live_tup > 0 ORDER BY relname""")
            return dict(cur.fetchall())
    finally:
        conn.close()


class _TimingCursor(psycopg2.extensions.cursor):
    """Splits a multi-statement mart file into statements and records each one's wall time."""

    timings: list[tuple[float, str]] = []

    def execute(self, query, vars=None):  # noqa: A002 - psycopg2's name
        if not isinstance(query, str) or query.count(";") < 2:
            t0 = time.perf_counter()
            super().execute(query, vars)
            self.timings.append((time.perf_counter() - t0, _label(str(query))))
            return
        for stmt in sqlparse.split(query):
            if sqlparse.format(stmt, strip_comments=True).strip():
                t0 = time.perf_counter()
                super().execute(stmt, vars)
                self.timings.append((time.perf_counter() - t0, _label(stmt)))


def _label(stmt: str) -> str:
    text = sqlparse.format(stmt, strip_comments=True)
    return " ".join(text.split())[:110]


def _profile_compute_many(url: str) -> None:
    """compute_many with a timing cursor: prints per-statement times (slowest first)."""
    from pantau.metrics import runner

    @contextlib.contextmanager
    def timed_transaction(u=None):
        conn = db.connect(u, cursor_factory=_TimingCursor)
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    _TimingCursor.timings = []
    original = runner.transaction
    runner.transaction = timed_transaction
    try:
        t0 = time.perf_counter()
        runs = runner.compute_many(None, 2023, "2023-12-15", url=url)
        total = time.perf_counter() - t0
    finally:
        runner.transaction = original
    print(f"profile: compute_many for {len(runs)} KLPD in {total:.1f} s; statements ≥ 0.3 s:")
    for secs, label in _TimingCursor.timings:
        if secs >= 0.3:
            print(f"  {secs:7.2f} s  {label}")
    print(f"  (sum of all statements {sum(t for t, _ in _TimingCursor.timings):.1f} s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--klpd", type=int, default=550)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--keep", action="store_true", help="keep the scratch database")
    ap.add_argument("--db", help="reuse a database kept by an earlier --keep run (no generation)")
    ap.add_argument("--profile", action="store_true", help="only time each SQL statement of one compute_many")
    args = ap.parse_args()

    server = warehouse_url()
    name = args.db or f"pantau_bench_{uuid.uuid4().hex[:8]}"
    admin = db.connect(str(make_url(server).set(database="postgres")))
    admin.autocommit = True
    if not args.db:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = str(make_url(server).set(database=name))
    try:
        if not args.db:
            migrate(url, log=lambda *_: None)
            t0 = time.perf_counter()
            counts = generate(url, args.klpd, args.scale)
            t_gen = time.perf_counter() - t0
            print(f"generated {sum(counts.values()):,} history rows for {args.klpd} KLPD in {t_gen:.1f} s")
            for table, n in counts.items():
                print(f"  history.{table:<22} {n:>10,}")

        if args.profile:
            _profile_compute_many(url)
            return

        t0 = time.perf_counter()
        runs = metrics.compute_many(None, 2023, "2023-12-15", url=url)
        t_all = time.perf_counter() - t0
        with db.transaction(url) as conn, conn.cursor() as cur:
            out = {}
            for t in ("itkp_component", "itkp_total", "epurchasing_share", "penyerapan", "lagging", "lagging_package"):
                cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("mart", t)))
                out[t] = cur.fetchone()[0]
        from pantau.metrics.runner import n_workers

        print(f"compute_many: all metrics for {len(runs)} KLPD as of 2023-12-15 in {t_all:.1f} s "
              f"on {n_workers(None, len(runs))} backends (PANTAU_METRICS_WORKERS) "
              f"(target < 60 s: {'OK' if t_all < 60 else 'MISSED'})")
        for t, n in out.items():
            print(f"  mart.{t:<20} {n:>10,}")

        t0 = time.perf_counter()
        metrics.compute("D1", 2023, "2023-12-15", url=url)
        print(f"compute (one KLPD, D1) in {time.perf_counter() - t0:.2f} s")
        t0 = time.perf_counter()
        metrics.compute_many(None, 2023, "2023-12-15", url=url)
        print(f"compute_many re-run (same key, rows replaced) in {time.perf_counter() - t0:.1f} s")
    finally:
        if not args.keep and not args.db:
            with admin.cursor() as cur:
                cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        else:
            print(f"kept database {name}")
        admin.close()


if __name__ == "__main__":
    main()
