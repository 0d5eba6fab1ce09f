# Paraph — `make run` for a working portal, `make test` for the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test lint install clean bench

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall whenever the pinned dependencies change.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py ensure_schedules
	@if [ "$${DEBUG:-1}" != "0" ]; then $(PY) manage.py demo_setup; fi
	$(PY) manage.py serve --port $(PORT)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run

# Page timings need seeded data on the database DATABASE_URL points at:
#   DATABASE_URL=postgres://… .venv/bin/python manage.py seed_bench --envelopes 10000
bench: $(STAMP)
	$(PY) bench/seal.py
	$(PY) bench/pages.py
	$(PY) bench/webhooks.py
	$(PY) bench/intake
	$(PY) bench/sweeps
	$(PY) bench/scaleout

clean:
	rm -rf $(VENV) var/test.sqlite3 .pytest_cache .ruff_cache
