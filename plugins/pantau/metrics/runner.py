"""Runs the mart SQL (include/sql/mart/) for one or many KLPDs from one snapshot of history.

Why set-based over a run table (tmp_run) instead of a loop per KLPD: a national run (≥ 500 KLPD)
then reads each history table once, and one KLPD is just the one-row case of the same SQL.

Input completeness (mart.metric_run_input, metric_run_input.sql): which inputs were loaded,
stale, failed, unavailable or never loaded, and their orphan kd_rup share, is written with the
run's other rows in the same transaction, so a run never exists without its caveats.

Idempotency: mart.metric_run is unique on (kd_klpd, tahun, as_of, config_sha256). Re-running the
same key keeps the same metric_run_id (INSERT … ON CONFLICT DO UPDATE) and deletes + re-inserts
that run's rows in the same transaction, so readers never see a half-written run. A national run
is spread over one backend per core (compute_many), all reading the same snapshot.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable

from psycopg2 import sql
from psycopg2.extensions import ISOLATION_LEVEL_REPEATABLE_READ
from psycopg2.extras import execute_values

from pantau.config import SQL_DIR
from pantau.db import connect, transaction
from pantau.metrics.config import canonical_json, config_sha256, load_config, resolve_deadline
from pantau.metrics.inputs import input_rows

MART_SQL_DIR = SQL_DIR / "mart"
# Order matters: each file reads what the previous ones produced.
SQL_FILES = (
    "tmp_asof_snapshot.sql",
    "itkp_component.sql",
    "itkp_total.sql",
    "epurchasing_share.sql",
    "penyerapan.sql",
    "lagging_package.sql",
    "lagging.sql",
    "metric_run_input.sql",
)
MART_TABLES = ("metric_run_input", "lagging_package", "lagging", "penyerapan", "epurchasing_share", "itkp_total",
               "itkp_component")
_TEMP_BUFFERS = os.environ.get("PANTAU_METRICS_TEMP_BUFFERS", "512MB")
_WORK_MEM = os.environ.get("PANTAU_METRICS_WORK_MEM", "128MB")
MIN_KLPD_PER_WORKER = 25
COUNT_COMPONENTS = {"e_purchasing", "e_kontrak", "toko_daring"}


def _as_date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _list(value: Any) -> list[str] | None:
    """YAML list → text[] parameter; None stays None (means "no restriction" where allowed)."""
    if value is None:
        return None
    return [str(v) for v in value]


def sql_params(cfg: dict[str, Any], tahun: int, as_of: dt.date) -> dict[str, Any]:
    """Flatten the configuration into the named parameters the SQL files use."""
    ep, itkp, lag = cfg["epurchasing"], cfg["itkp"], cfg["lagging"]
    ep_paid, ep_rest = lag["epurchasing_paid_not_selesai"], lag["epurchasing_not_selesai"]
    ek, rup_lag = lag["ekontrak_missing"], lag["rup_not_announced"]
    return {
        "tahun": int(tahun),
        "as_of": as_of,
        "score_decimals": int(cfg["itkp_year"].get("score_decimals", 2)),
        "rup_status_umumkan": _list(cfg["rup"]["status_umumkan"]),
        "rup_exclude_dikecualikan": bool(cfg["rup"]["exclude_dikecualikan"]),
        "rup_exclude_metode": _list(cfg["rup"]["exclude_metode"]) or [],
        "grp_e_tendering": _list(cfg["method_groups"]["e_tendering"]),
        "grp_non_e_tendering": _list(cfg["method_groups"]["non_e_tendering"]),
        "grp_e_purchasing": _list(cfg["method_groups"]["e_purchasing"]),
        "spse_status_selesai": _list(cfg["spse"]["status_selesai"]),
        "spse_status_gagal": _list(cfg["spse"]["status_gagal"]) or [],
        "pct_cancelled_status_ket": _list(cfg["pencatatan"]["cancelled_status_ket"]) or [],
        "v6_selesai": _list(ep["v6"]["selesai"]),
        "v6_aktif_include": _list(ep["v6"].get("aktif_include")),
        "v6_aktif_exclude": _list(ep["v6"].get("aktif_exclude")) or [],
        "v5_selesai": _list(ep["v5"]["selesai"]),
        "v5_aktif_include": _list(ep["v5"].get("aktif_include")),
        "v5_aktif_exclude": _list(ep["v5"].get("aktif_exclude")) or [],
        "et_measure": itkp["e_tendering"].get("measure", "value"),
        "et_status_include": _list(itkp["e_tendering"].get("spse_status_include")),
        "et_status_exclude": _list(itkp["e_tendering"].get("spse_status_exclude")) or [],
        "net_measure": itkp["non_e_tendering"].get("measure", "value"),
        "net_status_include": _list(itkp["non_e_tendering"].get("spse_status_include")),
        "net_status_exclude": _list(itkp["non_e_tendering"].get("spse_status_exclude")) or [],
        "net_include_pencatatan": bool(itkp["non_e_tendering"].get("include_pencatatan", True)),
        "toko_min_transactions": int(itkp["toko_daring"].get("min_transactions", 1)),
        "toko_status_verif": _list(itkp["toko_daring"]["status_verif"]),
        "toko_status_konfirmasi": _list(itkp["toko_daring"]["status_konfirmasi_ppmse"]),
        "share_numerator": cfg["epurchasing_share"]["numerator"],
        "share_denominator": cfg["epurchasing_share"]["denominator"],
        "share_target": float(cfg["epurchasing_share"].get("target", 0.30)),
        "pny_pagu": cfg["penyerapan"]["pagu"],
        "pny_include_toko": bool(cfg["penyerapan"].get("include_toko_daring", True)),
        "lag_ep_paid_enabled": bool(ep_paid.get("enabled", True)),
        "lag_ep_paid_deadline": resolve_deadline(ep_paid.get("deadline"), tahun),
        "lag_ep_paid_list_before": bool(ep_paid.get("list_before_deadline", True)),
        "lag_ep_paid_v6_status_pkt": _list(ep_paid["v6_status_pkt"]),
        "lag_ep_paid_v6_pengiriman": _list(ep_paid["v6_status_pengiriman"]),
        "lag_ep_paid_v5_status_str": _list(ep_paid["v5_paket_status_str"]),
        "lag_ep_paid_v5_status_paket": _list(ep_paid["v5_status_paket"]),
        "lag_ep_rest_enabled": bool(ep_rest.get("enabled", True)),
        "lag_ep_rest_deadline": resolve_deadline(ep_rest.get("deadline"), tahun),
        "lag_ep_rest_list_before": bool(ep_rest.get("list_before_deadline", False)),
        "lag_ek_enabled": bool(ek.get("enabled", True)),
        "lag_ek_deadline": resolve_deadline(ek.get("deadline"), tahun),
        "lag_ek_list_before": bool(ek.get("list_before_deadline", True)),
        "lag_rup_enabled": bool(rup_lag.get("enabled", True)),
        "lag_rup_deadline": resolve_deadline(rup_lag.get("deadline"), tahun),
        "lag_rup_threshold": float(rup_lag.get("threshold", 1.0)),
        "lag_itkp_enabled": bool(lag["itkp_component_low"].get("enabled", True)),
        "lag_pny_enabled": bool(lag["penyerapan_low"].get("enabled", True)),
        "lag_pny_tolerance": float(lag["penyerapan_low"].get("tolerance_pct", 0)),
        "lag_pny_measure": cfg["penyerapan"].get("lagging_measure", "paid"),
    }


def rule_rows(cfg: dict[str, Any]) -> list[tuple]:
    """tmp_rule rows: the scored components of the year (max_score > 0) with their rule."""
    rows = []
    for ord_, (name, r) in enumerate(cfg["itkp_year"]["components"].items()):
        max_score = float(r.get("max_score") or 0)
        if max_score <= 0:
            continue  # not scored this year
        rule = r.get("rule", "ratio")
        if rule == "manual":
            measure = "manual"
        elif name in COUNT_COMPONENTS:
            measure = "count"
        elif name in ("e_tendering", "non_e_tendering"):
            measure = cfg["itkp"][name].get("measure", "value")
        else:
            measure = "value"
        rows.append((name, r.get("group", "pemanfaatan_sistem"), rule, measure, max_score,
                     r.get("floor"), r.get("over_100", "cap"), ord_))
    return rows


def lag_threshold_rows(cfg: dict[str, Any]) -> list[tuple]:
    """tmp_lag_threshold rows: per component, the configured threshold or else its floor."""
    low = cfg["lagging"]["itkp_component_low"]
    comps = cfg["itkp_year"]["components"]
    out = []
    for name in low.get("components", []):
        thr = (low.get("thresholds") or {}).get(name, comps.get(name, {}).get("floor"))
        if name in comps and float(comps[name].get("max_score") or 0) > 0 and thr is not None:
            out.append((name, float(thr)))
    return out


def _setup_temp_tables(cur, cfg: dict[str, Any], runs: dict[str, int]) -> None:
    """Small parameter tables the SQL joins to (dropped at commit)."""
    cur.execute("""
        CREATE TEMP TABLE tmp_run (metric_run_id bigint PRIMARY KEY, kd_klpd text UNIQUE) ON COMMIT DROP;
        CREATE TEMP TABLE tmp_rule (component text PRIMARY KEY, component_group text, rule text,
            measure text, max_score numeric, floor numeric, over_100 text, ord int) ON COMMIT DROP;
        CREATE TEMP TABLE tmp_predikat (min numeric, label text) ON COMMIT DROP;
        CREATE TEMP TABLE tmp_manual (kd_klpd text, component text, numerator numeric,
            denominator numeric, keterangan text) ON COMMIT DROP;
        CREATE TEMP TABLE tmp_curve (n int PRIMARY KEY, target_pct numeric) ON COMMIT DROP;
        CREATE TEMP TABLE tmp_lag_threshold (component text PRIMARY KEY, threshold numeric) ON COMMIT DROP;
        CREATE TEMP TABLE tmp_input (dataset text PRIMARY KEY, family text, ord int,
            is_orphan_dataset boolean) ON COMMIT DROP;
    """)
    execute_values(cur, "INSERT INTO tmp_input VALUES %s", input_rows())
    execute_values(cur, "INSERT INTO tmp_run VALUES %s", [(i, k) for k, i in runs.items()])
    execute_values(cur, "INSERT INTO tmp_rule VALUES %s", rule_rows(cfg))
    execute_values(cur, "INSERT INTO tmp_predikat VALUES %s",
                   [(float(p["min"]), p["label"]) for p in cfg["itkp_year"].get("predikat", [])])
    manual = [(m["kd_klpd"], m["component"], m["numerator"], m["denominator"], m["keterangan"])
              for m in cfg.get("manual_inputs", []) if m["kd_klpd"] in runs]
    if manual:
        execute_values(cur, "INSERT INTO tmp_manual VALUES %s", manual)
    execute_values(cur, "INSERT INTO tmp_curve VALUES %s",
                   [(i + 1, float(v)) for i, v in enumerate(cfg["penyerapan"]["target_curve"])])
    thresholds = lag_threshold_rows(cfg)
    if thresholds:
        execute_values(cur, "INSERT INTO tmp_lag_threshold VALUES %s", thresholds)
    cur.execute("ANALYZE tmp_run")


def _all_klpds(cur, tahun: int, as_of: dt.date) -> list[str]:
    """Every KLPD with announced RUP or a budget structure in the year, as of the date."""
    cur.execute("""
        SELECT kd_klpd FROM history.rup_paket_asof(%(as_of)s) WHERE tahun_anggaran = %(tahun)s
        UNION
        SELECT kd_klpd FROM history.struktur_anggaran_asof(%(as_of)s) WHERE tahun_anggaran = %(tahun)s
        ORDER BY 1""", {"as_of": as_of, "tahun": tahun})
    return [r[0] for r in cur.fetchall() if r[0]]


def _upsert_runs(cur, klpds: list[str], tahun: int, as_of: dt.date, sha: str, cfg_json: str) -> dict[str, int]:
    """Create or reuse the metric_run rows; returns kd_klpd → metric_run_id."""
    rows = execute_values(cur, """
        INSERT INTO mart.metric_run (tahun, kd_klpd, as_of, config_sha256, config)
        VALUES %s
        ON CONFLICT (kd_klpd, tahun, as_of, config_sha256)
        DO UPDATE SET computed_at = now(), n_computations = mart.metric_run.n_computations + 1
        RETURNING kd_klpd, metric_run_id""",
        [(tahun, k, as_of, sha, cfg_json) for k in klpds],
        template="(%s, %s, %s, %s, %s::jsonb)", fetch=True)
    return {k: i for k, i in rows}


def _session_settings(cur) -> None:
    """Per-transaction settings for the set-based mart SQL (run before the first temp table)."""
    # JIT compiles for seconds on the planner's (pessimistic) row estimates of the temp
    # tables and buys nothing at this size: measured 3.3 s of 4.5 s in penyerapan.sql.
    cur.execute("SET LOCAL jit = off")
    # The snapshot lives in temp tables (local buffers, default 8 MB) and the aggregates sort
    # and hash millions of rows at national scale: give this transaction room instead of disk.
    # temp_buffers must be set before the session's first temp table.
    cur.execute("SET LOCAL temp_buffers = %s", (_TEMP_BUFFERS,))
    cur.execute("SET LOCAL work_mem = %s", (_WORK_MEM,))


def _compute_batch(cur, klpds: list[str], cfg: dict[str, Any], params: dict[str, Any],
                   sha: str, cfg_json: str) -> dict[str, int]:
    """All mart tables for these KLPDs in the cursor's transaction; kd_klpd → run id."""
    runs = _upsert_runs(cur, klpds, params["tahun"], params["as_of"], sha, cfg_json)
    ids = list(runs.values())
    for table in MART_TABLES:  # replace the run's rows (same id, same transaction)
        cur.execute(sql.SQL("DELETE FROM {} WHERE metric_run_id = ANY(%s)").format(
            sql.Identifier("mart", table)), (ids,))
    _setup_temp_tables(cur, cfg, runs)
    for name in SQL_FILES:
        cur.execute((MART_SQL_DIR / name).read_text(encoding="utf-8"), params)
    return runs


def n_workers(requested: int | None, n_klpd: int) -> int:
    """Backends to spread a run over: one per core, but never fewer than MIN_KLPD_PER_WORKER
    KLPDs each (below that a second connection and its temp tables cost more than they save)."""
    wanted = requested or int(os.environ.get("PANTAU_METRICS_WORKERS", "0") or 0) or (os.cpu_count() or 1)
    return max(1, min(wanted, n_klpd // MIN_KLPD_PER_WORKER))


def _helper_batch(conn, snapshot: str, klpds: list[str], cfg: dict[str, Any], params: dict[str, Any],
                  sha: str, cfg_json: str) -> dict[str, int]:
    """A helper backend: imports the leader's snapshot, computes its share, leaves it uncommitted."""
    with conn.cursor() as cur:
        cur.execute("SET TRANSACTION SNAPSHOT %s", (snapshot,))
        _session_settings(cur)
        return _compute_batch(cur, klpds, cfg, params, sha, cfg_json)


def _compute_parallel(cur, url: str | None, batches: list[list[str]], *args: Any) -> dict[str, int]:
    """Batch 0 on the leader's cursor, the others on helper backends that import its snapshot.

    Helpers are committed only after every batch has succeeded; the leader commits right after
    (on leaving `transaction`). PostgreSQL cannot commit several backends atomically without
    prepared transactions (off by default), so a crash between those commits would leave the
    helpers' KLPDs computed and the leader's not: every KLPD's run is still whole, and re-running
    the same key completes the set idempotently."""
    cur.execute("SELECT pg_export_snapshot()")
    snapshot = cur.fetchone()[0]
    helpers = []
    try:
        for _ in batches[1:]:
            helpers.append(connect(url))
            helpers[-1].set_session(isolation_level=ISOLATION_LEVEL_REPEATABLE_READ)
        with ThreadPoolExecutor(len(helpers), thread_name_prefix="metrics") as pool:
            futures = [pool.submit(_helper_batch, h, snapshot, b, *args) for h, b in zip(helpers, batches[1:])]
            try:
                runs = _compute_batch(cur, batches[0], *args)
                for f in futures:
                    runs.update(f.result())
            except BaseException:
                for h in helpers:
                    h.cancel()  # stop the other batches' running statements now, not at their end
                raise
        for h in helpers:
            h.commit()
        return runs
    finally:
        for h in helpers:
            h.close()  # closing an uncommitted helper rolls it back


def compute_many(kd_klpds: Iterable[str] | None, tahun: int, as_of: dt.date | str, *,
                 url: str | None = None, config: dict[str, Any] | None = None,
                 workers: int | None = None) -> dict[str, int]:
    """Compute all mart tables for the KLPDs (None = all); kd_klpd → run id.

    One REPEATABLE READ snapshot of history serves every SQL file and every KLPD. A large run is
    split round-robin over `workers` backends (default: one per core, see n_workers): a
    PostgreSQL backend uses one core and temp tables rule out parallel query, so this is how a
    national run uses the machine. A failure in any batch rolls back every batch.
    """
    tahun, as_of = int(tahun), _as_date(as_of)
    cfg = config if config is not None else load_config(tahun)
    sha, cfg_json = config_sha256(cfg), canonical_json(cfg)
    params = sql_params(cfg, tahun, as_of)
    with transaction(url) as conn:
        conn.set_session(isolation_level=ISOLATION_LEVEL_REPEATABLE_READ)
        with conn.cursor() as cur:
            klpds = sorted(set(kd_klpds)) if kd_klpds is not None else _all_klpds(cur, tahun, as_of)
            if not klpds:
                return {}
            _session_settings(cur)
            n = n_workers(workers, len(klpds))
            if n == 1:
                return _compute_batch(cur, klpds, cfg, params, sha, cfg_json)
            return _compute_parallel(cur, url, [klpds[i::n] for i in range(n)], cfg, params, sha, cfg_json)


def run_config(metric_run_id: int, *, url: str | None = None) -> dict[str, Any]:
    """The effective configuration stored with a run (for auditors and the report)."""
    with transaction(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT config FROM mart.metric_run WHERE metric_run_id = %s", (metric_run_id,))
        row = cur.fetchone()
    if row is None:
        raise LookupError(f"metric_run_id {metric_run_id} not found")
    return row[0] if isinstance(row[0], dict) else json.loads(row[0])
