"""The next holder behind an undecided staging marker (docs/decisions.md,
"The next holder behind a staging marker"; issue 16).

By parallel commits a transaction X hands each shard's lock on as its
staging marker there is *sent*, before X is decided: the next holder Y's
entries follow X's staging marker on the copies, Y's COMMIT waits for X's
decision, and if X aborts Y is undone with it.  X updates row a (shard A)
then row b (shard B); its COMMIT is held by a fault point after A's
staging marker is sent and before B's is (MURPHY_FAULT_POINT=
txn_stage_hold_send / txn_stage_hold_fail, MURPHY_FAULT_HOLD_MS), so X is
undecided while Y updates row a:

- B's staging marker then fails (never sent): X is rolled back (40000),
  Y is doomed (its COMMIT, waiting for X, fails 40000) and every copy
  holds neither;
- B's staging marker is then sent: both commit, Y after X (a = Y's value
  on every copy);
- the leader is killed -9 while Y's COMMIT waits: the restart finds B
  without X's staging marker (X aborted) and Y open after X's staging
  marker on A (presumed abort): nothing of either on any copy.

Each fails on the base binary (no such fault point: X commits at once,
and Y's UPDATE then finds nothing to wait behind).
"""
import time

import pytest

import checker
from conftest import owned_cluster, timer_args
from test_leader_crash import kill_leader
from test_txn_atomic import ids_on_copies, scalar, two_shard_ids
from test_txn_crash import setup_table
from test_txn_pcommit import outcome_of, pc_connect
from txn_hold import (HOLD_MS, Call, commit_started, finished, nothing_of_either, start_leader_at,
                      wait_held)
# importable from here as it was before txn_hold.py (other test files
# import this one's helpers)
from txn_hold import wait_log  # noqa: F401

SUSPECT_MS = 8000
DEAD_MS = 60000


@pytest.fixture
def sc(request):
    yield from owned_cluster(request, 3, timer_args(SUSPECT_MS, DEAD_MS))


def y_behind_undecided_x(sc, table, point):
    """X (rows a then b, by parallel commits) held with A's staging marker
    sent and B's not; Y's UPDATE of row a answered meanwhile; Y's COMMIT
    started and waiting.  Returns (a_id, b_id, X's txid, X's conn, X's
    COMMIT call, Y's txid, Y's conn, Y's COMMIT call)."""
    setup_table(sc, table)
    conn = sc.connect()
    a_id, b_id = two_shard_ids(conn, table)
    conn.close()
    start_leader_at(sc, point)
    # A first: its part (and staging marker) comes first
    txid, x, x_commit = commit_started(sc, table, 7, (a_id, b_id))
    wait_held(sc, point, txid)
    y = pc_connect(sc)
    ytxid = scalar(y, "SELECT txid_current()")
    y_update = Call(lambda: y.cursor().execute(
        "UPDATE %s SET v = 8 WHERE id = %d" % (table, a_id)))
    y_update.start()
    y_update.join(HOLD_MS / 2000)
    # Y followed X's staging marker on A while X is undecided (base: Y
    # waits for X's lock until X is decided)
    assert y_update.outcome == ("ok", None), y_update.outcome
    assert x_commit.outcome is None, x_commit.outcome
    y_commit = Call(y.commit)
    y_commit.start()
    time.sleep(0.3)
    assert y_commit.outcome is None, y_commit.outcome  # it waits for X's decision
    assert x_commit.outcome is None, x_commit.outcome
    return a_id, b_id, txid, x, x_commit, ytxid, y, y_commit


def test_next_holder_doomed_when_the_staged_transaction_it_followed_aborts(sc):
    table = "sh_fail"
    a_id, b_id, txid, x, x_commit, ytxid, y, y_commit = y_behind_undecided_x(
        sc, table, "txn_stage_hold_fail")
    xo, yo = finished(30, x, x_commit, y, y_commit)
    assert xo and xo[0] == "error", xo
    assert xo[1].pgcode == "40000", str(xo[1])
    assert yo and yo[0] == "error", yo
    e = yo[1]
    assert e.pgcode == "40000", (e.pgcode, str(e))
    # doomed for the staging marker it followed, not for a write of its own
    assert "transaction %d, whose staging marker" % txid in str(e.diag.message_detail), \
        (str(e), e.diag.message_detail)
    conn = sc.connect()
    nothing_of_either(sc, conn, table, txid, ytxid)
    conn.close()


def test_next_holder_commits_after_the_staged_transaction_it_followed(sc):
    table = "sh_ok"
    a_id, b_id, txid, x, x_commit, ytxid, y, y_commit = y_behind_undecided_x(
        sc, table, "txn_stage_hold_send")
    xo, yo = finished(30, x, x_commit, y, y_commit)
    assert xo == ("ok", None), xo
    assert yo == ("ok", None), yo
    conn = sc.connect()
    checker.wait_consistent(sc, conn, tables=[table], replicas=3, timeout=40)
    assert outcome_of(conn, txid) == "committed"
    assert scalar(conn, "SELECT v FROM %s WHERE id = %d" % (table, a_id)) == 8  # Y after X
    assert scalar(conn, "SELECT v FROM %s WHERE id = %d" % (table, b_id)) == 7
    assert sum(len(v) for v in ids_on_copies(sc, conn, table, "v = 8").values()) == 3
    assert sum(len(v) for v in ids_on_copies(sc, conn, table, "v = 7").values()) == 3
    conn.close()


def test_leader_killed_while_the_next_holder_waits_for_an_undecided_staged_one(sc):
    table = "sh_kill"
    a_id, b_id, txid, x, x_commit, ytxid, y, y_commit = y_behind_undecided_x(
        sc, table, "txn_stage_hold_fail")
    kill_leader(sc)  # before the hold ends: B never got X's staging marker
    xo, yo = finished(10, x, x_commit, y, y_commit)
    # neither heard COMMIT: connection lost, never a success
    assert xo and xo[0] == "error", xo
    assert yo and yo[0] == "error", yo
    sc.start()
    conn = sc.connect()
    nothing_of_either(sc, conn, table, txid, ytxid)
    conn.close()
