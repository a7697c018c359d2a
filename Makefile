# `make demo` and `make test` work from a fresh clone: they create .venv when absent and
# install the package with what it needs. Numba's cache lives in the checkout (git ignores it).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
export NUMBA_CACHE_DIR := $(CURDIR)/.numba_cache

.PHONY: demo test test-fast bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/gbt demo --out demo_model.json

test: $(VENV)/.installed
	$(PY) -m pytest -q

test-fast: $(VENV)/.installed
	$(PY) -m pytest -q -m "not slow"

bench: $(VENV)/.installed
	$(PY) bench/bench_fit.py

clean:
	rm -rf .numba_cache .pytest_cache .hypothesis build *.egg-info demo_model.json
