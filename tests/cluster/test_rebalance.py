"""The rebalancer (issue 18, "Rebalance"; replication/repl_rebalance.c,
replication/repl_move.c): moves that survive a leader restart, the
automatic rebalancer, plans by load.

Real processes.  Moves are throttled (murphy.move_max_mbps) so that one is
still copying when the test kills something; tables stay small.
"""
import subprocess
import threading
import time

import psycopg2
import pytest

import checker
from conftest import owned_cluster, timer_args
from test_failures import wait_state
from test_move import (PRELOAD, create, holders, move, move_rows, pick_move, rows,
                       start_throttled_move, wait_copying, wait_file_gone)
from test_underreplicated import start_follower

SUSPECT_MS = 1000
DEAD_MS = 2500


@pytest.fixture
def rc(request):
    yield from owned_cluster(request, 4, timer_args(SUSPECT_MS, DEAD_MS))


def wait_leader(cluster, timeout=20):
    deadline = time.time() + timeout
    while True:
        try:
            conn = cluster.connect()
            rows(conn, "SELECT count(*) FROM murphy.placements")
            return conn
        except Exception:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def test_leader_killed_mid_move_aborts_it_cleanly(rc):
    """The move's intent is durable: the restarted leader settles it (the
    copy was not switched in: the move aborts, the target's placement and
    file go) instead of keeping the target's copy as a third one."""
    conn = rc.connect()
    create(conn, shards=1, replicas=2)
    src, dst = pick_move(conn, "t", 0, "primary")
    th, box = start_throttled_move(rc, "t", 0, src, dst, 0.5)
    wait_copying(conn)
    assert dst in holders(conn, "t", 0)
    rc.kill9("leader")
    th.join(timeout=30)
    rc.start()
    conn = wait_leader(rc)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO t VALUES (1, 1, 'after')")
    checker.wait_consistent(rc, conn, replicas=2)
    h = holders(conn, "t", 0)
    assert sorted(h) == sorted(n for n in h if n != dst) and dst not in h and src in h, h
    assert len(h) == 2, h                       # no extra copy
    moved = move_rows(conn)
    print(moved)
    assert [(m[1], m[2], m[3], m[10]) for m in moved] == [(0, src, dst, "aborted")], moved
    assert "leader restarted" in moved[0][11], moved
    wait_file_gone(rc, "t", 0, dst, timeout=20)    # its partial copy is dropped
    assert rows(conn, "SELECT count(*) FROM t") == [(PRELOAD + 1,)]
    # the shard can move again
    assert rows(conn, "SELECT murphy.move_placement('t', 0, %s, %s)", (src, dst))[0][0] \
        .startswith("shard 0 of t moved")
    checker.wait_consistent(rc, conn, replicas=2)


# ---- the automatic rebalancer ----

@pytest.fixture
def rc3(request):
    yield from owned_cluster(request, 3, timer_args(SUSPECT_MS, DEAD_MS))


def small_table(conn, name, shards, replicas=2, nrows=400):
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id bigint PRIMARY KEY, v int, pad text) "
                    "WITH (shards = %d, replicas = %d)" % (name, shards, replicas))
        cur.execute("INSERT INTO %s SELECT g, g %% 7, repeat('p', 100) "
                    "FROM generate_series(1, %d) g" % (name, nrows))


def copies_per_node(conn):
    return dict(rows(conn, "SELECT node, count(*) FROM murphy.placements GROUP BY node"))


def alter_system(conn, name, value):
    with conn.cursor() as cur:
        cur.execute("ALTER SYSTEM SET %s = %s" % (name, value))


def add_f4(cluster, conn):
    p = start_follower(cluster, "f4")
    cluster.followers = 4   # the checker reads f4's files too
    wait_state(conn, "f4", ("alive",), 20)
    return p


def stop(p):
    p.terminate()
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()


def test_auto_rebalancer_fills_a_follower_added_empty(rc3):
    conn = rc3.connect()
    alter_system(conn, "murphy.rebalance_interval_ms", 300)
    assert ("murphy.rebalance_interval_ms", "300") in rows(
        conn, "SELECT name, setting FROM murphy.settings")
    small_table(conn, "t", shards=8)
    assert "f4" not in copies_per_node(conn)
    p = add_f4(rc3, conn)
    try:
        deadline = time.time() + 40
        while time.time() < deadline:
            per = copies_per_node(conn)
            if per.get("f4", 0) == 4 and max(per.values()) == 4 and \
                    all(m[10] != "running" for m in move_rows(conn)):
                break
            time.sleep(0.3)
        per = copies_per_node(conn)
        moved = move_rows(conn)
        print(per, moved)
        # 16 copies over 4 followers: 4 each, f4's all moved in by the rebalancer
        assert per == {"f1": 4, "f2": 4, "f3": 4, "f4": 4}, per
        assert len(moved) == 4 and all(m[3] == "f4" and m[10] == "done" for m in moved), moved
        assert rows(conn, "SELECT * FROM murphy.rebalance_plan") == []
        time.sleep(1)                        # balanced: nothing more moves
        assert len(move_rows(conn)) == 4
        assert rows(conn, "SELECT count(*) FROM t") == [(400,)]
        checker.wait_consistent(rc3, conn, replicas=2)
    finally:
        stop(p)


def test_auto_rebalance_off_moves_nothing(rc3):
    conn = rc3.connect()
    alter_system(conn, "murphy.rebalance_interval_ms", 300)
    alter_system(conn, "murphy.auto_rebalance", "off")
    small_table(conn, "t", shards=8)
    p = add_f4(rc3, conn)
    try:
        deadline = time.time() + 10
        while not rows(conn, "SELECT * FROM murphy.rebalance_plan") and time.time() < deadline:
            time.sleep(0.2)   # f4 reported its (no) copies: there is a plan
        assert rows(conn, "SELECT * FROM murphy.rebalance_plan")
        time.sleep(3)        # ten intervals
        assert "f4" not in copies_per_node(conn)
        assert move_rows(conn) == []
        # back on: the moves start
        with conn.cursor() as cur:
            cur.execute("ALTER SYSTEM RESET murphy.auto_rebalance")
        deadline = time.time() + 20
        while not move_rows(conn) and time.time() < deadline:
            time.sleep(0.2)
        assert move_rows(conn), "no move after murphy.auto_rebalance went back on"
    finally:
        stop(p)


def test_alter_system_errors(rc3):
    conn = rc3.connect()
    with conn.cursor() as cur:
        for sql, code in (("ALTER SYSTEM SET murphy.auto_rebalance = maybe", "22023"),
                          ("ALTER SYSTEM SET murphy.rebalance_threshold = -1", "22023"),
                          ("ALTER SYSTEM SET murphy.rebalance_interval_ms = 5", "22023"),
                          # the background moves' throttle: MB/s, 0 or 0.1 to 1000000
                          ("ALTER SYSTEM SET murphy.move_max_mbps = 'fast'", "22023"),
                          ("ALTER SYSTEM SET murphy.move_max_mbps = -1", "22023"),
                          ("ALTER SYSTEM SET murphy.move_max_mbps = 0.01", "22023"),
                          ("ALTER SYSTEM SET murphy.move_max_mbps = 1e9", "22023"),
                          # PostgreSQL's, which murphy does not honour
                          ("ALTER SYSTEM SET work_mem = '4MB'", "0A000"),
                          ("ALTER SYSTEM SET no_such_setting = 1", "42704")):
            with pytest.raises(psycopg2.Error) as e:
                cur.execute(sql)
            assert e.value.pgcode == code, (sql, e.value.pgcode, str(e.value))
    # a setting survives a leader restart (the catalog keeps it)
    alter_system(conn, "murphy.auto_rebalance", "off")
    alter_system(conn, "murphy.rebalance_threshold", 0.25)
    rc3.kill9("leader")
    rc3.start()
    conn = wait_leader(rc3)
    settings = dict(rows(conn, "SELECT name, setting FROM murphy.settings"))
    assert settings["murphy.auto_rebalance"] == "off", settings
    assert settings["murphy.rebalance_threshold"] == "0.25", settings


# ---- plans by load ----

def holders_of(conn, table):
    out = {}
    for shard, node in rows(conn, "SELECT shard, node FROM murphy.placements "
                                  "WHERE table_name = %s", (table,)):
        out.setdefault(shard, set()).add(node)
    return out


def hot_reads(cluster, seconds, table="h"):
    """Two threads of full reads of table: every shard of it works."""
    stop_at = time.time() + seconds

    def run():
        c = cluster.connect()
        with c.cursor() as cur:
            while time.time() < stop_at:
                cur.execute("SELECT count(*), sum(length(pad) + v) FROM %s" % table)
        c.close()

    ths = [threading.Thread(target=run, daemon=True) for _ in range(2)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()


def test_load_plan_moves_the_hot_copy(rc):
    """Both shards of the hot table h have a copy on one follower (a),
    copies per follower are even: the plan by copies is empty, the plan by
    load moves a copy of h from a to the idle follower (swapped with a cold
    copy, so the counts stay even); murphy.rebalance() does it."""
    conn = rc.connect()
    alter_system(conn, "murphy.auto_rebalance", "off")
    small_table(conn, "h", shards=2, nrows=20000)
    small_table(conn, "c", shards=6, nrows=60)
    nodes = ["f1", "f2", "f3", "f4"]
    rows(conn, "SELECT murphy.rebalance()")   # the copies even first (no load yet)
    h = holders_of(conn, "h")
    a = sorted(h[0])[0]
    if a not in h[1]:          # put a copy of h's shard 1 on a too
        b = sorted(h[1] - h[0])[0]
        move(conn, "h", 1, b, a)
        c = holders_of(conn, "c")
        sh = [s for s in sorted(c) if a in c[s] and b not in c[s]][0]
        move(conn, "c", sh, a, b)   # and a cold copy back: the counts even again
    per = copies_per_node(conn)
    assert max(per.values()) - min(per.values()) <= 1, per
    h = holders_of(conn, "h")
    assert a in h[0] and a in h[1], h
    hot_reads(rc, 4)
    load = dict(rows(conn, "SELECT node, cpu_ms FROM murphy.node_load WHERE period = '5min'"))
    plan = rows(conn, "SELECT step, table_name, shard, source, target, reason, load_ms "
                      "FROM murphy.rebalance_plan ORDER BY step")
    print(load, plan)
    assert plan and all(s[5] == "load" for s in plan), plan
    first = plan[0]
    idle = [n for n in nodes if n not in h[0] | h[1]]
    # from a follower holding both hot shards: a, or another one that does
    # (with 2 copies each, both of h's shards may sit on the same two
    # followers, and either one's load may be the higher)
    assert first[1] == "h" and first[3] in (h[0] & h[1]) and first[6] > 0, (plan, h)
    if idle:
        assert first[4] in idle, (plan, h)
    assert rows(conn, "SELECT murphy.rebalance()")[0][0].count(" moved from ") == len(plan)
    h = holders_of(conn, "h")
    assert not (h[0] & h[1]), h           # no follower holds both hot shards now
    per = copies_per_node(conn)
    assert max(per.values()) - min(per.values()) <= 1, per
    assert [r for r in rows(conn, "SELECT reason FROM murphy.rebalance_plan")] == []
    checker.wait_consistent(rc, conn, replicas=2)


def test_auto_rebalancer_waits_for_its_threshold(rc3):
    """murphy.rebalance_threshold is honoured: 16 copies on 3 followers
    (6, 5, 5) and a fourth added empty is 1.5 times the mean of 4 on the
    fullest; at a threshold of 0.6 (1.6 times) nothing moves, though the
    plan shows moves; at 0.4 the rebalancer starts them."""
    conn = rc3.connect()
    alter_system(conn, "murphy.rebalance_interval_ms", 300)
    alter_system(conn, "murphy.rebalance_threshold", 0.6)
    small_table(conn, "t", shards=8)
    assert sorted(copies_per_node(conn).values()) == [5, 5, 6], copies_per_node(conn)
    p = add_f4(rc3, conn)
    try:
        deadline = time.time() + 10
        while not rows(conn, "SELECT * FROM murphy.rebalance_plan") and time.time() < deadline:
            time.sleep(0.2)   # f4 reported its (no) copies: there is a plan
        assert rows(conn, "SELECT * FROM murphy.rebalance_plan")
        time.sleep(3)        # ten looks
        assert "f4" not in copies_per_node(conn)
        assert move_rows(conn) == []
        alter_system(conn, "murphy.rebalance_threshold", 0.4)
        deadline = time.time() + 20
        while not move_rows(conn) and time.time() < deadline:
            time.sleep(0.2)
        assert move_rows(conn), "no move at a threshold of 0.4"
    finally:
        stop(p)


def wait_until(what, fn, timeout):
    deadline = time.time() + timeout
    while not fn():
        if time.time() > deadline:
            raise AssertionError("no %s after %d s" % (what, timeout))
        time.sleep(0.2)


def test_under_replicated_shards_are_healed_before_rebalancing(rc3):
    """a (1 shard, RF 3) is on every follower; b (6 shards, RF 1) is moved
    by hand onto f1, so f1 holds 7 copies and f2, f3 one each.  f3 dies:
    a is under-replicated and no follower is free to heal it.  The
    automatic rebalancer, switched on and looking every 300 ms, must not
    move b's copies meanwhile (healing first); once f3 is back and a at
    its replication factor, it evens the copies out (3, 3, 3)."""
    conn = rc3.connect()
    alter_system(conn, "murphy.auto_rebalance", "off")
    alter_system(conn, "murphy.rebalance_interval_ms", 300)
    small_table(conn, "a", shards=1, replicas=3)
    small_table(conn, "b", shards=6, replicas=1)
    for shard, nodes in holders_of(conn, "b").items():
        (node,) = nodes
        if node != "f1":
            move(conn, "b", shard, node, "f1")
    assert copies_per_node(conn) == {"f1": 7, "f2": 1, "f3": 1}, copies_per_node(conn)
    done_by_hand = len(move_rows(conn))
    rc3.kill9("f3")
    wait_state(conn, "f3", ("dead",), DEAD_MS / 1000 + 5)
    alter_system(conn, "murphy.auto_rebalance", "on")
    plan = rows(conn, "SELECT table_name, source, target FROM murphy.rebalance_plan")
    assert plan and all(p == ("b", "f1", "f2") for p in plan), plan  # the plan would move
    time.sleep(3)                              # ten looks
    assert len(move_rows(conn)) == done_by_hand, move_rows(conn)[done_by_hand:]
    assert copies_per_node(conn)["f1"] == 7
    rc3.start()                                # f3 back: a at its RF again
    wait_state(conn, "f3", ("alive",), 20)
    wait_until("balanced", lambda: sorted(copies_per_node(conn).values()) == [3, 3, 3] and
               all(m[10] == "done" for m in move_rows(conn)), 40)
    auto = move_rows(conn)[done_by_hand:]
    print(copies_per_node(conn), auto)
    assert auto and all(m[0] == "b" and m[2] == "f1" for m in auto), auto
    assert rows(conn, "SELECT count(*) FROM b") == [(400,)]
    checker.wait_consistent(rc3, conn)


def test_follower_back_empty_gets_copies(rc):
    """f4 is killed and stays away past the dead timeout: its 4 copies are
    rebuilt on f1-f3 (healing), so it comes back holding nothing.  The
    automatic rebalancer moves copies back to it until every follower
    holds 4 again: only f4 receives, every row is there, the copies
    identical."""
    conn = rc.connect()
    alter_system(conn, "murphy.rebalance_interval_ms", 300)
    small_table(conn, "t", shards=8, replicas=2)
    assert copies_per_node(conn) == {"f1": 4, "f2": 4, "f3": 4, "f4": 4}
    rc.kill9("f4")
    wait_state(conn, "f4", ("dead",), DEAD_MS / 1000 + 5)
    wait_until("f4's copies rebuilt elsewhere", lambda: "f4" not in copies_per_node(conn) and rows(
        conn, "SELECT count(*) FROM murphy.placements WHERE state = 'current'") == [(16,)], 30)
    assert move_rows(conn) == []              # healed by rebuilds, not moves
    rc.start()                                # f4 returns, empty in the catalog
    wait_state(conn, "f4", ("alive",), 20)
    wait_until("f4 refilled", lambda: copies_per_node(conn).get("f4") == 4 and
               all(m[10] == "done" for m in move_rows(conn)), 40)
    moved = move_rows(conn)
    print(copies_per_node(conn), moved)
    assert copies_per_node(conn) == {"f1": 4, "f2": 4, "f3": 4, "f4": 4}
    assert len(moved) == 4 and all(m[3] == "f4" for m in moved), moved
    assert rows(conn, "SELECT count(*) FROM t") == [(400,)]
    checker.wait_consistent(rc, conn, replicas=2)
