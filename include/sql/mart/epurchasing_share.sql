-- E-purchasing share = e-purchasing transaction value ÷ procurement budget, per KLPD and PD, per
-- semester (S1 Jan–Jun, S2 Jul–Dec) and year to date, each period cut at as_of (docs/metrics/
-- epurchasing_share.md). Numerator variant (epurchasing_share.numerator): all = aktif orders (not
-- cancelled), selesai = finished orders only; orders dated by tgl_order (an order without a date
-- counts in YTD only). Denominator variant: rup_total | rup_penyedia | belanja_pengadaan.
WITH period AS (
  SELECT p.period, p.period_start, LEAST(p.period_end, %(as_of)s::date) AS period_end
  FROM (VALUES ('S1', make_date(%(tahun)s, 1, 1), make_date(%(tahun)s, 6, 30)),
               ('S2', make_date(%(tahun)s, 7, 1), make_date(%(tahun)s, 12, 31)),
               ('YTD', make_date(%(tahun)s, 1, 1), make_date(%(tahun)s, 12, 31))) AS p(period, period_start, period_end)
), orders AS (
  SELECT o.kd_klpd, COALESCE(o.kd_satker_str, '(tanpa PD)') AS kd_satker_str, o.nilai, o.tgl_order
  FROM tmp_order o
  WHERE CASE %(share_numerator)s WHEN 'selesai' THEN o.is_selesai ELSE o.is_aktif END
    AND (o.tgl_order IS NULL OR o.tgl_order <= %(as_of)s::date)
), num AS (
  SELECT o.kd_klpd, COALESCE(o.kd_satker_str, '') AS kd_satker_str, p.period, count(*) AS n_orders, sum(o.nilai) AS nilai
  FROM orders o
  JOIN period p ON (o.tgl_order BETWEEN p.period_start AND p.period_end)
                OR (o.tgl_order IS NULL AND p.period = 'YTD')
  GROUP BY GROUPING SETS ((o.kd_klpd, o.kd_satker_str, p.period), (o.kd_klpd, p.period))
), den_rows AS (
  SELECT kd_klpd, COALESCE(kd_satker_str, '(tanpa PD)') AS kd_satker_str, pagu AS den
  FROM tmp_rup_pd
  WHERE NOT excluded AND %(share_denominator)s IN ('rup_total', 'rup_penyedia')
    AND (%(share_denominator)s = 'rup_total' OR tipe = 'penyedia')
  UNION ALL
  SELECT kd_klpd, kd_satker_str, belanja_pengadaan
  FROM tmp_anggaran WHERE %(share_denominator)s = 'belanja_pengadaan'
), den AS (
  SELECT kd_klpd, COALESCE(kd_satker_str, '') AS kd_satker_str, sum(den) AS pagu
  FROM den_rows GROUP BY GROUPING SETS ((kd_klpd, kd_satker_str), (kd_klpd))
), scope AS (
  SELECT kd_klpd, kd_satker_str FROM den
  UNION
  SELECT kd_klpd, kd_satker_str FROM num
  UNION
  SELECT kd_klpd, '' FROM tmp_run   -- '' = KLPD level until the final NULLIF
)
INSERT INTO mart.epurchasing_share (metric_run_id, tahun, as_of, kd_klpd, kd_satker_str, period,
  period_start, period_end, n_orders, nilai_epurchasing, pagu_rup, share, share_pct, target_pct)
SELECT run.metric_run_id, %(tahun)s, %(as_of)s, sc.kd_klpd, NULLIF(sc.kd_satker_str, ''), p.period,
       p.period_start, p.period_end, COALESCE(n.n_orders, 0), COALESCE(n.nilai, 0), d.pagu,
       COALESCE(n.nilai, 0) / NULLIF(d.pagu, 0),
       100 * COALESCE(n.nilai, 0) / NULLIF(d.pagu, 0),
       100 * %(share_target)s::numeric
FROM scope sc
JOIN tmp_run run ON run.kd_klpd = sc.kd_klpd
CROSS JOIN period p
LEFT JOIN num n ON n.kd_klpd = sc.kd_klpd AND n.kd_satker_str = sc.kd_satker_str AND n.period = p.period
LEFT JOIN den d ON d.kd_klpd = sc.kd_klpd AND d.kd_satker_str = sc.kd_satker_str
WHERE p.period_start <= %(as_of)s::date;
