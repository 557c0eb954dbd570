# mlrs developer tasks. `make demo` and `make test` set up everything from a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
MLFLOW_VERSION := 3.18.0
# mlflow 3.18.0's pins (mlflow-skinny/mlflow-tracing 3.18.0) are missing from the registry; the
# full 3.18.0 wheel contains them, so dependencies come from 3.17.2 and 3.18.0 goes in on top.
MLFLOW_DEPS_VERSION := 3.17.2

.PHONY: help
help: ## show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.base: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -U pip
	$(PIP) install -r requirements-dev.txt
	touch $@

$(VENV)/.mlflow: $(VENV)/.base
	$(PIP) install mlflow==$(MLFLOW_DEPS_VERSION)
	$(PIP) uninstall -y mlflow mlflow-skinny mlflow-tracing
	$(PIP) install --no-deps mlflow==$(MLFLOW_VERSION)
	$(PY) -c "import mlflow; assert mlflow.__version__ == '$(MLFLOW_VERSION)', mlflow.__version__"
	touch $@

.PHONY: build-dev
build-dev: $(VENV)/.base ## build mlrs into the venv (debug Rust, optimised dependencies)
	$(VENV)/bin/maturin develop -q

.PHONY: build-release
build-release: $(VENV)/.base ## build mlrs into the venv with the release profile
	$(VENV)/bin/maturin develop -q --release

.PHONY: demo
demo: build-release ## train a small model, log it to ./mlflow.db and show what was logged
	$(PY) examples/demo.py

.PHONY: test
test: $(VENV)/.mlflow build-dev ui browser postgres lint test-rust test-python ## everything: lints, Rust tests, pytest (incl. parity)

.PHONY: ui
ui: ## build the web UI (npm ci, tsc, vite) into python/mlrs/ui_assets and run its unit tests
	cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build && npm test

.PHONY: browser
browser: ## Debian's chromium for the UI's browser tests (apt-get as root when it is missing)
	@if command -v chromium >/dev/null; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "no chromium and no apt-get as root here: the browser tests will skip"; fi

.PHONY: postgres
postgres: ## PostgreSQL 15 for the team-path test (apt-get as root when it is missing)
	@if [ -x /usr/lib/postgresql/15/bin/initdb ]; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15; \
	else echo "no PostgreSQL 15 and no apt-get as root here: the team-path test will skip"; fi

.PHONY: test-rust
test-rust: ## cargo tests of the engine
	cargo test -q

.PHONY: test-python
test-python: ## pytest, parity tests against mlflow included
	MLFLOW_DISABLE_TELEMETRY=true $(PY) -m pytest -q -p no:cacheprovider

.PHONY: test-fast
test-fast: build-dev ## the quick loop: pytest without parity and slow tests (~1-2 min)
	MLFLOW_DISABLE_TELEMETRY=true $(PY) -m pytest -q -p no:cacheprovider -m "not slow and not parity" --ignore=tests/parity

.PHONY: lint
lint: build-dev ## rustfmt, clippy (pedantic), ruff, mypy --strict, stubtest of mlrs._core
	cargo fmt --check
	@# The engine alone, without pyo3 (the `python` feature): it must build and lint clean.
	cargo clippy --all-targets -q -- -D warnings
	cargo clippy --all-targets -q --features python -- -D warnings
	$(VENV)/bin/ruff check -q python tests examples bench
	$(VENV)/bin/ruff format --check -q python tests examples bench
	$(PY) -m mypy
	@# The tests too (the parity scenarios and interop scripts, run under both libraries, not yet).
	MYPYPATH=tests $(PY) -m mypy tests --exclude 'tests/parity/'
	$(PY) -m mypy.stubtest mlrs._core

.PHONY: bench
bench: $(VENV)/.mlflow build-release ## benchmarks against mlflow 3.18 (~10 min); results in bench/results/
	@# Bytecode as a wheel install has it (pip compiles at install), so imports are not timed
	@# compiling mlrs's sources: PYTHONDONTWRITEBYTECODE would otherwise make every import do so.
	$(PY) -m compileall -q python/mlrs
	$(PY) bench/run.py --json bench/results/latest.json
	$(PY) bench/hot_paths.py
	$(MAKE) --no-print-directory bench-abi3

# ---- wheels and the sdist (the release workflow runs these targets; see .github/workflows) ----
DIST ?= dist
# On Linux, zig links against glibc 2.17 (manylinux2014, the oldest glibc Rust's std supports)
# without a container, and maturin's compatibility check fails the build if the wheel needs more.
ifeq ($(shell uname -s),Linux)
WHEEL_ARGS := --zig --compatibility manylinux2014
endif
# One abi3 wheel serves every CPython >= 3.10 (BENCHMARKS.md, "abi3 or a wheel per Python");
# `make wheel ABI3=0` builds a wheel for the venv's Python only.
ABI3 ?= 1
ifeq ($(ABI3),1)
WHEEL_ARGS += --features python,pyo3/abi3-py310
endif

.PHONY: bar
bar: $(VENV)/.mlflow build-dev ## MLflow's own tests against mlrs, sorted (not in `make test`; docs/bar.md)
	$(PY) bench/bar/run_bar.py --src $(or $(BAR_SRC),/tmp/mlflow-bar)

.PHONY: wheel
wheel: $(VENV)/.base ## release wheel for this platform into dist/ (manylinux on Linux)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/maturin build --release --out $(DIST) $(WHEEL_ARGS)

.PHONY: bench-abi3
bench-abi3: $(VENV)/.base ## abi3 against a per-version wheel: log_metric and history (~5 min)
	rm -rf bench/results/wheels
	$(MAKE) --no-print-directory wheel ABI3=0 DIST=bench/results/wheels/per-version
	$(MAKE) --no-print-directory wheel ABI3=1 DIST=bench/results/wheels/abi3
	$(PY) bench/abi3.py --per-version bench/results/wheels/per-version \
		--abi3 bench/results/wheels/abi3 --json bench/results/abi3.json

.PHONY: sdist
sdist: $(VENV)/.base ## source distribution into dist/
	$(VENV)/bin/maturin sdist --out $(DIST)

.PHONY: clean
clean: ## remove build outputs and the venv
	rm -rf target $(VENV) python/mlrs/*.so
