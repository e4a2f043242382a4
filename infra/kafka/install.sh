#!/usr/bin/env bash
# Resolves the pinned Apache Kafka broker jars from Maven Central into the state folder.
set -euo pipefail
source "$(dirname "$0")/../env.sh"
libs="$KETEN_STATE/kafka/libs-$KAFKA_VERSION"
if [ -f "$libs/kafka_2.13-$KAFKA_VERSION.jar" ]; then exit 0; fi
command -v java >/dev/null || { apt-get update -q && apt-get install -y -q openjdk-17-jre-headless; }
command -v mvn >/dev/null || { apt-get update -q && apt-get install -y -q maven; }
echo "kafka: resolving kafka_2.13 $KAFKA_VERSION from Maven Central"
mkdir -p "$libs.tmp"
mvn -q -B -f "$KETEN_ROOT/infra/kafka/pom.xml" dependency:copy-dependencies \
  -Dkafka.version="$KAFKA_VERSION" -DincludeScope=runtime -DoutputDirectory="$libs.tmp"
rm -rf "$libs" && mv "$libs.tmp" "$libs"
