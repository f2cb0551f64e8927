"""A leader killed -9 in the middle of a transaction: after the restart the
transaction is aborted (presumed abort: no decision record says it
committed), on every copy, and its shards take writes again
(docs/transactions.md, "Crash table").

The restarted leader learns from each copy's STATUS that it holds an open
transaction (entries without a commit marker) the leader does not have
open, and undoes that suffix before it decides the shard's committed entry;
one recorded committed gets its marker, before the writes that queued
while the shard was undecided.
"""
import os
import signal
import threading
import time

import psycopg2
import pytest

import checker
from conftest import owned_cluster, timer_args, wait_log
from test_leader_crash import kill_leader
from test_txn_atomic import ids_on_copies, nothing_anywhere, rows, scalar, two_shard_ids

SUSPECT_MS = 1000
DEAD_MS = 30000  # nobody is declared dead (and rebuilt) during these tests


# murphy.parallel_commits: "on" (the default: a multi-shard COMMIT by
# staging markers) and "off" (every entry at its quorum, a recorded
# decision, then commit markers).  Crash-table rows that hold for both
# paths are parametrized over MODES (docs/transactions.md, "Crash table").
MODES = ("on", "off")


def mode_connect(cluster, mode, autocommit=False):
    """A connection whose multi-shard commits go by `mode`."""
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("SET murphy.parallel_commits = %s" % mode)
    conn.autocommit = autocommit
    return conn


@pytest.fixture
def cc(request):
    yield from owned_cluster(request, 3, timer_args(SUSPECT_MS, DEAD_MS))


def setup_table(cluster, name, mode=None):
    """20 rows over 4 shards; mode: the INSERT's murphy.parallel_commits."""
    conn = mode_connect(cluster, mode, autocommit=True) if mode else cluster.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v int NOT NULL) "
                    "WITH (shards = 4, replicas = 3)" % name)
        cur.execute("INSERT INTO %s %s" % (name, rows(1, 20, 0)))
    conn.close()


def restart_and_check(cluster, table, v_after=(0,)):
    """After the restart: the 20 rows, each with the same v, one of
    v_after (the transactions that committed before the kill)."""
    cluster.start()
    conn = cluster.connect()
    checker.wait_consistent(cluster, conn, tables=[table], replicas=3, timeout=30)
    assert scalar(conn, "SELECT count(*) FROM %s" % table) == 20
    with conn.cursor() as cur:
        cur.execute("SELECT min(v), max(v) FROM %s" % table)
        lo, hi = cur.fetchone()
    assert lo == hi and lo in v_after, (lo, hi)  # none of the killed one, all of each before
    nothing_anywhere(cluster, conn, table, "id > 20 OR v <> %d" % lo)
    # every shard takes writes again (a copy left with the open suffix
    # would refuse them)
    with conn.cursor() as cur:
        cur.execute("UPDATE %s SET v = 1" % table)
        cur.execute("INSERT INTO %s %s" % (table, rows(300, 320, 2)))
    assert scalar(conn, "SELECT sum(v) FROM %s" % table) == 20 + 21 * 2
    checker.wait_consistent(cluster, conn, tables=[table], replicas=3, timeout=30)
    copies = ids_on_copies(cluster, conn, table, "id >= 300")
    assert sum(len(v) for v in copies.values()) == 21 * 3
    conn.close()


@pytest.mark.parametrize("mode", MODES)
def test_leader_killed_before_commit_the_block_is_undone(cc, mode):
    """Every entry of the block at its quorum, no decision: presumed abort."""
    setup_table(cc, "crash_blk")
    blk = mode_connect(cc, mode)
    with blk.cursor() as cur:
        cur.execute("INSERT INTO crash_blk " + rows(100, 140, 1))
        cur.execute("UPDATE crash_blk SET v = 5 WHERE id <= 20")
    kill_leader(cc)
    blk.close()
    restart_and_check(cc, "crash_blk")


@pytest.mark.parametrize("mode", MODES)
def test_leader_killed_during_a_multi_shard_statement_it_is_undone(cc, mode):
    """An autocommit statement over every shard, killed while its parts are
    in flight: none of it stays (some parts may have reached their quorum)."""
    setup_table(cc, "crash_stmt")
    conn = mode_connect(cc, mode, autocommit=True)
    errors = []

    def big_update():
        try:
            with conn.cursor() as cur:
                # until the kill ends it (a fixed count finished within the
                # 0.3 s once multi-shard statements got faster)
                deadline = time.time() + 20
                while time.time() < deadline:
                    cur.execute("UPDATE crash_stmt SET v = v + 1")
                    cur.execute("UPDATE crash_stmt SET v = v - 1")
        except psycopg2.Error as e:
            errors.append(e)

    t = threading.Thread(target=big_update)
    t.start()
    time.sleep(0.3)
    kill_leader(cc)
    t.join(30)
    assert errors, "the statements finished before the kill: the test saw no crash"
    conn.close()
    restart_and_check(cc, "crash_stmt", v_after=(0, 1))


def with_fault_point(cluster, name):
    """Restart the leader with MURPHY_FAULT_POINT=name armed."""
    kill_leader(cluster)
    os.environ["MURPHY_FAULT_POINT"] = name
    try:
        cluster.start()
    finally:
        del os.environ["MURPHY_FAULT_POINT"]


def wait_fault_reached(cluster, point, timeout=15):
    """Until the leader's log says it died at `point`."""
    wait_log(cluster, "fault point %s reached" % point, timeout)


def two_shard_commit_dies_at(cluster, table, point, mode="off"):
    """A block updating ids on two shards; its COMMIT (by `mode`) kills the
    leader at `point`; the leader is started again (unarmed).  By parallel
    commits txn_after_first_marker is after the COMMIT was answered: the
    tick's lazy markers (the shards stay idle a second) kill it then."""
    lazy = mode == "on" and point == "txn_after_first_marker"
    # the setup's own markers must not be the ones that reach the point (a
    # restart appends those of a staged INSERT): it commits with markers
    setup_table(cluster, table, "off" if point == "txn_after_first_marker" else None)
    conn = cluster.connect()
    a_id, b_id = two_shard_ids(conn, table)
    conn.close()
    with_fault_point(cluster, point)
    blk = mode_connect(cluster, mode)
    with blk.cursor() as cur:
        cur.execute("UPDATE %s SET v = 7 WHERE id IN (%d, %d)" % (table, a_id, b_id))
    if lazy:
        blk.commit()  # committed by its staging markers: no marker on its path
        wait_fault_reached(cluster, point)
    else:
        with pytest.raises(psycopg2.Error):
            blk.commit()  # the leader died inside COMMIT
    blk.close()
    assert "fault point %s reached" % point in cluster.logs(), "the leader died elsewhere"
    kill_leader(cluster)  # already gone: this only waits for the pid to vanish
    cluster.start()
    conn = cluster.connect()
    checker.wait_consistent(cluster, conn, tables=[table], replicas=3, timeout=30)
    return conn, a_id, b_id


def check_outcome(cluster, conn, table, ids, committed):
    want = 7 if committed else 0
    for i in ids:
        assert scalar(conn, "SELECT v FROM %s WHERE id = %d" % (table, i)) == want, (i, committed)
    copies = ids_on_copies(cluster, conn, table, "v = 7")
    for node, got in copies.items():  # every copy agrees (each holds its shards' rows)
        assert set(got) <= set(ids) and (committed or not got), (node, got)
    assert sum(len(v) for v in copies.values()) == (2 * 3 if committed else 0), copies
    with conn.cursor() as cur:  # the shards take writes again
        cur.execute("UPDATE %s SET v = v + 1" % table)
    assert scalar(conn, "SELECT sum(v) FROM %s" % table) == 20 + (14 if committed else 0)
    conn.close()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("point, committed", [
    # no decision, nothing staged (off: every entry at its quorum; on:
    # entries maybe in flight): presumed abort
    ("txn_after_prepare", False),
    # off: decision recorded, no marker; on: every staging marker at its
    # quorum, no row, no marker: committed, markers appended
    ("txn_after_decision", True),
    # one marker at quorum (on: the tick's lazy markers): the other appended
    ("txn_after_first_marker", True),
])
def test_leader_killed_at_each_step_of_a_two_shard_commit(cc, point, committed, mode):
    table = "c_%s_%s" % (point, mode)
    conn, a_id, b_id = two_shard_commit_dies_at(cc, table, point, mode)
    check_outcome(cc, conn, table, (a_id, b_id), committed)


@pytest.mark.parametrize("mode", MODES)
def test_writes_queued_during_a_restart_run_after_its_markers(cc, mode):
    """The leader dies with a two-shard decision recorded and no marker
    sent; it restarts while the followers are stopped, so the writes of
    its first clients queue until the copies report.  Every copy holds
    the transaction open at the end of its log: the restart's marker must
    be appended before those writes, which every copy would refuse (25000)
    while it is open (found by the bank nemesis)."""
    table = "c_queued_" + mode
    setup_table(cc, table)
    conn = cc.connect()
    a_id, b_id = two_shard_ids(conn, table)
    conn.close()
    with_fault_point(cc, "txn_after_decision")
    blk = mode_connect(cc, mode)
    with blk.cursor() as cur:
        cur.execute("UPDATE %s SET v = 7 WHERE id IN (%d, %d)" % (table, a_id, b_id))
    with pytest.raises(psycopg2.Error):
        blk.commit()  # the leader died inside COMMIT
    blk.close()
    assert "fault point txn_after_decision reached" in cc.logs(), "the leader died elsewhere"
    kill_leader(cc)
    followers = [cc.pid(n) for n in cc.node_names()[1:]]
    for pid in followers:
        os.kill(pid, signal.SIGSTOP)
    starter = threading.Thread(target=cc.start)  # returns once the followers are back
    starter.start()
    conn = None
    for _ in range(200):  # the leader listens (no follower is back)
        try:
            conn = cc.connect()
            break
        except psycopg2.OperationalError:
            time.sleep(0.05)
    assert conn is not None, "the leader did not start"
    errors = []

    def write(i):
        try:
            c = cc.connect()
            with c.cursor() as cur:
                cur.execute("UPDATE %s SET v = v + 1 WHERE id = %d" % (table, i))
            c.close()
        except psycopg2.Error as e:
            errors.append("%s %s" % (e.pgcode, e))

    threads = [threading.Thread(target=write, args=(i,)) for i in (a_id, b_id)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # both are queued: the shards are not decided
    for pid in followers:
        os.kill(pid, signal.SIGCONT)
    for t in threads:
        t.join(30)
    starter.join(60)
    assert not errors, errors
    checker.wait_consistent(cc, conn, tables=[table], replicas=3, timeout=30)
    for i in (a_id, b_id):
        assert scalar(conn, "SELECT v FROM %s WHERE id = %d" % (table, i)) == 8, i
    conn.close()
