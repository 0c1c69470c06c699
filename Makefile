# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
SOURCE ?= data/sample_project
OUT    ?= build/demo
WORKERS ?= 2
# pytest-xdist processes for the test suite (auto: one per core)
JOBS   ?= auto
# pytest with the bytecode cache on even where PYTHONDONTWRITEBYTECODE is set: without it every
# xdist worker rewrites the asserts of every test module again (~6 s each) and every process a
# test spawns compiles the package again (~0.3 s each); __pycache__ is git-ignored
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest

# The newest interpreter pyenv has, when newer than 3.11: the frontend tests also run under it
# (tests/test_newest_python.py), from a venv of its own. Empty when there is none.
PYENV_VERSIONS ?= $(HOME)/.pyenv/versions
NEWEST_PY ?= $(shell ls -d $(PYENV_VERSIONS)/3.1[2-9]*/bin/python 2>/dev/null | sort -V | tail -n1)
NEWEST_VENV := .venv-$(shell $(NEWEST_PY) -c 'import sys; print("py%d%d" % sys.version_info[:2])' 2>/dev/null)

.PHONY: demo test test-fast lint format bench mutate clean newest chromium

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

# The venv of the newest interpreter: the package (editable) and pytest, nothing else.
newest: $(if $(NEWEST_PY),$(NEWEST_VENV)/.installed)

$(NEWEST_VENV)/.installed: pyproject.toml
	$(NEWEST_PY) -m venv $(NEWEST_VENV)
	$(NEWEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(NEWEST_VENV)/bin/python -m pip install --quiet -e . "pytest>=8,<10" "hypothesis>=6.100,<7"
	touch $@

# The main job on the bundled default code base: the phase-1 rollout notebook (ingest ->
# migration plan -> migrate -> progressive generation -> compatibility check -> rollback
# rehearsal), then the phase-2 one on the store it leaves (CPGMath: graphs, algorithms, cache,
# circuit breaker) and the phase-3 one (semantics, pattern rules with an A/B of two rule
# versions, ML features), executed by papermill. Leaves the executed notebooks, the store and the
# metrics in $(OUT). Any tree: make demo SOURCE=path/to/code
demo: $(VENV)/.installed
	mkdir -p $(OUT)
	$(VENV)/bin/papermill notebooks/phase1_foundation.ipynb $(OUT)/phase1_foundation.ipynb \
	  -p source_dir $(abspath $(SOURCE)) -p store_dir $(abspath $(OUT))/store \
	  -p workers $(WORKERS) -p output_dir $(abspath $(OUT)) -k python3 --cwd notebooks \
	  --no-progress-bar
	$(VENV)/bin/papermill notebooks/phase2_algorithms.ipynb $(OUT)/phase2_algorithms.ipynb \
	  -p store_dir $(abspath $(OUT))/store -p output_dir $(abspath $(OUT)) -k python3 \
	  --cwd notebooks --no-progress-bar
	$(VENV)/bin/papermill notebooks/phase3_advanced.ipynb $(OUT)/phase3_advanced.ipynb \
	  -p store_dir $(abspath $(OUT))/store -p output_dir $(abspath $(OUT)) -k python3 \
	  --cwd notebooks --no-progress-bar
	@cat $(OUT)/phase1_metrics.json $(OUT)/phase2_metrics.json $(OUT)/phase3_metrics.json

# Debian's chromium, for the browser tests (tests/test_browser_*.py, Playwright drives it; never
# `playwright install`, which downloads one): installed with apt-get when missing, as root or
# through sudo when it asks no password. Never fails the build: where chromium cannot be
# installed it says why, and the browser tests are skipped with the reason.
chromium:
	@if command -v chromium >/dev/null 2>&1; then \
	  exit 0; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
	  echo "chromium: missing, and no apt-get to install it: the browser tests will be skipped"; \
	elif [ "$$(id -u)" != 0 ] && ! { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }; then \
	  echo "chromium: missing, and installing it needs root (no passwordless sudo): the browser tests will be skipped"; \
	else \
	  sudo=; [ "$$(id -u)" = 0 ] || sudo="sudo -n"; \
	  echo "chromium: missing, installing Debian's package (apt-get)"; \
	  if $$sudo apt-get update -qq && \
	     $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then \
	    command -v chromium; \
	  else \
	    echo "chromium: apt-get could not install it (see above): the browser tests will be skipped"; \
	  fi; \
	fi

# The whole suite: lint, unit tests, doctests, the notebooks (papermill, and in chromium) and the
# slow end-to-end tests, in parallel; it fails if it leaves a process or a file behind
# (tests/leakguard.py).
test: $(VENV)/.installed newest chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PYTEST) -n $(JOBS)

# Quick feedback: everything but the tests marked slow.
test-fast: $(VENV)/.installed newest
	$(PYTEST) -n $(JOBS) -m "not slow"

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(VENV)/.installed
	$(PY) benchmarks/build_stdlib.py

# Mutation testing of the store, the scheduler, the worker and the passes (not part of `make
# test`: see README for how long it takes). Incremental: only changed functions are re-tested.
mutate: $(VENV)/.installed
	$(PY) benchmarks/mutation.py

clean:
	rm -rf build mutants .pytest_cache .ruff_cache
