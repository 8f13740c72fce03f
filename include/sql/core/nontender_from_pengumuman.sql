-- core.nontender ← staging.spse_nontender_pengumuman (owner of the non-tender rows).
SELECT DISTINCT ON (s.kd_nontender)
       s.kd_nontender, s.tahun_anggaran::smallint AS tahun_anggaran, s.kd_klpd, s.kd_lpse, s.kd_satker_str,
       s.kd_satker AS spse_kd_satker, s.kd_pkt_dce, s.kd_rup AS kd_rup_list, s.nama_paket, s.pagu, s.hps,
       s.sumber_dana, s.mtd_pemilihan, s.jenis_pengadaan, s.status_nontender, s.versi_nontender,
       s.tgl_pengumuman_nontender
  FROM staging.spse_nontender_pengumuman s
 WHERE s.fetch_id = %(fetch_id)s
   AND (%(include_quarantined)s OR NOT EXISTS (SELECT 1 FROM _quarantined q WHERE q.row_no = s.row_no))
   AND s.kd_nontender IS NOT NULL
 ORDER BY s.kd_nontender, s.row_no DESC
