# Quick start: `make demo` then `make test`. Needs only python3 (>= 3.11).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: setup chromium demo index test unit lint format bench bench-quick bench-setup clean serve

CHROMIUM := /usr/bin/chromium

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory chromium
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)  ## create .venv and install the project with its test tools

# The browser tests (tests/test_browser.py) drive Debian's Chromium through Playwright: no
# browser download of Playwright's own, which would need the network at test time.
chromium:  ## Debian's Chromium for the browser tests, if /usr/bin/chromium is missing
	@if [ -x $(CHROMIUM) ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) \
			|| echo "setup: could not install chromium with apt-get; tests/test_browser.py is skipped (fails under CI=true)"; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then \
		(sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) \
			|| echo "setup: could not install chromium with sudo apt-get; tests/test_browser.py is skipped (fails under CI=true)"; \
	else \
		echo "setup: $(CHROMIUM) is missing and neither root nor sudo can install it:"; \
		echo "       run 'apt-get install -y chromium' as root; until then tests/test_browser.py is skipped (fails under CI=true)"; \
	fi

index: $(STAMP)  ## build or update the index from seeds/
	$(BIN)/search index seeds

demo: $(STAMP)  ## set up, index the seeds, run real searches
	$(BIN)/search index seeds
	@echo
	@echo '$$ search query "care leavers accommodation" --limit 2'
	@$(BIN)/search query "care leavers accommodation" --limit 2 --color always
	@echo '$$ search query '"'"'"children in care" exploitation'"'"' --year 2022 --limit 2'
	@$(BIN)/search query '"children in care" exploitation' --year 2022 --limit 2 --color always
	@echo '$$ search query "inspected" --year 2017'
	@$(BIN)/search query "inspected" --year 2017 --limit 2 --color always
	@echo '$$ search show "004_26166e069228efdc#35" --context 1'
	@$(BIN)/search show "004_26166e069228efdc#35" --context 1

test: $(STAMP)  ## lint, format check, unit tests, then real-process and shared-corpus tests
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q -m "not corpus and not slow"
	$(BIN)/pytest -q -m "corpus or slow"

serve: $(STAMP)  ## the search page on http://127.0.0.1:8000/ over index/ (Ctrl-C stops)
	$(BIN)/search serve

unit: $(STAMP)  ## the unit tests alone (seconds; no shared corpus needed)
	$(BIN)/pytest -q -m "not corpus and not slow"

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) index .pytest_cache .ruff_cache *.egg-info
BENCH_STAMP := $(VENV)/.bench-stamp

$(BENCH_STAMP): $(STAMP) bench/requirements.txt
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	@command -v rg >/dev/null || echo "bench: ripgrep not installed (apt-get install -y ripgrep): that peer is skipped"
	@command -v hyperfine >/dev/null || echo "bench: hyperfine not installed (apt-get install -y hyperfine): cold runs timed by a subprocess loop"
	@touch $(BENCH_STAMP)

bench-setup: $(BENCH_STAMP)  ## the benchmark's pinned peers (bench/requirements.txt)

bench: $(BENCH_STAMP)  ## the benchmark against SQLite FTS5, tantivy, bm25s and ripgrep (~12 min; not part of make test)
	$(BIN)/python -m bench

bench-quick: $(BENCH_STAMP)  ## the benchmark on the seeds and reports only, fewer repeats (a few minutes)
	$(BIN)/python -m bench --quick
