"""E-mail a registered circular through an Airflow SMTP connection, with retries on record.

The connection is Airflow's (`PANTAU_SMTP_CONN_ID` if set, else `pantau_smtp`, else
`smtp_default`), so operators manage host and credentials where they manage every other secret.
Which one exists is asked of Airflow's own lookup (UI / metadata DB through the API server inside
a task, secrets backends, `AIRFLOW_CONN_<ID>` variables), not guessed from the environment; the
provider's `SmtpHook` then reads host, port, login, password and the `disable_tls`/`disable_ssl`
extras itself. Sender: the connection's `from_email`, else the Pemda config's `surel.pengirim`,
else env `PANTAU_SMTP_FROM`. Each attempt is a row in `audit.report_delivery`; the outcome is on
`audit.report`.

At most once per report × recipient (issue 19 point 9). A task retry used to send the e-mail
again and then fail with UniqueViolation (attempt numbers restarted at 1). Now:

- before any SMTP traffic, the intent is committed: one `audit.report_recipient` row per
  recipient in state `sending`, and the attempt row (`audit.report_delivery`, status `sending`)
  with the next attempt number after the stored maximum, under the report's row lock;
- after the server accepted the message the rows become `sent`; on an SMTP/connection error
  `failed` (those recipients are tried again by the next attempt or task retry);
- a recipient already `sent` is never sent to again: a retry of a finished delivery sends
  nothing and returns `sent`;
- a recipient still `sending` is never resent blindly: the previous attempt may have delivered
  the message and died before recording it. While the row is younger than the stale limit
  (`stale_after_s`, default `surel.kirim_kedaluwarsa_detik` or 900 s, longer than any SMTP
  timeout × retry) it may belong to an attempt still running elsewhere; after that it becomes
  `unknown`. Either way `deliver` raises `DeliveryUncertain` (the task fails visibly) naming the
  recipients; the Message-ID of the attempt is stored so the mailbox can be checked, and only
  `force=True` resends `unknown`/`sending` recipients.

The SMTP hook's own `retry_limit` retries inside one attempt; set it to 0/1 on the connection
when a duplicate after a dropped connection matters more than a transient failure.
"""
from __future__ import annotations

import html
import logging
import os
import time
from dataclasses import dataclass
from email.utils import make_msgid
from typing import Sequence

from pantau import db
from pantau.ids import check_report_id
from pantau.config import SmtpSettings, smtp_conn_ids, smtp_settings

log = logging.getLogger(__name__)


class DeliveryError(RuntimeError):
    """All attempts failed (recorded in audit.report / audit.report_delivery)."""


class DeliveryUncertain(DeliveryError):
    """Some recipients were not sent to because an earlier attempt may already have reached them
    (state `sending` or `unknown` in audit.report_recipient); resend only with `force=True`."""


@dataclass(frozen=True)
class DeliveryResult:
    report_id: str
    status: str                      # sent | failed | not_configured | unknown | in_progress
    recipients: tuple[str, ...]
    attempts: int                    # number of the attempt that sent (or last tried)
    conn_id: str | None
    error: str | None = None
    already_sent: tuple[str, ...] = ()   # sent by an earlier attempt, not sent again


CONN_IDS = ("pantau_smtp", "smtp_default")
SENDER_ENV = "PANTAU_SMTP_FROM"
STALE_AFTER_S = 900.0   # a `sending` row older than this belongs to an attempt that is gone


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


# ---------------------------------------------------------------------------------------------
# intent and outcome per report × recipient (audit.report_recipient, migration 093)
@dataclass(frozen=True)
class _Claim:
    """What one attempt may do, decided under the report's row lock."""

    attempt: int | None              # the attempt number reserved for `to_send` (None: nothing to send)
    to_send: tuple[str, ...]         # addresses as given, claimed `sending` for this attempt
    already_sent: tuple[str, ...]    # `sent` by an earlier attempt: never sent again
    in_flight: tuple[str, ...]       # `sending`, younger than the stale limit: maybe another attempt
    unknown: tuple[str, ...]         # outcome unknown (interrupted after sending began): not resent
    message_id: str | None = None


def _key(address: str) -> str:
    """Recipient identity: `Kepala@X.go.id ` and `kepala@x.go.id` are one mailbox for this purpose."""
    return address.strip().lower()


def _unique(addresses: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for a in addresses:
        if a.strip():
            seen.setdefault(_key(a), a.strip())
    return tuple(seen.values())


def _lock_report(cur, report_id: str) -> None:
    """Serialise deliverers of one report (two task instances, a retry racing a slow attempt):
    attempt numbers and claims are decided one at a time."""
    cur.execute("SELECT 1 FROM audit.report WHERE report_id = %s FOR UPDATE", (report_id,))


def _next_attempt(cur, report_id: str) -> int:
    """Attempt numbers continue from the stored maximum (a task retry used to restart at 1 and
    fail with UniqueViolation after the e-mail had gone out again)."""
    cur.execute("SELECT COALESCE(max(attempt), 0) + 1 FROM audit.report_delivery WHERE report_id = %s",
                (report_id,))
    return int(cur.fetchone()[0])


def _expire_stale(cur, report_id: str, stale_after_s: float) -> None:
    """`sending` rows older than the stale limit become `unknown`: the attempt that claimed them
    is gone (killed between the SMTP conversation and its record), and whether the server took the
    message cannot be known from here."""
    cur.execute(
        """UPDATE audit.report_recipient
              SET state = 'unknown', updated_at = clock_timestamp(),
                  error = format('attempt %%s was interrupted after sending began (claimed %%s); '
                                 'outcome unknown, not resent unless forced', attempt, claimed_at)
            WHERE report_id = %s AND state = 'sending'
              AND claimed_at < clock_timestamp() - make_interval(secs => %s)
        RETURNING attempt""", (report_id, stale_after_s))
    attempts = sorted({r[0] for r in cur.fetchall()})
    if attempts:
        cur.execute(
            """UPDATE audit.report_delivery SET status = 'unknown',
                      error = 'interrupted after sending began; outcome unknown'
                WHERE report_id = %s AND attempt = ANY(%s) AND status = 'sending'""", (report_id, attempts))
        log.warning("report %s: attempt(s) %s were interrupted while sending; recipients marked unknown",
                    report_id, attempts)


def _states(cur, report_id: str) -> dict[str, str]:
    cur.execute("SELECT recipient, state FROM audit.report_recipient WHERE report_id = %s", (report_id,))
    return dict(cur.fetchall())


def _claim(url: str | None, report_id: str, to: Sequence[str], conn_id: str, *, stale_after_s: float,
           force: bool, sender: str | None) -> _Claim:
    """Record the intent to send (committed before any SMTP traffic) for every recipient that has
    not been sent to, and sort the rest: sent, in flight, unknown. `force` also resends `unknown`
    and `sending` recipients: an operator's decision after checking the mailboxes."""
    with db.transaction(url) as conn, conn.cursor() as cur:
        _lock_report(cur, report_id)
        _expire_stale(cur, report_id, stale_after_s)
        states = _states(cur, report_id)
        groups: dict[str, list[str]] = {"send": [], "sent": [], "sending": [], "unknown": []}
        for address in to:
            state = states.get(_key(address))
            if state == "sent":
                groups["sent"].append(address)
            elif state in ("sending", "unknown") and not force:
                groups[state].append(address)
            else:
                groups["send"].append(address)
        claim = _Claim(None, (), tuple(groups["sent"]), tuple(groups["sending"]), tuple(groups["unknown"]))
        if not groups["send"]:
            _summarise(cur, report_id, to, None)
            return claim
        attempt = _next_attempt(cur, report_id)
        message_id = make_msgid(idstring=f"{report_id}.{attempt}", domain=_msgid_domain(sender))
        cur.execute(
            """INSERT INTO audit.report_delivery (report_id, attempt, conn_id, recipients, status, message_id)
               VALUES (%s, %s, %s, %s, 'sending', %s)""", (report_id, attempt, conn_id, groups["send"], message_id))
        for address in groups["send"]:
            cur.execute(
                """INSERT INTO audit.report_recipient (report_id, recipient, state, attempt, message_id)
                   VALUES (%s, %s, 'sending', %s, %s)
                   ON CONFLICT (report_id, recipient) DO UPDATE
                      SET state = 'sending', attempt = EXCLUDED.attempt, message_id = EXCLUDED.message_id,
                          claimed_at = clock_timestamp(), updated_at = clock_timestamp(), error = NULL""",
                (report_id, _key(address), attempt, message_id))
        cur.execute("UPDATE audit.report SET delivery_status = 'sending', delivery_attempts = %s "
                    "WHERE report_id = %s", (attempt, report_id))
    return _Claim(attempt, tuple(groups["send"]), claim.already_sent, claim.in_flight, claim.unknown, message_id)


def _msgid_domain(sender: str | None) -> str:
    domain = (sender or "").rpartition("@")[2].strip(" >")
    return domain or "pantau-pbj.invalid"


def _finish(url: str | None, report_id: str, claim: _Claim, to: Sequence[str], status: str,
            error: str | None) -> None:
    """Close the attempt (`sent` or `failed`) for the recipients it claimed, then the report row."""
    with db.transaction(url) as conn, conn.cursor() as cur:
        _lock_report(cur, report_id)
        cur.execute("UPDATE audit.report_delivery SET status = %s, error = %s WHERE report_id = %s AND attempt = %s",
                    (status, error, report_id, claim.attempt))
        cur.execute(
            """UPDATE audit.report_recipient
                  SET state = %s, error = %s, updated_at = clock_timestamp(),
                      sent_at = CASE WHEN %s = 'sent' THEN clock_timestamp() END
                WHERE report_id = %s AND attempt = %s AND recipient = ANY(%s)""",
            (status, error, status, report_id, claim.attempt, [_key(a) for a in claim.to_send]))
        _summarise(cur, report_id, to, error, attempt=claim.attempt)


def _summarise(cur, report_id: str, to: Sequence[str], error: str | None, attempt: int | None = None) -> str:
    """audit.report's delivery columns from the recipients' states: `sent` only when every
    recipient of this delivery is sent; an unknown or in-flight one keeps the report visibly open."""
    states = _states(cur, report_id)
    mine = [states.get(_key(a)) for a in to]
    status = ("sent" if all(s == "sent" for s in mine) else "unknown" if "unknown" in mine
              else "sending" if "sending" in mine else "failed")
    cur.execute(
        """UPDATE audit.report SET delivery_status = %s,
                  delivery_error = CASE WHEN %s = 'sent' THEN NULL ELSE COALESCE(%s, delivery_error) END,
                  delivery_attempts = GREATEST(delivery_attempts, COALESCE(%s, 0)),
                  delivery_recipients = %s,
                  delivered_at = CASE WHEN %s = 'sent' THEN COALESCE(delivered_at, now()) END
            WHERE report_id = %s""",
        (status, status, error, attempt, list(to), status, report_id))
    return status


def _record_failed_attempt(url: str | None, report_id: str, conn_id: str, recipients: Sequence[str],
                           error: str) -> int:
    """An attempt that never reached a server (no connection defined): a row with the next number."""
    with db.transaction(url) as conn, conn.cursor() as cur:
        _lock_report(cur, report_id)
        attempt = _next_attempt(cur, report_id)
        cur.execute(
            """INSERT INTO audit.report_delivery (report_id, attempt, conn_id, recipients, status, error)
               VALUES (%s, %s, %s, %s, 'failed', %s)""", (report_id, attempt, conn_id, list(recipients), error))
        cur.execute(
            """UPDATE audit.report SET delivery_status = 'failed', delivery_attempts = %s, delivery_error = %s,
                      delivery_recipients = %s WHERE report_id = %s""",
            (attempt, error, list(recipients), report_id))
    return attempt

def _send_once(conn_id: str, recipients: Sequence[str], subject: str, body: str, pdf_path: str,
               sender: str | None, report_id: str, message_id: str | None) -> None:
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    body_html = "<html><body>" + "".join(f"<p>{html.escape(p) or '&nbsp;'}</p>" for p in body.split("\n")) \
        + "</body></html>"
    with SmtpHook(smtp_conn_id=conn_id) as hook:
        hook.send_email_smtp(to=list(recipients), subject=subject, html_content=body_html, files=[pdf_path],
                             from_email=sender, custom_headers=_headers(report_id, message_id))


def _headers(report_id: str, message_id: str | None) -> dict[str, str]:
    """The report id, and the attempt's Message-ID (stored first, so an interrupted attempt can be
    looked up in the recipients' mailbox)."""
    headers = {"X-Pantau-Report-Id": report_id}
    if message_id:
        headers["Message-ID"] = message_id
    return headers


def _no_smtp_connection(url: str | None, report_id: str, to: Sequence[str], conn_id: str | None,
                        raise_on_failure: bool) -> DeliveryResult:
    """Recorded as a failed attempt naming the connection ids looked for (a task must fail
    visibly: the PDF stays registered and a retry after the connection is created sends it)."""
    ids = smtp_conn_ids(CONN_IDS, explicit=conn_id)
    error = (f"no SMTP connection defined (looked for {', '.join(ids)} in Airflow Connections / "
             f"AIRFLOW_CONN_<ID>); report {report_id} not sent")
    attempt = _record_failed_attempt(url, report_id, ids[-1], to, error)
    if raise_on_failure:
        raise DeliveryError(error)
    return DeliveryResult(report_id, "failed", tuple(to), attempt, conn_id, error)


def _uncertain(report_id: str, claim: _Claim, stale_after_s: float) -> str | None:
    """Why some recipients were neither sent now nor before (None: there are none)."""
    parts = []
    if claim.unknown:
        parts.append(f"outcome unknown for {', '.join(claim.unknown)} (an earlier attempt was interrupted after "
                     "sending began); not resent: check their mailbox for the Message-ID in "
                     "audit.report_recipient, then deliver with force=True to resend")
    if claim.in_flight:
        parts.append(f"{', '.join(claim.in_flight)} still `sending` from an attempt less than {stale_after_s:.0f} s "
                     "old (running elsewhere, or interrupted); not sent again now: a retry after that time "
                     "marks it unknown")
    return f"report {report_id}: " + "; ".join(parts) if parts else None


def _sent_attempt(url: str | None, report_id: str) -> int:
    """The number of the last attempt that reached the server (for a result with nothing new)."""
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT COALESCE(max(attempt), 0) FROM audit.report_delivery WHERE report_id = %s "
                    "AND status = 'sent'", (report_id,))
        return int(cur.fetchone()[0])


def deliver(report_id: str, *, url: str | None = None, recipients: Sequence[str] | None = None,
            conn_id: str | None = None, attempts: int | None = None, pause_s: float | None = None,
            raise_on_failure: bool = True, force: bool = False,
            stale_after_s: float | None = None) -> DeliveryResult:
    """Send the registered PDF to `recipients` (default: the Pemda config's `surel.penerima`),
    at most once per recipient (module docstring: `sending` → `sent`; a task retry sends only to
    recipients that were not sent to). `force` resends recipients whose outcome is unknown."""
    from pantau.report import registry
    from pantau.report.pemda import load_pemda_config
    from pantau.report.verify import _registered_copy

    report_id = check_report_id(report_id)
    with db.transaction(url) as conn:
        row = registry.by_id(conn, report_id)
        if row is None:
            raise LookupError(f"report {report_id} is not registered")
        with conn.cursor() as cur:
            cur.execute("SELECT n_lagging_pd, n_packages FROM audit.report WHERE report_id = %s", (report_id,))
            n_pd, n_pkg = cur.fetchone()
    cfg = load_pemda_config(row.kd_klpd)
    surel = cfg.get("surel") or {}
    to = _unique(recipients if recipients is not None else surel.get("penerima") or ())
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
    pdf = _registered_copy(row.path)
    if registry.sha256_bytes(pdf.read_bytes()) != row.sha256:
        raise DeliveryError(f"{pdf} no longer matches the registered sha256 of {report_id}; not sending")
    subject, body = summary_text(row, cfg, n_pd, n_pkg)
    sender = sender_for(smtp, surel)
    stale = float(surel.get("kirim_kedaluwarsa_detik", STALE_AFTER_S) if stale_after_s is None else stale_after_s)
    tries = attempts or int(surel.get("percobaan", 3))
    pause = float(surel.get("jeda_detik", 2) if pause_s is None else pause_s)
    error: str | None = None
    claim = _Claim(None, (), (), (), ())
    for n in range(1, tries + 1):
        claim = _claim(url, report_id, to, conn_id, stale_after_s=stale, force=force and n == 1, sender=sender)
        if not claim.to_send:
            error = None
            break
        log.info("delivering %s to %d recipient(s) via SMTP connection %s (attempt %s, %d already sent)",
                 report_id, len(claim.to_send), smtp.describe(), claim.attempt, len(claim.already_sent))
        try:
            _send_once(conn_id, claim.to_send, subject, body, str(pdf), sender, report_id, claim.message_id)
        except Exception as exc:  # noqa: BLE001 - any SMTP/connection failure is retried and recorded
            error = f"{type(exc).__name__}: {exc}"[:1000]
            _finish(url, report_id, claim, to, "failed", error)
            if n < tries:
                time.sleep(pause * (2 ** (n - 1)))
            continue
        _finish(url, report_id, claim, to, "sent", None)
        error = None
        break
    return _outcome(url, report_id, to, conn_id, claim, error, tries, stale, raise_on_failure)


def _outcome(url: str | None, report_id: str, to: tuple[str, ...], conn_id: str, claim: _Claim,
             error: str | None, tries: int, stale_after_s: float, raise_on_failure: bool) -> DeliveryResult:
    """The result of the last claim: sent to everyone, failed, or open (unknown / in flight)."""
    if error is not None:
        if raise_on_failure:
            raise DeliveryError(f"delivery of {report_id} failed after {tries} attempts: {error}")
        return DeliveryResult(report_id, "failed", to, claim.attempt or tries, conn_id, error)
    uncertain = _uncertain(report_id, claim, stale_after_s)
    attempt = claim.attempt or _sent_attempt(url, report_id)
    if uncertain:
        if raise_on_failure:
            raise DeliveryUncertain(uncertain)
        status = "unknown" if claim.unknown else "in_progress"
        return DeliveryResult(report_id, status, to, attempt, conn_id, uncertain, claim.already_sent)
    if not claim.to_send:
        log.info("report %s was already sent to all %d recipient(s); not sending again", report_id, len(to))
    return DeliveryResult(report_id, "sent", to, attempt, conn_id, None, claim.already_sent)
