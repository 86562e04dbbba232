# Biostation — the three commands a fresh machine needs: make run, make test, make eval.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= ../shared/data

.PHONY: venv kernel run test lint eval bench clean desktop-packages test-packages

# What Debian must hold besides Python: Qt's X libraries for a window, espeak-ng for the kiosk's
# voice, Pango and fonts for PDFs (WeasyPrint; Noto for names in every script), Chromium for the
# browser tests.
DESKTOP_DEBS := libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \
                libxcb-render-util0 libxcb-shape0 libxcb-randr0 libegl1 libgl1 libfontconfig1 libdbus-1-3 \
                libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-noto-core espeak-ng
TEST_DEBS    := chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-noto-core espeak-ng

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

desktop-packages:
	@tools/debian-packages $(DESKTOP_DEBS)

test-packages:
	@tools/debian-packages $(TEST_DEBS)

# axe-core (accessibility checks in the browser tests), pinned in package-lock.json
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

run: venv desktop-packages
	$(BIN)/biostation run

# numba compiles the comparison kernel once into its cache, before anything times a comparison
kernel: venv
	$(BIN)/python -m matching.fingerprint.cylinder_kernel && $(BIN)/python -m matching.fingerprint.kernel

test: venv kernel test-packages node_modules/.installed
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
	rm -rf $(VENV) build .pytest_cache node_modules
