-- Absorption (penyerapan) per PD and KLPD per month, cumulative, committed and paid separately
-- (Kab. Bekasi: 56 % paid vs 70 % done), against a configurable monthly target curve.
CREATE TABLE mart.penyerapan (
    metric_run_id    bigint  NOT NULL REFERENCES mart.metric_run ON DELETE CASCADE,
    tahun            integer NOT NULL,
    as_of            date    NOT NULL,
    kd_klpd          text    NOT NULL,
    kd_satker_str    text,
    bulan            date    NOT NULL,
    pagu             numeric NOT NULL,
    committed_month  numeric NOT NULL,
    paid_month       numeric NOT NULL,
    committed        numeric NOT NULL,
    paid             numeric NOT NULL,
    committed_pct    numeric,
    paid_pct         numeric,
    target_pct       numeric
);
CREATE UNIQUE INDEX penyerapan_key ON mart.penyerapan (metric_run_id, kd_klpd, COALESCE(kd_satker_str, ''), bulan);

COMMENT ON TABLE mart.penyerapan IS 'Penyerapan per PD (dan KLPD) per bulan, kumulatif: terkontrak dan terbayar terhadap pagu dan target / Absorption per PD (and KLPD) per month, cumulative: committed and paid against pagu and target';
COMMENT ON COLUMN mart.penyerapan.metric_run_id IS 'ID perhitungan (mart.metric_run) / Metric run id (mart.metric_run)';
COMMENT ON COLUMN mart.penyerapan.tahun IS 'Tahun anggaran / Fiscal year';
COMMENT ON COLUMN mart.penyerapan.as_of IS 'Tanggal acuan history / History reference date';
COMMENT ON COLUMN mart.penyerapan.kd_klpd IS 'Kode K/L/PD / K/L/PD code';
COMMENT ON COLUMN mart.penyerapan.kd_satker_str IS 'Kode PD; NULL = seluruh KLPD / PD code; NULL = whole KLPD';
COMMENT ON COLUMN mart.penyerapan.bulan IS 'Bulan (tanggal 1); nilai kumulatif s.d. akhir bulan atau as_of / Month (1st day); values cumulative to month end or as_of';
COMMENT ON COLUMN mart.penyerapan.pagu IS 'Pagu RUP terumumkan (penyedia + swakelola) atau belanja pengadaan (konfigurasi) / Announced RUP pagu or belanja pengadaan (configuration)';
COMMENT ON COLUMN mart.penyerapan.committed_month IS 'Nilai terkontrak yang jatuh di bulan ini / Committed value dated in this month';
COMMENT ON COLUMN mart.penyerapan.paid_month IS 'Nilai terbayar yang jatuh di bulan ini / Paid value dated in this month';
COMMENT ON COLUMN mart.penyerapan.committed IS 'Terkontrak kumulatif: kontrak (nilai_kontrak, cadangan nilai paket), pesanan e-purchasing aktif, pencatatan total_realisasi (tanpa yang dibatalkan), toko daring / Cumulative committed value';
COMMENT ON COLUMN mart.penyerapan.paid IS 'Terbayar kumulatif: BAPBAST besar_pembayaran, realisasi pencatatan, pesanan e-purchasing selesai, toko daring selesai / Cumulative paid value';
COMMENT ON COLUMN mart.penyerapan.committed_pct IS 'Terkontrak dalam persen pagu / Committed in percent of pagu';
COMMENT ON COLUMN mart.penyerapan.paid_pct IS 'Terbayar dalam persen pagu / Paid in percent of pagu';
COMMENT ON COLUMN mart.penyerapan.target_pct IS 'Target kumulatif bulan ini dalam persen (kurva di metrics.yaml) / Cumulative target for the month in percent (curve in metrics.yaml)';
