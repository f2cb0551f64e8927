"""Pipelined writes in a transaction block (issue 16, "Benchmark";
docs/transactions.md, "The protocol on the leader").

A write inside BEGIN ... COMMIT is answered once the shard's primary ran
and logged it, without waiting for its copies; COMMIT waits until every
entry of the block is held by its write quorum.  Each test slows the two
replicas of a one-shard table (murphy.fault 'delay': frames between the
leader and a follower held that long each way), so a statement that waits
for the quorum is slow and one that does not is fast:

- the UPDATE in a block returns before the replicas answer, the block reads
  its own write, COMMIT waits for the quorum, and the write is there for
  everybody after it; an autocommit UPDATE still waits (it is its own
  decision);
- the same for a row INSERT in a block (every copy runs it at once; the
  client hears the primary's answer);
- a savepoint taken while a pipelined write is in flight keeps it;
- both replicas lost between a pipelined UPDATE (or INSERT) and COMMIT: the
  quorum is impossible, COMMIT fails saying the transaction was rolled
  back (40000: the leader saw them go before anything of the COMMIT was
  sent, or its frames were still held when their links closed: nothing
  can be on them), and no copy holds the write once they are back;
- a two-shard COMMIT releases each shard's lock once the decision is durable
  and that shard's marker is at its quorum: a writer waiting on the fast
  shard goes on while the slow shard's marker is still out.
"""
import os
import signal
import threading
import time

import psycopg2
import pytest

from conftest import fault, owned_cluster
from test_txn_atomic import nothing_anywhere, scalar
from test_txn_crash import MODES, mode_connect
from test_txn_truth import wait_disconnected

BATCH = ("on", "off")  # murphy.replica_batch

TIMERS = ["--suspect-timeout-ms", "3000", "--dead-timeout-ms", "10000"]
DELAY_MS = 300  # each way: a quorum round to a replica takes 2 × DELAY_MS
FAST_S = 0.25   # well under one delayed round trip: nothing waited for a replica
# at least one delayed round trip, less the event loop's timer granularity
# (its clock is read once per turn: a delay can fire up to ~1 ms early)
QUORUM_S = 2 * DELAY_MS / 1000 - 0.01


@pytest.fixture
def fc(request):
    yield from owned_cluster(request, followers=3, start_args=TIMERS)


def one_shard_table(conn, name):
    """A one-shard table of 3 copies holding (1, 0); its replicas' nodes."""
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v int NOT NULL) "
                    "WITH (shards = 1, replicas = 3)" % name)
        cur.execute("INSERT INTO %s VALUES (1, 0)" % name)
        time.sleep(0.2)  # the slowest copy's answer is in before any delay holds it
        cur.execute("SELECT node FROM murphy.placements WHERE table_name = %s "
                    "AND role <> 'primary'", (name,))
        replicas = [r[0] for r in cur.fetchall()]
    assert len(replicas) == 2, replicas
    return replicas


def slow_table(conn, name, delay_ms=DELAY_MS):
    """one_shard_table, with frames to and from its replicas held delay_ms."""
    replicas = one_shard_table(conn, name)
    for node in replicas:
        fault(conn, "delay %s %d" % (node, delay_ms))
    return replicas


def timed(cur, sql):
    t0 = time.monotonic()
    cur.execute(sql)
    return time.monotonic() - t0


def test_block_write_does_not_wait_for_slow_replicas_but_commit_does(fc):
    conn = fc.connect()
    slow_table(conn, "pa")
    try:
        with conn.cursor() as cur:
            # autocommit: the statement is its own decision, it waits
            assert timed(cur, "UPDATE pa SET v = 1 WHERE id = 1") >= QUORUM_S
            cur.execute("BEGIN")
            took = timed(cur, "UPDATE pa SET v = 2 WHERE id = 1")
            assert cur.rowcount == 1
            assert took < FAST_S, "the UPDATE in a block waited %.3f s" % took
            took = timed(cur, "SELECT v FROM pa WHERE id = 1")
            assert cur.fetchone()[0] == 2  # its own write, from the primary
            assert took < FAST_S, "the block's read waited %.3f s" % took
            took = timed(cur, "COMMIT")
            assert took >= QUORUM_S, "COMMIT took %.3f s: no quorum wait" % took
        other = fc.connect()
        assert scalar(other, "SELECT v FROM pa WHERE id = 1") == 2
        other.close()
    finally:
        fault(conn, "heal")
    conn.close()


def test_block_insert_does_not_wait_for_slow_replicas_but_commit_does(fc):
    conn = fc.connect()
    slow_table(conn, "pi")
    try:
        with conn.cursor() as cur:
            assert timed(cur, "INSERT INTO pi VALUES (2, 2)") >= QUORUM_S
            cur.execute("BEGIN")
            took = timed(cur, "INSERT INTO pi VALUES (3, 3)")
            assert cur.rowcount == 1
            assert took < FAST_S, "the INSERT in a block waited %.3f s" % took
            took = timed(cur, "SELECT v FROM pi WHERE id = 3")
            assert cur.fetchone()[0] == 3  # its own row, from the primary
            assert took < FAST_S, "the block's read waited %.3f s" % took
            took = timed(cur, "COMMIT")
            assert took >= QUORUM_S, "COMMIT took %.3f s: no quorum wait" % took
        other = fc.connect()
        assert scalar(other, "SELECT count(*) FROM pi WHERE id IN (2, 3)") == 2
        other.close()
    finally:
        fault(conn, "heal")
    conn.close()


def test_savepoint_keeps_a_pipelined_write_in_flight(fc):
    conn = fc.connect()
    slow_table(conn, "ps")
    try:
        with conn.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("UPDATE ps SET v = 1 WHERE id = 1")
            cur.execute("SAVEPOINT s")  # the UPDATE is not at its quorum yet
            cur.execute("UPDATE ps SET v = 2 WHERE id = 1")
            cur.execute("ROLLBACK TO SAVEPOINT s")
            cur.execute("SELECT v FROM ps WHERE id = 1")
            assert cur.fetchone()[0] == 1
            cur.execute("COMMIT")
    finally:
        fault(conn, "heal")
    assert scalar(conn, "SELECT v FROM ps WHERE id = 1") == 1
    conn.close()


def assert_certain_rollback(e):
    """COMMIT failed, rolled back for certain: 40000, said so, and nothing
    in it calls the outcome unknown (no copy the leader sent anything of
    the COMMIT to is left out of reach; docs/transactions.md, "What the
    client hears")."""
    assert e.pgcode == "40000", (e.pgcode, str(e))
    assert "rolled back" in str(e), e
    assert "unknown" not in str(e), e


def commit_in_thread(blk):
    """blk.commit() on a thread, started: (the thread, what it heard:
    "ok" or "error")."""
    heard = {}

    def commit():
        try:
            blk.commit()
            heard["ok"] = True
        except psycopg2.Error as e:
            heard["error"] = e

    th = threading.Thread(target=commit)
    th.start()
    return th, heard


def batch_connect(fc, batch, mode="on"):
    """A block connection with murphy.replica_batch = batch (read at BEGIN)."""
    blk = mode_connect(fc, mode)
    with blk.cursor() as cur:
        cur.execute("SET murphy.replica_batch = %s" % batch)
    blk.commit()
    return blk


@pytest.mark.parametrize("batch", BATCH)
def test_replicas_lost_before_commit_make_it_fail_and_leave_nothing(fc, batch):
    """Both replicas killed -9 and seen gone by the leader before COMMIT:
    nothing of the COMMIT goes to them (batch on: the held APPLYs and the
    marker; off: the marker), so the rollback is certain: 40000."""
    conn = fc.connect()
    replicas = slow_table(conn, "pl", 1000)  # the APPLYs are still held when they die
    blk = batch_connect(fc, batch)
    with blk.cursor() as cur:
        took = timed(cur, "UPDATE pl SET v = 7 WHERE id = 1")
        assert took < 0.5, "the UPDATE in a block waited %.3f s for its quorum" % took
        for node in replicas:  # at once: a fault command would wait behind the delay
            os.kill(fc.pid(node), signal.SIGKILL)
        wait_disconnected(fc, replicas)
        fault(conn, "heal")
        with pytest.raises(psycopg2.Error) as e:
            blk.commit()
    assert_certain_rollback(e.value)
    blk.close()
    assert scalar(conn, "SELECT v FROM pl WHERE id = 1") == 0
    fc.start()  # the killed followers come back
    nothing_anywhere(fc, conn, "pl", "v = 7")
    conn.close()


@pytest.mark.parametrize("batch", BATCH)
def test_replicas_killed_while_the_commit_frames_are_held_is_a_certain_rollback(fc, batch):
    """COMMIT sent first; its frames to the replicas (batch on: the held
    APPLYs with the marker; off: the marker behind the UPDATE's APPLYs) are
    still held by the 2 s delay when the replicas are killed -9: their links
    close with the frames unsent (net.h, sent marks), so no copy can hold the
    marker: 40000, not 40003 (the base binary answers 40003 here)."""
    conn = fc.connect()
    replicas = slow_table(conn, "pk", 2000)  # a wide margin for the kill below
    blk = batch_connect(fc, batch)

    with blk.cursor() as cur:
        took = timed(cur, "UPDATE pk SET v = 7 WHERE id = 1")
        assert took < 0.5, "the UPDATE in a block waited %.3f s for its quorum" % took
    th, heard = commit_in_thread(blk)
    time.sleep(0.3)  # COMMIT is in; its frames to the replicas wait 1.7 s more
    for node in replicas:
        os.kill(fc.pid(node), signal.SIGKILL)
    fault(conn, "heal")
    th.join(30)
    assert "error" in heard, heard
    assert_certain_rollback(heard["error"])
    blk.close()
    assert scalar(conn, "SELECT v FROM pk WHERE id = 1") == 0
    fc.start()
    nothing_anywhere(fc, conn, "pk", "v = 7")
    conn.close()


@pytest.mark.parametrize("batch", BATCH)
@pytest.mark.parametrize("mode", MODES)
def test_replicas_lost_before_a_two_shard_commit_make_it_fail_and_leave_nothing(fc, mode, batch):
    """The same over two shards, COMMIT sent before the copies die: on, the
    staging markers go behind the entries in flight and are queued again
    when those fail (before the fix the leader aborted: the requeued
    staging marker took the lock it had handed on); off, the entries'
    quorum fails before any decision.  Either way COMMIT fails, rolled
    back for certain (the frames to the dead copies were still held by the
    delay: never sent; with parallel commits the base binary said "rolled
    back" and "unknown" in one answer), and nothing remains once the copies
    return."""
    conn = fc.connect()
    slow, other = "pm_" + mode, "pq_" + mode
    one_shard_table(conn, other)
    replicas = slow_table(conn, slow, 1000)
    blk = batch_connect(fc, batch, mode)

    with blk.cursor() as cur:
        cur.execute("UPDATE %s SET v = 7 WHERE id = 1" % other)
        took = timed(cur, "UPDATE %s SET v = 7 WHERE id = 1" % slow)
        assert took < 0.5, "the UPDATE in a block waited %.3f s for its quorum" % took
    th, heard = commit_in_thread(blk)
    time.sleep(0.3)  # COMMIT is in: the slow entry's quorum is still 1.7 s away
    for node in replicas:
        os.kill(fc.pid(node), signal.SIGKILL)
    fault(conn, "heal")
    th.join(30)
    assert "error" in heard, heard
    assert_certain_rollback(heard["error"])
    blk.close()
    assert scalar(conn, "SELECT v FROM %s WHERE id = 1" % slow) == 0
    fc.start()
    nothing_anywhere(fc, conn, slow, "v = 7")
    nothing_anywhere(fc, conn, other, "v = 7")
    conn.close()


@pytest.mark.parametrize("batch", BATCH)
def test_replicas_lost_before_commit_undo_a_pipelined_insert(fc, batch):
    conn = fc.connect()
    replicas = slow_table(conn, "pn", 1000)
    blk = batch_connect(fc, batch)
    with blk.cursor() as cur:
        took = timed(cur, "INSERT INTO pn VALUES (5, 7)")
        assert took < 0.5, "the INSERT in a block waited %.3f s for its quorum" % took
        for node in replicas:
            os.kill(fc.pid(node), signal.SIGKILL)
        wait_disconnected(fc, replicas)
        fault(conn, "heal")
        with pytest.raises(psycopg2.Error) as e:
            blk.commit()
    assert_certain_rollback(e.value)
    blk.close()
    assert scalar(conn, "SELECT count(*) FROM pn WHERE id = 5") == 0
    fc.start()
    nothing_anywhere(fc, conn, "pn", "v = 7")
    conn.close()


@pytest.mark.parametrize("mode", MODES)
def test_two_shard_commit_releases_a_shard_once_its_marker_is_in(fc, mode):
    """off: fa's lock goes with fa's marker, before sb's marker round ends.
    on: fa's lock goes when fa's staging marker is sent; the waiter (then
    a block: an autocommit write waits for the decision) is answered
    before sb's staging round ends, and commits after it."""
    fa, sb = "fa_" + mode, "sb_" + mode
    conn = fc.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v int NOT NULL) "
                    "WITH (shards = 1, replicas = 1)" % fa)
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v int NOT NULL) "
                    "WITH (shards = 1, replicas = 3)" % sb)
        cur.execute("INSERT INTO %s VALUES (1, 0)" % fa)
        cur.execute("INSERT INTO %s VALUES (1, 0)" % sb)
        time.sleep(0.2)
        cur.execute("SELECT node FROM murphy.placements WHERE table_name = %s", (fa,))
        fast = cur.fetchone()[0]
        cur.execute("SELECT node FROM murphy.placements WHERE table_name = %s "
                    "AND node <> %s", (sb, fast))
        slow = [r[0] for r in cur.fetchall()]
    assert len(slow) == 2, slow
    for node in slow:  # sb's quorum needs one of them; fa's copy is not delayed
        fault(conn, "delay %s %d" % (node, DELAY_MS))
    done = {}
    try:
        blk = mode_connect(fc, mode)
        with blk.cursor() as cur:
            cur.execute("UPDATE %s SET v = 1 WHERE id = 1" % fa)
            cur.execute("UPDATE %s SET v = 1 WHERE id = 1" % sb)
        waiter = mode_connect(fc, mode, autocommit=mode == "off")

        def write_fa():
            with waiter.cursor() as cur:
                cur.execute("UPDATE %s SET v = v + 10 WHERE id = 1" % fa)  # waits for blk
            done["fa"] = time.monotonic()

        t = threading.Thread(target=write_fa)
        t.start()
        time.sleep(0.1)  # the waiter is queued behind blk's lock
        blk.commit()  # sb's entry quorum, the decision, then the markers
        done["commit"] = time.monotonic()
        t.join(timeout=30)
        assert "fa" in done, "the waiting UPDATE on fa never finished"
        # released with fa's marker: before sb's marker round (2 × DELAY_MS) is over
        assert done["fa"] < done["commit"] - DELAY_MS / 1000, \
            "the waiter on fa finished %.3f s before COMMIT returned" % (
                done["commit"] - done["fa"])
        if mode == "on":
            waiter.commit()  # after blk's decision: it followed blk's staging marker
        blk.close()
        waiter.close()
    finally:
        fault(conn, "heal")
    assert scalar(conn, "SELECT v FROM %s WHERE id = 1" % fa) == 11
    assert scalar(conn, "SELECT v FROM %s WHERE id = 1" % sb) == 1
    conn.close()
