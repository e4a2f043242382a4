#!/usr/bin/env bash
# Stops everything `make run` started: the services, Kafka and PostgreSQL.
set -euo pipefail
source "$(dirname "$0")/env.sh"
for pidfile in "$KETEN_STATE"/services/*.pid; do
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile"); kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
done
"$KETEN_ROOT/infra/kafka/stop.sh"
"$KETEN_ROOT/infra/postgres/stop.sh"
