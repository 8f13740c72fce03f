"""Result types and the critical error of the validation step (standard library only).

Why a separate module: the DAG files and the loader import these names at parse time; GX and
pandas stay behind function calls in :mod:`pantau.validate.engine`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["critical", "warning"]
# What a failed check does: stop the partition, send its rows to quarantine, or only report them.
# "collapse": the row is an identical copy of another one (one fact published twice) and is
# merged onto it — counted, not loaded separately.
Action = Literal["stop", "quarantine", "flag", "collapse"]


@dataclass
class CheckResult:
    """One expectation of one run, in the shape `audit.validation_run` stores."""

    rule: str                      # stable rule id, e.g. "not_null:kd_rup"; quarantine.expectation
    expectation_type: str          # GX type, e.g. "expect_column_values_to_not_be_null"
    column: str | None
    severity: Severity
    action: Action
    success: bool
    element_count: int | None
    unexpected_count: int | None
    sample: list[Any] = field(default_factory=list)   # up to 20 offending values (JSON-safe)
    row_nos: list[int] = field(default_factory=list)  # every offending row_no (quarantine / flag)
    message: str = ""
    row_source: str = "gx"         # "gx" (unexpected_index_list) or "pandas" (fallback mask)

    @property
    def is_critical_failure(self) -> bool:
        return self.severity == "critical" and not self.success


@dataclass
class Outcome:
    """What :func:`pantau.validate.validate_dataframe` found; pure data, no database involved."""

    dataset: str
    suite: str
    n_rows: int
    results: list[CheckResult]
    quarantine: dict[int, tuple[list[str], list[str]]]  # row_no -> (rules, reasons)
    flagged: dict[int, list[str]]                        # row_no -> rules (kept, reported)
    gx_result: Any = None                                # ExpectationSuiteValidationResult (trimmed)
    context: dict[str, Any] = field(default_factory=dict)
    collapsed: dict[int, int] = field(default_factory=dict)  # row_no -> kept row_no (not loaded)

    @property
    def n_collapsed(self) -> int:
        return len(self.collapsed)

    @property
    def critical(self) -> list[CheckResult]:
        return [r for r in self.results if r.is_critical_failure]

    @property
    def n_quarantined(self) -> int:
        return len(self.quarantine)

    @property
    def n_flagged(self) -> int:
        return len(self.flagged)


@dataclass
class ValidationSummary:
    """What :func:`pantau.validate.validate_fetch` returns (and what XCom may carry as a dict)."""

    dataset: str
    fetch_id: int
    n_rows: int
    n_quarantined: int
    n_critical: int
    results: list[CheckResult]
    run_id: int | None = None
    kd_klpd: str | None = None
    tahun: int | None = None
    n_flagged: int = 0
    suite: str = ""
    gx_result: Any = None
    n_collapsed: int = 0

    @property
    def n_loadable(self) -> int:
        """Rows the loader will take: raw = loadable + quarantined + collapsed."""
        return self.n_rows - self.n_quarantined - self.n_collapsed


class CriticalValidationError(Exception):
    """A partition failed a critical expectation: nothing may be loaded, the raw payload stays.

    The message names dataset, instansi, year, the failed expectations and their counts, so the
    Airflow task log alone tells the data team what broke.
    """

    def __init__(self, dataset: str, instansi: str | None, tahun: int | None, failures: list[CheckResult],
                 *, fetch_id: int | None = None, n_rows: int = 0, run_id: int | None = None) -> None:
        self.dataset = dataset
        self.instansi = instansi
        self.tahun = tahun
        self.failures = failures
        self.fetch_id = fetch_id
        self.n_rows = n_rows
        self.run_id = run_id
        parts = [f"{f.rule} ({f.expectation_type}): {f.message}" for f in failures]
        super().__init__(
            f"critical validation failure: dataset={dataset} instansi={instansi} tahun={tahun} "
            f"fetch_id={fetch_id} rows={n_rows}; " + "; ".join(parts)
        )
