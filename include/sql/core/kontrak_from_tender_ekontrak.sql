-- core.kontrak (sumber 'tender') ← staging.spse_tender_ekontrak_kontrak, one row per addendum version
-- (null versi_addendum = original contract = 0).
SELECT DISTINCT ON (s.kd_tender, coalesce(s.versi_addendum, 0))
       'tender'::text AS sumber, s.kd_tender AS kd_paket_spse, coalesce(s.versi_addendum, 0) AS versi_addendum,
       s.tahun_anggaran::smallint AS tahun_anggaran, s.kd_klpd, s.kd_lpse, s.kd_satker_str,
       s.no_kontrak, s.tgl_kontrak, s.tgl_kontrak_awal, s.tgl_kontrak_akhir, s.nilai_kontrak,
       s.jenis_kontrak, s.status_kontrak, s.nama_penyedia
  FROM staging.spse_tender_ekontrak_kontrak s
 WHERE s.fetch_id = %(fetch_id)s
   AND (%(include_quarantined)s OR NOT EXISTS (SELECT 1 FROM _quarantined q WHERE q.row_no = s.row_no))
   AND s.kd_tender IS NOT NULL
 ORDER BY s.kd_tender, coalesce(s.versi_addendum, 0), s.row_no DESC
