"""Fixtures of the load tests; the plain helpers live in loadkit.py (a unique module name, since
every test folder has a conftest.py and `from conftest import …` would pick an arbitrary one)."""
from __future__ import annotations

import pytest

from loadkit import stage  # noqa: F401  (used by the fixture below)


@pytest.fixture
def stage_rows(warehouse_url):
    """stage_rows(dataset, rows, **fetch_kw) -> fetch_id against this test's warehouse."""
    return lambda dataset, rows, **kw: stage(warehouse_url, dataset, rows, **kw)
