"""The real-feed quirks of issue 14 in the generator: each present at its rate, each recorded in the
ground truth (counted from the rows as emitted, recounted here independently), each switchable, and
none changing which PDs lag. Pure Python; a scale-0.2 province and its clean twin per module."""
from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict

import pytest

from pantau.datasets import DATASETS as SPECS
from pantau.simulator.generator import DATASETS, Quirks, generate

KLPD = "D197"
# digests of the generator before quirks existed (seed 2025, scale 0.2): quirks=False must keep them
CLEAN_DATASETS_SHA = "5d06ff3e67d702b8a95b7007ce5f8f2fbd5709243948b0361597e908ca00a612"
CLEAN_TRUTH_SHA = "510d3222e765b63b2be8ca54aa3aa9f773ba4bd00f5ea42d12bd743badb28d34"
REFERENCING = {  # dataset -> field holding kd_rup
    "spse_tender_pengumuman": "kd_rup", "spse_tender_selesai_nilai": "kd_rup_paket",
    "spse_nontender_pengumuman": "kd_rup", "spse_nontender_selesai": "kd_rup",
    "spse_pencatatan_nontender": "kd_rup", "spse_pencatatan_nontender_realisasi": "kd_rup_paket",
    "ecat_paket_v5": "kd_rup", "ecat_paket_v6": "kd_rup",
}


def _dumps(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.fixture(scope="module")
def prov():
    return generate(seed=2025, scale=0.2)


@pytest.fixture(scope="module")
def clean():
    return generate(seed=2025, scale=0.2, quirks=False)


def _mine(p, name: str) -> list[dict]:
    return [r for r in p.datasets[name] if r.get("kd_klpd") == KLPD]


def _part(p, name: str) -> dict:
    return p.ground_truth["partitions"][name][KLPD]


def _announced(p) -> set[int]:
    return {r["kd_rup"] for n in ("rup_paket_penyedia", "rup_paket_swakelola") for r in _mine(p, n)}


# ------------------------------------------------------------------------------ switch & determinism
def test_quirks_off_gives_the_clean_feeds_byte_for_byte(clean):
    h = hashlib.sha256()
    for name in DATASETS:
        h.update(_dumps(clean.datasets[name]))
    assert h.hexdigest() == CLEAN_DATASETS_SHA
    assert hashlib.sha256(_dumps(clean.ground_truth["klpd"])).hexdigest() == CLEAN_TRUTH_SHA
    assert clean.unavailable == {"inaproc_v1": [], "isb": []}
    parts = clean.ground_truth["partitions"]
    assert all(x["n_collapsible_copies"] == 0 and x["n_same_key_different_rows"] == 0 and not x.get("n_orphan_rows")
               for name in DATASETS for kd, x in parts[name].items() if kd == KLPD)


def test_quirky_province_is_deterministic_and_each_quirk_switches_alone(prov, clean):
    assert generate(seed=2025, scale=0.2).sha256() == prov.sha256() != clean.sha256()
    only_bapbast = generate(seed=2025, scale=0.2, quirks=Quirks(
        **{**Quirks.off().__dict__, "bapbast_event_date_copies": True}))
    changed = {n for n in DATASETS if _dumps(only_bapbast.datasets[n]) != _dumps(clean.datasets[n])}
    assert changed == {"spse_nontender_ekontrak_bapbast"}


# ------------------------------------------------------------------------------ 1. orphan kd_rup
def test_orphan_kd_rup_at_substantial_rates_recorded_with_their_keys(prov):
    announced = _announced(prov)
    kinds = prov.ground_truth["planted"][KLPD]["orphan_kind"]
    for name, f in REFERENCING.items():
        rows = _mine(prov, name)
        orphan = [r for r in rows if any(int(x) not in announced for x in str(r[f]).split(";"))]
        share = len(orphan) / len(rows)
        assert 0.10 <= share <= 0.45, (name, share)
        part = _part(prov, name)
        assert part["n_orphan_rows"] == len(orphan), name
        key = SPECS[name].key
        assert sorted(map(json.dumps, part["orphan_keys"])) == \
            sorted(json.dumps([r[k] for k in key]) for r in orphan), name
        assert set(part["orphan_kd_rup"]) == {int(r[f]) for r in orphan} and not set(part["orphan_kd_rup"]) & announced
        assert {kinds[str(kd)] for kd in part["orphan_kd_rup"]} <= {"tahun_lain", "salah_ketik"}
    assert set(kinds.values()) == {"tahun_lain", "salah_ketik"}


def test_orphans_keep_a_package_consistent_across_its_feeds(prov):
    """A re-tendered kd_rup stays one kd_rup; a tender's selesai row carries its announcement's code."""
    ann = {r["kd_tender"]: r["kd_rup"] for r in _mine(prov, "spse_tender_pengumuman")}
    assert all(r["kd_rup_paket"] == ann[r["kd_tender"]] for r in _mine(prov, "spse_tender_selesai_nilai"))
    hdr = {r["kd_nontender_pct"]: r["kd_rup"].split(";") for r in _mine(prov, "spse_pencatatan_nontender")}
    assert all(r["kd_rup_paket"] in hdr[r["kd_nontender_pct"]] for r in _mine(prov, "spse_pencatatan_nontender_realisasi"))


# ------------------------------------------------------------------------------ 2. repeated facts
def test_nontender_bapbast_publishes_every_payment_twice(prov, clean):
    rows = _mine(prov, "spse_nontender_ekontrak_bapbast")
    assert len(rows) == 2 * len(_mine(clean, "spse_nontender_ekontrak_bapbast"))
    by_fact = defaultdict(list)
    for r in rows:
        by_fact[json.dumps({k: v for k, v in r.items() if k != "_event_date"}, sort_keys=True)].append(r["_event_date"])
    assert all(sorted(v) == ["2025-09-01", "2025-09-02"] for v in by_fact.values())
    part = _part(prov, "spse_nontender_ekontrak_bapbast")
    assert part["n_collapsible_copies"] == len(by_fact) == len(rows) // 2
    assert part["n_expected_loaded"] == len(by_fact)
    assert _part(prov, "spse_tender_ekontrak_bapbast")["n_collapsible_copies"] == 0  # tender feed is clean


def test_pencatatan_realisasi_repeated_once_per_kd_rup_paket(prov):
    hdr = {r["kd_nontender_pct"]: r["kd_rup"] for r in _mine(prov, "spse_pencatatan_nontender")}
    multi = {k for k, v in hdr.items() if ";" in v}
    rows = _mine(prov, "spse_pencatatan_nontender_realisasi")
    copies = Counter((r["kd_nontender_pct"], r["no_realisasi"], r["tgl_realisasi"], r["nilai_realisasi"])
                     for r in rows if r["kd_nontender_pct"] in multi)
    assert copies and all(n == hdr[k[0]].count(";") + 1 for k, n in copies.items())
    assert all(";" not in r["kd_rup_paket"] for r in rows)
    assert _part(prov, "spse_pencatatan_nontender_realisasi")["n_collapsible_copies"] == \
        sum(n - 1 for n in copies.values()) >= 1


# ------------------------------------------------------------------------------ 3. same key, other value
def test_ekontrak_near_duplicates_differ_in_one_field(prov):
    for name in ("spse_tender_ekontrak_kontrak", "spse_nontender_ekontrak_kontrak"):
        pkg = "kd_tender" if "_tender_" in name else "kd_nontender"
        groups = defaultdict(list)
        for r in _mine(prov, name):
            groups[(r[pkg], r["versi_addendum"])].append(r)
        dup = {k: v for k, v in groups.items() if len(v) > 1}
        assert 1 <= len(dup) <= 3, name
        laggards = {p["kd_satker_str"] for p in prov.ground_truth["klpd"][KLPD]["ekontrak"]["lagging"]}
        for (kd, versi), (a, b) in dup.items():
            assert [f for f in a if a[f] != b[f]] == ["jabatan_wakil_penyedia"]
            # quarantining both copies leaves the contract another version, or it is an e-kontrak laggard
            assert any(k == kd and v != versi for k, v in groups) or a["kd_satker_str"] in laggards
        part = _part(prov, name)
        assert sorted(tuple(x["key"]) for x in part["same_key_different"]) == sorted(dup)
        assert all(x["fields"] == ["jabatan_wakil_penyedia"] and x["n_rows"] == 2 for x in part["same_key_different"])
        assert part["n_same_key_different_rows"] == 2 * len(dup)
        assert part["n_expected_loaded"] == len(_mine(prov, name)) - 2 * len(dup)


# ------------------------------------------------------------------------------ 4. repeated budget line
def test_budget_line_repeated_with_other_pagu_and_sum_kept(prov, clean):
    rows = _mine(prov, "rup_paket_anggaran_penyedia")
    groups = defaultdict(list)
    for r in rows:
        groups[(r["kd_rup"], r["mak"], r["sumber_dana"])].append(r)
    rep = {k: v for k, v in groups.items() if len(v) > 1}
    assert len(rep) == 3
    for k, (a, b) in rep.items():
        assert a["pagu"] != b["pagu"] and [f for f in a if a[f] != b[f]] == ["pagu"]
    part = _part(prov, "rup_paket_anggaran_penyedia")
    sums = defaultdict(int)
    for r in rows:
        sums[r["kd_rup"]] += r["pagu"]
    assert part["pagu_by_kd_rup"] == {str(k[0]): sums[k[0]] for k in sorted(rep)}
    assert part["pagu_total"] == sum(sums.values()) == sum(r["pagu"] for r in _mine(clean, "rup_paket_anggaran_penyedia"))
    assert part["n_same_key_different_rows"] == 0 and part["n_expected_loaded"] == len(rows)
    assert sorted(tuple(x["key"]) for x in part["repeated_lines"]) == sorted(rep)


# ------------------------------------------------------------------------------ 5. 404 endpoints
def test_unavailable_endpoints_are_declared(prov):
    assert prov.unavailable == {"inaproc_v1": ["rup_struktur_anggaran", "spse_nontender_ekontrak_kontrak",
                                               "spse_nontender_ekontrak_bapbast", "bela_toko_daring"], "isb": []}
    assert set(prov.unavailable["inaproc_v1"]) <= set(SPECS)
    assert prov.ground_truth["unavailable"] == prov.unavailable


# ------------------------------------------------------------------------------ ground truth stays honest
def test_quirks_change_no_lagging_pd_and_the_figures_count_each_fact_once(prov, clean):
    t, c = prov.ground_truth["klpd"][KLPD], clean.ground_truth["klpd"][KLPD]
    assert t["violations"] == [] and t["lagging_pds"] == c["lagging_pds"]
    for section in ("epurchasing", "penyerapan", "ekontrak", "sirup"):
        assert [p["kd_satker_str"] for p in t[section]["lagging"]] == [p["kd_satker_str"] for p in c[section]["lagging"]]
    for pd, figures in c["per_pd"].items():  # doubled payments and per-kd_rup copies never add to paid
        assert t["per_pd"][pd]["paid"] == pytest.approx(figures["paid"], abs=0.01), pd
        assert t["per_pd"][pd]["ep_ratio"] == figures["ep_ratio"]
    # every partition adds up: expected loaded + collapsed + quarantined = rows emitted
    for name in DATASETS:
        x = _part(prov, name)
        assert x["n_rows"] == len(_mine(prov, name))
        assert x["n_expected_loaded"] + x["n_collapsible_copies"] + x["n_same_key_different_rows"] == x["n_rows"]
