#!/bin/bash
# usage: bench/follower_syncs_per_txn.sh MURPHY_BIN [SECONDS] [CLIENTS]
# What a TPC-B transaction costs the three followers in write batches: a
# fresh local cluster (3 followers, RF 3), pgbench -i -s 1, pgbench TPC-B
# and, for SECONDS in its middle (steady state), perf's syscall tracepoints
# (counting only; root) on f1, f2 and f3: fdatasync (one per write batch
# that logged anything: follower/write_batch.c), write (socket answers and
# the follower WAL's group write), epoll_wait (wakeups); and the context
# switches of every thread of each.  Per transaction (rows added to
# pgbench_history in that window), each follower and their sum.  Counts do
# not move with the machine's load as times do: compare two builds with
# them (bench/syscalls_per_txn.sh has the leader's and f1's every call).
set -e
export PGSSLMODE=${PGSSLMODE:-disable} # as the PostgreSQL control: no TLS (bench/bench.py)
BIN=$(readlink -f ${1:?murphy binary}); S=${2:-8}; C=${3:-8}
D=$(mktemp -d /tmp/fsp.XXXXXX)
trap "$BIN local stop --dir $D/c >/dev/null 2>&1; rm -rf $D" EXIT
source $(dirname $(readlink -f $0))/local_cluster.sh
local_cluster_start $BIN $D/c # sets PORT
export PGPASSWORD=$(cat $D/c/password) # SCRAM: the cluster's password
PSQL="psql -X -A -t -h 127.0.0.1 -p $PORT -U murphy murphy"
EV="syscalls:sys_enter_fdatasync,syscalls:sys_enter_write,syscalls:sys_enter_epoll_wait"
csw(){ cat /proc/$(cat $D/c/$1/murphy.pid)/task/*/status | awk '/ctxt_switches/ {n += $2} END {print n}'; }
pgbench -i -s 1 -h 127.0.0.1 -p $PORT -U murphy murphy >/dev/null 2>&1
pgbench -c $C -j 2 -T $((S + 5)) -h 127.0.0.1 -p $PORT -U murphy murphy >$D/pgb 2>&1 &
PB=$!
sleep 2.5
h0=$($PSQL -c "SELECT count(*) FROM pgbench_history")
for n in f1 f2 f3; do echo "$n $(csw $n)"; done >$D/csw0
for n in f1 f2 f3; do
	perf stat -x, -e "$EV" -o $D/$n.st -p $(cat $D/c/$n/murphy.pid) -- sleep $S &
done
wait %2 %3 %4
h1=$($PSQL -c "SELECT count(*) FROM pgbench_history")
for n in f1 f2 f3; do echo "$n $(csw $n)"; done >$D/csw1
wait $PB
n=$((h1 - h0))
echo "transactions counted: $n in ~${S}s; $(grep '^tps' $D/pgb)"
for f in f1 f2 f3; do
	c=$(paste $D/csw0 $D/csw1 | awk -v f=$f '$1 == f {print $4 - $2}')
	awk -F, -v n=$n -v f=$f -v c=$c '$1 ~ /^[0-9]+$/ {name=$3; sub(/.*sys_enter_/, "", name); v[name] = $1/n}
		END {printf "%s fdatasync %.3f  write %.3f  epoll_wait %.3f  switches %.3f\n",
		     f, v["fdatasync"], v["write"], v["epoll_wait"], c/n}' $D/$f.st
done | tee $D/out
awk '{s += $3; w += $5; e += $7; c += $9} END {printf "f1+f2+f3 fdatasync %.3f  write %.3f  epoll_wait %.3f  switches %.3f\n", s, w, e, c}' $D/out
