# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run build test lint importcheck browser bench clean

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

build: install
	$(BIN)/kb build --if-changed

KB_WORKERS ?= 2

# gunicorn's settings are in api/gunicorn_conf.py (preloaded: the KB and jieba's dictionary load once in the
# master, before it forks; logs with request ids; metrics summed over the workers; a graceful SIGTERM)
run: build
	$(BIN)/gunicorn -c api/gunicorn_conf.py --workers $(KB_WORKERS) --bind $(HOST):$(PORT) 'api:create_app()'


lint: install
	$(BIN)/ruff check kb api tests bench
	$(BIN)/mypy kb

importcheck: install
	$(BIN)/lint-imports

# the browser tests drive Debian's chromium (no browser download) and need a CJK font to draw Chinese
browser:
	@command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fontconfig; \
		else echo "the browser tests need: sudo apt-get install -y chromium fonts-noto-cjk"; exit 1; fi; }

# KB_TEST_POSTGRES=1 (CI sets it): the store, editing and API suites run again on a PostgreSQL server that the
# tests install (apt) and start on loopback (tests/pgserver.py)
KB_TEST_POSTGRES ?=
POSTGRES_SUITES := tests/test_api.py tests/test_editors.py tests/test_editors_server.py tests/test_revisions.py \
	tests/test_snapshots.py tests/test_terms.py tests/test_errors.py tests/test_search.py tests/test_cli.py \
	tests/test_pages_editors.py tests/test_migrations.py tests/test_nodes.py tests/test_changes.py tests/test_import.py

test: lint importcheck browser
	$(BIN)/python -m pytest -q
	@if [ "$(KB_TEST_POSTGRES)" = 1 ]; then \
		echo "KB_TEST_POSTGRES=1: the store, editing and API suites again, on PostgreSQL"; \
		KB_TEST_STORE=postgres $(BIN)/python -m pytest -q $(POSTGRES_SUITES); fi

# bench/http.py loads the served app with wrk: installed with apt-get when missing and we are root, else a hint
bench: install
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/build.py
	$(BIN)/python bench/search.py
	@command -v wrk >/dev/null || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then apt-get update && apt-get install -y wrk; \
		else echo "bench/http.py needs wrk: sudo apt-get install -y wrk (or brew install wrk)"; fi; }
	$(BIN)/python bench/http.py --workers $(KB_WORKERS)
	$(BIN)/python bench/link.py --workers $(KB_WORKERS)
	$(BIN)/python bench/edit.py --workers $(KB_WORKERS)
	$(BIN)/python bench/scale.py --workers $(KB_WORKERS)
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/pinyin.py

clean:
	rm -rf var .pytest_cache .ruff_cache
