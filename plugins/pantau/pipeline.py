"""The steps each DAG task runs, chained: plan → extract → normalise → validate → load.

Only small dicts (ids and counts) are returned, because they travel through XCom; the data
itself passes through the warehouse (raw → staging → core), so any worker can run any step.
Every step records its partition's status in `audit.partition_run` (`pantau.partition_status`)
under the run's key — "running", the counts, or the failure and its reason before re-raising —
so `publish` can name a failed partition's reason although the failed task left no XCom.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from pantau.config import load_yaml

log = logging.getLogger(__name__)

FAMILIES: dict[str, tuple[str, ...]] = {
    "sirup": ("rup_",),
    "spse": ("spse_",),
    "ekatalog": ("ecat_", "bela_"),
}


def family_datasets(family: str) -> list[str]:
    """Datasets of one source family, in the order they should load (masters first)."""
    from pantau.datasets import DATASETS

    prefixes = FAMILIES[family]
    return [name for name in DATASETS if name.startswith(prefixes)]


def instansi(kd_klpd: list[str] | None = None) -> list[dict[str, Any]]:
    """Configured instansi (include/config/pantau.yaml), optionally narrowed to some kd_klpd.

    An unknown requested kd_klpd is an error, never an empty list: an empty plan made a green
    run with every task skipped. `pantau.instansi.configured` (the onboarding module) owns the
    rule; the local fallback keeps it while that module is absent.
    """
    try:
        from pantau.instansi import configured
    except ImportError:
        return _configured_fallback(kd_klpd)
    return configured(kd_klpd)


def _configured_fallback(kd_klpd: list[str] | None) -> list[dict[str, Any]]:
    rows = load_yaml("pantau.yaml")["instansi"]
    if kd_klpd:
        missing = sorted(set(kd_klpd) - {r["kd_klpd"] for r in rows})
        if missing:
            raise ValueError(f"instansi {', '.join(missing)} not in include/config/pantau.yaml "
                             f"(kd_klpd requested: {list(kd_klpd)})")
    return [r for r in rows if not kd_klpd or r["kd_klpd"] in kd_klpd]


def plan_partitions(family: str, tahun: int, kd_klpd: list[str] | None = None) -> list[dict[str, Any]]:
    """One partition per dataset × instansi × tahun — the unit of mapping and of atomic loads."""
    plan = [
        {"family": family, "dataset": ds, "kd_klpd": inst["kd_klpd"], "tahun": int(tahun)}
        for inst in instansi(kd_klpd)
        for ds in family_datasets(family)
    ]
    if not plan:
        raise ValueError(f"no partition planned for family {family} tahun {tahun} kd_klpd {kd_klpd}")
    return plan


def _family(partition: dict[str, Any]) -> str:
    """The partition's source family (planned with it; derived from the dataset name otherwise)."""
    if partition.get("family"):
        return str(partition["family"])
    return next(f for f, prefixes in FAMILIES.items() if str(partition["dataset"]).startswith(prefixes))


def extract(partition: dict[str, Any], *, run_key: str = "manual") -> dict[str, Any]:
    from pantau import partition_status
    from pantau.sources.extract import extract_partition

    family = _family(partition)
    with partition_status.tracked(run_key, family, partition, "extract"):
        res = extract_partition(partition["dataset"], partition["kd_klpd"], int(partition["tahun"]))
    partition_status.record(run_key, family, partition, "extract", "running",
                            fetch_id=res.fetch_id, rows_raw=res.n_rows)
    log.info("extract %s %s %s: fetch_id=%s status=%s rows=%s reused=%s", partition["dataset"],
             partition["kd_klpd"], partition["tahun"], res.fetch_id, res.status, res.n_rows, res.reused)
    return {**partition, "family": family, "fetch_id": res.fetch_id, "status": res.status, "n_rows": res.n_rows}


def request_context(kd_klpd: str | None, kd_lpse: int | None, tahun: int) -> dict[str, Any]:
    """What the request itself tells about its rows: its filter values and the configured
    instansi's name and kind (so rows a feed sends without them can be completed)."""
    known = {i["kd_klpd"]: i for i in instansi()}.get(kd_klpd or "", {})
    return {"kd_klpd": kd_klpd, "kd_lpse": kd_lpse, "tahun": tahun,
            "nama_klpd": known.get("nama_klpd"), "jenis_klpd": known.get("jenis_klpd")}


def normalize(fetch: dict[str, Any], *, run_key: str = "manual") -> dict[str, Any]:
    """raw pages → typed staging rows (COPY), replacing any earlier staging rows of the fetch."""
    from pantau import partition_status

    with partition_status.tracked(run_key, _family(fetch), fetch, "normalize"):
        n = _normalize(fetch)
    return {**fetch, "n_staged": n}


def _normalize(fetch: dict[str, Any]) -> int:
    from pantau.db import transaction
    from pantau.load.staging import write_staging
    from pantau.sources.normalize import normalize_records
    from pantau.sources.raw import read_fetch

    raw = read_fetch(fetch["fetch_id"])
    df = normalize_records(raw.dataset, raw.records, source_system=raw.source_system,
                           context=request_context(raw.kd_klpd, raw.kd_lpse, raw.tahun))
    with transaction() as conn:
        n = write_staging(conn, raw.dataset, fetch["fetch_id"], df)
    log.info("normalise %s fetch %s: %s rows staged", raw.dataset, fetch["fetch_id"], n)
    return n


def validate(fetch: dict[str, Any], *, run_key: str = "manual") -> dict[str, Any]:
    """GX suite on the staged rows; Data Docs are refreshed with the result, critical or not."""
    from pantau import partition_status
    from pantau.validate import CriticalValidationError, build_data_docs, validate_fetch

    family = _family(fetch)
    with partition_status.tracked(run_key, family, fetch, "validate"):
        try:
            summary = validate_fetch(fetch["fetch_id"])
        except CriticalValidationError as err:
            _data_docs(build_data_docs, [err])
            raise
    _data_docs(build_data_docs, [summary])
    partition_status.record(run_key, family, fetch, "validate", "running", rows_quarantined=summary.n_quarantined)
    log.info("validate %s fetch %s: %s rows, %s quarantined", fetch["dataset"], fetch["fetch_id"],
             summary.n_rows, summary.n_quarantined)
    return {**fetch, "n_quarantined": summary.n_quarantined}


def _data_docs(build, results: list) -> None:
    """Data Docs are a view for people: a failure to build them must not fail the load."""
    try:
        path = build(results)
        log.info("Data Docs: %s", path)
    except Exception:  # noqa: BLE001
        log.exception("Data Docs could not be built")


def load(fetch: dict[str, Any], snapshot_date: dt.date, *, run_key: str = "manual") -> dict[str, Any]:
    """Merge into core/history; the partition is "loaded" only once this transaction committed."""
    from pantau import partition_status
    from pantau.load import load_fetch

    family = _family(fetch)
    with partition_status.tracked(run_key, family, fetch, "load"):
        res = load_fetch(fetch["fetch_id"], snapshot_date)
    counts = {"load_id": res.load_id, "rows_loaded": res.rows_loaded, "rows_quarantined": res.rows_quarantined,
              "rows_collapsed": getattr(res, "rows_collapsed", None)}
    partition_status.record(run_key, family, fetch, "load", "loaded", **counts)
    log.info("load %s fetch %s: %s", fetch["dataset"], fetch["fetch_id"], res)
    return {**fetch, **counts, "snapshot_date": snapshot_date.isoformat()}
