# One-line targets; `make test` and `make run` do their own set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
# Extra pytest arguments, e.g. make test PYTEST_ARGS="-k compose -x"
PYTEST_ARGS ?=
# Demo options, e.g. make demo DEMO_ARGS="--port 8001 --pause 5"
DEMO_ARGS ?=

.PHONY: install run test lint typecheck compose-check bench demo services chromium wrk clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The benchmarks' extra: the DRF reference (Django, DRF, django-filter) the mirror is compared to.
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

services:
	bash scripts/services.sh

# Debian's Chromium for the browser test (does nothing when /usr/bin/chromium exists).
chromium:
	bash scripts/install-chromium.sh

# Debian's wrk for the benchmarks' load (does nothing when wrk is installed).
wrk:
	bash scripts/install-wrk.sh

run: install
	bash scripts/ensure-redis.sh
	$(BIN)/dockwatch run

test: install services chromium
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

compose-check: install
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

bench: install $(BENCH_STAMP) services wrk
	$(BIN)/python -m benchmarks

demo: install
	bash scripts/ensure-redis.sh
	$(BIN)/python -m fake_upstream.demo $(DEMO_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
