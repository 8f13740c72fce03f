"""Validation step: GX suites per staging dataset, quarantine of bad rows, stop on critical.

Light on import (DAG files import this at parse time): GX, pandas and psycopg2 work happens inside
the functions below, which import their modules lazily.

Public API (docs/architecture.md):
- ``validate_fetch(fetch_id, *, url=None) -> ValidationSummary``
- ``validate_dataframe(dataset, df, context) -> Outcome`` (pure, no database)
- ``build_data_docs(results) -> Path`` (index.html)
- ``CriticalValidationError``
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from pantau.validate.model import CheckResult, CriticalValidationError, Outcome, ValidationSummary

__all__ = ["validate_fetch", "validate_dataframe", "build_data_docs", "CriticalValidationError",
           "ValidationSummary", "Outcome", "CheckResult"]


def validate_fetch(fetch_id: int, *, url: str | None = None) -> ValidationSummary:
    """Validate the staging rows of one fetch; write audit + quarantine; raise on critical."""
    from pantau.validate.store import validate_fetch as _run

    return _run(fetch_id, url=url)


def validate_dataframe(dataset: str, df: Any, context: Any = None) -> Outcome:
    """Run ``dataset``'s suite on a DataFrame in the staging shape (no database)."""
    from pantau.validate.engine import validate_dataframe as _run

    return _run(dataset, df, context)


def build_data_docs(results: Iterable[Any]) -> Path:
    """Write GX Data Docs for these validation results under ``output/data_docs/``; return index.html."""
    from pantau.validate.docs import build_data_docs as _build

    return _build(results)
