-- core.tender ← staging.spse_tender_pengumuman (owner of the tender rows; winner columns come
-- from tender_from_selesai_nilai.sql and are not touched here).
SELECT DISTINCT ON (s.kd_tender)
       s.kd_tender, s.tahun_anggaran::smallint AS tahun_anggaran, s.kd_klpd, s.kd_lpse, s.kd_satker_str,
       s.kd_satker AS spse_kd_satker, s.kd_pkt_dce, s.kd_rup AS kd_rup_list, s.nama_paket, s.pagu, s.hps,
       s.sumber_dana, s.mtd_pemilihan, s.jenis_pengadaan, s.status_tender, s.versi_tender,
       s.tanggal_status, s.tgl_pengumuman_tender
  FROM staging.spse_tender_pengumuman s
 WHERE s.fetch_id = %(fetch_id)s
   AND (%(include_quarantined)s OR NOT EXISTS (SELECT 1 FROM _quarantined q WHERE q.row_no = s.row_no))
   AND s.kd_tender IS NOT NULL
 ORDER BY s.kd_tender, s.row_no DESC
