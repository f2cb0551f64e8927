"""Under-replication is shown, logged and repaired (issue 14, "Honest state").

A 3-follower cluster with an RF 3 table: when a follower dies, no follower
is free to take its copies.  murphy.shards, murphy.placements, `murphy
status` and the leader log must say so; when a 4th follower joins, the
copies are rebuilt there and the rebuild rows end with final values.
"""
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time

import pytest

import checker
from conftest import MURPHY, Cluster, owned_cluster, timer_args
from pgserver import free_port

SUSPECT_MS = 1000
DEAD_MS = 2000
SHARDS = 4



@pytest.fixture
def fc(request):
    yield from owned_cluster(request, 3, timer_args(SUSPECT_MS, DEAD_MS))


def rows(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def wait_for(what, fn, timeout):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError("%s: not after %.0f s (last: %r)" % (what, timeout, last))


def shard_health(conn):
    return rows(conn, "SELECT shard, replication_factor, copies_current, under_replicated, "
                      "under_replicated_reason FROM murphy.shards WHERE table_name = 'u' "
                      "ORDER BY shard")


def leader_log(cluster):
    with open(os.path.join(cluster.dir, "leader", "murphy.log"), errors="replace") as f:
        return f.read()


def status(cluster):
    r = subprocess.run([MURPHY, "status", "--dir", cluster.dir], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def start_follower(cluster, name):
    d = os.path.join(cluster.dir, name)
    os.makedirs(d)
    shutil.copy(os.path.join(cluster.dir, "leader", "cluster.secret"), d)
    cluster.node_cert(name)
    log = open(os.path.join(d, "murphy.log"), "ab")
    p = subprocess.Popen([MURPHY, "follower", "--dir", d, "--listen",
                          "127.0.0.1:%d" % free_port(), "--join",
                          "127.0.0.1:%d" % (cluster.port + 1)],
                         stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    log.close()
    return p


def test_dead_follower_without_spare_is_shown_then_rebuilt_on_join(fc):
    conn = fc.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE u (id bigint PRIMARY KEY, v text) WITH (shards = %d, "
                    "replicas = 3)" % SHARDS)
        cur.execute("INSERT INTO u VALUES " + ",".join("(%d, '%s')" % (i, "x" * 200)
                                                       for i in range(1, 2001)))
    health = shard_health(conn)
    assert [h[1:4] for h in health] == [(3, 3, False)] * SHARDS, health
    assert all(h[4] is None for h in health), health
    assert "every shard at its replication factor" in status(fc)

    os.kill(fc.pid("f2"), signal.SIGKILL)
    wait_for("f2 dead", lambda: rows(conn, "SELECT 1 FROM murphy.nodes WHERE name = 'f2' "
                                           "AND state = 'dead'"), DEAD_MS / 1000 + 5)
    # every shard: 2 of 3 copies current, and why
    health = wait_for("under-replication shown",
                      lambda: [h for h in shard_health(conn) if h[3]] == shard_health(conn)
                      and shard_health(conn), 5)
    for shard, rf, cur, under, why in health:
        assert (rf, cur, under) == (3, 2, True), health
        assert "f2 dead, no follower free to take a copy" in why, why
    # the dead node's copies are not "lag 0, lagging": lost, lag unknown
    lost = rows(conn, "SELECT state, lag FROM murphy.placements WHERE node = 'f2'")
    assert lost and all(st == "lost" and lag is None for st, lag in lost), lost
    out = status(fc)
    assert "replication: %d of %d shards UNDER-REPLICATED" % (SHARDS, SHARDS) in out, out
    assert "f2 dead, no follower free to take a copy" in out, out
    # the WARNING: once per shard, not once per tick
    time.sleep(2.5)
    warnings = [l for l in leader_log(fc).splitlines()
                if "WARN" in l and "under-replicated" in l and " of u " in l]
    shards_warned = sorted(int(re.search(r"shard (\d+) of u", l).group(1)) for l in warnings)
    assert shards_warned == list(range(SHARDS)), warnings

    # a follower joins: the copies are rebuilt there, the column clears
    p = start_follower(fc, "f4")
    try:
        wait_for("back at RF", lambda: [h[1:5] for h in shard_health(conn)]
                 == [(3, 3, False, None)] * SHARDS, 30)
        nodes = rows(conn, "SELECT DISTINCT node FROM murphy.placements WHERE table_name = 'u'")
        assert sorted(n for (n,) in nodes) == ["f1", "f3", "f4"], nodes
        assert "every shard at its replication factor" in status(fc)
        # logged at the next recovery tick (1 s)
        wait_for("back at RF logged", lambda: len(re.findall(
            r"shard \d+ of u is back at its replication factor", leader_log(fc))) == SHARDS, 5)
        # finished rebuild rows carry final values, not the last progress sample
        rb = rows(conn, "SELECT shard, state, phase, bytes_done, bytes_total, replaces "
                        "FROM murphy.rebuilds WHERE table_name = 'u' AND target = 'f4'")
        assert sorted(r[0] for r in rb) == list(range(SHARDS)), rb
        for shard, state, phase, done, total, replaces in rb:
            assert (state, phase, replaces) == ("done", "done", "f2"), rb
            assert done == total, rb
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM u")
            assert cur.fetchone()[0] == 2000
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
        conn.close()


def test_finished_rebuild_rows_carry_final_values(request):
    """With a spare follower the dead node's copies are rebuilt at once;
    each finished murphy.rebuilds row says done/done with every byte
    copied, not the last 200 ms progress sample ('log', part of the
    bytes)."""
    c = Cluster(followers=4, start_args=timer_args(SUSPECT_MS, DEAD_MS))
    request.module._murphy_cluster = c
    try:
        c.start()
        conn = c.connect()
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE r (id bigint PRIMARY KEY, v text) WITH (shards = %d, "
                        "replicas = 3)" % SHARDS)
            cur.execute("INSERT INTO r VALUES " + ",".join("(%d, '%s')" % (i, "y" * 500)
                                                           for i in range(1, 3001)))
        victim = rows(conn, "SELECT node FROM murphy.shards WHERE table_name = 'r' "
                            "AND shard = 0")[0][0]
        os.kill(c.pid(victim), signal.SIGKILL)
        rb = wait_for("rebuilds finished", lambda: (lambda got: got if got and all(
            r[1] in ("done", "failed") for r in got) else None)(
            rows(conn, "SELECT shard, state, phase, bytes_done, bytes_total, error "
                       "FROM murphy.rebuilds WHERE table_name = 'r'")), DEAD_MS / 1000 + 20)
        for shard, state, phase, done, total, error in rb:
            assert state == "done", rb
            assert phase == "done" and error is None, rb
            assert total > 0 and done == total, rb
        conn.close()
    finally:
        c.cleanup()


def current_copies(conn, table):
    """{shard: sorted nodes holding a current copy} of table."""
    got = {}
    for shard, node in rows(conn, "SELECT shard, node FROM murphy.placements WHERE table_name "
                                  "= %s AND state = 'current' ORDER BY 1, 2", (table,)):
        got.setdefault(shard, []).append(node)
    return got


def test_shard_created_short_of_its_rf_is_topped_up_when_followers_return(request):
    """Invariant 5 whatever the history: a table created while followers
    were dead gets fewer copies than its replicas (only where they can be
    made now); when followers return, each shard gets the missing copies,
    rebuilt from a current peer, with progress in murphy.rebuilds.  Before,
    nothing topped such a shard up: 2 of 3 copies forever with two followers
    alive and empty."""
    c = Cluster(followers=4, start_args=timer_args(SUSPECT_MS, DEAD_MS))
    request.module._murphy_cluster = c
    try:
        c.start()
        conn = c.connect()
        for victim in ("f3", "f4"):
            os.kill(c.pid(victim), signal.SIGKILL)
        wait_for("f3, f4 dead", lambda: len(rows(conn, "SELECT 1 FROM murphy.nodes WHERE name IN "
                                                       "('f3', 'f4') AND state = 'dead'")) == 2,
                 DEAD_MS / 1000 + 5)
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE u (id bigint PRIMARY KEY, v text) WITH (shards = %d, "
                        "replicas = 3)" % SHARDS)
            cur.execute("INSERT INTO u VALUES " + ",".join("(%d, '%s')" % (i, "z" * 100)
                                                           for i in range(1, 1001)))
        assert current_copies(conn, "u") == {s: ["f1", "f2"] for s in range(SHARDS)}
        short = wait_for("shown short of its RF", lambda: (lambda h: h if all(
            r[1:4] == (3, 2, True) and r[4] for r in h) else None)(shard_health(conn)), 5)

        c.start()  # f3 and f4 come back, empty of u
        wait_for("every shard back at RF 3", lambda: [h[1:5] for h in shard_health(conn)]
                 == [(3, 3, False, None)] * SHARDS, 30)
        copies = current_copies(conn, "u")
        assert all(len(n) == 3 and n[:2] == ["f1", "f2"] for n in copies.values()), copies
        assert checker.check_cluster(c, conn, replicas=3, tables={"u"}) == []
        rb = rows(conn, "SELECT shard, target, state, replaces FROM murphy.rebuilds "
                        "WHERE table_name = 'u'")
        assert sorted(r[0] for r in rb) == list(range(SHARDS)), rb
        assert all(r[1] in ("f3", "f4") and r[2:] == ("done", None) for r in rb), rb
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM u")
            assert cur.fetchone()[0] == 1000
        # while f3 and f4 were dead, the reason named the missing copy
        for shard, rf, cur_, under, why in short:
            assert "2 of 3 copies placed, no follower free to take a copy" in why, short
        conn.close()
    finally:
        c.cleanup()


def test_copy_lost_from_the_catalog_is_topped_up(request):
    """Whatever removed a copy (two rebuilds racing, a hand edit), a shard
    with fewer copies than its replicas and a free follower gets a new copy:
    here one replica of every shard is deleted from the leader's catalog
    while the leader is down.  Its old file is dropped and the shard is
    rebuilt back to 3 current, identical copies."""
    c = Cluster(followers=4, start_args=timer_args(SUSPECT_MS, DEAD_MS))
    request.module._murphy_cluster = c
    try:
        c.start()
        conn = c.connect()
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE u (id bigint PRIMARY KEY, v text) WITH (shards = %d, "
                        "replicas = 3)" % SHARDS)
            cur.execute("INSERT INTO u VALUES " + ",".join("(%d, '%s')" % (i, "w" * 100)
                                                           for i in range(1, 1001)))
        conn.close()
        leader = c.pid("leader")
        os.kill(leader, signal.SIGKILL)
        wait_for("leader gone", lambda: not os.path.exists("/proc/%d" % leader), 5)
        db = sqlite3.connect(os.path.join(c.dir, "leader", "catalog.db"))
        with db:
            lost = db.execute("DELETE FROM placements WHERE role = 1 AND rowid IN (SELECT "
                              "max(rowid) FROM placements WHERE role = 1 AND table_id = (SELECT "
                              "id FROM tables WHERE name = 'u') GROUP BY shard)").rowcount
        db.close()
        assert lost == SHARDS
        c.start()  # the leader comes back with 2 copies of every shard
        conn = c.connect()
        wait_for("every shard back at RF 3", lambda: [h[1:5] for h in shard_health(conn)]
                 == [(3, 3, False, None)] * SHARDS, 30)
        assert checker.check_cluster(c, conn, replicas=3, tables={"u"}) == []
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM u")
            assert cur.fetchone()[0] == 1000
        conn.close()
    finally:
        c.cleanup()
