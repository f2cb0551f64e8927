"""A restarted leader gets its followers back, and `murphy local start`
says ready only when a write would be taken (issue 14).

- kill -9 the leader, restart it while the followers' reconnect delay is at
  its 2 s cap, timed so a follower's next try comes after the restarted
  leader's suspect timeout: the follower is then held as suspect when it
  says HELLO.  Before the fix the leader sent it a STATUS task before
  WELCOME, the follower dropped the connection and came back 2 s later,
  suspect again, in a loop: `murphy local start` gave up.
- right after `murphy local start` returns, an INSERT into a replicated
  table is taken at once (no retry): fresh start, and restart of a follower
  killed with -9 whose copies missed writes (an RF 2 table needs both
  copies current; before, start said ready while they were still lagging).
"""
import os
import time

import pytest

from conftest import Cluster

RETRY_CAPPED = "retrying in 2000 ms"   # cluster/member.h CLU_RECONNECT_MAX_MS
SUSPECT_MS = 1000                       # the restarted leader's suspect timeout
REJOIN_BOUND_S = 10


@pytest.fixture
def fresh():
    c = Cluster()
    yield c
    c.cleanup()


def log_count(c, node, text):
    try:
        with open(os.path.join(c.dir, node, "murphy.log"), errors="replace") as f:
            return f.read().count(text)
    except OSError:
        return 0


def wait_for(pred, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.01)
    raise AssertionError("timed out waiting for " + what)


def insert_rows(cur, first, n=60):
    cur.execute("INSERT INTO t VALUES " + ", ".join("(%d, 'v')" % i for i in range(first, first + n)))
    assert cur.rowcount == n


def ready_row(c):
    conn = c.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT ready, followers, shards_waiting, reason FROM murphy.ready")
            return cur.fetchone()
    finally:
        conn.close()


def node_state(c, name):
    conn = c.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT state FROM murphy.nodes WHERE name = %s", (name,))
            return cur.fetchone()[0]
    finally:
        conn.close()


def test_leader_killed_then_restarted_gets_followers_back(fresh):
    c = fresh
    c.start()
    conn = c.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 6, replicas = 3)")
        insert_rows(cur, 0)
    conn.close()

    c.kill9("leader")
    # the followers' reconnect delay reaches its cap (~3 s after the kill) ...
    wait_for(lambda: log_count(c, "f1", RETRY_CAPPED) >= 1, 15, "f1's retry delay to reach 2 s")
    # ... then start right after one of f1's tries: its next one comes ~2 s
    # later, past the restarted leader's suspect timeout
    seen = log_count(c, "f1", RETRY_CAPPED)
    wait_for(lambda: log_count(c, "f1", RETRY_CAPPED) > seen, 5, "f1's next try")
    t0 = time.monotonic()
    r = c.run("local", "start", "--dir", c.dir, "--suspect-timeout-ms", str(SUSPECT_MS),
              "--timeout", "15", check=False, timeout=60)
    assert r.returncode == 0, "restart failed:\n%s\n%s" % (r.stderr, c.logs())
    conn = c.connect()
    with conn.cursor() as cur:
        insert_rows(cur, 1000)  # at once: no retry
        elapsed = time.monotonic() - t0
        cur.execute("SELECT count(*) FROM murphy.nodes WHERE role = 'follower' AND state = 'alive'")
        assert cur.fetchone()[0] == c.followers
        cur.execute("SELECT count(*) FROM t")
        assert cur.fetchone()[0] == 120
    conn.close()
    assert elapsed < REJOIN_BOUND_S, "followers back and a write taken after %.1f s" % elapsed
    # every follower joined without being dropped for a TASK before WELCOME
    for f in c.node_names()[1:]:
        assert log_count(c, f, "unexpected TASK") == 0, c.logs()


def test_write_right_after_fresh_start(fresh):
    for rnd in range(3):
        c = fresh if rnd == 0 else Cluster()
        try:
            c.start()
            conn = c.connect()
            with conn.cursor() as cur:
                cur.execute("CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 6, replicas = 2)")
                insert_rows(cur, 0)
            conn.close()
        finally:
            if c is not fresh:
                c.cleanup()


def test_write_right_after_follower_restart(fresh):
    """A follower killed with -9 misses writes (write_quorum 'one'); once
    `murphy local start` restarted it and returned, a write at 'majority' to
    an RF 2 table is taken at once: both copies of every shard are current."""
    c = fresh
    c.start()
    conn = c.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 6, replicas = 2)")
        insert_rows(cur, 0)
    conn.close()
    next_id = 100
    for rnd in range(3):
        node = "f%d" % (rnd + 1)
        c.kill9(node)
        conn = c.connect()
        with conn.cursor() as cur:
            wait_for(lambda: node_state(c, node) != "alive", 10, node + " to be seen gone")
            cur.execute("SET murphy.write_quorum = 'one'")
            insert_rows(cur, next_id)  # the copies on node miss these
            next_id += 100
        conn.close()
        c.start()
        conn = c.connect()
        with conn.cursor() as cur:
            for _ in range(3):
                insert_rows(cur, next_id)  # at once, default quorum: no retry
                next_id += 100
        conn.close()
    conn = c.connect()
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM t")
        assert cur.fetchone()[0] == 60 + 3 * 4 * 60
    conn.close()


def test_ready_view(fresh):
    """murphy.ready: not ready while a shard cannot take a write at
    'majority', with the reason; ready again once `local start` returns."""
    c = fresh
    c.start()
    assert ready_row(c) == (True, c.followers, 0, None)
    conn = c.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 6, replicas = 2)")
    conn.close()
    c.kill9("f2")
    wait_for(lambda: ready_row(c)[0] is False, 10, "murphy.ready to show the lost copies")
    ready, followers, waiting, reason = ready_row(c)
    assert followers == c.followers - 1 and 0 < waiting < 6, (followers, waiting)
    assert reason.startswith("shard ") and 'of table "t": 1 of 2 copies current, a write needs 2' \
        in reason, reason
    c.start()
    assert ready_row(c) == (True, c.followers, 0, None)
