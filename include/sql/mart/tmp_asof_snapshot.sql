-- Temporary as-of snapshot of every history table the metrics read, limited to the run's KLPDs
-- (tmp_run) and fiscal year. Every metric file reads these tmp_ tables, never history directly,
-- so all metrics of one run see exactly the same state. Tables are dropped at commit.
-- Parameters: %(as_of)s, %(tahun)s and the flattened configuration (pantau.metrics.params).
-- As-of rule (docs/architecture.md): valid_from <= as_of AND (valid_to IS NULL OR valid_to >
-- as_of) AND NOT is_deleted, applied by the history.<T>_asof() functions (inlined by PostgreSQL).

-- PD names, for the lagging table.
CREATE TEMP TABLE tmp_satker ON COMMIT DROP AS
SELECT s.kd_klpd, s.kd_satker_str, s.nama_satker
FROM history.dim_satker_asof(%(as_of)s) s
WHERE s.kd_klpd IN (SELECT kd_klpd FROM tmp_run);

-- Belanja pengadaan per PD (SiRUP denominator).
CREATE TEMP TABLE tmp_anggaran ON COMMIT DROP AS
SELECT a.kd_klpd, a.kd_satker_str, COALESCE(a.belanja_pengadaan, 0) AS belanja_pengadaan
FROM history.struktur_anggaran_asof(%(as_of)s) a
WHERE a.tahun_anggaran = %(tahun)s AND a.kd_klpd IN (SELECT kd_klpd FROM tmp_run);

-- Announced RUP packages (penyedia + swakelola) with their ITKP method group. One row per kd_rup:
-- the package grain, never budget lines (rup_anggaran), so pagu is never summed over lines.
-- excluded = Dikecualikan or method '0' (metrics.md "Method groups").
-- Performance (national run, ~1 M packages): the pattern matching runs once per distinct
-- (method, status) label (tmp_rup_label, a cheap first pass), the package table keeps only the
-- columns the metrics read, and tmp_rup_pd pre-aggregates it per PD for every consumer that
-- only sums pagu (only the SPSE bridge needs the package grain).
CREATE TEMP TABLE tmp_rup_label ON COMMIT DROP AS
SELECT l.metode, l.status,
       CASE
         WHEN l.metode ILIKE ANY (%(grp_e_tendering)s::text[]) THEN 'e_tendering'
         WHEN l.metode ILIKE ANY (%(grp_non_e_tendering)s::text[]) THEN 'non_e_tendering'
         WHEN l.metode ILIKE ANY (%(grp_e_purchasing)s::text[]) THEN 'e_purchasing'
         ELSE 'lainnya'
       END AS method_group,
       COALESCE(l.metode ILIKE ANY (%(rup_exclude_metode)s::text[]), false) AS metode_excluded
FROM (SELECT DISTINCT COALESCE(r.metode_pengadaan, '') AS metode, COALESCE(r.status_umumkan_rup, '') AS status
      FROM history.rup_paket_asof(%(as_of)s) r
      WHERE r.tahun_anggaran = %(tahun)s
        AND r.kd_klpd IN (SELECT kd_klpd FROM tmp_run)
        AND COALESCE(r.status_aktif_rup, true)
        AND NOT COALESCE(r.status_delete_rup, false)
      OFFSET 0) l  -- OFFSET 0: match the status once per label, not once per package
WHERE COALESCE(l.status ILIKE ANY (%(rup_status_umumkan)s::text[]), false);  -- announced only
ANALYZE tmp_rup_label;

-- The planner cannot estimate the COALESCE join to the labels (it guesses a few dozen rows) and
-- would then loop over tmp_run × every package; hash joins are right for any run size here.
SELECT set_config('pantau.saved_enable_nestloop', current_setting('enable_nestloop'), true);
SET LOCAL enable_nestloop = off;
CREATE TEMP TABLE tmp_rup ON COMMIT DROP AS
SELECT r.kd_klpd, r.kd_satker_str, r.kd_rup, r.tipe, COALESCE(r.pagu, 0) AS pagu,
       CASE WHEN r.tipe = 'swakelola' THEN 'swakelola' ELSE l.method_group END AS method_group,
       ((%(rup_exclude_dikecualikan)s AND COALESCE(r.status_dikecualikan, false)) OR l.metode_excluded) AS excluded
FROM history.rup_paket_asof(%(as_of)s) r
JOIN tmp_rup_label l ON l.metode = COALESCE(r.metode_pengadaan, '') AND l.status = COALESCE(r.status_umumkan_rup, '')
WHERE r.tahun_anggaran = %(tahun)s
  AND r.kd_klpd IN (SELECT kd_klpd FROM tmp_run)
  AND COALESCE(r.status_aktif_rup, true)
  AND NOT COALESCE(r.status_delete_rup, false);
SELECT set_config('enable_nestloop', current_setting('pantau.saved_enable_nestloop'), true);
ANALYZE tmp_rup;

-- Per PD × type × method group × excluded: Σ pagu and number of packages (sums of exact numerics,
-- so summing these partial sums gives exactly the per-package sums).
CREATE TEMP TABLE tmp_rup_pd ON COMMIT DROP AS
SELECT kd_klpd, kd_satker_str, tipe, method_group, excluded, sum(pagu) AS pagu, count(*) AS n_paket
FROM tmp_rup
GROUP BY kd_klpd, kd_satker_str, tipe, method_group, excluded;
ANALYZE tmp_rup_pd;

-- SPSE selection attempts, tender and non-tender in one shape. A re-tendered kd_rup has several
-- rows here (one per attempt); metrics that count kd_rup deduplicate via tmp_spse_rup.
CREATE TEMP TABLE tmp_spse ON COMMIT DROP AS
SELECT 'tender'::text AS sumber, t.kd_tender AS kd_paket_spse, t.kd_klpd, t.kd_satker_str,
       t.nama_paket, COALESCE(t.pagu, 0) AS pagu, t.mtd_pemilihan, t.status_tender AS status,
       COALESCE(t.versi_tender, 1) AS versi, t.nilai_kontrak,
       COALESCE(t.tgl_penetapan_pemenang, t.tanggal_status, (t.tgl_pengumuman_tender AT TIME ZONE 'Asia/Jakarta')::date) AS tgl_nilai,
       'tender:' || COALESCE(length(t.mtd_pemilihan) || ':' || t.mtd_pemilihan, '-') || ':'
         || COALESCE(length(t.status_tender) || ':' || t.status_tender, '-') AS label_key
FROM history.tender_asof(%(as_of)s) t
WHERE t.tahun_anggaran = %(tahun)s AND t.kd_klpd IN (SELECT kd_klpd FROM tmp_run)
UNION ALL
SELECT 'nontender', n.kd_nontender, n.kd_klpd, n.kd_satker_str,
       n.nama_paket, COALESCE(n.pagu, 0), n.mtd_pemilihan, n.status_nontender,
       COALESCE(n.versi_nontender, 1), n.nilai_kontrak,
       COALESCE((n.tgl_selesai_nontender AT TIME ZONE 'Asia/Jakarta')::date,
                (n.tgl_pengumuman_nontender AT TIME ZONE 'Asia/Jakarta')::date),
       'nontender:' || COALESCE(length(n.mtd_pemilihan) || ':' || n.mtd_pemilihan, '-') || ':'
         || COALESCE(length(n.status_nontender) || ':' || n.status_nontender, '-')
FROM history.nontender_asof(%(as_of)s) n
WHERE n.tahun_anggaran = %(tahun)s AND n.kd_klpd IN (SELECT kd_klpd FROM tmp_run);
ANALYZE tmp_spse;

-- SPSE status / method flags, matched once per distinct (sumber, method, status) label instead of
-- once per package. tmp_spse.label_key encodes the three values injectively (length-prefixed, '-'
-- for NULL, so NULL and '' stay apart), and as a stored column it has statistics for the joins.
CREATE TEMP TABLE tmp_spse_label ON COMMIT DROP AS
SELECT l.label_key,
       CASE l.sumber
         WHEN 'tender' THEN
           COALESCE(l.mtd_pemilihan ILIKE ANY (%(grp_e_tendering)s::text[]), false)
           AND (%(et_status_include)s::text[] IS NULL OR COALESCE(l.status ILIKE ANY (%(et_status_include)s::text[]), false))
           AND NOT COALESCE(l.status ILIKE ANY (%(et_status_exclude)s::text[]), false)
         ELSE
           COALESCE(l.mtd_pemilihan ILIKE ANY (%(grp_non_e_tendering)s::text[]), false)
           AND (%(net_status_include)s::text[] IS NULL OR COALESCE(l.status ILIKE ANY (%(net_status_include)s::text[]), false))
           AND NOT COALESCE(l.status ILIKE ANY (%(net_status_exclude)s::text[]), false)
       END AS itkp_qualifying,
       COALESCE(l.status ILIKE ANY (%(spse_status_selesai)s::text[]), false) AS is_selesai,
       COALESCE(l.status ILIKE ANY (%(spse_status_gagal)s::text[]), false) AS is_gagal
FROM (SELECT DISTINCT label_key, sumber, mtd_pemilihan, status FROM tmp_spse) l;
ANALYZE tmp_spse_label;

-- Package ↔ kd_rup bridge with an allocation weight: a consolidated tender (several kd_rup) is
-- split in proportion to the RUP pagu of its kd_rup, or equally when any kd_rup is not in RUP.
CREATE TEMP TABLE tmp_spse_rup ON COMMIT DROP AS
WITH bridge AS MATERIALIZED (
  SELECT 'tender'::text AS sumber, b.kd_tender AS kd_paket_spse, b.kd_rup, b.ordinal, r.kd_rup AS rup_kd_rup,
         r.pagu AS rup_pagu
  FROM history.tender_rup_asof(%(as_of)s) b
  JOIN tmp_spse s ON s.sumber = 'tender' AND s.kd_paket_spse = b.kd_tender
  LEFT JOIN tmp_rup r ON r.kd_rup = b.kd_rup
  UNION ALL
  SELECT 'nontender', b.kd_nontender, b.kd_rup, b.ordinal, r.kd_rup, r.pagu
  FROM history.nontender_rup_asof(%(as_of)s) b
  JOIN tmp_spse s ON s.sumber = 'nontender' AND s.kd_paket_spse = b.kd_nontender
  LEFT JOIN tmp_rup r ON r.kd_rup = b.kd_rup
), p AS (
  SELECT sumber, kd_paket_spse,
         count(*) AS n_rup,
         count(rup_kd_rup) FILTER (WHERE rup_pagu > 0) AS n_rup_with_pagu,
         sum(rup_pagu) AS sum_rup_pagu
  FROM bridge
  GROUP BY sumber, kd_paket_spse
)
SELECT b.sumber, b.kd_paket_spse, b.kd_rup, b.ordinal,
       CASE WHEN p.n_rup_with_pagu = p.n_rup THEN b.rup_pagu / p.sum_rup_pagu ELSE 1.0 / p.n_rup END AS weight
FROM bridge b
JOIN p ON p.sumber = b.sumber AND p.kd_paket_spse = b.kd_paket_spse;
ANALYZE tmp_spse_rup;

-- e-Kontrak: latest addendum per SPSE package (value) and first contract date.
CREATE TEMP TABLE tmp_kontrak ON COMMIT DROP AS
SELECT k.sumber, k.kd_paket_spse,
       (array_agg(k.nilai_kontrak ORDER BY k.versi_addendum DESC))[1] AS nilai_kontrak,
       min(k.tgl_kontrak) AS tgl_kontrak
FROM history.kontrak_asof(%(as_of)s) k
JOIN tmp_spse s ON s.sumber = k.sumber AND s.kd_paket_spse = k.kd_paket_spse
GROUP BY k.sumber, k.kd_paket_spse;
ANALYZE tmp_kontrak;

-- BAPBAST payments (many per package: summed later).
CREATE TEMP TABLE tmp_pembayaran ON COMMIT DROP AS
SELECT p.sumber, p.kd_paket_spse, COALESCE(p.tgl_bap, p.tgl_bast) AS tgl, COALESCE(p.besar_pembayaran, 0) AS nilai
FROM history.pembayaran_asof(%(as_of)s) p
JOIN tmp_spse s ON s.sumber = p.sumber AND s.kd_paket_spse = p.kd_paket_spse;

-- Pencatatan (non-tender and swakelola), with the cancelled ("double input") ones marked.
CREATE TEMP TABLE tmp_pencatatan ON COMMIT DROP AS
SELECT c.jenis, c.kd_pct, c.kd_klpd, c.kd_satker_str, c.nama_paket, COALESCE(c.pagu, 0) AS pagu,
       COALESCE(c.total_realisasi, 0) AS total_realisasi, c.mtd_pemilihan, c.status, c.status_ket,
       (c.tgl_buat_paket AT TIME ZONE 'Asia/Jakarta')::date AS tgl_buat,
       COALESCE(c.status_ket ILIKE ANY (%(pct_cancelled_status_ket)s::text[]), false) AS cancelled
FROM history.pencatatan_asof(%(as_of)s) c
WHERE c.tahun_anggaran = %(tahun)s AND c.kd_klpd IN (SELECT kd_klpd FROM tmp_run);
ANALYZE tmp_pencatatan;

CREATE TEMP TABLE tmp_pencatatan_rup ON COMMIT DROP AS
WITH b AS MATERIALIZED (
  SELECT b.jenis, b.kd_pct, b.kd_rup, b.ordinal
  FROM history.pencatatan_rup_asof(%(as_of)s) b
  JOIN tmp_pencatatan c ON c.jenis = b.jenis AND c.kd_pct = b.kd_pct
)
SELECT b.jenis, b.kd_pct, b.kd_rup, b.ordinal, n.n_rup
FROM b
JOIN (SELECT jenis, kd_pct, count(*) AS n_rup FROM b GROUP BY jenis, kd_pct) n
  ON n.jenis = b.jenis AND n.kd_pct = b.kd_pct;

CREATE TEMP TABLE tmp_pencatatan_realisasi ON COMMIT DROP AS
SELECT r.jenis, r.kd_pct, r.tgl_realisasi AS tgl, COALESCE(r.nilai_realisasi, 0) AS nilai
FROM history.pencatatan_realisasi_asof(%(as_of)s) r
JOIN tmp_pencatatan c ON c.jenis = r.jenis AND c.kd_pct = r.kd_pct AND NOT c.cancelled;

-- e-Purchasing orders: one row per (versi, kd_paket), never per v5 product line. Status mapping
-- (metrics.yaml epurchasing.*), matched with ILIKE:
--   v6 selesai = status_pkt in v6_selesai (default COMPLETED, PAYMENT_OUTSIDE_SYSTEM)
--   v6 aktif   = (v6_aktif_include is null or status_pkt in it) and status_pkt not in v6_aktif_exclude
--                (default: every order not cancelled/failed)
--   v5 selesai = paket_status_str (stored in status_pkt) in v5_selesai (default 'Paket Selesai')
--   v5 aktif   = same include/exclude logic with the v5 lists
CREATE TEMP TABLE tmp_order ON COMMIT DROP AS
SELECT o.versi, o.kd_paket, o.kd_klpd, o.kd_satker_str, o.kd_rup, o.nama_paket,
       COALESCE(o.nilai, 0) AS nilai, o.status_pkt, o.status_pengiriman, o.status_paket,
       o.tgl_order, o.tgl_edit,
       CASE o.versi
         WHEN 'v6' THEN COALESCE(o.status_pkt ILIKE ANY (%(v6_selesai)s::text[]), false)
         ELSE COALESCE(o.status_pkt ILIKE ANY (%(v5_selesai)s::text[]), false)
       END AS is_selesai,
       CASE o.versi
         WHEN 'v6' THEN (%(v6_aktif_include)s::text[] IS NULL OR COALESCE(o.status_pkt ILIKE ANY (%(v6_aktif_include)s::text[]), false))
                    AND NOT COALESCE(o.status_pkt ILIKE ANY (%(v6_aktif_exclude)s::text[]), false)
         ELSE (%(v5_aktif_include)s::text[] IS NULL OR COALESCE(o.status_pkt ILIKE ANY (%(v5_aktif_include)s::text[]), false))
              AND NOT COALESCE(o.status_pkt ILIKE ANY (%(v5_aktif_exclude)s::text[]), false)
       END AS is_aktif
FROM history.epurchasing_order_asof(%(as_of)s) o
WHERE o.tahun_anggaran = %(tahun)s AND o.kd_klpd IN (SELECT kd_klpd FROM tmp_run);

-- Toko daring (Bela) transactions; qualifying = verified and confirmed 'selesai' by the PPMSE.
CREATE TEMP TABLE tmp_toko ON COMMIT DROP AS
SELECT d.order_id, d.kd_klpd, d.kd_satker_str, COALESCE(d.valuasi, 0) AS valuasi,
       (d.tanggal_transaksi AT TIME ZONE 'Asia/Jakarta')::date AS tgl,
       (COALESCE(d.status_verif ILIKE ANY (%(toko_status_verif)s::text[]), false)
        AND COALESCE(d.status_konfirmasi_ppmse ILIKE ANY (%(toko_status_konfirmasi)s::text[]), false)) AS qualifies
FROM history.toko_daring_asof(%(as_of)s) d
WHERE d.tahun_anggaran = %(tahun)s AND d.kd_klpd IN (SELECT kd_klpd FROM tmp_run);

ANALYZE tmp_satker, tmp_anggaran, tmp_pembayaran, tmp_pencatatan_rup, tmp_pencatatan_realisasi,
        tmp_order, tmp_toko;
