-- Input completeness of the run (mart.metric_run_input): for each run KLPD (tmp_run) and each
-- dataset the metrics read (tmp_input, from pantau.metrics.inputs), its state when the run is
-- computed, and for datasets that reference kd_rup the share of core rows that no RUP package of
-- the year backs (orphans).
-- Sources of truth:
--   audit.partition_run: the latest attempt per dataset x kd_klpd x tahun (DAG task wrappers);
--   audit.load_log:      the latest successful load (status ok) with snapshot_date <= as_of,
--                        which also covers loads done outside Airflow.
-- State: a successful load finished after the latest attempt (or with no failed attempt) =
-- loaded; a successful load older than a failed / 404 latest attempt = stale; no usable load =
-- the attempt's status (failed, endpoint_not_available, running) or missing.
-- Orphans are computed from core (current state), package grain: a row is an orphan when none of
-- its kd_rup is a non-deleted core.rup_paket of the same tahun (a row without kd_rup included).
-- Parameters: tahun, as_of.

CREATE TEMP TABLE tmp_input_attempt ON COMMIT DROP AS
SELECT DISTINCT ON (p.kd_klpd, p.dataset)
       p.kd_klpd, p.dataset, p.status, p.stage, p.updated_at, p.run_key, p.reason, p.error_class
FROM audit.partition_run p
WHERE p.tahun = %(tahun)s
  AND p.kd_klpd IN (SELECT kd_klpd FROM tmp_run)
  AND p.dataset IN (SELECT dataset FROM tmp_input)
ORDER BY p.kd_klpd, p.dataset, p.updated_at DESC, p.run_key DESC;

CREATE TEMP TABLE tmp_input_load ON COMMIT DROP AS
SELECT DISTINCT ON (l.kd_klpd, l.dataset)
       l.kd_klpd, l.dataset, l.load_id, l.fetch_id, l.snapshot_date,
       COALESCE(l.finished_at, l.started_at) AS loaded_at, l.rows_loaded
FROM audit.load_log l
WHERE l.status = 'ok'
  AND l.tahun = %(tahun)s
  AND l.snapshot_date <= %(as_of)s
  AND l.kd_klpd IN (SELECT kd_klpd FROM tmp_run)
  AND l.dataset IN (SELECT dataset FROM tmp_input)
ORDER BY l.kd_klpd, l.dataset, l.snapshot_date DESC, COALESCE(l.finished_at, l.started_at) DESC, l.load_id DESC;

CREATE TEMP TABLE tmp_input_rup ON COMMIT DROP AS
SELECT r.kd_rup
FROM core.rup_paket r
WHERE r.tahun_anggaran = %(tahun)s AND NOT r.is_deleted;
ALTER TABLE tmp_input_rup ADD PRIMARY KEY (kd_rup);
ANALYZE tmp_input_rup;

CREATE TEMP TABLE tmp_input_orphan ON COMMIT DROP AS
SELECT 'spse_tender_pengumuman'::text AS dataset, t.kd_klpd, count(*) AS n_rows,
       count(*) FILTER (WHERE NOT EXISTS (
         SELECT 1 FROM core.tender_rup b JOIN tmp_input_rup r ON r.kd_rup = b.kd_rup
         WHERE b.kd_tender = t.kd_tender AND NOT b.is_deleted)) AS n_orphan
FROM core.tender t
WHERE t.tahun_anggaran = %(tahun)s AND NOT t.is_deleted AND t.kd_klpd IN (SELECT kd_klpd FROM tmp_run)
GROUP BY t.kd_klpd
UNION ALL
SELECT 'spse_nontender_pengumuman', n.kd_klpd, count(*),
       count(*) FILTER (WHERE NOT EXISTS (
         SELECT 1 FROM core.nontender_rup b JOIN tmp_input_rup r ON r.kd_rup = b.kd_rup
         WHERE b.kd_nontender = n.kd_nontender AND NOT b.is_deleted))
FROM core.nontender n
WHERE n.tahun_anggaran = %(tahun)s AND NOT n.is_deleted AND n.kd_klpd IN (SELECT kd_klpd FROM tmp_run)
GROUP BY n.kd_klpd
UNION ALL
SELECT 'spse_pencatatan_nontender', c.kd_klpd, count(*),
       count(*) FILTER (WHERE NOT EXISTS (
         SELECT 1 FROM core.pencatatan_rup b JOIN tmp_input_rup r ON r.kd_rup = b.kd_rup
         WHERE b.jenis = c.jenis AND b.kd_pct = c.kd_pct AND NOT b.is_deleted))
FROM core.pencatatan c
WHERE c.jenis = 'nontender' AND c.tahun_anggaran = %(tahun)s AND NOT c.is_deleted
  AND c.kd_klpd IN (SELECT kd_klpd FROM tmp_run)
GROUP BY c.kd_klpd
UNION ALL
SELECT CASE o.versi WHEN 'v5' THEN 'ecat_paket_v5' ELSE 'ecat_paket_v6' END, o.kd_klpd, count(*),
       count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM tmp_input_rup r WHERE r.kd_rup = o.kd_rup))
FROM core.epurchasing_order o
WHERE o.versi IN ('v5', 'v6') AND o.tahun_anggaran = %(tahun)s AND NOT o.is_deleted
  AND o.kd_klpd IN (SELECT kd_klpd FROM tmp_run)
GROUP BY o.versi, o.kd_klpd;

INSERT INTO mart.metric_run_input (
    metric_run_id, tahun, as_of, kd_klpd, dataset, family, state, attempt_status, attempt_stage,
    attempt_at, run_key, reason, error_class, fetch_id, load_id, snapshot_date, loaded_at, rows_loaded,
    n_rows_rup_ref, n_orphan, orphan_share)
SELECT r.metric_run_id, %(tahun)s, %(as_of)s, r.kd_klpd, i.dataset, i.family,
       CASE
         WHEN l.load_id IS NOT NULL AND a.status IN ('failed', 'endpoint_not_available')
              AND l.loaded_at < a.updated_at THEN 'stale'
         WHEN l.load_id IS NOT NULL THEN 'loaded'
         WHEN a.status IN ('failed', 'endpoint_not_available', 'running') THEN a.status
         ELSE 'missing'
       END,
       a.status, a.stage, a.updated_at, a.run_key, a.reason, a.error_class,
       l.fetch_id, l.load_id, l.snapshot_date, l.loaded_at, l.rows_loaded,
       CASE WHEN i.is_orphan_dataset THEN COALESCE(o.n_rows, 0) END,
       CASE WHEN i.is_orphan_dataset THEN COALESCE(o.n_orphan, 0) END,
       CASE WHEN o.n_rows > 0 THEN o.n_orphan::numeric / o.n_rows END
FROM tmp_run r
CROSS JOIN tmp_input i
LEFT JOIN tmp_input_attempt a ON a.kd_klpd = r.kd_klpd AND a.dataset = i.dataset
LEFT JOIN tmp_input_load l ON l.kd_klpd = r.kd_klpd AND l.dataset = i.dataset
LEFT JOIN tmp_input_orphan o ON o.kd_klpd = r.kd_klpd AND o.dataset = i.dataset
ORDER BY r.metric_run_id, i.ord;
