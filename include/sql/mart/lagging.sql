-- Lagging PDs (what a circular lists), one row per PD and rule (metrics.yaml lagging.*):
--   package rules (from tmp_lag_pkg): measured = number of packages, target 0, unit 'paket';
--   itkp_low_<component>: PD ratio below its threshold (default the component floor), unit '%%';
--   penyerapan_low: paid (or committed) percent of pagu at the as_of month below the month's target
--   minus the tolerance, and (relative rule) among the Pemda's own laggards;
--   rup_not_announced: after the deadline, RUP pagu ÷ belanja pengadaan below the year's SiRUP
--   floor (or the configured threshold), or packages not announced.
-- Calibration and the reasons for each default: docs/metrics/lagging.md.
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

-- Calibrated rules read their newer settings from the run's own stored configuration
-- (mart.metric_run.config, the effective metrics.yaml ⊕ itkp/<tahun>.yaml), so a setting added to
-- metrics.yaml needs no new SQL parameter and the run records exactly what flagged each PD.
CREATE TEMP TABLE tmp_lag_cfg ON COMMIT DROP AS
SELECT r.kd_klpd,
       COALESCE((m.config #>> '{lagging,penyerapan_low,relatif,aktif}')::boolean, false) AS pny_rel_on,
       (m.config #>> '{lagging,penyerapan_low,relatif,kuartil}')::numeric AS pny_rel_quantile,
       (m.config #>> '{lagging,penyerapan_low,relatif,rasio_median}')::numeric AS pny_rel_median_ratio,
       CASE WHEN COALESCE((m.config #>> '{lagging,rup_not_announced,threshold_from_floor}')::boolean, false)
            THEN (m.config #>> '{itkp_year,components,sirup,floor}')::numeric END AS rup_floor,
       CASE WHEN COALESCE((m.config #>> '{lagging,rup_not_announced,relatif,aktif}')::boolean, false)
            THEN (m.config #>> '{lagging,rup_not_announced,relatif,rasio_median}')::numeric END AS rup_median_ratio
FROM tmp_run r JOIN mart.metric_run m ON m.metric_run_id = r.metric_run_id;

-- penyerapan_low: below the month's target minus the tolerance (absolute) AND, when the relative
-- rule is on, among the Pemda's own laggards: at or under its `kuartil` quantile of PD penyerapan,
-- or under `rasio_median` × its median (docs/metrics/lagging.md says why both).
WITH pny AS (
  SELECT y.kd_klpd, y.kd_satker_str, y.target_pct,
         CASE WHEN %(lag_pny_measure)s = 'committed' THEN y.committed_pct ELSE y.paid_pct END AS pct,
         CASE WHEN %(lag_pny_measure)s = 'committed' THEN y.committed ELSE y.paid END AS amount
  FROM mart.penyerapan y
  WHERE %(lag_pny_enabled)s
    AND y.metric_run_id IN (SELECT metric_run_id FROM tmp_run)
    AND y.kd_satker_str IS NOT NULL AND y.pagu > 0 AND y.target_pct IS NOT NULL
    AND y.bulan = date_trunc('month', LEAST(%(as_of)s::date, make_date(%(tahun)s, 12, 31)))::date
), stats AS (
  SELECT p.kd_klpd,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY COALESCE(p.pct, 0)) AS median_pct,
         percentile_cont(COALESCE(c.pny_rel_quantile, 0)::float8) WITHIN GROUP (ORDER BY COALESCE(p.pct, 0))
           AS q_pct
  FROM pny p JOIN tmp_lag_cfg c ON c.kd_klpd = p.kd_klpd
  GROUP BY p.kd_klpd, c.pny_rel_quantile
)
INSERT INTO tmp_lag
SELECT p.kd_klpd, p.kd_satker_str, 'penyerapan_low', NULL,
       round(p.pct, 2), round(p.target_pct - %(lag_pny_tolerance)s::numeric, 2), '%%', NULL, p.amount, NULL
FROM pny p
JOIN tmp_lag_cfg c ON c.kd_klpd = p.kd_klpd
JOIN stats s ON s.kd_klpd = p.kd_klpd
WHERE COALESCE(p.pct, 0) < p.target_pct - %(lag_pny_tolerance)s::numeric
  AND (NOT c.pny_rel_on
       OR (c.pny_rel_quantile IS NOT NULL AND COALESCE(p.pct, 0) <= s.q_pct)
       OR (c.pny_rel_median_ratio IS NOT NULL AND COALESCE(p.pct, 0) < c.pny_rel_median_ratio * s.median_pct));

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
), sirup_median AS (
  SELECT kd_klpd, percentile_cont(0.5) WITHIN GROUP (ORDER BY ratio) AS median_ratio
  FROM sirup_ratio WHERE ratio IS NOT NULL GROUP BY kd_klpd
)
INSERT INTO tmp_lag
SELECT COALESCE(s.kd_klpd, p.kd_klpd), COALESCE(s.kd_satker_str, p.kd_satker_str), 'rup_not_announced', 'sirup',
       round(100 * s.ratio, 2),
       -- the threshold the PD is measured against: the higher of the floor and the relative bar
       round(100 * GREATEST(COALESCE(c.rup_floor, %(lag_rup_threshold)s::numeric),
                            COALESCE(c.rup_median_ratio * m.median_ratio::numeric, 0)), 2), '%%',
       COALESCE(p.n, 0), p.nilai, %(lag_rup_deadline)s::date
FROM sirup_ratio s
FULL JOIN pkg p ON p.kd_klpd = s.kd_klpd AND p.kd_satker_str = s.kd_satker_str
JOIN tmp_lag_cfg c ON c.kd_klpd = COALESCE(s.kd_klpd, p.kd_klpd)
LEFT JOIN sirup_median m ON m.kd_klpd = s.kd_klpd
WHERE %(lag_rup_enabled)s
  AND (%(lag_rup_deadline)s::date IS NULL OR %(as_of)s::date > %(lag_rup_deadline)s::date)
  -- threshold: the year's SiRUP scoring floor when threshold_from_floor (below it the PD scores
  -- 0), else `threshold`; or (relative rule) well under the Pemda's own median ratio
  AND (p.n > 0 OR s.ratio < COALESCE(c.rup_floor, %(lag_rup_threshold)s::numeric)
       OR s.ratio < c.rup_median_ratio * m.median_ratio);

INSERT INTO mart.lagging (metric_run_id, tahun, as_of, kd_klpd, kd_satker_str, nama_satker, rule,
  component, measured, target, unit, n_packages, nilai, deadline)
SELECT run.metric_run_id, %(tahun)s, %(as_of)s, l.kd_klpd, l.kd_satker_str,
       COALESCE(s.nama_satker, l.kd_satker_str), l.rule, l.component, l.measured, l.target, l.unit,
       l.n_packages, l.nilai, l.deadline
FROM tmp_lag l
JOIN tmp_run run ON run.kd_klpd = l.kd_klpd
LEFT JOIN tmp_satker s ON s.kd_klpd = l.kd_klpd AND s.kd_satker_str = l.kd_satker_str;
