"""The rebalancer (issue 18, "Rebalance"; replication/repl_rebalance.c,
replication/repl_move.c): moves that survive a leader restart, the
automatic rebalancer, plans by load.

Real processes.  Moves are throttled (murphy.move_max_mbps) so that one is
still copying when the test kills something; tables stay small.
"""
import time

import pytest

import checker
from conftest import owned_cluster, timer_args
from test_failures import wait_state
from test_move import (PRELOAD, create, holders, move_rows, pick_move, rows,
                       start_throttled_move, wait_copying, wait_file_gone)

SUSPECT_MS = 1000
DEAD_MS = 2500


@pytest.fixture
def rc(request):
    yield from owned_cluster(request, 4, timer_args(SUSPECT_MS, DEAD_MS))


def wait_leader(cluster, timeout=20):
    deadline = time.time() + timeout
    while True:
        try:
            conn = cluster.connect()
            rows(conn, "SELECT count(*) FROM murphy.placements")
            return conn
        except Exception:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def test_leader_killed_mid_move_aborts_it_cleanly(rc):
    """The move's intent is durable: the restarted leader settles it (the
    copy was not switched in: the move aborts, the target's placement and
    file go) instead of keeping the target's copy as a third one."""
    conn = rc.connect()
    create(conn, shards=1, replicas=2)
    src, dst = pick_move(conn, "t", 0, "primary")
    th, box = start_throttled_move(rc, "t", 0, src, dst, 0.5)
    wait_copying(conn)
    assert dst in holders(conn, "t", 0)
    rc.kill9("leader")
    th.join(timeout=30)
    rc.start()
    conn = wait_leader(rc)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO t VALUES (1, 1, 'after')")
    checker.wait_consistent(rc, conn, replicas=2)
    h = holders(conn, "t", 0)
    assert sorted(h) == sorted(n for n in h if n != dst) and dst not in h and src in h, h
    assert len(h) == 2, h                       # no extra copy
    moved = move_rows(conn)
    print(moved)
    assert [(m[1], m[2], m[3], m[10]) for m in moved] == [(0, src, dst, "aborted")], moved
    assert "leader restarted" in moved[0][11], moved
    wait_file_gone(rc, "t", 0, dst, timeout=20)    # its partial copy is dropped
    assert rows(conn, "SELECT count(*) FROM t") == [(PRELOAD + 1,)]
    # the shard can move again
    assert rows(conn, "SELECT murphy.move_placement('t', 0, %s, %s)", (src, dst))[0][0] \
        .startswith("shard 0 of t moved")
    checker.wait_consistent(rc, conn, replicas=2)
