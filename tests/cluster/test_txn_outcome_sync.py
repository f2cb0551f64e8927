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
"""
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
        # and wrote the row back (before: "no row", the lookup's gap)
        assert outcome_of(conn, txid) == "committed"
        assert REBUILT_LOG in log, "the restart did not list the staging markers"
        assert COMMITTED_LOG in log, "the listed transaction was not resolved"
    with conn.cursor() as cur:  # the shards take writes again
        cur.execute("UPDATE %s SET v = v + 1" % table)
    assert scalar(conn, "SELECT sum(v) FROM %s" % table) == 20 + 14
    conn.close()
