"""The circular names missing or failed inputs (issue 14 point 8): a caveat paragraph in drafts,
a refusal for numbered circulars, nothing when the inputs are complete.

Metric runs are real (`pantau.metrics.compute` on a real warehouse, the input record written from
audit.partition_run / audit.load_log rows stated here); PDFs are real WeasyPrint output read back
with pdftotext.
"""
from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from pantau import metrics
from pantau.metrics.inputs import METRIC_INPUTS, input_rows
from pantau.report.build import build_circular, publish
from pantau.report.mart_reader import read_circular_model
from pantau.report.model import InputState
from pantau.report.pemda import IncompleteInputsError, check_inputs_complete, deep_merge
from pantau.report.render import render_html, report_id_for
from pantau.report.sample import sample_circular

KD, TAHUN, AS_OF = "D197", 2023, date(2023, 11, 30)
FAMILY = {d: f for d, f, *_ in input_rows()}
REASON_500 = ("HTTP 500 from https://isb.lkpp.go.id/isb-2/api/xyz for spse_nontender_ekontrak_kontrak D197 2023 "
              "after 4 attempts\nTraceback (most recent call last): ...")


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _load_all(conn, *, skip=()) -> None:
    """A successful load (audit.load_log, status ok) of every metric input except `skip`."""
    with conn.cursor() as cur:
        for ds in METRIC_INPUTS:
            if ds in skip:
                continue
            cur.execute("""INSERT INTO audit.load_log (dataset, kd_klpd, tahun, src_partition, fetch_id, snapshot_date,
                                  started_at, finished_at, status)
                           VALUES (%s, %s, %s, %s, 1, %s, %s, %s, 'ok')""",
                        (ds, KD, TAHUN, f"{ds}/{KD}/{TAHUN}", date(2023, 11, 29),
                         datetime(2023, 11, 29, tzinfo=timezone.utc), datetime(2023, 11, 29, tzinfo=timezone.utc)))
    conn.commit()


def _attempt(conn, dataset: str, status: str, reason: str | None) -> None:
    with conn.cursor() as cur:
        cur.execute("""INSERT INTO audit.partition_run (run_key, family, dataset, kd_klpd, tahun, stage, status, reason,
                              updated_at)
                       VALUES ('extract_x/manual__1', %s, %s, %s, %s, 'extract', %s, %s, %s)""",
                    (FAMILY[dataset], dataset, KD, TAHUN, status, reason, datetime(2023, 11, 30, tzinfo=timezone.utc)))
    conn.commit()


@pytest.fixture
def incomplete_run(conn, warehouse_url) -> int:
    """Every input loaded except: non-tender contracts failed (HTTP 500), struktur anggaran 404,
    and pencatatan realisasi never loaded at all."""
    _load_all(conn, skip={"spse_nontender_ekontrak_kontrak", "rup_struktur_anggaran",
                          "spse_pencatatan_nontender_realisasi"})
    _attempt(conn, "spse_nontender_ekontrak_kontrak", "failed", REASON_500)
    _attempt(conn, "rup_struktur_anggaran", "endpoint_not_available", "404 Not Found /v1/rup/struktur-anggaran-pd")
    return metrics.compute(KD, TAHUN, AS_OF)


def test_draft_from_incomplete_run_carries_the_caveat(incomplete_run, conn, warehouse_url, render_pool, cfg, pdftext):
    model = read_circular_model(conn, KD, TAHUN, incomplete_run, as_of=AS_OF)
    assert {i.dataset for i in model.incomplete_inputs} == {
        "spse_nontender_ekontrak_kontrak", "rup_struktur_anggaran", "spse_pencatatan_nontender_realisasi"}
    res = publish(model, cfg, url=warehouse_url, pool=render_pool)
    assert res.is_draft
    flat = _flat(pdftext(res.path.read_bytes()))
    assert "Catatan Kelengkapan Data" in flat
    assert "Struktur anggaran PD (SiRUP): tidak tersedia di sumber (404); memengaruhi nilai ITKP SiRUP" in flat
    assert ("Kontrak non-tender (SPSE): gagal dimuat — HTTP 500 from (alamat sumber) for "
            "spse_nontender_ekontrak_kontrak D197 2023 after 4 attempts; memengaruhi nilai ITKP E-Kontrak") in flat
    assert "Traceback" not in flat                                        # short reason: first line only
    assert "isb.lkpp.go.id" not in flat and "xyz" not in flat             # no source URL (ISB keys live there)
    assert "Realisasi pencatatan non-tender (SPSE): belum pernah dimuat; memengaruhi penyerapan anggaran" in flat
    # the caveat sits in the letter, before the closing section
    assert flat.index("Catatan Kelengkapan Data") < flat.index("Penutup") < flat.index("Ditetapkan di")
    assert "Pengumuman tender (SPSE)" not in flat                         # loaded inputs are not named


def test_numbered_circular_refused_while_an_input_is_incomplete(incomplete_run, conn, warehouse_url, cfg,
                                                                monkeypatch):
    from pantau.report import build

    monkeypatch.setattr(build, "load_pemda_config", lambda kd: cfg)   # signer etc. confirmed: only data blocks
    with pytest.raises(IncompleteInputsError) as err:
        build_circular(KD, TAHUN, AS_OF, metric_run_id=incomplete_run, nomor="000.3.6/9/PBJ/2023", url=warehouse_url)
    msg = str(err.value)
    assert "000.3.6/9/PBJ/2023" in msg and KD in msg and f"metric_run_id {incomplete_run}" in msg
    assert "keluarga SPSE" in msg and "spse_nontender_ekontrak_kontrak" in msg and "gagal dimuat" in msg
    assert "keluarga SiRUP" in msg and "rup_struktur_anggaran" in msg and "(404)" in msg
    assert "spse_pencatatan_nontender_realisasi" in msg and "DRAF" in msg
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM audit.report")
        assert cur.fetchone() == (0,)                                     # refused before rendering


def test_complete_inputs_no_caveat_and_numbered_allowed(conn, warehouse_url, cfg, render_pool, pdftext):
    _load_all(conn)
    run = metrics.compute(KD, TAHUN, AS_OF)
    model = dataclasses.replace(read_circular_model(conn, KD, TAHUN, run, as_of=AS_OF), nomor="000.3.6/10/PBJ/2023")
    assert len(model.inputs) == len(METRIC_INPUTS) and not model.incomplete_inputs
    res = publish(model, cfg, url=warehouse_url, pool=render_pool)
    flat = _flat(pdftext(res.path.read_bytes()))
    assert "NOMOR 000.3.6/10/PBJ/2023" in flat and "Penutup" in flat
    assert "Catatan Kelengkapan Data" not in flat and "belum pernah dimuat" not in flat


def _inp(dataset: str, state: str = "loaded", **kw) -> InputState:
    return InputState(dataset=dataset, family=FAMILY[dataset], state=state, **kw)


def test_orphan_share_above_threshold_is_named_in_id_format(cfg, render_pool, pdftext):
    inputs = tuple(_inp(d) for d in METRIC_INPUTS if d not in ("spse_tender_pengumuman", "ecat_paket_v6")) + (
        _inp("spse_tender_pengumuman", n_rows_rup_ref=1300, n_orphan=1200, orphan_share=Decimal(1200) / 1300),
        _inp("ecat_paket_v6", n_rows_rup_ref=10, n_orphan=2, orphan_share=Decimal("0.2")))   # at the threshold
    model = dataclasses.replace(sample_circular(n_pd=2, n_packages=4, nomor=None), inputs=inputs)
    flat = _flat(pdftext(render_pool.render(model, cfg, report_id_for(model, cfg)).pdf))
    assert ("92,3% paket pada Pengumuman tender (SPSE) (1.200 dari 1.300 paket) merujuk kode RUP yang tidak "
            "terdapat pada RUP Tahun Anggaran 2023") in flat
    assert "Katalog v6" not in flat                                       # 20 % is not above 20 %
    # a Pemda may lower the threshold: then v6 is named too
    strict = deep_merge(cfg, {"catatan_data": {"ambang_orphan": 0.1}})
    html, _ = render_html(model, strict, report_id_for(model, strict))
    assert "20,0% paket pada Paket e-purchasing Katalog v6" in html


def test_stale_input_names_the_date_of_its_data_and_blocks_a_number(cfg):
    stale = _inp("ecat_paket_v6", "stale", attempt_status="failed", reason="critical validation: kd_paket null",
                 snapshot_date=date(2023, 11, 1))
    model = dataclasses.replace(sample_circular(n_pd=2, n_packages=4, nomor=None), inputs=(stale,))
    html, _ = render_html(model, cfg, report_id_for(model, cfg))
    assert ("Paket e-purchasing Katalog v6: memakai data per 1 November 2023; percobaan pemuatan terakhir: "
            "gagal dimuat — critical validation: kd_paket null") in html
    with pytest.raises(IncompleteInputsError, match="keluarga Katalog Elektronik dan Toko Daring"):
        check_inputs_complete(cfg, KD, "000.3.6/1/PBJ/2023", model.inputs)
    check_inputs_complete(cfg, KD, None, model.inputs)                    # a draft is never refused


def test_accepted_404_no_longer_blocks_a_number_but_stays_in_the_caveat(cfg):
    gone = _inp("bela_toko_daring", "endpoint_not_available")
    model = dataclasses.replace(sample_circular(n_pd=2, n_packages=4), inputs=(gone,))
    with pytest.raises(IncompleteInputsError, match="bela_toko_daring"):
        check_inputs_complete(cfg, KD, model.nomor, model.inputs)
    accepting = deep_merge(cfg, {"catatan_data": {"terima_tidak_tersedia": ["bela_toko_daring"]}})
    check_inputs_complete(accepting, KD, model.nomor, model.inputs)
    html, _ = render_html(model, accepting, report_id_for(model, accepting))
    assert "Transaksi Toko Daring (Bela Pengadaan): tidak tersedia di sumber (404)" in html


def test_run_without_input_record_renders_as_before(cfg):
    """A run computed before migration 085 has no record: no caveat, and no refusal on that ground."""
    model = sample_circular(n_pd=2, n_packages=4)
    assert model.inputs == ()
    check_inputs_complete(cfg, KD, model.nomor, model.inputs)
    html, _ = render_html(model, cfg, report_id_for(model, cfg))
    assert "Catatan Kelengkapan Data" not in html


def test_caveat_config_is_checked_naming_the_key(cfg):
    from pantau.report.pemda import PemdaConfigError, validate_config

    with pytest.raises(PemdaConfigError, match="catatan_data.ambang_orphan"):
        validate_config(deep_merge(cfg, {"catatan_data": {"ambang_orphan": 20}}))     # percent, not share
    with pytest.raises(PemdaConfigError, match="catatan_data.terima_tidak_tersedia"):
        validate_config(deep_merge(cfg, {"catatan_data": {"terima_tidak_tersedia": "bela_toko_daring"}}))
