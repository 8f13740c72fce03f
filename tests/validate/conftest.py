"""Fixtures of the validation tests (helpers live in vhelpers.py)."""
from __future__ import annotations

import pytest

from vhelpers import SNAP_PREV, rup_penyedia, run_pipeline


@pytest.fixture
def loaded_rup(warehouse_url):
    """A previously loaded RUP penyedia partition D107/2025 (6 packages) — the 'previous partition'."""
    run = run_pipeline(warehouse_url, "rup_paket_penyedia", [rup_penyedia(i) for i in range(6)], snapshot=SNAP_PREV,
                       validate=False)  # the previous load itself is not under test (saves ~1 s of GX)
    assert run.critical is None and run.load is not None and run.load.rows_loaded == 6
    return warehouse_url
