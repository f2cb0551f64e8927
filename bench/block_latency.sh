#!/bin/bash
# usage: bench/block_latency.sh MURPHY_BIN [TRANSACTIONS]
# One client's mean latency (pgbench -n -c 1 -t N, ms) for short scripts
# over pgbench_accounts whose speed depends on when a follower makes a
# block's entries durable (follower/write_batch.c, "Sync later"): an
# autocommit UPDATE; BEGIN; UPDATE; END; an UPDATE then an UPDATE of the
# same row (the block's second write on the shard starts behind the
# first); an UPDATE then a SELECT of it; an UPDATE then ROLLBACK (the undo
# waits for the entry's every answer).  Each script twice, in turn.
set -e
export PGSSLMODE=${PGSSLMODE:-disable}
BIN=$(readlink -f ${1:?murphy binary}); N=${2:-300}
D=$(mktemp -d /tmp/blat.XXXXXX)
trap "$BIN local stop --dir $D/c >/dev/null 2>&1; rm -rf $D" EXIT
source $(dirname $(readlink -f $0))/local_cluster.sh
local_cluster_start $BIN $D/c # sets PORT
export PGPASSWORD=$(cat $D/c/password)
pgbench -i -s 1 -h 127.0.0.1 -p $PORT -U murphy murphy >/dev/null 2>&1
U='UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;'
A='\set aid random(1, 100000)'
printf '%s\n%s\n' "$A" "$U" >$D/auto.sql
printf '%s\nBEGIN;\n%s\nEND;\n' "$A" "$U" >$D/txn.sql
printf '%s\nBEGIN;\n%s\n%s\nEND;\n' "$A" "$U" "$U" >$D/twice.sql
printf '%s\nBEGIN;\n%s\nSELECT abalance FROM pgbench_accounts WHERE aid = :aid;\nEND;\n' "$A" "$U" >$D/select.sql
printf '%s\nBEGIN;\n%s\nROLLBACK;\n' "$A" "$U" >$D/rollback.sql
for round in 1 2; do
	for m in auto txn twice select rollback; do
		lat=$(pgbench -n -c 1 -t $N -f $D/$m.sql -h 127.0.0.1 -p $PORT -U murphy murphy 2>&1 |
			sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')
		echo "$m $lat"
	done
done | awk '{v[$1] = v[$1] " " $2} END {n = split("auto txn twice select rollback", k, " ");
	for (i = 1; i <= n; i++) printf "%-8s mean ms:%s\n", k[i], v[k[i]]}'
