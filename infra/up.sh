#!/usr/bin/env bash
# Starts PostgreSQL and Kafka, waits until both answer, and creates the topics.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$KETEN_ROOT"
"$KETEN_ROOT/infra/postgres/start.sh"
"$KETEN_ROOT/infra/kafka/start.sh"
uv run --frozen --quiet python infra/topics.py
