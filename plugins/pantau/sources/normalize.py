"""Raw feed records → typed rows in a dataset's staging shape (pure; no I/O).

The output is the same whichever source served the rows (ISB, INAPROC v1, legacy ISB): field
names go through :mod:`pantau.sources.aliases`, values through :mod:`pantau.sources.parsing`.
Nothing is lost: fields outside the spec go to ``extra``; a value that cannot be parsed leaves
NULL in its column and its original under ``extra['_unparsed'][column]`` so validation can
quarantine the row with a reason instead of the task crashing.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Callable

import pandas as pd

from pantau.datasets import DatasetSpec, spec as dataset_spec
from pantau.sources import aliases
from pantau.sources.parsing import (
    clean_list,
    clean_text,
    explode_kd_rup,
    is_blank,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_int,
    parse_timestamp,
)

__all__ = ["normalize_records", "explode_kd_rup", "flatten_bapbast", "UNPARSED_KEY", "FILLED_KEY"]

UNPARSED_KEY = "_unparsed"   # extra[UNPARSED_KEY][column] = original value that failed to parse
FILLED_KEY = "_filled_from_request"  # extra[FILLED_KEY] = columns filled from the request context

# Multi-valued text columns: one separator (";") so SPSE "APBD;APBDP" and v6 "APBD,APBDP" agree.
_LIST_TOKEN: dict[str, str | None] = {"kd_rup": r"\d+", "sumber_dana": None, "mak": None}

_CENTS = Decimal("0.01")

_PARSERS: dict[str, Callable[[Any], Any]] = {
    "bigint": parse_int,
    "integer": parse_int,
    "numeric(20,2)": parse_decimal,
    "numeric": parse_decimal,
    "date": parse_date,
    "timestamptz": parse_timestamp,
    "boolean": parse_bool,
    "text": clean_text,
}

_DTYPES: dict[str, str] = {
    "bigint": "Int64",
    "integer": "Int64",
    "boolean": "boolean",
    "text": "string",
    "timestamptz": "datetime64[us, Asia/Jakarta]",
    # numeric → object of decimal.Decimal (exact), date → object of datetime.date
}


def normalize_records(dataset: str, records: list[dict], *, source_system: str,
                      context: dict | None = None) -> pd.DataFrame:
    """Typed staging rows for ``dataset`` from raw ``records`` of any source.

    Columns: the spec's columns, then ``row_no`` (0-based output position) and ``extra`` (dict).
    ``context`` (``kd_klpd``, ``kd_lpse``, ``tahun`` of the request) fills identity values a feed
    leaves null — INAPROC non-tender rows with null ``kd_klpd`` (sources.md §6.6) — and the
    filled columns are listed in ``extra['_filled_from_request']``.
    """
    s = dataset_spec(dataset)
    if dataset in aliases.BAPBAST_DATASETS:
        records = flatten_bapbast(records)
    fill = _context_fill(s, source_system, context or {})
    norm = _Normalizer(s, fill)
    rows = [norm.one(rec) for rec in records]
    return _frame(s, rows)


def flatten_bapbast(records: list[dict]) -> list[dict]:
    """INAPROC e-kontrak rows nest payments in ``bapbast_history_json``; emit one flat row each.

    The parent's fields are repeated on each payment row (payment fields win on a clash), which is
    exactly the shape of the flat ISB 4BAPBAST feed. A parent with an empty array has no payment
    and yields no row. Sibling arrays (SPMK/SPP history, vendor rating) feed other datasets and are
    left out here (they stay in raw). Rows without the key (ISB) pass through unchanged.
    """
    out: list[dict] = []
    for rec in records:
        if aliases.NESTED_BAPBAST not in rec:
            out.append(rec)
            continue
        parent = {k: v for k, v in rec.items()
                  if k != aliases.NESTED_BAPBAST and k not in aliases.NESTED_SIBLINGS}
        children = rec[aliases.NESTED_BAPBAST]
        if isinstance(children, str):
            try:
                children = json.loads(children) if children.strip() else []
            except json.JSONDecodeError:
                out.append({**parent, aliases.NESTED_BAPBAST: children})  # lands in extra, visible
                continue
        if children is None:
            children = []
        if not isinstance(children, list):
            children = [children]
        out.extend({**parent, **child} if isinstance(child, dict) else {**parent, "_bapbast_item": child}
                   for child in children)
    return out


def _context_fill(s: DatasetSpec, source_system: str, context: dict) -> dict[str, Any]:
    """Which null identity columns may be filled from the request, and with what.

    ``kd_klpd`` only when the request was filtered by KLPD (INAPROC always is; ISB SPSE feeds are
    filtered by LPSE and may hold other KLPDs, e.g. BUMD rows); ``kd_lpse`` only for LPSE-filtered
    ISB requests. ``tahun_anggaran`` is never filled: a null year is a data fact (all-null rows).
    """
    cols = set(s.column_names)
    fill: dict[str, Any] = {}
    by_klpd = source_system != "isb" or s.filter_by == "klpd"
    if by_klpd and "kd_klpd" in cols and context.get("kd_klpd"):
        fill["kd_klpd"] = context["kd_klpd"]
        # The instansi's name and kind travel with its code (configuration, pantau.yaml), e.g.
        # for INAPROC non-tender-selesai rows whose kd_klpd/jenis_klpd are null (§6.6).
        for col in ("nama_klpd", "jenis_klpd"):
            if col in cols and context.get(col):
                fill[col] = context[col]
    if not by_klpd and "kd_lpse" in cols and context.get("kd_lpse") is not None:
        fill["kd_lpse"] = context["kd_lpse"]
    return fill


def _same(a: Any, b: Any) -> bool:
    """Two raw values carry the same information (93 vs "93")."""
    return a == b or clean_text(a) == clean_text(b)


class _Normalizer:
    """Normalises the records of one dataset. What depends only on the spec (column parsers) or on
    a record's field names (which spelling feeds which column, canonical first) is worked out once
    and reused: the records of a feed share a handful of layouts, and doing it per record was half
    of the normalisation time."""

    def __init__(self, s: DatasetSpec, fill: dict[str, Any]) -> None:
        self.s = s
        self.fill = fill
        self.columns = frozenset(s.column_names)
        self.parsers = {c.name: _column_parser(c.name, c.pg_type) for c in s.columns}
        self._plans: dict[tuple[str, ...], list[tuple[str, str | None]]] = {}

    def _plan(self, fields: tuple[str, ...]) -> list[tuple[str, str | None]]:
        """(field, column or None) in processing order: canonical spellings first, so an alias
        never overrides a present canonical value."""
        plan = self._plans.get(fields)
        if plan is None:
            plan = [(f, aliases.canonical_name(self.s.name, f, self.columns))
                    for f in sorted(fields, key=lambda f: f not in self.columns)]
            self._plans[fields] = plan
        return plan

    def one(self, rec: dict) -> tuple[dict[str, Any], dict]:
        """One record → (typed values by column, extra)."""
        chosen: dict[str, tuple[str, Any]] = {}   # column -> (source field, raw value)
        extra: dict[str, Any] = {}
        for field, col in self._plan(tuple(rec)):
            value = rec[field]
            if col is None:
                extra[field] = value
            elif col not in chosen or (is_blank(chosen[col][1]) and not is_blank(value)):
                chosen[col] = (field, value)  # a blank earlier spelling carries nothing to keep
            elif not is_blank(value) and not _same(value, chosen[col][1]):
                extra[field] = value  # conflicting second spelling (lpse_id 94 vs kd_lpse 93): keep it
        values: dict[str, Any] = {}
        unparsed: dict[str, Any] = {}
        for name, parse in self.parsers.items():
            raw = chosen[name][1] if name in chosen else None
            try:
                values[name] = parse(raw)
            except (ValueError, TypeError, OverflowError):
                values[name] = None
                unparsed[name] = raw
        filled = [name for name in self.fill if values.get(name) is None and name not in unparsed]
        for name in filled:
            values[name] = self.parsers[name](self.fill[name])
        if unparsed:
            extra[UNPARSED_KEY] = unparsed
        if filled:
            extra[FILLED_KEY] = filled
        return values, extra


def _column_parser(name: str, pg_type: str) -> Callable[[Any], Any]:
    """The parser of one column; list columns get one separator; it raises ValueError if unusable."""
    if pg_type == "text" and name in _LIST_TOKEN:
        pattern = _LIST_TOKEN[name]
        return lambda raw: clean_list(raw, token_pattern=pattern)
    base = _PARSERS[pg_type]
    if pg_type != "numeric(20,2)":
        return base

    def money(raw: Any) -> Any:
        value = base(raw)
        if value is not None and value.as_tuple().exponent >= -2:
            # same representation for 1000, 1000.0 and "1.000,00"; more decimals are kept, never rounded
            value = value.quantize(_CENTS)
        return value

    return money


def _frame(s: DatasetSpec, rows: list[tuple[dict[str, Any], dict]]) -> pd.DataFrame:
    """Assemble the DataFrame with one nullable dtype per pg type (Decimal/date stay objects)."""
    data: dict[str, pd.Series] = {}
    for c in s.columns:
        dtype = _DTYPES.get(c.pg_type, "object")
        data[c.name] = pd.Series([r[0][c.name] for r in rows], dtype=dtype)
    data["row_no"] = pd.Series(range(len(rows)), dtype="Int64")
    data["extra"] = pd.Series([r[1] for r in rows], dtype="object")
    return pd.DataFrame(data, columns=[*s.column_names, "row_no", "extra"])
