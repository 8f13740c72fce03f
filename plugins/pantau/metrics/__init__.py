"""Metrics: ITKP components, e-purchasing share, penyerapan and lagging PDs, as of a date.

DAG files import this package, so nothing heavy happens at import time: the functions below
import their implementation (SQL runner, YAML) only when called.

Public API (docs/architecture.md, docs/metrics/):
- ``compute(kd_klpd, tahun, as_of, *, url=None, config=None) -> int`` — one KLPD, returns metric_run_id.
- ``compute_many(kd_klpds, tahun, as_of, *, url=None, config=None, workers=None) -> dict[str, int]`` —
  many KLPDs in one set-based pass, spread over one backend per core (national runs, bench/metrics.py).
- ``load_config(tahun) -> dict`` — effective configuration (metrics.yaml + itkp/<year>.yaml).

Every run also records its input completeness (mart.metric_run_input, pantau.metrics.inputs):
each dataset the metrics read with its state then (loaded, stale, failed, endpoint_not_available,
running, missing) and, for datasets referencing kd_rup, the orphan share. It is written in the
run's transaction, so circulars can name missing data and refuse to be numbered without it.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable


def load_config(tahun: int) -> dict[str, Any]:
    """Effective configuration for a fiscal year (a fresh dict; safe to modify)."""
    from pantau.metrics.config import load_config as _load

    return _load(tahun)


def compute(kd_klpd: str, tahun: int, as_of: _dt.date | str, *, url: str | None = None,
            config: dict[str, Any] | None = None) -> int:
    """Compute every mart table for one KLPD and year as of a date; return the metric_run_id.

    Re-running with the same (kd_klpd, tahun, as_of, effective config) keeps the same
    metric_run_id and replaces that run's rows, input record included, in one transaction.
    """
    from pantau.metrics.runner import compute_many as _many

    return _many([kd_klpd], tahun, as_of, url=url, config=config)[kd_klpd]


def compute_many(kd_klpds: Iterable[str] | None, tahun: int, as_of: _dt.date | str, *,
                 url: str | None = None, config: dict[str, Any] | None = None,
                 workers: int | None = None) -> dict[str, int]:
    """Like ``compute`` for many KLPDs at once (None = every KLPD with RUP or budget that year).

    ``workers``: backends to use (default PANTAU_METRICS_WORKERS, else one per core); small runs
    use one. All batches read the same snapshot and commit only if every batch succeeded.
    """
    from pantau.metrics.runner import compute_many as _many

    return _many(kd_klpds, tahun, as_of, url=url, config=config, workers=workers)


__all__ = ["compute", "compute_many", "load_config"]
