"""compute_many spread over several backends: same rows as one backend, one snapshot, all or nothing."""
from __future__ import annotations

import threading

import pytest

from pantau import db, metrics
from pantau.metrics import runner

from test_itkp import TAHUN, order, rup  # noqa: E402  (same folder; pytest rootdir-relative import)

KLPDS = [f"D{i}" for i in range(1, 8)]
MART = ("itkp_component", "itkp_total", "epurchasing_share", "penyerapan", "lagging", "lagging_package")


def _province(hist) -> None:
    """Seven KLPDs of different shapes, so that each batch computes something different."""
    for i, k in enumerate(KLPDS, start=1):
        hist("rup_paket", *[rup(i * 100 + j, 100 * (j + 1), kd_klpd=k, pd=f"P{j % 3}",
                                metode=("Tender", "E-Purchasing", "Pengadaan Langsung")[j % 3])
                            for j in range(i + 2)])
        hist("epurchasing_order", *[order(f"{k}-{j}", ("COMPLETED", "ON_PROCESS")[j % 2], kd_klpd=k,
                                          pd=f"P{j % 3}", nilai=10 * (j + i), kd_rup=i * 100 + j)
                                    for j in range(i)])


def _mart_rows(fetch) -> dict[str, list]:
    """Every mart row keyed by KLPD (run ids differ between runs of different configs only)."""
    out = {}
    for t in MART:
        rows = fetch(f"SELECT * FROM mart.{t}")
        out[t] = sorted((tuple((k, v) for k, v in sorted(r.items()) if k != "metric_run_id") for r in rows),
                        key=repr)
    return out


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(runner, "MIN_KLPD_PER_WORKER", 1)


def test_n_workers_keeps_small_runs_on_one_backend(monkeypatch):
    monkeypatch.delenv("PANTAU_METRICS_WORKERS", raising=False)
    assert runner.n_workers(None, 1) == 1
    assert runner.n_workers(4, runner.MIN_KLPD_PER_WORKER * 2) == 2
    assert runner.n_workers(3, 10_000) == 3
    monkeypatch.setenv("PANTAU_METRICS_WORKERS", "1")
    assert runner.n_workers(None, 10_000) == 1


def test_three_backends_give_the_rows_of_one(hist, fetch, warehouse_url, small_batches):
    _province(hist)
    one = metrics.compute_many(None, TAHUN, "2023-12-31", workers=1)
    rows_one = _mart_rows(fetch)
    three = metrics.compute_many(None, TAHUN, "2023-12-31", workers=3)
    assert sorted(one) == sorted(three) == KLPDS
    assert one == three                       # same key → same run ids, rows replaced
    assert _mart_rows(fetch) == rows_one
    assert all(rows_one[t] for t in ("itkp_component", "penyerapan", "epurchasing_share"))
    assert fetch("SELECT count(DISTINCT kd_klpd) AS n FROM mart.itkp_total") == [{"n": len(KLPDS)}]


def test_a_failing_batch_rolls_back_every_batch(hist, fetch, warehouse_url, small_batches, monkeypatch):
    _province(hist)
    real = runner._compute_batch

    def failing(cur, klpds, *args):
        if "D3" in klpds:
            raise RuntimeError("injected failure in the batch holding D3")
        return real(cur, klpds, *args)

    monkeypatch.setattr(runner, "_compute_batch", failing)
    with pytest.raises(RuntimeError, match="D3"):
        metrics.compute_many(None, TAHUN, "2023-12-31", workers=3)
    assert fetch("SELECT count(*) AS n FROM mart.metric_run") == [{"n": 0}]
    for t in MART:
        assert fetch(f"SELECT count(*) AS n FROM mart.{t}") == [{"n": 0}], t


def test_helpers_read_the_leaders_snapshot(hist, fetch, warehouse_url, small_batches, monkeypatch):
    """A history row committed while the leader is already computing is seen by no batch."""
    _province(hist)
    real = runner._compute_batch
    lock, done = threading.Lock(), threading.Event()

    def commit_late_row_first(cur, klpds, *args):
        with lock:  # every batch starts only after the writer has committed
            if not done.is_set():
                conn = db.connect(warehouse_url)   # an unrelated writer, committing mid-run
                with conn, conn.cursor() as c:
                    c.execute("""UPDATE history.rup_paket SET pagu = pagu * 1000
                                 WHERE tahun_anggaran = %s AND valid_to IS NULL""", (TAHUN,))
                conn.close()
                done.set()
        return real(cur, klpds, *args)

    monkeypatch.setattr(runner, "_compute_batch", commit_late_row_first)
    metrics.compute_many(None, TAHUN, "2023-12-31", workers=3)
    pagu = fetch("""SELECT t.kd_klpd, t.pagu_rup FROM mart.epurchasing_share t
                    WHERE t.period = 'YTD' AND t.kd_satker_str IS NULL ORDER BY 1""")
    # pagu from _province: KLPD i has packages j = 0..i+1 with pagu 100 (j + 1), all announced
    expected = {f"D{i}": sum(100 * (j + 1) for j in range(i + 2)) for i in range(1, 8)}
    assert {r["kd_klpd"]: int(r["pagu_rup"]) for r in pagu} == expected
