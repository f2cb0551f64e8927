"""Transactions whose COMMIT a leader fault point holds: the harness of the
staging tests (test_txn_stagehold.py, test_txn_pipestage.py).

A leader started by start_leader_at runs with MURPHY_FAULT_POINT=point
(txn_stage_hold_send, txn_stage_hold_fail and their "_once" forms hold a
COMMIT after its first shard's staging marker is sent, for HOLD_MS);
commit_started runs a parallel-commits block and starts its COMMIT in a
Call (a thread that keeps the outcome), wait_held waits for the leader's
log to say the point holds it, finished waits for two such COMMITs (X's,
and Y's behind it) and nothing_of_either checks that they left nothing on
any copy.
"""
import os
import threading
import time

import psycopg2

import checker
from test_leader_crash import kill_leader
from test_txn_atomic import ids_on_copies, scalar
from test_txn_crash import mode_connect
from test_txn_pcommit import outcome_of, pc_connect, staged_on_copies

HOLD_MS = 4000


class Call(threading.Thread):
    """Runs one call in a thread; keeps its outcome (None while it runs)."""

    def __init__(self, fn):
        super().__init__(daemon=True)
        self.fn = fn
        self.outcome = None

    def run(self):
        try:
            self.fn()
            self.outcome = ("ok", None)
        except psycopg2.Error as e:
            self.outcome = ("error", e)


def start_leader_at(cluster, point):
    kill_leader(cluster)
    os.environ["MURPHY_FAULT_POINT"] = point
    os.environ["MURPHY_FAULT_HOLD_MS"] = str(HOLD_MS)
    try:
        cluster.start()
    finally:
        del os.environ["MURPHY_FAULT_POINT"]
        del os.environ["MURPHY_FAULT_HOLD_MS"]


def wait_log(cluster, text, timeout=15):
    path = os.path.join(cluster.dir, "leader", "murphy.log")
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(path, errors="replace") as f:
            if text in f.read():
                return
        time.sleep(0.02)
    raise AssertionError("the leader never logged %r" % text)


def wait_held(cluster, point, txid):
    """Wait until the leader says fault point `point` holds txid."""
    wait_log(cluster, "fault point %s reached: transaction %d held" % (point, txid))


def commit_started(cluster, table, v, ids):
    """A block (by parallel commits) that sets v = `v` in the rows `ids` of
    table, in that order (the first row's shard is staged first), then
    COMMITs in a Call, started.  Returns (its txid, its conn, the Call)."""
    conn = pc_connect(cluster)
    txid = scalar(conn, "SELECT txid_current()")
    with conn.cursor() as cur:
        for rid in ids:
            cur.execute("UPDATE %s SET v = %d WHERE id = %d" % (table, v, rid))
    commit = Call(conn.commit)
    commit.start()
    return txid, conn, commit


def finished(timeout, x, x_commit, y, y_commit):
    """Waits up to timeout s for each of the two COMMIT Calls (X's, then
    Y's), closes both connections; returns (X's outcome, Y's outcome)."""
    x_commit.join(timeout)
    y_commit.join(timeout)
    x.close()
    y.close()
    return x_commit.outcome, y_commit.outcome


def nothing_of_either(cluster, conn, table, txid, ytxid, y_outcome=False):
    """X (txid, which set v = 7) and Y (ytxid, v = 8) left nothing on any
    copy of table (of 20 rows, v = 0), X has no outcome recorded (Y
    neither, with y_outcome), and every shard takes writes again."""
    checker.wait_consistent(cluster, conn, tables=[table], replicas=3, timeout=40)
    assert outcome_of(conn, txid) is None
    if y_outcome:
        assert outcome_of(conn, ytxid) is None
    for v in (7, 8):
        copies = ids_on_copies(cluster, conn, table, "v = %d" % v)
        assert all(got == [] for got in copies.values()), (v, copies)
    assert staged_on_copies(cluster, conn, table, txid) == {}, "an entry of X was kept"
    assert staged_on_copies(cluster, conn, table, ytxid) == {}, "an entry of Y was kept"
    # the shards take writes again (by a recorded decision: the leader may
    # still be armed with the stage fault point, which holds every staged
    # commit)
    w = mode_connect(cluster, "off", autocommit=True)
    with w.cursor() as cur:
        cur.execute("UPDATE %s SET v = v + 1" % table)
    w.close()
    assert scalar(conn, "SELECT sum(v) FROM %s" % table) == 20
