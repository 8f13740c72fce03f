"""Helpers for warehouse-load tests: a raw.fetch row, staged rows, table checksums."""
from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd

from pantau import db
from pantau.load.staging import write_staging

_counter = itertools.count(1)


def add_fetch(url: str, dataset: str, *, kd_klpd: str | None = "D107", kd_lpse: int | None = None,
              tahun: int = 2025, n_rows: int | None = None, sha: str | None = None,
              source_url: str | None = None) -> int:
    """Insert an 'ok' raw.fetch row (as the extractor would) and return its fetch_id."""
    n = next(_counter)
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO raw.fetch (source_system, dataset, kd_klpd, kd_lpse, tahun, url, started_at, finished_at, "
            "status, http_status, n_pages, n_rows, n_bytes, sha256) "
            "VALUES ('isb', %s, %s, %s, %s, %s, now(), now(), 'ok', 200, 1, %s, 100, %s) RETURNING fetch_id",
            (dataset, kd_klpd, kd_lpse, tahun,
             source_url or f"https://isb.lkpp.go.id/isb-2/api/***/json/1/{dataset}/tipe/4:12/parameter/{tahun}:D107",
             n_rows, sha or f"{n:064x}"),
        )
        return cur.fetchone()[0]


def stage(url: str, dataset: str, rows: list[dict], **fetch_kw) -> int:
    """A new fetch of `dataset` holding `rows` (row_no = position), staged; returns fetch_id."""
    fetch_id = add_fetch(url, dataset, n_rows=len(rows), **fetch_kw)
    df = pd.DataFrame(rows)
    df["row_no"] = range(len(df))
    with db.transaction(url) as conn:
        write_staging(conn, dataset, fetch_id, df)
    return fetch_id


def checksums(url: str, schemas=("core", "history")) -> dict[str, str]:
    """md5 over the sorted text of every row of every table in the schemas."""
    out = {}
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema = ANY(%s) AND table_type = 'BASE TABLE' ORDER BY 1, 2", (list(schemas),))
        for schema, table in cur.fetchall():
            cur.execute(f'SELECT count(*), md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), \'\')) '
                        f'FROM "{schema}"."{table}" t')
            n, digest = cur.fetchone()
            out[f"{schema}.{table}"] = f"{n}:{digest}"
    return out


def query(url: str, sql: str, params=None) -> list[tuple]:
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def v6_order(kd_paket: str, status_pkt: str, total: str = "1000000.00", **kw) -> dict:
    row = {"tahun_anggaran": 2025, "kd_klpd": "D107", "kd_satker_str": "1.03.2.15.1.04.03.0000",
           "nama_satker": "DINAS X", "kd_paket": kd_paket, "kd_rup": 53605662, "rup_nama_pkt": f"Paket {kd_paket}",
           "total_harga": total, "ongkir": "0", "jml_jenis_produk": 1, "jml_produk": 2,
           "tgl_order": dt.date(2025, 3, 1), "status_pkt": status_pkt, "status_pengiriman": "DRAFT",
           "source_event_date": dt.date(2025, 10, 3)}
    row.update(kw)
    return row


def tender(kd_tender: int, status: str, kd_rup: str = "56168859;56168861", **kw) -> dict:
    row = {"tahun_anggaran": 2025, "kd_klpd": "D107", "kd_satker": "12335093",
           "kd_satker_str": "1.03.2.15.1.04.03.0000", "kd_lpse": 93, "kd_tender": kd_tender, "kd_pkt_dce": kd_tender + 1,
           "kd_rup": kd_rup, "nama_paket": f"Tender {kd_tender}", "pagu": "1500000000", "hps": "999995334.78",
           "sumber_dana": "APBD", "mtd_pemilihan": "Tender", "jenis_pengadaan": "Pekerjaan Konstruksi",
           "status_tender": status, "versi_tender": 1, "tgl_pengumuman_tender": pd.Timestamp("2025-02-03 10:00:00"),
           "source_event_date": dt.date(2025, 10, 3)}
    row.update(kw)
    return row


def load_unvalidated(fetch_id: int, snapshot, **kw):
    """load_fetch for tests of the merge itself: these fetches are staged, never validated, so
    the explicit escape hatch is used (the refusal itself is tested in test_balance.py)."""
    from pantau.load import load_fetch

    return load_fetch(fetch_id, snapshot, allow_unvalidated=True, **kw)
