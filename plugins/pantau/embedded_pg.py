"""An embedded PostgreSQL server for a fresh clone: `.local/pg/`, a free port on 127.0.0.1.

Why not rely on a system service: the README promises two commands on a machine with no server
running. We reuse PostgreSQL server *binaries* found on the machine (Debian's `postgresql-NN`
package, or any `pg_ctl` on PATH); when there are none, the pip package `pgserver` (which bundles
them) is tried. Postgres refuses to run as root, so as root the server runs as the `postgres`
system user (created by the Debian package) — we never create users ourselves.
"""
from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from pantau.config import LOCAL_DIR

PG_DIR = LOCAL_DIR / "pg"
DATA_DIR = PG_DIR / "data"
STATE_FILE = PG_DIR / "server.json"
DB_NAME = "pantau"
RUN_AS = "postgres"


class EmbeddedPostgresError(RuntimeError):
    """Raised with an actionable message when no server can be had."""


@dataclass(frozen=True)
class Server:
    port: int
    bindir: str

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{DB_NAME}"


def find_bindir() -> str | None:
    """Directory holding initdb/pg_ctl/postgres, newest major first; None when absent."""
    env = os.environ.get("PANTAU_PG_BINDIR")
    candidates = [env] if env else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_major, reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(os.path.realpath(on_path)).parent))
    for c in candidates:
        if c and all(Path(c, exe).exists() for exe in ("initdb", "pg_ctl", "postgres")):
            return c
    try:  # pip fallback: pgserver ships PostgreSQL binaries inside the wheel
        import pgserver  # type: ignore

        bindir = Path(pgserver.__file__).parent / "pginstall" / "bin"
        if (bindir / "pg_ctl").exists():
            return str(bindir)
    except ImportError:
        pass
    return None


def _major(path: str) -> int:
    try:
        return int(Path(path).parent.name)
    except ValueError:
        return 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    try:
        pwd.getpwnam(RUN_AS)
    except KeyError as exc:
        raise EmbeddedPostgresError(
            "PostgreSQL refuses to run as root and there is no 'postgres' user on this machine. "
            "Install the server package (apt-get install postgresql) or set PANTAU_WAREHOUSE_URL."
        ) from exc
    return ["runuser", "-u", RUN_AS, "--", *cmd]


def _chown(path: Path) -> None:
    if os.geteuid() == 0:
        pw = pwd.getpwnam(RUN_AS)
        os.chown(path, pw.pw_uid, pw.pw_gid)


def _prepare_dir() -> None:
    """Create `.local/pg/` so the server user can reach it.

    As root, a clone inside a private folder (mktemp -d is mode 0700) is not traversable by the
    `postgres` user. Rather than chmod the user's folders, the data then lives in
    /var/tmp/pantau-pg-<hash of the clone path> and `.local/pg` is a symlink to it.
    """
    if PG_DIR.exists():
        return
    PG_DIR.parent.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        probe = subprocess.run(["runuser", "-u", RUN_AS, "--", "test", "-x", str(PG_DIR.parent)])
        if probe.returncode != 0:
            import hashlib

            digest = hashlib.sha256(str(PG_DIR.resolve()).encode()).hexdigest()[:12]
            real = Path(f"/var/tmp/pantau-pg-{digest}")
            real.mkdir(mode=0o700, exist_ok=True)
            _chown(real)
            PG_DIR.symlink_to(real)
            return
    PG_DIR.mkdir(exist_ok=True)
    _chown(PG_DIR)


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _read_state() -> Server | None:
    if not STATE_FILE.exists():
        return None
    data = json.loads(STATE_FILE.read_text())
    return Server(port=int(data["port"]), bindir=data["bindir"])


def _is_running(server: Server) -> bool:
    pid_file = DATA_DIR / "postmaster.pid"
    if not pid_file.exists() or not _port_open(server.port):
        return False
    lines = pid_file.read_text().splitlines()
    return len(lines) > 3 and lines[3].strip() == str(server.port)


def ensure_running() -> Server:
    """Start the embedded server if it is not running; create the `pantau` database once."""
    state = _read_state()
    if state and _is_running(state):
        return state
    bindir = (state.bindir if state and Path(state.bindir).exists() else None) or find_bindir()
    if not bindir:
        raise EmbeddedPostgresError(
            "No PostgreSQL server binaries found (looked in /usr/lib/postgresql/*/bin, PATH and the "
            "pip package 'pgserver'). Install them (apt-get install postgresql) or point "
            "PANTAU_WAREHOUSE_URL at an existing server."
        )
    _prepare_dir()
    # The server user resolves paths itself: hand it the real folder, not the symlink.
    pg_dir, data_dir = PG_DIR.resolve(), DATA_DIR.resolve()
    if not (data_dir / "PG_VERSION").exists():
        init = subprocess.run(
            _as_server_user([f"{bindir}/initdb", "-D", str(data_dir), "-U", "postgres",
                             "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]),
            capture_output=True, text=True,
        )
        if init.returncode != 0:
            raise EmbeddedPostgresError(f"initdb failed in {data_dir}: {init.stderr.strip()}")
    port = state.port if state and not _port_open(state.port) else _free_port()
    opts = f"-p {port} -k {pg_dir} -c listen_addresses=127.0.0.1 -c synchronous_commit=off"
    proc = subprocess.run(
        _as_server_user([f"{bindir}/pg_ctl", "-D", str(data_dir), "-l", str(pg_dir / "server.log"),
                         "-o", opts, "-w", "-t", "60", "start"]),
        capture_output=True, text=True,
    )
    if proc.returncode != 0:
        log = (PG_DIR / "server.log").read_text()[-2000:] if (PG_DIR / "server.log").exists() else ""
        raise EmbeddedPostgresError(f"pg_ctl start failed: {proc.stderr.strip()}\n{log}")
    server = Server(port=port, bindir=bindir)
    STATE_FILE.write_text(json.dumps({"port": port, "bindir": bindir}))
    _ensure_database(server)
    return server


def _ensure_database(server: Server) -> None:
    import psycopg2

    deadline = time.monotonic() + 30
    while True:
        try:
            conn = psycopg2.connect(host="127.0.0.1", port=server.port, user="postgres", dbname="postgres")
            break
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{DB_NAME}"')  # constant identifier, not data
    conn.close()


def stop() -> bool:
    """Stop the embedded server if it runs; True when something was stopped."""
    state = _read_state()
    if not state or not (DATA_DIR / "postmaster.pid").exists():
        return False
    subprocess.run(
        _as_server_user([f"{state.bindir}/pg_ctl", "-D", str(DATA_DIR.resolve()), "-m", "fast", "-w", "stop"]),
        capture_output=True, text=True,
    )
    return True
