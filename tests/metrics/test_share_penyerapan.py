"""E-purchasing share (Tangerang Selatan), penyerapan and as-of behaviour, hand-computed."""
from __future__ import annotations

from decimal import Decimal

from pantau import metrics

from test_itkp import TAHUN, order, rup  # noqa: E402  (same folder; pytest rootdir-relative import)

BN = 1_000_000_000


def share(fetch, run, period, pd=None):
    rows = fetch("""SELECT * FROM mart.epurchasing_share WHERE metric_run_id = %s AND period = %s
                    AND kd_satker_str IS NOT DISTINCT FROM %s""", (run, period, pd))
    assert len(rows) == 1, rows
    return rows[0]


def test_tangsel_share_480bn_of_2_5tn_is_19_2_percent(hist, fetch, warehouse_url):
    # Announced RUP 2.5 tn (penyedia 1.5 tn in P1, swakelola 1.0 tn in P2).
    hist("rup_paket", rup(1, 1500 * BN), rup(2, 1000 * BN, pd="P2", tipe="swakelola", metode=None))
    # e-purchasing orders 480 bn: 300 bn in S1, 180 bn in S2; a cancelled 50 bn order is not counted.
    hist("epurchasing_order", order("E1", "COMPLETED", nilai=300 * BN, tgl="2023-03-15"),
         order("E2", "ON_PROCESS", nilai=180 * BN, tgl="2023-08-01"),
         order("E3", "CANCELLED", nilai=50 * BN, tgl="2023-04-01"))
    run = metrics.compute("D1", TAHUN, "2023-12-31")
    ytd = share(fetch, run, "YTD")
    assert ytd["nilai_epurchasing"] == 480 * BN and ytd["pagu_rup"] == 2500 * BN
    assert round(ytd["share_pct"], 2) == Decimal("19.20")
    assert round(share(fetch, run, "S1")["share_pct"], 2) == Decimal("12.00")   # 300 / 2500
    assert round(share(fetch, run, "S2")["share_pct"], 2) == Decimal("7.20")    # 180 / 2500
    assert round(share(fetch, run, "YTD", "P1")["share_pct"], 2) == Decimal("32.00")  # 480 / 1500

    # Variants from the configuration: denominator RUP penyedia only, numerator selesai only.
    cfg = metrics.load_config(TAHUN)
    cfg["epurchasing_share"].update(numerator="selesai", denominator="rup_penyedia")
    run2 = metrics.compute("D1", TAHUN, "2023-12-31", config=cfg)
    assert round(share(fetch, run2, "YTD")["share_pct"], 2) == Decimal("20.00")  # 300 / 1500


def test_as_of_two_dates_return_two_historical_values(hist, fetch, warehouse_url):
    """The same share on 30 Jun and 31 Dec: order E2 exists from 1 Aug, and RUP R2 was revised
    (pagu 1000 bn → 500 bn) on 1 Oct. History is read as of each date."""
    hist("rup_paket", rup(1, 1500 * BN))
    hist("rup_paket", rup(2, 1000 * BN, pd="P2"), valid_from="2023-01-01", valid_to="2023-10-01")
    hist("rup_paket", rup(2, 500 * BN, pd="P2"), valid_from="2023-10-01")
    hist("epurchasing_order", order("E1", "COMPLETED", nilai=300 * BN, tgl="2023-03-15"))
    hist("epurchasing_order", order("E2", "ON_PROCESS", nilai=180 * BN, tgl="2023-08-01"), valid_from="2023-08-02")
    june = metrics.compute("D1", TAHUN, "2023-06-30")
    dec = metrics.compute("D1", TAHUN, "2023-12-31")
    assert round(share(fetch, june, "YTD")["share_pct"], 2) == Decimal("12.00")   # 300 / 2500
    assert round(share(fetch, dec, "YTD")["share_pct"], 2) == Decimal("24.00")    # 480 / 2000
    assert fetch("SELECT count(*) AS n FROM mart.epurchasing_share WHERE metric_run_id = %s AND period = 'S2'",
                 (june,)) == [{"n": 0}]                                           # S2 not started on 30 Jun


def test_penyerapan_committed_paid_cumulative_against_target(hist, fetch, warehouse_url):
    hist("rup_paket", rup(1, 300), rup(2, 100, metode="Pengadaan Langsung"))     # pagu P1 = 400
    hist("tender", dict(kd_tender=11, tahun_anggaran=TAHUN, kd_klpd="D1", kd_satker_str="P1", pagu=300,
                        mtd_pemilihan="Tender", status_tender="Selesai", nilai_kontrak=95))
    hist("tender_rup", dict(kd_tender=11, kd_rup=1, ordinal=0))
    # contract 100, addendum 1 raises it to 110 (latest addendum wins), signed 10 Mar
    hist("kontrak", dict(sumber="tender", kd_paket_spse=11, versi_addendum=0, nilai_kontrak=100, tgl_kontrak="2023-03-10"),
         dict(sumber="tender", kd_paket_spse=11, versi_addendum=1, nilai_kontrak=110, tgl_kontrak="2023-05-10"))
    # two BAPBAST payments, summed: 30 in April, 40 in June
    hist("pembayaran", dict(sumber="tender", kd_paket_spse=11, no_bap="1", tgl_bap="2023-04-05", besar_pembayaran=30),
         dict(sumber="tender", kd_paket_spse=11, no_bap="2", tgl_bap="2023-06-20", besar_pembayaran=40))
    # non-tender without an e-Kontrak row: falls back to its nilai_kontrak 20, dated when finished (May)
    hist("nontender", dict(kd_nontender=21, tahun_anggaran=TAHUN, kd_klpd="D1", kd_satker_str="P1", pagu=100,
                           mtd_pemilihan="Pengadaan Langsung", status_nontender="Selesai", nilai_kontrak=20,
                           tgl_selesai_nontender="2023-05-02T10:00:00+07:00"))
    # pencatatan: the "double input" cancelled copy must not count (committed 50 and paid 50 once)
    base = dict(jenis="swakelola", tahun_anggaran=TAHUN, kd_klpd="D1", kd_satker_str="P1", pagu=50,
                total_realisasi=50, tgl_buat_paket="2023-02-01T09:00:00+07:00")
    hist("pencatatan", dict(base, kd_pct=1, status="Ditutup", status_ket="Paket Dibatalkan",
                            alasan_pembatalan="double input"),
         dict(base, kd_pct=2, status="Aktif", status_ket="Paket Selesai"))
    hist("pencatatan_realisasi",
         dict(jenis="swakelola", kd_pct=1, no_realisasi="a", tgl_realisasi="2023-02-10", nilai_realisasi=50),
         dict(jenis="swakelola", kd_pct=2, no_realisasi="a", tgl_realisasi="2023-02-10", nilai_realisasi=50))
    # an event after as_of is not yet known
    hist("pembayaran", dict(sumber="tender", kd_paket_spse=11, no_bap="3", tgl_bap="2023-07-20", besar_pembayaran=999))
    run = metrics.compute("D1", TAHUN, "2023-06-30")
    rows = fetch("""SELECT extract(month FROM bulan)::int AS m, pagu, committed, paid, committed_pct, paid_pct, target_pct
                    FROM mart.penyerapan WHERE metric_run_id = %s AND kd_satker_str = 'P1' ORDER BY bulan""", (run,))
    assert [r["m"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert {r["pagu"] for r in rows} == {400}
    # committed: Feb 50 (pencatatan), Mar +110 (contract, latest addendum), May +20 (fallback)
    assert [r["committed"] for r in rows] == [0, 50, 160, 160, 180, 180]
    # paid: Feb 50 (realisasi), Apr +30, Jun +40 (BAPBAST)
    assert [r["paid"] for r in rows] == [0, 50, 50, 80, 80, 120]
    june = rows[-1]
    assert june["committed_pct"] == 45 and june["paid_pct"] == 30 and june["target_pct"] == 40
    lag = fetch("SELECT measured, target, unit FROM mart.lagging WHERE metric_run_id = %s AND rule = 'penyerapan_low'",
                (run,))
    # 30 % against a 40 % target is inside the default 10-point tolerance, and the only PD is its
    # own median: not lagging under the calibrated rules (docs/metrics/lagging.md, test_lagging.py).
    assert lag == []
    # Without tolerance and relative rule, the same figures make the PD lag, measured as above.
    cfg = metrics.load_config(TAHUN)
    cfg["lagging"]["penyerapan_low"].update(tolerance_pct=0, relatif={"aktif": False})
    run = metrics.compute("D1", TAHUN, "2023-06-30", config=cfg)
    lag = fetch("SELECT measured, target, unit FROM mart.lagging WHERE metric_run_id = %s AND rule = 'penyerapan_low'",
                (run,))
    assert lag == [{"measured": Decimal("30.00"), "target": Decimal("40.00"), "unit": "%"}]
