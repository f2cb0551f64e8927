"""Stale reads, measured and chosen (issue 17, docs/consistency.md).

- murphy.placements shows how stale each copy is: lag_entries (committed
  entries it lacks) and lag_ms (since the first of them was decided);
- murphy.read_consistency = strong | bounded | available, with
  murphy.max_staleness for bounded: strong keeps today's answer (or its
  08006 error), available answers from the freshest reachable copy,
  bounded from a copy within the bound;
- every stale answer says how stale: a WARNING after the read, and
  SHOW murphy.last_read_staleness.

Real processes: a follower is paused with SIGSTOP (its connection stays
up, so it stays "reachable" until the suspect timeout, which is long here)
or killed (SIGKILL: its connection drops at once).
"""
import os
import re
import signal
import time

import psycopg2
import pytest

from conftest import owned_cluster, timer_args

SUSPECT_MS = 60000   # a paused follower stays alive and connected throughout
DEAD_MS = 120000     # no re-replication during a test


@pytest.fixture(scope="module")
def cl(request):
    yield from owned_cluster(request, start_args=timer_args(SUSPECT_MS, DEAD_MS))


def rows(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def copies(conn, table):
    """{node: (role, lag_entries, lag_ms)} of the table's one shard."""
    return {n: (r, le, lm) for n, r, le, lm in rows(
        conn, "SELECT node, role, lag_entries, lag_ms FROM murphy.placements"
        " WHERE table_name = %s", (table,))}


def roles_lag(conn, table):
    """{node: (role, lag)}: murphy.placements' columns from before issue 17."""
    return {n: (r, lag) for n, r, lag in rows(
        conn, "SELECT node, role, lag FROM murphy.placements WHERE table_name = %s",
        (table,))}


def one_replica(conn, table):
    return sorted(n for n, (r, _, _) in copies(conn, table).items() if r == "replica")[0]


def wait_current(conn, table, node, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline and copies(conn, table)[node][1:] != (0, 0):
        time.sleep(0.05)
    assert copies(conn, table)[node][1:] == (0, 0)


def test_placements_show_lag_in_entries_and_time(cl):
    """A paused replica falls behind by exactly the writes made meanwhile,
    and its lag in time grows while it stays behind; resumed, it is 0."""
    conn = cl.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE lagt (id int PRIMARY KEY, v int) WITH (shards = 1, replicas = 3)")
        cur.execute("INSERT INTO lagt VALUES (0, 0)")
    rep = one_replica(conn, "lagt")
    wait_current(conn, "lagt", rep)  # the write is answered at its quorum, 2 of 3
    os.kill(cl.pid(rep), signal.SIGSTOP)
    try:
        with conn.cursor() as cur:
            for i in range(1, 4):
                cur.execute("INSERT INTO lagt VALUES (%s, %s)", (i, i))
        t0 = time.monotonic()
        _, entries, ms1 = copies(conn, "lagt")[rep]
        assert entries == 3
        assert ms1 is not None and ms1 >= 0
        time.sleep(0.6)
        _, entries, ms2 = copies(conn, "lagt")[rep]
        waited_ms = (time.monotonic() - t0) * 1000
        assert entries == 3
        assert ms2 >= ms1 + 500 and ms2 >= waited_ms - 50, (ms1, ms2, waited_ms)
        for n, (role, le, lm) in copies(conn, "lagt").items():
            if n != rep:
                assert (le, lm) == (0, 0), (n, le, lm)
        status = cl.run("status", "--dir", cl.dir).stdout  # murphy status shows it too
        assert re.search(r"%s:\d+ lag 3 \(\d+\.\d s\)" % rep, status), status
    finally:
        os.kill(cl.pid(rep), signal.SIGCONT)
    wait_current(conn, "lagt", rep)


def test_settings_set_show_reset(cl):
    conn = cl.connect()
    assert rows(conn, "SHOW murphy.read_consistency") == [("strong",)]
    assert rows(conn, "SHOW murphy.max_staleness") == [("5s",)]
    assert rows(conn, "SHOW murphy.last_read_staleness") == [("0",)]
    assert rows(conn, "SELECT setting, unit FROM murphy.settings WHERE name IN"
                " ('murphy.read_consistency', 'murphy.max_staleness') ORDER BY name") == [
                    ("5000", "ms"), ("strong", None)]
    with conn.cursor() as cur:
        cur.execute("SET murphy.read_consistency = 'available'")
        cur.execute("SET murphy.max_staleness = '250ms'")
    assert rows(conn, "SHOW murphy.read_consistency") == [("available",)]
    assert rows(conn, "SHOW murphy.max_staleness") == [("250ms",)]
    for sql in ("SET murphy.read_consistency = 'eventual'", "SET murphy.max_staleness = 'soon'",
                "SET murphy.max_staleness = '-1s'"):
        with pytest.raises(psycopg2.Error) as ei, conn.cursor() as cur:
            cur.execute(sql)
        assert ei.value.pgcode == "22023", sql
    with pytest.raises(psycopg2.Error) as ei, conn.cursor() as cur:
        cur.execute("SET murphy.read_consistency = 'eventual'")
    assert "strong, bounded, available" in ei.value.diag.message_hint
    with pytest.raises(psycopg2.Error) as ei, conn.cursor() as cur:
        cur.execute("SET murphy.last_read_staleness = '1s'")
    assert ei.value.pgcode == "55P02"
    with conn.cursor() as cur:
        cur.execute("RESET murphy.read_consistency")
        cur.execute("RESET murphy.max_staleness")
    assert rows(conn, "SHOW murphy.read_consistency") == [("strong",)]
    assert rows(conn, "SHOW murphy.max_staleness") == [("5s",)]


def fault(conn, what):
    rows(conn, "SELECT murphy.fault(%s)", (what,))


def lose_the_fresh_copy(cl, table, before_loss=None):
    """A 1-shard table with two copies: the replica misses the last write
    (partitioned from the leader, the write at quorum 'one'), then the
    primary dies and the partition heals.  The replica is reachable but 1
    entry behind, with no copy left to catch it up.  Returns (conn, the
    replica's name, monotonic time the missed write was acknowledged)."""
    conn = cl.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v int) WITH (shards = 1, replicas = 2)"
                    % table)
        cur.execute("INSERT INTO %s VALUES (1, 10)" % table)
    placed = roles_lag(conn, table)
    rep = [n for n, (r, _) in placed.items() if r == "replica"][0]
    prim = [n for n, (r, _) in placed.items() if r == "primary"][0]
    fault(conn, "partition %s leader" % rep)
    with conn.cursor() as cur:
        cur.execute("SET murphy.write_quorum = 'one'")
        cur.execute("INSERT INTO %s VALUES (2, 20)" % table)
        acked = time.monotonic()
        cur.execute("RESET murphy.write_quorum")
    if before_loss:
        before_loss()
    os.kill(cl.pid(prim), signal.SIGKILL)
    deadline = time.time() + 10
    while time.time() < deadline and roles_lag(conn, table)[prim][1] is not None:
        time.sleep(0.05)
    fault(conn, "heal")  # the replica reconnects (frames were lost) and reports
    deadline = time.time() + 10
    while time.time() < deadline and roles_lag(conn, table)[rep][1] != 1:
        time.sleep(0.05)
    assert roles_lag(conn, table)[rep][1] == 1, roles_lag(conn, table)
    return conn, rep, acked


def read_err(conn, sql):
    with pytest.raises(psycopg2.Error) as ei, conn.cursor() as cur:
        cur.execute(sql)
    return ei.value


def test_levels_with_the_only_current_copy_lost(cl):
    """strong: 08006 naming the shard; available: the stale copy's answer
    (the acknowledged row 2 missing), with a WARNING and a staleness at
    least the real one; bounded: the replica within a wide bound, the
    strong error past a narrow one."""
    c0 = cl.connect()  # a table whose copies stay current, read at the end
    with c0.cursor() as cur:
        cur.execute("CREATE TABLE curt (id int PRIMARY KEY) WITH (shards = 1, replicas = 3)")
        cur.execute("INSERT INTO curt VALUES (1)")
    c0.close()
    conn, rep, acked = lose_the_fresh_copy(cl, "lostt")
    err = read_err(conn, "SELECT count(*) FROM lostt")
    assert err.pgcode == "08006"
    assert "shard 0 of table \"lostt\"" in str(err)
    assert rows(conn, "SHOW murphy.last_read_staleness") == [("0",)]

    with conn.cursor() as cur:
        cur.execute("SET murphy.read_consistency = 'available'")
    del conn.notices[:]
    t0 = time.monotonic()
    assert rows(conn, "SELECT id, v FROM lostt ORDER BY id") == [(1, 10)]
    real_ms = (t0 - acked) * 1000
    warn = [n for n in conn.notices if "stale read" in n]
    assert len(warn) == 1, conn.notices
    assert warn[0].startswith("WARNING:"), warn
    assert "shard 0 of lostt from %s, 1 entry," % rep in warn[0], warn
    behind_s = float(warn[0].split("entry, ")[1].split(" s behind")[0])
    assert behind_s * 1000 >= real_ms - 100, (behind_s, real_ms)
    last = rows(conn, "SHOW murphy.last_read_staleness")[0][0]
    assert last.endswith("ms") and int(last[:-2]) >= real_ms, (last, real_ms)
    plan = "\n".join(r[0] for r in rows(conn, "EXPLAIN ANALYZE SELECT count(*) FROM lostt"))
    assert "Stale read: shard 0 of lostt from %s, 1 entry," % rep in plan, plan

    with conn.cursor() as cur:
        cur.execute("SET murphy.read_consistency = 'bounded'")
        cur.execute("SET murphy.max_staleness = '60s'")
    assert rows(conn, "SELECT count(*) FROM lostt") == [(1,)]
    time.sleep(0.05)
    with conn.cursor() as cur:
        cur.execute("SET murphy.max_staleness = '10ms'")
    err = read_err(conn, "SELECT count(*) FROM lostt")
    assert err.pgcode == "08006"
    assert "max_staleness" in err.diag.message_hint

    # inside a block reads are strong whatever the level
    with conn.cursor() as cur:
        cur.execute("SET murphy.read_consistency = 'available'")
        cur.execute("BEGIN")
    err = read_err(conn, "SELECT count(*) FROM lostt")
    assert err.pgcode == "08006"
    with conn.cursor() as cur:
        cur.execute("ROLLBACK")
    # a read of a current copy reports no staleness
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM curt")
    assert rows(conn, "SHOW murphy.last_read_staleness") == [("0",)]


def test_bounded_reads_never_go_back_in_a_session(cl2):
    """A session that read the shard at bounded while its primary was up
    does not read the older copy once the primary is lost (08006); a new
    session at bounded does."""
    seen = cl2.connect()
    with seen.cursor() as cur:
        cur.execute("SET murphy.read_consistency = 'bounded'")
        cur.execute("SET murphy.max_staleness = '60s'")

    def read_fresh():
        assert rows(seen, "SELECT count(*) FROM mono") == [(2,)]

    conn, rep, _ = lose_the_fresh_copy(cl2, "mono", before_loss=read_fresh)
    err = read_err(seen, "SELECT count(*) FROM mono")
    assert err.pgcode == "08006"
    assert "as new as what this session read" in err.diag.message_hint
    with conn.cursor() as cur:
        cur.execute("SET murphy.read_consistency = 'bounded'")
        cur.execute("SET murphy.max_staleness = '60s'")
    assert rows(conn, "SELECT count(*) FROM mono") == [(1,)]


@pytest.fixture()
def cl2(request):
    yield from owned_cluster(request, start_args=timer_args(SUSPECT_MS, DEAD_MS))


def test_partial_results_skip_shards_with_no_copy(cl2):
    """replicas = 1 and the follower holding some shards killed: strong and
    plain available fail with 08006; available with
    murphy.allow_partial_results = on answers from the other shards, with a
    WARNING naming the shards left out."""
    conn = cl2.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE pv (page int PRIMARY KEY, visits int)"
                    " WITH (shards = 6, replicas = 1)")
        cur.execute("INSERT INTO pv VALUES " + ", ".join("(%d, 1)" % g for g in range(1, 301)))
        cur.execute("ANALYZE pv")
    shards = rows(conn, "SELECT shard, node, rows FROM murphy.shards WHERE table_name = 'pv'")
    victim = shards[0][1]
    lost = sorted(s for s, n, _ in shards if n == victim)
    kept_rows = sum(r for _, n, r in shards if n != victim)
    assert 0 < kept_rows < 300
    os.kill(cl2.pid(victim), signal.SIGKILL)
    deadline = time.time() + 10
    while time.time() < deadline and rows(
            conn, "SELECT count(*) FROM murphy.placements WHERE table_name = 'pv'"
            " AND node = %s AND lag IS NULL", (victim,))[0][0] == 0:
        time.sleep(0.05)
    assert read_err(conn, "SELECT sum(visits) FROM pv").pgcode == "08006"
    with conn.cursor() as cur:
        cur.execute("SET murphy.read_consistency = 'available'")
    assert read_err(conn, "SELECT sum(visits) FROM pv").pgcode == "08006"
    with conn.cursor() as cur:
        cur.execute("SET murphy.allow_partial_results = on")
    del conn.notices[:]
    assert rows(conn, "SELECT sum(visits), count(*) FROM pv") == [(kept_rows, kept_rows)]
    warn = [n for n in conn.notices if "partial result" in n]
    assert len(warn) == 1 and warn[0].startswith("WARNING:"), conn.notices
    named = warn[0].split("shard")[1].split(" of pv")[0].lstrip("s ")
    assert sorted(int(x) for x in named.split(", ")) == lost, warn
    with conn.cursor() as cur:
        cur.execute("SET murphy.read_consistency = 'strong'")  # partial needs available
    assert read_err(conn, "SELECT sum(visits) FROM pv").pgcode == "08006"
