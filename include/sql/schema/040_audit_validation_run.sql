-- Validation audit: one row per expectation per validation run of a fetch
-- (pantau.validate.validate_fetch). A run that raised CriticalValidationError is recorded too
-- (committed before the raise), so the data team sees what broke without the task log.
CREATE SEQUENCE audit.validation_run_id_seq;
COMMENT ON SEQUENCE audit.validation_run_id_seq IS
  'Nomor run validasi (satu per validate_fetch) / Validation run numbers (one per validate_fetch)';

CREATE TABLE audit.validation_run (
    id                 bigserial PRIMARY KEY,
    run_id             bigint      NOT NULL,
    fetch_id           bigint      NOT NULL,
    dataset            text        NOT NULL,
    kd_klpd            text,
    kd_lpse            integer,
    tahun              integer,
    suite              text        NOT NULL,
    rule               text        NOT NULL,
    expectation_type   text        NOT NULL,
    column_name        text,
    severity           text        NOT NULL CHECK (severity IN ('critical', 'warning')),
    action             text        NOT NULL CHECK (action IN ('stop', 'quarantine', 'flag')),
    success            boolean     NOT NULL,
    element_count      bigint,
    unexpected_count   bigint,
    unexpected_sample  jsonb,
    flagged_row_nos    integer[],
    message            text,
    row_source         text        CHECK (row_source IN ('gx', 'pandas')),
    n_rows             bigint      NOT NULL,
    n_quarantined      bigint      NOT NULL,
    run_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX validation_run_fetch_idx ON audit.validation_run (fetch_id, run_id);
CREATE INDEX validation_run_partition_idx ON audit.validation_run (dataset, kd_klpd, tahun, run_at);

COMMENT ON TABLE audit.validation_run IS
  'Hasil validasi: satu baris per ekspektasi per run / Validation results: one row per expectation per run';
COMMENT ON COLUMN audit.validation_run.id IS 'ID baris / Row id';
COMMENT ON COLUMN audit.validation_run.run_id IS 'ID run validasi (sama untuk semua ekspektasi satu run) / Validation run id (shared by the run''s expectations)';
COMMENT ON COLUMN audit.validation_run.fetch_id IS 'Fetch mentah yang divalidasi (raw.fetch) / Raw fetch validated (raw.fetch)';
COMMENT ON COLUMN audit.validation_run.dataset IS 'Nama dataset (pantau.datasets) / Dataset name (pantau.datasets)';
COMMENT ON COLUMN audit.validation_run.kd_klpd IS 'Kode K/L/PD partisi / K/L/PD code of the partition';
COMMENT ON COLUMN audit.validation_run.kd_lpse IS 'Kode LPSE partisi (feed SPSE) / LPSE code of the partition (SPSE feeds)';
COMMENT ON COLUMN audit.validation_run.tahun IS 'Tahun anggaran partisi / Fiscal year of the partition';
COMMENT ON COLUMN audit.validation_run.suite IS 'Nama suite GX (pantau.<dataset>) / GX suite name (pantau.<dataset>)';
COMMENT ON COLUMN audit.validation_run.rule IS 'Id aturan proyek, mis. key_unique:kd_rup / Project rule id, e.g. key_unique:kd_rup';
COMMENT ON COLUMN audit.validation_run.expectation_type IS 'Tipe ekspektasi GX / GX expectation type';
COMMENT ON COLUMN audit.validation_run.column_name IS 'Kolom yang diperiksa (kolom turunan diawali __) / Column checked (derived columns start with __)';
COMMENT ON COLUMN audit.validation_run.severity IS 'critical = partisi dihentikan; warning = per baris / critical = partition stopped; warning = row level';
COMMENT ON COLUMN audit.validation_run.action IS 'stop, quarantine (baris dikarantina) atau flag (dimuat, dilaporkan) / stop, quarantine (rows quarantined) or flag (loaded, reported)';
COMMENT ON COLUMN audit.validation_run.success IS 'Ekspektasi terpenuhi / Expectation met';
COMMENT ON COLUMN audit.validation_run.element_count IS 'Jumlah baris yang dinilai / Rows evaluated';
COMMENT ON COLUMN audit.validation_run.unexpected_count IS 'Jumlah baris yang melanggar / Rows violating the expectation';
COMMENT ON COLUMN audit.validation_run.unexpected_sample IS 'Contoh nilai yang melanggar (maks. 20) / Sample of offending values (max 20)';
COMMENT ON COLUMN audit.validation_run.flagged_row_nos IS 'row_no baris yang ditandai (aksi flag) / row_no of flagged rows (flag action)';
COMMENT ON COLUMN audit.validation_run.message IS 'Pesan yang dapat dibaca / Human-readable message';
COMMENT ON COLUMN audit.validation_run.row_source IS 'Asal daftar baris: gx (unexpected_index_list) atau pandas (cadangan) / Where offending rows came from: gx or pandas fallback';
COMMENT ON COLUMN audit.validation_run.n_rows IS 'Jumlah baris staging fetch ini / Staging rows of the fetch';
COMMENT ON COLUMN audit.validation_run.n_quarantined IS 'Jumlah baris dikarantina dalam run ini / Rows quarantined by this run';
COMMENT ON COLUMN audit.validation_run.run_at IS 'Waktu run / Run time';
