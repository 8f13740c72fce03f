"""Unit tests for issue 14 points 2 and 10 and the partition status table (point 1).

- `pantau.failures.is_permanent` on real exception objects of the source, validation and load
  layers: deterministic errors fail at once, transient ones keep their backoff retries.
- `pantau.dagkit.run_scope` / `metric_runs` on the Airflow SDK's own triggering-event objects
  (`TriggeringAssetEventsAccessor` of `AssetEventDagRunReferenceResult`), not mocks.
- `pantau.partition_status` against a real PostgreSQL.
"""
from __future__ import annotations

import datetime as dt

import pytest

from pantau import dagkit, failures, partition_status
from pantau.sources import errors as E

UTC = dt.timezone.utc


# -- point 2: which errors are retried ---------------------------------------------------------
def _raise_in_config() -> KeyError:
    """A KeyError raised from inside a configuration module (pantau.pipeline reads pantau.yaml)."""
    from pantau import pipeline

    try:
        pipeline.family_datasets("no-such-family")
    except KeyError as err:
        return err
    raise AssertionError("expected a KeyError")


@pytest.mark.parametrize("exc", [
    E.InaprocClientError("not found", dataset="rup_master_satker", http_status=404),
    E.InaprocClientError("bad request", http_status=400),
    E.InaprocAuthError("token expired", http_status=401),
    E.IsbAuthError("forbidden", http_status=403),
    E.SourceConfigError("no ISB URL for rup_master_satker D197"),
    E.RepeatingCursor("cursor abc seen twice"),
    E.TooManyPages("more than 10000 pages"),
    E.FetchNotUsable("fetch 7 failed"),
    E.IsbUrlNotDefined("URL-NOT-DEFINED"),
], ids=lambda e: f"{type(e).__name__}-{e.http_status}" if isinstance(e, E.SourceError) else type(e).__name__)
def test_deterministic_source_errors_are_permanent(exc):
    assert failures.is_permanent(exc)


def test_validation_load_and_config_errors_are_permanent():
    from pantau.load import LoadError
    from pantau.validate import CriticalValidationError

    assert failures.is_permanent(CriticalValidationError("spse_tender_pengumuman", "D197", 2025, [], fetch_id=3))
    assert failures.is_permanent(LoadError("fetch 9 is not in raw.fetch"))
    assert failures.is_permanent(_raise_in_config())

    class UnknownInstansi(ValueError):
        pass

    assert failures.is_permanent(UnknownInstansi("D999 not in pantau.yaml"))


@pytest.mark.parametrize("exc", [
    E.InaprocRateLimited("slow down", http_status=429, retry_after=3),
    E.InaprocServerError("bad gateway", http_status=502),
    E.SourceServerError("service unavailable", http_status=503),
    E.SourceTimeout("read timeout"),
    E.SourceTransportError("connection reset"),
    TimeoutError("timed out"),
    ConnectionRefusedError("refused"),
], ids=lambda e: type(e).__name__)
def test_transient_errors_are_retried(exc):
    assert not failures.is_permanent(exc)


def test_value_error_outside_config_is_retried():
    """A ValueError from elsewhere (e.g. a library) is not known to be deterministic."""
    assert not failures.is_permanent(ValueError("something odd"))
    import psycopg2

    assert not failures.is_permanent(psycopg2.OperationalError("server closed the connection unexpectedly"))


def test_guarded_turns_permanent_errors_into_fail_exceptions():
    from airflow.sdk.exceptions import AirflowFailException

    from pantau.extract_dag import guarded

    def not_found():
        raise E.InaprocClientError("gone", dataset="bela_toko_daring", http_status=404)

    def bad_gateway():
        raise E.InaprocServerError("bad gateway", http_status=502)

    with pytest.raises(AirflowFailException, match="bela_toko_daring"):
        guarded(not_found)
    with pytest.raises(E.InaprocServerError):
        guarded(bad_gateway)
    assert guarded(lambda: 7) == 7


# -- point 10: scope from the triggering asset events ------------------------------------------
def _event(asset, extra, minute: int):
    from airflow.sdk.execution_time.comms import AssetEventDagRunReferenceResult

    return AssetEventDagRunReferenceResult(
        asset={"name": asset.name, "uri": asset.uri, "extra": {}}, extra=extra, source_task_id="publish",
        source_dag_id="extract_sirup", source_run_id="manual__x", source_map_index=-1, source_aliases=[],
        timestamp=dt.datetime(2026, 12, 1, 3, minute, tzinfo=UTC))


def _context(events, params=None, conf=None):
    from airflow.sdk.execution_time.context import TriggeringAssetEventsAccessor

    class DagRun:  # the two attributes run_scope reads of the SDK's DagRun
        run_after = dt.datetime(2026, 12, 2, 1, tzinfo=UTC)

    DagRun.conf = conf or {}
    return {"params": params or {"tahun": None, "snapshot_date": None, "kd_klpd": None},
            "triggering_asset_events": TriggeringAssetEventsAccessor.build(events), "logical_date": None,
            "dag_run": DagRun()}


def test_extract_triggered_by_sirup_keeps_upstream_scope():
    sirup = dagkit.assets()["sirup"]
    ctx = _context([_event(sirup, {"tahun": 2024, "snapshot_date": "2024-12-31", "kd_klpd": ["D197"]}, 1)])
    scope = dagkit.run_scope(ctx)
    assert scope == dagkit.RunScope(2024, dt.date(2024, 12, 31), ["D197"])


def test_params_win_over_events():
    sirup = dagkit.assets()["sirup"]
    ctx = _context([_event(sirup, {"tahun": 2024, "snapshot_date": "2024-12-31", "kd_klpd": ["D197"]}, 1)],
                   params={"tahun": 2025, "snapshot_date": "2025-06-30", "kd_klpd": ["D198"]})
    assert dagkit.run_scope(ctx) == dagkit.RunScope(2025, dt.date(2025, 6, 30), ["D198"])


def test_metrics_scope_is_instansi_every_family_published():
    a = dagkit.assets()
    events = [
        _event(a["sirup"], {"tahun": 2025, "snapshot_date": "2025-11-30", "kd_klpd": ["D197", "D198"]}, 1),
        _event(a["spse"], {"tahun": 2025, "snapshot_date": "2025-11-30", "kd_klpd": ["D197"]}, 2),
        _event(a["spse"], {"tahun": 2025, "snapshot_date": "2025-11-30", "kd_klpd": ["D198"]}, 3),
        _event(a["ekatalog"], {"tahun": 2025, "snapshot_date": "2025-11-30", "kd_klpd": ["D197", "D199"]}, 4),
    ]
    scope = dagkit.run_scope(_context(events))
    assert scope.kd_klpd == ["D197"]
    assert (scope.tahun, scope.snapshot_date) == (2025, dt.date(2025, 11, 30))


def test_render_uses_the_metric_runs_of_the_event_never_today():
    metrics = dagkit.assets()["metrics"]
    runs = [{"kd_klpd": "D197", "tahun": 2025, "as_of": "2025-11-30", "metric_run_id": 41}]
    ctx = _context([_event(metrics, {"runs": runs}, 5)])
    assert dagkit.metric_runs(ctx) == runs
    assert dagkit.metric_runs(_context([])) is None  # started by hand: configured instansi
    with pytest.raises(ValueError, match="no metric runs"):
        dagkit.metric_runs(_context([_event(metrics, {}, 5)]))


def test_deliver_option_travels_with_the_chain():
    metrics = dagkit.assets()["metrics"]
    ctx = _context([_event(metrics, {"runs": [], "deliver": False}, 5)])
    assert dagkit.run_option(ctx, "deliver", True) is False
    assert dagkit.run_option(_context([], conf={"deliver": True}), "deliver", False) is True
    assert dagkit.run_option(_context([]), "deliver", True) is True


def test_unknown_requested_instansi_is_an_error():
    """A kd_klpd missing from pantau.yaml must fail the plan, not plan nothing (a green run)."""
    from pantau import pipeline

    with pytest.raises(Exception, match="D999"):
        pipeline.plan_partitions("sirup", 2025, ["D999"])
    assert {p["kd_klpd"] for p in pipeline.plan_partitions("sirup", 2025, ["D197"])} == {"D197"}


# -- point 1: partition status table -----------------------------------------------------------
def test_partition_status_keeps_counts_and_names_the_failure(warehouse_url):
    part = {"dataset": "bela_toko_daring", "kd_klpd": "D197", "tahun": 2025}
    ok = {"dataset": "ecat_paket_v6", "kd_klpd": "D197", "tahun": 2025}
    key = "extract_ekatalog/manual__1"
    partition_status.record(key, "ekatalog", ok, "extract", "running", fetch_id=5, rows_raw=10)
    partition_status.record(key, "ekatalog", ok, "load", "loaded", load_id=2, rows_loaded=9, rows_quarantined=1)
    with pytest.raises(E.SourceError):
        with partition_status.tracked(key, "ekatalog", part, "extract"):
            raise E.InaprocClientError("gone", dataset="bela_toko_daring", http_status=404)
    rows = {r["dataset"]: r for r in partition_status.for_run(key)}
    assert rows["ecat_paket_v6"]["status"] == "loaded"
    assert (rows["ecat_paket_v6"]["fetch_id"], rows["ecat_paket_v6"]["rows_raw"], rows["ecat_paket_v6"]["rows_loaded"]) == (5, 10, 9)
    assert rows["bela_toko_daring"]["status"] == "endpoint_not_available"
    assert "bela_toko_daring" in rows["bela_toko_daring"]["reason"]
    assert rows["bela_toko_daring"]["error_class"] == "InaprocClientError"
    assert partition_status.for_run("other/run") == []


def test_summarize_counts_unfinished_partitions_as_failed():
    from pantau.extract_dag import failure_message, summarize

    planned = [{"dataset": d, "kd_klpd": "D197", "tahun": 2025} for d in ("a", "b", "c")]
    rows = [{"dataset": "a", "kd_klpd": "D197", "tahun": 2025, "stage": "load", "status": "loaded", "reason": None,
             "error_class": None, "fetch_id": 1, "load_id": 1, "rows_raw": 3, "rows_loaded": 3, "rows_quarantined": 0,
             "rows_collapsed": None},
            {"dataset": "b", "kd_klpd": "D197", "tahun": 2025, "stage": "normalize", "status": "running", "reason": None,
             "error_class": None, "fetch_id": 2, "load_id": None, "rows_raw": 3, "rows_loaded": None,
             "rows_quarantined": None, "rows_collapsed": None}]
    out = {p["dataset"]: p for p in summarize(planned, rows)}
    assert [out[d]["status"] for d in "abc"] == ["loaded", "failed", "failed"]
    assert "normalize" in out["b"]["reason"] and "never started" in out["c"]["reason"]
    message = failure_message("x", {"partitions": list(out.values())})
    assert message and " b " in message and " c " in message and " a " not in message
