"""Issue 19 points 2, 3, 7, 8, 13: the load path under faults, against real parts only.

A real simulator over HTTP (timeouts and data changes between attempts), real fetches landed by
`extract_partition`, a real PostgreSQL with real logins (an auditor), real killed subprocesses and
real concurrent loaders. Each test names the point it covers.
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import psycopg2
import pytest
from loadkit import query, stage
from sqlalchemy.engine import make_url

from pantau import db
from pantau.load import LoadError, load_fetch
from pantau.load.merge import lock_partition, merge_partition, read_partition
from pantau.simulator.server import start_simulator
from pantau.sources.extract import extract_partition
from pantau.sources.http import HttpSettings
from pantau.sources.normalize import normalize_records
from pantau.sources.raw import read_fetch
from pantau.sources.routing import SourcePlan

REPO = Path(__file__).resolve().parents[2]
DS = "rup_paket_penyedia"
TOKEN = "inprc0123456789abcdef0123456789abcdef"
D1, D2 = dt.date(2025, 5, 1), dt.date(2025, 5, 2)
# Milliseconds-scale retries so a timed-out page is retried at once (production: sources.yaml).
FAST = HttpSettings(connect_timeout=1.0, read_timeout=0.3, total_timeout=5.0, max_retries=2,
                    backoff_base=0.01, backoff_max=0.05)


# ----------------------------------------------------------------------------------------- helpers
def paket(kd_rups, *, kd_klpd: str = "D197") -> list[dict[str, Any]]:
    """SIRUP penyedia rows as the gateway serves them (one per kd_rup)."""
    return [{"tahun_anggaran": 2025, "kd_klpd": kd_klpd, "kd_satker": 60412, "kd_satker_str": "1.03.2.15.1.04.01.0000",
             "nama_satker": "Dinas 1", "kd_rup": 56_000_000 + i, "nama_paket": f"Belanja paket {i}",
             "pagu": 1_000_000 + 137 * i, "kd_metode_pengadaan": 9, "metode_pengadaan": "E-Purchasing",
             "jenis_pengadaan": "Barang", "status_aktif_rup": True, "status_delete_rup": False,
             "status_umumkan_rup": "Terumumkan", "tgl_pengumuman_paket": "2025-01-14 10:06:33"} for i in kd_rups]


@pytest.fixture
def sim():
    handle = start_simulator({}, token=TOKEN)
    yield handle
    handle.stop()


def plan(sim, *, limit: int = 10) -> SourcePlan:
    return SourcePlan(dataset=DS, source_system="inaproc_v1", tahun=2025, kd_klpd="D197", url=sim.inaproc_url,
                      path=sim.route(DS).inaproc_path, token=TOKEN, params={"kode_klpd": "D197", "tahun": 2025},
                      page_limit=limit, http=FAST)


def extract_and_stage(sim, url: str, **kw) -> int:
    """extract → normalise → stage, as the pipeline does; returns the fetch id."""
    from pantau.load.staging import write_staging

    fetch_id = extract_partition(DS, "D197", 2025, plan=plan(sim, **kw)).fetch_id
    raw = read_fetch(fetch_id)
    df = normalize_records(DS, raw.records, source_system=raw.source_system,
                           context={"kd_klpd": "D197", "kd_lpse": None, "tahun": 2025})
    with db.transaction(url) as conn:
        write_staging(conn, DS, fetch_id, df)
    return fetch_id


def live_kd_rup(url: str, offset: int = 56_000_000) -> set[int]:
    """kd_rup of the live core packages, minus the offset `paket` adds."""
    return {r[0] - offset for r in query(url, "SELECT kd_rup FROM core.rup_paket WHERE NOT is_deleted")}


def change_rows_when_page_requested(sim, rows: list[dict]) -> threading.Thread:
    """Serve `rows` as soon as the first request for a later page (one with a cursor) arrives, i.e.
    while that page is timing out: the source changes between the attempts of one page."""
    sim.clear_requests()

    def watch() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if any(r["query"].get("cursor") for r in sim.requests()):
                sim.set_rows(DS, rows)
                return
            time.sleep(0.002)
    t = threading.Thread(target=watch, daemon=True)
    t.start()
    return t


def in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """Run fn in a daemon thread; the dict gets 'result' or 'error' and 'done_at'."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 — reported to the test
            out["error"] = exc
        out["done_at"] = time.monotonic()
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def terminate_backends(url: str, application_name: str | None = None) -> None:
    """Cleanup for a test that failed while a backend still holds a lock (the old code's case)."""
    admin = db.connect(url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND (%s::text IS NULL OR application_name = %s)",
                    (application_name, application_name))
    admin.close()


def with_app(url: str, name: str) -> str:
    """The URL with an application_name, so a test can find that loader's backend."""
    return str(make_url(url).update_query_dict({"application_name": name}))


# ------------------------------------------------------------------------- point 2: page retries
def test_page_retry_with_a_source_change_rereads_the_partition_and_deletes_right(warehouse_url, sim):
    """Point 2. Snapshot 1: packages 0..29. While page 1 (rows 10..19) times out, the source
    withdraws 0..4 and adds 30..34. Read as one pass, page 0 comes from the old state and pages
    1–2 from the new one (offsets shifted by 5): 10..14 vanish and 0..4 stay. The fix re-reads from
    page one, so core ends exactly as the source is."""
    sim.set_rows(DS, paket(range(30)))
    first = extract_and_stage(sim, warehouse_url)
    load_fetch(first, D1, allow_unvalidated=True)
    assert live_kd_rup(warehouse_url) == set(range(30))

    now_live = list(range(5, 35))
    sim.add_fault("timeout", match="cursor=", times=1, delay=1.0)
    watcher = change_rows_when_page_requested(sim, paket(now_live))
    second = extract_and_stage(sim, warehouse_url)
    watcher.join(5)
    res = load_fetch(second, D2, allow_unvalidated=True)

    assert live_kd_rup(warehouse_url) == set(now_live)          # 10..14 live, 0..4 gone
    assert res.rows_deleted == 5 and res.deletes_skipped is None
    consistent, note = query(warehouse_url, "SELECT snapshot_consistent, snapshot_note FROM raw.fetch "
                                            "WHERE fetch_id = %s", (second,))[0]
    assert consistent is True and "consistent on pass 2" in note and "page 1 needed 2 attempts" in note


def test_inconsistent_fetch_is_flagged_and_loaded_without_deletions(warehouse_url, sim, monkeypatch):
    """Point 2, the bounded case: with one pass allowed, the same fault cannot be proven one
    snapshot, so the fetch lands flagged and the load marks nothing deleted and says why."""
    monkeypatch.setenv("PANTAU_INAPROC_SNAPSHOT_PASSES", "1")
    sim.set_rows(DS, paket(range(30)))
    load_fetch(extract_and_stage(sim, warehouse_url), D1, allow_unvalidated=True)

    sim.add_fault("timeout", match="cursor=", times=1, delay=1.0)
    watcher = change_rows_when_page_requested(sim, paket(range(5, 35)))
    second = extract_and_stage(sim, warehouse_url)
    watcher.join(5)
    assert query(warehouse_url, "SELECT snapshot_consistent, snapshot_note LIKE %s FROM raw.fetch WHERE fetch_id = %s",
                 ("%not one snapshot after 1 pass%", second)) == [(False, True)]
    res = load_fetch(second, D2, allow_unvalidated=True)

    assert res.rows_deleted == 0 and "snapshot not consistent" in res.deletes_skipped
    assert set(range(10, 15)) <= live_kd_rup(warehouse_url)      # still live at the source: not deleted
    assert query(warehouse_url, "SELECT rows_deleted, deletes_skipped LIKE 'snapshot not consistent%%' "
                                "FROM audit.load_log WHERE fetch_id = %s AND status = 'ok'", (second,)) == [(0, True)]
    # the next consistent fetch does the deleting
    third = extract_and_stage(sim, warehouse_url)
    assert load_fetch(third, D2, allow_unvalidated=True).rows_deleted == 5
    assert live_kd_rup(warehouse_url) == set(range(5, 35))


# ---------------------------------------------------------------- point 3: older fetch, same date
def test_older_fetch_of_the_same_date_does_not_overwrite_a_newer_one(warehouse_url, sim):
    """Point 3. Fetch A (40 packages) then fetch B (4 withdrawn), both real extracts. Loading B and
    then A on the same snapshot date used to bring the 4 back; now A is refused by name."""
    sim.set_rows(DS, paket(range(40)))
    fetch_a = extract_and_stage(sim, warehouse_url)
    sim.set_rows(DS, paket(range(4, 40)))
    fetch_b = extract_and_stage(sim, warehouse_url)
    assert fetch_b > fetch_a

    assert load_fetch(fetch_b, D1, allow_unvalidated=True).rows_loaded == 36
    refused: list[LoadError] = []
    for snapshot in (D1, D2):                                     # same date, and a later one
        try:
            load_fetch(fetch_a, snapshot, allow_unvalidated=True)
        except LoadError as exc:
            refused.append(exc)
        assert live_kd_rup(warehouse_url) == set(range(4, 40)), f"older fetch A revived rows on {snapshot}"
    assert [type(e).__name__ for e in refused] == ["StaleFetch", "StaleFetch"]
    assert f"{DS}/D197/2025: fetch {fetch_a} " in str(refused[0]) and f"older than fetch {fetch_b}" in str(refused[0])
    # the same fetch again, and a newer one, still load
    assert load_fetch(fetch_b, D1, allow_unvalidated=True).rows_loaded == 0
    sim.set_rows(DS, paket(range(0, 40)))
    fetch_c = extract_and_stage(sim, warehouse_url)
    assert load_fetch(fetch_c, D1, allow_unvalidated=True).rows_loaded == 4
    assert live_kd_rup(warehouse_url) == set(range(40))


# -------------------------------------------------------------------- point 7: orphan backends
def test_every_connection_carries_session_limits(warehouse_url, monkeypatch):
    """Point 7: defaults on every db.connect, overridable by env and per connection, validated."""
    def shown(**kw) -> tuple:
        conn = db.connect(warehouse_url, **kw)
        try:
            with conn.cursor() as cur:
                out = []
                for name in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout",
                             "client_connection_check_interval"):
                    cur.execute(f"SHOW {name}")
                    out.append(cur.fetchone()[0])
                return tuple(out)
        finally:
            conn.close()

    assert shown() == ("1h", "5min", "30min", "10s")
    monkeypatch.setenv("PANTAU_DB_LOCK_TIMEOUT", "30s")
    assert shown()[1] == "30s"
    assert shown(limits={"statement_timeout": "2h"})[0] == "2h"
    monkeypatch.setenv("PANTAU_DB_LOCK_TIMEOUT", "1s -c search_path=evil")
    with pytest.raises(db.SettingError, match="PANTAU_DB_LOCK_TIMEOUT"):
        db.connect(warehouse_url)


def test_statement_timeout_ends_a_runaway_statement(warehouse_url, monkeypatch):
    """Point 7: a hung client's statement does not run forever."""
    monkeypatch.setenv("PANTAU_DB_STATEMENT_TIMEOUT", "200ms")
    conn = db.connect(warehouse_url)
    try:
        t0 = time.monotonic()
        with pytest.raises(psycopg2.errors.QueryCanceled), conn.cursor() as cur:
            cur.execute("SELECT pg_sleep(3)")
        assert time.monotonic() - t0 < 2
    finally:
        conn.close()


_KILLED_LOADER = """
import sys
sys.path.insert(0, {plugins!r})
import pantau.load.merge as merge
real_sync = merge.sync_history
def slow_sync(cur, *a, **kw):  # the loader holds the partition lock and runs a long statement
    open({marker!r}, "w").write(str(cur.connection.get_backend_pid()))
    cur.execute("SELECT pg_sleep(3600)")
    return real_sync(cur, *a, **kw)
merge.sync_history = slow_sync
from pantau.load import load_fetch
load_fetch({fetch}, {snapshot!r}, allow_unvalidated=True)
"""


def test_killed_loader_backend_ends_and_the_retry_gets_the_lock(warehouse_url, stage_rows, tmp_path):
    """Point 7. A loader SIGKILLed in the middle of a long statement used to leave its backend
    running with the partition lock; the retry waited until someone terminated it by hand. With
    client_connection_check_interval the backend notices the dead client and the retry proceeds."""
    rows = [{"tahun_anggaran": 2025, "kd_klpd": "D107", "kd_rup": 1 + i, "nama_paket": f"p{i}", "pagu": 10}
            for i in range(5)]
    fetch = stage_rows(DS, rows, kd_klpd="D107")
    marker = tmp_path / "pid"
    code = _KILLED_LOADER.format(plugins=str(REPO / "plugins"), marker=str(marker), fetch=fetch,
                                 snapshot=D1.isoformat())
    env = {**os.environ, "PANTAU_WAREHOUSE_URL": warehouse_url, "PANTAU_DB_CLIENT_CONNECTION_CHECK_INTERVAL": "300ms"}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    try:
        deadline = time.monotonic() + 30
        while not (marker.exists() and marker.read_text()):
            assert proc.poll() is None, "loader exited before its long statement"
            assert time.monotonic() < deadline, "loader never reached its long statement"
            time.sleep(0.05)
        orphan = int(marker.read_text())
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

        t0 = time.monotonic()
        thread, out = in_thread(lambda: load_fetch(fetch, D1, url=warehouse_url, allow_unvalidated=True))
        thread.join(15)
        assert not thread.is_alive(), "the retry is still waiting for the killed loader's lock"
        assert "error" not in out, out.get("error")
        assert out["result"].rows_loaded == 5 and out["done_at"] - t0 < 15
        assert query(warehouse_url, "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (orphan,)) == [(0,)]
    finally:
        if proc.poll() is None:
            proc.kill()
        terminate_backends(warehouse_url)


# ------------------------------------------------------------ point 8: second partition's delete
def _plan_nodes(node: dict, parent: dict | None = None):
    yield node, parent
    for child in node.get("Plans", ()):
        yield from _plan_nodes(child, node)


def _rescans_per_row(plan: dict) -> list[str]:
    """Nested loops whose inner side is not an index probe (it re-runs a scan per outer row)."""
    bad = []
    for node, _ in _plan_nodes(plan):
        if node["Node Type"] != "Nested Loop":
            continue
        inner = next(c for c in node["Plans"] if c.get("Parent Relationship") == "Inner")
        if inner["Node Type"] not in ("Index Scan", "Index Only Scan"):
            bad.append(f"{node.get('Join Type', '')} nested loop over {inner['Node Type']} "
                       f"{inner.get('Relation Name') or inner.get('Alias') or ''}".strip())
    return bad


def test_second_partition_delete_plan_does_not_rescan_staging_per_row(warehouse_url):
    """Point 8. After partition A is loaded and analysed, partition B's delete ran as a nested-loop
    anti join that re-sorted B's staging rows for every core row (17.5 min for 29 650 rows). The
    plan of B's delete, taken in the load's own transaction right after it ran, must not do that."""
    n = 400
    def rows(kd_klpd: str, base: int) -> list[dict]:
        return [{"tahun_anggaran": 2025, "kd_klpd": kd_klpd, "kd_satker_str": "1.2", "kd_rup": base + i,
                 "nama_paket": f"p{i}", "pagu": 1000 + i} for i in range(n)]
    first = stage(warehouse_url, DS, rows("D107", 10_000_000), kd_klpd="D107")
    load_fetch(first, D1, allow_unvalidated=True)
    admin = db.connect(warehouse_url)
    admin.autocommit = True
    admin.cursor().execute("ANALYZE")  # what autovacuum does after the first big load
    admin.close()
    second = stage(warehouse_url, DS, rows("D108", 20_000_000), kd_klpd="D108")

    plans: list[dict] = []
    conn = db.connect(warehouse_url)
    try:
        with conn.cursor() as cur:
            def explain_delete(step: str) -> None:
                if step == "delete:rup_paket":
                    stmt = cur.query.decode()            # the delete statement just executed
                    assert stmt.lstrip().upper().startswith("UPDATE CORE.")
                    cur.execute("EXPLAIN (FORMAT JSON) " + stmt)
                    plans.append(cur.fetchone()[0][0]["Plan"])
            p = read_partition(cur, second)
            lock_partition(cur, p.src_partition)
            cur.execute("INSERT INTO audit.load_log (dataset, kd_klpd, tahun, src_partition, fetch_id, snapshot_date) "
                        "VALUES (%s, 'D108', 2025, %s, %s, %s) RETURNING load_id", (DS, p.src_partition, second, D1))
            merge_partition(cur, p, D1, cur.fetchone()[0], allow_empty=False, hook=explain_delete,
                            allow_unvalidated=True)
    finally:
        conn.rollback()
        conn.close()
    assert len(plans) == 1
    assert _rescans_per_row(plans[0]) == []
    scanned = {node.get("Relation Name") for node, _ in _plan_nodes(plans[0])}
    assert DS not in scanned, f"the delete still reads staging.{DS} inline: {scanned}"


# ----------------------------------------------------------------- point 13: auditors and locks
@pytest.fixture
def auditor(auditor_login):
    """The auditor login with autocommit off: it can hold transaction-level locks."""
    auditor_login.autocommit = False
    return auditor_login


def test_auditor_holding_advisory_locks_cannot_block_a_load(warehouse_url, stage_rows, auditor):
    """Point 13. The auditor holds the loader's former advisory key and every guessable variant;
    the load still completes, and the lock table is out of the auditor's reach."""
    fetch = stage_rows(DS, [{"tahun_anggaran": 2025, "kd_klpd": "D107", "kd_rup": 7, "nama_paket": "p", "pagu": 1}],
                       kd_klpd="D107")
    part = f"{DS}/D107/2025"
    cur = auditor.cursor()
    cur.execute("SELECT pg_advisory_xact_lock(727004, hashtext(%s))", (part,))      # the old key
    for ns in range(727_000, 727_010):
        cur.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (ns, part))
    for key in (part, f"load:{part}", f"{DS}|D107|2025"):
        cur.execute("SELECT pg_advisory_lock(hashtext(%s)), pg_advisory_lock(hashtextextended(%s, 0))", (key, key))

    try:
        thread, out = in_thread(lambda: load_fetch(fetch, D1, url=warehouse_url, allow_unvalidated=True))
        thread.join(15)
        assert not thread.is_alive(), "the load is blocked by the auditor's advisory lock"
        assert "error" not in out, out.get("error")
        assert out["result"].rows_loaded == 1
    finally:  # releasing the locks also frees a blocked load (the old code's case)
        auditor.rollback()
        cur.execute("SELECT pg_advisory_unlock_all()")
        auditor.commit()
        thread.join(15)

    for stmt in ("SELECT * FROM meta.partition_lock FOR UPDATE", "LOCK TABLE meta.partition_lock",
                 "INSERT INTO meta.partition_lock (lock_key) VALUES ('x')", "SELECT * FROM meta.partition_lock"):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute(stmt)
        auditor.rollback()


def test_two_loaders_of_one_partition_still_serialise(warehouse_url, stage_rows, monkeypatch):
    """Point 13 (kept): loader 2 waits on loader 1's partition lock until loader 1 commits; with a
    short lock_timeout a waiter gives up with PartitionBusy naming the partition (point 7)."""
    rows = [{"tahun_anggaran": 2025, "kd_klpd": "D107", "kd_rup": i, "nama_paket": f"p{i}", "pagu": 1} for i in (1, 2)]
    f1 = stage_rows(DS, rows, kd_klpd="D107")
    f2 = stage_rows(DS, rows[:1], kd_klpd="D107")
    holding, release = threading.Event(), threading.Event()

    def pause(step: str) -> None:
        if step.startswith("upsert:"):
            holding.set()
            assert release.wait(20)

    t1, out1 = in_thread(lambda: load_fetch(f1, D1, url=with_app(warehouse_url, "w2-loader-1"),
                                            allow_unvalidated=True, _fail_after=pause))
    try:
        assert holding.wait(15)
        t2, out2 = in_thread(lambda: load_fetch(f2, D1, url=with_app(warehouse_url, "w2-loader-2"),
                                                allow_unvalidated=True))
        deadline, waiting = time.monotonic() + 10, []
        while not waiting and time.monotonic() < deadline:
            waiting = query(warehouse_url, """
                SELECT w.pid FROM pg_stat_activity w JOIN pg_stat_activity h ON h.pid = ANY(pg_blocking_pids(w.pid))
                 WHERE w.application_name = 'w2-loader-2' AND h.application_name = 'w2-loader-1'""")
            time.sleep(0.05)
        assert waiting, "loader 2 is not waiting for loader 1"
        assert not out2 and query(warehouse_url, "SELECT count(*) FROM audit.load_log WHERE fetch_id = %s", (f2,)) == [(0,)]

        monkeypatch.setenv("PANTAU_DB_LOCK_TIMEOUT", "300ms")
        t0 = time.monotonic()
        with pytest.raises(LoadError, match=f"{DS}/D107/2025") as ei:
            load_fetch(f2, D1, url=warehouse_url, allow_unvalidated=True)
        assert type(ei.value).__name__ == "PartitionBusy" and time.monotonic() - t0 < 5
    finally:
        release.set()
        t1.join(15)
    t2.join(15)
    assert "error" not in out1 and "error" not in out2, (out1.get("error"), out2.get("error"))
    assert out1["done_at"] <= out2["done_at"]
    assert query(warehouse_url, "SELECT fetch_id FROM audit.load_log WHERE status = 'ok' ORDER BY load_id") == [(f1,), (f2,)]
    assert live_kd_rup(warehouse_url, offset=0) == {1}
