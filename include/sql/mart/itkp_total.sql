-- ITKP total per KLPD (system use + SDM PBJ + kematangan UKPBJ) with predikat, and the system-use
-- subtotal per PD (no predikat: PDs have no manual components). Sums the rounded component
-- scores, as LKPP publishes them.
INSERT INTO mart.itkp_total (metric_run_id, tahun, as_of, kd_klpd, kd_satker_str, pemanfaatan_sistem,
  sdm_pbj, kematangan_ukpbj, max_total, total, predikat)
SELECT c.metric_run_id, %(tahun)s, %(as_of)s, c.kd_klpd, c.kd_satker_str,
       COALESCE(sum(c.score) FILTER (WHERE c.component_group = 'pemanfaatan_sistem'), 0),
       sum(c.score) FILTER (WHERE c.component_group = 'sdm_pbj'),
       sum(c.score) FILTER (WHERE c.component_group = 'kematangan_ukpbj'),
       sum(c.max_score), sum(c.score),
       CASE WHEN c.kd_satker_str IS NULL THEN
         (SELECT p.label FROM tmp_predikat p WHERE sum(c.score) >= p.min ORDER BY p.min DESC LIMIT 1)
       END
FROM mart.itkp_component c
WHERE c.metric_run_id IN (SELECT metric_run_id FROM tmp_run)
GROUP BY c.metric_run_id, c.kd_klpd, c.kd_satker_str;
