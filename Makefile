# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run build test lint importcheck bench clean

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

build: install
	$(BIN)/kb build --if-changed

run: build
	@echo "The HTTP API arrives with the REST API issue; the KB above is built and ready for the CLI:"
	@echo "  $(BIN)/kb lookup 百千万工程"

lint: install
	$(BIN)/ruff check kb api tests bench

importcheck: install
	$(BIN)/lint-imports

test: lint importcheck
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/build.py
	$(BIN)/python bench/search.py

clean:
	rm -rf var .pytest_cache .ruff_cache
