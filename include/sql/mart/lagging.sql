-- Lagging PDs (what a circular lists), one row per PD and rule (metrics.yaml lagging.*):
--   package rules (from tmp_lag_pkg): measured = number of packages, target 0, unit 'paket';
--   itkp_low_<component>: PD ratio below its threshold (default the component floor), unit '%%';
--   penyerapan_low: paid (or committed) percent of pagu at the as_of month below the month's target;
--   rup_not_announced: after the deadline, RUP pagu ÷ belanja pengadaan below the threshold or
--   packages not announced.
CREATE TEMP TABLE tmp_lag ON COMMIT DROP AS
SELECT p.kd_klpd, p.kd_satker_str, p.rule, NULL::text AS component,
       count(*)::numeric AS measured, 0::numeric AS target, 'paket'::text AS unit,
       count(*)::int AS n_packages, sum(p.nilai) AS nilai, min(p.deadline) AS deadline
FROM tmp_lag_pkg p
WHERE p.rule <> 'rup_not_announced'
GROUP BY p.kd_klpd, p.kd_satker_str, p.rule;

INSERT INTO tmp_lag
SELECT c.kd_klpd, c.kd_satker_str, 'itkp_low_' || c.component, c.component,
       round(100 * c.ratio, 2), round(100 * t.threshold, 2), '%%',
       CASE WHEN c.measure = 'count' THEN (c.denominator - c.numerator)::int END,
       NULL, NULL
FROM mart.itkp_component c
JOIN tmp_lag_threshold t ON t.component = c.component
WHERE %(lag_itkp_enabled)s
  AND c.metric_run_id IN (SELECT metric_run_id FROM tmp_run)
  AND c.kd_satker_str IS NOT NULL AND c.ratio IS NOT NULL AND c.ratio < t.threshold;

INSERT INTO tmp_lag
SELECT y.kd_klpd, y.kd_satker_str, 'penyerapan_low', NULL,
       round(CASE WHEN %(lag_pny_measure)s = 'committed' THEN y.committed_pct ELSE y.paid_pct END, 2),
       round(y.target_pct - %(lag_pny_tolerance)s::numeric, 2), '%%', NULL,
       CASE WHEN %(lag_pny_measure)s = 'committed' THEN y.committed ELSE y.paid END, NULL
FROM mart.penyerapan y
WHERE %(lag_pny_enabled)s
  AND y.metric_run_id IN (SELECT metric_run_id FROM tmp_run)
  AND y.kd_satker_str IS NOT NULL AND y.pagu > 0 AND y.target_pct IS NOT NULL
  AND y.bulan = date_trunc('month', LEAST(%(as_of)s::date, make_date(%(tahun)s, 12, 31)))::date
  AND CASE WHEN %(lag_pny_measure)s = 'committed' THEN y.committed_pct ELSE y.paid_pct END
      < y.target_pct - %(lag_pny_tolerance)s::numeric;

-- RUP not announced: PDs below the SiRUP threshold, or with unannounced packages, after the deadline.
WITH pkg AS (
  SELECT kd_klpd, kd_satker_str, count(*)::int AS n, sum(nilai) AS nilai
  FROM tmp_lag_pkg WHERE rule = 'rup_not_announced' GROUP BY kd_klpd, kd_satker_str
), rup_pd AS (
  SELECT kd_klpd, kd_satker_str, sum(pagu) AS pagu FROM tmp_rup_pd WHERE NOT excluded GROUP BY 1, 2
), sirup_ratio AS (
  -- SiRUP ratio per PD computed here as well, so the rule works when SiRUP is not scored
  SELECT a.kd_klpd, a.kd_satker_str, COALESCE(max(r.pagu), 0) / NULLIF(sum(a.belanja_pengadaan), 0) AS ratio
  FROM tmp_anggaran a
  LEFT JOIN rup_pd r ON r.kd_klpd = a.kd_klpd AND r.kd_satker_str = a.kd_satker_str
  GROUP BY a.kd_klpd, a.kd_satker_str
)
INSERT INTO tmp_lag
SELECT COALESCE(s.kd_klpd, p.kd_klpd), COALESCE(s.kd_satker_str, p.kd_satker_str), 'rup_not_announced', 'sirup',
       round(100 * s.ratio, 2), round(100 * %(lag_rup_threshold)s::numeric, 2), '%%',
       COALESCE(p.n, 0), p.nilai, %(lag_rup_deadline)s::date
FROM sirup_ratio s
FULL JOIN pkg p ON p.kd_klpd = s.kd_klpd AND p.kd_satker_str = s.kd_satker_str
WHERE %(lag_rup_enabled)s
  AND (%(lag_rup_deadline)s::date IS NULL OR %(as_of)s::date > %(lag_rup_deadline)s::date)
  AND (p.n > 0 OR s.ratio < %(lag_rup_threshold)s::numeric);

INSERT INTO mart.lagging (metric_run_id, tahun, as_of, kd_klpd, kd_satker_str, nama_satker, rule,
  component, measured, target, unit, n_packages, nilai, deadline)
SELECT run.metric_run_id, %(tahun)s, %(as_of)s, l.kd_klpd, l.kd_satker_str,
       COALESCE(s.nama_satker, l.kd_satker_str), l.rule, l.component, l.measured, l.target, l.unit,
       l.n_packages, l.nilai, l.deadline
FROM tmp_lag l
JOIN tmp_run run ON run.kd_klpd = l.kd_klpd
LEFT JOIN tmp_satker s ON s.kd_klpd = l.kd_klpd AND s.kd_satker_str = l.kd_satker_str;
