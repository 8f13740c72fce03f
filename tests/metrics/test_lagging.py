"""Lagging rules: e-kontrak missing, RUP not announced, component below floor, deadlines."""
from __future__ import annotations

from decimal import Decimal

from pantau import metrics

from test_itkp import TAHUN, rup


def test_ekontrak_missing_and_rup_not_announced(hist, fetch, warehouse_url):
    hist("dim_satker", dict(kd_klpd="D1", kd_satker_str="P1", nama_satker="Dinas Pekerjaan Umum"))
    hist("rup_paket", rup(1, 100), rup(2, 100, metode="Pengadaan Langsung"),
         rup(3, 50, status_umumkan_rup="Terinisiasi"))
    hist("struktur_anggaran", dict(tahun_anggaran=TAHUN, kd_klpd="D1", kd_satker_str="P1", belanja_pengadaan=400))
    spse = dict(tahun_anggaran=TAHUN, kd_klpd="D1", kd_satker_str="P1", pagu=100)
    hist("tender", dict(spse, kd_tender=11, mtd_pemilihan="Tender", status_tender="Selesai"))
    hist("tender_rup", dict(kd_tender=11, kd_rup=1, ordinal=0))
    hist("nontender", dict(spse, kd_nontender=21, mtd_pemilihan="Pengadaan Langsung", status_nontender="Selesai"))
    hist("nontender_rup", dict(kd_nontender=21, kd_rup=2, ordinal=0))
    hist("kontrak", dict(sumber="nontender", kd_paket_spse=21, versi_addendum=0, nilai_kontrak=90,
                         tgl_kontrak="2023-04-01"))
    run = metrics.compute("D1", TAHUN, "2023-04-10")
    pkgs = fetch("""SELECT rule, source, package_id, kd_rup, hari_terlambat FROM mart.lagging_package
                    WHERE metric_run_id = %s ORDER BY rule, package_id""", (run,))
    assert pkgs == [
        # the tender finished without a contract; the non-tender has one
        {"rule": "ekontrak_missing", "source": "tender", "package_id": "11", "kd_rup": 1, "hari_terlambat": 0},
        # RUP 3 still Terinisiasi 10 days after the 31 Mar deadline
        {"rule": "rup_not_announced", "source": "rup", "package_id": "3", "kd_rup": 3, "hari_terlambat": 10},
    ]
    lag = {r["rule"]: r for r in fetch("SELECT * FROM mart.lagging WHERE metric_run_id = %s", (run,))}
    assert lag["ekontrak_missing"]["nama_satker"] == "Dinas Pekerjaan Umum"
    # announced 200 ÷ belanja 400 = 50 % < 100 %; one unannounced package
    assert (lag["rup_not_announced"]["measured"], lag["rup_not_announced"]["target"],
            lag["rup_not_announced"]["n_packages"]) == (Decimal("50.00"), Decimal("100.00"), 1)
    # e-kontrak 1 of 2 = 50 % ≥ floor 20 %: not lagging; SiRUP 50 % is at the floor: not lagging
    assert "itkp_low_e_kontrak" not in lag and "itkp_low_sirup" not in lag

    # Before the RUP deadline the rule does not fire yet.
    early = metrics.compute("D1", TAHUN, "2023-03-15")
    rules = {r["rule"] for r in fetch("SELECT rule FROM mart.lagging WHERE metric_run_id = %s", (early,))}
    assert "rup_not_announced" not in rules and "ekontrak_missing" in rules


def test_disabled_rule_and_custom_threshold(hist, fetch, warehouse_url):
    hist("rup_paket", rup(1, 100))
    hist("struktur_anggaran", dict(tahun_anggaran=TAHUN, kd_klpd="D1", kd_satker_str="P1", belanja_pengadaan=125))
    cfg = metrics.load_config(TAHUN)
    cfg["lagging"]["rup_not_announced"]["enabled"] = False
    cfg["lagging"]["itkp_component_low"]["thresholds"] = {"sirup": 0.9}
    run = metrics.compute("D1", TAHUN, "2023-12-31", config=cfg)
    lag = {r["rule"]: r for r in fetch("SELECT * FROM mart.lagging WHERE metric_run_id = %s", (run,))}
    assert "rup_not_announced" not in lag
    assert (lag["itkp_low_sirup"]["measured"], lag["itkp_low_sirup"]["target"]) == (Decimal("80.00"), Decimal("90.00"))
