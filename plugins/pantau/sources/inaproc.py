"""Client of the INAPROC API Gateway v1 (`data.inaproc.id/api/v1/...`, sources.md §1.3).

Cursor pagination, Bearer token, `{success, data, meta{limit, has_more, cursor}}` envelope. The
client yields each page's verbatim bytes (for `raw.fetch_page`); it parses a page only to read the
cursor and to recognise errors, never to transform rows.

Snapshot consistency (issue 19 point 2): the cursor is an offset into a list that can change
between two requests. When a page had to be retried, the source may have changed while we waited,
so the pages read before and after the retry can belong to different states of the source (rows
skipped or read twice at the seam). `read_snapshot` then re-reads the partition from page one, a
bounded number of times, and accepts a pass only when it needed no retry (and any `meta.total`
stayed put) or when two passes returned identical bytes; otherwise it says the fetch is not one
consistent snapshot, so the loader will not use it to mark rows deleted.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Protocol

import requests

from pantau.sources import errors as E
from pantau.sources import jsondecode
from pantau.sources.http import (
    client_settings,
    HttpResponse,
    HttpSettings,
    Page,
    TokenBucket,
    call_with_retries,
    get_bytes,
    make_session,
    parse_retry_after,
)

log = logging.getLogger(__name__)
SOURCE_SYSTEM = "inaproc_v1"
MAX_LIMIT = 1000
DEFAULT_SNAPSHOT_PASSES = 3  # reads of one partition at most, when pages had to be retried


@dataclass
class InaprocPage(Page):
    """A page plus what only the envelope and the retry loop know."""

    attempts: int = 1              # HTTP attempts this page took (1 = no retry)
    total: int | None = None       # `meta.total` when the gateway sends one (the documented envelope has none)


class PageSink(Protocol):
    """Where `read_snapshot` puts the pages of one pass (e.g. `raw.PageBuffer`)."""

    def add(self, page: Page) -> Any: ...


@dataclass(frozen=True)
class SnapshotCheck:
    """Outcome of `read_snapshot`: were the kept pages one consistent snapshot of the source?"""

    consistent: bool
    passes: int                   # passes read (the last one is the pages kept)
    note: str | None = None       # why a re-read happened / why it is inconsistent (None: clean first pass)


def pass_problems(pages: list[InaprocPage]) -> list[str]:
    """Why one pass may not be one snapshot: a page after the first that had to be retried (the
    pages before it were read before the wait, those after it after: a change in between leaves a
    seam), a `meta.total` that changed between pages or does not match the rows received. A retry
    of the first page leaves no seam: nothing was read before it."""
    problems = [f"page {p.page_no} needed {p.attempts} attempts" for p in pages if p.attempts > 1 and p.page_no > 0]
    totals = [p.total for p in pages if p.total is not None]
    if len(set(totals)) > 1:
        problems.append(f"meta.total changed between pages: {sorted(set(totals))}")
    elif totals and pages and all(p.n_rows is not None for p in pages):
        received = sum(p.n_rows or 0 for p in pages)
        if received != totals[0]:
            problems.append(f"meta.total is {totals[0]} but {received} rows were received")
    return problems


def classify_json_error(body: bytes, exc: json.JSONDecodeError | UnicodeDecodeError) -> str:
    """Why a body is not JSON, in words an operator can act on (HTML page / cut / malformed)."""
    head = body.lstrip()[:200].lower()
    if not body:
        return "empty"
    if head.startswith(b"<!doctype html") or head.startswith(b"<html") or b"<html" in head:
        return "html"
    # A cut body starts like a document but lacks its closing bracket (or ends inside a string).
    stripped = body.strip()
    closer = {b"[": b"]", b"{": b"}"}.get(stripped[:1])
    if closer and (not stripped.endswith(closer) or "Unterminated string" in str(exc)):
        return "truncated"
    return "malformed"


def format_error(kind: str, body: bytes, what: str, **ctx: Any) -> E.SourceFormatError:
    """The named format error for a non-JSON body, carrying a short, safe excerpt."""
    excerpt = E.redact(body[:120].decode("utf-8", "replace")).replace("\n", " ")
    if kind == "html":
        return E.HtmlErrorPage(f"HTML page instead of {what}: {excerpt!r}", **ctx)
    if kind == "truncated":
        return E.TruncatedBody(f"{what} ends mid-value after {len(body)} bytes (truncated body)", **ctx)
    if kind == "empty":
        return E.SourceFormatError(f"empty body (0 bytes) instead of {what}", **ctx)
    return E.SourceFormatError(f"malformed JSON instead of {what}: {excerpt!r}", **ctx)


def _as_count(value: Any) -> int | None:
    """`meta.total` as an int, or None when absent or not a count (never an error: it is a hint)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        count = int(value)
    except (TypeError, ValueError):
        return None
    return count if count >= 0 else None


class InaprocClient:
    """One configured gateway (base URL + token). Thread-safe enough for one task at a time."""

    source_system = SOURCE_SYSTEM

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float | tuple[float, float] | None = None,
        max_retries: int | None = None,
        backoff_base: float | None = None,
        rate_limiter: TokenBucket | None = None,
        settings: HttpSettings | None = None,
        max_pages: int = 100_000,
        session: requests.Session | None = None,
    ) -> None:
        if not token:
            raise E.SourceConfigError("no INAPROC token configured", source_system=SOURCE_SYSTEM)
        settings, rate_limiter = client_settings(settings, timeout=timeout, max_retries=max_retries,
                                                 backoff_base=backoff_base, rate_limiter=rate_limiter)
        self.base_url = base_url.rstrip("/")
        self._token = token
        E.register_secret(token)
        self.settings = settings
        self.rate_limiter = rate_limiter
        self.max_pages = max_pages
        self.session = session or make_session()

    def __repr__(self) -> str:  # never show the token
        return f"InaprocClient({self.base_url!r})"

    def url_for(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def iter_pages(
        self,
        path: str,
        kode_klpd: str,
        tahun: int,
        limit: int = MAX_LIMIT,
        extra_params: Mapping[str, Any] | None = None,
        *,
        dataset: str | None = None,
        instansi: str | None = None,
    ) -> Iterator[InaprocPage]:
        """Yield every page of one (path, kode_klpd, tahun), following `meta.cursor`.

        Stops when `has_more` is false or the cursor is empty. Raises `RepeatingCursor` when a
        cursor comes back that was already followed (a documented quirk: "cursor boleh sama").
        """
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be 1..{MAX_LIMIT}")
        ctx = {"source_system": SOURCE_SYSTEM, "dataset": dataset or path, "instansi": instansi or kode_klpd}
        params: dict[str, Any] = {"kode_klpd": kode_klpd, "tahun": tahun, "limit": limit, **(extra_params or {})}
        seen: set[str] = set()
        cursor: str | None = None
        for page_no in range(self.max_pages):
            page = self.fetch_page(path, {**params, **({"cursor": cursor} if cursor else {})}, page_no, cursor, ctx)
            yield page
            if not page.has_more or not page.next_cursor:
                return
            if page.next_cursor in seen or page.next_cursor == cursor:
                raise E.RepeatingCursor(
                    f"cursor {page.next_cursor[:40]!r} repeated at page {page_no} with has_more=true; "
                    f"stopped to avoid an endless loop",
                    request_id=page.request_id,
                    **ctx,
                )
            seen.add(page.next_cursor)
            cursor = page.next_cursor
        raise E.TooManyPages(f"more than {self.max_pages} pages; stopped", **ctx)

    def read_snapshot(
        self,
        path: str,
        kode_klpd: str,
        tahun: int,
        new_sink: Callable[[], PageSink],
        limit: int = MAX_LIMIT,
        *,
        max_passes: int = DEFAULT_SNAPSHOT_PASSES,
        dataset: str | None = None,
        instansi: str | None = None,
    ) -> SnapshotCheck:
        """Read every page of the partition into sinks from `new_sink()` (one per pass; the caller
        keeps the last), re-reading from page one while a pass is not provably one snapshot.

        A pass is accepted when `pass_problems` finds nothing, or when its bytes equal the previous
        pass's (the source did not change across two complete reads). After `max_passes` the last
        pass is kept with `consistent=False`. Errors of a page (after its retries) propagate.
        """
        if max_passes < 1:
            raise ValueError("max_passes must be >= 1")
        where = f"INAPROC {dataset or path} {instansi or kode_klpd} {tahun}"
        history: list[str] = []
        previous_sha: str | None = None
        for pass_no in range(1, max_passes + 1):
            sink = new_sink()
            pages: list[InaprocPage] = []
            sha = hashlib.sha256()
            for page in self.iter_pages(path, kode_klpd, tahun, limit, dataset=dataset, instansi=instansi):
                sink.add(page)
                sha.update(page.body)
                pages.append(page)
            problems = pass_problems(pages)
            digest = sha.hexdigest()
            if not problems:
                note = None if pass_no == 1 else f"consistent on pass {pass_no} ({'; '.join(history)})"
                return SnapshotCheck(True, pass_no, note)
            history.append(f"pass {pass_no}: {', '.join(problems)}")
            if digest == previous_sha:
                return SnapshotCheck(True, pass_no, f"passes {pass_no - 1} and {pass_no} identical ({'; '.join(history)})")
            previous_sha = digest
            if pass_no < max_passes:
                log.warning("%s: pass %d may not be one snapshot (%s); reading again from page one",
                            where, pass_no, ", ".join(problems))
        note = f"not one snapshot after {max_passes} pass(es): {'; '.join(history)}"
        log.warning("%s: %s; it will be loaded without marking rows deleted", where, note)
        return SnapshotCheck(False, max_passes, note)

    def fetch_page(
        self, path: str, params: Mapping[str, Any], page_no: int, cursor: str | None, ctx: Mapping[str, Any]
    ) -> Page:
        """One page, with retries on 5xx/429/timeouts/cut connections; `attempts` says how many it took."""
        url = self.url_for(path)
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        attempts = 0

        def attempt() -> InaprocPage:
            nonlocal attempts
            attempts += 1
            if self.rate_limiter:
                self.rate_limiter.acquire()
            resp = get_bytes(self.session, url, settings=self.settings, params=params, headers=headers, ctx=ctx)
            return self._to_page(resp, page_no, cursor, ctx)

        page = call_with_retries(attempt, settings=self.settings, what=f"INAPROC {ctx['dataset']} page {page_no}")
        page.attempts = attempts
        return page

    def _to_page(self, resp: HttpResponse, page_no: int, cursor: str | None, ctx: Mapping[str, Any]) -> InaprocPage:
        """Classify one response: a good page, or the named error (carrying the page as received)."""
        page = InaprocPage.from_response(resp, page_no, cursor=cursor, request_id=resp.headers.get("x-request-id"))
        try:
            # The tolerant decoder: invalid UTF-8 or a nesting bomb in one value marks its row later
            # (normalise), it must not fail the whole fetch here.
            doc = jsondecode.loads(resp.body)[0]
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            kind = classify_json_error(resp.body, exc)
            if resp.status >= 400:
                raise self._http_error(resp, page, None, f"non-JSON error body ({kind})", ctx) from None
            raise format_error(kind, resp.body, "the INAPROC JSON envelope", http_status=resp.status,
                               request_id=page.request_id, page=page, **ctx) from None
        if isinstance(doc, dict):
            meta = doc.get("meta") if isinstance(doc.get("meta"), dict) else {}
            page.request_id = page.request_id or meta.get("request_id")
        if resp.status >= 400 or (isinstance(doc, dict) and doc.get("success") is False):
            err = doc.get("error") if isinstance(doc, dict) else None
            if isinstance(err, dict):
                message = f"{err.get('code', '')}: {err.get('message', '')}".strip(": ")
            elif isinstance(doc, dict) and "error" in doc:  # {"error": "Authorization field missing"}
                message = str(doc["error"])
            else:
                message = "error without envelope"
            raise self._http_error(resp, page, doc, message, ctx)
        if not (isinstance(doc, dict) and isinstance(doc.get("data"), list) and isinstance(doc.get("meta"), dict)):
            raise E.SourceFormatError(
                "JSON is not the {success, data[], meta} envelope", http_status=resp.status,
                request_id=page.request_id, page=page, **ctx)
        meta = doc["meta"]
        page.n_rows = len(doc["data"])
        page.has_more = bool(meta.get("has_more"))
        page.next_cursor = (str(meta["cursor"]) if meta.get("cursor") not in (None, "") else None)
        page.total = _as_count(meta.get("total"))
        return page

    def _http_error(self, resp: HttpResponse, page: Page, doc: Any, message: str, ctx: Mapping[str, Any]) -> E.SourceError:
        kw = dict(http_status=resp.status, request_id=page.request_id, page=page, **ctx)
        status = resp.status
        if status in (401, 403):
            return E.InaprocAuthError(f"rejected credentials: {message}", **kw)
        if status == 429:
            return E.InaprocRateLimited(f"rate limited: {message}",
                                        retry_after=parse_retry_after(resp.headers.get("retry-after")), **kw)
        if status >= 500:
            return E.InaprocServerError(f"server error: {message}", **kw)
        if status == 404:  # the gateway does not serve this path: a fact, not a fault (no retry)
            return E.InaprocEndpointNotAvailable(f"INAPROC answered 404 ({message})",
                                                 url=page.url.split("?", 1)[0], **kw)
        if status >= 400:
            return E.InaprocClientError(f"request rejected: {message}", **kw)
        return E.InaprocError(f"success=false with HTTP {status}: {message}", **kw)
