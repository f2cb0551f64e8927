# bench/local_cluster.sh — sourced by the bench scripts: local_cluster_start
# BIN DIR starts `BIN local start --dir DIR --followers 3` and sets PORT to
# its pgwire port.  The cluster listens on PORT .. PORT+4 (pgwire, then the
# nodes): a range free right now, below the kernel's ephemeral ports
# (tests/cluster/pgserver.py free_port); another process may still take
# one before the nodes bind it, so a failed start is stopped, removed and
# tried on another range, five times, then the last start's output is
# printed and the call fails (status 1).
LOCAL_CLUSTER_HERE=$(dirname $(readlink -f ${BASH_SOURCE[0]}))

local_cluster_start() {
	local bin=$1 dir=$2 t
	for t in 1 2 3 4 5; do
		PORT=$(/usr/bin/python3 -c "import sys
sys.path.insert(0, '$LOCAL_CLUSTER_HERE/../tests/cluster')
from pgserver import free_port; print(free_port(5))") || return 1
		$bin local start --dir $dir --followers 3 --pg-port $PORT >$dir.start.log 2>&1 &&
			{ rm -f $dir.start.log; return 0; }
		$bin local stop --dir $dir >/dev/null 2>&1 || true
		rm -rf $dir
	done
	echo "murphy local start failed on 5 port ranges:" >&2
	cat $dir.start.log >&2
	return 1
}
