"""The circular as plain data.

The renderer only sees these dataclasses, never the database, so layout, safety and determinism
are tested without PostgreSQL and the mart reader is the single place that knows the mart tables.
Everything here is picklable: a model crosses into the memory-limited render process as is.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class LaggingPackage:
    """One package behind a lagging PD (a row of `mart.lagging_package`)."""

    source: str
    package_id: str
    kd_rup: str | None
    nama_paket: str
    nilai: Decimal | None
    status_pkt: str | None = None
    status_pengiriman: str | None = None
    hari_terlambat: int | None = None


@dataclass(frozen=True)
class LaggingPd:
    """One Perangkat Daerah failing one rule (a row of `mart.lagging`) with its packages."""

    kd_satker_str: str
    nama_satker: str
    rule: str
    measured: Decimal | None
    target: Decimal | None
    unit: str | None = "%"
    n_packages: int | None = None
    packages: tuple[LaggingPackage, ...] = ()
    deadline: date | None = None
    # mart.lagging.nilai: for package rules the packages' value, for penyerapan_low the paid (or
    # committed) amount; pagu: the PD's pagu at the as-of month (mart.penyerapan), so the circular
    # can state the rupiah still to absorb instead of a package value the rule does not have.
    nilai: Decimal | None = None
    pagu: Decimal | None = None


@dataclass(frozen=True)
class ItkpComponent:
    """A KLPD-level ITKP sub-indicator (score out of max_score) for the chart."""

    component: str
    ratio: Decimal | None
    max_score: Decimal | None
    score: Decimal | None
    flag: str | None = None


@dataclass(frozen=True)
class PenyerapanPd:
    """Latest month's absorption of one PD for the chart (percent of pagu)."""

    kd_satker_str: str
    nama_satker: str
    committed_pct: Decimal | None
    paid_pct: Decimal | None
    target_pct: Decimal | None


@dataclass(frozen=True)
class InputState:
    """One dataset the metric run read, with its state then (a row of `mart.metric_run_input`).

    Carried into the model so the circular can name missing or failed data in a caveat and a
    numbered circular can be refused while an input is incomplete. Timestamps stay out on
    purpose: a retried attempt must not change the report id when nothing printed changes.
    """

    dataset: str
    family: str
    state: str                       # loaded | stale | failed | endpoint_not_available | running | missing
    attempt_status: str | None = None
    reason: str | None = None
    snapshot_date: date | None = None
    n_rows_rup_ref: int | None = None
    n_orphan: int | None = None
    orphan_share: Decimal | None = None

    @property
    def complete(self) -> bool:
        """Only a current successful load counts; stale data (latest attempt failed) does not."""
        return self.state == "loaded"


@dataclass(frozen=True)
class Circular:
    """Everything one circular states. `nomor=None` means a draft (NOMOR ……… and DRAF)."""

    kd_klpd: str
    tahun: int
    as_of: date
    tanggal: date
    nomor: str | None = None
    metric_run_id: int | None = None
    fetch_ids: tuple[int, ...] = ()
    lagging: tuple[LaggingPd, ...] = ()
    itkp: tuple[ItkpComponent, ...] = ()
    penyerapan: tuple[PenyerapanPd, ...] = ()
    inputs: tuple[InputState, ...] = ()   # empty = run predates the input record (migration 085)

    @property
    def incomplete_inputs(self) -> tuple[InputState, ...]:
        """Inputs not currently loaded, in the run's dataset order."""
        return tuple(i for i in self.inputs if not i.complete)

    @property
    def is_draft(self) -> bool:
        return not self.nomor

    def fingerprint(self) -> str:
        """sha256 over a canonical JSON of the model: equal inputs give equal report ids."""
        return hashlib.sha256(canonical_json(self).encode("utf-8")).hexdigest()


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value else "NaN"
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def canonical_json(value: Any) -> str:
    """Stable text form (sorted keys, decimals as strings) used for hashing models and configs."""
    return json.dumps(_jsonable(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
