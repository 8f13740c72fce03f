-- ITKP components and totals per KLPD (kd_satker_str NULL) and per Perangkat Daerah.
-- Each component row carries numerator, denominator, ratio and the scoring rule applied, so an
-- auditor can recompute the score by hand (docs/metrics/itkp.md).
CREATE TABLE mart.itkp_component (
    metric_run_id   bigint  NOT NULL REFERENCES mart.metric_run ON DELETE CASCADE,
    tahun           integer NOT NULL,
    as_of           date    NOT NULL,
    kd_klpd         text    NOT NULL,
    kd_satker_str   text,
    component       text    NOT NULL,
    component_group text    NOT NULL,
    rule            text    NOT NULL,
    measure         text,
    numerator       numeric,
    denominator     numeric,
    ratio           numeric,
    floor           numeric,
    over_100        text,
    max_score       numeric NOT NULL,
    score           numeric NOT NULL,
    flag            text
);
CREATE UNIQUE INDEX itkp_component_key ON mart.itkp_component (metric_run_id, kd_klpd, COALESCE(kd_satker_str, ''), component);

COMMENT ON TABLE mart.itkp_component IS 'Komponen ITKP per KLPD (kd_satker_str NULL) dan per PD: pembilang, penyebut, rasio, skor / ITKP components per KLPD (kd_satker_str NULL) and per PD: numerator, denominator, ratio, score';
COMMENT ON COLUMN mart.itkp_component.metric_run_id IS 'ID perhitungan (mart.metric_run) / Metric run id (mart.metric_run)';
COMMENT ON COLUMN mart.itkp_component.tahun IS 'Tahun anggaran / Fiscal year';
COMMENT ON COLUMN mart.itkp_component.as_of IS 'Tanggal acuan history / History reference date';
COMMENT ON COLUMN mart.itkp_component.kd_klpd IS 'Kode K/L/PD / K/L/PD code';
COMMENT ON COLUMN mart.itkp_component.kd_satker_str IS 'Kode Perangkat Daerah (SIPD); NULL = seluruh KLPD / Perangkat Daerah code (SIPD); NULL = whole KLPD';
COMMENT ON COLUMN mart.itkp_component.component IS 'Sub-indikator: sirup, e_tendering, non_e_tendering, e_purchasing, e_kontrak, toko_daring, sdm_pbj, kematangan_ukpbj / Sub-indicator';
COMMENT ON COLUMN mart.itkp_component.component_group IS 'Kelompok: pemanfaatan_sistem, sdm_pbj, kematangan_ukpbj / Group';
COMMENT ON COLUMN mart.itkp_component.rule IS 'Aturan skor: ratio, binary, manual / Scoring rule: ratio, binary, manual';
COMMENT ON COLUMN mart.itkp_component.measure IS 'Ukuran pembilang/penyebut: value (rupiah) atau count (paket) / Measure of numerator/denominator: value (rupiah) or count (packages)';
COMMENT ON COLUMN mart.itkp_component.numerator IS 'Pembilang (rupiah atau jumlah paket) / Numerator (rupiah or package count)';
COMMENT ON COLUMN mart.itkp_component.denominator IS 'Penyebut; NULL/0 = kosong (skor 0, flag) / Denominator; NULL/0 = empty (score 0, flagged)';
COMMENT ON COLUMN mart.itkp_component.ratio IS 'Rasio pembilang ÷ penyebut (pecahan, 1 = 100 persen) / Ratio numerator ÷ denominator (fraction, 1 = 100 percent)';
COMMENT ON COLUMN mart.itkp_component.floor IS 'Ambang bawah: rasio di bawahnya diberi skor 0 / Floor: a ratio below it scores 0';
COMMENT ON COLUMN mart.itkp_component.over_100 IS 'Aturan rasio > 100 persen: cap atau mirror ((2 − r) × maks) / Rule for ratio > 100 percent: cap or mirror ((2 − r) × max)';
COMMENT ON COLUMN mart.itkp_component.max_score IS 'Skor maksimal tahun ini (konfigurasi) / Maximum score this year (configuration)';
COMMENT ON COLUMN mart.itkp_component.score IS 'Skor setelah aturan tahun ini, dibulatkan / Score under the year''s rules, rounded';
COMMENT ON COLUMN mart.itkp_component.flag IS 'Catatan: empty_denominator, below_floor, over_100_cap, over_100_mirror, manual_missing / Note';

CREATE TABLE mart.itkp_total (
    metric_run_id       bigint  NOT NULL REFERENCES mart.metric_run ON DELETE CASCADE,
    tahun               integer NOT NULL,
    as_of               date    NOT NULL,
    kd_klpd             text    NOT NULL,
    kd_satker_str       text,
    pemanfaatan_sistem  numeric NOT NULL,
    sdm_pbj             numeric,
    kematangan_ukpbj    numeric,
    max_total           numeric NOT NULL,
    total               numeric NOT NULL,
    predikat            text
);
CREATE UNIQUE INDEX itkp_total_key ON mart.itkp_total (metric_run_id, kd_klpd, COALESCE(kd_satker_str, ''));

COMMENT ON TABLE mart.itkp_total IS 'Total ITKP dan predikat per KLPD; baris PD hanya pemanfaatan sistem (tanpa predikat) / ITKP total and predikat per KLPD; PD rows hold system use only (no predikat)';
COMMENT ON COLUMN mart.itkp_total.metric_run_id IS 'ID perhitungan (mart.metric_run) / Metric run id (mart.metric_run)';
COMMENT ON COLUMN mart.itkp_total.tahun IS 'Tahun anggaran / Fiscal year';
COMMENT ON COLUMN mart.itkp_total.as_of IS 'Tanggal acuan history / History reference date';
COMMENT ON COLUMN mart.itkp_total.kd_klpd IS 'Kode K/L/PD / K/L/PD code';
COMMENT ON COLUMN mart.itkp_total.kd_satker_str IS 'Kode PD; NULL = seluruh KLPD / PD code; NULL = whole KLPD';
COMMENT ON COLUMN mart.itkp_total.pemanfaatan_sistem IS 'Jumlah skor pemanfaatan sistem / Sum of system-use scores';
COMMENT ON COLUMN mart.itkp_total.sdm_pbj IS 'Skor SDM PBJ (input manual; NULL untuk PD) / SDM PBJ score (manual input; NULL for PDs)';
COMMENT ON COLUMN mart.itkp_total.kematangan_ukpbj IS 'Skor kematangan UKPBJ (input manual; NULL untuk PD) / UKPBJ maturity score (manual input; NULL for PDs)';
COMMENT ON COLUMN mart.itkp_total.max_total IS 'Jumlah skor maksimal komponen yang dinilai / Sum of the maximum scores of scored components';
COMMENT ON COLUMN mart.itkp_total.total IS 'Total skor ITKP / ITKP total score';
COMMENT ON COLUMN mart.itkp_total.predikat IS 'Predikat (Sangat Baik, Baik, Cukup, Kurang; batas di konfigurasi); NULL untuk PD / Predikat (cut-offs in configuration); NULL for PDs';
