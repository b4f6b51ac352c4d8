# govflow: `make run` starts a demo server, `make test` runs what CI runs (on SQLite unless DATABASE_URL is set).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Two stamps: the runtime (requirements.txt: make run, checks, translations) and, on top of it, the
# development and test tooling (requirements-dev.txt: make test, lint, e2e, test-dates).
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.dev-installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=

# DATABASE_URL, CELERY_BROKER_URL and the other settings come from the environment unchanged.

.PHONY: help venv venv-dev run test test-dates e2e e2e-deps check migrations-check messages lint bench bench-quick clean distclean

help:
	@echo "make run    - set up .venv (runtime requirements only), migrate, load demo data, serve http://$(HOST):$(PORT)/ (DEBUG=1)"
	@echo "make test   - set up .venv with the test tooling (requirements-dev.txt), Django checks, migrations check, pytest -n $(PYTEST_WORKERS), then make e2e (E2E=0 skips it)"
	@echo "make test-dates - the unit and integration suite again at three moments: a Saturday, a public holiday, a make-up working day"
	@echo "make e2e    - browser tests (Playwright + Debian's Chromium; installs chromium and axe-core first)"
	@echo "make lint   - ruff check, and lint-imports (the packages' layers)"
	@echo "make bench  - the performance benchmark on PostgreSQL (BENCHMARKS.md); make bench-quick: under 2 minutes"
	@echo "make clean  - remove caches and compiled translations (distclean also removes .venv)"

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file is newer than its stamp. The dev stamp follows the runtime
# one, so a change of requirements.txt reinstalls both where the tooling was installed.
$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -r requirements.txt
	touch $@

$(DEV_STAMP): requirements-dev.txt $(STAMP)
	$(PY) -m pip install --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(STAMP)
venv-dev: $(DEV_STAMP)

# Compile translations when there are any; without .po files there is nothing to do.
messages: $(STAMP)
	@if [ -n "$$(find . -path ./$(VENV) -prune -o -path ./node_modules -prune -o -name '*.po' -print -quit)" ]; then \
	  if command -v msgfmt >/dev/null; then \
	    $(PY) manage.py compilemessages --ignore=$(VENV) --ignore=node_modules; \
	  else \
	    echo "warning: msgfmt (GNU gettext) not found: translations not compiled" >&2; \
	  fi; \
	else \
	  echo "no .po files: skipping compilemessages"; \
	fi

run: export DEBUG := 1
run: $(STAMP) messages
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

# The development settings need no SECRET_KEY; tests/test_settings.py checks the production ones.
messages check migrations-check test test-dates: export DEBUG ?= 1

check: $(STAMP)
	$(PY) manage.py check

migrations-check: $(STAMP)
	$(PY) manage.py makemigrations --check --dry-run

# The unit and integration suite, then the browser tests (E2E=0 leaves them out, e.g. for a second
# database pass in CI that already ran them once). ROTATE_DATES=<n> runs each test module at one of
# the TEST_DATES moments instead of the real clock, chosen by its path and the offset n
# (GOVFLOW_TEST_MOMENTS, tests/conftest.py): CI's two passes use offsets 0 and 1, so every module
# runs at two of the three moments without running the whole suite three more times.
E2E ?= 1
ROTATE_DATES ?=

test: $(DEV_STAMP) messages check migrations-check
	$(if $(ROTATE_DATES),GOVFLOW_TEST_MOMENTS="$(TEST_DATES)" GOVFLOW_TEST_MOMENTS_OFFSET=$(ROTATE_DATES) )$(VENV)/bin/pytest -n $(PYTEST_WORKERS) -m "not e2e" $(PYTEST_ARGS)
	@if [ "$(E2E)" != "0" ]; then $(MAKE) --no-print-directory e2e; else echo "E2E=0: browser tests skipped"; fi

# The unit and integration suite again "at" other moments: GOVFLOW_TEST_NOW starts the clock of every
# test process there (time-machine, ticking; tests/conftest.py), so a test that assumes today is a
# working day fails here. On SQLite unless DATABASE_URL is set. The moments, in Shanghai time:
#   Saturday 2 January 2027, 00:30 (in UTC still Friday 1 January, New Year's Day, and 2026);
#   Thursday 1 October 2026, 07:30, National Day (in UTC still 30 September, a working day);
#   Saturday 10 October 2026, 23:30, a make-up working day (调休上班) half an hour before midnight.
# Browser tests and real Celery worker tests are skipped under it: their other processes keep the real clock.
TEST_DATES ?= 2027-01-02T00:30:00+08:00 2026-10-01T07:30:00+08:00 2026-10-10T23:30:00+08:00

test-dates: $(DEV_STAMP) messages
	@failed=""; \
	for now in $(TEST_DATES); do \
	  echo "--- GOVFLOW_TEST_NOW=$$now"; \
	  GOVFLOW_TEST_NOW=$$now $(VENV)/bin/pytest -n $(PYTEST_WORKERS) -m "not e2e" -q $(PYTEST_ARGS) || failed="$$failed $$now"; \
	done; \
	if [ -n "$$failed" ]; then echo "the suite failed at:$$failed" >&2; exit 1; fi

# Debian's Chromium (Playwright never downloads a browser here), a small Chinese font so that the
# screenshots show the Chinese pages, and axe-core from npm (pinned in package-lock.json).
CHROMIUM ?= /usr/bin/chromium
E2E_APT_PACKAGES := chromium chromium-driver fonts-wqy-microhei

e2e-deps:
	@if [ ! -x "$(CHROMIUM)" ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $(E2E_APT_PACKAGES); \
	  else \
	    echo "error: the browser tests need Debian's Chromium ($(CHROMIUM)) and a Chinese font. As root:" >&2; \
	    echo "    sudo apt-get update && sudo apt-get install -y $(E2E_APT_PACKAGES)" >&2; \
	    echo "then run make e2e again (or make test E2E=0 to leave the browser tests out)." >&2; \
	    exit 1; \
	  fi; \
	fi
	@if ! command -v npm >/dev/null; then \
	  echo "error: npm is missing (it installs axe-core for the accessibility audit): apt-get install -y npm" >&2; \
	  exit 1; \
	fi
	@if [ ! -f node_modules/axe-core/axe.min.js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	  npm ci --no-audit --no-fund; \
	fi

e2e: export DEBUG ?= 1
e2e: $(DEV_STAMP) messages e2e-deps
	$(VENV)/bin/pytest tests/e2e -p no:xdist -m e2e $(PYTEST_ARGS)

# The benchmark (not part of make test): PostgreSQL only. It creates, migrates and drops its own
# database, <name>_bench, next to the one DATABASE_URL names (default: a local "govflow").
BENCH_STAMP := $(VENV)/.bench-installed
BENCH_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/govflow)
BENCH_ARGS ?=

$(BENCH_STAMP): requirements-bench.txt $(STAMP)
	$(PY) -m pip install --disable-pip-version-check -r requirements-bench.txt
	touch $@

bench: export DEBUG ?= 1
bench: $(BENCH_STAMP) messages
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench --json bench.json --plot bench-history.png $(BENCH_ARGS)

bench-quick: export DEBUG ?= 1
bench-quick: $(BENCH_STAMP)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench --quick --json bench-quick.json $(BENCH_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports  # the layers in pyproject.toml [tool.importlinter]; README "Architecture"

clean:
	find . -path ./$(VENV) -prune -o -type d \( -name __pycache__ -o -name .pytest_cache -o -name .ruff_cache \) -print0 \
	  | xargs -0 rm -rf
	find . -path ./$(VENV) -prune -o -name '*.mo' -print0 | xargs -0 rm -f
	rm -rf staticfiles test-artifacts bench.json bench-quick.json bench-history.png bench-stats.png

distclean: clean
	rm -rf $(VENV)
