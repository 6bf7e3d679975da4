# Safeguard's commands. `make help` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app safeguard

.PHONY: help run test lint lint-ruff lint-format lint-types lint-layers lint-complexity audit bench clean

help: ## Show the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

# `run` supervises two processes: the alert and escalation worker in the background, the web server in the
# foreground. Ctrl+C stops the web server; the trap then stops the worker (a background job of this shell ignores
# Ctrl+C, so it is told with SIGTERM), and it does so however the web server ends.
run: $(VENV)/.installed ## Set up, create or upgrade the database, seed the demo school, serve on 127.0.0.1:$(PORT) with the alert worker
	$(FLASK) db upgrade
	FLASK_RUN_HOST=127.0.0.1 FLASK_RUN_PORT=$(PORT) $(FLASK) demo
	@echo "Serving Safeguard on http://127.0.0.1:$(PORT), with its alert and escalation worker (Ctrl+C stops both)"
	@FLASK_RUN_HOST=127.0.0.1 FLASK_RUN_PORT=$(PORT) $(FLASK) notify --quiet & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# The suite runs on every core (pytest-xdist); each test file stays on one worker, in its own order, so that a
# file's tests that build on each other (the hostile-input campaign and its count) run together.
TEST_JOBS ?= auto
# The single sign-on tests sign in through a real OpenID Connect provider (the npm package oidc-provider, started by
# their fixture with node); without npm they are skipped, except in CI, which installs it.
OIDC_PROVIDER := tests/oidc/node_modules/.installed
$(OIDC_PROVIDER): tests/oidc/package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm is not installed: the single sign-on tests (tests/sso) will be skipped"; fi

test: $(VENV)/.installed-test $(OIDC_PROVIDER) ## Set up and run the whole test suite (browser tests included)
	$(BIN)/pytest -n $(TEST_JOBS) --dist loadfile $(PYTEST_ARGS)

# The checks run with -k: each runs even when one before it fails, so one run shows every problem; lint fails if any did.
lint: $(VENV)/.installed-test ## Check the code: ruff, ruff format, mypy, import-linter (the layers), radon (no function worse than C)
	@$(MAKE) --no-print-directory -k lint-ruff lint-format lint-types lint-layers lint-complexity

lint-ruff:
	$(BIN)/ruff check .

lint-format:
	$(BIN)/ruff format --check safeguard tests

lint-types:
	$(BIN)/mypy safeguard

lint-layers:
	$(BIN)/lint-imports

# Radon rates each function by its number of paths: A-C is up to 20, D and worse more.
lint-complexity:
	@echo "$(BIN)/radon cc --min D --show-complexity safeguard"
	@out=$$($(BIN)/radon cc --min D --show-complexity safeguard) || exit 1; \
	if [ -n "$$out" ]; then echo "$$out"; echo "radon: the functions above rate worse than C; split them into steps"; exit 1; fi; \
	echo "radon: no function rates worse than C"

audit: $(VENV)/.installed-test ## Security checks: bandit (no high findings) and pip-audit (no known vulnerable dependency)
	$(BIN)/bandit -q -r safeguard -lll
	@out=$$($(BIN)/pip-audit --progress-spinner off --skip-editable 2>&1); status=$$?; echo "$$out" | tail -n 5; \
	if echo "$$out" | grep -q "could not be audited"; then \
	  echo "warning: pip-audit could not reach its vulnerability service for some packages; those were not audited"; fi; \
	if echo "$$out" | grep -qE "^Found [1-9][0-9]* known vulnerabilit"; then exit 1; fi; \
	if [ $$status -ne 0 ] && ! echo "$$out" | grep -q "could not be audited"; then exit $$status; fi

bench: $(VENV)/.installed-test ## Run the benchmarks and write benchmarks/results.md
	$(BIN)/python -m benchmarks

clean: ## Remove the virtual environment and caches (keeps instance/)
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
