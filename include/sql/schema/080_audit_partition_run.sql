-- Partition status per pipeline run: one row per (run_key, dataset, kd_klpd, tahun), written by the
-- DAG task wrappers (pantau.partition_status) at every stage, so a failed partition is named with its
-- reason while the others of its family load, and metrics can tell which inputs are missing.
CREATE TABLE audit.partition_run (
    run_key           text        NOT NULL,
    family            text        NOT NULL,
    dataset           text        NOT NULL,
    kd_klpd           text        NOT NULL,
    tahun             integer     NOT NULL,
    stage             text        NOT NULL CHECK (stage IN ('plan', 'extract', 'normalize', 'validate', 'load')),
    status            text        NOT NULL
                      CHECK (status IN ('running', 'loaded', 'failed', 'endpoint_not_available')),
    reason            text,
    error_class       text,
    fetch_id          bigint,
    load_id           bigint,
    rows_raw          integer,
    rows_loaded       integer,
    rows_quarantined  integer,
    rows_collapsed    integer,
    updated_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (run_key, dataset, kd_klpd, tahun)
);
CREATE INDEX partition_run_latest_idx ON audit.partition_run (dataset, kd_klpd, tahun, updated_at DESC);

COMMENT ON TABLE audit.partition_run IS
  'Status tiap partisi per run pipeline (dataset × instansi × tahun); partisi gagal dinamai beserta alasannya / Status of each partition per pipeline run (dataset × instance × year); a failed partition is named with its reason';
COMMENT ON COLUMN audit.partition_run.run_key IS 'Kunci run: "dag_id/run_id" Airflow, atau "manual" / Run key: Airflow "dag_id/run_id", or "manual"';
COMMENT ON COLUMN audit.partition_run.family IS 'Keluarga sumber: sirup, spse, ekatalog / Source family: sirup, spse, ekatalog';
COMMENT ON COLUMN audit.partition_run.dataset IS 'Nama dataset (pantau.datasets) / Dataset name (pantau.datasets)';
COMMENT ON COLUMN audit.partition_run.kd_klpd IS 'Kode K/L/PD partisi / K/L/PD code of the partition';
COMMENT ON COLUMN audit.partition_run.tahun IS 'Tahun anggaran partisi / Fiscal year of the partition';
COMMENT ON COLUMN audit.partition_run.stage IS 'Tahap terakhir yang dicapai: plan, extract, normalize, validate, load / Last stage reached';
COMMENT ON COLUMN audit.partition_run.status IS 'running, loaded, failed, endpoint_not_available (404 di sumber) / running, loaded, failed, endpoint_not_available (404 at the source)';
COMMENT ON COLUMN audit.partition_run.reason IS 'Alasan gagal, menyebut dataset dan penyebab / Failure reason naming the dataset and the cause';
COMMENT ON COLUMN audit.partition_run.error_class IS 'Kelas galat Python / Python error class';
COMMENT ON COLUMN audit.partition_run.fetch_id IS 'Fetch mentah partisi ini (raw.fetch) / Raw fetch of this partition (raw.fetch)';
COMMENT ON COLUMN audit.partition_run.load_id IS 'Pemuatan partisi ini (audit.load_log) / Load of this partition (audit.load_log)';
COMMENT ON COLUMN audit.partition_run.rows_raw IS 'Baris mentah yang diterima dari sumber / Raw rows received from the source';
COMMENT ON COLUMN audit.partition_run.rows_loaded IS 'Baris staging yang masuk core / Staging rows that reached core';
COMMENT ON COLUMN audit.partition_run.rows_quarantined IS 'Baris yang dikarantina / Rows quarantined';
COMMENT ON COLUMN audit.partition_run.rows_collapsed IS 'Salinan fakta identik yang digabung / Identical fact copies collapsed';
COMMENT ON COLUMN audit.partition_run.updated_at IS 'Waktu pembaruan terakhir / Last update time';
