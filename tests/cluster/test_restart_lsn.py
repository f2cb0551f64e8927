"""Writes right after a leader restart: no copy's position is taken from a
stale report, no client hears an internal LSN refusal, nothing
acknowledged is lost (issue 16, "Ambiguity told honestly").

A restarted leader asks each follower for its placements' positions
(STATUS).  A copy holding a transaction nobody decided (the old leader
died mid-block) is undone (presumed abort) and its follower is asked
again — for all of its placements, while the shards already decided take
writes.  Before 2026-12-07 that second answer was classified like the
first: a copy that had logged a write still in flight (not at its quorum
yet) was "ahead of the committed entry", marked divergent and undone,
under the write, and the shard's next write, sent to that copy as its
primary, was refused there and the client got SQLSTATE 55000 "placement
… is at lsn N; this write is entry N+2" (bank nemesis, leader kill -9).
An undone copy that the write's quorum had counted also leaves an
acknowledged write on fewer copies than its quorum.

The test leaves a block open on one table's primary (its UPDATE answered
there; replica batches keep the APPLYs on the leader until COMMIT), kills
the leader -9, starts it again and at once runs writers on another table,
with that follower's peers delayed, while the open block's copy is undone
and its follower asked again; every write must succeed and be on every
copy, and no copy may be found divergent.
"""
import os
import threading
import time

import psycopg2
import pytest

import checker
from conftest import connect_when_up, owned_cluster, start_in_background, timer_args
from test_leader_crash import kill_leader

SUSPECT_MS = 1000
DEAD_MS = 30000  # nobody is declared dead (and rebuilt) during this test
WRITERS = 4
ROWS = 8
DELAY_MS = 150
WRITE_S = 6.0  # long enough for the undo's second STATUS round (1 s ticks)


@pytest.fixture
def cc(request):
    yield from owned_cluster(request, 3, timer_args(SUSPECT_MS, DEAD_MS))


def scalar(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]


def test_writes_after_restart_are_not_refused_by_a_copy_undone_under_them(cc):
    conn = cc.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE held (id int PRIMARY KEY, v int NOT NULL) "
                    "WITH (shards = 1, replicas = 3)")
        cur.execute("CREATE TABLE busy (id int PRIMARY KEY, v int NOT NULL) "
                    "WITH (shards = 4, replicas = 3)")
        cur.execute("INSERT INTO held VALUES (1, 0)")
        cur.execute("INSERT INTO busy VALUES %s" % ", ".join(
            "(%d, 0)" % i for i in range(1, ROWS + 1)))
        cur.execute("SELECT node FROM murphy.placements WHERE table_name = 'held' "
                    "AND role = 'primary'")
        holder = cur.fetchone()[0]
    conn.close()

    # a block left open on held's primary (`holder`) when the leader dies
    blk = cc.connect(autocommit=False)
    with blk.cursor() as cur:
        cur.execute("UPDATE held SET v = v + 1 WHERE id = 1")
    kill_leader(cc)
    try:
        blk.close()
    except psycopg2.Error:
        pass
    # `murphy local start` returns once the leader is ready (its shards
    # decided, ~2 s): the writers and the delay start as soon as it
    # listens.  The other copies answer late, so that a write to a shard
    # whose primary is `holder` stays undecided (logged there, not yet at
    # its quorum) a while: the window the holder's second STATUS lands in
    starter, conn = start_in_background(cc)
    with conn.cursor() as cur:
        for node in ("f1", "f2", "f3"):
            if node != holder:
                cur.execute("SELECT murphy.fault(%s)", ("delay %s %d" % (node, DELAY_MS),))
    conn.close()

    inserted, updated = [0] * WRITERS, [0] * WRITERS
    errors = []
    stop = time.time() + WRITE_S

    def writer(k):
        # row inserts run on every copy at once: the holder logs each one
        # at once, the delayed copies decide it later; each row is then
        # updated (a write its primary runs and ships)
        conn = connect_when_up(cc)
        try:
            while time.time() < stop:
                key = 1000 * (k + 1) + inserted[k]
                try:
                    with conn.cursor() as cur:
                        cur.execute("INSERT INTO busy VALUES (%s, 0)", (key,))
                        inserted[k] += 1
                        cur.execute("UPDATE busy SET v = v + 1 WHERE id = %s", (key,))
                        updated[k] += 1
                except psycopg2.Error as e:
                    errors.append((e.pgcode, str(e).strip().splitlines()[0]))
                    if conn.closed:
                        conn = connect_when_up(cc)
        finally:
            conn.close()

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WRITE_S + 60)
    starter.join(60)

    conn = connect_when_up(cc)
    internal = [e for e in errors if e[0] == "55000" or "is at lsn" in e[1]]
    assert not internal, "internal LSN refusals reached clients: %s" % internal[:5]
    # the only fault was the leader's kill, before any of these writes:
    # each was decided at its quorum, none refused or failed
    assert not errors, errors[:5]
    assert sum(updated) > 0
    assert scalar(conn, "SELECT count(*) FROM busy") == ROWS + sum(inserted)
    assert scalar(conn, "SELECT sum(v) FROM busy") == sum(updated)
    assert scalar(conn, "SELECT v FROM held WHERE id = 1") == 0  # the open block: aborted
    # no copy of busy was found divergent: none was undone under a write
    # and then rebuilt, none refused an entry (the leader's WARN)
    with conn.cursor() as cur:
        cur.execute("SELECT table_name, shard, target FROM murphy.rebuilds")
        assert cur.fetchall() == []
    with open(os.path.join(cc.dir, "leader", "murphy.log")) as f:
        refusals = [line for line in f if " refused the " in line]
    assert not refusals, refusals[:3]
    checker.wait_consistent(cc, conn, tables=["busy", "held"], replicas=3, timeout=30)
    conn.close()
