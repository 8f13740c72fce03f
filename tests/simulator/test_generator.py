"""Tests of the deterministic generator: determinism, volumes, joins, planted quirks, ground truth,
INAPROC v1 conversion. Pure Python (no database needed); the default (quirky) province and its clean
twin (`quirks=False`) are shared per module. The real-feed quirks of issue 14 have their own module,
test_quirks.py."""
from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict

import pytest

from pantau.simulator.generator import (
    DATASETS, THRESHOLDS, generate, national_klpds, to_inaproc_v1,
)


@pytest.fixture(scope="module")
def prov():
    return generate()


@pytest.fixture(scope="module")
def clean():
    return generate(quirks=False)


@pytest.fixture(scope="module")
def truth(prov):
    return prov.ground_truth["klpd"]["D197"]


def _json_sha(p) -> str:
    h = hashlib.sha256()
    for name in DATASETS:
        h.update(json.dumps(p.datasets[name], ensure_ascii=False, separators=(",", ":")).encode())
    return h.hexdigest()


def _split(kd_rup: str) -> list[int]:
    return [int(x) for x in kd_rup.split(";")]


# ------------------------------------------------------------------------------ determinism & size
def test_same_seed_gives_identical_json_and_other_seed_differs(prov):
    again = generate(seed=2025)
    assert _json_sha(prov) == _json_sha(again)
    assert prov.ground_truth == again.ground_truth
    other = generate(seed=2026, scale=0.2)
    assert other.sha256() != generate(seed=2025, scale=0.2).sha256()


def test_scale_one_volumes(prov):
    pds = [r for r in prov.datasets["rup_master_satker"] if r["kd_klpd"] == "D197"]
    assert len(pds) >= 40
    n_rup = len(prov.rows_for("rup_paket_penyedia", kd_klpd="D197")) + \
        len(prov.rows_for("rup_paket_swakelola", kd_klpd="D197"))
    assert n_rup >= 10_000
    assert {k.kd_klpd for k in prov.klpds} == {"D197", "B201"}
    assert prov.klpd("D197").kd_lpse == 97 and prov.klpd("D197").jenis_klpd == "PROVINSI"
    for name in DATASETS:
        assert prov.datasets[name], f"{name} is empty"


def test_scale_multiplies_package_count():
    small = generate(scale=0.1)
    n = len(small.datasets["rup_paket_penyedia"]) + len(small.datasets["rup_paket_swakelola"])
    assert 900 <= n <= 1_200


def test_national_klpds_are_distinct_and_generate():
    specs = national_klpds(500)
    assert len({s.kd_klpd for s in specs}) == 500 and len({s.kd_lpse for s in specs}) == 500
    assert "D197" not in {s.kd_klpd for s in specs} and 97 not in {s.kd_lpse for s in specs}
    assert specs[0].kd_klpd == "D001"
    p = generate(scale=5, klpds=national_klpds(4))
    assert {r["kd_klpd"] for r in p.datasets["rup_paket_penyedia"]} == {s.kd_klpd for s in national_klpds(4)}
    lpse = {s.kd_lpse for s in national_klpds(4)}
    assert {r["kd_lpse"] for r in p.datasets["spse_nontender_pengumuman"]} <= lpse
    assert p.ground_truth["klpd"] == {}


# ------------------------------------------------------------------------------ shapes and joins
def test_types_follow_isb_shape(prov):
    rup = prov.datasets["rup_paket_penyedia"][0]
    assert isinstance(rup["kd_rup"], int) and isinstance(rup["kd_satker"], int)
    assert isinstance(rup["kd_jenis_pengadaan"], str) and "urarian_pekerjaan" in rup
    assert "sumber_dana" not in rup
    t = prov.datasets["spse_tender_pengumuman"][0]
    assert isinstance(t["kd_rup"], str) and isinstance(t["kd_satker"], str) and isinstance(t["kd_tender"], int)
    hps_types = {type(r["hps"]) for r in prov.datasets["spse_tender_pengumuman"]}
    assert hps_types == {int, float}
    assert {type(r["nilai_kontrak"]) for r in prov.datasets["spse_nontender_selesai"]} == {int, float, type(None)}
    v5 = prov.datasets["ecat_paket_v5"][0]
    assert all(isinstance(v5[k], float) for k in ("kuantitas", "harga_satuan", "ongkos_kirim", "total_harga"))
    assert isinstance(prov.datasets["ecat_paket_v6"][0]["kd_paket"], str)
    assert len(prov.datasets["ecat_paket_v6"][0]["kd_paket"]) == 26
    ns = prov.datasets["spse_nontender_selesai"][0]
    assert ns["lpse_id"] == ns["kd_lpse"] and "tgl_penarikan" in ns and "_event_date" not in ns
    assert isinstance(prov.datasets["bela_toko_daring"][0]["kd_satker"], str)


@pytest.mark.parametrize("which", ["clean", "prov"])
def test_kd_rup_joins_rup_except_bumd_and_planted_orphans(which, request):
    """Clean feeds join RUP everywhere but the BUMD; the quirky ones everywhere but the BUMD and the
    ground truth's orphans."""
    prov = request.getfixturevalue(which)
    orphans = {kd for part in prov.ground_truth["partitions"].values()
               for kd in (part.get("D197") or {}).get("orphan_kd_rup", [])}
    rup_ids = {r["kd_rup"] for r in prov.datasets["rup_paket_penyedia"]}
    assert (which == "clean") == (not orphans)
    assert not orphans & rup_ids
    rup_ids |= orphans
    checked = 0
    for name, key in (("spse_tender_pengumuman", "kd_rup"), ("spse_tender_selesai_nilai", "kd_rup_paket"),
                      ("spse_nontender_pengumuman", "kd_rup"), ("spse_nontender_selesai", "kd_rup"),
                      ("spse_pencatatan_nontender", "kd_rup"),
                      ("spse_pencatatan_nontender_realisasi", "kd_rup_paket"), ("ecat_paket_v6", "kd_rup")):
        for r in prov.datasets[name]:
            ids = _split(r[key])
            if r["kd_klpd"] == "B201":
                assert not set(ids) & rup_ids
                continue
            assert set(ids) <= rup_ids, (name, r[key])
            checked += 1
    for r in prov.datasets["ecat_paket_v5"]:
        assert r["kd_rup"] in rup_ids
    assert checked > 5_000


def test_satker_keys_join(prov):
    master = {(r["kd_klpd"], r["kd_satker_str"]): r["kd_satker"] for r in prov.datasets["rup_master_satker"]}
    sirup_ids = {r["kd_satker"] for r in prov.datasets["rup_master_satker"]}
    for name in DATASETS:
        for r in prov.datasets[name]:
            if r.get("kd_klpd") == "B201":
                continue
            if "kd_satker_str" in r:
                assert (r["kd_klpd"], r["kd_satker_str"]) in master, name
            if name == "spse_tender_selesai_nilai":
                assert (r["kd_klpd"], r["kd_satker"]) in master  # holds kd_satker_str
    assert {r["satker_id"] for r in prov.datasets["ecat_paket_v5"]} <= sirup_ids
    assert {int(r["kd_satker"]) for r in prov.datasets["bela_toko_daring"]} <= sirup_ids
    spse = {r["kd_satker"] for r in prov.datasets["spse_nontender_pengumuman"]}
    assert all(s.endswith("097") for s in spse) and not spse & {str(x) for x in sirup_ids}


def test_spse_chain_is_consistent(prov):
    d = prov.datasets
    tenders = {r["kd_tender"]: r for r in d["spse_tender_pengumuman"]}
    assert {r["kd_tender"] for r in d["spse_tender_selesai_nilai"]} <= set(tenders)
    assert all(tenders[r["kd_tender"]]["status_tender"] == "Selesai" for r in d["spse_tender_ekontrak_kontrak"])
    assert {r["kd_tender"] for r in d["spse_tender_ekontrak_bapbast"]} <= \
        {r["kd_tender"] for r in d["spse_tender_ekontrak_kontrak"]}
    nontenders = {r["kd_nontender"]: r for r in d["spse_nontender_pengumuman"]}
    assert all(r["lls_id"] == r["kd_nontender"] for r in nontenders.values())
    assert {r["kd_nontender"] for r in d["spse_nontender_ekontrak_bapbast"]} <= \
        {r["kd_nontender"] for r in d["spse_nontender_ekontrak_kontrak"]}
    pct = {r["kd_nontender_pct"] for r in d["spse_pencatatan_nontender"]}
    assert {r["kd_nontender_pct"] for r in d["spse_pencatatan_nontender_realisasi"]} <= pct
    lines = defaultdict(float)
    for r in d["rup_paket_anggaran_penyedia"]:
        if r["status_umumkan_rup"] == "Terumumkan":
            lines[r["kd_rup"]] += r["pagu"]
    assert all(lines[r["kd_rup"]] == r["pagu"] for r in d["rup_paket_penyedia"])
    assert any(r["status_umumkan_rup"] == "Terinisiasi" for r in d["rup_paket_anggaran_penyedia"])


# ------------------------------------------------------------------------------ planted quirks
def test_retender_and_consolidated_and_bumd(prov, truth):
    by_rup = defaultdict(list)
    for r in prov.datasets["spse_tender_pengumuman"]:
        by_rup[r["kd_rup"]].append((r["versi_tender"], r["status_tender"]))
    retendered = [v for v in by_rup.values() if len(v) > 1]
    assert retendered and all(sorted(v)[0] == (1, "Gagal/Batal") for v in retendered)
    assert any(sorted(v)[1][0] == 2 for v in retendered)
    nt = defaultdict(set)
    for r in prov.datasets["spse_nontender_pengumuman"]:
        nt[r["kd_rup"]].add(r["kd_nontender"])
    assert any(len(v) > 1 for v in nt.values())
    trio = truth["quirks"]["consolidated_kd_rup"][0]
    consolidated = [r for r in prov.datasets["spse_tender_pengumuman"] if r["kd_rup"].count(";") == 2]
    assert [_split(r["kd_rup"]) for r in consolidated] == [trio]
    bumd = [r for r in prov.rows_for("spse_tender_pengumuman", kd_lpse=97) if r["kd_klpd"] == "B201"]
    assert bumd and all(r["jenis_klpd"] == "BUMD" and r["sumber_dana"] == "BUMD" for r in bumd)
    assert not [r for r in prov.rows_for("spse_tender_pengumuman", kd_klpd="D197") if r["kd_klpd"] == "B201"]
    assert not prov.rows_for("rup_paket_penyedia", kd_klpd="B201")


def test_struktur_anggaran_nulls_and_identity(prov):
    rows = prov.rows_for("rup_struktur_anggaran", kd_klpd="D197", tahun=2025)
    assert len(rows) == len(prov.rows_for("rup_master_satker", kd_klpd="D197"))
    nulls = [r for r in rows if r["belanja_pengadaan"] is None]
    assert nulls and all(r["tahun_anggaran"] is None and r["total_belanja"] is None for r in nulls)
    for r in rows:
        if r["belanja_pengadaan"] is not None:
            assert r["belanja_pengadaan"] == r["belanja_operasi"] + r["belanja_modal"] + r["belanja_btt"]
            assert r["total_belanja"] == r["belanja_pengadaan"] + r["belanja_non_pengadaan"]


def test_ecat_quirks(prov):
    lines = defaultdict(set)
    for r in prov.datasets["ecat_paket_v5"]:
        lines[r["kd_paket"]].add(r["kd_produk"])
    assert any(len(v) > 1 for v in lines.values())
    v6 = prov.datasets["ecat_paket_v6"]
    assert 4876.85 in [r["jml_produk"] for r in v6]
    assert any(r["kd_penyedia_sikap"] == 0 for r in v6) and any(r["kd_penyedia_sikap"] > 0 for r in v6)
    combos = {(r["status_pkt"], r["status_pengiriman"]) for r in v6}
    for kirim in ("DELIVERED", "BUYER_CONFIRMED", "COMPLETED"):
        assert ("ON_PROCESS", kirim) in combos
    assert ("PAYMENT_OUTSIDE_SYSTEM", "COMPLETED") in combos and ("COMPLETED", "COMPLETED") in combos


def test_pencatatan_and_bapbast_quirks(prov):
    pct = prov.datasets["spse_pencatatan_nontender"]
    double = [r for r in pct if r["status_nontender_pct"] == "Ditutup"]
    assert any(r["alasan_pembatalan"] == "double input" for r in double)
    assert all(r["status_nontender_pct_ket"] == "Paket Dibatalkan" for r in double)
    twins = {r["kd_rup"] for r in pct if r["status_nontender_pct"] == "Aktif"}
    assert any(r["kd_rup"] in twins for r in double)
    assert any("<p>" in r["uraian_pekerjaan"] and "\r\n" in r["uraian_pekerjaan"] for r in pct)
    assert any(r["kd_rup"].count(";") == 1 for r in pct)
    per_pkg = defaultdict(list)
    for r in prov.datasets["spse_nontender_ekontrak_bapbast"] + prov.datasets["spse_tender_ekontrak_bapbast"]:
        per_pkg[(r.get("kd_tender"), r.get("kd_nontender"))].append(r)
    monthly = [v for v in per_pkg.values() if len(v) >= 4 and v[0]["cara_pembayaran_kontrak"] == "Bulanan"]
    assert monthly
    assert len({r["_event_date"] for v in per_pkg.values() for r in v}) > 1
    # paid never exceeds the contract — counting each payment fact once (the non-tender feed
    # publishes every payment twice, see test_quirks.py)
    facts = {k: {(r["no_bap"], r["no_bast"]): r["besar_pembayaran"] for r in v} for k, v in per_pkg.items()}
    assert all(sum(f.values()) <= per_pkg[k][0]["nilai_kontrak"] + 1 for k, f in facts.items())


DATE_FORMATS = {
    ("rup_paket_penyedia", "tgl_pengumuman_paket"): r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d",
    ("rup_paket_penyedia", "tgl_awal_pemilihan"): r"\d{4}-\d\d-01",
    ("spse_nontender_pengumuman", "tgl_pengumuman_nontender"): r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.000000Z",
    ("spse_tender_ekontrak_kontrak", "tgl_kontrak"): r"\d{4}-\d\d-\d\dT00:00:00\.000000Z",
    ("spse_pencatatan_nontender", "tgl_buat_paket"): r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}000Z",
    ("spse_pencatatan_nontender", "tgl_selesai_paket"): r"\d{4}-\d\d-\d\d 00:00:00",
    ("ecat_paket_v6", "tgl_order"): r"\d{4}-\d\d-\d\d",
    ("spse_tender_selesai_nilai", "tgl_penetapan_pemenang"): r"\d{4}-\d\d-\d\d",
}


def test_date_formats(prov):
    for (name, key), pattern in DATE_FORMATS.items():
        values = [r[key] for r in prov.datasets[name] if r[key] is not None]
        assert values and all(re.fullmatch(pattern, v) for v in values), (name, key)
    assert any(r["tgl_pengumuman_nontender"] is None for r in prov.datasets["spse_nontender_pengumuman"]
               if r["status_nontender"] == "-") or not any(
        r["status_nontender"] == "-" for r in prov.datasets["spse_nontender_pengumuman"])
    parents = prov.inaproc_rows("spse_tender_ekontrak_bapbast", kd_lpse=97)
    java = [h["tgl_mulai_pekerjaan"] for p in parents for h in p["spmkspp_history_json"]]
    assert java and all(re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4}, 12:00:00AM", v) for v in java)


def test_no_zero_width_in_isb_rows(prov):
    blob = json.dumps([prov.datasets[n][:2000] for n in DATASETS], ensure_ascii=False)
    assert "\u200b" not in blob


# ------------------------------------------------------------------------------ rows_for
def test_rows_for_filters(prov):
    spse = prov.rows_for("spse_tender_pengumuman", kd_lpse=97)
    assert len(spse) == len(prov.datasets["spse_tender_pengumuman"])
    assert {r["kd_klpd"] for r in spse} == {"D197", "B201"}
    assert prov.rows_for("spse_tender_pengumuman", kd_lpse=97, kd_klpd="B201") == \
        [r for r in spse if r["kd_klpd"] == "B201"]
    assert prov.rows_for("rup_paket_penyedia", kd_klpd="D197", tahun=2024) == []
    assert prov.rows_for("bela_toko_daring", kd_klpd="D197", tahun=2025)
    assert prov.rows_for("rup_paket_penyedia", kd_klpd="D999") == []
    with pytest.raises(ValueError):
        prov.rows_for("rup_paket_penyedia", kd_lpse=97)
    body = prov.to_json("ecat_paket_v6", kd_klpd="D197")
    assert json.loads(body) == prov.rows_for("ecat_paket_v6", kd_klpd="D197")


# ------------------------------------------------------------------------------ ground truth
def _facts(name: str, rows: list[dict]) -> list[dict]:
    """What a correct load keeps, recomputed here without the generator's helpers: copies that differ
    only in source metadata (and, for pencatatan realisasi, in `kd_rup_paket`) are one fact; e-kontrak
    rows sharing (package, versi_addendum) but differing in value are quarantined, every copy."""
    if name.endswith("_ekontrak_kontrak"):
        pkg = "kd_tender" if "_tender_" in name else "kd_nontender"
        n = defaultdict(int)
        for r in rows:
            n[(r[pkg], r["versi_addendum"])] += 1
        return [r for r in rows if n[(r[pkg], r["versi_addendum"])] == 1]
    ignored = {"_event_date", "_inserted_date", "tgl_penarikan"}
    if name == "spse_pencatatan_nontender_realisasi":
        ignored.add("kd_rup_paket")
    seen, out = set(), []
    for r in rows:
        v = json.dumps({k: x for k, x in r.items() if k not in ignored}, sort_keys=True)
        if v not in seen:
            seen.add(v)
            out.append(r)
    return out


def _recompute(p, kd_klpd: str) -> dict:
    """Independent plain-Python recomputation of the documented ground-truth figures."""
    d = {n: _facts(n, [r for r in p.datasets[n] if r.get("kd_klpd") == kd_klpd]) for n in DATASETS}
    to_str = {r["kd_satker"]: r["kd_satker_str"] for r in d["rup_master_satker"]}
    f = defaultdict(lambda: {"pagu": 0.0, "committed": 0.0, "paid": 0.0, "sel": set(), "akt": set(),
                             "dnc": set(), "v5dnc": set(), "selesai": set(), "kontrak": set()})
    for n in ("rup_paket_penyedia", "rup_paket_swakelola"):
        for r in d[n]:
            if r["status_aktif_rup"] and not r["status_delete_rup"] and r["status_umumkan_rup"] == "Terumumkan":
                f[r["kd_satker_str"]]["pagu"] += r["pagu"]
    for r in d["spse_tender_selesai_nilai"]:
        f[r["kd_satker"]]["committed"] += r["nilai_kontrak"] or 0
    for r in d["spse_nontender_selesai"]:
        if r["status_nontender"] == "Selesai":
            vals = [r["nilai_kontrak"], r["nilai_negosiasi"], r["nilai_terkoreksi"], r["nilai_penawaran"]]
            f[r["kd_satker_str"]]["committed"] += next((v for v in vals if v is not None), 0)
    aktif = set()
    for r in d["spse_pencatatan_nontender"]:
        if r["status_nontender_pct"] == "Aktif":
            aktif.add(r["kd_nontender_pct"])
            f[r["kd_satker_str"]]["committed"] += r["total_realisasi"] or 0
    for r in d["spse_pencatatan_nontender_realisasi"]:
        if r["kd_nontender_pct"] in aktif:
            f[r["kd_satker_str"]]["paid"] += r["nilai_realisasi"]
    for r in d["spse_tender_ekontrak_bapbast"] + d["spse_nontender_ekontrak_bapbast"]:
        f[r["kd_satker_str"]]["paid"] += r["besar_pembayaran"]
    for r in d["ecat_paket_v6"]:
        x = f[r["kd_satker_str"]]
        if r["status_pkt"] != "CANCELLED":
            x["akt"].add(r["kd_paket"])
            x["committed"] += r["total_harga"]
        if r["status_pkt"] in ("COMPLETED", "PAYMENT_OUTSIDE_SYSTEM"):
            x["sel"].add(r["kd_paket"])
            x["paid"] += r["total_harga"]
        if r["status_pkt"] in ("ON_PROCESS", "ON_ADDENDUM") and \
                r["status_pengiriman"] in ("DELIVERED", "BUYER_CONFIRMED", "COMPLETED"):
            x["dnc"].add(r["kd_paket"])
    for r in d["ecat_paket_v5"]:
        x = f[to_str[r["satker_id"]]]
        x["akt"].add(("v5", r["kd_paket"]))
        x["committed"] += r["total_harga"] + r["ongkos_kirim"]
        if r["paket_status_str"] == "Paket Selesai":
            x["sel"].add(("v5", r["kd_paket"]))
            x["paid"] += r["total_harga"] + r["ongkos_kirim"]
        elif r["status_paket"] == "melakukan_pengiriman_dan_penerimaan":
            x["v5dnc"].add(r["kd_paket"])
    for r in d["bela_toko_daring"]:
        if r["status_verif"] == "verified":
            x = f[to_str[int(r["kd_satker"])]]
            x["committed"] += r["valuasi"]
            if r["status_konfirmasi_ppmse"] == "selesai":
                x["paid"] += r["valuasi"]
    for feed, key, st in (("spse_tender", "kd_tender", "status_tender"),
                          ("spse_nontender", "kd_nontender", "status_nontender")):
        for r in d[f"{feed}_pengumuman"]:
            if r[st] == "Selesai":
                f[r["kd_satker_str"]]["selesai"].add((feed, r[key]))
        for r in d[f"{feed}_ekontrak_kontrak"]:
            f[r["kd_satker_str"]]["kontrak"].add((feed, r[key]))
    return f


@pytest.mark.parametrize("which", ["clean", "prov"])
def test_ground_truth_matches_rows(which, request):
    prov = request.getfixturevalue(which)
    truth = prov.ground_truth["klpd"]["D197"]
    assert truth["violations"] == []
    f = _recompute(prov, "D197")
    per_pd = truth["per_pd"]
    assert set(per_pd) == set(f)
    for k, x in f.items():
        g = per_pd[k]
        assert g["pagu"] == pytest.approx(x["pagu"])
        assert g["committed"] == pytest.approx(x["committed"], abs=1)
        assert g["paid"] == pytest.approx(x["paid"], abs=1)
        assert g["ep_selesai"] == len(x["sel"]) and g["ep_aktif"] == len(x["akt"])
        assert sorted(g["delivered_not_closed"]) == sorted(x["dnc"])
        assert sorted(g["v5_delivered_not_closed"]) == sorted(x["v5dnc"])
        assert g["n_selesai"] == len(x["selesai"])
        assert g["n_kontrak"] == len(x["selesai"] & x["kontrak"])
        assert {m["kd_paket_spse"] for m in g["missing_kontrak"]} == {kd for _, kd in x["selesai"] - x["kontrak"]}
    sel = sum(len(x["sel"]) for x in f.values())
    akt = sum(len(x["akt"]) for x in f.values())
    assert truth["epurchasing"]["klpd_ratio"] == pytest.approx(sel / akt)
    assert sel / akt < 0.5


def test_lagging_pds_are_exactly_the_planted_ones(prov, truth):
    f = _recompute(prov, "D197")
    t = THRESHOLDS
    ep = {e["kd_satker_str"] for e in truth["epurchasing"]["lagging"]}
    py = {e["kd_satker_str"] for e in truth["penyerapan"]["lagging"]}
    ek = {e["kd_satker_str"] for e in truth["ekontrak"]["lagging"]}
    assert len(ep) >= 3 and len(py) >= 3 and len(ek) >= 1
    ratio = {k: len(x["sel"]) / len(x["akt"]) for k, x in f.items() if x["akt"]}
    assert {k for k, r in ratio.items() if r < t["ep_ratio_other_min"]} == ep
    assert {k for k, x in f.items() if x["dnc"]} == ep
    assert {k for k, x in f.items() if x["v5dnc"]} <= ep
    assert all(len(f[k]["dnc"]) >= 5 for k in ep)
    paid_pct = {k: x["paid"] / x["pagu"] for k, x in f.items() if x["pagu"]}
    assert {k for k, v in paid_pct.items() if v < t["paid_pct_other_min"]} == py
    assert all(paid_pct[k] < t["paid_pct_lagging_max"] for k in py)
    assert {k for k, x in f.items() if x["selesai"] - x["kontrak"]} == ek
    for e in truth["penyerapan"]["lagging"]:
        assert e["paid_pct"] == pytest.approx(paid_pct[e["kd_satker_str"]])
        assert e["committed"] > e["paid"]
        assert len(e["unpaid_kontrak"]) >= 3
        paid_kd = {r.get("kd_tender") or r.get("kd_nontender") for n in
                   ("spse_tender_ekontrak_bapbast", "spse_nontender_ekontrak_bapbast") for r in prov.datasets[n]}
        assert not {u["kd_paket_spse"] for u in e["unpaid_kontrak"]} & paid_kd
    for e in truth["epurchasing"]["lagging"]:
        assert e["ep_ratio"] < t["ep_ratio_lagging_max"]
    bp = {r["kd_satker_str"]: r["belanja_pengadaan"] for r in prov.rows_for("rup_struktur_anggaran", kd_klpd="D197")}
    sirup = {k for k, x in f.items() if bp.get(k) and x["pagu"] / bp[k] < 1.0}
    assert sirup == {e["kd_satker_str"] for e in truth["sirup"]["lagging"]} and len(sirup) == 1
    names = {e["nama_satker"] for e in truth["lagging_pds"]}
    assert "DINAS PENDIDIKAN DAN KEBUDAYAAN" in names
    json.dumps(prov.ground_truth)  # serialisable


# ------------------------------------------------------------------------------ INAPROC v1
def test_inaproc_v6_renames_fields(prov):
    isb = prov.rows_for("ecat_paket_v6", kd_klpd="D197")[:50]
    before = json.dumps(isb)
    v1 = to_inaproc_v1("ecat_paket_v6", isb)
    assert json.dumps(isb) == before  # input not mutated
    for a, b in zip(isb, v1):
        assert b["order_id"] == a["kd_paket"] and b["fiscal_year"] == a["tahun_anggaran"]
        assert b["kode_klpd"] == a["kd_klpd"] and b["kode_satker"] == a["kd_satker_str"]
        assert b["rup_code"] == a["kd_rup"] and b["rup_name"] == a["rup_nama_pkt"]
        assert b["status"] == a["status_pkt"] and b["shipment_status"] == a["status_pengiriman"]
        assert b["count_product"] == a["jml_jenis_produk"] and b["total_qty"] == a["jml_produk"]
        assert b["total"] == a["total_harga"] and b["shipping_fee"] == a["ongkir"]
        assert b["funding_source"] == a["sumber_dana"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d\dZ", b["order_date"])
        assert b["order_date"][:10] == a["tgl_order"]
        assert "kd_paket" not in b and "status_pkt" not in b


def test_inaproc_penyedia_and_zero_width(prov):
    isb = prov.rows_for("rup_paket_penyedia", kd_klpd="D197")[:300]
    v1 = to_inaproc_v1("rup_paket_penyedia", isb)
    assert all("uraian_pekerjaan" in r and "urarian_pekerjaan" not in r for r in v1)
    assert any(r["nama_satker"].endswith("\u200b") for r in v1)
    assert [r["nama_satker"].rstrip("\u200b") for r in v1] == [r["nama_satker"] for r in isb]
    assert to_inaproc_v1("rup_paket_penyedia", isb) == v1  # deterministic


def test_inaproc_bapbast_parents(prov):
    for sumber, key in (("tender", "kd_tender"), ("nontender", "kd_nontender")):
        name = f"spse_{sumber}_ekontrak_bapbast"
        parents = prov.inaproc_rows(name, kd_lpse=97)
        kontrak = {r[key] for r in prov.rows_for(f"spse_{sumber}_ekontrak_kontrak", kd_lpse=97)}
        assert {p[key] for p in parents} == kontrak and len(parents) == len(kontrak)
        flat = prov.rows_for(name, kd_lpse=97)
        nested = [h for p in parents for h in p["bapbast_history_json"]]
        assert len(nested) == len(flat)
        assert sum(h["besar_pembayaran"] for h in nested) == pytest.approx(sum(r["besar_pembayaran"] for r in flat))
        assert any(len(p["bapbast_history_json"]) > 3 for p in parents)
        assert any(p["bapbast_history_json"] == [] for p in parents)
        assert all(p["penilaian_kinerja_penyedia"] == [] for p in parents)
        only_payments = to_inaproc_v1(name, flat)
        assert {p[key] for p in only_payments} == {r[key] for r in flat}
