# Two commands on a fresh machine: `make run` and `make test`.
# Both create .venv, install the project and use the embedded PostgreSQL under
# .data/ unless DATABASE_URL is set.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000

.PHONY: run test test-citus install lock lint format check-rls clean-data bench bench-pages bench-scale bench-batch screenshots

# Every install resolves the same tree: requirements.lock pins every package with
# its hashes (pip-tools, from pyproject.toml's ranges); the project itself is then
# installed on top without dependencies. `make lock` refreshes the lock.
$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required, found " + sys.version' 
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

lock: $(STAMP)
	$(VENV)/bin/pip-compile --quiet --upgrade --extra dev --generate-hashes --allow-unsafe \
	  --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "  Serving http://127.0.0.1:$(PORT)/   (Ctrl-C stops the server and the embedded database)"
	@echo "  Demo logins: alice@acme.test, bob@acme.test, carol@globex.test, dave@globex.test"
	@echo "  Password:    demo-password"
	@echo ""
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The main screens at 1280 and 375 px, light mode, into docs/img/ (tools/screenshots.py):
# start `make run` in another terminal first; BASE_URL points at it, SHOT_ARGS adds
# options (e.g. SHOT_ARGS="--dark --out /tmp/shots" to look at the dark mode).
BASE_URL ?= http://127.0.0.1:$(PORT)
screenshots: $(STAMP)
	$(PY) -m tools.screenshots --base-url $(BASE_URL) $(SHOT_ARGS)

check-rls: $(STAMP)
	$(PY) manage.py check_rls

# The HTTP load run (bench/README.md): generated data in the embedded database
# `bench`, gunicorn with production settings, wrk (installed from Debian when
# missing). BENCH_ARGS passes options, e.g. BENCH_ARGS="--tenants 100".
bench: $(STAMP)
	@if ! command -v wrk >/dev/null; then \
	  echo "installing wrk"; SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO="sudo"; \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	fi
	$(PY) bench/load.py $(BENCH_ARGS)

# Page timings through Django's test client on the demo data (no server).
bench-pages: $(STAMP)
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py seed_demo
	$(PY) bench/run.py

# List queries at 10k, 100k and 1M rows, RLS on vs off (database "bench"; 1.5-4 min here).
# SCALE_ARGS="--citus --sizes 1000000": the same on the local Citus cluster, shards per statement.
bench-scale: $(STAMP)
	$(PY) bench/scale.py $(SCALE_ARGS)

# Accepting 100-proposal batches, p50/p95 (database "bench").
bench-batch: $(STAMP)
	$(PY) bench/batch_accept.py $(BATCH_ARGS)

clean-data:
	rm -rf .data

# The whole suite on a local Citus cluster (tools/citus.py): Citus 14 built into
# the embedded PostgreSQL 18 when missing, a coordinator and two workers under
# .data/citus, the serving role against the coordinator.
test-citus: $(STAMP)
	$(PY) -m tools.citus test $(PYTEST_ARGS)
