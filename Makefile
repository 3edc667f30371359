# deepclust-lab: every target bootstraps .venv from requirements.lock on its own.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv demo test lab bench notebooks docs lint lock clean browser-deps

# (Re)install only when the lock file or pyproject changed; otherwise this is instant.
$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP)

## make demo: the headless main job on digits: results table on stdout, figures in outputs/
demo: $(STAMP)
	$(BIN)/deepclust-lab demo --out outputs

## make test: unit tests, every notebook through nbval, and the browser tests
test: $(STAMP) browser-deps
	@$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests - treating that as a failure" >&2; exit 1; fi; \
	exit $$rc

## make lab: JupyterLab on the notebooks (token authentication stays on)
lab: $(STAMP)
	$(BIN)/deepclust-lab lab notebooks

## make bench: the speed and quality benchmarks; tables land in benchmarks/results/
bench: $(STAMP)
	$(BIN)/python benchmarks/kmeans_speed.py

## make notebooks: re-execute every notebook in place (after a change they depend on)
notebooks: $(STAMP)
	$(BIN)/python scripts/run_notebooks.py notebooks/*.ipynb

## make docs: the static site (rendered notebooks + API reference) in docs/_build/html, offline
docs: $(STAMP)
	$(BIN)/python -m sphinx -b html -W --keep-going docs docs/_build/html

lint: $(STAMP)
	$(BIN)/ruff check deepclust_lab tests benchmarks scripts

## make lock: refresh requirements.lock from a clean venv built from pyproject.toml
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet -e '.[test,lab,grade,docs]'
	{ echo "# Exact versions tested with deepclust-lab (Python 3.11, Linux x86-64)."; \
	  echo "# Regenerate with: make lock"; \
	  .venv-lock/bin/python -m pip freeze --exclude-editable; } > requirements.lock
	rm -rf .venv-lock

## browser-deps: Debian's Chromium for the Playwright tests (installed when running as root)
browser-deps:
	@bash scripts/ensure-chromium

clean:
	rm -rf $(VENV) outputs .pytest_cache
