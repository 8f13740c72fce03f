"""Extract one partition (dataset × instansi × tahun): route → fetch every page → land raw.

Parses nothing beyond what the clients need to follow cursors and recognise errors; the verbatim
pages go to `raw.fetch_page`. On failure the pages received so far (including the offending one)
are landed under a 'failed' fetch for diagnosis and the named error is re-raised with its
`fetch_id`, so the Airflow task fails visibly.

Routing gives an ordered list of candidate sources (e.g. INAPROC v1, then ISB). A 404 from one
("endpoint not available") is landed as a 'failed' fetch, logged, and the next candidate is
tried; when the last candidate 404s too, `EndpointNotAvailable` names every attempt.

An INAPROC partition whose pages had to be retried is re-read from page one until one pass is
provably a single snapshot (`InaprocClient.read_snapshot`, at most `PANTAU_INAPROC_SNAPSHOT_PASSES`
passes, default 3). If none is, the last pass is landed with `raw.fetch.snapshot_consistent =
false` and the reason in `snapshot_note`: the loader upserts it but marks nothing deleted.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Sequence

import requests

from pantau import db
from pantau.sources import errors as E
from pantau.sources import raw
from pantau.sources.http import Page
from pantau.sources.inaproc import DEFAULT_SNAPSHOT_PASSES, InaprocClient, SnapshotCheck
from pantau.sources.isb import IsbClient
from pantau.sources.routing import SourcePlan, candidate_plans

log = logging.getLogger(__name__)
PROGRESS_EVERY = 50  # pages between INFO progress lines
SNAPSHOT_PASSES_ENV = "PANTAU_INAPROC_SNAPSHOT_PASSES"
_CLEAN = SnapshotCheck(True, 1)


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
    # False: the pages are not one snapshot of the source (see raw.fetch.snapshot_note); the
    # loader will not mark rows deleted from it.
    snapshot_consistent: bool = True
    snapshot_passes: int = 1


def snapshot_passes() -> int:
    """Bound on INAPROC re-reads of one partition (`PANTAU_INAPROC_SNAPSHOT_PASSES`, default 3)."""
    value = os.environ.get(SNAPSHOT_PASSES_ENV, "").strip()
    if not value:
        return DEFAULT_SNAPSHOT_PASSES
    try:
        passes = int(value)
    except ValueError:
        passes = 0
    if passes < 1:
        raise E.SourceConfigError(f"{SNAPSHOT_PASSES_ENV} must be a whole number >= 1, got {value!r}")
    return passes


class _ProgressBuffer(raw.PageBuffer):
    """A PageBuffer that logs progress every PROGRESS_EVERY pages (long INAPROC partitions)."""

    def __init__(self, plan: SourcePlan) -> None:
        super().__init__()
        self._plan = plan

    def add(self, page: Page) -> raw.StoredPage:
        stored = super().add(page)
        if len(self.pages) % PROGRESS_EVERY == 0:
            log.info("%s %s %s: %d pages, %d rows so far", self._plan.dataset, self._plan.instansi,
                     self._plan.tahun, len(self.pages), self.n_rows)
        return stored


def _collect(plan: SourcePlan, buffers: list[raw.PageBuffer], session: requests.Session | None) -> SnapshotCheck:
    """Fetch every page of the plan into `buffers[-1]` (compressed as they arrive). An INAPROC
    re-read from page one appends a fresh buffer, so the last one always holds the kept pass."""
    if plan.source_system == "isb":
        page = IsbClient(settings=plan.http, session=session).fetch(plan.url, dataset=plan.dataset,
                                                                    instansi=plan.instansi)
        buffers[-1].add(page)
        return _CLEAN
    if plan.source_system == "inaproc_v1":
        client = InaprocClient(plan.url, plan.token or "", settings=plan.http, session=session)

        def new_sink() -> raw.PageBuffer:
            if buffers[-1].pages:  # a re-read: start a fresh buffer for the new pass
                buffers.append(_ProgressBuffer(plan))
            return buffers[-1]

        return client.read_snapshot(plan.path or "", plan.kd_klpd or "", plan.tahun, new_sink, limit=plan.page_limit,
                                    max_passes=snapshot_passes(), dataset=plan.dataset, instansi=plan.instansi)
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
        land, check = res
        return FetchResult(land.fetch_id, land.status, land.n_rows, land.reused, item.source_system, land.n_pages,
                           land.n_bytes, land.sha256, tuple(attempts), check.consistent, check.passes)
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


def _extract_one(plan: SourcePlan, url: str | None,
                 session: requests.Session | None) -> tuple[raw.LandResult, SnapshotCheck]:
    """Fetch and land one candidate; on failure land a 'failed' fetch and re-raise."""
    started = datetime.now(timezone.utc)
    buffers: list[raw.PageBuffer] = [_ProgressBuffer(plan)]
    log.info("extract %s %s %s from %s %s", plan.dataset, plan.instansi, plan.tahun, plan.source_system,
             plan.redacted_url)
    try:
        check = _collect(plan, buffers, session)
    except Exception as exc:
        _land_failure(plan, started, buffers[-1], exc, url)
        raise
    buffer = buffers[-1]
    status = "ok" if buffer.n_rows > 0 else "empty"
    last_status = buffer.pages[-1].http_status if buffer.pages else None
    res = raw.land_fetch(_meta(plan, started), buffer, status=status, http_status=last_status, url=url)
    if check.note and not res.reused:
        _record_snapshot(res.fetch_id, check, url)
    log.info("extract %s %s %s: fetch_id=%s %s, %d pages, %s rows, %d bytes%s%s", plan.dataset, plan.instansi,
             plan.tahun, res.fetch_id, status, res.n_pages, res.n_rows, res.n_bytes,
             " (unchanged: reused)" if res.reused else "",
             "" if check.consistent else " — NOT one consistent snapshot, deletions will be skipped")
    return res, check


def _record_snapshot(fetch_id: int, check: SnapshotCheck, url: str | None) -> None:
    """Write the consistency verdict on the landed fetch (before the task hands its id on).

    A separate statement after `raw.land_fetch` (which owns the landing transaction): the fetch id
    reaches the loader only when extract returns, so a crash in between never hands an unflagged
    inconsistent fetch to a load; the re-run extracts again.
    """
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE raw.fetch SET snapshot_consistent = %s, snapshot_note = %s WHERE fetch_id = %s",
                    (check.consistent, check.note, fetch_id))


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
    # A 404 is a named outcome, not a crash: the caller falls back to the next source or records the
    # partition as `endpoint_not_available` (reported by the DAG's check), so it is a warning here.
    level = logging.WARNING if isinstance(exc, E.EndpointNotAvailable) else logging.ERROR
    log.log(level, "extract %s %s %s failed (fetch_id=%s, %d pages kept): %s", plan.dataset, plan.instansi,
            plan.tahun, res.fetch_id, res.n_pages, text)
