"""Per-partition status of a pipeline run (`audit.partition_run`).

Why a table and not XCom: a task that raised returns no XCom, yet `publish` must name the reason
of every failed partition while the rest of the family loads, and metrics must later tell which
inputs of a run were missing. Each stage wrapper (`pantau.pipeline`) records "running" when it
starts, the counts when it ends, and "failed" / "endpoint_not_available" with the reason when it
raises — then re-raises, so Airflow still sees the failure.
"""
from __future__ import annotations

import contextlib
import logging
from typing import Any, Iterator, Mapping

from pantau import failures

log = logging.getLogger(__name__)

MANUAL_RUN_KEY = "manual"
STAGES = ("plan", "extract", "normalize", "validate", "load")
STATUSES = ("running", "loaded", "failed", "endpoint_not_available")
COUNT_COLUMNS = ("fetch_id", "load_id", "rows_raw", "rows_loaded", "rows_quarantined", "rows_collapsed")
COLUMNS = ("run_key", "family", "dataset", "kd_klpd", "tahun", "stage", "status", "reason", "error_class",
           *COUNT_COLUMNS, "updated_at")


def run_key(context: Mapping[str, Any] | None) -> str:
    """`dag_id/run_id` of the Airflow run in `context`; "manual" outside Airflow."""
    if not context:
        return MANUAL_RUN_KEY
    dag_run = context.get("dag_run")
    dag_id = getattr(dag_run, "dag_id", None) or getattr(context.get("dag"), "dag_id", None)
    run_id = context.get("run_id") or getattr(dag_run, "run_id", None)
    return f"{dag_id}/{run_id}" if dag_id and run_id else MANUAL_RUN_KEY


def record(run_key: str, family: str, partition: Mapping[str, Any], stage: str, status: str,
           reason: str | None = None, error_class: str | None = None, *, url: str | None = None,
           **counts: Any) -> None:
    """Upsert the partition's row: stage/status/reason replace, counts given are kept (COALESCE)
    so a later stage does not erase the fetch_id or raw count an earlier one wrote."""
    from pantau import db

    if stage not in STAGES or status not in STATUSES:
        raise ValueError(f"audit.partition_run: stage {stage!r} / status {status!r} unknown "
                         f"(dataset={partition.get('dataset')})")
    unknown = set(counts) - set(COUNT_COLUMNS)
    if unknown:
        raise ValueError(f"audit.partition_run: unknown count columns {sorted(unknown)}")
    values = [counts.get(c) for c in COUNT_COLUMNS]
    keep = ", ".join(f"{c} = COALESCE(EXCLUDED.{c}, audit.partition_run.{c})" for c in COUNT_COLUMNS)
    sql = (
        f"INSERT INTO audit.partition_run (run_key, family, dataset, kd_klpd, tahun, stage, status, reason, "
        f"error_class, {', '.join(COUNT_COLUMNS)}) VALUES ({', '.join(['%s'] * (9 + len(COUNT_COLUMNS)))}) "
        f"ON CONFLICT (run_key, dataset, kd_klpd, tahun) DO UPDATE SET family = EXCLUDED.family, "
        f"stage = EXCLUDED.stage, status = EXCLUDED.status, reason = EXCLUDED.reason, "
        f"error_class = EXCLUDED.error_class, {keep}, updated_at = clock_timestamp()"
    )
    params = [run_key, family, partition["dataset"], partition["kd_klpd"], int(partition["tahun"]), stage, status,
              reason, error_class, *values]
    with contextlib.closing(db.connect(url)) as conn:
        with conn, conn.cursor() as cur:
            cur.execute(sql, params)


def for_run(run_key: str, *, url: str | None = None) -> list[dict[str, Any]]:
    """Every partition row of one run, in dataset order."""
    from pantau import db

    with contextlib.closing(db.connect(url)) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT {', '.join(COLUMNS)} FROM audit.partition_run WHERE run_key = %s "
                    "ORDER BY family, kd_klpd, tahun, dataset", (run_key,))
        rows = [dict(zip(COLUMNS, r)) for r in cur.fetchall()]
        conn.rollback()
    return rows


def failure_status(exc: BaseException, stage: str, partition: Mapping[str, Any]) -> tuple[str, str]:
    """(status, reason) for an exception raised in `stage`; the reason names the partition.

    A 404 at extract means the source does not serve that dataset/year: a named status the
    metrics can report, not a crash of the family.
    """
    dataset = partition.get("dataset") or getattr(exc, "dataset", None) or "?"
    where = f"dataset={dataset} kd_klpd={partition.get('kd_klpd')} tahun={partition.get('tahun')}"
    if stage == "extract" and ("EndpointNotAvailable" in {c.__name__ for c in type(exc).__mro__}
                               or failures.http_status(exc) == 404):
        path = getattr(exc, "path", None) or getattr(exc, "url", None)
        return ("endpoint_not_available",
                f"endpoint not available: {where}{f' path={path}' if path else ''} ({failures.describe(exc)})")
    return "failed", f"{stage} failed: {where}: {failures.describe(exc)}"


@contextlib.contextmanager
def tracked(run_key: str, family: str, partition: Mapping[str, Any], stage: str) -> Iterator[None]:
    """Record "running" for `stage`, and the failure (then re-raise) if the block raises.

    A status write that fails itself (the warehouse is what broke) is logged and never masks the
    original error.
    """
    _safe_record(run_key, family, partition, stage, "running")
    try:
        yield
    except BaseException as exc:
        status, reason = failure_status(exc, stage, partition)
        _safe_record(run_key, family, partition, stage, status, reason, type(exc).__name__,
                     fetch_id=getattr(exc, "fetch_id", None))
        raise


def _safe_record(*args: Any, **kwargs: Any) -> None:
    try:
        record(*args, **kwargs)
    except Exception:  # noqa: BLE001 — status is diagnostics; the task's own error matters more
        log.exception("could not write audit.partition_run for %s", args[2] if len(args) > 2 else "?")
