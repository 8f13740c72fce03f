"""Warehouse connections.

psycopg2 is the project's driver for our own SQL (COPY, MERGE, migrations); Airflow's
`PostgresHook` uses psycopg 3, which is fine for the hook's own helpers but is not what we call.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import psycopg2
import psycopg2.extensions
from sqlalchemy.engine import make_url

from pantau.config import warehouse_url


def dsn(url: str | None = None) -> str:
    """libpq DSN for a SQLAlchemy URL (drops the `+driver` part)."""
    u = make_url(url or warehouse_url())
    parts = {
        "host": u.host,
        "port": u.port,
        "dbname": u.database,
        "user": u.username,
        "password": u.password,
    }
    parts.update({k: v for k, v in u.query.items() if isinstance(v, str)})
    return " ".join(f"{k}='{str(v)}'" for k, v in parts.items() if v not in (None, ""))


def connect(url: str | None = None, **kwargs) -> psycopg2.extensions.connection:
    """A new psycopg2 connection (autocommit off: callers own their transaction)."""
    return psycopg2.connect(dsn(url), **kwargs)


@contextmanager
def transaction(url: str | None = None) -> Iterator[psycopg2.extensions.connection]:
    """One transaction: commit on success, roll back on any exception, always close."""
    conn = connect(url)
    try:
        with conn:
            yield conn
    finally:
        conn.close()
