# Two commands on a fresh machine: `make run` and `make test`.
# Both create .venv, install the project and use the embedded PostgreSQL under
# .data/ unless DATABASE_URL is set.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000

.PHONY: run test install lint format check-rls clean-data bench bench-scale bench-batch

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required, found " + sys.version' 
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

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

check-rls: $(STAMP)
	$(PY) manage.py check_rls

bench: $(STAMP)
	$(PY) bench/run.py

# List queries at 10k, 100k and 1M rows, RLS on vs off (database "bench"; ~10 min).
bench-scale: $(STAMP)
	$(PY) bench/scale.py $(SCALE_ARGS)

# Accepting 100-proposal batches, p50/p95 (database "bench").
bench-batch: $(STAMP)
	$(PY) bench/batch_accept.py $(BATCH_ARGS)

clean-data:
	rm -rf .data
