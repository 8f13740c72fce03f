"""GX Core 1.x expectation suites, one per staging dataset, kept as code.

Why code and not JSON files: the suites follow :mod:`pantau.datasets` (a new required column or
code list changes the suite in the same commit) and the per-dataset extras in
:mod:`pantau.validate.rules`. Each expectation carries ``meta`` with the project's own rule id,
severity (``critical``/``warning``) and action (``stop``/``quarantine``/``flag``/``collapse``) so the engine can
route rows without a second table of rules.

Row-level checks that GX cannot express on one column (multi-valued ``kd_rup`` lookups, sums across
columns, fields hidden in ``extra``) are evaluated by GX on *derived* columns that
:func:`pantau.validate.engine.prepare_frame` adds (names start with ``__``): GX still decides and
reports, and the derived value (e.g. the orphan ``kd_rup`` or the identity's difference) is what
appears as the unexpected value in Data Docs and in ``audit.validation_run.sample``.

GX is imported inside functions only.
"""
from __future__ import annotations

from typing import Any

from pantau.datasets import KNOWN_CODES, spec as get_spec
from pantau.validate import rules

SUITE_PREFIX = "pantau."
IDENTITY_TOLERANCE = 0.01  # one sen: money is numeric(20,2)

# Derived column names (built by engine.prepare_frame).
UNPARSED = "__unparsed"
FOREIGN = "__foreign_fields"
ORPHAN_RUP = "__orphan_kd_rup"
ORPHAN_SATKER = "__orphan_satker"
KEY_CONFLICT = "__key_conflict"     # why a same-grain group disagrees (every copy quarantined)
COLLAPSED = "__collapsed_into"      # row_no of the kept copy, for collapsed copies


def year_col(column: str) -> str:
    return f"__year__{column}"


def unknown_tokens_col(column: str) -> str:
    return f"__unknown__{column}"


def diff_col(total: str) -> str:
    return f"__diff__{total}"


def suite_name(dataset: str) -> str:
    return f"{SUITE_PREFIX}{dataset}"


def _meta(rule: str, severity: str, action: str, reason: str) -> dict[str, Any]:
    return {"rule": rule, "severity": severity, "action": action, "reason": reason}


def expectation_specs(dataset: str) -> list[tuple[str, dict[str, Any]]]:
    """(GX class name, kwargs incl. meta) for every check of ``dataset``, in evaluation order.

    Kept separate from GX objects so tests and the DDL/doc tooling can read the rule list without
    importing GX (3 s).
    """
    sp = get_spec(dataset)
    ex = rules.extra(dataset)
    out: list[tuple[str, dict[str, Any]]] = []

    def add(cls: str, meta: dict[str, Any], **kw: Any) -> None:
        out.append((cls, {**kw, "meta": meta}))

    add("ExpectTableRowCountToBeBetween",
        _meta("row_count", "critical", "stop", "no rows where rows were expected (empty or unparseable file)"),
        min_value={"$PARAMETER": "min_rows"})
    for col in rules.required_columns(sp):
        # One expectation covers "absent" and "empty everywhere": on an absent column GX raises, which
        # the engine reports as this critical rule failing ("column missing"). A separate
        # ExpectColumnToExist per column cost ~30 ms of GX overhead each and said nothing more.
        add("ExpectColumnProportionOfNonNullValuesToBeBetween",
            _meta(f"column_has_values:{col}", "critical", "stop",
                  f"required column {col} empty in every row (renamed or missing in the source)"),
            column=col, min_value=0, strict_min=True)
    if ex.foreign_fields:
        add("ExpectColumnValuesToBeNull",
            _meta("foreign_feed", "critical", "stop",
                  "rows carry fields of another feed (e.g. an e-Katalog v5 file on the v6 endpoint)"),
            column=FOREIGN, mostly=0.5)
    # Same grain key: copies of one fact collapse, copies that differ are quarantined — both per
    # row (pantau.validate.duplicates decides; GX reports on the derived columns). Never a stop.
    key = "+".join(sp.key)
    if ex.repeats_are_facts:
        dup_reason = "same grain key repeated: distinct lines, all kept (core key gets an ordinal)"
    else:
        dup_reason = "duplicate grain key " + " × ".join(sp.key) + " with different values (all copies quarantined)"
    add("ExpectColumnValuesToBeNull",
        _meta(f"key_unique:{key}", "warning", "quarantine", dup_reason), column=KEY_CONFLICT)
    add("ExpectColumnValuesToBeNull",
        _meta(f"collapsed:{key}", "warning", "collapse",
              "identical copy of another row (only source metadata / fan-out fields differ): collapsed onto it"),
        column=COLLAPSED)
    for col in rules.key_not_null_columns(sp):
        add("ExpectColumnValuesToNotBeNull",
            _meta(f"key_not_null:{col}", "warning", "quarantine", f"key column {col} is null"), column=col)
    for col, code_key in rules.code_columns(sp).items():
        if col in rules.TOKEN_LISTS:
            add("ExpectColumnValuesToBeNull",
                _meta(f"code_list:{col}", "warning", "flag", f"unknown {col} value (not in KNOWN_CODES[{code_key}])"),
                column=unknown_tokens_col(col))
        else:
            add("ExpectColumnValuesToBeInSet",
                _meta(f"code_list:{col}", "warning", "flag", f"unknown {col} value (not in KNOWN_CODES[{code_key}])"),
                column=col, value_set=sorted(KNOWN_CODES[code_key]))
    for col in rules.money_columns(sp):
        add("ExpectColumnValuesToBeBetween",
            _meta(f"non_negative:{col}", "warning", "quarantine", f"{col} is negative"), column=col, min_value=0)
    for col in rules.date_columns(sp):
        add("ExpectColumnValuesToBeBetween",
            _meta(f"date_in_year:{col}", "warning", "quarantine",
                  f"{col} outside fiscal year window (tahun{ex.date_window[0]:+d} … tahun{ex.date_window[1]:+d})"),
            column=year_col(col), min_value={"$PARAMETER": "year_min"}, max_value={"$PARAMETER": "year_max"})
    for total, parts in ex.identities:
        add("ExpectColumnValuesToBeBetween",
            _meta(f"identity:{total}", "warning", "quarantine", f"{total} ≠ {' + '.join(parts)}"),
            column=diff_col(total), min_value=-IDENTITY_TOLERANCE, max_value=IDENTITY_TOLERANCE)
    if ex.ref_kd_rup:
        add("ExpectColumnValuesToBeNull",
            _meta("ref:kd_rup", "warning", "flag",
                  "finding, rows loaded: kd_rup not found in RUP of the same tahun (see audit.orphan_kd_rup)"),
            column=ORPHAN_RUP)
    if ex.ref_satker:
        add("ExpectColumnValuesToBeNull",
            _meta("ref:kd_satker_str", "warning", "flag",
                  "finding, rows loaded: kd_satker_str not in core.dim_satker of the instansi (see audit.orphan_satker)"),
            column=ORPHAN_SATKER)
    add("ExpectColumnValuesToBeNull",
        _meta("unparsed", "warning", "quarantine", "source value could not be parsed (extra._unparsed)"),
        column=UNPARSED)
    return out


def build_suite(dataset: str):
    """A fresh ``gx.ExpectationSuite`` for ``dataset`` (new objects each call: a suite's expectations
    cannot be shared between two contexts)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    expectations = [getattr(gxe, cls)(**kw) for cls, kw in expectation_specs(dataset)]
    return gx.ExpectationSuite(name=suite_name(dataset), expectations=expectations,
                               meta={"dataset": dataset, "source": "pantau.validate.suites"})


def derived_columns(dataset: str) -> list[str]:
    """Names of the derived columns the suite reads (engine must provide each)."""
    cols: list[str] = []
    for _cls, kw in expectation_specs(dataset):
        for c in [kw.get("column"), *kw.get("column_list", [])]:
            if c and c.startswith("__") and c not in cols:
                cols.append(c)
    return cols
