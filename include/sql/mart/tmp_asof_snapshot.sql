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
CREATE TEMP TABLE tmp_rup ON COMMIT DROP AS
WITH base AS MATERIALIZED (
  SELECT r.kd_klpd, r.kd_satker_str, r.kd_rup, r.tipe, r.nama_paket, COALESCE(r.pagu, 0) AS pagu,
         r.metode_pengadaan, r.status_umumkan_rup, COALESCE(r.status_dikecualikan, false) AS dikecualikan
  FROM history.rup_paket_asof(%(as_of)s) r
  WHERE r.tahun_anggaran = %(tahun)s
    AND r.kd_klpd IN (SELECT kd_klpd FROM tmp_run)
    AND COALESCE(r.status_aktif_rup, true)
    AND NOT COALESCE(r.status_delete_rup, false)
), label AS (
  -- the pattern matching runs once per distinct (method, status) label, not once per package
  SELECT l.metode, l.status,
         CASE
           WHEN l.metode ILIKE ANY (%(grp_e_tendering)s::text[]) THEN 'e_tendering'
           WHEN l.metode ILIKE ANY (%(grp_non_e_tendering)s::text[]) THEN 'non_e_tendering'
           WHEN l.metode ILIKE ANY (%(grp_e_purchasing)s::text[]) THEN 'e_purchasing'
           ELSE 'lainnya'
         END AS method_group,
         COALESCE(l.metode ILIKE ANY (%(rup_exclude_metode)s::text[]), false) AS metode_excluded,
         COALESCE(l.status ILIKE ANY (%(rup_status_umumkan)s::text[]), false) AS announced
  FROM (SELECT DISTINCT COALESCE(metode_pengadaan, '') AS metode, COALESCE(status_umumkan_rup, '') AS status
        FROM base) l
)
SELECT b.kd_klpd, b.kd_satker_str, b.kd_rup, b.tipe, b.nama_paket, b.pagu, b.metode_pengadaan,
       CASE WHEN b.tipe = 'swakelola' THEN 'swakelola' ELSE l.method_group END AS method_group,
       ((%(rup_exclude_dikecualikan)s AND b.dikecualikan) OR l.metode_excluded) AS excluded
FROM base b
JOIN label l ON l.metode = COALESCE(b.metode_pengadaan, '') AND l.status = COALESCE(b.status_umumkan_rup, '')
WHERE l.announced;
CREATE INDEX ON tmp_rup (kd_rup);

-- SPSE selection attempts, tender and non-tender in one shape. A re-tendered kd_rup has several
-- rows here (one per attempt); metrics that count kd_rup deduplicate via tmp_spse_rup.
CREATE TEMP TABLE tmp_spse ON COMMIT DROP AS
SELECT 'tender'::text AS sumber, t.kd_tender AS kd_paket_spse, t.kd_klpd, t.kd_satker_str,
       t.nama_paket, COALESCE(t.pagu, 0) AS pagu, t.mtd_pemilihan, t.status_tender AS status,
       COALESCE(t.versi_tender, 1) AS versi, t.nilai_kontrak,
       COALESCE(t.tgl_penetapan_pemenang, t.tanggal_status, (t.tgl_pengumuman_tender AT TIME ZONE 'Asia/Jakarta')::date) AS tgl_nilai
FROM history.tender_asof(%(as_of)s) t
WHERE t.tahun_anggaran = %(tahun)s AND t.kd_klpd IN (SELECT kd_klpd FROM tmp_run)
UNION ALL
SELECT 'nontender', n.kd_nontender, n.kd_klpd, n.kd_satker_str,
       n.nama_paket, COALESCE(n.pagu, 0), n.mtd_pemilihan, n.status_nontender,
       COALESCE(n.versi_nontender, 1), n.nilai_kontrak,
       COALESCE((n.tgl_selesai_nontender AT TIME ZONE 'Asia/Jakarta')::date,
                (n.tgl_pengumuman_nontender AT TIME ZONE 'Asia/Jakarta')::date)
FROM history.nontender_asof(%(as_of)s) n
WHERE n.tahun_anggaran = %(tahun)s AND n.kd_klpd IN (SELECT kd_klpd FROM tmp_run);
CREATE INDEX ON tmp_spse (sumber, kd_paket_spse);

-- Package ↔ kd_rup bridge with an allocation weight: a consolidated tender (several kd_rup) is
-- split in proportion to the RUP pagu of its kd_rup, or equally when any kd_rup is not in RUP.
CREATE TEMP TABLE tmp_spse_rup ON COMMIT DROP AS
WITH bridge AS (
  SELECT 'tender'::text AS sumber, b.kd_tender AS kd_paket_spse, b.kd_rup, b.ordinal
  FROM history.tender_rup_asof(%(as_of)s) b
  WHERE b.kd_tender IN (SELECT kd_paket_spse FROM tmp_spse WHERE sumber = 'tender')
  UNION ALL
  SELECT 'nontender', b.kd_nontender, b.kd_rup, b.ordinal
  FROM history.nontender_rup_asof(%(as_of)s) b
  WHERE b.kd_nontender IN (SELECT kd_paket_spse FROM tmp_spse WHERE sumber = 'nontender')
), w AS (
  SELECT b.*, r.pagu AS rup_pagu,
         count(*) OVER p AS n_rup,
         count(r.kd_rup) FILTER (WHERE r.pagu > 0) OVER p AS n_rup_with_pagu,
         sum(r.pagu) OVER p AS sum_rup_pagu
  FROM bridge b LEFT JOIN tmp_rup r ON r.kd_rup = b.kd_rup
  WINDOW p AS (PARTITION BY b.sumber, b.kd_paket_spse)
)
SELECT sumber, kd_paket_spse, kd_rup, ordinal,
       CASE WHEN n_rup_with_pagu = n_rup THEN rup_pagu / sum_rup_pagu ELSE 1.0 / n_rup END AS weight
FROM w;
CREATE INDEX ON tmp_spse_rup (sumber, kd_paket_spse);

-- e-Kontrak: latest addendum per SPSE package (value) and first contract date.
CREATE TEMP TABLE tmp_kontrak ON COMMIT DROP AS
SELECT k.sumber, k.kd_paket_spse,
       (array_agg(k.nilai_kontrak ORDER BY k.versi_addendum DESC))[1] AS nilai_kontrak,
       min(k.tgl_kontrak) AS tgl_kontrak
FROM history.kontrak_asof(%(as_of)s) k
JOIN tmp_spse s ON s.sumber = k.sumber AND s.kd_paket_spse = k.kd_paket_spse
GROUP BY k.sumber, k.kd_paket_spse;

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

CREATE TEMP TABLE tmp_pencatatan_rup ON COMMIT DROP AS
SELECT b.jenis, b.kd_pct, b.kd_rup, b.ordinal,
       count(*) OVER (PARTITION BY b.jenis, b.kd_pct) AS n_rup
FROM history.pencatatan_rup_asof(%(as_of)s) b
JOIN tmp_pencatatan c ON c.jenis = b.jenis AND c.kd_pct = b.kd_pct;

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

ANALYZE tmp_satker, tmp_anggaran, tmp_rup, tmp_spse, tmp_spse_rup, tmp_kontrak, tmp_pembayaran,
        tmp_pencatatan, tmp_pencatatan_rup, tmp_pencatatan_realisasi, tmp_order, tmp_toko;
