"""The primary answers a write twice (issue 16; docs/transactions.md, "The
protocol on the leader", step 4): early, once the statement ran and its
SQLite transaction committed, and again once its entry is durable.  The
leader ships the APPLYs and answers a pipelined write at the early answer;
the primary counts toward the quorum only with its durable one.

Each test slows (or fails) followers' WAL fsyncs with the fault
`fsync NODE MS|fail` (follower/fault.h), so a statement that waits for an
fsync is slow and one that does not is fast:

- a pipelined UPDATE in a block is answered before the primary's fsync
  ends, COMMIT still waits for a durable quorum, and a statement that fails
  on the primary (a constraint) is answered once, as an error;
- a read after a pipelined UPDATE, on the same primary, sees it;
- an autocommit UPDATE is decided by the replicas' fsyncs while the
  primary's is slow (one fsync latency, not two in series);
- the primary killed (SIGKILL) between its two answers: nothing
  acknowledged is lost, COMMIT succeeds or fails honestly, and the copies
  agree once it is back;
- the primary's fsync failing after its early answer: its copy is not
  counted (at write_quorum 'all' the write fails and is undone everywhere),
  and at 'majority' the replicas decide it and every copy ends the same.

A row INSERT in a block (every copy runs it at once: the parallel path) is
answered at its primary's early answer too:

- answered before the primary's fsync ends, its own read sees it, and
  COMMIT still waits for a durable quorum;
- the primary's fsync failing after that answer: at write_quorum 'all' the
  COMMIT is not a success and no copy keeps the row;
- the primary killed (SIGKILL) after that answer: COMMIT succeeds or fails
  saying so, the row is there exactly when it succeeded, and the copies
  agree once the primary is back.
"""
import os
import signal
import sqlite3
import time

import psycopg2
import pytest

import checker
from conftest import fault, owned_cluster
from test_txn_atomic import nothing_anywhere, scalar

TIMERS = ["--suspect-timeout-ms", "3000", "--dead-timeout-ms", "10000"]
FSYNC_MS = 400  # a slowed WAL fsync
FAST_S = 0.25   # well under one slowed fsync: nothing waited for it


@pytest.fixture
def fc(request):
    yield from owned_cluster(request, followers=3, start_args=TIMERS)


def one_shard_table(conn, name):
    """A one-shard table of 3 copies holding (1, 0): (primary, [replicas])."""
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v int NOT NULL) "
                    "WITH (shards = 1, replicas = 3)" % name)
        cur.execute("INSERT INTO %s VALUES (1, 0)" % name)
        time.sleep(0.2)  # every copy answered before a fault slows one
        cur.execute("SELECT node, role FROM murphy.placements WHERE table_name = %s", (name,))
        placements = cur.fetchall()
    primary = [n for n, role in placements if role == "primary"]
    replicas = [n for n, role in placements if role != "primary"]
    assert len(primary) == 1 and len(replicas) == 2, placements
    return primary[0], replicas


def timed(cur, sql):
    t0 = time.monotonic()
    cur.execute(sql)
    return time.monotonic() - t0


def per_copy(fc, conn, table, sql, replicas=3):
    """{node: [rows of sql]} over every copy's file of table, read
    directly (copies agree first)."""
    checker.wait_consistent(fc, conn, tables=[table], replicas=replicas)
    out = {}
    for (t, _shard, node), (path, _lsn, _rows, _digest) in checker.placement_files(fc).items():
        if t != table:
            continue
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
        try:
            out[node] = [r[0] for r in db.execute(sql % table)]
        finally:
            db.close()
    return out


def v_everywhere(fc, conn, table):
    """The set of v values of row 1 over every copy's file."""
    rows = per_copy(fc, conn, table, 'SELECT v FROM "%s" WHERE id = 1')
    return {v for vs in rows.values() for v in vs}


def test_block_write_answered_before_the_primary_fsync_commit_waits_for_quorum(fc):
    conn = fc.connect()
    primary, replicas = one_shard_table(conn, "ea")
    for node in [primary] + replicas:
        fault(conn, "fsync %s %d" % (node, FSYNC_MS))
    try:
        with conn.cursor() as cur:
            # autocommit: its own decision, it waits for a durable quorum
            assert timed(cur, "UPDATE ea SET v = 1 WHERE id = 1") >= FSYNC_MS / 1000
            cur.execute("BEGIN")
            took = timed(cur, "UPDATE ea SET v = 2 WHERE id = 1")
            assert cur.rowcount == 1
            assert took < FAST_S, "the UPDATE in a block waited %.3f s (an fsync)" % took
            cur.execute("SELECT v FROM ea WHERE id = 1")
            assert cur.fetchone()[0] == 2  # its own write, on the primary
            took = timed(cur, "COMMIT")
            assert took >= FSYNC_MS / 1000, "COMMIT took %.3f s: no durable quorum" % took
            # an error on the primary is its only answer: answered, not hung
            cur.execute("BEGIN")
            t0 = time.monotonic()
            with pytest.raises(psycopg2.Error) as e:
                cur.execute("UPDATE ea SET v = NULL WHERE id = 1")
            assert e.value.pgcode == "23502", e.value.pgcode
            assert time.monotonic() - t0 < 10 * FSYNC_MS / 1000
            cur.execute("ROLLBACK")
        other = fc.connect()
        assert scalar(other, "SELECT v FROM ea WHERE id = 1") == 2
        other.close()
    finally:
        for node in [primary] + replicas:
            fault(conn, "fsync %s 0" % node)
    assert v_everywhere(fc, conn, "ea") == {2}
    conn.close()


def test_read_after_a_block_write_sees_it_on_the_primary(fc):
    """The next statement of the transaction, a read of the row it wrote,
    goes to the primary and sees the write (its group's write may still be
    in the follower WAL's io_uring: the loop goes on meanwhile;
    docs/decisions.md, "Follower writes run on the loop thread")."""
    conn = fc.connect()
    primary, replicas = one_shard_table(conn, "ec")
    for node in [primary] + replicas:
        fault(conn, "fsync %s %d" % (node, FSYNC_MS))
    try:
        with conn.cursor() as cur:
            cur.execute("BEGIN")
            assert timed(cur, "UPDATE ec SET v = 5 WHERE id = 1") < FAST_S
            cur.execute("SELECT v FROM ec WHERE id = 1")
            assert cur.fetchone()[0] == 5
            took = timed(cur, "COMMIT")
            assert took >= FSYNC_MS / 1000, "COMMIT took %.3f s: no durable quorum" % took
    finally:
        for node in [primary] + replicas:
            fault(conn, "fsync %s 0" % node)
    assert v_everywhere(fc, conn, "ec") == {5}
    conn.close()


def test_autocommit_write_is_decided_by_the_replicas_while_the_primary_syncs(fc):
    conn = fc.connect()
    primary, _ = one_shard_table(conn, "eb")
    slow_ms = 1500
    fault(conn, "fsync %s %d" % (primary, slow_ms))
    try:
        with conn.cursor() as cur:
            took = timed(cur, "UPDATE eb SET v = 3 WHERE id = 1")
            assert cur.rowcount == 1
            # APPLYs sent at the primary's early answer: the replicas' fsyncs
            # decide it, not the primary's then theirs
            assert took < slow_ms / 1000 / 2, "the UPDATE waited %.3f s" % took
    finally:
        fault(conn, "fsync %s 0" % primary)
    assert scalar(conn, "SELECT v FROM eb WHERE id = 1") == 3
    assert v_everywhere(fc, conn, "eb") == {3}
    conn.close()


def test_primary_killed_between_its_answers_loses_nothing_acknowledged(fc):
    conn = fc.connect()
    primary, _ = one_shard_table(conn, "ec")
    # its durable answers come 1.5 s late (its loop sleeps in the fsync:
    # under the 3 s suspect timeout)
    fault(conn, "fsync %s 1500" % primary)
    with conn.cursor() as cur:
        took = timed(cur, "UPDATE ec SET v = 4 WHERE id = 1")  # acknowledged
        assert took < 0.75, "the autocommit UPDATE waited %.3f s" % took
    blk = fc.connect(autocommit=False)
    committed = None
    with blk.cursor() as cur:
        cur.execute("UPDATE ec SET v = 5 WHERE id = 1")  # behind the first one's fsync
        os.kill(fc.pid(primary), signal.SIGKILL)  # right after its early answer
        try:
            blk.commit()
            committed = True
        except psycopg2.Error as e:
            # failed honestly: rolled back, or told unknown (never a false success)
            assert e.pgcode in ("40000", "08006", "40003"), (e.pgcode, str(e))
            committed = False if e.pgcode != "40003" else None
    blk.close()
    v = scalar(conn, "SELECT v FROM ec WHERE id = 1")  # from a replica now
    if committed is True:
        assert v == 5
    elif committed is False:
        assert v == 4  # the acknowledged autocommit UPDATE is kept
    else:
        assert v in (4, 5)
    fc.start()  # the killed primary comes back: every copy ends the same
    assert v_everywhere(fc, conn, "ec") == {v}
    conn.close()


def test_primary_fsync_failure_after_its_early_answer_is_not_counted(fc):
    conn = fc.connect()
    primary, _ = one_shard_table(conn, "ed")
    fault(conn, "fsync %s fail" % primary)
    with conn.cursor() as cur:
        cur.execute("SET murphy.write_quorum = 'all'")
        # the replicas hold it durably, the primary does not know: 2 of 3
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("UPDATE ed SET v = 6 WHERE id = 1")
        assert e.value.pgcode in ("08006", "58030", "40003"), (e.value.pgcode, str(e.value))
        cur.execute("SET murphy.write_quorum = 'majority'")
    nothing_anywhere(fc, conn, "ed", "v = 6")
    # its WAL broke: it commits with synchronous=FULL from now on; a block
    # whose primary is back in service commits as usual
    with conn.cursor() as cur:
        cur.execute("BEGIN")
        cur.execute("UPDATE ed SET v = 7 WHERE id = 1")
        cur.execute("COMMIT")
    assert scalar(conn, "SELECT v FROM ed WHERE id = 1") == 7
    assert v_everywhere(fc, conn, "ed") == {7}
    conn.close()


def ids_everywhere(fc, conn, table, replicas=3):
    """{node: sorted ids} over every copy's file of table."""
    rows = per_copy(fc, conn, table, 'SELECT id FROM "%s" ORDER BY id', replicas)
    return {node: sorted(ids) for node, ids in rows.items()}


def test_block_insert_answered_before_the_primary_fsync_commit_waits_for_quorum(fc):
    conn = fc.connect()
    primary, replicas = one_shard_table(conn, "ei")
    for node in [primary] + replicas:
        fault(conn, "fsync %s %d" % (node, FSYNC_MS))
    try:
        with conn.cursor() as cur:
            cur.execute("BEGIN")
            took = timed(cur, "INSERT INTO ei VALUES (2, 20)")
            assert cur.rowcount == 1
            assert took < FAST_S, "the INSERT in a block waited %.3f s (an fsync)" % took
            cur.execute("SELECT v FROM ei WHERE id = 2")
            assert cur.fetchone()[0] == 20  # its own row, on the primary
            took = timed(cur, "COMMIT")
            assert took >= FSYNC_MS / 1000, "COMMIT took %.3f s: no durable quorum" % took
            # a duplicate key fails on the primary: its only answer, an error
            cur.execute("BEGIN")
            with pytest.raises(psycopg2.Error) as e:
                cur.execute("INSERT INTO ei VALUES (2, 21)")
            assert e.value.pgcode == "23505", e.value.pgcode
            cur.execute("ROLLBACK")
    finally:
        for node in [primary] + replicas:
            fault(conn, "fsync %s 0" % node)
    assert set(map(tuple, ids_everywhere(fc, conn, "ei").values())) == {(1, 2)}
    assert scalar(conn, "SELECT v FROM ei WHERE id = 2") == 20
    conn.close()


def test_block_insert_primary_fsync_failure_after_its_early_answer_commits_nothing(fc):
    conn = fc.connect()
    primary, _ = one_shard_table(conn, "ef")
    fault(conn, "fsync %s fail" % primary)
    with conn.cursor() as cur:
        # 'all': the replicas alone are not a quorum (at 'majority' they
        # would decide the row, as they decide an UPDATE)
        cur.execute("SET murphy.write_quorum = 'all'")
        cur.execute("BEGIN")
        cur.execute("INSERT INTO ef VALUES (2, 30)")  # the primary's early answer
        assert cur.rowcount == 1
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("COMMIT")
        assert e.value.pgcode in ("40000", "40003"), (e.value.pgcode, str(e.value))
        cur.execute("SET murphy.write_quorum = 'majority'")
    assert scalar(conn, "SELECT count(*) FROM ef WHERE id = 2") == 0
    nothing_anywhere(fc, conn, "ef", "id = 2")
    conn.close()


def test_block_insert_primary_killed_after_its_early_answer_told_truthfully(fc):
    conn = fc.connect()
    primary, replicas = one_shard_table(conn, "ek")
    # every durable answer comes 1.5 s late (under the 3 s suspect timeout):
    # the replicas' too, so that no quorum answers the INSERT before then
    for node in [primary] + replicas:
        fault(conn, "fsync %s 1500" % node)
    blk = fc.connect(autocommit=False)
    committed = None
    with blk.cursor() as cur:
        took = timed(cur, "INSERT INTO ek VALUES (2, 40)")
        assert took < 0.75, "the INSERT in a block waited %.3f s (the primary's fsync)" % took
        os.kill(fc.pid(primary), signal.SIGKILL)  # after its early answer, before its fsync
        try:
            blk.commit()
            committed = True
        except psycopg2.Error as e:
            assert e.pgcode in ("40000", "08006", "40003"), (e.pgcode, str(e))
            committed = False if e.pgcode != "40003" else None
    blk.close()
    for node in replicas:
        fault(conn, "fsync %s 0" % node)
    n = scalar(conn, "SELECT count(*) FROM ek WHERE id = 2")  # from a replica now
    if committed is True:
        assert n == 1
    elif committed is False:
        assert n == 0
    fc.start()  # the killed primary comes back: every copy ends the same
    copies = ids_everywhere(fc, conn, "ek")
    assert len(copies) == 3, copies
    assert set(map(tuple, copies.values())) == {(1, 2) if n else (1,)}, copies
    conn.close()
