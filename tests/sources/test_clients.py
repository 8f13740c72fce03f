"""HTTP clients against the real simulator on 127.0.0.1 (no mocks): paging, errors, retries."""
from __future__ import annotations

import json
import time

import pytest
import requests

from pantau.sources import errors as E
from pantau.sources.http import HttpSettings, TokenBucket
from pantau.sources.inaproc import InaprocClient
from pantau.sources.isb import IsbClient

PATH = "/v1/rup/paket-penyedia-terumumkan"
DS = "rup_paket_penyedia"


def client(sim, rows, token=None, **kw) -> InaprocClient:
    settings = kw.pop("settings", rows.FAST)
    return InaprocClient(sim.inaproc_url, token or rows.TOKEN, settings=settings, **kw)


def pages_of(c: InaprocClient, **kw):
    return list(c.iter_pages(PATH, "D197", 2025, dataset=DS, instansi="D197", **kw))


def test_inaproc_follows_cursor_over_full_year(sim, rows):
    served = rows.paket(2601)
    sim.set_rows(DS, served + rows.paket(7, kd_klpd="D107") + rows.paket(5, tahun=2024, start=9000))
    pages = pages_of(client(sim, rows), limit=1000)
    assert [p.n_rows for p in pages] == [1000, 1000, 601]
    got = [r for p in pages for r in json.loads(p.body)["data"]]
    assert got == served  # every row, in order, only D197 2025
    assert pages[0].cursor is None and pages[1].cursor == pages[0].next_cursor
    assert not pages[-1].has_more
    log = sim.requests()
    assert len(log) == 3 and all(r["authorization_present"] for r in log)
    assert [r["query"].get("cursor") for r in log] == [None, pages[0].next_cursor, pages[1].next_cursor]
    assert all(r["query"]["limit"] == "1000" and r["query"]["kode_klpd"] == "D197" for r in log)


def test_server_default_limit_is_one_and_missing_auth_is_401(sim, rows):
    sim.set_rows(DS, rows.paket(3))
    url = f"{sim.inaproc_url}{PATH}?kode_klpd=D197&tahun=2025"
    r = requests.get(url, headers={"Authorization": f"Bearer {rows.TOKEN}"}, timeout=5)
    doc = r.json()
    assert r.status_code == 200 and len(doc["data"]) == 1
    assert doc["meta"]["limit"] == 1 and doc["meta"]["has_more"] is True and doc["meta"]["cursor"]
    r = requests.get(url, timeout=5)
    assert r.status_code == 401 and r.json() == {"error": "Authorization field missing"}
    assert sim.requests()[-1]["authorization_present"] is False
    r = requests.get(url + "&limit=1001", headers={"Authorization": f"Bearer {rows.TOKEN}"}, timeout=5)
    assert r.status_code == 400 and r.json()["success"] is False and r.json()["meta"]["request_id"]


def test_inaproc_wrong_token_raises_auth_error_with_request_id_and_no_token(sim, rows):
    sim.set_rows(DS, rows.paket(3))
    wrong = "inprcdeadbeefdeadbeefdeadbeefdeadbeef"
    with pytest.raises(E.InaprocAuthError) as ei:
        pages_of(client(sim, rows, token=wrong))
    msg = str(ei.value)
    assert "[inaproc_v1]" in msg and DS in msg and "D197" in msg and "HTTP 401" in msg
    assert ei.value.request_id and f"request_id={ei.value.request_id}" in msg
    assert wrong not in msg and rows.TOKEN not in msg
    assert len(sim.requests()) == 1  # auth errors are not retried


def test_inaproc_repeating_cursor_is_a_named_error(sim, rows):
    sim.set_rows(DS, rows.paket(50))
    sim.add_fault("repeat_cursor", match=PATH, times=None)
    with pytest.raises(E.RepeatingCursor, match="repeated"):
        pages_of(client(sim, rows), limit=10)
    assert len(sim.requests()) == 2


def test_inaproc_429_honours_retry_after_then_succeeds(sim, rows):
    sim.set_rows(DS, rows.paket(5))
    sim.add_fault("rate_limit", match=PATH, times=1, retry_after=0.3)
    t0 = time.monotonic()
    pages = pages_of(client(sim, rows, settings=HttpSettings(read_timeout=2, backoff_base=0.01, backoff_max=1)))
    assert time.monotonic() - t0 >= 0.3  # waited as told, not the 0.01 s backoff
    assert [p.n_rows for p in pages] == [5]
    assert [r["status"] for r in sim.requests()] == [429, 200]


def test_inaproc_500_twice_then_success(sim, rows):
    sim.set_rows(DS, rows.paket(5))
    sim.add_fault("status", match=PATH, times=2, status=500)
    assert [p.n_rows for p in pages_of(client(sim, rows))] == [5]
    assert [r["status"] for r in sim.requests()] == [500, 500, 200]


def test_inaproc_503_forever_gives_server_error_after_retries(sim, rows):
    sim.set_rows(DS, rows.paket(5))
    sim.add_fault("status", match=PATH, times=None, status=503)
    with pytest.raises(E.InaprocServerError) as ei:
        pages_of(client(sim, rows))
    assert ei.value.http_status == 503 and ei.value.request_id
    assert len(sim.requests()) == rows.FAST.max_retries + 1


def test_inaproc_timeout_fails_after_retries_quickly(sim, rows):
    sim.set_rows(DS, rows.paket(5))
    sim.add_fault("timeout", match=PATH, times=None, delay=1.0)
    t0 = time.monotonic()
    with pytest.raises(E.SourceTimeout):
        pages_of(client(sim, rows))
    assert time.monotonic() - t0 < 3.0
    assert len(sim.requests()) >= 1


def test_inaproc_timeout_once_then_success(sim, rows):
    sim.set_rows(DS, rows.paket(5))
    sim.add_fault("timeout", match=PATH, times=1, delay=0.8)
    assert [p.n_rows for p in pages_of(client(sim, rows))] == [5]


@pytest.mark.parametrize(
    "kind, extra, error",
    [
        ("malformed_json", {}, E.SourceFormatError),
        ("html_error", {"status": 200}, E.HtmlErrorPage),
        ("truncated", {"fraction": 0.6}, E.TruncatedBody),
        ("empty_body", {}, E.SourceFormatError),
    ],
)
def test_inaproc_bad_bodies_are_named_and_not_retried(sim, rows, kind, extra, error):
    sim.set_rows(DS, rows.paket(20))
    sim.add_fault(kind, match=PATH, times=1, **extra)
    with pytest.raises(error) as ei:
        pages_of(client(sim, rows))
    assert ei.value.page is not None and ei.value.page.http_status == 200  # the payload rides along
    assert len(sim.requests()) == 1


def test_inaproc_html_502_is_retried(sim, rows):
    sim.set_rows(DS, rows.paket(4))
    sim.add_fault("html_error", match=PATH, times=1, status=502)
    assert [p.n_rows for p in pages_of(client(sim, rows))] == [4]
    assert [r["status"] for r in sim.requests()] == [502, 200]


def test_cut_connection_with_dishonest_length_is_retried(sim, rows):
    sim.set_rows(DS, rows.paket(200))
    sim.add_fault("truncated", match=PATH, times=1, honest_length=False, fraction=0.3)
    assert [p.n_rows for p in pages_of(client(sim, rows))] == [200]
    sim.add_fault("truncated", match=PATH, times=None, honest_length=False, fraction=0.3)
    with pytest.raises(E.SourceTransportError) as ei:
        pages_of(client(sim, rows))
    assert "cut before its declared length" in str(ei.value)


def test_body_size_cap(sim, rows):
    sim.set_rows(DS, rows.paket(300))
    tiny = HttpSettings(read_timeout=2, max_bytes=10_000, chunk_size=4096, max_retries=0)
    with pytest.raises(E.BodyTooLarge):
        pages_of(client(sim, rows, settings=tiny))


def test_isb_bare_array_and_key_is_never_in_messages(sim, rows):
    sim.set_rows(DS, rows.paket(40, tahun=2024))
    url = sim.isb_url(DS, "D197", 2024)
    page = IsbClient(settings=rows.FAST).fetch(url, dataset=DS, instansi="D197")
    assert page.n_rows == 40 and json.loads(page.body) == rows.paket(40, tahun=2024)
    key = url.split("/isb-2/api/")[1].split("/")[0]
    assert key not in page.url and "/api/***/json/" in page.url
    bad = url.replace(key, "00000000-0000-0000-0000-000000000000")
    with pytest.raises(E.IsbAuthError) as ei:
        IsbClient(settings=rows.FAST).fetch(bad, dataset=DS, instansi="D197")
    assert "00000000-0000" not in str(ei.value) and "[isb]" in str(ei.value)


def test_isb_signals(sim, rows):
    sim.set_rows(DS, rows.paket(3, tahun=2024))
    isb = IsbClient(settings=rows.FAST)
    empty = isb.fetch(sim.isb_url(DS, "D197", 2023), dataset=DS, instansi="D197")
    assert empty.n_rows == 0 and empty.note.startswith("invalid_response") and empty.body.startswith(b"<invalid")
    url = sim.isb_url(DS, "D197", 2024)
    sim.add_fault("empty_body", match="RUP-PaketPenyedia", times=1)
    zero = isb.fetch(url, dataset=DS, instansi="D197")
    assert zero.n_rows == 0 and zero.body == b"" and zero.note == "zero-byte body"
    undefined = url.replace("RUP-PaketPenyedia-Terumumkan", "RUP-PaketPenyedia-Salah")
    with pytest.raises(E.IsbUrlNotDefined, match="URL-NOT-DEFINED"):
        isb.fetch(undefined, dataset=DS, instansi="D197")
    sim.add_fault("truncated", match="RUP-PaketPenyedia", times=1, fraction=0.5)
    with pytest.raises(E.TruncatedBody):
        isb.fetch(url, dataset=DS, instansi="D197")
    sim.add_fault("html_error", match="RUP-PaketPenyedia", times=1, status=200)
    with pytest.raises(E.HtmlErrorPage):
        isb.fetch(url, dataset=DS, instansi="D197")
    assert isb.fetch(url, dataset=DS, instansi="D197").n_rows == 3


def test_isb_parameter_order_per_dataset(sim, rows):
    assert "/RUP-MasterSatker/tipe/12:4/parameter/D197:2024" in sim.isb_url("rup_master_satker", "D197", 2024)
    assert "/Bela-TokoDaringRealisasi/tipe/12:4/parameter/D197:2024" in sim.isb_url("bela_toko_daring", "D197", 2024)
    spse = sim.isb_url("spse_tender_pengumuman", 97, 2024)
    assert "/SPSE-TenderPengumuman/tipe/4:4/parameter/2024:97" in spse
    sim.set_rows("spse_tender_pengumuman", rows.spse(4, tahun=2024) + rows.spse(2, kd_lpse=93, tahun=2024))
    page = IsbClient(settings=rows.FAST).fetch(spse, dataset="spse_tender_pengumuman", instansi="97")
    assert page.n_rows == 4


def test_legacy_mirror_is_a_bare_array(sim, rows):
    sim.set_rows(DS, rows.paket(3))
    r = requests.get(f"{sim.inaproc_url}/legacy/rup/paket-penyedia-terumumkan?kode_klpd=D197&tahun=2025",
                     headers={"Authorization": f"Bearer {rows.TOKEN}"}, timeout=5)
    assert r.status_code == 200 and r.json() == rows.paket(3)


def test_control_api_over_http(sim, rows):
    sim.set_rows(DS, rows.paket(2))
    r = requests.post(f"{sim.base_url}/_control/faults", json={"match": PATH, "kind": "status", "status": 503}, timeout=5)
    assert r.status_code == 201
    assert requests.post(f"{sim.base_url}/_control/faults", json={"kind": "nope"}, timeout=5).status_code == 400
    auth = {"Authorization": f"Bearer {rows.TOKEN}"}
    assert requests.get(f"{sim.inaproc_url}{PATH}?kode_klpd=D197&tahun=2025", headers=auth, timeout=5).status_code == 503
    assert requests.get(f"{sim.inaproc_url}{PATH}?kode_klpd=D197&tahun=2025", headers=auth, timeout=5).status_code == 200
    requests.post(f"{sim.base_url}/_control/faults", json={"match": PATH, "kind": "status", "status": 500, "times": 5},
                  timeout=5)
    assert requests.delete(f"{sim.base_url}/_control/faults", timeout=5).status_code == 200
    assert requests.get(f"{sim.inaproc_url}{PATH}?kode_klpd=D197&tahun=2025", headers=auth, timeout=5).status_code == 200
    log = requests.get(f"{sim.base_url}/_control/requests", timeout=5).json()
    assert [e["status"] for e in log] == [503, 200, 200]
    assert all(e["authorization_present"] for e in log) and rows.TOKEN not in json.dumps(log)


def test_token_bucket_limits_rate():
    bucket = TokenBucket(rate_per_sec=50, burst=1)
    t0 = time.monotonic()
    for _ in range(6):
        bucket.acquire()
    assert time.monotonic() - t0 >= 5 / 50 * 0.9


def test_redact_hides_isb_keys_and_tokens():
    E.register_secret("inprcSECRETSECRET")
    text = ("GET https://isb.lkpp.go.id/isb-2/api/b3bd3bfd-a027-4dbb-b7e4-883bfc5eac37/json/5352/X/tipe/4/parameter/1 "
            "Authorization: Bearer abc.def and inprcSECRETSECRET")
    out = E.redact(text)
    assert "b3bd3bfd" not in out and "abc.def" not in out and "inprcSECRETSECRET" not in out
    assert "/isb-2/api/***/json/5352/" in out
    assert E.redact("https://isb.lkpp.go.id/isb-2/api/satudata/MasterLPSE") .endswith("satudata/MasterLPSE")


def test_unavailable_endpoints_answer_404_in_the_real_shape_and_are_not_retried(sim, rows):
    """Issue 14 point 3: INAPROC v1 answers 404 for some paths; ISB may too. No retry, named error."""
    sim.set_rows(DS, rows.paket(5))
    sim.set_unavailable({"inaproc_v1": [PATH], "isb": ["RUP-PaketPenyedia-Terumumkan"]})
    auth = {"Authorization": f"Bearer {rows.TOKEN}"}
    r = requests.get(f"{sim.inaproc_url}{PATH}?kode_klpd=D197&tahun=2025&limit=10", headers=auth, timeout=5)
    doc = r.json()
    assert r.status_code == 404 and doc["success"] is False and doc["error"]["code"] == "Not Found"
    assert doc["meta"]["request_id"] == r.headers["X-Request-Id"] and PATH in doc["error"]["message"]
    sim.clear_requests()
    with pytest.raises(E.EndpointNotAvailable) as ei:  # retries allowed (FAST: 2), none made
        pages_of(client(sim, rows))
    assert isinstance(ei.value, E.InaprocError) and ei.value.http_status == 404 and ei.value.request_id
    assert f"/api{PATH}" in str(ei.value) and "endpoint not available" in str(ei.value)
    assert rows.TOKEN not in str(ei.value) and [r["status"] for r in sim.requests()] == [404]
    sim.clear_requests()
    with pytest.raises(E.IsbEndpointNotAvailable):
        IsbClient(settings=rows.FAST).fetch(sim.isb_url(DS, "D197", 2024), dataset=DS, instansi="D197")
    assert [r["status"] for r in sim.requests()] == [404]
    sim.set_unavailable(None)
    assert [p.n_rows for p in pages_of(client(sim, rows))] == [5]
    with pytest.raises(ValueError, match="unknown dataset/path"):
        sim.set_unavailable({"inaproc_v1": ["rup_typo"]})


def test_provider_declares_unavailable_endpoints(rows):
    """The generator's Province declares the 404 endpoints itself (`unavailable` attribute)."""
    from pantau.simulator.server import DictProvider, start_simulator

    provider = DictProvider({DS: rows.paket(3), "rup_master_satker": [{"kd_klpd": "D197", "kd_satker": 1}]})
    provider.unavailable = {"inaproc_v1": [DS]}  # type: ignore[attr-defined]
    with start_simulator(provider, token=rows.TOKEN) as handle:
        with pytest.raises(E.InaprocEndpointNotAvailable):
            list(InaprocClient(handle.inaproc_url, rows.TOKEN, settings=rows.FAST)
                 .iter_pages(PATH, "D197", 2025, dataset=DS, instansi="D197"))
        pages = list(InaprocClient(handle.inaproc_url, rows.TOKEN, settings=rows.FAST)
                     .iter_pages("/v1/rup/master-satker", "D197", 2025, dataset="rup_master_satker", instansi="D197"))
        assert [p.n_rows for p in pages] == [1]
        page = IsbClient(settings=rows.FAST).fetch(handle.isb_url(DS, "D197", 2025), dataset=DS, instansi="D197")
        assert page.n_rows == 3  # ISB still serves it


# -- issue 19 point 2: a partition read across a page retry is re-read until it is one snapshot --
def read_snapshot(c: InaprocClient, **kw):
    """read_snapshot into plain lists (one per pass); returns (check, passes' pages)."""
    passes: list[list] = []

    class Sink(list):
        def add(self, page):
            self.append(page)

    def new_sink():
        passes.append(Sink())
        return passes[-1]

    check = c.read_snapshot(PATH, "D197", 2025, new_sink, limit=10, dataset=DS, instansi="D197", **kw)
    return check, passes


def fault_page_one_in_both_passes(sim) -> None:
    """Page 1's first attempt times out in pass 1 and in pass 2 (cursor requests #1 and #4:
    pass 1 is page 1, its retry, page 2; the second fault skips the two in between)."""
    sim.add_fault("timeout", match="cursor=", times=1, delay=0.8)
    sim.add_fault("timeout", match="cursor=", times=1, skip=2, delay=0.8)


def test_inaproc_read_snapshot_rereads_from_page_one_after_a_retried_later_page(sim, rows):
    sim.set_rows(DS, rows.paket(25))
    sim.add_fault("timeout", match="cursor=", times=1, delay=0.8)  # page 1's first attempt
    check, passes = read_snapshot(client(sim, rows))
    assert (check.consistent, check.passes) == (True, 2)
    assert "page 1 needed 2 attempts" in check.note
    assert [[p.attempts for p in ps] for ps in passes] == [[1, 2, 1], [1, 1, 1]]
    assert [r for p in passes[-1] for r in json.loads(p.body)["data"]] == rows.paket(25)
    assert len(sim.requests()) == 4 + 3


def test_inaproc_read_snapshot_accepts_two_identical_passes(sim, rows):
    sim.set_rows(DS, rows.paket(25))
    fault_page_one_in_both_passes(sim)
    check, passes = read_snapshot(client(sim, rows))
    assert (check.consistent, check.passes, len(passes)) == (True, 2, 2)
    assert "passes 1 and 2 identical" in check.note
    assert [p.body for p in passes[0]] == [p.body for p in passes[1]]


def test_inaproc_read_snapshot_reports_a_source_that_changes_during_every_pass(sim, rows):
    sim.set_rows(DS, rows.paket(25))
    fault_page_one_in_both_passes(sim)

    def change_during_page_one() -> None:  # while page 1 times out, in each pass
        changed = 0
        deadline = time.monotonic() + 10
        while changed < 2 and time.monotonic() < deadline:
            n_cursor = sum(1 for r in sim.requests() if r["query"].get("cursor"))
            if (changed, n_cursor) in ((0, 1), (1, 4)):
                changed += 1
                sim.set_rows(DS, rows.paket(25, start=changed * 3))  # 3 packages withdrawn, 3 added
            time.sleep(0.002)

    import threading

    watcher = threading.Thread(target=change_during_page_one, daemon=True)
    watcher.start()
    check, passes = read_snapshot(client(sim, rows), max_passes=2)
    watcher.join(5)
    assert (check.consistent, check.passes, len(passes)) == (False, 2, 2)
    assert "not one snapshot after 2 pass(es)" in check.note and "pass 2: page 1 needed 2 attempts" in check.note


def test_inaproc_read_snapshot_first_page_retry_needs_no_reread(sim, rows):
    sim.set_rows(DS, rows.paket(25))
    sim.add_fault("timeout", match=PATH, times=1, delay=0.8)  # the very first request
    check, passes = read_snapshot(client(sim, rows))
    assert (check.consistent, check.passes, check.note, len(passes)) == (True, 1, None, 1)
    assert [p.attempts for p in passes[0]] == [2, 1, 1] and len(sim.requests()) == 4


def test_inaproc_pass_problems_reads_meta_total_when_sent():
    """The documented envelope has no `meta.total`; when a gateway sends one it is checked."""
    from datetime import datetime, timezone

    from pantau.sources.inaproc import InaprocPage, pass_problems

    def page(no: int, n: int, total: int | None) -> InaprocPage:
        return InaprocPage(page_no=no, body=b"{}", http_status=200, fetched_at=datetime.now(timezone.utc), url="u",
                           n_rows=n, total=total)

    assert pass_problems([page(0, 10, 20), page(1, 10, 20)]) == []
    assert pass_problems([page(0, 10, 20), page(1, 10, 19)]) == ["meta.total changed between pages: [19, 20]"]
    assert pass_problems([page(0, 10, 25), page(1, 10, 25)]) == ["meta.total is 25 but 20 rows were received"]
