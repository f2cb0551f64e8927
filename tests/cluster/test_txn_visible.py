"""What murphy shows of its transactions (issue 16, "Visible" and
"Ambiguity told honestly"; docs/transactions.md, "Views").

murphy.transactions names each open transaction's session (the pid the
client got in BackendKeyData, which pg_backend_pid() answers too, its user
and application_name), its state, the shards whose lock it holds and the
followers holding their copies, what it waits for and its isolation level.
A COMMIT whose marker cannot reach its quorum (the copies are paused) shows
"prepared" until they answer.  A client whose connection died inside a
multi-shard COMMIT finds its fate by txid in murphy.transaction_outcomes.
"""
import os
import re
import signal
import threading
import time

import psycopg2
import pytest

import checker
from conftest import owned_cluster, timer_args
from test_leader_crash import kill_leader
from test_txn_crash import MODES, mode_connect, with_fault_point

SHARDS = 4


def scalar(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()[0]


def shard_of(conn, table, key):
    with conn.cursor() as cur:
        cur.execute("EXPLAIN SELECT * FROM %s WHERE id = %d" % (table, key))
        plan = "\n".join(r[0] for r in cur.fetchall())
    return int(re.search(r"\(shard (\d+)\)", plan).group(1))


def ids_on_shards(conn, table, n):
    """n ids on n different shards of table: {shard: id}."""
    out = {}
    for i in range(1, 500):
        out.setdefault(shard_of(conn, table, i), i)
        if len(out) == n:
            return out
    raise AssertionError("fewer than %d shards hold ids" % n)


def copies_of(conn, table, shard):
    with conn.cursor() as cur:
        cur.execute("SELECT node FROM murphy.placements WHERE table_name = %s AND shard = %s",
                    (table, shard))
        return sorted(r[0] for r in cur.fetchall())


def connect(cluster, app, autocommit=False):
    conn = psycopg2.connect(cluster.dsn() + " application_name=" + app)
    conn.autocommit = autocommit
    return conn


def view_rows(conn, txids):
    with conn.cursor() as cur:
        cur.execute("SELECT txid, state, pid, usename, application_name, participants, nodes,"
                    " waiting_for, isolation, shards FROM murphy.transactions"
                    " WHERE txid IN (%s)" % ",".join(str(int(t)) for t in txids))
        return {r[0]: r[1:] for r in cur.fetchall()}


def test_pg_backend_pid_is_the_backend_key_pid(cluster):
    a = cluster.connect()
    b = cluster.connect()
    assert scalar(a, "SELECT pg_backend_pid()") == a.get_backend_pid()
    assert scalar(b, "SELECT pg_backend_pid()") == b.get_backend_pid()
    assert a.get_backend_pid() != b.get_backend_pid()
    a.close()
    b.close()


def test_transactions_view_names_sessions_shards_nodes_and_waits(cluster):
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE vis (id int PRIMARY KEY, v int NOT NULL) WITH (shards = %d)"
                    % SHARDS)
    ids = ids_on_shards(conn, "vis", 3)
    (sa, a), (sb, b), (sc, c) = sorted(ids.items())
    with conn.cursor() as cur:
        cur.execute("INSERT INTO vis VALUES (%s, 0), (%s, 0), (%s, 0)", (a, b, c))
    # one block writes two shards, another (serializable) a third
    one = connect(cluster, "visible_one")
    two = connect(cluster, "visible_two")
    two.set_session(isolation_level="SERIALIZABLE")
    tx1 = scalar(one, "SELECT txid_current()")
    with one.cursor() as cur:
        cur.execute("UPDATE vis SET v = 1 WHERE id = %s", (a,))
        cur.execute("UPDATE vis SET v = 1 WHERE id = %s", (b,))
    tx2 = scalar(two, "SELECT txid_current()")
    with two.cursor() as cur:
        cur.execute("UPDATE vis SET v = 2 WHERE id = %s", (c,))
    # a third waits for the first's lock on a's shard
    waiter = connect(cluster, "visible_waiter")
    tx3 = scalar(waiter, "SELECT txid_current()")
    t = threading.Thread(target=lambda: waiter.cursor().execute(
        "UPDATE vis SET v = 3 WHERE id = %s", (a,)))
    t.start()
    deadline = time.time() + 5
    rows = {}
    while time.time() < deadline:
        rows = view_rows(conn, [tx1, tx2, tx3])
        if len(rows) == 3 and rows[tx3][0] == "waiting":
            break
        time.sleep(0.05)
    assert set(rows) == {tx1, tx2, tx3}, rows
    state, pid, user, app, parts, nodes, waiting, iso, nshards = rows[tx1]
    assert (state, pid, user, app, waiting, nshards) == (
        "active", one.get_backend_pid(), "murphy", "visible_one", None, 2), rows[tx1]
    assert sorted(parts.split(",")) == ["vis:%d" % sa, "vis:%d" % sb], parts
    assert sorted(nodes.split(",")) == sorted(set(copies_of(conn, "vis", sa)
                                                  + copies_of(conn, "vis", sb))), nodes
    assert iso == "read committed"
    state, pid, user, app, parts, nodes, waiting, iso, nshards = rows[tx2]
    assert (state, pid, app, parts, iso) == (
        "active", two.get_backend_pid(), "visible_two", "vis:%d" % sc, "serializable"), rows[tx2]
    assert sorted(nodes.split(",")) == copies_of(conn, "vis", sc)
    state, pid, user, app, parts, nodes, waiting, iso, nshards = rows[tx3]
    assert (state, pid, app, waiting, nshards, parts) == (
        "waiting", waiter.get_backend_pid(), "visible_waiter", tx1, 0, None), rows[tx3]
    one.commit()
    t.join(10)
    waiter.commit()
    two.commit()
    # ended transactions leave the view
    assert view_rows(conn, [tx1, tx2, tx3]) == {}
    for x in (one, two, waiter, conn):
        x.close()


def test_a_commit_waiting_for_its_marker_shows_prepared(cluster):
    """Two of the three copies of the shard are paused (SIGSTOP): the
    one-shard COMMIT's marker cannot reach its quorum, and the view shows
    the transaction "prepared" (its entries at quorum, its marker being
    written) until they are resumed."""
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE vprep (id int PRIMARY KEY, v int NOT NULL)"
                    " WITH (shards = 1, replicas = 3)")
        cur.execute("INSERT INTO vprep VALUES (1, 0)")
    blk = connect(cluster, "visible_prep")
    txid = scalar(blk, "SELECT txid_current()")
    with blk.cursor() as cur:
        cur.execute("UPDATE vprep SET v = 1 WHERE id = 1")
    assert view_rows(conn, [txid])[txid][0] == "active"
    paused = [n for n in copies_of(conn, "vprep", 0)][:2]
    done = {}

    def commit():
        try:
            blk.commit()
            done["ok"] = True
        except psycopg2.Error as e:
            done["err"] = e

    for n in paused:
        os.kill(cluster.pid(n), signal.SIGSTOP)
    try:
        t = threading.Thread(target=commit)
        t.start()
        seen = []
        deadline = time.time() + 3
        while time.time() < deadline and "prepared" not in seen:
            row = view_rows(conn, [txid]).get(txid)
            seen.append(row[0] if row else None)
            time.sleep(0.02)
    finally:
        for n in paused:
            os.kill(cluster.pid(n), signal.SIGCONT)
    t.join(30)
    assert "prepared" in seen, seen
    assert not t.is_alive()
    assert view_rows(conn, [txid]) == {}
    blk.close()
    conn.close()


@pytest.fixture
def crashy(request):
    yield from owned_cluster(request, 3, timer_args(1000, 30000))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("point, outcome", [
    ("txn_after_decision", "committed"),  # decided: the client's answer was lost
    ("txn_after_prepare", None),          # no decision: presumed abort, no row
])
def test_client_that_lost_its_commit_looks_its_txid_up(crashy, point, outcome, mode):
    """The leader dies inside a two-shard COMMIT (fault point), so the
    client hears no answer.  With the txid it read in the block
    (txid_current()) it asks murphy.transaction_outcomes after the
    restart: "committed" exactly when the writes are there."""
    conn = crashy.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE amb (id int PRIMARY KEY, v int NOT NULL) WITH (shards = 4)")
        cur.execute("INSERT INTO amb VALUES " + ",".join("(%d, 0)" % i for i in range(1, 21)))
    conn.close()
    with_fault_point(crashy, point)
    blk = mode_connect(crashy, mode)
    txid = scalar(blk, "SELECT txid_current()")
    with blk.cursor() as cur:
        cur.execute("UPDATE amb SET v = 7")
    with pytest.raises(psycopg2.Error):
        blk.commit()  # the connection is lost: the outcome is unknown to the client
    blk.close()
    assert "fault point %s reached" % point in crashy.logs()
    kill_leader(crashy)
    crashy.start()
    conn = crashy.connect()
    with conn.cursor() as cur:
        cur.execute("SELECT outcome, participants FROM murphy.transaction_outcomes"
                    " WHERE txid = %s", (txid,))
        row = cur.fetchone()
    assert (row[0] if row else None) == outcome, row
    if row:
        assert len(row[1].split(",")) == 4, row  # every shard it wrote
    checker.wait_consistent(crashy, conn, tables=["amb"], replicas=3, timeout=30)
    assert scalar(conn, "SELECT sum(v) FROM amb") == (7 * 20 if outcome else 0)
    conn.close()


def test_an_older_commits_outcome_is_found_by_txid_after_a_thousand_more(cluster):
    """docs/transactions.md ("A COMMIT whose answer was lost"): a multi-shard
    transaction's row stays at least txn_outcomes_keep (a day), and no row
    means it did not commit.  A lookup by txid must therefore find a
    committed transaction's row after later commits too, not only while it
    is among the newest 1000 decisions (at a few hundred commits a second,
    a few seconds)."""
    conn = connect(cluster, "older", autocommit=True)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE old_out (id int PRIMARY KEY, v int NOT NULL) "
                    "WITH (shards = %d)" % SHARDS)
    a, b = ids_on_shards(conn, "old_out", 2).values()
    with conn.cursor() as cur:
        cur.execute("INSERT INTO old_out VALUES (%s, 0), (%s, 0)", (a, b))
    blk = connect(cluster, "older-block")
    txid = scalar(blk, "SELECT txid_current()")
    with blk.cursor() as cur:
        cur.execute("UPDATE old_out SET v = v + 1 WHERE id IN (%s, %s)", (a, b))
    blk.commit()
    q = "SELECT outcome FROM murphy.transaction_outcomes WHERE txid = %s"
    assert scalar(conn, "SELECT count(*) FROM (%s) x" % q, (txid,)) == 1
    with conn.cursor() as cur:  # 1000 later two-shard commits, each recorded
        for _ in range(1000):
            cur.execute("UPDATE old_out SET v = v + 1 WHERE id IN (%s, %s)", (a, b))
    assert scalar(conn, "SELECT min(v) FROM old_out") == 1001
    with conn.cursor() as cur:
        cur.execute(q, (txid,))
        got = cur.fetchall()
    assert got == [("committed",)], "the lookup of a committed txid answers %s" % (got,)
    # other forms of the same lookup: a scan (no = on txid), an IN list, a
    # server-side parameter
    assert scalar(conn, "SELECT outcome FROM murphy.transaction_outcomes "
                        "WHERE txid::text = %s", (str(txid),)) == "committed"
    assert scalar(conn, "SELECT outcome FROM murphy.transaction_outcomes "
                        "WHERE txid IN (%s, 1)", (txid,)) == "committed"
    with conn.cursor() as cur:
        cur.execute("PREPARE fate(bigint) AS SELECT outcome FROM murphy.transaction_outcomes "
                    "WHERE txid = $1")
        cur.execute("EXECUTE fate(%s)", (txid,))
        assert cur.fetchall() == [("committed",)]
    assert scalar(conn, "SELECT count(*) >= 1001 FROM murphy.transaction_outcomes") is True
    blk.close()
    conn.close()
