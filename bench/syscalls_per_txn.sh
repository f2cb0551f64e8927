#!/bin/bash
# usage: bench/syscalls_per_txn.sh MURPHY_BIN [SECONDS] [CLIENTS]
# Starts a fresh local cluster (3 followers, RF 3 defaults), pgbench -i -s 1,
# runs pgbench TPC-B and, for SECONDS in its middle, counts the system calls
# of the leader and of follower f1 with perf's syscall tracepoints (counting
# only: unlike strace it does not slow the processes down) and the CPU time
# each used.  Transactions in that window are counted exactly (rows added to
# pgbench_history), so the output is per transaction.  Needs perf with
# tracepoint access (root).  Also prints the context switches per transaction of
# every node (all threads, /proc/PID/task/*/status).
set -e
export PGSSLMODE=${PGSSLMODE:-disable} # as the PostgreSQL control: no TLS (bench/bench.py)
BIN=$(readlink -f ${1:?murphy binary}); S=${2:-8}; C=${3:-8}
D=$(mktemp -d /tmp/spt.XXXXXX)
trap "$BIN local stop --dir $D/c >/dev/null 2>&1; rm -rf $D" EXIT
source $(dirname $(readlink -f $0))/local_cluster.sh
local_cluster_start $BIN $D/c # sets PORT
export PGPASSWORD=$(cat $D/c/password) # SCRAM: the cluster's password
PSQL="psql -X -A -t -h 127.0.0.1 -p $PORT -U murphy murphy"
CALLS="read write writev readv sendmsg recvmsg epoll_wait epoll_ctl setsockopt fcntl pread64 pwrite64 fdatasync fsync clock_gettime futex"
EV="raw_syscalls:sys_enter"
for s in $CALLS; do EV="$EV,syscalls:sys_enter_$s"; done
cpu(){ awk '{print $14+$15}' /proc/$(cat $D/c/$1/murphy.pid)/stat; }
# context switches of every thread of node $1: "voluntary involuntary"
csw(){ cat /proc/$(cat $D/c/$1/murphy.pid)/task/*/status | awk '/^voluntary_ctxt/ {v += $2}
	/^nonvoluntary_ctxt/ {n += $2} END {print v, n}'; }
pgbench -i -s 1 -h 127.0.0.1 -p $PORT -U murphy murphy >/dev/null 2>&1
pgbench -c $C -j 2 -T $((S + 4)) -h 127.0.0.1 -p $PORT -U murphy murphy >$D/pgb 2>&1 &
PB=$!
sleep 1.5
h0=$($PSQL -c "SELECT count(*) FROM pgbench_history")
c0l=$(cpu leader); c0f=$(cpu f1)
for n in leader f1 f2 f3; do echo "$n $(csw $n)"; done >$D/csw0
for n in leader f1; do
	perf stat -x, -e "$EV" -o $D/$n.st -p $(cat $D/c/$n/murphy.pid) -- sleep $S &
done
wait %2 %3
h1=$($PSQL -c "SELECT count(*) FROM pgbench_history")
c1l=$(cpu leader); c1f=$(cpu f1)
for n in leader f1 f2 f3; do echo "$n $(csw $n)"; done >$D/csw1
wait $PB
n=$((h1 - h0))
echo "transactions counted: $n in ~${S}s; $(grep '^tps' $D/pgb)"
for p in leader f1; do
	[ $p = leader ] && c=$((c1l - c0l)) || c=$((c1f - c0f))
	awk -F, -v n=$n -v p=$p -v cpu=$c '$1 ~ /^[0-9]+$/ {name=$3; sub(/.*sys_enter_?/, "", name);
		if (name == "") {tot=$1} else if ($1/n >= 0.05) out=out sprintf(" %s %.1f", name, $1/n)}
		END {printf "%-7s cpu %.2f ms/txn  syscalls %.1f/txn:%s\n", p, cpu*10/n, tot/n, out}' $D/$p.st
done
paste $D/csw0 $D/csw1 | awk -v n=$n '{v = ($5 - $2) / n; i = ($6 - $3) / n; t += v + i
	out = out sprintf(" %s %.1f+%.1f", $1, v, i)}
	END {printf "context switches/txn (voluntary+involuntary, all threads):%s; total %.1f\n", out, t}'
