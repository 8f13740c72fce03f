"""Bad-input matrix through the real pipeline: land → read → normalise → stage → validate → load.

For each case: the expected severity, the message, raw = loaded + quarantined, and on a critical
failure the previously loaded warehouse partition is untouched (and the raw payload kept).

Issue 19 adds the values that were misread or crashed a whole partition (money text, NUL, lone
surrogate, NaN, out-of-range numbers, nesting depth 5000, invalid UTF-8, duplicate JSON keys, a
renamed optional column, a 1 MB name, entity-encoded markup, a page of empty objects). Totals —
tried / quarantined with a reason / parsed and loaded / stopped with a named error / crashed — are
printed at the end of the module and written to ``$PANTAU_OUTPUT_DIR/bad_input_matrix_totals.json``;
crashed must be 0.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

from decimal import Decimal

from pantau import db
from vhelpers import ecat_v5_line, rup_penyedia, run_pipeline, struktur, table_digest, tender

N = 6  # rows per bad fetch


def _rup(mut: Callable[[int, dict], dict | None] = lambda i, r: r) -> list[dict]:
    out = []
    for i in range(N):
        r = mut(i, rup_penyedia(100 + i))
        if r is not None:
            out.append(r)
    return out


def _drop(field: str):
    return lambda i, r: {k: v for k, v in r.items() if k != field}


def _rename(old: str, new: str):
    return lambda i, r: {(new if k == old else k): v for k, v in r.items()}


def _first(**over):
    return lambda i, r: {**r, **over} if i == 0 else r


def _raw_first(old: str, new: str) -> Callable[[], bytes]:
    """A body as bytes whose first record has ``old`` (JSON text of rup_penyedia(100)) replaced by
    ``new``: for values json.dumps cannot write (invalid UTF-8, duplicate keys, depth 5000)."""
    def body() -> bytes:
        recs = [json.dumps(r) for r in _rup()]
        assert old in recs[0], (old, recs[0])
        recs[0] = recs[0].replace(old, new, 1)
        return ("[" + ", ".join(recs) + "]").encode("utf-8", "surrogateescape")
    return body


def _core_value(column: str, expected: Any):
    """Check: core.rup_paket of the first package holds ``expected`` in ``column``."""
    def check(url: str) -> None:
        with db.connect(url) as c, c.cursor() as cur:
            cur.execute(f"SELECT {column} FROM core.rup_paket WHERE kd_rup = 53605100")
            got = cur.fetchone()[0]
        assert got == expected, (column, got, expected)
    return check


def _no_markup_in_core(url: str) -> None:
    with db.connect(url) as c, c.cursor() as cur:
        cur.execute("SELECT nama_paket FROM core.rup_paket WHERE kd_rup = 53605100")
        name = cur.fetchone()[0]
    assert "<img" not in name and "onerror" in name, name


DEEP = "[" * 5000 + "]" * 5000


@dataclass
class Case:
    id: str
    dataset: str
    body: Callable[[], bytes | list[dict]]
    severity: str                 # "critical" | "warning" | "ok"
    rule: str | None              # rule id expected among the failures (critical) / quarantine / flags
    quarantined: int = 0
    flagged: int = 0
    collapsed: int = 0
    message: str = ""             # substring of the critical error / quarantine reason
    land_kw: dict | None = None
    check: Callable[[str], None] | None = None   # extra assertion on the warehouse (url)


CASES = [
    Case("clean", "rup_paket_penyedia", lambda: _rup(), "ok", None),
    Case("missing_column", "rup_paket_penyedia", lambda: _rup(_drop("pagu")), "critical",
         "column_has_values:pagu", message="required column pagu empty in every row"),
    Case("renamed_column", "rup_paket_penyedia", lambda: _rup(_rename("kd_rup", "kode_rup")), "critical",
         "column_has_values:kd_rup", message="kode_rup"),
    Case("wrong_type", "rup_paket_penyedia", lambda: _rup(_first(pagu="satu juta")), "warning", "unparsed",
         quarantined=1, message="pagu='satu juta'"),
    # Issue 14 p. 5: same key with different values quarantines every copy (naming the fields);
    # it used to stop the partition (critical). Identical copies collapse.
    Case("duplicate_key", "rup_paket_penyedia", lambda: _rup(lambda i, r: {**r, "kd_rup": 53605100} if i < 2 else r),
         "warning", "key_unique:kd_rup", quarantined=2, message="differ in: nama_paket, pagu"),
    Case("repeated_fact", "rup_paket_penyedia",
         lambda: _rup() + [{**rup_penyedia(100), "_event_date": "2025-10-04"}], "warning", "collapsed:kd_rup",
         collapsed=1),
    Case("null_key", "rup_paket_penyedia", lambda: _rup(_first(kd_rup=None)), "warning", "key_not_null:kd_rup",
         quarantined=1, message="key column kd_rup is null"),
    Case("negative_pagu", "rup_paket_penyedia", lambda: _rup(_first(pagu=-5)), "warning", "non_negative:pagu",
         quarantined=1, message="pagu is negative (-5.0)"),
    Case("unknown_status", "rup_paket_penyedia", lambda: _rup(_first(metode_pengadaan="Lelang Kilat")), "warning",
         "code_list:metode_pengadaan", flagged=1),
    Case("date_other_decade", "rup_paket_penyedia", lambda: _rup(_first(tgl_pengumuman_paket="2035-01-14 10:00:00")),
         "warning", "date_in_year:tgl_pengumuman_paket", quarantined=1, message="(2035)"),
    # Issue 14 p. 4: an orphan kd_rup is a finding (flagged, loaded), no longer quarantined.
    Case("orphan_kd_rup", "spse_tender_pengumuman",
         lambda: [tender(i, kd_rup="99999999") if i == 0 else tender(i) for i in range(N)], "warning", "ref:kd_rup",
         flagged=1, land_kw={"kd_klpd": None, "kd_lpse": 93}),
    Case("orphan_kd_rup_list_ok", "spse_tender_pengumuman",
         lambda: [tender(i, kd_rup="99999999;53605001") if i == 0 else tender(i) for i in range(N)], "ok", None,
         land_kw={"kd_klpd": None, "kd_lpse": 93}),
    Case("broken_struktur_identity", "rup_struktur_anggaran",
         lambda: [struktur(i, belanja_pengadaan=999) if i == 0 else struktur(i) for i in range(N)], "warning",
         "identity:belanja_pengadaan", quarantined=1, message="belanja_pengadaan ≠ belanja_operasi"),
    Case("all_rows_bad", "rup_paket_penyedia", lambda: _rup(lambda i, r: {**r, "pagu": -1}), "critical",
         "all_rows_quarantined", message="nothing loadable"),
    Case("empty_file", "rup_paket_penyedia", lambda: b"", "critical", "row_count",
         message="no rows where rows were expected"),
    Case("isb_data_kosong", "rup_paket_penyedia",
         lambda: b"<invalid_response>Data Kosong, silakan ulangi</invalid_response>", "critical", "row_count"),
    Case("non_json_body", "rup_paket_penyedia", lambda: b"Internal Server Error: database timeout", "critical",
         "RawFormatError", message="JSON body", land_kw={"status": "ok"}),
    Case("truncated_json", "rup_paket_penyedia", lambda: b'[{"kd_rup": 53605100, "pagu": 10', "critical",
         "RawFormatError", message="truncated", land_kw={"status": "ok"}),
    Case("html_error_page", "rup_paket_penyedia",
         lambda: b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", "critical",
         "RawFormatError", message="html", land_kw={"status": "ok"}),
    Case("v5_file_on_v6_endpoint", "ecat_paket_v6", lambda: [ecat_v5_line(i) for i in range(8)], "critical",
         "foreign_feed", message="kd_produk"),
    # ---- issue 19 point 1: money text read exactly, or quarantined — never misread ×1000
    Case("money_rp_thousands", "rup_paket_penyedia", lambda: _rup(_first(pagu="Rp 1.234")), "ok", None,
         check=_core_value("pagu", Decimal("1234.00"))),
    Case("money_dot_thousands", "rup_paket_penyedia", lambda: _rup(_first(pagu="1.000")), "ok", None,
         check=_core_value("pagu", Decimal("1000.00"))),
    Case("money_id_decimal_comma", "rup_paket_penyedia", lambda: _rup(_first(pagu="Rp 1.234.567,89")), "ok", None,
         check=_core_value("pagu", Decimal("1234567.89"))),
    Case("money_machine_text", "rup_paket_penyedia", lambda: _rup(_first(pagu="1234.56")), "ok", None,
         check=_core_value("pagu", Decimal("1234.56"))),
    Case("money_bad_grouping", "rup_paket_penyedia", lambda: _rup(_first(pagu="1.23.4")), "warning", "unparsed",
         quarantined=1, message="pagu='1.23.4'"),
    Case("money_abbreviated", "rup_paket_penyedia", lambda: _rup(_first(pagu="3,8 Jt")), "warning", "unparsed",
         quarantined=1, message="pagu='3,8 Jt'"),
    # ---- point 5: value-level inputs that crashed the partition
    Case("nul_in_text", "rup_paket_penyedia", lambda: _rup(_first(nama_paket="Paket\u0000X")), "warning", "unparsed",
         quarantined=1, message="nama_paket='repaired at decode: NUL character'"),
    Case("lone_surrogate", "rup_paket_penyedia", lambda: _rup(_first(nama_paket="Paket \ud800")), "warning",
         "unparsed", quarantined=1, message="nama_paket='repaired at decode: lone UTF-16 surrogate"),
    Case("nan_literal_money", "rup_paket_penyedia", lambda: _rup(_first(pagu=float("nan"))), "warning", "unparsed",
         quarantined=1, message="pagu='nan'"),
    Case("money_1e30", "rup_paket_penyedia", lambda: _rup(_first(pagu=1e30)), "warning", "unparsed",
         quarantined=1, message="pagu=1000000000000000000000000000000"),
    Case("money_text_1e21", "rup_paket_penyedia", lambda: _rup(_first(pagu="1e21")), "warning", "unparsed",
         quarantined=1, message="pagu='1e21'"),
    Case("kd_rup_2_63", "rup_paket_penyedia", lambda: _rup(_first(kd_rup=2**63)), "warning", "unparsed",
         quarantined=1, message="kd_rup=9223372036854775808"),
    Case("kd_rup_1e30", "rup_paket_penyedia", lambda: _rup(_first(kd_rup=10**30)), "warning", "unparsed",
         quarantined=1, message="kd_rup=1000000000000000000000000000000"),
    Case("tahun_2_40", "rup_paket_penyedia", lambda: _rup(_first(tahun_anggaran=2**40)), "warning", "unparsed",
         quarantined=1, message="tahun_anggaran=1099511627776"),
    Case("nesting_depth_5000", "rup_paket_penyedia", _raw_first('"nama_paket"', f'"lampiran": {DEEP}, "nama_paket"'),
         "warning", "unparsed", quarantined=1, message="lampiran='repaired at decode: <nesting deeper than",
         land_kw={"status": "ok"}),
    Case("invalid_utf8", "rup_paket_penyedia", _raw_first('"Paket 100"', '"Paket \udcff\udcfe 100"'), "warning",
         "unparsed", quarantined=1, message="nama_paket='repaired at decode: lone UTF-16 surrogate / invalid UTF-8'",
         land_kw={"status": "ok"}),
    # ---- point 4: silent changes become findings
    Case("duplicate_json_key", "rup_paket_penyedia", _raw_first('"pagu": 1000100', '"pagu": 1000100, "pagu": 7'),
         "warning", "duplicate_json_key", quarantined=1, message="pagu: [1000100, 7] (differ)",
         land_kw={"status": "ok"}),
    Case("duplicate_json_key_same_value", "rup_paket_penyedia",
         _raw_first('"pagu": 1000100', '"pagu": 1000100, "pagu": 1000100'), "ok", None, land_kw={"status": "ok"},
         check=_core_value("pagu", Decimal("1000100.00"))),
    Case("renamed_optional_column", "rup_paket_penyedia", lambda: _rup(_rename("status_pradipa", "status_pradipa_rup")),
         "warning", "renamed_optional:status_pradipa"),
    # ---- point 6: length caps and row shape
    Case("one_megabyte_name", "rup_paket_penyedia", lambda: _rup(_first(nama_paket="A" * 1_000_000)), "warning",
         "unparsed", quarantined=1, message="[1000000 characters, cap 1000 for nama_paket]"),
    Case("empty_objects", "rup_paket_penyedia", lambda: b"[" + b",".join([b"{}"] * 200_000) + b"]", "critical",
         "RawShapeError", message="record 0 has no field of rup_paket_penyedia", land_kw={"status": "ok"}),
    # ---- point 12: entity-encoded markup stays inert text
    Case("entity_encoded_markup", "rup_paket_penyedia",
         lambda: _rup(_first(nama_paket="&lt;img src=x onerror=alert(1)&gt;")), "ok", None, check=_no_markup_in_core),
]

TOTALS: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_totals():
    """Print and record the matrix totals (the lead quotes them in the issue's closing note)."""
    yield
    totals = {k: TOTALS[k] for k in ("tried", "quarantined_with_reason", "parsed", "stopped_named", "crashed")}
    print("\nbad-input matrix totals:", json.dumps(totals))
    out = Path(os.environ.get("PANTAU_OUTPUT_DIR", ".")) / "bad_input_matrix_totals.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**totals, "cases": len(CASES)}, indent=1))


def _core_partition(url: str) -> str:
    return table_digest(url, "core.rup_paket", "kd_klpd = 'D107' AND tahun_anggaran = 2025")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(loaded_rup, case: Case):
    url = loaded_rup
    before = _core_partition(url)
    TOTALS["tried"] += 1
    try:
        run = run_pipeline(url, case.dataset, case.body(), **(case.land_kw or {}))
    except Exception:
        TOTALS["crashed"] += 1  # a foreign exception escaped: the partition would have crashed
        raise
    _count(case, run)

    if case.severity == "critical":
        err = run.stage_error or run.critical
        assert err is not None, f"{case.id}: expected a critical stop, got {run.summary}"
        text = str(err)
        if run.critical is not None:
            assert case.rule in [f.rule for f in run.critical.failures], text
            for part in (case.dataset, "instansi=", "tahun=2025", case.rule, f"rows={run.raw_rows}"):
                assert part in text, (part, text)
        else:
            assert type(err).__name__ == case.rule, text
        assert case.message.lower() in text.lower(), text
        assert run.load is None
        # nothing quarantined, nothing loaded, previous partition untouched, raw payload kept
        assert _core_partition(url) == before
        with db.connect(url) as c, c.cursor() as cur:
            cur.execute("SELECT count(*) FROM raw.fetch_page WHERE fetch_id = %s", (run.fetch_id,))
            assert cur.fetchone()[0] == 1
            cur.execute(f"SELECT count(*) FROM quarantine.{case.dataset} WHERE fetch_id = %s", (run.fetch_id,))
            assert cur.fetchone()[0] == 0
            if run.critical is not None:  # the run's evidence is committed before the raise
                cur.execute("SELECT count(*) FROM audit.validation_run WHERE fetch_id = %s AND severity = 'critical' "
                            "AND NOT success", (run.fetch_id,))
                assert cur.fetchone()[0] >= 1
        return

    s = run.summary
    assert run.critical is None and run.stage_error is None and run.load is not None
    assert s.n_critical == 0
    assert s.n_quarantined == case.quarantined == run.n_quarantine_table
    assert s.n_flagged == case.flagged
    assert s.n_collapsed == case.collapsed == run.load.rows_collapsed
    # nothing lost: raw = loaded + quarantined + collapsed
    assert run.raw_rows == run.loaded + run.quarantined + run.collapsed, (run.raw_rows, run.loaded, run.quarantined)
    assert run.load.rows_in == run.load.rows_accepted + run.load.rows_quarantined + run.load.rows_collapsed
    assert run.load.rows_dropped == 0
    assert run.load.rows_quarantined == case.quarantined
    failed = {r.rule for r in s.results if not r.success}
    if case.rule:
        assert case.rule in failed
    else:
        assert failed == set(), failed
    if case.quarantined:
        with db.connect(url) as c, c.cursor() as cur:
            cur.execute(f"SELECT reason, expectation FROM quarantine.{case.dataset} WHERE fetch_id = %s",
                        (run.fetch_id,))
            reason, expectation = cur.fetchone()
            assert case.rule in expectation.split(",")
            assert case.message in reason, reason
    if case.check:
        case.check(url)


def _count(case: Case, run) -> None:
    """Classify one outcome for the totals (a case is counted once, by what happened to it)."""
    if run.stage_error is not None or run.critical is not None:
        TOTALS["stopped_named"] += 1
    elif run.summary is not None and run.summary.n_quarantined:
        TOTALS["quarantined_with_reason"] += 1
    else:
        TOTALS["parsed"] += 1


def test_matrix_totals_no_crash():
    """Runs after the cases (file order): every case ran and none crashed."""
    if TOTALS["tried"] < len(CASES):
        pytest.skip("run with the whole matrix for totals")
    assert TOTALS["crashed"] == 0, dict(TOTALS)
    assert TOTALS["tried"] == TOTALS["quarantined_with_reason"] + TOTALS["parsed"] + TOTALS["stopped_named"]


def test_validate_fetch_is_idempotent(loaded_rup):
    """A second validation of the same fetch replaces its quarantine rows and adds a new audit run."""
    from pantau.validate import validate_fetch

    url = loaded_rup
    run = run_pipeline(url, "rup_paket_penyedia", _rup(_first(pagu=-5)))
    again = validate_fetch(run.fetch_id, url=url)
    assert again.run_id != run.summary.run_id and again.n_quarantined == 1
    with db.connect(url) as c, c.cursor() as cur:
        cur.execute("SELECT count(*), min(run_id) FROM quarantine.rup_paket_penyedia WHERE fetch_id = %s",
                    (run.fetch_id,))
        assert cur.fetchone() == (1, again.run_id)
        cur.execute("SELECT count(DISTINCT run_id), count(*) FILTER (WHERE run_id = %s) FROM audit.validation_run "
                    "WHERE fetch_id = %s", (again.run_id, run.fetch_id))
        n_runs, n_rows = cur.fetchone()
        assert n_runs == 2 and n_rows == len(again.results)
