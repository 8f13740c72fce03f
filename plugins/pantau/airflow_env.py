"""Environment for running Airflow against this repository (`make airflow`, `make demo`, tests).

Airflow reads its configuration from `AIRFLOW__SECTION__KEY` variables and connections from
`AIRFLOW_CONN_<ID>`; building them in one place keeps the UI, the demo and the tests identical.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from pantau.config import LOCAL_DIR, REPO_ROOT, WAREHOUSE_CONN_ID, WAREHOUSE_URL_ENV, url_to_connection

AIRFLOW_HOME = LOCAL_DIR / "airflow"
__all__ = ["AIRFLOW_HOME", "WAREHOUSE_CONN_ID", "airflow_env", "apply", "warehouse_conn_uri"]


def warehouse_conn_uri(sqlalchemy_url: str) -> str:
    """The Airflow Connection (JSON form of `AIRFLOW_CONN_PANTAU_WAREHOUSE`) for the warehouse's
    SQLAlchemy URL; tasks read it first (`pantau.config.warehouse_url`), the env var after."""
    return json.dumps({k: v for k, v in url_to_connection(sqlalchemy_url).items() if v is not None})


def airflow_env(warehouse_url: str, home: Path = AIRFLOW_HOME) -> dict[str, str]:
    """Variables to add to the environment before Airflow is imported or started."""
    home.mkdir(parents=True, exist_ok=True)
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # Standalone forks one worker per parallelism slot; 4 is plenty on a laptop (stack.md §2.4).
        "AIRFLOW__CORE__PARALLELISM": os.environ.get("AIRFLOW__CORE__PARALLELISM", "4"),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": os.environ.get("AIRFLOW__API__PORT", "8080"),
        # user `admin` with role `admin`; Airflow generates its password on first start into
        # $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated (no password in code).
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO"),
        "GX_ANALYTICS_ENABLED": "false",
        # Both: the Connection is what tasks read first; the env var serves tools run beside Airflow.
        WAREHOUSE_URL_ENV: warehouse_url,
        f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": warehouse_conn_uri(warehouse_url),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT / "plugins"), os.environ.get("PYTHONPATH")])),
    }


def apply(warehouse_url: str, home: Path = AIRFLOW_HOME) -> dict[str, str]:
    """Put `airflow_env` into `os.environ` (for in-process Airflow use such as `dag.test()`)."""
    env = airflow_env(warehouse_url, home)
    os.environ.update(env)
    return env
