-- One row per metric computation (KLPD × fiscal year × as-of date × effective configuration).
-- Every mart table points here; re-running the same key reuses the row (metric_run_id is stable)
-- and replaces its child rows, so circulars can cite a run id that never changes meaning.
CREATE TABLE mart.metric_run (
    metric_run_id   bigserial PRIMARY KEY,
    tahun           integer     NOT NULL,
    kd_klpd         text        NOT NULL,
    as_of           date        NOT NULL,
    config_sha256   text        NOT NULL,
    config          jsonb       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    computed_at     timestamptz NOT NULL DEFAULT now(),
    n_computations  integer     NOT NULL DEFAULT 1,
    CONSTRAINT metric_run_key UNIQUE (kd_klpd, tahun, as_of, config_sha256)
);
CREATE INDEX metric_run_lookup_idx ON mart.metric_run (kd_klpd, tahun, as_of, computed_at DESC);

COMMENT ON TABLE mart.metric_run IS 'Satu baris per perhitungan metrik (KLPD × tahun × tanggal as-of × konfigurasi); dihitung ulang dengan kunci sama memakai id yang sama / One row per metric computation (KLPD × year × as-of date × configuration); recomputing the same key keeps the same id';
COMMENT ON COLUMN mart.metric_run.metric_run_id IS 'ID perhitungan metrik / Metric run id';
COMMENT ON COLUMN mart.metric_run.tahun IS 'Tahun anggaran / Fiscal year';
COMMENT ON COLUMN mart.metric_run.kd_klpd IS 'Kode K/L/PD (mis. D107) / K/L/PD code (e.g. D107)';
COMMENT ON COLUMN mart.metric_run.as_of IS 'Tanggal acuan: history dibaca per tanggal ini / Reference date: history is read as of this date';
COMMENT ON COLUMN mart.metric_run.config_sha256 IS 'SHA-256 konfigurasi efektif (JSON kanonik) / SHA-256 of the effective configuration (canonical JSON)';
COMMENT ON COLUMN mart.metric_run.config IS 'Konfigurasi efektif yang dipakai (untuk audit) / Effective configuration used (for audit)';
COMMENT ON COLUMN mart.metric_run.created_at IS 'Waktu perhitungan pertama / Time of the first computation';
COMMENT ON COLUMN mart.metric_run.computed_at IS 'Waktu perhitungan terakhir / Time of the latest computation';
COMMENT ON COLUMN mart.metric_run.n_computations IS 'Berapa kali kunci ini dihitung / How many times this key was computed';
