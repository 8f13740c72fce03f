"""Letter and lampiran content, formats, layout options (real WeasyPrint PDFs read back)."""
from __future__ import annotations

import io
import re
import subprocess
from dataclasses import replace
from datetime import date
from decimal import Decimal

from pypdf import PdfReader

from pantau.report import formats as fmt
from pantau.report.pemda import PERIKSA, deep_merge, resolve_action
from pantau.report.render import render_html, report_id_for
from pantau.report.sample import sample_circular


def _render(pool, model, cfg):
    return pool.render(model, cfg, report_id_for(model, cfg))


def test_letter_and_lampiran_read_back(render_pool, cfg, pdftext, tmp_path):
    model = sample_circular(n_pd=4, n_packages=14, seed=3, unknown_status=1)
    out = _render(render_pool, model, cfg)
    text = pdftext(out.pdf)
    flat = re.sub(r"\s+", " ", text)
    for needle in ("SURAT EDARAN", "NOMOR 000.3.6/123/PBJ/2023", "TENTANG", "Yth.", "Ditetapkan di Pontianak",
                   "pada tanggal 30 November 2023", "Tembusan:", "Gubernur Kalimantan Barat (sebagai laporan)",
                   "PEMERINTAH PROVINSI KALIMANTAN BARAT", "SEKRETARIAT DAERAH", "LAMPIRAN",
                   "TANGGAL : 30 NOVEMBER 2023", "Latar Belakang", "Maksud dan Tujuan", "Ruang Lingkup", "Dasar",
                   "Isi Edaran", "Penutup", "Kode RUP", "Nama Paket", "Nilai (Rp)", "Hari Terlambat", "Aksi",
                   "Pelaksana", "Jumlah", "di lingkungan Pemerintah Provinsi Kalimantan Barat"):
        assert needle in flat, needle
    # every lagging PD and every package (name, kd_rup) is there, with its Aksi
    for pd in model.lagging:
        assert pd.nama_satker in flat
        for p in pd.packages:
            assert p.kd_rup in flat
    assert "Lakukan Verifikasi Penyelesaian Paket di e-Katalog" in flat or \
        "Selesaikan pembayaran di Katalog Elektronik v6" in flat
    assert PERIKSA in flat                                        # the unknown status combination
    # formats: bare numbers under (Rp), Rp without space in prose, Indonesian dates
    first = model.lagging[0].packages[0]
    assert fmt.angka(first.nilai) in flat
    assert re.search(r"senilai Rp\d{1,3}(\.\d{3})+\.", flat)
    assert "Rp " not in flat
    # an SE has no surat-dinas head, and we never claim an electronic signature
    for banned in ("Sifat", "Hal :", "Hal:", "BSrE", "BSSN", "TTE", "ditandatangani secara elektronik",
                   "sertifikat elektronik"):
        assert banned not in flat, banned
    # identity in the footer, page numbers from page 2 only
    rid = report_id_for(model, cfg)
    assert f"ID registri {rid}" in flat
    pages = text.split("\f")
    starts = lambda n, page: re.match(rf"\s*-\s*{n}(?!\d)", page)  # noqa: E731  (top-centre number)
    assert not starts(1, pages[0]) and starts(2, pages[1]) and starts(3, pages[2])
    assert out.pages == len(PdfReader(io.BytesIO(out.pdf)).pages) >= 3
    assert out.n_review == 1 and out.refused_urls == ()


def test_fonts_are_the_bundled_liberation_sans(render_pool, cfg, small_model, tmp_path):
    out = _render(render_pool, small_model, cfg)
    p = tmp_path / "f.pdf"
    p.write_bytes(out.pdf)
    fonts = subprocess.run(["pdffonts", str(p)], capture_output=True, text=True, check=True).stdout
    names = [line.split()[0] for line in fonts.splitlines()[2:]]
    assert names and all("LiberationSans" in n.replace("-", "") for n in names), names


def test_draft_without_nomor(render_pool, cfg, pdftext, tmp_path):
    model = sample_circular(n_pd=2, n_packages=4, nomor=None)
    flat = re.sub(r"\s+", " ", pdftext(_render(render_pool, model, cfg).pdf))
    assert "NOMOR ………" in flat and "DRAF" in flat
    assert "000.3.6/123" not in flat


def test_f4_paper_and_landscape_lampiran(render_pool, cfg, small_model):
    f4 = deep_merge(cfg, {"kertas": {"ukuran": "F4"}})
    reader = PdfReader(io.BytesIO(_render(render_pool, small_model, f4).pdf))
    mm = lambda pt: round(float(pt) * 25.4 / 72)  # noqa: E731
    first, last = reader.pages[0].mediabox, reader.pages[-1].mediabox
    assert (mm(first.width), mm(first.height)) == (215, 330)
    assert (mm(last.width), mm(last.height)) == (330, 215)


def test_signature_flag_hides_pangkat_and_nip(cfg, small_model):
    on, _ = render_html(small_model, cfg, report_id_for(small_model, cfg))
    off_cfg = deep_merge(cfg, {"penandatangan": {"tampilkan_pangkat_nip": False}})
    off, _ = render_html(small_model, off_cfg, report_id_for(small_model, off_cfg))
    assert "Pembina Utama Madya" in on and "Pembina Utama Madya" not in off


def test_actions_follow_config_and_flag_unknown(cfg):
    a = resolve_action(cfg, rule="epurchasing_paid_not_selesai", source="epurchasing_v6",
                       status_pkt="ON_PROCESS", status_pengiriman="DELIVERED")
    assert a.aksi.startswith("Lakukan Konfirmasi Pesanan") and a.pelaksana == "PPK" and not a.review
    for st, pg in (("COMPLETED", None), ("ON_PROCESS", "LOST"), ("CANCELLED", None)):
        b = resolve_action(cfg, rule="epurchasing_paid_not_selesai", source="epurchasing_v6",
                           status_pkt=st, status_pengiriman=pg)
        assert b.review and b.aksi == PERIKSA
    local = deep_merge(cfg, {"aksi_periksa": {"aksi": "Cek bersama Biro PBJ"}})
    assert resolve_action(local, rule="x", source="y", status_pkt=None, status_pengiriman=None).aksi == \
        "Cek bersama Biro PBJ"


def test_indonesian_formats():
    assert fmt.tanggal(date(2023, 11, 30)) == "30 November 2023"
    assert fmt.tanggal(date(2023, 3, 5)) == "5 Maret 2023"
    assert fmt.rupiah(Decimal("1234567890.4")) == "Rp1.234.567.890"
    assert fmt.angka(1234567890) == "1.234.567.890"
    assert fmt.persen(Decimal("56.344")) == "56,34%"
    assert fmt.ukuran(Decimal(12), "paket") == "12 paket"


def test_unknown_rule_is_listed_not_dropped(cfg):
    model = sample_circular(n_pd=2, n_packages=4)
    model = replace(model, lagging=model.lagging + (replace(model.lagging[0], rule="aturan_baru"),))
    html, _ = render_html(model, cfg, report_id_for(model, cfg))
    assert "Aturan aturan_baru (belum ada rumusan di konfigurasi)" in html


def test_render_here_restores_gc_and_reports_cpu(cfg, small_model):
    """The cyclic GC is paused only while one document is laid out (speed), never left off."""
    import gc

    from pantau.report.render import render_pdf_here

    assert gc.isenabled()
    out = render_pdf_here(small_model, cfg, report_id_for(small_model, cfg))
    assert gc.isenabled() and out.pages >= 3 and out.cpu_s > 0
    gc.disable()
    try:
        render_pdf_here(small_model, cfg, report_id_for(small_model, cfg))
        assert not gc.isenabled()                     # a caller's own setting is kept
    finally:
        gc.enable()


def test_lampiran_markup_stays_cheap(cfg):
    """Layout speed depends on the lampiran markup: one element per cell (no nested spans/divs),
    no per-row class soup, no inline SVG text (laid out letter by letter), selectors that never
    make WeasyPrint walk a cell's ancestors. The PDF still carries every column and text."""
    model = sample_circular(n_pd=3, n_packages=12, seed=4, unknown_status=1)
    html, _ = render_html(model, cfg, report_id_for(model, cfg))
    rincian = html[html.index("RINCIAN"):]
    rows = re.findall(r"<tr>(.*?)</tr>", rincian)
    body = [r for r in rows if r.startswith('<td class="c">')]
    assert len(body) == 12
    for r in body:
        assert r.count("<td") == 6 and "<span" not in r and "<div" not in r
    # the Aksi is printed once per group row, not on every package row
    groups = re.findall(r'<tr class="grp"><td colspan="6">(.*?)</td></tr>', rincian)
    assert groups and len(groups) < len(body) and all("Aksi: " in g for g in groups)
    assert not any("Aksi" in r for r in body)
    assert "<text" not in html                                        # chart labels are HTML text
    css = re.sub(r"/\*.*?\*/", "", html[html.index("<style>") + 7:html.index("</style>")], flags=re.S)
    preludes, depth, start = [], 0, 0
    for i, ch in enumerate(css):                   # top-level rule preludes (skip inside @page)
        if ch == "{":
            if depth == 0:
                preludes.append(css[start:i].strip())
            depth += 1
        elif ch == "}":
            depth -= 1
            start = i + 1
    selectors = [s.strip() for p in preludes if not p.startswith("@") for s in p.split(",")]
    assert "td" in selectors and ".n" in selectors
    for sel in selectors:
        assert " " not in sel and ">" not in sel and "[" not in sel and ":nth" not in sel, sel


def test_status_and_component_labels_are_human():
    assert fmt.status_label("status_pengiriman", "BUYER_CONFIRM") == "menunggu konfirmasi pembeli"
    assert fmt.status_label("status_pkt", "ON_PROCESS") == "dalam proses"
    assert fmt.status_label("status_pkt", "LOST_IN_TRANSIT") == "lost in transit"       # readable fallback
    assert fmt.status_label("status_pkt", "Menunggu_Verifikasi") == "Menunggu Verifikasi"
    assert fmt.status_label("status_pkt", None) is None
    assert fmt.component_label("sdm_pbj") == "SDM PBJ" and fmt.component_label("kematangan_ukpbj") == "Kematangan UKPBJ"
    assert fmt.component_label("komponen_baru") == "komponen baru"
    assert fmt.status_label("status_pkt", "ON_PROCESS", {"status_pkt": {"on_process": "diproses"}}) == "diproses"


def test_deadlines_from_rule_and_letter_date(cfg):
    from pantau.report.pemda import letter_deadline

    nov30 = date(2025, 11, 30)
    assert letter_deadline(cfg, "rup_not_announced", date(2025, 3, 31), nov30).text == "segera (terlambat 244 hari)"
    assert letter_deadline(cfg, "x", date(2025, 12, 30), nov30).text == "paling lambat tanggal 30 Desember 2025"
    assert letter_deadline(cfg, "x", nov30, nov30).text == "paling lambat tanggal 30 November 2025"
    assert letter_deadline(cfg, "ekontrak_missing", None, nov30).text == "paling lambat tanggal 14 Desember 2025"
    own = deep_merge(cfg, {"aturan": {"ekontrak_missing": {"tenggat_hari": 7}}})
    assert letter_deadline(own, "ekontrak_missing", None, nov30).due == date(2025, 12, 7)


def test_rule_with_nothing_to_do_is_left_out(cfg):
    model = sample_circular(n_pd=2, n_packages=4)
    empty = replace(model.lagging[0], rule="ekontrak_missing", measured=Decimal(0), n_packages=0, packages=())
    model = replace(model, lagging=model.lagging + (empty,))
    html, _ = render_html(model, cfg, report_id_for(model, cfg))
    assert "E-Kontrak SPSE untuk seluruh paket" not in html and "0 paket" not in html and "Rp0<" not in html


def test_chart_labels_cut_at_a_word_boundary():
    from pantau.report.chart import _clip

    long = "DINAS PEMBERDAYAAN MASYARAKAT DAN DESA, KEPENDUDUKAN DAN PENCATATAN SIPIL"
    assert _clip(long) == "DINAS PEMBERDAYAAN MASYARAKAT DAN DESA…"
    assert _clip("DINAS SOSIAL") == "DINAS SOSIAL"
