"""Scale out for real: CeleryExecutor on Redis with two workers gives the LocalExecutor's warehouse
(issue 16, acceptance 1).

Airflow runs with the CeleryExecutor: broker the machine's Redis at 127.0.0.1:6379 on a private db
number (`airflow_harness.REDIS_DB`, flushed before and after, nothing else touched), result backend
in the run's scratch metadata database, api-server + scheduler + dag-processor and two
`airflow celery worker` processes (concurrency 2 each, one `.local/` each as separate hosts would
have, one shared `output/`), all with the same JWT secret. Same province, same trigger as the
LocalExecutor session run (`local_pipeline`). Checks: the warehouse is identical (content checksums
of core, history, mart), task instances ran on both workers, the circular rendered.

Skipped, with the reason printed, only when no Redis answers at 127.0.0.1:6379.
"""
from __future__ import annotations

import collections
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.register_assert_rewrite("airflow_harness")

import airflow_harness as h  # noqa: E402
from airflow_harness import DAGS, PipelineRun  # noqa: E402

pytest_plugins = ["airflow_harness"]

# Issue 16, "shared state that survives many workers": GX stores live in output/gx (shared by every
# worker, as compose mounts output/), and a store-and-build runs under an exclusive lock
# (plugins/pantau/validate/docs.py). Before that, each worker kept its own `.local/gx` and the index
# listed 6 or 9 of 18 validations under two workers; the two tests below failed then.


@pytest.fixture(scope="module")
def celery_pipeline(request, pg_server_url, _template_db, _migrated_database, tmp_path_factory):
    reason = h.redis_unreachable_reason()
    if reason:
        print(f"\n[scale-celery] SKIP: {reason}", flush=True)
        pytest.skip(reason)
    local: PipelineRun = request.getfixturevalue("local_pipeline")
    home = tmp_path_factory.mktemp("airflow-celery")
    with _migrated_database(pg_server_url, _template_db) as warehouse:
        yield local, h.run_pipeline(pg_server_url, warehouse, home, workers=2, label="celery")


def test_every_dag_succeeded_through_the_asset_chain(celery_pipeline):
    _, run = celery_pipeline
    assert run.executor == "CeleryExecutor"
    for dag_id in DAGS:
        runs = run.runs[dag_id]
        assert [r["state"] for r in runs] == ["success"], f"{dag_id}: {runs}"
        assert runs[0]["run_type"] == ("manual" if dag_id == "extract_sirup" else "asset_triggered"), dag_id


def test_warehouse_identical_to_the_local_executor_run(celery_pipeline):
    local, run = celery_pipeline
    print(f"\n{'table':36} {'rows local':>10} {'rows celery':>11}  md5 local / celery")
    for table in sorted(local.checksums.keys() | run.checksums.keys()):
        (n_l, md_l), (n_c, md_c) = local.checksums.get(table, (None, "-")), run.checksums.get(table, (None, "-"))
        mark = "same" if (n_l, md_l) == (n_c, md_c) else "DIFFERENT"
        print(f"{table:36} {n_l!s:>10} {n_c!s:>11}  {md_l[:10]} / {md_c[:10]}  {mark}")
    differing = {t: (local.checksums.get(t), run.checksums.get(t))
                 for t in local.checksums.keys() | run.checksums.keys()
                 if local.checksums.get(t) != run.checksums.get(t)}
    edited = h.code_changes(local.code_before, local.code_after, run.code_before, run.code_after)
    assert not (differing and edited), (
        f"tables differ ({sorted(differing)}), but the code changed between or during the runs, so the "
        f"executors are not what is compared; edited: {edited}")
    assert not differing, f"tables that differ between LocalExecutor and CeleryExecutor: {differing}"
    assert sum(n for n, _ in run.checksums.values()) > 0


def test_task_instances_ran_on_both_workers(celery_pipeline):
    _, run = celery_pipeline
    ran = [ti for ti in run.task_instances if ti["state"] == "success"]
    per_worker = collections.Counter(ti.get("hostname") for ti in ran)
    pids = collections.defaultdict(set)
    for ti in ran:
        pids[ti.get("hostname")].add(ti.get("pid"))
    print(f"\n[scale-celery] task instances per worker: "
          + ", ".join(f"{host}: {n} tasks, {len(pids[host])} pids" for host, n in sorted(per_worker.items())))
    assert all(ti.get("pid") for ti in ran), [ti["task_id"] for ti in ran if not ti.get("pid")]
    assert set(per_worker) == set(run.workers), per_worker
    assert all(per_worker[w] > 0 for w in run.workers), per_worker


def test_circular_rendered(celery_pipeline):
    _, run = celery_pipeline
    h.assert_circular_rendered(run)


def test_data_docs_list_every_validation_of_the_run(celery_pipeline):
    """GX Data Docs in the shared `output/` must list every validation, whichever worker ran it."""
    _, run = celery_pipeline
    validated = h.validations_of_run(run.warehouse)
    listed = h.data_docs_listing(run.output)
    print(f"\n[scale-celery] Data Docs list {len(listed)} of {len(validated)} validations")
    assert validated, "no validation recorded in audit.validation_run"
    assert len(listed) >= len(validated), f"Data Docs list {len(listed)} of {len(validated)} validations"


_BUILDER = textwrap.dedent("""
    import sys
    from pantau.sources.normalize import normalize_records
    from pantau.validate import build_data_docs
    from pantau.validate.engine import validate_dataframe
    from vhelpers import rup_penyedia

    df = normalize_records("rup_paket_penyedia", [rup_penyedia(i) for i in range(5)], source_system="isb")
    for _ in range(int(sys.argv[1])):
        build_data_docs([validate_dataframe("rup_paket_penyedia", df)])
""")


def test_data_docs_from_two_workers_list_both(tmp_path: Path):
    """Fast, no Airflow: two processes laid out like two Celery workers (own `.local/`, one
    `output/`) each publish validations at the same time; the one index must list all of them."""
    per_worker = 3
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    env.update(GX_ANALYTICS_ENABLED="false", PANTAU_OUTPUT_DIR=str(tmp_path / "output"),
               PYTHONPATH=os.pathsep.join(str(h.REPO / d) for d in ("plugins", "tests/validate")))
    procs = [subprocess.Popen([sys.executable, "-c", _BUILDER, str(per_worker)], stderr=subprocess.PIPE, text=True,
                              env={**env, "PANTAU_LOCAL_DIR": str(tmp_path / name / "local")})
             for name in ("w1", "w2")]
    for proc in procs:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err[-3000:]
    listed = h.data_docs_listing(tmp_path / "output")
    print(f"\n[scale-celery] two concurrent builders: Data Docs list {len(listed)} of {2 * per_worker}")
    assert len(listed) == 2 * per_worker, sorted(listed)
