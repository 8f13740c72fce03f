"""Raw landing on a real PostgreSQL: verbatim gzip pages, hashes, reuse, atomic failure, decoding."""
from __future__ import annotations

import gzip
import hashlib
import json
from datetime import datetime, timezone

import pytest

from pantau.sources import errors as E
from pantau.sources import raw
from pantau.sources.http import Page


def page(body: bytes, n_rows: int | None, page_no: int = 0, **kw) -> Page:
    return Page(page_no=page_no, body=body, http_status=200, fetched_at=datetime.now(timezone.utc),
                url="http://x/api/v1/rup/master-satker", n_rows=n_rows, **kw)


def envelope(rows: list[dict], cursor: str = "", has_more: bool = False) -> bytes:
    return json.dumps({"success": True, "data": rows, "meta": {"limit": 1000, "has_more": has_more,
                                                                 "cursor": cursor}}).encode()


def meta(source: str = "inaproc_v1", **kw) -> raw.FetchMeta:
    base = dict(source_system=source, dataset="rup_master_satker", kd_klpd="D197", kd_lpse=None, tahun=2025,
                url="http://x/api/v1/rup/master-satker", params={"kode_klpd": "D197", "tahun": 2025},
                started_at=datetime.now(timezone.utc))
    return raw.FetchMeta(**{**base, **kw})


def buffer_of(*pages: Page) -> raw.PageBuffer:
    buf = raw.PageBuffer()
    for p in pages:
        buf.add(p)
    return buf


def test_pages_are_stored_verbatim_gzip_with_hashes(warehouse_url, conn):
    b1, b2 = envelope([{"kd_satker": 1}], "c1", True), envelope([{"kd_satker": 2}, {"kd_satker": 3}])
    res = raw.land_fetch(meta(), buffer_of(page(b1, 1, request_id="r-1"), page(b2, 2, 1, cursor="c1")),
                         status="ok", http_status=200)
    assert not res.reused and res.n_rows == 3 and res.n_pages == 2
    with conn.cursor() as cur:
        cur.execute("SELECT page_no, cursor, sha256, n_bytes, body_gz FROM raw.fetch_page WHERE fetch_id = %s "
                    "ORDER BY page_no", (res.fetch_id,))
        stored = cur.fetchall()
        cur.execute("SELECT status, n_rows, n_pages, n_bytes, sha256, request_ids FROM raw.fetch WHERE fetch_id = %s",
                    (res.fetch_id,))
        f = cur.fetchone()
    assert [gzip.decompress(bytes(r[4])) for r in stored] == [b1, b2]
    assert [r[2] for r in stored] == [hashlib.sha256(b).hexdigest() for b in (b1, b2)]
    assert [r[1] for r in stored] == [None, "c1"]
    assert f == ("ok", 3, 2, len(b1) + len(b2), hashlib.sha256(b1 + b2).hexdigest(), ["r-1"])
    got = raw.read_fetch(res.fetch_id)
    assert got.records == [{"kd_satker": 1}, {"kd_satker": 2}, {"kd_satker": 3}]
    assert (got.dataset, got.source_system, got.kd_klpd, got.kd_lpse, got.tahun) == (
        "rup_master_satker", "inaproc_v1", "D197", None, 2025)


def test_identical_content_reuses_only_the_latest_good_fetch(warehouse_url, conn):
    a, b = envelope([{"kd_satker": 1}]), envelope([{"kd_satker": 2}])
    first = raw.land_fetch(meta(), buffer_of(page(a, 1)), status="ok")
    again = raw.land_fetch(meta(), buffer_of(page(a, 1)), status="ok")
    assert again.reused and again.fetch_id == first.fetch_id
    other_year = raw.land_fetch(meta(tahun=2026), buffer_of(page(a, 1)), status="ok")
    assert not other_year.reused
    changed = raw.land_fetch(meta(), buffer_of(page(b, 1)), status="ok")
    back = raw.land_fetch(meta(), buffer_of(page(a, 1)), status="ok")  # A -> B -> A is a change again
    assert not changed.reused and not back.reused and back.fetch_id not in (first.fetch_id, changed.fetch_id)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM raw.fetch_page WHERE fetch_id = %s", (first.fetch_id,))
        assert cur.fetchone()[0] == 1
        cur.execute("SELECT n_checks FROM raw.fetch WHERE fetch_id = %s", (first.fetch_id,))
        assert cur.fetchone()[0] == 2


def test_failed_fetch_keeps_pages_and_is_not_readable(warehouse_url, conn):
    bad = b'{"success": true, "data": [{"kd_sat'
    res = raw.land_fetch(meta(), buffer_of(page(envelope([{"kd_satker": 1}], "c", True), 1), page(bad, None, 1)),
                         status="failed", http_status=200, error="boom", error_class="TruncatedBody")
    with conn.cursor() as cur:
        cur.execute("SELECT status, n_pages, n_rows, error, error_class FROM raw.fetch WHERE fetch_id = %s",
                    (res.fetch_id,))
        assert cur.fetchone() == ("failed", 2, None, "boom", "TruncatedBody")
    with pytest.raises(E.FetchNotUsable, match="failed: boom"):
        raw.read_fetch(res.fetch_id)
    # a later good fetch of the same content is never "reused" from a failed one
    ok = raw.land_fetch(meta(), buffer_of(page(envelope([{"kd_satker": 1}], "c", True), 1), page(bad, None, 1)),
                        status="ok")
    assert not ok.reused
    with pytest.raises(ValueError):
        raw.land_fetch(meta(), buffer_of(), status="failed")  # failed needs its error text


def test_read_fetch_names_invalid_bodies(warehouse_url):
    trunc = raw.land_fetch(meta(), buffer_of(page(b'{"success": true, "data": [{"a": 1}, {"b', 2)), status="ok")
    with pytest.raises(E.RawFormatError, match=r"page 0: truncated JSON"):
        raw.read_fetch(trunc.fetch_id)
    not_env = raw.land_fetch(meta(dataset="x"), buffer_of(page(b"[1, 2]", 2)), status="ok")
    with pytest.raises(E.RawFormatError, match="not an INAPROC envelope"):
        raw.read_fetch(not_env.fetch_id)
    scalars = raw.land_fetch(meta("isb", dataset="y"), buffer_of(page(b"[1, 2]", 2)), status="ok")
    with pytest.raises(E.RawFormatError, match="non-object"):
        raw.read_fetch(scalars.fetch_id)
    with pytest.raises(E.FetchNotFound):
        raw.read_fetch(987654)


def test_isb_empty_signals_decode_to_no_records(warehouse_url):
    for body in (b"", b"<invalid_response>Data Kosong, silakan ulangi</invalid_response>"):
        res = raw.land_fetch(meta("isb", dataset=f"ds{len(body)}"), buffer_of(page(body, 0)), status="empty")
        assert raw.read_fetch(res.fetch_id).records == []
    arr = raw.land_fetch(meta("isb", dataset="arr"), buffer_of(page(b'[{"a": 1}]', 1)), status="ok")
    assert raw.read_fetch(arr.fetch_id).records == [{"a": 1}]


def test_corrupted_stored_page_is_detected(warehouse_url, conn):
    res = raw.land_fetch(meta(), buffer_of(page(envelope([{"a": 1}]), 1)), status="ok")
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE raw.fetch_page SET body_gz = %s WHERE fetch_id = %s",
                    (gzip.compress(envelope([{"a": 2}])), res.fetch_id))
    with pytest.raises(E.RawFormatError, match="sha256"):
        raw.read_fetch(res.fetch_id)


def test_raw_tables_and_columns_are_commented(conn):
    with conn.cursor() as cur:
        cur.execute(
            """SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'raw' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
                  AND col_description(c.oid, a.attnum) IS NULL""")
        assert cur.fetchall() == []
        cur.execute("""SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE n.nspname = 'raw' AND c.relkind = 'r' AND obj_description(c.oid) LIKE '%/%'""")
        assert cur.fetchone()[0] == 2
