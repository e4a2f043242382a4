#!/usr/bin/env bash
# Starts (or stops) the four services as background processes, logs in .state/services/,
# and waits until each answers /ready.   usage: infra/services.sh start|stop|status
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$KETEN_ROOT"
dir="$KETEN_STATE/services"
# Locally the chain runs simulations: timers follow the time of the messages (set `wall` for
# wall-clock time, as docker-compose.yml does).
export KETEN_CLOCK="${KETEN_CLOCK:-simulated}"
mkdir -p "$dir"
declare -A PORTS=([registration]=8081 [placement]=8082 [housing]=8083 [capacity]=8084)

start() {
  local svc=$1 port=${PORTS[$1]} pidfile="$dir/$1.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then return; fi
  local url_var
  url_var="$(echo "$svc" | tr a-z A-Z)_DATABASE_URL"
  # Only registration holds the private half of the dead-letter key (it redrives them).
  local private=""
  [ "$svc" = registration ] && private="$KETEN_DEAD_LETTER_PRIVATE_KEY_FILE"
  KETEN_DEAD_LETTER_PRIVATE_KEY="$private" DATABASE_URL="${!url_var}" HTTP_PORT="$port" nohup "$KETEN_ROOT/.venv/bin/python" \
    -m "keten.$svc" >> "$dir/$svc.log" 2>&1 < /dev/null &
  echo $! > "$pidfile"
}

wait_ready() {
  local svc=$1 port=${PORTS[$1]}
  for _ in $(seq 1 120); do
    if curl -fs "http://127.0.0.1:$port/ready" > /dev/null 2>&1; then
      echo "$svc: ready on http://127.0.0.1:$port (docs /docs, events /asyncapi.json)"; return 0
    fi
    kill -0 "$(cat "$dir/$svc.pid")" 2>/dev/null || break
    sleep 0.5
  done
  echo "$svc: not ready; see $dir/$svc.log" >&2; tail -n 20 "$dir/$svc.log" >&2; return 1
}

stop() {
  local pidfile="$dir/$1.pid"
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

case "${1:-}" in
  start) for s in $KETEN_SERVICES; do start "$s"; done
         for s in $KETEN_SERVICES; do wait_ready "$s"; done ;;
  stop) for s in $KETEN_SERVICES; do stop "$s"; done ;;
  status) for s in $KETEN_SERVICES; do
            if curl -fs "http://127.0.0.1:${PORTS[$s]}/ready" > /dev/null 2>&1; then
              echo "$s: running on http://127.0.0.1:${PORTS[$s]} (OpenAPI /docs, AsyncAPI /asyncapi.json)"
            else echo "$s: down"; fi; done ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
