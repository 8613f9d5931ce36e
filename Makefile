# Fieldgraph task runner. `make run` serves the API with demo data; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
PG_USER ?= postgres
PSQL := psql -h $(PG_HOST) -p $(PG_PORT) -U $(PG_USER) -d postgres -tAq
REDIS_PORT ?= 6379
export DATABASE_URL ?= postgresql+asyncpg://$(PG_USER)@$(PG_HOST):$(PG_PORT)/fieldgraph
export TEST_DATABASE_URL ?= postgresql+asyncpg://$(PG_USER)@$(PG_HOST):$(PG_PORT)/fieldgraph_test
# Where `make run` serves: `make run PORT=8080` (fieldgraph serve reads the same variables).
export HOST ?= 127.0.0.1
export PORT ?= 8000

.PHONY: help setup services postgres redis postgis db seed run test lint typecheck format schema bench clean demo-reset demo-year console

help:
	@echo "make run    serve http://$(HOST):$(PORT)/graphql with the demo city (PORT=... to move it)"
	@echo "make test   lint, type-check and run the tests against PostgreSQL/PostGIS and Redis"
	@echo "make console  build the dispatcher console served at /console (needs node 20 and npm)"
	@echo "make bench  run the benchmarks in bench/"
	@echo "make demo-year  re-seed the demo city with a year of past work for the dashboards"

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ required"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements/dev.txt pyproject.toml
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

setup: $(VENV)/.installed

postgres:
	@pg_isready -q -h $(PG_HOST) -p $(PG_PORT) || { \
	  echo "starting PostgreSQL"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | sort -V | tail -1) main start; \
	  for i in $$(seq 1 30); do pg_isready -q -h $(PG_HOST) -p $(PG_PORT) && break; sleep 1; done; }

redis:
	@redis-cli -h 127.0.0.1 -p $(REDIS_PORT) ping >/dev/null 2>&1 || { \
	  echo "starting Redis"; \
	  redis-server --daemonize yes --bind 127.0.0.1 --port $(REDIS_PORT) --save "" --appendonly no; \
	  for i in $$(seq 1 20); do redis-cli -p $(REDIS_PORT) ping >/dev/null 2>&1 && break; sleep 0.5; done; }

# PostGIS comes from Debian's package for the running server's major version.
postgis: postgres
	@if [ -z "$$($(PSQL) -c "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")" ]; then \
	  major=$$($(PSQL) -c "SHOW server_version_num" | cut -c1-2); \
	  echo "installing postgresql-$$major-postgis-3"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-$$major-postgis-3 >/dev/null; \
	fi

services: postgis redis

.PHONY: browser graphiql-assets
# Headless Chromium loads GraphiQL with the network blocked in the tests (Debian's package).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  echo "installing chromium"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

db: setup services
	$(BIN)/fieldgraph migrate

seed: db
	$(BIN)/fieldgraph seed --if-empty

run: seed
	@$(MAKE) --no-print-directory console || echo "the console did not build (see above); the API is served without it"
	@echo
	@echo "  GraphQL API:  http://$(HOST):$(PORT)/graphql   (GraphiQL in the browser)"
	@echo "  Console:      http://$(HOST):$(PORT)/console/  (log in as dispatcher@demo.fieldgraph.dev)"
	@echo "  A token:      $(BIN)/fieldgraph token --role DISPATCHER"
	@echo "  Demo logins:  $(BIN)/fieldgraph seed --if-empty prints them; password for all: fieldgraph"
	@echo
	$(BIN)/fieldgraph serve

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

schema: setup
	$(BIN)/fieldgraph export-schema

test: setup services browser console lint typecheck
	$(BIN)/fieldgraph export-schema --check
	$(BIN)/pytest

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Schema-driven fuzzing at length (make test runs a few dozen operations per role).
.PHONY: fuzz
FUZZ_EXAMPLES ?= 2000
fuzz: setup services
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_SEED=$${FUZZ_SEED:-$$RANDOM$$RANDOM} \
	  $(BIN)/pytest tests/core/test_fuzz.py -p no:cacheprovider

bench: db
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache console/node_modules console/dist console/src/gql

# The demo city stands on the day it was seeded; this seeds it anew as of now.
demo-reset: setup services
	$(PSQL) -c 'DROP DATABASE IF EXISTS "$(notdir $(DATABASE_URL))" WITH (FORCE)'
	$(BIN)/fieldgraph migrate
	$(BIN)/fieldgraph seed

# The same with a year of past work, so the KPI dashboards have twelve months to show (the
# seed then takes minutes rather than seconds).
demo-year: setup services
	$(PSQL) -c 'DROP DATABASE IF EXISTS "$(notdir $(DATABASE_URL))" WITH (FORCE)'
	$(BIN)/fieldgraph migrate
	$(BIN)/fieldgraph seed --history-days 365

# Re-vendor GraphiQL's libraries (the versions strawberry's page pins) into app/static/graphiql.
graphiql-assets: setup
	$(BIN)/python -m app.static.vendor_graphiql

# The console (console/, React + Vite): its operations are typed from schema/schema.graphql, so
# a schema change that breaks it fails the type check here. Without node it says so and skips:
# /console then answers that it is not built, and its browser tests are skipped.
NODE := $(shell command -v node 2>/dev/null)

console/node_modules/.package-lock.json: console/package-lock.json
	cd console && npm ci --no-audit --no-fund

ifeq ($(NODE),)
console:
	@echo "node not found: the console (/console) is not built; install node 20 and npm, then make console"
else
console: console/node_modules/.package-lock.json
	cd console && npx graphql-codegen --config codegen.ts && npx tsc --noEmit && npx vite build --logLevel warn
endif
