# Paraph — `make run` for a working portal, `make test` for the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000

# Browser tests drive Debian's Chromium (Playwright's own browser download is not used).
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
IS_ROOT ?= $(shell [ "$$(id -u)" = 0 ] && echo 1)
APT_GET ?= apt-get

.PHONY: run test lint install clean bench chromium

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

# The whole suite, browser tests included: a newcomer's run tests what CI tests.
test: $(STAMP) chromium
	$(PY) -m pytest $(PYTEST_ARGS)

# Root installs Chromium from the distribution's packages; anyone else is told the one command.
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$(IS_ROOT)" != 1 ]; then \
	    echo "The browser tests need Chromium at $(CHROMIUM). Install it, then run make test again:" >&2; \
	    echo "  sudo apt-get install -y chromium" >&2; \
	    exit 1; \
	  fi; \
	  echo "--- installing chromium for the browser tests"; \
	  $(APT_GET) update -qq && DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq chromium; \
	  if [ ! -x "$(CHROMIUM)" ]; then echo "Chromium is still missing at $(CHROMIUM)." >&2; exit 1; fi; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) manage.py makemigrations --check --dry-run

# Page timings need seeded data on the database DATABASE_URL points at:
#   DATABASE_URL=postgres://… .venv/bin/python manage.py seed_bench --envelopes 10000
bench: $(STAMP)
	$(PY) bench/seal.py
	$(PY) bench/pages.py
	$(PY) bench/webhooks.py
	$(PY) bench/uploads.py
	$(PY) bench/intake
	$(PY) bench/sweeps
	$(PY) bench/scaleout

clean:
	rm -rf $(VENV) var/test.sqlite3 .pytest_cache .ruff_cache
