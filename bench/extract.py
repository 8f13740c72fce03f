"""Benchmark: fetch + land ≥ 1,000,000 rows through the simulator over real HTTP, then decode and normalise.

Prints figures; asserts nothing (speed targets live here, not in tests). Uses a scratch database
on the warehouse server (PANTAU_WAREHOUSE_URL or the embedded one), dropped at the end.

Run: .venv/bin/python bench/extract.py                      # generator province, ≥ 1 M rows
     .venv/bin/python bench/extract.py --source synthetic   # 1 M lazy synthetic rows, one partition
Options: --rows N, --limit 1000, --no-normalize, --keep-db
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import resource
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from sqlalchemy.engine import make_url  # noqa: E402

from pantau import db  # noqa: E402
from pantau.config import warehouse_url  # noqa: E402
from pantau.migrate import migrate  # noqa: E402

TOKEN = "inprc-bench-token-0000000000000000"


class SyntheticRows(Sequence):
    """N RUP-penyedia-like rows (~30 fields, ~900 bytes of JSON each), built on demand per slice."""

    def __init__(self, n: int, kd_klpd: str = "D197", tahun: int = 2025) -> None:
        self.n, self.kd_klpd, self.tahun = n, kd_klpd, tahun

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self._row(j) for j in range(*i.indices(self.n))]
        j = i if i >= 0 else self.n + i
        if not 0 <= j < self.n:
            raise IndexError(i)  # Sequence iteration stops here
        return self._row(j)

    def _row(self, i: int) -> dict:
        return {
            "tahun_anggaran": self.tahun, "kd_klpd": self.kd_klpd, "nama_klpd": "Provinsi Kalimantan Barat",
            "jenis_klpd": "PROVINSI", "kd_satker": 60412 + i % 44, "kd_satker_str": f"1.03.2.15.1.04.{i % 44:02d}.0000",
            "nama_satker": f"Dinas Pekerjaan Umum dan Penataan Ruang {i % 44}", "kd_rup": 53_600_000 + i,
            "nama_paket": f"Belanja Pemeliharaan Jalan dan Jembatan Ruas {i % 997} Tahap {i % 7}",
            "pagu": 15_000_000 + (i * 7919) % 2_000_000_000, "kd_metode_pengadaan": (9, 13, 8)[i % 3],
            "metode_pengadaan": ("E-Purchasing", "Tender", "Pengadaan Langsung")[i % 3],
            "kd_jenis_pengadaan": str(1 + i % 4), "jenis_pengadaan": ("Barang", "Pekerjaan Konstruksi",
                                                                      "Jasa Konsultansi", "Jasa Lainnya")[i % 4],
            "status_pradipa": "NonPraDIPA", "status_pdn": "PDN", "status_ukm": "UKM", "tipe_paket": "Penyedia",
            "volume_pekerjaan": "1 Paket", "urarian_pekerjaan": "<p>Pemeliharaan rutin jalan provinsi</p>\r\n",
            "spesifikasi_pekerjaan": "Sesuai KAK", "tgl_awal_pemilihan": "2025-02-01",
            "tgl_akhir_pemilihan": "2025-03-31", "tgl_awal_kontrak": "2025-04-01", "tgl_akhir_kontrak": "2025-11-30",
            "tgl_buat_paket": "2025-01-06 09:12:44", "tgl_pengumuman_paket": "2025-01-14 10:06:33",
            "nip_ppk": f"19800101200501{i % 9999:04d}", "nama_ppk": "Budi Santoso", "username_ppk": "budi.s",
            "status_aktif_rup": True, "status_delete_rup": False, "status_umumkan_rup": "Terumumkan",
            "_event_date": "2025-10-03",
        }


def scratch_db() -> str:
    base = warehouse_url()
    name = f"pantau_bench_{uuid.uuid4().hex[:8]}"
    admin = db.connect(str(make_url(base).set(database="postgres")))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    url = str(make_url(base).set(database=name))
    migrate(url, log=lambda *_: None)
    return url


def drop_db(url: str) -> None:
    admin = db.connect(str(make_url(url).set(database="postgres")))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    admin.close()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def warm(sim, datasets: list[str], instansi, biggest: str, limit: int) -> None:
    """Render every body once (plain requests, not our client) so the measured run is not bounded
    by the simulator's JSON encoding; the simulator caches rendered bodies."""
    import requests

    session = requests.Session()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for name in datasets:
        cursor = ""
        while True:
            params = {"kode_klpd": "D197", "tahun": 2025, "limit": limit, **({"cursor": cursor} if cursor else {})}
            meta = session.get(f"{sim.inaproc_url}{sim.route(name).inaproc_path}", params=params,
                               headers=auth).json()["meta"]
            if not meta["has_more"]:
                break
            cursor = meta["cursor"]
    session.get(sim.isb_url(biggest, instansi, 2025)).content


def serve(args: argparse.Namespace) -> None:
    """Child process: serve the rows and print one JSON line describing them; run until stdin closes.

    The simulator runs in its own process so its JSON encoding does not share the client's GIL —
    otherwise the bench would measure the simulator as much as the client.
    """
    import json

    from pantau.datasets import DATASETS
    from pantau.simulator.server import DictProvider, start_simulator

    t0 = time.perf_counter()
    if args.source == "generator":
        from pantau.simulator.generator import generate

        scale = args.rows / 40_000 * 1.05  # scale 1.0 ≈ 40 k rows for D197 + B201
        provider = generate(2025, scale, 2025)
        n_served = provider.n_rows
        datasets = [d for d, rows in provider.datasets.items() if rows]
        sizes = {d: len(provider.rows_for(d, kd_klpd="D197", tahun=2025)) for d in datasets}
        label = f"generator scale {scale:.1f}"
    else:
        provider = DictProvider({"rup_paket_penyedia": SyntheticRows(args.rows)}, prefiltered=True)
        n_served, datasets, sizes = args.rows, ["rup_paket_penyedia"], {"rup_paket_penyedia": args.rows}
        label = "synthetic lazy rows"
    biggest = max(sizes, key=sizes.get)
    instansi = 97 if DATASETS[biggest].filter_by == "lpse" else "D197"
    with start_simulator(provider, token=TOKEN, body_cache_mb=args.cache_mb) as sim:
        made = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm(sim, datasets, instansi, biggest, args.limit)
        print(json.dumps({"label": label, "n_served": n_served, "seconds": made, "warm": time.perf_counter() - t0,
                          "inaproc_url": sim.inaproc_url, "datasets": datasets, "biggest": biggest,
                          "isb_url": sim.isb_url(biggest, instansi, 2025),
                          "kd_lpse": instansi if instansi == 97 else None}), flush=True)
        sys.stdin.read()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", choices=["generator", "synthetic"], default="generator")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--limit", type=int, default=1000)
    ap.add_argument("--no-normalize", action="store_true")
    ap.add_argument("--keep-db", action="store_true")
    ap.add_argument("--cache-mb", type=int, default=6000, help="simulator body cache (bodies pre-rendered)")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.serve:
        return serve(args)

    import json
    import subprocess

    from pantau.sources import raw
    from pantau.sources.extract import extract_partition
    from pantau.sources.routing import SourcePlan, resolve

    child = subprocess.Popen([sys.executable, __file__, "--serve", "--source", args.source, "--rows", str(args.rows),
                              "--limit", str(args.limit), "--cache-mb", str(args.cache_mb)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    info = json.loads(child.stdout.readline())
    print(f"{info['label']}: {info['n_served']:,} rows served (made in {info['seconds']:.1f} s; simulator in a "
          f"separate process, bodies pre-rendered in {info['warm']:.1f} s)")
    url = scratch_db()
    os.environ.update(PANTAU_WAREHOUSE_URL=url, PANTAU_INAPROC_TOKEN=TOKEN, PANTAU_INAPROC_URL=info["inaproc_url"])
    try:
        fetches, pages, n_rows, n_bytes = [], 0, 0, 0
        t0 = time.perf_counter()
        for name in info["datasets"]:
            plan = resolve(name, "D197", 2025)
            plan = dataclasses.replace(plan, page_limit=args.limit,
                                       http=dataclasses.replace(plan.http, rate_per_sec=None))
            res = extract_partition(name, "D197", 2025, plan=plan)
            fetches.append((name, res))
            pages, n_rows, n_bytes = pages + res.n_pages, n_rows + (res.n_rows or 0), n_bytes + res.n_bytes
        dt = time.perf_counter() - t0
        with db.transaction(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT coalesce(sum(length(body_gz)), 0) FROM raw.fetch_page")
            gz = cur.fetchone()[0]
        print(f"INAPROC v1 fetch+land: {len(fetches)} partitions, {pages:,} pages (limit {args.limit}), "
              f"{n_rows:,} rows, {n_bytes / 1e6:,.0f} MB JSON -> {gz / 1e6:,.0f} MB gzip in {dt:.1f} s "
              f"= {n_rows / dt:,.0f} rows/s, {n_bytes / 1e6 / dt:,.1f} MB/s; peak RSS {rss_mb():,.0f} MB")

        again = time.perf_counter()
        name, first = max(fetches, key=lambda f: f[1].n_rows or 0)
        plan = dataclasses.replace(resolve(name, "D197", 2025), page_limit=args.limit)
        plan = dataclasses.replace(plan, http=dataclasses.replace(plan.http, rate_per_sec=None))
        res = extract_partition(name, "D197", 2025, plan=plan)
        print(f"re-fetch of unchanged {name} ({res.n_rows:,} rows): reused={res.reused} "
              f"in {time.perf_counter() - again:.1f} s")

        biggest = info["biggest"]
        isb_plan = SourcePlan(dataset=biggest, source_system="isb", tahun=2025, kd_klpd="D197",
                              kd_lpse=info["kd_lpse"], url=info["isb_url"], http=plan.http)
        t0 = time.perf_counter()
        res = extract_partition(biggest, "D197", 2025, plan=isb_plan)
        dt = time.perf_counter() - t0
        print(f"ISB whole-year body ({biggest}): {res.n_rows:,} rows, {res.n_bytes / 1e6:,.0f} MB in one "
              f"response, fetch+land {dt:.1f} s = {(res.n_rows or 0) / dt:,.0f} rows/s")
        child.stdin.close()
        child.wait(timeout=30)

        try:
            from pantau.sources.normalize import normalize_records
        except ImportError:
            normalize_records = None
            print("normalise: pantau.sources.normalize not available")
        if args.no_normalize:
            normalize_records = None
        t_read = t_norm = 0.0
        decoded = n_norm = 0
        for _, res in fetches:  # one partition at a time, as the DAG does (bounded memory)
            t0 = time.perf_counter()
            r = raw.read_fetch(res.fetch_id)
            t_read += time.perf_counter() - t0
            decoded += len(r.records)
            if normalize_records is not None:
                t0 = time.perf_counter()
                df = normalize_records(r.dataset, r.records, source_system=r.source_system,
                                       context={"kd_klpd": r.kd_klpd, "kd_lpse": r.kd_lpse, "tahun": r.tahun})
                t_norm += time.perf_counter() - t0
                n_norm += len(df)
        print(f"read_fetch (gunzip + sha256 check + JSON decode): {decoded:,} rows in {t_read:.1f} s "
              f"= {decoded / t_read:,.0f} rows/s")
        if normalize_records is not None:
            print(f"normalise: {n_norm:,} staging rows from {decoded:,} records in {t_norm:.1f} s "
                  f"= {n_norm / t_norm:,.0f} rows/s; peak RSS {rss_mb():,.0f} MB")
    finally:
        if child.poll() is None:
            child.stdin.close()
            child.wait(timeout=30)
        if not args.keep_db:
            drop_db(url)


if __name__ == "__main__":
    main()
