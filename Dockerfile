# Airflow image for docker-compose.yaml: Airflow 3 + Pantau PBJ's runtime lock + the project code.
# The slim base carries Airflow core only (no bundle of cloud providers); every Python package on
# top comes from constraints.txt, the hashed runtime lock. Test tools (pytest, pypdf, aiosmtpd,
# the compose binary) live in constraints-dev.txt and never reach this image.
# Keep the tag in step with apache-airflow in requirements.txt (tests/test_compose.py checks it).
FROM apache/airflow:slim-3.3.2-python3.11

USER root
# WeasyPrint's system libraries, here rather than through _PIP_ADDITIONAL_REQUIREMENTS at start.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
USER airflow

COPY --chown=airflow:0 requirements.txt constraints.txt /opt/pantau/
# The lock carries hashes: every transitive version is the one tested together.
RUN pip install --no-cache-dir --require-hashes -r /opt/pantau/constraints.txt

# The project itself is baked in, so a server runs exactly the code it was built from; bind
# mounts for development are optional (docker-compose.override.yaml.example).
COPY --chown=airflow:0 scripts/compose_preflight.py /opt/pantau/compose_preflight.py
COPY --chown=airflow:0 dags/ /opt/airflow/dags/
COPY --chown=airflow:0 plugins/ /opt/airflow/plugins/
COPY --chown=airflow:0 include/ /opt/airflow/include/
# The `pantau` command (pantau verify <berkas>, named in every circular's footer): an editable
# install of the baked-in package, no dependencies (they came from the lock above).
COPY --chown=airflow:0 pyproject.toml /opt/airflow/pyproject.toml
RUN pip install --no-cache-dir --no-deps -e /opt/airflow

ENV PYTHONPATH=/opt/airflow/plugins \
    GX_ANALYTICS_ENABLED=false \
    PANTAU_HOME=/opt/airflow
