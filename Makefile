# Two commands set everything up on a fresh machine: `make run` and `make test`.
# The first Python >= 3.11 on PATH: python3 when it qualifies, else the newest python3.x.
PYTHON ?= $(firstword $(foreach p,python3 python3.13 python3.12 python3.11,$(shell $(p) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && echo $(p))))
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# Settings come from the environment; a local .env (see .env.example) is read too.
-include .env
export

.PHONY: run serve bench bench-scale test test-fast lint format install install-dev clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3 --version)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: start the dashboard on http://127.0.0.1:8000 (demo data unless PE365_API_URL is set)
run: export DJANGO_DEBUG ?= 1
run: install
	$(BIN)/python manage.py migrate --noinput -v0
	@if [ -z "$(PE365_API_URL)" ]; then \
		$(BIN)/python manage.py demo_user --url http://$(HOST):$(PORT)/; \
	else \
		echo "Using $(PE365_API_URL). Create a login with: $(BIN)/python manage.py createsuperuser"; \
	fi
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# axe-core for the accessibility tests, pinned in package-lock.json (reinstalled when it changes).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## serve: production serving: migrate, collectstatic, then gunicorn (gunicorn.conf.py) on $(HOST):$(PORT)
serve: install
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/gunicorn

## bench: the benchmark of bench/run.py (demo API with 50 ms latency, gunicorn, ~2 minutes)
bench: install-dev
	$(BIN)/python bench/run.py

## bench-scale: bench/scale.py, lists that need every plan at 137 to 20,000 plans (~5 minutes)
bench-scale: install-dev
	$(BIN)/python bench/scale.py

## test: lint and types, then the whole suite (service, views, end-to-end, browser)
test: install-dev node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

## test-fast: lint, types and every test that needs no browser, real server process or service
test-fast: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	HYPOTHESIS_EXAMPLES=50 $(BIN)/pytest -n auto --dist worksteal --ignore=tests/browser -m "not e2e and not browser and not services"

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .hypothesis node_modules test-results
