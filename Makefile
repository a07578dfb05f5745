# standby — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
APT    := $(shell command -v apt-get 2>/dev/null)
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run demo test lint typecheck unit integration e2e chaos bench soak schemas compose-check sysdeps-test clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# System packages the tests drive: Chromium (and Japanese fonts) for the pages, promtool for
# the alert rules, npm for axe-core (the accessibility audit every page passes, pinned in
# tests/e2e/package-lock.json).
AXE := tests/e2e/node_modules/axe-core/axe.min.js

sysdeps-test:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	command -v promtool >/dev/null 2>&1 || missing="$$missing prometheus"; \
	[ -d /usr/share/fonts/opentype/noto ] || missing="$$missing fonts-noto-cjk"; \
	docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1 || missing="$$missing docker-compose"; \
	if [ -n "$$missing" ]; then \
	  if [ -n "$(APT)" ]; then echo "installing system packages:$$missing"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "apt-get not found; tests needing$$missing will fail"; fi; \
	fi
	@test -f $(AXE) || npm ci --prefix tests/e2e --no-audit --no-fund --silent

run: $(STAMP)
	$(BIN)/standby run

demo: $(STAMP)
	$(BIN)/standby demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy services schemas

test: $(STAMP) sysdeps-test lint typecheck
	$(BIN)/pytest -q -n 2 --dist loadgroup --durations=15

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

integration: $(STAMP)
	$(BIN)/pytest -q tests/integration

e2e: $(STAMP) sysdeps-test
	$(BIN)/pytest -q tests/e2e

# The long chaos run (~8 min): 36 SIGKILLs (6 of the broker, 10 of the notifier mid fan-out,
# 5 of each other service), each followed by a new disaster.
chaos: $(STAMP)
	$(BIN)/python -m tests.e2e.chaos

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# The real system on PostgreSQL at a steady mixed load, retention at minutes: RSS, lag, tables,
# first-mail p99 per window. `make soak SOAK_MINUTES=6 SOAK_WINDOW=2` is a short run.
SOAK_MINUTES ?= 30
SOAK_WINDOW  ?= 5
soak: $(STAMP)
	$(BIN)/python -m tests.e2e.soak --minutes $(SOAK_MINUTES) --window $(SOAK_WINDOW)

schemas: $(STAMP)
	$(BIN)/standby schemas export schemas/jsonschema

compose-check:
	@if docker compose version >/dev/null 2>&1; then docker compose config --quiet; \
	elif command -v docker-compose >/dev/null 2>&1; then docker-compose config --quiet; \
	else $(SUDO) apt-get install -y -qq docker-compose >/dev/null && docker-compose config --quiet; fi
	@echo "docker-compose.yml is valid"

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
