#!/bin/bash
# usage: bench/fsyncs_per_txn.sh MURPHY_BIN [TRANSACTIONS]
# What one client's one-row UPDATE costs the three followers, in autocommit
# and in BEGIN; UPDATE; END (a single-shard transaction: its entry, then its
# commit marker), counted exactly with perf's syscall tracepoints (counting
# only; root): fdatasync (the follower WAL's group fsyncs), pwrite64 (SQLite
# WAL frames and follower-WAL records), summed over f1-f3, per transaction,
# and pgbench's mean latency.  Counts, unlike times, do not move with the
# machine's load, so two builds compare on a shared machine.
set -e
export PGSSLMODE=${PGSSLMODE:-disable} # as the PostgreSQL control: no TLS (bench/bench.py)
BIN=$(readlink -f ${1:?murphy binary}); N=${2:-300}
D=$(mktemp -d /tmp/fpt.XXXXXX)
trap "$BIN local stop --dir $D/c >/dev/null 2>&1; rm -rf $D" EXIT
source $(dirname $(readlink -f $0))/local_cluster.sh
local_cluster_start $BIN $D/c # sets PORT
export PGPASSWORD=$(cat $D/c/password) # SCRAM: the cluster's password
pgbench -i -s 1 -h 127.0.0.1 -p $PORT -U murphy murphy >/dev/null 2>&1
printf '\\set aid random(1, 100000)\nUPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;\n' >$D/auto.sql
printf '\\set aid random(1, 100000)\nBEGIN;\nUPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;\nEND;\n' >$D/txn.sql
EV="syscalls:sys_enter_fdatasync,syscalls:sys_enter_pwrite64"
for mode in auto txn auto txn; do
	pids=""
	for n in f1 f2 f3; do
		perf stat -x, -e "$EV" -o $D/$mode.$n.st -p $(cat $D/c/$n/murphy.pid) &
		pids="$pids $!"
	done
	sleep 0.5
	lat=$(pgbench -n -c 1 -t $N -f $D/$mode.sql -h 127.0.0.1 -p $PORT -U murphy murphy 2>&1 |
		sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')
	kill -INT $pids; wait $pids 2>/dev/null || true
	cat $D/$mode.f?.st | awk -F, -v n=$N -v m=$mode -v lat=$lat '$1 ~ /^[0-9]+$/ {
		name=$3; sub(/.*sys_enter_/, "", name); c[name] += $1}
		END {printf "%-4s latency %s ms  per transaction over f1-f3: fdatasync %.2f  pwrite64 %.2f\n",
		     m, lat, c["fdatasync"]/n, c["pwrite64"]/n}'
done
