-- core.struktur_anggaran ← staging.rup_struktur_anggaran. tahun_anggaran is null in some source
-- rows: the partition's year is used then. All-null amount rows are kept (null ≠ 0 here).
SELECT DISTINCT ON (coalesce(s.tahun_anggaran, %(tahun)s), s.kd_klpd, s.kd_satker_str)
       coalesce(s.tahun_anggaran, %(tahun)s)::smallint AS tahun_anggaran,
       s.kd_klpd, s.kd_satker_str, s.kd_satker AS sirup_kd_satker, s.nama_satker,
       s.belanja_operasi, s.belanja_modal, s.belanja_btt, s.belanja_non_pengadaan,
       s.belanja_pengadaan, s.total_belanja
  FROM staging.rup_struktur_anggaran s
 WHERE s.fetch_id = %(fetch_id)s
   AND (%(include_quarantined)s OR NOT EXISTS (SELECT 1 FROM _quarantined q WHERE q.row_no = s.row_no))
   AND s.kd_klpd IS NOT NULL AND s.kd_satker_str IS NOT NULL
 ORDER BY coalesce(s.tahun_anggaran, %(tahun)s), s.kd_klpd, s.kd_satker_str, s.row_no DESC
