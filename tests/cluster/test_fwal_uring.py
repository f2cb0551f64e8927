"""The follower WAL's group write goes through an io_uring (storage/fwal_ring.c,
follower/write_batch.c; docs/replication.md, "Write batches"): the
follower's loop submits a batch's group and goes on running the next
batches while it is in flight; their durable answers wait for a group that
covers them.

The fault `fsync NODE MS` holds a group in flight that long (a TIMEOUT
linked before its write), so:

- a write in a block whose primary's loop has an earlier group in flight
  is answered at once (it ran meanwhile): before, the loop ran that fsync
  itself and the write waited for it (fails on murphy-s25);
- an autocommit write is not answered before the groups that make it
  durable at its quorum ended (guard: its durable answer waits for the
  completion);
- the primary killed (SIGKILL) with a group in flight: nothing
  acknowledged is lost and the copies agree once it is back (guard);
- MURPHY_FWAL_URING=0 (what a failed io_uring_setup falls back to): the
  group syncs on the loop thread as before, the block's write waits for it,
  and the same writes stay correct.
"""
import os
import signal
import threading
import time

import pytest

from conftest import fault, owned_cluster
from test_write_early import FAST_S, TIMERS, timed, v_everywhere

FLIGHT_MS = 700  # the earlier group's time in flight


@pytest.fixture
def fc(request):
    yield from owned_cluster(request, followers=3, start_args=TIMERS)


@pytest.fixture
def fc_sync(request):
    os.environ["MURPHY_FWAL_URING"] = "0"
    try:
        yield from owned_cluster(request, followers=3, start_args=TIMERS)
    finally:
        os.environ.pop("MURPHY_FWAL_URING", None)


def two_tables_one_primary(conn):
    """Two one-shard tables of 3 copies, each holding (1, 0), whose primary
    is the same follower: (name_a, name_b, primary, replicas)."""
    by_primary = {}
    with conn.cursor() as cur:
        for i in range(8):
            name = "u%d" % i
            cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v int NOT NULL) "
                        "WITH (shards = 1, replicas = 3)" % name)
            cur.execute("INSERT INTO %s VALUES (1, 0)" % name)
            cur.execute("SELECT node, role FROM murphy.placements WHERE table_name = %s",
                        (name,))
            placements = cur.fetchall()
            primary = [n for n, role in placements if role == "primary"][0]
            replicas = sorted(n for n, role in placements if role != "primary")
            by_primary.setdefault(primary, []).append(name)
            if len(by_primary[primary]) == 2:
                time.sleep(0.2)  # every copy answered before a fault slows one
                a, b = by_primary[primary]
                return a, b, primary, replicas
    raise AssertionError("no two tables share a primary: %r" % by_primary)


def block_write_behind_a_group_in_flight(fc):
    """The primary's group for an autocommit UPDATE of table a is held in
    flight FLIGHT_MS; meanwhile a block's UPDATE of table b (same primary)
    runs: the time it took to be answered."""
    conn = fc.connect()
    a, b, primary, replicas = two_tables_one_primary(conn)
    fault(conn, "fsync %s %d" % (primary, FLIGHT_MS))
    try:
        with conn.cursor() as cur:
            # decided by the replicas (fast) while the primary's group is held
            cur.execute("UPDATE %s SET v = 1 WHERE id = 1" % a)
            blk = fc.connect()
            with blk.cursor() as bc:
                bc.execute("BEGIN")
                took = timed(bc, "UPDATE %s SET v = 2 WHERE id = 1" % b)
                assert bc.rowcount == 1
                bc.execute("COMMIT")
            blk.close()
    finally:
        fault(conn, "fsync %s 0" % primary)
    assert v_everywhere(fc, conn, a) == {1}
    assert v_everywhere(fc, conn, b) == {2}
    conn.close()
    return took


def test_block_write_runs_while_an_earlier_group_is_in_flight(fc):
    took = block_write_behind_a_group_in_flight(fc)
    assert took < FAST_S, "the block's UPDATE waited %.3f s behind a group in flight" % took


def test_without_the_ring_the_loop_waits_for_the_group(fc_sync):
    took = block_write_behind_a_group_in_flight(fc_sync)
    assert took >= FAST_S, "answered in %.3f s: the group did not run on the loop" % took
    assert any("synchronous" in line and "group commit on" in line
               for line in open(os.path.join(fc_sync.dir, "f1", "murphy.log")))


def test_durable_answer_waits_for_the_group_in_flight(fc):
    conn = fc.connect()
    a, b, primary, replicas = two_tables_one_primary(conn)
    for node in [primary] + replicas:
        fault(conn, "fsync %s %d" % (node, FLIGHT_MS))
    try:
        with conn.cursor() as cur:
            # every copy's group is in flight: no durable quorum before they end
            took = timed(cur, "UPDATE %s SET v = 3 WHERE id = 1" % a)
            assert took >= FLIGHT_MS / 1000, "acknowledged after %.3f s" % took
            took = timed(cur, "INSERT INTO %s VALUES (2, 2)" % b)
            assert took >= FLIGHT_MS / 1000, "acknowledged after %.3f s" % took
    finally:
        for node in [primary] + replicas:
            fault(conn, "fsync %s 0" % node)
    assert v_everywhere(fc, conn, a) == {3}
    conn.close()


def test_primary_killed_with_a_group_in_flight_loses_nothing_acknowledged(fc):
    conn = fc.connect()
    a, b, primary, replicas = two_tables_one_primary(conn)
    fault(conn, "fsync %s %d" % (primary, 3000))
    acked, errors = [], []

    def writer():
        w = fc.connect()
        try:
            with w.cursor() as cur:
                for i in range(10, 40):
                    cur.execute("INSERT INTO %s VALUES (%d, %d)" % (a, i, i))
                    acked.append(i)  # decided by the replicas: the primary's group is held
        except Exception as e:  # the primary's death may fail the one in flight
            errors.append(e)
        finally:
            w.close()

    t = threading.Thread(target=writer)
    t.start()
    time.sleep(0.5)
    os.kill(fc.pid(primary), signal.SIGKILL)  # its group still in flight
    t.join(60)
    assert not t.is_alive()
    assert acked, errors
    fc.start()  # back: it recovers and catches up from the others
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM %s WHERE id >= 10 ORDER BY id" % a)
        have = [r[0] for r in cur.fetchall()]
    assert set(acked) <= set(have), (acked, have)
    from test_write_early import ids_everywhere
    copies = ids_everywhere(fc, conn, a)
    assert len(copies) == 3
    assert len({tuple(ids) for ids in copies.values()}) == 1, copies
    assert set(acked) <= set(next(iter(copies.values())))
    conn.close()
