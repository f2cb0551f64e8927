"""A one-shard transaction's fate by txid (issue 16, "Ambiguity told
honestly"; docs/transactions.md, "A COMMIT whose answer was lost").

A one-shard COMMIT records no outcome row: its commit marker in the shard
log is its decision.  `murphy.transaction_outcomes WHERE txid = X` answers
for it all the same: `committed` (from the leader's memory of the ends it
saw, or, after a restart, from the copies' logs: the marker at the shard's
quorum), no row when it did not commit, `unknown` when the leader cannot
tell (a copy that could hold it does not answer) — never a guess.
Before this, every one-shard txid read "no row", committed or not.
"""
import os
import signal
import subprocess
import sys
import textwrap
import time

import psycopg2
import pytest

import checker
from conftest import owned_cluster, timer_args
from test_leader_crash import kill_leader
from test_txn_atomic import ids_on_copies
from test_txn_visible import copies_of, ids_on_shards, scalar, view_rows

SUSPECT_MS = 1000
PAUSE_SUSPECT_MS = 15000
DEAD_MS = 60000  # a paused follower is never declared dead meanwhile


@pytest.fixture
def oc(request):
    yield from owned_cluster(request, 3, timer_args(SUSPECT_MS, DEAD_MS))


@pytest.fixture
def slow(request):
    """Paused copies stay unsuspected for PAUSE_SUSPECT_MS: a COMMIT waits."""
    yield from owned_cluster(request, 3, timer_args(PAUSE_SUSPECT_MS, DEAD_MS))


def make_table(cluster, table):
    """4 shards, 3 copies each, ids 1..20 at v = 0; {shard: an id on it}."""
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v int NOT NULL) "
                    "WITH (shards = 4, replicas = 3)" % table)
        cur.execute("INSERT INTO %s VALUES %s" % (table, ",".join(
            "(%d, 0)" % i for i in range(1, 21))))
    ids = ids_on_shards(conn, table, 4)
    conn.close()
    return ids


def lookup(conn, txid):
    """(outcome, participants) or None (no row)."""
    with conn.cursor() as cur:
        cur.execute("SELECT outcome, participants FROM murphy.transaction_outcomes "
                    "WHERE txid = %s", (txid,))
        rows = cur.fetchall()
    assert len(rows) <= 1, rows
    return rows[0] if rows else None


def block(cluster, sql, end="commit"):
    """Run sql in a block ended by `end`; its txid."""
    conn = cluster.connect(autocommit=False)
    txid = scalar(conn, "SELECT txid_current()")
    with conn.cursor() as cur:
        for s in sql:
            try:
                cur.execute(s)
            except psycopg2.Error:
                pass  # the block is failed: COMMIT rolls it back
    getattr(conn, end)()
    conn.close()
    return txid


def on_copies(cluster, conn, table, id_):
    """v of id_ on every copy of its shard, read from their SQLite files."""
    got = ids_on_copies(cluster, conn, table, "id = %d AND v = 7" % id_)
    return sum(1 for ids in got.values() if id_ in ids)


def test_one_shard_commit_is_found_by_txid_also_after_a_leader_restart(oc):
    table = "os_found"
    ids = make_table(oc, table)
    a, b, c = ids[0], ids[1], ids[2]
    committed = block(oc, ["UPDATE %s SET v = 7 WHERE id = %d" % (table, a)])
    rolled_back = block(oc, ["UPDATE %s SET v = 7 WHERE id = %d" % (table, b)], "rollback")
    failed = block(oc, ["UPDATE %s SET v = 7 WHERE id = %d" % (table, c),
                        "SELECT 1/0"])  # COMMIT of a failed block: ROLLBACK
    conn = oc.connect()
    row = lookup(conn, committed)
    assert row is not None and row[0] == "committed", row
    want = row[1]
    assert want.endswith(":0") and "," not in want, row  # the one shard it wrote: 0
    assert lookup(conn, rolled_back) is None
    assert lookup(conn, failed) is None
    # what the copies hold agrees: a on all three, b and c on none
    assert on_copies(oc, conn, table, a) == 3
    assert on_copies(oc, conn, table, b) == 0 and on_copies(oc, conn, table, c) == 0
    conn.close()
    kill_leader(oc)  # the leader's memory of those ends is gone
    oc.start()
    conn = oc.connect()
    row = lookup(conn, committed)  # from the copies' logs now
    assert row is not None and row[0] == "committed" and row[1] == want, row
    assert lookup(conn, rolled_back) is None
    assert lookup(conn, failed) is None
    checker.wait_consistent(oc, conn, tables=[table], replicas=3, timeout=30)
    assert scalar(conn, "SELECT count(*) FROM %s WHERE v = 7" % table) == 1
    conn.close()


CLIENT = textwrap.dedent("""
    import sys, psycopg2
    conn = psycopg2.connect(sys.argv[1])
    cur = conn.cursor()
    cur.execute("SELECT txid_current()")
    print(cur.fetchone()[0], flush=True)
    cur.execute("UPDATE %s SET v = 7 WHERE id = %s" % tuple(sys.argv[2:4]))
    print("updated", flush=True)
    sys.stdin.readline()  # the test paused the copies: COMMIT now
    conn.commit()
    print("committed", flush=True)
""")


def test_client_killed_during_its_one_shard_commit(slow):
    """Two of the three copies of the shard are paused (SIGSTOP), so the
    COMMIT's marker waits for its quorum ("prepared" in murphy.transactions);
    the client process is killed -9 then.  The commit goes on without it
    once the copies resume: the lookup by txid says `committed`, and every
    copy's file holds the write.  The leader is then killed and restarted:
    the same answer, from the logs."""
    table = "os_client"
    ids = make_table(slow, table)
    a = ids[1]
    conn = slow.connect()
    paused = copies_of(conn, table, 1)[:2]
    child = subprocess.Popen([sys.executable, "-c", CLIENT, slow.dsn(), table, str(a)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        txid = int(child.stdout.readline())
        assert child.stdout.readline().strip() == "updated"
        time.sleep(0.3)  # its entry at every copy
        for n in paused:
            os.kill(slow.pid(n), signal.SIGSTOP)
        try:
            child.stdin.write("commit\n")
            child.stdin.flush()
            deadline = time.time() + 10
            while (view_rows(conn, [txid]).get(txid) or ("",))[0] != "prepared":
                assert time.time() < deadline, view_rows(conn, [txid])
                time.sleep(0.02)
            child.kill()  # the client is gone while its COMMIT waits
            child.wait(10)
            assert child.stdout.read() == ""  # it never heard the outcome
            assert lookup(conn, txid) is None  # still open: murphy.transactions has it
        finally:
            for n in paused:
                os.kill(slow.pid(n), signal.SIGCONT)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
    deadline = time.time() + 20
    while txid in view_rows(conn, [txid]):
        assert time.time() < deadline, "the commit never ended"
        time.sleep(0.05)
    row = lookup(conn, txid)
    assert row is not None and row[0] == "committed", row
    assert on_copies(slow, conn, table, a) == 3
    conn.close()
    kill_leader(slow)
    slow.start()
    conn = slow.connect()
    row = lookup(conn, txid)
    assert row is not None and row[0] == "committed", row
    conn.close()


def test_a_copy_that_cannot_answer_makes_it_unknown_not_aborted(oc):
    """After a restart (the leader's memory gone) a rolled-back one-shard
    transaction has no entry on any copy: no row.  With one copy of its
    shard paused the leader cannot tell that copy holds no marker of it:
    `unknown`, never "no row"; a committed one is still `committed` (its
    marker counts on the copies that answer).  Resumed: no row again."""
    table = "os_unknown"
    ids = make_table(oc, table)
    committed = block(oc, ["UPDATE %s SET v = 7 WHERE id = %d" % (table, ids[2])])
    rolled_back = block(oc, ["UPDATE %s SET v = 7 WHERE id = %d" % (table, ids[2])],
                        "rollback")
    kill_leader(oc)
    oc.start()
    conn = oc.connect()
    checker.wait_consistent(oc, conn, tables=[table], replicas=3, timeout=30)
    assert lookup(conn, rolled_back) is None
    victim = copies_of(conn, table, 2)[0]
    os.kill(oc.pid(victim), signal.SIGSTOP)
    try:
        row = lookup(conn, rolled_back)
        assert row is not None and row[0] == "unknown", row
        row = lookup(conn, committed)
        assert row is not None and row[0] == "committed", row
    finally:
        os.kill(oc.pid(victim), signal.SIGCONT)
    deadline = time.time() + 20
    while lookup(conn, rolled_back) is not None:
        assert time.time() < deadline, lookup(conn, rolled_back)
        time.sleep(0.2)
    conn.close()
