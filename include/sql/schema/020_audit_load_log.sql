-- Load log: one row per partition load (dataset × instansi × tahun × fetch), written by
-- pantau.load.load_fetch. Every core/history row points here through load_id (lineage).
CREATE TABLE audit.load_log (
    load_id           bigserial PRIMARY KEY,
    dataset           text        NOT NULL,
    kd_klpd           text,
    kd_lpse           integer,
    tahun             integer,
    src_partition     text        NOT NULL,
    fetch_id          bigint      NOT NULL,
    snapshot_date     date        NOT NULL,
    started_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at       timestamptz,
    rows_in           integer,
    rows_loaded       integer,
    rows_quarantined  integer,
    rows_deleted      integer,
    rows_history      integer,
    status            text        NOT NULL DEFAULT 'running'
                      CHECK (status IN ('running', 'ok', 'failed')),
    error             text
);
CREATE INDEX load_log_partition_idx ON audit.load_log (src_partition, snapshot_date);
CREATE INDEX load_log_fetch_idx ON audit.load_log (fetch_id);

COMMENT ON TABLE audit.load_log IS
  'Log pemuatan staging→core per partisi (dataset × instansi × tahun); baris gagal dicatat setelah rollback / Load log staging→core per partition (dataset × instance × year); failed loads are recorded after the rollback';
COMMENT ON COLUMN audit.load_log.load_id IS 'ID pemuatan; dirujuk oleh kolom load_id di core dan history / Load id; referenced by load_id in core and history';
COMMENT ON COLUMN audit.load_log.dataset IS 'Nama dataset (pantau.datasets) / Dataset name (pantau.datasets)';
COMMENT ON COLUMN audit.load_log.kd_klpd IS 'Kode K/L/PD dari fetch / K/L/PD code of the fetch';
COMMENT ON COLUMN audit.load_log.kd_lpse IS 'Kode LPSE dari fetch (feed SPSE) / LPSE code of the fetch (SPSE feeds)';
COMMENT ON COLUMN audit.load_log.tahun IS 'Tahun anggaran partisi / Fiscal year of the partition';
COMMENT ON COLUMN audit.load_log.src_partition IS 'Kunci partisi "dataset/instansi/tahun" / Partition key "dataset/instance/year"';
COMMENT ON COLUMN audit.load_log.fetch_id IS 'Fetch mentah yang dimuat (raw.fetch) / Raw fetch that was loaded (raw.fetch)';
COMMENT ON COLUMN audit.load_log.snapshot_date IS 'Tanggal snapshot; awal versi history baru / Snapshot date; start of new history versions';
COMMENT ON COLUMN audit.load_log.started_at IS 'Waktu mulai / Start time';
COMMENT ON COLUMN audit.load_log.finished_at IS 'Waktu selesai / Finish time';
COMMENT ON COLUMN audit.load_log.rows_in IS 'Jumlah baris staging fetch ini / Staging rows of this fetch';
COMMENT ON COLUMN audit.load_log.rows_loaded IS 'Baris core yang disisipkan atau berubah / Core rows inserted or changed';
COMMENT ON COLUMN audit.load_log.rows_quarantined IS 'Baris staging yang dikarantina (tidak dimuat) / Staging rows in quarantine (not loaded)';
COMMENT ON COLUMN audit.load_log.rows_deleted IS 'Baris core yang hilang dari snapshot dan ditandai terhapus / Core rows missing from the snapshot, marked deleted';
COMMENT ON COLUMN audit.load_log.rows_history IS 'Versi history baru yang ditulis / New history versions written';
COMMENT ON COLUMN audit.load_log.status IS 'Status pemuatan: running, ok, failed / Load status: running, ok, failed';
COMMENT ON COLUMN audit.load_log.error IS 'Pesan galat bila gagal / Error message when failed';
