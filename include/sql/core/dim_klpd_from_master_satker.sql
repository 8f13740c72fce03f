-- core.dim_klpd ← staging.rup_master_satker: one row per kd_klpd (a dimension derived from many satker
-- rows; the last row names it — no satker fact is dropped, each is in core.dim_satker).
-- kd_lpse is not in this feed and is left untouched (set from configuration, not here).
SELECT DISTINCT ON (s.kd_klpd)
       s.kd_klpd, s.nama_klpd, s.jenis_klpd
  FROM staging.rup_master_satker s
 WHERE s.fetch_id = %(fetch_id)s
   AND (%(include_quarantined)s OR NOT EXISTS (SELECT 1 FROM _quarantined q WHERE q.row_no = s.row_no))
   AND s.kd_klpd IS NOT NULL
 ORDER BY s.kd_klpd, s.row_no DESC
