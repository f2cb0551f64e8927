"""Sync later (docs/replication.md, "Sync later"; follower/write_batch.c): a
primary leaves a write batch unsynced when every item of it is a block's
write it answered early, until its next batch's fsync covers it (at the
latest the transaction's marker), the sync timer, or the leader's SYNC
when something waits for that durable answer.  The primary's fsyncs are
slowed with the fault `fsync NODE MS`, its replicas' are not, so a
statement that waits for the primary's fsync is slow:

- a block's read of the row it wrote, on the primary, and its second
  write of that row do not wait for the primary's fsync (on murphy-s24 the
  read waited 1.5 s: the primary synced the UPDATE's batch at once, on its
  loop thread; and the second write waited for the primary's durable
  answer to the first); COMMIT commits on every copy;
- a ROLLBACK after such a write undoes it on every copy (the undo waits for
  the primary's durable answer: the leader asks for it with a SYNC), and the
  row takes the next write as before;
- under write_quorum 'all' (the primary's durable answer is part of every
  quorum) a block's writes of one row, one behind the other, commit on
  every copy (the next write asks for that answer with a SYNC).
"""
import time

from conftest import fault
from test_txn_atomic import scalar
from test_write_early import fc, one_shard_table, timed, v_everywhere  # noqa: F401

SLOW_MS = 1500  # the primary's slowed WAL fsync (under the 3 s suspect timeout)
FAST_S = 0.75   # half of it: nothing waited for the primary's fsync


def test_block_read_and_second_write_do_not_wait_for_the_primary_fsync(fc):
    conn = fc.connect()
    primary, _ = one_shard_table(conn, "sl")
    fault(conn, "fsync %s %d" % (primary, SLOW_MS))
    try:
        with conn.cursor() as cur:
            cur.execute("BEGIN")
            assert timed(cur, "UPDATE sl SET v = 1 WHERE id = 1") < FAST_S
            took = timed(cur, "SELECT v FROM sl WHERE id = 1")
            assert cur.fetchone()[0] == 1  # its own write, on the primary
            assert took < FAST_S, "the read waited %.3f s (the primary's fsync)" % took
            took = timed(cur, "UPDATE sl SET v = v + 1 WHERE id = 1")
            assert cur.rowcount == 1
            assert took < FAST_S, "the second write waited %.3f s (the primary's fsync)" % took
            cur.execute("COMMIT")
    finally:
        fault(conn, "fsync %s 0" % primary)
    assert scalar(conn, "SELECT v FROM sl WHERE id = 1") == 2
    assert v_everywhere(fc, conn, "sl") == {2}
    conn.close()


def test_rollback_after_an_unsynced_block_write_undoes_it_everywhere(fc):
    conn = fc.connect()
    one_shard_table(conn, "sr")
    with conn.cursor() as cur:
        for i in range(20):
            cur.execute("BEGIN")
            cur.execute("UPDATE sr SET v = %d WHERE id = 1" % (100 + i))
            t0 = time.monotonic()
            cur.execute("ROLLBACK")
            took = time.monotonic() - t0
            assert took < 5, "ROLLBACK took %.3f s" % took
            cur.execute("UPDATE sr SET v = v + 1 WHERE id = 1")  # the next write goes on
    assert scalar(conn, "SELECT v FROM sr WHERE id = 1") == 20
    assert v_everywhere(fc, conn, "sr") == {20}
    conn.close()


def test_block_writes_of_one_row_under_quorum_all_commit_everywhere(fc):
    conn = fc.connect()
    one_shard_table(conn, "sa")
    with conn.cursor() as cur:
        cur.execute("SET murphy.write_quorum = 'all'")
        for i in range(10):
            cur.execute("BEGIN")
            t0 = time.monotonic()
            for _ in range(3):
                cur.execute("UPDATE sa SET v = v + 1 WHERE id = 1")
            cur.execute("COMMIT")
            took = time.monotonic() - t0
            assert took < 5, "the block took %.3f s" % took
    assert scalar(conn, "SELECT v FROM sa WHERE id = 1") == 30
    assert v_everywhere(fc, conn, "sa") == {30}
    conn.close()
