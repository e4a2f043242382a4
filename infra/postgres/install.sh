#!/usr/bin/env bash
# Installs Debian's PostgreSQL server when no server binary is found.
set -euo pipefail
source "$(dirname "$0")/../env.sh"
find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
bin=$(find_bin)
if [ -z "$bin" ] || [ ! -x "$bin/postgres" ]; then
  echo "postgres: installing Debian's postgresql package"
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql
  bin=$(find_bin)
fi
echo "$bin"
