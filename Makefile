# One-line targets; `make test` and `make run` do their own set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
BENCH_STAMP := $(VENV)/.installed-bench
# Extra pytest arguments, e.g. make test PYTEST_ARGS="-k compose -x"
PYTEST_ARGS ?=
# Parallel pytest workers (pytest-xdist); 0 runs the suite in this one process.
PYTEST_WORKERS ?= 2
# Demo options, e.g. make demo DEMO_ARGS="--port 8001 --pause 5"
DEMO_ARGS ?=

.PHONY: install run test lint typecheck compose-check bench demo services chromium promtool wrk clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# What `make run` needs: dockwatch and its own dependencies only (no test or lint tools).
$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUN_STAMP)

# The benchmarks' extra: the DRF reference (Django, DRF, django-filter) the mirror is compared to.
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

services:
	bash scripts/services.sh

# Debian's Chromium for the browser test (does nothing when /usr/bin/chromium exists).
chromium:
	bash scripts/install-chromium.sh

# Prometheus's promtool for the alerting rules (does nothing when it is on PATH).
promtool:
	bash scripts/install-promtool.sh

# Debian's wrk for the benchmarks' load (does nothing when wrk is installed).
wrk:
	bash scripts/install-wrk.sh

run: $(RUN_STAMP)
	bash scripts/ensure-redis.sh
	$(BIN)/dockwatch run

test: install services chromium
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install promtool
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	promtool check rules docs/alerts.yml
	promtool test rules docs/alerts.test.yml

typecheck: install
	$(BIN)/mypy

compose-check: install
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

bench: install $(BENCH_STAMP) services wrk
	$(BIN)/python -m benchmarks

demo: install
	bash scripts/ensure-redis.sh
	$(BIN)/dockwatch demo $(DEMO_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
