"""`audit.report`: the registry that makes a circular checkable.

A PDF is "ours" only if its exact sha256 is registered; the row says which metric run and raw
fetches it was built from, so `pantau verify` can answer an inspector without trusting the file.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pantau import ids


class RegistryConflict(RuntimeError):
    """The same report id was rendered to different bytes: rendering is not deterministic."""


@dataclass(frozen=True)
class ReportRow:
    report_id: str
    path: str
    sha256: str
    n_bytes: int
    pages: int
    kd_klpd: str
    tahun: int
    as_of: date
    tanggal: date
    nomor: str | None
    metric_run_id: int | None
    fetch_ids: tuple[int, ...]
    created_at: datetime | None = None
    delivery_status: str = "pending"
    delivery_attempts: int = 0


_COLS = ("report_id, path, sha256, n_bytes, pages, kd_klpd, tahun, as_of, tanggal, nomor, metric_run_id, "
         "fetch_ids, created_at, delivery_status, delivery_attempts")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _row(r) -> ReportRow:
    return ReportRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
                     tuple(r[11] or ()), r[12], r[13], r[14])


def register(conn, row: ReportRow, *, model_sha256: str, config_sha256: str, template_sha256: str,
             n_lagging_pd: int, n_packages: int, n_review: int, period: str | None) -> ReportRow:
    """Insert the report, or confirm an identical earlier one (same id and bytes: idempotent).

    The row's identifiers and relative path are checked first (`pantau.ids`): `verify` and
    `deliver` open `OUTPUT_DIR/<path>`, so a registered `../` would point them outside it."""
    ids.check_report_id(row.report_id)
    ids.check_kd_klpd(row.kd_klpd)
    ids.check_relative_path(row.path, what="registered report path")
    with conn.cursor() as cur:
        cur.execute(
            """INSERT INTO audit.report (report_id, path, sha256, n_bytes, pages, kd_klpd, tahun, period, as_of,
                       tanggal, nomor, is_draft, metric_run_id, fetch_ids, model_sha256, config_sha256,
                       template_sha256, n_lagging_pd, n_packages, n_review)
                VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)
                ON CONFLICT (report_id) DO NOTHING""",
            (row.report_id, row.path, row.sha256, row.n_bytes, row.pages, row.kd_klpd, row.tahun, period,
             row.as_of, row.tanggal, row.nomor, row.nomor is None, row.metric_run_id, list(row.fetch_ids),
             model_sha256, config_sha256, template_sha256, n_lagging_pd, n_packages, n_review))
        cur.execute(f"SELECT {_COLS} FROM audit.report WHERE report_id = %s", (row.report_id,))
        stored = _row(cur.fetchone())
    if stored.sha256 != row.sha256:
        raise RegistryConflict(
            f"{row.report_id} is registered with sha256 {stored.sha256[:16]}… but re-rendered to "
            f"{row.sha256[:16]}…: the renderer is not deterministic for these inputs")
    return stored


def by_sha256(conn, sha256: str) -> ReportRow | None:
    with conn.cursor() as cur:
        cur.execute(f"SELECT {_COLS} FROM audit.report WHERE sha256 = %s", (sha256,))
        r = cur.fetchone()
    return _row(r) if r else None


def by_id(conn, report_id: str) -> ReportRow | None:
    with conn.cursor() as cur:
        cur.execute(f"SELECT {_COLS} FROM audit.report WHERE report_id = %s", (report_id,))
        r = cur.fetchone()
    return _row(r) if r else None


def lineage(conn, fetch_ids: tuple[int, ...]) -> list[dict[str, Any]]:
    """The raw fetches behind a report (dataset, instansi, year, time, sha256), for verify's output."""
    if not fetch_ids:
        return []
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('raw.fetch')")
        if cur.fetchone()[0] is None:
            return [{"fetch_id": f} for f in fetch_ids]
        cur.execute(
            """SELECT fetch_id, dataset, kd_klpd, tahun, COALESCE(finished_at, started_at), sha256
               FROM raw.fetch WHERE fetch_id = ANY(%s) ORDER BY fetch_id""", (list(fetch_ids),))
        found = {r[0]: {"fetch_id": r[0], "dataset": r[1], "kd_klpd": r[2], "tahun": r[3],
                        "fetched_at": r[4], "sha256": r[5]} for r in cur.fetchall()}
    return [found.get(f, {"fetch_id": f, "missing": True}) for f in fetch_ids]
