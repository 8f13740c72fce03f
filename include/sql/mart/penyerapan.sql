-- Penyerapan (absorption) per PD and KLPD per month, cumulative, against the target curve
-- (docs/metrics/penyerapan.md). Events are dated; an event without a date counts at as_of; events
-- after as_of are not yet known and are left out. Cancelled pencatatan are excluded everywhere.
--   committed: SPSE package not failed → latest e-Kontrak nilai_kontrak, falling back to the
--              package's nilai_kontrak (TenderSelesaiNilai / NonTenderSelesai), dated by the first
--              contract date, else the award/finish date; aktif e-purchasing orders (tgl_order);
--              pencatatan total_realisasi (tgl_buat_paket); toko daring valuasi (optional).
--   paid:      BAPBAST besar_pembayaran (summed over all BAP of a package, tgl_bap else tgl_bast);
--              pencatatan realisasi nilai_realisasi (tgl_realisasi); selesai e-purchasing orders
--              (tgl_edit else tgl_order); qualifying toko daring transactions (optional).
-- Events are summed per PD, month and kind as they are read (tmp_penyerapan_month) instead of being
-- stored one row each: an event without a date counts at as_of, events after as_of are left out,
-- events without a PD go to '(tanpa PD)'; events before January count in January, after December
-- in December.
CREATE TEMP TABLE tmp_penyerapan_month ON COMMIT DROP AS
WITH event AS (
  SELECT s.kd_klpd, s.kd_satker_str, 'committed'::text AS kind,
         CASE WHEN k.nilai_kontrak IS NOT NULL THEN COALESCE(k.tgl_kontrak, s.tgl_nilai) ELSE s.tgl_nilai END AS tgl,
         COALESCE(k.nilai_kontrak, s.nilai_kontrak) AS nilai
  FROM tmp_spse s
  JOIN tmp_spse_label l ON l.label_key = s.label_key
  LEFT JOIN tmp_kontrak k ON k.sumber = s.sumber AND k.kd_paket_spse = s.kd_paket_spse
  WHERE NOT l.is_gagal
    AND COALESCE(k.nilai_kontrak, s.nilai_kontrak) IS NOT NULL
  UNION ALL
  SELECT kd_klpd, kd_satker_str, 'committed', tgl_order, nilai FROM tmp_order WHERE is_aktif
  UNION ALL
  SELECT kd_klpd, kd_satker_str, 'committed', tgl_buat, total_realisasi FROM tmp_pencatatan WHERE NOT cancelled
  UNION ALL
  SELECT kd_klpd, kd_satker_str, 'committed', tgl, valuasi FROM tmp_toko WHERE %(pny_include_toko)s
  UNION ALL
  SELECT s.kd_klpd, s.kd_satker_str, 'paid', p.tgl, p.nilai
  FROM tmp_pembayaran p JOIN tmp_spse s ON s.sumber = p.sumber AND s.kd_paket_spse = p.kd_paket_spse
  UNION ALL
  SELECT c.kd_klpd, c.kd_satker_str, 'paid', r.tgl, r.nilai
  FROM tmp_pencatatan_realisasi r JOIN tmp_pencatatan c ON c.jenis = r.jenis AND c.kd_pct = r.kd_pct
  UNION ALL
  SELECT kd_klpd, kd_satker_str, 'paid', COALESCE(tgl_edit, tgl_order), nilai FROM tmp_order WHERE is_selesai
  UNION ALL
  SELECT kd_klpd, kd_satker_str, 'paid', tgl, valuasi FROM tmp_toko WHERE %(pny_include_toko)s AND qualifies
), dated AS (
  SELECT kd_klpd, COALESCE(kd_satker_str, '(tanpa PD)') AS kd_satker_str, kind,
         COALESCE(tgl, %(as_of)s::date) AS tgl, nilai
  FROM event
)
SELECT kd_klpd, kd_satker_str,
       LEAST(GREATEST(date_trunc('month', tgl)::date, make_date(%(tahun)s, 1, 1)), make_date(%(tahun)s, 12, 1)) AS bulan,
       sum(nilai) FILTER (WHERE kind = 'committed') AS committed_month,
       sum(nilai) FILTER (WHERE kind = 'paid') AS paid_month
FROM dated
WHERE tgl <= %(as_of)s::date
GROUP BY 1, 2, 3;
ANALYZE tmp_penyerapan_month;

WITH month AS (
  -- January up to the as_of month (December at most).
  SELECT m::date AS bulan, extract(month FROM m)::int AS n
  FROM generate_series(make_date(%(tahun)s, 1, 1),
                       LEAST(date_trunc('month', %(as_of)s::date), make_date(%(tahun)s, 12, 1)),
                       interval '1 month') AS m
), pagu_rows AS (
  SELECT kd_klpd, COALESCE(kd_satker_str, '(tanpa PD)') AS kd_satker_str, pagu
  FROM tmp_rup_pd WHERE NOT excluded AND %(pny_pagu)s = 'rup_total'
  UNION ALL
  SELECT kd_klpd, kd_satker_str, belanja_pengadaan FROM tmp_anggaran WHERE %(pny_pagu)s = 'belanja_pengadaan'
), pagu AS (
  SELECT kd_klpd, COALESCE(kd_satker_str, '') AS kd_satker_str, sum(pagu) AS pagu
  FROM pagu_rows GROUP BY GROUPING SETS ((kd_klpd, kd_satker_str), (kd_klpd))
), monthly AS (
  SELECT e.kd_klpd, COALESCE(e.kd_satker_str, '') AS kd_satker_str, e.bulan,
         sum(e.committed_month) AS committed_month, sum(e.paid_month) AS paid_month
  FROM tmp_penyerapan_month e
  GROUP BY GROUPING SETS ((e.kd_klpd, e.kd_satker_str, e.bulan), (e.kd_klpd, e.bulan))
), scope AS (
  SELECT kd_klpd, kd_satker_str FROM pagu
  UNION
  SELECT kd_klpd, kd_satker_str FROM monthly
  UNION
  SELECT kd_klpd, '' FROM tmp_run   -- '' = KLPD level until the final NULLIF
), grid AS (
  SELECT sc.kd_klpd, sc.kd_satker_str, m.bulan, m.n,
         COALESCE(mo.committed_month, 0) AS committed_month, COALESCE(mo.paid_month, 0) AS paid_month
  FROM scope sc CROSS JOIN month m
  LEFT JOIN monthly mo ON mo.kd_klpd = sc.kd_klpd AND mo.kd_satker_str = sc.kd_satker_str
                      AND mo.bulan = m.bulan
), cumulative AS (
  SELECT g.*,
         sum(g.committed_month) OVER w AS committed,
         sum(g.paid_month) OVER w AS paid
  FROM grid g
  WINDOW w AS (PARTITION BY g.kd_klpd, g.kd_satker_str ORDER BY g.bulan)
)
INSERT INTO mart.penyerapan (metric_run_id, tahun, as_of, kd_klpd, kd_satker_str, bulan, pagu,
  committed_month, paid_month, committed, paid, committed_pct, paid_pct, target_pct)
SELECT run.metric_run_id, %(tahun)s, %(as_of)s, c.kd_klpd, NULLIF(c.kd_satker_str, ''), c.bulan,
       COALESCE(p.pagu, 0), c.committed_month, c.paid_month, c.committed, c.paid,
       100 * c.committed / NULLIF(p.pagu, 0), 100 * c.paid / NULLIF(p.pagu, 0), t.target_pct
FROM cumulative c
JOIN tmp_run run ON run.kd_klpd = c.kd_klpd
LEFT JOIN pagu p ON p.kd_klpd = c.kd_klpd AND p.kd_satker_str = c.kd_satker_str
LEFT JOIN tmp_curve t ON t.n = c.n;
