"""
### extract_spse — SPSE (tender, non-tender, e-kontrak, pencatatan) ke gudang data (Airflow DAG)

Runs after each successful SIRUP load (Asset `sirup`, itself daily), so referential checks of
`kd_rup` see the same day's RUP. Partitions: tender pengumuman / selesai nilai / e-kontrak
(kontrak, BAPBAST), non-tender pengumuman / selesai / e-kontrak, pencatatan non-tender + realisasi.
ISB filters SPSE by `kd_lpse` (mapping in `include/config/pantau.yaml`); an LPSE feed may carry
rows of other instansi (e.g. a BUMD) — they are kept with their own `kd_klpd`.

Steps and connections as in `extract_sirup`. Publishes Asset `spse`.

Runbook: as `extract_sirup`; `RepeatingCursorError` → INAPROC returned the same cursor twice;
the fetch is marked failed and retried; if it persists, report the request id to LKPP.

Owner: tim-data-pbj.
"""
from pantau import dagkit
from pantau.extract_dag import build

extract_spse_dag = build("spse", dag_id="extract_spse", schedule=[dagkit.assets()["sirup"]], doc_md=__doc__, tags=["spse"])
