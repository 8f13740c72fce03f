-- core.pencatatan (jenis 'nontender') ← staging.spse_pencatatan_nontender.
SELECT DISTINCT ON (s.kd_nontender_pct)
       'nontender'::text AS jenis, s.kd_nontender_pct AS kd_pct, s.tahun_anggaran::smallint AS tahun_anggaran,
       s.kd_klpd, s.kd_lpse, s.kd_satker_str, s.kd_pkt_dce, s.kd_rup AS kd_rup_list, s.nama_paket, s.pagu,
       s.total_realisasi, s.sumber_dana, s.kategori_pengadaan, s.mtd_pemilihan,
       s.status_nontender_pct AS status, s.status_nontender_pct_ket AS status_ket, s.alasan_pembatalan,
       s.tgl_buat_paket, s.tgl_mulai_paket, s.tgl_selesai_paket
  FROM staging.spse_pencatatan_nontender s
 WHERE s.fetch_id = %(fetch_id)s
   AND (%(include_quarantined)s OR NOT EXISTS (SELECT 1 FROM _quarantined q WHERE q.row_no = s.row_no))
   AND s.kd_nontender_pct IS NOT NULL
 ORDER BY s.kd_nontender_pct, s.row_no DESC
