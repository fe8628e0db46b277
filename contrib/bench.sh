#!/bin/sh
# make bench: the benchmarks that exist so far, one table of figures.
set -eu
cd "$(dirname "$0")/.."
POLLUX=./pollux python3 contrib/bench-load.py "${BENCH_POSTS:-10000}"
