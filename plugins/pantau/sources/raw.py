"""Raw landing: `raw.fetch` + `raw.fetch_page`, bodies stored verbatim (gzip), nothing parsed first.

Why land before parsing: the sources change shape without notice (sources.md §6), so the exact
bytes LKPP sent must survive any parser bug and be replayable. Why one transaction at the end:
a fetch is either complete ('ok'/'empty') or explicitly 'failed' with what was received — never
a half-written 'ok' that a loader could mistake for the whole year.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Iterator

import psycopg2
from psycopg2.extras import Json, execute_values

from pantau import db
from pantau.sources import errors as E
from pantau.sources import jsondecode
from pantau.sources.http import Page
from pantau.sources.inaproc import classify_json_error

log = logging.getLogger(__name__)
GZIP_LEVEL = 3  # 1 MB page: level 3 ≈ 9 ms, level 6 ≈ 24 ms for ~30 % smaller output (measured)
ENVELOPE_SOURCES = {"inaproc_v1"}  # pages are {success, data, meta}; others are bare arrays


class RawShapeError(E.RawFormatError):
    """A page's records are objects, but one has no field of its dataset (e.g. ``{}``): the feed
    changed shape. A `RawFormatError`, so every caller that stops on bad pages stops on this too."""


@dataclass(frozen=True)
class StoredPage:
    """A page as it will be written: compressed body plus its hash and counts."""

    page_no: int
    cursor: str | None
    http_status: int | None
    fetched_at: datetime
    n_bytes: int
    n_rows: int | None
    sha256: str
    request_id: str | None
    note: str | None
    body_gz: bytes


@dataclass
class PageBuffer:
    """Pages of one fetch, compressed as they arrive (memory ≈ compressed size), hashed in order."""

    pages: list[StoredPage] = field(default_factory=list)
    n_bytes: int = 0
    n_rows: int = 0
    rows_known: bool = True
    _sha: Any = field(default_factory=hashlib.sha256)

    def add(self, page: Page) -> StoredPage:
        stored = StoredPage(
            page_no=len(self.pages),
            cursor=page.cursor,
            http_status=page.http_status,
            fetched_at=page.fetched_at,
            n_bytes=len(page.body),
            n_rows=page.n_rows,
            sha256=hashlib.sha256(page.body).hexdigest(),
            request_id=page.request_id,
            note=page.note,
            body_gz=gzip.compress(page.body, compresslevel=GZIP_LEVEL, mtime=0),
        )
        self.pages.append(stored)
        self._sha.update(page.body)
        self.n_bytes += stored.n_bytes
        if page.n_rows is None:
            self.rows_known = False
        else:
            self.n_rows += page.n_rows
        return stored

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()

    @property
    def request_ids(self) -> list[str]:
        return [p.request_id for p in self.pages if p.request_id]

    @property
    def notes(self) -> str | None:
        notes = sorted({p.note for p in self.pages if p.note})
        return "; ".join(notes) or None


@dataclass(frozen=True)
class FetchMeta:
    """What identifies and describes a fetch, apart from its pages."""

    source_system: str
    dataset: str
    kd_klpd: str | None
    kd_lpse: int | None
    tahun: int
    url: str | None  # must already be redacted; redacted again defensively
    params: dict[str, Any]
    started_at: datetime


@dataclass(frozen=True)
class LandResult:
    fetch_id: int
    status: str
    reused: bool
    n_rows: int | None
    n_pages: int
    n_bytes: int
    sha256: str


@dataclass
class RawFetch:
    """Decoded records of one stored fetch (what `normalize` consumes)."""

    fetch_id: int
    dataset: str
    source_system: str
    kd_klpd: str | None
    kd_lpse: int | None
    tahun: int
    status: str
    records: list[dict]


def _partition_lock_key(meta: FetchMeta) -> str:
    return "|".join(map(str, ("raw.fetch", meta.dataset, meta.source_system, meta.kd_klpd, meta.kd_lpse, meta.tahun)))


def _latest_good(cur, meta: FetchMeta) -> tuple[int, str] | None:
    """The partition's latest 'ok'/'empty' fetch (id, sha256), if any."""
    cur.execute(
        """SELECT fetch_id, sha256 FROM raw.fetch
            WHERE dataset = %s AND source_system = %s AND kd_klpd IS NOT DISTINCT FROM %s
              AND kd_lpse IS NOT DISTINCT FROM %s AND tahun = %s AND status IN ('ok', 'empty')
            ORDER BY fetch_id DESC LIMIT 1""",
        (meta.dataset, meta.source_system, meta.kd_klpd, meta.kd_lpse, meta.tahun),
    )
    return cur.fetchone()


def land_fetch(
    meta: FetchMeta,
    buffer: PageBuffer,
    *,
    status: str,
    http_status: int | None = None,
    error: str | None = None,
    error_class: str | None = None,
    url: str | None = None,
) -> LandResult:
    """Write the fetch row and all its pages in one transaction.

    For 'ok'/'empty': if the partition's latest good fetch has the same overall sha256 the content
    is unchanged, so that fetch_id is returned with `reused=True` (its `n_checks`/
    `last_checked_at` are bumped) and no page is written. Only the *latest* good fetch is reused:
    reusing an older one after content A→B→A would let a caller skip reloading A.
    """
    if status not in ("ok", "empty", "failed"):
        raise ValueError(f"bad status {status!r}")
    if (status == "failed") != (error is not None):
        raise ValueError("a failed fetch needs an error text, and only a failed one")
    finished = datetime.now(timezone.utc)
    sha = buffer.sha256
    n_rows = buffer.n_rows if buffer.rows_known else None
    with db.transaction(url) as conn, conn.cursor() as cur:
        db.lock_key(cur, f"raw:{_partition_lock_key(meta)}")  # not an advisory lock: see db.lock_key
        if status != "failed":
            latest = _latest_good(cur, meta)
            if latest and latest[1] == sha:
                cur.execute(
                    "UPDATE raw.fetch SET last_checked_at = %s, n_checks = n_checks + 1 WHERE fetch_id = %s",
                    (finished, latest[0]),
                )
                return LandResult(latest[0], status, True, n_rows, len(buffer.pages), buffer.n_bytes, sha)
        cur.execute(
            """INSERT INTO raw.fetch (source_system, dataset, kd_klpd, kd_lpse, tahun, url, params,
                   started_at, finished_at, status, http_status, n_pages, n_rows, n_bytes, sha256,
                   request_ids, error, error_class, note, last_checked_at)
               VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) RETURNING fetch_id""",
            (
                meta.source_system, meta.dataset, meta.kd_klpd, meta.kd_lpse, meta.tahun,
                E.redact(meta.url) if meta.url else None, Json(meta.params), meta.started_at, finished,
                status, http_status, len(buffer.pages), n_rows, buffer.n_bytes, sha,
                buffer.request_ids or None, E.redact(error) if error else None, error_class, buffer.notes,
                finished,
            ),
        )
        fetch_id = cur.fetchone()[0]
        if buffer.pages:
            execute_values(
                cur,
                """INSERT INTO raw.fetch_page (fetch_id, page_no, cursor, http_status, fetched_at,
                       n_bytes, n_rows, sha256, request_id, note, body_gz) VALUES %s""",
                [
                    (fetch_id, p.page_no, p.cursor, p.http_status, p.fetched_at, p.n_bytes, p.n_rows,
                     p.sha256, p.request_id, p.note, psycopg2.Binary(p.body_gz))
                    for p in buffer.pages
                ],
                page_size=20,
            )
    return LandResult(fetch_id, status, False, n_rows, len(buffer.pages), buffer.n_bytes, sha)


def iter_page_bodies(fetch_id: int, *, url: str | None = None) -> Iterator[tuple[int, bytes]]:
    """(page_no, uncompressed body) in order, each checked against its stored sha256."""
    conn = db.connect(url)
    try:
        with conn.cursor(name=f"raw_pages_{fetch_id}") as cur:  # server-side: one page in memory
            cur.itersize = 8
            cur.execute(
                "SELECT page_no, sha256, body_gz FROM raw.fetch_page WHERE fetch_id = %s ORDER BY page_no",
                (fetch_id,),
            )
            for page_no, sha, body_gz in cur:
                body = gzip.decompress(bytes(body_gz))
                if hashlib.sha256(body).hexdigest() != sha:
                    raise E.RawFormatError(f"fetch {fetch_id} page {page_no}: body does not match its sha256")
                yield page_no, body
    finally:
        conn.close()


def decode_page(source_system: str, body: bytes, where: str, *, dataset: str | None = None) -> list[dict]:
    """Records of one stored page; named `RawFormatError` for anything that is not a valid page.

    Decoding is tolerant per value (`pantau.sources.jsondecode`): invalid UTF-8, NUL, lone
    surrogates, duplicate keys and too-deep nesting mark the record for quarantine instead of
    refusing the body. With ``dataset`` the row shape is checked while decoding (every record an
    object with at least one field the dataset knows), so a page of a million empty objects fails
    at once with `RawShapeError` instead of after normalising and validating all of them.
    """
    stripped = body.strip()
    if source_system not in ENVELOPE_SOURCES and (not stripped or stripped.startswith(b"<invalid_response>")):
        return []
    try:
        doc, needs_repair = jsondecode.loads(body)
    except json.JSONDecodeError as exc:
        kind = classify_json_error(body, exc)
        raise E.RawFormatError(f"{where}: {kind} JSON body ({len(body)} bytes): {exc}") from None
    if source_system in ENVELOPE_SOURCES:
        if not (isinstance(doc, dict) and isinstance(doc.get("data"), list)):
            raise E.RawFormatError(f"{where}: not an INAPROC envelope with a data array")
        records = doc["data"]
    elif isinstance(doc, list):
        records = doc
    elif isinstance(doc, dict) and isinstance(doc.get("data"), list):
        records = doc["data"]
    else:
        raise E.RawFormatError(f"{where}: JSON {type(doc).__name__} is not an array of records")
    if records and not all(isinstance(r, dict) for r in records):
        raise E.RawFormatError(f"{where}: array holds non-object items")
    if dataset is not None:
        check_row_shape(dataset, records, where)
    if needs_repair:
        n = jsondecode.repair_records(records)
        if n:
            log.warning("%s: %d record(s) held values PostgreSQL cannot store (invalid UTF-8, NUL, lone "
                        "surrogate or nesting deeper than %d); repaired and marked for quarantine",
                        where, n, jsondecode.MAX_DEPTH)
    return records


@lru_cache(maxsize=None)
def _known_fields(dataset: str) -> frozenset[str] | None:
    """Every field name that feeds a column of ``dataset`` (spec names and aliases); None if unknown."""
    from pantau.datasets import spec as dataset_spec
    from pantau.sources import aliases

    try:
        s = dataset_spec(dataset)
    except (KeyError, ValueError):
        return None
    cols = frozenset(s.column_names)
    names = set(cols) | {aliases.NESTED_BAPBAST}
    for table in (aliases.GLOBAL_ALIASES, aliases.DATASET_ALIASES.get(dataset, {})):
        names |= {alias for alias in table if aliases.canonical_name(dataset, alias, cols)}
    return frozenset(names)


def check_row_shape(dataset: str, records: list[dict], where: str) -> None:
    """Fail fast (`RawShapeError`) at the first record that has no field of ``dataset``.

    A record with no known field cannot be loaded or even keyed; when one turns up the feed has
    changed shape (or serves empty objects), and going on would only spend minutes and gigabytes
    before the validation says the same. Cheap: the first key of a record is almost always known.
    """
    known = _known_fields(dataset)
    if known is None:
        return
    for i, rec in enumerate(records):
        if not any(k in known for k in rec):
            keys = sorted(rec)[:8]
            raise RawShapeError(
                f"{where}: record {i} has no field of {dataset} (fields: {keys or 'none, empty object'}); "
                f"{len(records)} records on the page — the feed changed shape")


def read_fetch(fetch_id: int, *, url: str | None = None) -> RawFetch:
    """Decode a stored fetch into records (INAPROC: `data` arrays concatenated; ISB: the array)."""
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute(
            """SELECT dataset, source_system, kd_klpd, kd_lpse, tahun, status, error, n_pages
                 FROM raw.fetch WHERE fetch_id = %s""",
            (fetch_id,),
        )
        row = cur.fetchone()
    if row is None:
        raise E.FetchNotFound(f"raw.fetch {fetch_id} does not exist")
    dataset, source_system, kd_klpd, kd_lpse, tahun, status, error, n_pages = row
    instansi = kd_klpd if kd_lpse is None else f"{kd_klpd or ''} LPSE {kd_lpse}".strip()
    if status == "failed":
        raise E.FetchNotUsable(f"raw.fetch {fetch_id} ({dataset} {instansi} {tahun}) failed: {error}")
    records: list[dict] = []
    seen = 0
    for page_no, body in iter_page_bodies(fetch_id, url=url):
        where = f"raw.fetch {fetch_id} [{source_system}] {dataset} {instansi} {tahun} page {page_no}"
        records.extend(decode_page(source_system, body, where, dataset=dataset))
        seen += 1
    if seen != n_pages:
        raise E.RawFormatError(f"raw.fetch {fetch_id}: {seen} pages stored, {n_pages} recorded")
    return RawFetch(fetch_id, dataset, source_system, kd_klpd, kd_lpse, tahun, status, records)
