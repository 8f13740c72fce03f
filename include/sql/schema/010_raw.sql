-- Raw landing: one row per fetch of a partition (dataset x instansi x tahun) and its pages,
-- bodies verbatim (gzip) so any later parse can be replayed and audited (docs/architecture.md).

CREATE TABLE raw.fetch (
    fetch_id        bigserial PRIMARY KEY,
    source_system   text NOT NULL CHECK (source_system IN ('isb', 'inaproc_v1', 'inaproc_legacy')),
    dataset         text NOT NULL,
    kd_klpd         text,
    kd_lpse         int,
    tahun           int NOT NULL,
    url             text,
    params          jsonb NOT NULL DEFAULT '{}'::jsonb,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    status          text NOT NULL CHECK (status IN ('ok', 'empty', 'failed')),
    http_status     int,
    n_pages         int NOT NULL DEFAULT 0,
    n_rows          int,
    n_bytes         bigint NOT NULL DEFAULT 0,
    sha256          text,
    request_ids     text[],
    error           text,
    error_class     text,
    note            text,
    last_checked_at timestamptz,
    n_checks        int NOT NULL DEFAULT 1,
    CONSTRAINT fetch_failed_has_error CHECK ((status = 'failed') = (error IS NOT NULL))
);

COMMENT ON TABLE raw.fetch IS
  'Satu baris per penarikan satu partisi (dataset x instansi x tahun) dari sumber / One row per fetch of one partition (dataset x instansi x year) from a source';
COMMENT ON COLUMN raw.fetch.fetch_id IS 'ID penarikan / Fetch id';
COMMENT ON COLUMN raw.fetch.source_system IS 'Sistem sumber: isb, inaproc_v1, inaproc_legacy / Source system';
COMMENT ON COLUMN raw.fetch.dataset IS 'Nama dataset internal (pantau.datasets) / Internal dataset name';
COMMENT ON COLUMN raw.fetch.kd_klpd IS 'Kode K/L/PD yang diminta / Requested KLPD code (e.g. D197)';
COMMENT ON COLUMN raw.fetch.kd_lpse IS 'Kode LPSE yang diminta (feed SPSE ISB) / Requested LPSE code (ISB SPSE feeds)';
COMMENT ON COLUMN raw.fetch.tahun IS 'Tahun anggaran yang diminta / Requested budget year';
COMMENT ON COLUMN raw.fetch.url IS 'URL yang dipanggil, kunci ISB disamarkan / URL called, ISB key redacted';
COMMENT ON COLUMN raw.fetch.params IS 'Parameter permintaan tanpa rahasia / Request parameters, no secrets';
COMMENT ON COLUMN raw.fetch.started_at IS 'Waktu mulai penarikan / Fetch start time';
COMMENT ON COLUMN raw.fetch.finished_at IS 'Waktu selesai penarikan / Fetch end time';
COMMENT ON COLUMN raw.fetch.status IS 'ok = ada baris, empty = sumber kosong, failed = gagal (halaman yang diterima disimpan) / ok, empty, failed (pages received are kept)';
COMMENT ON COLUMN raw.fetch.http_status IS 'Status HTTP terakhir / Last HTTP status';
COMMENT ON COLUMN raw.fetch.n_pages IS 'Jumlah halaman tersimpan / Number of stored pages';
COMMENT ON COLUMN raw.fetch.n_rows IS 'Jumlah baris menurut klien (null bila tidak terbaca) / Row count seen by the client';
COMMENT ON COLUMN raw.fetch.n_bytes IS 'Total byte body tak terkompresi / Total uncompressed body bytes';
COMMENT ON COLUMN raw.fetch.sha256 IS 'SHA-256 atas semua body halaman berurutan / SHA-256 over all page bodies in order';
COMMENT ON COLUMN raw.fetch.request_ids IS 'ID permintaan INAPROC per halaman / INAPROC request ids';
COMMENT ON COLUMN raw.fetch.error IS 'Pesan galat (tanpa token/kunci) / Error message (no token or key)';
COMMENT ON COLUMN raw.fetch.error_class IS 'Kelas galat bernama / Named error class';
COMMENT ON COLUMN raw.fetch.note IS 'Catatan sumber, mis. body 0 byte / Source note, e.g. zero-byte body';
COMMENT ON COLUMN raw.fetch.last_checked_at IS 'Terakhir kali isi yang sama ditarik ulang / Last time identical content was re-fetched';
COMMENT ON COLUMN raw.fetch.n_checks IS 'Berapa kali isi yang sama ditarik / How many times this content was fetched';

CREATE INDEX fetch_partition_idx ON raw.fetch (dataset, source_system, kd_klpd, kd_lpse, tahun, sha256);

CREATE TABLE raw.fetch_page (
    fetch_id    bigint NOT NULL REFERENCES raw.fetch (fetch_id) ON DELETE CASCADE,
    page_no     int NOT NULL,
    cursor      text,
    http_status int,
    fetched_at  timestamptz NOT NULL,
    n_bytes     bigint NOT NULL,
    n_rows      int,
    sha256      text NOT NULL,
    request_id  text,
    note        text,
    body_gz     bytea NOT NULL,
    PRIMARY KEY (fetch_id, page_no)
);
-- Bodies are already gzip: skip TOAST's pglz attempt, keep them out of line.
ALTER TABLE raw.fetch_page ALTER COLUMN body_gz SET STORAGE EXTERNAL;

COMMENT ON TABLE raw.fetch_page IS
  'Halaman respons apa adanya (gzip) per penarikan / Verbatim response pages (gzip) per fetch';
COMMENT ON COLUMN raw.fetch_page.fetch_id IS 'ID penarikan / Fetch id';
COMMENT ON COLUMN raw.fetch_page.page_no IS 'Nomor halaman mulai 0 / Page number from 0';
COMMENT ON COLUMN raw.fetch_page.cursor IS 'Cursor yang dikirim untuk halaman ini / Cursor sent to get this page';
COMMENT ON COLUMN raw.fetch_page.http_status IS 'Status HTTP halaman / HTTP status of the page';
COMMENT ON COLUMN raw.fetch_page.fetched_at IS 'Waktu halaman diterima / Time the page was received';
COMMENT ON COLUMN raw.fetch_page.n_bytes IS 'Byte body tak terkompresi / Uncompressed body bytes';
COMMENT ON COLUMN raw.fetch_page.n_rows IS 'Baris pada halaman menurut klien / Rows on the page seen by the client';
COMMENT ON COLUMN raw.fetch_page.sha256 IS 'SHA-256 body tak terkompresi / SHA-256 of the uncompressed body';
COMMENT ON COLUMN raw.fetch_page.request_id IS 'ID permintaan INAPROC / INAPROC request id';
COMMENT ON COLUMN raw.fetch_page.note IS 'Catatan, mis. invalid_response / Note, e.g. invalid_response';
COMMENT ON COLUMN raw.fetch_page.body_gz IS 'Body apa adanya, dikompres gzip / Verbatim body, gzip-compressed';
