"""Acceptance 4–5 (auditor role, lineage), comments on every object, staging COPY fidelity."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import psycopg2
import pytest
from loadkit import add_fetch, query, v6_order

from pantau import db
from pantau.datasets import DATASETS, LINEAGE_COLUMNS
from loadkit import load_unvalidated as load_fetch
from pantau.load.staging import StagingError, write_staging
from pantau.load.staging_ddl import render


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
                                    "JOIN pg_attribute a ON a.attrelid = ('staging.' || quote_ident(%s))::regclass "
                                    "AND a.attname = c.column_name WHERE c.table_schema = 'staging' AND c.table_name = %s "
                                    "ORDER BY c.ordinal_position", (name, name))
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


_TRICKY_TEXT = ['say "hi", then \'bye\'', "a,b;c", "tab\there", "line\nbreak", "cr\rlf\r\n", "back\\slash \\t \\n",
                "ends with backslash\\", "ünïcödé — 日本語 🙂", "", " padded ", "\\N", "NULL", "null", "\x01ctrl", None]


def _staged(url: str, dataset: str, fetch: int, cols: list[str]) -> list[tuple]:
    return query(url, f"SELECT {', '.join(cols)} FROM staging.{dataset} WHERE fetch_id = %s ORDER BY row_no", (fetch,))


def _csv_path(conn, dataset: str, fetch_id: int, df: pd.DataFrame) -> None:
    """The former write path (DataFrame.to_csv + COPY csv), the reference for identical outputs."""
    from pantau.load.staging import copy_sql, frame_to_csv, prepare_frame

    frame, cols = prepare_frame(dataset, fetch_id, df)
    with conn.cursor() as cur:
        cur.execute("SET LOCAL TimeZone = 'Asia/Jakarta'")
        cur.copy_expert(copy_sql(dataset, cols, "csv").as_string(conn), frame_to_csv(frame))


@pytest.mark.parametrize("flavour", ["object", "normalized"])
def test_write_staging_round_trips_tricky_values_like_the_csv_path(warehouse_url, flavour):
    n = len(_TRICKY_TEXT)
    decimals = [Decimal("1234567890123456.78"), Decimal("-0.01"), Decimal("0"), Decimal("0.00"), Decimal("1E+2"),
                Decimal("99999999999999999.99"), None, Decimal("NaN"), Decimal("-1.5"), Decimal("12.345"),
                Decimal("1"), Decimal("0.1"), Decimal("-999999999999999999.99"), Decimal("7.10"), None]
    big = [Decimal("1E+40"), Decimal("1.234567890123456789012345678901234567890E-30"), Decimal("-0.000001"),
           Decimal("123456789012345678901234567890.123456789"), *[Decimal(i) for i in range(n - 5)], None]
    extra = [{"q": 'he said "x", \\ and \t', "nested": {"list": [1, "a\nb", None], "d": Decimal("1.50")},
              "ts": dt.date(2025, 1, 2)}, {}, [], {"u": "日本 🙂"}, None, *[{"i": i} for i in range(n - 5)]]
    rows = pd.DataFrame({
        "kd_rup": [*range(1, n), None], "nama_paket": _TRICKY_TEXT, "pagu": decimals,
        "kd_satker": [10**15, -1, 0, *range(n - 4), None], "tahun_anggaran": [2025] * (n - 1) + [None],
        "status_aktif_rup": [True, False, None] * (n // 3),
        "tgl_awal_pemilihan": [dt.date(2025, 3, 1), None, dt.date(1999, 12, 31)] * (n // 3),
        "tgl_pengumuman_paket": [pd.Timestamp("2025-02-03 16:00:00"), pd.Timestamp("2025-02-03 16:00:00+00:00"),
                                 pd.Timestamp("2025-02-03 23:59:59.123456", tz="Asia/Jakarta"), pd.NaT,
                                 dt.datetime(2024, 2, 29, 0, 0)] * (n // 5),
        "extra": extra, "row_no": range(n),
    })
    v6 = pd.DataFrame({"kd_paket": _TRICKY_TEXT, "jml_produk": big, "total_harga": decimals,
                       "ongkir": [0.1, 1e16, -2.5, float("nan"), 123.45] * (n // 5),
                       "tgl_order": pd.to_datetime(["2025-03-01", None, "2025-12-31"] * (n // 3)), "row_no": range(n)})
    if flavour == "normalized":  # the dtypes pantau.sources.normalize produces
        rows = rows.astype({"kd_rup": "Int64", "nama_paket": "string", "kd_satker": "Int64",
                            "tahun_anggaran": "Int64", "status_aktif_rup": "boolean", "row_no": "Int64"})
        rows["tgl_pengumuman_paket"] = pd.Series(
            [None if v is pd.NaT else (v.tz_localize("Asia/Jakarta") if v.tzinfo is None else v)
             for v in map(pd.Timestamp, rows["tgl_pengumuman_paket"])], dtype="datetime64[us, Asia/Jakarta]")
        v6 = v6.astype({"kd_paket": "string", "ongkir": "Float64"})
    cols_rows = ["kd_rup", "nama_paket", "pagu", "kd_satker", "tahun_anggaran", "status_aktif_rup",
                 "tgl_awal_pemilihan", "tgl_pengumuman_paket", "extra"]
    cols_v6 = ["kd_paket", "jml_produk", "total_harga", "ongkir", "tgl_order"]
    new_r, old_r = add_fetch(warehouse_url, "rup_paket_penyedia"), add_fetch(warehouse_url, "rup_paket_penyedia")
    new_v, old_v = add_fetch(warehouse_url, "ecat_paket_v6"), add_fetch(warehouse_url, "ecat_paket_v6")
    with db.transaction(warehouse_url) as conn:
        assert write_staging(conn, "rup_paket_penyedia", new_r, rows) == n
        assert write_staging(conn, "ecat_paket_v6", new_v, v6) == n
    with db.transaction(warehouse_url) as conn:
        _csv_path(conn, "rup_paket_penyedia", old_r, rows)
        _csv_path(conn, "ecat_paket_v6", old_v, v6)

    got = _staged(warehouse_url, "rup_paket_penyedia", new_r, cols_rows)
    got_v6 = _staged(warehouse_url, "ecat_paket_v6", new_v, cols_v6)
    assert [r[1] for r in got] == _TRICKY_TEXT  # '' stays '', None stays NULL, "\N" stays text
    assert [r[0] for r in got_v6] == _TRICKY_TEXT
    assert [r[2] for r in got][:6] == decimals[:6] and got[6][2] is got[7][2] is None  # NaN = missing
    assert [r[1] for r in got_v6] == big
    assert got[0][3] == 10**15 and got[-1][3:5] == (None, None)
    assert [r[5] for r in got[:3]] == [True, False, None]
    assert [r[6] for r in got[:3]] == [dt.date(2025, 3, 1), None, dt.date(1999, 12, 31)]
    utc = dt.timezone.utc
    assert [r[7] for r in got[:5]] == [dt.datetime(2025, 2, 3, 9, 0, tzinfo=utc), dt.datetime(2025, 2, 3, 16, 0, tzinfo=utc),
                                       dt.datetime(2025, 2, 3, 16, 59, 59, 123456, tzinfo=utc), None,
                                       dt.datetime(2024, 2, 28, 17, 0, tzinfo=utc)]
    assert got[0][8] == {"q": 'he said "x", \\ and \t', "nested": {"list": [1, "a\nb", None], "d": "1.50"},
                         "ts": "2025-01-02"}
    assert [r[8] for r in got[1:5]] == [{}, [], {"u": "日本 🙂"}, None]
    assert [r[3] for r in got_v6[:5]] == [Decimal("0.10"), Decimal("10000000000000000.00"), Decimal("-2.50"), None,
                                          Decimal("123.45")]
    assert [r[4] for r in got_v6[:3]] == [dt.date(2025, 3, 1), None, dt.date(2025, 12, 31)]
    # identical to the former to_csv path, except "\N" which that path read back as NULL
    old, old_v6 = (_staged(warehouse_url, "rup_paket_penyedia", old_r, cols_rows),
                   _staged(warehouse_url, "ecat_paket_v6", old_v, cols_v6))
    keep = [i for i, t in enumerate(_TRICKY_TEXT) if t != "\\N"]
    assert [got[i] for i in keep] == [old[i] for i in keep]
    assert [got_v6[i] for i in keep] == [old_v6[i] for i in keep]


def test_write_staging_aborts_when_building_fails(warehouse_url):
    """An unprintable value fails the COPY (nothing staged, previous rows kept after rollback)."""
    fetch = add_fetch(warehouse_url, "ecat_paket_v6")
    with db.transaction(warehouse_url) as conn:
        write_staging(conn, "ecat_paket_v6", fetch, pd.DataFrame({"kd_paket": ["01A"], "row_no": [0]}))

    class Bad:
        def __str__(self):
            raise RuntimeError("cannot print")

    big = pd.DataFrame({"kd_paket": [f"k{i}" for i in range(120_000)], "row_no": range(120_000)})
    big["nama_satker"] = pd.Series(["x"] * 120_000, dtype=object)
    big.loc[110_000, "nama_satker"] = Bad()  # in a later chunk: the COPY has already started
    with pytest.raises(RuntimeError, match="cannot print"):
        with db.transaction(warehouse_url) as conn:
            write_staging(conn, "ecat_paket_v6", fetch, big)
    assert query(warehouse_url, "SELECT kd_paket FROM staging.ecat_paket_v6 WHERE fetch_id = %s", (fetch,)) == [("01A",)]
