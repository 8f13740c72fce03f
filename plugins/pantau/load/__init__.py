"""Warehouse loading: staging (COPY) → core (set-based upsert) → history (SCD2).

Import-light on purpose (DAG files import this): pandas is imported only inside
`pantau.load.staging` functions. Public API:

- `pantau.load.staging.write_staging(conn, dataset, fetch_id, df) -> int`
- `load_fetch(fetch_id, snapshot_date, *, url=None, allow_empty=False, allow_unvalidated=False) -> LoadResult`
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Callable

from pantau import db
from pantau.load.merge import (FetchNotValidated, LoadError, LoadResult, PartitionBusy, StaleFetch,
                               check_snapshot_order, lock_partition, merge_partition, read_partition)

__all__ = ["load_fetch", "LoadResult", "LoadError", "FetchNotValidated", "StaleFetch", "PartitionBusy"]
log = logging.getLogger(__name__)


def _as_date(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def load_fetch(fetch_id: int, snapshot_date: dt.date | str, *, url: str | None = None,
               allow_empty: bool = False, allow_unvalidated: bool = False,
               _fail_after: Callable[[str], None] | None = None) -> LoadResult:
    """Merge the fetch's staging rows (minus quarantine) into core and history; log to audit.load_log.

    One transaction for the whole partition (dataset × instansi × tahun): either every core and
    history change of this snapshot is committed together with its `audit.load_log` row, or
    none is (a failed attempt is then logged with status 'failed' in a separate transaction).
    `allow_empty`: an empty snapshot marks every row of the partition deleted only when asked —
    an empty ISB body is more often an outage than a year without packages.
    The fetch must have been validated: its latest `audit.validation_run` may not have failed a
    critical rule and must have checked the rows now in staging, else `FetchNotValidated` (a
    `LoadError`). `allow_unvalidated` loads a never-validated fetch on purpose (logged with
    validation_run_id NULL); a critically failed validation is refused regardless.
    Refused too (issue 19): a fetch older than one already loaded for the partition (`StaleFetch`),
    and a wait for another loader of the partition beyond `lock_timeout` (`PartitionBusy`). A fetch
    that is not one consistent snapshot (`raw.fetch.snapshot_consistent = false`) is loaded without
    marking anything deleted; `audit.load_log.deletes_skipped` says why.
    Counts: `rows_in = rows_accepted + rows_quarantined + rows_collapsed + rows_dropped`.
    `_fail_after` is a test hook called with a step name after each statement.
    """
    snapshot = _as_date(snapshot_date)
    conn = db.connect(url)
    partition = None
    try:
        with conn.cursor() as cur:
            cur.execute("SET LOCAL TimeZone = 'Asia/Jakarta'")
            partition = read_partition(cur, fetch_id)
            lock_partition(cur, partition.src_partition)
            check_snapshot_order(cur, partition, snapshot)
            cur.execute(
                "INSERT INTO audit.load_log (dataset, kd_klpd, kd_lpse, tahun, src_partition, fetch_id, snapshot_date) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING load_id",
                (partition.dataset, partition.kd_klpd, partition.kd_lpse, partition.tahun,
                 partition.src_partition, fetch_id, snapshot),
            )
            load_id = cur.fetchone()[0]
            result = merge_partition(cur, partition, snapshot, load_id, allow_empty=allow_empty, hook=_fail_after,
                                     allow_unvalidated=allow_unvalidated)
            cur.execute(
                "UPDATE audit.load_log SET finished_at = clock_timestamp(), rows_in = %s, rows_loaded = %s, "
                "rows_quarantined = %s, rows_deleted = %s, rows_history = %s, rows_accepted = %s, "
                "rows_collapsed = %s, rows_dropped = %s, validation_run_id = %s, deletes_skipped = %s, "
                "status = 'ok' WHERE load_id = %s",
                (result.rows_in, result.rows_loaded, result.rows_quarantined, result.rows_deleted,
                 result.rows_history, result.rows_accepted, result.rows_collapsed, result.rows_dropped,
                 result.validation_run_id, result.deletes_skipped, load_id),
            )
        conn.commit()
        if result.deletes_skipped:
            log.warning("load %s fetch %s (%s): no rows marked deleted: %s", load_id, fetch_id,
                        partition.src_partition, result.deletes_skipped)
        return result
    except BaseException as exc:
        conn.rollback()
        _log_failure(conn, fetch_id, snapshot, partition, exc)
        raise
    finally:
        conn.close()


def _log_failure(conn, fetch_id: int, snapshot: dt.date, partition, exc: BaseException) -> None:
    """Record a failed attempt after the rollback; never masks the original error."""
    if partition is None:
        return
    try:
        with conn.cursor() as cur:
            cur.execute(
                "INSERT INTO audit.load_log (dataset, kd_klpd, kd_lpse, tahun, src_partition, fetch_id, snapshot_date, "
                "finished_at, status, error) VALUES (%s, %s, %s, %s, %s, %s, %s, clock_timestamp(), 'failed', %s)",
                (partition.dataset, partition.kd_klpd, partition.kd_lpse, partition.tahun, partition.src_partition,
                 fetch_id, snapshot, f"{type(exc).__name__}: {exc}"[:4000]),
            )
        conn.commit()
    except Exception:  # noqa: BLE001 — logging must not hide the load error
        conn.rollback()
