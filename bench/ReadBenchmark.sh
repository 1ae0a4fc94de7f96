#!/usr/bin/env bash
# Times reading the 60,000 MNIST training images (median of several runs after warm-up).
#   bench/ReadBenchmark.sh [runs]       needs MNIST (environment/fetch-data) and Maven's ~/.m2 filled
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -o -q -B test-compile -pl lib >/dev/null 2>&1 || mvn -q -B test-compile -pl lib >&2
cp_file=lib/target/bench-read.classpath
mvn -o -q -B dependency:build-classpath -pl lib -Dmdep.outputFile="$PWD/$cp_file" >/dev/null 2>&1 \
  || mvn -q -B dependency:build-classpath -pl lib -Dmdep.outputFile="$PWD/$cp_file" >&2
exec java -Xmx4g -Djava.awt.headless=true -cp "lib/target/test-classes:lib/target/classes:$(cat "$cp_file")" \
  featurealign.data.ReadBenchmark "$@"
