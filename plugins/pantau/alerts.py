"""Failure alerts to the data team, through Airflow's SMTP connection.

Uses the SMTP provider's `SmtpNotifier` (templated, connection-based) instead of hand-built
e-mail code: the SMTP host, port, credentials, TLS/SSL switches and sender (`from_email` extra)
live in the Airflow Connection `smtp_default` (or the one named by `PANTAU_SMTP_CONN_ID`; else
`pantau_smtp`), found through Airflow's own lookup, so one created in the UI counts. Env
`PANTAU_ALERT_FROM` is only the fallback sender. Recipients: the Variable `pantau_alert_emails`.
"""
from __future__ import annotations

import os

from pantau.config import SmtpSettings, smtp_conn_ids, smtp_settings

ALERT_SUBJECT = "[Pantau PBJ] GAGAL: {{ ti.dag_id }}.{{ ti.task_id }} (percobaan {{ ti.try_number }})"
ALERT_BODY = """\
<p>Tugas Airflow gagal / an Airflow task failed.</p>
<table>
<tr><td>DAG</td><td>{{ ti.dag_id }}</td></tr>
<tr><td>Task</td><td>{{ ti.task_id }}{% if ti.map_index is not none and ti.map_index >= 0 %} [{{ ti.map_index }}]{% endif %}</td></tr>
<tr><td>Percobaan / try</td><td>{{ ti.try_number }}</td></tr>
<tr><td>Tanggal logis / logical date</td><td>{{ logical_date or dag_run.run_after }}</td></tr>
<tr><td>Run</td><td>{{ run_id }}</td></tr>
<tr><td>Log</td><td><a href="{{ ti.log_url }}">{{ ti.log_url }}</a></td></tr>
<tr><td>Galat / error</td><td>{{ exception | string | truncate(500) }}</td></tr>
</table>
"""


DEFAULT_RECIPIENTS = "tim-data@pantau.invalid"
DEFAULT_SENDER = "pantau-pbj@pantau.invalid"
CONN_IDS = ("smtp_default", "pantau_smtp")


def alert_recipients() -> list[str]:
    """Variable `pantau_alert_emails` (comma-separated), read when a failure happens, not at parse time."""
    from airflow.sdk import Variable

    value = os.environ.get("PANTAU_ALERT_EMAILS") or Variable.get("pantau_alert_emails", default=DEFAULT_RECIPIENTS)
    return [a.strip() for a in value.split(",") if a.strip()]


def notify_failure(context) -> None:
    """The shared `on_failure_callback`: a concise e-mail naming DAG, task, try, date and log link."""
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    smtp = smtp_settings(CONN_IDS)
    if smtp is None:
        raise RuntimeError(f"failure alert for {_task_name(context)} not sent: no SMTP connection defined "
                           f"(looked for {', '.join(smtp_conn_ids(CONN_IDS))} in Airflow Connections / "
                           "AIRFLOW_CONN_<ID>)")
    notifier = SmtpNotifier(
        to=alert_recipients(),
        from_email=alert_sender(smtp),
        subject=ALERT_SUBJECT,
        html_content=ALERT_BODY,
        smtp_conn_id=smtp.conn_id,
    )
    notifier(context)


def alert_sender(smtp: SmtpSettings) -> str:
    """The connection's `from_email` first (it matches the SMTP account), then env, then a default."""
    return smtp.from_email or os.environ.get("PANTAU_ALERT_FROM") or DEFAULT_SENDER


def _task_name(context) -> str:
    ti = context.get("ti") or context.get("task_instance")
    return f"{getattr(ti, 'dag_id', '?')}.{getattr(ti, 'task_id', '?')}"


def failure_notifier():
    """What DAGs put in default_args (a plain function: it builds the notifier when called)."""
    return notify_failure
