"""The circular read as the Sekda office reads it (issue 15, acceptance 2): a demo-sized model
(Kalimantan Barat at scale 1: four PDs with ~480 paid-but-open e-purchasing orders each, two
without e-kontrak, three far behind on penyerapan, one behind on SiRUP, an ITKP ratio rule, a
deadline long past and a rule without a deadline), rendered by the real WeasyPrint worker and read
back with pdftotext. Plus the `pantau` console script as installed in .venv."""
from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pantau.report.model import Circular, ItkpComponent, LaggingPackage, LaggingPd, PenyerapanPd
from pantau.report.render import report_id_for

LETTER_DATE = date(2025, 11, 30)
MONTHS = {m: i for i, m in enumerate(["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
                                      "September", "Oktober", "November", "Desember"], start=1)}
EP_PDS = ["DINAS PENDIDIKAN DAN KEBUDAYAAN", "DINAS KESEHATAN", "RSUD DR. SOEDARSO",
          "DINAS PERTANIAN, PETERNAKAN DAN PERKEBUNAN"]
EK_PDS = ["DINAS PERHUBUNGAN", "DINAS KELAUTAN DAN PERIKANAN"]
PNY_PDS = ["DINAS PERUMAHAN RAKYAT DAN KAWASAN PERMUKIMAN", "DINAS KEPEMUDAAN DAN OLAHRAGA",
           "BADAN PENANGGULANGAN BENCANA DAERAH"]
SIRUP_PD = "DINAS PARIWISATA DAN EKONOMI KREATIF"
V6 = [("ON_PROCESS", "DELIVERED"), ("ON_PROCESS", "BUYER_CONFIRMED"), ("ON_PROCESS", "COMPLETED")]


def _kd(i: int) -> str:
    return f"6.01.0.00.0.00.{i:02d}.0000"


def demo_sized_model() -> Circular:
    """Shape and sizes of the demo's mart rows (1.909 e-purchasing packages, 74 e-kontrak)."""
    rnd = random.Random(15)
    lagging: list[LaggingPd] = []
    for i, nama in enumerate(EP_PDS):
        pkgs = []
        for k in range(480 - 3 * i):
            st, pg = V6[k % 3] if k % 13 else ("Paket Proses", None)
            pkgs.append(LaggingPackage(source="epurchasing_v6" if k % 13 else "epurchasing_v5",
                                       package_id=f"EP{i}-{k:05d}", kd_rup=str(50_000_000 + i * 1000 + k),
                                       nama_paket=f"Belanja Barang Habis Pakai {nama.title()} Paket {k}",
                                       nilai=Decimal(rnd.randrange(2_000_000, 400_000_000)), status_pkt=st,
                                       status_pengiriman=pg, hari_terlambat=0))
        lagging.append(LaggingPd(_kd(i), nama, "epurchasing_paid_not_selesai", Decimal(len(pkgs)), Decimal(0),
                                 "paket", len(pkgs), tuple(pkgs), date(2025, 11, 30)))
        lagging.append(LaggingPd(_kd(i), nama, "itkp_low_e_purchasing", Decimal("8.50") + i, Decimal(50), "%",
                                 540 + i, (), None))
    for j, nama in enumerate(EK_PDS, start=10):
        pkgs = tuple(LaggingPackage(source="tender", package_id=f"T{j}{k}", kd_rup=str(60_000_000 + j * 100 + k),
                                    nama_paket=f"Pembangunan Jalan Ruas {k} {nama.title()}",
                                    nilai=Decimal(rnd.randrange(200_000_000, 900_000_000)), status_pkt="Selesai")
                     for k in range(37))
        lagging.append(LaggingPd(_kd(j), nama, "ekontrak_missing", Decimal(37), Decimal(0), "paket", 37, pkgs, None))
    for j, nama in enumerate(PNY_PDS, start=20):
        lagging.append(LaggingPd(_kd(j), nama, "penyerapan_low", Decimal("1.99") + j - 20, Decimal(77), "%", None, (),
                                 None, nilai=Decimal(3_300_000_000), pagu=Decimal(200_000_000_000)))
    lagging.append(LaggingPd(_kd(30), SIRUP_PD, "rup_not_announced", Decimal("56.91"), Decimal("79.20"), "%", 0, (),
                             date(2025, 3, 31)))
    itkp = tuple(ItkpComponent(c, Decimal(r), Decimal(m), Decimal(r) * Decimal(m))
                 for c, r, m in [("sirup", "0.97", 10), ("e_tendering", "0.88", 5), ("non_e_tendering", "0.7", 5),
                                 ("e_purchasing", "0.12", 4), ("toko_daring", "0", 1), ("e_kontrak", "0.64", 5),
                                 ("sdm_pbj", "0", 30), ("kematangan_ukpbj", "0", 40)])
    peny = tuple(PenyerapanPd(_kd(40 + i), f"PERANGKAT DAERAH {i}", Decimal(50 + i % 30), Decimal(30 + i % 25),
                              Decimal(87)) for i in range(44))
    return Circular(kd_klpd="D197", tahun=2025, as_of=LETTER_DATE, tanggal=LETTER_DATE, nomor=None,
                    lagging=tuple(lagging), itkp=itkp, penyerapan=peny)


@pytest.fixture(scope="module")
def demo_pdf(render_pool, cfg):
    model = demo_sized_model()
    out = render_pool.render(model, cfg, report_id_for(model, cfg))
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=out.pdf, capture_output=True,
                          check=True).stdout.decode()
    return out, text.split("\f"), cfg


def _flat(s: str) -> str:
    return re.sub(r"\s+", " ", s)


def _lampiran_start(pages: list[str]) -> int:
    return next(i for i, p in enumerate(pages) if re.search(r"^\s*LAMPIRAN\s*$", p, re.M))


def test_letter_fits_three_pages_and_circular_thirty(demo_pdf):
    out, pages, _ = demo_pdf
    start = _lampiran_start(pages)
    assert start <= 3, f"letter runs to {start} pages"
    assert out.pages <= 30, out.pages


def test_instructions_carry_real_figures_and_deadlines(demo_pdf):
    _, pages, _ = demo_pdf
    letter = _flat(" ".join(pages[:_lampiran_start(pages)]))
    assert not re.search(r"(?<![\d.])0 paket", letter) and not re.search(r"Rp0(?![\d.])", letter)
    isi = letter[letter.index("diminta kepada Kepala Perangkat Daerah untuk:"):]
    isi = re.sub(r"(?<= )[DRAF] (?=[DRAF] |[a-z])", "", isi)        # the DRAF watermark's letters
    items = re.findall(r"\b([a-e])\. ([A-Z].*?\.)(?= [a-e]\. | Daftar Perangkat)", isi)
    assert [k for k, _ in items] == ["a", "b", "c", "d", "e"], items
    body = {k: t for k, t in items}
    # package rule: PD count, package count and value (480 + 477 + 474 + 471 = 1.902 as built)
    assert re.search(r"4 Perangkat Daerah, 1\.902 paket senilai Rp\d{1,3}(\.\d{3})+", body["a"])
    assert "paling lambat tanggal 30 November 2025" in body["a"]
    # rule without a deadline: 14 days from the letter, never "………"
    assert "paling lambat tanggal 14 Desember 2025" in body["b"] and "74 paket" in body["b"]
    # past deadline (31 March): "segera" with the days late, no date before the letter
    assert "segera (terlambat 244 hari)" in body["c"] and "capaian 56,91% di bawah target 79,20%" in body["c"]
    # PD-level ratio rule: PD count and measure, no package money it does not have
    assert "4 Perangkat Daerah, capaian 8,50% s.d. 11,50% di bawah target 50,00%" in body["d"]
    assert "paket" not in body["d"].split("2025;", 1)[1]
    # penyerapan: the rupiah still to absorb, not "0 paket"
    assert re.search(r"3 Perangkat Daerah, capaian 1,99% s.d. 3,99% .*kekurangan realisasi terhadap target Rp",
                     body["e"])


def test_no_unfilled_dots_no_raw_codes_no_date_before_letter(demo_pdf):
    _, pages, _ = demo_pdf
    text = _flat(" ".join(pages))
    rest = text.replace("NOMOR ………", "").replace("NOMOR : ………", "")
    assert "………" not in rest
    for code in ("BUYER_CONFIRM", "ON_PROCESS", "DELIVERED", "COMPLETED", "Paket Proses"):
        assert code not in text, code
    assert not re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b", text), re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b", text)[:5]
    assert not re.findall(r"\b[A-Z]+(?:_[A-Z0-9]+)+\b", text)
    assert "SDM PBJ (0 dari 30)" in text and "sdm_pbj" not in text         # chart labels too
    assert "dikonfirmasi pembeli" in text and "menunggu konfirmasi pesanan" in text
    for d, m, y in re.findall(r"paling lambat tanggal (\d{1,2}) (\w+) (\d{4})", text):
        assert date(int(y), MONTHS[m], int(d)) >= LETTER_DATE
    assert "segera (terlambat 244 hari)" in text


def test_lampiran_one_row_per_pd_ranked_and_grouped_packages(demo_pdf, cfg):
    _, pages, _ = demo_pdf
    lamp = _flat(" ".join(pages[_lampiran_start(pages):]))
    daftar = lamp[lamp.index("I. DAFTAR"):lamp.index("GRAFIK")]
    # one row per PD with an action: 4 + 2 + 3 + 1, each PD once
    for nama in EP_PDS + EK_PDS + PNY_PDS + [SIRUP_PD]:
        assert daftar.count(nama) == 1, nama
    assert "Urutan menurut nilai yang dipertaruhkan" in daftar
    # ranked by what is at stake: penyerapan shortfall (~Rp150 M each) above package value (~Rp96 M)
    assert daftar.index(PNY_PDS[0]) < daftar.index(EP_PDS[0]) < daftar.index(SIRUP_PD)
    rincian = lamp[lamp.index("II. RINCIAN"):]
    # PDs without packages are not printed in Lampiran II, never "Jumlah (0 paket)"
    assert "Jumlah (0 paket)" not in lamp and SIRUP_PD not in rincian and PNY_PDS[0] not in rincian
    # Aksi once per group: one "Lakukan Konfirmasi Pesanan" per e-purchasing PD, not per row
    assert rincian.count("Lakukan Konfirmasi Pesanan") == len(EP_PDS)
    assert rincian.count("Input SPPBJ dan Kontrak pada E-Kontrak SPSE") == len(EK_PDS)
    assert re.search(r"… dan \d{1,3} paket lainnya dengan aksi yang sama senilai Rp\d", rincian)


def test_signature_never_alone_on_a_page(demo_pdf, cfg):
    _, pages, _ = demo_pdf
    signer = cfg["penandatangan"]["nama"]
    with_sig = [p for p in pages if signer in p]
    assert len(with_sig) == 2
    letter_sig, lamp_sig = with_sig
    assert "Demikian Surat Edaran" in letter_sig
    assert "Lampiran ini merupakan bagian" in lamp_sig


# ---------------------------------------------------------------------------------------------
# the `pantau` console script the footer names
PANTAU = Path(sys.executable).with_name("pantau")


def test_footer_names_an_installed_command(demo_pdf):
    _, pages, _ = demo_pdf
    assert "cek keaslian: pantau verify <berkas>" in pages[1]
    assert PANTAU.is_file() and os.access(PANTAU, os.X_OK), f"{PANTAU} missing: run scripts/setup.sh"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}     # the script finds its package
    out = subprocess.run([str(PANTAU), "--help"], capture_output=True, text=True, env=env, cwd="/")
    assert out.returncode == 0 and "verify" in out.stdout and "Pantau PBJ" in out.stdout


def test_pantau_verify_through_the_installed_script(warehouse_url, render_pool, cfg, small_model, tmp_path):
    from pantau.report.build import publish

    res = publish(small_model, cfg, url=warehouse_url, pool=render_pool)
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "PANTAU_WAREHOUSE_URL": warehouse_url}
    ok = subprocess.run([str(PANTAU), "verify", str(res.path)], capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and ok.stdout.startswith("OK") and res.report_id in ok.stdout
    bad = tmp_path / "x.pdf"
    bad.write_bytes(b"%PDF-1.7\n% bukan surat edaran kami\n")
    rej = subprocess.run([str(PANTAU), "verify", str(bad)], capture_output=True, text=True, env=env)
    assert rej.returncode == 1 and "not registered" in rej.stdout
