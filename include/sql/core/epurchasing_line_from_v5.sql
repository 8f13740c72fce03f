-- core.epurchasing_line ← staging.ecat_paket_v5 (one row per kd_paket × kd_produk, last wins).
SELECT DISTINCT ON (s.kd_paket, s.kd_produk)
       'v5'::text AS versi, s.kd_paket::text AS kd_paket, s.kd_produk,
       s.kuantitas, s.harga_satuan, s.ongkos_kirim, s.total_harga
  FROM staging.ecat_paket_v5 s
 WHERE s.fetch_id = %(fetch_id)s
   AND (%(include_quarantined)s OR NOT EXISTS (SELECT 1 FROM _quarantined q WHERE q.row_no = s.row_no))
   AND s.kd_paket IS NOT NULL AND s.kd_produk IS NOT NULL
 ORDER BY s.kd_paket, s.kd_produk, s.row_no DESC
