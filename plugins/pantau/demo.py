"""`make demo`: the real DAGs, run with `dag.test()`, on a generated province served over HTTP.

The generator writes a province in the real source shapes (quirks included); the local simulator
serves it exactly as ISB and INAPROC v1 do; the DAGs then extract, validate, load, compute the
metrics and render the circulars as they would against LKPP. Nothing here is a shortcut around
the DAGs: the demo is the end-to-end path a user's Airflow runs.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

from pantau.config import LOCAL_DIR, OUTPUT_DIR

DAG_ORDER = ("extract_sirup", "extract_spse", "extract_ekatalog", "compute_metrics", "render_circulars")
DEMO_SNAPSHOT = dt.date(2025, 11, 30)  # the Kalimantan Tengah deadline (metrics.md)
log = logging.getLogger(__name__)




def _say(msg: str) -> None:
    print(msg, flush=True)


@contextlib.contextmanager
def serve_province(province: Any, tahun: int) -> Iterator[Any]:
    """Start the simulator for `province` and point the source configuration at it (env vars)."""
    from pantau import pipeline
    from pantau.simulator.server import start_simulator

    handle = start_simulator(province)
    inst = pipeline.instansi()
    registry = handle.isb_url_registry({"klpd": [i["kd_klpd"] for i in inst],
                                        "lpse": [i["kd_lpse"] for i in inst if i.get("kd_lpse")]})
    reg_path = LOCAL_DIR / "demo" / "isb_urls.json"
    reg_path.parent.mkdir(parents=True, exist_ok=True)
    reg_path.write_text(json.dumps(registry, indent=1))
    saved = {k: os.environ.get(k) for k in ("PANTAU_INAPROC_URL", "PANTAU_INAPROC_TOKEN", "PANTAU_ISB_URLS_FILE")}
    os.environ.update({"PANTAU_INAPROC_URL": handle.inaproc_url, "PANTAU_INAPROC_TOKEN": handle.token,
                       "PANTAU_ISB_URLS_FILE": str(reg_path)})
    try:
        yield handle
    finally:
        handle.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def ensure_airflow_db() -> None:
    """`airflow db migrate` once per Airflow home (SQLite metadata for the local demo)."""
    home = Path(os.environ["AIRFLOW_HOME"])
    stamp = home / ".pantau-db-migrated"
    if stamp.exists() and (home / "airflow.db").exists():
        return
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stamp.touch()


def run_dags(tahun: int, snapshot_date: dt.date, *, dag_ids: tuple[str, ...] = DAG_ORDER,
             conf: dict[str, Any] | None = None) -> dict[str, str]:
    """Run each DAG once, in order, with `dag.test()`; stop at the first that does not succeed."""
    from airflow.dag_processing.dagbag import DagBag

    from pantau.config import REPO_ROOT

    bag = DagBag(dag_folder=str(REPO_ROOT / "dags"))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    states: dict[str, str] = {}
    run_conf = {"tahun": tahun, "snapshot_date": snapshot_date.isoformat(), "deliver": False, **(conf or {})}
    logical = dt.datetime.combine(snapshot_date, dt.time(1), tzinfo=dt.timezone.utc)
    for dag_id in dag_ids:
        t0 = time.perf_counter()
        _say(f"==> {dag_id} ...")
        try:
            dr = bag.dags[dag_id].test(logical_date=logical, run_conf=run_conf)
        finally:
            _forget_task_context()
        states[dag_id] = str(dr.state)
        _say(f"    {dag_id}: {dr.state} ({time.perf_counter() - t0:.1f} detik)")
        if str(dr.state) != "success":
            break
    return states


def _forget_task_context() -> None:
    """`dag.test()` runs tasks in this process and leaves their `AIRFLOW_CTX_*` variables in
    `os.environ`; drop them so code run after the DAGs is not taken for task code (which must not
    fall back to the embedded warehouse, see `pantau.config.running_under_airflow`)."""
    for key in [k for k in os.environ if k.startswith("AIRFLOW_CTX_")]:
        del os.environ[key]


def table_counts(url: str, schemas: tuple[str, ...] = ("raw", "staging", "core", "history", "mart", "quarantine")) -> dict[str, int]:
    """Exact row count of every table in the data layers (audit logs append by design)."""
    from psycopg2 import sql

    from pantau.db import connect

    counts: dict[str, int] = {}
    with contextlib.closing(connect(url)) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema = ANY(%s) AND table_type = 'BASE TABLE' ORDER BY 1, 2", (list(schemas),))
        for schema, table in cur.fetchall():
            cur.execute(sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table)))
            counts[f"{schema}.{table}"] = cur.fetchone()[0]
    return counts


def run_demo(scale: float = 1.0, seed: int = 2025, tahun: int = 2025,
             snapshot_date: dt.date = DEMO_SNAPSHOT) -> int:
    from pantau import airflow_env
    from pantau.config import warehouse_url
    from pantau.migrate import migrate
    from pantau.simulator.generator import generate

    logging.basicConfig(level=logging.WARNING)
    # Task logs stay in the Airflow UI; the terminal shows the demo's own progress lines.
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    url = warehouse_url()
    _say(f"==> gudang data: {url}")
    migrate(url, log=lambda m: _say(f"    {m}"))
    airflow_env.apply(url)
    ensure_airflow_db()
    t0 = time.perf_counter()
    province = generate(seed=seed, scale=scale, tahun=tahun)
    n_rows = sum(len(v) for v in province.datasets.values())
    _say(f"==> provinsi sintetis dibuat: {n_rows:,} baris sumber ({time.perf_counter() - t0:.1f} detik)".replace(",", "."))
    (LOCAL_DIR / "demo").mkdir(parents=True, exist_ok=True)
    (LOCAL_DIR / "demo" / "ground_truth.json").write_text(json.dumps(province.ground_truth, indent=1, default=str))
    with serve_province(province, tahun) as handle:
        _say(f"==> simulator ISB/INAPROC di {handle.base_url}")
        states = run_dags(tahun, snapshot_date)
    counts = table_counts(url)
    ok = all(s == "success" for s in states.values()) and len(states) == len(DAG_ORDER)
    _summary(url, counts, ok)
    return 0 if ok else 1


def _report_pages(url: str) -> dict[str, int]:
    """Page count of each registered circular (audit.report), by its path under output/."""
    from pantau.db import connect

    try:
        with contextlib.closing(connect(url)) as conn, conn.cursor() as cur:
            cur.execute("SELECT path, pages FROM audit.report")
            return dict(cur.fetchall())
    except Exception:  # noqa: BLE001 - the summary must print even when the registry is unreadable
        return {}


def _summary(url: str, counts: dict[str, int], ok: bool) -> None:
    pdfs = sorted((OUTPUT_DIR / "circulars").rglob("*.pdf")) if (OUTPUT_DIR / "circulars").exists() else []
    docs = OUTPUT_DIR / "data_docs" / "index.html"
    by_layer: dict[str, int] = {}
    for name, n in counts.items():
        by_layer[name.split(".")[0]] = by_layer.get(name.split(".")[0], 0) + n
    _say("")
    _say("Ringkasan / summary" + ("" if ok else " — ADA DAG YANG GAGAL, lihat log di atas"))
    _say(f"  Gudang data (PostgreSQL): {url}")
    for layer, n in by_layer.items():
        _say(f"    {layer:<11} {n:>10,} baris".replace(",", "."))
    _say(f"  Data Docs (Great Expectations): {docs if docs.exists() else '(belum dibuat)'}")
    _say(f"  Surat edaran (PDF): {len(pdfs)} berkas di {OUTPUT_DIR / 'circulars'}")
    pages = _report_pages(url)
    for p in pdfs[:5]:
        n = pages.get(str(p.relative_to(OUTPUT_DIR)))
        _say(f"    {p}" + (f" ({n} halaman)" if n else ""))
    _say("  Airflow UI: `make airflow`, lalu buka http://127.0.0.1:8080 (pengguna admin; kata sandi di "
         ".local/airflow/simple_auth_manager_passwords.json.generated)")
