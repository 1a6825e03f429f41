# Two commands do everything on a fresh machine: `make run` and `make test`. Each installs only what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .make
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help run test lint types imports pytest check-deploy services system-deps assets db migrate demo clean backup restore \
	bench soak seed-scale

help:
	@echo "make run   - install what is missing, migrate, load demo data, start web, worker and beat"
	@echo "make test  - install what is missing, then lint, types, import contracts and the whole test suite"
	@echo "make backup / make restore - the database and stored files to var/backups/ and back (checked)"
	@echo "make bench - (by hand) build the scale data if missing and run the benchmarks into bench/RESULTS.md"
	@echo "make soak  - (by hand) fifty people through the pathway for ten minutes; the result into bench/RESULTS.md"

run: system-deps services $(STAMPS)/python $(STAMPS)/assets db
	DJANGO_SETTINGS_MODULE=evolve.settings.local bin/run

test: system-deps services $(STAMPS)/python $(STAMPS)/assets lint types imports pytest

lint: $(STAMPS)/python
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: $(STAMPS)/python
	$(VENV)/bin/mypy

imports: $(STAMPS)/python
	$(VENV)/bin/lint-imports

pytest: $(STAMPS)/python $(STAMPS)/assets
	$(VENV)/bin/pytest

# The database and the stored files into var/backups/ (BACKUP_DIR), and back: `make restore` takes the newest, or
# BACKUP=var/backups/evolve-... ; it checks every table and file against the backup's manifest before switching.
backup: services $(STAMPS)/python
	$(PY) manage.py backup

restore: services $(STAMPS)/python
	$(PY) manage.py restore $(BACKUP)

# By hand, never from `make test`: the benchmarks need the ten-year scale database (bench/README.md).
bench: system-deps services $(STAMPS)/python $(STAMPS)/assets
	@command -v wrk >/dev/null || bin/install-system-deps wrk
	$(PY) bench/run.py $(BENCH_ARGS)

# By hand: fifty people through the referral pathway for ten minutes on a fresh database (bench/soak.py).
soak: system-deps services $(STAMPS)/python $(STAMPS)/assets
	$(PY) bench/soak.py $(SOAK_ARGS)

seed-scale: services $(STAMPS)/python
	$(PY) bench/scale_db.py $(SCALE_ARGS)

system-deps:
	@bin/install-system-deps

services:
	@bin/start-services

db: $(STAMPS)/python
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='evolve'" | grep -q 1 \
		|| createdb -h 127.0.0.1 -U postgres evolve

$(STAMPS)/python: pyproject.toml
	@mkdir -p $(STAMPS)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

$(STAMPS)/node: package.json package-lock.json
	@mkdir -p $(STAMPS)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(STAMPS)/assets: $(STAMPS)/node $(wildcard frontend/*.mjs frontend/scss/*.scss)
	node frontend/build.mjs
	@touch $@

assets: $(STAMPS)/assets

clean:
	rm -rf $(STAMPS) static/css static/vendor var
