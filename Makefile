# Seatwise: `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_WORKERS ?= 2

.PHONY: install demo test lint typecheck unit bench screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install Seatwise with its dev tools (quick when done)

demo: install ## Sandbox company, real connectors, analytics, UI on http://127.0.0.1:8000
	$(BIN)/seatwise demo

lint: install ## ruff (lint + format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

typecheck: install
	$(BIN)/mypy

unit: install ## The test suite only (SQLite and PostgreSQL)
	$(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider

test: lint unit ## Lint, type check, and the whole suite on SQLite and PostgreSQL

bench: install ## Speed and memory figures
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache .ruff_cache
