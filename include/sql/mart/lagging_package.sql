-- Packages behind the package-level lagging rules (metrics.yaml lagging.*), what a circular's
-- annex lists. hari_terlambat = days after the rule's deadline as of as_of, never negative
-- (0 before the deadline or when the rule has no deadline). A rule whose list_before_deadline is
-- false lists packages only once as_of is past its deadline.
-- e-Purchasing, one pass over the aktif, not-selesai orders, each in exactly one rule:
--   epurchasing_paid_not_selesai (Kalteng 2023: close every paid package by 30 Nov):
--     v6 status_pkt in (ON_PROCESS, ON_ADDENDUM) × status_pengiriman in (DELIVERED,
--     BUYER_CONFIRMED, COMPLETED); v5 'Paket Proses' at workflow melakukan_pengiriman_dan_penerimaan;
--   epurchasing_not_selesai: every other one (Kalteng: the rest by 30 Dec), and all of them when
--     the first rule is disabled.
CREATE TEMP TABLE tmp_lag_pkg ON COMMIT DROP AS
WITH classified AS (
  SELECT o.*,
         CASE WHEN %(lag_ep_paid_enabled)s
                AND ((o.versi = 'v6' AND COALESCE(o.status_pkt ILIKE ANY (%(lag_ep_paid_v6_status_pkt)s::text[]), false)
                                     AND COALESCE(o.status_pengiriman ILIKE ANY (%(lag_ep_paid_v6_pengiriman)s::text[]), false))
                  OR (o.versi = 'v5' AND COALESCE(o.status_pkt ILIKE ANY (%(lag_ep_paid_v5_status_str)s::text[]), false)
                                     AND COALESCE(o.status_paket ILIKE ANY (%(lag_ep_paid_v5_status_paket)s::text[]), false)))
              THEN 'epurchasing_paid_not_selesai' ELSE 'epurchasing_not_selesai' END AS rule
  FROM tmp_order o
  WHERE o.is_aktif AND NOT o.is_selesai
), with_deadline AS (
  SELECT c.*,
         CASE c.rule WHEN 'epurchasing_paid_not_selesai' THEN %(lag_ep_paid_deadline)s::date
                     ELSE %(lag_ep_rest_deadline)s::date END AS deadline,
         CASE c.rule WHEN 'epurchasing_paid_not_selesai' THEN %(lag_ep_paid_list_before)s
                     ELSE %(lag_ep_rest_list_before)s END AS list_before,
         CASE c.rule WHEN 'epurchasing_paid_not_selesai' THEN true
                     ELSE %(lag_ep_rest_enabled)s END AS enabled
  FROM classified c
)
SELECT w.kd_klpd, w.kd_satker_str, w.rule, 'epurchasing_' || w.versi AS source, w.kd_paket AS package_id,
       w.kd_rup, w.nama_paket, w.nilai, w.status_pkt, w.status_pengiriman, w.status_paket, w.tgl_order,
       w.deadline
FROM with_deadline w
WHERE w.enabled AND (w.list_before OR w.deadline IS NULL OR %(as_of)s::date > w.deadline);

-- E-kontrak missing: selection finished (tender / non-tender Selesai) but no kontrak row.
INSERT INTO tmp_lag_pkg
SELECT s.kd_klpd, s.kd_satker_str, 'ekontrak_missing', s.sumber, s.kd_paket_spse::text,
       b.kd_rup,
       s.nama_paket, s.pagu, s.status, NULL, NULL, NULL, %(lag_ek_deadline)s::date
FROM tmp_spse s
JOIN tmp_spse_label l ON l.label_key = s.label_key
LEFT JOIN (  -- the package's first kd_rup (lowest ordinal), one hash join instead of a lookup per package
  SELECT DISTINCT ON (sumber, kd_paket_spse) sumber, kd_paket_spse, kd_rup
  FROM tmp_spse_rup ORDER BY sumber, kd_paket_spse, ordinal
) b ON b.sumber = s.sumber AND b.kd_paket_spse = s.kd_paket_spse
WHERE %(lag_ek_enabled)s
  AND l.is_selesai
  AND NOT EXISTS (SELECT 1 FROM tmp_kontrak k WHERE k.sumber = s.sumber AND k.kd_paket_spse = s.kd_paket_spse)
  AND (%(lag_ek_list_before)s OR %(lag_ek_deadline)s::date IS NULL OR %(as_of)s::date > %(lag_ek_deadline)s::date);

-- RUP not announced after the deadline: active, not deleted packages of the year whose
-- status_umumkan_rup is not an announced status (e.g. Terinisiasi), when the feed carries them.
INSERT INTO tmp_lag_pkg
SELECT r.kd_klpd, r.kd_satker_str, 'rup_not_announced', 'rup', r.kd_rup::text, r.kd_rup, r.nama_paket,
       r.pagu, r.status_umumkan_rup, NULL, NULL, NULL, %(lag_rup_deadline)s::date
FROM history.rup_paket_asof(%(as_of)s) r
WHERE %(lag_rup_enabled)s
  AND r.tahun_anggaran = %(tahun)s AND r.kd_klpd IN (SELECT kd_klpd FROM tmp_run)
  AND NOT COALESCE(r.status_umumkan_rup ILIKE ANY (%(rup_status_umumkan)s::text[]), false)
  AND COALESCE(r.status_aktif_rup, true) AND NOT COALESCE(r.status_delete_rup, false)
  AND (%(lag_rup_deadline)s::date IS NULL OR %(as_of)s::date > %(lag_rup_deadline)s::date);

UPDATE tmp_lag_pkg SET kd_satker_str = '(tanpa PD)' WHERE kd_satker_str IS NULL;

INSERT INTO mart.lagging_package (metric_run_id, tahun, as_of, kd_klpd, kd_satker_str, rule, source,
  package_id, kd_rup, nama_paket, nilai, status_pkt, status_pengiriman, status_paket, tgl_order,
  deadline, hari_terlambat)
SELECT run.metric_run_id, %(tahun)s, %(as_of)s, p.kd_klpd, p.kd_satker_str, p.rule, p.source,
       p.package_id, p.kd_rup, p.nama_paket, p.nilai, p.status_pkt, p.status_pengiriman, p.status_paket,
       p.tgl_order, p.deadline, GREATEST(0, COALESCE(%(as_of)s::date - p.deadline, 0))
FROM tmp_lag_pkg p
JOIN tmp_run run ON run.kd_klpd = p.kd_klpd;
