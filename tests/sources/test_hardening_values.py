"""Issue 19 points 1, 4, 5, 6, 12: the real values that used to be misread or crash a partition.

Every value goes through the real code: decode (`raw.decode_page`, `isb.classify`) → normalise →
COPY into a real `staging.<dataset>` (the step that crashed: PostgreSQL refused NUL, surrogates,
NaN in jsonb, numbers outside bigint/integer/numeric(20,2)).
"""
from __future__ import annotations

import json
import time
from decimal import Decimal

import pandas as pd
import pytest

from pantau import db
from pantau.load.staging import write_staging
from pantau.sources import isb, raw
from pantau.sources.http import HttpResponse
from pantau.sources.normalize import UNPARSED_KEY, normalize_records
from pantau.sources.parsing import clean_text, parse_decimal

# Names new with issue 19 are imported inside the tests, so that on the code before the fix each
# test fails on its real value rather than the whole module on an ImportError.
DECODE_ISSUES_KEY = "_decode_issues"
DUPLICATE_KEYS_KEY = "_duplicate_keys"

DS = "rup_paket_penyedia"


def rup(i: int = 0, **over) -> dict:
    rec = {"tahun_anggaran": 2025, "kd_klpd": "D107", "kd_satker": 60412, "kd_rup": 53605000 + i,
           "nama_paket": f"Paket {i}", "pagu": 1_000_000, "_event_date": "2025-10-03"}
    rec.update(over)
    return rec


def _one(dataset: str, record: dict) -> pd.Series:
    df = normalize_records(dataset, [record], source_system="isb")
    return df.iloc[0]


def _stage(url: str, dataset: str, df: pd.DataFrame, fetch_id: int = 1) -> int:
    """COPY the frame into staging for real (the fetch row is not needed: no FK on staging)."""
    with db.transaction(url) as conn:
        return write_staging(conn, dataset, fetch_id, df)


# ------------------------------------------------------------------------------ point 1: money
@pytest.mark.parametrize("raw_value,expected", [
    ("Rp 1.234", "1234.00"), ("1.000", "1000.00"), ("Rp1.000", "1000.00"), ("Rp. 1.234.567", "1234567.00"),
    ("1.234.567,89", "1234567.89"), ("Rp 1.234.567,89", "1234567.89"), ("1,234,567.89", "1234567.89"),
    ("1234.56", "1234.56"), ("1234,5", "1234.50"), ("Rp 1.000,-", "1000.00"), ("-Rp 1.500", "-1500.00"),
    ("1,000", "1000.00"), (1234.56, "1234.56"), (1234, "1234.00"), ("999995334.78", "999995334.78"),
])
def test_money_text_is_read_exactly(raw_value, expected: str) -> None:
    assert str(_one(DS, rup(pagu=raw_value))["pagu"]) == expected


@pytest.mark.parametrize("bad", ["1.23.4", "1.234.56,7", "3,8 Jt", "12,34,567", "Rp", "1.2.3,4.5"])
def test_money_that_cannot_be_decided_is_quarantined_never_guessed(bad: str) -> None:
    row = _one(DS, rup(pagu=bad))
    assert row["pagu"] is None and row["extra"][UNPARSED_KEY] == {"pagu": bad}


def test_ambiguous_three_decimals_outside_money_is_refused() -> None:
    """'1.234' in a quantity column may be 1234 or 1.234: quarantined, not guessed."""
    from pantau.sources.parsing import AmbiguousNumber

    with pytest.raises(AmbiguousNumber):
        parse_decimal("1.234")
    row = _one("ecat_paket_v6", {"kd_paket": "EPK-1", "jml_produk": "1.234", "tahun_anggaran": 2025})
    assert pd.isna(row["jml_produk"]) and row["extra"][UNPARSED_KEY] == {"jml_produk": "1.234"}
    assert _one("ecat_paket_v6", {"kd_paket": "EPK-1", "jml_produk": "1.5"})["jml_produk"] == Decimal("1.5")


# ---------------------------------------------------------------- point 5: values that crashed
CRASHERS = {
    "nul_in_text": ({"nama_paket": "Paket\u0000Jalan"}, "nama_paket"),
    "lone_surrogate": ({"nama_paket": "Paket \ud800"}, "nama_paket"),
    "nan_money": ({"pagu": float("nan")}, "pagu"),
    "money_1e30": ({"pagu": 1e30}, "pagu"),
    "money_text_1e21": ({"pagu": "1e21"}, "pagu"),
    "kd_rup_2_63": ({"kd_rup": 2**63}, "kd_rup"),
    "kd_rup_1e30": ({"kd_rup": 10**30}, "kd_rup"),
    "tahun_2_40": ({"tahun_anggaran": 2**40}, "tahun_anggaran"),
    "infinity_in_extra_field": ({"pagu": "Rp 1.000", "skor": float("inf")}, None),
}


@pytest.mark.parametrize("case", sorted(CRASHERS))
def test_value_that_crashed_the_partition_is_quarantined_and_copy_succeeds(warehouse_url, case: str) -> None:
    over, column = CRASHERS[case]
    df = normalize_records(DS, [rup(0), rup(1, **over)], source_system="isb")
    assert _stage(warehouse_url, DS, df) == 2  # before: COPY raised (NUL, surrogate, NaN, overflow)
    extra = df.loc[1, "extra"]
    json.dumps(extra, allow_nan=False)  # jsonb-safe: no NaN/Infinity literal
    if column is None:
        assert UNPARSED_KEY not in extra
    else:
        assert column in extra[UNPARSED_KEY], extra
        assert UNPARSED_KEY not in df.loc[0, "extra"]
    with db.connect(warehouse_url) as c, c.cursor() as cur:
        cur.execute(f"SELECT count(*), count(extra->'{UNPARSED_KEY}') FROM staging.{DS} WHERE fetch_id = 1")
        assert cur.fetchone() == (2, 0 if column is None else 1)


def test_kd_rup_list_item_beyond_bigint_is_refused() -> None:
    row = _one("spse_tender_pengumuman", {"kd_tender": 1, "kd_rup": "53605001;99999999999999999999"})
    assert pd.isna(row["kd_rup"]) and "kd_rup" in row["extra"][UNPARSED_KEY]


def test_nesting_depth_5000_marks_the_row_instead_of_raising() -> None:
    deep = "[" * 5000 + "]" * 5000
    body = ('[{"kd_rup": 1, "tahun_anggaran": 2025, "pagu": 5, "lampiran": %s},'
            ' {"kd_rup": 2, "tahun_anggaran": 2025, "pagu": 6}]' % deep).encode()
    with pytest.raises(RecursionError):  # what every json.loads on this path did
        json.loads(body)
    records = raw.decode_page("isb", body, "test page", dataset=DS)
    assert [r["kd_rup"] for r in records] == [1, 2]
    assert "nesting deeper" in records[0][DECODE_ISSUES_KEY]["lampiran"]
    assert DECODE_ISSUES_KEY not in records[1]
    df = normalize_records(DS, records, source_system="isb")
    assert "lampiran" in df.loc[0, "extra"][UNPARSED_KEY] and UNPARSED_KEY not in df.loc[1, "extra"]
    page = isb.classify(HttpResponse(200, body, "http://isb/***"), {"dataset": DS})
    assert page.n_rows == 2  # the extractor no longer crashes on it either


def test_invalid_utf8_in_one_field_quarantines_that_row_only(warehouse_url) -> None:
    body = ('[{"kd_rup": 1, "tahun_anggaran": 2025, "pagu": 5, "nama_paket": "Dinas \xff\xfe Jalan"},'
            ' {"kd_rup": 2, "tahun_anggaran": 2025, "pagu": 6, "nama_paket": "Dinas Jalan"}]').encode("latin-1")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    page = isb.classify(HttpResponse(200, body, "http://isb/***"), {"dataset": DS})
    assert page.n_rows == 2 and page.body == body  # the page keeps the bytes verbatim
    records = raw.decode_page("isb", body, "test page", dataset=DS)
    assert records[0]["nama_paket"] == "Dinas \ufffd\ufffd Jalan" and records[1]["nama_paket"] == "Dinas Jalan"
    df = normalize_records(DS, records, source_system="isb")
    assert "invalid UTF-8" in df.loc[0, "extra"][UNPARSED_KEY]["nama_paket"]
    assert UNPARSED_KEY not in df.loc[1, "extra"]
    assert _stage(warehouse_url, DS, df) == 2


def test_nul_and_surrogate_escapes_are_repaired_at_decode() -> None:
    body = b'[{"kd_rup": 1, "nama_paket": "a\\u0000b", "x\\ud800": "c\\udfff"}, {"kd_rup": 2, "nama_paket": "\\ud83d\\ude00"}]'
    records = raw.decode_page("isb", body, "test page", dataset=DS)
    assert records[0]["nama_paket"] == "ab" and records[0]["x\ufffd"] == "c\ufffd"
    assert set(records[0][DECODE_ISSUES_KEY]) == {"nama_paket", "x\ufffd"}
    assert records[1] == {"kd_rup": 2, "nama_paket": "\U0001f600"}  # a proper pair is a proper character


# ---------------------------------------------------------------- point 4: duplicate JSON keys
def test_duplicate_key_keeps_last_value_and_records_every_value() -> None:
    body = b'[{"kd_rup": 1, "pagu": 1000000, "nama_paket": "A", "pagu": 7}, {"kd_rup": 2, "pagu": 5, "pagu": 5}]'
    records = raw.decode_page("isb", body, "test page", dataset=DS)
    assert records[0]["pagu"] == 7  # the documented semantics: last wins, like json.loads and JS
    assert records[0][DUPLICATE_KEYS_KEY] == {"pagu": [1000000, 7]}
    assert records[1][DUPLICATE_KEYS_KEY] == {"pagu": [5, 5]}
    df = normalize_records(DS, records, source_system="isb")
    assert df.loc[0, "extra"][DUPLICATE_KEYS_KEY] == {"pagu": [1000000, 7]}


# ------------------------------------------------------------------ point 6: caps and row shape
def test_one_megabyte_name_is_quarantined_with_a_preview(warehouse_url) -> None:
    name = "A" * 1_000_000
    df = normalize_records(DS, [rup(0, nama_paket=name), rup(1)], source_system="isb")
    assert pd.isna(df.loc[0, "nama_paket"])
    kept = df.loc[0, "extra"][UNPARSED_KEY]["nama_paket"]
    assert len(kept) < 300 and "1000000 characters, cap 1000" in kept
    assert df.loc[1, "nama_paket"] == "Paket 1"
    _stage(warehouse_url, DS, df)


def test_text_caps_by_column_kind() -> None:
    from pantau.sources.normalize import TEXT_CAPS

    assert _one(DS, rup(nama_paket="N" * TEXT_CAPS["name"]))["nama_paket"] == "N" * TEXT_CAPS["name"]
    assert pd.isna(_one(DS, rup(nama_paket="N" * (TEXT_CAPS["name"] + 1)))["nama_paket"])
    long_text = "kata " * 1900
    assert _one(DS, rup(uraian_pekerjaan=long_text))["uraian_pekerjaan"] == long_text.strip()
    assert pd.isna(_one(DS, rup(uraian_pekerjaan="u" * (TEXT_CAPS["free"] + 1)))["uraian_pekerjaan"])


def test_a_million_empty_objects_fail_fast_with_a_named_error() -> None:
    body = b"[" + b",".join([b"{}"] * 1_000_000) + b"]"
    started = time.monotonic()
    with pytest.raises(raw.RawShapeError, match=r"record 0 has no field of rup_paket_penyedia"):
        raw.decode_page("isb", body, "raw.fetch 1 page 0", dataset=DS)
    assert time.monotonic() - started < 10  # before: 756 s and 3.7 GB before the named error


def test_row_shape_check_names_the_first_bad_record() -> None:
    body = json.dumps([rup(0), rup(1), {"foo": 1}]).encode()
    with pytest.raises(raw.RawShapeError, match=r"record 2 has no field .* \['foo'\]"):
        raw.decode_page("isb", body, "p", dataset=DS)
    assert len(raw.decode_page("isb", json.dumps([rup(0), {"kode_klpd": "D107"}]).encode(), "p", dataset=DS)) == 2


# --------------------------------------------------------------- point 12: no unescape into markup
@pytest.mark.parametrize("raw_text", [
    "&lt;img src=x onerror=alert(1)&gt;", "&#60;script&#62;alert(1)&#60;/script&#62;",
    "<p>&lt;img src=x onerror=alert(1)&gt;</p>", "&lt;a href=javascript:alert(1)&gt;klik&lt;/a&gt;",
])
def test_entities_never_become_live_markup(raw_text: str) -> None:
    from html.parser import HTMLParser

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[str] = []

        def handle_starttag(self, tag, attrs) -> None:
            self.tags.append(tag)

    text = _one(DS, rup(nama_paket=raw_text))["nama_paket"]
    parser = Tags()
    parser.feed(text)
    assert parser.tags == [], text
    assert clean_text("R&amp;D &lt;5&gt; &amp; Nilai < 10 juta") == "R&D <5> & Nilai < 10 juta"
