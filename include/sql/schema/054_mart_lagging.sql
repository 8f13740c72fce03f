-- Lagging PDs and the packages behind them: what the circulars (surat edaran) read.
CREATE TABLE mart.lagging (
    metric_run_id  bigint  NOT NULL REFERENCES mart.metric_run ON DELETE CASCADE,
    tahun          integer NOT NULL,
    as_of          date    NOT NULL,
    kd_klpd        text    NOT NULL,
    kd_satker_str  text    NOT NULL,
    nama_satker    text,
    rule           text    NOT NULL,
    component      text,
    measured       numeric,
    target         numeric,
    unit           text    NOT NULL,
    n_packages     integer,
    nilai          numeric,
    deadline       date
);
CREATE UNIQUE INDEX lagging_key ON mart.lagging (metric_run_id, kd_klpd, kd_satker_str, rule);

COMMENT ON TABLE mart.lagging IS 'PD yang tertinggal per aturan (konfigurasi lagging di metrics.yaml) / Lagging PDs per rule (lagging configuration in metrics.yaml)';
COMMENT ON COLUMN mart.lagging.metric_run_id IS 'ID perhitungan (mart.metric_run) / Metric run id (mart.metric_run)';
COMMENT ON COLUMN mart.lagging.tahun IS 'Tahun anggaran / Fiscal year';
COMMENT ON COLUMN mart.lagging.as_of IS 'Tanggal acuan history / History reference date';
COMMENT ON COLUMN mart.lagging.kd_klpd IS 'Kode K/L/PD / K/L/PD code';
COMMENT ON COLUMN mart.lagging.kd_satker_str IS 'Kode Perangkat Daerah / Perangkat Daerah code';
COMMENT ON COLUMN mart.lagging.nama_satker IS 'Nama Perangkat Daerah (dim_satker per as_of) / PD name (dim_satker as of the date)';
COMMENT ON COLUMN mart.lagging.rule IS 'Kunci aturan, mis. epurchasing_paid_not_selesai, ekontrak_missing, itkp_low_e_purchasing, penyerapan_low, rup_not_announced / Rule key';
COMMENT ON COLUMN mart.lagging.component IS 'Sub-indikator ITKP bila aturan berbasis komponen / ITKP sub-indicator for component rules';
COMMENT ON COLUMN mart.lagging.measured IS 'Nilai terukur (satuan di kolom unit) / Measured value (unit in column unit)';
COMMENT ON COLUMN mart.lagging.target IS 'Target atau ambang (satuan sama) / Target or threshold (same unit)';
COMMENT ON COLUMN mart.lagging.unit IS 'Satuan: persen atau paket / Unit: percent or packages';
COMMENT ON COLUMN mart.lagging.n_packages IS 'Jumlah paket di balik temuan (lihat mart.lagging_package) / Packages behind the finding (see mart.lagging_package)';
COMMENT ON COLUMN mart.lagging.nilai IS 'Jumlah nilai paket di balik temuan / Total value of the packages behind the finding';
COMMENT ON COLUMN mart.lagging.deadline IS 'Batas waktu aturan (konfigurasi) / Rule deadline (configuration)';

CREATE TABLE mart.lagging_package (
    metric_run_id      bigint  NOT NULL REFERENCES mart.metric_run ON DELETE CASCADE,
    tahun              integer NOT NULL,
    as_of              date    NOT NULL,
    kd_klpd            text    NOT NULL,
    kd_satker_str      text    NOT NULL,
    rule               text    NOT NULL,
    source             text    NOT NULL,
    package_id         text    NOT NULL,
    kd_rup             bigint,
    nama_paket         text,
    nilai              numeric,
    status_pkt         text,
    status_pengiriman  text,
    status_paket       text,
    tgl_order          date,
    deadline           date,
    hari_terlambat     integer NOT NULL CHECK (hari_terlambat >= 0)
);
CREATE UNIQUE INDEX lagging_package_key ON mart.lagging_package (metric_run_id, rule, source, package_id);
CREATE INDEX lagging_package_pd_idx ON mart.lagging_package (metric_run_id, kd_satker_str);

COMMENT ON TABLE mart.lagging_package IS 'Paket di balik setiap temuan lagging (lampiran surat edaran) / Packages behind each lagging finding (circular annex)';
COMMENT ON COLUMN mart.lagging_package.metric_run_id IS 'ID perhitungan (mart.metric_run) / Metric run id (mart.metric_run)';
COMMENT ON COLUMN mart.lagging_package.tahun IS 'Tahun anggaran / Fiscal year';
COMMENT ON COLUMN mart.lagging_package.as_of IS 'Tanggal acuan history / History reference date';
COMMENT ON COLUMN mart.lagging_package.kd_klpd IS 'Kode K/L/PD / K/L/PD code';
COMMENT ON COLUMN mart.lagging_package.kd_satker_str IS 'Kode Perangkat Daerah / Perangkat Daerah code';
COMMENT ON COLUMN mart.lagging_package.rule IS 'Kunci aturan (sama dengan mart.lagging.rule) / Rule key (as mart.lagging.rule)';
COMMENT ON COLUMN mart.lagging_package.source IS 'Sumber paket: epurchasing_v5, epurchasing_v6, tender, nontender, rup / Package source';
COMMENT ON COLUMN mart.lagging_package.package_id IS 'ID paket di sumbernya (kd_paket, kd_tender, kd_nontender, kd_rup) / Package id in its source';
COMMENT ON COLUMN mart.lagging_package.kd_rup IS 'Kode RUP terkait (pertama bila konsolidasi) / Related RUP code (first when consolidated)';
COMMENT ON COLUMN mart.lagging_package.nama_paket IS 'Nama paket / Package name';
COMMENT ON COLUMN mart.lagging_package.nilai IS 'Nilai paket (e-purchasing: nilai pesanan; SPSE/RUP: pagu) / Package value (e-purchasing: order value; SPSE/RUP: pagu)';
COMMENT ON COLUMN mart.lagging_package.status_pkt IS 'Status paket (v6 status_pkt, v5 paket_status_str, SPSE status, RUP status_umumkan_rup) / Package status';
COMMENT ON COLUMN mart.lagging_package.status_pengiriman IS 'Status pengiriman v6 / v6 delivery status';
COMMENT ON COLUMN mart.lagging_package.status_paket IS 'Kode alur kerja v5 (status_paket) / v5 workflow code (status_paket)';
COMMENT ON COLUMN mart.lagging_package.tgl_order IS 'Tanggal pesanan e-purchasing / E-purchasing order date';
COMMENT ON COLUMN mart.lagging_package.deadline IS 'Batas waktu aturan / Rule deadline';
COMMENT ON COLUMN mart.lagging_package.hari_terlambat IS 'Hari setelah batas waktu per as_of, tidak pernah negatif (0 bila belum lewat atau tanpa batas) / Days after the deadline as of the date, never negative';
