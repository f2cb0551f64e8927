"""The next holder of a shard's lock starts behind a decided marker
(docs/decisions.md, "The next holder behind a decided marker"; issue 16).

A two-shard transaction A is held right after its decision is recorded
(MURPHY_FAULT_POINT=txn_hold_after_decision), while B's UPDATE of a row on
one of A's shards waits for the shard's lock.  While the commit is held
the two copies of that shard other than its primary are stopped
(SIGSTOP: their links stay up, so A's markers are sent to them when the
hold ends and stay out).  B's UPDATE then starts behind A's marker on the primary and is
answered there, before the marker is at its quorum.

- the copies are killed: A's marker misses its quorum.  A is committed
  (its decision is durable): its client hears COMMIT with the notice the
  marker retry gives; B's write was built on the marker, so B is doomed:
  its COMMIT fails (40000), and once the copies are back every copy holds
  A and nothing of B.
- the copies are let go on (SIGCONT): both commit, B after A.

A commits with `murphy.parallel_commits = off`: only a recorded decision
sends commit markers on the COMMIT's path.  By parallel commits (the
default) A hands its locks on at its staging markers' send and sends no
marker: the same step is test_txn_stagehold.py's.
"""
import os
import signal
import time

import psycopg2
import pytest

import checker
from conftest import leader_log, owned_cluster, timer_args, wait_log
from test_txn_atomic import ids_on_copies, scalar, two_shard_ids
from test_txn_crash import mode_connect, setup_table
from test_txn_crash_hold import outcome_of, primary_node, start_leader_holding, wait_held
from txn_hold import Call

# the stopped copies must not be suspected while the test holds them (a
# suspect copy is not waited for: the marker would fail at once, unsent)
SUSPECT_MS = 8000
DEAD_MS = 60000


@pytest.fixture
def nc(request):
    yield from owned_cluster(request, 3, timer_args(SUSPECT_MS, DEAD_MS))


def a_out_b_behind(nc, table):
    """A (two shards, decided) held; B's UPDATE of A's row on shard(a)
    waiting; the hold ends with shard(a)'s two non-primary copies stopped.
    Returns (a_id, b_id, txid A, A's commit thread, B's conn, B's UPDATE
    thread, the stopped nodes)."""
    setup_table(nc, table)
    conn = nc.connect()
    a_id, b_id = two_shard_ids(conn, table)
    primary = primary_node(conn, table, a_id)
    conn.close()
    others = [n for n in nc.node_names() if n not in ("leader", primary)]
    assert len(others) == 2, others
    start_leader_holding(nc)
    a = mode_connect(nc, "off")  # the recorded decision's markers (module doc)
    txid = scalar(a, "SELECT txid_current()")
    with a.cursor() as cur:
        cur.execute("UPDATE %s SET v = 7 WHERE id IN (%d, %d)" % (table, a_id, b_id))
    a_commit = Call(a.commit)
    a_commit.start()
    wait_held(nc, txid)
    b = nc.connect(autocommit=False)
    scalar(b, "SELECT txid_current()")
    b_update = Call(lambda: b.cursor().execute(
        "UPDATE %s SET v = 8 WHERE id = %d" % (table, a_id)))
    b_update.start()
    time.sleep(0.3)
    assert b_update.outcome is None, b_update.outcome  # it waits for A's lock
    # stop the copies while the commit is held (nothing goes to them
    # meanwhile; the hold and the tick take ~3.5 s, well inside SUSPECT_MS):
    # A's markers are sent to them when the hold ends and stay out
    for n in others:
        os.kill(nc.pid(n), signal.SIGSTOP)
    assert "fault point: transaction %d goes on" % txid not in leader_log(nc)
    wait_log(nc, "fault point: transaction %d goes on" % txid, timeout=10)
    return a_id, b_id, txid, a, a_commit, b, b_update, others


def let_go(cluster, nodes):
    """SIGCONT whatever a failed test left stopped (teardown must not hang)."""
    for n in nodes:
        try:
            os.kill(cluster.pid(n), signal.SIGCONT)
        except Exception:
            pass


def test_next_holder_doomed_when_the_marker_it_followed_fails(nc):
    table = "nh_fail"
    a_id, b_id, txid, a, a_commit, b, b_update, others = a_out_b_behind(nc, table)
    try:
        doomed_next_holder(nc, table, a_id, b_id, txid, a, a_commit, b, b_update, others)
    finally:
        let_go(nc, others)


def doomed_next_holder(nc, table, a_id, b_id, txid, a, a_commit, b, b_update, others):
    # B starts behind A's marker, which is out (no copy but the primary
    # answers): its UPDATE is answered by the primary.  base: it waits
    # for A's lock, which A keeps until its marker is at quorum
    b_update.join(5)
    assert b_update.outcome == ("ok", None), b_update.outcome
    for n in others:  # the marker misses its quorum, and B's entry with it
        os.kill(nc.pid(n), signal.SIGKILL)
        os.kill(nc.pid(n), signal.SIGCONT)
    a_commit.join(30)
    assert a_commit.outcome == ("ok", None), a_commit.outcome
    assert any("is committed" in n and str(txid) in n for n in a.notices), a.notices
    a.close()
    with pytest.raises(psycopg2.Error) as e:
        b.commit()
    assert e.value.pgcode == "40000", (e.value.pgcode, str(e.value))
    # doomed for the marker it followed, not for a write of its own
    assert "commit marker of transaction %d" % txid in str(e.value.diag.message_detail), \
        (str(e.value), e.value.diag.message_detail)
    b.close()
    nc.start()  # the killed copies come back; A's marker is retried
    conn = nc.connect()
    assert outcome_of(conn, txid) == "committed"
    checker.wait_consistent(nc, conn, tables=[table], replicas=3, timeout=40)
    assert scalar(conn, "SELECT v FROM %s WHERE id = %d" % (table, a_id)) == 7
    assert scalar(conn, "SELECT v FROM %s WHERE id = %d" % (table, b_id)) == 7
    sevens = ids_on_copies(nc, conn, table, "v = 7")
    assert sum(len(v) for v in sevens.values()) == 2 * 3, sevens  # A on every copy
    eights = ids_on_copies(nc, conn, table, "v = 8")
    assert all(v == [] for v in eights.values()), eights  # nothing of B anywhere
    with conn.cursor() as cur:  # the shard takes writes again
        cur.execute("UPDATE %s SET v = v + 1" % table)
    assert scalar(conn, "SELECT sum(v) FROM %s" % table) == 20 + 14
    conn.close()


def test_next_holder_commits_after_the_marker_it_followed(nc):
    table = "nh_ok"
    a_id, b_id, txid, a, a_commit, b, b_update, others = a_out_b_behind(nc, table)
    try:
        next_holder_commits(nc, table, a_id, b_id, txid, a, a_commit, b, b_update, others)
    finally:
        let_go(nc, others)


def next_holder_commits(nc, table, a_id, b_id, txid, a, a_commit, b, b_update, others):
    b_update.join(5)
    assert b_update.outcome == ("ok", None), b_update.outcome  # base: waits for A's lock
    b_commit = Call(b.commit)
    b_commit.start()
    time.sleep(0.3)
    assert b_commit.outcome is None, b_commit.outcome  # B's COMMIT waits for A's marker
    for n in others:
        os.kill(nc.pid(n), signal.SIGCONT)
    a_commit.join(30)
    b_commit.join(30)
    assert a_commit.outcome == ("ok", None), a_commit.outcome
    assert b_commit.outcome == ("ok", None), b_commit.outcome
    assert not any("is committed" in n for n in a.notices), a.notices  # no marker retried
    a.close()
    b.close()
    conn = nc.connect()
    assert outcome_of(conn, txid) == "committed"
    checker.wait_consistent(nc, conn, tables=[table], replicas=3, timeout=40)
    assert scalar(conn, "SELECT v FROM %s WHERE id = %d" % (table, a_id)) == 8  # B after A
    assert scalar(conn, "SELECT v FROM %s WHERE id = %d" % (table, b_id)) == 7
    eights = ids_on_copies(nc, conn, table, "v = 8")
    assert sum(len(v) for v in eights.values()) == 3, eights
    conn.close()
