"""The shape shared by the three extraction DAGs (SIRUP, SPSE, e-Katalog).

plan → extract[mapped] → normalise[mapped] → validate[mapped] → load[mapped] → publish(asset)

Each mapped instance is one partition (dataset × instansi × tahun). Extraction runs in the
`lkpp_api` pool so the rate limit holds across all mapped tasks and DAGs. `publish` emits the
family's Asset only when every partition loaded, so metrics never run on a half-loaded family.
"""
from __future__ import annotations

from typing import Any

from pantau import dagkit

API_POOL = "lkpp_api"


def build(family: str, *, dag_id: str, schedule: Any, doc_md: str, tags: list[str]):
    from airflow.sdk import Param, dag, get_current_context, task

    outlet = dagkit.assets()[family]

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

            ctx = get_current_context()
            tahun, _ = dagkit.run_dates(ctx["params"], ctx)
            return pipeline.plan_partitions(family, tahun, ctx["params"].get("kd_klpd"))

        @task(pool=API_POOL, map_index_template="{{ task.op_kwargs['partition']['dataset'] }}")
        def extract(partition: dict[str, Any]) -> dict[str, Any]:
            from pantau import pipeline

            return pipeline.extract(partition)

        @task
        def normalize(fetch: dict[str, Any]) -> dict[str, Any]:
            from pantau import pipeline

            return pipeline.normalize(fetch)

        @task
        def validate(fetch: dict[str, Any]) -> dict[str, Any]:
            """A critical finding is deterministic: fail at once, no retry (the raw payload is kept)."""
            from airflow.sdk.exceptions import AirflowFailException

            from pantau import pipeline
            from pantau.validate import CriticalValidationError

            try:
                return pipeline.validate(fetch)
            except CriticalValidationError as err:
                raise AirflowFailException(str(err)) from err

        @task
        def load(fetch: dict[str, Any]) -> dict[str, Any]:
            from pantau import pipeline

            ctx = get_current_context()
            _, snapshot = dagkit.run_dates(ctx["params"], ctx)
            return pipeline.load(fetch, snapshot)

        @task(outlets=[outlet])
        def publish(loaded: list[dict[str, Any]]) -> dict[str, Any]:
            """Emit the family's Asset with what landed (the metrics DAG listens to it)."""
            rows = sum(int(x.get("n_staged") or 0) for x in loaded)
            quarantined = sum(int(x.get("n_quarantined") or 0) for x in loaded)
            ctx = get_current_context()
            tahun, snapshot = dagkit.run_dates(ctx["params"], ctx)
            extra = {"tahun": tahun, "snapshot_date": snapshot.isoformat(),
                     "partitions": len(loaded), "rows": rows, "quarantined": quarantined}
            ctx["outlet_events"][outlet].extra = extra
            return extra

        fetched = extract.expand(partition=plan())
        publish(load.expand(fetch=validate.expand(fetch=normalize.expand(fetch=fetched))))

    return extraction()
