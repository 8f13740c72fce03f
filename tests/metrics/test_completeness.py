"""Input completeness recorded with each metric run (mart.metric_run_input, issue 14 point 8).

Partition attempts (audit.partition_run) and loads (audit.load_log) are written by hand with
explicit times, so every state is decided by rows the test states: loaded, stale, failed,
endpoint_not_available, running, missing. Orphan shares are computed on hand-made core rows.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal

from pantau import metrics
from pantau.config import SQL_DIR
from pantau.metrics.inputs import METRIC_INPUTS, ORPHAN_DATASETS, input_rows, unmapped_family_datasets

TAHUN = 2023
AS_OF = "2023-12-05"


def ts(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=timezone.utc)


def load(conn, dataset: str, snapshot: str, finished: datetime, *, kd="D1", rows=10, status="ok") -> int:
    """An audit.load_log row (a load done through Airflow or by hand)."""
    with conn.cursor() as cur:
        cur.execute("""INSERT INTO audit.load_log (dataset, kd_klpd, tahun, src_partition, fetch_id, snapshot_date,
                              started_at, finished_at, rows_loaded, status)
                       VALUES (%s, %s, %s, %s, 900, %s, %s, %s, %s, %s) RETURNING load_id""",
                    (dataset, kd, TAHUN, f"{dataset}/{kd}/{TAHUN}", snapshot, finished, finished, rows, status))
        load_id = cur.fetchone()[0]
    conn.commit()
    return load_id


def attempt(conn, dataset: str, status: str, at: datetime, *, kd="D1", run="r1", reason=None,
            stage="load", load_id=None) -> None:
    """An audit.partition_run row as H1's DAG wrappers write it."""
    family = next(f for d, f, *_ in input_rows() if d == dataset)
    with conn.cursor() as cur:
        cur.execute("""INSERT INTO audit.partition_run (run_key, family, dataset, kd_klpd, tahun, stage, status,
                              reason, error_class, load_id, updated_at)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                    (f"extract_{family}/{run}", family, dataset, kd, TAHUN, stage, status, reason,
                     "TestError" if reason else None, load_id, at))
    conn.commit()


def inputs_of(fetch, run_id: int) -> dict[str, dict]:
    rows = fetch("SELECT * FROM mart.metric_run_input WHERE metric_run_id = %s", (run_id,))
    return {r["dataset"]: r for r in rows}


def test_every_family_dataset_is_an_input_or_named_as_not_read():
    assert unmapped_family_datasets() == []
    sql_text = (SQL_DIR / "mart" / "metric_run_input.sql").read_text(encoding="utf-8")
    named = set(re.findall(r"'((?:spse|ecat)_[a-z0-9_]+)'", sql_text))
    assert named == set(ORPHAN_DATASETS) and set(ORPHAN_DATASETS) <= set(METRIC_INPUTS)


def test_run_records_loaded_stale_failed_404_running_and_missing(conn, fetch, warehouse_url):
    # rup_paket_penyedia: failed once, then loaded (latest attempt wins)
    attempt(conn, "rup_paket_penyedia", "failed", ts("2023-10-30"), run="r0", reason="HTTP 503")
    lid = load(conn, "rup_paket_penyedia", "2023-11-01", ts("2023-11-01"), rows=40)
    attempt(conn, "rup_paket_penyedia", "loaded", ts("2023-11-01", 11), load_id=lid)
    # non-tender e-kontrak: failed, never loaded
    attempt(conn, "spse_nontender_ekontrak_kontrak", "failed", ts("2023-11-20"), stage="extract",
            reason="HTTP 500 from /v1/tender/non-tender-ekontrak-kontrak for spse_nontender_ekontrak_kontrak "
                   "D1 2023\nTraceback (most recent call last): ...")
    # struktur anggaran: 404 at the source
    attempt(conn, "rup_struktur_anggaran", "endpoint_not_available", ts("2023-11-20"), stage="extract",
            reason="404 Not Found: /v1/rup/struktur-anggaran-pd")
    # v6 orders: loaded on 1 Nov, latest attempt (20 Nov) failed -> stale
    load(conn, "ecat_paket_v6", "2023-11-01", ts("2023-11-01"))
    attempt(conn, "ecat_paket_v6", "failed", ts("2023-11-20"), reason="critical validation: kd_paket null")
    # tender pengumuman: only a load with a snapshot after as_of -> invisible as of the run
    load(conn, "spse_tender_pengumuman", "2024-01-05", ts("2024-01-05"))
    # toko daring: loaded outside Airflow (load_log only)
    load(conn, "bela_toko_daring", "2023-11-02", ts("2023-11-02"), rows=3)
    # BAPBAST tender: an attempt still running, nothing loaded
    attempt(conn, "spse_tender_ekontrak_bapbast", "running", ts("2023-12-04"), stage="validate")
    # a failed load_log row does not count as loaded
    load(conn, "spse_nontender_selesai", "2023-11-01", ts("2023-11-01"), status="failed")
    # another KLPD's failure does not leak into D1
    attempt(conn, "rup_paket_penyedia", "failed", ts("2023-12-01"), kd="D2", reason="HTTP 500")

    runs = metrics.compute_many(["D1", "D2"], TAHUN, AS_OF)
    got = inputs_of(fetch, runs["D1"])
    assert set(got) == set(METRIC_INPUTS)                       # every input, one row each
    state = {d: r["state"] for d, r in got.items()}
    assert state["rup_paket_penyedia"] == "loaded"
    assert (got["rup_paket_penyedia"]["load_id"], got["rup_paket_penyedia"]["rows_loaded"]) == (lid, 40)
    assert got["rup_paket_penyedia"]["snapshot_date"] == date(2023, 11, 1)
    assert state["spse_nontender_ekontrak_kontrak"] == "failed"
    assert got["spse_nontender_ekontrak_kontrak"]["reason"].startswith("HTTP 500")
    assert got["spse_nontender_ekontrak_kontrak"]["family"] == "spse"
    assert state["rup_struktur_anggaran"] == "endpoint_not_available"
    assert state["ecat_paket_v6"] == "stale"
    assert got["ecat_paket_v6"]["attempt_status"] == "failed"
    assert got["ecat_paket_v6"]["snapshot_date"] == date(2023, 11, 1)
    assert state["spse_tender_pengumuman"] == "missing"
    assert state["bela_toko_daring"] == "loaded" and got["bela_toko_daring"]["attempt_status"] is None
    assert state["spse_tender_ekontrak_bapbast"] == "running"
    assert state["spse_nontender_selesai"] == "missing"
    assert state["rup_master_satker"] == "missing"
    assert inputs_of(fetch, runs["D2"])["rup_paket_penyedia"]["state"] == "failed"

    # the failed partition is then loaded by hand: the same run key is recomputed in place
    load(conn, "spse_nontender_ekontrak_kontrak", "2023-12-01", ts("2023-12-01"))
    again = metrics.compute("D1", TAHUN, AS_OF)
    assert again == runs["D1"]
    got = inputs_of(fetch, again)
    assert len(got) == len(METRIC_INPUTS)
    assert got["spse_nontender_ekontrak_kontrak"]["state"] == "loaded"
    assert got["spse_nontender_ekontrak_kontrak"]["attempt_status"] == "failed"   # history kept


def _lineage(core):
    """RUP of 2023: 1, 2, 3 (D1); 4 is of 2022; 5 is deleted."""
    core("rup_paket", *[dict(kd_rup=k, tahun_anggaran=TAHUN, kd_klpd="D1", tipe="penyedia") for k in (1, 2, 3)],
         dict(kd_rup=4, tahun_anggaran=2022, kd_klpd="D1", tipe="penyedia"),
         dict(kd_rup=5, tahun_anggaran=TAHUN, kd_klpd="D1", tipe="swakelola", is_deleted=True))


def test_orphan_share_equals_hand_computed_share(core, fetch, warehouse_url):
    _lineage(core)
    tenders = {101: [1], 102: [4], 103: [1, 99], 104: [5], 105: [2], 106: [99], 107: [99], 108: [99]}
    core("tender", *[dict(kd_tender=k, tahun_anggaran=TAHUN, kd_klpd="D1") for k in range(101, 106)],
         dict(kd_tender=106, tahun_anggaran=TAHUN, kd_klpd="D1", is_deleted=True),   # not counted
         dict(kd_tender=107, tahun_anggaran=2022, kd_klpd="D1"),                     # other year
         dict(kd_tender=108, tahun_anggaran=TAHUN, kd_klpd="D2"))                    # other KLPD
    core("tender_rup", *[dict(kd_tender=t, kd_rup=r, ordinal=i, is_deleted=(t == 105))
                         for t, rups in tenders.items() for i, r in enumerate(rups)])
    # nontender: 201 backed, 202 and 203 not
    core("nontender", *[dict(kd_nontender=k, tahun_anggaran=TAHUN, kd_klpd="D1") for k in (201, 202, 203)])
    core("nontender_rup", dict(kd_nontender=201, kd_rup=2, ordinal=0), dict(kd_nontender=202, kd_rup=77, ordinal=0),
         dict(kd_nontender=203, kd_rup=88, ordinal=0))
    # pencatatan non-tender: 301 backed, 302 has no kd_rup at all; swakelola 303 is not this dataset
    core("pencatatan", *[dict(jenis="nontender", kd_pct=k, tahun_anggaran=TAHUN, kd_klpd="D1") for k in (301, 302)],
         dict(jenis="swakelola", kd_pct=303, tahun_anggaran=TAHUN, kd_klpd="D1"))
    core("pencatatan_rup", dict(jenis="nontender", kd_pct=301, kd_rup=3, ordinal=0),
         dict(jenis="swakelola", kd_pct=303, kd_rup=99, ordinal=0))
    # e-purchasing: v6 O1 (rup 1) and O4 (rup 2) backed, O2 (no kd_rup) and O3 (2022 rup) not; v5 E1 not
    core("epurchasing_order",
         *[dict(versi="v6", kd_paket=k, tahun_anggaran=TAHUN, kd_klpd="D1", kd_rup=r)
           for k, r in (("O1", 1), ("O2", None), ("O3", 4), ("O4", 2))],
         dict(versi="v5", kd_paket="E1", tahun_anggaran=TAHUN, kd_klpd="D1", kd_rup=999))

    got = inputs_of(fetch, metrics.compute("D1", TAHUN, AS_OF))
    # by hand: tender 101 ok, 102 (2022 rup), 103 ok (one of two found), 104 (deleted rup),
    # 105 (deleted bridge) -> 3 of 5; nontender 2 of 3; pencatatan 1 of 2; v6 2 of 4; v5 1 of 1
    expect = {"spse_tender_pengumuman": (5, 3), "spse_nontender_pengumuman": (3, 2),
              "spse_pencatatan_nontender": (2, 1), "ecat_paket_v6": (4, 2), "ecat_paket_v5": (1, 1)}
    for ds, (n, orphan) in expect.items():
        row = got[ds]
        assert (row["n_rows_rup_ref"], row["n_orphan"]) == (n, orphan), ds
        assert round(row["orphan_share"], 12) == round(Decimal(orphan) / Decimal(n), 12), ds
    assert got["rup_paket_penyedia"]["orphan_share"] is None and got["rup_paket_penyedia"]["n_orphan"] is None
    assert got["bela_toko_daring"]["n_rows_rup_ref"] is None


def test_orphan_share_of_a_dataset_without_rows_is_null(fetch, warehouse_url):
    got = inputs_of(fetch, metrics.compute("D1", TAHUN, AS_OF))
    assert (got["spse_tender_pengumuman"]["n_rows_rup_ref"], got["spse_tender_pengumuman"]["n_orphan"]) == (0, 0)
    assert got["spse_tender_pengumuman"]["orphan_share"] is None
    assert {r["state"] for r in got.values()} == {"missing"}
