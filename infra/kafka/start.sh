#!/usr/bin/env bash
# Starts the single-node KRaft broker in the background (formatting its storage once).
set -euo pipefail
source "$(dirname "$0")/../env.sh"
"$KETEN_ROOT/infra/kafka/install.sh"
dir="$KETEN_STATE/kafka"
libs="$dir/libs-$KAFKA_VERSION"
pidfile="$dir/kafka.pid"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "kafka: already running (pid $(cat "$pidfile"))"; exit 0
fi
mkdir -p "$dir/data"
sed -e "s#@PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
  -e "s#@DATA@#$dir/data#g" "$KETEN_ROOT/infra/kafka/server.properties.in" > "$dir/server.properties"
java_opts=(-Xms256m -Xmx768m -Dlog4j2.configurationFile="$KETEN_ROOT/infra/kafka/log4j2.properties"
  -Dketen.kafka.log="$dir/kafka.log")
if [ ! -f "$dir/data/meta.properties" ]; then
  cluster_id=$(java "${java_opts[@]}" -cp "$libs/*" kafka.tools.StorageTool random-uuid)
  java "${java_opts[@]}" -cp "$libs/*" kafka.tools.StorageTool format \
    -t "$cluster_id" -c "$dir/server.properties" >> "$dir/kafka.log"
fi
nohup java "${java_opts[@]}" -cp "$libs/*" kafka.Kafka "$dir/server.properties" \
  >> "$dir/kafka.out" 2>&1 < /dev/null &
echo $! > "$pidfile"
echo "kafka: started $KAFKA_VERSION (pid $!) on $KAFKA_BOOTSTRAP_SERVERS"
