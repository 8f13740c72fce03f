"""Determinism, registry, `pantau verify`, and build_circular from the real mart tables."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal

from pantau.report.build import build_circular, publish
from pantau.report.mart_reader import read_circular_model
from pantau.report.sample import sample_circular
from pantau.report.verify import main as verify_main


def test_same_inputs_same_bytes_and_verify(warehouse_url, conn, render_pool, cfg, small_model, tmp_path, capsys):
    a = publish(small_model, cfg, url=warehouse_url, pool=render_pool)
    bytes_a = a.path.read_bytes()
    b = publish(small_model, cfg, url=warehouse_url)          # fresh process, not the shared worker
    assert (a.report_id, a.sha256) == (b.report_id, b.sha256)
    assert b.path.read_bytes() == bytes_a
    with conn.cursor() as cur:
        cur.execute("SELECT count(*), min(sha256), bool_and(is_draft) FROM audit.report")
        assert cur.fetchone() == (1, a.sha256, False)

    assert verify_main([str(a.path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK") and a.report_id in out and "metric_run_id" in out

    changed = bytearray(bytes_a)
    changed[len(changed) // 2] ^= 0x01
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(bytes(changed))
    assert verify_main([str(copy)]) == 1
    out = capsys.readouterr().out
    assert "REJECTED" in out and "altered" in out and a.report_id in out
    assert f"first differing byte at offset {len(changed) // 2}" in out

    other = tmp_path / "other.pdf"
    other.write_bytes(b"%PDF-1.7\n% not ours\n")
    assert verify_main([str(other)]) == 1
    assert "not registered" in capsys.readouterr().out


def test_different_inputs_different_id(cfg, render_pool):
    from pantau.report.render import report_id_for

    m1 = sample_circular(n_pd=2, n_packages=4, seed=1)
    m2 = sample_circular(n_pd=2, n_packages=4, seed=2)
    assert report_id_for(m1, cfg) != report_id_for(m2, cfg)
    assert re.fullmatch(r"SE-D197-2023-[0-9a-f]{12}", report_id_for(m1, cfg))


def _seed_mart(conn, kd="D197", tahun=2023, as_of=date(2023, 11, 30)) -> int:
    """Rows in the real mart tables (migrations 050–054), shaped like the metrics engine writes them."""
    with conn.cursor() as cur:
        cur.execute("""INSERT INTO mart.metric_run (tahun, kd_klpd, as_of, config_sha256, config)
                       VALUES (%s, %s, %s, 'abc', '{}') RETURNING metric_run_id""", (tahun, kd, as_of))
        run = cur.fetchone()[0]
        cur.execute("""INSERT INTO raw.fetch (source_system, dataset, kd_klpd, tahun, started_at, finished_at, status,
                              sha256) VALUES ('isb', 'ecat_paket_v6', %s, %s, %s, %s, 'ok', repeat('a', 64))
                       RETURNING fetch_id""", (kd, tahun, datetime(2023, 11, 29, tzinfo=timezone.utc),
                                                datetime(2023, 11, 29, tzinfo=timezone.utc)))
        fetch_id = cur.fetchone()[0]
        cur.execute("""INSERT INTO audit.load_log (dataset, kd_klpd, tahun, src_partition, fetch_id, snapshot_date,
                              status) VALUES ('ecat_paket_v6', %s, %s, 'ecat_paket_v6/D197/2023', %s, %s, 'ok')""",
                    (kd, tahun, fetch_id, date(2023, 11, 29)))
        pds = [("1.01.0.00.0.00.01.0000", "Dinas Kesehatan", 3), ("1.03.0.00.0.00.01.0000", "Dinas PUPR Uji", 1)]
        k = 0
        for sat, nama, n in pds:
            cur.execute("""INSERT INTO mart.lagging (metric_run_id, tahun, as_of, kd_klpd, kd_satker_str, nama_satker,
                                  rule, measured, target, unit, n_packages, nilai, deadline)
                           VALUES (%s,%s,%s,%s,%s,%s,'epurchasing_paid_not_selesai',%s,0,'paket',%s,NULL,%s)""",
                        (run, tahun, as_of, kd, sat, nama, n, n, date(2023, 11, 30)))
            for _ in range(n):
                k += 1
                cur.execute("""INSERT INTO mart.lagging_package (metric_run_id, tahun, as_of, kd_klpd, kd_satker_str,
                                      rule, source, package_id, kd_rup, nama_paket, nilai, status_pkt,
                                      status_pengiriman, deadline, hari_terlambat)
                               VALUES (%s,%s,%s,%s,%s,'epurchasing_paid_not_selesai','epurchasing_v6',%s,%s,%s,%s,
                                       'ON_PROCESS',%s,%s,%s)""",
                            (run, tahun, as_of, kd, sat, f"V6-{k}", 50_000_000 + k, f"Paket Uji Mart {k}",
                             Decimal("1234567890.00") * k, "DELIVERED" if k % 2 else "COMPLETED",
                             date(2023, 11, 30), k))
        cur.execute("""INSERT INTO mart.itkp_component (metric_run_id, tahun, as_of, kd_klpd, kd_satker_str, component,
                              component_group, rule, ratio, max_score, score)
                       VALUES (%s,%s,%s,%s,NULL,'e_purchasing','pemanfaatan_sistem','ratio',0.125,4,0.5)""",
                    (run, tahun, as_of, kd))
        cur.execute("""INSERT INTO mart.penyerapan (metric_run_id, tahun, as_of, kd_klpd, kd_satker_str, bulan, pagu,
                              committed_month, paid_month, committed, paid, committed_pct, paid_pct, target_pct)
                       VALUES (%s,%s,%s,%s,%s,'2023-11-01',100,0,0,70,56,70,56.34,87)""",
                    (run, tahun, as_of, kd, pds[0][0]))
    conn.commit()
    return run


def test_build_circular_from_mart(warehouse_url, conn, pdftext, capsys, cfg, monkeypatch):
    from pantau.report import build

    monkeypatch.setattr(build, "load_pemda_config", lambda kd: cfg)   # confirmed values: may be numbered
    run = _seed_mart(conn)
    model = read_circular_model(conn, "D197", 2023, run)
    assert [p.nama_satker for p in model.lagging] == ["Dinas Kesehatan", "Dinas PUPR Uji"]
    assert len(model.lagging[0].packages) == 3 and model.fetch_ids and model.itkp and model.penyerapan

    res = build_circular("D197", 2023, date(2023, 11, 30), metric_run_id=run, nomor="000.3.6/77/PBJ/2023",
                         url=warehouse_url)
    flat = re.sub(r"\s+", " ", pdftext(res.path))
    assert "NOMOR 000.3.6/77/PBJ/2023" in flat and "Dinas Kesehatan" in flat and "Paket Uji Mart 3" in flat
    assert "3.703.703.670" in flat                          # 1.234.567.890 × 3, bare under (Rp)
    assert "Lakukan Konfirmasi Pesanan" in flat and "Selesaikan pembayaran di Katalog Elektronik v6" in flat
    assert res.path.parent.parent.parent.name == "circulars"
    with conn.cursor() as cur:
        cur.execute("SELECT metric_run_id, fetch_ids, nomor, path FROM audit.report WHERE report_id = %s",
                    (res.report_id,))
        mr, fetch_ids, nomor, path = cur.fetchone()
    assert (mr, nomor) == (run, "000.3.6/77/PBJ/2023") and fetch_ids == list(model.fetch_ids)
    assert path.startswith("circulars/D197/2023/")
    assert verify_main([str(res.path)]) == 0
    out = capsys.readouterr().out
    assert f"metric_run_id: {run}" in out and "ecat_paket_v6 D197 2023" in out


def test_numbered_circular_refused_while_config_has_placeholders(warehouse_url, conn, small_model, tmp_path):
    import dataclasses

    import pytest

    from pantau.report.pemda import PemdaConfigError, load_pemda_config, validate_config

    shipped = load_pemda_config("D197")            # signer name, NIP, address still placeholders
    with pytest.raises(PemdaConfigError) as err:
        publish(small_model, shipped, url=warehouse_url)
    msg = str(err.value)
    assert "000.3.6/123/PBJ/2023" in msg and "penandatangan.nama" in msg and "penandatangan.nip" in msg
    assert "DRAF" in msg and "D197.yaml" in msg
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM audit.report")
        assert cur.fetchone() == (0,)                # nothing rendered, nothing registered

    draft = publish(dataclasses.replace(small_model, nomor=None), shipped, url=warehouse_url)
    assert draft.is_draft and draft.path.exists()   # a draft says DRAF: placeholders are allowed

    with pytest.raises(PemdaConfigError, match="penandatangan.nmaa"):
        validate_config({**shipped, "belum_final": ["penandatangan.nmaa"]})
