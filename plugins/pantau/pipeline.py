"""The steps each DAG task runs, chained: plan → extract → normalise → validate → load.

Only small dicts (ids and counts) are returned, because they travel through XCom; the data
itself passes through the warehouse (raw → staging → core), so any worker can run any step.
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
    """Configured instansi (include/config/pantau.yaml), optionally narrowed to some kd_klpd."""
    rows = load_yaml("pantau.yaml")["instansi"]
    return [r for r in rows if not kd_klpd or r["kd_klpd"] in kd_klpd]


def plan_partitions(family: str, tahun: int, kd_klpd: list[str] | None = None) -> list[dict[str, Any]]:
    """One partition per dataset × instansi × tahun — the unit of mapping and of atomic loads."""
    return [
        {"dataset": ds, "kd_klpd": inst["kd_klpd"], "tahun": tahun}
        for inst in instansi(kd_klpd)
        for ds in family_datasets(family)
    ]


def extract(partition: dict[str, Any]) -> dict[str, Any]:
    from pantau.sources.extract import extract_partition

    res = extract_partition(partition["dataset"], partition["kd_klpd"], int(partition["tahun"]))
    log.info("extract %s %s %s: fetch_id=%s status=%s rows=%s reused=%s", partition["dataset"],
             partition["kd_klpd"], partition["tahun"], res.fetch_id, res.status, res.n_rows, res.reused)
    return {**partition, "fetch_id": res.fetch_id, "status": res.status, "n_rows": res.n_rows}


def request_context(kd_klpd: str | None, kd_lpse: int | None, tahun: int) -> dict[str, Any]:
    """What the request itself tells about its rows: its filter values and the configured
    instansi's name and kind (so rows a feed sends without them can be completed)."""
    known = {i["kd_klpd"]: i for i in instansi()}.get(kd_klpd or "", {})
    return {"kd_klpd": kd_klpd, "kd_lpse": kd_lpse, "tahun": tahun,
            "nama_klpd": known.get("nama_klpd"), "jenis_klpd": known.get("jenis_klpd")}


def normalize(fetch: dict[str, Any]) -> dict[str, Any]:
    """raw pages → typed staging rows (COPY), replacing any earlier staging rows of the fetch."""
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
    return {**fetch, "n_staged": n}


def validate(fetch: dict[str, Any]) -> dict[str, Any]:
    """GX suite on the staged rows; Data Docs are refreshed with the result, critical or not."""
    from pantau.validate import CriticalValidationError, build_data_docs, validate_fetch

    try:
        summary = validate_fetch(fetch["fetch_id"])
    except CriticalValidationError as err:
        _data_docs(build_data_docs, [err])
        raise
    _data_docs(build_data_docs, [summary])
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


def load(fetch: dict[str, Any], snapshot_date: dt.date) -> dict[str, Any]:
    from pantau.load import load_fetch

    res = load_fetch(fetch["fetch_id"], snapshot_date)
    log.info("load %s fetch %s: %s", fetch["dataset"], fetch["fetch_id"], res)
    return {**fetch, "snapshot_date": snapshot_date.isoformat()}
