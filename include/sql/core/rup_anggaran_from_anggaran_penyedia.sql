-- core.rup_anggaran ← staging.rup_paket_anggaran_penyedia: every budget line is kept. The feed
-- repeats (kd_rup, mak, sumber_dana) for distinct lines (no line id; on the real D197 feed Σ pagu
-- of a package's lines equals its pagu only with every repeat kept), so lines sharing it get an
-- ordinal: 1, 2, … ordered by the business values (pagu first), never by row_no, which changes
-- between fetches. Empty mak/sumber_dana become '' so they can be part of the key.
SELECT s.kd_rup, coalesce(s.mak, '') AS mak, coalesce(s.sumber_dana, '') AS sumber_dana,
       row_number() OVER (PARTITION BY s.kd_rup, coalesce(s.mak, ''), coalesce(s.sumber_dana, '')
                          ORDER BY s.pagu NULLS FIRST, s.kd_subkegiatan NULLS FIRST, s.asal_dana NULLS FIRST,
                                   s.kd_satker_str NULLS FIRST, s.status_umumkan_rup NULLS FIRST,
                                   s.status_aktif_rup NULLS FIRST, s.status_delete_rup NULLS FIRST,
                                   s.tahun_anggaran NULLS FIRST, s.row_no)::integer AS ordinal,
       'penyedia'::text AS tipe, s.tahun_anggaran::smallint AS tahun_anggaran, s.kd_klpd, s.kd_satker_str,
       s.pagu, s.asal_dana, s.kd_subkegiatan, s.status_umumkan_rup, s.status_aktif_rup, s.status_delete_rup
  FROM staging.rup_paket_anggaran_penyedia s
 WHERE s.fetch_id = %(fetch_id)s
   AND (%(include_quarantined)s OR NOT EXISTS (SELECT 1 FROM _quarantined q WHERE q.row_no = s.row_no))
   AND s.kd_rup IS NOT NULL
