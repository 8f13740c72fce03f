"""Read one circular's model from the mart (migrations 050–054: metric_run, itkp_component,
penyerapan, lagging, lagging_package; 085: metric_run_input, the run's input completeness).

The only module that knows mart table shapes; the renderer works on `pantau.report.model`.
Lineage (fetch ids) is taken from the metric run when the metrics module records it, otherwise
from the successful loads of the KLPD's partitions up to the as-of date (`audit.load_log`).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from pantau.report.model import Circular, InputState, ItkpComponent, LaggingPackage, LaggingPd, PenyerapanPd


class MetricRunNotFound(LookupError):
    """No metric run for this KLPD/year (and as-of), so there is nothing to print."""


def latest_metric_run(conn, kd_klpd: str, tahun: int, as_of: date | None = None) -> int:
    """The newest run for the KLPD and year, at the given as-of date when one is given."""
    with conn.cursor() as cur:
        cur.execute(
            """SELECT metric_run_id FROM mart.metric_run
               WHERE kd_klpd = %s AND tahun = %s AND (%s::date IS NULL OR as_of = %s::date)
               ORDER BY as_of DESC, computed_at DESC, metric_run_id DESC LIMIT 1""",
            (kd_klpd, tahun, as_of, as_of))
        row = cur.fetchone()
    if not row:
        raise MetricRunNotFound(f"no mart.metric_run for {kd_klpd} {tahun}" + (f" as of {as_of}" if as_of else ""))
    return int(row[0])


def _column_exists(cur, schema: str, table: str, column: str) -> bool:
    cur.execute("SELECT 1 FROM information_schema.columns WHERE table_schema=%s AND table_name=%s "
                "AND column_name=%s", (schema, table, column))
    return cur.fetchone() is not None


def read_fetch_ids(conn, metric_run_id: int, kd_klpd: str, tahun: int, as_of: date) -> tuple[int, ...]:
    """Raw fetches behind the run: `mart.metric_run.fetch_ids` if present, else the loads' fetches."""
    with conn.cursor() as cur:
        if _column_exists(cur, "mart", "metric_run", "fetch_ids"):
            cur.execute("SELECT fetch_ids FROM mart.metric_run WHERE metric_run_id = %s", (metric_run_id,))
            row = cur.fetchone()
            if row and row[0]:
                return tuple(sorted(int(x) for x in row[0]))
        cur.execute("SELECT to_regclass('audit.load_log')")
        if cur.fetchone()[0] is None:
            return ()
        cur.execute(
            """SELECT DISTINCT fetch_id FROM audit.load_log
               WHERE kd_klpd = %s AND tahun = %s AND status = 'ok' AND snapshot_date <= %s
               ORDER BY fetch_id""", (kd_klpd, tahun, as_of))
        return tuple(int(r[0]) for r in cur.fetchall())


def _dec(v) -> Decimal | None:
    return None if v is None else Decimal(v)


def read_inputs(conn, metric_run_id: int) -> tuple[InputState, ...]:
    """The run's input record (`mart.metric_run_input`), in the run's dataset order.

    Empty for a run computed before migration 085 (or a database without it): such a run has no
    record to print, which the caller must not mistake for "all inputs missing"."""
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('mart.metric_run_input')")
        if cur.fetchone()[0] is None:
            return ()
        cur.execute(
            """SELECT i.dataset, i.family, i.state, i.attempt_status, i.reason, i.snapshot_date,
                      i.n_rows_rup_ref, i.n_orphan, i.orphan_share
               FROM mart.metric_run_input i WHERE i.metric_run_id = %s
               ORDER BY array_position(ARRAY['sirup', 'spse', 'ekatalog'], i.family), i.family, i.dataset""",
            (metric_run_id,))
        return tuple(InputState(ds, fam, st, att, reason, snap, n_ref, n_orph, _dec(share))
                     for ds, fam, st, att, reason, snap, n_ref, n_orph, share in cur.fetchall())


def read_circular_model(conn, kd_klpd: str, tahun: int, metric_run_id: int | None = None, *,
                        as_of: date | None = None, nomor: str | None = None,
                        tanggal: date | None = None) -> Circular:
    """The circular for one metric run. Ordering is explicit everywhere: same rows → same model."""
    run_id = metric_run_id or latest_metric_run(conn, kd_klpd, tahun, as_of)
    with conn.cursor() as cur:
        cur.execute("SELECT kd_klpd, tahun, as_of FROM mart.metric_run WHERE metric_run_id = %s", (run_id,))
        row = cur.fetchone()
        if not row:
            raise MetricRunNotFound(f"mart.metric_run {run_id} does not exist")
        if (row[0], row[1]) != (kd_klpd, tahun):
            raise MetricRunNotFound(f"metric run {run_id} is for {row[0]} {row[1]}, not {kd_klpd} {tahun}")
        run_as_of = row[2]

        cur.execute(
            """SELECT kd_satker_str, rule, source, package_id, kd_rup, nama_paket, nilai, status_pkt,
                      status_pengiriman, hari_terlambat
               FROM mart.lagging_package WHERE metric_run_id = %s AND kd_klpd = %s
               ORDER BY kd_satker_str, rule, source, package_id""", (run_id, kd_klpd))
        pkgs: dict[tuple[str, str], list[LaggingPackage]] = {}
        for sat, rule, src, pid, rup, nama, nilai, st, pg, hari in cur.fetchall():
            pkgs.setdefault((sat, rule), []).append(LaggingPackage(
                source=src, package_id=str(pid), kd_rup=None if rup is None else str(rup),
                nama_paket=nama or "(tanpa nama)", nilai=_dec(nilai), status_pkt=st, status_pengiriman=pg,
                hari_terlambat=hari))

        cur.execute(
            """SELECT l.kd_satker_str, COALESCE(l.nama_satker, l.kd_satker_str), l.rule, l.measured, l.target,
                      l.unit, l.n_packages, l.deadline, l.nilai, y.pagu
               FROM mart.lagging l
               LEFT JOIN mart.penyerapan y ON y.metric_run_id = l.metric_run_id AND y.kd_klpd = l.kd_klpd
                    AND y.kd_satker_str = l.kd_satker_str
                    AND y.bulan = date_trunc('month', LEAST(l.as_of, make_date(l.tahun, 12, 31)))::date
               WHERE l.metric_run_id = %s AND l.kd_klpd = %s
               ORDER BY l.rule, l.kd_satker_str""", (run_id, kd_klpd))
        lagging = tuple(
            LaggingPd(kd_satker_str=sat, nama_satker=nama, rule=rule, measured=_dec(m), target=_dec(t),
                      unit=unit, n_packages=n, packages=tuple(pkgs.get((sat, rule), ())), deadline=dl,
                      nilai=_dec(nilai), pagu=_dec(pagu))
            for sat, nama, rule, m, t, unit, n, dl, nilai, pagu in cur.fetchall())

        cur.execute(
            """SELECT component, ratio, max_score, score, flag FROM mart.itkp_component
               WHERE metric_run_id = %s AND kd_klpd = %s AND kd_satker_str IS NULL ORDER BY component""",
            (run_id, kd_klpd))
        itkp = tuple(ItkpComponent(c, _dec(r), _dec(mx), _dec(s), f) for c, r, mx, s, f in cur.fetchall())

        cur.execute(
            """SELECT DISTINCT ON (p.kd_satker_str) p.kd_satker_str,
                      COALESCE(l.nama_satker, p.kd_satker_str), p.committed_pct, p.paid_pct, p.target_pct
               FROM mart.penyerapan p
               LEFT JOIN LATERAL (SELECT nama_satker FROM mart.lagging x WHERE x.metric_run_id = p.metric_run_id
                                  AND x.kd_satker_str = p.kd_satker_str AND x.nama_satker IS NOT NULL
                                  ORDER BY x.rule LIMIT 1) l ON true
               WHERE p.metric_run_id = %s AND p.kd_klpd = %s AND p.kd_satker_str IS NOT NULL
                 AND p.bulan <= %s
               ORDER BY p.kd_satker_str, p.bulan DESC""", (run_id, kd_klpd, run_as_of))
        peny = tuple(PenyerapanPd(sat, nama, _dec(c), _dec(p), _dec(t)) for sat, nama, c, p, t in cur.fetchall())
    # PD names for the chart: prefer core.dim_satker when loaded
    peny = _with_satker_names(conn, kd_klpd, peny)
    return Circular(kd_klpd=kd_klpd, tahun=tahun, as_of=run_as_of, tanggal=tanggal or as_of or run_as_of,
                    nomor=nomor, metric_run_id=run_id,
                    fetch_ids=read_fetch_ids(conn, run_id, kd_klpd, tahun, run_as_of),
                    lagging=lagging, itkp=itkp, penyerapan=peny, inputs=read_inputs(conn, run_id))


def _with_satker_names(conn, kd_klpd: str, peny: tuple[PenyerapanPd, ...]) -> tuple[PenyerapanPd, ...]:
    if not peny:
        return peny
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('core.dim_satker')")
        if cur.fetchone()[0] is None:
            return peny
        cur.execute("SELECT kd_satker_str, nama_satker FROM core.dim_satker WHERE kd_klpd = %s", (kd_klpd,))
        names = {k: n for k, n in cur.fetchall() if n}
    return tuple(PenyerapanPd(p.kd_satker_str, names.get(p.kd_satker_str, p.nama_satker), p.committed_pct,
                              p.paid_pct, p.target_pct) for p in peny)
