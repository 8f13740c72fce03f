-- Issue 14 points 4–7 (validation/load): repeated facts collapse, budget lines keep an ordinal,
-- the load balance is recorded, and referential orphans are findings computed from core.
--
-- * audit.collapsed_row: staging copies of a fact that validation collapsed onto a kept copy
--   (rows equal on every business field). The loader excludes them like quarantined rows, so
--   rows_in = rows_accepted + rows_quarantined + rows_collapsed (+ rows_dropped, always 0 unless
--   a mapping lost a row — then it is counted, never silent).
-- * audit.validation_run.action gains 'collapse'.
-- * core/history.rup_anggaran gain `ordinal`: RUP-PaketAnggaranPenyedia repeats (kd_rup, mak,
--   sumber_dana) for distinct budget lines (no line id in the feed), so the key is
--   (kd_rup, mak, sumber_dana, ordinal) and Σ pagu in core equals Σ pagu in the feed.
-- * audit.orphan_kd_rup / audit.orphan_satker (+ *_count): orphan status derived at query time
--   from core, so it never depends on which partition was loaded first.

-- ------------------------------------------------------------------ validation: collapse action
ALTER TABLE audit.validation_run DROP CONSTRAINT validation_run_action_check;
ALTER TABLE audit.validation_run ADD CONSTRAINT validation_run_action_check
  CHECK (action IN ('stop', 'quarantine', 'flag', 'collapse'));
COMMENT ON COLUMN audit.validation_run.action IS
  'stop, quarantine (baris dikarantina), flag (dimuat, dilaporkan) atau collapse (salinan identik digabung) / stop, quarantine (rows quarantined), flag (loaded, reported) or collapse (identical copies merged)';
ALTER TABLE audit.validation_run ADD COLUMN n_collapsed bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN audit.validation_run.n_collapsed IS
  'Jumlah salinan identik yang digabung dalam run ini / Identical copies collapsed by this run';

CREATE TABLE audit.collapsed_row (
    fetch_id     bigint  NOT NULL,
    row_no       integer NOT NULL,
    dataset      text    NOT NULL,
    kept_row_no  integer NOT NULL,
    run_id       bigint  NOT NULL,
    rule         text    NOT NULL,
    collapsed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (fetch_id, row_no),
    CHECK (kept_row_no <> row_no)
);
COMMENT ON TABLE audit.collapsed_row IS
  'Salinan fakta yang identik pada semua field bisnis (beda hanya metadata sumber / field fan-out) dan digabung ke satu baris; tidak dimuat terpisah / Copies of a fact equal on every business field (differing only in source metadata / fan-out fields), collapsed onto one kept row; not loaded separately';
COMMENT ON COLUMN audit.collapsed_row.fetch_id IS 'Fetch mentah (raw.fetch) / Raw fetch (raw.fetch)';
COMMENT ON COLUMN audit.collapsed_row.row_no IS 'row_no salinan yang digabung / row_no of the collapsed copy';
COMMENT ON COLUMN audit.collapsed_row.dataset IS 'Nama dataset (pantau.datasets) / Dataset name (pantau.datasets)';
COMMENT ON COLUMN audit.collapsed_row.kept_row_no IS 'row_no salinan yang dimuat / row_no of the copy that is loaded';
COMMENT ON COLUMN audit.collapsed_row.run_id IS 'Id validasi (audit.validation_run.run_id) / Validation run id (audit.validation_run.run_id)';
COMMENT ON COLUMN audit.collapsed_row.rule IS 'Aturan yang menggabung, mis. key_unique:kd_nontender+no_bap+no_bast / Rule that collapsed it';
COMMENT ON COLUMN audit.collapsed_row.collapsed_at IS 'Waktu digabung / When it was collapsed';

-- ------------------------------------------------------------------ load log: the balance
ALTER TABLE audit.load_log
  ADD COLUMN rows_accepted     integer,
  ADD COLUMN rows_collapsed    integer,
  ADD COLUMN rows_dropped      integer,
  ADD COLUMN validation_run_id bigint;
COMMENT ON COLUMN audit.load_log.rows_accepted IS
  'Baris staging yang masuk core (rows_in = rows_accepted + rows_quarantined + rows_collapsed + rows_dropped) / Staging rows that reached core (rows_in = rows_accepted + rows_quarantined + rows_collapsed + rows_dropped)';
COMMENT ON COLUMN audit.load_log.rows_collapsed IS
  'Salinan fakta identik yang digabung (audit.collapsed_row) / Identical fact copies collapsed (audit.collapsed_row)';
COMMENT ON COLUMN audit.load_log.rows_dropped IS
  'Baris staging diterima validasi tetapi tidak menghasilkan baris core (harus 0; dihitung, tidak diam-diam) / Staging rows accepted by validation that produced no core row (should be 0; counted, never silent)';
COMMENT ON COLUMN audit.load_log.validation_run_id IS
  'Run validasi yang menjadi dasar pemuatan; NULL = dimuat tanpa validasi (allow_unvalidated) / Validation run the load relied on; NULL = loaded unvalidated (allow_unvalidated)';

-- ------------------------------------------------------------------ budget lines: ordinal
ALTER TABLE core.rup_anggaran ADD COLUMN ordinal integer NOT NULL DEFAULT 1;
ALTER TABLE core.rup_anggaran DROP CONSTRAINT rup_anggaran_pkey;
ALTER TABLE core.rup_anggaran ADD PRIMARY KEY (kd_rup, mak, sumber_dana, ordinal);
COMMENT ON COLUMN core.rup_anggaran.ordinal IS
  'Nomor urut baris anggaran dengan kd_rup, mak, sumber_dana yang sama (1 = pertama; diurutkan menurut nilai bisnis, bukan row_no) / Ordinal of budget lines sharing kd_rup, mak, sumber_dana (1 = first; ordered by business values, not row_no)';

ALTER TABLE history.rup_anggaran ADD COLUMN ordinal integer NOT NULL DEFAULT 1;
ALTER TABLE history.rup_anggaran DROP CONSTRAINT rup_anggaran_pkey;
ALTER TABLE history.rup_anggaran ADD PRIMARY KEY (kd_rup, mak, sumber_dana, ordinal, valid_from);
DROP INDEX history.rup_anggaran_current_uq;
CREATE UNIQUE INDEX rup_anggaran_current_uq ON history.rup_anggaran (kd_rup, mak, sumber_dana, ordinal)
  WHERE valid_to IS NULL;
COMMENT ON COLUMN history.rup_anggaran.ordinal IS
  'Nomor urut baris anggaran dengan kd_rup, mak, sumber_dana yang sama (1 = pertama; diurutkan menurut nilai bisnis, bukan row_no) / Ordinal of budget lines sharing kd_rup, mak, sumber_dana (1 = first; ordered by business values, not row_no)';

SELECT audit.build_lineage_view();  -- its row_key follows the new primary key

-- ------------------------------------------------------------------ orphan kd_rup (finding)
CREATE VIEW audit.orphan_kd_rup AS
WITH pkg AS (
  SELECT 'tender'::text AS sumber, t.kd_tender::text AS package_id, t.tahun_anggaran, t.kd_klpd,
         t.kd_satker_str, t.src_partition, t.kd_rup_list
    FROM core.tender t WHERE NOT t.is_deleted
  UNION ALL
  SELECT 'nontender', n.kd_nontender::text, n.tahun_anggaran, n.kd_klpd, n.kd_satker_str, n.src_partition,
         n.kd_rup_list
    FROM core.nontender n WHERE NOT n.is_deleted
  UNION ALL
  SELECT 'pencatatan_' || p.jenis, p.kd_pct::text, p.tahun_anggaran, p.kd_klpd, p.kd_satker_str,
         p.src_partition, p.kd_rup_list
    FROM core.pencatatan p WHERE NOT p.is_deleted
  UNION ALL
  SELECT 'epurchasing_' || e.versi, e.kd_paket, e.tahun_anggaran, e.kd_klpd, e.kd_satker_str, e.src_partition,
         e.kd_rup::text
    FROM core.epurchasing_order e WHERE NOT e.is_deleted
), ids AS (
  SELECT pkg.*,
         ARRAY(SELECT btrim(x)::bigint FROM unnest(string_to_array(pkg.kd_rup_list, ';')) AS x
                WHERE btrim(x) ~ '^[0-9]{1,18}$') AS kd_rups
    FROM pkg
)
SELECT i.sumber, i.package_id, i.tahun_anggaran, i.kd_klpd, i.kd_satker_str, i.src_partition, i.kd_rup_list,
       CASE
         WHEN cardinality(i.kd_rups) = 0 THEN 'no_kd_rup'
         WHEN EXISTS (SELECT 1 FROM core.rup_paket r
                       WHERE r.kd_rup = ANY (i.kd_rups) AND r.tahun_anggaran = i.tahun_anggaran
                         AND NOT r.is_deleted) THEN 'matched'
         WHEN NOT EXISTS (SELECT 1 FROM core.rup_paket r
                           WHERE r.kd_klpd = i.kd_klpd AND r.tahun_anggaran = i.tahun_anggaran) THEN 'rup_not_loaded'
         ELSE 'orphan'
       END AS status
  FROM ids i;
COMMENT ON VIEW audit.orphan_kd_rup IS
  'Temuan kualitas data: paket SPSE/pencatatan/e-Katalog di core yang kd_rup-nya tidak ada di RUP tahun yang sama; dihitung dari core saat dibaca, jadi tidak bergantung urutan pemuatan; baris tetap dimuat / Data-quality finding: SPSE/pencatatan/e-Katalog packages in core none of whose kd_rup is in the RUP of the same year; computed from core when read, so independent of load order; the rows stay loaded';
COMMENT ON COLUMN audit.orphan_kd_rup.sumber IS 'Asal paket: tender, nontender, pencatatan_*, epurchasing_* / Package source';
COMMENT ON COLUMN audit.orphan_kd_rup.package_id IS 'Id paket (kd_tender, kd_nontender, kd_pct, kd_paket) / Package id';
COMMENT ON COLUMN audit.orphan_kd_rup.tahun_anggaran IS 'Tahun anggaran paket / Fiscal year of the package';
COMMENT ON COLUMN audit.orphan_kd_rup.kd_klpd IS 'Kode K/L/PD / K/L/PD code';
COMMENT ON COLUMN audit.orphan_kd_rup.kd_satker_str IS 'Kode PD (SIPD) / PD code (SIPD)';
COMMENT ON COLUMN audit.orphan_kd_rup.src_partition IS 'Partisi pemilik baris core / Partition owning the core row';
COMMENT ON COLUMN audit.orphan_kd_rup.kd_rup_list IS 'kd_rup seperti dikirim sumber (dipisah ";") / kd_rup as sent by the source (";"-separated)';
COMMENT ON COLUMN audit.orphan_kd_rup.status IS
  'matched (ada kd_rup di RUP), orphan (tidak satu pun), no_kd_rup (kosong/tidak terbaca), rup_not_loaded (RUP instansi-tahun belum dimuat) / matched, orphan, no_kd_rup, rup_not_loaded';

CREATE VIEW audit.orphan_kd_rup_count AS
SELECT CASE WHEN GROUPING(o.kd_satker_str) = 1 THEN 'partition' ELSE 'pd' END AS scope,
       o.src_partition, o.sumber, o.tahun_anggaran, o.kd_klpd, o.kd_satker_str,
       count(*) AS n_packages,
       count(*) FILTER (WHERE o.status = 'orphan') AS n_orphan,
       count(*) FILTER (WHERE o.status = 'matched') AS n_matched,
       count(*) FILTER (WHERE o.status = 'no_kd_rup') AS n_no_kd_rup,
       count(*) FILTER (WHERE o.status = 'rup_not_loaded') AS n_rup_not_loaded
  FROM audit.orphan_kd_rup o
 GROUP BY GROUPING SETS ((o.src_partition, o.sumber, o.tahun_anggaran, o.kd_klpd),
                         (o.src_partition, o.sumber, o.tahun_anggaran, o.kd_klpd, o.kd_satker_str));
COMMENT ON VIEW audit.orphan_kd_rup_count IS
  'Jumlah paket yatim kd_rup per partisi (scope = partition) dan per PD (scope = pd) / Orphan kd_rup package counts per partition (scope = partition) and per PD (scope = pd)';
COMMENT ON COLUMN audit.orphan_kd_rup_count.scope IS 'partition = total partisi; pd = per kd_satker_str / partition = partition total; pd = per kd_satker_str';
COMMENT ON COLUMN audit.orphan_kd_rup_count.src_partition IS 'Partisi "dataset/instansi/tahun" / Partition "dataset/instance/year"';
COMMENT ON COLUMN audit.orphan_kd_rup_count.sumber IS 'Asal paket / Package source';
COMMENT ON COLUMN audit.orphan_kd_rup_count.tahun_anggaran IS 'Tahun anggaran / Fiscal year';
COMMENT ON COLUMN audit.orphan_kd_rup_count.kd_klpd IS 'Kode K/L/PD / K/L/PD code';
COMMENT ON COLUMN audit.orphan_kd_rup_count.kd_satker_str IS 'Kode PD (NULL pada scope partition) / PD code (NULL for scope partition)';
COMMENT ON COLUMN audit.orphan_kd_rup_count.n_packages IS 'Jumlah paket / Packages';
COMMENT ON COLUMN audit.orphan_kd_rup_count.n_orphan IS 'Paket yatim (kd_rup tidak di RUP) / Orphan packages (kd_rup not in RUP)';
COMMENT ON COLUMN audit.orphan_kd_rup_count.n_matched IS 'Paket dengan kd_rup di RUP / Packages with a kd_rup in RUP';
COMMENT ON COLUMN audit.orphan_kd_rup_count.n_no_kd_rup IS 'Paket tanpa kd_rup terbaca / Packages without a readable kd_rup';
COMMENT ON COLUMN audit.orphan_kd_rup_count.n_rup_not_loaded IS 'Paket yang RUP-nya belum dimuat / Packages whose RUP is not loaded yet';

-- ------------------------------------------------------------------ orphan kd_satker_str (finding)
CREATE VIEW audit.orphan_satker AS
WITH refs AS (
  SELECT 'rup_paket'::text AS core_table, r.kd_rup::text AS row_id, r.tahun_anggaran, r.kd_klpd, r.kd_satker_str,
         r.src_partition FROM core.rup_paket r WHERE NOT r.is_deleted
  UNION ALL
  SELECT 'struktur_anggaran', s.kd_satker_str, s.tahun_anggaran, s.kd_klpd, s.kd_satker_str, s.src_partition
    FROM core.struktur_anggaran s WHERE NOT s.is_deleted
  UNION ALL
  SELECT 'tender', t.kd_tender::text, t.tahun_anggaran, t.kd_klpd, t.kd_satker_str, t.src_partition
    FROM core.tender t WHERE NOT t.is_deleted
  UNION ALL
  SELECT 'nontender', n.kd_nontender::text, n.tahun_anggaran, n.kd_klpd, n.kd_satker_str, n.src_partition
    FROM core.nontender n WHERE NOT n.is_deleted
  UNION ALL
  SELECT 'pencatatan', p.jenis || ':' || p.kd_pct, p.tahun_anggaran, p.kd_klpd, p.kd_satker_str, p.src_partition
    FROM core.pencatatan p WHERE NOT p.is_deleted
  UNION ALL
  SELECT 'epurchasing_order', e.versi || ':' || e.kd_paket, e.tahun_anggaran, e.kd_klpd, e.kd_satker_str,
         e.src_partition FROM core.epurchasing_order e WHERE NOT e.is_deleted
)
SELECT x.core_table, x.row_id, x.tahun_anggaran, x.kd_klpd, x.kd_satker_str, x.src_partition,
       CASE
         WHEN x.kd_satker_str IS NULL OR x.kd_klpd IS NULL THEN 'no_kd_satker_str'
         WHEN EXISTS (SELECT 1 FROM core.dim_satker d WHERE d.kd_klpd = x.kd_klpd
                         AND d.kd_satker_str = x.kd_satker_str) THEN 'matched'
         WHEN NOT EXISTS (SELECT 1 FROM core.dim_satker d WHERE d.kd_klpd = x.kd_klpd) THEN 'satker_not_loaded'
         ELSE 'orphan'
       END AS status
  FROM refs x;
COMMENT ON VIEW audit.orphan_satker IS
  'Temuan kualitas data: baris core yang kd_satker_str-nya tidak ada di core.dim_satker instansinya; dihitung dari core saat dibaca (tidak bergantung urutan pemuatan); baris tetap dimuat / Data-quality finding: core rows whose kd_satker_str is not in core.dim_satker of their instance; computed from core when read (independent of load order); the rows stay loaded';
COMMENT ON COLUMN audit.orphan_satker.core_table IS 'Tabel core asal baris / Core table of the row';
COMMENT ON COLUMN audit.orphan_satker.row_id IS 'Kunci baris sebagai teks / Row key as text';
COMMENT ON COLUMN audit.orphan_satker.tahun_anggaran IS 'Tahun anggaran / Fiscal year';
COMMENT ON COLUMN audit.orphan_satker.kd_klpd IS 'Kode K/L/PD / K/L/PD code';
COMMENT ON COLUMN audit.orphan_satker.kd_satker_str IS 'Kode PD (SIPD) yang dirujuk / Referenced PD code (SIPD)';
COMMENT ON COLUMN audit.orphan_satker.src_partition IS 'Partisi pemilik baris core / Partition owning the core row';
COMMENT ON COLUMN audit.orphan_satker.status IS
  'matched, orphan (tidak ada di dim_satker), no_kd_satker_str, satker_not_loaded (MasterSatker instansi belum dimuat) / matched, orphan, no_kd_satker_str, satker_not_loaded';

CREATE VIEW audit.orphan_satker_count AS
SELECT CASE WHEN GROUPING(o.kd_satker_str) = 1 THEN 'partition' ELSE 'pd' END AS scope,
       o.src_partition, o.core_table, o.kd_klpd, o.kd_satker_str,
       count(*) AS n_rows,
       count(*) FILTER (WHERE o.status = 'orphan') AS n_orphan,
       count(*) FILTER (WHERE o.status = 'matched') AS n_matched,
       count(*) FILTER (WHERE o.status = 'no_kd_satker_str') AS n_no_kd_satker_str,
       count(*) FILTER (WHERE o.status = 'satker_not_loaded') AS n_satker_not_loaded
  FROM audit.orphan_satker o
 GROUP BY GROUPING SETS ((o.src_partition, o.core_table, o.kd_klpd),
                         (o.src_partition, o.core_table, o.kd_klpd, o.kd_satker_str));
COMMENT ON VIEW audit.orphan_satker_count IS
  'Jumlah baris dengan kd_satker_str yatim per partisi (scope = partition) dan per PD (scope = pd) / Orphan kd_satker_str row counts per partition (scope = partition) and per PD (scope = pd)';
COMMENT ON COLUMN audit.orphan_satker_count.scope IS 'partition = total partisi; pd = per kd_satker_str / partition = partition total; pd = per kd_satker_str';
COMMENT ON COLUMN audit.orphan_satker_count.src_partition IS 'Partisi "dataset/instansi/tahun" / Partition "dataset/instance/year"';
COMMENT ON COLUMN audit.orphan_satker_count.core_table IS 'Tabel core / Core table';
COMMENT ON COLUMN audit.orphan_satker_count.kd_klpd IS 'Kode K/L/PD / K/L/PD code';
COMMENT ON COLUMN audit.orphan_satker_count.kd_satker_str IS 'Kode PD (NULL pada scope partition) / PD code (NULL for scope partition)';
COMMENT ON COLUMN audit.orphan_satker_count.n_rows IS 'Jumlah baris / Rows';
COMMENT ON COLUMN audit.orphan_satker_count.n_orphan IS 'Baris yatim / Orphan rows';
COMMENT ON COLUMN audit.orphan_satker_count.n_matched IS 'Baris cocok dengan dim_satker / Rows matching dim_satker';
COMMENT ON COLUMN audit.orphan_satker_count.n_no_kd_satker_str IS 'Baris tanpa kd_satker_str / Rows without kd_satker_str';
COMMENT ON COLUMN audit.orphan_satker_count.n_satker_not_loaded IS 'Baris yang MasterSatker-nya belum dimuat / Rows whose MasterSatker is not loaded yet';
