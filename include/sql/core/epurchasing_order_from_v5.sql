-- core.epurchasing_order (versi 'v5') ← staging.ecat_paket_v5 product lines rolled up per kd_paket.
-- Choice: nilai = Σ total_harga + Σ ongkos_kirim over the (deduplicated) lines — shipping is paid
-- from the package budget, so it counts as e-purchasing spend; both parts are kept separately.
-- Order attributes come from the last line; kd_satker_str is resolved through core.dim_satker
-- (satker_id = SIRUP kd_satker), so load RUP-MasterSatker first.
WITH lines AS (
  SELECT DISTINCT ON (s.kd_paket, s.kd_produk) s.*
    FROM staging.ecat_paket_v5 s
   WHERE s.fetch_id = %(fetch_id)s
   AND (%(include_quarantined)s OR NOT EXISTS (SELECT 1 FROM _quarantined q WHERE q.row_no = s.row_no))
     AND s.kd_paket IS NOT NULL AND s.kd_produk IS NOT NULL
   ORDER BY s.kd_paket, s.kd_produk, s.row_no DESC
), agg AS (
  SELECT kd_paket, count(*)::integer AS n_lines, sum(total_harga) AS total_harga,
         sum(ongkos_kirim) AS ongkos_kirim, sum(kuantitas) AS jml_produk, max(row_no) AS last_row
    FROM lines GROUP BY kd_paket
)
SELECT 'v5'::text AS versi, a.kd_paket::text AS kd_paket, l.tahun_anggaran::smallint AS tahun_anggaran,
       l.kd_klpd,
       (SELECT d.kd_satker_str FROM core.dim_satker d
         WHERE d.kd_klpd = l.kd_klpd AND d.sirup_kd_satker = l.satker_id
         ORDER BY d.is_deleted, d.kd_satker_str LIMIT 1) AS kd_satker_str,
       l.satker_id AS ecat_satker_id, l.kd_rup, l.nama_paket, l.nama_sumber_dana AS sumber_dana,
       coalesce(a.total_harga, 0) + coalesce(a.ongkos_kirim, 0) AS nilai,
       a.total_harga, a.ongkos_kirim, a.n_lines, a.jml_produk,
       l.paket_status_str AS status_pkt, NULL::text AS status_pengiriman, l.status_paket,
       l.tanggal_buat_paket AS tgl_order, l.tanggal_edit_paket AS tgl_edit
  FROM agg a
  JOIN lines l ON l.kd_paket = a.kd_paket AND l.row_no = a.last_row
