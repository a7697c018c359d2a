# `make demo` and `make test` work from a fresh clone: they create .venv when absent and
# install the package with what it needs. Numba's cache lives in the checkout (git ignores it),
# in a folder named by a checksum of the kernel sources: Numba checks only a kernel's own file
# when it reuses a cached kernel, not the files of the kernels it calls and inlines, so after
# an edit to one of those a cached caller would run the old code (or crash on it).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
KERNELS_SUM := $(shell cat gbt/_native/cpu/*.py | cksum | cut -d' ' -f1)
export NUMBA_CACHE_DIR := $(CURDIR)/.numba_cache/$(KERNELS_SUM)

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
