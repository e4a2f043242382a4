# Keten: `make run` starts the whole chain on this machine, `make test` checks all of it.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
ENV := source infra/env.sh &&
PYTEST_ARGS ?=

.PHONY: setup infra-up run test lint typecheck pytest bench bench-smoke down clean

setup:
	@$(ENV) infra/setup.sh

infra-up: setup
	@$(ENV) infra/up.sh

run: infra-up
	@$(ENV) infra/services.sh start
	@$(ENV) uv run --frozen keten simulate --scenario demo --seed 1
	@$(ENV) infra/services.sh status
	@$(ENV) echo "keten: up (Kafka $$KAFKA_BOOTSTRAP_SERVERS, PostgreSQL 127.0.0.1:$$PGPORT); stop with make down"

lint: setup
	@$(ENV) uv run --frozen ruff check . && uv run --frozen ruff format --check .

typecheck: setup
	@$(ENV) uv run --frozen mypy libs services apps tests infra bench

pytest: infra-up
	@$(ENV) uv run --frozen pytest $(PYTEST_ARGS)

test: lint typecheck pytest bench-smoke

bench: infra-up
	@$(ENV) uv run --frozen python -m bench

bench-smoke: infra-up
	@$(ENV) uv run --frozen python -m bench --smoke

down:
	@$(ENV) infra/down.sh

clean: down
	rm -rf .state
