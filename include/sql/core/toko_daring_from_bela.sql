-- core.toko_daring ← staging.bela_toko_daring. Bela kd_satker is the SIRUP id; kd_satker_str is
-- resolved through core.dim_satker (load RUP-MasterSatker first).
SELECT DISTINCT ON (s.order_id)
       s.order_id, coalesce(s.tahun_anggaran, %(tahun)s)::smallint AS tahun_anggaran, s.kd_klpd,
       s.kd_satker AS sirup_kd_satker,
       (SELECT d.kd_satker_str FROM core.dim_satker d
         WHERE d.kd_klpd = s.kd_klpd AND d.sirup_kd_satker = s.kd_satker
         ORDER BY d.is_deleted, d.kd_satker_str LIMIT 1) AS kd_satker_str,
       s.nama_satker, s.valuasi, s.kategori, s.tanggal_transaksi, s.status_verif, s.status_konfirmasi_ppmse
  FROM staging.bela_toko_daring s
 WHERE s.fetch_id = %(fetch_id)s
   AND (%(include_quarantined)s OR NOT EXISTS (SELECT 1 FROM _quarantined q WHERE q.row_no = s.row_no))
   AND s.order_id IS NOT NULL
 ORDER BY s.order_id, s.row_no DESC
