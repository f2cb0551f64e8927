"""A session after a ROLLBACK whose undo failed on one copy (issue 16).

Found by the bank nemesis (tests/nemesis/run.py --workload bank --seed 7
--seconds 20, about one run in three): a 40P01 victim's undo was sent to a
copy that was partitioned from the leader; at the heal the undo failed
("lost connection"), the ROLLBACK answered 40003, and the same session's
next BEGIN ... COMMIT block was no transaction at all: its three writes
went to the shard logs as autocommit entries (txn_id 0), no decision was
recorded for its multi-shard COMMIT, yet COMMIT answered success.

This test does it by hand on a 1-shard table with 3 copies: write in a
block, partition f3 from the leader, ROLLBACK (the undo waits on f3), heal
(the undo fails on f3; ROLLBACK answered 40003 before the fix); then a new
block writes one row.  Another
session must not see that write before COMMIT, and the block's ROLLBACK
must undo it; before the fix the other session read it at once and the
ROLLBACK left it.  The fix: an undo that failed on one copy does not make the
abort uncertain (that copy is DIVERGENT and undone when it returns; a
restarted leader presumes the abort), so ROLLBACK succeeds with a notice,
as ROLLBACK always does in PostgreSQL; told it failed, psycopg2 believed
the block still open and sent no BEGIN before the next one.
"""
import threading
import time

import psycopg2
import pytest

from conftest import owned_cluster

TIMERS = ["--suspect-timeout-ms", "1000", "--dead-timeout-ms", "3000"]
# Long enough for the ROLLBACK's undo to be in flight to the cut copy,
# shorter than the suspect timeout (the copy is not yet declared lost).
PARTITION_HOLD_S = 0.5
# How long the other session's read may wait behind the block's lock.
READ_WAIT = "2s"


@pytest.fixture
def fc(request):
    yield from owned_cluster(request, followers=3, start_args=TIMERS)


def fault(cur, command):
    cur.execute("SELECT murphy.fault(%s)", (command,))


def rollback_across_a_partition(conn, blk):
    """ROLLBACK blk while f3 is cut from the leader, healed PARTITION_HOLD_S
    later; the SQLSTATE the ROLLBACK answered (None: it succeeded)."""
    out = {}

    def rollback():
        try:
            blk.rollback()
            out["state"] = None
        except psycopg2.Error as e:
            out["state"] = e.pgcode

    with conn.cursor() as cur:
        fault(cur, "partition f3 leader")
        t = threading.Thread(target=rollback)
        t.start()
        time.sleep(PARTITION_HOLD_S)
        fault(cur, "heal")
    t.join(30)
    assert "state" in out, "ROLLBACK did not answer in 30 s"
    return out["state"]


def test_block_after_a_failed_undo_is_still_a_transaction(fc):
    conn = fc.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE acct (id int PRIMARY KEY, v int NOT NULL) "
                    "WITH (shards = 1, replicas = 3)")
        cur.execute("INSERT INTO acct VALUES (1, 0), (2, 0)")
    blk = fc.connect(autocommit=False)
    with blk.cursor() as cur:
        cur.execute("UPDATE acct SET v = v + 1 WHERE id = 1")  # on all 3 copies
    time.sleep(0.2)
    state = rollback_across_a_partition(conn, blk)
    assert state is None, state  # ROLLBACK always succeeds (with a notice)
    if blk.closed:
        blk = fc.connect(autocommit=False)
    with blk.cursor() as cur:  # a new block (psycopg2 sends BEGIN)
        cur.execute("UPDATE acct SET v = v + 10 WHERE id = 2")
    with conn.cursor() as cur:
        cur.execute("SET statement_timeout = %s", (READ_WAIT,))
        try:
            cur.execute("SELECT v FROM acct WHERE id = 2")
            seen = cur.fetchone()[0]
        except psycopg2.Error as e:
            assert e.pgcode == "57014", e  # parked behind the block's lock: fine
            seen = None
        cur.execute("SET statement_timeout = 0")
    blk.rollback()
    with conn.cursor() as cur:
        cur.execute("SELECT id, v FROM acct ORDER BY id")
        final = cur.fetchall()
    assert seen in (None, 0), "another session read the open block's write: v = %s" % seen
    assert final == [(1, 0), (2, 0)], "the block's ROLLBACK left %s" % final
    blk.close()
    conn.close()
