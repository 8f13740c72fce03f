"""E-mail a registered circular through an Airflow SMTP connection, with retries on record.

The connection is Airflow's (`PANTAU_SMTP_CONN_ID` if set, else `pantau_smtp`, else
`smtp_default`), so operators manage host and credentials where they manage every other secret.
Which one exists is asked of Airflow's own lookup (UI / metadata DB through the API server inside
a task, secrets backends, `AIRFLOW_CONN_<ID>` variables), not guessed from the environment; the
provider's `SmtpHook` then reads host, port, login, password and the `disable_tls`/`disable_ssl`
extras itself. Sender: the connection's `from_email`, else the Pemda config's `surel.pengirim`,
else env `PANTAU_SMTP_FROM`. Each attempt is a row in `audit.report_delivery`; the outcome is on
`audit.report`.
"""
from __future__ import annotations

import html
import logging
import os
import time
from dataclasses import dataclass
from typing import Sequence

from pantau import db
from pantau.config import SmtpSettings, smtp_conn_ids, smtp_settings

log = logging.getLogger(__name__)


class DeliveryError(RuntimeError):
    """All attempts failed (recorded in audit.report / audit.report_delivery)."""


@dataclass(frozen=True)
class DeliveryResult:
    report_id: str
    status: str                      # sent | failed | not_configured
    recipients: tuple[str, ...]
    attempts: int
    conn_id: str | None
    error: str | None = None


CONN_IDS = ("pantau_smtp", "smtp_default")
SENDER_ENV = "PANTAU_SMTP_FROM"


def smtp_connection(conn_id: str | None = None) -> SmtpSettings | None:
    """The SMTP connection to use (an explicit id, else `PANTAU_SMTP_CONN_ID`, else the first of
    `pantau_smtp`, `smtp_default` that Airflow knows), or None when none is defined."""
    return smtp_settings(CONN_IDS, explicit=conn_id)


def choose_conn_id() -> str | None:
    """Id of the SMTP connection `deliver` would use (None: no SMTP connection is defined)."""
    found = smtp_connection()
    return found.conn_id if found else None


def sender_for(smtp: SmtpSettings, surel: dict) -> str | None:
    """The connection's `from_email` (the operator's, matching the SMTP account), then the Pemda
    config's `surel.pengirim`, then env `PANTAU_SMTP_FROM`."""
    return smtp.from_email or surel.get("pengirim") or os.environ.get(SENDER_ENV) or None


def summary_text(row, cfg, n_pd: int, n_packages: int) -> tuple[str, str]:
    """Subject and an Indonesian body for the e-mail."""
    from pantau.report import formats as fmt
    from pantau.report.pemda import nama_pemda, placeholders, substitute

    values = placeholders(cfg, tahun=row.tahun, as_of=row.as_of, nomor=row.nomor)
    surel = cfg.get("surel") or {}
    values["judul_singkat"] = substitute(str(surel.get("judul_singkat", "Surat Edaran")), values)
    subject = substitute(str(surel.get("subjek", "Surat Edaran ${nomor_atau_draf}")), values)
    lines = [
        "Yth. Bapak/Ibu,",
        "",
        f"Terlampir Surat Edaran Sekretaris Daerah {nama_pemda(cfg)} "
        f"{'Nomor ' + row.nomor if row.nomor else '(DRAF, belum bernomor)'} tanggal {fmt.tanggal(row.tanggal)}.",
        f"Data per {fmt.tanggal(row.as_of)}: {n_pd} temuan Perangkat Daerah dengan {n_packages} paket yang harus "
        "ditindaklanjuti sesuai Lampiran.",
        "",
        f"ID registri: {row.report_id} (sha256 {row.sha256[:16]}…). Keaslian berkas dapat diperiksa dengan "
        "perintah: pantau verify <berkas>.pdf",
        "",
        "Pesan ini dikirim otomatis oleh Pantau PBJ.",
    ]
    return subject, "\n".join(lines)


def _record_attempt(url: str | None, report_id: str, attempt: int, conn_id: str, recipients: Sequence[str],
                    status: str, error: str | None) -> None:
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute(
            """INSERT INTO audit.report_delivery (report_id, attempt, conn_id, recipients, status, error)
               VALUES (%s, %s, %s, %s, %s, %s)""", (report_id, attempt, conn_id, list(recipients), status, error))
        cur.execute(
            """UPDATE audit.report SET delivery_status = %s, delivery_attempts = %s, delivery_error = %s,
                      delivery_recipients = %s, delivered_at = CASE WHEN %s = 'sent' THEN now() END
               WHERE report_id = %s""", (status, attempt, error, list(recipients), status, report_id))


def _send_once(conn_id: str, recipients: Sequence[str], subject: str, body: str, pdf_path: str,
               sender: str | None) -> None:
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    body_html = "<html><body>" + "".join(f"<p>{html.escape(p) or '&nbsp;'}</p>" for p in body.split("\n")) \
        + "</body></html>"
    with SmtpHook(smtp_conn_id=conn_id) as hook:
        hook.send_email_smtp(to=list(recipients), subject=subject, html_content=body_html, files=[pdf_path],
                             from_email=sender, custom_headers={"X-Pantau-Report-Id": os.path.basename(pdf_path)[:-4]})


def _no_smtp_connection(url: str | None, report_id: str, to: Sequence[str], conn_id: str | None,
                        raise_on_failure: bool) -> DeliveryResult:
    """Recorded as a failed attempt naming the connection ids looked for (a task must fail
    visibly: the PDF stays registered and a retry after the connection is created sends it)."""
    ids = smtp_conn_ids(CONN_IDS, explicit=conn_id)
    error = (f"no SMTP connection defined (looked for {', '.join(ids)} in Airflow Connections / "
             f"AIRFLOW_CONN_<ID>); report {report_id} not sent")
    _record_attempt(url, report_id, 1, ids[-1], to, "failed", error)
    if raise_on_failure:
        raise DeliveryError(error)
    return DeliveryResult(report_id, "failed", tuple(to), 1, conn_id, error)


def deliver(report_id: str, *, url: str | None = None, recipients: Sequence[str] | None = None,
            conn_id: str | None = None, attempts: int | None = None, pause_s: float | None = None,
            raise_on_failure: bool = True) -> DeliveryResult:
    """Send the registered PDF to `recipients` (default: the Pemda config's `surel.penerima`)."""
    from pantau.report import registry
    from pantau.report.pemda import load_pemda_config
    from pantau.report.verify import _registered_copy

    with db.transaction(url) as conn:
        row = registry.by_id(conn, report_id)
        if row is None:
            raise LookupError(f"report {report_id} is not registered")
        with conn.cursor() as cur:
            cur.execute("SELECT n_lagging_pd, n_packages FROM audit.report WHERE report_id = %s", (report_id,))
            n_pd, n_pkg = cur.fetchone()
    cfg = load_pemda_config(row.kd_klpd)
    surel = cfg.get("surel") or {}
    to = tuple(recipients if recipients is not None else surel.get("penerima") or ())
    smtp = smtp_connection(conn_id)
    if not to:
        with db.transaction(url) as conn, conn.cursor() as cur:
            cur.execute("UPDATE audit.report SET delivery_status = 'not_configured' WHERE report_id = %s",
                        (report_id,))
        return DeliveryResult(report_id, "not_configured", (), 0, smtp.conn_id if smtp else conn_id,
                              "no recipients configured")
    if smtp is None:
        return _no_smtp_connection(url, report_id, to, conn_id, raise_on_failure)
    conn_id = smtp.conn_id
    log.info("delivering %s to %d recipient(s) via SMTP connection %s", report_id, len(to), smtp.describe())
    pdf = _registered_copy(row.path)
    if registry.sha256_bytes(pdf.read_bytes()) != row.sha256:
        raise DeliveryError(f"{pdf} no longer matches the registered sha256 of {report_id}; not sending")
    subject, body = summary_text(row, cfg, n_pd, n_pkg)
    tries = attempts or int(surel.get("percobaan", 3))
    pause = float(surel.get("jeda_detik", 2) if pause_s is None else pause_s)
    error = None
    for attempt in range(1, tries + 1):
        try:
            _send_once(conn_id, to, subject, body, str(pdf), sender_for(smtp, surel))
        except Exception as exc:  # noqa: BLE001 - any SMTP/connection failure is retried and recorded
            error = f"{type(exc).__name__}: {exc}"[:1000]
            _record_attempt(url, report_id, attempt, conn_id, to, "failed", error)
            if attempt < tries:
                time.sleep(pause * (2 ** (attempt - 1)))
            continue
        _record_attempt(url, report_id, attempt, conn_id, to, "sent", None)
        return DeliveryResult(report_id, "sent", to, attempt, conn_id)
    result = DeliveryResult(report_id, "failed", to, tries, conn_id, error)
    if raise_on_failure:
        raise DeliveryError(f"delivery of {report_id} failed after {tries} attempts: {error}")
    return result
