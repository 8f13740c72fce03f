"""E-mail a registered circular through an Airflow SMTP connection, with retries on record.

The connection is Airflow's (`pantau_smtp`, else `smtp_default`), so operators manage host and
credentials where they manage every other secret; `AIRFLOW_CONN_<ID>` env vars are honoured by
Airflow's own lookup, which is how tests point it at a local SMTP server. Each attempt is a row
in `audit.report_delivery`; the outcome is on `audit.report`.
"""
from __future__ import annotations

import html
import os
import time
from dataclasses import dataclass
from typing import Sequence

from pantau import db


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


def choose_conn_id() -> str:
    """`pantau_smtp` when defined in the environment, else `smtp_default` (Airflow's default id)."""
    for cid in CONN_IDS:
        if os.environ.get(f"AIRFLOW_CONN_{cid.upper()}"):
            return cid
    return CONN_IDS[0] if os.environ.get("PANTAU_SMTP_CONN_ID") is None else os.environ["PANTAU_SMTP_CONN_ID"]


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
    conn_id = conn_id or choose_conn_id()
    if not to:
        with db.transaction(url) as conn, conn.cursor() as cur:
            cur.execute("UPDATE audit.report SET delivery_status = 'not_configured' WHERE report_id = %s",
                        (report_id,))
        return DeliveryResult(report_id, "not_configured", (), 0, conn_id, "no recipients configured")
    pdf = _registered_copy(row.path)
    if registry.sha256_bytes(pdf.read_bytes()) != row.sha256:
        raise DeliveryError(f"{pdf} no longer matches the registered sha256 of {report_id}; not sending")
    subject, body = summary_text(row, cfg, n_pd, n_pkg)
    tries = attempts or int(surel.get("percobaan", 3))
    pause = float(surel.get("jeda_detik", 2) if pause_s is None else pause_s)
    error = None
    for attempt in range(1, tries + 1):
        try:
            _send_once(conn_id, to, subject, body, str(pdf), surel.get("pengirim"))
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
