"""What every Pantau PBJ DAG shares: default_args, tags, assets, run dates.

Kept free of heavy imports: DAG files import this at parse time.
"""
from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

OWNER = "tim-data-pbj"
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")  # Asia/Jakarta, no DST
START_DATE = dt.datetime(2025, 1, 1, tzinfo=WIB)


class Tag(str, Enum):
    """The only tags DAGs may use (checked by the DAG integrity test)."""

    EXTRACT = "extract"
    METRICS = "metrics"
    REPORT = "report"
    SIRUP = "sirup"
    SPSE = "spse"
    EKATALOG = "ekatalog"
    PANTAU = "pantau-pbj"


def default_args(**extra: Any) -> dict[str, Any]:
    """Retries with exponential backoff and the shared failure e-mail."""
    from pantau.alerts import failure_notifier

    args: dict[str, Any] = {
        "owner": OWNER,
        "retries": 3,
        "retry_delay": dt.timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "max_retry_delay": dt.timedelta(minutes=15),
        "on_failure_callback": failure_notifier(),
    }
    args.update(extra)
    return args


def assets():
    """Assets between DAGs (URIs name the warehouse layer they stand for)."""
    from airflow.sdk import Asset

    return {
        "sirup": Asset("pantau://warehouse/core/sirup"),
        "spse": Asset("pantau://warehouse/core/spse"),
        "ekatalog": Asset("pantau://warehouse/core/ekatalog"),
        "metrics": Asset("pantau://warehouse/mart/metrics"),
        "circulars": Asset("pantau://output/circulars"),
    }


def run_dates(params: dict[str, Any], context: dict[str, Any]) -> tuple[int, dt.date]:
    """(tahun, snapshot_date) of a run: params win, else the run's logical date (or run_after).

    Using the run's own date, never `now()`, makes a re-run of the same run load the same
    snapshot date, so history stays identical (Airflow best practice).
    """
    snap = params.get("snapshot_date") or _triggering_extra(context, "snapshot_date")
    if snap:
        snapshot = dt.date.fromisoformat(str(snap))
    else:
        when = context.get("logical_date") or context["dag_run"].run_after
        snapshot = when.astimezone(WIB).date()
    tahun = int(params.get("tahun") or _triggering_extra(context, "tahun") or snapshot.year)
    return tahun, snapshot


def _triggering_extra(context: dict[str, Any], key: str) -> Any:
    """A value carried in the extra of the asset events that triggered this run (latest wins).

    Downstream DAGs then compute for exactly the snapshot the upstream DAG loaded.
    """
    events = context.get("triggering_asset_events") or {}
    values = [ev.extra.get(key) for evs in events.values() for ev in evs if ev.extra and ev.extra.get(key)]
    return max(values) if values else None
