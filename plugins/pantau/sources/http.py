"""Shared HTTP plumbing for the ISB and INAPROC clients: session, streamed reads, retries, rate limit.

Retries use tenacity (installed with Airflow) rather than urllib3's `Retry`: urllib3 retries only
what it sees at the status-line level, but we must also retry failures found while *reading* a
streamed body (a cut connection, a read timeout mid-body) and failures that only the client can
classify (an nginx 502 page, INAPROC's error envelope), and honour `Retry-After` on 429.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, TypeVar

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from pantau.sources import errors as E

log = logging.getLogger(__name__)
T = TypeVar("T")
MiB = 1024 * 1024

#: Loggers of the HTTP stack that print request lines (urllib3 DEBUG: '"GET /isb-2/api/<key>/json/…"').
#: A filter on a logger applies only to records created by that very logger, not to its children's
#: records passing through, so each one gets the filter.
HTTP_LOGGERS = ("urllib3", "urllib3.connectionpool", "urllib3.connection", "urllib3.poolmanager",
                "urllib3.response", "urllib3.util.retry", "requests")


class RedactingFilter(logging.Filter):
    """Rewrites a log record's message (and traceback text) through `errors.redact` (issue 19 p. 15)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 — a broken record is the handler's problem, not ours
            return True
        cleaned = E.redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = E.redact(logging.Formatter().formatException(record.exc_info))
        return True


_REDACTING_FILTER = RedactingFilter()


def install_log_redaction() -> None:
    """Attach the redacting filter to every HTTP-stack logger (idempotent; runs at import)."""
    names = set(HTTP_LOGGERS) | {n for n in logging.Logger.manager.loggerDict if n.startswith("urllib3.")}
    for name in sorted(names):
        logger = logging.getLogger(name)
        if _REDACTING_FILTER not in logger.filters:
            logger.addFilter(_REDACTING_FILTER)


install_log_redaction()


@dataclass(frozen=True)
class HttpSettings:
    """Client knobs; production values come from `include/config/sources.yaml` (`http:`)."""

    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    total_timeout: float = 900.0  # whole body; a trickling server cannot hold a worker forever
    max_retries: int = 5  # retries after the first attempt
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    max_bytes: int = 256 * MiB  # per response body
    rate_per_sec: float | None = None  # in-process limit; cross-task limits are an Airflow pool
    chunk_size: int = 1 * MiB

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> "HttpSettings":
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)


class TokenBucket:
    """Thread-safe token bucket: `acquire()` blocks until a request may be sent.

    Hand-written because it is ten lines and the limit only needs to hold inside one worker
    process; the limit across Airflow mapped tasks is an Airflow pool.
    """

    def __init__(self, rate_per_sec: float, burst: int = 1) -> None:
        if rate_per_sec <= 0:
            raise ValueError("rate_per_sec must be > 0")
        self.rate = float(rate_per_sec)
        self.capacity = float(max(1, burst))
        self._tokens = self.capacity
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                wait = (1.0 - self._tokens) / self.rate
            time.sleep(wait)


@dataclass
class HttpResponse:
    """One HTTP answer, body read in full (verbatim bytes, nothing decoded)."""

    status: int
    body: bytes
    url: str  # redacted
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased selection, no secrets
    fetched_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    elapsed_s: float = 0.0

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


_KEEP_HEADERS = ("content-type", "content-length", "retry-after", "x-request-id", "content-encoding")


def client_settings(
    settings: HttpSettings | None,
    *,
    timeout: float | tuple[float, float] | None = None,
    max_retries: int | None = None,
    backoff_base: float | None = None,
    rate_limiter: "TokenBucket | None" = None,
) -> tuple[HttpSettings, "TokenBucket | None"]:
    """Settings with a client's keyword overrides applied, and its rate limiter (shared by both clients)."""
    from dataclasses import replace

    settings = settings or HttpSettings()
    if timeout is not None:
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        settings = replace(settings, connect_timeout=connect, read_timeout=read)
    if max_retries is not None:
        settings = replace(settings, max_retries=max_retries)
    if backoff_base is not None:
        settings = replace(settings, backoff_base=backoff_base)
    if rate_limiter is None and settings.rate_per_sec:
        rate_limiter = TokenBucket(settings.rate_per_sec)
    return settings, rate_limiter


def make_session(pool_size: int = 8) -> requests.Session:
    """A pooled session. No urllib3-level retries: `call_with_retries` owns the policy."""
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "pantau-pbj/0.1 (+procurement governance ETL)"
    return session


def get_bytes(
    session: requests.Session,
    url: str,
    *,
    settings: HttpSettings,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    ctx: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """GET and read the body in chunks with a size cap and an overall deadline.

    Returns any status (classification is the client's job); raises `SourceTimeout`,
    `SourceTransportError` (connection errors and bodies shorter than Content-Length) or
    `BodyTooLarge`. The partial body of a cut transfer rides on the exception's `page`.
    """
    ctx = dict(ctx or {})
    started = time.monotonic()
    fetched_at = datetime.now(timezone.utc)
    chunks: list[bytes] = []
    size = 0
    resp = None
    try:
        resp = session.get(
            url,
            params=params,
            headers=headers,
            timeout=(settings.connect_timeout, settings.read_timeout),
            stream=True,
        )
        kept = {k: resp.headers[k] for k in _KEEP_HEADERS if k in resp.headers}
        for chunk in resp.iter_content(chunk_size=settings.chunk_size):
            size += len(chunk)
            if size > settings.max_bytes:
                raise E.BodyTooLarge(
                    f"response body exceeds the cap of {settings.max_bytes} bytes; reading stopped",
                    http_status=resp.status_code,
                    **ctx,
                )
            chunks.append(chunk)
            if time.monotonic() - started > settings.total_timeout:
                raise E.SourceTimeout(
                    f"body not complete after {settings.total_timeout:.1f}s (total timeout)",
                    http_status=resp.status_code,
                    **ctx,
                )
    except (requests.exceptions.ConnectTimeout, requests.exceptions.ReadTimeout) as exc:
        raise E.SourceTimeout(f"timeout: {type(exc).__name__}", **ctx) from None
    except requests.exceptions.ConnectionError as exc:
        # requests wraps read timeouts during iter_content as ConnectionError(ReadTimeoutError).
        if "timed out" in str(exc).lower():
            raise E.SourceTimeout(f"timeout while reading the body: {type(exc).__name__}", **ctx) from None
        raise E.SourceTransportError(f"connection error: {E.redact(exc)}", **ctx) from None
    except requests.exceptions.ChunkedEncodingError as exc:
        partial = HttpResponse(resp.status_code if resp is not None else 0, b"".join(chunks), E.redact(url))
        raise E.SourceTransportError(
            f"body cut before its declared length after {size} bytes: {E.redact(exc)}",
            http_status=partial.status or None,
            page=partial,
            **ctx,
        ) from None
    except requests.exceptions.RequestException as exc:
        raise E.SourceTransportError(f"request failed: {E.redact(exc)}", **ctx) from None
    finally:
        if resp is not None:
            resp.close()
    return HttpResponse(
        status=resp.status_code,
        body=b"".join(chunks),
        url=E.redact(resp.url),
        headers={k.lower(): v for k, v in kept.items()},
        fetched_at=fetched_at,
        elapsed_s=time.monotonic() - started,
    )


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds form; HTTP-dates are rare here → None)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class _Wait:
    """Exponential backoff with full jitter; a 429's Retry-After wins (capped at backoff_max)."""

    def __init__(self, base: float, cap: float) -> None:
        self.base, self.cap = base, cap

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(float(retry_after), self.cap)
        exp = min(self.cap, self.base * (2 ** (state.attempt_number - 1)))
        return random.uniform(exp / 2, exp)  # "equal jitter": never zero, spreads herds


def call_with_retries(fn: Callable[[], T], *, settings: HttpSettings, what: str = "request") -> T:
    """Run `fn` until it succeeds or a non-retryable / last error; re-raise the last error as is.

    Only errors whose class says `retryable` are repeated: 429, 5xx, timeouts and cut
    connections. Every other 4xx (400/401/403/404 → `EndpointNotAvailable`) and every format or
    config error fails on the first attempt, because repeating the same request cannot change
    the answer and only delays the partition's failure (issue 14 point 2/3).
    """

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning("%s failed (attempt %d/%d), retrying: %s", what, state.attempt_number,
                    settings.max_retries + 1, exc)

    retrying = Retrying(
        stop=stop_after_attempt(settings.max_retries + 1),
        wait=_Wait(settings.backoff_base, settings.backoff_max),
        retry=retry_if_exception(lambda e: isinstance(e, E.SourceError) and e.retryable),
        before_sleep=before_sleep,
        reraise=True,
    )
    return retrying(fn)


@dataclass
class Page:
    """One page as received, ready for `raw.land_fetch` (body verbatim, never decoded for storage)."""

    page_no: int
    body: bytes
    http_status: int
    fetched_at: datetime
    url: str  # redacted
    cursor: str | None = None  # the cursor *sent* to obtain this page (None for the first)
    next_cursor: str | None = None
    has_more: bool = False
    n_rows: int | None = None
    request_id: str | None = None
    note: str | None = None  # e.g. "zero-byte body", "invalid_response"

    @classmethod
    def from_response(cls, resp: HttpResponse, page_no: int, **kw: Any) -> "Page":
        return cls(page_no=page_no, body=resp.body, http_status=resp.status,
                   fetched_at=resp.fetched_at, url=resp.url, **kw)
