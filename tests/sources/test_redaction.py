"""Issue 19 point 15: ISB keys and tokens never reach a log line, whatever logger prints them.

Real requests to the local simulator with urllib3 DEBUG logging on (caplog captures what a task
log would show), and the Python redaction checked against the SQL one (`audit.redact_url`).
"""
from __future__ import annotations

import logging

import pytest

from pantau import db
from pantau.sources import errors as E
from pantau.sources.http import HttpSettings, get_bytes, make_session
from pantau.sources.isb import IsbClient

FAST = HttpSettings(connect_timeout=2.0, read_timeout=5.0, total_timeout=10.0, max_retries=0)


def _isb_key(url: str) -> str:
    return url.split("/api/", 1)[1].split("/", 1)[0]


def _all_text(caplog) -> str:
    """Every client-side log line (the simulator plays LKPP's server; its own access log is not ours)."""
    return "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("pantau.simulator"))


def test_urllib3_debug_lines_do_not_carry_the_isb_key(sim, caplog) -> None:
    url = sim.isb_url("rup_paket_penyedia", "D197", 2024)
    key = _isb_key(url)
    assert len(key) >= 8 and key in url
    caplog.set_level(logging.DEBUG)
    IsbClient(settings=FAST).fetch(url, dataset="rup_paket_penyedia", instansi="D197")
    lines = [r for r in caplog.records if r.name.startswith("urllib3")]
    assert any("GET /isb-2/api/" in r.getMessage() for r in lines), [r.getMessage() for r in lines]
    assert key not in _all_text(caplog)
    assert "/isb-2/api/***/json/" in _all_text(caplog)


def test_query_string_keys_and_tokens_are_redacted_in_logs(sim, caplog) -> None:
    secret = "qs0123456789abcdefSECRET"
    caplog.set_level(logging.DEBUG)
    get_bytes(make_session(), f"{sim.base_url}/isb-2/api/satudata/x?key={secret}&token={secret}t&tahun=2025",
              settings=FAST)
    text = _all_text(caplog)
    assert "?key=***&token=***&tahun=2025" in text, text
    assert secret not in text


URLS = [
    "https://isb.lkpp.go.id/isb-2/api/0f1e2d3c4b5a69788796a5b4c3d2e1f0/json/2345/RUP-PaketPenyedia-Terumumkan/tipe/4:12/parameter/2025:D107",
    "https://isb.lkpp.go.id/isb/api/abcdefabcdefabcdef12/csv/1/X/tipe/4/parameter/2024",
    "https://data.inaproc.id/api/v1/rup/paket-penyedia?kode_klpd=D107&tahun=2025&token=tok_abcdef123456&limit=1000",
    "https://user:p4ssw0rd@example.test/api/v1/x?api_key=k123&signature=s456",
    "https://example.test/x?access_token=a1&apikey=b2&secret=c3&password=d4",
]


@pytest.mark.parametrize("url", URLS)
def test_python_redaction_covers_what_sql_redact_url_covers(conn, url: str) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT audit.redact_url(%s)", (url,))
        sql_red = cur.fetchone()[0]
    py_red = E.redact(url)
    assert sql_red != url  # each URL holds a secret
    secrets = [p for p in ("0f1e2d3c4b5a69788796a5b4c3d2e1f0", "abcdefabcdefabcdef12", "tok_abcdef123456",
                           "p4ssw0rd", "k123", "s456", "a1", "b2", "c3", "d4") if p in url]
    for s in secrets:
        assert s not in py_red, (s, py_red)
        assert s not in sql_red, (s, sql_red)
    assert py_red == sql_red


def test_redaction_keeps_public_paths() -> None:
    for url in ("https://isb.lkpp.go.id/isb-2/api/satudata/TenderUmumPublik/2025/93",
                "https://data.inaproc.id/api/v1/rup/paket-penyedia?kode_klpd=D107&tahun=2025"):
        assert E.redact(url) == url
    assert db is not None
