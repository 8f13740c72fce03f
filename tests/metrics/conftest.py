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


def _required_columns(conn, table: str) -> dict[str, str]:
    with conn.cursor() as cur:
        cur.execute("""SELECT column_name, data_type FROM information_schema.columns
                       WHERE table_schema = 'history' AND table_name = %s
                         AND is_nullable = 'NO' AND column_default IS NULL""", (table,))
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
