-- ITKP sub-indicators per PD and per KLPD (docs/metrics/itkp.md), scored under the year's rules
-- (tmp_rule, from include/config/itkp/<year>.yaml). Reads the tmp_ snapshot of tmp_asof_snapshot.sql.

-- 1. Partial numerators and denominators per PD, one row per contribution (each contribution is
--    already summed per PD and component: sums of exact numerics, so step 2 gets the same totals
--    from a few thousand rows instead of millions).
CREATE TEMP TABLE tmp_component_input (
  kd_klpd text, kd_satker_str text, component text, num numeric, den numeric
) ON COMMIT DROP;

-- SiRUP = Σ pagu of announced RUP (penyedia + swakelola) ÷ Σ belanja pengadaan.
INSERT INTO tmp_component_input
SELECT kd_klpd, kd_satker_str, 'sirup', sum(pagu), 0 FROM tmp_rup_pd WHERE NOT excluded
GROUP BY kd_klpd, kd_satker_str
UNION ALL
SELECT kd_klpd, kd_satker_str, 'sirup', 0, belanja_pengadaan FROM tmp_anggaran;

-- E-tendering and non-e-tendering numerators: SPSE packages per kd_rup. A re-tendered kd_rup
-- (several attempts) counts once, through its latest qualifying attempt; a consolidated package
-- (several kd_rup) contributes its pagu split by tmp_spse_rup.weight. Packages without any kd_rup
-- count as their own key. Non-e-tendering optionally adds pencatatan non-tender (not cancelled)
-- for kd_rup not already in SPSE, its pagu split equally over its kd_rup.
-- (rup_key = kd_rup, or for a package without kd_rup the package itself: (source, id) with a
-- NULL kd_rup, never equal to a kd_rup.)
WITH qualifying AS (
  SELECT CASE s.sumber WHEN 'tender' THEN 'e_tendering' ELSE 'non_e_tendering' END AS component,
         s.kd_klpd, s.kd_satker_str, s.pagu, s.versi, s.kd_paket_spse, s.sumber
  FROM tmp_spse s
  JOIN tmp_spse_label l ON l.label_key = s.label_key
  WHERE l.itkp_qualifying
), per_key AS (
  SELECT q.component, q.kd_klpd, q.kd_satker_str,
         b.kd_rup, CASE WHEN b.kd_rup IS NULL THEN q.sumber END AS own_source,
         CASE WHEN b.kd_rup IS NULL THEN q.kd_paket_spse END AS own_id,
         q.pagu * COALESCE(b.weight, 1) AS nilai, 0 AS priority, q.versi, q.kd_paket_spse AS id
  FROM qualifying q
  LEFT JOIN tmp_spse_rup b ON b.sumber = q.sumber AND b.kd_paket_spse = q.kd_paket_spse
  UNION ALL
  SELECT 'non_e_tendering', c.kd_klpd, c.kd_satker_str,
         b.kd_rup, CASE WHEN b.kd_rup IS NULL THEN 'pencatatan' END, CASE WHEN b.kd_rup IS NULL THEN c.kd_pct END,
         c.pagu / COALESCE(b.n_rup, 1), 1, 0, c.kd_pct
  FROM tmp_pencatatan c
  LEFT JOIN tmp_pencatatan_rup b ON b.jenis = c.jenis AND b.kd_pct = c.kd_pct
  WHERE %(net_include_pencatatan)s AND c.jenis = 'nontender' AND NOT c.cancelled
    AND COALESCE(c.mtd_pemilihan ILIKE ANY (%(grp_non_e_tendering)s::text[]), false)
), once_per_rup AS (
  SELECT DISTINCT ON (component, kd_klpd, kd_rup, own_source, own_id) *
  FROM per_key
  ORDER BY component, kd_klpd, kd_rup, own_source, own_id, priority, versi DESC, id DESC
)
INSERT INTO tmp_component_input
SELECT kd_klpd, kd_satker_str, component,
       sum(CASE WHEN (component = 'e_tendering' AND %(et_measure)s = 'count')
                  OR (component = 'non_e_tendering' AND %(net_measure)s = 'count') THEN 1 ELSE nilai END),
       0
FROM once_per_rup
GROUP BY kd_klpd, kd_satker_str, component;

-- Denominators: announced RUP penyedia packages with those methods (excluded ones left out).
INSERT INTO tmp_component_input
SELECT kd_klpd, kd_satker_str, method_group, 0,
       sum(CASE WHEN (method_group = 'e_tendering' AND %(et_measure)s = 'count')
                  OR (method_group = 'non_e_tendering' AND %(net_measure)s = 'count') THEN n_paket ELSE pagu END)
FROM tmp_rup_pd
WHERE NOT excluded AND method_group IN ('e_tendering', 'non_e_tendering')
GROUP BY kd_klpd, kd_satker_str, method_group;

-- E-purchasing = count(selesai orders) ÷ count(aktif orders); orders, never v5 lines.
INSERT INTO tmp_component_input
SELECT kd_klpd, kd_satker_str, 'e_purchasing',
       count(*) FILTER (WHERE is_selesai), count(*) FILTER (WHERE is_aktif)
FROM tmp_order
GROUP BY kd_klpd, kd_satker_str;

-- E-kontrak = count(selection-finished SPSE packages with a kontrak) ÷ count(selection-finished
-- tender + non-tender packages).
INSERT INTO tmp_component_input
SELECT s.kd_klpd, s.kd_satker_str, 'e_kontrak', count(k.kd_paket_spse), count(*)
FROM tmp_spse s
JOIN tmp_spse_label l ON l.label_key = s.label_key
LEFT JOIN tmp_kontrak k ON k.sumber = s.sumber AND k.kd_paket_spse = s.kd_paket_spse
WHERE l.is_selesai
GROUP BY s.kd_klpd, s.kd_satker_str;

-- Toko daring: number of qualifying transactions (the denominator is set below).
INSERT INTO tmp_component_input
SELECT kd_klpd, kd_satker_str, 'toko_daring', count(*) FILTER (WHERE qualifies), 0
FROM tmp_toko
GROUP BY kd_klpd, kd_satker_str;

UPDATE tmp_component_input SET kd_satker_str = '(tanpa PD)' WHERE kd_satker_str IS NULL;

-- 2. Aggregate per PD and per KLPD (sums of numerators and denominators, never averages of
--    ratios); every PD gets every scored component so an empty denominator is visible.
CREATE TEMP TABLE tmp_component ON COMMIT DROP AS
WITH agg AS (
  SELECT kd_klpd, COALESCE(kd_satker_str, '') AS kd_satker_str, component, sum(num) AS num, sum(den) AS den
  FROM tmp_component_input
  GROUP BY GROUPING SETS ((kd_klpd, kd_satker_str, component), (kd_klpd, component))
), scope AS (
  SELECT DISTINCT kd_klpd, kd_satker_str FROM tmp_component_input
  UNION
  SELECT kd_klpd, '' FROM tmp_run   -- '' = KLPD level until the final NULLIF
)
SELECT sc.kd_klpd, NULLIF(sc.kd_satker_str, '') AS kd_satker_str, r.component,
       COALESCE(a.num, 0) AS numerator,
       CASE WHEN r.rule = 'binary' THEN %(toko_min_transactions)s::numeric ELSE COALESCE(a.den, 0) END AS denominator,
       NULL::text AS flag
FROM scope sc
CROSS JOIN tmp_rule r
LEFT JOIN agg a ON a.kd_klpd = sc.kd_klpd AND a.component = r.component
               AND a.kd_satker_str = sc.kd_satker_str
WHERE r.rule <> 'manual'
UNION ALL
-- Manual components (SDM PBJ, kematangan UKPBJ): KLPD level only, from manual/<year>.csv.
SELECT run.kd_klpd, NULL, r.component, m.numerator, m.denominator,
       CASE WHEN m.kd_klpd IS NULL THEN 'manual_missing' END
FROM tmp_run run
CROSS JOIN tmp_rule r
LEFT JOIN tmp_manual m ON m.kd_klpd = run.kd_klpd AND m.component = r.component
WHERE r.rule = 'manual';

-- 3. Score. ratio = numerator ÷ denominator (binary rule: capped at 1).
--    empty denominator → score 0, flag; ratio > 1 → cap (max) or mirror (max(0, 2 − r) × max);
--    ratio < floor → 0; else r × max. Rounded to score_decimals.
INSERT INTO mart.itkp_component (metric_run_id, tahun, as_of, kd_klpd, kd_satker_str, component,
  component_group, rule, measure, numerator, denominator, ratio, floor, over_100, max_score, score, flag)
SELECT run.metric_run_id, %(tahun)s, %(as_of)s, c.kd_klpd, c.kd_satker_str, c.component,
       r.component_group, r.rule, r.measure, c.numerator, c.denominator, x.ratio, r.floor, r.over_100,
       r.max_score, round(s.raw_score, %(score_decimals)s),
       COALESCE(c.flag, CASE
         WHEN x.ratio IS NULL THEN 'empty_denominator'
         WHEN r.rule = 'binary' THEN NULL
         WHEN x.ratio > 1 THEN 'over_100_' || r.over_100
         WHEN x.ratio < COALESCE(r.floor, 0) THEN 'below_floor'
       END)
FROM tmp_component c
JOIN tmp_rule r ON r.component = c.component
JOIN tmp_run run ON run.kd_klpd = c.kd_klpd
CROSS JOIN LATERAL (
  SELECT CASE
           WHEN c.denominator IS NULL OR c.denominator = 0 THEN NULL
           WHEN r.rule = 'binary' THEN LEAST(1, c.numerator / c.denominator)
           ELSE c.numerator / c.denominator
         END AS ratio
) x
CROSS JOIN LATERAL (
  SELECT CASE
           WHEN x.ratio IS NULL THEN 0
           WHEN r.rule = 'binary' THEN CASE WHEN x.ratio >= 1 THEN r.max_score ELSE 0 END
           WHEN x.ratio > 1 THEN CASE r.over_100 WHEN 'mirror' THEN GREATEST(0, 2 - x.ratio) * r.max_score
                                                 ELSE r.max_score END
           WHEN x.ratio < COALESCE(r.floor, 0) THEN 0
           ELSE x.ratio * r.max_score
         END AS raw_score
) s;
