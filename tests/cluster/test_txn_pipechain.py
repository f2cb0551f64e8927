"""A chain of pending staging markers (branch pipechain, landed by chain;
bench/results/2026-12-07-pipechain.md): a next holder Y whose staging
marker goes out behind another X's undecided one hands the shard on at
once too, so a third holder Z writes behind Y's staging marker, and
stages, while X is still undecided; each is decided in chain order.

Set up as test_txn_pipestage.py (X updates a then b, held by a "_once"
stage fault point after A's staging marker is sent; Y updates a and c and
COMMITs, its staging markers at quorum on A and C).  Then Z updates a and
c (behind Y's staging markers) and COMMITs: its UPDATE of a is answered
and its staging markers reach their quorum while X is held — the base
binary and main with pipestage keep A's lock with Y until X's decision,
so Z's UPDATE of a waits there.  Then:

- the hold ends, B's marker is sent: X, Y and Z commit (Z's values);
- B's marker fails: X 40000, Y and Z 40000 naming the staging marker
  they followed; nothing of any of them on any copy;
- the leader is killed -9 with Y and Z staged everywhere and X not: the
  restart aborts X, then Y and Z (their staging markers name X, Z's Y
  too): nothing of any of them on any copy;
- Y's own staging marker on A fails after Z's is logged behind it
  (txn_stage_fail_chained), X commits: Y and Z 40000, nothing of them on
  any copy, and a newcomer W after Y's failure waits and commits;
- a copy is killed -9 between X's undo and the chained Y's
  (txn_chain_undo_hold): nothing of X or Y on the others, and the copy,
  back, comes to the same content.
"""
import sqlite3
import time

import pytest

import checker
from conftest import owned_cluster, timer_args
from test_leader_crash import kill_leader
from test_txn_atomic import ids_on_copies, scalar
from test_txn_crash import setup_table
from test_txn_pcommit import outcome_of, pc_connect, staged_on_copies
from test_txn_pipestage import (nothing_of_either, three_shard_ids, wait_staged,
                                y_stages_behind_undecided_x)
from test_txn_stagehold import HOLD_MS, Call, start_leader_at, wait_log
from test_txn_truth import wait_disconnected

SUSPECT_MS = 8000
DEAD_MS = 60000


@pytest.fixture
def pc(request):
    yield from owned_cluster(request, 3, timer_args(SUSPECT_MS, DEAD_MS))


def z_stages_behind_y(pc, table, point):
    """X held, Y staged behind X on A; Z's writes of a and c answered and
    its staging markers at quorum while X is still undecided."""
    t0 = time.time()
    ids, txid, x, x_commit, ytxid, y, y_commit = y_stages_behind_undecided_x(pc, table, point)
    a_id, _b_id, c_id = ids
    z = pc_connect(pc)
    ztxid = scalar(z, "SELECT txid_current()")
    upd = Call(lambda: z.cursor().execute(
        "UPDATE %s SET v = 9 WHERE id = %d; UPDATE %s SET v = 9 WHERE id = %d"
        % (table, a_id, table, c_id)))
    upd.start()
    upd.join(max(0.1, HOLD_MS / 1000 - (time.time() - t0) - 1))
    assert upd.outcome == ("ok", None), "Z's UPDATE of a waited for X: %r" % (upd.outcome,)
    z_commit = Call(z.commit)
    z_commit.start()
    wait_staged(pc, table, ztxid, 2, timeout=max(0.1, HOLD_MS / 1000 - (time.time() - t0) - 0.3))
    assert x_commit.outcome is None, x_commit.outcome  # X still undecided
    assert y_commit.outcome is None and z_commit.outcome is None
    return ids, (txid, x, x_commit), (ytxid, y, y_commit), (ztxid, z, z_commit)


def test_a_chain_of_three_commits_in_order(pc):
    table = "pc_ok"
    (a_id, b_id, c_id), xs, ys, zs = z_stages_behind_y(pc, table, "txn_stage_hold_send_once")
    for _id, conn, call in (xs, ys, zs):
        call.join(30)
        assert call.outcome == ("ok", None), call.outcome
        conn.close()
    conn = pc.connect()
    checker.wait_consistent(pc, conn, tables=[table], replicas=3, timeout=40)
    for txid, _c, _call in (xs, ys, zs):
        assert outcome_of(conn, txid) == "committed"
    for rid, v in ((a_id, 9), (b_id, 7), (c_id, 9)):
        assert scalar(conn, "SELECT v FROM %s WHERE id = %d" % (table, rid)) == v
        got = ids_on_copies(pc, conn, table, "id = %d AND v = %d" % (rid, v))
        assert sum(len(ids) for ids in got.values()) == 3, (rid, got)
    conn.close()


def test_the_chain_aborts_behind_a_failed_first(pc):
    table = "pc_fail"
    _ids, xs, ys, zs = z_stages_behind_y(pc, table, "txn_stage_hold_fail_once")
    for _id, conn, call in (xs, ys, zs):
        call.join(30)
        assert call.outcome and call.outcome[0] == "error", call.outcome
        assert call.outcome[1].pgcode == "40000", str(call.outcome[1])
        conn.close()
    for _id, _conn, call in (ys, zs):
        assert "whose staging marker on shard" in str(call.outcome[1]), str(call.outcome[1])
    conn = pc.connect()
    nothing_of_either(pc, conn, table, xs[0], ys[0])
    assert outcome_of(conn, zs[0]) is None
    assert all(got == [] for got in ids_on_copies(pc, conn, table, "v = 9").values())
    assert staged_on_copies(pc, conn, table, zs[0]) == {}, "an entry of Z was kept"
    conn.close()


def test_leader_killed_with_the_chain_staged_behind_an_undecided_first(pc):
    table = "pc_kill"
    _ids, xs, ys, zs = z_stages_behind_y(pc, table, "txn_stage_hold_fail_once")
    kill_leader(pc)  # Y and Z staged at quorum on their shards; B never got X's
    for _id, conn, call in (xs, ys, zs):
        call.join(10)
        assert call.outcome and call.outcome[0] == "error", call.outcome
        conn.close()
    pc.start()
    conn = pc.connect()
    nothing_of_either(pc, conn, table, xs[0], ys[0])
    assert outcome_of(conn, zs[0]) is None
    assert all(got == [] for got in ids_on_copies(pc, conn, table, "v = 9").values())
    assert staged_on_copies(pc, conn, table, zs[0]) == {}, "an entry of Z was kept"
    conn.close()


def test_a_chained_marker_fails_the_first_commits_and_a_newcomer_waits(pc):
    """X ← Y ← Z on A; Y's staging marker there fails (fault point
    txn_stage_fail_chained, after Z's staging marker is logged behind it),
    X commits: Y and Z 40000, nothing of them on any copy; W, a newcomer
    writing a and c after Y's failure while X is still undecided, does not
    chain behind the failed Y (it would be doomed with it): it waits, then
    commits, and its values are on every copy."""
    table = "pc_midfail"
    point = "txn_stage_fail_chained"
    setup_table(pc, table)
    conn = pc.connect()
    a_id, b_id, c_id = three_shard_ids(conn, table)
    conn.close()
    start_leader_at(pc, point)
    x = pc_connect(pc)
    xtxid = scalar(x, "SELECT txid_current()")
    with x.cursor() as cur:  # A first: its staging marker is the one sent
        cur.execute("UPDATE %s SET v = 7 WHERE id = %d" % (table, a_id))
        cur.execute("UPDATE %s SET v = 7 WHERE id = %d" % (table, b_id))
    x_commit = Call(x.commit)
    x_commit.start()
    wait_log(pc, "fault point %s reached: transaction %d held" % (point, xtxid))
    t0 = time.time()
    calls = {}
    for name, v in (("y", 8), ("z", 9)):
        conn = pc_connect(pc)
        txid = scalar(conn, "SELECT txid_current()")
        upd = Call(lambda conn=conn, v=v: conn.cursor().execute(
            "UPDATE %s SET v = %d WHERE id = %d; UPDATE %s SET v = %d WHERE id = %d"
            % (table, v, a_id, table, v, c_id)))
        upd.start()
        upd.join(2)
        assert upd.outcome == ("ok", None), (name, upd.outcome)
        commit = Call(conn.commit)
        commit.start()
        calls[name] = (txid, conn, commit)
        if name == "y":
            wait_log(pc, "the staging marker of transaction %d on shard" % txid)
    ytxid, ztxid = calls["y"][0], calls["z"][0]
    wait_log(pc, "txn_stage_fail_chained: the staging marker of transaction %d" % ytxid)
    assert x_commit.outcome is None, x_commit.outcome  # X still undecided
    assert time.time() - t0 < HOLD_MS / 1000 - 0.5, "too slow: X's hold may be over"
    w = pc_connect(pc)
    wtxid = scalar(w, "SELECT txid_current()")

    def w_run():
        with w.cursor() as cur:
            cur.execute("UPDATE %s SET v = 5 WHERE id = %d" % (table, a_id))
            cur.execute("UPDATE %s SET v = 5 WHERE id = %d" % (table, c_id))
        w.commit()
    w_call = Call(w_run)
    w_call.start()
    x_commit.join(30)
    assert x_commit.outcome == ("ok", None), x_commit.outcome
    for name in ("y", "z"):
        _txid, conn, call = calls[name]
        call.join(30)
        assert call.outcome and call.outcome[0] == "error", (name, call.outcome)
        assert call.outcome[1].pgcode == "40000", (name, str(call.outcome[1]))
        conn.close()
    assert "whose staging marker on shard" in str(calls["z"][2].outcome[1])
    w_call.join(30)
    assert w_call.outcome == ("ok", None), w_call.outcome
    w.close()
    x.close()
    conn = pc.connect()
    checker.wait_consistent(pc, conn, tables=[table], replicas=3, timeout=40)
    assert outcome_of(conn, xtxid) == "committed"
    assert outcome_of(conn, ytxid) is None and outcome_of(conn, ztxid) is None
    for rid, v in ((a_id, 5), (b_id, 7), (c_id, 5)):
        assert scalar(conn, "SELECT v FROM %s WHERE id = %d" % (table, rid)) == v
        got = ids_on_copies(pc, conn, table, "id = %d AND v = %d" % (rid, v))
        assert sum(len(ids) for ids in got.values()) == 3, (rid, got)
    for v in (8, 9):
        got = ids_on_copies(pc, conn, table, "v = %d" % v)
        assert all(ids == [] for ids in got.values()), (v, got)
    for txid in (ytxid, ztxid):
        assert staged_on_copies(pc, conn, table, txid) == {}, "an entry of %d was kept" % txid
    assert staged_on_copies(pc, conn, table, wtxid).get(0), "W's entries are not there"
    conn.close()


def entries_on(cluster, table, nodes, txids, values):
    """{node: (rows with v in values, log entries of txids)} over the copies
    of table on nodes, read from their files as they are."""
    out = {}
    for (t, _shard, node), (path, _lsn, _rows, _digest) in \
            checker.placement_files(cluster).items():
        if t != table or node not in nodes:
            continue
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
        try:
            rows = db.execute('SELECT count(*) FROM "%s" WHERE v IN (%s)'
                              % (table, ",".join(str(v) for v in values))).fetchone()[0]
            logs = db.execute("SELECT count(*) FROM _murphy_log WHERE txn_id IN (%s)"
                              % ",".join(str(t) for t in txids)).fetchone()[0]
        finally:
            db.close()
        got = out.get(node, (0, 0))
        out[node] = (got[0] + rows, got[1] + logs)
    return out


def test_a_copy_lost_between_the_first_ones_undo_and_the_chained_ones(pc):
    """X ← Y chained on A (Y writes a and c); X's staging marker on B fails
    (txn_chain_undo_hold holds X as txn_stage_hold_fail_once): X's undo
    takes Y's entries on A; then Y, the oldest there now, is held before
    its own undo (the fault point), f2 is killed -9, and Y is undone on
    the two copies left.  Nothing of X or Y on f1 and f3; f2, started
    again, catches up to the same content."""
    table = "pc_undolost"
    point = "txn_chain_undo_hold"
    _ids, xtxid, x, x_commit, ytxid, y, y_commit = \
        y_stages_behind_undecided_x(pc, table, point)
    wait_log(pc, "fault point %s reached: transaction %d, chained" % (point, ytxid))
    x_commit.join(30)  # X's client hears once X's undo is done everywhere
    assert x_commit.outcome and x_commit.outcome[1].pgcode == "40000", x_commit.outcome
    assert y_commit.outcome is None, y_commit.outcome  # Y held before its undo
    x.close()
    pc.kill9("f2")
    wait_disconnected(pc, ["f2"])
    y_commit.join(30)
    assert y_commit.outcome and y_commit.outcome[0] == "error", y_commit.outcome
    assert y_commit.outcome[1].pgcode == "40000", str(y_commit.outcome[1])
    y.close()
    left = entries_on(pc, table, ("f1", "f3"), (xtxid, ytxid), (7, 8))
    assert set(left) == {"f1", "f3"}, left
    assert all(got == (0, 0) for got in left.values()), left
    pc.start()
    conn = pc.connect()
    checker.wait_consistent(pc, conn, tables=[table], replicas=3, timeout=40)
    every = entries_on(pc, table, ("f1", "f2", "f3"), (xtxid, ytxid), (7, 8))
    assert set(every) == {"f1", "f2", "f3"}, every
    assert all(got == (0, 0) for got in every.values()), every
    assert outcome_of(conn, xtxid) is None and outcome_of(conn, ytxid) is None
    assert scalar(conn, "SELECT count(*) FROM %s WHERE v = 0" % table) == 20
    conn.close()
