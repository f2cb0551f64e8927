"""Pipelined staging (docs/decisions.md, "The next holder behind a staging
marker"; issue 16): a next holder Y whose writes follow another
transaction X's undecided staging marker sends its own staging markers at
its COMMIT, without waiting for X's decision; Y's *answer* (its decision)
waits for X's.  Y's staging markers name X, so that a restarted leader
commits Y only if it commits X.

X updates row a (shard A) then row b (shard B); a "_once" stage fault
point (MURPHY_FAULT_POINT=txn_stage_hold_send_once / _fail_once) holds
X's COMMIT after A's staging marker is sent and before B's, and only X's:
Y updates a and c (shard C, a third shard) and COMMITs, and its staging
markers go out at once, on A behind X's.  Then:

- the hold ends, B's marker is sent: X commits, then Y (Y's values);
- the hold ends, B's marker fails: X is rolled back (40000), Y too (40000
  naming X) though Y was staged at quorum on A and C: nothing on any copy;
- the leader is killed -9 with Y staged everywhere and X not: the restart
  finds Y staged at quorum on both its shards, but X not staged on B:
  X aborted, so Y aborted too: nothing of either on any copy (read from
  every copy's SQLite file);
- X decided, Y's second staging marker held (the plain, every-transaction
  txn_stage_hold_send holds Y too), leader killed -9: X's values on every
  copy, nothing of Y.

Each asserts Y's staging markers were on its shards' copies before X was
decided, which fails on the base binary (Y's COMMIT waited for X there;
it also has no "_once" point).
"""
import sqlite3
import time

import pytest

import checker
import txn_hold
from conftest import owned_cluster, timer_args
from test_leader_crash import kill_leader
from test_txn_atomic import ids_on_copies, scalar
from test_txn_crash import setup_table
from test_txn_pcommit import outcome_of, staged_on_copies
from txn_hold import HOLD_MS, commit_started, finished, start_leader_at, wait_held
# importable from here as they were before txn_hold.py (other test files
# import this one's helpers)
from test_txn_crash import mode_connect  # noqa: F401
from test_txn_pcommit import pc_connect  # noqa: F401
from txn_hold import Call, wait_log  # noqa: F401

SUSPECT_MS = 8000
DEAD_MS = 60000


@pytest.fixture
def pc(request):
    yield from owned_cluster(request, 3, timer_args(SUSPECT_MS, DEAD_MS))


def three_shard_ids(conn, table):
    """Three ids whose rows live on three different shards of table."""
    seen = {}
    with conn.cursor() as cur:
        for i in range(1, 21):
            cur.execute("EXPLAIN SELECT * FROM %s WHERE id = %d" % (table, i))
            plan = "\n".join(r[0] for r in cur.fetchall())
            shard = [line for line in plan.splitlines() if "Shards:" in line][0]
            seen.setdefault(shard, i)
            if len(seen) == 3:
                return list(seen.values())
    raise AssertionError("fewer than three shards hold the ids")


def staged_copies_now(cluster, table, txid):
    """{shard: copies whose log holds txid's staging marker}, read from the
    files as they are (no wait for the copies to agree)."""
    out = {}
    for (t, shard, _node), (path, _lsn, _rows, _digest) in \
            checker.placement_files(cluster).items():
        if t != table:
            continue
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
        try:
            n = db.execute("SELECT count(*) FROM _murphy_log WHERE txn_id = ? AND kind = 2",
                           (txid,)).fetchone()[0]
        finally:
            db.close()
        if n:
            out[shard] = out.get(shard, 0) + 1
    return out


def wait_staged(cluster, table, txid, nshards, copies=2, timeout=10):
    """Wait until txid's staging marker is on `copies` copies of `nshards`
    shards (its write quorum: majority of 3)."""
    deadline = time.time() + timeout
    got = {}
    while time.time() < deadline:
        got = staged_copies_now(cluster, table, txid)
        if len([s for s, n in got.items() if n >= copies]) >= nshards:
            return got
        time.sleep(0.05)
    raise AssertionError("transaction %d staged on %r only" % (txid, got))


def y_stages_behind_undecided_x(pc, table, point):
    """X (a, b) held by `point` with A's staging marker sent; Y (a, c)
    answered and COMMITting, its staging markers on A and C at their
    quorum while X is undecided.  Returns (ids, X's txid, X's conn, X's
    COMMIT, Y's txid, Y's conn, Y's COMMIT)."""
    setup_table(pc, table)
    conn = pc.connect()
    a_id, b_id, c_id = three_shard_ids(conn, table)
    conn.close()
    start_leader_at(pc, point)
    # A first: its staging marker is the one sent
    txid, x, x_commit = commit_started(pc, table, 7, (a_id, b_id))
    wait_held(pc, point, txid)
    t0 = time.time()
    ytxid, y, y_commit = commit_started(pc, table, 8, (a_id, c_id))  # a: behind X
    # Y's staging markers at quorum on A and C while X is held (undecided)
    wait_staged(pc, table, ytxid, 2, timeout=HOLD_MS / 1000 - (time.time() - t0) - 0.5)
    assert x_commit.outcome is None, x_commit.outcome
    assert y_commit.outcome is None, y_commit.outcome  # its answer waits for X
    return (a_id, b_id, c_id), txid, x, x_commit, ytxid, y, y_commit


def nothing_of_either(pc, conn, table, txid, ytxid):
    """txn_hold.nothing_of_either, Y's outcome unrecorded too."""
    txn_hold.nothing_of_either(pc, conn, table, txid, ytxid, y_outcome=True)


def test_next_holder_stages_early_and_commits_after_the_one_it_followed(pc):
    table = "ps_ok"
    (a_id, b_id, c_id), txid, x, x_commit, ytxid, y, y_commit = \
        y_stages_behind_undecided_x(pc, table, "txn_stage_hold_send_once")
    xo, yo = finished(30, x, x_commit, y, y_commit)
    assert xo == ("ok", None), xo
    assert yo == ("ok", None), yo
    conn = pc.connect()
    checker.wait_consistent(pc, conn, tables=[table], replicas=3, timeout=40)
    assert outcome_of(conn, txid) == "committed"
    assert outcome_of(conn, ytxid) == "committed"
    for rid, v in ((a_id, 8), (b_id, 7), (c_id, 8)):
        assert scalar(conn, "SELECT v FROM %s WHERE id = %d" % (table, rid)) == v
        got = ids_on_copies(pc, conn, table, "id = %d AND v = %d" % (rid, v))
        assert sum(len(ids) for ids in got.values()) == 3, (rid, got)
    conn.close()


def test_staged_next_holder_aborts_when_the_one_it_followed_fails(pc):
    table = "ps_fail"
    _ids, txid, x, x_commit, ytxid, y, y_commit = \
        y_stages_behind_undecided_x(pc, table, "txn_stage_hold_fail_once")
    xo, yo = finished(30, x, x_commit, y, y_commit)
    assert xo and xo[0] == "error", xo
    assert xo[1].pgcode == "40000", str(xo[1])
    assert yo and yo[0] == "error", yo
    e = yo[1]
    # certain: X failed for certain, and Y is committed only with X
    assert e.pgcode == "40000", (e.pgcode, str(e))
    assert "transaction %d, whose staging marker" % txid in str(e), str(e)
    conn = pc.connect()
    nothing_of_either(pc, conn, table, txid, ytxid)
    conn.close()


def test_leader_killed_with_the_next_holder_staged_behind_an_undecided_one(pc):
    table = "ps_kill"
    _ids, txid, x, x_commit, ytxid, y, y_commit = \
        y_stages_behind_undecided_x(pc, table, "txn_stage_hold_fail_once")
    kill_leader(pc)  # Y staged at quorum on both its shards; B never got X's
    xo, yo = finished(10, x, x_commit, y, y_commit)
    assert xo and xo[0] == "error", xo
    assert yo and yo[0] == "error", yo
    pc.start()
    conn = pc.connect()
    nothing_of_either(pc, conn, table, txid, ytxid)
    # Y staged at quorum everywhere, undone for X (the restart's reason)
    assert "transaction %d: aborted (a transaction whose undecided staging marker it " \
        "followed is aborted)" % ytxid in pc.logs()
    conn.close()


def test_leader_killed_with_the_one_followed_decided_and_a_staging_marker_held(pc):
    table = "ps_kill2"
    setup_table(pc, table)
    conn = pc.connect()
    a_id, b_id, c_id = three_shard_ids(conn, table)
    conn.close()
    start_leader_at(pc, "txn_stage_hold_send")  # every staging transaction held
    txid, x, x_commit = commit_started(pc, table, 7, (a_id, b_id))
    wait_held(pc, "txn_stage_hold_send", txid)
    time.sleep(1.5)  # Y's hold ends a tick or more after X's
    ytxid, y, y_commit = commit_started(pc, table, 8, (a_id, c_id))  # a: behind X
    wait_held(pc, "txn_stage_hold_send", ytxid)
    assert x_commit.outcome is None, x_commit.outcome  # Y staged on A before X decided
    x_commit.join(HOLD_MS / 1000 + 3)
    assert x_commit.outcome == ("ok", None), x_commit.outcome
    assert y_commit.outcome is None, y_commit.outcome  # C's staging marker still held
    kill_leader(pc)
    y_commit.join(10)
    assert y_commit.outcome and y_commit.outcome[0] == "error", y_commit.outcome
    x.close()
    y.close()
    pc.start()
    conn = pc.connect()
    checker.wait_consistent(pc, conn, tables=[table], replicas=3, timeout=40)
    assert outcome_of(conn, txid) == "committed"
    assert outcome_of(conn, ytxid) is None
    for rid, v in ((a_id, 7), (b_id, 7), (c_id, 0)):
        got = ids_on_copies(pc, conn, table, "id = %d AND v = %d" % (rid, v))
        assert sum(len(ids) for ids in got.values()) == 3, (rid, v, got)
    assert all(got == [] for got in ids_on_copies(pc, conn, table, "v = 8").values())
    assert staged_on_copies(pc, conn, table, ytxid) == {}, "an entry of Y was kept"
    conn.close()
