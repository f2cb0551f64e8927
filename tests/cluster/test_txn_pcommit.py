"""Parallel commits: a leader killed -9 at each step of a two-shard COMMIT
(docs/transactions.md, "Parallel commits" and "Crash table"), in sessions
with `SET murphy.parallel_commits = on` (the default; set anyway, so the
tests keep testing it if the default changes: docs/transactions.md,
"Parallel commits by default").

A multi-shard COMMIT sends STAGED(X, participants) to every participant at
once, with no catalog write first; X is committed iff every participant's
staging marker is at its quorum.  Its outcome row and commit markers
follow, off the COMMIT's path.  A restarted leader that finds a copy
holding X open with no row asks every copy of the participants what its
log says of X (absent, open, staged, committed): all staged at quorum →
committed (row written, markers appended), a participant whose quorum
cannot hold it → aborted (undone everywhere, the staging markers that
landed too), else it waits.  Each test checks the outcome is whole on
every copy and matches what the client can look up by its txid.
"""
import re
import sqlite3
import time

import psycopg2
import pytest

import checker
from test_leader_crash import kill_leader
from test_txn_crash import cc, check_outcome, setup_table, with_fault_point  # noqa: F401
from test_txn_atomic import scalar, two_shard_ids

COMMITTED_LOG = "committed (staged at quorum on every participant)"
ABORTED_LOG = "aborted (a participant's staging marker is not at its quorum)"


def outcome_of(conn, txid):
    with conn.cursor() as cur:
        cur.execute("SELECT outcome FROM murphy.transaction_outcomes WHERE txid = %s", (txid,))
        row = cur.fetchone()
    return row[0] if row else None


def staged_on_copies(cluster, conn, table, txid=None):
    """{kind: entries of txid (of every transaction: None)} over every copy
    of table's shard logs (0 data, 1 commit marker, 2 staging marker), once
    the copies agree."""
    checker.wait_consistent(cluster, conn, tables=[table])
    kinds = {}
    for (t, _shard, _node), (path, _lsn, _rows, _digest) in \
            checker.placement_files(cluster).items():
        if t != table:
            continue
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
        try:
            for kind, n in db.execute("SELECT kind, count(*) FROM _murphy_log "
                                      "WHERE ?1 IS NULL OR txn_id = ?1 GROUP BY kind",
                                      (txid,)):
                kinds[kind] = kinds.get(kind, 0) + n
        finally:
            db.close()
    return kinds


def pc_connect(cluster):
    """A block connection whose multi-shard COMMITs go by parallel commits."""
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("SET murphy.parallel_commits = on")
    conn.autocommit = False
    return conn


def commit_dies_at(cc, table, point):
    """A block updating ids on two shards, its txid read; its COMMIT kills
    the leader at `point` (the client hears no answer); the leader is
    started again (unarmed) and the copies agree."""
    setup_table(cc, table)
    conn = cc.connect()
    a_id, b_id = two_shard_ids(conn, table)
    conn.close()
    with_fault_point(cc, point)
    blk = pc_connect(cc)
    txid = scalar(blk, "SELECT txid_current()")
    with blk.cursor() as cur:
        cur.execute("UPDATE %s SET v = 7 WHERE id IN (%d, %d)" % (table, a_id, b_id))
    with pytest.raises(psycopg2.OperationalError):
        blk.commit()  # the leader died inside COMMIT: the answer is lost
    blk.close()
    assert "fault point %s reached" % point in cc.logs(), "the leader died elsewhere"
    kill_leader(cc)  # already gone: this only waits for the pid to vanish
    cc.start()
    conn = cc.connect()
    checker.wait_consistent(cc, conn, tables=[table], replicas=3, timeout=30)
    return conn, a_id, b_id, txid


def test_all_staged_no_row_no_marker_is_committed(cc):
    """Every participant's staging marker at its quorum, the leader killed
    before the outcome row or any commit marker (txn_after_decision): the
    restart reads the staging markers back, records X committed and
    appends the markers; the client whose COMMIT lost its answer finds
    `committed` by its txid."""
    conn, a_id, b_id, txid = commit_dies_at(cc, "pc_all", "txn_after_decision")
    assert outcome_of(conn, txid) == "committed"
    assert COMMITTED_LOG in cc.logs(), "the restart did not read the staging markers"
    check_outcome(cc, conn, "pc_all", (a_id, b_id), True)


def test_one_staged_the_other_never_sent_is_aborted(cc):
    """One participant's staging marker at its quorum, the other's never
    sent (txn_after_one_staged): the restart finds the second participant's
    copies without it (fenced: they answer after seeing the new leader)
    and aborts X everywhere, the staging marker that landed included."""
    conn, a_id, b_id, txid = commit_dies_at(cc, "pc_one", "txn_after_one_staged")
    assert ABORTED_LOG in cc.logs(), "the restart did not resolve the staged transaction"
    assert outcome_of(conn, txid) is None
    assert staged_on_copies(cc, conn, "pc_one", txid) == {}, \
        "a copy keeps an entry of the aborted transaction"
    check_outcome(cc, conn, "pc_one", (a_id, b_id), False)


def test_killed_once_a_staging_marker_holds_is_whole_either_way(cc):
    """Both staging markers sent, the leader killed once the first is at its
    quorum (txn_after_first_staged; the second may or may not be): X ends
    committed everywhere or undone everywhere, and its row says which."""
    conn, a_id, b_id, txid = commit_dies_at(cc, "pc_first", "txn_after_first_staged")
    log = cc.logs()
    assert COMMITTED_LOG in log or ABORTED_LOG in log, "no staged transaction resolved"
    committed = outcome_of(conn, txid) == "committed"
    assert committed == (COMMITTED_LOG in log)
    check_outcome(cc, conn, "pc_first", (a_id, b_id), committed)


def wait_markers(cluster, conn, table, txid, timeout=30):
    """The entries of txid on every copy once its commit markers are in
    (a shard nobody wrote after txid gets its marker from the leader's
    tick once idle a second: lazy markers)."""
    deadline = time.time() + timeout
    while True:
        kinds = staged_on_copies(cluster, conn, table, txid)
        if kinds.get(1) or time.time() > deadline:
            return kinds
        time.sleep(0.5)


def test_a_commit_that_was_heard_is_kept(cc):
    """No fault: a two-shard COMMIT answers once its staging markers hold
    and sends no commit marker: the next write on each shard closes it on
    the copies (X's entries: data and STAGED on every copy; its markers,
    appended only if the shards stayed idle a second before that next
    write, or not at all).  The last transaction's shards stay idle: its
    markers come from the tick (lazy markers).  Its row is written, and
    every copy agrees."""
    setup_table(cc, "pc_ok")
    conn = cc.connect()
    a_id, b_id = two_shard_ids(conn, "pc_ok")
    blk = pc_connect(cc)
    txid = scalar(blk, "SELECT txid_current()")
    with blk.cursor() as cur:
        cur.execute("UPDATE pc_ok SET v = 7 WHERE id IN (%d, %d)" % (a_id, b_id))
    blk.commit()
    # EXPLAIN ANALYZE of a multi-shard statement names the path it took
    blk.autocommit = True
    with blk.cursor() as cur:
        cur.execute("EXPLAIN ANALYZE UPDATE pc_ok SET v = v + 1 WHERE id IN (%d, %d)"
                    % (a_id, b_id))
        text = "\n".join(r[0] for r in cur.fetchall())
    assert re.search(r"Commit: two-phase: 2 participants, staged at quorum \([\d.]+ ms, "
                     r"1 round, no decision fsync\): committed; no commit markers", text), text
    blk.autocommit = False
    txid3 = scalar(blk, "SELECT txid_current()")
    with blk.cursor() as cur:
        cur.execute("UPDATE pc_ok SET v = 9 WHERE id IN (%d, %d)" % (a_id, b_id))
    blk.commit()
    blk.close()
    assert outcome_of(conn, txid) == "committed"
    checker.wait_consistent(cc, conn, tables=["pc_ok"], replicas=3, timeout=30)
    kinds = staged_on_copies(cc, conn, "pc_ok", txid)
    # 2 shards x 3 copies: one data entry, one STAGED (2) each
    assert kinds.get(0) == 6 and kinds.get(2) == 6 and kinds.get(1, 0) in (0, 6), kinds
    # the last one's shards stay idle: its markers come from the tick
    assert wait_markers(cc, conn, "pc_ok", txid3) == {0: 6, 1: 6, 2: 6}
    assert "appending its marker" in cc.logs()
    # a session with the setting off commits by a recorded decision: its
    # markers, no STAGED
    conn2 = cc.connect()
    with conn2.cursor() as cur:
        cur.execute("SET murphy.parallel_commits = off")
    conn2.autocommit = False
    txid2 = scalar(conn2, "SELECT txid_current()")
    with conn2.cursor() as cur:
        cur.execute("UPDATE pc_ok SET v = 8 WHERE id IN (%d, %d)" % (a_id, b_id))
    conn2.commit()
    conn2.close()
    assert staged_on_copies(cc, conn, "pc_ok", txid2) == {0: 6, 1: 6}
    # a session that sets nothing commits by staging markers: the default
    # (docs/transactions.md, "Parallel commits by default")
    conn3 = cc.connect(autocommit=False)
    assert scalar(conn3, "SHOW murphy.parallel_commits") == "on"
    txid3 = scalar(conn3, "SELECT txid_current()")
    with conn3.cursor() as cur:
        cur.execute("UPDATE pc_ok SET v = 7 WHERE id IN (%d, %d)" % (a_id, b_id))
    conn3.commit()
    conn3.close()
    assert staged_on_copies(cc, conn, "pc_ok", txid3).get(2) == 6
    check_outcome(cc, conn, "pc_ok", (a_id, b_id), True)


def test_next_holder_behind_a_markerless_commit_then_leader_killed(cc):
    """X commits over two shards by its staging markers and sends no
    commit marker; Y's UPDATE of one of them follows X's STAGED entry at
    once (the copies take it as closing X) and is answered; the leader is
    killed -9.  The restart keeps X everywhere (its row, or its staging
    markers), appends its markers, and undoes Y (presumed abort): X's
    values on every copy, nothing of Y's."""
    setup_table(cc, "pc_next")
    conn = cc.connect()
    a_id, b_id = two_shard_ids(conn, "pc_next")
    conn.close()
    x = pc_connect(cc)
    txid = scalar(x, "SELECT txid_current()")
    with x.cursor() as cur:
        cur.execute("UPDATE pc_next SET v = 7 WHERE id IN (%d, %d)" % (a_id, b_id))
    x.commit()
    y = cc.connect(autocommit=False)
    ytxid = scalar(y, "SELECT txid_current()")
    with y.cursor() as cur:
        cur.execute("UPDATE pc_next SET v = 99 WHERE id = %d" % a_id)
    kill_leader(cc)
    x.close()
    with pytest.raises(psycopg2.Error):
        y.commit()
    y.close()
    cc.start()
    conn = cc.connect()
    checker.wait_consistent(cc, conn, tables=["pc_next"], replicas=3, timeout=30)
    assert outcome_of(conn, txid) == "committed"
    assert staged_on_copies(cc, conn, "pc_next", ytxid) == {}, "Y's entry was kept"
    assert wait_markers(cc, conn, "pc_next", txid) == {0: 6, 1: 6, 2: 6}
    check_outcome(cc, conn, "pc_next", (a_id, b_id), True)
