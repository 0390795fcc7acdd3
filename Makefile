# dogcat: the course's commands. On a fresh machine (Python 3.11-3.13 and make): `make demo`, `make test`.
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
TEST1   ?=
# Smoke runs for `make test` use tiny generated data; `make demo` a few hundred photos, a few epochs.
DEMO_PER_CLASS ?= 200
DEMO_EPOCHS ?= 30
BUDGET ?= 20
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONDONTWRITEBYTECODE := 1
# Python 3.12 kernels (make colab-stack) print a debugger notice per notebook without this
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: setup data demo colab test unit notebooks colab-stack browser-test browser-run readme-test lint format bench bench-accuracy clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12

setup: $(STAMP)  ## create .venv and install dogcat_lib with everything: training (TensorFlow), the web page, the Kaggle client, dev tools

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[train,test,dev,app,kaggle]"
	@touch $(STAMP)

data: $(STAMP)  ## download Kaggle's real photos into data/ (a Kaggle account and API token)
	$(BIN)/dogcat download -o data

demo: $(STAMP)  ## photos -> CSV -> trained CNN end to end (generated sample, or DATA=path/to/train.zip)
ifeq ($(strip $(DATA)),)
	rm -rf $(RUNS)/demo/sample
	$(BIN)/dogcat sample -o $(RUNS)/demo/sample --per-class $(DEMO_PER_CLASS) --unlabelled 20
	$(eval SOURCE := $(RUNS)/demo/sample/train)
	$(eval PREDICT := $(abspath $(RUNS)/demo/sample/test1))
else
	$(eval SOURCE := $(DATA))
	$(eval PREDICT := $(if $(strip $(TEST1)),$(abspath $(TEST1))))
endif
	@mkdir -p $(RUNS)/demo
	$(PY) -m papermill notebooks/01_preprocess_local.ipynb $(RUNS)/demo/01_preprocess_local.ipynb \
		-k python3 --no-progress-bar \
		-p SOURCE "$(abspath $(SOURCE))" -p OUT_CSV "$(abspath $(RUNS)/demo/dogs-vs-cats.csv.zst)"
	rm -rf $(RUNS)/demo/reference
	$(PY) -m papermill notebooks/02_train_colab.ipynb $(RUNS)/demo/02_train_colab.ipynb \
		-k python3 --no-progress-bar --log-output \
		-p CSV_PATH "$(abspath $(RUNS)/demo/dogs-vs-cats.csv.zst)" -p EPOCHS $(DEMO_EPOCHS) \
		-p OUT_DIR "$(abspath $(RUNS)/demo/reference)" -p PREDICT_SOURCE "$(PREDICT)"
	@echo "demo done, under $(RUNS)/demo/: dogs-vs-cats.csv.zst, the executed notebooks 01 and 02,"
	@echo "  and reference/ (model.keras, history.csv, figures/, submission.csv when there were test1 photos)"

colab: $(STAMP)  ## the wheel to upload to Google Drive beside the CSV (Colab installs it; nothing published)
	$(BIN)/dogcat colab -o dist

test: lint unit notebooks  ## everything CI runs: lint, unit tests, every notebook run once

unit: $(STAMP)  ## unit tests (no notebook is executed: the fast inner loop)
	$(PY) -m pytest -m "not notebook"

notebooks: $(STAMP)  ## each notebook once with smoke parameters (nbval), then the simulated Colab run (papermill)
	rm -rf $(RUNS)/nbval && mkdir -p $(RUNS)/nbval
	$(PY) tests/notebook_tools.py $(RUNS)/nbval
	cd $(RUNS)/nbval && ../../$(PY) -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider \
		--rootdir . --override-ini testpaths= --override-ini addopts= *.ipynb
	$(PY) -m pytest -m notebook

readme-test:  ## the Korean README's first steps, followed literally in a fresh clone (its own .venv, make demo)
	$(PYTHON) tests/readme_walkthrough.py

lint: $(STAMP)  ## ruff: style and common bugs (code and notebooks)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)  ## apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Colab runs Python 3.12: the first 3.12 found (on PATH, or pyenv's), else this machine's Python.
COLAB_PYTHON ?= $(firstword $(foreach p,python3.12 $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12),\
	$(shell $(p) -c "" 2>/dev/null && echo $(p))) $(PYTHON))
COLAB_VENV   ?= .venv-colab
COLAB_STAMP  := $(COLAB_VENV)/.installed
# notebook: Colab's classic frontend, which make browser-test drives with Colab's ipywidgets 7
$(COLAB_STAMP): pyproject.toml constraints/colab.txt
	$(COLAB_PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(COLAB_VENV)/bin/python -m pip install --quiet -c constraints/colab.txt -e ".[train,test,app]" notebook
	@touch $@

colab-stack: $(COLAB_STAMP)  ## unit tests + notebooks 02 and 04 on Colab's own versions (constraints/colab.txt), in .venv-colab
	$(COLAB_VENV)/bin/python -c "import sys, tensorflow as tf, keras, numpy, gradio; print('Colab stack:', sys.version.split()[0], \
		'TensorFlow', tf.__version__, 'Keras', keras.__version__, 'NumPy', numpy.__version__, 'Gradio', gradio.__version__)"
	$(COLAB_VENV)/bin/python -m pytest -m "not notebook" -q -p no:cacheprovider
	rm -rf $(RUNS)/colab-stack && mkdir -p $(RUNS)/colab-stack
	$(COLAB_VENV)/bin/python tests/notebook_tools.py $(RUNS)/colab-stack
	cd $(RUNS)/colab-stack && ../../$(COLAB_VENV)/bin/python -m pytest --nbval-lax --nbval-current-env \
		-p no:cacheprovider --rootdir . --override-ini testpaths= --override-ini addopts= \
		02_train_colab.ipynb 04_inside_the_cnn.ipynb

CHROMIUM ?= /usr/bin/chromium
browser-test:  ## a real (headless) Chromium clicks what a student clicks: JupyterLab, Colab's classic Notebook, dogcat app
	@if [ -x "$(CHROMIUM)" ]; then $(MAKE) --no-print-directory browser-run; \
	else echo "browser-test: skipped, no Chromium at $(CHROMIUM) (apt-get install chromium fonts-nanum)"; fi

browser-run: $(STAMP) $(COLAB_STAMP)
	CHROMIUM=$(CHROMIUM) COLAB_VENV=$(COLAB_VENV) $(PY) -m pytest tests/browser -p no:cacheprovider

bench: $(STAMP)  ## speed and memory vs the course's code, on ../shared/data; refreshes the README's tables
	$(PY) bench/bench_preprocess.py
	$(PY) bench/bench_compression.py
	$(PY) bench/bench_training.py --accuracy-minutes 0
	$(PY) bench/bench_input_sizes.py
	$(PY) bench/bench_reduced_decoding.py
	$(PY) bench/bench_leak.py
	$(PY) bench/tables.py

bench-accuracy: $(STAMP)  ## reference vs improved CNN, same split and budget (BUDGET=20 min each), real sample
	$(PY) bench/bench_accuracy.py --minutes $(BUDGET)
	$(PY) bench/tables.py

clean:  ## remove runs/ and caches (keeps .venv)
	rm -rf $(RUNS) .pytest_cache .ruff_cache build dist *.egg-info $(COLAB_VENV)
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
