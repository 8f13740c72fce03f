"""Client of ISB LKPP (`isb.lkpp.go.id/isb-2/api/{key}/json/{id}/{Dataset}/tipe/../parameter/..`).

One configured URL per (dataset, instansi) — the key is issued per subscriber and dataset, so URLs
are configuration, never derived (sources.md §1.1). The answer is a bare JSON array of the whole
year, or one of ISB's HTTP-200 text signals:
* `<invalid_response>Data Kosong, silakan ulangi</invalid_response>` → empty result;
* 0-byte body → empty result, recorded with a note (LKPP serves it for datasets without rows);
* `URL-NOT-DEFINED: …` → `IsbUrlNotDefined`.
HTTP 404 → `IsbEndpointNotAvailable` (never retried; extract tries the next routed source).
"""
from __future__ import annotations

import json
import logging
import re

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
)
from pantau.sources.inaproc import classify_json_error, format_error

log = logging.getLogger(__name__)
SOURCE_SYSTEM = "isb"
INVALID_RESPONSE = b"<invalid_response>"
URL_NOT_DEFINED = b"URL-NOT-DEFINED"
_FORBIDDEN_TEXT = re.compile(rb"^\s*(forbidden|access denied|invalid (api )?key|unauthori[sz]ed)", re.IGNORECASE)


class IsbClient:
    """Fetches one ISB URL (whole year, no paging) with retries, size cap and a rate limiter."""

    source_system = SOURCE_SYSTEM

    def __init__(
        self,
        *,
        timeout: float | tuple[float, float] | None = None,
        max_retries: int | None = None,
        backoff_base: float | None = None,
        rate_limiter: TokenBucket | None = None,
        settings: HttpSettings | None = None,
        session: requests.Session | None = None,
    ) -> None:
        settings, rate_limiter = client_settings(settings, timeout=timeout, max_retries=max_retries,
                                                 backoff_base=backoff_base, rate_limiter=rate_limiter)
        self.settings = settings
        self.rate_limiter = rate_limiter
        self.session = session or make_session()

    def fetch(self, url: str, *, dataset: str, instansi: str) -> Page:
        """The single page of one (dataset, instansi, tahun). `page.n_rows == 0` means empty."""
        ctx = {"source_system": SOURCE_SYSTEM, "dataset": dataset, "instansi": instansi}

        def attempt() -> Page:
            if self.rate_limiter:
                self.rate_limiter.acquire()
            resp = get_bytes(self.session, url, settings=self.settings, headers={"Accept": "application/json"}, ctx=ctx)
            return classify(resp, ctx)

        return call_with_retries(attempt, settings=self.settings, what=f"ISB {dataset} {instansi}")


def classify(resp: HttpResponse, ctx: dict) -> Page:
    """Turn one ISB response into a page (rows or empty) or the named error carrying the page."""
    page = Page.from_response(resp, 0)
    body = resp.body
    head = body.lstrip()[:64]
    kw = dict(http_status=resp.status, page=page, **ctx)
    if resp.status in (401, 403) or _FORBIDDEN_TEXT.match(head):
        raise E.IsbAuthError("ISB rejected the URL key (forbidden)", **kw)
    if resp.status == 429:
        raise E.SourceRateLimited("rate limited", retry_after=None, **kw)
    if resp.status >= 500:
        raise E.SourceServerError(f"server error: {E.redact(head.decode('utf-8', 'replace'))!r}", **kw)
    if resp.status == 404:  # ISB does not serve this dataset/URL: no retry, extract may fall back
        raise E.IsbEndpointNotAvailable(
            f"ISB answered 404: {E.redact(head.decode('utf-8', 'replace')).strip()!r}", url=resp.url, **kw)
    if resp.status >= 400:
        raise E.SourceHTTPError(f"request rejected: {E.redact(head.decode('utf-8', 'replace'))!r}", **kw)
    if not body.strip():
        page.n_rows, page.note = 0, ("zero-byte body" if not body else "whitespace-only body")
        return page
    if head.startswith(INVALID_RESPONSE):
        page.n_rows, page.note = 0, "invalid_response (Data Kosong)"
        return page
    if head.startswith(URL_NOT_DEFINED):
        raise E.IsbUrlNotDefined(
            f"ISB does not know this URL: {E.redact(body[:200].decode('utf-8', 'replace'))!r}", **kw)
    try:
        # tolerant: an invalid UTF-8 byte, a NUL or deep nesting in one value must not refuse the
        # whole year's body (issue 19 point 5); the affected rows are quarantined after landing
        doc, _ = jsondecode.loads(body)
    except json.JSONDecodeError as exc:
        raise format_error(classify_json_error(body, exc), body, "an ISB JSON array", **kw) from None
    if isinstance(doc, dict) and isinstance(doc.get("data"), list):  # defensive, seen in some clients
        doc = doc["data"]
    if not isinstance(doc, list):
        raise E.SourceFormatError(f"JSON {type(doc).__name__} instead of an ISB array", **kw)
    page.n_rows = len(doc)
    return page
