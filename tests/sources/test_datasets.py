"""The dataset list is the contract between modules: check its invariants."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pantau import datasets
from pantau.datasets import DATASETS, KNOWN_CODES, LINEAGE_COLUMNS, PG_TYPES, spec

ARCHITECTURE_NAMES = {
    "rup_master_satker", "rup_struktur_anggaran", "rup_paket_penyedia", "rup_paket_swakelola",
    "rup_paket_anggaran_penyedia", "spse_tender_pengumuman", "spse_tender_selesai_nilai",
    "spse_tender_ekontrak_kontrak", "spse_tender_ekontrak_bapbast", "spse_nontender_pengumuman",
    "spse_nontender_selesai", "spse_nontender_ekontrak_kontrak", "spse_nontender_ekontrak_bapbast",
    "spse_pencatatan_nontender", "spse_pencatatan_nontender_realisasi", "ecat_paket_v5", "ecat_paket_v6",
    "bela_toko_daring",
}


def test_all_architecture_datasets_present() -> None:
    assert set(DATASETS) == ARCHITECTURE_NAMES


@pytest.mark.parametrize("name", sorted(ARCHITECTURE_NAMES))
def test_spec_invariants(name: str) -> None:
    s = spec(name)
    names = [c.name for c in s.columns]
    assert len(names) == len(set(names)), "duplicate column names"
    assert set(s.key) <= set(names), "grain key must be among the columns"
    assert all(s.column(k).required for k in s.key), "key columns are required"
    assert {c.pg_type for c in s.columns} <= PG_TYPES
    assert not set(names) & {c.name for c in LINEAGE_COLUMNS}, "lineage columns are added separately"
    assert "source_event_date" in names
    assert all(c.doc_id and c.doc_en for c in s.columns)
    assert s.filter_by in ("klpd", "lpse")
    assert s.inaproc_path.startswith("/v1/")
    assert set(s.isb_param_order) in ({"tahun", "kd_klpd"}, {"tahun", "kd_lpse"})
    assert not set(names) & datasets.PII_FIELDS


def test_param_order_follows_isb_urls() -> None:
    """§1.1: MasterSatker and Bela take kd_klpd first, the rest tahun first."""
    assert spec("rup_master_satker").isb_param_order == ("kd_klpd", "tahun")
    assert spec("bela_toko_daring").isb_param_order == ("kd_klpd", "tahun")
    assert spec("rup_paket_penyedia").isb_param_order == ("tahun", "kd_klpd")
    assert spec("spse_tender_pengumuman").isb_param_order == ("tahun", "kd_lpse")


def test_type_drift_resolved_per_dataset() -> None:
    """kd_rup is text where SPSE sends ';'-lists, bigint elsewhere; money is numeric(20,2)."""
    assert spec("spse_tender_pengumuman").column("kd_rup").pg_type == "text"
    assert spec("rup_paket_penyedia").column("kd_rup").pg_type == "bigint"
    assert spec("ecat_paket_v6").column("kd_paket").pg_type == "text"
    assert spec("ecat_paket_v5").column("kd_paket").pg_type == "bigint"
    assert spec("spse_tender_pengumuman").column("hps").pg_type == "numeric(20,2)"


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(KeyError) as err:
        spec("rup_paket")
    assert "rup_paket_penyedia" in str(err.value)


def test_known_codes() -> None:
    assert "PAYMENT_OUTSIDE_SYSTEM" in KNOWN_CODES["status_pkt"]
    assert "BUYER_CONFIRMED" in KNOWN_CODES["status_pengiriman"]
    assert {"APBD", "APBDP", "BLUD"} <= KNOWN_CODES["sumber_dana"]
    assert "Gagal/Batal" in KNOWN_CODES["status_nontender"]


def test_stdlib_only() -> None:
    """DAG files import pantau.datasets at parse time: no third-party imports allowed."""
    tree = ast.parse(Path(datasets.__file__).read_text())
    roots = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    roots |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    import sys
    assert roots <= set(sys.stdlib_module_names) | {"__future__"}, roots
