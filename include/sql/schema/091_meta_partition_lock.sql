-- Issue 19 point 13: loaders of one partition serialise on a row of this table (SELECT … FOR UPDATE
-- in the load transaction, pantau.db.lock_key) instead of an advisory lock. Advisory-lock
-- functions are executable by PUBLIC and their keys are guessable, so any login — an auditor —
-- could hold a loader's key and stall the load. This table is reachable by its owner (the
-- warehouse/loader role) only: no grant to PUBLIC or to pantau_auditor, and `meta` is not
-- granted to them either, so nobody else can lock, read or fill it.
CREATE TABLE meta.partition_lock (
    lock_key    text PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON meta.partition_lock FROM PUBLIC;
REVOKE ALL ON meta.partition_lock FROM pantau_auditor;
REVOKE ALL ON SCHEMA meta FROM PUBLIC;
REVOKE ALL ON SCHEMA meta FROM pantau_auditor;

COMMENT ON TABLE meta.partition_lock IS
  'Kunci antrean pemuat per partisi (baris dikunci FOR UPDATE selama transaksi muat); hanya pemilik gudang yang dapat menyentuhnya / Per-partition loader lock (row locked FOR UPDATE for the load transaction); only the warehouse owner can touch it';
COMMENT ON COLUMN meta.partition_lock.lock_key IS
  'Nama kunci, mis. partisi "dataset/instansi/tahun" / Lock key, e.g. the partition "dataset/instansi/tahun"';
COMMENT ON COLUMN meta.partition_lock.created_at IS 'Waktu kunci pertama kali dipakai / When the key was first used';
