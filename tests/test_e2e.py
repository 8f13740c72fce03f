"""End to end: every DAG of the project, in order, with `dag.test()`, against a real PostgreSQL and
the local source simulator; the final circular is checked against the generator's ground truth
(which PDs it made lagging, their figures and their packages)."""
from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from pantau import db
from pantau.config import OUTPUT_DIR

SCALE = 0.2
SNAPSHOT = dt.date(2025, 11, 30)
KLPD = "D197"


@pytest.fixture(scope="module")
def e2e(pg_server_url, _template_db, _migrated_database):
    """Run the five DAGs once for the module; yield what the checks need."""
    from pantau import airflow_env, demo
    from pantau.simulator.generator import generate

    with _migrated_database(pg_server_url, _template_db) as url:
        mp = pytest.MonkeyPatch()
        # The Airflow home conftest set before Airflow was first imported in this process: Airflow
        # reads its metadata DB location once, so a second home would not be seen.
        home = Path(os.environ["AIRFLOW_HOME"])
        for k, v in airflow_env.airflow_env(url, home).items():
            mp.setenv(k, v)
        demo.ensure_airflow_db()
        province = generate(seed=2025, scale=SCALE, tahun=2025)
        with demo.serve_province(province, 2025):
            states = demo.run_dags(2025, SNAPSHOT)
        with db.connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT report_id, path, metric_run_id FROM audit.report WHERE kd_klpd = %s "
                        "ORDER BY created_at DESC LIMIT 1", (KLPD,))
            report = cur.fetchone()
        yield {"url": url, "states": states, "province": province,
               "truth": province.ground_truth["klpd"][KLPD], "report": report}
        mp.undo()


def _lagging(url: str, rule: str) -> dict[str, Decimal]:
    with db.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT l.kd_satker_str, l.measured FROM mart.lagging l "
                    "JOIN mart.metric_run r USING (metric_run_id) "
                    "WHERE r.kd_klpd = %s AND r.as_of = %s AND l.rule = %s", (KLPD, SNAPSHOT, rule))
        return dict(cur.fetchall())


def _packages(url: str, rule: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    with db.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT p.kd_satker_str, p.package_id FROM mart.lagging_package p "
                    "JOIN mart.metric_run r USING (metric_run_id) "
                    "WHERE r.kd_klpd = %s AND r.as_of = %s AND p.rule = %s", (KLPD, SNAPSHOT, rule))
        for pd, pkg in cur.fetchall():
            out.setdefault(pd, set()).add(str(pkg))
    return out


@pytest.fixture(scope="module")
def pdf_text(e2e) -> str:
    path = OUTPUT_DIR / e2e["report"][1]
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return re.sub(r"\s+", " ", out.stdout)


def test_every_dag_succeeds(e2e):
    assert e2e["states"] == {d: "success" for d in
                             ("extract_sirup", "extract_spse", "extract_ekatalog", "compute_metrics", "render_circulars")}


def test_epurchasing_lagging_pds_and_packages_match_ground_truth(e2e):
    truth = {p["kd_satker_str"]: p for p in e2e["truth"]["epurchasing"]["lagging"]}
    flagged = _lagging(e2e["url"], "epurchasing_paid_not_selesai")
    assert set(flagged) == set(truth)
    packages = _packages(e2e["url"], "epurchasing_paid_not_selesai")
    for pd, t in truth.items():
        expected = set(t["delivered_not_closed"]) | {str(x) for x in t["v5_delivered_not_closed"]}
        assert packages[pd] == expected, pd
        assert flagged[pd] == len(expected)


def test_epurchasing_ratio_per_pd_matches_ground_truth(e2e):
    with db.connect(e2e["url"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT c.kd_satker_str, c.numerator, c.denominator FROM mart.itkp_component c "
                    "JOIN mart.metric_run r USING (metric_run_id) WHERE r.kd_klpd = %s AND r.as_of = %s "
                    "AND c.component = 'e_purchasing' AND c.kd_satker_str IS NOT NULL", (KLPD, SNAPSHOT))
        measured = {pd: (int(n), int(d)) for pd, n, d in cur.fetchall()}
    for pd, figures in e2e["truth"]["per_pd"].items():
        if figures.get("ep_aktif"):
            assert measured[pd] == (figures["ep_selesai"], figures["ep_aktif"]), pd


def test_ekontrak_missing_matches_ground_truth(e2e):
    truth = {p["kd_satker_str"]: p for p in e2e["truth"]["ekontrak"]["lagging"]}
    assert set(_lagging(e2e["url"], "ekontrak_missing")) == set(truth)
    packages = _packages(e2e["url"], "ekontrak_missing")
    for pd, t in truth.items():
        assert packages[pd] == {str(m["kd_paket_spse"]) for m in t["missing_kontrak"]}, pd


def test_penyerapan_lagging_pds_flagged_with_their_figures(e2e):
    flagged = _lagging(e2e["url"], "penyerapan_low")
    for t in e2e["truth"]["penyerapan"]["lagging"]:
        assert t["kd_satker_str"] in flagged
        assert float(flagged[t["kd_satker_str"]]) == pytest.approx(t["paid_pct"] * 100, abs=0.01)


def test_circular_lists_lagging_pds_and_their_packages(e2e, pdf_text):
    truth = e2e["truth"]
    v6 = {r["kd_paket"]: r for r in e2e["province"].datasets["ecat_paket_v6"]}
    for section in ("epurchasing", "penyerapan", "ekontrak"):
        for pd in truth[section]["lagging"]:
            assert pd["nama_satker"].upper() in pdf_text.upper(), pd["nama_satker"]
    for pd in truth["epurchasing"]["lagging"]:
        for kd_paket in pd["delivered_not_closed"][:5]:
            assert str(v6[kd_paket]["kd_rup"]) in pdf_text, (pd["nama_satker"], kd_paket)
    assert "Selesaikan pembayaran di Katalog Elektronik v6" in pdf_text or "Konfirmasi Pesanan" in pdf_text
    assert "30 November 2025" in pdf_text
    assert re.search(r"Rp\d{1,3}(\.\d{3})+", pdf_text)


def test_registered_circular_verifies(e2e):
    path = str(OUTPUT_DIR / e2e["report"][1])
    out = subprocess.run([sys.executable, "-m", "pantau.cli", "verify", path], capture_output=True, text=True,
                         env={**os.environ, "PANTAU_WAREHOUSE_URL": e2e["url"]})
    assert out.returncode == 0, out.stdout + out.stderr
