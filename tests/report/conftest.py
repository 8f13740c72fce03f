"""Fixtures for circular tests: one shared memory-capped render worker, a local SMTP server and
a local HTTP server that records every request (to prove hostile data fetches nothing)."""
from __future__ import annotations

import http.server
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from pantau.report.pemda import load_pemda_config
from pantau.report.render import RenderPool
from pantau.report.sample import sample_circular


@pytest.fixture(scope="session")
def render_pool():
    """A spawned, memory-limited worker shared by the session (spawning costs ~1 s each)."""
    pool = RenderPool(1, tasks_per_child=50, timeout_s=120)
    yield pool
    pool.terminate()


@pytest.fixture(scope="session")
def cfg():
    """D197's configuration as if Bagian Umum had confirmed its placeholder values (signer, NIP,
    address), so numbered circulars may be rendered; test_circular_registry covers the refusal."""
    return {**load_pemda_config("D197"), "belum_final": []}


@pytest.fixture
def small_model():
    return sample_circular(n_pd=3, n_packages=9, seed=7)


def pdf_text(path_or_bytes, tmp_path: Path | None = None, layout: bool = False) -> str:
    """Text of a PDF via pdftotext (poppler-utils)."""
    if isinstance(path_or_bytes, (bytes, bytearray)):
        p = (tmp_path or Path("/tmp")) / "in.pdf"
        p.write_bytes(path_or_bytes)
    else:
        p = Path(path_or_bytes)
    args = ["pdftotext", "-enc", "UTF-8"] + (["-layout"] if layout else []) + [str(p), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="session", autouse=True)
def _poppler():
    assert shutil.which("pdftotext"), "poppler-utils must be installed (apt-get install poppler-utils)"


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    do_POST = do_HEAD = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def http_recorder():
    """(base_url, hits) of a local HTTP server on a random port."""
    handler = type("Rec", (_Recorder,), {"hits": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler.hits
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp_server(monkeypatch):
    """aiosmtpd on 127.0.0.1:<random>; AIRFLOW_CONN_PANTAU_SMTP points at it. Yields the inbox."""
    from smtpkit import smtp_conn_uri, start_inbox

    ctl, inbox, port = start_inbox()
    monkeypatch.setenv("AIRFLOW_CONN_PANTAU_SMTP", smtp_conn_uri(port))
    yield inbox
    ctl.stop()


@pytest.fixture
def pdftext(tmp_path):
    """pdf_text bound to the test's tmp dir."""
    return lambda data, layout=False: pdf_text(data, tmp_path, layout)
