"""
### compute_metrics — ITKP, pangsa e-purchasing, penyerapan dan PD tertinggal

Runs when SIRUP, SPSE and e-Katalog have all loaded (Assets `sirup`, `spse`, `ekatalog`).
For each configured instansi, one mapped task computes, as of the run's snapshot date and from
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
    def targets() -> list[str]:
        from pantau import pipeline

        return [i["kd_klpd"] for i in pipeline.instansi(get_current_context()["params"].get("kd_klpd"))]

    @task(map_index_template="{{ task.op_kwargs['kd_klpd'] }}")
    def compute(kd_klpd: str) -> dict:
        from pantau.metrics import compute as compute_metrics_for

        ctx = get_current_context()
        tahun, as_of = dagkit.run_dates(ctx["params"], ctx)
        run_id = compute_metrics_for(kd_klpd, tahun, as_of)
        return {"kd_klpd": kd_klpd, "tahun": tahun, "as_of": as_of.isoformat(), "metric_run_id": run_id}

    @task(outlets=[_assets["metrics"]])
    def publish(runs: list[dict]) -> list[dict]:
        runs = list(runs)
        get_current_context()["outlet_events"][_assets["metrics"]].extra = {"runs": runs}
        return runs

    publish(compute.expand(kd_klpd=targets()))


compute_metrics()
