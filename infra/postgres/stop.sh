#!/usr/bin/env bash
set -euo pipefail
source "$(dirname "$0")/../env.sh"
data="$KETEN_STATE/postgres/data"
[ -f "$data/postmaster.pid" ] || exit 0
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
run "$bin/pg_ctl" -D "$data" -m fast -w stop > /dev/null && echo "postgres: stopped"
