"""Run a dataset's GX suite on a DataFrame and turn GX's answer into routing decisions.

Pure: no database. :func:`validate_dataframe` is what :func:`pantau.validate.validate_fetch` calls
after reading staging, and what tests call directly.

Why GX's result is used to route rows: with ``result_format=COMPLETE`` and
``unexpected_index_column_names=["row_no"]`` GX 1.24.1 returns every offending row's ``row_no``
(measured: 500 of 500 and 1 000 of 1 000 — only ``unexpected_list``, the *values*, is capped at
200, not ``unexpected_index_list``). Should a GX version cap the index list (GX issue #11483 says
COMPLETE is capped at 200 by design), the engine notices ``len(index_list) < unexpected_count`` and
recomputes that expectation's mask with pandas (:func:`_pandas_mask`), so no offending row can slip
into core unquarantined.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Mapping

from pantau.datasets import KNOWN_CODES, spec as get_spec
from pantau.validate import rules, suites
from pantau.validate.duplicates import DuplicateRouting, route, rows_from_frame
from pantau.sources.jsondecode import DUPLICATE_KEYS_KEY
from pantau.validate.model import CheckResult, Outcome

SAMPLE_SIZE = 20
RESULT_FORMAT = {"result_format": "COMPLETE", "unexpected_index_column_names": ["row_no"]}

_GX: dict[str, Any] = {}  # one ephemeral context per process, and one ValidationDefinition per dataset


@dataclass
class ValidationContext:
    """What a check needs to know beyond the rows: the partition and the reference data.

    ``known_kd_rup`` / ``known_satker`` are ``None`` when the reference is not loaded for that
    instansi/year: the referential check is then skipped (reported), never failed wholesale.
    """

    kd_klpd: str | None = None
    tahun: int | None = None
    kd_lpse: int | None = None
    fetch_id: int | None = None
    expect_rows: bool = True
    known_kd_rup: frozenset[int] | None = None
    known_satker: frozenset[str] | None = None        # "kd_klpd|kd_satker_str"
    satker_klpds: frozenset[str] | None = None        # instansi whose satker list is loaded
    # Same-grain routing decided from the full rows (store path reads them from staging); None →
    # computed from the frame's own columns.
    duplicates: DuplicateRouting | None = None
    # Source fields not in the spec → rows holding them, and non-null counts of the spec columns
    # (store path: counted in SQL over all staged columns); None → counted from the frame.
    unknown_fields: dict[str, int] | None = None
    column_counts: dict[str, int] | None = None

    @classmethod
    def of(cls, context: "ValidationContext | Mapping[str, Any] | None") -> "ValidationContext":
        if context is None:
            return cls()
        if isinstance(context, cls):
            return context
        return cls(**{k: v for k, v in dict(context).items() if k in cls.__dataclass_fields__})

    def describe(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("known_kd_rup", "known_satker", "satker_klpds"):
            d[k] = None if d[k] is None else len(d[k])
        dup = self.duplicates
        d["duplicates"] = None if dup is None else {"groups": dup.n_groups, "collapsed": len(dup.collapsed),
                                                    "conflicts": len(dup.conflicts)}
        return d


# ------------------------------------------------------------------------------------------ GX
def gx_context():
    """The process-wide ephemeral GX context (GX import + context cost ~3 s: pay it once)."""
    if "ctx" not in _GX:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)  # tqdm floods task logs
        _GX["ctx"] = ctx
        _GX["source"] = ctx.data_sources.add_pandas("pantau_staging")
    return _GX["ctx"]


def validation_definition(dataset: str):
    """The cached ValidationDefinition (pandas asset + whole-frame batch + suite) of ``dataset``."""
    key = f"vd:{dataset}"
    if key not in _GX:
        import great_expectations as gx

        ctx = gx_context()
        bd = _GX["source"].add_dataframe_asset(dataset).add_batch_definition_whole_dataframe("fetch")
        suite = ctx.suites.add(suites.build_suite(dataset))
        _GX[key] = ctx.validation_definitions.add(
            gx.ValidationDefinition(name=f"{suites.suite_name(dataset)}.vd", data=bd, suite=suite))
    return _GX[key]


# --------------------------------------------------------------------------- derived columns
def _as_dict(value: Any) -> dict | None:
    """A staging ``extra`` value as a dict: it arrives as a dict, as JSON text (COPY), or null/NaN."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def _unparsed_text(value: Any, *, whole_extra: bool = True) -> str | None:
    """'field=original; …' from an ``extra`` dict/JSON (``whole_extra``) or its ``_unparsed`` part."""
    value = _as_dict(value)
    if value is None:
        return None
    if whole_extra:
        value = value.get("_unparsed")
    if not isinstance(value, dict) or not value:
        return None
    return "; ".join(f"{k}={v!r}" for k, v in sorted(value.items()))


def _foreign_text(extra: Any, foreign: frozenset[str]) -> str | None:
    extra = _as_dict(extra)
    if extra is None:
        return None
    hit = sorted(k for k in extra if k in foreign)
    return ",".join(hit) or None


def _coerce(df, col: str, pg_type: str, bad: dict[int, list[str]]):
    """Cast a column of a DataFrame that did not come from staging; record values that fail."""
    import pandas as pd

    s = df[col]
    if pg_type in ("bigint", "integer", "numeric", "numeric(20,2)"):
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            return s
        out = pd.to_numeric(s, errors="coerce")
    elif pg_type in ("date", "timestamptz"):
        if pd.api.types.is_datetime64_any_dtype(s):
            return s
        out = pd.to_datetime(s, errors="coerce", utc=True, format="mixed")
    else:
        return s
    failed = out.isna() & s.notna()
    for pos in failed.to_numpy().nonzero()[0]:
        bad.setdefault(int(pos), []).append(f"{col}={s.iloc[pos]!r}")
    return out


def _years(s):
    """Year of each date value (Int64, null stays null) whatever the dtype."""
    import pandas as pd

    if pd.api.types.is_integer_dtype(s):
        return s.astype("Int64")
    if not pd.api.types.is_datetime64_any_dtype(s):
        s = pd.to_datetime(s, errors="coerce", utc=True, format="mixed")
    return s.dt.year.astype("Int64")


def _orphan_kd_rup(s, known: frozenset[int]):
    """The kd_rup text of rows none of whose ';'-listed ids is in ``known``; None otherwise.

    A consolidated package lists several kd_rup (sources.md §0.2), possibly of other years; the
    row is only an orphan when *no* listed id is known.
    """
    import pandas as pd

    text = s.astype("string").str.strip()
    out = pd.Series(pd.NA, index=s.index, dtype="string")
    present = text.notna() & (text != "")
    multi = present & text.str.contains(";", regex=False).fillna(False)
    single = present & ~multi
    known_idx = pd.Index(list(known), dtype="int64")
    nums = pd.to_numeric(text[single], errors="coerce")
    ok_single = nums.isin(known_idx)
    out[single[single].index[~ok_single.to_numpy()]] = text[single][~ok_single.to_numpy()]
    if multi.any():
        parts = text[multi].str.split(";").explode().str.strip()
        ok = pd.to_numeric(parts, errors="coerce").isin(known_idx).groupby(level=0).any()
        bad = ok[~ok].index
        out[bad] = text[bad]
    return out


def _orphan_satker(df, known: frozenset[str], loaded_klpd: frozenset[str]):
    import pandas as pd

    klpd = df["kd_klpd"].astype("string")
    code = df["kd_satker_str"].astype("string")
    check = klpd.isin(list(loaded_klpd)) & code.notna()
    pair = klpd + "|" + code
    bad = check & ~pair.isin(list(known))
    out = pd.Series(pd.NA, index=df.index, dtype="string")
    out[bad] = code[bad]
    return out


DUPLICATE_KEYS = "__duplicate_keys"   # derived: "key: [values] (same|differ)" per row, from extra
DUPLICATE_KEY_RULE = "duplicate_json_key"
DUPLICATE_KEY_REASON = ("the same key appears twice in one JSON object of the source, with different values "
                        "(the last value was kept)")
RENAMED_RULE_PREFIX = "renamed_optional:"


def _duplicate_keys_text(value: Any, *, whole_extra: bool = False) -> str | None:
    """'pagu: [1000000, 7] (differ)' for a row's repeated JSON keys (``extra._duplicate_keys``)."""
    value = _as_dict(value)
    if value is not None and whole_extra:
        value = value.get(DUPLICATE_KEYS_KEY)
    if not isinstance(value, dict) or not value:
        return None
    parts = []
    for key, values in sorted(value.items()):
        values = values if isinstance(values, list) else [values]
        same = all(v == values[0] for v in values)
        parts.append(f"{key}: {json.dumps(values, ensure_ascii=False, default=str)} ({'same' if same else 'differ'})")
    return "; ".join(parts)


def _similar(field: str, column: str) -> bool:
    """A source field that looks like a renamed spec column (``pagu_rup`` for ``pagu``)."""
    import difflib

    f, c = field.lower(), column.lower()
    if len(c) >= 3 and (c in f or (len(f) >= 3 and f in c)):
        return True
    return difflib.SequenceMatcher(None, f, c).ratio() >= 0.75


def _frame_field_counts(df, dataset: str) -> tuple[dict[str, int], dict[str, int]]:
    """(unknown source fields → rows, spec column → non-null rows) counted from a frame."""
    sp = get_spec(dataset)
    counts = {c.name: int(df[c.name].notna().sum()) for c in sp.columns if c.name in df.columns}
    unknown: dict[str, int] = {}
    if "extra" in df.columns:
        for extra in map(_as_dict, df["extra"]):
            if extra is not None:
                for k in extra:
                    if not str(k).startswith("_"):
                        unknown[k] = unknown.get(k, 0) + 1
    return unknown, counts


def renamed_optional_findings(dataset: str, n_rows: int, unknown: Mapping[str, int],
                              counts: Mapping[str, int]) -> list[CheckResult]:
    """Optional spec columns empty in every row while a similarly named unknown field is present.

    Why (issue 19 point 4): a renamed *required* column stops the partition (column_has_values),
    but a renamed optional one (``pagu_rup`` instead of ``pagu``) loaded as NULL with no word. The
    rows stay loadable; the finding (warning, no row flagged) names both fields with their counts.
    """
    if not n_rows or not unknown:
        return []
    sp = get_spec(dataset)
    required = set(rules.required_columns(sp))
    out: list[CheckResult] = []
    for c in sp.columns:
        if c.name in required or counts.get(c.name, 0) > 0:
            continue
        hits = sorted((f for f in unknown if _similar(f, c.name)), key=lambda f: (-unknown[f], f))
        if not hits:
            continue
        named = ", ".join(f"{f} ({unknown[f]} rows)" for f in hits)
        out.append(CheckResult(
            rule=f"{RENAMED_RULE_PREFIX}{c.name}", expectation_type="pantau_renamed_optional_column",
            column=c.name, severity="warning", action="flag", success=False, element_count=n_rows,
            unexpected_count=unknown[hits[0]], sample=hits[:SAMPLE_SIZE],
            message=(f"{dataset}: optional column {c.name} is empty in all {n_rows} rows while source field(s) "
                     f"not in the spec are present: {named} — renamed at the source?")))
    return out


def duplicate_key_finding(dataset: str, frame) -> CheckResult | None:
    """Rows whose JSON object repeated a key: conflicting values are quarantined, equal ones counted."""
    texts = frame[DUPLICATE_KEYS]
    present = texts.notna()
    if not present.any():
        return None
    differ = present & texts.astype("string").str.contains("(differ)", regex=False).fillna(False)
    keys: dict[str, int] = {}
    for t in texts[present]:
        for part in str(t).split("; "):
            keys[part.split(":", 1)[0]] = keys.get(part.split(":", 1)[0], 0) + 1
    n_same = int(present.sum() - differ.sum())
    per_key = ", ".join(f"{k} ({n} rows)" for k, n in sorted(keys.items()))
    rows = frame.loc[differ.to_numpy(), "row_no"].astype("int64").tolist()
    return CheckResult(
        rule=DUPLICATE_KEY_RULE, expectation_type="pantau_duplicate_json_key", column=None, severity="warning",
        action="quarantine", success=not rows, element_count=len(frame), unexpected_count=len(rows),
        sample=_json_safe(texts[differ].tolist()[:SAMPLE_SIZE]), row_nos=rows,
        message=(f"{dataset}: duplicate keys in one JSON object in {int(present.sum())} rows ({per_key}); "
                 f"{len(rows)} rows with different values quarantined (last value kept), {n_same} with equal "
                 "values loaded"))


def prepare_frame(dataset: str, df, context: ValidationContext):
    """Copy of ``df`` with ``row_no``, coerced spec types and every derived column the suite reads.

    Derived columns already present (the staging reader computes some in SQL) are kept as given.
    """
    import numpy as np
    import pandas as pd

    sp = get_spec(dataset)
    ex = rules.extra(dataset)
    out = df.copy(deep=False)
    out.index = pd.RangeIndex(len(out))
    if "row_no" not in out.columns:
        out["row_no"] = np.arange(len(out), dtype="int64")
    bad: dict[int, list[str]] = {}
    required = set(rules.required_columns(sp))
    for c in sp.columns:
        if c.name in out.columns:
            out[c.name] = _coerce(out, c.name, c.pg_type, bad)
        elif c.name not in required:
            # An optional column the source did not send is just empty; only required ones are drift.
            out[c.name] = pd.Series(None, index=out.index, dtype="object")
    if suites.UNPARSED not in out.columns:
        if "__unparsed_json" in out.columns:  # staging reader selected extra->'_unparsed' in SQL
            texts = [_unparsed_text(v, whole_extra=False) for v in out["__unparsed_json"]]
        elif "extra" in out.columns:
            texts = [_unparsed_text(v) for v in out["extra"]]
        else:
            texts = [None] * len(out)
        for pos, items in bad.items():
            texts[pos] = "; ".join(([texts[pos]] if texts[pos] else []) + items)
        out[suites.UNPARSED] = pd.Series(texts, dtype="object", index=out.index)
    if ex.foreign_fields and suites.FOREIGN not in out.columns:
        src = out["extra"] if "extra" in out.columns else pd.Series([None] * len(out), dtype=object)
        out[suites.FOREIGN] = pd.Series([_foreign_text(v, ex.foreign_fields) for v in src],
                                        dtype="object", index=out.index)
    for col in rules.date_columns(sp):
        yc = suites.year_col(col)
        if yc not in out.columns:
            out[yc] = _years(out[col]) if col in out.columns else pd.Series(pd.NA, index=out.index, dtype="Int64")
    for col, _key in rules.code_columns(sp).items():
        if col in rules.TOKEN_LISTS and suites.unknown_tokens_col(col) not in out.columns:
            out[suites.unknown_tokens_col(col)] = _unknown_tokens(out.get(col), KNOWN_CODES[_key], out.index)
    for total, parts in ex.identities:
        dc = suites.diff_col(total)
        if dc not in out.columns:
            cols = [total, *parts]
            if all(c in out.columns for c in cols):
                num = out[cols].apply(pd.to_numeric, errors="coerce").astype("float64")
                diff = num[total] - num[list(parts)].sum(axis=1, min_count=len(parts))
                out[dc] = diff.where(num.notna().all(axis=1))
            else:
                out[dc] = np.nan
    if DUPLICATE_KEYS not in out.columns:
        if "__duplicate_keys_json" in out.columns:  # staging reader selected extra->'_duplicate_keys'
            out[DUPLICATE_KEYS] = pd.Series([_duplicate_keys_text(v) for v in out["__duplicate_keys_json"]],
                                            dtype="object", index=out.index)
        elif "extra" in out.columns:
            out[DUPLICATE_KEYS] = pd.Series([_duplicate_keys_text(v, whole_extra=True) for v in out["extra"]],
                                            dtype="object", index=out.index)
        else:
            out[DUPLICATE_KEYS] = pd.Series(None, index=out.index, dtype="object")
    if suites.KEY_CONFLICT not in out.columns or suites.COLLAPSED not in out.columns:
        dup = context.duplicates
        if dup is None:
            dup = route(dataset, rows_from_frame(dataset, out, context.tahun))
        row_nos = out["row_no"].astype("int64")
        out[suites.KEY_CONFLICT] = pd.Series(row_nos.map(dup.conflicts).to_numpy(), index=out.index,
                                             dtype="object").where(row_nos.isin(list(dup.conflicts)), None)
        out[suites.COLLAPSED] = pd.array(row_nos.map(dup.collapsed), dtype="Int64")
    if ex.ref_kd_rup and suites.ORPHAN_RUP not in out.columns:
        if context.known_kd_rup is not None and "kd_rup" in out.columns:
            out[suites.ORPHAN_RUP] = _orphan_kd_rup(out["kd_rup"], context.known_kd_rup)
        else:
            out[suites.ORPHAN_RUP] = pd.Series(pd.NA, index=out.index, dtype="string")
    if ex.ref_satker and suites.ORPHAN_SATKER not in out.columns:
        if context.known_satker is not None and {"kd_klpd", "kd_satker_str"} <= set(out.columns):
            loaded = context.satker_klpds if context.satker_klpds is not None else frozenset(
                k.split("|", 1)[0] for k in context.known_satker)
            out[suites.ORPHAN_SATKER] = _orphan_satker(out, context.known_satker, loaded)
        else:
            out[suites.ORPHAN_SATKER] = pd.Series(pd.NA, index=out.index, dtype="string")
    return out


def _unknown_tokens(s, known: frozenset[str], index):
    """Unknown tokens of a ';'/','-joined code value, computed once per distinct value."""
    import re

    import pandas as pd

    if s is None:
        return pd.Series(pd.NA, index=index, dtype="string")
    mapping: dict[Any, Any] = {}
    for v in pd.unique(s.dropna()):
        toks = [t.strip() for t in re.split(r"[;,]", str(v)) if t.strip()]
        unknown = [t for t in toks if t not in known]
        mapping[v] = ",".join(unknown) if unknown else pd.NA
    return s.map(mapping).astype("string")


# ------------------------------------------------------------------------ results → routing
def _json_safe(v: Any) -> Any:
    import numpy as np
    import pandas as pd

    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, dict):
        return {str(k): _json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_safe(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, (int, float, str, bool)):
        return v
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _pandas_mask(cls: str, kw: dict[str, Any], frame, params: dict[str, Any]):
    """Offending-row mask for one expectation, for when GX's index list is shorter than its count."""
    import pandas as pd

    col = kw.get("column")
    s = frame[col] if col else None
    lo, hi = kw.get("min_value"), kw.get("max_value")
    lo = params.get(lo["$PARAMETER"]) if isinstance(lo, dict) else lo
    hi = params.get(hi["$PARAMETER"]) if isinstance(hi, dict) else hi
    if cls == "ExpectColumnValuesToNotBeNull":
        return s.isna()
    if cls == "ExpectColumnValuesToBeNull":
        return s.notna()
    if cls == "ExpectColumnValuesToBeInSet":
        return s.notna() & ~s.isin(kw["value_set"])
    if cls == "ExpectColumnValuesToBeBetween":
        v = pd.to_numeric(s, errors="coerce")
        m = pd.Series(False, index=s.index)
        if lo is not None:
            m |= v < lo
        if hi is not None:
            m |= v > hi
        return m & v.notna()
    if cls == "ExpectColumnValuesToBeUnique":
        return s.notna() & s.duplicated(keep=False)
    if cls == "ExpectCompoundColumnsToBeUnique":
        return frame.duplicated(subset=kw["column_list"], keep=False)
    raise ValueError(f"no pandas fallback for {cls}")


def _interpret(x, cls: str, kw: dict[str, Any], frame, n_rows: int, params: dict[str, Any],
               row_values: dict[str, dict[int, Any]]) -> CheckResult:
    meta = dict(x.expectation_config.meta or {})
    res = x.result or {}
    col = kw.get("column") or ("+".join(kw["column_list"]) if kw.get("column_list") else None)
    reason = meta.get("reason", "")
    check = CheckResult(
        rule=meta.get("rule", x.expectation_config.type), expectation_type=x.expectation_config.type,
        column=col, severity=meta.get("severity", "warning"), action=meta.get("action", "quarantine"),
        success=bool(x.success), element_count=res.get("element_count", n_rows),
        unexpected_count=res.get("unexpected_count"))
    raised = bool((x.exception_info or {}).get("raised_exception")) or any(
        isinstance(v, dict) and v.get("raised_exception") for v in (x.exception_info or {}).values())
    missing = [c for c in ([kw["column"]] if kw.get("column") else kw.get("column_list", [])) if c not in frame.columns]
    if cls == "ExpectColumnToExist":
        check.message = reason if not check.success else "present"
        return check
    if missing:
        check.success = False
        check.message = (f"{reason}: column {', '.join(missing)} missing" if check.severity == "critical"
                         else f"not evaluated: column {', '.join(missing)} missing")
        return check
    if raised:
        msg = next((v.get("exception_message") for v in (x.exception_info or {}).values()
                    if isinstance(v, dict) and v.get("exception_message")), None) or x.exception_info.get(
            "exception_message")
        # A check that could not run proves nothing: treat as critical rather than pass silently.
        check.success, check.severity, check.action = False, "critical", "stop"
        check.message = f"could not evaluate: {msg}"
        return check
    if n_rows == 0 and cls != "ExpectTableRowCountToBeBetween":
        check.success, check.message = True, "no rows"
        return check
    if cls in ("ExpectTableRowCountToBeBetween", "ExpectColumnProportionOfNonNullValuesToBeBetween"):
        check.message = f"{reason}: observed {_json_safe(res.get('observed_value'))}" if not check.success else "ok"
        check.unexpected_count = None if check.success else (n_rows if cls.startswith("ExpectColumnProp") else 0)
        return check
    idx = res.get("unexpected_index_list") or []
    count = res.get("unexpected_count") or 0
    if count and len(idx) < count:
        mask = _pandas_mask(cls, kw, frame, params)
        check.row_nos = frame.loc[mask.to_numpy(), "row_no"].astype("int64").tolist()
        check.row_source = "pandas"
    else:
        check.row_nos = [int(d["row_no"]) for d in idx]
    check.sample = _json_safe(list(res.get("partial_unexpected_list") or [])[:SAMPLE_SIZE])
    if not check.success:
        check.message = f"{reason}: {count} of {res.get('element_count', n_rows)} rows; e.g. {check.sample[:5]}"
        if col and kw.get("column"):
            vals = frame[kw["column"]]
            by_row = dict(zip(frame["row_no"].tolist(), vals.tolist())) if check.row_nos else {}
            row_values[check.rule] = {r: by_row.get(r) for r in check.row_nos}
    else:
        check.message = "ok"
    return check


def _trim(x) -> None:
    """Shrink a COMPLETE result in place so Data Docs and XCom stay small (rows are routed already)."""
    res = x.result or {}
    for k in ("unexpected_index_list", "unexpected_list", "partial_unexpected_index_list"):
        if isinstance(res.get(k), list):
            res[k] = res[k][:SAMPLE_SIZE]
    res.pop("unexpected_index_query", None)


def validate_dataframe(dataset: str, df, context: ValidationContext | Mapping[str, Any] | None = None) -> Outcome:
    """Run ``dataset``'s suite on ``df`` (rows in the staging shape) and decide every row's fate.

    Returns an :class:`Outcome`: per-expectation results, rows to quarantine (with rule ids and a
    reason naming the offending value), rows only flagged, and the critical failures. It never
    raises for bad data — the caller decides (``validate_fetch`` raises ``CriticalValidationError``).
    """
    ctx = ValidationContext.of(context)
    frame = prepare_frame(dataset, df, ctx)
    n_rows = len(frame)
    ex = rules.extra(dataset)
    params = {
        "min_rows": 1 if ctx.expect_rows else 0,
        "year_min": (ctx.tahun + ex.date_window[0]) if ctx.tahun else 1900,
        "year_max": (ctx.tahun + ex.date_window[1]) if ctx.tahun else 2999,
    }
    vd = validation_definition(dataset)
    gx_result = vd.run(batch_parameters={"dataframe": frame}, expectation_parameters=params,
                       result_format=RESULT_FORMAT)
    specs = suites.expectation_specs(dataset)
    by_rule = {kw["meta"]["rule"]: (cls, kw) for cls, kw in specs}
    results: list[CheckResult] = []
    row_values: dict[str, dict[int, Any]] = {}
    for x in gx_result.results:
        cls, kw = by_rule[(x.expectation_config.meta or {})["rule"]]
        results.append(_interpret(x, cls, kw, frame, n_rows, params, row_values))
        _trim(x)
    _mark_skipped_refs(results, ctx)
    dup_keys = duplicate_key_finding(dataset, frame)
    if dup_keys is not None:
        results.append(dup_keys)
        row_values[DUPLICATE_KEY_RULE] = dict(zip(dup_keys.row_nos, frame.set_index("row_no").loc[
            dup_keys.row_nos, DUPLICATE_KEYS].tolist())) if dup_keys.row_nos else {}
    if ctx.unknown_fields is None or ctx.column_counts is None:
        unknown, counts = _frame_field_counts(df, dataset)
    results.extend(renamed_optional_findings(
        dataset, n_rows, ctx.unknown_fields if ctx.unknown_fields is not None else unknown,
        ctx.column_counts if ctx.column_counts is not None else counts))
    quarantine: dict[int, tuple[list[str], list[str]]] = {}
    flagged: dict[int, list[str]] = {}
    collapsed: dict[int, int] = {}
    kept_of = dict(zip(frame["row_no"].astype("int64").tolist(), frame[suites.COLLAPSED].tolist()))
    for r in results:
        if r.success or r.severity != "warning":
            continue
        reason = by_rule[r.rule][1]["meta"]["reason"] if r.rule in by_rule else (
            DUPLICATE_KEY_REASON if r.rule == DUPLICATE_KEY_RULE else r.message)
        values = row_values.get(r.rule, {})
        for rn in r.row_nos:
            if r.action == "quarantine":
                entry = quarantine.setdefault(rn, ([], []))
                entry[0].append(r.rule)
                v = _json_safe(values.get(rn))
                entry[1].append(f"{reason} ({v})" if v is not None else reason)
            elif r.action == "flag":
                flagged.setdefault(rn, []).append(r.rule)
            elif r.action == "collapse" and kept_of.get(rn) is not None:
                collapsed[rn] = int(kept_of[rn])
    # A copy that also failed a quarantine rule is counted once, as quarantined (its twins fail alike).
    collapsed = {rn: kept for rn, kept in collapsed.items() if rn not in quarantine}
    # Disagreeing copies are a per-row finding; only rows bad on their own make a partition unloadable.
    n_bad = sum(1 for rules_, _r in quarantine.values() if any(not x.startswith("key_unique:") for x in rules_))
    if n_rows and n_bad == n_rows:
        results.append(CheckResult(
            rule="all_rows_quarantined", expectation_type="pantau_all_rows_quarantined", column=None,
            severity="critical", action="stop", success=False, element_count=n_rows, unexpected_count=n_rows,
            message=f"every one of {n_rows} rows failed a row-level check: nothing loadable"))
    return Outcome(dataset=dataset, suite=suites.suite_name(dataset), n_rows=n_rows, results=results,
                   quarantine=quarantine, flagged=flagged, gx_result=gx_result, context=ctx.describe(),
                   collapsed=collapsed)


def _mark_skipped_refs(results: Iterable[CheckResult], ctx: ValidationContext) -> None:
    """Say so in the audit when a referential check had no reference to check against."""
    for r in results:
        if r.rule == "ref:kd_rup" and ctx.known_kd_rup is None:
            r.message = "skipped: RUP of this tahun not loaded (neither core nor this run's staging)"
        if r.rule == "ref:kd_satker_str" and ctx.known_satker is None:
            r.message = "skipped: satker list of this instansi not loaded"
