"""Issue 14 point 4: referential orphans are a finding — loaded, flagged, counted per partition and
per PD from core (audit.orphan_kd_rup*), never critical, and the same whatever the load order."""
from __future__ import annotations

from pantau import db
from vhelpers import rup_penyedia, run_pipeline, tender

PD_A, PD_B = "1.03.2.15.1.04.03.0000", "1.02.0.00.0.00.01.0000"
N = 10  # 9 of 10 orphans per feed, like the real sample (92 % tender, 99.7 % v6)


def _tenders() -> list[dict]:
    out = []
    for i in range(N):
        kd_rup = str(53605000 + i) if i == 0 else str(99000000 + i)
        out.append(tender(i, kd_rup=kd_rup, kd_satker_str=PD_A if i < 4 else PD_B))
    return out


def _v6() -> list[dict]:
    return [{"tahun_anggaran": 2025, "kd_klpd": "D107", "kd_satker_str": PD_A if i < 5 else PD_B,
             "nama_satker": "DINAS", "kd_paket": f"EPURCH-{i}", "kd_rup": 53605001 if i == 0 else 98000000 + i,
             "rup_nama_pkt": f"Order {i}", "total_harga": 1000 + i, "ongkir": 0, "jml_jenis_produk": 1,
             "jml_produk": 1, "tgl_order": "2025-03-01", "status_pkt": "COMPLETED", "status_pengiriman": "DONE",
             "_event_date": "2025-10-03"} for i in range(N)]


def _rup() -> list[dict]:
    return [rup_penyedia(i, kd_satker_str=PD_A) for i in range(3)]


def _spse(url: str) -> list:
    return [run_pipeline(url, "spse_tender_pengumuman", _tenders(), kd_klpd=None, kd_lpse=93),
            run_pipeline(url, "ecat_paket_v6", _v6())]


def _core_content(url: str) -> dict[str, str]:
    """md5 per core table over every column except load lineage (fetch/load ids differ by order)."""
    out = {}
    with db.connect(url) as c, c.cursor() as cur:
        cur.execute("SELECT table_name, string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) "
                    "FROM information_schema.columns WHERE table_schema = 'core' "
                    "AND column_name NOT IN ('fetch_id', 'load_id') GROUP BY table_name ORDER BY 1")
        for table, cols in cur.fetchall():
            cur.execute(f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                        f"FROM (SELECT {cols} FROM core.{table}) t")
            out[table] = "%s:%s" % cur.fetchone()
    return out


def _counts(url: str) -> list[tuple]:
    with db.connect(url) as c, c.cursor() as cur:
        cur.execute("""SELECT scope, sumber, kd_satker_str, n_packages, n_orphan, n_matched
                         FROM audit.orphan_kd_rup_count ORDER BY 1, 2, 3 NULLS FIRST""")
        return cur.fetchall()


def test_orphans_load_fully_are_counted_and_do_not_depend_on_load_order(warehouse_url, pg_server_url,
                                                                        _template_db, _migrated_database):
    # order 1: SPSE and e-Katalog first (no RUP yet), RUP afterwards
    spse = _spse(warehouse_url)
    for run in spse:
        assert run.critical is None and run.summary.n_quarantined == 0
        assert run.loaded == N, "orphans must be loaded, not quarantined"
        ref = next(r for r in run.summary.results if r.rule == "ref:kd_rup")
        assert ref.action == "flag" and ref.severity == "warning"
    with db.connect(warehouse_url) as c, c.cursor() as cur:
        cur.execute("SELECT DISTINCT status FROM audit.orphan_kd_rup")
        assert [r[0] for r in cur.fetchall()] == ["rup_not_loaded"]
    run_pipeline(warehouse_url, "rup_paket_penyedia", _rup())
    first_core, first_counts = _core_content(warehouse_url), _counts(warehouse_url)

    expected = [
        ("partition", "epurchasing_v6", None, N, N - 1, 1),
        ("partition", "tender", None, N, N - 1, 1),
        ("pd", "epurchasing_v6", PD_B, 5, 5, 0),
        ("pd", "epurchasing_v6", PD_A, 5, 4, 1),
        ("pd", "tender", PD_B, 6, 6, 0),
        ("pd", "tender", PD_A, 4, 3, 1),
    ]
    assert sorted(first_counts, key=str) == sorted(expected, key=str)

    # order 2: RUP first, then SPSE — with RUP known, validation flags the orphans (a finding in
    # audit.validation_run), core is identical and so are the counts.
    with _migrated_database(pg_server_url, _template_db) as other:
        run_pipeline(other, "rup_paket_penyedia", _rup())
        for run in _spse(other):
            ref = next(r for r in run.summary.results if r.rule == "ref:kd_rup")
            assert not ref.success and ref.unexpected_count == N - 1 and "finding" in ref.message
            assert len(ref.row_nos) == N - 1 and run.summary.n_quarantined == 0 and run.loaded == N
        assert _core_content(other) == first_core
        assert _counts(other) == first_counts
