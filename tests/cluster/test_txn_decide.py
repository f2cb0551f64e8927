"""A leader killed -9 while a GROUP of multi-shard decisions is written
(docs/transactions.md, "Crash table"; docs/decisions.md, "The decision:
a log, grouped per loop turn").

The leader makes the decisions of the multi-shard COMMITs that reach
their decision in one turn of its event loop durable together: one write
and one fdatasync of the decision log.  Clients on disjoint shards commit
two-shard blocks in a loop until the leader dies at a fault point reached
only by a group of at least two decisions: before the group's write (none
durable) or after it (all durable in the log only, no marker sent, no
row in txn_outcomes: the restart replays the log).  After the restart
every client's last COMMIT (the one that lost its answer) is looked up by
its txid, and its writes are on every copy exactly when it is recorded
committed; every COMMIT a client heard is there.
"""
import threading
import time

import psycopg2
import pytest

import checker
from conftest import owned_cluster, timer_args
from test_leader_crash import kill_leader
from test_txn_crash import MODES, mode_connect, with_fault_point
from test_txn_atomic import ids_on_copies, scalar

SUSPECT_MS = 1000
DEAD_MS = 30000  # nobody is declared dead (and rebuilt) during the test
CLIENTS = 6
SHARDS = 16
RUN_S = 30  # the leader dies long before this (a group forms within ms)


@pytest.fixture
def cc(request):
    yield from owned_cluster(request, 3, timer_args(SUSPECT_MS, DEAD_MS))


def shard_of(conn, table, i):
    with conn.cursor() as cur:
        cur.execute("EXPLAIN SELECT * FROM %s WHERE id = %d" % (table, i))
        plan = "\n".join(r[0] for r in cur.fetchall())
    return [line for line in plan.splitlines() if "Shards:" in line][0]


def disjoint_pairs(conn, table, n):
    """n pairs of ids, the two of a pair on different shards and no shard
    shared by two pairs (so the clients' commits never wait for each
    other and their decisions can share a group)."""
    by_shard = {}
    for i in range(1, 400):
        by_shard.setdefault(shard_of(conn, table, i), i)
        if len(by_shard) == 2 * n:
            ids = list(by_shard.values())
            return [(ids[2 * k], ids[2 * k + 1]) for k in range(n)]
    raise AssertionError("fewer than %d shards hold the ids" % (2 * n))


def committer(cluster, table, pair, state, stop, mode):
    """Commit `UPDATE … SET v = v + 1` of both ids of pair until an error;
    state: heard (COMMITs answered), doubt (the txid whose COMMIT lost its
    answer, or None when the error came before COMMIT)."""
    try:
        conn = mode_connect(cluster, mode)
    except psycopg2.Error:
        return
    try:
        while not stop.is_set():
            txid = None
            try:
                txid = scalar(conn, "SELECT txid_current()")
                with conn.cursor() as cur:  # one shard a statement: a multi-shard
                    for i in pair:             # statement waits for the table's others
                        cur.execute("UPDATE %s SET v = v + 1 WHERE id = %d" % (table, i))
            except psycopg2.Error:
                return  # before COMMIT: not committed (the restart undoes it)
            try:
                conn.commit()
                state["heard"] += 1
            except psycopg2.Error:
                state["doubt"] = txid
                return
    finally:
        conn.close()


def outcome_of(conn, txid):
    with conn.cursor() as cur:
        cur.execute("SELECT outcome FROM murphy.transaction_outcomes WHERE txid = %s", (txid,))
        row = cur.fetchone()
    return row[0] if row else None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("point, durable", [
    ("txn_decision_group_unwritten", False),  # killed before the group's write: none decided
    ("txn_decision_group_written", True),     # killed after it, before any marker: all decided
])
def test_leader_killed_while_a_group_of_decisions_is_written(cc, point, durable, mode):
    """off: the group is the decision.  on: the group holds the outcome rows
    of transactions committed by their staging markers (their clients may
    have heard COMMIT already): whether it was written or not, each of them
    is there after the restart, and so is every COMMIT heard."""
    table = "grp_%s_%s" % (point[-9:], mode)
    conn = cc.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v int NOT NULL) "
                    "WITH (shards = %d, replicas = 3)" % (table, SHARDS))
        cur.execute("INSERT INTO %s VALUES %s"
                    % (table, ",".join("(%d, 0)" % i for i in range(1, 400))))
    pairs = disjoint_pairs(conn, table, CLIENTS)
    conn.close()
    with_fault_point(cc, point)
    states = [{"heard": 0, "doubt": None} for _ in pairs]
    stop = threading.Event()
    threads = [threading.Thread(target=committer, args=(cc, table, p, s, stop, mode))
               for p, s in zip(pairs, states)]
    for t in threads:
        t.start()
    deadline = time.time() + RUN_S
    while time.time() < deadline and any(t.is_alive() for t in threads):
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(30)
    log = cc.logs()
    kill_leader(cc)  # gone already (the fault point) unless it never fired
    assert "fault point %s reached" % point in log, "the leader did not die there"
    cc.start()
    conn = cc.connect()
    checker.wait_consistent(cc, conn, tables=[table], replicas=3, timeout=30)
    decided = undecided = 0
    want_ids = set()
    for pair, s in zip(pairs, states):
        committed = s["doubt"] is not None and outcome_of(conn, s["doubt"]) == "committed"
        decided += committed
        undecided += s["doubt"] is not None and not committed
        want = s["heard"] + (1 if committed else 0)
        for i in pair:  # every heard COMMIT, and the lost one exactly when recorded
            assert scalar(conn, "SELECT v FROM %s WHERE id = %d" % (table, i)) == want, \
                (pair, s, committed)
        if want:
            want_ids.update(pair)
    # the group (two or more, all inside COMMIT when the leader died) is
    # decided as a whole: all of it when it was written, none otherwise
    # (another in-doubt commit may be decided by an earlier group)
    if mode == "on":  # the group's two or more: heard, or found staged
        assert decided + sum(s["heard"] for s in states) >= 2, (decided, states)
    elif durable:
        assert decided >= 2, (decided, states)
    else:
        assert undecided >= 2, (undecided, states)
    copies = ids_on_copies(cc, conn, table, "v > 0")
    for node, got in copies.items():  # no copy holds a write the leader did not keep
        assert set(got) <= want_ids, (node, got, want_ids)
    assert sum(len(v) for v in copies.values()) == 3 * len(want_ids), copies
    with conn.cursor() as cur:  # every shard takes writes again
        cur.execute("UPDATE %s SET v = v + 1" % table)
    conn.close()
