# Keten: `make run` starts the whole chain on this machine, `make test` checks all of it.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
ENV := source infra/env.sh &&
PYTEST_ARGS ?=
FUZZ_ARGS ?= --per-topic 10000 --sentinel-every 100

.PHONY: setup infra-up run test lint typecheck pytest bench bench-smoke fuzz down clean

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

# A chain of its own (broker, databases, services), so `make run`'s chain is left alone.
fuzz: infra-up
	@$(ENV) uv run --frozen python -m tests.fuzz.run --fresh-chain $(FUZZ_ARGS)

# The nemesis during demo simulations, >= 200 injections, and the checker (README, "Chaos").
CHAOS_ARGS ?=
.PHONY: chaos
chaos: infra-up
	@$(ENV) uv run --frozen python -m tests.chaos $(CHAOS_ARGS)

down:
	@$(ENV) infra/down.sh

clean: down
	rm -rf .state
