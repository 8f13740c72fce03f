-- Issue 19 point 2: a fetch whose pages do not form one consistent snapshot of the source (a page
-- was retried and the source changed before a re-read, or the envelope's total changed between
-- pages) must not drive deletions. The extractor re-reads such a partition from page one (bounded)
-- and, when it still cannot prove one snapshot, lands it with snapshot_consistent = false; the
-- loader then upserts it without marking anything deleted and says why in audit.load_log.
ALTER TABLE raw.fetch
  ADD COLUMN snapshot_consistent boolean NOT NULL DEFAULT true,
  ADD COLUMN snapshot_note       text;
COMMENT ON COLUMN raw.fetch.snapshot_consistent IS
  'false = halaman tidak membentuk satu snapshot sumber (sumber berubah saat halaman diulang); tidak dipakai untuk menandai baris terhapus / false = the pages do not form one snapshot of the source (it changed while a page was retried); never used to mark rows deleted';
COMMENT ON COLUMN raw.fetch.snapshot_note IS
  'Alasan snapshot tidak konsisten dan berapa kali dibaca ulang / Why the snapshot is inconsistent and how many passes were read';

ALTER TABLE audit.load_log ADD COLUMN deletes_skipped text;
COMMENT ON COLUMN audit.load_log.deletes_skipped IS
  'Alasan penandaan terhapus dilewati (snapshot tidak konsisten, snapshot kosong); NULL = dijalankan / Why marking rows deleted was skipped (inconsistent or empty snapshot); NULL = it ran';
