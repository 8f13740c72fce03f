"""Client of the INAPROC API Gateway v1 (`data.inaproc.id/api/v1/...`, sources.md §1.3).

Cursor pagination, Bearer token, `{success, data, meta{limit, has_more, cursor}}` envelope. The
client yields each page's verbatim bytes (for `raw.fetch_page`); it parses a page only to read the
cursor and to recognise errors, never to transform rows.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Iterator, Mapping

import requests

from pantau.sources import errors as E
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
    ) -> Iterator[Page]:
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

    def fetch_page(
        self, path: str, params: Mapping[str, Any], page_no: int, cursor: str | None, ctx: Mapping[str, Any]
    ) -> Page:
        """One page, with retries on 5xx/429/timeouts/cut connections."""
        url = self.url_for(path)
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}

        def attempt() -> Page:
            if self.rate_limiter:
                self.rate_limiter.acquire()
            resp = get_bytes(self.session, url, settings=self.settings, params=params, headers=headers, ctx=ctx)
            return self._to_page(resp, page_no, cursor, ctx)

        return call_with_retries(attempt, settings=self.settings, what=f"INAPROC {ctx['dataset']} page {page_no}")

    def _to_page(self, resp: HttpResponse, page_no: int, cursor: str | None, ctx: Mapping[str, Any]) -> Page:
        """Classify one response: a good page, or the named error (carrying the page as received)."""
        page = Page.from_response(resp, page_no, cursor=cursor, request_id=resp.headers.get("x-request-id"))
        try:
            doc = json.loads(resp.body)
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
