# Portail Famille — the two commands of a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Two workers (pytest-xdist): the suite takes half the time on the 2-CPU machines it runs on;
# `make test PYTEST_ARGS=` runs it in one process.
PYTEST_ARGS ?= -n 2

.PHONY: demo test test-postgres lint format screenshots clean messages

$(VENV)/.installed: requirements.lock requirements.in requirements-dev.in
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -r requirements.in -r requirements-dev.in
	touch $@

venv: $(VENV)/.installed

## make messages: compile the translations (.po -> .mo) in pure Python, no GNU gettext needed.
messages: $(VENV)/.installed
	$(PY) scripts/compilemessages.py

## make demo: install, write .env (the demo's settings, read by manage.py), migrate, load the demo
## data (idempotent), print the logins, then serve on PORT with the worker running; Ctrl-C stops both.
demo: messages
	$(PY) scripts/demo.py --port $(PORT)

## make test: install (Chromium from Debian if missing), then the whole suite on SQLite.
test: messages
	scripts/ensure-chromium.sh
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) manage.py makemigrations --check --dry-run --settings=portail.settings_test
	$(PY) -m pytest $(PYTEST_ARGS)

## make test-postgres: the same suite on a throwaway PostgreSQL cluster.
test-postgres: messages
	scripts/ensure-chromium.sh
	scripts/with-postgres.sh $(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.installed
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

screenshots: messages
	scripts/ensure-chromium.sh
	$(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) staticfiles screenshots db.sqlite3 db.sqlite3-* .env
