# AI Gym learning-programs backend. `make help` lists every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/uv/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
BUF := $(TOOLS)/node/node_modules/.bin/buf
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy

.PHONY: help install protos protos-check buf-lint lint format typecheck test test-unit test-integration test-e2e run token bench deploy-render deploy-check clean

help: ## List every target
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(UV):
	@$(PYTHON) -m venv $(TOOLS)/uv
	@$(TOOLS)/uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) uv.lock pyproject.toml libs/*/pyproject.toml services/*/pyproject.toml gateway/pyproject.toml
	@$(UV) sync --frozen --all-packages --all-extras --python $(PYTHON) --quiet
	@touch $@

install: $(VENV)/.synced ## Create .venv with every locked dependency (run by the other targets)

$(BUF): tools/package.json tools/package-lock.json
	@mkdir -p $(TOOLS)/node && cp tools/package.json tools/package-lock.json $(TOOLS)/node/
	@cd $(TOOLS)/node && npm ci --no-audit --no-fund --silent

protos: install ## Regenerate Python/gRPC modules, .pyi stubs and the Envoy descriptor set from protos/
	@$(PY) tools/protos.py

protos-check: install ## Fail if committed generated code differs from a fresh generation
	@$(PY) tools/protos.py --check

buf-lint: install ## Lint protos/ with buf (Google API design rules); needs npm
	@if command -v npm >/dev/null; then \
		$(MAKE) --no-print-directory $(BUF) && \
		$(PY) tools/protos.py --image $(TOOLS)/buf-image.binpb >/dev/null && \
		cd protos && ../$(BUF) lint ../$(TOOLS)/buf-image.binpb --path aigym; \
	else echo "buf-lint: npm not found, skipping buf lint (install Node.js to run it)"; fi

lint: install buf-lint ## ruff lint + format check, import-linter contracts, buf lint
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/lint-imports --no-cache

format: install ## Apply ruff fixes and formatting
	@$(VENV)/bin/ruff check --fix .
	@$(VENV)/bin/ruff format .

typecheck: install ## mypy --strict on libs, gateway, services, tools and deploy (generated code excluded)
	@$(VENV)/bin/mypy libs/platform/aigym_platform gateway/aigym_gateway services/programs/aigym_programs services/progress/aigym_progress services/analytics/aigym_analytics services/achievements/aigym_achievements services/calendar/aigym_calendar tools deploy

test-unit: install ## Unit tests only (no servers)
	@$(VENV)/bin/pytest -m "not e2e" -k unit

test: install protos-check lint typecheck ## Everything CI runs: drift check, lint, typecheck, all test tiers
	@$(VENV)/bin/pytest

run: install ## Start the whole suite (embedded PostgreSQL/Redis unless AIGYM_*_URL set) + Envoy
	@$(VENV)/bin/aigym-dev run $(if $(DEMO),--demo,)

token: install ## Print a dev JWT: make token TENANT=<uuid> USER=<id> ROLE=<role>
	@$(VENV)/bin/aigym-token --tenant "$(TENANT)" --user "$(if $(filter command line,$(origin USER)),$(USER),)" --role "$(ROLE)"

bench: install ## Run the benchmarks under bench/ (results as ratios; see docs/benchmarks.md)
	@$(PY) bench/run.py

deploy-render: install ## Re-render deploy/k8s/base and the overlays' gateway configs from deploy/catalogue.py
	@$(PY) deploy/render.py

deploy-check: install ## Offline Kubernetes checks: rendering fresh, schemas, manifest rules, Dockerfile lint, rolling restart
	@$(VENV)/bin/pytest deploy/tests -q

clean: ## Remove the virtualenv and tool caches (keeps .data)
	rm -rf $(VENV) $(TOOLS)
