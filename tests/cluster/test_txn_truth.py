"""The client is told the truth in the corners of transactions (issue 16,
"Ambiguity told honestly"; docs/transactions.md, "What the client hears"):

- a COMMIT whose marker could not be written, with nothing decided, is a
  certain rollback: 40000 "rolled back", never 40003 (the outcome is
  known) nor 08006 (the client's connection is fine);
- a COMMIT whose decision is recorded is committed for certain: when its
  markers cannot be written yet the client hears COMMIT with a notice
  (the markers are retried), not 40003;
- BEGIN; UPDATE; COMMIT sent as one Query commits (the marker no longer
  overtakes the UPDATE's entry);
- EXPLAIN ANALYZE of a write that changed no row says nothing was
  prepared, and an EXPLAIN ANALYZE write in a multi-statement Query is
  undone when a later statement of the Query fails.
"""
import os
import re
import signal
import threading
import time

import psycopg2
import psycopg2.errors
import pytest

import checker
from conftest import owned_cluster, timer_args
from test_txn_atomic import nothing_anywhere, scalar, two_shard_ids
from test_txn_crash import MODES, check_outcome, mode_connect, setup_table
from test_txn_crash_hold import outcome_of, start_leader_holding, wait_held

TIMERS = ["--suspect-timeout-ms", "3000", "--dead-timeout-ms", "10000"]


@pytest.fixture
def fc(request):
    yield from owned_cluster(request, followers=3, start_args=TIMERS)


def replicas_of(conn, name):
    with conn.cursor() as cur:
        cur.execute("SELECT node FROM murphy.placements WHERE table_name = %s "
                    "AND role <> 'primary'", (name,))
        return [r[0] for r in cur.fetchall()]


def wait_disconnected(cluster, nodes, timeout=10):
    """Until the leader logged each of nodes disconnected (its link closed:
    nothing sent from then on reaches it)."""
    path = os.path.join(cluster.dir, "leader", "murphy.log")
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(path, errors="replace") as f:
            text = f.read()
        if all(re.search(r"follower %s \(node \d+\) disconnected" % re.escape(n), text)
               for n in nodes):
            return
        time.sleep(0.05)
    raise AssertionError("the leader never saw %s go" % nodes)


def wait_nothing_anywhere(fc, conn, tables, where, timeout=30):
    """Until no copy of any of tables holds a row matching where (stopped
    copies resumed: this leader undoes what they logged)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            for t in tables:
                nothing_anywhere(fc, conn, t, where)
            return
        except (AssertionError, psycopg2.Error):
            time.sleep(0.5)
    for t in tables:
        nothing_anywhere(fc, conn, t, where)


def one_row_block(fc, name, batch):
    """A one-shard table of 3 copies; a block that inserted a row there,
    held by every copy (only the marker is left) with murphy.replica_batch
    off, by the primary alone with it on (the replicas get the row with the
    marker); the replicas' nodes."""
    conn = fc.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v int NOT NULL) "
                    "WITH (shards = 1, replicas = 3)" % name)
        cur.execute("INSERT INTO %s VALUES (1, 0)" % name)
    time.sleep(0.2)
    replicas = replicas_of(conn, name)
    assert len(replicas) == 2, replicas
    lsn = copies_lsn(conn, name)
    blk = fc.connect(autocommit=False)
    with blk.cursor() as cur:
        cur.execute("SET murphy.replica_batch = %s" % batch)
        blk.commit()  # BEGIN reads the setting
        cur.execute("INSERT INTO %s VALUES (2, 7)" % name)
    if batch == "on":
        return conn, blk, replicas
    # a pipelined insert is answered at the primary: wait until every copy
    # holds it, so that only the marker is left when the test stops them
    deadline = time.time() + 10
    while copies_lsn(conn, name) != (lsn[0] + 1, lsn[1] + 1):
        assert time.time() < deadline, "the block's insert never reached every copy"
        time.sleep(0.01)
    return conn, blk, replicas


def copies_lsn(conn, name):
    """(lowest, highest) applied LSN of the table's copies, as the leader knows them."""
    with conn.cursor() as cur:
        cur.execute("SELECT min(applied_lsn), max(applied_lsn) FROM murphy.placements "
                    "WHERE table_name = %s", (name,))
        return tuple(cur.fetchone())


@pytest.mark.parametrize("batch", ["off", "on"])
def test_a_commit_whose_marker_answers_were_lost_is_unknown(fc, batch):
    """The replicas stopped (SIGSTOP) hold the marker in their socket
    buffers: they may log it.  No quorum, but the outcome is not certain
    (a leader restart before they return could keep it): 40003, and the
    message does not claim a rollback.  (A guard: the base binary answers
    the same here, its undo of the stopped copies failing too.)"""
    conn, blk, replicas = one_row_block(fc, "cu", batch)
    for node in replicas:
        os.kill(fc.pid(node), signal.SIGSTOP)
    try:
        with pytest.raises(psycopg2.Error) as e:
            blk.commit()
    finally:
        for node in replicas:
            os.kill(fc.pid(node), signal.SIGCONT)
    # "unknown" (the marker's answers lost), or the undo of those copies
    # failed too (they keep the writes until repaired): both 40003
    assert e.value.pgcode == "40003", (e.value.pgcode, str(e.value))
    assert "rolled back" not in str(e.value), str(e.value)
    blk.close()
    # this leader lives: it undid the transaction, the copies too once back
    wait_nothing_anywhere(fc, conn, ["cu"], "id = 2")
    conn.close()


@pytest.mark.parametrize("batch", ["off", "on"])
def test_a_two_shard_commit_whose_frames_reached_stopped_copies_is_unknown(fc, batch):
    """Two one-shard tables on the same three followers; the two followers
    other than a's primary stopped (SIGSTOP) after the block's UPDATEs,
    then a parallel COMMIT: its frames (the staging markers, behind the
    held entries when batch is on) reach their sockets, so the stopped
    copies may log them when they resume — enough copies to make both
    staging markers' quorums.  So never a rollback claim: 40003 (or the
    undo of a stopped copy failed: 40003 too).  Then SIGCONT: this leader
    undoes what they logged; reading the copies, nothing of the block is
    on any.  (Off, the recorded decision's path: with the entries at their
    quorum it commits, test_a_decided_commit_whose_markers_failed_is_heard_committed;
    with them held, no marker is sent before they fail: a certain
    rollback, the rows above.)"""
    mode = "on"
    conn = fc.connect()
    a, b = "su_a_%s" % batch, "su_b_%s" % batch
    for name in (a, b):
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v int NOT NULL) "
                        "WITH (shards = 1, replicas = 3)" % name)
            cur.execute("INSERT INTO %s VALUES (1, 0)" % name)
    time.sleep(0.2)
    stopped = replicas_of(conn, a)
    assert len(stopped) == 2, stopped
    blk = mode_connect(fc, mode)
    with blk.cursor() as cur:
        cur.execute("SET murphy.replica_batch = %s" % batch)
        blk.commit()  # BEGIN reads the setting
        cur.execute("UPDATE %s SET v = 7 WHERE id = 1" % a)
        cur.execute("UPDATE %s SET v = 7 WHERE id = 1" % b)
    time.sleep(0.3)  # batch off: the APPLYs answered; on: held on the leader
    for node in stopped:
        os.kill(fc.pid(node), signal.SIGSTOP)
    try:
        with pytest.raises(psycopg2.Error) as e:
            blk.commit()
    finally:
        for node in stopped:
            os.kill(fc.pid(node), signal.SIGCONT)
    assert e.value.pgcode == "40003", (e.value.pgcode, str(e.value))
    assert "rolled back" not in str(e.value), str(e.value)
    blk.close()
    wait_nothing_anywhere(fc, conn, [a, b], "v = 7")
    conn.close()


def test_a_commit_whose_marker_failed_is_a_certain_rollback(fc):
    conn = fc.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE cr (id int PRIMARY KEY, v int NOT NULL) "
                    "WITH (shards = 1, replicas = 3)")
        cur.execute("INSERT INTO cr VALUES (1, 0)")
    time.sleep(0.2)
    replicas = replicas_of(conn, "cr")
    assert len(replicas) == 2, replicas
    blk = fc.connect(autocommit=False)
    with blk.cursor() as cur:
        # a row insert is at its quorum when answered: only the marker is left
        cur.execute("INSERT INTO cr VALUES (2, 7)")
    for node in replicas:
        os.kill(fc.pid(node), signal.SIGKILL)
    wait_disconnected(fc, replicas)  # the marker cannot be sent: certain
    with pytest.raises(psycopg2.Error) as e:
        blk.commit()
    assert "rolled back" in str(e.value), e.value
    assert e.value.pgcode == "40000", (e.value.pgcode, str(e.value))
    blk.close()
    assert scalar(conn, "SELECT count(*) FROM cr WHERE id = 2") == 0
    fc.start()  # the killed followers come back and are undone
    nothing_anywhere(fc, conn, "cr", "id = 2")
    conn.close()


def explain_table(cluster):
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS xz")
        cur.execute("CREATE TABLE xz (id int PRIMARY KEY, v int NOT NULL) WITH (shards = 4)")
        cur.execute("INSERT INTO xz VALUES " + ",".join("(%d, 0)" % i for i in range(1, 41)))
    return conn


def explain(conn, sql):
    with conn.cursor() as cur:
        cur.execute("EXPLAIN ANALYZE " + sql)
        return "\n".join(r[0] for r in cur.fetchall())


def test_explain_analyze_of_a_write_that_changed_nothing_prepared_nothing(cluster):
    conn = explain_table(cluster)
    # every shard, no row: an implicit transaction that wrote nothing
    text = explain(conn, "UPDATE xz SET v = 1 WHERE v = 12345")
    assert "Writes: 0 rows changed" in text, text
    assert "(prepared)" not in text and "(decided)" not in text, text
    assert "Commit: nothing written" in text, text
    text = explain(conn, "DELETE FROM xz WHERE v = 12345")
    assert "(prepared)" not in text, text
    # rows on several shards: still prepared, then two-phase
    text = explain(conn, "UPDATE xz SET v = 1 WHERE id <= 40")
    assert "(prepared)" in text and "two-phase" in text, text
    # in a block, a write that changed nothing prepared nothing either
    blk = cluster.connect(autocommit=False)
    text = explain(blk, "UPDATE xz SET v = 2 WHERE v = 12345")
    assert "(prepared)" not in text, text
    # a pipelined UPDATE in a block is not at its quorum yet: not "prepared"
    text = explain(blk, "UPDATE xz SET v = 2 WHERE id = 1")
    assert "logged on its primary (pipelined: COMMIT waits for its write quorum)" in text, text
    blk.rollback()
    blk.close()
    conn.close()


def test_a_block_in_one_query_commits_its_pipelined_write(cluster):
    """BEGIN; UPDATE; COMMIT in one Query (and an implicit block's UPDATE;
    SELECT): the COMMIT follows the UPDATE's early answer with no round trip
    between; its marker must not reach the copies ahead of the UPDATE's
    entry (they would refuse it, and the COMMIT fail)."""
    conn = explain_table(cluster)
    with conn.cursor() as cur:
        for i in range(1, 6):
            cur.execute("BEGIN; UPDATE xz SET v = 5 WHERE id = %d; COMMIT" % i)
            assert cur.statusmessage == "COMMIT", cur.statusmessage
        for i in range(6, 11):
            cur.execute("UPDATE xz SET v = 5 WHERE id = %d; SELECT 1" % i)
    assert scalar(conn, "SELECT count(*) FROM xz WHERE v = 5") == 10
    conn.close()


def test_an_explain_analyze_write_in_a_failing_query_is_undone(cluster):
    conn = explain_table(cluster)
    with conn.cursor() as cur:
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("EXPLAIN ANALYZE UPDATE xz SET v = 9 WHERE id <= 40; SELECT 1/0")
    assert e.value.pgcode == "22012", e.value.pgcode
    assert scalar(conn, "SELECT count(*) FROM xz WHERE v = 9") == 0
    with conn.cursor() as cur:  # one shard, one row: undone as well
        with pytest.raises(psycopg2.Error):
            cur.execute("EXPLAIN ANALYZE UPDATE xz SET v = 9 WHERE id = 1; SELECT 1/0")
    assert scalar(conn, "SELECT count(*) FROM xz WHERE v = 9") == 0
    with conn.cursor() as cur:  # without the error the Query commits it
        cur.execute("EXPLAIN ANALYZE UPDATE xz SET v = 9 WHERE id = 1; SELECT 1")
    assert scalar(conn, "SELECT count(*) FROM xz WHERE v = 9") == 1
    nothing_anywhere(cluster, conn, "xz", "v = 9 AND id <> 1")
    conn.close()


@pytest.fixture
def hc(request):
    yield from owned_cluster(request, 3, timer_args(1000, 30000))


@pytest.mark.parametrize("mode", MODES)
def test_a_decided_commit_whose_markers_failed_is_heard_committed(hc, mode):
    """Two shards, the decision recorded (on: every staging marker at its
    quorum), then (commit held at txn_hold_after_decision) two of the
    three followers killed: no marker reaches its quorum (on: the tick's
    lazy markers, due while the commit is still held).  The transaction is
    committed for certain (a restart would append the markers too), so the
    client hears COMMIT (off: with a notice), not 40003; the markers land
    once the followers are back.  On, before the fix: the leader aborted
    (a lazy marker's re-commit took the lock of a shard the held commit had
    handed on)."""
    table = "h_truth_" + mode
    setup_table(hc, table)
    conn = hc.connect()
    a_id, b_id = two_shard_ids(conn, table)
    followers = [n for n in hc.node_names() if n != "leader"]
    conn.close()
    start_leader_holding(hc)
    blk = mode_connect(hc, mode)
    txid = scalar(blk, "SELECT txid_current()")
    with blk.cursor() as cur:
        cur.execute("UPDATE %s SET v = 7 WHERE id IN (%d, %d)" % (table, a_id, b_id))
    heard = {}

    def commit():
        try:
            blk.commit()
            heard["ok"] = list(blk.notices)
        except psycopg2.Error as e:
            heard["error"] = e

    th = threading.Thread(target=commit)
    th.start()
    wait_held(hc, txid)
    for node in followers[:2]:
        os.kill(hc.pid(node), signal.SIGKILL)
    th.join(30)
    assert "ok" in heard, heard  # base: 40003 "committed on 0 shards"
    if mode == "off":  # on: heard at the staging quorum, before any marker
        assert any("is committed" in n and str(txid) in n for n in heard["ok"]), heard
    blk.close()
    hc.start()  # the killed followers come back; the markers are retried
    conn = hc.connect()
    assert outcome_of(conn, txid) == "committed"
    checker.wait_consistent(hc, conn, tables=[table], replicas=3, timeout=40)
    check_outcome(hc, conn, table, (a_id, b_id), committed=True)


def test_ddl_in_a_block_is_undone_and_says_nothing_untrue(cluster):
    """DDL in a block is undone by its ROLLBACK (docs/transactions.md, "DDL
    in a block"; tests/cluster/test_txn_ddl.py shows every path): the
    notices that said it was not ("takes effect at once", "was not
    undone") are gone with what made them true."""
    blk = cluster.connect(autocommit=False)
    with blk.cursor() as cur:
        cur.execute("CREATE TABLE ddl_blk (id int PRIMARY KEY)")
        cur.execute("INSERT INTO ddl_blk VALUES (1)")
    blk.rollback()
    assert not any("not transactional" in n or "not undone" in n for n in blk.notices), \
        blk.notices
    blk.close()
    conn = cluster.connect()
    with pytest.raises(psycopg2.errors.UndefinedTable):  # the table is undone with its row
        scalar(conn, "SELECT count(*) FROM ddl_blk")
    conn.close()
