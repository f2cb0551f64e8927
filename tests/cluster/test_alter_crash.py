"""ALTER TABLE across failures (issue 19): the table is in one shape on every
copy, and the catalog says that shape.

- a follower down during an ALTER: its copies take the DDL entry when they
  catch up from a peer's log, in order with the rows written before and
  after it;
- a copy rebuilt (from a peer's snapshot) after an ALTER has the new shape;
- the leader killed mid-ALTER at the transaction's fault points
  (replication/repl_lock.c): after `txn_after_prepare` (every shard logged
  its DDL entry, nothing decided) the restart undoes every entry — a DROP
  COLUMN's values come back from the side table — and the catalog keeps the
  old shape; after `txn_after_decision` (the decision recorded, no marker
  sent) the restarted catalog takes the new shape from its intent
  (catalog/catalog_alter.c) and every copy has it.
"""
import os

import psycopg2
import pytest

from checker import copy_columns, wait_consistent
from conftest import connect_when_up, owned_cluster, timer_args
from test_leader_crash import kill_leader
from test_txn_truth import wait_disconnected

SUSPECT_MS = 1000
DEAD_MS = 30000  # nobody declared dead (and rebuilt) unless a test says so


@pytest.fixture
def cc(request):
    yield from owned_cluster(request, 3, timer_args(SUSPECT_MS, DEAD_MS))


@pytest.fixture
def c4(request):
    yield from owned_cluster(request, 4, timer_args(SUSPECT_MS, 3000))


def run(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else None


def catalog_columns(conn, table):
    return [r[0] for r in run(conn, "SELECT column_name FROM information_schema.columns "
                              "WHERE table_name = %s ORDER BY ordinal_position", (table,))]


def make(conn, table, n=40, shards=4):
    run(conn, "CREATE TABLE %s (id int PRIMARY KEY, a text, b int) "
        "WITH (shards = %d, replicas = 3)" % (table, shards))
    run(conn, "INSERT INTO %s SELECT g, 'a' || g, g * 10 FROM generate_series(1, %d) g"
        % (table, n))


def test_follower_down_during_alter_catches_up_in_order(cc):
    conn = cc.connect()
    make(conn, "fd")
    cc.kill9("f2")
    # a write sent before the leader sees f2 go may be f2's as primary:
    # its outcome is honestly unknown (40003), which is not what this tests
    wait_disconnected(cc, ["f2"])
    run(conn, "INSERT INTO fd VALUES (41, 'before', 1)")
    run(conn, "ALTER TABLE fd ADD COLUMN c int DEFAULT 3")
    run(conn, "INSERT INTO fd VALUES (42, 'after', 2, 4)")
    run(conn, "ALTER TABLE fd DROP COLUMN a")
    run(conn, "UPDATE fd SET c = c + 1 WHERE id % 2 = 0")
    cc.start()  # f2 again: its copies catch up from a peer's log
    conn = connect_when_up(cc)
    wait_consistent(cc, conn, tables=["fd"], replicas=3, timeout=40)
    copies = copy_columns(cc, "fd")
    assert {n for (_, n) in copies} == {"f1", "f2", "f3"}
    for where, cols in copies.items():
        assert [c for c in cols if not c.startswith("_murphy")] == ["id", "b", "c"], where
    assert run(conn, "SELECT count(*), sum(c) FROM fd") == [(42, 41 * 3 + 4 + 21)]


def test_copy_rebuilt_after_alter_has_new_shape(c4):
    conn = c4.connect()
    make(conn, "rb", shards=2)
    run(conn, "ALTER TABLE rb ADD COLUMN c int DEFAULT 9")
    run(conn, "ALTER TABLE rb RENAME COLUMN a TO label")
    victim = run(conn, "SELECT node FROM murphy.placements WHERE table_name = 'rb' "
                 "ORDER BY node LIMIT 1")[0][0]
    c4.kill9(victim)  # declared dead after 3 s: its copies are rebuilt on the spare follower
    wait_consistent(c4, conn, tables=["rb"], replicas=3, not_on={victim}, timeout=40)
    copies = copy_columns(c4, "rb")
    spare = ({"f1", "f2", "f3", "f4"} - {victim}) - {"f1", "f2", "f3"}
    assert any(n in spare for (_, n) in copies) or victim == "f4", copies  # a rebuilt copy
    for where, cols in copies.items():
        if where[1] == victim:
            continue
        assert [c for c in cols if not c.startswith("_murphy")] == \
            ["id", "label", "b", "c"], where
    assert run(conn, "SELECT count(*), sum(c) FROM rb") == [(40, 360)]


def leader_dies_in_alter(cl, point, table, sql):
    """Restart the leader armed with fault point `point`, run `sql` (it dies
    inside the ALTER's commit), restart it unarmed; a connection."""
    kill_leader(cl)
    os.environ["MURPHY_FAULT_POINT"] = point
    try:
        cl.start()
    finally:
        del os.environ["MURPHY_FAULT_POINT"]
    conn = connect_when_up(cl)
    with pytest.raises(psycopg2.Error):
        run(conn, sql)
    assert "fault point %s reached" % point in cl.logs(), "the leader died elsewhere"
    kill_leader(cl)  # already gone: waits for the pid
    cl.start()
    conn = connect_when_up(cl)
    wait_consistent(cl, conn, tables=[table], replicas=3, timeout=40)
    return conn


def test_leader_killed_before_the_decision_alter_is_undone(cc):
    conn = cc.connect()
    make(conn, "lp")
    before = run(conn, "SELECT id, a, b FROM lp ORDER BY id")
    conn.close()
    conn = leader_dies_in_alter(cc, "txn_after_prepare", "lp", "ALTER TABLE lp DROP COLUMN a")
    assert catalog_columns(conn, "lp") == ["id", "a", "b"]
    for where, cols in copy_columns(cc, "lp").items():
        # the undo adds the column back last (murphy names columns in every
        # statement it sends a shard, so their order there does not matter)
        assert sorted(c for c in cols if not c.startswith("_murphy")) == ["a", "b", "id"], where
    # the dropped values are back (undo refilled them from the side table)
    assert run(conn, "SELECT id, a, b FROM lp ORDER BY id") == before
    run(conn, "INSERT INTO lp (id, a, b) VALUES (100, 'x', 1)")  # writes go on
    run(conn, "ALTER TABLE lp DROP COLUMN a")  # and the ALTER can run again
    assert catalog_columns(conn, "lp") == ["id", "b"]


def test_leader_killed_after_the_decision_catalog_takes_new_shape(cc):
    conn = cc.connect()
    make(conn, "ld")
    conn.close()
    conn = leader_dies_in_alter(cc, "txn_after_decision", "ld",
                                "ALTER TABLE ld ADD COLUMN c int DEFAULT 5")
    assert catalog_columns(conn, "ld") == ["id", "a", "b", "c"]
    for where, cols in copy_columns(cc, "ld").items():
        assert [c for c in cols if not c.startswith("_murphy")] == ["id", "a", "b", "c"], where
    assert run(conn, "SELECT count(*), sum(c) FROM ld") == [(40, 200)]
    run(conn, "INSERT INTO ld (id) VALUES (100)")
    assert run(conn, "SELECT c FROM ld WHERE id = 100") == [(5,)]
