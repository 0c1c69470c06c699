# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
SOURCE ?= data/sample_project
OUT    ?= build/demo

.PHONY: demo test test-fast lint format bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

# The main job on the bundled default code base: build the project CPG, print a summary and
# write the tables as Parquet into $(OUT).
demo: $(VENV)/.installed
	$(VENV)/bin/workbench build $(SOURCE) --out $(OUT)

# The whole suite: lint, unit tests, doctests and the slow stdlib tests.
test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest

test-fast: $(VENV)/.installed
	$(PY) -m pytest -m "not slow"

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(VENV)/.installed
	$(PY) benchmarks/build_stdlib.py

clean:
	rm -rf build .pytest_cache .ruff_cache
