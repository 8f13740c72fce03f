"""Shared fixtures: a real PostgreSQL (embedded or PANTAU_WAREHOUSE_URL) and an Airflow home.

Environment for Airflow is set before anything imports it, as Airflow's testing guide asks.
"""
from __future__ import annotations

import os
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="pantau-airflow-test-"))
os.environ.setdefault("AIRFLOW_HOME", str(_AIRFLOW_HOME))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(REPO / "dags"))
os.environ.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(REPO / "plugins"))
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PANTAU_OUTPUT_DIR", str(Path(tempfile.mkdtemp(prefix="pantau-output-test-"))))

from sqlalchemy.engine import make_url  # noqa: E402

from pantau import db  # noqa: E402
from pantau.config import warehouse_url as _configured_url  # noqa: E402
from pantau.migrate import migrate  # noqa: E402


def _admin(url: str):
    conn = db.connect(str(make_url(url).set(database="postgres")))
    conn.autocommit = True
    return conn


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """URL of the server under test (any database on it); embedded unless the env var is set."""
    return _configured_url()


@pytest.fixture(scope="session")
def _template_db(pg_server_url: str):
    """A migrated template database; per-test databases are cheap copies of it."""
    name = f"pantau_tmpl_{os.getpid()}"
    admin = _admin(pg_server_url)
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    url = str(make_url(pg_server_url).set(database=name))
    migrate(url, log=lambda *_: None)
    yield name
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@contextmanager
def migrated_database(server_url: str, template: str):
    """A new database copied from the migrated template; dropped afterwards."""
    name = f"pantau_t_{uuid.uuid4().hex[:10]}"
    admin = _admin(server_url)
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield str(make_url(server_url).set(database=name))
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def _migrated_database():
    """`migrated_database` for module-scoped fixtures (test modules cannot import conftest)."""
    return migrated_database


@pytest.fixture
def warehouse_url(pg_server_url: str, _template_db: str, monkeypatch) -> str:
    """A fresh, fully migrated warehouse database for one test; PANTAU_WAREHOUSE_URL points at it."""
    with migrated_database(pg_server_url, _template_db) as url:
        monkeypatch.setenv("PANTAU_WAREHOUSE_URL", url)
        yield url


@pytest.fixture
def empty_db_url(pg_server_url: str) -> str:
    """A fresh database with no migrations applied (for migration tests)."""
    name = f"pantau_e_{uuid.uuid4().hex[:10]}"
    admin = _admin(pg_server_url)
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    yield str(make_url(pg_server_url).set(database=name))
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def conn(warehouse_url: str):
    c = db.connect(warehouse_url)
    yield c
    c.close()
