"""
### compute_metrics — ITKP, pangsa e-purchasing, penyerapan dan PD tertinggal

Runs when SIRUP, SPSE and e-Katalog have all published (Assets `sirup`, `spse`, `ekatalog`).
Scope comes from the triggering asset events: the instansi every family published, their
`tahun` and `snapshot_date` (run params win when started by hand). For each such instansi, one
mapped task computes, as of that snapshot date and from
the history layer: ITKP components and total (rules per year in `include/config/itkp/<tahun>.yaml`),
e-purchasing share per semester, penyerapan per PD per month, and the lagging-PD rules
(`include/config/metrics.yaml`). Results land in `mart.*` under one `metric_run_id`.
Publishes Asset `metrics`.

Runbook: `denominator 0` flags in `mart.itkp_component` mean the source data is missing for that
PD (e.g. no struktur anggaran); check the SIRUP load first.

Owner: tim-data-pbj.
"""
from airflow.sdk import Param, dag, get_current_context, task

from pantau import dagkit

_assets = dagkit.assets()


@dag(
    dag_id="compute_metrics",
    schedule=(_assets["sirup"] & _assets["spse"] & _assets["ekatalog"]),
    start_date=dagkit.START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=dagkit.default_args(),
    tags=[dagkit.Tag.PANTAU.value, dagkit.Tag.METRICS.value],
    doc_md=__doc__,
    params={
        "tahun": Param(None, type=["null", "integer"]),
        "snapshot_date": Param(None, type=["null", "string"], description="Hitung per tanggal ini (as-of)"),
        "kd_klpd": Param(None, type=["null", "array"]),
    },
)
def compute_metrics():
    @task
    def targets() -> list[dict]:
        """One target per instansi every triggering family published (params win), with the
        upstream snapshot as the as-of date — never the trigger time."""
        from pantau import pipeline

        scope = dagkit.run_scope(get_current_context())
        return [{"kd_klpd": i["kd_klpd"], "tahun": scope.tahun, "as_of": scope.snapshot_date.isoformat()}
                for i in pipeline.instansi(scope.kd_klpd)]

    @task(map_index_template="{{ target_label }}")
    def compute(target: dict) -> dict:
        import datetime as dt

        from pantau.metrics import compute as compute_metrics_for

        get_current_context()["target_label"] = target["kd_klpd"]
        run_id = compute_metrics_for(target["kd_klpd"], int(target["tahun"]), dt.date.fromisoformat(target["as_of"]))
        return {**target, "metric_run_id": run_id}

    @task(outlets=[_assets["metrics"]])
    def publish(runs: list[dict]) -> dict:
        """Emit the metric runs; `render_circulars` renders exactly these."""
        runs = list(runs)
        ctx = get_current_context()
        extra = {**dagkit.passed_options(ctx), "runs": runs, "kd_klpd": sorted({r["kd_klpd"] for r in runs}),
                 "tahun": runs[0]["tahun"] if runs else None, "snapshot_date": runs[0]["as_of"] if runs else None}
        ctx["outlet_events"][_assets["metrics"]].extra = extra
        return extra

    publish(compute.expand(target=targets()))


compute_metrics()
