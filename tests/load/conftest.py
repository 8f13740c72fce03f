"""Fixtures of the load tests; the plain helpers live in loadkit.py (a unique module name, since
every test folder has a conftest.py and `from conftest import …` would pick an arbitrary one)."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy.engine import make_url

from loadkit import stage  # noqa: F401  (used by the fixture below)
from pantau import db


@pytest.fixture
def stage_rows(warehouse_url):
    """stage_rows(dataset, rows, **fetch_kw) -> fetch_id against this test's warehouse."""
    return lambda dataset, rows, **kw: stage(warehouse_url, dataset, rows, **kw)


@pytest.fixture
def auditor_login(warehouse_url, pg_server_url):
    """A throw-away login that is a member of pantau_auditor (roles are cluster-wide: unique name);
    autocommit on (tests that hold transaction locks switch it off)."""
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
