-- core.pencatatan_realisasi (jenis 'nontender') ← staging.spse_pencatatan_nontender_realisasi.
-- Grain: package × receipt number × date × amount — receipt numbers may be blank (""), and two
-- blank-numbered lines of one day differ by amount. Rows with a null key part are quarantined by
-- validation (key_not_null) before this runs; the NOT NULL filter below only guards the key.
SELECT DISTINCT ON (s.kd_nontender_pct, coalesce(s.no_realisasi, ''), s.tgl_realisasi, s.nilai_realisasi)
       'nontender'::text AS jenis, s.kd_nontender_pct AS kd_pct, coalesce(s.no_realisasi, '') AS no_realisasi,
       s.tgl_realisasi, s.tahun_anggaran::smallint AS tahun_anggaran, s.kd_klpd, s.kd_lpse, s.kd_satker_str,
       s.nilai_realisasi, s.jenis_realisasi
  FROM staging.spse_pencatatan_nontender_realisasi s
 WHERE s.fetch_id = %(fetch_id)s
   AND (%(include_quarantined)s OR NOT EXISTS (SELECT 1 FROM _quarantined q WHERE q.row_no = s.row_no))
   AND s.kd_nontender_pct IS NOT NULL AND s.tgl_realisasi IS NOT NULL AND s.nilai_realisasi IS NOT NULL
 ORDER BY s.kd_nontender_pct, coalesce(s.no_realisasi, ''), s.tgl_realisasi, s.nilai_realisasi, s.row_no DESC
