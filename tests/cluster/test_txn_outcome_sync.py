"""A parallel commit's outcome row is written without a sync of its own
(docs/transactions.md, "A parallel commit's outcome row: its crash
window"): the leader writes it to the decision log before the COMMIT's
answer leaves and syncs it later (a timer; 500 ms while one of these fault
points is armed, 50 ms otherwise).  Each test has the client hear COMMIT,
then the leader dies at that sync, before the row is durable:

- txn_outcome_unsynced: kill -9 (the process dies, the page cache keeps
  the written slot): the restart replays the row;
- txn_outcome_lost: the slot zeroed and the row deleted first (what a
  machine crash there leaves): the restart finds the transaction from its
  staging markers — while a copy holds it open (recovery asks), and when
  none does (`closed`: the restart lists the STAGED entries of every
  copy's log, repl_staged_rebuild.c) — and writes the row back.

Either way the commit is on every copy of both participants, and the
twin, a two-shard block of the same client rolled back just before
(COMMIT of a failed block: ROLLBACK), is on none.  `closed`: after the
COMMIT one-shard writes closed X on every copy of both participants
before the kill, so no copy holds it open at the restart.

test_lookup_waits_for_the_rebuild_then_answers: while a follower that is
not declared dead has not listed its copies' STAGED entries, the lookup
parks, then answers 55000 — never "no row" for a txid it may still find.
"""
import os
import signal
import threading
import time

import psycopg2
import pytest

import checker
from conftest import owned_cluster, timer_args
from test_leader_crash import kill_leader
from test_txn_atomic import ids_on_copies, scalar, two_shard_ids
from test_txn_crash import DEAD_MS, SUSPECT_MS, wait_fault_reached, with_fault_point
from test_txn_pcommit import COMMITTED_LOG, outcome_of, pc_connect

REBUILT_LOG = "outcome rows rebuilt from the staging markers"


@pytest.fixture
def oc(request):
    yield from owned_cluster(request, 3, timer_args(SUSPECT_MS, DEAD_MS))


def settled_outcome(conn, txid, timeout=20):
    """The txid's outcome once it is no longer `unknown` (still resolving)."""
    deadline = time.time() + timeout
    while True:
        got = outcome_of(conn, txid)
        if got != "unknown" or time.time() > deadline:
            return got
        time.sleep(0.2)


def make_table(cluster, table):
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v int NOT NULL, w int NOT NULL) "
                    "WITH (shards = 4, replicas = 3)" % table)
        cur.execute("INSERT INTO %s SELECT g, 0, 0 FROM generate_series(1, 20) g" % table)
    a_id, b_id = two_shard_ids(conn, table)
    conn.close()
    return a_id, b_id


@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed"])
@pytest.mark.parametrize("point", ["txn_outcome_unsynced", "txn_outcome_lost"])
def test_commit_heard_then_leader_killed_before_its_row_is_synced(oc, point, closed):
    table = "os_%s_%s" % (point.split("_")[-1], "c" if closed else "o")
    a_id, b_id = make_table(oc, table)
    with_fault_point(oc, point)
    # the aborted twin: writes on both shards, an error, COMMIT → ROLLBACK
    ab = pc_connect(oc)
    abort_txid = scalar(ab, "SELECT txid_current()")
    with ab.cursor() as cur:
        cur.execute("UPDATE %s SET v = 5 WHERE id IN (%d, %d)" % (table, a_id, b_id))
        with pytest.raises(psycopg2.Error):
            cur.execute("SELECT 1 / 0")
    ab.commit()  # answered ROLLBACK
    ab.close()
    blk = pc_connect(oc)
    txid = scalar(blk, "SELECT txid_current()")
    with blk.cursor() as cur:
        cur.execute("UPDATE %s SET v = 7 WHERE id IN (%d, %d)" % (table, a_id, b_id))
    blk.commit()  # heard: every staging marker at its quorum
    blk.close()
    if closed:  # a decided entry after X's staging marker on both participants
        ac = oc.connect()
        with ac.cursor() as cur:
            for i in (a_id, b_id):
                cur.execute("UPDATE %s SET w = 1 WHERE id = %d" % (table, i))
        ac.close()
    wait_fault_reached(oc, point)
    kill_leader(oc)  # already gone: this only waits for the pid to vanish
    oc.start()
    conn = oc.connect()
    checker.wait_consistent(oc, conn, tables=[table], replicas=3, timeout=30)
    copies = ids_on_copies(oc, conn, table, "v = 7")
    kept = sorted(i for ids in copies.values() for i in ids)
    assert kept == sorted([a_id] * 3 + [b_id] * 3), copies  # every copy of both
    assert all(ids == [] for ids in ids_on_copies(oc, conn, table, "v = 5").values())
    assert scalar(conn, "SELECT count(*) FROM %s WHERE v = 7" % table) == 2
    assert outcome_of(conn, abort_txid) is None
    log = oc.logs()
    if point == "txn_outcome_unsynced":
        assert "decisions replayed" in log, "the written slot was not replayed"
        assert outcome_of(conn, txid) == "committed"
    elif not closed:
        # no row: the restart read the staging markers and wrote it
        assert COMMITTED_LOG in log, "the restart did not read the staging markers"
        assert outcome_of(conn, txid) == "committed"
    if point == "txn_outcome_unsynced" and closed:
        assert COMMITTED_LOG not in log  # the row replayed: nothing to ask
    if point == "txn_outcome_lost" and closed:
        # no copy held X open: the restart's listing of the copies' STAGED
        # entries found X without a row, asked every participant's copies,
        # and wrote the row back (before: "no row", the lookup's gap); a
        # participant's copy slow to answer (a loaded machine) shows as
        # `unknown` until it does, never as a wrong outcome
        assert settled_outcome(conn, txid) == "committed"
        log = oc.logs()  # the resolution's line came with the answer
        assert REBUILT_LOG in log, "the restart did not list the staging markers"
        assert COMMITTED_LOG in log, "the listed transaction was not resolved"
    with conn.cursor() as cur:  # the shards take writes again
        cur.execute("UPDATE %s SET v = v + 1" % table)
    assert scalar(conn, "SELECT sum(v) FROM %s" % table) == 20 + 14
    conn.close()


def test_lookup_waits_for_the_rebuild_then_answers(oc):
    """Until every copy's STAGED entries are listed, the lookup does not
    say "no row": a follower stopped (SIGSTOP, not declared dead) across
    the restart holds it — parked 5 s, then 55000 — and once it answers
    the row written back says committed.  (Before: no row at once.)"""
    table = "os_wait"
    a_id, b_id = make_table(oc, table)
    with_fault_point(oc, "txn_outcome_lost")
    blk = pc_connect(oc)
    txid = scalar(blk, "SELECT txid_current()")
    with blk.cursor() as cur:
        cur.execute("UPDATE %s SET v = 7 WHERE id IN (%d, %d)" % (table, a_id, b_id))
    blk.commit()
    blk.close()
    ac = oc.connect()
    with ac.cursor() as cur:  # X closed on every copy
        for i in (a_id, b_id):
            cur.execute("UPDATE %s SET w = 1 WHERE id = %d" % (table, i))
    ac.close()
    wait_fault_reached(oc, "txn_outcome_lost")
    kill_leader(oc)
    f3 = oc.pid("f3")
    os.kill(f3, signal.SIGSTOP)
    started = []  # `local start` returns once every follower reported
    starter = threading.Thread(target=lambda: started.append(oc.start()))
    try:
        starter.start()
        deadline = time.monotonic() + 20
        while True:  # the leader takes connections before f3 answers
            try:
                conn = oc.connect()
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        t0 = time.monotonic()
        with pytest.raises(psycopg2.Error) as e:
            outcome_of(conn, txid)
        assert e.value.pgcode == "55000", e.value
        assert "being rebuilt" in str(e.value)
        assert time.monotonic() - t0 >= 4  # parked first
    finally:
        os.kill(f3, signal.SIGCONT)
        starter.join()
    assert started, "the cluster did not start once f3 went on"
    deadline = time.monotonic() + 30
    while True:
        try:
            assert outcome_of(conn, txid) == "committed"
            break
        except psycopg2.Error:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    assert REBUILT_LOG in oc.logs()
    conn.close()
