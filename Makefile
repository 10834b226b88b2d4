# Seatwise: `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_WORKERS ?= 2

.PHONY: install chromium demo test lint typecheck unit bench screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Browser assets (htmx, axe-core) pinned in package-lock.json; served locally, never a CDN.
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund; \
	else echo "npm not found: pages work without htmx; browser tests need axe-core"; fi

chromium: ## Debian's Chromium for the browser tests (Playwright drives /usr/bin/chromium)
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  ($$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium) \
	  || echo "could not install chromium: browser tests will be skipped (and fail under CI=true)"; }

install: $(STAMP) node_modules/.package-lock.json chromium ## Create .venv, install Seatwise, its dev tools, browser assets and Chromium

demo: $(STAMP) node_modules/.package-lock.json ## Sandbox company, real connectors, analytics, UI on http://127.0.0.1:8000
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

screenshots: install ## PNGs of every page under docs/screenshots/ (headless Chromium)
	$(BIN)/python -m tests.ui.take_screenshots

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache .ruff_cache
