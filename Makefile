# Tend: `make run` to use it, `make test` to check it. Both set themselves up.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint bench screenshots icons clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-app: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed-app
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

# Local use over plain HTTP: Secure cookies would not be sent back, so they are off
# here unless TEND_COOKIE_SECURE says otherwise. Production keeps the secure default.
run: $(VENV)/.installed-app
	TEND_COOKIE_SECURE=$${TEND_COOKIE_SECURE:-0} $(BIN)/flask --app wsgi db upgrade
	export TEND_COOKIE_SECURE=$${TEND_COOKIE_SECURE:-0}; \
	$(BIN)/huey_consumer worker.huey --workers 4 --worker-type thread --max-delay 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 1 --threads 8 --access-logfile - wsgi:app

test: $(VENV)/.installed-test
	scripts/ensure-tool.sh chromium
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

# Every benchmark runs even when an earlier one misses its budget; any miss fails.
bench: $(VENV)/.installed-test
	scripts/ensure-tool.sh wrk
	scripts/ensure-tool.sh chromium
	status=0; \
	$(BIN)/python bench/http_checkin.py || status=1; \
	$(BIN)/python bench/page_weight.py || status=1; \
	$(BIN)/python bench/offline_sync.py || status=1; \
	$(BIN)/python bench/network.py || status=1; \
	$(BIN)/python bench/push_fanout.py || status=1; \
	exit $$status

screenshots: $(VENV)/.installed-test
	$(BIN)/python scripts/screenshots.py docs light
	$(BIN)/python scripts/screenshots.py docs dark

icons: $(VENV)/.installed-test
	$(BIN)/python scripts/icons.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
