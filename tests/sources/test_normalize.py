"""normalize_records on rows in the real ISB / INAPROC shapes of sources.md Appendix A."""
from __future__ import annotations

import copy
import json
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from pantau.datasets import DATASETS, spec
from pantau.sources import parsing
from pantau.sources.normalize import FILLED_KEY, UNPARSED_KEY, explode_kd_rup, normalize_records

WIB = ZoneInfo("Asia/Jakarta")

# --- real-looking rows (values copied from Appendix A samples; PII replaced by shapes) ----------
TENDER_PENGUMUMAN = {
    "tahun_anggaran": 2025, "list_tahun_anggaran": "2025", "kd_klpd": "D107", "nama_klpd": "Kab. Bandung",
    "jenis_klpd": "KABUPATEN", "kd_satker": "12335093", "kd_satker_str": "1.03.2.15.1.04.03.0000",
    "nama_satker": "DINAS PEKERJAAN UMUM DAN TATA RUANG", "kd_lpse": 93, "nama_lpse": "LPSE Kabupaten Bandung",
    "kd_tender": 10011868000, "kd_pkt_dce": 10011637000, "kd_rup": "56168859;56168861;56168878",
    "nama_paket": "Penyusunan Materi Teknik RDTR dan KLHS WP Paseh-Cikancung", "pagu": 1000000000,
    "hps": 999995334.78, "sumber_dana": "APBD", "kualifikasi_paket": "Kecil",
    "jenis_pengadaan": "Jasa Konsultansi Badan Usaha Non Konstruksi", "mtd_pemilihan": "Seleksi",
    "mtd_evaluasi": "Kualitas dan Biaya", "mtd_kualifikasi": "Pra Dua File Kualitas Biaya",
    "kontrak_pembayaran": "Lumsum", "status_tender": "Selesai", "tanggal_status": "2025-10-02",
    "versi_tender": 1, "ket_ditutup": None, "ket_diulang": None, "tgl_buat_paket": "2025-01-24 12:22:01",
    "tgl_kolektif_kolegial": "2025-02-11 09:48:28", "tgl_pengumuman_tender": "2025-02-11 10:00:00",
    "nip_ppk": "999999999999999999", "nama_ppk": "Aaaaa Aaaaaa, ST.", "nip_pokja": "1;2;3", "nama_pokja": "a;b;c",
    "lokasi_pekerjaan": "Kecamatan Paseh dan Cikancung - Bandung (Kab.) - Jawa Barat",
    "url_lpse": "https://lpse.bandungkab.go.id/eproc4", "_event_date": "2025-10-03",
}

V6_ISB = {
    "tahun_anggaran": 2025, "jenis_instansi": "KABUPATEN", "nama_instansi": "Kab. Bandung",
    "nama_satker": "BADAN KEUANGAN DAN ASET DAERAH", "kd_klpd": "D107", "kd_satker_str": "5.02.0.00.0.00.27.0000",
    "kd_paket": "01K32QD12XPKKTQMJ6E33ADS47", "kd_rup": "60608395",
    "rup_nama_pkt": "Belanja Barang Pakai Habis Alat/Bahan untuk Kegiatan Kantor",
    "product_ids": "114865b5-146b-44d9-a8d4-227824751e3a", "sumber_dana": "APBD,APBDP",
    "mak": "5.03.01.2.08.0004.5.1.02.02.04.0036", "kd_penyedia_v6": "01JHKT4BFAVEMPVFWSNK1BQ4F6",
    "kd_penyedia_sikap": 0, "jml_jenis_produk": 9, "jml_produk": 4876.85, "ongkir": 6105000,
    "total_harga": 28578060, "tgl_order": "2025-08-27", "status_pkt": "ON_PROCESS", "status_pengiriman": "DRAFT",
}
# the same order as INAPROC v1 /v1/ekatalog/paket-e-purchasing sends it (§3.19 renames)
V6_INAPROC = {
    "order_id": "01K32QD12XPKKTQMJ6E33ADS47", "fiscal_year": 2025, "kode_klpd": "D107",
    "kode_satker": "5.02.0.00.0.00.27.0000", "nama_satker": "BADAN KEUANGAN DAN ASET DAERAH",
    "jenis_instansi": "KABUPATEN", "nama_instansi": "Kab. Bandung",
    "rup_code": 60608395, "rup_name": "Belanja Barang Pakai Habis Alat/Bahan untuk Kegiatan Kantor",
    "product_ids": "114865b5-146b-44d9-a8d4-227824751e3a", "funding_source": "APBD;APBDP",
    "mak": "5.03.01.2.08.0004.5.1.02.02.04.0036", "kode_penyedia": "01JHKT4BFAVEMPVFWSNK1BQ4F6",
    "kd_penyedia_sikap": "0", "count_product": 9, "total_qty": "4876.85", "shipping_fee": "6.105.000",
    "total": "28.578.060,00", "order_date": "2025-08-27T22:38:31.06Z", "status": "ON_PROCESS",
    "shipment_status": "DRAFT",
}

BAPBAST_PARENT = {
    "tahun_anggaran": 2025, "kd_klpd": "D107", "nama_klpd": "Kab. Bandung", "jenis_klpd": "KABUPATEN",
    "kd_satker": "13422093", "kd_satker_str": "2.07.3.32.0.00.09.0000", "nama_satker": "DINAS KETENAGAKERJAAN",
    "kd_lpse": 93, "kd_nontender": 10074293000, "nama_paket": "Belanja Jasa Tenaga Ahli - TA BMD",
    "mtd_pengadaan": "Pengadaan Langsung", "no_kontrak": "000.3.2/292/SPK/DISPAKAN",
    "tgl_kontrak": "2025-02-03T00:00:00.000000Z", "nilai_kontrak": 72897000, "status_kontrak": "Kontrak Selesai",
    "apakah_addendum": "Tidak", "versi_addendum": 0,
}
BAPBAST_PAYMENTS = [
    {"no_bast": "000.3.2/1453/BAST.TABMD/DISPAKAN", "tgl_bast": "2025-03-17T00:00:00.000000Z",
     "no_bap": "900.1.10.2/1478/TA.BMD/DISPAKAN", "tgl_bap": "2025-03-17T00:00:00.000000Z",
     "besar_pembayaran": 6620000, "progres_pekerjaan": 75, "cara_pembayaran_kontrak": "Bulanan",
     "_event_date": "2025-09-01"},
    {"no_bast": "000.3.2/2460/BAST.TABMD/DISPAKAN", "tgl_bast": "2025-04-08T00:00:00.000000Z",
     "no_bap": "900.1.10.2/2461/TA.BMD/DISPAKAN", "tgl_bap": "2025-04-08T00:00:00.000000Z",
     "besar_pembayaran": 8020000.5, "progres_pekerjaan": 100, "cara_pembayaran_kontrak": "Bulanan",
     "_event_date": "2025-09-02"},
]


def _one(dataset: str, record: dict, source_system: str = "isb", **kw) -> pd.Series:
    df = normalize_records(dataset, [record], source_system=source_system, **kw)
    assert len(df) == 1
    return df.iloc[0]


# --- shape -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(DATASETS))
def test_output_columns_exact_for_every_dataset(name: str) -> None:
    df = normalize_records(name, [{"kd_klpd": "D107", "zzz": 1}], source_system="isb")
    assert list(df.columns) == [c.name for c in spec(name).columns] + ["row_no", "extra"]
    assert df.loc[0, "extra"]["zzz"] == 1
    assert normalize_records(name, [], source_system="isb").columns.tolist() == list(df.columns)


def test_typed_values_and_row_no() -> None:
    df = normalize_records("spse_tender_pengumuman", [TENDER_PENGUMUMAN, TENDER_PENGUMUMAN],
                           source_system="isb")
    assert df["row_no"].tolist() == [0, 1]
    assert str(df["kd_tender"].dtype) == "Int64" and df.loc[0, "kd_tender"] == 10011868000
    assert df.loc[0, "hps"] == Decimal("999995334.78") and isinstance(df.loc[0, "hps"], Decimal)
    assert df.loc[0, "tanggal_status"] == date(2025, 10, 2)
    ts = df.loc[0, "tgl_pengumuman_tender"]
    assert ts.tzinfo is not None and ts == pd.Timestamp("2025-02-11 10:00:00", tz=WIB)
    assert df.loc[0, "source_event_date"] == date(2025, 10, 3)
    assert df.loc[0, "extra"] == {}
    json.dumps(df["extra"].tolist())  # extra is JSON-serialisable


# --- aliases -----------------------------------------------------------------------------------
@pytest.mark.parametrize("dataset,field,value,column,expected", [
    ("rup_paket_penyedia", "urarian_pekerjaan", "Belanja Jasa Konsultansi", "uraian_pekerjaan",
     "Belanja Jasa Konsultansi"),
    ("spse_nontender_selesai", "npwp16_penyedia", "0016711962421000", "npwp_16_penyedia", "0016711962421000"),
    ("spse_tender_ekontrak_kontrak", "npwp_penyedia_16", "0016711962421000", "npwp_16_penyedia",
     "0016711962421000"),
    ("spse_nontender_ekontrak_kontrak", "npwp_16", "0016711962421000", "npwp_16_penyedia", "0016711962421000"),
    ("spse_tender_selesai_nilai", "kd_rup_paket", "56168859;56168861", "kd_rup", "56168859;56168861"),
    ("spse_tender_selesai_nilai", "kd_paket", 10018054000, "kd_pkt_dce", 10018054000),
    ("spse_tender_selesai_nilai", "kd_satker", "1.03.2.15.1.04.03.0000", "kd_satker_str",
     "1.03.2.15.1.04.03.0000"),
    ("spse_pencatatan_nontender_realisasi", "kd_paket_dce", 19116093, "kd_pkt_dce", 19116093),
    ("spse_pencatatan_nontender_realisasi", "kd_rup_paket", "45828523", "kd_rup", "45828523"),
    ("spse_nontender_selesai", "lpse_id", 93, "kd_lpse", 93),
    ("spse_nontender_selesai", "tgl_penarikan", "2025-10-03", "source_event_date", date(2025, 10, 3)),
    ("rup_paket_swakelola", "_event_date", "2025-10-03", "source_event_date", date(2025, 10, 3)),
    ("bela_toko_daring", "tahun", 2025, "tahun_anggaran", 2025),
    ("spse_tender_pengumuman", "ang", "APBD", "sumber_dana", "APBD"),
    ("spse_tender_pengumuman", "nama_status_tender", "Aktif", "status_tender", "Aktif"),
    ("spse_tender_pengumuman", "kd_paket", 7794119, "kd_pkt_dce", 7794119),
    ("spse_nontender_pengumuman", "kategori_pengadaan", "Pengadaan Barang", "jenis_pengadaan", "Pengadaan Barang"),
    ("spse_nontender_pengumuman", "metode_pengadaan", "Pengadaan Langsung", "mtd_pemilihan", "Pengadaan Langsung"),
    ("spse_nontender_pengumuman", "nama_status_nontender", "Draft", "status_nontender", "Draft"),
    ("spse_nontender_pengumuman", "anggaran", "APBN", "sumber_dana", "APBN"),
    ("spse_nontender_pengumuman", "kode_mak", "1.03.10.2.01", "mak", "1.03.10.2.01"),
    ("spse_nontender_selesai", "tanggal_selesai_nontender", "2025-03-05 16:00:00", "tgl_selesai_nontender",
     pd.Timestamp("2025-03-05 16:00:00", tz=WIB)),
    ("spse_nontender_ekontrak_bapbast", "_inserted_date", "2025-09-17 03:35:48", "source_inserted_at",
     pd.Timestamp("2025-09-17 03:35:48", tz=WIB)),
    ("ecat_paket_v6", "order_id", "01K4468ZA7BCNB7PEMT0CBWK1G", "kd_paket", "01K4468ZA7BCNB7PEMT0CBWK1G"),
    ("ecat_paket_v6", "fiscal_year", 2025, "tahun_anggaran", 2025),
    ("ecat_paket_v6", "kode_klpd", "D107", "kd_klpd", "D107"),
    ("ecat_paket_v6", "kode_satker", "8.01.0.00.0.00.31.0000", "kd_satker_str", "8.01.0.00.0.00.31.0000"),
    ("ecat_paket_v6", "rup_code", "60258783", "kd_rup", 60258783),
    ("ecat_paket_v6", "rup_name", "Belanja Sewa", "rup_nama_pkt", "Belanja Sewa"),
    ("ecat_paket_v6", "status", "PAYMENT_OUTSIDE_SYSTEM", "status_pkt", "PAYMENT_OUTSIDE_SYSTEM"),
    ("ecat_paket_v6", "shipment_status", "BUYER_CONFIRMED", "status_pengiriman", "BUYER_CONFIRMED"),
    ("ecat_paket_v6", "count_product", 10, "jml_jenis_produk", 10),
    ("ecat_paket_v6", "total_qty", 16, "jml_produk", Decimal(16)),
    ("ecat_paket_v6", "total", "1.234,56", "total_harga", Decimal("1234.56")),
    ("ecat_paket_v6", "shipping_fee", 496170, "ongkir", Decimal("496170.00")),
    ("ecat_paket_v6", "funding_source", "BLUD", "sumber_dana", "BLUD"),
    ("ecat_paket_v6", "order_date", "2026-03-05T22:38:31.06Z", "tgl_order", date(2026, 3, 5)),
    ("ecat_paket_v6", "kode_penyedia", "01JKQK6JP936GJ3YFM31Y9Y971", "kd_penyedia_v6", "01JKQK6JP936GJ3YFM31Y9Y971"),
])
def test_alias(dataset: str, field: str, value, column: str, expected) -> None:
    row = _one(dataset, {field: value}, source_system="inaproc_v1")
    assert row[column] == expected
    assert field not in row["extra"], "an aliased field must not also land in extra"


def test_alias_does_not_override_canonical_field_of_dataset() -> None:
    """e-katalog keeps its own kd_paket; RUP keeps metode_pengadaan; v6-only renames stay scoped."""
    assert _one("ecat_paket_v6", {"kd_paket": "01K", "order_id": "01K"})["kd_paket"] == "01K"
    assert _one("rup_paket_penyedia", {"metode_pengadaan": "Tender"})["metode_pengadaan"] == "Tender"
    row = _one("spse_tender_pengumuman", {"status": "ON_PROCESS"})
    assert row["extra"] == {"status": "ON_PROCESS"}


def test_duplicate_spellings_equal_or_conflicting() -> None:
    """NonTenderSelesai carries lpse_id and kd_lpse: equal → merged, different → kept in extra."""
    same = _one("spse_nontender_selesai", {"lpse_id": 93, "kd_lpse": 93})
    assert same["kd_lpse"] == 93 and same["extra"] == {}
    diff = _one("spse_nontender_selesai", {"lpse_id": 94, "kd_lpse": 93})
    assert diff["kd_lpse"] == 93 and diff["extra"] == {"lpse_id": 94}
    blank = _one("spse_nontender_selesai", {"kd_lpse": None, "lpse_id": 93})
    assert blank["kd_lpse"] == 93


# --- dates -------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [
    ("2025-01-14 10:06:33", datetime(2025, 1, 14, 10, 6, 33)),
    ("2025-01-31 14:00:00.000000Z", datetime(2025, 1, 31, 14, 0, 0)),
    ("2025-02-03T00:00:00.000000Z", datetime(2025, 2, 3)),
    ("2024-08-29T10:00:01.679000Z", datetime(2024, 8, 29, 10, 0, 1, 679000)),
    ("Jul 3, 2025, 12:00:00AM", datetime(2025, 7, 3)),
    ("Jul 3, 2025, 12:30:00PM", datetime(2025, 7, 3, 12, 30)),
    ("May 7, 2021 12:00:00 AM", datetime(2021, 5, 7)),
    ("Agu 7, 2021 01:15:00 PM", datetime(2021, 8, 7, 13, 15)),
    ("2025-01-01", datetime(2025, 1, 1)),
    ("2026-03-05T22:38:31.06Z", datetime(2026, 3, 5, 22, 38, 31, 60000)),
    ("2025-09-17 03:35:48.123456789", datetime(2025, 9, 17, 3, 35, 48, 123456)),
])
def test_every_date_format_is_wib_wall_clock(text: str, expected: datetime) -> None:
    assert parsing.Z_SUFFIX_IS_LOCAL_TIME is True
    assert parsing.parse_timestamp(text) == expected.replace(tzinfo=WIB)
    assert parsing.parse_date(text) == expected.date()


def test_explicit_offset_is_honoured() -> None:
    assert parsing.parse_timestamp("2025-01-01T03:00:00+00:00") == datetime(2025, 1, 1, 10, tzinfo=WIB)


@pytest.mark.parametrize("bad", ["xx", "2025-13-01", "1", "Foo 3, 2025", "2025/01/01", "Jul 3, 2025, 13:00:00PM"])
def test_bad_dates_raise(bad: str) -> None:
    with pytest.raises(ValueError):
        parsing.parse_timestamp(bad)


def test_date_format_mix_within_one_dataset() -> None:
    """2Kontrak: ISO-Z for tgl_kontrak and "YYYY-MM-DD 00:00:00" for tgl_kontrak_awal in the same feed."""
    row = _one("spse_nontender_ekontrak_kontrak", {
        "tgl_kontrak": "2025-02-24T00:00:00.000000Z", "tgl_kontrak_awal": "2025-10-02 00:00:00",
        "tgl_penetapan_status_kontrak": "2025-03-25T13:24:09.178000Z"})
    assert row["tgl_kontrak"] == date(2025, 2, 24) and row["tgl_kontrak_awal"] == date(2025, 10, 2)
    assert row["tgl_penetapan_status_kontrak"] == pd.Timestamp("2025-03-25 13:24:09.178", tz=WIB)


# --- money -------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw,expected", [
    (999995334.78, "999995334.78"), (6999647646.16, "6999647646.16"), (1499321187.61, "1499321187.61"),
    (49100583.6, "49100583.60"), (199999800, "199999800.00"), (68040000.0, "68040000.00"),
    ("1.234,56", "1234.56"), ("Rp 1.000.000", "1000000.00"), ("1234,5", "1234.50"), ("1,234.56", "1234.56"),
    ("999995334.78", "999995334.78"),
])
def test_money_is_exact(raw, expected: str) -> None:
    row = _one("spse_tender_pengumuman", {"hps": raw})
    assert isinstance(row["hps"], Decimal)
    assert str(row["hps"]) == expected


def test_float_money_never_binary_expansion() -> None:
    assert Decimal(999995334.78) != Decimal("999995334.78")  # what we avoid
    assert parsing.parse_decimal(999995334.78) == Decimal("999995334.78")
    assert parsing.parse_decimal(0.1) + parsing.parse_decimal(0.2) == Decimal("0.3")


def test_int_and_float_money_in_one_column() -> None:
    df = normalize_records("spse_nontender_selesai", [{"nilai_kontrak": 99816750}, {"nilai_kontrak": 48923727.3},
                                                      {"nilai_kontrak": None}], source_system="isb")
    assert df["nilai_kontrak"].tolist()[:2] == [Decimal("99816750"), Decimal("48923727.3")]
    assert df.loc[2, "nilai_kontrak"] is None and df.loc[2, "extra"] == {}


# --- lists and type drift ----------------------------------------------------------------------
def test_kd_rup_lists_normalised_and_exploded() -> None:
    row = _one("spse_nontender_pengumuman", {"kd_rup": " 56168859 ; 56168861,56168878;", "sumber_dana": "APBDP;APBD"})
    assert row["kd_rup"] == "56168859;56168861;56168878"
    assert row["sumber_dana"] == "APBDP;APBD"
    assert explode_kd_rup(row["kd_rup"]) == [56168859, 56168861, 56168878]
    assert explode_kd_rup("60832782;45828523") == [60832782, 45828523]  # ordinal = source order
    assert explode_kd_rup("1,2;1") == [1, 2]
    assert explode_kd_rup(53605662) == [53605662] and explode_kd_rup(None) == [] and explode_kd_rup("") == []
    with pytest.raises(ValueError):
        explode_kd_rup("123;abc")


def test_kd_rup_and_kd_satker_type_drift() -> None:
    assert _one("rup_paket_penyedia", {"kd_rup": "53605662", "kd_satker": "152302"})[["kd_rup", "kd_satker"]].tolist() \
        == [53605662, 152302]
    spse = _one("spse_tender_pengumuman", {"kd_rup": 55965678, "kd_satker": 12335093})
    assert spse["kd_rup"] == "55965678" and spse["kd_satker"] == "12335093"
    assert _one("bela_toko_daring", {"kd_satker": "60442"})["kd_satker"] == 60442


def test_v6_sumber_dana_comma_equals_spse_semicolon() -> None:
    assert _one("ecat_paket_v6", {"sumber_dana": "APBD,APBDP"})["sumber_dana"] == "APBD;APBDP"


# --- text --------------------------------------------------------------------------------------
def test_html_stripped_and_entities_unescaped() -> None:
    raw = "                    <p> Mengevaluasi kembali peraturan yang telah ada\r\n</p><p><br></p><p>R&amp;D &lt;5&gt;</p>"
    row = _one("spse_pencatatan_nontender", {"uraian_pekerjaan": raw})
    assert row["uraian_pekerjaan"] == "Mengevaluasi kembali peraturan yang telah ada\nR&D <5>"
    kontrak = _one("spse_tender_ekontrak_kontrak",
                   {"lingkup_pekerjaan": "<p>Pembangunan Gedung Dinas Koperasi dan UKM\r\n</p><p><br></p>"})
    assert kontrak["lingkup_pekerjaan"] == "Pembangunan Gedung Dinas Koperasi dan UKM"


def test_plain_text_with_less_than_sign_kept() -> None:
    assert _one("spse_tender_pengumuman", {"nama_paket": "Nilai < 10 juta"})["nama_paket"] == "Nilai < 10 juta"


def test_zero_width_and_whitespace_removed() -> None:
    row = _one("rup_master_satker", {"nama_satker": "DINAS KESEHATAN\u200b\u200c\u200d\ufeff ",
                                     "kd_satker_str": "\ufeff1.02.0.00.0.00.02.0000\u200b", "kodepos": "\u200b"})
    assert row["nama_satker"] == "DINAS KESEHATAN"
    assert row["kd_satker_str"] == "1.02.0.00.0.00.02.0000"
    assert pd.isna(row["kodepos"])


def test_empty_strings_become_null() -> None:
    row = _one("spse_pencatatan_nontender_realisasi", {"no_realisasi": "", "npwp_penyedia": "  ", "nilai_realisasi": ""})
    assert pd.isna(row["no_realisasi"]) and pd.isna(row["npwp_penyedia"]) and row["nilai_realisasi"] is None
    assert UNPARSED_KEY not in row["extra"]


@pytest.mark.parametrize("raw,expected", [(True, True), ("true", True), ("TRUE", True), (1, True),
                                          (False, False), ("false", False), (0, False), ("Tidak", False)])
def test_booleans(raw, expected: bool) -> None:
    df = normalize_records("rup_paket_penyedia", [{"status_aktif_rup": raw}, {}], source_system="isb")
    assert str(df["status_aktif_rup"].dtype) == "boolean"
    assert df["status_aktif_rup"].tolist() == [expected, pd.NA]


# --- unknown and unparseable -------------------------------------------------------------------
def test_unknown_fields_kept_in_extra() -> None:
    rec = dict(TENDER_PENGUMUMAN, last_update_ref="a8Zk", psr_id=1, penilaian={"x": [1, 2]})
    row = _one("spse_tender_pengumuman", rec)
    assert row["extra"] == {"last_update_ref": "a8Zk", "psr_id": 1, "penilaian": {"x": [1, 2]}}
    pii = _one("spse_tender_ekontrak_kontrak", {"no_rek_bank": "'9999999999999"})
    assert pii["extra"] == {"no_rek_bank": "'9999999999999"}


def test_unparseable_values_recorded_not_crashing() -> None:
    rec = dict(TENDER_PENGUMUMAN, tanggal_status="xx", hps="sekian", versi_tender="1.5", kd_rup="5616;abc",
               tgl_pengumuman_tender="kemarin")
    row = _one("spse_tender_pengumuman", rec)
    assert row["tanggal_status"] is None and row["hps"] is None
    assert pd.isna(row["versi_tender"]) and pd.isna(row["kd_rup"]) and pd.isna(row["tgl_pengumuman_tender"])
    assert row["extra"][UNPARSED_KEY] == {"tanggal_status": "xx", "hps": "sekian", "versi_tender": "1.5",
                                          "kd_rup": "5616;abc", "tgl_pengumuman_tender": "kemarin"}
    assert row["kd_tender"] == 10011868000  # the rest of the row is intact


def test_input_records_not_mutated() -> None:
    recs = [copy.deepcopy(V6_INAPROC)]
    normalize_records("ecat_paket_v6", recs, source_system="inaproc_v1")
    assert recs == [V6_INAPROC]


# --- same output for either source -------------------------------------------------------------
def test_v6_isb_and_inaproc_rows_identical() -> None:
    isb = normalize_records("ecat_paket_v6", [V6_ISB], source_system="isb")
    ina = normalize_records("ecat_paket_v6", [V6_INAPROC], source_system="inaproc_v1")
    pd.testing.assert_frame_equal(isb, ina)
    assert isb.loc[0, "total_harga"] == Decimal("28578060") and isb.loc[0, "jml_produk"] == Decimal("4876.85")
    assert isb.loc[0, "kd_rup"] == 60608395 and isb.loc[0, "tgl_order"] == date(2025, 8, 27)
    assert isb.loc[0, "extra"] == {}


def test_nested_bapbast_equals_flat_isb_rows() -> None:
    flat = [dict(BAPBAST_PARENT, **p) for p in BAPBAST_PAYMENTS]
    nested = [dict(BAPBAST_PARENT, bapbast_history_json=BAPBAST_PAYMENTS,
                   spmkspp_history_json=[{"no_spmk_spp": "x"}],
                   penilaian_kinerja_penyedia=[{"indikator_penilaian": "Biaya", "nilai_indikator": 3}]),
              dict(BAPBAST_PARENT, kd_nontender=10043903000, bapbast_history_json=[])]  # no payment yet
    a = normalize_records("spse_nontender_ekontrak_bapbast", flat, source_system="isb")
    b = normalize_records("spse_nontender_ekontrak_bapbast", nested, source_system="inaproc_v1")
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 2 and a["row_no"].tolist() == [0, 1]
    assert a["besar_pembayaran"].tolist() == [Decimal("6620000.00"), Decimal("8020000.50")]
    assert a["tgl_bap"].tolist() == [date(2025, 3, 17), date(2025, 4, 8)]
    assert a["source_event_date"].tolist() == [date(2025, 9, 1), date(2025, 9, 2)]
    assert (a["kd_nontender"] == 10074293000).all()


def test_nested_bapbast_as_json_text() -> None:
    nested = [dict(BAPBAST_PARENT, bapbast_history_json=json.dumps(BAPBAST_PAYMENTS))]
    df = normalize_records("spse_tender_ekontrak_bapbast", nested, source_system="inaproc_v1")
    assert df["no_bap"].tolist() == [p["no_bap"] for p in BAPBAST_PAYMENTS]


# --- request context ---------------------------------------------------------------------------
def test_null_kd_klpd_filled_from_inaproc_request() -> None:
    rec = {"kd_klpd": None, "kd_nontender": 10050366000, "kd_lpse": 93}
    row = _one("spse_nontender_selesai", rec, source_system="inaproc_v1", context={"kd_klpd": "D107"})
    assert row["kd_klpd"] == "D107" and row["extra"][FILLED_KEY] == ["kd_klpd"]
    # ISB SPSE feeds are per LPSE and hold other KLPDs (BUMD): never guess kd_klpd there
    isb = _one("spse_nontender_selesai", rec, source_system="isb", context={"kd_klpd": "D107", "kd_lpse": 93})
    assert pd.isna(isb["kd_klpd"]) and FILLED_KEY not in isb["extra"]


def test_z_policy_flip_is_not_served_from_the_date_memo(monkeypatch) -> None:
    """Text dates are memoised; the Z policy is part of the key, so flipping it takes effect."""
    assert parsing.parse_timestamp("2025-01-01T10:00:00Z") == datetime(2025, 1, 1, 10, tzinfo=WIB)
    monkeypatch.setattr(parsing, "Z_SUFFIX_IS_LOCAL_TIME", False)           # Z = UTC
    assert parsing.parse_timestamp("2025-01-01T10:00:00Z") == datetime(2025, 1, 1, 17, tzinfo=WIB)
    assert parsing.parse_date("2025-01-01T20:00:00Z") == date(2025, 1, 2)   # 03:00 WIB next day
    monkeypatch.setattr(parsing, "Z_SUFFIX_IS_LOCAL_TIME", True)
    assert parsing.parse_date("2025-01-01T20:00:00Z") == date(2025, 1, 1)


def test_mixed_record_layouts_in_one_batch() -> None:
    """Field-name plans are cached per layout: records with other fields, another field order or
    an alias spelling in the same batch must each be read by their own layout."""
    a = dict(TENDER_PENGUMUMAN)
    b = {k: a[k] for k in reversed(list(a)) if k != "kd_lpse"} | {"lpse_id": 94}   # alias only
    c = dict(a, lpse_id=95)                                                        # both, conflicting
    d = dict(a, kd_lpse="", lpse_id=96)                                            # canonical blank
    df = normalize_records("spse_tender_pengumuman", [a, b, c, a, d], source_system="isb")
    assert df["kd_lpse"].tolist() == [93, 94, 93, 93, 96]
    assert "lpse_id" not in df["extra"][0] and df["extra"][2]["lpse_id"] == 95
    assert "lpse_id" not in df["extra"][4]
    assert df["pagu"].tolist() == [Decimal("1000000000.00")] * 5


def test_text_fast_path_matches_the_slow_path() -> None:
    assert parsing.clean_text("  Belanja ATK  ") == "Belanja ATK"
    assert parsing.clean_text("A &amp; B") == "A & B"
    assert parsing.clean_text("<p>Rehab\r\n</p><p><br></p>") == "Rehab"
    assert parsing.clean_text("\u200bJalan\u200b ") == "Jalan"
    assert parsing.clean_text("   ") is None and parsing.is_blank(" \u200b ") and not parsing.is_blank("x")
