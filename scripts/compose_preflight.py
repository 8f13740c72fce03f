#!/usr/bin/env python3
"""Refuse to start the compose deployment with placeholder or malformed secrets.

Run by the `airflow-init` service before anything touches a database. Compose's own
`${VAR:?…}` already stops a start when a secret is *missing*; this catches the values Compose
cannot judge: a secret still holding an example such as `change-me…`, a Fernet key Airflow would
reject only later (at the first encrypted Connection, mid-run), a JWT secret too short to be a
secret, and database passwords that would break the connection URLs they are pasted into.
Every problem is listed at once, each naming the `.env` variable to fix, so one edit fixes all.

Standard library only: it runs in the image before Airflow is imported, and in the tests.
"""
from __future__ import annotations

import base64
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

PLACEHOLDER = "change-me"
FERNET_HINT = ("python3 -c 'import base64,os; "
               "print(base64.urlsafe_b64encode(os.urandom(32)).decode())'")
SECRET_HINT = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
# Characters that survive unescaped inside the userinfo of postgresql://user:PASSWORD@host/db.
URL_SAFE = re.compile(r"[A-Za-z0-9._~-]+")
# 32 bytes in url-safe base64: 43 characters of its alphabet and one "=" of padding.
FERNET_KEY = re.compile(r"[A-Za-z0-9_-]{43}=")


@dataclass(frozen=True)
class Secret:
    """One secret: the variable inside the container, the `.env` name the user edits, its check."""

    env: str
    dotenv: str
    check: Callable[[str], str | None]


def fernet_problem(value: str) -> str | None:
    """Airflow accepts one Fernet key or several separated by commas (key rotation): each must be
    32 bytes in url-safe base64, the form `Fernet.generate_key()` and the hint produce (stricter
    than `cryptography`'s lenient decoder, which would also let a pasted standard-base64 key by)."""
    for key in (k.strip() for k in value.split(",")):
        raw = base64.urlsafe_b64decode(key) if FERNET_KEY.fullmatch(key) else b""
        if len(raw) != 32:
            return ("bukan kunci Fernet yang sah (harus 32 byte dalam base64 url-safe, 44 karakter). "
                    f"Buat dengan: {FERNET_HINT}")
    return None


def min_length(n: int, hint: str) -> Callable[[str], str | None]:
    """A secret shorter than `n` characters can be guessed; say how to make a good one."""
    def check(value: str) -> str | None:
        return None if len(value) >= n else f"terlalu pendek ({len(value)} karakter, minimal {n}). Buat dengan: {hint}"
    return check


def url_password(value: str) -> str | None:
    """The database passwords are pasted into connection URLs by docker-compose.yaml: a `@`, `/`,
    `:` or `%` there would silently point Airflow at another host or user."""
    if URL_SAFE.fullmatch(value):
        return None
    return f"hanya boleh berisi huruf, angka dan . _ ~ - (dipakai di dalam URL koneksi). Buat dengan: {SECRET_HINT}"


SECRETS: tuple[Secret, ...] = (
    Secret("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW_FERNET_KEY", fernet_problem),
    Secret("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW_JWT_SECRET", min_length(32, SECRET_HINT)),
    Secret("_AIRFLOW_WWW_USER_PASSWORD", "_AIRFLOW_WWW_USER_PASSWORD", min_length(10, SECRET_HINT)),
    Secret("AIRFLOW_META_PASSWORD", "AIRFLOW_META_PASSWORD", url_password),
    Secret("WAREHOUSE_PASSWORD", "WAREHOUSE_PASSWORD", url_password),
)

# Variables docker-compose.yaml builds from a checked secret (the password inside a URL): a
# placeholder there is already reported under the secret's own .env name.
PASTED = ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__RESULT_BACKEND", "PANTAU_WAREHOUSE_URL",
          "AIRFLOW_CONN_PANTAU_WAREHOUSE")


def problems(env: Mapping[str, str]) -> list[str]:
    """Every reason to refuse the start, one line each, naming the variable to set in `.env`."""
    found: list[str] = []
    for secret in SECRETS:
        value = env.get(secret.env, "")
        if not value:
            found.append(f"{secret.dotenv} kosong: isi di .env (lihat .env.example).")
        elif PLACEHOLDER in value.lower():
            found.append(f"{secret.dotenv} masih berisi contoh '{PLACEHOLDER}': ganti dengan nilai rahasia sendiri.")
        elif (why := secret.check(value)) is not None:
            found.append(f"{secret.dotenv} {why}")
    checked = {s.env for s in SECRETS} | set(PASTED)
    for name in sorted(env):
        if name not in checked and PLACEHOLDER in env[name].lower():
            found.append(f"{name} masih berisi contoh '{PLACEHOLDER}': ganti nilainya di .env.")
    return found


def main(env: Mapping[str, str] | None = None) -> int:
    """Exit 1 (so `airflow-init`, and every service waiting on it, does not start) on any problem."""
    found = problems(os.environ if env is None else env)
    if not found:
        print("pemeriksaan rahasia .env: semua rahasia terisi dan sah")
        return 0
    print("Pantau PBJ tidak dijalankan: rahasia di .env belum benar.", file=sys.stderr)
    for line in found:
        print(f"  - {line}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
