"""No read serves a change that never reached its write quorum
(docs/replication.md, invariant 3: no dirty reads).

The leader sends a scan of a shard only when no entry of the shard is
undecided, but it may start the shard's next write right after: the WRITE
goes to the primary on the same link, behind the QUERY.  On the follower a
QUERY waits for a thread of the pool while a small write runs at once on
the loop thread; the read must still not see a write that arrived after
it.

The setup makes that window seconds wide, with real processes:

- the followers run one pool thread (UV_THREADPOOL_SIZE=1), and a slow
  self-join of a second 1-shard table (co-located: same primary) holds it;
- both replicas of the 1-shard table t are stopped (SIGSTOP), so an insert
  cannot reach its quorum: the primary applies it, the leader undoes it
  when the replicas turn suspect, and the client gets an error;
- a count(*) of t is sent while the pool is busy, the insert right after.

The count must be the committed one: the insert was never acknowledged
and is gone afterwards.
"""
import io
import os
import signal
import threading
import time

import psycopg2
import pytest

from checker import wait_consistent
from conftest import Cluster, timer_args

SUSPECT_MS = 1000
DEAD_MS = 60000     # the stopped replicas turn suspect, never dead: no re-replication
SLOW_ROWS = 8000    # the self-join's size: a second or more on a shared machine
ROWS = 3
GAP_S = 0.2      # from the read to the insert


@pytest.fixture(scope="module")
def one_thread_cluster():
    saved = os.environ.get("UV_THREADPOOL_SIZE")
    os.environ["UV_THREADPOOL_SIZE"] = "1"  # the followers' pool: one task at a time
    c = Cluster(start_args=timer_args(SUSPECT_MS, DEAD_MS))
    try:
        c.start()
    finally:
        if saved is None:
            del os.environ["UV_THREADPOOL_SIZE"]
        else:
            os.environ["UV_THREADPOOL_SIZE"] = saved
    yield c
    c.cleanup()


def _by_role(rows):
    out = {}
    for node, role in rows:
        out.setdefault(role, []).append(node)
    return out


def run_in_thread(cluster, sql, out, key):
    def go():
        c = cluster.connect()
        t0 = time.monotonic()
        try:
            cur = c.cursor()
            cur.execute(sql)
            out[key] = cur.fetchall() if cur.description else None
        except psycopg2.Error as e:
            out[key] = e.pgcode
        out[key + "_s"] = time.monotonic() - t0
        c.close()
    th = threading.Thread(target=go)
    th.start()
    return th


def test_read_does_not_see_a_write_sent_after_it(one_thread_cluster):
    cluster = one_thread_cluster
    conn = cluster.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE dr_t (id bigint PRIMARY KEY, v bigint) WITH (shards = 1)")
    cur.execute("CREATE TABLE dr_slow (id bigint PRIMARY KEY, v bigint) WITH (shards = 1)")
    cur.execute("INSERT INTO dr_t VALUES (1, 1), (2, 2), (3, 3)")
    cur.copy_expert("COPY dr_slow FROM STDIN",
                    io.StringIO("".join("%d\t%d\n" % (i, i) for i in range(SLOW_ROWS))))
    cur.execute("SELECT node, role FROM murphy.placements WHERE table_name = 'dr_t'")
    t_roles = _by_role(cur.fetchall())
    cur.execute("SELECT node, role FROM murphy.placements WHERE table_name = 'dr_slow'")
    slow_roles = _by_role(cur.fetchall())
    assert t_roles["primary"] == slow_roles["primary"], (t_roles, slow_roles)
    replicas = [cluster.pid(n) for n in t_roles["replica"]]
    assert len(replicas) == 2
    # every copy at the committed entry, so reads go to the primary (a row
    # insert is decided by the first two copies: the primary may answer later)
    deadline = time.time() + 10
    while True:
        cur.execute("SELECT count(*) FROM murphy.placements WHERE table_name IN "
                    "('dr_t', 'dr_slow') AND (state <> 'current' OR lag <> 0)")
        if cur.fetchone()[0] == 0:
            break
        assert time.time() < deadline, "copies of dr_t/dr_slow not current"
        time.sleep(0.05)

    out = {}
    # the primary's one pool thread: busy for a second or more
    slow = run_in_thread(cluster, "SELECT count(*) FROM dr_slow a JOIN dr_slow b "
                         "ON a.v + b.v = -1", out, "slow")
    time.sleep(0.3)
    for pid in replicas:
        os.kill(pid, signal.SIGSTOP)
    try:
        read = run_in_thread(cluster, "SELECT count(*) FROM dr_t", out, "read")
        time.sleep(GAP_S)  # the QUERY is on its way, queued behind the join
        write = run_in_thread(cluster, "INSERT INTO dr_t VALUES (100, 100)", out, "write")
        for th in (slow, read, write):
            th.join(timeout=60)
    finally:
        for pid in replicas:
            os.kill(pid, signal.SIGCONT)
    assert out["slow"] == [(0,)], out
    # the read was still waiting for the pool when the insert went out: it
    # answered after the gap before the insert (else the test showed nothing)
    assert out["read_s"] > GAP_S + 0.05, "the read did not wait for the pool: %r" % out
    # the insert never reached its quorum: undone, not acknowledged
    assert out["write"] in ("40003", "08006"), out
    assert out["read"] == [(ROWS,)], "the read saw an insert that was undone: %r" % out
    wait_consistent(cluster, conn, timeout=30, replicas=cluster.followers, tables={"dr_t"})
    cur.execute("SELECT id FROM dr_t ORDER BY id")
    assert cur.fetchall() == [(1,), (2,), (3,)]
    conn.close()
