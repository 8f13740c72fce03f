"""
### extract_spse — SPSE (tender, non-tender, e-kontrak, pencatatan) ke gudang data (Airflow DAG)

Runs after each SIRUP publish (Asset `sirup`, itself daily), for the upstream run's instansi,
`tahun` and snapshot date (from the asset event), so referential checks of `kd_rup` see the same
day's RUP. Partitions: tender pengumuman / selesai nilai / e-kontrak
(kontrak, BAPBAST), non-tender pengumuman / selesai / e-kontrak, pencatatan non-tender + realisasi.
ISB filters SPSE by `kd_lpse` (mapping in `include/config/pantau.yaml`); an LPSE feed may carry
rows of other instansi (e.g. a BUMD) — they are kept with their own `kd_klpd`.

Steps and connections as in `extract_sirup`. Publishes Asset `spse`.

Runbook: as `extract_sirup`; `RepeatingCursor` → INAPROC returned the same cursor twice;
the fetch is marked failed and not retried (the next try loops the same way): report the request
id to LKPP, then clear the partition's tasks.

Owner: tim-data-pbj.
"""
from pantau import dagkit
from pantau.extract_dag import build

extract_spse_dag = build("spse", dag_id="extract_spse", schedule=[dagkit.assets()["sirup"]], doc_md=__doc__, tags=["spse"])
