# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test bench lint

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_load
	$(PY) manage.py appointments_demo
	$(PY) manage.py congestion_demo
	$(PY) manage.py demo_urls --host $(HOST) --port $(PORT)
	# The scheduler (jobs/schedule.py) beside the server; stopped with it (Ctrl-C, or make killed).
	$(PY) manage.py jobs_run & jobs=$$!; \
	  trap 'kill -TERM $$jobs 2>/dev/null; wait $$jobs' EXIT INT TERM; \
	  $(PY) -m uvicorn --host $(HOST) --port $(PORT) --lifespan off config.asgi:application

test: install
	$(PY) -m pytest

bench: install
	$(PY) -m bench all

lint: install
	$(VENV)/bin/ruff check .
