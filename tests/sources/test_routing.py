"""Routing per dataset and year with fallback, 404 as "endpoint not available", overrides, ISB registry.

Real parts only: the simulator over HTTP on 127.0.0.1, a real PostgreSQL for raw.fetch, and the
real Airflow SDK `Variable.get` (it reads `AIRFLOW_VAR_PANTAU_ROUTING`, as in a worker).
Issue 14 points 3 (routing/404) and 12a (ISB registry keys and messages).
"""
from __future__ import annotations

import json
import time
from typing import Any, Iterator

import pytest

from pantau.simulator.server import SimulatorHandle, start_simulator
from pantau.sources import errors as E
from pantau.sources.extract import extract_partition
from pantau.sources.raw import read_fetch
from pantau.sources import routing
from pantau.sources.routing import resolve

TOKEN = "inprc0123456789abcdef0123456789abcdef"
STRUKTUR = "rup_struktur_anggaran"
STRUKTUR_PATH = "/api/v1/rup/struktur-anggaran-pd"
PAKET = "rup_paket_penyedia"
SPSE = "spse_tender_pengumuman"


def struktur_rows(tahun: int, n: int = 6) -> list[dict[str, Any]]:
    return [{"tahun_anggaran": tahun, "kd_klpd": "D197", "kd_satker": 60400 + i,
             "kd_satker_str": f"1.01.0.00.0.00.{i:02d}.0000", "belanja_operasi": 1_000_000 * i,
             "belanja_modal": 500_000, "total_belanja": 1_000_000 * i + 500_000} for i in range(n)]


def paket_rows(tahun: int, n: int = 4) -> list[dict[str, Any]]:
    return [{"tahun_anggaran": tahun, "kd_klpd": "D197", "kd_rup": 56_000_000 + i, "pagu": 1000 + i}
            for i in range(n)]


def spse_rows(tahun: int, kd_lpse: int, n: int = 3) -> list[dict[str, Any]]:
    return [{"tahun_anggaran": tahun, "kd_lpse": kd_lpse, "kd_tender": 10_000 + i} for i in range(n)]


@pytest.fixture
def clean_env(monkeypatch, tmp_path) -> Any:
    """No routing override, no registry, no INAPROC settings leaking in from the shell."""
    for name in ("PANTAU_ROUTING", "AIRFLOW_VAR_PANTAU_ROUTING", "PANTAU_ISB_URLS_FILE",
                 "PANTAU_INAPROC_URL", "PANTAU_INAPROC_TOKEN", "AIRFLOW_CONN_PANTAU_INAPROC"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def gsim(clean_env, tmp_path) -> Iterator[SimulatorHandle]:
    """A simulator whose INAPROC does not serve struktur anggaran (as LKPP's did not), pointed to by env."""
    data = {STRUKTUR: struktur_rows(2025) + struktur_rows(2024, 2), PAKET: paket_rows(2025) + paket_rows(2024, 2),
            "rup_master_satker": [{"kd_klpd": "D197", "kd_satker": 1, "tahun_anggaran": 2024}],
            SPSE: spse_rows(2024, 97) + spse_rows(2024, 93, 5)}
    handle = start_simulator(data, token=TOKEN, unavailable={"inaproc_v1": [STRUKTUR]})
    registry = handle.isb_url_registry({"klpd": ["D197"], "lpse": [97]})
    (tmp_path / "isb.json").write_text(json.dumps(registry))
    clean_env.setenv("PANTAU_ISB_URLS_FILE", str(tmp_path / "isb.json"))
    clean_env.setenv("PANTAU_INAPROC_URL", handle.inaproc_url)
    clean_env.setenv("PANTAU_INAPROC_TOKEN", TOKEN)
    import airflow.sdk  # noqa: F401 - imported once here, so timings below measure HTTP, not imports
    yield handle
    handle.stop()


def fetches(conn) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute("SELECT source_system, status, http_status, error_class, n_rows, error FROM raw.fetch "
                    "ORDER BY fetch_id")
        out = cur.fetchall()
    conn.rollback()
    return out


def hits(sim: SimulatorHandle, fragment: str) -> list[dict[str, Any]]:
    return [r for r in sim.requests() if fragment in r["path"]]


# -- point 3: fallback on 404 -------------------------------------------------------------------
def test_inaproc_404_falls_back_to_isb_and_lands_isb_rows(warehouse_url, conn, gsim):
    res = extract_partition(STRUKTUR, "D197", 2025)
    assert (res.source_system, res.status, res.n_rows) == ("isb", "ok", 6)
    assert read_fetch(res.fetch_id).source_system == "isb"
    assert read_fetch(res.fetch_id).records == struktur_rows(2025)
    assert len(res.fallbacks) == 1 and res.fallbacks[0].startswith("inaproc_v1: endpoint not available (HTTP 404")
    rows = fetches(conn)
    assert [r[:5] for r in rows] == [("inaproc_v1", "failed", 404, "InaprocEndpointNotAvailable", None),
                                     ("isb", "ok", 200, None, 6)]
    assert "endpoint not available" in rows[0][5] and STRUKTUR in rows[0][5] and "tahun 2025" in rows[0][5]
    assert [r["status"] for r in hits(gsim, "struktur-anggaran-pd")] == [404]  # tried once, never retried
    assert [r["status"] for r in hits(gsim, "RUP-StrukturAnggaranPD")] == [200]
    other = extract_partition(PAKET, "D197", 2025)  # a dataset INAPROC serves stays on INAPROC
    assert other.source_system == "inaproc_v1" and other.fallbacks == ()


def test_404_without_fallback_is_endpoint_not_available_at_once(warehouse_url, conn, gsim, clean_env):
    clean_env.setenv("PANTAU_ROUTING", json.dumps({STRUKTUR: {"2025": ["inaproc_v1"]}}))
    t0 = time.monotonic()
    with pytest.raises(E.EndpointNotAvailable) as ei:
        extract_partition(STRUKTUR, "D197", 2025)
    assert time.monotonic() - t0 < 1.0  # sources.yaml allows 5 retries with backoff: none were made
    err = ei.value
    assert err.http_status == 404 and err.tahun == 2025 and err.dataset == STRUKTUR and err.instansi == "D197"
    msg = str(err)
    assert "endpoint not available" in msg and STRUKTUR_PATH in msg and "tahun 2025" in msg and "D197" in msg
    assert TOKEN not in msg
    assert len(hits(gsim, "struktur-anggaran-pd")) == 1
    [(system, status, http_status, cls, _, _)] = fetches(conn)
    assert (system, status, http_status, cls) == ("inaproc_v1", "failed", 404, "InaprocEndpointNotAvailable")
    assert err.fetch_id is not None


def test_every_candidate_404_names_each_attempt(warehouse_url, conn, gsim):
    gsim.set_unavailable({"inaproc_v1": [STRUKTUR], "isb": ["RUP-StrukturAnggaranPD"]})
    with pytest.raises(E.EndpointNotAvailable) as ei:
        extract_partition(STRUKTUR, "D197", 2025)
    msg = str(ei.value)
    assert ei.value.source_system == "inaproc_v1+isb" and len(ei.value.attempts) == 2
    assert "inaproc_v1: endpoint not available" in msg and "isb: endpoint not available" in msg
    assert "/isb-2/api/***/json/" in msg  # the ISB key is redacted
    assert [(r[0], r[1], r[2]) for r in fetches(conn)] == [("inaproc_v1", "failed", 404), ("isb", "failed", 404)]


def test_unconfigured_fallback_is_named_in_the_404_error(warehouse_url, conn, gsim, clean_env, tmp_path):
    (tmp_path / "empty.json").write_text("{}")
    clean_env.setenv("PANTAU_ISB_URLS_FILE", str(tmp_path / "empty.json"))
    with pytest.raises(E.EndpointNotAvailable) as ei:
        extract_partition(STRUKTUR, "D197", 2025)
    msg = str(ei.value)
    assert "inaproc_v1: endpoint not available" in msg and "isb: not configured" in msg
    assert "RUP-StrukturAnggaranPD" in msg and "D197" in msg


# -- point 3: overrides without editing the repo -------------------------------------------------
def test_env_override_changes_one_dataset_for_one_year(warehouse_url, conn, gsim, clean_env):
    clean_env.setenv("PANTAU_ROUTING", json.dumps({"RUP-PaketPenyedia-Terumumkan": {"2025": ["isb"]}}))
    assert routing.candidate_sources(PAKET, 2025) == ["isb"]
    assert routing.candidate_sources(PAKET, 2026) == ["inaproc_v1", "isb"]  # other year: sources.yaml
    assert routing.candidate_sources("rup_master_satker", 2025) == ["inaproc_v1", "isb"]  # other dataset
    res = extract_partition(PAKET, "D197", 2025)
    assert res.source_system == "isb" and read_fetch(res.fetch_id).records == paket_rows(2025)
    assert hits(gsim, "/api/v1/") == []


def test_airflow_variable_override_wins_over_env_for_one_dataset_and_year(warehouse_url, conn, gsim, clean_env):
    clean_env.setenv("PANTAU_ROUTING", json.dumps({"rup_master_satker": {"*": ["isb"]}}))
    clean_env.setenv("AIRFLOW_VAR_PANTAU_ROUTING", json.dumps(
        [{"dataset": "RUP-MasterSatker", "tahun": 2024, "source": "inaproc_v1"}]))
    assert routing.candidate_sources("rup_master_satker", 2024) == ["inaproc_v1"]  # Variable first
    assert routing.candidate_sources("rup_master_satker", 2023) == ["isb"]  # env for the other years
    assert routing.candidate_sources(PAKET, 2024) == ["isb"]  # sources.yaml for other datasets
    assert resolve("rup_master_satker", "D197", 2024).source_system == "inaproc_v1"
    res = extract_partition("rup_master_satker", "D197", 2024)
    assert res.source_system == "inaproc_v1" and len(hits(gsim, "/api/v1/rup/master-satker")) == 1


@pytest.mark.parametrize("value, expected", [
    ("{not json", "Airflow Variable pantau_routing is not valid JSON"),
    (json.dumps({"rup_paket_penyedia": {"2025": ["isbx"]}}), "unknown source(s) ['isbx']"),
    (json.dumps({"rup_paket_typo": ["isb"]}), "unknown dataset 'rup_paket_typo'"),
])
def test_bad_override_is_a_named_config_error(clean_env, value, expected):
    clean_env.setenv("AIRFLOW_VAR_PANTAU_ROUTING", value)
    with pytest.raises(E.SourceConfigError) as ei:
        routing.candidate_sources(PAKET, 2025)
    assert expected in str(ei.value) and "pantau_routing" in str(ei.value)


# -- point 12a: ISB registry keyed as LKPP names things -----------------------------------------
def test_registry_keyed_by_isb_names_and_by_kd_klpd_for_spse(warehouse_url, conn, gsim, clean_env, tmp_path):
    registry = {"RUP-PaketPenyedia-Terumumkan": {"D197": gsim.isb_url(PAKET, "D197", "{tahun}")},
                "SPSE-TenderPengumuman": {"D197": gsim.isb_url(SPSE, 97, "{tahun}")}}
    (tmp_path / "isb.yaml").write_text(json.dumps(registry))
    clean_env.setenv("PANTAU_ISB_URLS_FILE", str(tmp_path / "isb.yaml"))
    plan = resolve(SPSE, "D197", 2024)
    assert (plan.source_system, plan.kd_lpse, plan.instansi) == ("isb", 97, "D197/LPSE 97")
    assert extract_partition(SPSE, "D197", 2024).n_rows == 3  # LPSE 97's rows only
    assert extract_partition(PAKET, "D197", 2024).n_rows == 2


def test_missing_isb_url_names_dataset_instansi_and_year(clean_env, gsim):
    url_d197 = gsim.isb_url(PAKET, "D197", "{tahun}")
    cases = [
        ({}, PAKET, "D107", ["rup_paket_penyedia (ISB RUP-PaketPenyedia-Terumumkan)", "no entry for dataset",
                             "D107", "tahun 2024"]),
        ({"SPSE-TenderPengumuman": {"97": gsim.isb_url(SPSE, 97, "{tahun}")}}, SPSE, "D107",
         ["spse_tender_pengumuman (ISB SPSE-TenderPengumuman)", "no instansi key 93 or D107", "it has: ['97']",
          "tahun 2024"]),
        ({PAKET: {"D197": gsim.isb_url(PAKET, "D197", 2023)}}, PAKET, "D197",
         ["is for another year: it has tahun 2023", "wanted 2024", "RUP-PaketPenyedia-Terumumkan"]),
        ({PAKET: {"D197": {"2023": url_d197}}}, PAKET, "D197", ["only for tahun ['2023']", "tahun 2024"]),
        ({PAKET: {"D197": gsim.isb_url(PAKET, "D107", "{tahun}")}}, PAKET, "D197",
         ["another instansi", "wanted D197"]),
    ]
    for registry, dataset, kd_klpd, expected in cases:
        with pytest.raises(E.SourceConfigError) as ei:
            resolve(dataset, kd_klpd, 2024, registry=registry)
        assert all(s in str(ei.value) for s in expected), (str(ei.value), expected)


def test_inaproc_connection_wins_over_env(monkeypatch):
    """Issue 14 point 11: a `pantau_inaproc` Connection (as Airflow finds it in a worker) is read
    before the env vars, so a stale PANTAU_INAPROC_TOKEN cannot shadow what the operator set."""
    monkeypatch.setenv("PANTAU_INAPROC_URL", "http://127.0.0.1:9/env-api")
    monkeypatch.setenv("PANTAU_INAPROC_TOKEN", "env-token")
    monkeypatch.setenv("AIRFLOW_CONN_PANTAU_INAPROC", json.dumps(
        {"conn_type": "http", "host": "https://data.example.test/api", "password": "conn-token"}))
    assert routing.inaproc_credentials() == ("https://data.example.test/api", "conn-token")
    monkeypatch.delenv("AIRFLOW_CONN_PANTAU_INAPROC")
    assert routing.inaproc_credentials() == ("http://127.0.0.1:9/env-api", "env-token")


@pytest.mark.parametrize("conn_value", [
    "https://:tok-en@data.example.test/api",
    json.dumps({"conn_type": "http", "host": "https://data.example.test/api", "password": "tok-en"}),
])
def test_inaproc_connection_in_uri_or_json_form_gives_the_same_base_url(monkeypatch, conn_value):
    """A URI-form Connection is split by Airflow into conn_type/host/schema: the scheme must come
    back from conn_type and the path from schema (not `api://…`)."""
    monkeypatch.delenv("PANTAU_INAPROC_URL", raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_PANTAU_INAPROC", conn_value)
    assert routing.inaproc_credentials() == ("https://data.example.test/api", "tok-en")


def test_a_404_before_a_fallback_is_a_warning_not_an_error(warehouse_url, conn, gsim, caplog):
    """The partition loads from ISB: the INAPROC 404 before it must not print a red ERROR line."""
    import logging

    with caplog.at_level(logging.INFO, logger="pantau.sources.extract"):
        res = extract_partition(STRUKTUR, "D197", 2025)
    assert res.source_system == "isb" and res.fallbacks
    records = [r for r in caplog.records if r.name == "pantau.sources.extract"]
    assert any("endpoint not available" in r.getMessage() for r in records)
    assert not [r.getMessage() for r in records if r.levelno >= logging.ERROR]
