-- Circular registry (pantau.report): one row per rendered Surat Edaran PDF, its identity and
-- lineage (metric run, raw fetches), and its delivery state. `pantau verify` reads it.
CREATE TABLE audit.report (
    report_id          text        PRIMARY KEY,
    kind               text        NOT NULL DEFAULT 'surat_edaran',
    path               text        NOT NULL,
    sha256             text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    n_bytes            bigint      NOT NULL,
    pages              integer     NOT NULL,
    kd_klpd            text        NOT NULL,
    tahun              integer     NOT NULL,
    period             text,
    as_of              date        NOT NULL,
    tanggal            date        NOT NULL,
    nomor              text,
    is_draft           boolean     NOT NULL,
    metric_run_id      bigint,
    fetch_ids          bigint[]    NOT NULL DEFAULT '{}',
    model_sha256       text        NOT NULL,
    config_sha256      text        NOT NULL,
    template_sha256    text        NOT NULL,
    n_lagging_pd       integer     NOT NULL,
    n_packages         integer     NOT NULL,
    n_review           integer     NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    rendered_at        timestamptz NOT NULL DEFAULT now(),
    delivery_status    text        NOT NULL DEFAULT 'pending'
                       CHECK (delivery_status IN ('pending', 'sent', 'failed', 'not_configured')),
    delivery_attempts  integer     NOT NULL DEFAULT 0,
    delivered_at       timestamptz,
    delivery_recipients text[],
    delivery_error     text,
    CHECK (is_draft = (nomor IS NULL))
);
CREATE UNIQUE INDEX report_sha256_idx ON audit.report (sha256);
CREATE INDEX report_klpd_idx ON audit.report (kd_klpd, tahun, as_of);

CREATE TABLE audit.report_delivery (
    report_id     text        NOT NULL REFERENCES audit.report (report_id),
    attempt       integer     NOT NULL,
    attempted_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    conn_id       text,
    recipients    text[]      NOT NULL,
    status        text        NOT NULL CHECK (status IN ('sent', 'failed')),
    error         text,
    message_id    text,
    PRIMARY KEY (report_id, attempt)
);

COMMENT ON TABLE audit.report IS
  'Registri surat edaran: identitas, sha256, asal data (metric run, fetch) dan status kirim / Circular registry: identity, sha256, lineage (metric run, fetches) and delivery state';
COMMENT ON COLUMN audit.report.report_id IS 'ID deterministik SE-<klpd>-<tahun>-<hash masukan>; tercetak di kaki halaman / Deterministic id from the inputs; printed in the page footer';
COMMENT ON COLUMN audit.report.path IS 'Lokasi PDF relatif terhadap OUTPUT_DIR (circulars/…) / PDF path relative to OUTPUT_DIR';
COMMENT ON COLUMN audit.report.sha256 IS 'sha256 seluruh berkas PDF / sha256 of the whole PDF file';
COMMENT ON COLUMN audit.report.period IS 'Periode pemantauan (mis. 2023 s.d. 30 November) / Monitoring period label';
COMMENT ON COLUMN audit.report.as_of IS 'Tanggal data (as-of metrik) / Data as-of date';
COMMENT ON COLUMN audit.report.tanggal IS 'Tanggal penetapan yang tercetak / Issue date printed on the circular';
COMMENT ON COLUMN audit.report.nomor IS 'Nomor surat; NULL = draf (NOMOR ………, DRAF) / Letter number; NULL = draft';
COMMENT ON COLUMN audit.report.metric_run_id IS 'mart.metric_run sumber angka / Metric run the figures come from';
COMMENT ON COLUMN audit.report.fetch_ids IS 'raw.fetch yang mendasari metric run / Raw fetches behind the metric run';
COMMENT ON COLUMN audit.report.model_sha256 IS 'sha256 model surat (JSON kanonik) / sha256 of the circular model (canonical JSON)';
COMMENT ON COLUMN audit.report.config_sha256 IS 'sha256 konfigurasi Pemda yang dipakai / sha256 of the Pemda config used';
COMMENT ON COLUMN audit.report.template_sha256 IS 'sha256 templat dan aset / sha256 of templates and assets';
COMMENT ON COLUMN audit.report.n_review IS 'Paket dengan status tak dikenal (perlu diperiksa) / Packages with an unknown status combination';
COMMENT ON COLUMN audit.report.delivery_status IS 'Status pengiriman / Delivery status: pending, sent, failed, not_configured';
COMMENT ON TABLE audit.report_delivery IS 'Setiap percobaan pengiriman surel / Every e-mail delivery attempt';

COMMENT ON COLUMN audit.report.kind IS 'Jenis dokumen (surat_edaran) / Document kind (surat_edaran)';
COMMENT ON COLUMN audit.report.n_bytes IS 'Ukuran berkas PDF (bita) / PDF file size (bytes)';
COMMENT ON COLUMN audit.report.pages IS 'Jumlah halaman / Number of pages';
COMMENT ON COLUMN audit.report.kd_klpd IS 'Kode K/L/PD penerbit / Issuing KLPD code';
COMMENT ON COLUMN audit.report.tahun IS 'Tahun anggaran / Fiscal year';
COMMENT ON COLUMN audit.report.is_draft IS 'Draf (tanpa nomor) / Draft (no letter number)';
COMMENT ON COLUMN audit.report.n_lagging_pd IS 'Jumlah PD tertinggal dalam lampiran / Lagging PDs in the annex';
COMMENT ON COLUMN audit.report.n_packages IS 'Jumlah paket dalam lampiran / Packages in the annex';
COMMENT ON COLUMN audit.report.created_at IS 'Waktu pertama didaftarkan / First registered at';
COMMENT ON COLUMN audit.report.rendered_at IS 'Waktu terakhir dirender / Last rendered at';
COMMENT ON COLUMN audit.report.delivery_attempts IS 'Jumlah percobaan pengiriman / Delivery attempts';
COMMENT ON COLUMN audit.report.delivered_at IS 'Waktu terkirim / Delivered at';
COMMENT ON COLUMN audit.report.delivery_recipients IS 'Penerima surel / E-mail recipients';
COMMENT ON COLUMN audit.report.delivery_error IS 'Galat pengiriman terakhir / Last delivery error';
COMMENT ON COLUMN audit.report_delivery.report_id IS 'Surat edaran yang dikirim / Circular sent';
COMMENT ON COLUMN audit.report_delivery.attempt IS 'Nomor percobaan / Attempt number';
COMMENT ON COLUMN audit.report_delivery.attempted_at IS 'Waktu percobaan / Attempted at';
COMMENT ON COLUMN audit.report_delivery.conn_id IS 'Koneksi SMTP Airflow / Airflow SMTP connection id';
COMMENT ON COLUMN audit.report_delivery.recipients IS 'Penerima / Recipients';
COMMENT ON COLUMN audit.report_delivery.status IS 'sent | failed / sent | failed';
COMMENT ON COLUMN audit.report_delivery.error IS 'Galat / Error';
COMMENT ON COLUMN audit.report_delivery.message_id IS 'Message-ID surel / E-mail Message-ID';
