-- Idempotent circular delivery (issue 19 point 9) and safe registered paths (point 11).
--
-- audit.report_recipient records the intent to send before the SMTP conversation starts: one row
-- per report × recipient, `sending` → `sent` | `failed`. A retry never sends to a recipient that is
-- `sent`, and never blindly to one still `sending` (the previous attempt may have delivered the
-- message and died before recording it): a `sending` row older than the stale limit becomes
-- `unknown` and is resent only when an operator forces it (pantau.report.delivery).
CREATE TABLE audit.report_recipient (
    report_id    text        NOT NULL REFERENCES audit.report (report_id),
    recipient    text        NOT NULL CHECK (recipient = lower(btrim(recipient)) AND recipient <> ''),
    state        text        NOT NULL CHECK (state IN ('sending', 'sent', 'failed', 'unknown')),
    attempt      integer     NOT NULL,
    claimed_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    sent_at      timestamptz,
    message_id   text,
    error        text,
    updated_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (report_id, recipient)
);

COMMENT ON TABLE audit.report_recipient IS
  'Niat dan hasil kirim per surat edaran × penerima; dicatat sebelum surel dikirim agar percobaan ulang tidak mengirim dua kali / Intent and outcome per circular × recipient, recorded before the e-mail is sent so a retry never sends twice';
COMMENT ON COLUMN audit.report_recipient.report_id IS 'Surat edaran / Circular';
COMMENT ON COLUMN audit.report_recipient.recipient IS 'Alamat surel penerima (huruf kecil) / Recipient e-mail address (lower case)';
COMMENT ON COLUMN audit.report_recipient.state IS 'sending (sedang/terputus), sent, failed, unknown (hasil tak diketahui, tidak dikirim ulang kecuali dipaksa) / sending (in flight or interrupted), sent, failed, unknown (outcome unknown, not resent unless forced)';
COMMENT ON COLUMN audit.report_recipient.attempt IS 'Percobaan terakhir (audit.report_delivery.attempt) / Last attempt (audit.report_delivery.attempt)';
COMMENT ON COLUMN audit.report_recipient.claimed_at IS 'Waktu niat kirim dicatat / When the intent to send was recorded';
COMMENT ON COLUMN audit.report_recipient.sent_at IS 'Waktu server SMTP menerima surel / When the SMTP server accepted the e-mail';
COMMENT ON COLUMN audit.report_recipient.message_id IS 'Message-ID surel percobaan terakhir (untuk dicari di kotak surat) / Message-ID of the last attempt (to look up in a mailbox)';
COMMENT ON COLUMN audit.report_recipient.error IS 'Galat atau alasan keadaan unknown / Error, or why the state is unknown';
COMMENT ON COLUMN audit.report_recipient.updated_at IS 'Waktu perubahan terakhir / Last changed at';

-- Attempt rows are written at claim time (status `sending`) and then closed; a stale one becomes
-- `unknown`. The report's own status follows. Old CHECKs are found by definition, not by their
-- generated names (070 created two constraints both named report_delivery_status_check*).
DO $$
DECLARE c record;
BEGIN
  FOR c IN SELECT conrelid::regclass AS tbl, conname FROM pg_constraint
            WHERE contype = 'c'
              AND ((conrelid = 'audit.report'::regclass AND pg_get_constraintdef(oid) LIKE '%delivery_status%')
                OR (conrelid = 'audit.report_delivery'::regclass AND pg_get_constraintdef(oid) LIKE '%status%'))
  LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c.tbl, c.conname);
  END LOOP;
END $$;
ALTER TABLE audit.report ADD CONSTRAINT report_delivery_status_allowed CHECK (
    delivery_status IN ('pending', 'sending', 'sent', 'failed', 'unknown', 'not_configured'));
ALTER TABLE audit.report_delivery ADD CONSTRAINT report_delivery_attempt_status_allowed CHECK (
    status IN ('sending', 'sent', 'failed', 'unknown'));
COMMENT ON COLUMN audit.report_delivery.status IS
  'sending (dicatat sebelum kirim), sent, failed, unknown (terputus setelah mulai kirim) / sending (recorded before sending), sent, failed, unknown (interrupted after sending began)';
COMMENT ON COLUMN audit.report.delivery_status IS
  'Status pengiriman: pending, sending, sent, failed, unknown, not_configured / Delivery status: pending, sending, sent, failed, unknown, not_configured';

-- A registered path is opened by `pantau verify` and `deliver`: relative to OUTPUT_DIR, no `..`
-- segment, no backslash. NOT VALID: rows registered before this check stay readable (the code
-- refuses to open them), every new or updated row is checked.
ALTER TABLE audit.report ADD CONSTRAINT report_path_inside_output CHECK (
    path <> '' AND path !~ '^/' AND path !~ '\\' AND path !~ '(^|/)\.\.(/|$)') NOT VALID;
