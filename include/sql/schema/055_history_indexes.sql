-- Indexes for the metrics' as-of reads of history.* (pantau.metrics, include/sql/mart/).
-- Every metric query filters a history table by KLPD and fiscal year plus the as-of rule
-- (valid_from <= as_of AND (valid_to IS NULL OR valid_to > as_of) AND NOT is_deleted).
-- (kd_klpd, tahun_anggaran) serves single-KLPD runs (metrics.compute, one Pemda per DAG run);
-- the validity columns are INCLUDEd so the KLPD list of a national run (compute_many(None, …))
-- and the as-of check can be answered from the index alone. Bridge, kontrak and pembayaran
-- tables are read by package id, which their primary keys already lead with; dim_satker and
-- struktur_anggaran primary keys already lead with kd_klpd / (tahun_anggaran, kd_klpd).

CREATE INDEX IF NOT EXISTS rup_paket_klpd_tahun_idx
  ON history.rup_paket (kd_klpd, tahun_anggaran) INCLUDE (valid_from, valid_to, is_deleted);
CREATE INDEX IF NOT EXISTS struktur_anggaran_klpd_tahun_idx
  ON history.struktur_anggaran (kd_klpd, tahun_anggaran) INCLUDE (valid_from, valid_to, is_deleted);
CREATE INDEX IF NOT EXISTS tender_klpd_tahun_idx
  ON history.tender (kd_klpd, tahun_anggaran) INCLUDE (valid_from, valid_to, is_deleted);
CREATE INDEX IF NOT EXISTS nontender_klpd_tahun_idx
  ON history.nontender (kd_klpd, tahun_anggaran) INCLUDE (valid_from, valid_to, is_deleted);
CREATE INDEX IF NOT EXISTS pencatatan_klpd_tahun_idx
  ON history.pencatatan (kd_klpd, tahun_anggaran) INCLUDE (valid_from, valid_to, is_deleted);
CREATE INDEX IF NOT EXISTS epurchasing_order_klpd_tahun_idx
  ON history.epurchasing_order (kd_klpd, tahun_anggaran) INCLUDE (valid_from, valid_to, is_deleted);
CREATE INDEX IF NOT EXISTS toko_daring_klpd_tahun_idx
  ON history.toko_daring (kd_klpd, tahun_anggaran) INCLUDE (valid_from, valid_to, is_deleted);
