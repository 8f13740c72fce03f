"""extract_partition end to end: simulator over HTTP → clients → raw.fetch on a real PostgreSQL.

Each failure case checks the named error, its message, and that nothing half-written is left: a
'failed' fetch row with the pages received (bad payload included), never an 'ok' one.
"""
from __future__ import annotations

import gzip
import json
import time

import pytest

from pantau.sources import errors as E
from pantau.sources.extract import extract_partition
from pantau.sources.raw import read_fetch

DS = "rup_paket_penyedia"
PATH = "/v1/rup/paket-penyedia-terumumkan"


def fetch_rows(conn) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute("SELECT fetch_id, status, n_pages, n_rows, error, error_class FROM raw.fetch ORDER BY fetch_id")
        rows = cur.fetchall()
    conn.rollback()
    return rows


def stored_bodies(conn, fetch_id: int) -> list[bytes]:
    with conn.cursor() as cur:
        cur.execute("SELECT body_gz FROM raw.fetch_page WHERE fetch_id = %s ORDER BY page_no", (fetch_id,))
        out = [gzip.decompress(bytes(r[0])) for r in cur.fetchall()]
    conn.rollback()
    return out


def all_raw_text(conn) -> str:
    """Every column of raw.fetch and raw.fetch_page (bodies decompressed) as one string."""
    with conn.cursor() as cur:
        cur.execute("SELECT f::text FROM raw.fetch f")
        text = " ".join(r[0] for r in cur.fetchall())
        cur.execute("SELECT fetch_id, page_no, cursor, request_id, note, body_gz FROM raw.fetch_page")
        for *cols, body in cur.fetchall():
            text += " " + " ".join(map(str, cols)) + " " + gzip.decompress(bytes(body)).decode("utf-8", "replace")
    conn.rollback()
    return text


def test_inaproc_full_year_is_paged_and_landed(warehouse_url, conn, sim, rows, make_inaproc_plan):
    served = rows.paket(2750)
    sim.set_rows(DS, served)
    res = extract_partition(DS, "D197", 2025, plan=make_inaproc_plan())
    assert (res.status, res.n_rows, res.n_pages, res.reused) == ("ok", 2750, 3, False)
    assert read_fetch(res.fetch_id).records == served
    with conn.cursor() as cur:
        cur.execute("SELECT source_system, dataset, kd_klpd, tahun, params, url FROM raw.fetch")
        assert cur.fetchone() == ("inaproc_v1", DS, "D197", 2025, {"kode_klpd": "D197", "tahun": 2025, "limit": 1000},
                                  f"{sim.inaproc_url}{PATH}")
    assert rows.TOKEN not in all_raw_text(conn)


def test_inaproc_empty_result(warehouse_url, conn, sim, make_inaproc_plan):
    res = extract_partition(DS, "D197", 2025, plan=make_inaproc_plan())
    assert (res.status, res.n_rows, res.n_pages) == ("empty", 0, 1)
    assert read_fetch(res.fetch_id).records == []


def test_refetch_of_identical_content_reuses_the_fetch(warehouse_url, conn, sim, rows, make_inaproc_plan):
    sim.set_rows(DS, rows.paket(1200))
    first = extract_partition(DS, "D197", 2025, plan=make_inaproc_plan())
    again = extract_partition(DS, "D197", 2025, plan=make_inaproc_plan())
    assert again.reused and again.fetch_id == first.fetch_id
    sim.set_rows(DS, rows.paket(1200)[:-1])  # snapshot 2: one package gone
    changed = extract_partition(DS, "D197", 2025, plan=make_inaproc_plan())
    assert not changed.reused and changed.fetch_id != first.fetch_id and changed.n_rows == 1199
    with conn.cursor() as cur:
        cur.execute("SELECT fetch_id, count(*) FROM raw.fetch_page GROUP BY fetch_id ORDER BY fetch_id")
        assert cur.fetchall() == [(first.fetch_id, 2), (changed.fetch_id, 2)]


def test_repeating_cursor_fails_without_an_ok_fetch(warehouse_url, conn, sim, rows, make_inaproc_plan):
    sim.set_rows(DS, rows.paket(30))
    sim.add_fault("repeat_cursor", match=PATH, times=None)
    with pytest.raises(E.RepeatingCursor) as ei:
        extract_partition(DS, "D197", 2025, plan=make_inaproc_plan(page_limit=10))
    [(fid, status, n_pages, _, error, cls)] = fetch_rows(conn)
    assert (status, cls, n_pages) == ("failed", "RepeatingCursor", 2) and ei.value.fetch_id == fid
    assert "repeated" in error and DS in error and "D197" in error


def test_401_names_source_dataset_instansi_request_id_and_hides_token(warehouse_url, conn, sim, rows,
                                                                      make_inaproc_plan):
    sim.set_rows(DS, rows.paket(3))
    wrong = "inprcfeedfacefeedfacefeedfacefeedface"
    with pytest.raises(E.InaprocAuthError) as ei:
        extract_partition(DS, "D197", 2025, plan=make_inaproc_plan(token=wrong))
    msg = str(ei.value)
    assert all(s in msg for s in ("[inaproc_v1]", DS, "D197", "HTTP 401", f"request_id={ei.value.request_id}"))
    [(_, status, n_pages, _, error, _)] = fetch_rows(conn)
    assert status == "failed" and n_pages == 1 and ei.value.request_id in error
    text = all_raw_text(conn)
    assert wrong not in msg and wrong not in text and rows.TOKEN not in text
    with conn.cursor() as cur:
        cur.execute("SELECT request_ids FROM raw.fetch")
        assert cur.fetchone()[0] == [ei.value.request_id]


@pytest.mark.parametrize("kind, extra, statuses", [
    ("rate_limit", {"retry_after": 0.05, "times": 1}, [429, 200, 200]),
    ("status", {"status": 500, "times": 2}, [500, 500, 200, 200]),
    # fails on page 2: re-read from page one, so the pages form one snapshot (issue 19 point 2)
    ("status", {"status": 503, "times": 1, "skip": 1}, [200, 503, 200, 200, 200]),
])
def test_transient_errors_are_retried_to_success(warehouse_url, conn, sim, rows, make_inaproc_plan,
                                                kind, extra, statuses):
    sim.set_rows(DS, rows.paket(1500))
    sim.add_fault(kind, match=PATH, **extra)
    res = extract_partition(DS, "D197", 2025, plan=make_inaproc_plan())
    assert (res.status, res.n_rows, res.n_pages) == ("ok", 1500, 2)
    assert [r["status"] for r in sim.requests()] == statuses
    assert [r[1] for r in fetch_rows(conn)] == ["ok"]
    assert len(read_fetch(res.fetch_id).records) == 1500


def test_timeout_fails_after_retries_quickly(warehouse_url, conn, sim, rows, make_inaproc_plan):
    sim.set_rows(DS, rows.paket(5))
    sim.add_fault("timeout", match=PATH, times=None, delay=1.0)
    t0 = time.monotonic()
    with pytest.raises(E.SourceTimeout) as ei:
        extract_partition(DS, "D197", 2025, plan=make_inaproc_plan())
    assert time.monotonic() - t0 < 3.0
    [(fid, status, n_pages, _, error, cls)] = fetch_rows(conn)
    assert (status, n_pages, cls, ei.value.fetch_id) == ("failed", 0, "SourceTimeout", fid)
    assert "timeout" in error and "fetch_id" not in error


@pytest.mark.parametrize("kind, extra, error", [
    ("malformed_json", {}, E.SourceFormatError),
    ("html_error", {"status": 200}, E.HtmlErrorPage),
    ("truncated", {"fraction": 0.5}, E.TruncatedBody),
])
def test_bad_body_on_page_two_keeps_both_pages_in_a_failed_fetch(warehouse_url, conn, sim, rows, make_inaproc_plan,
                                                                 kind, extra, error):
    sim.set_rows(DS, rows.paket(1500))
    sim.add_fault(kind, match=PATH, times=1, skip=1, **extra)
    with pytest.raises(error) as ei:
        extract_partition(DS, "D197", 2025, plan=make_inaproc_plan())
    [(fid, status, n_pages, n_rows, msg, cls)] = fetch_rows(conn)
    assert (status, n_pages, n_rows, cls) == ("failed", 2, None, type(ei.value).__name__)
    assert DS in msg and "D197" in msg
    bodies = stored_bodies(conn, fid)
    assert len(json.loads(bodies[0])["data"]) == 1000  # the good page
    assert bodies[1] == ei.value.page.body and bodies[1] != b""  # the bad payload, verbatim
    with pytest.raises(E.FetchNotUsable):
        read_fetch(fid)


def test_isb_bare_array(warehouse_url, conn, sim, rows, make_isb_plan):
    served = rows.paket(120, tahun=2024)
    sim.set_rows(DS, served)
    plan = make_isb_plan(tahun=2024)
    res = extract_partition(DS, "D197", 2024, plan=plan)
    assert (res.status, res.n_rows, res.n_pages, res.source_system) == ("ok", 120, 1, "isb")
    assert read_fetch(res.fetch_id).records == served
    key = plan.url.split("/isb-2/api/")[1].split("/")[0]
    with conn.cursor() as cur:
        cur.execute("SELECT url FROM raw.fetch")
        (url,) = cur.fetchone()
    assert key not in url and "/isb-2/api/***/json/" in url and url.endswith("/parameter/2024:D197")
    assert key not in all_raw_text(conn)


def test_isb_empty_signals(warehouse_url, conn, sim, rows, make_isb_plan):
    res = extract_partition(DS, "D197", 2024, plan=make_isb_plan(tahun=2024))  # nothing served
    assert (res.status, res.n_rows) == ("empty", 0)
    sim.add_fault("empty_body", match="RUP-PaketPenyedia", times=1)
    zero = extract_partition(DS, "D197", 2023, plan=make_isb_plan(tahun=2023))
    assert (zero.status, zero.n_rows) == ("empty", 0)
    with conn.cursor() as cur:
        cur.execute("SELECT tahun, note FROM raw.fetch ORDER BY fetch_id")
        assert cur.fetchall() == [(2024, "invalid_response (Data Kosong)"), (2023, "zero-byte body")]
    assert read_fetch(zero.fetch_id).records == []


def test_isb_url_not_defined_and_wrong_key(warehouse_url, conn, sim, rows, make_isb_plan):
    sim.set_rows(DS, rows.paket(3, tahun=2024))
    good = make_isb_plan(tahun=2024).url
    with pytest.raises(E.IsbUrlNotDefined) as ei:
        extract_partition(DS, "D197", 2024, plan=make_isb_plan(
            tahun=2024, url=good.replace("RUP-PaketPenyedia-Terumumkan", "RUP-PaketPenyedia-Typo")))
    assert "[isb]" in str(ei.value) and DS in str(ei.value)
    key = good.split("/isb-2/api/")[1].split("/")[0]
    with pytest.raises(E.IsbAuthError):
        extract_partition(DS, "D197", 2024, plan=make_isb_plan(tahun=2024, url=good.replace(key, "bad-key-123")))
    assert [r[1:2] + r[5:] for r in fetch_rows(conn)] == [("failed", "IsbUrlNotDefined"), ("failed", "IsbAuthError")]
    text = all_raw_text(conn)
    assert key not in text and "bad-key-123" not in text


def test_resolve_routes_by_year_and_reads_env_configuration(warehouse_url, conn, sim, rows, tmp_path, monkeypatch):
    """Without a plan: routing reads sources.yaml + env (INAPROC ≥ 2025, ISB before; SPSE by LPSE)."""
    from pantau.sources.routing import resolve

    sim.set_rows(DS, rows.paket(1100) + rows.paket(7, tahun=2024))
    sim.set_rows("spse_tender_pengumuman", rows.spse(4, tahun=2024) + rows.spse(3, kd_lpse=93, tahun=2024))
    registry = sim.isb_url_registry({"klpd": ["D197"], "lpse": [97]})
    (tmp_path / "isb.json").write_text(json.dumps(registry))
    monkeypatch.setenv("PANTAU_ISB_URLS_FILE", str(tmp_path / "isb.json"))
    monkeypatch.setenv("PANTAU_INAPROC_URL", sim.inaproc_url)
    monkeypatch.setenv("PANTAU_INAPROC_TOKEN", rows.TOKEN)
    plan = resolve(DS, "D197", 2025)
    assert plan.source_system == "inaproc_v1" and rows.TOKEN not in repr(plan)
    assert (extract_partition(DS, "D197", 2025).n_rows, extract_partition(DS, "D197", 2024).n_rows) == (1100, 7)
    spse = resolve("spse_tender_pengumuman", "D197", 2024)
    assert (spse.source_system, spse.kd_lpse, spse.instansi) == ("isb", 97, "D197/LPSE 97")
    res = extract_partition("spse_tender_pengumuman", "D197", 2024)
    assert res.n_rows == 4
    with conn.cursor() as cur:
        cur.execute("SELECT source_system, dataset, kd_klpd, kd_lpse, tahun FROM raw.fetch ORDER BY fetch_id")
        assert cur.fetchall() == [("inaproc_v1", DS, "D197", None, 2025), ("isb", DS, "D197", None, 2024),
                                  ("isb", "spse_tender_pengumuman", "D197", 97, 2024)]
    with pytest.raises(E.SourceConfigError, match="no ISB URL configured"):
        resolve(DS, "D107", 2024)
    monkeypatch.delenv("PANTAU_INAPROC_TOKEN")
    monkeypatch.setenv("AIRFLOW_CONN_PANTAU_INAPROC",
                       json.dumps({"conn_type": "http", "host": sim.inaproc_url, "password": "inprcFromAirflowConn"}))
    assert resolve(DS, "D197", 2026).token == "inprcFromAirflowConn"


def test_generator_province_lands_every_dataset_from_both_apis(warehouse_url, conn, rows, monkeypatch, tmp_path):
    """The demo's provider: every dataset of a small generated province, INAPROC (routing) and ISB.

    Datasets the province declares unavailable on INAPROC v1 (404, as LKPP's were) land from ISB
    through the routing fallback; every other one from INAPROC.
    """
    from pantau.datasets import DATASETS
    from pantau.simulator.generator import generate
    from pantau.simulator.server import start_simulator
    from pantau.sources.routing import SourcePlan

    province = generate(7, 0.05, 2025)
    declared = getattr(province, "unavailable", None) or {}
    no_inaproc, no_isb = set(declared.get("inaproc_v1") or ()), set(declared.get("isb") or ())
    with start_simulator(province, token=rows.TOKEN) as gsim:
        monkeypatch.setenv("PANTAU_INAPROC_URL", gsim.inaproc_url)
        monkeypatch.setenv("PANTAU_INAPROC_TOKEN", rows.TOKEN)
        (tmp_path / "isb.json").write_text(json.dumps(gsim.isb_url_registry({"klpd": ["D197"], "lpse": [97]})))
        monkeypatch.setenv("PANTAU_ISB_URLS_FILE", str(tmp_path / "isb.json"))
        for name, spec in DATASETS.items():
            lpse_or_klpd = {"kd_lpse": 97} if spec.filter_by == "lpse" else {"kd_klpd": "D197"}
            isb_rows = province.rows_for(name, tahun=2025, **lpse_or_klpd)
            if name in no_inaproc and name in no_isb:
                with pytest.raises(E.EndpointNotAvailable):
                    extract_partition(name, "D197", 2025)
                continue
            res = extract_partition(name, "D197", 2025)
            if name in no_inaproc:
                assert res.source_system == "isb" and res.fallbacks, name
                assert read_fetch(res.fetch_id).records == isb_rows, name
                continue
            expected = province.inaproc_rows(name, kd_klpd="D197", tahun=2025)
            assert res.source_system == "inaproc_v1" and read_fetch(res.fetch_id).records == expected, name
            if name in no_isb:
                continue
            instansi = 97 if spec.filter_by == "lpse" else "D197"
            plan = SourcePlan(dataset=name, source_system="isb", tahun=2025, kd_klpd="D197",
                              kd_lpse=97 if spec.filter_by == "lpse" else None,
                              url=gsim.isb_url(name, instansi, 2025), http=rows.FAST)
            isb = extract_partition(name, "D197", 2025, plan=plan)
            assert read_fetch(isb.fetch_id).records == isb_rows, name
    statuses = {(r[1], r[5]) for r in fetch_rows(conn)}
    assert {s for s, _ in statuses} <= {"ok", "empty", "failed"}
    assert {cls for s, cls in statuses if s == "failed"} <= {"InaprocEndpointNotAvailable", "IsbEndpointNotAvailable"}
