#!/bin/bash
# usage: bench/parse_walk.sh TREE_A TREE_B [ROUNDS] [ITERATIONS]
# The parse path's tree walks (bench/parse_walk.c: a parse-cache hit, a lifted parse, pgc_wants,
# sql_tree_any) timed for two source trees, each already built (`make all`: TREE/build/obj). The
# bench is linked against each tree's objects and the two run in turn ROUNDS times (default 5),
# so both see the same machine load; prints each round's ns/call and the median ratio B/A.
# Example: a checkout of main at /tmp/base and this worktree:
#   bench/parse_walk.sh /tmp/base . 5
set -e
A=$(readlink -f ${1:?tree A}); B=$(readlink -f ${2:?tree B}); R=${3:-5}; N=${4:-200}
HERE=$(dirname $(readlink -f $0))
OUT=$(mktemp -d /tmp/parse_walk.XXXXXX)
trap 'rm -rf $OUT' EXIT
LIBS="-lpg_query $(pkg-config --libs libuv sqlite3 libxxhash libprotobuf-c libssl libcrypto gmp) -lm -lpthread"
for t in A B; do
	dir=${!t}
	objs=$(find $dir/build/obj -name '*.o' ! -path '*/node/main.o' ! -path '*/tests_lib/*' | sort)
	cc -O2 -std=c11 -D_GNU_SOURCE -I$dir/src -o $OUT/$t $HERE/parse_walk.c $objs $LIBS
done
for i in $(seq $R); do
	for t in A B; do $OUT/$t $N | sed "s/^/$t $i /"; done
done | tee $OUT/all
echo "median ns/call, B/A:"
for k in parse lift wants any; do
	a=$(awk -v k=$k '$1=="A" && $3==k {print $4}' $OUT/all | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
	b=$(awk -v k=$k '$1=="B" && $3==k {print $4}' $OUT/all | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
	echo "$k A $a B $b ratio $(awk -v a=$a -v b=$b 'BEGIN {printf "%.3f", b / a}')"
done
