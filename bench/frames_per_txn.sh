#!/bin/bash
# usage: bench/frames_per_txn.sh MURPHY_BIN [SECONDS] [NODE]
# Starts a fresh local cluster (3 followers, RF 3 defaults), pgbench -i -s 1,
# runs pgbench TPC-B (8 clients) and, for SECONDS in its middle, straces NODE
# (leader, f1, f2 or f3) and counts per transaction (rows added to
# pgbench_history in that window): its socket reads and writes by peer, the
# frames in them by type (TASK:WRITE/APPLY/QUERY, RESULT:early/final), the
# pgwire messages it writes to clients, and how many events each epoll_wait
# returned (bench/frames_per_txn.py).  strace slows the traced process, so
# more frames share a read or write than without it: read the frame counts
# as exact, the read/write/epoll counts as a lower bound
# (bench/syscalls_per_txn.sh counts those without slowing anything).
set -e
export PGSSLMODE=${PGSSLMODE:-disable}
BIN=$(readlink -f ${1:?murphy binary}); S=${2:-4}; NODE=${3:-leader}
HERE=$(dirname $(readlink -f $0))
D=$(mktemp -d /tmp/fpt.XXXXXX)
for t in 1 2 3 4 5; do # a random port may be taken: try another
	PORT=$(( 20000 + RANDOM % 20000 ))
	$BIN local start --dir $D/c --followers 3 --pg-port $PORT >/dev/null 2>&1 && break
	rm -rf $D/c
done
export PGPASSWORD=$(cat $D/c/password)
trap "$BIN local stop --dir $D/c >/dev/null 2>&1; rm -rf $D" EXIT
PSQL="psql -X -A -t -h 127.0.0.1 -p $PORT -U murphy murphy"
pgbench -i -s 1 -h 127.0.0.1 -p $PORT -U murphy murphy >/dev/null 2>&1
pgbench -c 8 -j 2 -T $((S + 4)) -h 127.0.0.1 -p $PORT -U murphy murphy >$D/pgb 2>&1 &
PB=$!
sleep 1.5
PID=$(cat $D/c/$NODE/murphy.pid)
# the node of each listening port, then a label for each socket fd of PID:
# to-N (it dialed N), from-N (N dialed it), client (anything else accepted)
declare -A NODE_OF_PORT NODE_OF_PID
for n in leader f1 f2 f3; do
	p=$(cat $D/c/$n/murphy.pid); NODE_OF_PID[$p]=$n
	for lp in $(ss -tlnpH | grep "pid=$p," | awk '{print $4}' | sed 's/.*://'); do NODE_OF_PORT[$lp]=$n; done
done
ss -tnpH | grep "pid=$PID," | while read st rq sq loc rem proc; do
	fd=$(echo $proc | sed 's/.*fd=\([0-9]*\).*/\1/'); rport=${rem##*:}
	if [ -n "${NODE_OF_PORT[$rport]}" ]; then echo "$fd to-${NODE_OF_PORT[$rport]}"; continue; fi
	other=$(ss -tnpH | awk -v r=":$rport" '$4 ~ r"$" {print $6}' | sed 's/.*pid=\([0-9]*\).*/\1/' | head -1)
	if [ -n "$other" ] && [ -n "${NODE_OF_PID[$other]}" ]; then echo "$fd from-${NODE_OF_PID[$other]}"
	else echo "$fd client"; fi
done >$D/fdmap
h0=$($PSQL -c "SELECT count(*) FROM pgbench_history")
timeout $S strace -f -qq -xx -s 65536 -e trace=read,write,writev,epoll_wait,futex,fdatasync,pread64,pwrite64 \
	-p $PID -o $D/st 2>/dev/null || true
h1=$($PSQL -c "SELECT count(*) FROM pgbench_history")
wait $PB
/usr/bin/python3 $HERE/frames_per_txn.py $D/st $D/fdmap $((h1 - h0))
