#!/bin/bash
# usage: bench/cpu_pair.sh BIN_A BIN_B [SECONDS]
# Two fresh local clusters (3 followers, RF 3), one per binary; pgbench -i -s 1 on each, then
# pgbench TPC-B (8 clients) on both AT THE SAME TIME for SECONDS, so both builds see the same
# machine load.  pgbench logs in with each cluster's password (DIR/c/password: SCRAM).  Prints, per binary and process, CPU ms per transaction of its own cluster:
# user + system, then system alone; and the totals with tps.
S=${3:-15}
# PARALLEL_COMMITS=on|off: pgbench runs the built-in TPC-B script with `SET murphy.parallel_commits`
# first (bench/bench_txn.py's TPCB_PARALLEL: one more round trip per transaction, both builds);
# unset: the built-in script, the server's default.
# PGBENCH_ARGS: more pgbench options for the timed run, e.g. "-S" (point SELECTs by key, simple
# protocol) or "-S -M prepared".
SCRIPT=()
if [ -n "$PARALLEL_COMMITS" ]; then
	SCRIPT=(-f $(mktemp /tmp/cpupair-script.XXXXXX))
	/usr/bin/python3 -c "import sys; sys.path.insert(0, '$(dirname $0)'); import bench_txn; print(bench_txn.TPCB_PARALLEL % '$PARALLEL_COMMITS', end='')" > ${SCRIPT[1]}
fi
export PGSSLMODE=${PGSSLMODE:-disable} # as the PostgreSQL control: no TLS (bench/bench.py)
declare -a B D P
B[0]=$(readlink -f ${1:?binary A}); B[1]=$(readlink -f ${2:?binary B})
cleanup(){ for i in 0 1; do [ -n "${D[$i]}" ] && { ${B[$i]} local stop --dir ${D[$i]}/c >/dev/null 2>&1; rm -rf ${D[$i]}; }; done; }
trap 'cleanup; [ -n "${SCRIPT[1]}" ] && rm -f ${SCRIPT[1]}' EXIT
for i in 0 1; do
	D[$i]=$(mktemp -d /tmp/cpupair.XXXXXX)
	for t in 1 2 3; do # a random port may be taken: try another
		P[$i]=$(( 20000 + RANDOM % 20000 ))
		${B[$i]} local start --dir ${D[$i]}/c --followers 3 --pg-port ${P[$i]} >/dev/null 2>&1 && break
	done
	PGPASSWORD=$(cat ${D[$i]}/c/password) pgbench -i -s 1 -h 127.0.0.1 -p ${P[$i]} -U murphy murphy >/dev/null 2>&1
done
# WARMUP=SECONDS: pgbench runs on both clusters for that long before the measured run (a build
# made with a small -DSTOR_LOG_KEEP reaches its full shard logs there: replog.h).
if [ -n "$WARMUP" ]; then
	for i in 0 1; do PGPASSWORD=$(cat ${D[$i]}/c/password) pgbench -c 8 -j 2 -T $WARMUP -h 127.0.0.1 -p ${P[$i]} -U murphy murphy >/dev/null 2>&1 & done
	wait
fi
snap(){ for n in leader f1 f2 f3; do awk -v n=$n '{print n, $14, $15}' /proc/$(cat $1/c/$n/murphy.pid)/stat; done; }
# bytes each node wrote (write/pwrite/send: /proc/PID/io wchar), for IO=1
wsnap(){ for n in leader f1 f2 f3; do echo $n $(awk '/^wchar/ {print $2}' /proc/$(cat $1/c/$n/murphy.pid)/io); done; }
for i in 0 1; do snap ${D[$i]} > ${D[$i]}/before; wsnap ${D[$i]} > ${D[$i]}/wbefore; done
for i in 0 1; do PGPASSWORD=$(cat ${D[$i]}/c/password) pgbench -c 8 -j 2 -T $S $PGBENCH_ARGS "${SCRIPT[@]}" -h 127.0.0.1 -p ${P[$i]} -U murphy murphy > ${D[$i]}/pgb 2>&1 & done
wait
for i in 0 1; do snap ${D[$i]} > ${D[$i]}/after; wsnap ${D[$i]} > ${D[$i]}/wafter; done
for i in 0 1; do
	n=$(sed -n 's/.*number of transactions actually processed: \([0-9]*\).*/\1/p' ${D[$i]}/pgb)
	tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' ${D[$i]}/pgb)
	paste ${D[$i]}/before ${D[$i]}/after | awk -v n=$n -v b=$(basename ${B[$i]}) -v tps=$tps '
		{u = ($5 - $2) * 10; s = ($6 - $3) * 10; tu += u; ts += s
		 printf "%s %-7s %.3f ms/txn  sys %.3f\n", b, $1, (u + s) / n, s / n}
		END {printf "%s total   %.3f ms/txn  sys %.3f  tps %s  transactions %d\n", b, (tu + ts) / n, ts / n, tps, n}'
	# IO=1: KiB written per transaction by each node (files and sockets: a load-independent count)
	[ -n "$IO" ] && paste ${D[$i]}/wbefore ${D[$i]}/wafter | awk -v n=$n -v b=$(basename ${B[$i]}) '
		{printf "%s %-7s %.2f KiB written/txn\n", b, $1, ($4 - $2) / 1024 / n}'
done
