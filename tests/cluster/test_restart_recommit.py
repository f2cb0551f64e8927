"""A restarted leader appends the marker of the committed transaction the
newest copy holds open, whatever an older copy reports (issue 16; bank
nemesis with --parallel-commits off, docs/failures.md).

Two copies of a shard may hold different committed-but-open transactions
after a leader crash: a copy that missed Y's commit marker (its follower
stopped while Y's markers went out) still holds Y open, while the copies
that took the next transaction X hold X open (the leader died after X's
decision, before its markers).  Before 2026-12-07 a shard remembered one
such transaction: the lagging copy reporting Y last replaced X, so no
marker was appended for X, and the shard's next write was refused by its
primary and reached the client as 25000 "placement … has transaction X
open since lsn N: entry N+1 cannot follow".

The test stops one follower (SIGSTOP) while Y's commit is held right after
its decision, lets Y commit on the other copies, holds X after its
decision and kills the leader -9 there, starts it again and lets the
stopped follower report last; the shards must take writes at once, with X
committed on every copy.
"""
import os
import signal
import threading
import time

import psycopg2
import pytest

import checker
from conftest import owned_cluster, start_in_background, timer_args
from test_leader_crash import kill_leader
from test_txn_atomic import scalar, two_shard_ids
from test_txn_crash import mode_connect, setup_table
from test_txn_crash_hold import primary_node, start_leader_holding, wait_held

SUSPECT_MS = 1000
DEAD_MS = 30000  # the stopped follower is not declared dead (and rebuilt)


@pytest.fixture
def rc(request):
    yield from owned_cluster(request, 3, timer_args(SUSPECT_MS, DEAD_MS))


def held_commit(cluster, sql):
    """Run sql in a block whose COMMIT (without parallel commits) is held
    after its decision; returns (txid, thread, heard)."""
    blk = mode_connect(cluster, "off")
    txid = scalar(blk, "SELECT txid_current()")
    with blk.cursor() as cur:
        cur.execute(sql)
    heard = {}

    def commit():
        try:
            blk.commit()
            heard["ok"] = True
        except psycopg2.Error as e:
            heard["error"] = e
        finally:
            blk.close()

    th = threading.Thread(target=commit)
    th.start()
    wait_held(cluster, txid)
    return txid, th, heard


def test_newest_copys_committed_transaction_gets_its_marker(rc):
    table = "rc"
    setup_table(rc, table)
    conn = rc.connect()
    a_id, b_id = two_shard_ids(conn, table)
    primaries = {primary_node(conn, table, a_id), primary_node(conn, table, b_id)}
    conn.close()
    lagger = [n for n in rc.node_names()[1:] if n not in primaries][0]
    start_leader_holding(rc)

    # Y: its entries on every copy; the lagger stops before Y's markers
    _, th, heard = held_commit(rc, "UPDATE %s SET v = 1 WHERE id IN (%d, %d)" % (table, a_id, b_id))
    lag_pid = rc.pid(lagger)
    os.kill(lag_pid, signal.SIGSTOP)
    try:
        th.join(30)
        assert heard.get("ok"), heard  # its markers at their quorum (2 of 3)
        time.sleep(SUSPECT_MS / 1000.0 + 0.5)  # the lagger is suspect: X is not sent to it

        # X: decided, then the leader dies before any of its markers
        _, th, heard = held_commit(
            rc, "UPDATE %s SET v = 2 WHERE id IN (%d, %d)" % (table, a_id, b_id))
        kill_leader(rc)
        th.join(30)
        starter, conn = start_in_background(rc)
        time.sleep(0.3)  # the other copies report first
    finally:
        os.kill(lag_pid, signal.SIGCONT)
    starter.join(60)

    # every shard takes writes at once: X's marker came first on its copies
    with conn.cursor() as cur:
        cur.execute("UPDATE %s SET v = v + 10 WHERE id IN (%d, %d)" % (table, a_id, b_id))
        cur.execute("UPDATE %s SET v = v + 100" % table)
    for i in (a_id, b_id):
        assert scalar(conn, "SELECT v FROM %s WHERE id = %d" % (table, i)) == 112, i
    assert scalar(conn, "SELECT sum(v) FROM %s" % table) == 20 * 100 + 2 * 12
    checker.wait_consistent(rc, conn, tables=[table], replicas=3, timeout=30)
    conn.close()
