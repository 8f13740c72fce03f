-- core.tender winner columns ← staging.spse_tender_selesai_nilai. Does not own tender rows: it
-- updates only the winner columns; identity columns are written only when it inserts a tender
-- not yet seen in TenderPengumuman (insert_only in pantau.load.mappings).
SELECT DISTINCT ON (s.kd_tender)
       s.kd_tender, s.tahun_anggaran::smallint AS tahun_anggaran, s.kd_klpd, s.kd_lpse, s.kd_satker_str,
       s.kd_pkt_dce, s.kd_rup AS kd_rup_list, s.pagu, s.hps,
       s.nilai_kontrak, s.tgl_penetapan_pemenang, s.kd_penyedia, s.nama_penyedia
  FROM staging.spse_tender_selesai_nilai s
 WHERE s.fetch_id = %(fetch_id)s
   AND (%(include_quarantined)s OR NOT EXISTS (SELECT 1 FROM _quarantined q WHERE q.row_no = s.row_no))
   AND s.kd_tender IS NOT NULL
 ORDER BY s.kd_tender, s.row_no DESC
