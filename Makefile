# The two commands a new user needs: `make demo` and `make test`. Both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint format clean

install: $(STAMP)

$(STAMP): pyproject.toml scripts/fetch-assets
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	$(BIN)/python scripts/fetch-assets
	$(BIN)/python -c "import geostrike.engine as e; e.warm_kernels()"  # compiles and caches the numba kernels once
	touch $(STAMP)

demo: install
	$(BIN)/geostrike demo

lint: install
	$(BIN)/ruff check geostrike tests scripts
	$(BIN)/ruff format --check geostrike tests scripts

format: install
	$(BIN)/ruff format geostrike tests scripts
	$(BIN)/ruff check --fix geostrike tests scripts

test: install lint
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache
