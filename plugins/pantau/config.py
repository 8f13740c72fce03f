"""Paths and settings shared by every module.

Paths are resolved from this file, never from the working directory, so the package behaves the
same under `make`, pytest, the Airflow scheduler and a Celery worker.

Settings are read from Airflow Connections first (`pantau_warehouse`, `pantau_smtp` /
`smtp_default`), then from the environment (`PANTAU_WAREHOUSE_URL`, …). Inside an Airflow task a
missing warehouse setting is an error; only developer tooling falls back to the embedded server.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

REPO_ROOT = Path(os.environ.get("PANTAU_HOME", Path(__file__).resolve().parents[2]))
INCLUDE_DIR = REPO_ROOT / "include"
SQL_DIR = INCLUDE_DIR / "sql"
TEMPLATES_DIR = INCLUDE_DIR / "templates"
CONFIG_DIR = INCLUDE_DIR / "config"
OUTPUT_DIR = Path(os.environ.get("PANTAU_OUTPUT_DIR", REPO_ROOT / "output"))
LOCAL_DIR = Path(os.environ.get("PANTAU_LOCAL_DIR", REPO_ROOT / ".local"))

WAREHOUSE_URL_ENV = "PANTAU_WAREHOUSE_URL"
WAREHOUSE_CONN_ID = "pantau_warehouse"
SMTP_CONN_ID_ENV = "PANTAU_SMTP_CONN_ID"
# libpq keywords an Airflow Postgres connection may carry in `extra`; the provider's own keys
# (cursor, iam, sqlalchemy_scheme, …) mean nothing to psycopg2 and would make it refuse the DSN.
LIBPQ_EXTRA_KEYS = frozenset({
    "sslmode", "sslcert", "sslkey", "sslrootcert", "sslcrl", "sslpassword", "sslcompression",
    "connect_timeout", "application_name", "options", "target_session_attrs", "keepalives",
    "keepalives_idle", "keepalives_interval", "keepalives_count", "gssencmode", "channel_binding",
    "service", "passfile", "client_encoding", "hostaddr", "krbsrvname", "tcp_user_timeout",
})


class SettingMissing(RuntimeError):
    """A required setting is defined neither as an Airflow Connection nor in the environment."""


# ---------------------------------------------------------------------------------------------
# where are we running?
def running_under_airflow() -> bool:
    """True inside an Airflow task (LocalExecutor, CeleryExecutor, `dag.test()`).

    Airflow's task runner exports the task context as `AIRFLOW_CTX_DAG_ID` & co. into
    `os.environ` before it calls the task (all three paths go through it), and a task-runner
    process has the task SDK's supervisor channel set. Either one means "task code": settings
    must come from Airflow or the environment, never from developer fallbacks. (After a
    `dag.test()` the variables stay set in that process: it stays "under Airflow", which is the
    safe side.)"""
    if os.environ.get("AIRFLOW_CTX_DAG_ID"):
        return True
    runner = sys.modules.get("airflow.sdk.execution_time.task_runner")
    return getattr(runner, "SUPERVISOR_COMMS", None) is not None


def airflow_connection(conn_id: str, *, force: bool = False) -> Any | None:
    """The Airflow Connection `conn_id` through Airflow's own lookup, or None if it is not defined.

    Airflow's lookup covers everything an operator may use: the metadata DB via the API server
    (inside a task), secrets backends, and `AIRFLOW_CONN_<ID>` variables (JSON or URI). Importing
    Airflow costs ~2 s, so without `force` it is consulted only where it can know the answer:
    inside Airflow, once Airflow is loaded, or when `AIRFLOW_CONN_<ID>` is set. Other errors than
    "not defined" (API server unreachable, access denied) propagate: no silent fallback."""
    if not (force or running_under_airflow() or "airflow" in sys.modules
            or os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")):
        return None
    try:
        from airflow.sdk import Connection
        from airflow.sdk.exceptions import AirflowNotFoundException
    except ImportError:      # the package is usable without Airflow (CLI, bench)
        return None
    try:
        return Connection.get(conn_id)
    except AirflowNotFoundException:
        return None


# ---------------------------------------------------------------------------------------------
# warehouse
def connection_to_url(conn: Any) -> str:
    """SQLAlchemy URL (`postgresql+psycopg2://…`, password included) of an Airflow Postgres
    Connection: host, port, login, password, schema (= database) and libpq keys of `extra`.
    The one place this conversion happens (`airflow_env` builds the reverse with `url_to_connection`)."""
    from sqlalchemy.engine import URL

    conn_type = (getattr(conn, "conn_type", None) or "postgres").lower()
    if conn_type not in ("postgres", "postgresql"):
        raise ValueError(f"connection {getattr(conn, 'conn_id', '?')!r}: conn_type {conn_type!r} is not postgres")
    extra = conn.extra_dejson if getattr(conn, "extra", None) else {}
    query = {k: str(v) for k, v in extra.items() if k in LIBPQ_EXTRA_KEYS and v not in (None, "")}
    host = conn.host or None
    if host and host.startswith("/"):          # a Unix socket directory goes in the query
        query["host"], host = host, None
    url = URL.create("postgresql+psycopg2", username=conn.login or None, password=conn.password or None,
                     host=host, port=int(conn.port) if conn.port else None, database=conn.schema or None,
                     query=query)
    return url.render_as_string(hide_password=False)


def url_to_connection(sqlalchemy_url: str) -> dict[str, Any]:
    """Airflow Connection fields (the JSON form of `AIRFLOW_CONN_<ID>`) for a SQLAlchemy URL;
    `connection_to_url` of the result gives the same URL back."""
    from sqlalchemy.engine import make_url

    u = make_url(sqlalchemy_url)
    extra = {k: (v if isinstance(v, str) else v[-1]) for k, v in u.query.items()}
    host = u.host or extra.pop("host", None)
    fields = {"conn_type": "postgres", "host": host, "port": u.port, "login": u.username,
              "password": u.password, "schema": u.database}
    if extra:
        fields["extra"] = extra
    return fields


def warehouse_url() -> str:
    """SQLAlchemy URL of the warehouse: the Airflow Connection `pantau_warehouse` first, then
    `PANTAU_WAREHOUSE_URL`.

    Inside an Airflow task with neither, this is an error (a worker must never quietly start a
    private database). Only developer tooling (CLI, demo, tests, bench) falls back to the embedded
    server under `.local/pg/`, started or reused, so a fresh clone works with no PostgreSQL service."""
    conn = airflow_connection(WAREHOUSE_CONN_ID)
    if conn is not None:
        return connection_to_url(conn)
    url = os.environ.get(WAREHOUSE_URL_ENV)
    if url:
        return url
    if running_under_airflow():
        raise SettingMissing(
            f"warehouse not configured for this Airflow task: define the Airflow Connection "
            f"'{WAREHOUSE_CONN_ID}' (UI, secrets backend or AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}) or set "
            f"{WAREHOUSE_URL_ENV}; no embedded server is started under Airflow")
    from pantau import embedded_pg

    return embedded_pg.ensure_running().url


# ---------------------------------------------------------------------------------------------
# SMTP (alerts and circular delivery)
@dataclass(frozen=True)
class SmtpSettings:
    """An SMTP Connection read the way Airflow's SMTP provider reads it (extra keys `from_email`,
    `disable_tls`, `disable_ssl`, `timeout`, `retry_limit`); sending goes through the provider's
    `SmtpHook` with `conn_id`, this is what we need to know before (sender, log line)."""

    conn_id: str
    host: str | None
    port: int | None
    login: str | None
    password: str | None = field(repr=False)
    from_email: str | None
    use_tls: bool
    use_ssl: bool
    timeout: int
    retry_limit: int

    def describe(self) -> str:
        """For logs: where mail goes, never the password."""
        return (f"{self.conn_id} ({self.host}:{self.port}, tls={'on' if self.use_tls else 'off'}, "
                f"ssl={'on' if self.use_ssl else 'off'}, login={'yes' if self.login else 'no'})")


def _flag(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes", "on")


def smtp_conn_ids(candidates: Sequence[str], explicit: str | None = None) -> list[str]:
    """Connection ids to look for, in order: an explicit id, else `PANTAU_SMTP_CONN_ID`, else
    `candidates`. A named id is exclusive: a typo must not silently send through another server."""
    named = explicit or os.environ.get(SMTP_CONN_ID_ENV)
    return [named] if named else list(dict.fromkeys(candidates))


def smtp_settings(candidates: Sequence[str], explicit: str | None = None) -> SmtpSettings | None:
    """The first SMTP Connection of `smtp_conn_ids(...)` that is defined, looked up through
    Airflow (so one created in the UI or held by a secrets backend counts, not only
    `AIRFLOW_CONN_*` variables); None when none is defined."""
    for conn_id in smtp_conn_ids(candidates, explicit):
        conn = airflow_connection(conn_id, force=True)
        if conn is None:
            continue
        extra = conn.extra_dejson if conn.extra else {}
        return SmtpSettings(
            conn_id=conn_id, host=conn.host or None, port=int(conn.port) if conn.port else None,
            login=conn.login or None, password=conn.password or None, from_email=extra.get("from_email") or None,
            use_tls=not _flag(extra.get("disable_tls", False)), use_ssl=not _flag(extra.get("disable_ssl", False)),
            timeout=int(extra.get("timeout", 30)), retry_limit=int(extra.get("retry_limit", 5)))
    return None


@lru_cache(maxsize=None)
def load_yaml(relative: str) -> Any:
    """Read a YAML file under `include/config/` (cached: configuration is read-only at run time)."""
    import yaml

    path = CONFIG_DIR / relative
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)
