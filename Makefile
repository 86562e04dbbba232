# Biostation — the three commands a fresh machine needs: make run, make test, make eval.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= ../shared/data

.PHONY: venv kernel run test lint eval bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: venv
	$(BIN)/biostation run

# numba compiles the comparison kernel once into its cache, before anything times a comparison
kernel: venv
	$(BIN)/python -m matching.fingerprint.cylinder_kernel && $(BIN)/python -m matching.fingerprint.kernel

test: venv kernel
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

lint: venv
	$(BIN)/ruff check .

# The benchmarks on the real samples; fails loudly when ../shared/data is missing
# and when a figure falls below its floor in eval/floors.toml.
eval: venv kernel
	$(BIN)/python -m station.evaluation --data $(DATA) --out build/eval

bench: venv
	$(BIN)/biostation bench

clean:
	rm -rf $(VENV) build .pytest_cache
