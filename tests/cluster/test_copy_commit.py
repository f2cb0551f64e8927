"""The commit of an autocommit COPY over several shards (docs/transactions.md,
"An autocommit COPY's commit"; leader/lead_copy.c).

An autocommit COPY is its own transaction: all rows or none.  Over several
shards it commits by staging markers (parallel commits, as an autocommit
statement), sent with its last batches when they are small (one frame to
each copy, one write batch and fsync there); `SET murphy.parallel_commits =
off` keeps the recorded decision.
Each crash test kills the leader at one step of the COPY's commit and
checks, on every copy's file, that the COPY is there whole or not at all.
"""
import io
import threading

import psycopg2
import pytest

import checker
from conftest import fault
from test_leader_crash import kill_leader
from test_txn_atomic import ids_on_copies, nothing_anywhere, scalar
from test_txn_crash import cc, mode_connect, with_fault_point  # noqa: F401
from test_txn_pcommit import staged_on_copies

ROWS = 1000  # small: every batch goes at the COPY's end, each under LEAD_COPY_EARLY_BYTES


def make_table(conn, name):
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v int NOT NULL) "
                    "WITH (shards = 4, replicas = 3)" % name)


def copy_rows(conn, table, lo, n, v=1):
    data = "".join("%d\t%d\n" % (i, v) for i in range(lo, lo + n))
    with conn.cursor() as cur:
        cur.copy_expert("COPY %s FROM STDIN" % table, io.StringIO(data))


def log_kinds(cluster, conn, table):
    """{kind: entries} over every copy of table's shard logs (0 data, 1 commit
    marker, 2 staging marker), once the copies agree."""
    return staged_on_copies(cluster, conn, table)


@pytest.mark.parametrize("mode", ("on", "off"))
def test_autocommit_copy_commits_by_staging_markers(cluster, mode):
    """Parallel commits on (the default): the COPY's commit is a staging
    marker on each of its 4 shards, on each of their 3 copies (no commit
    marker on its path); off: the recorded decision's commit markers."""
    conn = mode_connect(cluster, mode, autocommit=True)
    make_table(conn, "cc_" + mode)
    copy_rows(conn, "cc_" + mode, 1, ROWS)
    assert scalar(conn, "SELECT count(*) FROM cc_%s" % mode) == ROWS
    kinds = log_kinds(cluster, conn, "cc_" + mode)
    if mode == "on":
        assert kinds.get(2) == 4 * 3, kinds
    else:
        assert kinds.get(2) is None and kinds.get(1) == 4 * 3, kinds
    conn.close()


def test_copy_failing_on_its_last_row_leaves_nothing_small(cc):
    """A small COPY whose last row is a duplicate key on one shard: its
    commit went out with its batches (the failed batch dooms it: the
    leader logs so), yet nothing of it stays, and the COPY's error is the
    row's."""
    cluster = cc
    conn = cluster.connect()
    make_table(conn, "cc_dup")
    copy_rows(conn, "cc_dup", 5000, 1)
    data = "".join("%d\t1\n" % i for i in range(1, ROWS + 1)) + "5000\t1\n"
    with conn.cursor() as cur:
        with pytest.raises(psycopg2.Error) as e:
            cur.copy_expert("COPY cc_dup FROM STDIN", io.StringIO(data))
    assert e.value.pgcode == "23505", e.value
    assert "a pipelined write failed" in cluster.logs(), "the commit waited for the batches"
    assert scalar(conn, "SELECT count(*) FROM cc_dup") == 1
    nothing_anywhere(cluster, conn, "cc_dup", "id < 5000")
    copy_rows(conn, "cc_dup", 1, ROWS)  # the shards take the same rows again
    assert scalar(conn, "SELECT count(*) FROM cc_dup") == ROWS + 1
    conn.close()


@pytest.mark.parametrize("point, committed", [
    ("txn_after_prepare", False),      # nothing staged: presumed abort
    ("txn_after_one_staged", False),   # one shard staged, the others never sent
    ("txn_after_first_staged", None),  # all sent, one at its quorum: whole either way
    ("txn_after_decision", True),      # every staging marker at its quorum
])
def test_leader_killed_during_a_copy_commit_leaves_it_whole(cc, point, committed):
    conn = cc.connect()
    make_table(conn, "cc_crash")
    conn.close()
    with_fault_point(cc, point)
    conn = cc.connect()
    with pytest.raises(psycopg2.OperationalError):
        copy_rows(conn, "cc_crash", 1, ROWS)  # the leader dies in the COPY's commit
    conn.close()
    assert "fault point %s reached" % point in cc.logs(), "the leader died elsewhere"
    kill_leader(cc)  # already gone: this only waits for the pid to vanish
    cc.start()
    conn = cc.connect()
    checker.wait_consistent(cc, conn, tables=["cc_crash"], replicas=3, timeout=30)
    n = scalar(conn, "SELECT count(*) FROM cc_crash")
    assert n in ((ROWS,) if committed else (0,) if committed is False else (0, ROWS)), n
    copies = ids_on_copies(cc, conn, "cc_crash", "true")
    assert sum(len(ids) for ids in copies.values()) == 3 * n, copies  # every copy agrees
    copy_rows(conn, "cc_crash", ROWS + 1, 10)  # the shards take writes again
    assert scalar(conn, "SELECT count(*) FROM cc_crash") == n + 10
    conn.close()


def test_copy_batches_missing_their_quorum_after_the_commit_went_leave_nothing(cc):
    """f1's fsyncs fail and the write quorum is every copy: the COPY's
    staging markers go out with its batches, then every batch misses its
    quorum (f1 holds none durably).  The COPY's transaction is doomed: the
    COPY fails and no copy keeps a row of it."""
    conn = cc.connect()
    make_table(conn, "cc_fsync")
    fault(conn, "fsync f1 fail")
    with conn.cursor() as cur:
        cur.execute("SET murphy.write_quorum = 'all'")
    with pytest.raises(psycopg2.Error) as e:
        copy_rows(conn, "cc_fsync", 1, ROWS)
    assert e.value.pgcode in ("40000", "40003", "08006", "58030"), (e.value.pgcode, str(e.value))
    assert "a pipelined write failed" in cc.logs(), "the commit waited for the batches"
    with conn.cursor() as cur:
        cur.execute("SET murphy.write_quorum = 'majority'")
    assert scalar(conn, "SELECT count(*) FROM cc_fsync") == 0
    nothing_anywhere(cc, conn, "cc_fsync", "true")
    copy_rows(conn, "cc_fsync", 1, ROWS)  # f1 syncs with synchronous=FULL now: the rows go in
    assert scalar(conn, "SELECT count(*) FROM cc_fsync") == ROWS
    conn.close()


@pytest.mark.parametrize("mode", ("on", "off"))
def test_concurrent_small_copies_one_failing_leave_nothing_of_it(cluster, mode):
    """Two clients COPY small batches into one table at once; every third
    COPY of the first ends on a duplicate key.  A failed COPY leaves no row
    on any shard (its commit, sent with its batches, is doomed by the
    failed one, also when that one failed before the commit began), and
    the other client's COPYs all commit: a COPY's locks are not handed on
    while a batch of it may still fail."""
    conn = mode_connect(cluster, mode, autocommit=True)
    table = "cc_two_" + mode
    make_table(conn, table)
    copy_rows(conn, table, 1, 1)
    errors = {"a": [], "b": []}

    def worker(name, base, dup):
        c = mode_connect(cluster, mode, autocommit=True)
        for k in range(30):
            data = "".join("%d\t1\n" % i for i in range(base + k * 1000, base + k * 1000 + 300))
            if dup and k % 3 == 0:
                data += "1\t1\n"
            try:
                with c.cursor() as cur:
                    cur.copy_expert("COPY %s FROM STDIN" % table, io.StringIO(data))
            except psycopg2.Error as e:
                errors[name].append((k, e.pgcode))
        c.close()

    threads = [threading.Thread(target=worker, args=("a", 10**6, True)),
               threading.Thread(target=worker, args=("b", 10**8, False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors["b"] == [], errors["b"]
    assert sorted(errors["a"]) == [(k, "23505") for k in range(0, 30, 3)], errors["a"]
    failed = " OR ".join("id BETWEEN %d AND %d" % (10**6 + k * 1000, 10**6 + k * 1000 + 299)
                         for k in range(0, 30, 3))
    assert scalar(conn, "SELECT count(*) FROM %s WHERE %s" % (table, failed)) == 0
    assert scalar(conn, "SELECT count(*) FROM %s" % table) == 1 + 20 * 300 + 30 * 300
    nothing_anywhere(cluster, conn, table, failed)
    conn.close()
