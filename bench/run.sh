#!/bin/sh
# Benchmark murphy against PostgreSQL 15 and SQLite (see bench/bench.py).
#   bench/run.sh                  10M rows, 3 followers, pgbench 8 clients 10 s
#   bench/run.sh --rows 1000000   a quicker run
set -eu
cd "$(dirname "$0")/.."
[ -x build/murphy ] || make
exec /usr/bin/python3 bench/bench.py "$@"
