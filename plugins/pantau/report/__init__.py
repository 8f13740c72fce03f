"""Circulars (Surat Edaran + Lampiran): render, register, verify, deliver.

Public API (docs/architecture.md):
    build_circular(kd_klpd, tahun, as_of, *, metric_run_id=None, nomor=None, url=None) -> CircularResult
    deliver(report_id, *, url=None, recipients=None) -> DeliveryResult

Nothing heavy is imported here (DAG files import this package): WeasyPrint, Jinja and Babel load
lazily, and WeasyPrint only ever inside the memory-limited render worker.
"""
from __future__ import annotations

from typing import Any

__all__ = ["build_circular", "deliver", "CircularResult", "DeliveryResult", "publish"]

_LAZY = {
    "build_circular": "pantau.report.build",
    "publish": "pantau.report.build",
    "CircularResult": "pantau.report.build",
    "deliver": "pantau.report.delivery",
    "DeliveryResult": "pantau.report.delivery",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pantau.report' has no attribute {name!r}")
