#!/usr/bin/env bash
# Installs what is missing on this machine: uv, the Python environment, the broker's jars and
# PostgreSQL. On a warm machine every step is a no-op check.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$KETEN_ROOT"
if ! command -v uv >/dev/null; then
  echo "setup: installing uv"
  python3 -m pip install -q uv
fi
uv sync --frozen --quiet --python python3.11
"$KETEN_ROOT/infra/kafka/install.sh"
"$KETEN_ROOT/infra/postgres/install.sh" > /dev/null
uv run --frozen python infra/keys.py "$KETEN_KEYS"
