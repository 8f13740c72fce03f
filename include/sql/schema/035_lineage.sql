-- Lineage: from any core row (table name + key) to the raw fetch that produced its current values.
-- audit.redact_url() strips secrets defensively (raw.fetch.url is already redacted by the
-- extractor): the ISB per-subscriber key in /api/<key>/, credentials in the authority part, and
-- token-like query parameters.
CREATE FUNCTION audit.redact_url(url text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT regexp_replace(
           regexp_replace(
             regexp_replace(url, '(/api/)[0-9A-Za-z-]{16,}(/)', '\1***\2', 'g'),
             '(://)[^/@]+@', '\1***@'),
           '([?&](token|access_token|api_key|apikey|key|secret|password|signature)=)[^&#]*', '\1***', 'gi')
$$;
COMMENT ON FUNCTION audit.redact_url(text) IS
  'Menghapus rahasia dari URL (kunci ISB, kredensial, token) / Removes secrets from a URL (ISB key, credentials, tokens)';

-- The view is a UNION ALL over every core table with a primary key; filtering on table_name
-- prunes the other branches at plan time. Built from the catalog so new core tables only need
-- a new migration that re-runs audit.build_lineage_view().
CREATE FUNCTION audit.build_lineage_view() RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  parts text[] := '{}';
  r record;
BEGIN
  FOR r IN
    SELECT c.relname AS tbl,
           string_agg(format('%L, t.%I', a.attname, a.attname), ', ' ORDER BY k.ord) AS obj_args,
           string_agg(format('t.%I::text', a.attname), ' || ''|'' || ' ORDER BY k.ord) AS txt
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'core'
      JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
     CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
     WHERE c.relkind = 'r'
     GROUP BY c.relname
     ORDER BY c.relname
  LOOP
    parts := parts || format(
      'SELECT %L::text AS table_name, jsonb_build_object(%s) AS row_key, (%s) AS row_key_text, '
      't.fetch_id, t.load_id, t.src_partition, t.is_deleted, t.deleted_at FROM core.%I t',
      r.tbl, r.obj_args, r.txt, r.tbl);
  END LOOP;
  EXECUTE 'CREATE OR REPLACE VIEW audit.lineage AS '
    || 'SELECT x.table_name, x.row_key, x.row_key_text, x.fetch_id, x.load_id, x.src_partition, '
    || 'x.is_deleted, x.deleted_at, f.source_system, f.dataset, f.kd_klpd, f.kd_lpse, f.tahun, '
    || 'audit.redact_url(f.url) AS source_url, coalesce(f.finished_at, f.started_at) AS fetched_at, '
    || 'f.sha256, f.n_rows AS fetch_n_rows, l.snapshot_date, l.finished_at AS loaded_at '
    || 'FROM (' || array_to_string(parts, ' UNION ALL ') || ') x '
    || 'LEFT JOIN raw.fetch f ON f.fetch_id = x.fetch_id '
    || 'LEFT JOIN audit.load_log l ON l.load_id = x.load_id';
  COMMENT ON VIEW audit.lineage IS
    'Silsilah: baris core (tabel + kunci) ke fetch mentahnya: URL tanpa rahasia, waktu ambil, sha256 / Lineage: core row (table + key) to its raw fetch: URL without secrets, fetch time, sha256';
  COMMENT ON COLUMN audit.lineage.table_name IS 'Nama tabel core / Core table name';
  COMMENT ON COLUMN audit.lineage.row_key IS 'Kunci baris sebagai JSON {kolom: nilai} / Row key as JSON {column: value}';
  COMMENT ON COLUMN audit.lineage.row_key_text IS 'Kunci baris sebagai teks "a|b" / Row key as text "a|b"';
  COMMENT ON COLUMN audit.lineage.fetch_id IS 'Fetch mentah nilai saat ini / Raw fetch of the current values';
  COMMENT ON COLUMN audit.lineage.load_id IS 'Pemuatan terakhir yang mengubah baris / Load that last changed the row';
  COMMENT ON COLUMN audit.lineage.src_partition IS 'Partisi pemilik / Owning partition';
  COMMENT ON COLUMN audit.lineage.is_deleted IS 'Baris hilang dari snapshot / Row missing from the snapshot';
  COMMENT ON COLUMN audit.lineage.deleted_at IS 'Tanggal snapshot saat hilang / Snapshot date it went missing';
  COMMENT ON COLUMN audit.lineage.source_system IS 'Sistem sumber (isb, inaproc_v1, …) / Source system';
  COMMENT ON COLUMN audit.lineage.dataset IS 'Dataset fetch / Fetch dataset';
  COMMENT ON COLUMN audit.lineage.kd_klpd IS 'K/L/PD fetch / Fetch K/L/PD';
  COMMENT ON COLUMN audit.lineage.kd_lpse IS 'LPSE fetch / Fetch LPSE';
  COMMENT ON COLUMN audit.lineage.tahun IS 'Tahun fetch / Fetch year';
  COMMENT ON COLUMN audit.lineage.source_url IS 'URL sumber tanpa rahasia / Source URL without secrets';
  COMMENT ON COLUMN audit.lineage.fetched_at IS 'Waktu fetch selesai / Fetch finish time';
  COMMENT ON COLUMN audit.lineage.sha256 IS 'SHA-256 seluruh body halaman fetch / SHA-256 over all page bodies of the fetch';
  COMMENT ON COLUMN audit.lineage.fetch_n_rows IS 'Jumlah baris fetch / Rows in the fetch';
  COMMENT ON COLUMN audit.lineage.snapshot_date IS 'Tanggal snapshot pemuatan / Load snapshot date';
  COMMENT ON COLUMN audit.lineage.loaded_at IS 'Waktu pemuatan selesai / Load finish time';
END
$fn$;
COMMENT ON FUNCTION audit.build_lineage_view() IS
  'Membangun ulang audit.lineage dari katalog tabel core / Rebuilds audit.lineage from the core table catalog';

SELECT audit.build_lineage_view();
