"""Environment for running Airflow against this repository (`make airflow`, `make demo`, tests).

Airflow reads its configuration from `AIRFLOW__SECTION__KEY` variables and connections from
`AIRFLOW_CONN_<ID>`; building them in one place keeps the UI, the demo and the tests identical.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from pantau.config import LOCAL_DIR, REPO_ROOT

AIRFLOW_HOME = LOCAL_DIR / "airflow"
WAREHOUSE_CONN_ID = "pantau_warehouse"


def warehouse_conn_uri(sqlalchemy_url: str) -> str:
    """Airflow connection URI (`postgres://…`) for the warehouse's SQLAlchemy URL."""
    u = make_url(sqlalchemy_url)
    return json.dumps(
        {
            "conn_type": "postgres",
            "host": u.host,
            "port": u.port,
            "login": u.username,
            "password": u.password,
            "schema": u.database,
        }
    )


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
        "PANTAU_WAREHOUSE_URL": warehouse_url,
        f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": warehouse_conn_uri(warehouse_url),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT / "plugins"), os.environ.get("PYTHONPATH")])),
    }


def apply(warehouse_url: str, home: Path = AIRFLOW_HOME) -> dict[str, str]:
    """Put `airflow_env` into `os.environ` (for in-process Airflow use such as `dag.test()`)."""
    env = airflow_env(warehouse_url, home)
    os.environ.update(env)
    return env
