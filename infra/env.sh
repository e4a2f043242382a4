# Settings shared by the infra scripts, the Makefile and the tests. Source it; override by env.
KETEN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KETEN_STATE="${KETEN_STATE:-$KETEN_ROOT/.state}"
KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_BOOTSTRAP_SERVERS="${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:$KAFKA_PORT}"
KETEN_PARTITIONS="${KETEN_PARTITIONS:-3}"
PGPORT="${PGPORT:-55432}"
PGHOST_ADDR="${PGHOST_ADDR:-127.0.0.1}"
KETEN_SERVICES="registration placement housing capacity"
KETEN_ADMIN_DATABASE_URL="${KETEN_ADMIN_DATABASE_URL:-postgresql://keten:keten@$PGHOST_ADDR:$PGPORT/keten}"
# The deployment's keys (infra/keys.py): every service seals dead letters with the public half.
KETEN_KEYS="${KETEN_KEYS:-$KETEN_STATE/keys}"
KETEN_DEAD_LETTER_PUBLIC_KEY="${KETEN_DEAD_LETTER_PUBLIC_KEY:-$KETEN_KEYS/dead-letters.pub}"
KETEN_DEAD_LETTER_PRIVATE_KEY_FILE="${KETEN_DEAD_LETTER_PRIVATE_KEY_FILE:-$KETEN_KEYS/dead-letters.key}"
export KETEN_KEYS KETEN_DEAD_LETTER_PUBLIC_KEY KETEN_DEAD_LETTER_PRIVATE_KEY_FILE
export KETEN_ROOT KETEN_STATE KAFKA_VERSION KAFKA_BOOTSTRAP_SERVERS KETEN_PARTITIONS PGPORT \
  KETEN_ADMIN_DATABASE_URL
for _svc in $KETEN_SERVICES; do
  _var="$(echo "$_svc" | tr a-z A-Z)_DATABASE_URL"
  [ -n "${!_var:-}" ] || printf -v "$_var" '%s' "postgresql://$_svc:$_svc@$PGHOST_ADDR:$PGPORT/$_svc"
  export "${_var?}"
done
unset _svc _var
