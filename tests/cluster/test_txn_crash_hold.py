"""The crash table's last rows, by fault point (docs/transactions.md, "Crash
table"; issue 16): a two-shard COMMIT is held right after its decision is
recorded (MURPHY_FAULT_POINT=txn_hold_after_decision, for
MURPHY_FAULT_HOLD_MS; leader-side, only with --allow-faults), and while it
is held

- the primary follower of one participant is killed -9: the markers go to
  the shard's other current copies; the client hears COMMIT (or 40003 with
  the transaction id, never a plain failure), and in the end every copy
  holds the commit;
- the client process is killed: the transaction's outcome is in
  murphy.transaction_outcomes afterwards and matches what the copies hold.
"""
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time

import psycopg2
import pytest

import checker
import txn_hold
from conftest import owned_cluster, timer_args
from test_txn_atomic import scalar, two_shard_ids
from test_txn_crash import MODES, check_outcome, mode_connect, setup_table

SUSPECT_MS = 1000
DEAD_MS = 30000  # the killed follower is not rebuilt elsewhere meanwhile
POINT = "txn_hold_after_decision"
HOLD_MS = 2500


@pytest.fixture
def hc(request):
    yield from owned_cluster(request, 3, timer_args(SUSPECT_MS, DEAD_MS))


def start_leader_holding(cluster):
    """The leader started again with POINT armed for HOLD_MS."""
    txn_hold.start_leader_at(cluster, POINT, HOLD_MS)


def wait_held(cluster, txid):
    """Until the leader says the commit of txid is held at POINT."""
    txn_hold.wait_held(cluster, POINT, txid)


def primary_node(conn, table, id_):
    with conn.cursor() as cur:
        cur.execute("EXPLAIN SELECT * FROM %s WHERE id = %d" % (table, id_))
        plan = "\n".join(r[0] for r in cur.fetchall())
    return re.search(r"Shards: .* on (\S+)", plan).group(1)


def outcome_of(conn, txid):
    with conn.cursor() as cur:
        cur.execute("SELECT outcome FROM murphy.transaction_outcomes WHERE txid = %s", (txid,))
        row = cur.fetchone()
    return row[0] if row else None


@pytest.mark.parametrize("mode", MODES)
def test_participant_primary_killed_after_the_decision(hc, mode):
    table = "h_primary_" + mode
    setup_table(hc, table)
    conn = hc.connect()
    a_id, b_id = two_shard_ids(conn, table)
    victim = primary_node(conn, table, a_id)
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
            heard["ok"] = True
        except psycopg2.Error as e:
            heard["error"] = e

    th = threading.Thread(target=commit)
    th.start()
    wait_held(hc, txid)
    os.kill(hc.pid(victim), signal.SIGKILL)
    th.join(30)
    assert heard, "COMMIT never answered"
    print("COMMIT heard:", heard)
    if "error" in heard:  # ambiguous, said so, with the id to look up
        e = heard["error"]
        assert e.pgcode == "40003" and str(txid) in str(e), (e.pgcode, str(e))
    blk.close()
    hc.start()  # the killed follower comes back and catches up
    conn = hc.connect()
    assert outcome_of(conn, txid) == "committed"
    checker.wait_consistent(hc, conn, tables=[table], replicas=3, timeout=40)
    check_outcome(hc, conn, table, (a_id, b_id), committed=True)


CLIENT = textwrap.dedent("""
    import sys, psycopg2
    conn = psycopg2.connect(sys.argv[1])
    cur = conn.cursor()
    cur.execute("SET murphy.parallel_commits = %s" % sys.argv[5])
    cur.execute("SELECT txid_current()")
    print(cur.fetchone()[0], flush=True)
    cur.execute("UPDATE %s SET v = 7 WHERE id IN (%s, %s)" % tuple(sys.argv[2:5]))
    conn.commit()
    print("committed", flush=True)
""")


@pytest.mark.parametrize("mode", MODES)
def test_client_killed_during_commit(hc, mode):
    table = "h_client_" + mode
    setup_table(hc, table)
    conn = hc.connect()
    a_id, b_id = two_shard_ids(conn, table)
    conn.close()
    start_leader_holding(hc)
    child = subprocess.Popen([sys.executable, "-c", CLIENT, hc.dsn(), table, str(a_id), str(b_id),
                              mode],
                             stdout=subprocess.PIPE, text=True)
    try:
        txid = int(child.stdout.readline())
        wait_held(hc, txid)
        child.kill()  # the client is gone while its COMMIT is held
        child.wait(10)
        assert child.stdout.read() == ""  # it never heard the outcome
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
    conn = hc.connect()
    # the outcome by its id (recorded before the hold) ...
    assert outcome_of(conn, txid) == "committed"
    # ... matches what every copy holds once the held markers land
    deadline = time.time() + HOLD_MS / 1000.0 + 10
    while time.time() < deadline and scalar(
            conn, "SELECT count(*) FROM %s WHERE v = 7" % table) != 2:
        time.sleep(0.1)
    check_outcome(hc, conn, table, (a_id, b_id), committed=True)
