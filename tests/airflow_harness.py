"""Run the five DAGs under Airflow's real scheduler, with LocalExecutor or CeleryExecutor.

Shared by `tests/test_scheduler_e2e.py`, `tests/test_scale_celery.py` (as a pytest plugin: the
session fixture `local_pipeline` runs the LocalExecutor pipeline once per test session, however
many modules compare against it) and `bench/celery_workers.py`.

One run (`run_pipeline`): a scratch PostgreSQL database for Airflow's metadata, the generated
province served by the local simulator, `airflow api-server`, `scheduler` and `dag-processor`
(plus N `airflow celery worker` processes for Celery) as subprocesses, each in its own process
group with a shared JWT secret. The run only unpauses the DAGs and triggers `extract_sirup`
through the REST API; everything after that is started by the Asset chain. When the chain is
done it records the DAG runs, every task instance (hostname and pid as the REST API reports
them) and content checksums of the warehouse, then stops every process it started, by pid.

Why a hostname callable: both Celery workers run on this one machine, so the task instances'
`hostname` (Airflow's `[core] hostname_callable`, FQDN by default) would be the same for both.
Each worker gets `PANTAU_WORKER_NAME` and `worker_hostname` below, which is what separate
containers or hosts give for free.
"""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import requests
from sqlalchemy.engine import make_url

TESTS_DIR = Path(__file__).resolve().parent
REPO = TESTS_DIR.parent
if str(REPO / "plugins") not in sys.path:
    sys.path.insert(0, str(REPO / "plugins"))

from pantau import db  # noqa: E402

DAGS = ("extract_sirup", "extract_spse", "extract_ekatalog", "compute_metrics", "render_circulars")
KLPD = "D197"
TAHUN = 2025
SNAPSHOT = "2025-11-30"
SEED, SCALE = 2025, 0.05  # the same province for every run that is compared
CHAIN_TIMEOUT_S = 600  # the whole chain, after the trigger
BOOT_TIMEOUT_S = 150
VENV_BIN = Path(sys.executable).parent
FINAL = {"success", "failed"}
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_DB = 7  # private db number on the machine's Redis: only this one is flushed
WORKER_CONCURRENCY = 2
LOCAL_PARALLELISM = 4

# Columns left out of the content checksums, and why. Everything else is compared as stored.
# - fetch_id / load_id: drawn from sequences in the order partitions happen to be fetched and
#   loaded, which is the executor's scheduling order, not data;
# - mart.metric_run created_at / computed_at, mart.metric_run_input attempt_at / loaded_at: wall
#   clock of the run;
# - mart.metric_run_input.run_key: the Airflow run id, which embeds the trigger's timestamp.
# metric_run_id is kept: one metric run per fresh warehouse, so the sequence gives 1 both times.
CHECKSUM_EXCLUDED: dict[str, frozenset[str]] = {
    "*": frozenset({"fetch_id", "load_id"}),
    "mart.metric_run": frozenset({"created_at", "computed_at"}),
    "mart.metric_run_input": frozenset({"attempt_at", "loaded_at", "run_key"}),
}
CHECKSUM_SCHEMAS = ("core", "history", "mart")


def say(msg: str, tag: str = "airflow-e2e") -> None:
    print(f"[{tag} {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def worker_hostname() -> str:
    """`[core] hostname_callable` of the Celery workers: their own name, as a separate host would give."""
    return os.environ.get("PANTAU_WORKER_NAME") or socket.getfqdn()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """An empty database on the test server (Airflow's metadata), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = db.connect(str(make_url(server_url).set(database="postgres")))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@functools.lru_cache(maxsize=1)
def province():
    """The generated province every compared run serves (generated once per process)."""
    from pantau.simulator.generator import generate

    return generate(seed=SEED, scale=SCALE, tahun=TAHUN)


# ---------------------------------------------------------------------------------------------
# Redis (the Celery broker)
def redis_url(db_number: int = REDIS_DB) -> str:
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/{db_number}"


def redis_unreachable_reason() -> str | None:
    """Why no Redis answers at 127.0.0.1:6379, or None when one does."""
    import redis

    try:
        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 — any failure means "not reachable"
        return f"no Redis reachable at {REDIS_HOST}:{REDIS_PORT} ({type(exc).__name__}: {exc})"
    return None


def flush_redis(db_number: int = REDIS_DB) -> None:
    """Empty only our private db number (queued tasks of an earlier, killed run must not leak in)."""
    import redis

    redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db_number, socket_connect_timeout=2).flushdb()


# ---------------------------------------------------------------------------------------------
# processes
class Components:
    """Airflow components started by one run, each in its own process group, stopped by pid."""

    def __init__(self, env: dict[str, str], home: Path, tag: str) -> None:
        self.env, self.home, self.tag = env, home, tag
        self.procs: dict[str, subprocess.Popen] = {}

    def cli(self, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
        out = subprocess.run([str(VENV_BIN / "airflow"), *args], env=self.env, capture_output=True, text=True,
                             timeout=timeout)
        assert out.returncode == 0, f"airflow {' '.join(args)} failed: {out.stderr[-3000:]}"
        return out

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> None:
        with open(self.home / f"{name}.log", "wb") as log:
            self.procs[name] = subprocess.Popen([str(VENV_BIN / "airflow"), *args], env=env or self.env, stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True)
        say(f"started {name} (pid {self.procs[name].pid})", self.tag)

    def assert_alive(self) -> None:
        for name, proc in self.procs.items():
            assert proc.poll() is None, f"{name} exited with {proc.returncode}:\n{self.tail(name)}"

    def tail(self, name: str, n: int = 40) -> str:
        path = self.home / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:]) if path.exists() else ""

    def stop(self) -> None:
        """SIGINT to each process group (Airflow's and Celery's graceful path), then TERM, then KILL."""
        for sig, wait in ((signal.SIGINT, 20), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            alive = [p for p in self.procs.values() if p.poll() is None]
            for proc in alive:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
            deadline = time.monotonic() + wait
            while alive and time.monotonic() < deadline:
                alive = [p for p in alive if p.poll() is None]
                time.sleep(0.2)
        for name, proc in self.procs.items():
            say(f"stopped {name} (pid {proc.pid}, rc {proc.poll()})", self.tag)
        # A group may hold children (Celery pool, task runners) whose leader already exited.
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)


class Api:
    """The api-server's REST API with a JWT from `/auth/token` (SimpleAuthManager, all admins)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def healthy(self) -> bool:
        return self.session.get(f"{self.base}/api/v2/monitor/health", timeout=5).ok

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

    def task_instances(self, dag_id: str = "~", run_id: str = "~") -> list[dict[str, Any]]:
        """Every task instance (paged: the API caps a page at 100), mapped ones included."""
        out: list[dict[str, Any]] = []
        while True:
            page = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                             params={"limit": 100, "offset": len(out)})
            out += page["task_instances"]
            if not page["task_instances"] or len(out) >= page["total_entries"]:
                return out


def wait(what: str, check: Callable[[], Any], timeout: float, components: Components, every: float = 2.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        components.assert_alive()
        with contextlib.suppress(requests.RequestException):
            value = check()
            if value:
                return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def failed_task_logs(api: Api, home: Path, dag_id: str, run_id: str) -> str:
    """Names and log tails of a run's failed tasks, so a red test says why."""
    lines = []
    for ti in api.task_instances(dag_id, run_id):
        if ti["state"] in ("failed", "upstream_failed", "up_for_retry"):
            lines.append(f"  {ti['task_id']}[{ti.get('map_index')}] {ti['state']} try={ti.get('try_number')} "
                         f"host={ti.get('hostname')}")
    for log in sorted((home / "logs").rglob("*.log")):
        if f"dag_id={dag_id}" in str(log) and run_id in str(log):
            text = log.read_text(errors="replace")
            if "error" in text.lower():
                lines.append(f"--- {log.relative_to(home)}\n" + "\n".join(text.splitlines()[-15:]))
    return "\n".join(lines)[-8000:]


# ---------------------------------------------------------------------------------------------
# environment
def base_env(warehouse: str, meta: str, home: Path, port: int, sim: Any, registry: Path) -> dict[str, str]:
    """What every component of one run shares: metadata DB, API URL, JWT secret, data sources."""
    from pantau import airflow_env

    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AIRFLOW") and k not in ("PANTAU_OUTPUT_DIR", "PANTAU_LOCAL_DIR")}
    env.update(airflow_env.airflow_env(warehouse, home))
    env.update({
        "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta,
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(LOCAL_PARALLELISM),
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",  # the run unpauses through the API
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "5",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        # Not 8793: another run on this machine (a second session, a bench) may hold it.
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "PANTAU_INAPROC_URL": sim.inaproc_url,
        "PANTAU_INAPROC_TOKEN": sim.token,
        "PANTAU_ISB_URLS_FILE": str(registry),
        "PANTAU_OUTPUT_DIR": str(home / "output"),   # shared by every worker, like compose's volume
        "PANTAU_LOCAL_DIR": str(home / "local"),     # never the repository's own .local/
        "GX_ANALYTICS_ENABLED": "false",
    })
    return env


def celery_env(env: dict[str, str], meta: str) -> dict[str, str]:
    """CeleryExecutor on the machine's Redis (private db number), results in the metadata DB."""
    return {**env,
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CELERY__BROKER_URL": redis_url(),
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + meta,
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(WORKER_CONCURRENCY)}


def worker_env(env: dict[str, str], home: Path, name: str) -> dict[str, str]:
    """One Celery worker as if on its own host: own hostname and own `.local` (compose mounts only
    `output/` and `logs/`), the same `output/`."""
    local = home / "workers" / name / "local"
    local.mkdir(parents=True, exist_ok=True)
    return {**env,
            "PANTAU_WORKER_NAME": name,
            "PANTAU_LOCAL_DIR": str(local),
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "airflow_harness.worker_hostname",
            "PYTHONPATH": os.pathsep.join([env.get("PYTHONPATH", ""), str(TESTS_DIR)]).strip(os.pathsep)}


# ---------------------------------------------------------------------------------------------
# what a run leaves behind
def _checksum_sql(table: str, columns: list[str]) -> str:
    cols = ", ".join(f'"{c}"' for c in columns)
    return (f"SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), '')) "
            f"FROM (SELECT md5(ROW({cols})::text) AS h FROM {table}) s")


def warehouse_checksums(url: str) -> dict[str, tuple[int, str]]:
    """`{schema.table: (rows, md5)}` for every table in core, history and mart: order-independent
    (md5 of the sorted row md5s), without the columns in CHECKSUM_EXCLUDED."""
    with db.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT table_schema || '.' || table_name, array_agg(column_name::text ORDER BY ordinal_position) "
                    "FROM information_schema.columns WHERE table_schema = ANY(%s) "
                    "AND table_name IN (SELECT table_name FROM information_schema.tables t "
                    "  WHERE t.table_schema = columns.table_schema AND t.table_type = 'BASE TABLE') "
                    "GROUP BY 1 ORDER BY 1", (list(CHECKSUM_SCHEMAS),))
        tables = cur.fetchall()
        out: dict[str, tuple[int, str]] = {}
        for table, columns in tables:
            skip = CHECKSUM_EXCLUDED["*"] | CHECKSUM_EXCLUDED.get(table, frozenset())
            schema, name = table.split(".")
            cur.execute(_checksum_sql(f'"{schema}"."{name}"', [c for c in columns if c not in skip]))
            n, digest = cur.fetchone()
            out[table] = (n, digest)
    return out


def missing_checksum_exclusions(url: str) -> list[str]:
    """Excluded columns that no longer exist (a renamed column would silently be compared)."""
    with db.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT table_schema || '.' || table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema = ANY(%s)", (list(CHECKSUM_SCHEMAS),))
        present = set(cur.fetchall())
    return [f"{t}.{c}" for t, cols in CHECKSUM_EXCLUDED.items() if t != "*" for c in cols if (t, c) not in present]


CODE_DIRS = ("dags", "plugins/pantau", "include")


def code_fingerprint() -> dict[str, str]:
    """sha256 per file of the code and configuration the DAGs run (dags/, plugins/pantau/, include/).

    Why: a comparison of two runs means something only if both ran the same code; in a working
    tree that is being edited (several sessions at once) a difference in the warehouse can come
    from an edited `metrics.yaml` instead of the executor, and this says which."""
    out: dict[str, str] = {}
    for top in CODE_DIRS:
        for path in sorted((REPO / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                out[str(path.relative_to(REPO))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def code_changes(*fingerprints: dict[str, str]) -> list[str]:
    """Files whose content differs between any of the fingerprints (added/removed included)."""
    names = set().union(*fingerprints)
    return sorted(n for n in names if len({f.get(n) for f in fingerprints}) > 1)


def data_docs_listing(output: Path) -> set[str]:
    """Validation pages the Data Docs index links to (one per stored validation result)."""
    index = output / "data_docs" / "index.html"
    if not index.exists():
        return set()
    return set(re.findall(r'validations/[^"\'\s>]+\.html', index.read_text(errors="replace")))


def validations_of_run(url: str) -> set[int]:
    """fetch_ids validated in this warehouse (one GX validation each)."""
    with db.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT DISTINCT fetch_id FROM audit.validation_run")
        return {r[0] for r in cur.fetchall()}


@dataclasses.dataclass
class PipelineRun:
    """What one run of the chain left: Airflow's view (runs, task instances) and the warehouse's."""

    label: str
    executor: str
    workers: tuple[str, ...]
    warehouse: str
    home: Path
    trigger: dict[str, Any]
    runs: dict[str, list[dict[str, Any]]]
    task_instances: list[dict[str, Any]]
    checksums: dict[str, tuple[int, str]]
    chain_s: float
    total_s: float
    code_before: dict[str, str] = dataclasses.field(default_factory=dict)
    code_after: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def output(self) -> Path:
        return self.home / "output"

    def tasks_per_host(self) -> collections.Counter:
        """Task instances that ran (have a pid), per recorded hostname."""
        return collections.Counter(ti.get("hostname") for ti in self.task_instances if ti.get("pid"))


def assert_circular_rendered(run: PipelineRun) -> None:
    """One circular in `audit.report` for the triggered scope, its PDF on disk, sha256 matching."""
    with db.connect(run.warehouse) as conn, conn.cursor() as cur:
        cur.execute("SELECT kd_klpd, tahun, as_of, path, sha256 FROM audit.report")
        reports = cur.fetchall()
    assert len(reports) == 1, reports
    kd, tahun, as_of, path, sha = reports[0]
    assert (kd, tahun, str(as_of)) == (KLPD, TAHUN, SNAPSHOT)
    pdf = Path(path) if Path(path).is_absolute() else run.output / path
    assert pdf.exists() and pdf.read_bytes()[:5] == b"%PDF-", pdf
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == sha


# ---------------------------------------------------------------------------------------------
# one run
def _boot(comps: Components, port: int, workers: tuple[str, ...], home: Path) -> Api:
    comps.cli("db", "migrate")
    comps.cli("pools", "set", "lkpp_api", "4", "LKPP API rate limit")
    comps.start("api-server", "api-server", "--port", str(port))
    comps.start("dag-processor", "dag-processor")
    comps.start("scheduler", "scheduler")
    for name in workers:
        comps.start(name, "celery", "worker", "--celery-hostname", f"{name}@pantau-scale",
                    "--concurrency", str(WORKER_CONCURRENCY), "--skip-serve-logs",
                    env=worker_env(comps.env, home, name))
    api = Api(f"http://127.0.0.1:{port}")
    wait("the api-server", api.healthy, BOOT_TIMEOUT_S, comps)
    api.login()
    wait("all five DAGs parsed", lambda: {d["dag_id"] for d in api.call("GET", "/dags")["dags"]} >= set(DAGS),
         BOOT_TIMEOUT_S, comps)
    return api


def _trigger(api: Api, tag: str) -> dict[str, Any]:
    sirup = api.call("GET", "/dags/extract_sirup")
    # Trigger at the logical date the scheduler would use next: it then sees that run as existing
    # and does not start a second (cron) run of its own alongside ours.
    # extract_sirup is unpaused only after the trigger: an unpaused DAG lets the scheduler insert
    # that scheduled run concurrently with ours, and the loser of that race (the scheduler, seen
    # under Celery) dies on the unique (dag_id, logical_date).
    logical = sirup.get("next_dagrun_logical_date") or dt.datetime.now(dt.timezone.utc).isoformat()
    for dag_id in DAGS[1:]:
        api.call("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
    trigger = api.call("POST", "/dags/extract_sirup/dagRuns", json={
        "logical_date": logical,
        "conf": {"tahun": TAHUN, "snapshot_date": SNAPSHOT, "kd_klpd": [KLPD], "deliver": False}})
    api.call("PATCH", "/dags/extract_sirup", json={"is_paused": False})
    say(f"triggered extract_sirup run {trigger['dag_run_id']} (logical_date {logical})", tag)
    return trigger


def _wait_for_chain(api: Api, comps: Components, home: Path, t0: float) -> None:
    seen: dict[str, str] = {}

    def render_done() -> list[dict[str, Any]]:
        for dag_id in DAGS:
            for run in api.runs(dag_id):
                key = f"{dag_id}/{run['dag_run_id']}"
                if seen.get(key) != run["state"]:
                    seen[key] = run["state"]
                    say(f"{key}: {run['state']} ({run['run_type']}) +{time.monotonic() - t0:.0f} s", comps.tag)
                if run["state"] == "failed":
                    raise AssertionError(f"{key} failed:\n{failed_task_logs(api, home, dag_id, run['dag_run_id'])}")
        return [r for r in api.runs("render_circulars") if r["state"] in FINAL]

    wait("render_circulars to finish", render_done, CHAIN_TIMEOUT_S, comps, every=3)


def run_pipeline(server_url: str, warehouse: str, home: Path, *, workers: int = 0, label: str = "") -> PipelineRun:
    """Run the chain once: LocalExecutor when `workers` is 0, else CeleryExecutor with that many
    workers. `warehouse` must be an empty, migrated database; it is kept (the caller drops it)."""
    from pantau.simulator.server import start_simulator

    executor = "CeleryExecutor" if workers else "LocalExecutor"
    tag = label or executor
    names = tuple(f"w{i + 1}" for i in range(workers))
    home.mkdir(parents=True, exist_ok=True)
    t_start = time.monotonic()
    code_before = code_fingerprint()
    with scratch_database(server_url, "pantau_afmeta") as meta:
        sim = start_simulator(province())
        registry = home / "isb_urls.json"
        registry.write_text(json.dumps(sim.isb_url_registry({"klpd": [KLPD, "B201"], "lpse": [97]})))
        port = free_port()
        env = base_env(warehouse, meta, home, port, sim, registry)
        if workers:
            env = celery_env(env, meta)
            flush_redis()
        comps = Components(env, home, tag)
        try:
            api = _boot(comps, port, names, home)
            say(f"{executor}: api-server up, DAGs parsed ({time.monotonic() - t_start:.1f} s)", tag)
            t0 = time.monotonic()
            trigger = _trigger(api, tag)
            _wait_for_chain(api, comps, home, t0)
            chain_s = time.monotonic() - t0
            runs = {dag_id: api.runs(dag_id) for dag_id in DAGS}
            tis = api.task_instances()
        finally:
            comps.stop()
            sim.stop()
            if workers:
                with contextlib.suppress(Exception):
                    flush_redis()
    run = PipelineRun(label=tag, executor=executor, workers=names, warehouse=warehouse, home=home, trigger=trigger,
                      runs=runs, task_instances=tis, checksums=warehouse_checksums(warehouse), chain_s=chain_s,
                      total_s=time.monotonic() - t_start, code_before=code_before, code_after=code_fingerprint())
    say(f"{executor} chain done in {chain_s:.1f} s ({len(tis)} task instances; per host: "
        f"{dict(run.tasks_per_host())})", tag)
    return run


# ---------------------------------------------------------------------------------------------
# pytest plugin part: `pytest_plugins = ["airflow_harness"]` in a test module
@pytest.fixture(scope="session")
def local_pipeline(pg_server_url, _template_db, _migrated_database, tmp_path_factory) -> Iterator[PipelineRun]:
    """The chain under LocalExecutor, once per test session (its warehouse lives until the end)."""
    home = tmp_path_factory.mktemp("airflow-local")
    with _migrated_database(pg_server_url, _template_db) as warehouse:
        yield run_pipeline(pg_server_url, warehouse, home, label="local")
