#!/usr/bin/env bash
# Stops everything `make run` started: the services, Kafka and PostgreSQL.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$KETEN_ROOT/infra/services.sh" stop
"$KETEN_ROOT/infra/kafka/stop.sh"
"$KETEN_ROOT/infra/postgres/stop.sh"
