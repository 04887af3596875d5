# Two commands matter on a fresh clone:  `make book`  (build the site)  and  `make test`.
# Both create the virtual environment and install the pinned set first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: help install test lint benchmark clean

help:
	@echo "make book                 build the quick book (_build/html/index.html)"
	@echo "make book PROFILE=paper   build at the paper's scale"
	@echo "make test                 run the test suite"
	@echo "make benchmark            print training and explanation timings"

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev,book]"
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check lapace tests scripts

benchmark: $(STAMP)
	$(PY) scripts/benchmark.py

clean:
	rm -rf _build results
