#!/usr/bin/env bash
# Runs Keten's own PostgreSQL cluster on a fixed loopback port, with one database and one
# login role per service, and an admin role `keten` for tests, rebuilds and audits.
set -euo pipefail
source "$(dirname "$0")/../env.sh"
bin=$("$KETEN_ROOT/infra/postgres/install.sh" | tail -n 1)
dir="$KETEN_STATE/postgres"
data="$dir/data"
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$dir"
if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; chmod 755 "$KETEN_STATE"; fi
if [ ! -f "$data/PG_VERSION" ]; then
  run "$bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 > "$dir/initdb.log"
  cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '$PGHOST_ADDR'
port = $PGPORT
unix_socket_directories = '$dir'
max_connections = 300
shared_buffers = 256MB
fsync = on
synchronous_commit = on
timezone = 'UTC'
log_min_messages = warning
CONF
fi
if run "$bin/pg_ctl" -D "$data" status > /dev/null 2>&1; then
  echo "postgres: already running on $PGHOST_ADDR:$PGPORT"
else
  run "$bin/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 start > /dev/null
  echo "postgres: started on $PGHOST_ADDR:$PGPORT"
fi
psql_admin() { run "$bin/psql" -h "$dir" -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
ensure_role() {  # name password superuser?
  if [ -z "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$1'")" ]; then
    psql_admin -c "CREATE ROLE \"$1\" LOGIN PASSWORD '$2' $3"
  fi
}
ensure_role keten keten "SUPERUSER CREATEDB"
if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'keten'")" ]; then
  psql_admin -c "CREATE DATABASE keten OWNER keten"
fi
cd "$KETEN_ROOT" && uv run --frozen --quiet python infra/databases.py
