# Two commands for a fresh clone:
#   make run    install, build the warehouse on the demo data, materialize the
#               metrics, export the metric tree, print the scorecard
#   make test   install, lint the Python (ruff) and the SQL (sqlfluff), and run
#               every test (dbt data and unit tests inside pytest's warehouse
#               build, pytest for the Python)

PYTHON_BOOTSTRAP ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
DBT := $(BIN)/dbt
CLI := $(PY) scripts/live-metrics

export DBT_PROFILES_DIR := $(CURDIR)
export LIVE_DUCKDB_PATH ?= $(CURDIR)/warehouse/live.duckdb
export DBT_SEND_ANONYMOUS_USAGE_STATS := False

.PHONY: run test test-fast install build daily daily-build docs lint pytest browser oldclient java run-spark publish bench demo-data clean help

PORT ?= 8080

help:
	@echo "make run        install, build the warehouse on the demo data, materialize metrics, export the metric tree"
	@echo "make test       lint (ruff, sqlfluff) and run every test (dbt data and unit tests, pytest)"
	@echo "make install    create .venv and install the pinned requirements"
	@echo "make build      make run without publishing: a finished build in warehouse/.building/ (LIVE_RAW_DATA_PATH / LIVE_RAW_FORMAT pick the raw data)"
	@echo "make daily      after a new daily drop lands: build incrementally from the published warehouse, then metrics and publish"
	@echo "make daily-build  make daily without publishing"
	@echo "make publish    atomically replace the warehouse readers open with the finished build (of make build / daily-build)"
	@echo "make lint       ruff check + ruff format --check on the Python, sqlfluff on the SQL"
	@echo "make pytest     the pytest suite only"
	@echo "make test-fast  ruff and the tests that need no build (markers: not warehouse, spark, browser, slow), under a minute"
	@echo "make browser    install Chromium for the page tests (apt-get, as root)"
	@echo "make oldclient  a DuckDB 1.4 client in .venv-duckdb14 (the tests read the published file with it)"
	@echo "make java       check for Java 17+ (the spark target runs PySpark); installs it with apt-get as root"
	@echo "make run-spark  build the demo on Spark (local PySpark, warehouse/spark), materialize the metrics there, print the scorecard"
	@echo "make docs       dbt docs generate + serve on http://localhost:$(PORT) (PORT=... to change), with the metric tree page"
	@echo "make bench      benchmark at ~1 M and ~10 M events: generate, dbt build, materialize, export, a one-query baseline (table + output/bench.json; several minutes)"
	@echo "make demo-data  regenerate seeds/demo with the generator"
	@echo "make clean      remove target/, logs/, output/ and the warehouse files"

$(VENV)/.installed: requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON_BOOTSTRAP) -m venv $(VENV) || python3 -m venv $(VENV)
	@echo "installing the pinned requirements into $(VENV) (about a minute on a fresh clone)"
	$(PY) -m pip install --disable-pip-version-check -r requirements.txt
	@# the CLI itself, editable (pyproject.toml): .venv/bin/live-metrics; built with the pinned setuptools and wheel
	$(PY) -m pip install --disable-pip-version-check --no-deps --no-build-isolation -q -e .
	@touch $@

install: $(VENV)/.installed

# One run at a time, safe to kill and to run again (docs/operations.md; scripts/live_metrics/ops/pipeline.py):
# `live-metrics build` takes the run lock, builds into warehouse/.building/<name>, materializes the metrics,
# exports the tree beside it, records the run, writes the finished marker and renames the work file over
# $(LIVE_DUCKDB_PATH). Readers never wait for a lock or see a half-built, failed or killed build.
TREE_DIR := $(basename $(LIVE_DUCKDB_PATH))_metric_tree

run: install
	$(CLI) build
	$(CLI) scorecard
	@echo "warehouse: $(LIVE_DUCKDB_PATH)"

# After a new daily drop: the work file starts as a copy of the published warehouse and dbt builds it
# incrementally (every data test; the unit tests test the code and run in `make test`).
# Nothing new since the published build: nothing is built or published.
daily: install
	$(CLI) daily
	$(CLI) scorecard

build: install
	$(CLI) build --no-publish

daily-build: install
	$(CLI) daily --no-publish

publish: install
	$(CLI) publish

lint: install
	$(BIN)/ruff check scripts tests
	$(BIN)/ruff format --check scripts tests
	LIVE_DUCKDB_PATH=$(CURDIR)/target/lint.duckdb LIVE_DUCKDB_ACCESS_MODE=read_write $(BIN)/sqlfluff lint models tests --processes 2

# The HTML page's tests drive a real headless Chromium (Debian's package); LIVE_SKIP_BROWSER=1 skips them.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "Chromium missing: run 'sudo apt-get install -y chromium' (or set LIVE_SKIP_BROWSER=1 to skip the browser tests)"; fi

# An older DuckDB client (what BI tools bundle) in its own venv: the tests open the published
# warehouse with it during a rebuild. LIVE_SKIP_OLD_CLIENT=1 skips those tests.
OLD_CLIENT := .venv-duckdb14
$(OLD_CLIENT)/.installed: requirements-oldclient.txt
	@test -x $(OLD_CLIENT)/bin/python || $(PYTHON_BOOTSTRAP) -m venv $(OLD_CLIENT) || python3 -m venv $(OLD_CLIENT)
	$(OLD_CLIENT)/bin/python -m pip install --disable-pip-version-check -r requirements-oldclient.txt
	@touch $@

oldclient: $(OLD_CLIENT)/.installed

# The spark target runs PySpark in the dbt process, on Java 17+ (a JRE is enough).
# LIVE_SKIP_SPARK=1 skips the Spark tests.
java:
	@if java -version 2>&1 | grep -qE 'version "(1[7-9]|[2-9][0-9])'; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless; \
	else echo "Java 17+ missing: run 'sudo apt-get install -y openjdk-17-jre-headless' (or set LIVE_SKIP_SPARK=1 to skip the Spark tests)"; fi

# The same project on Spark (docs/spark.md): dbt's spark target (profiles.yml) builds the demo in
# $(LIVE_SPARK_HOME) (tables, Hive metastore); MetricFlow's Databricks SQL runs on the same Spark session.
export LIVE_SPARK_HOME ?= $(CURDIR)/warehouse/spark
SPARK_TARGET_PATH := target/spark

run-spark: install java
	TZ=UTC $(DBT) build --target spark --target-path $(SPARK_TARGET_PATH)
	TZ=UTC $(CLI) materialize --target spark
	TZ=UTC $(CLI) scorecard --target spark
	@echo "spark warehouse: $(LIVE_SPARK_HOME)"

pytest: install browser oldclient java
	$(PY) -m pytest

test: lint pytest

# The fast loop while changing code: the tests that need no build (no demo warehouse, no Spark, no browser,
# no build of their own), in well under a minute. `make test` still runs everything.
FAST := not warehouse and not spark and not browser and not slow
test-fast: install
	$(BIN)/ruff check scripts tests
	$(PY) -m pytest -q -m "$(FAST)" -p no:cacheprovider

# The docs site, with the metric tree page beside it (target/metric_tree/) so that the exposures'
# links (#stakeholder=...) open it; run `make run` first to export the page.
docs: install
	$(DBT) docs generate
	@if [ -f $(TREE_DIR)/metric_tree.html ]; then rm -rf target/metric_tree && cp -r $(TREE_DIR) target/metric_tree; \
	else echo "note: no $(TREE_DIR) yet (make run exports it beside the warehouse); the exposures' links will not open"; fi
	$(DBT) docs serve --port $(PORT)

# A benchmark, not timed tests (live-metrics bench --help): generated sets of ~1 M and ~10 M events,
# a full dbt build of each, materialize and export on the larger, a hand-written one-query baseline;
# prints a table and writes output/bench.json. Several minutes and most of the machine.
bench: install
	$(CLI) bench

demo-data: install
	$(CLI) generate --out seeds/demo --days 64 --creators 40 --viewers 480 --seed 7 --start 2026-09-28 --crash-spike 2026-11-29 --alert-outage 2026-11-29 --format csv

clean:
	rm -rf target logs output warehouse/*.duckdb warehouse/*.wal warehouse/*_metric_tree warehouse/.building warehouse/spark
