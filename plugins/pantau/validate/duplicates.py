"""Same-grain rows: copies of one fact collapse, copies that disagree are quarantined (issue 14 p. 5).

Why here and not in the loader: the decision needs every field of every copy and must be written
down per row (audit.collapsed_row, quarantine.<dataset>) before anything reaches core, so that the
core SQL's ``DISTINCT ON`` never has a choice to make. Real feeds repeat facts — the non-tender
BAPBAST feed publishes every payment twice with only ``_event_date`` differing, the pencatatan
realisasi feed repeats a receipt per ``kd_rup_paket``, BAPBAST repeats a payment per contract
version — so "same grain key" alone is not an error: only copies that differ in a business field
are, and then no copy is trusted over another (all are quarantined, the differing fields named).

Both the database path (:func:`pantau.validate.store.validate_fetch`, rows read as JSON from
staging) and the pure path (:func:`pantau.validate.validate_dataframe`, a DataFrame) build the
same ``(row_no, grain, business fields)`` triples and call :func:`route`.

Standard library only (pandas is imported inside :func:`rows_from_frame`).
"""
from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from pantau.validate import rules

LINEAGE_FIELDS = frozenset({"fetch_id", "row_no", "extra"})


@dataclass
class DuplicateRouting:
    """What happens to rows sharing a grain key: collapse onto a kept copy, or quarantine all."""

    collapsed: dict[int, int] = field(default_factory=dict)   # row_no -> kept row_no
    conflicts: dict[int, str] = field(default_factory=dict)   # row_no -> why (fields that differ)
    n_groups: int = 0                                          # grain keys seen more than once


def _plain(value: Any) -> Any:
    """A JSON-comparable value (NaN/NA → None) so both paths compare values, not dtypes."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def business_fields(dataset: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that make a fact: spec columns and source fields kept in ``extra``, without
    source metadata, fan-out fields, lineage or the validator's derived ``__`` columns."""
    ignored = rules.ignored_fields(dataset)
    out: dict[str, Any] = {}
    for k, v in row.items():
        if k in LINEAGE_FIELDS or k in ignored or k.startswith("__"):
            continue
        out[k] = _plain(v)
    extra = row.get("extra")
    if isinstance(extra, str):
        try:
            extra = json.loads(extra)
        except ValueError:
            extra = {"extra": extra}
    if isinstance(extra, Mapping):
        for k, v in extra.items():
            if k in ignored or (k.startswith("_") and k not in rules.EXTRA_KEPT_PRIVATE):
                continue
            out[k if k not in out else f"extra.{k}"] = _plain(v)
    return out


def grain_value(dataset: str, row: Mapping[str, Any], tahun: int | None) -> tuple | None:
    """The row's grain key as core will key it; None when a part without a default is null
    (such rows are key_not_null's business, not duplicates)."""
    out = []
    for col, default in rules.grain(dataset):
        v = _plain(row.get(col))
        if v is None:
            if default is None:
                return None
            v = default.format(tahun=tahun)
        out.append(str(v))
    return tuple(out)


def _describe(dataset: str, key: tuple, fields: list[str], n: int) -> str:
    cols = [c for c, _d in rules.grain(dataset)]
    where = ", ".join(f"{c}={v}" for c, v in zip(cols, key))
    return f"{n} rows share the grain ({where}) but differ in: {', '.join(fields)}"


def route(dataset: str, rows: Iterable[tuple[int, tuple, dict[str, Any]]]) -> DuplicateRouting:
    """Decide every same-grain group: all copies equal → keep the first row_no, collapse the rest;
    any business field differs → quarantine every copy, naming the fields."""
    out = DuplicateRouting()
    if rules.extra(dataset).repeats_are_facts:
        return out
    groups: dict[tuple, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for row_no, key, biz in rows:
        if key is not None:
            groups[key].append((int(row_no), biz))
    for key, members in groups.items():
        if len(members) < 2:
            continue
        out.n_groups += 1
        members.sort(key=lambda m: m[0])
        kept_no, first = members[0]
        canon = {json.dumps(b, sort_keys=True, default=str) for _rn, b in members}
        if len(canon) == 1:
            for rn, _b in members[1:]:
                out.collapsed[rn] = kept_no
            continue
        fields = sorted({f for _rn, b in members for f in set(b) | set(first) if b.get(f) != first.get(f)})
        why = _describe(dataset, key, fields, len(members))
        for rn, _b in members:
            out.conflicts[rn] = why
    return out


def rows_from_frame(dataset: str, df, tahun: int | None) -> list[tuple[int, tuple, dict[str, Any]]]:
    """Triples for the pure path: only rows whose grain occurs more than once are expanded."""
    cols = [c for c, _d in rules.grain(dataset)]
    if df is None or len(df) == 0 or any(c not in df.columns for c in cols):
        return []
    records = df.to_dict("records")
    keys = [grain_value(dataset, r, tahun) for r in records]
    counts: dict[tuple, int] = defaultdict(int)
    for k in keys:
        if k is not None:
            counts[k] += 1
    return [(int(r["row_no"]), k, business_fields(dataset, r))
            for r, k in zip(records, keys) if k is not None and counts[k] > 1]
