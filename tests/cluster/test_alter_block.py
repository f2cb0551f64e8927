"""ALTER TABLE of a table that existed before the block, inside BEGIN … COMMIT
(issue 20/19: Alembic runs each migration in one transaction;
docs/transactions.md "DDL in a block", docs/decisions.md "ALTER TABLE in a
block").

The ALTER's shard DDL entries join the block's transaction; the catalog
keeps the old shape for every other session and shows the block its own
(catalog/catalog_blockshape.c) until the block ends: COMMIT takes the new
shape (a recorded decision, so the ALTER intent follows it across a leader
crash), a rollback of any kind leaves the table exactly as before — rows,
catalog, information_schema and every copy's own file.

Differential against PostgreSQL: each kind committed and rolled back, the
block's later statements using the new shape.  Then: an error in the
block, a client that goes away, the leader killed between the ALTER and
the COMMIT (and at the COMMIT's decision), a follower killed while holding
a copy, and another session meanwhile (it waits for the block's end, as
behind PostgreSQL's ACCESS EXCLUSIVE lock, and never reads a shape not yet
decided).
"""
import socket
import sqlite3
import threading
import time

import psycopg2
import pytest

from checker import copy_columns, placement_files, wait_consistent
from conftest import connect_when_up, owned_cluster, timer_args
from test_alter_crash import catalog_columns, leader_dies_in_alter
from test_leader_crash import kill_leader
from test_txn_truth import wait_disconnected


def in_block(cl):
    """A connection whose statements run in a block (psycopg2's default)."""
    c = cl.connect()
    c.autocommit = False
    return c


def run(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else None


def fresh(db, table):
    db.exec_both("DROP TABLE IF EXISTS %s" % table)
    db.exec_both("CREATE TABLE %s (id int PRIMARY KEY, a text, b int, n int NOT NULL, "
                 "d int DEFAULT 4)" % table)
    db.exec_both("ALTER TABLE %s ADD CONSTRAINT %s_bpos CHECK (b >= 0)" % (table, table))
    db.exec_both("INSERT INTO %s VALUES (1, 'x', 10, 1, 1), (2, NULL, 20, 2, 2), "
                 "(3, 'z', 0, 3, DEFAULT)" % table)


def same(db, table):
    db.both("SELECT * FROM %s ORDER BY id" % table)
    db.both("SELECT column_name::text, data_type::text, is_nullable::text, "
            "column_default::text FROM information_schema.columns "
            "WHERE table_name = '%s' ORDER BY ordinal_position" % table)


# (ALTER, a statement of the same block that needs the new shape, a check
# after the COMMIT that the shape holds for everybody)
KINDS = [
    ("ALTER TABLE {t} ADD COLUMN c int DEFAULT 7",
     "UPDATE {t} SET c = id * 3 WHERE id > 1", "INSERT INTO {t} (id, n) VALUES (9, 9)"),
    ("ALTER TABLE {t} DROP COLUMN a",
     "INSERT INTO {t} VALUES (5, 50, 5, 5)", "SELECT * FROM {t} ORDER BY id"),
    ("ALTER TABLE {t} RENAME COLUMN a TO label",
     "UPDATE {t} SET label = 'r' WHERE id = 2", "SELECT label FROM {t} ORDER BY id"),
    ("ALTER TABLE {t} ALTER COLUMN b SET DEFAULT 33",
     "INSERT INTO {t} (id, n) VALUES (6, 6)", "INSERT INTO {t} (id, n) VALUES (7, 7)"),
    ("ALTER TABLE {t} ALTER COLUMN d DROP DEFAULT",
     "INSERT INTO {t} (id, n) VALUES (6, 6)", "INSERT INTO {t} (id, n) VALUES (7, 7)"),
    ("ALTER TABLE {t} ALTER COLUMN b SET NOT NULL",
     "INSERT INTO {t} (id, b, n) VALUES (8, NULL, 8)", "INSERT INTO {t} (id, n) VALUES (8, 8)"),
    ("ALTER TABLE {t} ALTER COLUMN n DROP NOT NULL",
     "INSERT INTO {t} (id, n) VALUES (6, NULL)", "INSERT INTO {t} (id) VALUES (7)"),
    ("ALTER TABLE {t} ADD CONSTRAINT {t}_small CHECK (b < 100)",
     "INSERT INTO {t} (id, b, n) VALUES (6, 500, 6)",
     "INSERT INTO {t} (id, b, n) VALUES (7, 500, 7)"),
    ("ALTER TABLE {t} DROP CONSTRAINT {t}_bpos",
     "INSERT INTO {t} (id, b, n) VALUES (6, -5, 6)",
     "INSERT INTO {t} (id, b, n) VALUES (7, -5, 7)"),
    ("ALTER TABLE {t} ALTER COLUMN b TYPE bigint",
     "INSERT INTO {t} (id, b, n) VALUES (6, 5000000000, 6)",
     "SELECT b * 2 FROM {t} ORDER BY id"),
    ("ALTER TABLE {t} ALTER COLUMN a TYPE int USING length(a)",
     "UPDATE {t} SET a = a + 1", "SELECT a + 1 FROM {t} ORDER BY id"),
]


@pytest.mark.parametrize("i", range(len(KINDS)))
def test_each_kind_rolled_back_then_committed(db, i):
    alter, use, after = KINDS[i]
    t = "k%d" % i
    fresh(db, t)
    for end in ("ROLLBACK", "COMMIT"):
        db.exec_both("BEGIN")
        db.both(alter.format(t=t))
        db.both(use.format(t=t))  # the block plans with the new shape (or fails as PG)
        db.both("SELECT * FROM %s ORDER BY id" % t)
        db.exec_both(end)
        same(db, t)
        if end == "ROLLBACK":
            fresh(db, t)  # a failed `use` made the block roll back either way
    db.both(after.format(t=t))
    same(db, t)


def test_rename_table_and_several_alters_in_one_block(db):
    fresh(db, "rn")
    db.exec_both("DROP TABLE IF EXISTS rn2")
    db.exec_both("CREATE INDEX rn_b ON rn (b)")
    for end in ("ROLLBACK", "COMMIT"):
        db.exec_both("BEGIN")
        db.both("ALTER TABLE rn ADD COLUMN c int DEFAULT 3")
        db.both("ALTER TABLE rn RENAME TO rn2")
        db.both("ALTER TABLE rn2 RENAME COLUMN c TO cc")
        db.both("ALTER TABLE rn2 RENAME COLUMN b TO bb")  # indexed, after an ADD
        db.both("CREATE INDEX rn2_cc ON rn2 (cc)")
        db.both("UPDATE rn2 SET cc = bb + 1")
        db.both("SELECT * FROM rn2 ORDER BY id")
        db.exec_both(end)
        if end == "ROLLBACK":
            same(db, "rn")
            db.both_error("SELECT * FROM rn2", "42P01")
    db.both_error("SELECT * FROM rn", "42P01")
    same(db, "rn2")
    # (the primary key's index is named after the table in murphy: rn2_pkey)
    assert run(db.m, "SELECT indexname::text FROM pg_indexes WHERE tablename = 'rn2' "
               "ORDER BY 1") == [("rn2_cc",), ("rn2_pkey",), ("rn_b",)]
    db.both("SELECT indexname::text, indexdef LIKE '%(bb)' FROM pg_indexes "
            "WHERE tablename = 'rn2' AND indexname LIKE '%b'")


def test_drop_index_of_an_existing_index(db, cluster):
    fresh(db, "di")
    db.exec_both("CREATE INDEX di_b ON di (b)")
    db.exec_both("CREATE UNIQUE INDEX di_n ON di (id, n)")
    q = "SELECT indexname::text FROM pg_indexes WHERE tablename = 'di' ORDER BY 1"
    for end in ("ROLLBACK", "COMMIT"):
        db.exec_both("BEGIN")
        db.both("DROP INDEX di_b")
        db.both("ALTER TABLE di ADD COLUMN c int")
        db.both("CREATE INDEX di_c ON di (c)")
        db.both("UPDATE di SET c = b")
        db.exec_both(end)
        db.both(q)
    same(db, "di")
    # gone from every copy too
    for (t, _, node), v in placement_files(cluster).items():
        if t == "di":
            f = sqlite3.connect("file:%s?mode=ro" % v[0], uri=True, timeout=5)
            names = {r[0] for r in f.execute("SELECT name FROM sqlite_master "
                                             "WHERE type = 'index' AND sql IS NOT NULL")}
            f.close()
            assert "di_b" not in names and "di_c" in names, (node, names)


def test_a_query_of_several_statements_is_one_block(db):
    """psql -c / psycopg2's execute of a string with semicolons: an implicit
    block, undone by its error, committed at its end."""
    fresh(db, "iq")
    db.both_error("ALTER TABLE iq ADD COLUMN c int DEFAULT 2; UPDATE iq SET c = 1/0",
                  "22012")
    same(db, "iq")
    db.exec_both("ALTER TABLE iq ADD COLUMN c int DEFAULT 2; UPDATE iq SET c = id + c; "
                 "ALTER TABLE iq RENAME COLUMN c TO cc")
    same(db, "iq")


def test_error_later_in_the_block_undoes_the_alter(db):
    fresh(db, "eb")
    db.exec_both("BEGIN")
    db.both("ALTER TABLE eb ADD COLUMN c int DEFAULT 1")
    db.both("ALTER TABLE eb DROP COLUMN a")
    db.both_error("INSERT INTO eb (id, n) VALUES (1, 1)", "23505")
    db.both_error("SELECT 1", "25P02")
    db.exec_both("COMMIT")  # answered ROLLBACK
    same(db, "eb")
    # the ALTER itself failing on a shard (a NULL in the column)
    db.exec_both("BEGIN")
    db.both("ALTER TABLE eb ADD COLUMN c int")
    db.both_error("ALTER TABLE eb ALTER COLUMN a SET NOT NULL", "23502")
    db.exec_both("ROLLBACK")
    same(db, "eb")
    db.exec_both("BEGIN")
    db.both_error("ALTER TABLE eb ALTER COLUMN a SET NOT NULL", "23502")
    db.exec_both("ROLLBACK")
    same(db, "eb")


def later(fn):
    """fn() in a thread; .result() waits for it (its exception re-raised)."""
    box = {}

    def body():
        try:
            box["v"] = fn()
        except Exception as e:  # noqa: BLE001 - handed to the caller
            box["e"] = e
    th = threading.Thread(target=body)
    th.start()

    class Later:
        def done(self):
            return not th.is_alive()

        def result(self, timeout=30):
            th.join(timeout)
            assert not th.is_alive(), "still waiting"
            if "e" in box:
                raise box["e"]
            return box["v"]
    return Later()


def test_other_sessions_wait_for_the_block(cluster):
    a = cluster.connect()
    a.autocommit = True
    run(a, "CREATE TABLE os (id int PRIMARY KEY, v int)")
    run(a, "INSERT INTO os VALUES (1, 1), (2, 2)")
    b = in_block(cluster)
    run(b, "ALTER TABLE os ADD COLUMN c int DEFAULT 5")
    run(b, "ALTER TABLE os RENAME COLUMN v TO w")
    # pg_catalog / information_schema do not wait: the old shape
    assert catalog_columns(a, "os") == ["id", "v"]
    # a reader and a writer wait until the COMMIT, then see the new shape
    r = later(lambda: run(cluster.connect(), "SELECT * FROM os ORDER BY id"))
    w = later(lambda: run(cluster.connect(), "INSERT INTO os (id) VALUES (3)"))
    time.sleep(0.5)
    assert not r.done() and not w.done()
    assert run(b, "SELECT id, w, c FROM os ORDER BY id") == [(1, 1, 5), (2, 2, 5)]
    b.commit()
    assert r.result() in ([(1, 1, 5), (2, 2, 5)], [(1, 1, 5), (2, 2, 5), (3, None, 5)])
    w.result()
    assert run(a, "SELECT * FROM os ORDER BY id") == [(1, 1, 5), (2, 2, 5), (3, None, 5)]
    assert catalog_columns(a, "os") == ["id", "w", "c"]
    for cols in copy_columns(cluster, "os").values():
        assert [c for c in cols if not c.startswith("_murphy")] == ["id", "w", "c"]
    # after a rollback they run on the old shape; DDL waits as well
    run(b, "ALTER TABLE os DROP COLUMN c")
    w = later(lambda: run(cluster.connect(), "INSERT INTO os VALUES (4, 4, 4)"))
    d = later(lambda: run(cluster.connect(), "ALTER TABLE os ADD COLUMN z int"))
    time.sleep(0.3)
    assert not w.done() and not d.done()
    b.rollback()
    w.result()
    d.result()
    assert run(a, "SELECT * FROM os ORDER BY id") == \
        [(1, 1, 5, None), (2, 2, 5, None), (3, None, 5, None), (4, 4, 4, None)]


def test_waits_end_by_lock_timeout_cancel_and_held_locks(cluster):
    a = cluster.connect()
    a.autocommit = True
    run(a, "CREATE TABLE ow (id int PRIMARY KEY, v int)")
    run(a, "CREATE TABLE ou (id int PRIMARY KEY, v int)")
    b = in_block(cluster)
    run(b, "ALTER TABLE ow ADD COLUMN c int")
    run(a, "SET lock_timeout = '300ms'")
    t0 = time.time()
    with pytest.raises(psycopg2.Error) as e:
        run(a, "SELECT * FROM ow")
    assert e.value.pgcode == "55P03" and 0.25 < time.time() - t0 < 3
    run(a, "SET lock_timeout = 0")
    # a block (no lock held yet) waits; murphy.transactions shows for whom
    bx = run(b, "SELECT txid_current()")[0][0]
    y = in_block(cluster)
    yx = run(y, "SELECT txid_current()")[0][0]
    ry = later(lambda: run(y, "SELECT count(*) FROM ow"))
    time.sleep(0.3)
    assert run(a, "SELECT state, waiting_for FROM murphy.transactions WHERE txid = %s",
               (yx,)) == [("waiting", bx)]
    # a cancel ends the wait (57014)
    x = cluster.connect()
    x.autocommit = True
    r = later(lambda: run(x, "SELECT * FROM ow"))
    time.sleep(0.3)
    x.cancel()
    with pytest.raises(psycopg2.Error) as e:
        r.result()
    assert e.value.pgcode == "57014"
    # a block holding a lock waits too (its wait is in the wait-for graph:
    # test_ddl_block_wait.py finds the deadlocks)
    h = in_block(cluster)
    run(h, "INSERT INTO ou VALUES (1, 1)")
    rh = later(lambda: run(h, "SELECT * FROM ow"))
    time.sleep(0.3)
    assert not rh.done()
    b.rollback()
    assert rh.result() == []
    h.rollback()
    assert ry.result() == [(0,)]  # y's wait ended with b's block
    y.rollback()
    assert run(a, "SELECT * FROM ow") == []


def test_savepoint_open_is_refused(cluster):
    a = cluster.connect()
    a.autocommit = True
    run(a, "CREATE TABLE sp (id int PRIMARY KEY, v int)")
    b = in_block(cluster)
    run(b, "SAVEPOINT s")
    with pytest.raises(psycopg2.Error) as e:
        run(b, "ALTER TABLE sp ADD COLUMN c int")
    assert e.value.pgcode == "0A000"
    b.rollback()


SUSPECT_MS = 1000
DEAD_MS = 30000


@pytest.fixture
def cc(request):
    yield from owned_cluster(request, 3, timer_args(SUSPECT_MS, DEAD_MS))


def make(conn, table):
    run(conn, "CREATE TABLE %s (id int PRIMARY KEY, a text, b int) "
        "WITH (shards = 4, replicas = 3)" % table)
    run(conn, "INSERT INTO %s SELECT g, 'a' || g, g * 10 FROM generate_series(1, 40) g" % table)


def shapes(cl, table):
    return {tuple(c for c in cols if not c.startswith("_murphy"))
            for cols in copy_columns(cl, table).values()}


def test_disconnect_and_leader_kill_before_commit_leave_the_old_shape(cc):
    conn = cc.connect()
    conn.autocommit = True
    make(conn, "dc")
    before = run(conn, "SELECT * FROM dc ORDER BY id")
    # a client that goes away mid-block
    gone = in_block(cc)
    run(gone, "ALTER TABLE dc DROP COLUMN a")
    run(gone, "INSERT INTO dc VALUES (100, 1)")
    socket.socket(fileno=gone.fileno()).shutdown(socket.SHUT_RDWR)
    wait_consistent(cc, conn, tables=["dc"], replicas=3, timeout=30)
    assert run(conn, "SELECT * FROM dc ORDER BY id") == before
    assert catalog_columns(conn, "dc") == ["id", "a", "b"]
    # (an undone DROP COLUMN adds the column back last: murphy names the
    # columns in every statement it sends a shard, so their order there
    # does not matter; test_alter_crash.py)
    assert {tuple(sorted(s)) for s in shapes(cc, "dc")} == {("a", "b", "id")}
    # the leader killed between the ALTER and the COMMIT
    blk = in_block(cc)
    run(blk, "ALTER TABLE dc ADD COLUMN c int DEFAULT 3")
    run(blk, "CREATE INDEX dc_c ON dc (c)")  # undone before the column
    run(blk, "ALTER TABLE dc DROP COLUMN a")
    run(blk, "UPDATE dc SET c = 4 WHERE id < 5")
    kill_leader(cc)
    cc.start()
    conn = connect_when_up(cc)
    conn.autocommit = True
    wait_consistent(cc, conn, tables=["dc"], replicas=3, timeout=40)
    assert catalog_columns(conn, "dc") == ["id", "a", "b"]
    assert {tuple(sorted(s)) for s in shapes(cc, "dc")} == {("a", "b", "id")}
    assert run(conn, "SELECT id, a, b FROM dc ORDER BY id") == before
    assert run(conn, "SELECT indexname::text FROM pg_indexes WHERE tablename = 'dc'") == \
        [("dc_pkey",)]
    run(conn, "ALTER TABLE dc ADD COLUMN c int DEFAULT 3")  # and it can run again
    run(conn, "CREATE INDEX dc_c ON dc (c)")


def test_leader_killed_at_the_commits_decision_keeps_the_new_shape(cc):
    conn = cc.connect()
    conn.autocommit = True
    make(conn, "kd")
    conn.close()
    conn = leader_dies_in_alter(
        cc, "txn_after_decision", "kd",
        "BEGIN; ALTER TABLE kd ADD COLUMN c int DEFAULT 5; ALTER TABLE kd DROP COLUMN a; "
        "UPDATE kd SET c = 6 WHERE id = 1; COMMIT")
    assert catalog_columns(conn, "kd") == ["id", "b", "c"]
    assert shapes(cc, "kd") == {("id", "b", "c")}
    assert run(conn, "SELECT count(*), sum(c) FROM kd") == [(40, 39 * 5 + 6)]


def test_follower_killed_holding_a_copy(cc):
    conn = cc.connect()
    conn.autocommit = True
    make(conn, "fk")
    blk = in_block(cc)
    run(blk, "ALTER TABLE fk ADD COLUMN c int DEFAULT 2")
    run(blk, "UPDATE fk SET c = 7 WHERE id = 3")
    cc.kill9("f2")  # holds a copy of every shard (3 copies on 3 followers)
    wait_disconnected(cc, ["f2"])
    blk.rollback()
    assert catalog_columns(conn, "fk") == ["id", "a", "b"]
    run(blk, "ALTER TABLE fk ADD COLUMN c int DEFAULT 2")
    run(blk, "UPDATE fk SET c = 7 WHERE id = 3")
    blk.commit()  # at the write quorum of the two copies left
    cc.start()
    conn = connect_when_up(cc)
    conn.autocommit = True
    wait_consistent(cc, conn, tables=["fk"], replicas=3, timeout=40)
    assert catalog_columns(conn, "fk") == ["id", "a", "b", "c"]
    copies = copy_columns(cc, "fk")
    assert {n for (_, n) in copies} == {"f1", "f2", "f3"}
    assert shapes(cc, "fk") == {("id", "a", "b", "c")}
    assert run(conn, "SELECT count(*), sum(c) FROM fk") == [(40, 39 * 2 + 7)]
