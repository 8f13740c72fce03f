"""The five DAGs under Airflow's real scheduler, not `dag.test()` (issue 14, acceptance 1).

The LocalExecutor run is the session fixture `local_pipeline` of `tests/airflow_harness.py`
(scratch metadata DB, api-server + scheduler + dag-processor as subprocesses, a small generated
province served by the simulator). The run only unpauses the DAGs and triggers `extract_sirup`
through the REST API; everything after that — `extract_spse`, `extract_ekatalog`,
`compute_metrics`, `render_circulars` — must be started by the Asset chain, and the circular must
land on disk and in `audit.report`. `tests/test_scale_celery.py` compares its CeleryExecutor run
with this same run, so a session pays for it once.

This is a slow test (a few minutes on 2 cores); it prints its progress.
"""
from __future__ import annotations

import datetime as dt

import pytest

pytest.register_assert_rewrite("airflow_harness")

from airflow_harness import DAGS, KLPD, SNAPSHOT, TAHUN, PipelineRun, assert_circular_rendered  # noqa: E402
from pantau import db  # noqa: E402

pytest_plugins = ["airflow_harness"]


def test_every_dag_ran_once_and_succeeded(local_pipeline: PipelineRun):
    for dag_id in DAGS:
        states = [r["state"] for r in local_pipeline.runs[dag_id]]
        assert states == ["success"], f"{dag_id}: {states}"


def test_downstream_dags_were_started_by_the_asset_chain(local_pipeline: PipelineRun):
    assert local_pipeline.runs["extract_sirup"][0]["run_type"] == "manual"
    for dag_id in DAGS[1:]:
        assert local_pipeline.runs[dag_id][0]["run_type"] == "asset_triggered", dag_id


def test_scope_travelled_down_the_chain(local_pipeline: PipelineRun):
    """Every partition of every family ran for the triggered instansi and year only."""
    with db.connect(local_pipeline.warehouse) as conn, conn.cursor() as cur:
        cur.execute("SELECT split_part(run_key, '/', 1), kd_klpd, tahun, status, count(*) FROM audit.partition_run "
                    "GROUP BY 1, 2, 3, 4 ORDER BY 1")
        rows = cur.fetchall()
        cur.execute("SELECT kd_klpd, tahun, as_of FROM mart.metric_run")
        metric_runs = cur.fetchall()
    assert {r[0] for r in rows} == {"extract_sirup", "extract_spse", "extract_ekatalog"}
    assert {(r[1], r[2], r[3]) for r in rows} == {(KLPD, TAHUN, "loaded")}, rows
    assert metric_runs == [(KLPD, TAHUN, dt.date.fromisoformat(SNAPSHOT))]


def test_circular_rendered_and_registered(local_pipeline: PipelineRun):
    assert_circular_rendered(local_pipeline)


def test_task_instances_record_host_and_pid(local_pipeline: PipelineRun):
    """The REST API reports where each task ran; the Celery comparison relies on it."""
    ran = [ti for ti in local_pipeline.task_instances if ti["state"] == "success"]
    assert ran, "no successful task instance reported"
    assert all(ti.get("hostname") and ti.get("pid") for ti in ran), \
        [(ti["task_id"], ti.get("hostname"), ti.get("pid")) for ti in ran if not (ti.get("hostname") and ti.get("pid"))]
    assert {ti["dag_id"] for ti in ran} == set(DAGS)


def test_warehouse_checksums_cover_core_history_and_mart(local_pipeline: PipelineRun):
    """The checksums the Celery run is compared against see real rows in every layer, and every
    column excluded from them still exists (a renamed one would slip into the comparison)."""
    from airflow_harness import missing_checksum_exclusions

    sums = local_pipeline.checksums
    for table in ("core.rup_paket", "core.tender", "history.rup_paket", "mart.itkp_total", "mart.penyerapan"):
        assert sums[table][0] > 0, f"{table} is empty after the run"
    assert {t.split(".")[0] for t in sums} == {"core", "history", "mart"}
    assert missing_checksum_exclusions(local_pipeline.warehouse) == []

