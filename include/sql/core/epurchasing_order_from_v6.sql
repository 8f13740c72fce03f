-- core.epurchasing_order (versi 'v6') ← staging.ecat_paket_v6, one row per order: nilai =
-- total_harga (the order total as published); ongkir is kept in ongkos_kirim.
SELECT DISTINCT ON (s.kd_paket)
       'v6'::text AS versi, s.kd_paket, s.tahun_anggaran::smallint AS tahun_anggaran, s.kd_klpd,
       s.kd_satker_str, NULL::bigint AS ecat_satker_id, s.kd_rup, s.rup_nama_pkt AS nama_paket, s.sumber_dana,
       s.total_harga AS nilai, s.total_harga, s.ongkir AS ongkos_kirim, s.jml_jenis_produk AS n_lines,
       s.jml_produk, s.status_pkt, s.status_pengiriman, NULL::text AS status_paket,
       s.tgl_order, NULL::date AS tgl_edit
  FROM staging.ecat_paket_v6 s
 WHERE s.fetch_id = %(fetch_id)s
   AND (%(include_quarantined)s OR NOT EXISTS (SELECT 1 FROM _quarantined q WHERE q.row_no = s.row_no))
   AND s.kd_paket IS NOT NULL
 ORDER BY s.kd_paket, s.row_no DESC
