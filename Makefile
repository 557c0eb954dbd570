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
test: $(VENV)/.mlflow build-dev lint test-rust test-python ## everything: lints, Rust tests, pytest (incl. parity)

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

.PHONY: clean
clean: ## remove build outputs and the venv
	rm -rf target $(VENV) python/mlrs/*.so
