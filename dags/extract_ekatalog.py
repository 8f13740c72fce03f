"""
### extract_ekatalog — e-Katalog v5/v6 dan Toko Daring ke gudang data (Airflow DAG)

Runs after each SIRUP publish (Asset `sirup`), for the upstream run's instansi, `tahun` and
snapshot date (from the asset event). Partitions: e-purchasing v5 (line items;
INAPROC `ekatalog-archive`), e-purchasing v6 (orders; INAPROC renames its fields), Bela toko
daring realisasi. v5 lines are rolled up to orders in core; v6 is one row per order.

Steps and connections as in `extract_sirup`. Publishes Asset `ekatalog`.

Runbook: as `extract_sirup`; a v5 payload on the v6 endpoint fails validation as critical
(schema drift) — check the configured URL.

Owner: tim-data-pbj.
"""
from pantau import dagkit
from pantau.extract_dag import build

extract_ekatalog_dag = build("ekatalog", dag_id="extract_ekatalog", schedule=[dagkit.assets()["sirup"]], doc_md=__doc__, tags=["ekatalog"])
