"""
### render_circulars — Surat Edaran Sekda (PDF) untuk PD tertinggal, lalu kirim

Runs when new metrics land (Asset `metrics`). For exactly the metric runs named in the
triggering events (`extra.runs`: kd_klpd, tahun, as_of, metric_run_id — never "today"), or,
when started by hand, for each configured instansi as of the run's (or param) date: render the
circular and its lampiran with WeasyPrint in a memory-limited child process, register it in
`audit.report` (sha256; `pantau verify FILE.pdf` checks a file), then e-mail it through the
SMTP connection (`smtp_default`) to the recipients in `include/config/pemda/<kd_klpd>.yaml`.
Param `nomor` sets the letter number; without it the PDF is a DRAF.

Runbook: `DeliveryError` → check the SMTP connection; the PDF stays registered and a retry
re-sends the same bytes.

Owner: tim-data-pbj.
"""
from airflow.sdk import Param, dag, get_current_context, task

from pantau import dagkit

_assets = dagkit.assets()


@dag(
    dag_id="render_circulars",
    schedule=[_assets["metrics"]],
    start_date=dagkit.START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=dagkit.default_args(),
    tags=[dagkit.Tag.PANTAU.value, dagkit.Tag.REPORT.value],
    doc_md=__doc__,
    params={
        "tahun": Param(None, type=["null", "integer"]),
        "snapshot_date": Param(None, type=["null", "string"]),
        "kd_klpd": Param(None, type=["null", "array"]),
        "nomor": Param(None, type=["null", "string"], description="Nomor surat; kosong = DRAF"),
        "deliver": Param(True, type="boolean", description="Kirim lewat e-mail setelah dibuat"),
    },
)
def render_circulars():
    @task
    def targets() -> list[dict]:
        """The metric runs of the triggering `metrics` events, exactly; by hand: the configured
        instansi as of the run's (or param) date."""
        from pantau import pipeline

        ctx = get_current_context()
        runs = dagkit.metric_runs(ctx)
        if runs is not None:
            return runs
        scope = dagkit.run_scope(ctx)
        return [{"kd_klpd": i["kd_klpd"], "tahun": scope.tahun, "as_of": scope.snapshot_date.isoformat()}
                for i in pipeline.instansi(scope.kd_klpd)]

    @task(map_index_template="{{ target_label }}")
    def render(target: dict) -> dict:
        import datetime as dt

        from pantau.report import build_circular

        ctx = get_current_context()
        ctx["target_label"] = target["kd_klpd"]
        res = build_circular(target["kd_klpd"], int(target["tahun"]), dt.date.fromisoformat(target["as_of"]),
                             metric_run_id=target.get("metric_run_id"), nomor=ctx["params"].get("nomor"))
        return {**target, "report_id": res.report_id, "path": str(res.path), "sha256": res.sha256}

    @task(outlets=[_assets["circulars"]])
    def deliver(report: dict) -> dict:
        from pantau.report import deliver as deliver_report

        # The chain's choice (conf of this run, else of the upstream run via the Asset) wins.
        if not dagkit.run_option(get_current_context(), "deliver", True):
            return {**report, "delivered": False}
        res = deliver_report(report["report_id"])
        return {**report, "delivered": True, "delivery": str(res)}

    deliver.expand(report=render.expand(target=targets()))


render_circulars()
