# The README's commands. Each sets up what it needs first and is idempotent:
# a second run reinstalls nothing and gives the same warehouse.
SHELL := /bin/bash
PYTHON ?= python3.11
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
CSW_DATA_DIR ?= $(CURDIR)/data
export CSW_DATA_DIR
export DAGSTER_HOME ?= $(CSW_DATA_DIR)/dagster
export GX_ANALYTICS_ENABLED := false
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export UV_PYTHON := $(PYTHON)
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/seeds dbt_project/tests -type f 2>/dev/null) dbt_project/dbt_project.yml

.PHONY: setup browser run test lint ui bench clean

setup: $(VENV)/.synced $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==0.13.9

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --compile-bytecode
	touch $@

# Parsed for the data folder's working database, so that a refresh's dbt starts from a partial parse.
$(MANIFEST): $(VENV)/.synced $(DBT_SOURCES)
	cd dbt_project && CSW_WORK_DB=$(CSW_DATA_DIR)/work/children_services.duckdb \
	  ../$(VENV)/bin/dbt parse --quiet --profiles-dir . && touch target/manifest.json

$(DAGSTER_HOME)/dagster.yaml: config/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp config/dagster.yaml $@

run: setup
	$(PY) -m pipelines.cli run $(if $(FULL),--full)

# The UI test drives Debian's Chromium; installed here when missing and run as root (no browser downloads).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium: the browser test will be skipped"; \
	  else echo "chromium is not installed: the browser test will be skipped"; fi; }

test: setup browser
	$(PY) -m pytest

# ruff (lint rules and formatting, pyproject.toml [tool.ruff]) over the Python, sqlfluff (.sqlfluff: duckdb, dbt
# templater) over the dbt models and tests; all three run, and it fails if any found something. The dbt templater
# compiles the project against a throwaway DuckDB file, never the data folder's working warehouse.
# Fix: `.venv/bin/ruff format .`, `.venv/bin/ruff check --fix .`, then by hand what is left (README "Lint").
lint: $(VENV)/.synced
	@status=0; \
	  echo "ruff check"; $(VENV)/bin/ruff check . || status=1; \
	  echo "ruff format --check"; $(VENV)/bin/ruff format --check --output-format concise . || status=1; \
	  echo "sqlfluff lint"; tmp=$$(mktemp -d); \
	  CSW_WORK_DB=$$tmp/lint.duckdb $(VENV)/bin/sqlfluff lint dbt_project/models dbt_project/tests || status=1; \
	  rm -rf "$$tmp"; exit $$status

# The webserver and the daemon (schedules, sensor, run queue) on the instance in $(DAGSTER_HOME): pipelines/ui.py.
UI_PORT ?= 3000
ui: setup
	$(PY) -m pipelines.ui --host 127.0.0.1 --port $(UI_PORT)

# The national-scale benchmark (docs/performance.md): generates a scaled landing folder under
# $(CSW_DATA_DIR)/bench, times the refreshes against a plain-DuckDB baseline, prints the `bench:` line.
# SCALE=0.25 for a quarter of the default volume.
bench: setup
	$(PY) -m pipelines.bench $(if $(SCALE),--scale $(SCALE))

clean:
	rm -rf $(VENV) $(TOOLS) dbt_project/target dbt_project/logs data
