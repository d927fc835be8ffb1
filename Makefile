# Quick start: `make run` serves the bundled corpus; `make test` runs every test and the eval gate.
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install browser run test test-fast test-browser lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# Debian's Chromium, which tests/browser drive through Playwright (never `playwright install`:
# this network reaches package registries only). Root in CI; sudo elsewhere.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	command -v chromium >/dev/null || ($(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium)

run: install
	$(VENV)/bin/qa build    # a no-op when the index matches the corpus and settings
	$(VENV)/bin/qa serve --host 127.0.0.1 --port $(PORT)

test: install browser
	$(PY) -m pytest -q

test-fast: install
	$(PY) -m pytest -q -m "not model and not eval and not browser"

test-browser: install browser    # screenshots in tests/browser/artifacts/ (or $QA_TEST_ARTIFACTS)
	$(PY) -m pytest -q -m browser tests/browser

lint: install
	$(VENV)/bin/ruff check qa tests eval bench
	$(VENV)/bin/mypy

bench: install
	$(PY) bench/build.py --enrich
	$(PY) bench/latency.py --build
	$(PY) bench/incremental_build.py
	$(PY) bench/parse_scale.py
	$(PY) bench/load.py --index index/bench --clients 8
	$(PY) bench/load.py --index index/bench --clients 50
	$(PY) bench/scale.py    # 1k, 10k (real model) and 100k chunks (random vectors): about an hour

clean:
	rm -rf $(VENV) .pytest_cache index/default index/.default-* index/bench index/.bench-*
