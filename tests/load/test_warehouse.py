"""Acceptance 4–5 (auditor role, lineage), comments on every object, staging COPY fidelity."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pandas as pd
import psycopg2
import pytest
from conftest import add_fetch, query, v6_order
from sqlalchemy.engine import make_url

from pantau import db
from pantau.datasets import DATASETS, LINEAGE_COLUMNS
from pantau.load import load_fetch
from pantau.load.staging import StagingError, write_staging
from pantau.load.staging_ddl import render


@pytest.fixture
def auditor_login(warehouse_url, pg_server_url):
    """A throw-away login that is a member of pantau_auditor (roles are cluster-wide: unique name)."""
    name = f"pantau_test_aud_{uuid.uuid4().hex[:8]}"
    admin = db.connect(pg_server_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE ROLE "{name}" LOGIN IN ROLE pantau_auditor')
    conn = db.connect(str(make_url(warehouse_url).set(username=name, password=None)))
    conn.autocommit = True
    yield conn
    conn.close()
    with admin.cursor() as cur:
        cur.execute(f'DROP ROLE "{name}"')
    admin.close()


def test_auditor_reads_but_never_writes(warehouse_url, stage_rows, auditor_login):
    load_fetch(stage_rows("ecat_paket_v6", [v6_order("01A", "ON_PROCESS")]), "2025-05-01")
    cur = auditor_login.cursor()
    for table in ("core.epurchasing_order", "history.epurchasing_order", "audit.load_log", "audit.lineage",
                  "mart.metric_run"):
        cur.execute(f"SELECT count(*) FROM {table}")
        assert cur.fetchone()[0] >= 0
    cur.execute("SELECT count(*) FROM history.epurchasing_order_asof('2025-06-01')")
    assert cur.fetchone() == (1,)
    cur.execute("SELECT count(*) FROM core.epurchasing_order")
    assert cur.fetchone() == (1,)

    denied = [
        "SELECT * FROM raw.fetch", "SELECT * FROM raw.fetch_page", "SELECT * FROM staging.ecat_paket_v6",
        "SELECT * FROM quarantine.ecat_paket_v6",
        "INSERT INTO core.dim_klpd (kd_klpd, fetch_id, load_id, src_partition) VALUES ('X', 1, 1, 'x')",
        "UPDATE core.epurchasing_order SET nilai = 0", "DELETE FROM history.epurchasing_order",
        "TRUNCATE core.epurchasing_order", "TRUNCATE audit.load_log", "UPDATE mart.metric_run SET tahun = 1",
        "INSERT INTO raw.fetch (source_system, dataset, tahun, started_at, status) VALUES ('isb', 'x', 1, now(), 'ok')",
        "CREATE TABLE core.evil (x int)", "CREATE TABLE history.evil (x int)", "CREATE TABLE mart.evil (x int)",
        "CREATE TABLE audit.evil (x int)", "CREATE TABLE public.evil (x int)", "CREATE TABLE raw.evil (x int)",
        "CREATE SCHEMA evil", "CREATE VIEW core.evil AS SELECT 1",
    ]
    for stmt in denied:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute(stmt)


def test_lineage_gives_url_without_secret_and_sha(warehouse_url, stage_rows):
    secret = "0c5f7a3e-9b1d-4e2f-8a6b-112233445566"
    sha = "ab" * 32
    fetch = stage_rows("ecat_paket_v6", [v6_order("01A", "ON_PROCESS")], sha=sha,
                       source_url=f"https://isb.lkpp.go.id/isb-2/api/{secret}/json/1213/Ecat-PaketEPurchasingV6"
                                  f"/tipe/4:12/parameter/2025:D107?token=s3cr3t&x=1")
    load_fetch(fetch, "2025-05-01")
    rows = query(warehouse_url, "SELECT fetch_id, source_url, sha256, snapshot_date, fetched_at IS NOT NULL "
                                "FROM audit.lineage WHERE table_name = 'epurchasing_order' "
                                "AND row_key = %s::jsonb", ('{"versi": "v6", "kd_paket": "01A"}',))
    assert len(rows) == 1
    fid, url, got_sha, snap, has_time = rows[0]
    assert (fid, got_sha, snap, has_time) == (fetch, sha, dt.date(2025, 5, 1), True)
    assert secret not in url and "s3cr3t" not in url
    assert url.startswith("https://isb.lkpp.go.id/isb-2/api/***/json/1213/Ecat-PaketEPurchasingV6")
    assert "x=1" in url


def test_every_table_and_column_is_commented(warehouse_url):
    missing = query(warehouse_url, """
        SELECT n.nspname || '.' || c.relname || coalesce('.' || a.attname, '')
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE n.nspname IN ('core', 'history', 'audit', 'staging') AND c.relkind IN ('r', 'v', 'p')
           AND (obj_description(c.oid, 'pg_class') IS NULL
                OR (a.attnum IS NOT NULL AND col_description(c.oid, a.attnum) IS NULL))
         ORDER BY 1""")
    assert missing == []
    bad = query(warehouse_url, """
        SELECT c.relname, a.attname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
         WHERE n.nspname IN ('core', 'history') AND col_description(c.oid, a.attnum) NOT LIKE '%% / %%'""")
    assert bad == [], "comments must be 'Indonesian / English'"


def test_staging_migration_matches_dataset_specs(warehouse_url):
    with open(db.__file__.replace("plugins/pantau/db.py", "include/sql/schema/025_staging.sql"), encoding="utf-8") as fh:
        assert fh.read() == render(), "run python -m pantau.load.staging_ddl and add a migration"
    for name, spec in DATASETS.items():
        cols = query(warehouse_url, "SELECT column_name, format_type(a.atttypid, a.atttypmod) FROM information_schema.columns c "
                                    "JOIN pg_attribute a ON a.attrelid = ('staging.' || c.table_name)::regclass "
                                    "AND a.attname = c.column_name WHERE c.table_schema = 'staging' AND c.table_name = %s "
                                    "ORDER BY c.ordinal_position", (name,))
        want = [(c.name, c.pg_type) for c in (*spec.columns, *LINEAGE_COLUMNS)]
        assert [(n, t.replace("integer", "integer")) for n, t in cols] == [
            (n, {"timestamptz": "timestamp with time zone"}.get(t, t)) for n, t in want], name


def test_write_staging_round_trips_values_and_replaces_the_fetch(warehouse_url):
    fetch = add_fetch(warehouse_url, "ecat_paket_v6")
    df = pd.DataFrame([
        {"kd_paket": "01A", "total_harga": Decimal("1234567890123.45"), "jml_produk": 4876.85,
         "kd_rup": 53605662.0, "tgl_order": dt.date(2025, 3, 1), "status_pkt": "",
         "nama_satker": 'DINAS "A", B\nbaris', "extra": {"harga": Decimal("1.5"), "ts": dt.date(2025, 1, 2)},
         "row_no": 0},
        {"kd_paket": "01B", "total_harga": None, "jml_produk": float("nan"), "kd_rup": None,
         "tgl_order": None, "status_pkt": None, "nama_satker": None, "extra": None, "row_no": 1},
    ])
    with db.transaction(warehouse_url) as conn:
        assert write_staging(conn, "ecat_paket_v6", fetch, df) == 2
    rows = query(warehouse_url, "SELECT kd_paket, total_harga, jml_produk, kd_rup, tgl_order, status_pkt, nama_satker, "
                                "extra FROM staging.ecat_paket_v6 WHERE fetch_id = %s ORDER BY row_no", (fetch,))
    assert rows[0] == ("01A", Decimal("1234567890123.45"), Decimal("4876.85"), 53605662, dt.date(2025, 3, 1), "",
                       'DINAS "A", B\nbaris', {"harga": "1.5", "ts": "2025-01-02"})
    assert rows[1] == ("01B", None, None, None, None, None, None, None)
    ts = pd.DataFrame([{"kd_tender": 1, "tgl_pengumuman_tender": pd.Timestamp("2025-02-03 16:00:00"), "row_no": 0},
                       {"kd_tender": 2, "tgl_pengumuman_tender": pd.Timestamp("2025-02-03 16:00:00+00:00"),
                        "row_no": 1}])
    f2 = add_fetch(warehouse_url, "spse_tender_pengumuman", kd_lpse=93)
    with db.transaction(warehouse_url) as conn:
        write_staging(conn, "spse_tender_pengumuman", f2, ts.astype(object))
    got = query(warehouse_url, "SELECT kd_tender, tgl_pengumuman_tender FROM staging.spse_tender_pengumuman "
                               "WHERE fetch_id = %s ORDER BY 1", (f2,))
    assert got[0][1] == dt.datetime(2025, 2, 3, 9, 0, tzinfo=dt.timezone.utc)  # naive = Asia/Jakarta
    assert got[1][1] == dt.datetime(2025, 2, 3, 16, 0, tzinfo=dt.timezone.utc)

    with db.transaction(warehouse_url) as conn:  # re-staging a fetch replaces its rows
        assert write_staging(conn, "ecat_paket_v6", fetch, df.iloc[:1]) == 1
    assert query(warehouse_url, "SELECT count(*) FROM staging.ecat_paket_v6 WHERE fetch_id = %s", (fetch,)) == [(1,)]
    with pytest.raises(StagingError, match="not_a_column"):
        with db.transaction(warehouse_url) as conn:
            write_staging(conn, "ecat_paket_v6", fetch, df.assign(not_a_column=1))


def test_docs_gen_writes_the_dictionary(warehouse_url, tmp_path):
    from pantau.docs_gen import generate

    text = generate(warehouse_url, tmp_path / "warehouse.md").read_text(encoding="utf-8")
    assert "### `core.epurchasing_order` (table)" in text
    assert "Key: `(versi, kd_paket)`" in text
    assert "| `valid_from` | date | no |" in text
    assert "history.epurchasing_order_asof(as_of date, include_deleted boolean)" in text
