-- core.rup_anggaran ← staging.rup_paket_anggaran_penyedia (one row per kd_rup × mak × sumber_dana;
-- empty mak/sumber_dana become '' so they can be part of the key).
SELECT DISTINCT ON (s.kd_rup, coalesce(s.mak, ''), coalesce(s.sumber_dana, ''))
       s.kd_rup, coalesce(s.mak, '') AS mak, coalesce(s.sumber_dana, '') AS sumber_dana,
       'penyedia'::text AS tipe, s.tahun_anggaran::smallint AS tahun_anggaran, s.kd_klpd, s.kd_satker_str,
       s.pagu, s.asal_dana, s.kd_subkegiatan, s.status_umumkan_rup, s.status_aktif_rup, s.status_delete_rup
  FROM staging.rup_paket_anggaran_penyedia s
 WHERE s.fetch_id = %(fetch_id)s
   AND (%(include_quarantined)s OR NOT EXISTS (SELECT 1 FROM _quarantined q WHERE q.row_no = s.row_no))
   AND s.kd_rup IS NOT NULL
 ORDER BY s.kd_rup, coalesce(s.mak, ''), coalesce(s.sumber_dana, ''), s.row_no DESC
