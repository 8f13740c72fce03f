"""Warehouse connections.

psycopg2 is the project's driver for our own SQL (COPY, MERGE, migrations); Airflow's
`PostgresHook` uses psycopg 3, which is fine for the hook's own helpers but is not what we call.

Connections are opened with keyword arguments, never by gluing `k='v'` text: a password with a
quote or a space (or `x' host='evil`) is a value, not DSN syntax. psycopg2 quotes each keyword.

Every connection carries session limits (issue 19 point 7), because a task killed with SIGKILL
leaves its backend running: the backend of a statement in progress does not read the socket, so
it would finish (or never finish) its statement while holding the partition lock, and the retry
would wait for it forever. `client_connection_check_interval` makes such a backend notice the dead
client and abort; `statement_timeout`, `lock_timeout` and `idle_in_transaction_session_timeout`
bound what a hung (not dead) client or a waiting retry can hold or wait. Defaults are
`SESSION_LIMITS`; override per process with `PANTAU_DB_<NAME>` (e.g. `PANTAU_DB_LOCK_TIMEOUT=30s`)
or per connection with `connect(url, limits={...})` (a task that needs longer statements).
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

import psycopg2
import psycopg2.extensions
from sqlalchemy.engine import make_url

from pantau.config import warehouse_url

# GUC → default. Why these values: a partition load takes seconds to a few minutes, so a lock
# wait beyond 5 min means a stuck holder (fail with a named error and let Airflow retry); no
# single statement of ours should run an hour; a transaction left idle 30 min by a hung worker
# is dead weight holding locks; a dead client is noticed within 10 s.
SESSION_LIMITS: dict[str, str] = {
    "statement_timeout": "1h",
    "lock_timeout": "5min",
    "idle_in_transaction_session_timeout": "30min",
    "client_connection_check_interval": "10s",
}
LIMIT_ENV_PREFIX = "PANTAU_DB_"
# A duration PostgreSQL accepts; nothing else may reach the `options` startup string (an env value
# like "1s -c search_path=evil" must not smuggle another setting in).
_DURATION = re.compile(r"^\d+\s*(us|ms|s|min|h|d)?$")
# Parameters that only newer servers know (client_connection_check_interval: PostgreSQL 14).
_OPTIONAL_LIMITS = ("client_connection_check_interval",)


class SettingError(ValueError):
    """A session limit from the environment or a caller is not a valid duration."""


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


def session_limits(overrides: Mapping[str, str | int | None] | None = None) -> dict[str, str]:
    """The session limits a new connection gets: defaults < `PANTAU_DB_<NAME>` env < `overrides`.

    A value of "0" disables a limit (PostgreSQL's own meaning); None or "" in `overrides` drops
    the setting altogether (the server default applies). Raises SettingError for anything that is
    not a duration, naming the setting and where it came from.
    """
    limits: dict[str, str] = dict(SESSION_LIMITS)
    for name in SESSION_LIMITS:
        env = os.environ.get(LIMIT_ENV_PREFIX + name.upper())
        if env is not None and env.strip() != "":
            limits[name] = _checked(name, env, LIMIT_ENV_PREFIX + name.upper())
    for name, value in (overrides or {}).items():
        if name not in SESSION_LIMITS:
            raise SettingError(f"unknown session limit {name!r}; known: {sorted(SESSION_LIMITS)}")
        if value is None or str(value).strip() == "":
            limits.pop(name, None)
        else:
            limits[name] = _checked(name, str(value), "connect(limits=...)")
    return limits


def _checked(name: str, value: str, origin: str) -> str:
    value = value.strip()
    if not _DURATION.match(value):
        raise SettingError(f"{origin}: {name} must be a duration like 500ms, 30s, 5min or 1h, got {value!r}")
    return value.replace(" ", "")


def _options(limits: Mapping[str, str], existing: str | None) -> str:
    """The libpq `options` string: our `-c name=value` first, then any the URL carried (which win)."""
    ours = " ".join(f"-c {name}={value}" for name, value in limits.items())
    return f"{ours} {existing}".strip() if existing else ours


def connect(url: str | None = None, *, limits: Mapping[str, str | int | None] | None = None,
            **kwargs) -> psycopg2.extensions.connection:
    """A new psycopg2 connection (autocommit off: callers own their transaction), with the session
    limits of `session_limits(limits)` set at connection start (no extra round trip)."""
    params = {**connect_params(url), **kwargs}
    wanted = session_limits(limits)
    try:
        return psycopg2.connect(**{**params, "options": _options(wanted, params.get("options"))})
    except psycopg2.OperationalError as exc:
        # PostgreSQL < 14 refuses the whole connection for a parameter it does not know: retry
        # without the optional ones rather than lose every other limit.
        unknown = [n for n in _OPTIONAL_LIMITS if n in wanted and n in str(exc)]
        if not unknown:
            raise
        kept = {k: v for k, v in wanted.items() if k not in unknown}
        return psycopg2.connect(**{**params, "options": _options(kept, params.get("options"))})


def lock_key(cur, key: str) -> None:
    """Block until this transaction holds the exclusive lock named `key`; released at commit/rollback.

    A row of `meta.partition_lock` locked `FOR UPDATE`, not an advisory lock (issue 19 point 13):
    advisory-lock functions are open to PUBLIC and keys are guessable, so any login (an auditor)
    could hold a loader's key and stall it; the lock table is reachable only by the warehouse
    owner. The waiting side is bounded by `lock_timeout` (psycopg2.errors.LockNotAvailable).
    The row is created on first use; a concurrent first use waits on the other's insert, so two
    transactions still serialise.
    """
    cur.execute("INSERT INTO meta.partition_lock (lock_key) VALUES (%s) ON CONFLICT (lock_key) DO NOTHING", (key,))
    cur.execute("SELECT 1 FROM meta.partition_lock WHERE lock_key = %s FOR UPDATE", (key,))


@contextmanager
def transaction(url: str | None = None) -> Iterator[psycopg2.extensions.connection]:
    """One transaction: commit on success, roll back on any exception, always close."""
    conn = connect(url)
    try:
        with conn:
            yield conn
    finally:
        conn.close()
