"""Failure alerts to the data team, through Airflow's SMTP connection.

Uses the SMTP provider's `SmtpNotifier` (templated, connection-based) instead of hand-built
e-mail code: the SMTP host and credentials live in the Airflow Connection `smtp_default`
(or `PANTAU_SMTP_CONN_ID`), recipients in the Variable `pantau_alert_emails`.
"""
from __future__ import annotations

import os

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


def alert_recipients() -> list[str]:
    """Variable `pantau_alert_emails` (comma-separated), read when a failure happens, not at parse time."""
    from airflow.sdk import Variable

    value = os.environ.get("PANTAU_ALERT_EMAILS") or Variable.get("pantau_alert_emails", default=DEFAULT_RECIPIENTS)
    return [a.strip() for a in value.split(",") if a.strip()]


def notify_failure(context) -> None:
    """The shared `on_failure_callback`: a concise e-mail naming DAG, task, try, date and log link."""
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    notifier = SmtpNotifier(
        to=alert_recipients(),
        from_email=os.environ.get("PANTAU_ALERT_FROM", "pantau-pbj@pantau.invalid"),
        subject=ALERT_SUBJECT,
        html_content=ALERT_BODY,
        smtp_conn_id=os.environ.get("PANTAU_SMTP_CONN_ID", "smtp_default"),
    )
    notifier(context)


def failure_notifier():
    """What DAGs put in default_args (a plain function: it builds the notifier when called)."""
    return notify_failure
