"""A leader killed -9 in the middle of a transaction: after the restart the
transaction is aborted (presumed abort: no decision record says it
committed), on every copy, and its shards take writes again
(docs/transactions.md, "Crash table").

The restarted leader learns from each copy's STATUS that it holds an open
transaction (entries without a commit marker) the leader does not have
open, and undoes that suffix before it decides the shard's committed entry.
"""
import threading
import time

import psycopg2
import pytest

import checker
from conftest import owned_cluster, timer_args
from test_leader_crash import kill_leader
from test_txn_atomic import ids_on_copies, nothing_anywhere, rows, scalar

SUSPECT_MS = 1000
DEAD_MS = 30000  # nobody is declared dead (and rebuilt) during these tests


@pytest.fixture
def cc(request):
    yield from owned_cluster(request, 3, timer_args(SUSPECT_MS, DEAD_MS))


def setup_table(cluster, name):
    conn = cluster.connect()
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


def test_leader_killed_before_commit_the_block_is_undone(cc):
    """Every entry of the block at its quorum, no decision: presumed abort."""
    setup_table(cc, "crash_blk")
    blk = cc.connect(autocommit=False)
    with blk.cursor() as cur:
        cur.execute("INSERT INTO crash_blk " + rows(100, 140, 1))
        cur.execute("UPDATE crash_blk SET v = 5 WHERE id <= 20")
    kill_leader(cc)
    blk.close()
    restart_and_check(cc, "crash_blk")


def test_leader_killed_during_a_multi_shard_statement_it_is_undone(cc):
    """An autocommit statement over every shard, killed while its parts are
    in flight: none of it stays (some parts may have reached their quorum)."""
    setup_table(cc, "crash_stmt")
    conn = cc.connect()
    errors = []

    def big_update():
        try:
            with conn.cursor() as cur:
                for _ in range(50):
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
