"""The five DAGs under Airflow's real scheduler, not `dag.test()` (issue 14, acceptance 1).

Starts `airflow scheduler` (LocalExecutor), `airflow dag-processor` and `airflow api-server` as
subprocesses, with their metadata in a scratch PostgreSQL database on the test server and a
shared JWT secret. A small generated province is served by the local simulator; the test only
unpauses the DAGs and triggers `extract_sirup` through the REST API. Everything after that —
`extract_spse`, `extract_ekatalog`, `compute_metrics`, `render_circulars` — must be started by the
Asset chain, and the circular must land on disk and in `audit.report`.

This is the one slow test (a few minutes on 2 cores); it prints its progress.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from sqlalchemy.engine import make_url

from pantau import db

DAGS = ("extract_sirup", "extract_spse", "extract_ekatalog", "compute_metrics", "render_circulars")
KLPD = "D197"
TAHUN = 2025
SNAPSHOT = "2025-11-30"
CHAIN_TIMEOUT_S = 480  # the whole chain, after the trigger
BOOT_TIMEOUT_S = 120
VENV_BIN = Path(sys.executable).parent
FINAL = {"success", "failed"}


def _say(msg: str) -> None:
    print(f"[scheduler-e2e {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """An empty database on the test server (Airflow's metadata), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = db.connect(str(make_url(server_url).set(database="postgres")))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield str(make_url(server_url).set(database=name))
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _airflow_env(warehouse: str, meta: str, home: Path, port: int, sim: Any, registry: Path) -> dict[str, str]:
    from pantau import airflow_env

    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(airflow_env.airflow_env(warehouse, home))
    env.update({
        "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta,
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",  # the test unpauses through the API
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "5",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "PANTAU_INAPROC_URL": sim.inaproc_url,
        "PANTAU_INAPROC_TOKEN": sim.token,
        "PANTAU_ISB_URLS_FILE": str(registry),
        "PANTAU_OUTPUT_DIR": str(home / "output"),
        "GX_ANALYTICS_ENABLED": "false",
    })
    return env


class Components:
    """Airflow components started by this test, each in its own process group."""

    def __init__(self, env: dict[str, str], home: Path) -> None:
        self.env, self.home = env, home
        self.procs: dict[str, subprocess.Popen] = {}

    def cli(self, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
        out = subprocess.run([str(VENV_BIN / "airflow"), *args], env=self.env, capture_output=True, text=True,
                             timeout=timeout)
        assert out.returncode == 0, f"airflow {' '.join(args)} failed: {out.stderr[-3000:]}"
        return out

    def start(self, name: str, *args: str) -> None:
        log = open(self.home / f"{name}.log", "wb")
        self.procs[name] = subprocess.Popen([str(VENV_BIN / "airflow"), *args], env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        _say(f"started {name} (pid {self.procs[name].pid})")

    def assert_alive(self) -> None:
        for name, proc in self.procs.items():
            assert proc.poll() is None, f"{name} exited with {proc.returncode}:\n{self.tail(name)}"

    def tail(self, name: str, n: int = 40) -> str:
        path = self.home / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:]) if path.exists() else ""

    def stop(self) -> None:
        """SIGINT to each process group (Airflow's graceful path), then TERM, then KILL."""
        for sig, wait in ((signal.SIGINT, 15), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            alive = [p for p in self.procs.values() if p.poll() is None]
            for proc in alive:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
            deadline = time.monotonic() + wait
            while alive and time.monotonic() < deadline:
                alive = [p for p in alive if p.poll() is None]
                time.sleep(0.2)
        for name, proc in self.procs.items():
            _say(f"stopped {name} (rc {proc.poll()})")
        # The group may hold workers whose leader already exited: make sure none survive.
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)


class Api:
    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def login(self) -> None:
        r = self.session.post(f"{self.base}/auth/token", json={"username": "admin", "password": "admin"}, timeout=10)
        r.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    def call(self, method: str, path: str, **kw: Any) -> Any:
        r = self.session.request(method, f"{self.base}/api/v2{path}", timeout=30, **kw)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text[:2000]}"
        return r.json()

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        return self.call("GET", f"/dags/{dag_id}/dagRuns", params={"order_by": "run_after"})["dag_runs"]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 200})["task_instances"]


def _wait(what: str, check, timeout: float, components: Components, every: float = 2.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        components.assert_alive()
        with contextlib.suppress(requests.RequestException):
            value = check()
            if value:
                return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _failed_task_logs(api: Api, home: Path, dag_id: str, run_id: str) -> str:
    """Names and log tails of a run's failed tasks, so a red test says why."""
    lines = []
    for ti in api.task_instances(dag_id, run_id):
        if ti["state"] in ("failed", "upstream_failed", "up_for_retry"):
            lines.append(f"  {ti['task_id']}[{ti.get('map_index')}] {ti['state']} try={ti.get('try_number')}")
    for log in sorted((home / "logs").rglob("*.log")):
        if f"dag_id={dag_id}" in str(log) and run_id in str(log):
            text = log.read_text(errors="replace")
            if "error" in text.lower():
                lines.append(f"--- {log.relative_to(home)}\n" + "\n".join(text.splitlines()[-15:]))
    return "\n".join(lines)[-8000:]


@pytest.fixture(scope="module")
def chain(pg_server_url, _template_db, _migrated_database, tmp_path_factory):
    from pantau.simulator.generator import generate
    from pantau.simulator.server import start_simulator

    home = tmp_path_factory.mktemp("airflow-home")
    with _migrated_database(pg_server_url, _template_db) as warehouse, \
            _scratch_database(pg_server_url, "pantau_afmeta") as meta:
        meta = meta.replace("postgresql+psycopg2://", "postgresql+psycopg2://", 1)
        province = generate(seed=2025, scale=0.05, tahun=TAHUN)
        sim = start_simulator(province)
        registry = home / "isb_urls.json"
        registry.write_text(json.dumps(sim.isb_url_registry({"klpd": [KLPD, "B201"], "lpse": [97]})))
        port = _free_port()
        env = _airflow_env(warehouse, meta, home, port, sim, registry)
        comps = Components(env, home)
        try:
            t0 = time.monotonic()
            comps.cli("db", "migrate")
            comps.cli("pools", "set", "lkpp_api", "4", "LKPP API rate limit")
            _say(f"metadata migrated, pool created ({time.monotonic() - t0:.1f} s)")
            comps.start("api-server", "api-server", "--port", str(port))
            comps.start("dag-processor", "dag-processor")
            comps.start("scheduler", "scheduler")
            api = Api(f"http://127.0.0.1:{port}")
            _wait("the api-server", lambda: api.session.get(f"{api.base}/api/v2/monitor/health", timeout=5).ok,
                  BOOT_TIMEOUT_S, comps)
            api.login()
            _wait("all five DAGs parsed", lambda: {d["dag_id"] for d in api.call("GET", "/dags")["dags"]} >= set(DAGS),
                  BOOT_TIMEOUT_S, comps)
            _say(f"api-server up, DAGs parsed ({time.monotonic() - t0:.1f} s)")
            sirup = api.call("GET", "/dags/extract_sirup")
            # Trigger at the logical date the scheduler would use next: it then sees that run as
            # existing and does not start a second (cron) run of its own alongside ours.
            logical = sirup.get("next_dagrun_logical_date") or dt.datetime.now(dt.timezone.utc).isoformat()
            for dag_id in DAGS:
                api.call("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
            trigger = api.call("POST", "/dags/extract_sirup/dagRuns", json={
                "logical_date": logical,
                "conf": {"tahun": TAHUN, "snapshot_date": SNAPSHOT, "kd_klpd": [KLPD], "deliver": False}})
            _say(f"triggered extract_sirup run {trigger['dag_run_id']} (logical_date {logical})")
            seen: dict[str, str] = {}

            def render_done():
                for dag_id in DAGS:
                    for run in api.runs(dag_id):
                        key = f"{dag_id}/{run['dag_run_id']}"
                        if seen.get(key) != run["state"]:
                            seen[key] = run["state"]
                            _say(f"{key}: {run['state']} ({run['run_type']}) +{time.monotonic() - t0:.0f} s")
                        if run["state"] == "failed":
                            raise AssertionError(f"{key} failed:\n{_failed_task_logs(api, home, dag_id, run['dag_run_id'])}")
                return [r for r in api.runs("render_circulars") if r["state"] in FINAL]

            _wait("render_circulars to finish", render_done, CHAIN_TIMEOUT_S, comps, every=5)
            runs = {dag_id: api.runs(dag_id) for dag_id in DAGS}
            yield {"warehouse": warehouse, "runs": runs, "home": home, "trigger": trigger, "api": api}
        finally:
            comps.stop()
            sim.stop()


def test_every_dag_ran_once_and_succeeded(chain):
    for dag_id in DAGS:
        states = [r["state"] for r in chain["runs"][dag_id]]
        assert states == ["success"], f"{dag_id}: {states}"


def test_downstream_dags_were_started_by_the_asset_chain(chain):
    assert chain["runs"]["extract_sirup"][0]["run_type"] == "manual"
    for dag_id in DAGS[1:]:
        assert chain["runs"][dag_id][0]["run_type"] == "asset_triggered", dag_id


def test_scope_travelled_down_the_chain(chain):
    """Every partition of every family ran for the triggered instansi and year only."""
    with db.connect(chain["warehouse"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT split_part(run_key, '/', 1), kd_klpd, tahun, status, count(*) FROM audit.partition_run "
                    "GROUP BY 1, 2, 3, 4 ORDER BY 1")
        rows = cur.fetchall()
        cur.execute("SELECT kd_klpd, tahun, as_of FROM mart.metric_run")
        metric_runs = cur.fetchall()
    assert {r[0] for r in rows} == {"extract_sirup", "extract_spse", "extract_ekatalog"}
    assert {(r[1], r[2], r[3]) for r in rows} == {(KLPD, TAHUN, "loaded")}, rows
    assert metric_runs == [(KLPD, TAHUN, dt.date.fromisoformat(SNAPSHOT))]


def test_circular_rendered_and_registered(chain):
    with db.connect(chain["warehouse"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT kd_klpd, tahun, as_of, path, sha256 FROM audit.report")
        reports = cur.fetchall()
    assert len(reports) == 1, reports
    kd, tahun, as_of, path, sha = reports[0]
    assert (kd, tahun, str(as_of)) == (KLPD, TAHUN, SNAPSHOT)
    pdf = Path(path) if Path(path).is_absolute() else chain["home"] / "output" / path
    assert pdf.exists() and pdf.read_bytes()[:5] == b"%PDF-"
    import hashlib

    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == sha
