"""Benchmark: the whole DAG chain under CeleryExecutor with one and with two workers.

Same province and trigger as `make scale-test` (tests/airflow_harness.py: seed 2025, scale 0.05,
D197 / 2025, snapshot 2025-11-30), Redis at 127.0.0.1:6379 db 7 as broker. Each run gets a scratch
warehouse and metadata database on the warehouse server (PANTAU_WAREHOUSE_URL or the embedded
one), dropped at the end. Prints the chain's wall time (trigger → render_circulars done) and the
total (boot included), and the task instances per worker. Asserts nothing.

    .venv/bin/python bench/celery_workers.py [--workers 1 2]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "plugins"), str(REPO / "tests")]

from sqlalchemy.engine import make_url  # noqa: E402

import airflow_harness as h  # noqa: E402
from pantau import db  # noqa: E402
from pantau.config import warehouse_url  # noqa: E402
from pantau.migrate import migrate  # noqa: E402


def _one_run(server: str, workers: int, root: Path) -> h.PipelineRun:
    """One chain on a fresh migrated warehouse; the warehouse is dropped afterwards."""
    with h.scratch_database(server, "pantau_bench") as url:
        migrate(url, log=lambda *_: None)
        return h.run_pipeline(server, url, root / f"celery-{workers}", workers=workers, label=f"bench-{workers}w")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    reason = h.redis_unreachable_reason()
    if reason:
        sys.exit(reason)
    server = warehouse_url()
    db.connect(str(make_url(server).set(database="postgres"))).close()  # fail early, before booting Airflow
    root = Path(tempfile.mkdtemp(prefix=f"pantau-bench-celery-{uuid.uuid4().hex[:6]}-"))
    try:
        results = [_one_run(server, n, root) for n in args.workers]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"\n{'workers':>7} {'concurrency':>11} {'chain s':>8} {'total s':>8}  task instances per worker")
    for run in results:
        per = ", ".join(f"{w}: {run.tasks_per_host().get(w, 0)}" for w in run.workers)
        print(f"{len(run.workers):>7} {h.WORKER_CONCURRENCY:>11} {run.chain_s:>8.1f} {run.total_s:>8.1f}  {per}")


if __name__ == "__main__":
    main()
