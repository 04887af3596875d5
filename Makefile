# Two commands matter on a fresh clone:  `make book`  (build the site)  and  `make test`.
# Both create the virtual environment and install the pinned set first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

# `make book` executes the chapters of _toc.yml with the parameters of profiles/$(PROFILE).yml and
# renders _build/html; CHAPTERS=elbo,mnist builds a subset (development); CELL_TIMEOUT=S overrides
# the profile's per-cell timeout; JOBS=1 runs one chapter at a time (default: all cores).
PROFILE  ?= quick
CHAPTERS ?=
CELL_TIMEOUT ?=
JOBS ?=
# `make chapter CHAPTER=figure1 SET="seed=1 steps=7"` runs one chapter with the profile's
# parameters plus SET (checked against its parameters cell first) into its own folder,
# results/chapters/<chapter>-<hash>/ (parameters.json), and renders that page alone into
# _build/chapters/<chapter>-<hash>/html; the book's results/<profile>/ is never touched.
CHAPTER ?=
SET ?=
export SET

.PHONY: help install test lint benchmark clean book chapter check-site clean-cache reference check-reference recertify

help:
	@echo "make book                 build the quick book (_build/html/index.html)"
	@echo "make book PROFILE=paper   build at the paper's scale"
	@echo "make book CHAPTERS=elbo   execute and render only some chapters"
	@echo "make chapter CHAPTER=figure1 SET=\"seed=1 steps=7\"   one chapter, your parameters, its own folder"
	@echo "make check-site           open every page in headless Chromium and check it"
	@echo "make reference            run the paper profile, keep its tables in reference/paper/"
	@echo "make check-reference      is reference/paper/ made by the current code? (0: yes)"
	@echo "make recertify            quick profile at the reference's commit and HEAD: same tables?"
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
	$(VENV)/bin/ruff check lapace lapace_book tests scripts

benchmark: $(STAMP)
	$(PY) scripts/benchmark.py

book: $(STAMP)
	$(PY) scripts/build_book.py --strict --profile $(PROFILE) \
		$(if $(CHAPTERS),--chapters $(CHAPTERS)) $(if $(CELL_TIMEOUT),--cell-timeout $(CELL_TIMEOUT)) \
		$(if $(JOBS),--jobs $(JOBS))

chapter: $(STAMP)
	$(PY) scripts/chapter.py --profile $(PROFILE) $(if $(CELL_TIMEOUT),--cell-timeout $(CELL_TIMEOUT)) \
		--set "$$SET" $(CHAPTER)

# A figure whose smallest text is under 9 px on screen (1280 px window) fails the check
# (measured on the whole quick site: every measured figure passes); FIGURE_TEXT=warn only
# reports it.
FIGURE_TEXT ?= fail
check-site: $(STAMP)
	$(PY) scripts/check_site.py _build/html --screenshots _build/screenshots --figure-text $(FIGURE_TEXT)

# `make reference` builds the book with PROFILE=paper (about 70 min on 2 cores; JOBS=N as for `make book`) and copies
# results/paper/*.csv with their provenance into reference/paper/ (to be committed);
# `make check-reference` exits 0 when every chapter's recorded code fingerprint is the current one.
reference: $(STAMP)
	$(PY) scripts/reference.py make $(if $(JOBS),--jobs $(JOBS))

check-reference: $(STAMP)
	$(PY) scripts/reference.py check

# `make recertify` builds the quick profile at the reference's commit and at HEAD (a git worktree
# each, about 15 min apiece on 2 cores; a commit's tables are kept in .cache/recertify/) and, when
# every table is equal (timing aside), records the reference as fresh by results for HEAD's code.
recertify: $(STAMP)
	$(PY) scripts/reference.py recertify

clean:
	rm -rf _build results

clean-cache:
	rm -rf .cache
