#!/bin/sh
# Runs the cgtier-policyd benchmarks (see cgtier-bench.c); one result per
# line, prefixed "bench:". Usage: bench/run.sh BUILD_DIR
set -eu
B=${1:-build}
exec "$B/bench/cgtier-bench" "$B/cgtier-policyd"
