"""Warehouse connections.

psycopg2 is the project's driver for our own SQL (COPY, MERGE, migrations); Airflow's
`PostgresHook` uses psycopg 3, which is fine for the hook's own helpers but is not what we call.

Connections are opened with keyword arguments, never by gluing `k='v'` text: a password with a
quote or a space (or `x' host='evil`) is a value, not DSN syntax. psycopg2 quotes each keyword.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import psycopg2
import psycopg2.extensions
from sqlalchemy.engine import make_url

from pantau.config import warehouse_url


def connect_params(url: str | None = None) -> dict[str, Any]:
    """libpq keywords for a SQLAlchemy URL (the `+driver` part dropped; URL query parameters such
    as `sslmode` or a socket `host` kept). Default: the configured warehouse."""
    u = make_url(url or warehouse_url())
    params: dict[str, Any] = {"host": u.host, "port": u.port, "dbname": u.database, "user": u.username,
                              "password": u.password}
    for key, value in u.query.items():
        params[key] = value if isinstance(value, str) else value[-1]   # a repeated key: the last wins
    return {k: v for k, v in params.items() if v not in (None, "")}


def dsn(url: str | None = None) -> str:
    """libpq DSN string (for psycopg 3 and `psql`), each value quoted and escaped by libpq's rules."""
    return psycopg2.extensions.make_dsn(**{k: str(v) for k, v in connect_params(url).items()})


def connect(url: str | None = None, **kwargs) -> psycopg2.extensions.connection:
    """A new psycopg2 connection (autocommit off: callers own their transaction)."""
    return psycopg2.connect(**{**connect_params(url), **kwargs})


@contextmanager
def transaction(url: str | None = None) -> Iterator[psycopg2.extensions.connection]:
    """One transaction: commit on success, roll back on any exception, always close."""
    conn = connect(url)
    try:
        with conn:
            yield conn
    finally:
        conn.close()
