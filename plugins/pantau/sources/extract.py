"""Extract one partition (dataset × instansi × tahun): route → fetch every page → land raw.

Parses nothing beyond what the clients need to follow cursors and recognise errors; the verbatim
pages go to `raw.fetch_page`. On failure the pages received so far (including the offending one)
are landed under a 'failed' fetch for diagnosis and the named error is re-raised with its
`fetch_id`, so the Airflow task fails visibly.

Routing gives an ordered list of candidate sources (e.g. INAPROC v1, then ISB). A 404 from one
("endpoint not available") is landed as a 'failed' fetch, logged, and the next candidate is
tried; when the last candidate 404s too, `EndpointNotAvailable` names every attempt.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Sequence

import requests

from pantau.sources import errors as E
from pantau.sources import raw
from pantau.sources.http import Page
from pantau.sources.inaproc import InaprocClient
from pantau.sources.isb import IsbClient
from pantau.sources.routing import SourcePlan, candidate_plans

log = logging.getLogger(__name__)
PROGRESS_EVERY = 50  # pages between INFO progress lines


@dataclass(frozen=True)
class FetchResult:
    fetch_id: int
    status: str  # 'ok' | 'empty'
    n_rows: int | None
    reused: bool
    source_system: str = ""
    n_pages: int = 0
    n_bytes: int = 0
    sha256: str = ""
    # Earlier candidates that did not serve the partition, e.g. "inaproc_v1: endpoint not
    # available (HTTP 404, fetch_id=12)", so the run can say the data came from a fallback.
    fallbacks: tuple[str, ...] = ()


def _collect(plan: SourcePlan, buffer: raw.PageBuffer, session: requests.Session | None) -> None:
    """Fetch every page of the plan into `buffer` (compressed as they arrive)."""
    if plan.source_system == "isb":
        page = IsbClient(settings=plan.http, session=session).fetch(plan.url, dataset=plan.dataset,
                                                                    instansi=plan.instansi)
        buffer.add(page)
        return
    if plan.source_system == "inaproc_v1":
        client = InaprocClient(plan.url, plan.token or "", settings=plan.http, session=session)
        for page in client.iter_pages(plan.path or "", plan.kd_klpd or "", plan.tahun, limit=plan.page_limit,
                                      dataset=plan.dataset, instansi=plan.instansi):
            buffer.add(page)
            if len(buffer.pages) % PROGRESS_EVERY == 0:
                log.info("%s %s %s: %d pages, %d rows so far", plan.dataset, plan.instansi, plan.tahun,
                         len(buffer.pages), buffer.n_rows)
        return
    raise E.SourceConfigError(f"extract cannot fetch from {plan.source_system!r}", dataset=plan.dataset)


def _meta(plan: SourcePlan, started: datetime) -> raw.FetchMeta:
    return raw.FetchMeta(plan.source_system, plan.dataset, plan.kd_klpd, plan.kd_lpse, plan.tahun,
                         plan.redacted_url, {**plan.params, "limit": plan.page_limit}
                         if plan.source_system == "inaproc_v1" else dict(plan.params), started)


def extract_partition(
    dataset: str,
    kd_klpd: str,
    tahun: int,
    *,
    url: str | None = None,
    plan: SourcePlan | Sequence[SourcePlan] | None = None,
    session: requests.Session | None = None,
) -> FetchResult:
    """Fetch and land one partition; `url` is the warehouse URL, `plan` (one or an ordered list)
    overrides routing.

    Returns the landed (or reused) fetch; raises the named `SourceError` (with `.fetch_id` of the
    'failed' fetch row) when the source could not be read completely, `EndpointNotAvailable` when
    every candidate that could be tried answered 404.
    """
    if plan is None:
        candidates: Iterable[SourcePlan | E.SourceConfigError] = candidate_plans(dataset, kd_klpd, tahun)
    else:
        candidates = [plan] if isinstance(plan, SourcePlan) else list(plan)
    attempts: list[str] = []
    not_available: E.EndpointNotAvailable | None = None
    config_errors: list[E.SourceConfigError] = []
    for item in candidates:
        if isinstance(item, E.SourceConfigError):
            config_errors.append(item)
            log.warning("extract %s %s %s: source %s not configured, trying the next: %s", dataset, kd_klpd,
                        tahun, item.source_system, item)
            continue
        try:
            res = _extract_one(item, url, session)
        except E.EndpointNotAvailable as exc:
            not_available = exc
            attempts.append(f"{item.source_system}: endpoint not available (HTTP {exc.http_status} at "
                            f"{item.redacted_url}, fetch_id={exc.fetch_id})")
            log.warning("extract %s %s %s: %s answered 404 (endpoint not available); trying the next source",
                        dataset, item.instansi, tahun, item.source_system)
            continue
        except E.SourceError as exc:
            if attempts:  # say that this was already a fallback
                exc.detail = f"{exc.detail} (after {'; '.join(attempts)})"
                exc.with_context()
            raise
        if attempts or config_errors:
            log.warning("extract %s %s %s: served by %s after %s", dataset, item.instansi, tahun,
                        item.source_system, "; ".join(attempts + [f"{e.source_system}: not configured"
                                                                  for e in config_errors]))
        return FetchResult(res.fetch_id, res.status, res.n_rows, res.reused, item.source_system, res.n_pages,
                           res.n_bytes, res.sha256, tuple(attempts))
    raise _nothing_served(dataset, kd_klpd, tahun, not_available, attempts, config_errors)


def _nothing_served(dataset: str, kd_klpd: str, tahun: int, not_available: E.EndpointNotAvailable | None,
                    attempts: list[str], config_errors: list[E.SourceConfigError]) -> E.SourceError:
    """The error for a partition no candidate served: 'endpoint not available' if one 404'd."""
    if not_available is None:
        if config_errors:
            return config_errors[0]
        return E.SourceConfigError("no source routed for this partition", dataset=dataset, instansi=kd_klpd)
    unusable = [f"{e.source_system}: not configured ({e.detail})" for e in config_errors]
    err = E.EndpointNotAvailable(
        "; ".join(attempts + unusable), source_system="+".join(a.split(":", 1)[0] for a in attempts),
        dataset=dataset, instansi=not_available.instansi, tahun=tahun, url=not_available.url,
        request_id=not_available.request_id, attempts=tuple(attempts + unusable))
    err.fetch_id = not_available.fetch_id
    err.page = None
    return err.with_context()


def _extract_one(plan: SourcePlan, url: str | None, session: requests.Session | None) -> raw.LandResult:
    """Fetch and land one candidate; on failure land a 'failed' fetch and re-raise."""
    started = datetime.now(timezone.utc)
    buffer = raw.PageBuffer()
    log.info("extract %s %s %s from %s %s", plan.dataset, plan.instansi, plan.tahun, plan.source_system,
             plan.redacted_url)
    try:
        _collect(plan, buffer, session)
    except Exception as exc:
        _land_failure(plan, started, buffer, exc, url)
        raise
    status = "ok" if buffer.n_rows > 0 else "empty"
    last_status = buffer.pages[-1].http_status if buffer.pages else None
    res = raw.land_fetch(_meta(plan, started), buffer, status=status, http_status=last_status, url=url)
    log.info("extract %s %s %s: fetch_id=%s %s, %d pages, %s rows, %d bytes%s", plan.dataset, plan.instansi,
             plan.tahun, res.fetch_id, status, res.n_pages, res.n_rows, res.n_bytes,
             " (unchanged: reused)" if res.reused else "")
    return res


def _land_failure(plan: SourcePlan, started: datetime, buffer: raw.PageBuffer, exc: BaseException,
                  url: str | None) -> None:
    """Land a 'failed' fetch with every page received, the bad one included; tag the error."""
    bad = getattr(exc, "page", None)
    if isinstance(bad, Page):
        bad.page_no = len(buffer.pages)
        scrubbed = E.redact_body(bad.body)
        if scrubbed is not bad.body:  # kept verbatim except the secret an error page echoed
            bad.body, bad.note = scrubbed, "; ".join(filter(None, [bad.note, "secret redacted from body"]))
        buffer.add(bad)
    if isinstance(exc, E.SourceError):
        extra = {"tahun": plan.tahun} if isinstance(exc, E.EndpointNotAvailable) else {}
        exc.with_context(dataset=plan.dataset, instansi=plan.instansi, **extra)
        text, status = str(exc), exc.http_status
    else:
        text = E.redact(f"[{plan.source_system}] {plan.dataset} {plan.instansi}: {type(exc).__name__}: {exc}")
        status = None
    try:
        res = raw.land_fetch(_meta(plan, started), buffer, status="failed", http_status=status, error=text,
                             error_class=type(exc).__name__, url=url)
    except Exception:  # the DB may be what failed; never mask the source error
        log.exception("could not land the failed fetch of %s %s %s", plan.dataset, plan.instansi, plan.tahun)
        return
    if isinstance(exc, E.SourceError):
        exc.with_context(fetch_id=res.fetch_id)
    log.error("extract %s %s %s failed (fetch_id=%s, %d pages kept): %s", plan.dataset, plan.instansi,
              plan.tahun, res.fetch_id, res.n_pages, text)
