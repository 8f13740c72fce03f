"""What every Pantau PBJ DAG shares: default_args, tags, assets, run dates.

Kept free of heavy imports: DAG files import this at parse time.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import Enum
from typing import Any, Mapping

OWNER = "tim-data-pbj"
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")  # Asia/Jakarta, no DST
START_DATE = dt.datetime(2025, 1, 1, tzinfo=WIB)
log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class RunScope:
    """What one run works on: fiscal year, snapshot (as-of) date and instansi (None = all)."""

    tahun: int
    snapshot_date: dt.date
    kd_klpd: list[str] | None


def run_scope(context: Mapping[str, Any]) -> RunScope:
    """The run's scope: params win, else the triggering asset events, else the run's own date.

    A run started by an upstream Asset must work on exactly what the upstream run loaded (its
    `tahun`, `snapshot_date`, `kd_klpd`), never on "today": an asset-triggered run has no logical
    date, and falling back to the trigger time made `render_circulars` look for a metric run that
    did not exist. Using the run's own date (never `now()`) keeps a re-run on the same snapshot.
    """
    params = context.get("params") or {}
    events = triggering_events(context)
    snap = params.get("snapshot_date") or _latest(events, "snapshot_date", pick=max)
    if snap:
        snapshot = dt.date.fromisoformat(str(snap))
    else:
        when = context.get("logical_date") or context["dag_run"].run_after
        snapshot = when.astimezone(WIB).date()
    tahun = int(params.get("tahun") or _latest(events, "tahun") or snapshot.year)
    kd_klpd = params.get("kd_klpd") or events_kd_klpd(events)
    return RunScope(tahun, snapshot, sorted(kd_klpd) if kd_klpd else None)


def run_dates(params: dict[str, Any], context: Mapping[str, Any]) -> tuple[int, dt.date]:
    """(tahun, snapshot_date) of a run; see `run_scope` (params given here win)."""
    scope = run_scope({**context, "params": params})
    return scope.tahun, scope.snapshot_date


def triggering_events(context: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Every asset event that triggered this run, as (asset uri, event), oldest first.

    Works on the SDK's `TriggeringAssetEventsAccessor` and on a plain mapping alike.
    """
    accessor = context.get("triggering_asset_events") or {}
    out: list[tuple[str, Any]] = []
    seen: set[int] = set()
    for asset in list(accessor):
        for ev in accessor[asset]:
            if id(ev) in seen:  # an event reached through an alias is listed twice
                continue
            seen.add(id(ev))
            uri = getattr(getattr(ev, "asset", None), "uri", None) or getattr(asset, "uri", str(asset))
            out.append((uri, ev))
    return sorted(out, key=lambda pair: _timestamp(pair[1]))


def _timestamp(ev: Any) -> dt.datetime:
    ts = getattr(ev, "timestamp", None)
    return ts if isinstance(ts, dt.datetime) else dt.datetime.min.replace(tzinfo=dt.timezone.utc)


def _extra(ev: Any) -> dict[str, Any]:
    return dict(getattr(ev, "extra", None) or {})


def _latest(events: list[tuple[str, Any]], key: str, *, pick: Any = None) -> Any:
    """`key` from the events' extra: the latest event's value (or `pick` over all values)."""
    values = [_extra(ev)[key] for _, ev in events if _extra(ev).get(key) not in (None, "")]
    if not values:
        return None
    return pick(values) if pick else values[-1]


def events_kd_klpd(events: list[tuple[str, Any]]) -> list[str] | None:
    """Instansi the upstream runs published: per asset the union of its events' `kd_klpd`, then
    the intersection across assets — a DAG fed by three families computes only for the instansi
    every family published. None when no event names any (scope = every configured instansi)."""
    per_asset: dict[str, set[str]] = {}
    for uri, ev in events:
        listed = _extra(ev).get("kd_klpd")
        if listed:
            per_asset.setdefault(uri, set()).update([listed] if isinstance(listed, str) else listed)
    if not per_asset:
        return None
    common = set.intersection(*per_asset.values())
    dropped = set.union(*per_asset.values()) - common
    if dropped:
        log.warning("instansi %s not published by every triggering asset (%s); left out of this run",
                    sorted(dropped), sorted(per_asset))
    if not common:
        raise ValueError(f"triggering asset events name no instansi common to {sorted(per_asset)}: "
                         f"{ {u: sorted(k) for u, k in per_asset.items()} }")
    return sorted(common)


def metric_runs(context: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The metric runs named in the triggering `metrics` events (`extra.runs`), deduplicated,
    narrowed to params `kd_klpd` when given; None for a run not triggered by an asset event.

    A metrics-triggered render must render exactly those runs, never a date of its own.
    """
    events = triggering_events(context)
    if not events:
        return None
    wanted = (context.get("params") or {}).get("kd_klpd")
    runs: dict[Any, dict[str, Any]] = {}
    for uri, ev in events:
        for run in _extra(ev).get("runs") or []:
            if not wanted or run.get("kd_klpd") in wanted:
                runs[run.get("metric_run_id") or (run.get("kd_klpd"), run.get("tahun"), run.get("as_of"))] = dict(run)
    if not runs:
        raise ValueError(f"triggering asset events carry no metric runs (extra.runs) for kd_klpd={wanted}: "
                         f"{[uri for uri, _ in events]}")
    return sorted(runs.values(), key=lambda r: (str(r.get("kd_klpd")), str(r.get("as_of"))))


PASSED_OPTIONS = ("deliver",)  # run options carried down the Asset chain with the scope


def run_option(context: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """A run option (e.g. `deliver`): this run's conf wins, then the triggering events' extra
    (the upstream run's choice travels down the chain), then `default`.

    Why: a chain started with `deliver: false` must not e-mail the circular at its end, although
    the asset-triggered `render_circulars` run has no conf of its own.
    """
    conf = getattr(context.get("dag_run"), "conf", None) or {}
    if conf.get(key) is not None:
        return conf[key]
    upstream = _latest(triggering_events(context), key)
    return default if upstream is None else upstream


def passed_options(context: Mapping[str, Any]) -> dict[str, Any]:
    """The run options to put in an Asset's extra, so the next DAG keeps them."""
    out = {}
    for key in PASSED_OPTIONS:
        value = run_option(context, key)
        if value is not None:
            out[key] = value
    return out
