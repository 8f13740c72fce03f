-- History (SCD type 2) for every core table, docs/architecture.md "history".
-- history.T has the columns of core.T (copied with their comments) plus valid_from (inclusive)
-- and valid_to (exclusive; NULL = current version). A version is written by pantau.load in the
-- same transaction as the core change. As-of semantics:
--   valid_from <= :as_of AND (valid_to IS NULL OR valid_to > :as_of) AND NOT is_deleted
-- history.<T>_asof(as_of date, include_deleted boolean DEFAULT false) returns exactly that set.
-- history.create_for() is reused by later migrations that add core tables.

CREATE FUNCTION history.create_for(core_table text) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  key_cols text;
  tbl_comment text;
BEGIN
  SELECT string_agg(format('%I', a.attname), ', ' ORDER BY k.ord)
    INTO key_cols
    FROM pg_index i
    CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
   WHERE i.indrelid = format('core.%I', core_table)::regclass AND i.indisprimary;
  IF key_cols IS NULL THEN
    RAISE EXCEPTION 'core.% has no primary key; history needs a business key', core_table;
  END IF;

  EXECUTE format('CREATE TABLE history.%I (LIKE core.%I INCLUDING DEFAULTS INCLUDING COMMENTS)',
                 core_table, core_table);
  EXECUTE format('ALTER TABLE history.%I ADD COLUMN valid_from date NOT NULL, ADD COLUMN valid_to date, '
                 'ADD CONSTRAINT %I CHECK (valid_to IS NULL OR valid_to > valid_from), '
                 'ADD PRIMARY KEY (%s, valid_from)',
                 core_table, core_table || '_valid_range', key_cols);
  EXECUTE format('CREATE UNIQUE INDEX %I ON history.%I (%s) WHERE valid_to IS NULL',
                 core_table || '_current_uq', core_table, key_cols);
  EXECUTE format('CREATE INDEX %I ON history.%I (valid_from, valid_to)',
                 core_table || '_validity_idx', core_table);

  SELECT obj_description(format('core.%I', core_table)::regclass, 'pg_class') INTO tbl_comment;
  EXECUTE format('COMMENT ON TABLE history.%I IS %L', core_table,
                 'Riwayat SCD2 dari core.' || core_table || ' / SCD2 history of core.' || core_table
                 || ' — ' || coalesce(tbl_comment, ''));
  EXECUTE format('COMMENT ON COLUMN history.%I.valid_from IS %L', core_table,
                 'Versi berlaku sejak tanggal snapshot ini (inklusif) / Version valid from this snapshot date (inclusive)');
  EXECUTE format('COMMENT ON COLUMN history.%I.valid_to IS %L', core_table,
                 'Versi berlaku sampai tanggal ini (eksklusif); NULL = versi terkini / Version valid until this date (exclusive); NULL = current version');
  EXECUTE format('COMMENT ON COLUMN history.%I.is_deleted IS %L', core_table,
                 'Versi ini menandai baris hilang dari snapshot / This version marks the row as missing from the snapshot');

  EXECUTE format($f$
    CREATE FUNCTION history.%1$I(as_of date, include_deleted boolean DEFAULT false)
    RETURNS SETOF history.%2$I LANGUAGE sql STABLE AS
    'SELECT * FROM history.%2$I
      WHERE valid_from <= as_of AND (valid_to IS NULL OR valid_to > as_of)
        AND (include_deleted OR NOT is_deleted)'$f$,
    core_table || '_asof', core_table);
  EXECUTE format('COMMENT ON FUNCTION history.%I(date, boolean) IS %L', core_table || '_asof',
                 'Baris history.' || core_table || ' yang berlaku pada tanggal as_of / Rows of history.'
                 || core_table || ' valid as of the given date');
END
$fn$;
COMMENT ON FUNCTION history.create_for(text) IS
  'Membuat history.T, indeks dan fungsi T_asof untuk core.T / Creates history.T, its indexes and the T_asof function for core.T';

SELECT history.create_for(t) FROM unnest(ARRAY[
  'dim_klpd', 'dim_satker', 'struktur_anggaran', 'rup_paket', 'rup_anggaran',
  'tender', 'tender_rup', 'nontender', 'nontender_rup', 'kontrak', 'pembayaran',
  'pencatatan', 'pencatatan_rup', 'pencatatan_realisasi',
  'epurchasing_order', 'epurchasing_line', 'toko_daring'
]) AS t;
