"""Settings are read from Airflow Connections first, then env (issue 14 p.11): the warehouse
Connection `pantau_warehouse` as an Airflow worker sees it, no embedded server under Airflow, and
passwords that are values, not DSN syntax. Real PostgreSQL throughout."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url

from pantau import airflow_env, db
from pantau.config import WAREHOUSE_CONN_ID, WAREHOUSE_URL_ENV, connection_to_url, url_to_connection, warehouse_url

REPO = Path(__file__).resolve().parents[1]
CONN_ENV = f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}"


def _current(conn) -> tuple[str, str]:
    with conn.cursor() as cur:
        cur.execute("SELECT current_database(), current_user")
        return cur.fetchone()


def _python(code: str, env: dict[str, str], timeout: int = 90) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter, as a task process would be (own env, no pytest state)."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=str(REPO))


def _worker_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of an Airflow task process: task context exported, no warehouse env var;
    a private PANTAU_LOCAL_DIR so an embedded server, if one were started, would show up there."""
    env = {k: v for k, v in os.environ.items() if k not in (WAREHOUSE_URL_ENV, CONN_ENV)}
    env.update(AIRFLOW_CTX_DAG_ID="render_circulars", AIRFLOW_CTX_TASK_ID="render",
               PANTAU_LOCAL_DIR=str(tmp_path / "local"),
               PYTHONPATH=os.pathsep.join([str(REPO / "plugins"), env.get("PYTHONPATH", "")]), **extra)
    return env


@pytest.fixture
def no_embedded_server(tmp_path):
    """Yields the local dir a worker subprocess uses; afterwards no embedded server may exist
    there (and one that the old code started is stopped, so a failing test leaves nothing behind)."""
    local = tmp_path / "local"
    yield local
    if (local / "pg" / "server.json").exists():
        _python("from pantau import embedded_pg; embedded_pg.stop()", _worker_env(tmp_path))


def test_connection_is_read_before_the_env_var(empty_db_url, pg_server_url, monkeypatch):
    """`AIRFLOW_CONN_PANTAU_WAREHOUSE` (JSON, as Airflow reads it in a worker) wins over a decoy
    PANTAU_WAREHOUSE_URL pointing at another database."""
    target = make_url(empty_db_url).database
    _decoy(monkeypatch, pg_server_url)
    monkeypatch.setenv(CONN_ENV, airflow_env.warehouse_conn_uri(empty_db_url))
    with db.connect() as conn:
        assert _current(conn)[0] == target
    conn.close()


def test_worker_without_env_var_uses_the_connection(empty_db_url, tmp_path, no_embedded_server):
    """A worker with only the Connection (JSON) and no PANTAU_WAREHOUSE_URL connects to it."""
    env = _worker_env(tmp_path, **{CONN_ENV: airflow_env.warehouse_conn_uri(empty_db_url)})
    done = _python("""
        from pantau import db
        with db.connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT current_database()")
            print(cur.fetchone()[0])
    """, env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == make_url(empty_db_url).database
    assert not (no_embedded_server / "pg").exists()


def _decoy(monkeypatch, server_url: str) -> None:
    """PANTAU_WAREHOUSE_URL at another database: the Connection must win (and no code path may
    fall back to starting an embedded server in the developer's `.local/`)."""
    monkeypatch.setenv(WAREHOUSE_URL_ENV, str(make_url(server_url).set(database="postgres")))


def test_docker_compose_style_uri_connection(empty_db_url, pg_server_url, monkeypatch):
    """The URI form of docker-compose.yaml (`postgres://user@host:port/db`) works the same."""
    u = make_url(empty_db_url)
    _decoy(monkeypatch, pg_server_url)
    monkeypatch.setenv(CONN_ENV, f"postgres://{u.username}@{u.host}:{u.port}/{u.database}")
    with db.connect() as conn:
        assert _current(conn)[0] == u.database
    conn.close()


def test_under_airflow_without_any_setting_is_an_error(tmp_path, no_embedded_server):
    """Inside an Airflow task, neither the Connection nor the env var: a named error, no embedded
    server started."""
    done = _python("""
        from pantau.config import warehouse_url
        print(warehouse_url())
    """, _worker_env(tmp_path), timeout=60)
    assert done.returncode != 0
    assert "pantau_warehouse" in done.stderr and "PANTAU_WAREHOUSE_URL" in done.stderr, done.stderr[-2000:]
    assert "SettingMissing" in done.stderr
    assert not (no_embedded_server / "pg").exists()


@pytest.fixture
def quoted_role(pg_server_url):
    """A real LOGIN role whose password holds quotes, spaces and DSN syntax."""
    name = f"h2_quote_{uuid.uuid4().hex[:8]}"
    password = "x' host='evil  a b\\ c'"
    admin = db.connect(str(make_url(pg_server_url).set(database="postgres")))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE ROLE "{name}" LOGIN PASSWORD %s', (password,))
    yield name, password
    with admin.cursor() as cur:
        cur.execute(f'DROP ROLE IF EXISTS "{name}"')
    admin.close()


def test_password_with_quotes_and_spaces_is_a_value(quoted_role, empty_db_url, pg_server_url, monkeypatch):
    """Trust auth does not check the password, so what is checked: the connection succeeds as that
    role, on the intended host, and the password reaches libpq intact (no parameter injection)."""
    import psycopg2.extensions

    role, password = quoted_role
    u = make_url(empty_db_url)
    url = URL.create("postgresql+psycopg2", username=role, password=password, host=u.host, port=u.port,
                     database=u.database).render_as_string(hide_password=False)
    conn = db.connect(url)
    try:
        assert _current(conn) == (u.database, role)
        assert conn.info.host == u.host
        assert conn.get_dsn_parameters()["host"] == u.host
    finally:
        conn.close()
    parsed = psycopg2.extensions.parse_dsn(db.dsn(url))
    assert parsed["password"] == password and parsed["host"] == u.host and parsed["user"] == role
    # the same password through the Airflow Connection
    _decoy(monkeypatch, pg_server_url)
    monkeypatch.setenv(CONN_ENV, airflow_env.warehouse_conn_uri(url))
    assert make_url(warehouse_url()).password == password
    with db.connect() as conn:
        assert _current(conn) == (u.database, role)
    conn.close()


def test_url_and_connection_convert_both_ways(monkeypatch):
    """`airflow_env` writes the Connection from the URL; reading it back gives the same URL,
    including a socket directory and libpq options; both settings are exported for `make airflow`."""
    url = URL.create("postgresql+psycopg2", username="pantau", password="p@ss:/w ord'", host=None, port=5433,
                     database="gudang", query={"host": "/run/postgresql", "sslmode": "disable"}
                     ).render_as_string(hide_password=False)
    fields = url_to_connection(url)
    assert fields["host"] == "/run/postgresql" and fields["extra"] == {"sslmode": "disable"}
    env = airflow_env.airflow_env(url, Path(os.environ["AIRFLOW_HOME"]))
    assert env[WAREHOUSE_URL_ENV] == url
    assert json.loads(env[CONN_ENV])["password"] == "p@ss:/w ord'"
    monkeypatch.setenv(CONN_ENV, env[CONN_ENV])
    back = make_url(warehouse_url())
    assert (back.username, back.password, back.port, back.database) == ("pantau", "p@ss:/w ord'", 5433, "gudang")
    assert dict(back.query) == {"host": "/run/postgresql", "sslmode": "disable"}
    params = db.connect_params(warehouse_url())
    assert params["host"] == "/run/postgresql" and params["sslmode"] == "disable"


def test_non_postgres_connection_is_refused(monkeypatch):
    from airflow.sdk import Connection

    with pytest.raises(ValueError, match="pantau_warehouse"):
        connection_to_url(Connection(conn_id="pantau_warehouse", conn_type="http", host="example.org"))
