# cornu: `make demo` trains a model end to end; `make test` runs lint and the suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench install clean browser-deps test-browser graphviz-deps

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The CPU wheel of torch is on this machine's disk; install it before the
	# package so the `torch>=2.4` requirement is already satisfied.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev,interop]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP) graphviz-deps
	$(BIN)/python examples/digits_convnet.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/mypy

# Graphviz's `dot` draws plot_model pictures (the demo's model, the plot
# tests); without it the demo says so and those tests are skipped.
graphviz-deps:
	@if ! command -v dot >/dev/null 2>&1; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null) \
	      || echo "Graphviz could not be installed: no model pictures."; \
	  else echo "No apt-get as root: no model pictures."; fi; fi

# Debian's Chromium and onnxruntime-web for the browser test of ONNX exports;
# when they cannot be installed the test is skipped (and says why).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "Chromium could not be installed: the browser test will be skipped."; \
	  else echo "No apt-get as root: the browser test will be skipped."; fi; fi
	@if command -v npm >/dev/null 2>&1 && [ ! -d examples/browser/node_modules/onnxruntime-web ]; then \
	  (cd examples/browser && npm ci --silent --no-audit --no-fund) \
	    || echo "npm install failed: the browser test will be skipped."; fi

test-browser: $(STAMP) browser-deps
	KERAS_BACKEND=torch $(BIN)/python -m pytest tests/export/test_browser.py -rs

test: lint browser-deps graphviz-deps
	KERAS_BACKEND=torch $(BIN)/python -m pytest -n 2 tests

# glibc's malloc keeps freed memory for reuse (see benchmarks/RESULTS.md).
bench: $(STAMP)
	MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_MMAP_THRESHOLD_=1073741824 \
		$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info
