"""
### extract_sirup — RUP (SIRUP) ke gudang data / RUP plans into the warehouse (Airflow DAG)

Daily. For every configured instansi (`include/config/pantau.yaml`) and the fiscal year of the
run (param `tahun` for a backfill of a past year), one mapped partition per SIRUP dataset:
master satker, struktur anggaran PD, paket penyedia/swakelola terumumkan, paket anggaran.

Steps: plan → per partition (one mapped task group `partition`, each index independent):
extract (INAPROC API v1 for 2025 on, ISB before; raw pages stored verbatim) → normalise (typed
staging rows) → validate (Great Expectations; bad rows to `quarantine.*`) → load (one
transaction per partition into core + history) → publish Asset `sirup` (always, once every
partition is done; its extra lists each partition's status `loaded` / `failed` /
`endpoint_not_available` with the reason) → check (fails the run, naming the datasets, when a
partition did not load). Status per partition and stage: `audit.partition_run`.
Deterministic errors (HTTP 400/401/403/404, configuration, critical validation) fail at once;
only 429, 5xx, timeouts and dropped connections are retried with backoff.

Connections: `pantau_warehouse` (Postgres), `pantau_inaproc` (host + Bearer token as password);
Variable `pantau_isb_urls` (JSON of keyed ISB URLs per dataset × instansi). Pool `lkpp_api`.

Runbook (by log message):
- `InaprocAuthError … request_id=…` → token expired/IP not registered: renew in the INAPROC portal.
- `CriticalValidationError …` → the source changed shape; nothing was loaded, raw payload is kept
  (see `raw.fetch`), compare with `shared/docs/sources.md`, then clear the task.
- `check` failed → read its message (or `SELECT * FROM audit.partition_run WHERE status <> 'loaded'`):
  the other partitions did load; fix the named one and clear its `partition` tasks.
- `URL-NOT-DEFINED` → the ISB key for that dataset/instansi is missing or revoked.

Owner: tim-data-pbj.
"""
from pantau.extract_dag import build

extract_sirup_dag = build("sirup", dag_id="extract_sirup", schedule="@daily", doc_md=__doc__, tags=["sirup"])
