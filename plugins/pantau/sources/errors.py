"""Named errors of the source layer, and the redaction every message goes through.

Why one module: extract, the DAG and the tests all need to tell *what kind* of failure happened
(auth → page a human, 429 → slow down, format → keep the payload and open a ticket with LKPP)
without parsing message text. Every message names the source system, dataset and instansi, and
the INAPROC request id when there is one, so an operator can quote it to LKPP; no message ever
carries a Bearer token or an ISB URL key (see `redact`).
"""
from __future__ import annotations

import re
from typing import Any

# ISB keys live in the URL path: /isb-2/api/{key}/json/... (also /isb/api/.., /csv/..).
_ISB_KEY = re.compile(r"(/api/)(?!satudata/|v1/|legacy/)([^/?#\s\"']+)(/(?:json|csv|xml)/)", re.IGNORECASE)
# The same rules as the SQL side (audit.redact_url, 035_lineage.sql): a long key-like path segment
# after /api/, credentials in the authority part, and token-like query parameters.
_API_KEY_SEGMENT = re.compile(r"(/api/)(?!satudata/|v1/|legacy/)[0-9A-Za-z-]{16,}(/)")
_USERINFO = re.compile(r"(://)[^/@\s\"']+@")
_QUERY_SECRET = re.compile(
    r"([?&](?:token|access_token|api_key|apikey|key|secret|password|signature)=)[^&#\s\"']*", re.IGNORECASE)
_BEARER = re.compile(r"(Bearer\s+)[^\s'\"]+", re.IGNORECASE)
_SECRETS: set[str] = set()  # tokens registered by clients at construction; redacted verbatim
REDACTED = "***"


def register_secret(secret: str | None) -> None:
    """Remember a secret so `redact` scrubs it from any text (e.g. an exception from a library)."""
    if secret and len(secret) >= 4:
        _SECRETS.add(secret)


def redact(text: Any) -> str:
    """Text safe for logs, exceptions and `raw.fetch`: ISB URL keys, credentials, token-like query
    parameters, Bearer tokens and registered secrets replaced by ***.

    The one redaction of the Python side (exceptions, `raw.fetch.url`, the urllib3 log filter in
    `pantau.sources.http`); it covers at least what `audit.redact_url` covers in SQL.
    """
    out = str(text)
    if "/api/" in out:
        out = _ISB_KEY.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}", out)
        out = _API_KEY_SEGMENT.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(2)}", out)
    if "@" in out:
        out = _USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", out)
    if "=" in out:
        out = _QUERY_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}", out)
    out = _BEARER.sub(lambda m: f"{m.group(1)}{REDACTED}", out)
    for secret in _SECRETS:
        out = out.replace(secret, REDACTED)
    return out


def redact_body(body: bytes) -> bytes:
    """A response body with secrets scrubbed (error pages such as `URL-NOT-DEFINED: <path>` echo
    the keyed URL). Used only for failed pages: data pages are stored untouched."""
    text = body.decode("utf-8", "surrogateescape")
    cleaned = redact(text)
    return body if cleaned == text else cleaned.encode("utf-8", "surrogateescape")


class SourceError(Exception):
    """Base of every source failure.

    `page` (optional) is the offending response as received (status, headers-derived request id,
    verbatim body), so extract can land the bad payload for diagnosis. `retryable` tells the
    retry loop whether repeating the request can help.
    """

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        source_system: str = "?",
        dataset: str = "?",
        instansi: str = "?",
        request_id: str | None = None,
        http_status: int | None = None,
        page: Any = None,
    ) -> None:
        self.detail = redact(message)
        self.source_system = source_system
        self.dataset = dataset
        self.instansi = instansi
        self.request_id = request_id
        self.http_status = http_status
        self.page = page
        self.fetch_id: int | None = None  # set by extract once the failure is landed
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [f"[{self.source_system}] {self.dataset} {self.instansi}: {self.detail}"]
        if self.http_status is not None:
            parts.append(f"HTTP {self.http_status}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return redact(" | ".join(parts))

    def with_context(self, **ctx: Any) -> "SourceError":
        """Fill in context (dataset, instansi, fetch_id…) known only to the caller; re-render."""
        for key, value in ctx.items():
            if value is not None:
                setattr(self, key, value)
        self.args = (self._render() + (f" | fetch_id={self.fetch_id}" if self.fetch_id else ""),)
        return self

    def __str__(self) -> str:  # args[0] is kept current by with_context
        return str(self.args[0]) if self.args else self._render()


class SourceConfigError(SourceError):
    """No URL/token configured for a partition, or a configured URL does not fit the request."""


class SourceTransportError(SourceError):
    """Connection refused/reset, or the body ended before its Content-Length: worth a retry."""

    retryable = True


class SourceTimeout(SourceTransportError):
    """Connect or read timeout (after the last retry this is what surfaces)."""


class SourceHTTPError(SourceError):
    """A non-2xx answer not covered by a more specific class."""


class SourceServerError(SourceHTTPError):
    """5xx (also an nginx 502 HTML page): transient on the provider side, retried."""

    retryable = True


class SourceRateLimited(SourceHTTPError):
    """429. `retry_after` (seconds) is honoured by the retry loop when the server sends it."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)


class SourceAuthError(SourceHTTPError):
    """401/403: token or ISB key rejected. Never retried (it will not fix itself)."""


class EndpointNotAvailable(SourceHTTPError):
    """HTTP 404 from a source for a dataset it does not serve ("endpoint not available").

    Why a class of its own: INAPROC v1 answers 404 for some configured paths (issue 14: struktur
    anggaran PD, non-tender e-kontrak, toko daring). That is a fact about the source, not a
    transient fault and not a crash: extract tries the next routed source, and when none is left
    the partition gets the status `endpoint_not_available`. Never retried. `tahun` and the
    redacted `url` are kept so the message names the whole partition and what was asked.
    """

    def __init__(self, message: str, *, tahun: int | None = None, url: str | None = None,
                 attempts: tuple[str, ...] = (), **kw: Any) -> None:
        self.tahun = tahun
        self.url = redact(url) if url else None
        self.attempts = tuple(attempts)  # "<source>: <what happened>", in the order tried
        kw.setdefault("http_status", 404)
        super().__init__(message, **kw)

    def _render(self) -> str:
        tahun = f" tahun {self.tahun}" if getattr(self, "tahun", None) is not None else ""
        head = f"[{self.source_system}] {self.dataset} {self.instansi}{tahun}: endpoint not available: {self.detail}"
        parts = [head]
        if self.http_status is not None:
            parts.append(f"HTTP {self.http_status}")
        if getattr(self, "url", None):
            parts.append(f"url={self.url}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return redact(" | ".join(parts))


class SourceFormatError(SourceError):
    """HTTP 200 but the body is not what the source documents (malformed/truncated JSON, HTML…)."""


class HtmlErrorPage(SourceFormatError):
    """An HTML page (proxy/nginx error page) where JSON was expected."""


class TruncatedBody(SourceFormatError):
    """JSON that stops mid-value (the connection was cut but Content-Length matched)."""


class BodyTooLarge(SourceError):
    """The body exceeded the configured size cap; reading stopped to protect the worker."""


class RepeatingCursor(SourceError):
    """INAPROC returned a cursor already seen with has_more=true: following it would loop forever."""


class TooManyPages(SourceError):
    """More pages than the configured cap: a safety net against cursors that never end."""


# INAPROC-specific names (the brief's vocabulary); they are the generic classes underneath so a
# caller can catch either.
class InaprocError(SourceError):
    """Any INAPROC API Gateway failure."""


class InaprocAuthError(InaprocError, SourceAuthError):
    pass


class InaprocRateLimited(InaprocError, SourceRateLimited):
    pass


class InaprocServerError(InaprocError, SourceServerError):
    pass


class InaprocClientError(InaprocError, SourceHTTPError):
    """400 (and other 4xx but 401/403/404/429): the request itself is wrong (parameters)."""


class InaprocEndpointNotAvailable(InaprocClientError, EndpointNotAvailable):
    """404 from the gateway: this v1 path is not served (for this year, or at all)."""


class IsbError(SourceError):
    """Any ISB failure."""


class IsbAuthError(IsbError, SourceAuthError):
    """ISB answered 403 / 'forbidden' text: the URL key is wrong or revoked."""


class IsbEndpointNotAvailable(IsbError, EndpointNotAvailable):
    """HTTP 404 from ISB for a configured URL: the dataset is not served there."""


class IsbUrlNotDefined(IsbError):
    """ISB answered HTTP 200 `URL-NOT-DEFINED: …`: the dataset name or parameter path is wrong."""


class RawError(Exception):
    """Stored raw pages cannot be decoded (read side)."""


class FetchNotFound(RawError):
    pass


class FetchNotUsable(RawError):
    """The fetch is 'failed': its pages are kept for diagnosis, not for loading."""


class RawFormatError(RawError):
    """A stored page is not valid for its source (invalid/truncated JSON, wrong shape, bad hash)."""
