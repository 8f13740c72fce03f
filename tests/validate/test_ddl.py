"""Quarantine tables and the validation audit table match the specs (real PostgreSQL catalog)."""
from pantau.datasets import DATASETS
from pantau.migrate import SCHEMA_DIR
from pantau.validate import ddl


def test_committed_migration_is_the_generated_text():
    assert (SCHEMA_DIR / "041_quarantine.sql").read_text(encoding="utf-8") == ddl.render()


def test_quarantine_tables_match_the_specs(conn):
    with conn.cursor() as cur:
        for name, sp in DATASETS.items():
            cur.execute(
                """SELECT column_name, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                          col_description(a.attrelid, a.attnum)
                     FROM information_schema.columns c
                     JOIN pg_attribute a ON a.attrelid = ('quarantine.' || quote_ident(%s))::regclass
                                        AND a.attname = c.column_name
                    WHERE c.table_schema = 'quarantine' AND c.table_name = %s
                    ORDER BY c.ordinal_position""", (name, name))
            rows = cur.fetchall()
            expected = [(c.name, c.pg_type) for c in ddl.quarantine_columns(sp)]
            got = [(r[0], r[1].replace("numeric(20,2)", "numeric(20,2)").replace("timestamp with time zone",
                                                                                   "timestamptz")) for r in rows]
            assert got == [(n, {"integer": "integer"}.get(t, t)) for n, t in expected], name
            assert all(r[3] and " / " in r[3] for r in rows), f"{name}: every column needs an ID / EN comment"
            nn = {r[0] for r in rows if r[2]}
            assert {"fetch_id", "row_no", "reason", "expectation"} <= nn
            # same business columns as staging, in the same order
            cur.execute("""SELECT column_name FROM information_schema.columns
                            WHERE table_schema = 'staging' AND table_name = %s ORDER BY ordinal_position""", (name,))
            staging_cols = [r[0] for r in cur.fetchall()]
            assert [r[0] for r in rows][: len(staging_cols)] == staging_cols, name


def test_validation_run_table_is_commented(conn):
    with conn.cursor() as cur:
        cur.execute("""SELECT a.attname, col_description(a.attrelid, a.attnum) FROM pg_attribute a
                        WHERE a.attrelid = 'audit.validation_run'::regclass AND a.attnum > 0 AND NOT a.attisdropped""")
        rows = cur.fetchall()
        assert len(rows) >= 20
        assert [n for n, d in rows if not d] == []
        cur.execute("SELECT obj_description('audit.validation_run'::regclass)")
        assert " / " in cur.fetchone()[0]
