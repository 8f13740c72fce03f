"""Fixtures for metric tests: tiny history rows inserted by name, one-letter-ish fake ids.

`hist(table, *rows, valid_from=..., valid_to=None)` inserts rows into history.<table> naming only
the columns a test cares about; NOT NULL columns without a default (lineage: fetch_id, load_id,
src_partition, …) are filled with neutral values read from the catalogue, so the tests survive
the warehouse engineer adding lineage columns.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import pytest
from psycopg2 import sql

_FILLERS = {
    "text": "test", "character varying": "test", "bigint": 0, "integer": 0, "smallint": 0,
    "numeric": 0, "boolean": False, "date": dt.date(2000, 1, 1),
    "timestamp with time zone": dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc), "jsonb": "{}",
    "ARRAY": [],
}


def _required_columns(conn, table: str, schema: str = "history") -> dict[str, str]:
    with conn.cursor() as cur:
        cur.execute("""SELECT column_name, data_type FROM information_schema.columns
                       WHERE table_schema = %s AND table_name = %s
                         AND is_nullable = 'NO' AND column_default IS NULL""", (schema, table))
        return dict(cur.fetchall())


@pytest.fixture
def hist(conn) -> Callable[..., None]:
    """Insert rows into history.<table>; commits so compute() (own connection) sees them."""
    cache: dict[str, dict[str, str]] = {}

    def insert(table: str, *rows: dict[str, Any], valid_from: str | dt.date = "2023-01-01",
               valid_to: str | dt.date | None = None) -> None:
        required = cache.setdefault(table, _required_columns(conn, table))
        with conn.cursor() as cur:
            for row in rows:
                full = {"valid_from": valid_from, "valid_to": valid_to, **row}
                for col, typ in required.items():
                    full.setdefault(col, _FILLERS.get(typ, "test"))
                cols = list(full)
                cur.execute(
                    sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                        sql.Identifier("history", table),
                        sql.SQL(", ").join(map(sql.Identifier, cols)),
                        sql.SQL(", ").join(sql.Placeholder() * len(cols))),
                    [full[c] for c in cols])
        conn.commit()

    return insert


@pytest.fixture
def fetch(conn) -> Callable[..., list[dict[str, Any]]]:
    """Run a query and return dict rows (numeric as Decimal)."""
    def run(query: str, params: Any = None) -> list[dict[str, Any]]:
        with conn.cursor() as cur:
            cur.execute(query, params)
            names = [d.name for d in cur.description]
            out = [dict(zip(names, r)) for r in cur.fetchall()]
        conn.commit()
        return out

    return run


@pytest.fixture
def core(conn) -> Callable[..., None]:
    """Insert rows into core.<table> (commits). Lineage columns point at one real audit.load_log
    row (core's load_id is a foreign key); other NOT NULL columns get neutral values."""
    cache: dict[str, dict[str, str]] = {}
    load: dict[str, int] = {}

    def load_id() -> int:
        if "id" not in load:
            with conn.cursor() as cur:
                cur.execute("""INSERT INTO audit.load_log (dataset, src_partition, fetch_id, snapshot_date, status)
                               VALUES ('test', 'test', 0, '2000-01-01', 'ok') RETURNING load_id""")
                load["id"] = cur.fetchone()[0]
        return load["id"]

    def insert(table: str, *rows: dict[str, Any]) -> None:
        required = cache.setdefault(table, _required_columns(conn, table, "core"))
        with conn.cursor() as cur:
            for row in rows:
                full = {"load_id": load_id(), **row}
                for col, typ in required.items():
                    full.setdefault(col, _FILLERS.get(typ, "test"))
                cols = list(full)
                cur.execute(
                    sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                        sql.Identifier("core", table),
                        sql.SQL(", ").join(map(sql.Identifier, cols)),
                        sql.SQL(", ").join(sql.Placeholder() * len(cols))),
                    [full[c] for c in cols])
        conn.commit()

    return insert
