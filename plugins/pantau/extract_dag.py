"""The shape shared by the three extraction DAGs (SIRUP, SPSE, e-Katalog).

plan → partition[mapped task group: extract → normalize → validate → load] → publish(asset) → check

Each index of the mapped task group is one partition (dataset × instansi × tahun) and depends
only on its own upstream index, so a partition that fails never marks the others
`upstream_failed`: every partition that can land, lands. The UI still shows the four stages per
partition. `publish` runs once the whole family is done (trigger rule `all_done`), reads every
planned partition's status from `audit.partition_run` and emits the family's Asset with that
status per partition — metrics then know what is missing. `check` fails the run visibly after
everything else landed, naming the failed datasets and their reasons.

Extraction runs in the `lkpp_api` pool so the rate limit holds across all mapped tasks and DAGs.
Deterministic errors (404, auth, config, repeating cursor, critical validation…) fail their task
at once (`pantau.failures`); only transient ones use the backoff retries of `dagkit.default_args`.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from pantau import dagkit

API_POOL = "lkpp_api"
GROUP_ID = "partition"
STAGE_ORDER = ("extract", "normalize", "validate", "load")


def guarded(step: Callable[[], Any]) -> Any:
    """Run a task body; a permanent error becomes `AirflowFailException` (fail now, no retry).

    Transient errors are re-raised unchanged so Airflow's exponential-backoff retries apply.
    """
    from airflow.sdk.exceptions import AirflowFailException

    from pantau.failures import describe, is_permanent

    try:
        return step()
    except AirflowFailException:
        raise
    except Exception as err:
        if is_permanent(err):
            raise AirflowFailException(f"permanent error, not retried: {describe(err)}") from err
        raise


LABEL = "partition_label"  # context key the tasks set; rendered as the map index in the UI


def label(context: Any, part: Mapping[str, Any]) -> None:
    """Name this mapped index after its partition ("dataset kd_klpd").

    Inside a mapped task group `task.op_kwargs` does not hold the resolved argument, so a
    template over it fails the task *after* its work; a context value set by the task is safe.
    """
    context[LABEL] = f"{part['dataset']} {part['kd_klpd']}"


def summarize(planned: list[Mapping[str, Any]], rows: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One status per planned partition; a partition with no final row did not finish.

    "running" left behind means the task died without running our except-branch (killed,
    out of memory, upstream task marked failed by hand): it counts as failed, with the stage.
    """
    by_key = {(r["dataset"], r["kd_klpd"], int(r["tahun"])): r for r in rows}
    out = []
    for p in planned:
        row = by_key.get((p["dataset"], p["kd_klpd"], int(p["tahun"])))
        base = {"dataset": p["dataset"], "kd_klpd": p["kd_klpd"], "tahun": int(p["tahun"])}
        if row is None:
            out.append({**base, "status": "failed", "stage": None, "fetch_id": None,
                        "reason": f"no status recorded: dataset={p['dataset']} never started"})
            continue
        status, reason = row["status"], row["reason"]
        if status == "running":
            status, reason = "failed", f"did not finish stage {row['stage']}: dataset={p['dataset']}"
        out.append({**base, "status": status, "stage": row["stage"], "reason": reason,
                    "error_class": row["error_class"], "fetch_id": row["fetch_id"], "load_id": row["load_id"],
                    "rows_raw": row["rows_raw"], "rows_loaded": row["rows_loaded"],
                    "rows_quarantined": row["rows_quarantined"], "rows_collapsed": row["rows_collapsed"]})
    return out


def asset_extra(family: str, scope: dagkit.RunScope, partitions: list[dict[str, Any]]) -> dict[str, Any]:
    """The family Asset's extra: scope for downstream DAGs plus every partition's status."""
    loaded = [p for p in partitions if p["status"] == "loaded"]
    return {
        "family": family,
        "tahun": scope.tahun,
        "snapshot_date": scope.snapshot_date.isoformat(),
        "kd_klpd": sorted({p["kd_klpd"] for p in partitions}),
        "partitions": partitions,
        "n_partitions": len(partitions),
        "n_loaded": len(loaded),
        "failed": sorted(p["dataset"] for p in partitions if p["status"] != "loaded"),
        "rows": sum(int(p.get("rows_loaded") or 0) for p in loaded),
        "quarantined": sum(int(p.get("rows_quarantined") or 0) for p in loaded),
    }


def failure_message(family: str, extra: Mapping[str, Any]) -> str | None:
    """The run's failure text, naming each failed partition's dataset and reason; None if all loaded."""
    bad = [p for p in extra["partitions"] if p["status"] != "loaded"]
    if not bad:
        return None
    lines = "; ".join(f"{p['dataset']} {p['kd_klpd']} {p['tahun']} [{p['status']}]: {p.get('reason')}" for p in bad)
    return f"{family}: {len(bad)} of {len(extra['partitions'])} partitions not loaded — {lines}"


def build(family: str, *, dag_id: str, schedule: Any, doc_md: str, tags: list[str]):
    from airflow.sdk import Param, dag, get_current_context, task, task_group

    outlet = dagkit.assets()[family]

    def _run_key() -> str:
        from pantau.partition_status import run_key

        return run_key(get_current_context())

    @dag(
        dag_id=dag_id,
        schedule=schedule,
        start_date=dagkit.START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=dagkit.default_args(),
        tags=[dagkit.Tag.PANTAU.value, dagkit.Tag.EXTRACT.value, *tags],
        doc_md=doc_md,
        params={
            "tahun": Param(None, type=["null", "integer"], description="Tahun anggaran (default: tahun tanggal run)"),
            "snapshot_date": Param(None, type=["null", "string"], description="Tanggal snapshot YYYY-MM-DD (default: tanggal run)"),
            "kd_klpd": Param(None, type=["null", "array"], description="Batasi ke instansi ini (default: semua di pantau.yaml)"),
        },
    )
    def extraction():
        @task
        def plan() -> list[dict[str, Any]]:
            from pantau import pipeline

            scope = dagkit.run_scope(get_current_context())
            return guarded(lambda: pipeline.plan_partitions(family, scope.tahun, scope.kd_klpd))

        template = "{{ %s }}" % LABEL

        @task(pool=API_POOL, map_index_template=template)
        def extract(partition: dict[str, Any]) -> dict[str, Any]:
            from pantau import pipeline

            label(get_current_context(), partition)
            return guarded(lambda: pipeline.extract(partition, run_key=_run_key()))

        @task(map_index_template=template)
        def normalize(fetch: dict[str, Any]) -> dict[str, Any]:
            from pantau import pipeline

            label(get_current_context(), fetch)
            return guarded(lambda: pipeline.normalize(fetch, run_key=_run_key()))

        @task(map_index_template=template)
        def validate(fetch: dict[str, Any]) -> dict[str, Any]:
            """A critical finding is deterministic: fail at once, no retry (the raw payload is kept)."""
            from pantau import pipeline

            label(get_current_context(), fetch)
            return guarded(lambda: pipeline.validate(fetch, run_key=_run_key()))

        @task(map_index_template=template)
        def load(fetch: dict[str, Any]) -> dict[str, Any]:
            from pantau import pipeline

            ctx = get_current_context()
            label(ctx, fetch)
            snapshot = dagkit.run_scope(ctx).snapshot_date
            return guarded(lambda: pipeline.load(fetch, snapshot, run_key=_run_key()))

        @task_group(group_id=GROUP_ID)
        def partition(part: dict[str, Any]):
            return load(validate(normalize(extract(part))))

        @task(outlets=[outlet], trigger_rule="all_done")
        def publish(planned: list[dict[str, Any]]) -> dict[str, Any]:
            """Emit the family's Asset with every partition's status; succeeds even if some failed."""
            from pantau.partition_status import for_run

            ctx = get_current_context()
            partitions = summarize(list(planned), for_run(_run_key()))
            extra = {**asset_extra(family, dagkit.run_scope(ctx), partitions), **dagkit.passed_options(ctx)}
            ctx["outlet_events"][outlet].extra = extra
            return extra

        @task
        def check(extra: dict[str, Any]) -> None:
            """Fail the run visibly (after everything else landed) when a partition did not load."""
            from airflow.sdk.exceptions import AirflowFailException

            message = failure_message(family, extra)
            if message:
                raise AirflowFailException(message)

        planned = plan()
        groups = partition.expand(part=planned)
        published = publish(planned)
        groups >> published
        check(published)

    return extraction()
