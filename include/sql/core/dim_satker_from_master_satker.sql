-- core.dim_satker ← staging.rup_master_satker. SIRUP kd_satker is also the e-Katalog satker_id
-- (sources.md §3.17), so it fills both id attributes; SPSE ids are not in this feed.
SELECT DISTINCT ON (s.kd_klpd, s.kd_satker_str)
       s.kd_klpd, s.kd_satker_str, s.nama_satker,
       s.kd_satker AS sirup_kd_satker, s.kd_satker AS ecat_satker_id,
       s.jenis_satker, s.ket_satker, s.status_satker
  FROM staging.rup_master_satker s
 WHERE s.fetch_id = %(fetch_id)s
   AND (%(include_quarantined)s OR NOT EXISTS (SELECT 1 FROM _quarantined q WHERE q.row_no = s.row_no))
   AND s.kd_klpd IS NOT NULL AND s.kd_satker_str IS NOT NULL
 ORDER BY s.kd_klpd, s.kd_satker_str, s.row_no DESC
