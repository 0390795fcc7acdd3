# dogcat: the course's commands. On a fresh machine (Python 3.11+ and make): `make demo`, `make test`.
# Windows without make: see README.md for the same steps with conda and the `dogcat` command.

PYTHON ?= python3
VENV   ?= .venv
ifeq ($(OS),Windows_NT)
  BIN := $(VENV)/Scripts
else
  BIN := $(VENV)/bin
endif
PY      := $(BIN)/python
STAMP   := $(VENV)/.installed
RUNS    := runs
DATA    ?=
# Smoke runs for `make test` use tiny generated data; `make demo` a few hundred photos.
DEMO_PER_CLASS ?= 200
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup demo test unit notebooks lint format bench clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12

setup: $(STAMP)  ## create .venv and install dogcat_lib with the dev extras

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

demo: $(STAMP)  ## photos -> CSV end to end: a generated sample, or DATA=path/to/train.zip
ifeq ($(strip $(DATA)),)
	$(BIN)/dogcat sample -o $(RUNS)/demo/sample/train.zip --per-class $(DEMO_PER_CLASS) --unlabelled 20
	$(eval SOURCE := $(RUNS)/demo/sample/train.zip)
else
	$(eval SOURCE := $(DATA))
endif
	@mkdir -p $(RUNS)/demo
	$(PY) -m papermill notebooks/01_preprocess_local.ipynb $(RUNS)/demo/01_preprocess_local.ipynb \
		-k python3 --no-progress-bar \
		-p SOURCE "$(abspath $(SOURCE))" -p OUT_CSV "$(abspath $(RUNS)/demo/dogs-vs-cats.csv)"
	@echo "demo done: $(RUNS)/demo/dogs-vs-cats.csv and the executed notebook $(RUNS)/demo/01_preprocess_local.ipynb"

test: lint unit notebooks  ## everything CI runs: lint, unit tests, notebooks (papermill + nbval)

unit: $(STAMP)  ## unit tests, including each notebook run by papermill on generated photos
	$(PY) -m pytest

notebooks: $(STAMP)  ## nbval: re-run the notebooks and compare the pinned cells' outputs
	rm -rf $(RUNS)/nbval && mkdir -p $(RUNS)/nbval
	$(BIN)/dogcat sample -o $(RUNS)/nbval/sample.zip --per-class 12 --unlabelled 2
	$(PY) tests/notebook_tools.py $(RUNS)/nbval
	cd $(RUNS)/nbval && DOGCAT_SOURCE="$$PWD/sample.zip" DOGCAT_OUT_CSV="$$PWD/smoke.csv" \
		../../$(PY) -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider \
		--rootdir . --override-ini testpaths= *.ipynb

lint: $(STAMP)  ## ruff: style and common bugs (code and notebooks)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)  ## apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)  ## speed and memory vs the course's procedure, on ../shared/data (writes bench/results/)
	$(PY) bench/bench_preprocess.py

clean:  ## remove runs/ and caches (keeps .venv)
	rm -rf $(RUNS) .pytest_cache .ruff_cache build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
