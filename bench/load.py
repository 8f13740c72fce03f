"""Benchmark the warehouse load path on ≥ 1,000,000 staging rows (e-Katalog v6 shape).

Prints, for the same data in one run:
  * ours   — pantau.load.staging.write_staging (DataFrame → COPY TEXT chunks built column-wise in a
             thread, streamed to psycopg2 copy_expert) and the end-to-end path (+ load_fetch: upsert
             into core, SCD2 history, load_log);
  * psql   — `psql \\copy` of the same rows into the same staging table (the physical limit): the
             CSV file `DataFrame.to_csv` makes (the former path's payload) and the TEXT file of our
             own payload;
  * to_sql — pandas DataFrame.to_sql (SQLAlchemy, multi-row INSERTs) on a sample, extrapolated;
  * driver — psycopg2 copy_expert vs psycopg 3 cursor.copy (same buffer) vs psycopg 3 write_row.
Targets: ours ≥ 0.7× psql, ≥ 10× to_sql.
Run: `.venv/bin/python bench/load.py [--rows 1000000]` (uses a temporary database on the
warehouse server and drops it).

`--partitions K [--partition-rows N]` instead loads K partitions (instansi) of N rows each into the
same core table, ANALYZEd after the first as autovacuum would, and prints per partition the load
time and the `mark_deleted` step (issue 19 point 8: the second partition's delete used to take
17.5 min for 29 650 rows against 1–2 s for the first). `--inline` also times, in the same load
transaction (rolled back), the former anti join against the mapping SELECT, for comparison.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from pantau import db  # noqa: E402
from pantau.config import warehouse_url  # noqa: E402
from pantau.load import load_fetch  # noqa: E402
from pantau.load.staging import copy_sql, copy_text_chunks, frame_to_csv, prepare_frame, write_staging  # noqa: E402
from pantau.migrate import migrate  # noqa: E402

DATASET = "ecat_paket_v6"


def make_frame(n: int) -> pd.DataFrame:
    """n synthetic v6 orders with realistic types (text ULIDs, money, dates, statuses, nulls)."""
    rng = np.random.default_rng(7)
    ids = pd.Series(np.arange(n)).map(lambda i: f"01K{i:023d}")
    status = np.array(["ON_PROCESS", "COMPLETED", "PAYMENT_OUTSIDE_SYSTEM", "ON_ADDENDUM"])
    ship = np.array(["DRAFT", "PROCESSING", "SHIPPING", "DELIVERED", "BUYER_CONFIRMED", "COMPLETED"])
    satker = np.array([f"1.03.2.15.1.04.{i:02d}.0000" for i in range(100)])
    total = rng.integers(100_000, 5_000_000_000, n)
    sikap = pd.array(rng.integers(0, 900_000, n), dtype="Int64")
    sikap[rng.random(n) < 0.4] = pd.NA
    return pd.DataFrame({
        "tahun_anggaran": 2025, "jenis_instansi": "KABUPATEN", "nama_instansi": "Kab. Bandung", "kd_klpd": "D107",
        "kd_satker_str": satker[rng.integers(0, 100, n)], "nama_satker": "DINAS KOMUNIKASI DAN INFORMATIKA",
        "kd_paket": ids, "kd_rup": rng.integers(50_000_000, 60_000_000, n),
        "rup_nama_pkt": "Belanja Alat Tulis Kantor, Kertas dan Cover", "product_ids": "a1b2c3,d4e5f6",
        "sumber_dana": "APBD", "mak": "3.30.05.2.01.0002.5.1.02.02.01.0047.", "kd_penyedia_v6": "01K32QD12XPKKTQ",
        "kd_penyedia_sikap": sikap, "jml_jenis_produk": rng.integers(1, 20, n),
        "jml_produk": np.round(rng.random(n) * 1000, 2), "ongkir": (total // 100) / 100,
        "total_harga": total, "tgl_order": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 300, n), "D"),
        "status_pkt": status[rng.integers(0, 4, n)], "status_pengiriman": ship[rng.integers(0, 6, n)],
        "source_event_date": pd.Timestamp("2025-10-03"), "row_no": np.arange(n, dtype=np.int32),
    })


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def truncate(url: str) -> None:
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute(f"TRUNCATE staging.{DATASET}")


def new_fetch(url: str, n: int, kd_klpd: str = "D107") -> int:
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO raw.fetch (source_system, dataset, kd_klpd, tahun, url, started_at, finished_at, "
                    "status, n_pages, n_rows, n_bytes, sha256) VALUES ('isb', %s, %s, 2025, 'bench', now(), now(), "
                    "'ok', 1, %s, 0, 'bench') RETURNING fetch_id", (DATASET, kd_klpd, n))
        return cur.fetchone()[0]


def bench(n: int, sample: int, repeat: int = 2) -> None:
    url, name, admin = temp_database()
    try:
        t_make, df = timed(lambda: make_frame(n))
        print(f"rows: {n:,} ({DATASET}, {df.shape[1]} columns); frame built in {t_make:.1f}s")
        fetch = new_fetch(url, n)

        # ours: write_staging = prepare + CSV + DELETE + COPY, committed
        def ours():
            with db.transaction(url) as conn:
                return write_staging(conn, DATASET, fetch, df)
        runs_ours = []
        for i in range(repeat):  # best of `repeat` (shared machine); each run into an empty table
            if i:
                truncate(url)
            t_ours, written = timed(ours)
            assert written == n
            runs_ours.append(t_ours)
        t_ours = min(runs_ours)
        t_load, res = timed(lambda: load_fetch(fetch, "2025-10-03", url=url,
                                                 allow_unvalidated=True))  # times the merge alone
        assert res.rows_loaded == n and res.rows_history == n, res

        # the same rows as files for psql: to_csv's CSV (former payload) and our COPY TEXT payload
        frame, cols = prepare_frame(DATASET, fetch, df)
        t_csv, buf = timed(lambda: frame_to_csv(frame))
        csv_text = buf.getvalue()
        del buf
        t_text, text_payload = timed(lambda: "".join(copy_text_chunks(frame)))
        copy_stmt = copy_sql(DATASET, cols, "csv")
        runs_psql = [psql_copy(url, copy_stmt, csv_text, ".csv") for _ in range(repeat)]
        runs_psql_text = [psql_copy(url, copy_sql(DATASET, cols, "text"), text_payload, ".txt") for _ in range(repeat)]
        t_psql, t_psql_text = min(runs_psql), min(runs_psql_text)
        del text_payload

        # drivers, same buffer
        import io

        import psycopg

        truncate(url)

        def pg2():
            with db.transaction(url) as conn, conn.cursor() as cur:
                cur.copy_expert(copy_stmt.as_string(conn), io.StringIO(csv_text), size=1 << 20)
        t_pg2, _ = timed(pg2)
        truncate(url)

        def pg3():
            with psycopg.connect(db.dsn(url)) as conn, conn.cursor() as cur:
                with cur.copy(_as_text(copy_stmt, url)) as cp:
                    for i in range(0, len(csv_text), 1 << 20):
                        cp.write(csv_text[i:i + (1 << 20)])
        t_pg3, _ = timed(pg3)
        truncate(url)
        small = frame.iloc[:sample]
        rows = [tuple(None if pd.isna(v) else v for v in r) for r in small.itertuples(index=False)]

        def pg3_rows():
            with psycopg.connect(db.dsn(url)) as conn, conn.cursor() as cur:
                with cur.copy(_as_text(copy_sql(DATASET, cols, "text"), url)) as cp:
                    for r in rows:
                        cp.write_row(r)
        t_pg3_rows, _ = timed(pg3_rows)
        truncate(url)

        # pandas to_sql on a sample (SQLAlchemy + psycopg2, method='multi', chunks of 1000)
        from sqlalchemy import create_engine

        engine = create_engine(url)
        to_sql_frame = small.copy()
        t_tosql, _ = timed(lambda: to_sql_frame.to_sql(DATASET, engine, schema="staging", if_exists="append",
                                                       index=False, method="multi", chunksize=1000))
        engine.dispose()

        rate = lambda rows_, secs: rows_ / secs  # noqa: E731
        r_ours, r_psql, r_psql_text = rate(n, t_ours), rate(n, t_psql), rate(n, t_psql_text)
        r_e2e = rate(n, t_ours + t_load)
        r_tosql = rate(sample, t_tosql)
        print(f"ours   write_staging (prepare+TEXT+COPY, pipelined): {t_ours:7.2f}s {r_ours:12,.0f} rows/s "
              f"(TEXT serialisation alone {t_text:.2f}s; former to_csv {t_csv:.2f}s)")
        print(f"ours   end-to-end (+ load_fetch merge + SCD2): {t_ours + t_load:7.2f}s {r_e2e:12,.0f} rows/s "
              f"(load_fetch {t_load:.2f}s)")
        print(f"psql   \\copy same rows, to_csv CSV file:   {t_psql:7.2f}s {r_psql:12,.0f} rows/s")
        print(f"psql   \\copy same rows, our TEXT file:     {t_psql_text:7.2f}s {r_psql_text:12,.0f} rows/s")
        print(f"to_sql sample {sample:,} rows, extrapolated:  {n / r_tosql:7.2f}s {r_tosql:12,.0f} rows/s")
        print(f"driver psycopg2 copy_expert {t_pg2:.2f}s | psycopg3 copy.write {t_pg3:.2f}s | "
              f"psycopg3 write_row {t_pg3_rows * n / sample:.2f}s (extrapolated from {sample:,})")
        fmt = lambda runs: ", ".join(f"{t:.2f}" for t in runs)  # noqa: E731
        print(f"runs (s, best used): ours [{fmt(runs_ours)}]  psql CSV [{fmt(runs_psql)}]  psql TEXT [{fmt(runs_psql_text)}]")
        print(f"ratio  ours/psql(CSV) = {r_ours / r_psql:.2f}x (target >= 0.7)   ours/psql(TEXT) = "
              f"{r_ours / r_psql_text:.2f}x   ours/to_sql = {r_ours / r_tosql:.1f}x (target >= 10)   "
              f"end-to-end/psql(CSV) = {r_e2e / r_psql:.2f}x")
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def temp_database() -> tuple[str, str, object]:
    """(url, name, admin connection) of a new migrated database on the warehouse server."""
    base = warehouse_url()
    name = f"pantau_bench_{uuid.uuid4().hex[:6]}"
    admin = db.connect(str(make_url(base).set(database="postgres")))
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    url = str(make_url(base).set(database=name))
    try:
        migrate(url, log=lambda *_: None)
    except BaseException:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        raise
    return url, name, admin


def bench_partitions(k: int, n: int, inline: bool) -> None:
    """K partitions of N rows into core.epurchasing_order; per-partition load and delete times."""
    url, name, admin = temp_database()
    try:
        base = make_frame(n)
        print(f"{k} partitions x {n:,} rows ({DATASET} -> core.epurchasing_order), ANALYZE after the first")
        first_delete = None
        for i in range(k):
            kd_klpd = f"D{107 + i}"
            df = base.assign(kd_klpd=kd_klpd, kd_paket=base["kd_paket"].str.replace("01K", f"{i:02d}K", n=1))
            fetch = new_fetch(url, n, kd_klpd)
            with db.transaction(url) as conn:
                write_staging(conn, DATASET, fetch, df)
            steps: list[tuple[str, float]] = []
            t0 = time.perf_counter()
            res = load_fetch(fetch, "2025-10-03", url=url, allow_unvalidated=True,
                             _fail_after=lambda step: steps.append((step, time.perf_counter())))
            total = time.perf_counter() - t0
            marks = dict(steps)
            delete = marks["delete:epurchasing_order"] - marks["upsert:epurchasing_order"]
            first_delete = first_delete or delete
            line = (f"partition {i + 1} {kd_klpd}: load {total:6.2f}s  mark_deleted {delete:6.3f}s "
                    f"(x{delete / first_delete:5.2f} of the first)  rows {res.rows_loaded:,}")
            if inline:
                line += f"  former inline anti join {inline_delete_seconds(url, kd_klpd, df):7.2f}s"
            print(line, flush=True)
            if i == 0:  # statistics as autovacuum leaves them after the first big load
                conn = db.connect(url)
                conn.autocommit = True
                conn.cursor().execute("ANALYZE")
                conn.close()
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def inline_delete_seconds(url: str, kd_klpd: str, df: pd.DataFrame) -> float:
    """Seconds of the pre-fix delete (anti join against the mapping SELECT) for one more fetch of
    the partition (same rows), inside a load transaction right after its upsert, rolled back."""
    from psycopg2 import sql

    from pantau.load import merge
    from pantau.load.mappings import mappings_for

    fetch = new_fetch(url, len(df), kd_klpd)
    with db.transaction(url) as conn:
        write_staging(conn, DATASET, fetch, df)
    m = next(x for x in mappings_for(DATASET) if x.table == "epurchasing_order")
    conn = db.connect(url, limits={"statement_timeout": "0"})
    try:
        with conn.cursor() as cur:
            p = merge.read_partition(cur, fetch)
            merge.prepare_quarantine(cur, DATASET, fetch)
            params = {"fetch_id": fetch, "load_id": 1, "src_partition": p.src_partition,
                      "snapshot_date": "2025-10-03", "tahun": 2025}
            merge.upsert(cur, m, params)
            stmt = sql.SQL(
                "UPDATE core.{table} AS t SET is_deleted = true, deleted_at = %(snapshot_date)s, load_id = %(load_id)s "
                "WHERE t.src_partition = %(src_partition)s AND NOT t.is_deleted "
                "AND NOT EXISTS (SELECT 1 FROM ({mapping}) AS p WHERE {match})"
            ).format(table=sql.Identifier(m.table), mapping=sql.SQL(m.sql()), match=merge._key_match("p", "t", m.key))
            t0 = time.perf_counter()
            cur.execute(stmt, {**params, "include_quarantined": True})
            return time.perf_counter() - t0
    finally:
        conn.rollback()
        conn.close()


def psql_copy(url: str, stmt, payload: str, suffix: str) -> float:
    """Seconds for `psql \\copy` of `payload` (written to a file first) into an empty staging table."""
    truncate(url)
    with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False, encoding="utf-8") as fh:
        fh.write(payload)
        path = fh.name
    os.chmod(path, 0o644)
    try:
        stmt_text = _as_text(stmt, url).replace("FROM STDIN", f"FROM '{path}'")
        psql = ["/usr/bin/psql", db.dsn(url), "-v", "ON_ERROR_STOP=1", "-q", "-c",
                "\\" + stmt_text.replace("COPY", "copy", 1)]
        t, proc = timed(lambda: subprocess.run(psql, capture_output=True, text=True))
        if proc.returncode != 0:
            raise SystemExit(f"psql failed: {proc.stderr}")
    finally:
        os.unlink(path)
    truncate(url)
    return t


def _as_text(stmt, url: str) -> str:
    conn = db.connect(url)
    try:
        return stmt.as_string(conn)
    finally:
        conn.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=50_000, help="rows for to_sql / write_row (extrapolated)")
    ap.add_argument("--repeat", type=int, default=2, help="timed runs of ours and psql (best is used)")
    ap.add_argument("--partitions", type=int, default=0,
                    help="instead: load this many partitions into one core table (issue 19 point 8)")
    ap.add_argument("--partition-rows", type=int, default=30_000, help="rows per partition with --partitions")
    ap.add_argument("--inline", action="store_true", help="with --partitions: also time the former inline anti join")
    a = ap.parse_args()
    if a.partitions:
        bench_partitions(a.partitions, a.partition_rows, a.inline)
    else:
        bench(a.rows, a.sample, a.repeat)
