# Airflow image for docker-compose.yaml: Airflow 3 + Pantau PBJ's pinned dependencies.
# WeasyPrint's system libraries are installed here, not through _PIP_ADDITIONAL_REQUIREMENTS.
FROM apache/airflow:3.3.2-python3.11
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
USER airflow
COPY --chown=airflow:root requirements.txt constraints.txt /opt/pantau/
# The lock carries hashes: every transitive version is the one tested together.
RUN pip install --no-cache-dir --require-hashes -r /opt/pantau/constraints.txt
ENV PYTHONPATH=/opt/airflow/plugins \
    GX_ANALYTICS_ENABLED=false \
    PANTAU_HOME=/opt/airflow
