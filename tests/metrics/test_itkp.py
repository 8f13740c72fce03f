"""ITKP components on tiny hand-computed datasets (golden fixtures, fake ids: D1 = KLPD, P1/P2 = PD).

Each test states the expected numbers and how they were computed by hand.
"""
from __future__ import annotations

import copy
from decimal import Decimal


from pantau import metrics

TAHUN = 2023


def rup(kd_rup, pagu, metode="Tender", pd="P1", tipe="penyedia", **kw):
    row = dict(kd_rup=kd_rup, tahun_anggaran=TAHUN, kd_klpd="D1", kd_satker_str=pd, tipe=tipe,
               nama_paket=f"Paket {kd_rup}", pagu=pagu, metode_pengadaan=metode,
               status_umumkan_rup="Terumumkan", status_aktif_rup=True, status_delete_rup=False,
               status_dikecualikan=False)
    row.update(kw)
    return row


def order(kd, status_pkt, versi="v6", pengiriman="COMPLETED", pd="P1", nilai=10, tgl="2023-03-01", **kw):
    row = dict(versi=versi, kd_paket=kd, tahun_anggaran=TAHUN, kd_klpd="D1", kd_satker_str=pd,
               nama_paket=f"Pesanan {kd}", nilai=nilai, status_pkt=status_pkt,
               status_pengiriman=pengiriman if versi == "v6" else None, tgl_order=tgl)
    row.update(kw)
    return row


def component(fetch, run_id, name, pd=None):
    rows = fetch("""SELECT * FROM mart.itkp_component WHERE metric_run_id = %s AND component = %s
                    AND kd_satker_str IS NOT DISTINCT FROM %s""", (run_id, name, pd))
    assert len(rows) == 1, rows
    return rows[0]


# ---------------------------------------------------------------- e-purchasing (Kalimantan Tengah)

def _kalteng(hist):
    """10 aktif v6 orders, only 2 Selesai (1 COMPLETED, 1 PAYMENT_OUTSIDE_SYSTEM), 8 paid
    (ON_PROCESS × COMPLETED) but never closed, 1 cancelled (not aktif). On 10 Dec the PPKs close
    5 of the 8 (new history versions)."""
    hist("epurchasing_order", order("K01", "COMPLETED"), order("K02", "PAYMENT_OUTSIDE_SYSTEM"),
         order("K99", "CANCELLED", pengiriman="DRAFT"), valid_from="2023-06-01")
    open_ids = [f"K{i:02d}" for i in range(3, 11)]
    closed, still_open = open_ids[:5], open_ids[5:]
    hist("epurchasing_order", *[order(k, "ON_PROCESS") for k in still_open], valid_from="2023-06-01")
    hist("epurchasing_order", *[order(k, "ON_PROCESS") for k in closed],
         valid_from="2023-06-01", valid_to="2023-12-10")
    hist("epurchasing_order", *[order(k, "COMPLETED") for k in closed], valid_from="2023-12-10")


def test_kalteng_epurchasing_zero_under_floor_then_score_after_closing(hist, fetch, warehouse_url):
    _kalteng(hist)
    before = metrics.compute("D1", TAHUN, "2023-12-05")
    c = component(fetch, before, "e_purchasing")
    # 2 selesai ÷ 10 aktif = 0.2 < floor 0.5 → 0
    assert (c["numerator"], c["denominator"]) == (2, 10)
    assert c["ratio"] == Decimal("0.2") and c["score"] == 0 and c["flag"] == "below_floor"

    after = metrics.compute("D1", TAHUN, "2023-12-15")
    c = component(fetch, after, "e_purchasing")
    # 7 selesai ÷ 10 aktif = 0.7 ≥ floor → 0.7 × 4 = 2.80
    assert (c["numerator"], c["denominator"]) == (7, 10)
    assert c["score"] == Decimal("2.80") and c["flag"] is None
    assert before != after


def test_kalteng_lagging_packages_and_days_late(hist, fetch, warehouse_url):
    _kalteng(hist)
    run = metrics.compute("D1", TAHUN, "2023-12-05")
    pkgs = fetch("""SELECT package_id, hari_terlambat, status_pkt, status_pengiriman, deadline
                    FROM mart.lagging_package WHERE metric_run_id = %s
                    AND rule = 'epurchasing_paid_not_selesai' ORDER BY package_id""", (run,))
    # the 8 paid-not-closed orders, 5 days after the 30 Nov deadline
    assert [p["package_id"] for p in pkgs] == [f"K{i:02d}" for i in range(3, 11)]
    assert {p["hari_terlambat"] for p in pkgs} == {5}
    assert {(p["status_pkt"], p["status_pengiriman"]) for p in pkgs} == {("ON_PROCESS", "COMPLETED")}
    lag = fetch("""SELECT measured, n_packages, nilai FROM mart.lagging WHERE metric_run_id = %s
                   AND rule = 'epurchasing_paid_not_selesai' AND kd_satker_str = 'P1'""", (run,))
    assert lag == [{"measured": 8, "n_packages": 8, "nilai": 80}]

    early = metrics.compute("D1", TAHUN, "2023-10-01")   # before the deadline: listed, 0 days late
    days = fetch("SELECT DISTINCT hari_terlambat FROM mart.lagging_package WHERE metric_run_id = %s"
                 " AND rule = 'epurchasing_paid_not_selesai'", (early,))
    assert days == [{"hari_terlambat": 0}]


def test_v5_lines_not_double_counted(hist, fetch, warehouse_url):
    # v5 order V1 has 3 product lines, V2 has 2; the order table has one row per kd_paket.
    hist("epurchasing_order",
         order("V1", "Paket Selesai", versi="v5", nilai=300, n_lines=3, status_paket="paket_selesai"),
         order("V2", "Paket Proses", versi="v5", nilai=200, n_lines=2,
               status_paket="melakukan_pengiriman_dan_penerimaan"))
    hist("epurchasing_line",
         *[dict(versi="v5", kd_paket="V1", kd_produk=i, total_harga=100) for i in (1, 2, 3)],
         *[dict(versi="v5", kd_paket="V2", kd_produk=i, total_harga=100) for i in (1, 2)])
    hist("rup_paket", rup(1, 1000, metode="E-Purchasing"))
    run = metrics.compute("D1", TAHUN, "2023-12-31")
    c = component(fetch, run, "e_purchasing")
    assert (c["numerator"], c["denominator"]) == (1, 2)      # orders, not 3 ÷ 5 lines
    assert c["ratio"] == Decimal("0.5") and c["score"] == Decimal("2.00")
    share = fetch("SELECT n_orders, nilai_epurchasing FROM mart.epurchasing_share WHERE metric_run_id = %s"
                  " AND kd_satker_str IS NULL AND period = 'YTD'", (run,))
    assert share == [{"n_orders": 2, "nilai_epurchasing": 500}]
    pkg = fetch("SELECT package_id, source, status_paket FROM mart.lagging_package WHERE metric_run_id = %s"
                " AND rule = 'epurchasing_paid_not_selesai'", (run,))
    assert pkg == [{"package_id": "V2", "source": "epurchasing_v5",
                    "status_paket": "melakukan_pengiriman_dan_penerimaan"}]


# ---------------------------------------------------------------- e-tendering

def test_retendered_kd_rup_counted_once_and_consolidated_tender(hist, fetch, warehouse_url):
    # RUP: R1 Tender 100 (P1); R2 Seleksi 60 and R3 Tender 40 (P2), consolidated into tender C.
    hist("rup_paket", rup(1, 100), rup(2, 60, metode="Seleksi", pd="P2"), rup(3, 40, pd="P2"),
         rup(4, 999, metode="Dikecualikan", status_dikecualikan=True), rup(5, 999, metode="0"))
    # R1 was tendered twice: T1 v1 failed, T2 v2 running (both carry kd_rup 1).
    hist("tender",
         dict(kd_tender=11, tahun_anggaran=TAHUN, kd_klpd="D1", kd_satker_str="P1", pagu=100,
              mtd_pemilihan="Tender", status_tender="Gagal/Batal", versi_tender=1),
         dict(kd_tender=12, tahun_anggaran=TAHUN, kd_klpd="D1", kd_satker_str="P1", pagu=100,
              mtd_pemilihan="Tender", status_tender="Berlangsung", versi_tender=2),
         dict(kd_tender=20, tahun_anggaran=TAHUN, kd_klpd="D1", kd_satker_str="P2", pagu=100,
              mtd_pemilihan="Tender", status_tender="Selesai", versi_tender=1))
    hist("tender_rup", dict(kd_tender=11, kd_rup=1, ordinal=0), dict(kd_tender=12, kd_rup=1, ordinal=0),
         dict(kd_tender=20, kd_rup=2, ordinal=0), dict(kd_tender=20, kd_rup=3, ordinal=1))
    run = metrics.compute("D1", TAHUN, "2023-12-31")
    c = component(fetch, run, "e_tendering")
    # numerator 100 (R1 once) + 100 (C) = 200; denominator 100 + 60 + 40 (Dikecualikan, '0' out)
    assert (c["numerator"], c["denominator"]) == (200, 200)
    assert c["score"] == Decimal("5.00")

    # Even when failed attempts are not filtered out, R1 counts once.
    cfg = metrics.load_config(TAHUN)
    cfg["itkp"]["e_tendering"]["spse_status_exclude"] = []
    run2 = metrics.compute("D1", TAHUN, "2023-12-31", config=cfg)
    assert component(fetch, run2, "e_tendering")["numerator"] == 200

    # count measure: 3 distinct kd_rup with a tender ÷ 3 RUP e-tendering packages
    cfg["itkp"]["e_tendering"]["measure"] = "count"
    run3 = metrics.compute("D1", TAHUN, "2023-12-31", config=cfg)
    c3 = component(fetch, run3, "e_tendering")
    assert (c3["numerator"], c3["denominator"]) == (3, 3)
    # e-kontrak: only C is Selesai (T1 failed, T2 running) and it has no kontrak → 0 ÷ 1
    ek = component(fetch, run, "e_kontrak")
    assert (ek["numerator"], ek["denominator"]) == (0, 1)


def test_kaltim_2014_tender_completion_835_of_967(conn, fetch, warehouse_url):
    """Kaltim 2014: 967 tenders, 835 finished → count-based e-tendering with status Selesai."""
    with conn.cursor() as cur:
        cur.execute("""
            INSERT INTO history.rup_paket (kd_rup, tahun_anggaran, kd_klpd, kd_satker_str, tipe, pagu,
                metode_pengadaan, status_umumkan_rup, status_aktif_rup, status_delete_rup,
                fetch_id, load_id, src_partition, valid_from)
            SELECT g, 2014, 'D1', 'P' || (g % 43), 'penyedia', 4000000000, 'Tender', 'Terumumkan', true, false,
                   0, 0, 'test', '2014-01-01'
            FROM generate_series(1, 967) g;
            INSERT INTO history.tender (kd_tender, tahun_anggaran, kd_klpd, kd_satker_str, pagu, mtd_pemilihan,
                status_tender, versi_tender, fetch_id, load_id, src_partition, valid_from)
            SELECT 100000 + g, 2014, 'D1', 'P' || (g % 43), 4000000000, 'Tender',
                   CASE WHEN g <= 835 THEN 'Selesai' ELSE 'Berlangsung' END, 1, 0, 0, 'test', '2014-01-01'
            FROM generate_series(1, 967) g;
            INSERT INTO history.tender_rup (kd_tender, kd_rup, ordinal, fetch_id, load_id, src_partition, valid_from)
            SELECT 100000 + g, g, 0, 0, 0, 'test', '2014-01-01' FROM generate_series(1, 967) g;
        """)
    conn.commit()
    cfg = metrics.load_config(2023)   # 2023 rules applied to 2014 data
    cfg["itkp"]["e_tendering"].update(measure="count", spse_status_include=["Selesai"])
    run = metrics.compute("D1", 2014, "2014-12-31", config=cfg)
    c = component(fetch, run, "e_tendering")
    assert (c["numerator"], c["denominator"]) == (835, 967)
    assert round(c["ratio"], 4) == Decimal("0.8635")          # 835 / 967
    assert c["score"] == Decimal("4.32")                      # 0.86349 × 5
    pds = fetch("SELECT count(*) AS n FROM mart.itkp_component WHERE metric_run_id = %s"
                " AND component = 'e_tendering' AND kd_satker_str IS NOT NULL", (run,))
    assert pds == [{"n": 43}]


# ---------------------------------------------------------------- over 100 %, weights, manual

def test_sirup_over_100_mirror_and_cap(hist, fetch, warehouse_url):
    hist("rup_paket", rup(1, 100), rup(2, 30, tipe="swakelola", metode=None))
    hist("struktur_anggaran", dict(tahun_anggaran=TAHUN, kd_klpd="D1", kd_satker_str="P1", belanja_pengadaan=100))
    run = metrics.compute("D1", TAHUN, "2023-12-31")
    c = component(fetch, run, "sirup")
    # (100 + 30) ÷ 100 = 1.3 → mirror (2 − 1.3) × 10 = 7.00
    assert c["ratio"] == Decimal("1.3") and c["score"] == Decimal("7.00") and c["flag"] == "over_100_mirror"
    cfg = metrics.load_config(TAHUN)
    cfg["itkp_year"]["components"]["sirup"]["over_100"] = "cap"
    c = component(fetch, metrics.compute("D1", TAHUN, "2023-12-31", config=cfg), "sirup")
    assert c["score"] == Decimal("10.00") and c["flag"] == "over_100_cap"


def test_weight_change_in_year_yaml_changes_score(hist, fetch, warehouse_url, tmp_path, monkeypatch):
    """Edit itkp/2023.yaml (a copy) — no code change — and the score follows."""
    import shutil

    import pantau.metrics.config as mcfg

    hist("rup_paket", rup(1, 80))
    hist("struktur_anggaran", dict(tahun_anggaran=TAHUN, kd_klpd="D1", kd_satker_str="P1", belanja_pengadaan=100))
    run = metrics.compute("D1", TAHUN, "2023-12-31")
    assert component(fetch, run, "sirup")["score"] == Decimal("8.00")        # 0.8 × 10

    shutil.copytree(mcfg.CONFIG_DIR, tmp_path / "config")
    year = tmp_path / "config" / "itkp" / "2023.yaml"
    text = year.read_text(encoding="utf-8")
    assert "  sirup:\n    group: pemanfaatan_sistem\n    rule: ratio\n    max_score: 10\n" in text
    year.write_text(text.replace("  sirup:\n    group: pemanfaatan_sistem\n    rule: ratio\n    max_score: 10\n",
                                 "  sirup:\n    group: pemanfaatan_sistem\n    rule: ratio\n    max_score: 12\n"),
                    encoding="utf-8")
    monkeypatch.setattr(mcfg, "CONFIG_DIR", tmp_path / "config")
    run2 = metrics.compute("D1", TAHUN, "2023-12-31")
    c = component(fetch, run2, "sirup")
    assert c["max_score"] == 12 and c["score"] == Decimal("9.60")          # 0.8 × 12
    assert run2 != run                                                      # new config_sha256 → new run


def test_total_predikat_with_manual_inputs_lumajang(hist, fetch, warehouse_url):
    """Lumajang 2025 check from metrics.md: scores 10 + 4.43 + 2.71 + 1 + 3.01 + 4.86 + 6.67 +
    35.56 = 68.24 'Cukup'. Here we feed the manual ones (SDM 6.67 = 2/9 × 30; UKPBJ 8/9 × 40 =
    35.56) and a SiRUP of exactly 100 %; the rest are empty → 10 + 6.67 + 35.56 = 52.23 'Cukup'."""
    hist("rup_paket", rup(1, 100))
    hist("struktur_anggaran", dict(tahun_anggaran=TAHUN, kd_klpd="D1", kd_satker_str="P1", belanja_pengadaan=100))
    cfg = metrics.load_config(TAHUN)
    cfg["manual_inputs"] = [
        dict(kd_klpd="D1", component="sdm_pbj", numerator=2, denominator=9, keterangan="uji"),
        dict(kd_klpd="D1", component="kematangan_ukpbj", numerator=8, denominator=9, keterangan="uji"),
    ]
    run = metrics.compute("D1", TAHUN, "2023-12-31", config=cfg)
    assert component(fetch, run, "sdm_pbj")["score"] == Decimal("6.67")
    assert component(fetch, run, "kematangan_ukpbj")["score"] == Decimal("35.56")
    tot = fetch("SELECT pemanfaatan_sistem, total, predikat FROM mart.itkp_total WHERE metric_run_id = %s"
                " AND kd_satker_str IS NULL", (run,))
    assert tot == [{"pemanfaatan_sistem": Decimal("10.00"), "total": Decimal("52.23"), "predikat": "Cukup"}]


def test_toko_daring_needs_verified_and_selesai(hist, fetch, warehouse_url):
    hist("toko_daring",
         dict(order_id="B1", tahun_anggaran=TAHUN, kd_klpd="D1", kd_satker_str="P1", valuasi=5,
              status_verif="verified", status_konfirmasi_ppmse="gagal"),
         dict(order_id="B2", tahun_anggaran=TAHUN, kd_klpd="D1", kd_satker_str="P2", valuasi=5,
              status_verif="verified", status_konfirmasi_ppmse="selesai"))
    run = metrics.compute("D1", TAHUN, "2023-12-31")
    assert component(fetch, run, "toko_daring", "P1")["score"] == 0
    assert component(fetch, run, "toko_daring", "P2")["score"] == Decimal("1.00")
    assert component(fetch, run, "toko_daring")["score"] == Decimal("1.00")


def test_cancelled_pencatatan_excluded_from_non_e_tendering(hist, fetch, warehouse_url):
    hist("rup_paket", rup(7, 50, metode="Pengadaan Langsung"))
    base = dict(jenis="nontender", tahun_anggaran=TAHUN, kd_klpd="D1", kd_satker_str="P1", pagu=50,
                total_realisasi=50, mtd_pemilihan="Pengadaan Langsung")
    hist("pencatatan",
         dict(base, kd_pct=1, status="Ditutup", status_ket="Paket Dibatalkan", alasan_pembatalan="double input"),
         dict(base, kd_pct=2, status="Aktif", status_ket="Paket Selesai"))
    hist("pencatatan_rup", dict(jenis="nontender", kd_pct=1, kd_rup=7, ordinal=0),
         dict(jenis="nontender", kd_pct=2, kd_rup=7, ordinal=0))
    run = metrics.compute("D1", TAHUN, "2023-12-31")
    c = component(fetch, run, "non_e_tendering")
    assert (c["numerator"], c["denominator"]) == (50, 50) and c["score"] == Decimal("5.00")
    cfg = metrics.load_config(TAHUN)
    cfg["itkp"]["non_e_tendering"]["include_pencatatan"] = False
    c = component(fetch, metrics.compute("D1", TAHUN, "2023-12-31", config=cfg), "non_e_tendering")
    assert c["numerator"] == 0 and c["score"] == 0


def test_rerun_same_key_is_idempotent(hist, fetch, warehouse_url):
    _kalteng(hist)
    a = metrics.compute("D1", TAHUN, "2023-12-05")
    n = fetch("SELECT count(*) AS n FROM mart.lagging_package WHERE metric_run_id = %s", (a,))
    b = metrics.compute("D1", TAHUN, "2023-12-05")
    assert a == b
    assert fetch("SELECT count(*) AS n FROM mart.lagging_package WHERE metric_run_id = %s", (a,)) == n
    assert fetch("SELECT n_computations FROM mart.metric_run WHERE metric_run_id = %s", (a,)) == [{"n_computations": 2}]
    assert fetch("SELECT count(*) AS n FROM mart.metric_run") == [{"n": 1}]
    cfg = copy.deepcopy(metrics.load_config(TAHUN))
    cfg["itkp_year"]["components"]["e_purchasing"]["floor"] = 0.1
    c = metrics.compute("D1", TAHUN, "2023-12-05", config=cfg)
    assert c != a and component(fetch, c, "e_purchasing")["score"] == Decimal("0.80")   # 0.2 × 4


def test_every_mart_column_has_a_bilingual_comment(fetch, warehouse_url):
    # catalog join, not a text→regclass cast: the planner may evaluate a cast on rows of other
    # schemas before the schema filter, which made this test fail on some plans
    missing = fetch("""
        SELECT c.relname, a.attname FROM pg_class c
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE c.relnamespace = 'mart'::regnamespace AND c.relkind IN ('r', 'v')
           AND COALESCE(col_description(c.oid, a.attnum), '') NOT LIKE '% / %'""")
    assert missing == []
    tables = fetch("""SELECT relname FROM pg_class WHERE relnamespace = 'mart'::regnamespace AND relkind = 'r'
                      AND COALESCE(obj_description(oid, 'pg_class'), '') NOT LIKE '% / %'""")
    assert tables == []
