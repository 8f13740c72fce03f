"""Versioned SQL migrations: `include/sql/schema/NNN_name.sql`, applied in order, each once.

A small runner instead of Alembic: the schema is plain SQL that auditors read, and the only
features needed are ordering, a checksum per file and one transaction per file.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from pantau.config import SQL_DIR
from pantau.db import connect

SCHEMA_DIR = SQL_DIR / "schema"
_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
# One fixed key so two runners (e.g. two mapped tasks) never apply the same file twice.
_LOCK_KEY = 727_001


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover(directory: Path = SCHEMA_DIR) -> list[Migration]:
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        m = _NAME.match(path.name)
        if not m:
            raise MigrationError(f"migration file name must look like NNN_name.sql: {path.name}")
        version = int(m.group(1))
        if version in found:
            raise MigrationError(f"two migrations share number {version:03d}: {found[version].name}, {path.name}")
        found[version] = Migration(version, path.name, path)
    return [found[v] for v in sorted(found)]


def migrate(url: str | None = None, directory: Path = SCHEMA_DIR, log=print) -> list[str]:
    """Apply pending migrations; return the names applied. Raises if an applied file changed."""
    applied_now: list[str] = []
    conn = connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
            cur.execute("CREATE SCHEMA IF NOT EXISTS meta")
            cur.execute(
                """CREATE TABLE IF NOT EXISTS meta.schema_migration (
                       version int PRIMARY KEY,
                       name text NOT NULL,
                       checksum text NOT NULL,
                       applied_at timestamptz NOT NULL DEFAULT now())"""
            )
        conn.commit()
        with conn.cursor() as cur:
            cur.execute("SELECT version, name, checksum FROM meta.schema_migration")
            done = {v: (n, c) for v, n, c in cur.fetchall()}
        for mig in discover(directory):
            if mig.version in done:
                name, checksum = done[mig.version]
                if checksum != mig.checksum:
                    raise MigrationError(
                        f"migration {mig.name} was changed after it was applied "
                        f"(applied checksum {checksum[:12]}, file now {mig.checksum[:12]}); "
                        "add a new migration instead of editing an applied one"
                    )
                continue
            with conn, conn.cursor() as cur:  # one transaction per file
                cur.execute(mig.sql)
                cur.execute(
                    "INSERT INTO meta.schema_migration (version, name, checksum) VALUES (%s, %s, %s)",
                    (mig.version, mig.name, mig.checksum),
                )
            log(f"applied migration {mig.name}")
            applied_now.append(mig.name)
    finally:
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock_all()")
            conn.commit()
        finally:
            conn.close()
    return applied_now
