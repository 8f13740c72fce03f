-- core.pembayaran (sumber 'nontender') ← staging.spse_nontender_ekontrak_bapbast, one row per BAP/BAST
-- (empty no_bap/no_bast become '' so they can be part of the key; a placeholder '-' BAP number
-- repeats across a package's payments, so the BAST number is part of the grain).
SELECT DISTINCT ON (s.kd_nontender, coalesce(s.no_bap, ''), coalesce(s.no_bast, ''))
       'nontender'::text AS sumber, s.kd_nontender AS kd_paket_spse, coalesce(s.no_bap, '') AS no_bap,
       s.tahun_anggaran::smallint AS tahun_anggaran, s.kd_klpd, s.kd_lpse, s.kd_satker_str,
       s.tgl_bap, coalesce(s.no_bast, '') AS no_bast, s.tgl_bast, s.besar_pembayaran, s.progres_pekerjaan, s.cara_pembayaran_kontrak
  FROM staging.spse_nontender_ekontrak_bapbast s
 WHERE s.fetch_id = %(fetch_id)s
   AND (%(include_quarantined)s OR NOT EXISTS (SELECT 1 FROM _quarantined q WHERE q.row_no = s.row_no))
   AND s.kd_nontender IS NOT NULL
 ORDER BY s.kd_nontender, coalesce(s.no_bap, ''), coalesce(s.no_bast, ''), s.row_no DESC
