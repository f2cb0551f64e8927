#!/bin/bash
# usage: bench/syscalls_per_txn.sh MURPHY_BIN [SECONDS] [CLIENTS]
# Starts a fresh local cluster (3 followers, RF 3 defaults), pgbench -i -s 1,
# runs pgbench TPC-B and, for SECONDS in its middle, counts the system calls of
# the leader and of follower f1 (strace -c -f).  Transactions in that window
# are counted exactly (rows added to pgbench_history), so the output is
# calls per transaction.  strace slows the traced processes several times:
# compare binaries with this, measure CPU and tps with cpu_per_txn.sh.
set -e
BIN=$(readlink -f ${1:?murphy binary}); S=${2:-5}; C=${3:-8}
D=$(mktemp -d /tmp/spt.XXXXXX); PORT=$(( 20000 + RANDOM % 20000 ))
$BIN local start --dir $D/c --followers 3 --pg-port $PORT >/dev/null
trap "$BIN local stop --dir $D/c >/dev/null 2>&1; rm -rf $D" EXIT
PSQL="psql -X -A -t -h 127.0.0.1 -p $PORT -U murphy murphy"
pgbench -i -s 1 -h 127.0.0.1 -p $PORT -U murphy murphy >/dev/null 2>&1
pgbench -c $C -j 2 -T $((S + 4)) -h 127.0.0.1 -p $PORT -U murphy murphy >$D/pgb 2>&1 &
PB=$!
sleep 1.5
h0=$($PSQL -c "SELECT count(*) FROM pgbench_history")
for n in leader f1; do
	timeout -s INT $S strace -c -f -o $D/$n.st -p $(cat $D/c/$n/murphy.pid) 2>/dev/null &
done
wait %2 %3 2>/dev/null || true
h1=$($PSQL -c "SELECT count(*) FROM pgbench_history")
wait $PB
n=$((h1 - h0))
echo "transactions traced: $n (over ~${S}s incl. the psql counts)"
for p in leader f1; do
	awk -v n=$n -v p=$p '$1 ~ /^[0-9.]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" {c[$NF]=$4; t+=$4}
		END {printf "%-7s total %6.1f /txn:", p, t/n;
		     for (k in c) if (c[k]/n >= 0.2) printf " %s %.1f", k, c[k]/n; printf "\n"}' $D/$p.st
done
