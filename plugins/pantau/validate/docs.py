"""GX Data Docs for the data team: the suites and the latest validation results, as static HTML.

Why a File context separate from the validating one: Data Docs need stores on disk, while the
validation itself runs in a fast ephemeral context (no JSON written per run). Results are copied
into the File context's validation store here, once per call (one build per run, not per
partition — GX #11542: Data Docs do not scale to thousands of validations per build).

Where: the context and its stores live under ``output/gx/``, the site under ``output/data_docs/``
(both ``pantau.config.OUTPUT_DIR``). Why not ``.local/``: with the CeleryExecutor every worker has
its own ``.local/`` (compose mounts only ``output/`` and ``logs/``), so each worker's build listed
only the validations that worker had run (issue 16: 6 of 18 with two workers). In ``output/`` all
workers share one store, and an exclusive lock on ``output/gx/.lock`` makes "store the result,
rebuild the site" one step: two builds never interleave, and the last one lists everything.
"""
from __future__ import annotations

import contextlib
import copy
import fcntl
import html
from pathlib import Path
from typing import Any, Iterable, Iterator

from pantau import config

SITE = "pantau"


def _file_context():
    """A File data context with one local site writing to ``OUTPUT_DIR/data_docs``."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    root = gx_dir()
    root.mkdir(parents=True, exist_ok=True)
    ctx = gx.get_context(mode="file", project_root_dir=str(root))
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    target = str(docs_dir())
    site = (ctx.get_config().data_docs_sites or {}).get(SITE)
    if not site or site.get("store_backend", {}).get("base_directory") != target:
        if site:
            ctx.delete_data_docs_site(SITE)
        ctx.add_data_docs_site(site_name=SITE, site_config={
            "class_name": "SiteBuilder", "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": target},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"}})
    return ctx


def docs_dir() -> Path:
    return Path(config.OUTPUT_DIR) / "data_docs"


def gx_dir() -> Path:
    """The File context and its stores: in ``output/``, shared by every worker."""
    return Path(config.OUTPUT_DIR) / "gx"


@contextlib.contextmanager
def _exclusive() -> Iterator[None]:
    """One store-and-build at a time across processes and workers (flock on the shared volume)."""
    gx_dir().mkdir(parents=True, exist_ok=True)
    with open(gx_dir() / ".lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _gx_result(item: Any):
    """The GX result object behind a summary / outcome / critical error (or the object itself)."""
    item = getattr(item, "summary", item)
    return getattr(item, "gx_result", item)


def _put_suite(ctx, dataset: str) -> None:
    """Store the suite as the code defines it now (replace an older copy)."""
    from pantau.validate import suites

    name = suites.suite_name(dataset)
    try:
        ctx.suites.delete(name)
    except Exception:  # noqa: BLE001 — not there yet
        pass
    ctx.suites.add(suites.build_suite(dataset))


def _escaped(value: Any) -> Any:
    """``value`` with every string HTML-escaped (containers rebuilt; other values as they are)."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_escaped(v) for v in value)
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    return value


def escaped_result(res: Any) -> Any:
    """A copy of a GX suite result whose row-derived texts are HTML-escaped.

    Why (issue 19 point 12): GX 1.x's Data Docs renderer writes ``partial_unexpected_list`` and
    other result values into the page as raw HTML, so a sample ``<img src=x onerror=…>`` from a
    feed became live markup in ``output/data_docs``. Every value that can come from a row
    (``result``, ``exception_info``) is escaped here, before GX sees it; the stored copy is
    separate, so the audit and the caller's result keep the original values.
    """
    res = copy.deepcopy(res)
    for x in getattr(res, "results", None) or []:
        if isinstance(getattr(x, "result", None), dict):
            x.result = _escaped(x.result)
        if isinstance(getattr(x, "exception_info", None), dict):
            x.exception_info = _escaped(x.exception_info)
    return res


def build_data_docs(results: Iterable[Any]) -> Path:
    """Publish these runs' results (ValidationSummary, Outcome, CriticalValidationError or GX
    results) and every suite they used; return the site's ``index.html``."""
    with _exclusive():
        return _store_and_build(list(results))


def _store_and_build(results: list[Any]) -> Path:
    """Caller holds ``_exclusive()``: add the results to the shared store, rebuild the whole site."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    from pantau.validate import suites

    ctx = _file_context()
    done: set[str] = set()
    for item in results:
        res = _gx_result(item)
        if res is None:
            continue
        suite = res.suite_name
        dataset = suite.removeprefix(suites.SUITE_PREFIX)
        if suite not in done:
            _put_suite(ctx, dataset)
            done.add(suite)
        summary = getattr(item, "summary", item)
        fetch_id = getattr(summary, "fetch_id", None)
        partition = "-".join(str(x) for x in (getattr(summary, "kd_klpd", None), getattr(summary, "tahun", None))
                             if x is not None) or "dataframe"
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite),
            run_id=RunIdentifier(run_name=f"fetch-{fetch_id}" if fetch_id else "adhoc",
                                 run_time=res.meta.get("validation_time")),
            batch_identifier=f"{dataset}-{partition}-{fetch_id or 'df'}")
        ctx.validation_results_store.set(key, escaped_result(res))
    ctx.build_data_docs(site_names=[SITE])
    return docs_dir() / "index.html"
