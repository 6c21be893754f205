# Two commands set everything up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432

.PHONY: run test lint format bench chromium check-postgres clean lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Exact versions from the lock files; the project itself on top, editable, adding nothing.
$(STAMP): pyproject.toml requirements.lock requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# Pin every dependency (uv pip compile) after changing pyproject.toml; existing pins stay unless
# `make lock LOCK_FLAGS=--upgrade`. The image installs requirements.lock, development and
# CI requirements-dev.lock.
LOCK_FLAGS ?=
lock: | $(BIN)/python
	$(BIN)/pip install --quiet "uv>=0.5"
	$(BIN)/uv pip compile --quiet $(LOCK_FLAGS) --python-version 3.11 --custom-compile-command "make lock" \
	  --output-file requirements.lock pyproject.toml
	$(BIN)/uv pip compile --quiet $(LOCK_FLAGS) --python-version 3.11 --custom-compile-command "make lock" \
	  --extra dev --output-file requirements-dev.lock pyproject.toml

run: $(STAMP)
	$(BIN)/shiporskip run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check-postgres: $(STAMP)
	@$(BIN)/python -c "import asyncio; from tests.postgres import check_reachable; asyncio.run(check_reachable())" \
	  || { echo "make test: PostgreSQL must be running on $(PG_HOST):$(PG_PORT) (see README)."; exit 1; }

# Debian's chromium renders the digest email for the screenshot tests.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the email rendering tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Two workers (pytest-xdist): most tests wait on sockets and child processes, so the
# suite takes a third of the time it takes on one. TEST_WORKERS=0 runs it in-process.
TEST_WORKERS ?= 2
test: $(STAMP) chromium check-postgres lint
	$(BIN)/pytest -n $(TEST_WORKERS)

bench: $(STAMP) check-postgres
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) shiporskip.db* outbox preview
