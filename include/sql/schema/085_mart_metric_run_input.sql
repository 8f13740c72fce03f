-- Input completeness of a metric run: one row per dataset the metrics read, for the run's KLPD and
-- fiscal year, with its state when the run was computed (pantau.metrics.inputs). Written in the
-- same transaction as the run's mart rows, so a circular can say which data was missing or failed
-- (and how many package rows reference a kd_rup absent from that year's RUP), and refuse to be
-- numbered while an input is incomplete.
CREATE TABLE mart.metric_run_input (
    metric_run_id   bigint      NOT NULL REFERENCES mart.metric_run ON DELETE CASCADE,
    tahun           integer     NOT NULL,
    as_of           date        NOT NULL,
    kd_klpd         text        NOT NULL,
    dataset         text        NOT NULL,
    family          text        NOT NULL,
    state           text        NOT NULL
                    CHECK (state IN ('loaded', 'stale', 'failed', 'endpoint_not_available', 'running', 'missing')),
    attempt_status  text,
    attempt_stage   text,
    attempt_at      timestamptz,
    run_key         text,
    reason          text,
    error_class     text,
    fetch_id        bigint,
    load_id         bigint,
    snapshot_date   date,
    loaded_at       timestamptz,
    rows_loaded     integer,
    n_rows_rup_ref  integer,
    n_orphan        integer,
    orphan_share    numeric,
    PRIMARY KEY (metric_run_id, dataset)
);
CREATE INDEX metric_run_input_state_idx ON mart.metric_run_input (kd_klpd, tahun, state);

COMMENT ON TABLE mart.metric_run_input IS 'Kelengkapan data masukan tiap perhitungan metrik: satu baris per dataset yang dibaca metrik (dimuat, basi, gagal, tidak tersedia, sedang dimuat, belum pernah dimuat) beserta porsi kd_rup yatim / Input completeness of each metric run: one row per dataset the metrics read (loaded, stale, failed, endpoint not available, running, never loaded) with its orphan kd_rup share';
COMMENT ON COLUMN mart.metric_run_input.metric_run_id IS 'ID perhitungan (mart.metric_run) / Metric run id (mart.metric_run)';
COMMENT ON COLUMN mart.metric_run_input.tahun IS 'Tahun anggaran / Fiscal year';
COMMENT ON COLUMN mart.metric_run_input.as_of IS 'Tanggal acuan: hanya muatan dengan snapshot_date <= as_of dihitung / Reference date: only loads with snapshot_date <= as_of count';
COMMENT ON COLUMN mart.metric_run_input.kd_klpd IS 'Kode K/L/PD / K/L/PD code';
COMMENT ON COLUMN mart.metric_run_input.dataset IS 'Nama dataset (pantau.datasets) / Dataset name (pantau.datasets)';
COMMENT ON COLUMN mart.metric_run_input.family IS 'Keluarga sumber: sirup, spse, ekatalog / Source family: sirup, spse, ekatalog';
COMMENT ON COLUMN mart.metric_run_input.state IS 'loaded = dimuat; stale = data lama, percobaan terakhir gagal/404; failed; endpoint_not_available (404); running; missing = belum pernah dimuat / loaded; stale = older data, latest attempt failed/404; failed; endpoint_not_available (404); running; missing = never loaded';
COMMENT ON COLUMN mart.metric_run_input.attempt_status IS 'Status percobaan terakhir di audit.partition_run (null = tidak ada) / Status of the latest attempt in audit.partition_run (null = none)';
COMMENT ON COLUMN mart.metric_run_input.attempt_stage IS 'Tahap terakhir percobaan itu / Last stage of that attempt';
COMMENT ON COLUMN mart.metric_run_input.attempt_at IS 'Waktu percobaan terakhir / Time of the latest attempt';
COMMENT ON COLUMN mart.metric_run_input.run_key IS 'Kunci run percobaan terakhir (dag_id/run_id) / Run key of the latest attempt (dag_id/run_id)';
COMMENT ON COLUMN mart.metric_run_input.reason IS 'Alasan gagal percobaan terakhir / Failure reason of the latest attempt';
COMMENT ON COLUMN mart.metric_run_input.error_class IS 'Kelas galat percobaan terakhir / Error class of the latest attempt';
COMMENT ON COLUMN mart.metric_run_input.fetch_id IS 'Fetch mentah dari muatan berhasil terakhir / Raw fetch of the latest successful load';
COMMENT ON COLUMN mart.metric_run_input.load_id IS 'Muatan berhasil terakhir (audit.load_log) / Latest successful load (audit.load_log)';
COMMENT ON COLUMN mart.metric_run_input.snapshot_date IS 'Tanggal snapshot muatan berhasil terakhir / Snapshot date of the latest successful load';
COMMENT ON COLUMN mart.metric_run_input.loaded_at IS 'Waktu selesai muatan berhasil terakhir / Finish time of the latest successful load';
COMMENT ON COLUMN mart.metric_run_input.rows_loaded IS 'Baris yang dimuat oleh muatan itu / Rows loaded by that load';
COMMENT ON COLUMN mart.metric_run_input.n_rows_rup_ref IS 'Baris paket di core (tahun dan K/L/PD ini) untuk dataset yang merujuk kd_rup / Package rows in core (this year and K/L/PD) for datasets that reference kd_rup';
COMMENT ON COLUMN mart.metric_run_input.n_orphan IS 'Baris yang tak satu pun kd_rup-nya ada di core.rup_paket tahun itu (termasuk tanpa kd_rup) / Rows none of whose kd_rup is in that year''s core.rup_paket (including rows without kd_rup)';
COMMENT ON COLUMN mart.metric_run_input.orphan_share IS 'n_orphan / n_rows_rup_ref (0–1; null bila tidak berlaku) / n_orphan / n_rows_rup_ref (0–1; null when not applicable)';
