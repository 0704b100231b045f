# Two commands for a fresh clone:
#   make run    install, build the warehouse on the demo data, materialize the
#               metrics, export the metric tree, print the scorecard
#   make test   install, lint the SQL, and run every test (dbt data and unit
#               tests inside pytest's warehouse build, pytest for the Python)

PYTHON_BOOTSTRAP ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
DBT := $(BIN)/dbt
CLI := $(PY) scripts/live-metrics

export DBT_PROFILES_DIR := $(CURDIR)
export LIVE_DUCKDB_PATH ?= $(CURDIR)/warehouse/live.duckdb
export DBT_SEND_ANONYMOUS_USAGE_STATS := False

.PHONY: run test install build docs lint pytest browser metrics demo-data clean help

help:
	@echo "make run    build the warehouse on the demo data, materialize metrics, export the metric tree"
	@echo "make test   lint the SQL and run every test"
	@echo "make docs   generate and serve the dbt docs site (http://localhost:8080)"
	@echo "make demo-data  regenerate seeds/demo with the generator"

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON_BOOTSTRAP) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

install: $(VENV)/.installed

build: install
	@mkdir -p $(dir $(LIVE_DUCKDB_PATH))
	$(DBT) build --fail-fast

metrics: install
	$(CLI) materialize
	$(CLI) export --out output/metric_tree
	$(CLI) scorecard

run: build metrics
	@echo "warehouse: $(LIVE_DUCKDB_PATH)"

lint: install
	$(BIN)/ruff check scripts tests
	$(BIN)/ruff format --check scripts tests
	LIVE_DUCKDB_PATH=$(CURDIR)/target/lint.duckdb $(BIN)/sqlfluff lint models tests --processes 2

# The HTML page's tests drive a real headless Chromium (Debian's package); LIVE_SKIP_BROWSER=1 skips them.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "Chromium missing: run 'sudo apt-get install -y chromium' (or set LIVE_SKIP_BROWSER=1 to skip the browser tests)"; fi

pytest: install browser
	$(PY) -m pytest

test: lint pytest

docs: install
	$(DBT) docs generate
	$(DBT) docs serve --port 8080

demo-data: install
	$(CLI) generate --out seeds/demo --days 14 --creators 40 --viewers 1500 --seed 7 --start 2026-11-09 --format csv

clean:
	rm -rf target logs output warehouse/*.duckdb
