"""Delivery to a real local SMTP server (aiosmtpd), read back; failures retried and recorded."""
from __future__ import annotations

import email
import hashlib
import socket

import pytest

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
    with socket.socket() as s:                     # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
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
