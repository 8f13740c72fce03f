"""Issue 14 points 5–7 through the real stages (land → normalise → stage → validate → load):
repeated facts collapse and are counted in audit.load_log, disagreeing copies are quarantined,
budget lines sharing a key keep an ordinal (Σ pagu = feed), a critically failed or never
validated fetch is refused."""
from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from pantau import db
from pantau.load import FetchNotValidated, LoadError, load_fetch
from vhelpers import SNAP_NEW, land, rup_penyedia, run_pipeline

REAL = Path("/work/shared/fixtures/real/kalbar_d197")


def _q(url: str, sql: str, params=None) -> list[tuple]:
    with db.connect(url) as c, c.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _bapbast(i: int, **over) -> dict:
    rec = {"tahun_anggaran": 2025, "kd_klpd": "D107", "kd_satker_str": "1.03.2.15.1.04.03.0000", "kd_lpse": 93,
           "kd_nontender": 11584000 + i, "no_bap": f"BAP/{i}", "no_bast": f"BAST/{i}", "tgl_bap": "2025-04-22",
           "tgl_bast": "2025-04-19", "besar_pembayaran": 134620000 + i, "progres_pekerjaan": 100,
           "cara_pembayaran_kontrak": "Sekaligus", "status_kontrak": "Kontrak Selesai", "versi_addendum": 0,
           "_event_date": "2025-09-01"}
    rec.update(over)
    return rec


def test_payments_published_twice_collapse_and_conflicts_are_quarantined(warehouse_url):
    # every payment twice (only _event_date differs), plus one payment twice with different amounts
    rows = [_bapbast(i) for i in range(4)] + [_bapbast(i, _event_date="2025-09-02") for i in range(4)]
    rows += [_bapbast(9, besar_pembayaran=1000), _bapbast(9, besar_pembayaran=2000)]
    run = run_pipeline(warehouse_url, "spse_nontender_ekontrak_bapbast", rows, kd_klpd=None, kd_lpse=93)
    assert run.critical is None
    s, res = run.summary, run.load
    assert (s.n_rows, s.n_collapsed, s.n_quarantined) == (10, 4, 2)
    assert (res.rows_in, res.rows_accepted, res.rows_quarantined, res.rows_collapsed, res.rows_dropped) == (10, 4, 2, 4, 0)
    assert res.balanced
    log = _q(warehouse_url, "SELECT rows_in, rows_accepted, rows_quarantined, rows_collapsed, rows_dropped, "
                            "validation_run_id FROM audit.load_log WHERE load_id = %s", (res.load_id,))
    assert log == [(10, 4, 2, 4, 0, s.run_id)]
    assert _q(warehouse_url, "SELECT count(*), sum(besar_pembayaran) FROM core.pembayaran") == [
        (4, Decimal(4 * 134620000 + 6))]
    kept = _q(warehouse_url, "SELECT row_no, kept_row_no FROM audit.collapsed_row WHERE fetch_id = %s ORDER BY 1",
              (run.fetch_id,))
    assert kept == [(4, 0), (5, 1), (6, 2), (7, 3)]
    reasons = _q(warehouse_url, "SELECT row_no, reason, expectation FROM quarantine.spse_nontender_ekontrak_bapbast "
                                "WHERE fetch_id = %s ORDER BY 1", (run.fetch_id,))
    assert [r[0] for r in reasons] == [8, 9]
    assert all("differ in: besar_pembayaran" in r[1] and "key_unique:" in r[2] for r in reasons)
    collapse_rule = next(r for r in s.results if r.rule.startswith("collapsed:"))
    assert collapse_rule.action == "collapse" and collapse_rule.unexpected_count == 4


def test_realisasi_repeated_per_kd_rup_paket_collapses(warehouse_url):
    base = {"tahun_anggaran": 2025, "kd_klpd": "D107", "kd_lpse": 93, "kd_satker_str": "1.03.2.15.1.04.03.0000",
            "kd_nontender_pct": 7001, "no_realisasi": "KW-1", "tgl_realisasi": "2025-03-01", "nilai_realisasi": 500000,
            "jenis_realisasi": "Kuitansi", "_event_date": "2025-10-03"}
    rows = [{**base, "kd_rup_paket": str(k)} for k in (101, 102, 103)] + [{**base, "no_realisasi": "KW-2"}]
    run = run_pipeline(warehouse_url, "spse_pencatatan_nontender_realisasi", rows, kd_klpd=None, kd_lpse=93)
    assert run.critical is None and run.summary.n_collapsed == 2 and run.summary.n_quarantined == 0
    assert run.load.rows_accepted == 2 and run.load.balanced
    assert _q(warehouse_url, "SELECT sum(nilai_realisasi) FROM core.pencatatan_realisasi") == [(Decimal(1000000),)]


def test_real_budget_lines_sum_to_the_feed(warehouse_url):
    """Point 6 on the real D197 file: Σ pagu in core = Σ pagu in the JSON (DISTINCT ON lost lines)."""
    records = json.loads((REAL / "RUP-PaketAnggaranPenyedia.json").read_text(encoding="utf-8"))
    groups: dict[tuple, set] = defaultdict(set)
    for r in records:
        groups[(r["kd_rup"], r["mak"] or "", r["sumber_dana"] or "")].add(r["pagu"])
    pair = next(k for k, pagus in groups.items() if len(pagus) > 1)  # same key, different pagu
    run = run_pipeline(warehouse_url, "rup_paket_anggaran_penyedia", records, kd_klpd="D197", tahun=2024)
    assert run.critical is None and run.summary.n_quarantined == 0 and run.summary.n_collapsed == 0
    assert run.load.rows_accepted == len(records) and run.load.balanced
    got = _q(warehouse_url, "SELECT count(*), sum(pagu) FROM core.rup_anggaran")
    assert got == [(len(records), Decimal(sum(r["pagu"] for r in records)).quantize(Decimal("0.01")))]
    lines = _q(warehouse_url, "SELECT ordinal, pagu FROM core.rup_anggaran WHERE kd_rup = %s AND mak = %s "
                              "AND sumber_dana = %s ORDER BY ordinal", pair)
    assert [o for o, _p in lines] == list(range(1, len(lines) + 1)) and len({p for _o, p in lines}) > 1
    # ordinals follow business values, not row positions: the reversed feed gives the same core rows
    again = run_pipeline(warehouse_url, "rup_paket_anggaran_penyedia", list(reversed(records)), kd_klpd="D197",
                         tahun=2024, snapshot=SNAP_NEW)
    assert again.load.rows_loaded == 0 and again.load.rows_deleted == 0


def test_load_refuses_a_critically_failed_or_unvalidated_fetch(warehouse_url):
    bad = run_pipeline(warehouse_url, "rup_paket_penyedia",
                       [{k: v for k, v in rup_penyedia(i).items() if k != "pagu"} for i in range(3)])
    assert bad.critical is not None and bad.load is None
    # someone marks the failed validate task "success": the load task still refuses
    for allow in (False, True):
        with pytest.raises(FetchNotValidated, match=rf"fetch {bad.fetch_id} .*critical"):
            load_fetch(bad.fetch_id, SNAP_NEW, url=warehouse_url, allow_unvalidated=allow)
    assert issubclass(FetchNotValidated, LoadError)
    assert _q(warehouse_url, "SELECT count(*) FROM core.rup_paket") == [(0,)]
    assert _q(warehouse_url, "SELECT status, error LIKE 'FetchNotValidated:%%' FROM audit.load_log "
                             "WHERE fetch_id = %s", (bad.fetch_id,)) == [("failed", True)] * 2
    # never validated: refused unless asked explicitly
    from pantau.load.staging import write_staging
    from pantau.sources.normalize import normalize_records
    from pantau.sources.raw import read_fetch

    fid = land(warehouse_url, "rup_paket_penyedia", [rup_penyedia(i) for i in range(3)])
    rf = read_fetch(fid, url=warehouse_url)
    df = normalize_records("rup_paket_penyedia", rf.records, source_system="isb",
                           context={"kd_klpd": "D107", "kd_lpse": None, "tahun": 2025})
    with db.transaction(warehouse_url) as conn:
        write_staging(conn, "rup_paket_penyedia", fid, df)
    with pytest.raises(FetchNotValidated, match="never validated"):
        load_fetch(fid, SNAP_NEW, url=warehouse_url)
    res = load_fetch(fid, SNAP_NEW, url=warehouse_url, allow_unvalidated=True)
    assert res.rows_accepted == 3 and res.validation_run_id is None
