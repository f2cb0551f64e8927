#!/bin/bash
# usage: bench/lock_timeline.sh BIN [SECONDS]
# One fresh local cluster (3 followers, RF 3) with MURPHY_TRACE on, pgbench -i -s 1, then
# pgbench TPC-B (8 clients) for SECONDS; prints the hot (branch) shard's lock timeline
# (bench/lock_timeline.py).  The trace costs a write(2) per event: compare hops, not TPS.
S=${2:-8}
BIN=$(readlink -f ${1:?binary})
D=$(mktemp -d /tmp/locktl.XXXXXX)
export PGSSLMODE=disable MURPHY_TRACE=$D/trace
trap '$BIN local stop --dir $D/c >/dev/null 2>&1; rm -rf $D' EXIT
for t in 1 2 3; do
	P=$(( 20000 + RANDOM % 20000 ))
	$BIN local start --dir $D/c --followers 3 --pg-port $P >/dev/null 2>&1 && break
done
export PGPASSWORD=$(cat $D/c/password)
pgbench -i -s 1 -h 127.0.0.1 -p $P -U murphy murphy >/dev/null 2>&1
now(){ /usr/bin/python3 -c 'import time; print(int(time.monotonic() * 1e6))'; }
T0=$(now)
pgbench -c 8 -j 2 -T $S -h 127.0.0.1 -p $P -U murphy murphy 2>&1 | grep -E '^tps|failed'
T1=$(now)
/usr/bin/python3 $(dirname $0)/lock_timeline.py $D/trace $T0 $T1
