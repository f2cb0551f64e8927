"""Co-located joins at bounded and available (issue 17, docs/consistency.md,
"Joins and repartitioned reads"): one task per shard reads a shard of every
joined table inside one follower, each placement held to its own bound.

- a co-located join at bounded, with the primary of the tables' shard
  delayed and a writer updating one of them without pause, answers in a
  few ms from a replica holding both (no wait at the read gate) while
  strong waits behind the writes; its answers never go backwards;
- a co-located join whose only reachable copy of one table's shard is
  stale: strong fails with 08006; bounded (within its bound) and
  available answer from the follower holding the stale copy and a current
  copy of the other table, with the WARNING and last_read_staleness.

On the base binary (main d2f4420) the bounded join waits at the gate
(hundreds of ms) and the stale-copy join fails with 08006 at every level.
"""
import time

import psycopg2
import pytest

from conftest import owned_cluster, timer_args
from test_read_consistency import lose_the_fresh_copy
from test_shuffle_levels import (DEAD_MS, SUSPECT_MS, bounded_then_strong, explain, rows,
                                 settled_primary, wait_all_current)

JOIN = "SELECT sum(o.v), count(*) FROM co o JOIN cc c ON o.id = c.id"


@pytest.fixture()
def cl(request):
    """Its own cluster per test: tests delay and kill followers."""
    yield from owned_cluster(request, start_args=timer_args(SUSPECT_MS, DEAD_MS))


def test_colocated_join_at_bounded_does_not_wait_for_a_delayed_primary(cl):
    """co and cc (1 shard each, 3 copies: co-located), co's primary
    delayed 150 ms each way, a writer updating co's row 1 without pause:
    the join at bounded answers in a few ms from a replica holding both
    shards, never backwards; at strong it waits behind the writes."""
    conn = cl.connect()
    rows(conn, "CREATE TABLE co (id int PRIMARY KEY, v int) WITH (shards = 1, replicas = 3)")
    rows(conn, "CREATE TABLE cc (id int PRIMARY KEY, name text) WITH (shards = 1, replicas = 3)")
    rows(conn, "INSERT INTO co VALUES " + ",".join("(%d, 0)" % i for i in range(1, 41)))
    rows(conn, "INSERT INTO cc VALUES " + ",".join("(%d, 'c%d')" % (i, i) for i in range(1, 31)))
    wait_all_current(conn, "co")
    wait_all_current(conn, "cc")
    primary = settled_primary(conn, "co")
    plan = explain(conn, JOIN)
    assert "Table: cc (1 shards, co-located)" in plan, plan
    assert rows(conn, JOIN)[0][1] == 30
    bounded_then_strong(cl, conn, primary, JOIN, "UPDATE co SET v = v + 1 WHERE id = 1")


def test_colocated_join_with_only_a_stale_copy_says_how_stale(cl):
    """stalec's only copy left is 1 entry behind (lose_the_fresh_copy);
    joined on id with cs (1 shard, 3 copies: co-located, a current copy
    beside the stale one), strong fails with 08006; bounded within 60 s
    and available answer without the missed row, with the WARNING naming
    stalec's shard (not cs's) and last_read_staleness at least the real
    staleness; bounded within 10 ms fails."""
    admin = cl.connect()
    rows(admin, "CREATE TABLE cs (id int PRIMARY KEY, name text) WITH (shards = 1, replicas = 3)")
    rows(admin, "INSERT INTO cs VALUES (1, 'one'), (2, 'two'), (3, 'three')")
    wait_all_current(admin, "cs")
    conn, rep, acked = lose_the_fresh_copy(cl, "stalec")
    sql = "SELECT s.id, s.v, c.name FROM stalec s JOIN cs c ON s.id = c.id ORDER BY s.id"
    with pytest.raises(psycopg2.Error) as ei:
        rows(conn, sql)
    assert ei.value.pgcode == "08006", ei.value
    for level, bound in (("bounded", "60s"), ("available", None)):
        rows(conn, "SET murphy.read_consistency = '%s'" % level)
        if bound:
            rows(conn, "SET murphy.max_staleness = '%s'" % bound)
        del conn.notices[:]
        t0 = time.monotonic()
        assert rows(conn, sql) == [(1, 10, "one")], level  # row 2 was missed
        real_ms = (t0 - acked) * 1000
        warn = [n for n in conn.notices if "stale read" in n]
        assert len(warn) == 1 and "shard 0 of stalec from %s, 1 entry," % rep in warn[0], warn
        assert "of cs " not in warn[0], warn  # cs's copy there is current
        last = rows(conn, "SHOW murphy.last_read_staleness")[0][0]
        assert last.endswith("ms") and int(last[:-2]) >= real_ms, (level, last, real_ms)
        print("%s: %s (real %.0f ms)" % (level, warn[0].strip(), real_ms))
    rows(conn, "SET murphy.read_consistency = 'bounded'")
    rows(conn, "SET murphy.max_staleness = '10ms'")
    with pytest.raises(psycopg2.Error) as ei:
        rows(conn, sql)
    assert ei.value.pgcode == "08006", ei.value
