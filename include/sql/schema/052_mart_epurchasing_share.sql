-- E-purchasing share (award / national ranking) per KLPD and PD, per semester and year to date.
CREATE TABLE mart.epurchasing_share (
    metric_run_id      bigint  NOT NULL REFERENCES mart.metric_run ON DELETE CASCADE,
    tahun              integer NOT NULL,
    as_of              date    NOT NULL,
    kd_klpd            text    NOT NULL,
    kd_satker_str      text,
    period             text    NOT NULL CHECK (period IN ('S1', 'S2', 'YTD')),
    period_start       date    NOT NULL,
    period_end         date    NOT NULL,
    n_orders           integer NOT NULL,
    nilai_epurchasing  numeric NOT NULL,
    pagu_rup           numeric,
    share              numeric,
    share_pct          numeric,
    target_pct         numeric
);
CREATE UNIQUE INDEX epurchasing_share_key ON mart.epurchasing_share (metric_run_id, kd_klpd, COALESCE(kd_satker_str, ''), period);

COMMENT ON TABLE mart.epurchasing_share IS 'Porsi e-purchasing: nilai transaksi ÷ pagu RUP per KLPD/PD, per semester dan s.d. tanggal acuan / E-purchasing share: transaction value ÷ RUP pagu per KLPD/PD, per semester and year to date';
COMMENT ON COLUMN mart.epurchasing_share.metric_run_id IS 'ID perhitungan (mart.metric_run) / Metric run id (mart.metric_run)';
COMMENT ON COLUMN mart.epurchasing_share.tahun IS 'Tahun anggaran / Fiscal year';
COMMENT ON COLUMN mart.epurchasing_share.as_of IS 'Tanggal acuan history / History reference date';
COMMENT ON COLUMN mart.epurchasing_share.kd_klpd IS 'Kode K/L/PD / K/L/PD code';
COMMENT ON COLUMN mart.epurchasing_share.kd_satker_str IS 'Kode PD; NULL = seluruh KLPD / PD code; NULL = whole KLPD';
COMMENT ON COLUMN mart.epurchasing_share.period IS 'Periode: S1 (Jan–Jun), S2 (Jul–Des), YTD (1 Jan s.d. as_of) / Period: S1, S2, YTD';
COMMENT ON COLUMN mart.epurchasing_share.period_start IS 'Awal periode / Period start';
COMMENT ON COLUMN mart.epurchasing_share.period_end IS 'Akhir periode (dipotong pada as_of) / Period end (cut at as_of)';
COMMENT ON COLUMN mart.epurchasing_share.n_orders IS 'Jumlah pesanan (kd_paket) dalam pembilang / Number of orders (kd_paket) in the numerator';
COMMENT ON COLUMN mart.epurchasing_share.nilai_epurchasing IS 'Nilai transaksi e-purchasing (varian pembilang di konfigurasi) / E-purchasing transaction value (numerator variant in configuration)';
COMMENT ON COLUMN mart.epurchasing_share.pagu_rup IS 'Penyebut: pagu RUP terumumkan atau belanja pengadaan (konfigurasi) / Denominator: announced RUP pagu or belanja pengadaan (configuration)';
COMMENT ON COLUMN mart.epurchasing_share.share IS 'Porsi (pecahan) / Share (fraction)';
COMMENT ON COLUMN mart.epurchasing_share.share_pct IS 'Porsi dalam persen / Share in percent';
COMMENT ON COLUMN mart.epurchasing_share.target_pct IS 'Target porsi dalam persen (konfigurasi; LKPP minta ≥ 30) / Target share in percent (configuration)';
