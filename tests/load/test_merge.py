"""Acceptance 1–3 of the warehouse issue: idempotency, atomicity, history; plus every mapping runs."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from loadkit import checksums, query, tender, v6_order
from loadkit import load_unvalidated as load_fetch

from pantau.datasets import DATASETS
from pantau.load import LoadError
from pantau.load.mappings import MAPPINGS

D1, D2, D3 = dt.date(2025, 5, 1), dt.date(2025, 6, 1), dt.date(2025, 7, 1)
REPO = Path(__file__).resolve().parents[2]


def _sample_row(dataset: str, i: int) -> dict:
    """A plausible row of any dataset, built from its spec (types only)."""
    row = {}
    for c in DATASETS[dataset].columns:
        if c.pg_type in ("bigint", "integer"):
            row[c.name] = 1000 + i
        elif c.pg_type.startswith("numeric"):
            row[c.name] = Decimal("1234.50")
        elif c.pg_type == "date":
            row[c.name] = dt.date(2025, 1, 1 + i)
        elif c.pg_type == "timestamptz":
            row[c.name] = dt.datetime(2025, 1, 1 + i, 10, 0)
        elif c.pg_type == "boolean":
            row[c.name] = True
        else:
            row[c.name] = f"{c.name}-{i}"
    row.update({k: v for k, v in {"kd_klpd": "D107", "tahun_anggaran": 2025}.items() if k in row})
    if "kd_rup" in row and DATASETS[dataset].column("kd_rup").pg_type == "text":
        row["kd_rup"] = f"{56168859 + i};{56168900 + i}"
    if "kd_lpse" in row:
        row["kd_lpse"] = 93
    return row


def test_every_dataset_maps_into_core(warehouse_url, stage_rows):
    """Each mapping SQL runs against its staging table and fills its core and history tables.

    One database for all datasets (a fresh one per dataset would dominate the suite's time);
    master satker first so the satker lookups of e-Katalog v5 / Bela resolve.
    """
    order = ["rup_master_satker", *sorted(d for d in MAPPINGS if d != "rup_master_satker")]
    for dataset in order:
        fetch = stage_rows(dataset, [_sample_row(dataset, i) for i in range(3)], kd_lpse=93)
        res = load_fetch(fetch, D1)
        assert res.rows_in == 3, dataset
        for m in MAPPINGS[dataset]:
            n_core = query(warehouse_url, f"SELECT count(*) FROM core.{m.table} WHERE fetch_id = %s", (fetch,))[0][0]
            assert n_core >= 1, (dataset, m.table)
            n_hist = query(warehouse_url, f"SELECT count(*) FROM history.{m.table} WHERE fetch_id = %s",
                           (fetch,))[0][0]
            assert n_hist == n_core, (dataset, m.table)
    assert query(warehouse_url, "SELECT count(*) FROM core.toko_daring WHERE kd_satker_str IS NULL") == [(0,)]


def _two_partitions(stage_rows):
    f_v6 = stage_rows("ecat_paket_v6", [v6_order("01A", "ON_PROCESS"), v6_order("01B", "ON_PROCESS"),
                                        v6_order("01C", "COMPLETED")])
    f_t = stage_rows("spse_tender_pengumuman", [tender(10011868000, "Berlangsung"),
                                                tender(10011869000, "Selesai", kd_rup="56168878")], kd_lpse=93)
    return f_v6, f_t


def test_same_fetch_twice_changes_nothing(warehouse_url, stage_rows):
    f_v6, f_t = _two_partitions(stage_rows)
    load_fetch(f_v6, D1)
    load_fetch(f_t, D1)
    before = checksums(warehouse_url)
    again_v6 = load_fetch(f_v6, D1)
    again_t = load_fetch(f_t, D1)
    assert before == checksums(warehouse_url)
    assert (again_v6.rows_loaded, again_v6.rows_deleted, again_v6.rows_history) == (0, 0, 0)
    assert again_t.rows_loaded == 0
    # also on a later snapshot date: unchanged rows open no new history version
    load_fetch(f_v6, D2)
    assert before == checksums(warehouse_url)
    assert before["core.epurchasing_order"].startswith("3:")


def test_failure_between_statements_keeps_previous_contents(warehouse_url, stage_rows):
    first = stage_rows("ecat_paket_v6", [v6_order("01A", "ON_PROCESS"), v6_order("01B", "ON_PROCESS")])
    load_fetch(first, D1)
    before = checksums(warehouse_url)
    second = stage_rows("ecat_paket_v6", [v6_order("01A", "COMPLETED"), v6_order("01C", "ON_PROCESS")])

    def boom(step: str) -> None:
        if step == "delete:epurchasing_order":  # after the upsert, before deletes and history
            raise RuntimeError("injected failure")

    with pytest.raises(RuntimeError, match="injected"):
        load_fetch(second, D2, _fail_after=boom)
    assert checksums(warehouse_url) == before
    assert query(warehouse_url, "SELECT status, error LIKE '%%injected%%' FROM audit.load_log WHERE fetch_id = %s",
                 (second,)) == [("failed", True)]

    res = load_fetch(second, D2)
    assert (res.rows_loaded, res.rows_deleted) == (2, 1)  # 01A changed + 01C new; 01B gone
    rows = query(warehouse_url, "SELECT kd_paket, status_pkt, is_deleted FROM core.epurchasing_order ORDER BY 1")
    assert rows == [("01A", "COMPLETED", False), ("01B", "ON_PROCESS", True), ("01C", "ON_PROCESS", False)]
    current = query(warehouse_url, "SELECT kd_paket, count(*) FROM history.epurchasing_order "
                                   "WHERE valid_to IS NULL GROUP BY 1 ORDER BY 1")
    assert current == [("01A", 1), ("01B", 1), ("01C", 1)]


_KILLED_LOADER = """
import sys, time
sys.path.insert(0, {plugins!r})
from pantau.load import load_fetch
def hang(step):
    if step.startswith("history:"):
        open({marker!r}, "w").write(step)
        time.sleep(120)
load_fetch({fetch}, {snapshot!r}, _fail_after=hang, allow_unvalidated=True)
"""


def test_loader_killed_mid_load_keeps_previous_contents(warehouse_url, stage_rows, tmp_path):
    first = stage_rows("spse_tender_pengumuman", [tender(10011868000, "Berlangsung")], kd_lpse=93)
    load_fetch(first, D1)
    before = checksums(warehouse_url)
    second = stage_rows("spse_tender_pengumuman", [tender(10011868000, "Selesai"),
                                                   tender(10011870000, "Berlangsung", kd_rup="1;2;3")], kd_lpse=93)
    marker = tmp_path / "reached"
    code = _KILLED_LOADER.format(plugins=str(REPO / "plugins"), marker=str(marker), fetch=second,
                                 snapshot=D2.isoformat())
    proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "PANTAU_WAREHOUSE_URL": warehouse_url})
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert proc.poll() is None, "loader exited before reaching the history step"
        assert time.monotonic() < deadline, "loader never reached the history step"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    deadline = time.monotonic() + 10  # the server notices the dead client and rolls back
    while checksums(warehouse_url) != before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert checksums(warehouse_url) == before

    res = load_fetch(second, D2)
    assert res.rows_history > 0
    assert query(warehouse_url, "SELECT kd_tender, status_tender FROM core.tender ORDER BY 1") == [
        (10011868000, "Selesai"), (10011870000, "Berlangsung")]
    assert query(warehouse_url, "SELECT count(*), count(DISTINCT (kd_tender, kd_rup)) FROM core.tender_rup") == [(5, 5)]
    assert query(warehouse_url, "SELECT count(*) FROM history.tender WHERE valid_to IS NULL") == [(2,)]


def test_status_history_and_deletion(warehouse_url, stage_rows):
    load_fetch(stage_rows("ecat_paket_v6", [v6_order("01A", "ON_PROCESS"), v6_order("01B", "ON_PROCESS")]), D1)
    load_fetch(stage_rows("ecat_paket_v6", [v6_order("01A", "COMPLETED"), v6_order("01B", "ON_PROCESS")]), D2)
    load_fetch(stage_rows("ecat_paket_v6", [v6_order("01A", "COMPLETED")]), D3)

    def status_asof(day: str, include_deleted: bool = False):
        return query(warehouse_url, "SELECT kd_paket, status_pkt, is_deleted FROM history.epurchasing_order_asof(%s, %s) "
                                    "ORDER BY 1", (day, include_deleted))

    assert status_asof("2025-04-30") == []
    assert status_asof("2025-05-15") == [("01A", "ON_PROCESS", False), ("01B", "ON_PROCESS", False)]
    assert status_asof("2025-06-01") == [("01A", "COMPLETED", False), ("01B", "ON_PROCESS", False)]
    assert status_asof("2025-07-01") == [("01A", "COMPLETED", False)]
    assert status_asof("2025-07-01", True) == [("01A", "COMPLETED", False), ("01B", "ON_PROCESS", True)]
    # the documented as-of predicate on the table gives the same answer as the function
    assert query(warehouse_url, "SELECT kd_paket, status_pkt FROM history.epurchasing_order WHERE valid_from <= %s "
                                "AND (valid_to IS NULL OR valid_to > %s) AND NOT is_deleted ORDER BY 1",
                 ("2025-05-15", "2025-05-15")) == [("01A", "ON_PROCESS"), ("01B", "ON_PROCESS")]
    assert query(warehouse_url, "SELECT is_deleted, deleted_at FROM core.epurchasing_order WHERE kd_paket = '01B'") == [
        (True, D3)]
    assert query(warehouse_url, "SELECT kd_paket, valid_from, valid_to FROM history.epurchasing_order ORDER BY 1, 2") == [
        ("01A", D1, D2), ("01A", D2, None), ("01B", D1, D3), ("01B", D3, None)]


def test_tender_status_and_bridge_history(warehouse_url, stage_rows):
    load_fetch(stage_rows("spse_tender_pengumuman", [tender(7794119, "Berlangsung", kd_rup="1;2")], kd_lpse=93), D1)
    load_fetch(stage_rows("spse_tender_pengumuman", [tender(7794119, "Selesai", kd_rup="2;3")], kd_lpse=93), D2)
    assert query(warehouse_url, "SELECT status_tender FROM history.tender_asof('2025-05-20')") == [("Berlangsung",)]
    assert query(warehouse_url, "SELECT status_tender FROM history.tender_asof('2025-06-20')") == [("Selesai",)]
    assert query(warehouse_url, "SELECT kd_rup, ordinal FROM history.tender_rup_asof('2025-05-20') ORDER BY 1") == [
        (1, 0), (2, 1)]
    assert query(warehouse_url, "SELECT kd_rup, ordinal FROM history.tender_rup_asof('2025-06-20') ORDER BY 1") == [
        (2, 0), (3, 1)]


def test_winner_feed_updates_without_owning(warehouse_url, stage_rows):
    load_fetch(stage_rows("spse_tender_pengumuman", [tender(7794119, "Selesai")], kd_lpse=93), D1)
    nilai = {"tahun_anggaran": 2025, "kd_klpd": "D107", "kd_lpse": 93, "kd_tender": 7794119,
             "nilai_kontrak": Decimal("900000000.50"), "kd_penyedia": 55, "nama_penyedia": "PT X",
             "pagu": Decimal("1")}  # a differing pagu must not overwrite the owner's value
    load_fetch(stage_rows("spse_tender_selesai_nilai", [nilai], kd_lpse=93), D2)
    load_fetch(stage_rows("spse_tender_selesai_nilai", [], kd_lpse=93), D3, allow_empty=True)
    assert query(warehouse_url, "SELECT status_tender, pagu, nilai_kontrak, nama_penyedia, is_deleted, src_partition "
                                "FROM core.tender") == [
        ("Selesai", Decimal("1500000000.00"), Decimal("900000000.50"), "PT X", False,
         "spse_tender_pengumuman/lpse93/2025")]


def test_quarantined_rows_are_not_loaded_nor_deleted(warehouse_url, stage_rows):
    load_fetch(stage_rows("ecat_paket_v6", [v6_order("01A", "ON_PROCESS"), v6_order("01B", "ON_PROCESS")]), D1)
    second = stage_rows("ecat_paket_v6", [v6_order("01A", "COMPLETED"), v6_order("01B", "BROKEN", total="-5")])
    query_sql = ("INSERT INTO quarantine.ecat_paket_v6 (fetch_id, row_no, kd_paket, reason, expectation) "
                 "VALUES (%s, 1, '01B', 'negative total', 'expect_column_values_to_be_between') RETURNING row_no")
    assert query(warehouse_url, query_sql, (second,)) == [(1,)]
    res = load_fetch(second, D2)
    assert (res.rows_quarantined, res.rows_loaded, res.rows_deleted) == (1, 1, 0)
    assert query(warehouse_url, "SELECT kd_paket, status_pkt, is_deleted FROM core.epurchasing_order ORDER BY 1") == [
        ("01A", "COMPLETED", False), ("01B", "ON_PROCESS", False)]
    assert query(warehouse_url, "SELECT rows_in, rows_loaded, rows_quarantined FROM audit.load_log "
                                "WHERE fetch_id = %s AND status = 'ok'", (second,)) == [(2, 1, 1)]


def test_guards(warehouse_url, stage_rows):
    load_fetch(stage_rows("ecat_paket_v6", [v6_order("01A", "ON_PROCESS")]), D2)
    with pytest.raises(LoadError, match="older than the last loaded snapshot"):
        load_fetch(stage_rows("ecat_paket_v6", [v6_order("01A", "COMPLETED")]), D1)
    # an empty staged snapshot does not wipe the partition unless asked
    empty = stage_rows("ecat_paket_v6", [])
    res = load_fetch(empty, D3)
    assert res.rows_deleted == 0
    assert query(warehouse_url, "SELECT is_deleted FROM core.epurchasing_order") == [(False,)]
    with pytest.raises(LoadError, match="not in raw.fetch"):
        load_fetch(987654321, D3)


def test_v5_lines_roll_up_to_orders(warehouse_url, stage_rows):
    base = {"tahun_anggaran": 2025, "kd_klpd": "D107", "satker_id": 361176, "kd_paket": 11289430, "kd_rup": 1,
            "nama_paket": "ATK", "paket_status_str": "Paket Proses", "status_paket": "proses_kontrak_ppk",
            "tanggal_buat_paket": dt.date(2025, 2, 1)}
    lines = [{**base, "kd_produk": p, "kuantitas": 12, "harga_satuan": Decimal("5670000"),
              "total_harga": Decimal("68040000"), "ongkos_kirim": Decimal("10000")} for p in (1, 2, 3, 4)]
    load_fetch(stage_rows("ecat_paket_v5", lines), D1)
    assert query(warehouse_url, "SELECT versi, kd_paket, nilai, total_harga, ongkos_kirim, n_lines, status_pkt "
                                "FROM core.epurchasing_order") == [
        ("v5", "11289430", Decimal("272200000.00"), Decimal("272160000.00"), Decimal("40000.00"), 4, "Paket Proses")]
    assert query(warehouse_url, "SELECT count(*) FROM core.epurchasing_line") == [(4,)]
