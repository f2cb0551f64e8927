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


def one_replica(conn, table):
    return sorted(n for n, (r, _, _) in copies(conn, table).items() if r == "replica")[0]


def test_placements_show_lag_in_entries_and_time(cl):
    """A paused replica falls behind by exactly the writes made meanwhile,
    and its lag in time grows while it stays behind; resumed, it is 0."""
    conn = cl.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE lagt (id int PRIMARY KEY, v int) WITH (shards = 1, replicas = 3)")
        cur.execute("INSERT INTO lagt VALUES (0, 0)")
    rep = one_replica(conn, "lagt")
    assert copies(conn, "lagt")[rep][1:] == (0, 0)
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
    finally:
        os.kill(cl.pid(rep), signal.SIGCONT)
    deadline = time.time() + 10
    while time.time() < deadline and copies(conn, "lagt")[rep][1:] != (0, 0):
        time.sleep(0.1)
    assert copies(conn, "lagt")[rep][1:] == (0, 0)
