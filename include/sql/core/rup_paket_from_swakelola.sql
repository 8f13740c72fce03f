-- core.rup_paket (tipe 'swakelola') ← staging.rup_paket_swakelola. No method/category fields
-- in this feed; the pelaksanaan months fill the contract-month columns.
SELECT DISTINCT ON (s.kd_rup)
       s.kd_rup, s.tahun_anggaran::smallint AS tahun_anggaran, s.kd_klpd, s.kd_satker_str,
       s.kd_satker AS sirup_kd_satker, s.nama_satker, 'swakelola'::text AS tipe, s.nama_paket, s.pagu,
       NULL::integer AS kd_metode_pengadaan, 'Swakelola'::text AS metode_pengadaan,
       NULL::text AS kd_jenis_pengadaan, NULL::text AS jenis_pengadaan, s.tipe_swakelola,
       s.status_umumkan_rup, s.status_aktif_rup, s.status_delete_rup, NULL::boolean AS status_dikecualikan,
       s.tgl_pengumuman_paket, s.tgl_buat_paket, NULL::date AS tgl_awal_pemilihan, NULL::date AS tgl_akhir_pemilihan,
       s.tgl_awal_pelaksanaan_kontrak AS tgl_awal_kontrak, s.tgl_akhir_pelaksanaan_kontrak AS tgl_akhir_kontrak,
       s.nip_ppk, s.nama_ppk
  FROM staging.rup_paket_swakelola s
 WHERE s.fetch_id = %(fetch_id)s
   AND (%(include_quarantined)s OR NOT EXISTS (SELECT 1 FROM _quarantined q WHERE q.row_no = s.row_no))
   AND s.kd_rup IS NOT NULL
 ORDER BY s.kd_rup, s.row_no DESC
