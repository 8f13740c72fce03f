"""Paths and settings shared by every module.

Paths are resolved from this file, never from the working directory, so the package behaves the
same under `make`, pytest, the Airflow scheduler and a Celery worker.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

REPO_ROOT = Path(os.environ.get("PANTAU_HOME", Path(__file__).resolve().parents[2]))
INCLUDE_DIR = REPO_ROOT / "include"
SQL_DIR = INCLUDE_DIR / "sql"
TEMPLATES_DIR = INCLUDE_DIR / "templates"
CONFIG_DIR = INCLUDE_DIR / "config"
OUTPUT_DIR = Path(os.environ.get("PANTAU_OUTPUT_DIR", REPO_ROOT / "output"))
LOCAL_DIR = Path(os.environ.get("PANTAU_LOCAL_DIR", REPO_ROOT / ".local"))

WAREHOUSE_URL_ENV = "PANTAU_WAREHOUSE_URL"


def warehouse_url() -> str:
    """SQLAlchemy URL of the warehouse.

    `PANTAU_WAREHOUSE_URL` wins; otherwise the embedded server under `.local/pg/` is started (or
    reused) so a fresh clone works without any PostgreSQL installed as a service.
    """
    url = os.environ.get(WAREHOUSE_URL_ENV)
    if url:
        return url
    from pantau import embedded_pg

    return embedded_pg.ensure_running().url


@lru_cache(maxsize=None)
def load_yaml(relative: str) -> Any:
    """Read a YAML file under `include/config/` (cached: configuration is read-only at run time)."""
    import yaml

    path = CONFIG_DIR / relative
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)
