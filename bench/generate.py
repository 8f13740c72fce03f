"""Benchmark of the deterministic generator: time for the default province and for a national run.

Prints figures; asserts nothing (speed targets live here, not in tests).
Run: .venv/bin/python bench/generate.py [--klpds 500] [--scale 100]
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from pantau.simulator.generator import generate, national_klpds  # noqa: E402


def run(label: str, **kwargs) -> None:
    t0, c0 = time.perf_counter(), time.process_time()
    p = generate(**kwargs)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    n = p.n_rows
    rup = len(p.datasets["rup_paket_penyedia"]) + len(p.datasets["rup_paket_swakelola"])
    print(f"{label}: {len(p.klpds)} klpd, {len(p.satkers)} satker, {rup:,} RUP packages, {n:,} rows "
          f"in {dt:.1f} s wall ({cpu:.1f} s CPU) = {n / dt:,.0f} rows/s wall, {n / cpu:,.0f} rows/s CPU")
    t0 = time.perf_counter()
    digest = p.sha256()
    print(f"  sha256 over all JSON {digest[:16]}… in {time.perf_counter() - t0:.1f} s")
    biggest = sorted(p.datasets.items(), key=lambda kv: -len(kv[1]))[:5]
    print("  largest datasets: " + ", ".join(f"{k}={len(v):,}" for k, v in biggest))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--klpds", type=int, default=500)
    ap.add_argument("--scale", type=float, default=100.0)
    args = ap.parse_args()
    run("scale 1 (D197 + B201)", seed=2025, scale=1.0)
    run(f"scale {args.scale:g} × {args.klpds} national klpd", seed=2025, scale=args.scale,
        klpds=national_klpds(args.klpds))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:,.0f} MiB")


if __name__ == "__main__":
    main()
