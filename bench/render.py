"""Circular rendering throughput: 100 KLPD of realistic size, pool vs one process.

Each circular has ≥ 40 lagging PDs and ≥ 300 lagging packages in its lampiran, a nomor (no draft
watermark), the ITKP and penyerapan charts: the full document, nothing left out. Rendering goes
through the production path (`RenderPool`: N long-lived `python -m pantau.report.render_worker`
subprocesses fed by threads, memory-capped and recycled; autoescaped Jinja; the asset-only URL
fetcher). Writes nothing to the warehouse.

    .venv/bin/python bench/render.py            # 100 circulars on all cores + a 1-process run
    .venv/bin/python bench/render.py --n 8      # quick look
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from pantau.report.pemda import load_pemda_config  # noqa: E402
from pantau.report.render import RenderPool, report_id_for  # noqa: E402
from pantau.report.sample import sample_circular  # noqa: E402


def jobs(n: int, n_pd: int, n_packages: int):
    """n distinct circulars (different seeds and KLPD codes: no cache can short-cut them)."""
    cfg = load_pemda_config("D197")
    out = []
    for i in range(n):
        model = sample_circular(kd_klpd=f"D{100 + i}", n_pd=n_pd, n_packages=n_packages + (i % 7) * 5, seed=i,
                                nomor=f"000.3.6/{i + 1}/PBJ/2023")
        out.append((model, cfg, report_id_for(model, cfg)))
    return out


def _busy_cpu_s() -> float | None:
    """Core-seconds the whole machine has spent busy (all processes), from /proc/stat."""
    try:
        fields = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)        # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run(label: str, work, processes: int) -> tuple[float, float]:
    """Render all jobs with a warm pool; returns (circulars/s, pages/s) over wall time.

    Also prints the workers' own CPU per document (excludes worker start, imports and warm-up) and how
    much of the machine other processes took meanwhile: on a shared host wall-clock pages/s is
    capped by the CPU left over, so both numbers are needed to read the result."""
    with RenderPool(processes, tasks_per_child=25) as pool:
        pool.map(work[:processes])            # warm-up: worker start + font loading, not timed
        busy0 = _busy_cpu_s()
        t0 = time.perf_counter()
        pages = sizes = 0
        cpu = 0.0
        for res in pool.imap(work):
            pages += res.pages
            sizes += len(res.pdf)
            cpu += res.cpu_s
        wall = time.perf_counter() - t0
        busy1 = _busy_cpu_s()
    cps, pps = len(work) / wall, pages / wall
    print(f"{label:<22} {len(work):>4} circulars {pages:>6} pages {wall:8.1f} s  "
          f"{cps:6.2f} circulars/s  {pps:6.2f} pages/s  ({pages / len(work):.1f} pages, "
          f"{sizes / len(work) / 1024:.0f} KiB per PDF)", flush=True)
    if cpu > 0:
        line = (f"{'':<22} worker CPU {cpu / len(work):.2f} s per circular: {pages / cpu:.2f} pages per "
                f"CPU-second (x{processes} = {pages / cpu * processes:.2f} pages/s with {processes} free cores)")
        if busy0 is not None and busy1 is not None:
            other = max(0.0, (busy1 - busy0) - cpu)
            line += (f"; other processes used {other / wall:.2f} of {os.cpu_count()} cores meanwhile")
        print(line, flush=True)
    return cps, pps


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="circulars for the pool run (default 100)")
    ap.add_argument("--n-single", type=int, default=None, help="circulars for the 1-process run (default n/4, ≥ 2)")
    ap.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--pd", type=int, default=40, help="lagging PDs per circular (≥ 40)")
    ap.add_argument("--packages", type=int, default=300, help="lagging packages per circular (≥ 300)")
    a = ap.parse_args(argv)
    work = jobs(a.n, a.pd, a.packages)
    n_single = a.n_single or max(2, a.n // 4)
    print(f"cores={os.cpu_count()} pool={a.processes} PDs/circular={a.pd} packages/circular≥{a.packages}")
    _, pps = run(f"pool x{a.processes}", work, a.processes)
    _, pps1 = run("single process", work[:n_single], 1)
    print(f"scaling: pool / single process = {pps / pps1:.2f} (ideal {a.processes})")
    print(f"target ≥ 8 pages/s on 2 cores: {'MET' if pps >= 8 else 'NOT MET'} ({pps:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
