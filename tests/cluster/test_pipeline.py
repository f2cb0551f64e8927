"""Pipelined row inserts (replication/repl.h, "Pipelining").

A shard's small row inserts start without waiting for the previous ones'
answers from every copy, up to 8 in flight; each carries the LSN its entry
must get, and a copy that is not just below it refuses it.  What must
hold, with real processes:

- a copy that is slow to answer (here: paused with SIGSTOP, well inside
  suspect_timeout) does not hold up the shard's next inserts, which commit
  on the other two copies; when it resumes it applies them in order, with
  no catch-up from a peer;
- when an entry fails (a duplicate key), the inserts sent behind it are
  undone wherever they landed and run again: every acknowledged row is
  there exactly once, only the duplicates failed, every copy identical;
- `--write-pipeline 1` turns it off (a paused copy holds the next insert
  again);
- while an entry is undecided, a point read by another key answers at
  once; a scan, a read of the inserted key, and any read behind an
  undecided UPDATE wait, and none of them sees the undecided change.
"""
import os
import signal
import threading
import time

import psycopg2

from checker import wait_consistent
from conftest import Cluster


def leader_log(cluster):
    return open(os.path.join(cluster.dir, "leader", "murphy.log")).read()


def six_inserts_with_a_copy_paused(cluster, conn, table):
    """Insert rows 1..6 one after another into a 1-shard table while one
    replica is stopped; returns (seconds taken, paused node, its state)."""
    cur = conn.cursor()
    cur.execute("CREATE TABLE %s (id bigint PRIMARY KEY, v bigint) WITH (shards = 1)" % table)
    cur.execute("INSERT INTO %s VALUES (0, 0)" % table)
    cur.execute("SELECT node FROM murphy.placements WHERE table_name = %s AND role = 'replica'",
                (table,))
    victim = cur.fetchone()[0]
    pid = cluster.pid(victim)
    os.kill(pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        for i in range(1, 7):  # one after another: each waits for its own quorum
            cur.execute("INSERT INTO %s VALUES (%%s, %%s)" % table, (i, i * 10))
        elapsed = time.monotonic() - t0
        cur.execute("SELECT state FROM murphy.nodes WHERE name = %s", (victim,))
        victim_state = cur.fetchone()[0]
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_consistent(cluster, conn, timeout=30, replicas=cluster.followers, tables={table})
    cur.execute("SELECT count(*), sum(v) FROM %s" % table)
    assert cur.fetchone() == (7, 210)
    return elapsed, victim, victim_state


def test_paused_copy_does_not_hold_the_next_inserts(cluster):
    conn = cluster.connect()
    elapsed, victim, victim_state = six_inserts_with_a_copy_paused(cluster, conn, "pl1")
    # without pipelining the second insert waits for the paused copy's
    # answer to the first, until it is suspect (1.5 s)
    assert elapsed < 1.0, "6 inserts took %.2f s with %s paused" % (elapsed, victim)
    assert victim_state == "alive"
    # it applied the six entries itself, in order: nothing to catch up
    log = leader_log(cluster)
    assert "%s caught up shard 0 of pl1" % victim not in log
    assert "of pl1 on %s" % victim not in log
    conn.close()


def test_write_pipeline_1_turns_pipelining_off():
    c = Cluster()
    try:
        bad = c.run("local", "start", "--dir", c.dir, "--followers", "3", "--pg-port",
                    str(c.port), "--write-pipeline", "65", check=False)
        assert bad.returncode != 0
        assert "--write-pipeline" in bad.stderr and "1..64" in bad.stderr, bad.stderr
        c.run("local", "start", "--dir", c.dir, "--followers", "3", "--pg-port", str(c.port),
              "--write-pipeline", "1")
        conn = c.connect()
        cur = conn.cursor()
        cur.execute("SELECT setting FROM murphy.settings WHERE name = 'write_pipeline'")
        assert cur.fetchone()[0] == "1"
        elapsed, victim, victim_state = six_inserts_with_a_copy_paused(c, conn, "pl0")
        # one write in flight per shard: the second insert waited for the
        # paused copy until it turned suspect (1.5 s), the rest went on
        # without it
        assert elapsed >= 1.2, "6 inserts took only %.2f s with %s paused" % (elapsed, victim)
        conn.close()
    finally:
        c.cleanup()


CLIENTS = 8
PER_CLIENT = 80


def test_failed_entry_requeues_the_inserts_behind_it(cluster):
    conn = cluster.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE pl2 (k bigint PRIMARY KEY, c int) WITH (shards = 1)")
    ok, failed, errors = [], [], []
    lock = threading.Lock()

    def writer(cid):
        c = cluster.connect()
        w = c.cursor()
        for i in range(PER_CLIENT):
            # every 8th row reuses a key all clients insert: one wins
            key = cid * 1000 + i if i % 8 else 900000 + i
            try:
                w.execute("INSERT INTO pl2 VALUES (%s, %s)", (key, cid))
                with lock:
                    ok.append(key)
            except psycopg2.Error as e:
                with lock:
                    failed.append(key)
                    errors.append(e.pgcode)
        c.close()

    threads = [threading.Thread(target=writer, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert set(errors) <= {"23505"}, errors
    dup_keys = {900000 + i for i in range(0, PER_CLIENT, 8)}
    assert set(failed) <= dup_keys
    assert len(failed) == len(dup_keys) * (CLIENTS - 1)
    cur.execute("SELECT k FROM pl2")
    assert sorted(r[0] for r in cur.fetchall()) == sorted(ok)
    wait_consistent(cluster, conn, timeout=30, replicas=cluster.followers, tables={"pl2"})
    # the failure path ran: inserts in flight behind a failed entry went
    # back to the queue (and still landed once, checked above)
    assert "the writes sent behind it are queued again" in leader_log(cluster)
    conn.close()


def held_by_primary_only(cur, table, timeout=10):
    """Wait until the primary of 1-shard `table` holds an entry its replicas
    do not (the leader counts the primary's answer: its applied_lsn moves):
    the write is in flight, and undecided while the replicas are stopped.
    Polled, not slept for: on a loaded machine the write can take longer
    to get there than any fixed pause."""
    deadline = time.monotonic() + timeout
    while True:
        cur.execute("SELECT role, applied_lsn FROM murphy.placements WHERE table_name = %s",
                    (table,))
        lsns = {}
        for role, lsn in cur.fetchall():
            lsns.setdefault(role, []).append(int(lsn))
        if lsns["primary"][0] > max(lsns["replica"]):
            return
        assert time.monotonic() < deadline, "the write never reached the primary: %r" % lsns
        time.sleep(0.01)


def while_undecided(cluster, table, write_sql, reads):
    """Stop both replicas of 1-shard table, run write_sql in a thread (it
    sits undecided on the primary, then fails when they turn suspect),
    call reads() meanwhile; returns (write's SQLSTATE or None, reads())."""
    conn = cluster.connect()
    cur = conn.cursor()
    cur.execute("SELECT node FROM murphy.placements WHERE table_name = %s AND role = 'replica'",
                (table,))
    pids = [cluster.pid(r[0]) for r in cur.fetchall()]
    assert len(pids) == 2
    # every copy current first: a row insert is decided by the first two
    # copies, and the third may still be applying it (seen in a fresh root)
    deadline = time.monotonic() + 10
    while True:
        cur.execute("SELECT count(*) FROM murphy.placements WHERE table_name = %s "
                    "AND (state <> 'current' OR lag <> 0)", (table,))
        if cur.fetchone()[0] == 0:
            break
        assert time.monotonic() < deadline, "copies of %s not current" % table
        time.sleep(0.02)
    outcome = {}
    c = cluster.connect()  # before the stop: only the statement is in the window

    def write():
        try:
            c.cursor().execute(write_sql)
            outcome["error"] = None
        except psycopg2.Error as e:
            outcome["error"] = e.pgcode
        c.close()

    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        writer = threading.Thread(target=write)
        writer.start()
        held_by_primary_only(cur, table)  # undecided: no quorum without the replicas
        got = reads()
        writer.join(timeout=30)
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
        conn.close()
    return outcome.get("error", "still running"), got


def test_point_read_does_not_wait_for_an_insert_of_another_key(cluster):
    """An undecided insert gates its shard: a read by another key goes on,
    a scan and a read of the inserted key wait, and never see the row."""
    conn = cluster.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE pl3 (id bigint PRIMARY KEY, v bigint) WITH (shards = 1)")
    cur.execute("INSERT INTO pl3 VALUES (1, 10), (2, 20), (3, 30)")

    def reads():
        t0 = time.monotonic()
        cur.execute("SELECT v FROM pl3 WHERE id = 1")
        point = cur.fetchall()
        t1 = time.monotonic()
        cur.execute("SELECT count(*) FROM pl3")
        scan = cur.fetchone()[0]
        t2 = time.monotonic()
        cur.execute("SELECT count(*) FROM pl3 WHERE id = 100")
        return point, t1 - t0, scan, t2 - t1, cur.fetchone()[0]

    error, (point, point_s, scan, scan_s, same_key) = while_undecided(
        cluster, "pl3", "INSERT INTO pl3 VALUES (100, 1000)", reads)
    assert point == [(10,)]
    assert point_s < 0.5, "a read of key 1 waited %.2f s for an insert of key 100" % point_s
    # the scan could see key 100: it waited for the insert's outcome
    # (the replicas turning suspect made its quorum impossible: undone)
    assert scan_s > 0.5, "the scan did not wait (%.2f s): was the insert in flight?" % scan_s
    # failed: 40003 when the paused replicas were sent the entry and never
    # answered (they may log it when they resume), 08006 when they were
    # already suspect, so the entry never went out (under load)
    assert error in ("40003", "08006")
    assert scan == 3 and same_key == 0
    wait_consistent(cluster, conn, timeout=30, replicas=cluster.followers, tables={"pl3"})
    cur.execute("SELECT id FROM pl3 ORDER BY id")
    assert cur.fetchall() == [(1,), (2,), (3,)]
    conn.close()


def test_point_read_waits_for_an_undecided_update(cluster):
    """The leader does not know which rows an UPDATE changes: a point read
    of its shard waits for it, and never sees it once it is undone."""
    conn = cluster.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE pl4 (id bigint PRIMARY KEY, v bigint) WITH (shards = 1)")
    cur.execute("INSERT INTO pl4 VALUES (1, 10), (2, 20)")

    def reads():
        t0 = time.monotonic()
        cur.execute("SELECT v FROM pl4 WHERE id = 2")
        return cur.fetchall(), time.monotonic() - t0

    error, (read, waited) = while_undecided(cluster, "pl4", "UPDATE pl4 SET v = 999 WHERE id = 2",
                                            reads)
    assert error in ("40003", "08006")  # as in the test above
    assert read == [(20,)]
    assert waited > 0.5, "the read did not wait (%.2f s): was the update in flight?" % waited
    wait_consistent(cluster, conn, timeout=30, replicas=cluster.followers, tables={"pl4"})
    conn.close()
