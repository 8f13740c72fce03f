"""The database side of validation: read a fetch's staging rows, store results, raise on critical.

Why COPY TO instead of ``pandas.read_sql``: a 1 M-row fetch comes back as one CSV stream parsed in
C; only the columns the suite reads are selected, and the cheap derived values (year of each date,
``extra->'_unparsed'``, fields of another feed) are computed by PostgreSQL on the way out.
"""
from __future__ import annotations

import io
from typing import Any

from psycopg2 import sql
from psycopg2.extras import Json, execute_values

from pantau import db
from pantau.datasets import spec as get_spec
from pantau.validate import rules, suites
from pantau.validate.duplicates import DuplicateRouting, business_fields, route
from pantau.validate.engine import ValidationContext, validate_dataframe
from pantau.validate.model import CheckResult, CriticalValidationError, Outcome, ValidationSummary

NULL_MARK = r"\N"
_NUMERIC_DTYPES = {"bigint": "Int64", "integer": "Int64", "numeric": "float64", "numeric(20,2)": "float64"}


# ------------------------------------------------------------------------------------- read
def fetch_info(cur, fetch_id: int) -> dict[str, Any]:
    """The partition of a fetch (raw.fetch); a missing fetch is a caller error, named."""
    cur.execute("""SELECT dataset, kd_klpd, kd_lpse, tahun, status, n_rows FROM raw.fetch WHERE fetch_id = %s""",
                (fetch_id,))
    row = cur.fetchone()
    if row is None:
        raise LookupError(f"raw.fetch {fetch_id} does not exist")
    return dict(zip(("dataset", "kd_klpd", "kd_lpse", "tahun", "status", "n_rows"), row))


def _select_list(dataset: str) -> tuple[list[sql.Composable], dict[str, str]]:
    """SELECT items for the suite's columns, and pandas dtypes for the numeric ones."""
    sp = get_spec(dataset)
    ex = rules.extra(dataset)
    wanted = set(rules.required_columns(sp)) | set(sp.key) | set(rules.code_columns(sp)) | set(
        rules.money_columns(sp))
    for total, parts in ex.identities:
        wanted |= {total, *parts}
    if ex.ref_kd_rup:
        wanted.add("kd_rup")
    if ex.ref_satker:
        wanted |= {"kd_klpd", "kd_satker_str"}
    items: list[sql.Composable] = [sql.Identifier("row_no")]
    dtypes: dict[str, str] = {"row_no": "int64"}
    for c in sp.columns:
        if c.name in wanted:
            items.append(sql.Identifier(c.name))
            if c.pg_type in _NUMERIC_DTYPES:
                dtypes[c.name] = _NUMERIC_DTYPES[c.pg_type]
    for col in rules.date_columns(sp):
        expr = "(extract(year FROM {} AT TIME ZONE 'Asia/Jakarta'))::int" if sp.column(col).pg_type == "timestamptz" \
            else "(extract(year FROM {}))::int"
        items.append(sql.SQL(expr + " AS {}").format(sql.Identifier(col), sql.Identifier(suites.year_col(col))))
        dtypes[suites.year_col(col)] = "Int64"
    items.append(sql.SQL("extra->'_unparsed' AS __unparsed_json"))
    items.append(sql.SQL("extra->'_duplicate_keys' AS __duplicate_keys_json"))
    if ex.foreign_fields:
        items.append(sql.SQL(
            "(SELECT string_agg(k, ',' ORDER BY k) FROM jsonb_object_keys("
            "CASE WHEN jsonb_typeof(extra) = 'object' THEN extra END) AS k WHERE k = ANY({})) AS {}").format(
            sql.Literal(sorted(ex.foreign_fields)), sql.Identifier(suites.FOREIGN)))
    return items, dtypes


def read_staging(conn, dataset: str, fetch_id: int):
    """The fetch's staging rows (suite columns + derived ones) as a DataFrame, ordered by row_no."""
    import pandas as pd

    items, dtypes = _select_list(dataset)
    query = sql.SQL("COPY (SELECT {} FROM {}.{} WHERE fetch_id = {} ORDER BY row_no) TO STDOUT "
                    "WITH (FORMAT csv, HEADER true, NULL {})").format(
        sql.SQL(", ").join(items), sql.Identifier("staging"), sql.Identifier(dataset),
        sql.Literal(int(fetch_id)), sql.Literal(NULL_MARK))
    buf = io.StringIO()
    with conn.cursor() as cur:
        cur.copy_expert(query, buf)
    buf.seek(0)
    return pd.read_csv(buf, dtype={**{k: v for k, v in dtypes.items()}},
                       na_values=[NULL_MARK], keep_default_na=False, low_memory=False)


def _known_kd_rup(cur, tahun: int) -> frozenset[int] | None:
    """RUP ids of ``tahun``: core.rup_paket plus this year's RUP staging rows (same run, not yet
    merged). ``None`` when neither holds any: the check is skipped, not failed wholesale."""
    cur.execute(
        """SELECT kd_rup FROM core.rup_paket WHERE tahun_anggaran = %(t)s
           UNION SELECT s.kd_rup FROM staging.rup_paket_penyedia s JOIN raw.fetch f USING (fetch_id)
                  WHERE f.tahun = %(t)s AND s.kd_rup IS NOT NULL
           UNION SELECT s.kd_rup FROM staging.rup_paket_swakelola s JOIN raw.fetch f USING (fetch_id)
                  WHERE f.tahun = %(t)s AND s.kd_rup IS NOT NULL""", {"t": tahun})
    ids = frozenset(int(r[0]) for r in cur.fetchall())
    return ids or None


def _known_satker(cur) -> tuple[frozenset[str], frozenset[str]] | tuple[None, None]:
    """'kd_klpd|kd_satker_str' pairs from core.dim_satker and staged RUP-MasterSatker rows."""
    cur.execute(
        """SELECT kd_klpd, kd_satker_str FROM core.dim_satker
           UNION SELECT kd_klpd, kd_satker_str FROM staging.rup_master_satker
                  WHERE kd_klpd IS NOT NULL AND kd_satker_str IS NOT NULL""")
    rows = cur.fetchall()
    if not rows:
        return None, None
    return frozenset(f"{k}|{s}" for k, s in rows), frozenset(k for k, _ in rows)


def _rows_expected(cur, info: dict[str, Any]) -> bool:
    """Rows are expected when the source said it sent some, or this partition loaded rows before
    (an 'empty' answer replacing a loaded partition must not wipe it silently)."""
    if info["status"] == "ok" or (info["n_rows"] or 0) > 0:
        return True
    cur.execute(
        """SELECT EXISTS (SELECT 1 FROM audit.load_log WHERE dataset = %s AND kd_klpd IS NOT DISTINCT FROM %s
                  AND kd_lpse IS NOT DISTINCT FROM %s AND tahun = %s AND status = 'ok' AND rows_loaded > 0)""",
        (info["dataset"], info["kd_klpd"], info["kd_lpse"], info["tahun"]))
    return bool(cur.fetchone()[0])


def _grain_sql(dataset: str, tahun: int | None) -> tuple[list[sql.Composable], list[sql.Composable]]:
    """Grain expressions (as text, nulls replaced the way core keys them) and the not-null guards."""
    exprs: list[sql.Composable] = []
    guards: list[sql.Composable] = []
    for col, default in rules.grain(dataset):
        ident = sql.SQL("s.{}").format(sql.Identifier(col))
        if default is None:
            exprs.append(sql.SQL("{}::text").format(ident))
            guards.append(sql.SQL("{} IS NOT NULL").format(ident))
        else:
            exprs.append(sql.SQL("coalesce({}::text, {})").format(ident, sql.Literal(default.format(tahun=tahun))))
    return exprs, guards


def read_duplicates(cur, dataset: str, fetch_id: int, tahun: int | None) -> DuplicateRouting:
    """Route the fetch's same-grain rows; only rows whose grain repeats are read in full (JSON)."""
    if rules.extra(dataset).repeats_are_facts:
        return DuplicateRouting()
    exprs, guards = _grain_sql(dataset, tahun)
    where = sql.SQL(" AND ").join([sql.SQL("s.fetch_id = %(f)s"), *guards])
    cur.execute(sql.SQL(
        """WITH g AS (SELECT s.row_no, ARRAY[{exprs}] AS grain FROM {st} s WHERE {where}),
                d AS (SELECT grain FROM g GROUP BY grain HAVING count(*) > 1)
           SELECT s.row_no, g.grain, to_jsonb(s) FROM g JOIN d USING (grain)
             JOIN {st} s ON s.fetch_id = %(f)s AND s.row_no = g.row_no""").format(
        exprs=sql.SQL(", ").join(exprs), st=sql.SQL("{}.{}").format(sql.Identifier("staging"), sql.Identifier(dataset)),
        where=where), {"f": int(fetch_id)})
    return route(dataset, ((rn, tuple(grain), business_fields(dataset, row)) for rn, grain, row in cur.fetchall()))


def column_counts(cur, dataset: str, fetch_id: int) -> dict[str, int]:
    """Non-null rows of every spec column of the fetch (one scan): the suite's frame reads only the
    columns its checks need, but a renamed optional column shows as one empty everywhere."""
    cols = get_spec(dataset).column_names
    cur.execute(sql.SQL("SELECT {} FROM {}.{} WHERE fetch_id = %s").format(
        sql.SQL(", ").join(sql.SQL("count({})").format(sql.Identifier(c)) for c in cols),
        sql.Identifier("staging"), sql.Identifier(dataset)), (fetch_id,))
    return dict(zip(cols, (int(n) for n in cur.fetchone())))


def build_context(cur, fetch_id: int, info: dict[str, Any]) -> ValidationContext:
    ex = rules.extra(info["dataset"])
    known_satker, klpds = _known_satker(cur) if ex.ref_satker else (None, None)
    return ValidationContext(
        kd_klpd=info["kd_klpd"], tahun=info["tahun"], kd_lpse=info["kd_lpse"], fetch_id=fetch_id,
        expect_rows=_rows_expected(cur, info),
        known_kd_rup=_known_kd_rup(cur, info["tahun"]) if ex.ref_kd_rup else None,
        known_satker=known_satker, satker_klpds=klpds,
        duplicates=read_duplicates(cur, info["dataset"], fetch_id, info["tahun"]),
        unknown_fields=dict(_unknown_fields(cur, info["dataset"], fetch_id, 50)),
        column_counts=column_counts(cur, info["dataset"], fetch_id))


# ------------------------------------------------------------------------------------ write
def _audit_rows(run_id: int, fetch_id: int, info: dict[str, Any], outcome: Outcome) -> list[tuple]:
    out = []
    for r in outcome.results:
        out.append((
            run_id, fetch_id, info["dataset"], info["kd_klpd"], info["kd_lpse"], info["tahun"], outcome.suite,
            r.rule, r.expectation_type, r.column, r.severity, r.action, r.success, r.element_count,
            r.unexpected_count, Json(r.sample), r.row_nos if (r.action == "flag" and not r.success) else None,
            r.message, r.row_source if r.row_nos else None, outcome.n_rows,
            0 if outcome.critical else outcome.n_quarantined, 0 if outcome.critical else outcome.n_collapsed))
    return out


def write_results(conn, fetch_id: int, info: dict[str, Any], outcome: Outcome) -> int:
    """Store the run (audit) and replace the fetch's quarantine rows; caller commits. Returns run_id.

    Collapsed copies go to audit.collapsed_row (the loader skips them like quarantined rows).
    On a critical failure no quarantine or collapsed row is written (nothing of the fetch will be loaded; the
    audit rows say why) but earlier quarantine rows of the fetch are still removed, so quarantine
    never describes a run that is not the latest.
    """
    dataset = info["dataset"]
    qt = sql.SQL("{}.{}").format(sql.Identifier("quarantine"), sql.Identifier(dataset))
    with conn.cursor() as cur:
        cur.execute("SELECT nextval('audit.validation_run_id_seq')")
        run_id = cur.fetchone()[0]
        execute_values(cur, """INSERT INTO audit.validation_run (run_id, fetch_id, dataset, kd_klpd, kd_lpse, tahun,
                suite, rule, expectation_type, column_name, severity, action, success, element_count,
                unexpected_count, unexpected_sample, flagged_row_nos, message, row_source, n_rows, n_quarantined,
                n_collapsed)
                VALUES %s""", _audit_rows(run_id, fetch_id, info, outcome), page_size=200)
        cur.execute(sql.SQL("DELETE FROM {} WHERE fetch_id = %s").format(qt), (fetch_id,))
        cur.execute("DELETE FROM audit.collapsed_row WHERE fetch_id = %s", (fetch_id,))
        if outcome.collapsed and not outcome.critical:
            rule = next((r.rule for r in outcome.results if r.action == "collapse"), "collapsed")
            execute_values(cur, """INSERT INTO audit.collapsed_row (fetch_id, row_no, dataset, kept_row_no, run_id, rule)
                                   VALUES %s""",
                           [(fetch_id, rn, dataset, kept, run_id, rule) for rn, kept in sorted(outcome.collapsed.items())],
                           page_size=1000)
        if outcome.quarantine and not outcome.critical:
            row_nos = sorted(outcome.quarantine)
            cols = [*get_spec(dataset).column_names, "fetch_id", "row_no", "extra"]
            cur.execute(
                sql.SQL("""INSERT INTO {qt} ({cols}, reason, expectation, run_id)
                           SELECT {scols}, q.reason, q.expectation, %s
                             FROM {st} s
                             JOIN unnest(%s::int[], %s::text[], %s::text[]) AS q(row_no, reason, expectation)
                               ON s.row_no = q.row_no
                            WHERE s.fetch_id = %s""").format(
                    qt=qt, st=sql.SQL("{}.{}").format(sql.Identifier("staging"), sql.Identifier(dataset)),
                    cols=sql.SQL(", ").join(map(sql.Identifier, cols)),
                    scols=sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(c)) for c in cols)),
                (run_id, row_nos, ["; ".join(outcome.quarantine[r][1]) for r in row_nos],
                 [",".join(outcome.quarantine[r][0]) for r in row_nos], fetch_id))
    return run_id


def unknown_fields(conn, dataset: str, fetch_id: int, limit: int = 10) -> list[tuple[str, int]]:
    """Source fields the normaliser did not recognise (kept in ``extra``), most frequent first.

    Named in a schema-drift message: a required column empty everywhere next to an unknown field
    present everywhere is almost always a rename at the source.
    """
    with conn.cursor() as cur:
        return _unknown_fields(cur, dataset, fetch_id, limit)


def _unknown_fields(cur, dataset: str, fetch_id: int, limit: int) -> list[tuple[str, int]]:
    cur.execute(sql.SQL(
        """SELECT k, count(*) FROM {}.{} s,
                  jsonb_object_keys(CASE WHEN jsonb_typeof(s.extra) = 'object' THEN s.extra END) AS k
            WHERE s.fetch_id = %s AND left(k, 1) <> '_'
            GROUP BY k ORDER BY count(*) DESC, k LIMIT %s""").format(
        sql.Identifier("staging"), sql.Identifier(dataset)), (fetch_id, limit))
    return [(k, int(n)) for k, n in cur.fetchall()]


def _explain_drift(conn, dataset: str, fetch_id: int, outcome: Outcome) -> None:
    drift = [r for r in outcome.critical if r.rule.startswith("column_has_values:")]
    if not drift:
        return
    fields = unknown_fields(conn, dataset, fetch_id)
    if fields:
        hint = "; source fields not in the spec: " + ", ".join(f"{k} ({n} rows)" for k, n in fields)
        for r in drift:
            r.message += hint


def _instansi(info: dict[str, Any]) -> str:
    if info["kd_lpse"] is not None:
        return f"{info['kd_klpd'] or ''} LPSE {info['kd_lpse']}".strip()
    return str(info["kd_klpd"])


def validate_fetch(fetch_id: int, *, url: str | None = None) -> ValidationSummary:
    """Validate ``staging.<dataset>`` rows of one fetch (see :func:`pantau.validate.validate_fetch`).

    Audit rows and quarantine rows are written in one transaction, committed *before* a
    ``CriticalValidationError`` is raised, so a stopped partition still leaves its evidence.
    """
    conn = db.connect(url)
    try:
        with conn.cursor() as cur:
            info = fetch_info(cur, fetch_id)
            context = build_context(cur, fetch_id, info)
        frame = read_staging(conn, info["dataset"], fetch_id)
        outcome = validate_dataframe(info["dataset"], frame, context)
        _explain_drift(conn, info["dataset"], fetch_id, outcome)
        with conn:
            run_id = write_results(conn, fetch_id, info, outcome)
    finally:
        conn.close()
    summary = ValidationSummary(
        dataset=info["dataset"], fetch_id=fetch_id, n_rows=outcome.n_rows,
        n_quarantined=0 if outcome.critical else outcome.n_quarantined, n_critical=len(outcome.critical),
        results=outcome.results, run_id=run_id, kd_klpd=info["kd_klpd"], tahun=info["tahun"],
        n_flagged=outcome.n_flagged, suite=outcome.suite, gx_result=outcome.gx_result,
        n_collapsed=0 if outcome.critical else outcome.n_collapsed)
    if outcome.critical:
        err = CriticalValidationError(info["dataset"], _instansi(info), info["tahun"], outcome.critical,
                                      fetch_id=fetch_id, n_rows=outcome.n_rows, run_id=run_id)
        err.summary = summary  # type: ignore[attr-defined]  # Data Docs for failed runs too
        raise err
    return summary


def failed_checks(summary: ValidationSummary) -> list[CheckResult]:
    """Failed expectations of a run (for logs and the DAG's task summary)."""
    return [r for r in summary.results if not r.success]
