"""Raw feed records → typed rows in a dataset's staging shape (pure; no I/O).

The output is the same whichever source served the rows (ISB, INAPROC v1, legacy ISB): field
names go through :mod:`pantau.sources.aliases`, values through :mod:`pantau.sources.parsing`.
Nothing is lost: fields outside the spec go to ``extra``; a value that cannot be parsed leaves
NULL in its column and its original under ``extra['_unparsed'][column]`` so validation can
quarantine the row with a reason instead of the task crashing.
"""
from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any, Callable

import pandas as pd

from pantau.datasets import DatasetSpec, spec as dataset_spec
from pantau.sources import aliases
from pantau.sources.jsondecode import DECODE_ISSUES_KEY, MAX_DEPTH, TOO_DEEP
from pantau.sources.parsing import (
    clean_list,
    clean_text,
    explode_kd_rup,
    is_blank,
    make_storable,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_int,
    parse_timestamp,
    unstorable_reason,
)

__all__ = ["normalize_records", "explode_kd_rup", "flatten_bapbast", "UNPARSED_KEY", "FILLED_KEY"]

UNPARSED_KEY = "_unparsed"   # extra[UNPARSED_KEY][column] = original value that failed to parse
FILLED_KEY = "_filled_from_request"  # extra[FILLED_KEY] = columns filled from the request context

# Multi-valued text columns: one separator (";") so SPSE "APBD;APBDP" and v6 "APBD,APBDP" agree.
# kd_rup items become bigint bridge rows: at most 18 digits, so every item is below 2^63.
_LIST_TOKEN: dict[str, str | None] = {"kd_rup": r"\d{1,18}", "sumber_dana": None, "mak": None}

_CENTS = Decimal("0.01")

#: Value ranges of the staging column types (issue 19 point 5): a value outside its column's range
#: is quarantined with its original, instead of COPY failing the whole partition.
INT_RANGES: dict[str, tuple[int, int]] = {"bigint": (-2**63, 2**63 - 1), "integer": (-2**31, 2**31 - 1)}
MONEY_LIMIT = Decimal(10) ** 18      # numeric(20,2): 18 digits before the point
NUMERIC_LIMIT = Decimal(10) ** 38    # unconstrained numeric (quantities, %): far beyond any real value

#: Text length caps by column kind (issue 19 point 6). A longer value is quarantined, not
#: truncated: a cut name or description would load silently different facts into core and the
#: Sekda's circular, while the quarantine row names the field and length, and raw keeps the bytes.
#: The caps are far above real values (sources.md samples: names < 300, descriptions < 5,000
#: characters) and far below what breaks rendering (a 1 MB name made an 830-page PDF).
TEXT_CAPS: dict[str, int] = {"name": 1_000, "code": 1_000, "list": 20_000, "free": 10_000}
_CODE_PREFIXES = ("kd_", "kode_", "npwp", "nip_", "no_", "id_")
PREVIEW_CHARS = 120   # characters of an over-long value kept in extra._unparsed


def text_kind(column: str) -> str:
    """Kind of a text column for TEXT_CAPS: name, code, list (';'-joined) or free text."""
    if column in _LIST_TOKEN:
        return "list"
    if column.startswith("nama_") or "_nama" in column:
        return "name"
    if column.startswith(_CODE_PREFIXES):
        return "code"
    return "free"


class ValueTooLong(ValueError):
    """A text value above its column's cap; ``kept`` is the preview stored in extra._unparsed."""

    def __init__(self, column: str, text: str, cap: int) -> None:
        self.kept = f"{text[:PREVIEW_CHARS]}… [{len(text)} characters, cap {cap} for {column}]"
        super().__init__(f"{column}: {len(text)} characters, cap {cap}")

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
            except Exception as exc:  # noqa: BLE001 — any bad value quarantines its row, never the partition
                values[name] = None
                unparsed[name] = exc.kept if isinstance(exc, ValueTooLong) else raw
        issues = extra.pop(DECODE_ISSUES_KEY, None)
        if isinstance(issues, dict):  # repaired at decode (invalid UTF-8, NUL, surrogate, depth)
            for field, what in issues.items():
                col = aliases.canonical_name(self.s.name, field, self.columns) or field
                unparsed.setdefault(col, what)
        filled = [name for name in self.fill if values.get(name) is None and name not in unparsed]
        for name in filled:
            values[name] = self.parsers[name](self.fill[name])
        if unparsed:
            extra[UNPARSED_KEY] = unparsed
        if filled:
            extra[FILLED_KEY] = filled
        if extra:
            extra = _jsonb_safe(extra, 0)
        return values, extra


def _column_parser(name: str, pg_type: str) -> Callable[[Any], Any]:
    """The parser of one column, range- and storage-checked for its pg type; it raises ValueError
    (or any exception, caught by the normaliser) when the value cannot be stored as it is."""
    if pg_type == "text":
        return _text_parser(name)
    base = _PARSERS[pg_type]
    if pg_type in INT_RANGES:
        lo, hi = INT_RANGES[pg_type]

        def integer(raw: Any) -> Any:
            value = base(raw)
            if value is not None and not lo <= value <= hi:
                raise ValueError(f"{name}: {value} outside the {pg_type} range")
            return value

        return integer
    if pg_type == "numeric":
        def number(raw: Any) -> Any:
            value = parse_decimal(raw)
            if value is not None and abs(value) >= NUMERIC_LIMIT:
                raise ValueError(f"{name}: {value} too large for a quantity")
            return value

        return number
    if pg_type != "numeric(20,2)":
        return base

    def money(raw: Any) -> Any:
        value = parse_decimal(raw, money=True)
        if value is not None and abs(value) >= MONEY_LIMIT:
            raise ValueError(f"{name}: {value} outside numeric(20,2)")
        if value is not None and value.as_tuple().exponent >= -2:
            # same representation for 1000, 1000.0 and "1.000,00"; more decimals are kept, never rounded
            value = value.quantize(_CENTS)
        return value

    return money


def _text_parser(name: str) -> Callable[[Any], Any]:
    """Text (or ';'-list) parser with the column's length cap and PostgreSQL's character rules."""
    cap = TEXT_CAPS[text_kind(name)]
    if name in _LIST_TOKEN:
        pattern = _LIST_TOKEN[name]

        def base(raw: Any) -> Any:
            return clean_list(raw, token_pattern=pattern)
    else:
        base = clean_text

    def text(raw: Any) -> Any:
        value = base(raw)
        if value is None:
            return None
        if len(value) > cap:
            raise ValueTooLong(name, value, cap)
        reason = unstorable_reason(value)
        if reason:
            raise ValueError(f"{name}: {reason}")
        return value

    return text


def _jsonb_safe(value: Any, depth: int) -> Any:
    """``value`` as PostgreSQL's jsonb accepts it: no NaN/Infinity, NUL or lone surrogate, bounded
    depth (issue 19 point 5: one such value in ``extra`` used to fail the COPY of the partition)."""
    t = type(value)
    if t is str:
        return make_storable(value) if unstorable_reason(value) else value
    if t is float:
        return value if math.isfinite(value) else repr(value)
    if t is dict or t is list:
        if depth >= MAX_DEPTH:
            return TOO_DEEP
        if t is list:
            return [_jsonb_safe(v, depth + 1) for v in value]
        return {_jsonb_safe(str(k), depth + 1): _jsonb_safe(v, depth + 1) for k, v in value.items()}
    if t is Decimal and not value.is_finite():
        return str(value)
    return value


def _frame(s: DatasetSpec, rows: list[tuple[dict[str, Any], dict]]) -> pd.DataFrame:
    """Assemble the DataFrame with one nullable dtype per pg type (Decimal/date stay objects)."""
    data: dict[str, pd.Series] = {}
    for c in s.columns:
        dtype = _DTYPES.get(c.pg_type, "object")
        data[c.name] = pd.Series([r[0][c.name] for r in rows], dtype=dtype)
    data["row_no"] = pd.Series(range(len(rows)), dtype="Int64")
    data["extra"] = pd.Series([r[1] for r in rows], dtype="object")
    return pd.DataFrame(data, columns=[*s.column_names, "row_no", "extra"])
