"""Set-based merge of one fetch (= one partition) from staging into core and history.

Why this shape: a partition (dataset × instansi × tahun) is a full snapshot of the source, so a
load is "make core look like this snapshot": upsert what is there (only rows whose values
changed are touched, so re-running a fetch changes nothing), soft-delete what vanished, then
write SCD2 versions for exactly the core rows this load touched (core.load_id = this load).
Everything happens in one transaction under a per-partition lock (a row of meta.partition_lock,
not an advisory lock any login could take): a failure or a killed process leaves the previous
contents intact and the next run starts clean.

Faults this module guards against (issue 19): a fetch that is not one consistent snapshot never
marks rows deleted (point 2); an older fetch never overwrites a newer one (point 3); the
"vanished rows" anti join compares against a temp table of snapshot keys with a primary key and
fresh statistics, so its plan cannot degrade into a per-row rescan of staging (point 8).
"""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any, Callable

import psycopg2.errors
from psycopg2 import sql

from pantau import db
from pantau.datasets import spec
from pantau.load.mappings import Mapping, mappings_for, per_row_mapping

LINEAGE = ("fetch_id", "load_id", "src_partition", "is_deleted", "deleted_at")
# Columns that never make a history version on their own (they change with every load).
UNTRACKED = ("fetch_id", "load_id", "src_partition", "deleted_at")
# raw.fetch columns: when a fetch's content was last observed at the source.
_OBSERVED_AT = "coalesce(last_checked_at, finished_at, started_at)"
# Temp tables of snapshot keys: unique names within a session, dropped at commit.
_snapshot_tables = itertools.count(1)

Hook = Callable[[str], None]


class LoadError(RuntimeError):
    """A fetch cannot be loaded; the message names fetch, dataset and partition."""


class FetchNotValidated(LoadError):
    """The fetch has no validation that allows loading it: its latest validation run failed a
    critical rule (e.g. the failed validate task was marked "success" by hand), it was never
    validated, or its staging rows changed after the run. Nothing is loaded."""


class StaleFetch(LoadError):
    """The fetch is older than one already loaded for the partition at the same or a later
    snapshot date: loading it would bring back rows the newer fetch withdrew. Nothing is loaded;
    extract again instead."""


class PartitionBusy(LoadError):
    """Another loader held the partition's lock longer than `lock_timeout`; nothing is loaded
    (Airflow retries the task)."""


@dataclass(frozen=True)
class Partition:
    """What raw.fetch says about a fetch: which partition it is a snapshot of."""

    fetch_id: int
    dataset: str
    source_system: str
    kd_klpd: str | None
    kd_lpse: int | None
    tahun: int
    status: str
    n_rows: int | None
    # When the fetch's content was last seen at the source: raw.fetch.last_checked_at (bumped when
    # an identical re-fetch reuses it), else finished_at / started_at. Orders fetches (point 3).
    observed_at: dt.datetime | None = None
    snapshot_consistent: bool = True    # raw.fetch.snapshot_consistent (issue 19 point 2)
    snapshot_note: str | None = None

    @property
    def instansi(self) -> str:
        """kd_klpd for KLPD-filtered feeds; "lpse<kd_lpse>" for LPSE-filtered SPSE feeds."""
        if spec(self.dataset).filter_by == "lpse" and self.kd_lpse is not None:
            return f"lpse{self.kd_lpse}"
        if self.kd_klpd:
            return self.kd_klpd
        raise LoadError(f"fetch {self.fetch_id} ({self.dataset}) has neither kd_klpd nor kd_lpse")

    @property
    def src_partition(self) -> str:
        return f"{self.dataset}/{self.instansi}/{self.tahun}"


@dataclass
class LoadResult:
    """Counts of one load_fetch call (also written to audit.load_log)."""

    load_id: int
    fetch_id: int
    dataset: str
    src_partition: str
    snapshot_date: dt.date
    rows_in: int = 0
    rows_quarantined: int = 0
    rows_loaded: int = 0
    rows_deleted: int = 0
    rows_history: int = 0
    status: str = "ok"
    per_table: dict[str, dict[str, int]] = field(default_factory=dict)
    # The partition balance: rows_in = rows_accepted + rows_quarantined + rows_collapsed + rows_dropped.
    # rows_loaded (above) keeps its meaning — core rows inserted or changed, 0 on a re-run.
    rows_accepted: int = 0      # staging rows that reached core (through the dataset's grain table)
    rows_collapsed: int = 0     # identical copies merged onto a kept row (audit.collapsed_row)
    rows_dropped: int = 0       # accepted by validation but no core row came out (should be 0)
    validation_run_id: int | None = None
    # Why mark_deleted did not run (inconsistent or empty snapshot); None = it ran.
    deletes_skipped: str | None = None

    @property
    def balanced(self) -> bool:
        """raw = loaded + quarantined + collapsed, with nothing dropped."""
        return self.rows_dropped == 0 and self.rows_in == self.rows_accepted + self.rows_quarantined + self.rows_collapsed


def read_partition(cur, fetch_id: int) -> Partition:
    """The fetch's partition from raw.fetch; LoadError when the fetch is unknown or failed."""
    cur.execute(
        "SELECT dataset, source_system, kd_klpd, kd_lpse, tahun, status, n_rows, "
        f"{_OBSERVED_AT}, snapshot_consistent, snapshot_note FROM raw.fetch WHERE fetch_id = %s",
        (fetch_id,),
    )
    row = cur.fetchone()
    if row is None:
        raise LoadError(f"fetch {fetch_id} is not in raw.fetch")
    p = Partition(fetch_id, *row)
    if p.status == "failed":
        raise LoadError(f"fetch {fetch_id} ({p.dataset} {p.kd_klpd or p.kd_lpse} {p.tahun}) failed; nothing to load")
    return p


def core_columns(cur, table: str) -> list[str]:
    """Column names of core.<table> in table order."""
    cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'core' AND table_name = %s "
        "ORDER BY ordinal_position",
        (table,),
    )
    cols = [r[0] for r in cur.fetchall()]
    if not cols:
        raise LoadError(f"core.{table} does not exist (migrations applied?)")
    return cols


def mapping_output(cur, m: Mapping, params: dict[str, Any]) -> list[str]:
    """Output column names of a mapping SELECT (planned, not run: LIMIT 0)."""
    cur.execute(sql.SQL("SELECT * FROM ({}) m LIMIT 0").format(sql.SQL(m.sql())), params)
    return [d.name for d in cur.description]


def _ids(names) -> sql.Composed:
    return sql.SQL(", ").join(map(sql.Identifier, names))


def _qualified(alias: str, names) -> sql.Composed:
    return sql.SQL(", ").join(sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(n)) for n in names)


def _key_match(a: str, b: str, key) -> sql.Composed:
    return sql.SQL(" AND ").join(
        sql.SQL("{}.{} = {}.{}").format(sql.Identifier(a), sql.Identifier(k), sql.Identifier(b), sql.Identifier(k))
        for k in key
    )


def upsert(cur, m: Mapping, params: dict[str, Any]) -> int:
    """INSERT … ON CONFLICT DO UPDATE … WHERE the row changed; returns rows inserted or changed."""
    out = mapping_output(cur, m, {**params, "include_quarantined": False})
    missing = [k for k in m.key if k not in out]
    if missing:
        raise LoadError(f"{m.sql_file} does not output key column(s) {missing} of core.{m.table}")
    upd = [c for c in out if c not in m.key and c not in m.insert_only]
    sets = [sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(c), sql.Identifier(c))
            for c in (*upd, "fetch_id", "load_id")]
    cmp_old = [sql.SQL("t.{}").format(sql.Identifier(c)) for c in upd]
    cmp_new = [sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in upd]
    if m.owns_rows:  # the owner revives rows it sees again and takes them over
        sets += [sql.SQL("src_partition = EXCLUDED.src_partition"), sql.SQL("is_deleted = false"),
                 sql.SQL("deleted_at = NULL")]
        cmp_old += [sql.SQL("t.src_partition"), sql.SQL("t.is_deleted")]
        cmp_new += [sql.SQL("EXCLUDED.src_partition"), sql.SQL("false")]
    conflict = (
        sql.SQL("DO UPDATE SET {} WHERE ROW({}) IS DISTINCT FROM ROW({})").format(
            sql.SQL(", ").join(sets), sql.SQL(", ").join(cmp_old), sql.SQL(", ").join(cmp_new))
        if cmp_old else sql.SQL("DO NOTHING")
    )
    stmt = sql.SQL(
        "WITH src AS ({mapping}) "
        "INSERT INTO core.{table} AS t ({cols}, fetch_id, load_id, src_partition, is_deleted, deleted_at) "
        "SELECT {cols}, %(fetch_id)s, %(load_id)s, %(src_partition)s, false, NULL FROM src "
        "ON CONFLICT ({key}) {conflict}"
    ).format(mapping=sql.SQL(m.sql()), table=sql.Identifier(m.table), cols=_ids(out),
             key=_ids(m.key), conflict=conflict)
    cur.execute(stmt, {**params, "include_quarantined": False})
    return cur.rowcount


def snapshot_keys(cur, m: Mapping, params: dict[str, Any]) -> sql.Identifier:
    """Materialise the snapshot's keys (quarantined rows included) into a temp table with a primary
    key and fresh statistics; returns its name (dropped at commit).

    Why (issue 19 point 8): anti-joining core against the mapping SELECT directly let the planner
    use statistics from before this transaction's upsert — core "has no rows" of a second
    partition and staging "has none" of the new fetch — so it chose a nested-loop anti join that
    re-ran the mapping (a sort of the whole fetch) for every core row: 17.5 min for 29 650 rows.
    A keyed, analysed table makes any plan cheap: a hash anti join, or one index probe per row.
    Rows with a NULL key part are left out: they can never equal a core key.
    """
    name = sql.Identifier(f"_snapshot_keys_{next(_snapshot_tables)}")
    not_null = sql.SQL(" AND ").join(sql.SQL("p.{} IS NOT NULL").format(sql.Identifier(k)) for k in m.key)
    cur.execute(sql.SQL(
        "CREATE TEMP TABLE {name} ON COMMIT DROP AS SELECT DISTINCT {cols} FROM ({mapping}) AS p WHERE {not_null}"
    ).format(name=name, cols=_qualified("p", m.key), mapping=sql.SQL(m.sql()), not_null=not_null),
        {**params, "include_quarantined": True})
    cur.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY ({})").format(name, _ids(m.key)))
    cur.execute(sql.SQL("ANALYZE {}").format(name))
    return name


def mark_deleted(cur, m: Mapping, params: dict[str, Any]) -> int:
    """Soft-delete the partition's rows whose key is absent from the snapshot.

    Quarantined rows count as present: a row that failed validation today is not evidence that
    the package disappeared, so it keeps its previous (validated) values instead. The snapshot's
    keys come from `snapshot_keys` (a keyed, analysed temp table), never from the mapping inline.
    """
    keys = snapshot_keys(cur, m, params)
    stmt = sql.SQL(
        "UPDATE core.{table} AS t SET is_deleted = true, deleted_at = %(snapshot_date)s, load_id = %(load_id)s "
        "WHERE t.src_partition = %(src_partition)s AND NOT t.is_deleted "
        "AND NOT EXISTS (SELECT 1 FROM {keys} AS k WHERE {match})"
    ).format(table=sql.Identifier(m.table), keys=keys, match=_key_match("k", "t", m.key))
    cur.execute(stmt, params)
    return cur.rowcount


def sync_history(cur, table: str, key: tuple[str, ...], params: dict[str, Any]) -> int:
    """Write SCD2 versions for the core rows this load touched; returns versions written.

    A version opened on the same snapshot date is overwritten in place (two loads on one day
    keep one version per day); older current versions that differ are closed at the snapshot
    date and a new current version is opened from it.
    """
    cols = core_columns(cur, table)
    tracked = [c for c in cols if c not in UNTRACKED and c not in key]
    t = sql.Identifier(table)
    match = _key_match("h", "c", key)
    cur.execute(sql.SQL(
        "SELECT count(*) FROM history.{t} h JOIN core.{t} c ON {match} "
        "WHERE c.load_id = %(load_id)s AND h.valid_to IS NULL AND h.valid_from > %(snapshot_date)s"
    ).format(t=t, match=match), params)
    if cur.fetchone()[0]:
        raise LoadError(
            f"history.{table} already has versions after snapshot {params['snapshot_date']} for rows of "
            f"{params['src_partition']}; load snapshots in date order"
        )
    assign = sql.SQL(", ").join(sql.SQL("{} = c.{}").format(sql.Identifier(c), sql.Identifier(c))
                                for c in cols if c not in key)
    cur.execute(sql.SQL(
        "UPDATE history.{t} h SET {assign} FROM core.{t} c "
        "WHERE c.load_id = %(load_id)s AND {match} AND h.valid_to IS NULL AND h.valid_from = %(snapshot_date)s"
    ).format(t=t, assign=assign, match=match), params)
    in_place = cur.rowcount
    cur.execute(sql.SQL(
        "UPDATE history.{t} h SET valid_to = %(snapshot_date)s FROM core.{t} c "
        "WHERE c.load_id = %(load_id)s AND {match} AND h.valid_to IS NULL AND h.valid_from < %(snapshot_date)s "
        "AND ROW({old}) IS DISTINCT FROM ROW({new})"
    ).format(t=t, match=match, old=_qualified("h", tracked), new=_qualified("c", tracked)), params)
    cur.execute(sql.SQL(
        "INSERT INTO history.{t} ({cols}, valid_from) SELECT {ccols}, %(snapshot_date)s FROM core.{t} c "
        "WHERE c.load_id = %(load_id)s AND NOT EXISTS "
        "(SELECT 1 FROM history.{t} h WHERE {match} AND h.valid_to IS NULL)"
    ).format(t=t, cols=_ids(cols), ccols=_qualified("c", cols), match=match), params)
    return in_place + cur.rowcount


def prepare_quarantine(cur, dataset: str, fetch_id: int) -> tuple[int, int]:
    """Temp table `_quarantined(row_no)` of the rows the load must skip; (quarantined, collapsed).

    Both quarantined rows and collapsed copies (audit.collapsed_row: the kept copy carries the
    fact) are excluded; the mapping SQL files only know `_quarantined`. A row in both counts once,
    as quarantined. quarantine.<dataset> may not exist (yet): then nothing is quarantined.
    """
    cur.execute("CREATE TEMP TABLE _quarantined (row_no integer PRIMARY KEY) ON COMMIT DROP")
    n_quarantined = 0
    cur.execute("SELECT to_regclass(%s)", (f"quarantine.{dataset}",))
    if cur.fetchone()[0] is not None:
        cur.execute(sql.SQL(
            "INSERT INTO _quarantined SELECT DISTINCT row_no FROM quarantine.{} WHERE fetch_id = %s AND row_no IS NOT NULL"
        ).format(sql.Identifier(dataset)), (fetch_id,))
        n_quarantined = cur.rowcount
    cur.execute("INSERT INTO _quarantined SELECT row_no FROM audit.collapsed_row WHERE fetch_id = %s "
                "ON CONFLICT (row_no) DO NOTHING", (fetch_id,))
    return n_quarantined, cur.rowcount


def latest_validation(cur, fetch_id: int) -> tuple[int, bool, int] | None:
    """(run_id, failed a critical rule, rows validated) of the fetch's latest validation run."""
    cur.execute(
        "SELECT run_id, bool_or(severity = 'critical' AND NOT success), max(n_rows) FROM audit.validation_run "
        "WHERE fetch_id = %s GROUP BY run_id ORDER BY run_id DESC LIMIT 1", (fetch_id,))
    row = cur.fetchone()
    return None if row is None else (int(row[0]), bool(row[1]), int(row[2]))


def check_validated(cur, p: Partition, rows_in: int, *, allow_unvalidated: bool) -> int | None:
    """The validation run this load relies on; FetchNotValidated when there is none that allows it.

    Why a never-validated fetch is refused too: quarantine and collapse decisions exist only after
    validation, so loading without it would merge unchecked and duplicated rows as if they were
    clean. ``allow_unvalidated`` is the explicit escape hatch (tests of the merge itself, repairs);
    such a load is logged with validation_run_id NULL. A critically failed run is never loadable.
    """
    latest = latest_validation(cur, p.fetch_id)
    where = f"fetch {p.fetch_id} ({p.src_partition})"
    if latest is None:
        if allow_unvalidated:
            return None
        raise FetchNotValidated(f"{where} was never validated (validate_fetch); nothing loaded")
    run_id, critical, n_validated = latest
    if critical:
        raise FetchNotValidated(
            f"{where}: latest validation run {run_id} failed a critical rule (see audit.validation_run); "
            "nothing loaded — fix the source or re-validate, do not mark the validate task successful")
    if n_validated != rows_in and not allow_unvalidated:
        raise FetchNotValidated(
            f"{where}: staging holds {rows_in} rows but validation run {run_id} checked {n_validated}; "
            "staging changed after validation — validate again")
    return run_id


def count_output(cur, m: Mapping, params: dict[str, Any]) -> int:
    """Rows the mapping produces from the accepted staging rows (quarantine and copies excluded)."""
    cur.execute(sql.SQL("SELECT count(*) FROM ({}) m").format(sql.SQL(m.sql())),
                {**params, "include_quarantined": False})
    return int(cur.fetchone()[0])


def count_staging(cur, dataset: str, fetch_id: int) -> int:
    cur.execute(sql.SQL("SELECT count(*) FROM staging.{} WHERE fetch_id = %s").format(sql.Identifier(dataset)),
                (fetch_id,))
    return cur.fetchone()[0]


def lock_partition(cur, src_partition: str) -> None:
    """Two loaders of one partition run one after the other (a row lock of meta.partition_lock held
    until commit, `db.lock_key`); an auditor cannot take it. Waiting longer than `lock_timeout`
    raises PartitionBusy naming the partition."""
    try:
        db.lock_key(cur, src_partition)
    except psycopg2.errors.LockNotAvailable as exc:
        raise PartitionBusy(
            f"{src_partition}: another loader has held the partition lock longer than lock_timeout "
            f"({str(exc).strip()}); nothing loaded, retry later") from exc


def check_snapshot_order(cur, p: Partition, snapshot_date: dt.date) -> None:
    """Refuse a snapshot older than the partition's last loaded one, and a fetch older than one
    already loaded at the same or a later date (issue 19 point 3).

    Why the fetch and not only the date: two fetches of one day (a morning and an evening run, or
    a retried extract) share a snapshot date; loading the evening fetch B and then the morning
    fetch A would overwrite B in place and revive every package B withdrew. Recency is when the
    fetch's content was last observed (`last_checked_at`, bumped when an identical re-fetch reuses
    the fetch, else `finished_at`), then `fetch_id` (landing order). Re-loading the same fetch is
    allowed, and so is a fetch re-observed after the newer one was loaded.
    """
    cur.execute(
        "SELECT max(snapshot_date) FROM audit.load_log WHERE src_partition = %s AND status = 'ok'",
        (p.src_partition,),
    )
    last_date = cur.fetchone()[0]
    if last_date is not None and snapshot_date < last_date:
        raise LoadError(
            f"{p.src_partition}: snapshot {snapshot_date} is older than the last loaded snapshot {last_date}; "
            "history is written in date order"
        )
    if p.observed_at is None:
        return
    cur.execute(sql.SQL(
        "SELECT l.fetch_id, l.snapshot_date, f.observed_at FROM audit.load_log l "
        "JOIN (SELECT fetch_id, {observed} AS observed_at FROM raw.fetch) f ON f.fetch_id = l.fetch_id "
        "WHERE l.src_partition = %s AND l.status = 'ok' AND l.fetch_id <> %s "
        "AND (f.observed_at, f.fetch_id) > (%s, %s) "
        "ORDER BY f.observed_at DESC, f.fetch_id DESC LIMIT 1").format(observed=sql.SQL(_OBSERVED_AT)),
        (p.src_partition, p.fetch_id, p.observed_at, p.fetch_id),
    )
    newer = cur.fetchone()
    if newer is not None:
        raise StaleFetch(
            f"{p.src_partition}: fetch {p.fetch_id} (content last seen {p.observed_at:%Y-%m-%d %H:%M:%S%z}) is "
            f"older than fetch {newer[0]} (seen {newer[2]:%Y-%m-%d %H:%M:%S%z}) already loaded for snapshot "
            f"{newer[1]}; loading it would bring back rows the newer fetch withdrew — nothing loaded, extract again"
        )


def deletes_skipped(p: Partition, rows_in: int, allow_empty: bool) -> str | None:
    """Why this load must not mark rows deleted, or None when it may.

    An empty snapshot is more often an outage than a year without packages (unless `allow_empty`);
    a fetch that is not one consistent snapshot (raw.fetch.snapshot_consistent = false) may miss
    rows that are still live at the source, so their absence proves nothing (issue 19 point 2).
    """
    if not p.snapshot_consistent:
        return f"snapshot not consistent (fetch {p.fetch_id}): {p.snapshot_note or 'no reason recorded'}"
    if rows_in == 0 and not allow_empty:
        return "empty snapshot (allow_empty not set)"
    return None


def merge_partition(cur, p: Partition, snapshot_date: dt.date, load_id: int, *, allow_empty: bool,
                    hook: Hook | None, allow_unvalidated: bool = False) -> LoadResult:
    """All merge statements of one partition (the caller owns the transaction)."""
    res = LoadResult(load_id, p.fetch_id, p.dataset, p.src_partition, snapshot_date)
    res.rows_in = count_staging(cur, p.dataset, p.fetch_id)
    res.validation_run_id = check_validated(cur, p, res.rows_in, allow_unvalidated=allow_unvalidated)
    if res.rows_in == 0 and not allow_empty and (p.n_rows or 0) > 0:
        raise LoadError(
            f"fetch {p.fetch_id} ({p.src_partition}) has {p.n_rows} raw rows but none in staging.{p.dataset}; "
            "stage it first (write_staging)"
        )
    res.rows_quarantined, res.rows_collapsed = prepare_quarantine(cur, p.dataset, p.fetch_id)
    params = {"fetch_id": p.fetch_id, "load_id": load_id, "src_partition": p.src_partition,
              "snapshot_date": snapshot_date, "tahun": p.tahun}
    # Measured, not assumed: a mapping that filters or DISTINCTs a row away shows up here.
    candidates = res.rows_in - res.rows_quarantined - res.rows_collapsed
    res.rows_accepted = min(candidates, count_output(cur, per_row_mapping(p.dataset), params))
    res.rows_dropped = candidates - res.rows_accepted
    res.deletes_skipped = deletes_skipped(p, res.rows_in, allow_empty)
    delete_ok = res.deletes_skipped is None
    tables: dict[str, tuple[str, ...]] = {}
    for m in mappings_for(p.dataset):
        stats = res.per_table.setdefault(m.table, {"loaded": 0, "deleted": 0, "history": 0})
        n = upsert(cur, m, params)
        stats["loaded"] += n
        res.rows_loaded += n
        if hook:
            hook(f"upsert:{m.table}")
        if m.owns_rows and delete_ok:
            d = mark_deleted(cur, m, params)
            stats["deleted"] += d
            res.rows_deleted += d
            if hook:
                hook(f"delete:{m.table}")
        tables.setdefault(m.table, m.key)
    for table, key in tables.items():
        h = sync_history(cur, table, key, params)
        res.per_table[table]["history"] += h
        res.rows_history += h
        if hook:
            hook(f"history:{table}")
    return res
