# The README's two commands: `make demo` and `make test`. Both set everything up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PORT ?= 8501

export UV_PYTHON := $(PYTHON)
export GX_ANALYTICS_ENABLED := false
export DAGSTER_DISABLE_TELEMETRY := true

.PHONY: setup demo test lint format browser dagster clean bench

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

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/sqlfluff lint models

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/sqlfluff fix models

## Lint, then the whole suite, browser tests included.
test: setup browser lint
	REPERES_REQUIRE_BROWSER=1 $(VENV)/bin/pytest -n 2

clean:
	rm -rf $(VENV) $(TOOLS) var

## The benchmark: BENCH_EVENTS events (default 1 million), results appended to benchmarks/results.json.
BENCH_EVENTS ?= 1000000
bench: setup
	$(VENV)/bin/python -c "from pathlib import Path; from pipelines.benchmark import run_benchmark; run_benchmark($(BENCH_EVENTS), Path('var/bench'))"

## The dashboard benchmark: a synthetic release of 150 schools × 3 school years; p50/p95 of each
## page's queries and interactions (server), and of the first page in headless Chromium.
.PHONY: bench-dashboard
bench-dashboard: setup
	$(VENV)/bin/python -m dashboards.benchmark --browser
