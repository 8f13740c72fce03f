-- Layers of the warehouse, one schema each (docs/architecture.md).
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS history;
CREATE SCHEMA IF NOT EXISTS mart;
CREATE SCHEMA IF NOT EXISTS audit;
CREATE SCHEMA IF NOT EXISTS quarantine;

COMMENT ON SCHEMA raw IS 'Log fetch dan payload mentah apa adanya / Fetch log and verbatim source payloads';
COMMENT ON SCHEMA staging IS 'Baris bertipe per dataset dan fetch / Typed rows per dataset and fetch';
COMMENT ON SCHEMA core IS 'Dimensi dan fakta yang diseragamkan (kondisi terkini) / Conformed dimensions and facts (current state)';
COMMENT ON SCHEMA history IS 'Riwayat status (SCD tipe 2) / Status history (SCD type 2)';
COMMENT ON SCHEMA mart IS 'Metrik ITKP, e-purchasing dan penyerapan / ITKP, e-purchasing and absorption metrics';
COMMENT ON SCHEMA audit IS 'Log muat, hasil validasi, registri surat edaran / Load log, validation results, circular registry';
COMMENT ON SCHEMA quarantine IS 'Baris yang ditolak validasi beserta alasannya / Rows rejected by validation, with the reason';
