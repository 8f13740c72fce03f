# Pantau PBJ — the two commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PY := .venv/bin/python
PANTAU := $(PY) -m pantau.cli
export PYTHONPATH := $(CURDIR)/plugins
export GX_ANALYTICS_ENABLED := false

.PHONY: setup demo test scale-test airflow stop docs verify migrate lint

setup:
	@bash scripts/setup.sh

demo: setup ## extract → validate → load → metrics → circulars on the generated province
	@$(PANTAU) demo

test: setup ## the whole test suite against a real PostgreSQL
	@$(PY) -m pytest

scale-test: setup ## LocalExecutor vs CeleryExecutor (Redis 127.0.0.1:6379, two workers): same warehouse?
	@$(PY) -m pytest tests/test_scheduler_e2e.py tests/test_scale_celery.py -s

airflow: setup ## Airflow UI on http://127.0.0.1:8080 (login: see README)
	@$(PANTAU) airflow

stop: ## stop what `make demo` / `make airflow` started (embedded PostgreSQL, Airflow)
	@$(PANTAU) stop

migrate: setup
	@$(PANTAU) migrate

docs: setup ## regenerate docs/warehouse.md from the database catalog
	@$(PANTAU) docs

verify: setup ## make verify F=output/circulars/xxx.pdf
	@$(PANTAU) verify "$(F)"
