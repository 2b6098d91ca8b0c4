# The README's two commands: `make demo` and `make test`. Both set everything up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PORT ?= 8501

export UV_PYTHON := $(PYTHON)
# Installed packages are compiled to bytecode once, at install: where PYTHONDONTWRITEBYTECODE is
# set (as on this project's machines) Python otherwise compiles every module it imports in every
# process, about 7 s of each `reperes run` and of each server or CLI a test starts.
export UV_COMPILE_BYTECODE := 1
export GX_ANALYTICS_ENABLED := false
export DAGSTER_DISABLE_TELEMETRY := true

.PHONY: setup demo test lint format browser java dagster clean bench

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked
	touch $@

setup: $(VENV)/.synced

## Simulate a demo département, run the pipeline through Dagster, serve the dashboard.
demo: setup
	$(VENV)/bin/reperes demo --port $(PORT)

## The Dagster UI on the demo's runs (after `make demo`).
dagster: setup
	$(VENV)/bin/reperes ui

## Debian's Chromium for the browser tests (the tests drive it through Playwright).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests…"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

## Debian's JDK 17 runtime for the Spark engine's test (PySpark starts a JVM; docs/spark.md).
java:
	@command -v java >/dev/null 2>&1 || [ -x "$$JAVA_HOME/bin/java" ] || { \
		echo "Installing Debian's openjdk-17-jre-headless for the Spark engine…"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/sqlfluff lint models

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/sqlfluff fix models

## Lint, then the whole suite, browser tests included.
test: setup browser java lint
	REPERES_REQUIRE_BROWSER=1 $(VENV)/bin/pytest -n 2 --dist loadscope --durations=25

clean:
	rm -rf $(VENV) $(TOOLS) var

## The benchmark (issue 8, docs/scale.md): about BENCH_EVENTS events (default 1 million) through
## Dagster, a daily run, the dashboards and a pandas peer; appended to benchmarks/results.json,
## and README.md's table rewritten from it.
BENCH_EVENTS ?= 1000000
bench: setup
	$(VENV)/bin/reperes bench --events $(BENCH_EVENTS) --readme

## The locked environment, synced only when it differs from uv.lock. `setup` syncs whenever
## pyproject.toml or uv.lock is newer than its stamp, which an edit, a checkout or a `uv lock` that
## changes nothing also causes; a sync then rewrites .venv under any server or test running from it.
## `uv sync --check` compares the packages themselves.
.PHONY: venv-in-sync
venv-in-sync: | $(UV)
	@$(UV) sync --locked --check --quiet 2>/dev/null || $(UV) sync --locked

## The dashboard benchmark: a synthetic release of 150 schools × 3 school years; p50/p95 of each
## page's queries and interactions (server), and of the first page in headless Chromium.
.PHONY: bench-dashboard
bench-dashboard: venv-in-sync browser
	$(VENV)/bin/python -m dashboards.benchmark --browser

## The README's screenshots (docs/screenshots/), of each page on the demo data: runs `reperes demo`
## (without serving it) when DEMO_DIR holds no release yet, then signs in with accounts of its own.
DEMO_DIR ?= var/demo
.PHONY: screenshots
screenshots: venv-in-sync browser
	test -f $(DEMO_DIR)/data/published.duckdb || $(VENV)/bin/reperes demo --dir $(DEMO_DIR) --no-dashboard
	$(VENV)/bin/python -m dashboards.screenshots --data-dir $(DEMO_DIR)/data --out docs/screenshots
