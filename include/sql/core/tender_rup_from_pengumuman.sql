-- core.tender_rup ← the ';'-separated kd_rup list of staging.spse_tender_pengumuman, exploded.
-- ordinal = position in the original list (0-based); non-numeric fragments are skipped.
WITH latest AS (
  SELECT DISTINCT ON (s.kd_tender) s.kd_tender, s.kd_rup
    FROM staging.spse_tender_pengumuman s
   WHERE s.fetch_id = %(fetch_id)s
   AND (%(include_quarantined)s OR NOT EXISTS (SELECT 1 FROM _quarantined q WHERE q.row_no = s.row_no))
     AND s.kd_tender IS NOT NULL
   ORDER BY s.kd_tender, s.row_no DESC
)
SELECT DISTINCT ON (l.kd_tender, btrim(u.x)::bigint)
       l.kd_tender, btrim(u.x)::bigint AS kd_rup, (u.o - 1)::integer AS ordinal
  FROM latest l
 CROSS JOIN LATERAL unnest(string_to_array(l.kd_rup, ';')) WITH ORDINALITY AS u(x, o)
 WHERE btrim(u.x) ~ '^[0-9]{1,18}$'
 ORDER BY l.kd_tender, btrim(u.x)::bigint, u.o
