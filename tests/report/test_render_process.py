"""The render worker is a plain subprocess, so rendering works wherever a task runs (issue 14 p.9):
inside a daemonic process (Celery prefork), under a `__main__` that must not run twice (the
`airflow` entry point under LocalExecutor), with its memory cap, a per-document timeout, death
of the child and recycling. Real WeasyPrint PDFs, read back with pdftotext / pypdf."""
from __future__ import annotations

import io
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from pantau.report.render import RenderError, RenderPool, render_pdf, report_id_for
from pantau.report.sample import sample_circular

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


def _pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"   # zombie counts as gone
    except FileNotFoundError:
        return True


def _render_in_daemon(cfg: dict, model, out: str) -> None:
    """Target of the daemonic process: render one circular, write the PDF or the error."""
    try:
        res = render_pdf(model, cfg, report_id_for(model, cfg), timeout_s=60)
        Path(out).write_bytes(res.pdf)
    except BaseException as exc:  # noqa: BLE001 - reported to the test through the file
        Path(out + ".err").write_text(f"{type(exc).__name__}: {exc}")
        os._exit(1)


def test_renders_inside_a_daemonic_process(cfg, small_model, tmp_path, pdftext):
    """Celery's prefork pool runs tasks in daemonic processes; multiprocessing refuses children
    there ("daemonic processes are not allowed to have children"), a subprocess does not."""
    out = str(tmp_path / "daemon.pdf")
    proc = multiprocessing.get_context("fork").Process(target=_render_in_daemon, args=(cfg, small_model, out),
                                                       daemon=True)
    proc.start()
    proc.join(90)
    if proc.is_alive():
        proc.kill()
    err = Path(out + ".err")
    assert proc.exitcode == 0, err.read_text() if err.exists() else f"exit code {proc.exitcode}"
    pdf = Path(out).read_bytes()
    assert pdf.startswith(b"%PDF-") and _pages(pdf) >= 2
    assert report_id_for(small_model, cfg) in pdftext(pdf).replace("\n", " ")


def test_renders_under_a_main_that_must_not_run_twice(tmp_path):
    """Like the `airflow` entry point under LocalExecutor: a `__main__` script that exits with an
    error when a child imports or re-runs it. The render child must not touch it."""
    script = tmp_path / "entry_point.py"
    script.write_text(textwrap.dedent(f"""
        import json, os, sys
        if __name__ != "__main__" or os.environ.get("H2_ENTRY_POINT_RAN") == "1":
            sys.stderr.write("entry point run a second time (metadata access blocked)\\n")
            sys.exit(3)
        os.environ["H2_ENTRY_POINT_RAN"] = "1"
        sys.path.insert(0, {str(PLUGINS)!r})
        from pantau.report.pemda import load_pemda_config
        from pantau.report.render import render_pdf, report_id_for
        from pantau.report.sample import sample_circular
        cfg = {{**load_pemda_config("D197"), "belum_final": []}}
        model = sample_circular(n_pd=2, n_packages=5, seed=11)
        res = render_pdf(model, cfg, report_id_for(model, cfg), timeout_s=20)
        print(json.dumps({{"pages": res.pages, "head": res.pdf[:5].decode()}}))
    """))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "H2_ENTRY_POINT_RAN")}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["head"] == "%PDF-" and out["pages"] >= 2


def test_tiny_memory_cap_fails_fast_and_names_memory(cfg, small_model):
    rid = report_id_for(small_model, cfg)
    t0 = time.monotonic()
    with RenderPool(1, mem_limit_mb=64, timeout_s=30) as pool:
        with pytest.raises(RenderError, match="memory") as err:
            pool.render(small_model, cfg, rid)
    assert rid in str(err.value) and "64 MiB" in str(err.value)
    assert time.monotonic() - t0 < 20


def test_memory_cap_is_set_in_the_child_and_stops_a_big_document(cfg, small_model):
    """The child's own limits show the cap; a cap just above a small document's peak lets that one
    through and stops a document ten times its size with a RenderError naming memory."""
    rid = report_id_for(small_model, cfg)
    with RenderPool(1, mem_limit_mb=0, timeout_s=120, tasks_per_child=5) as pool:
        pool.render(small_model, cfg, rid)
        (pid,) = pool.worker_pids
        status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
        peak_mb = int(status["VmPeak"].split()[0]) // 1024
    cap = peak_mb + 48
    big = sample_circular(n_pd=40, n_packages=2000)
    with RenderPool(1, mem_limit_mb=cap, timeout_s=120, tasks_per_child=5) as pool:
        assert pool.render(small_model, cfg, rid).pdf.startswith(b"%PDF-")
        (pid,) = pool.worker_pids
        limits = Path(f"/proc/{pid}/limits").read_text()
        line = next(x for x in limits.splitlines() if x.startswith("Max address space"))
        assert line.split()[3:5] == [str(cap * 1024 * 1024)] * 2, line
        with pytest.raises(RenderError, match="memory") as err:
            pool.render(big, cfg, report_id_for(big, cfg))
        assert report_id_for(big, cfg) in str(err.value)
        assert pool.render(small_model, cfg, rid).pages >= 2     # a fresh worker takes over


def test_timeout_kills_the_child_and_raises(cfg, small_model):
    big = sample_circular(n_pd=40, n_packages=300)
    with RenderPool(1, timeout_s=60, tasks_per_child=5) as pool:
        pool.render(small_model, cfg, report_id_for(small_model, cfg))   # worker up and warm
        (pid,) = pool.worker_pids
        pool.timeout_s = 1
        t0 = time.monotonic()
        with pytest.raises(RenderError, match="timed out after 1s") as err:
            pool.render(big, cfg, report_id_for(big, cfg))
        assert time.monotonic() - t0 < 10
        assert report_id_for(big, cfg) in str(err.value)
        assert _gone(pid)
        pool.timeout_s = 60
        assert pool.render(small_model, cfg, report_id_for(small_model, cfg)).pdf.startswith(b"%PDF-")


def test_a_child_killed_mid_render_raises_with_cause(cfg, small_model):
    big = sample_circular(n_pd=40, n_packages=300)
    rid = report_id_for(big, cfg)
    with RenderPool(1, timeout_s=120, tasks_per_child=5) as pool:
        pool.render(small_model, cfg, report_id_for(small_model, cfg))
        (pid,) = pool.worker_pids
        killer = threading.Timer(0.5, os.kill, (pid, signal.SIGKILL))
        killer.start()
        t0 = time.monotonic()
        with pytest.raises(RenderError) as err:
            pool.render(big, cfg, rid)
        killer.join()
        assert time.monotonic() - t0 < 30
        assert rid in str(err.value) and "SIGKILL" in str(err.value)


def test_workers_are_recycled_and_a_pool_renders_in_order(cfg, pdftext):
    models = [sample_circular(n_pd=2, n_packages=4, seed=s) for s in (21, 22, 23)]
    ids = [report_id_for(m, cfg) for m in models]
    with RenderPool(1, tasks_per_child=2, timeout_s=60) as pool:
        first = pool.worker_pids
        pool.render(models[0], cfg, ids[0])
        assert pool.worker_pids == first
        pool.render(models[1], cfg, ids[1])               # second document: recycled
        assert pool.worker_pids and pool.worker_pids != first and all(_gone(p) for p in first)
    with RenderPool(2, tasks_per_child=10, timeout_s=60) as pool:
        assert len(pool.worker_pids) == 2
        results = list(pool.imap((m, cfg, r) for m, r in zip(models, ids)))
    for res, rid in zip(results, ids):
        assert res.pdf.startswith(b"%PDF-") and rid in pdftext(res.pdf).replace("\n", " ")
