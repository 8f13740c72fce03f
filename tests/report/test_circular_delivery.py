"""Delivery to a real local SMTP server (aiosmtpd), read back; failures retried and recorded."""
from __future__ import annotations

import email
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from smtpkit import Inbox, free_port, start_inbox

from pantau.report.build import publish
from pantau.report.delivery import DeliveryError, deliver


def test_delivery_reaches_smtp_with_attachment(warehouse_url, conn, render_pool, cfg, small_model, smtp_server):
    res = publish(small_model, cfg, url=warehouse_url, pool=render_pool)
    to = ["kepala.dinas@example.go.id", "ukpbj@example.go.id"]
    out = deliver(res.report_id, url=warehouse_url, recipients=to)
    assert out.status == "sent" and out.attempts == 1 and out.conn_id == "pantau_smtp"
    assert len(smtp_server.messages) == 1
    _, rcpts, raw = smtp_server.messages[0]
    assert sorted(rcpts) == sorted(to)
    msg = email.message_from_bytes(raw)
    assert "Surat Edaran" in msg["Subject"]
    parts = [p for p in msg.walk() if p.get_filename()]
    assert [p.get_filename() for p in parts] == [res.path.name]
    assert hashlib.sha256(parts[0].get_payload(decode=True)).hexdigest() == res.sha256
    body = next(p for p in msg.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    assert "Terlampir Surat Edaran" in body and res.report_id in body and "30 November 2023" in body
    with conn.cursor() as cur:
        cur.execute("SELECT delivery_status, delivery_attempts, delivery_recipients, delivered_at IS NOT NULL "
                    "FROM audit.report WHERE report_id = %s", (res.report_id,))
        assert cur.fetchone() == ("sent", 1, to, True)


def test_failed_delivery_is_retried_and_recorded(warehouse_url, conn, render_pool, cfg, small_model, monkeypatch):
    port = free_port()                             # a port with nothing listening
    monkeypatch.setenv("AIRFLOW_CONN_PANTAU_SMTP",
                       f"smtp://127.0.0.1:{port}?disable_tls=true&disable_ssl=true&timeout=2&retry_limit=1")
    res = publish(small_model, cfg, url=warehouse_url, pool=render_pool)
    with pytest.raises(DeliveryError, match="after 2 attempts"):
        deliver(res.report_id, url=warehouse_url, recipients=["a@example.go.id"], attempts=2, pause_s=0)
    with conn.cursor() as cur:
        cur.execute("SELECT delivery_status, delivery_attempts, delivery_error FROM audit.report WHERE report_id=%s",
                    (res.report_id,))
        status, attempts, error = cur.fetchone()
        cur.execute("SELECT attempt, status FROM audit.report_delivery WHERE report_id=%s ORDER BY attempt",
                    (res.report_id,))
        assert cur.fetchall() == [(1, "failed"), (2, "failed")]
    assert (status, attempts) == ("failed", 2) and ("connection" in error.lower() or "refused" in error.lower())


def test_no_recipients_is_recorded_not_sent(warehouse_url, conn, render_pool, cfg, small_model, smtp_server):
    res = publish(small_model, cfg, url=warehouse_url, pool=render_pool)
    out = deliver(res.report_id, url=warehouse_url, recipients=[])
    assert out.status == "not_configured" and smtp_server.messages == []


# --- issue 14 p.11: the SMTP connection is found through Airflow, not by scanning env vars ------
def _smtp_inbox():
    """(controller, inbox of (mail_from, rcpts, raw bytes), port) of a real aiosmtpd server."""
    return start_inbox()


def _smtp_default(port: int, **extra) -> dict:
    """`smtp_default` as the UI form stores it (TLS/SSL switched off for the local test server)."""
    return {"conn_type": "smtp", "host": "127.0.0.1", "port": port,
            "extra": {"disable_tls": True, "disable_ssl": True, "timeout": 10, "retry_limit": 1, **extra}}


@pytest.fixture
def only_smtp_default(monkeypatch):
    """A local SMTP server reachable only through `AIRFLOW_CONN_SMTP_DEFAULT` (no pantau_smtp)."""
    ctl, inbox, port = _smtp_inbox()
    monkeypatch.delenv("AIRFLOW_CONN_PANTAU_SMTP", raising=False)
    monkeypatch.delenv("PANTAU_SMTP_CONN_ID", raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT",
                       json.dumps(_smtp_default(port, from_email="biro.pbj@kalbarprov.example")))
    yield inbox
    ctl.stop()


def test_smtp_default_connection_is_used_with_its_sender(warehouse_url, render_pool, cfg, small_model,
                                                          only_smtp_default):
    """AIRFLOW_CONN_SMTP_DEFAULT (JSON) reaches the local server; its `from_email` is the sender
    (before the Pemda file's default `surel.pengirim` and any env fallback)."""
    res = publish(small_model, cfg, url=warehouse_url, pool=render_pool)
    out = deliver(res.report_id, url=warehouse_url, recipients=["kepala@example.go.id"], attempts=1)
    assert out.status == "sent" and out.conn_id == "smtp_default"
    mail_from, rcpts, raw = only_smtp_default.messages[0]
    assert mail_from == "biro.pbj@kalbarprov.example" and rcpts == ["kepala@example.go.id"]
    assert email.message_from_bytes(raw)["From"] == "biro.pbj@kalbarprov.example"


def test_smtp_default_from_a_secrets_backend_is_found(warehouse_url, render_pool, cfg, small_model, tmp_path):
    """A connection that is not an env var (UI / metadata DB, or here a secrets backend, read
    through the same Airflow lookup) is used: delivery runs in a fresh process with no
    AIRFLOW_CONN_* variable at all."""
    res = publish(small_model, cfg, url=warehouse_url, pool=render_pool)
    ctl, inbox, port = _smtp_inbox()
    try:
        conns = tmp_path / "connections.json"
        conns.write_text(json.dumps({"smtp_default": _smtp_default(port)}))
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_") and k != "PANTAU_SMTP_CONN_ID"}
        env.update(AIRFLOW__SECRETS__BACKEND="airflow.secrets.local_filesystem.LocalFilesystemBackend",
                   AIRFLOW__SECRETS__BACKEND_KWARGS=json.dumps({"connections_file_path": str(conns)}),
                   PYTHONPATH=str(Path(__file__).resolve().parents[2] / "plugins"))
        code = ("import sys; from pantau.report.delivery import deliver; "
                f"r = deliver({res.report_id!r}, url={warehouse_url!r}, recipients=['ukpbj@example.go.id'], "
                "attempts=1, pause_s=0); print(r.status, r.conn_id)")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=90, env=env)
    finally:
        ctl.stop()
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == ["sent", "smtp_default"]
    assert len(inbox.messages) == 1 and inbox.messages[0][1] == ["ukpbj@example.go.id"]


def test_no_smtp_connection_fails_at_once_naming_the_ids(warehouse_url, conn, render_pool, cfg, small_model,
                                                          monkeypatch):
    for name in ("AIRFLOW_CONN_PANTAU_SMTP", "AIRFLOW_CONN_SMTP_DEFAULT", "PANTAU_SMTP_CONN_ID"):
        monkeypatch.delenv(name, raising=False)
    res = publish(small_model, cfg, url=warehouse_url, pool=render_pool)
    with pytest.raises(DeliveryError, match="pantau_smtp, smtp_default"):
        deliver(res.report_id, url=warehouse_url, recipients=["a@example.go.id"], attempts=3, pause_s=5)
    with conn.cursor() as cur:
        cur.execute("SELECT attempt, status FROM audit.report_delivery WHERE report_id = %s", (res.report_id,))
        assert cur.fetchall() == [(1, "failed")]


# --- issue 19 p.9: at most one e-mail per report × recipient, across retries and crashes -------
def _attempt_rows(conn, report_id: str) -> list[tuple[int, str]]:
    with conn.cursor() as cur:
        cur.execute("SELECT attempt, status FROM audit.report_delivery WHERE report_id = %s ORDER BY attempt",
                    (report_id,))
        return cur.fetchall()


def _recipient_states(conn, report_id: str) -> dict[str, str]:
    with conn.cursor() as cur:
        cur.execute("SELECT recipient, state FROM audit.report_recipient WHERE report_id = %s", (report_id,))
        return dict(cur.fetchall())


def test_retry_of_a_sent_delivery_sends_nothing_and_does_not_fail(warehouse_url, conn, render_pool, cfg,
                                                                   small_model, smtp_server):
    """A task retry after a successful send (e.g. the task died after deliver returned) used to
    send the e-mail again and then fail with UniqueViolation on attempt 1."""
    res = publish(small_model, cfg, url=warehouse_url, pool=render_pool)
    to = ["kepala.dinas@example.go.id", "ukpbj@example.go.id"]
    first = deliver(res.report_id, url=warehouse_url, recipients=to, attempts=1)
    again = deliver(res.report_id, url=warehouse_url, recipients=[a.upper() for a in to], attempts=1)
    assert len(smtp_server.messages) == 1
    assert (first.status, again.status, again.attempts) == ("sent", "sent", 1)
    assert sorted(a.lower() for a in again.already_sent) == sorted(to)
    assert _attempt_rows(conn, res.report_id) == [(1, "sent")]
    assert _recipient_states(conn, res.report_id) == {a: "sent" for a in to}
    added = deliver(res.report_id, url=warehouse_url, recipients=[*to, "inspektorat@example.go.id"], attempts=1)
    assert len(smtp_server.messages) == 2 and smtp_server.messages[1][1] == ["inspektorat@example.go.id"]
    assert added.status == "sent" and added.attempts == 2
    assert _attempt_rows(conn, res.report_id) == [(1, "sent"), (2, "sent")]


def test_attempt_numbers_continue_after_a_failed_task(warehouse_url, conn, render_pool, cfg, small_model,
                                                      monkeypatch):
    """First task: the server is down (attempt 1 failed). The retry sends with attempt 2."""
    dead = free_port()
    monkeypatch.setenv("AIRFLOW_CONN_PANTAU_SMTP",
                       f"smtp://127.0.0.1:{dead}?disable_tls=true&disable_ssl=true&timeout=2&retry_limit=0")
    res = publish(small_model, cfg, url=warehouse_url, pool=render_pool)
    with pytest.raises(DeliveryError, match="after 1 attempts"):
        deliver(res.report_id, url=warehouse_url, recipients=["a@example.go.id"], attempts=1, pause_s=0)
    ctl, inbox, port = _smtp_inbox()
    try:
        monkeypatch.setenv("AIRFLOW_CONN_PANTAU_SMTP",
                           f"smtp://127.0.0.1:{port}?disable_tls=true&disable_ssl=true&timeout=10&retry_limit=0")
        out = deliver(res.report_id, url=warehouse_url, recipients=["a@example.go.id"], attempts=1)
    finally:
        ctl.stop()
    assert out.status == "sent" and out.attempts == 2 and len(inbox.messages) == 1
    assert _attempt_rows(conn, res.report_id) == [(1, "failed"), (2, "sent")]


def test_concurrent_deliveries_of_one_report_send_once(warehouse_url, conn, render_pool, cfg, small_model,
                                                       smtp_server):
    """Two task instances delivering the same report at the same moment: one e-mail."""
    from concurrent.futures import ThreadPoolExecutor

    res = publish(small_model, cfg, url=warehouse_url, pool=render_pool)
    with ThreadPoolExecutor(2) as pool:
        outs = list(pool.map(lambda _: deliver(res.report_id, url=warehouse_url, recipients=["a@example.go.id"],
                                               attempts=1, raise_on_failure=False), range(2)))
    assert len(smtp_server.messages) == 1
    assert sorted(o.status for o in outs) in (["in_progress", "sent"], ["sent", "sent"])
    assert _attempt_rows(conn, res.report_id) == [(1, "sent")]


def test_crash_after_send_before_record_never_resends_blindly(warehouse_url, conn, render_pool, cfg, small_model,
                                                               monkeypatch):
    """The delivering process is SIGKILLed by the SMTP server right after the message was
    accepted, before its 250 reply reaches the client (so before anything is recorded). Retries
    do not send again: first `in_progress` (the row is fresh), then `unknown` once stale; only
    `force=True` resends, with the next attempt number."""
    import signal

    from pantau.report.delivery import DeliveryUncertain

    class KillingInbox(Inbox):
        """Kills the delivering process once a message is accepted, before the 250 reply."""

        def __init__(self):
            super().__init__()
            self.victim = None

        def accepted(self) -> None:
            if self.victim:
                os.kill(self.victim, signal.SIGKILL)
                self.victim = None

    ctl, inbox, port = start_inbox(KillingInbox())
    try:
        monkeypatch.setenv("AIRFLOW_CONN_PANTAU_SMTP",
                           f"smtp://127.0.0.1:{port}?disable_tls=true&disable_ssl=true&timeout=10&retry_limit=0")
        res = publish(small_model, cfg, url=warehouse_url, pool=render_pool)
        code = ("from pantau.report.delivery import deliver; "
                f"deliver({res.report_id!r}, url={warehouse_url!r}, recipients=['a@example.go.id'], attempts=1)")
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "plugins")}
        child = subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE)
        inbox.victim = child.pid
        _, err = child.communicate(timeout=120)
        assert child.returncode == -signal.SIGKILL, err.decode()[-2000:]
        assert len(inbox.messages) == 1

        try:                                   # the task retry, at once
            deliver(res.report_id, url=warehouse_url, recipients=["a@example.go.id"], attempts=1)
            retried: Exception | None = None
        except DeliveryError as exc:
            retried = exc
        assert len(inbox.messages) == 1, "the retry sent the circular a second time"
        assert isinstance(retried, DeliveryUncertain) and "still `sending`" in str(retried)
        assert _recipient_states(conn, res.report_id) == {"a@example.go.id": "sending"}
        with pytest.raises(DeliveryUncertain, match="outcome unknown for a@example.go.id"):
            deliver(res.report_id, url=warehouse_url, recipients=["a@example.go.id"], attempts=1, stale_after_s=0)
        assert len(inbox.messages) == 1
        assert _recipient_states(conn, res.report_id) == {"a@example.go.id": "unknown"}
        assert _attempt_rows(conn, res.report_id) == [(1, "unknown")]
        with conn.cursor() as cur:
            cur.execute("SELECT delivery_status FROM audit.report WHERE report_id = %s", (res.report_id,))
            assert cur.fetchone() == ("unknown",)
            cur.execute("SELECT message_id FROM audit.report_recipient WHERE report_id = %s", (res.report_id,))
            stored_id = cur.fetchone()[0]
        assert email.message_from_bytes(inbox.messages[0][2])["Message-ID"] == stored_id  # findable in the mailbox

        out = deliver(res.report_id, url=warehouse_url, recipients=["a@example.go.id"], attempts=1, force=True)
        assert out.status == "sent" and out.attempts == 2 and len(inbox.messages) == 2
        deliver(res.report_id, url=warehouse_url, recipients=["a@example.go.id"], attempts=1)
        assert len(inbox.messages) == 2
        assert _attempt_rows(conn, res.report_id) == [(1, "unknown"), (2, "sent")]
    finally:
        ctl.stop()
