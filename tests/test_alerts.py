"""The failure alert really reaches an SMTP server (aiosmtpd on 127.0.0.1) with the facts a
data engineer needs: DAG, task, try number, logical date and the log link."""
from __future__ import annotations

import datetime as dt
import email
import json
import os
import socket
from email import policy
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message


class _Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_inbox(monkeypatch):
    inbox = _Inbox()
    port = _free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps(
        {"conn_type": "smtp", "host": "127.0.0.1", "port": port,
         "extra": {"disable_ssl": True, "disable_tls": True, "timeout": 10, "retry_limit": 1}}))
    yield inbox
    ctl.stop()


def test_failure_alert_is_emailed(smtp_inbox, monkeypatch):
    from pantau.alerts import notify_failure

    monkeypatch.setenv("PANTAU_ALERT_EMAILS", "data@pemda.example, oncall@pemda.example")
    ti = SimpleNamespace(dag_id="extract_spse", task_id="load", try_number=3, map_index=4,
                         log_url="http://127.0.0.1:8080/dags/extract_spse/runs/r1/tasks/load?try_number=3")
    context = {
        "ti": ti, "task_instance": ti, "run_id": "scheduled__2025-11-30",
        "logical_date": dt.datetime(2025, 11, 30, tzinfo=dt.timezone.utc),
        "dag_run": SimpleNamespace(run_after=None), "exception": RuntimeError("CriticalValidationError: kolom kd_rup hilang"),
    }
    notify_failure(context)
    assert len(smtp_inbox.messages) == 1
    msg = email.message_from_string(smtp_inbox.messages[0].as_string(), policy=policy.default)
    assert "data@pemda.example" in msg["To"] and "oncall@pemda.example" in msg["To"]
    assert "extract_spse.load" in msg["Subject"] and "percobaan 3" in msg["Subject"]
    body = msg.get_body(("html",)).get_content()
    for needle in ("extract_spse", "load [4]", "2025-11-30", ti.log_url, "kolom kd_rup hilang"):
        assert needle in body


def _context(dag_id: str = "render_circulars", task_id: str = "deliver"):
    ti = SimpleNamespace(dag_id=dag_id, task_id=task_id, try_number=1, map_index=-1,
                         log_url=f"http://127.0.0.1:8080/dags/{dag_id}/runs/r1/tasks/{task_id}")
    return {"ti": ti, "task_instance": ti, "run_id": "manual__1", "logical_date": None,
            "dag_run": SimpleNamespace(run_after=dt.datetime(2025, 12, 1, tzinfo=dt.timezone.utc)),
            "exception": RuntimeError("x")}


def test_alert_sender_comes_from_the_connection_before_env(smtp_inbox, monkeypatch):
    """`from_email` of the `smtp_default` Connection (as set in the UI form) beats the env fallback."""
    from pantau.alerts import notify_failure

    conn = json.loads(os.environ["AIRFLOW_CONN_SMTP_DEFAULT"])
    conn["extra"]["from_email"] = "pantau-alert@kalbarprov.example"
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps(conn))
    monkeypatch.setenv("PANTAU_ALERT_FROM", "env-fallback@pantau.invalid")
    monkeypatch.setenv("PANTAU_ALERT_EMAILS", "data@pemda.example")
    notify_failure(_context())
    assert len(smtp_inbox.messages) == 1
    msg = smtp_inbox.messages[0]
    assert msg["From"] == "pantau-alert@kalbarprov.example"
    assert msg["X-MailFrom"] == "pantau-alert@kalbarprov.example"      # the SMTP envelope too


def test_alert_without_any_smtp_connection_names_the_ids(monkeypatch):
    from pantau.alerts import notify_failure

    for cid in ("SMTP_DEFAULT", "PANTAU_SMTP"):
        monkeypatch.delenv(f"AIRFLOW_CONN_{cid}", raising=False)
    monkeypatch.delenv("PANTAU_SMTP_CONN_ID", raising=False)
    monkeypatch.setenv("PANTAU_ALERT_EMAILS", "data@pemda.example")
    with pytest.raises(RuntimeError, match="smtp_default") as err:
        notify_failure(_context("extract_spse", "load"))
    assert "extract_spse.load" in str(err.value)
