"""Which task failures are worth a retry, and which must fail the task at once.

Why: Airflow retries every failure with backoff (`dagkit.default_args`). For an HTTP 404, a
rejected token, a repeating cursor or a critical validation finding the next try gets the very
same answer, so three retries only cost ~6 minutes per family and hide the real reason behind
"up_for_retry". The task wrappers ask `is_permanent` and re-raise a permanent error as
`AirflowFailException` (no retry); transient ones (429, 5xx, timeouts, dropped connections, a
database that went away) are re-raised unchanged so the backoff retries still cover them.

Classes are matched by name as well as by type, so this module imports nothing heavy and keeps
working when a layer adds a subclass (e.g. `EndpointNotAvailable`, `UnknownInstansi`).
"""
from __future__ import annotations

import traceback
from types import TracebackType

PERMANENT_HTTP = frozenset({400, 401, 403, 404})
TRANSIENT_HTTP = frozenset({408, 429})  # plus every 5xx

# Error classes (by name, anywhere in the MRO) whose next attempt would fail the same way.
PERMANENT_NAMES = frozenset({
    "SourceConfigError",      # no URL/token for a partition, URL does not fit the request
    "SourceAuthError",        # 401/403 token or ISB key rejected
    "IsbUrlNotDefined",       # ISB "URL-NOT-DEFINED": dataset name or parameter path wrong
    "EndpointNotAvailable",   # 404: the source does not serve this dataset/year
    "RepeatingCursor",        # the same cursor twice: following it again loops again
    "TooManyPages",           # the page cap was hit: the next try hits it too
    "CriticalValidationError",  # the payload is kept; the same rows fail the same expectation
    "LoadError",              # fetch unknown/failed, snapshot older than the loaded one
    "FetchNotUsable",         # a 'failed' fetch is never loadable
    "FetchNotFound",
    "UnknownInstansi",        # kd_klpd not in pantau.yaml
    "AirflowFailException",
})
# Error classes that are transient even if they also subclass ValueError/KeyError.
TRANSIENT_NAMES = frozenset({
    "SourceTransportError", "SourceTimeout", "SourceServerError", "SourceRateLimited",
    "OperationalError", "InterfaceError",  # psycopg2: server restarted, connection dropped
    "ConnectionError", "Timeout", "ReadTimeout", "ConnectTimeout", "ChunkedEncodingError",
})
# Modules whose KeyError/ValueError means "the configuration is wrong", not "try again".
CONFIG_MODULES = ("pantau.config", "pantau.instansi", "pantau.pipeline", "pantau.dagkit",
                  "pantau.sources.routing", "pantau.metrics.config", "yaml")


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _raised_in_config(tb: TracebackType | None) -> bool:
    """True if any frame of the traceback runs in a configuration-reading module."""
    for frame, _ in traceback.walk_tb(tb):
        module = str(frame.f_globals.get("__name__", ""))
        if any(module == m or module.startswith(m + ".") for m in CONFIG_MODULES):
            return True
    return False


def http_status(exc: BaseException) -> int | None:
    """The HTTP status an error carries (`SourceError.http_status`), if any."""
    status = getattr(exc, "http_status", None)
    try:
        return int(status) if status is not None else None
    except (TypeError, ValueError):
        return None


def is_transient(exc: BaseException) -> bool:
    """429, 5xx, timeouts and connection errors: a later attempt can succeed."""
    status = http_status(exc)
    if status is not None and (status in TRANSIENT_HTTP or 500 <= status <= 599):
        return True
    if getattr(exc, "retryable", False) is True:
        return True
    if _names(exc) & TRANSIENT_NAMES:
        return True
    return isinstance(exc, (TimeoutError, ConnectionError))


def is_permanent(exc: BaseException) -> bool:
    """True when retrying `exc` cannot help (see the module docstring for the list)."""
    if is_transient(exc):
        return False
    if http_status(exc) in PERMANENT_HTTP:
        return True
    if _names(exc) & PERMANENT_NAMES:
        return True
    if isinstance(exc, (KeyError, ValueError)):
        return _raised_in_config(exc.__traceback__)
    return False


def describe(exc: BaseException) -> str:
    """One line for logs and `audit.partition_run.reason`: class and message (already redacted
    by the source layer)."""
    text = str(exc).strip() or repr(exc)
    return f"{type(exc).__name__}: {text}"
