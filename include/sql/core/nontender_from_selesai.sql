-- core.nontender winner columns ← staging.spse_nontender_selesai (does not own rows; see
-- tender_from_selesai_nilai.sql). nilai_kontrak is null in many source rows: the value chain
-- nilai_kontrak → nilai_negosiasi → nilai_terkoreksi → nilai_penawaran is for the metrics to
-- decide, so only nilai_kontrak is stored here.
SELECT DISTINCT ON (s.kd_nontender)
       s.kd_nontender, s.tahun_anggaran::smallint AS tahun_anggaran, s.kd_klpd, s.kd_lpse, s.kd_satker_str,
       s.kd_satker AS spse_kd_satker, s.kd_pkt_dce, s.kd_rup AS kd_rup_list, s.nama_paket, s.pagu, s.hps,
       s.nilai_kontrak, s.tgl_selesai_nontender, s.kd_penyedia, s.nama_penyedia
  FROM staging.spse_nontender_selesai s
 WHERE s.fetch_id = %(fetch_id)s
   AND (%(include_quarantined)s OR NOT EXISTS (SELECT 1 FROM _quarantined q WHERE q.row_no = s.row_no))
   AND s.kd_nontender IS NOT NULL
 ORDER BY s.kd_nontender, s.row_no DESC
