"""validate_dataframe (pure, no DB): suites from the specs, row routing, GX row lists, Data Docs."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from pantau.datasets import DATASETS
from pantau.validate import build_data_docs, suites, validate_dataframe
from pantau.validate import rules as vrules
from pantau.validate.engine import _pandas_mask, _orphan_kd_rup


def _frame(n: int = 5) -> pd.DataFrame:
    return pd.DataFrame({
        "tahun_anggaran": [2025] * n, "kd_klpd": ["D107"] * n, "kd_satker_str": ["1.01"] * n,
        "kd_rup": np.arange(n) + 100, "pagu": [10.0] * n, "metode_pengadaan": ["Tender"] * n,
        "tgl_pengumuman_paket": pd.to_datetime(["2025-01-02"] * n, utc=True), "extra": [{}] * n})


def test_every_dataset_has_a_suite_with_the_spec_key_and_required_columns():
    for name, sp in DATASETS.items():
        rules = {kw["meta"]["rule"] for _c, kw in suites.expectation_specs(name)}
        assert "key_unique:" + "+".join(sp.key) in rules, name
        nullable = vrules.extra(name).nullable_key  # key parts empty by design (no_realisasi, no_bast, …)
        for c in sp.columns:
            if c.required and c.name not in nullable:
                assert f"column_has_values:{c.name}" in rules, (name, c.name)
        suite = suites.build_suite(name)
        assert suite.name == f"pantau.{name}" and len(suite.expectations) == len(rules)
    # v5 e-purchasing: unique per order line (kd_paket × kd_produk), not per order
    assert "key_unique:kd_paket+kd_produk" in {kw["meta"]["rule"] for _c, kw in suites.expectation_specs("ecat_paket_v5")}


def test_v5_lines_of_one_order_are_not_duplicates_and_a_repeated_line_collapses():
    """Issue 14 p. 5: a line repeated with identical values is one fact (collapsed, counted), not a
    critical duplicate key (it used to stop the whole partition)."""
    df = pd.DataFrame({"tahun_anggaran": [2025] * 3, "kd_klpd": ["D107"] * 3, "kd_paket": [7, 7, 7],
                       "kd_produk": [1, 2, 2]})
    out = validate_dataframe("ecat_paket_v5", df, {"tahun": 2025, "expect_rows": True})
    assert out.critical == [] and out.quarantine == {}
    assert out.collapsed == {2: 1}
    ok = validate_dataframe("ecat_paket_v5", df.iloc[:2], {"tahun": 2025})
    assert ok.critical == [] and ok.collapsed == {}


def test_same_key_different_values_quarantines_every_copy_naming_the_fields():
    df = pd.DataFrame({"tahun_anggaran": [2025] * 4, "kd_klpd": ["D107"] * 4, "kd_paket": [7, 7, 7, 8],
                       "kd_produk": [1, 2, 2, 1], "kuantitas": [1.0, 2.0, 3.0, 1.0],
                       "source_event_date": ["2025-09-01", "2025-09-01", "2025-09-02", "2025-09-01"]})
    out = validate_dataframe("ecat_paket_v5", df, {"tahun": 2025})
    assert out.critical == [] and out.collapsed == {}
    assert sorted(out.quarantine) == [1, 2]
    reason = out.quarantine[1][1][0]
    assert "key_unique:kd_paket+kd_produk" in out.quarantine[1][0]
    assert "differ in: kuantitas" in reason and "source_event_date" not in reason


def test_copies_differing_only_in_metadata_or_fan_out_collapse():
    """BAPBAST published twice (only _event_date differs); realisasi repeated per kd_rup_paket."""
    pay = pd.DataFrame({"tahun_anggaran": [2025] * 2, "kd_klpd": ["D107"] * 2, "kd_nontender": [5, 5],
                        "no_bap": ["B1", "B1"], "no_bast": ["S1", "S1"], "besar_pembayaran": [10.0, 10.0],
                        "source_event_date": ["2025-09-01", "2025-09-02"]})
    assert validate_dataframe("spse_nontender_ekontrak_bapbast", pay, {"tahun": 2025}).collapsed == {1: 0}
    real = pd.DataFrame({"tahun_anggaran": [2025] * 3, "kd_klpd": ["D107"] * 3, "kd_nontender_pct": [9, 9, 9],
                         "no_realisasi": ["K1"] * 3, "tgl_realisasi": ["2025-03-01"] * 3,
                         "nilai_realisasi": [5.0] * 3, "kd_rup": ["101", "102", "103"]})
    out = validate_dataframe("spse_pencatatan_nontender_realisasi", real, {"tahun": 2025})
    assert out.collapsed == {1: 0, 2: 0} and out.quarantine == {}


def test_repeated_budget_lines_are_facts_not_duplicates():
    df = pd.DataFrame({"tahun_anggaran": [2025] * 3, "kd_klpd": ["D107"] * 3, "kd_rup": [1, 1, 1],
                       "mak": ["5.1"] * 3, "sumber_dana": ["APBD"] * 3, "pagu": [10.0, 10.0, 15.0]})
    out = validate_dataframe("rup_paket_anggaran_penyedia", df, {"tahun": 2025})
    assert out.critical == [] and out.quarantine == {} and out.collapsed == {}


def test_missing_required_column_in_a_dataframe_is_critical_and_does_not_crash():
    out = validate_dataframe("rup_paket_penyedia", _frame().drop(columns=["pagu"]), {"tahun": 2025})
    crit = {r.rule: r for r in out.critical}
    assert "column_has_values:pagu" in crit and "column pagu missing" in crit["column_has_values:pagu"].message


def test_wrong_type_in_a_dataframe_is_quarantined_with_the_original_value():
    df = _frame()
    df["pagu"] = pd.Series([10, "sepuluh", 3, 4, 5], dtype=object)
    out = validate_dataframe("rup_paket_penyedia", df, {"tahun": 2025})
    assert out.critical == []
    assert list(out.quarantine) == [1]
    assert "pagu='sepuluh'" in out.quarantine[1][1][0]


def test_gx_returns_every_offending_row_beyond_200():
    """GX 1.24.1 COMPLETE: unexpected_index_list is complete (only the value list is capped at 200)."""
    n = 5000
    df = _frame(n)
    df.loc[df.index % 5 == 0, "pagu"] = -1.0  # 1000 bad rows
    out = validate_dataframe("rup_paket_penyedia", df, {"tahun": 2025})
    neg = next(r for r in out.results if r.rule == "non_negative:pagu")
    assert neg.unexpected_count == 1000 and len(neg.row_nos) == 1000 and neg.row_source == "gx"
    assert out.n_quarantined == 1000
    assert len(neg.sample) <= 20


def test_pandas_fallback_masks_agree_with_gx():
    df = _frame(50)
    df.loc[[3, 7], "pagu"] = -2.0
    kw = {"column": "pagu", "min_value": 0}
    assert df.loc[_pandas_mask("ExpectColumnValuesToBeBetween", kw, df, {}), "kd_rup"].tolist() == [103, 107]
    out = validate_dataframe("rup_paket_penyedia", df, {"tahun": 2025})
    assert sorted(out.quarantine) == [3, 7]


def test_orphan_kd_rup_lists_are_orphans_only_when_no_listed_id_is_known():
    s = pd.Series(["1", "2;3", "4;5", None, "9"], dtype="string")
    got = _orphan_kd_rup(s, frozenset({1, 3}))
    assert got.isna().tolist() == [True, True, False, True, False]


def test_unknown_sumber_dana_token_is_flagged_not_quarantined():
    df = pd.DataFrame({"tahun_anggaran": [2025] * 3, "kd_klpd": ["D107"] * 3, "kd_tender": [1, 2, 3],
                       "sumber_dana": ["APBD;APBDP", "APBD", "DANA DESA"]})
    out = validate_dataframe("spse_tender_pengumuman", df, {"tahun": 2025})
    assert out.flagged == {2: ["code_list:sumber_dana"]} and out.quarantine == {}


def test_empty_frame_is_critical_only_when_rows_were_expected():
    empty = _frame(0)
    assert [r.rule for r in validate_dataframe("rup_paket_penyedia", empty, {"expect_rows": True}).critical] == [
        "row_count"]
    assert validate_dataframe("rup_paket_penyedia", empty, {"expect_rows": False}).critical == []


def test_data_docs_contain_the_suites_results(tmp_path, monkeypatch):
    from pantau import config

    monkeypatch.setattr(config, "OUTPUT_DIR", tmp_path / "output")
    monkeypatch.setattr(config, "LOCAL_DIR", tmp_path / "local")
    df = _frame()
    df.loc[0, "pagu"] = -1.0
    a = validate_dataframe("rup_paket_penyedia", df, {"tahun": 2025})
    b = validate_dataframe("ecat_paket_v5", pd.DataFrame({"tahun_anggaran": [2025], "kd_klpd": ["D107"],
                                                          "kd_paket": [1], "kd_produk": [2]}), {"tahun": 2025})
    index = build_data_docs([a, b])
    assert index == tmp_path / "output" / "data_docs" / "index.html" and index.exists()
    html = index.read_text(encoding="utf-8")
    assert "pantau.rup_paket_penyedia" in html and "pantau.ecat_paket_v5" in html
    pages = list((index.parent / "validations").rglob("*.html"))
    assert len(pages) == 2
    page = next(p for p in pages if "rup_paket_penyedia" in str(p)).read_text(encoding="utf-8")
    assert re.search(r"expect_column_values_to_be_between|values must be greater than or equal to", page)
