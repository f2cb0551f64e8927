"""Recorded decisions are trimmed, but never while a copy may need one
(issue 16; docs/transactions.md, "Recorded decisions").

A multi-shard commit records its decision in the leader's catalog
(txn_outcomes, read as murphy.transaction_outcomes) before any marker.
Recovery reads it when a copy reports the transaction open, a client whose
COMMIT answer was lost reads it by txid.  The cluster keeps a decision
--txn-outcomes-keep-ms (here KEEP_MS) after the commit and as long as some
copy of a participant has not applied past its marker: a settled old one
goes, a fresh one answers, one whose copy on a paused follower is behind
stays until that copy catches up.
"""
import os
import signal
import time

import psycopg2
import pytest

import checker
from conftest import owned_cluster, timer_args
from test_txn_crash import MODES, mode_connect

KEEP_MS = 1500
TRIM_WAIT_S = KEEP_MS / 1000.0 + 6  # the trim runs on the leader's 1 s tick
TRIM_TICKS_S = 2.5   # two of the leader's 1 s ticks and some
SUSPECT_MS = 3000    # a follower paused for the test stays a member
DEAD_MS = 60000
LAZY_S = 2.5  # a staged commit's lazy markers: its shards idle 1 s, then a tick


@pytest.fixture(scope="module")
def cluster(request):
    yield from owned_cluster(request, start_args=timer_args(SUSPECT_MS, DEAD_MS)
                             + ("--txn-outcomes-keep-ms", str(KEEP_MS)))


def outcomes(conn, *txids):
    with conn.cursor() as cur:
        cur.execute("SELECT txid, outcome FROM murphy.transaction_outcomes WHERE txid IN (%s)"
                    % ",".join(str(int(t)) for t in txids))
        return dict(cur.fetchall())


def two_shard_commit(cluster, table, mode):
    """A block that writes both shards of table, committed: its txid."""
    blk = mode_connect(cluster, mode)
    with blk.cursor() as cur:
        cur.execute("SELECT txid_current()")
        txid = cur.fetchone()[0]
        cur.execute("UPDATE %s SET v = v + 1" % table)
    blk.commit()
    blk.close()
    return txid


def wait_until(pred, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.2)
    return pred()


@pytest.mark.parametrize("mode", MODES)
def test_settled_decisions_go_recent_and_needed_ones_stay(cluster, mode):
    """By parallel commits a copy needs the row until it is past the
    transaction's staging marker: its lazy marker (the shard idle a
    second) or the next write; so the copies are let take the lazy markers
    before the follower is paused."""
    tout = "tout_" + mode
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v int NOT NULL)"
                    " WITH (shards = 2, replicas = 3)" % tout)
        cur.execute("INSERT INTO %s VALUES " % tout
                    + ",".join("(%d, 0)" % i for i in range(1, 41)))
        cur.execute("SELECT DISTINCT node FROM murphy.shards WHERE table_name = %s", (tout,))
        primaries = {r[0] for r in cur.fetchall()}
        cur.execute("SELECT setting FROM murphy.settings WHERE name = 'txn_outcomes_keep'")
        assert cur.fetchone()[0] == str(KEEP_MS)
    # a follower that is no primary of tout: paused, the writes go on
    behind = [n for n in ("f1", "f2", "f3") if n not in primaries][0]

    settled = two_shard_commit(cluster, tout, mode)
    assert outcomes(conn, settled) == {settled: "committed"}
    checker.wait_consistent(cluster, conn, tables=[tout])
    assert wait_until(lambda: settled not in outcomes(conn, settled), TRIM_WAIT_S), \
        "a settled decision older than the keep time stays"
    fresh = two_shard_commit(cluster, tout, mode)
    assert outcomes(conn, fresh) == {fresh: "committed"}  # recent: answers
    if mode == "on":
        time.sleep(LAZY_S)  # its lazy markers: every copy past its staging marker
    checker.wait_consistent(cluster, conn, tables=[tout])

    os.kill(cluster.pid(behind), signal.SIGSTOP)
    try:
        needed = two_shard_commit(cluster, tout, mode)
        assert wait_until(lambda: fresh not in outcomes(conn, fresh), TRIM_WAIT_S)
        # old enough, trimmed at a tick meanwhile if nothing kept it; but
        # the paused copies have not applied its marker
        time.sleep(KEEP_MS / 1000.0 + TRIM_TICKS_S)
        assert outcomes(conn, needed) == {needed: "committed"}
    finally:
        os.kill(cluster.pid(behind), signal.SIGCONT)
    # once the copies caught up, nobody needs it
    assert wait_until(lambda: needed not in outcomes(conn, needed), 20), \
        "a decision every copy is past stays"
    checker.wait_consistent(cluster, conn, tables=[tout])
    with conn.cursor() as cur:
        cur.execute("SELECT sum(v) FROM %s" % tout)
        assert cur.fetchone()[0] == 3 * 40
    conn.close()
