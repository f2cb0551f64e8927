"""ALTER TABLE changing a table's shape (issue 19; sql/plan_alter.c): ADD /
DROP / RENAME COLUMN, RENAME TO, ALTER COLUMN SET / DROP DEFAULT, SET NOT
NULL, ADD CONSTRAINT CHECK, each followed by reads and writes, checked on every copy's own file
(``checker.placement_files``: the columns SQLite has there) and by the
replication checker (every copy of a shard holds the same rows and LSN).

The shards' change travels as a DDL entry of each shard's log, in one
transaction over the shards: a SET NOT NULL that finds a NULL on one shard
fails with 23502 and leaves no trigger on any copy (the other shards' entries
undone).  What murphy cannot do is 0A000 naming the action; inside a block it
is 0A000 too.  Concurrent inserts keep going while columns are added and
dropped.  Results are compared with a real PostgreSQL where one is installed.
"""
import sqlite3
import threading

import psycopg2
import pytest

from checker import copy_columns, placement_files, wait_consistent
from conftest import Cluster


@pytest.fixture(scope="module")
def cl(request):
    c = Cluster()
    request.module._murphy_cluster = c
    try:
        c.start()
        yield c
    finally:
        c.cleanup()


@pytest.fixture
def conn(cl):
    c = cl.connect()
    yield c
    c.close()


def run(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else None


def error_of(conn, sql):
    with pytest.raises(psycopg2.Error) as e:
        run(conn, sql)
    return e.value


def copy_triggers(cl, table):
    names = set()
    for (t, shard, node), v in placement_files(cl).items():
        if t != table:
            continue
        db = sqlite3.connect("file:%s?mode=ro" % v[0], uri=True, timeout=5)
        try:
            names |= {r[0] for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        finally:
            db.close()
    return names


def make(conn, table, n=40, shards=4):
    run(conn, "CREATE TABLE %s (id int PRIMARY KEY, a text, b int) WITH (shards = %d)"
        % (table, shards))
    run(conn, "INSERT INTO %s SELECT g, 'a' || g, g * 10 FROM generate_series(1, %d) g"
        % (table, n))


def user_columns(cols):
    return [c for c in cols if not c.startswith("_murphy")]


def test_add_column_with_default_fills_old_rows_on_every_copy(cl, conn):
    make(conn, "ad")
    run(conn, "ALTER TABLE ad ADD COLUMN c int DEFAULT 7")
    run(conn, "ALTER TABLE ad ADD COLUMN d text NOT NULL DEFAULT 'dd'")
    run(conn, "ALTER TABLE ad ADD COLUMN e float8")
    assert run(conn, "SELECT count(*), sum(c), count(e), min(d), max(d) FROM ad") == \
        [(40, 280, 0, "dd", "dd")]
    run(conn, "INSERT INTO ad (id, a) VALUES (100, 'new')")
    run(conn, "INSERT INTO ad VALUES (101, 'x', 1, 2, 'y', 0.5)")
    assert run(conn, "SELECT * FROM ad WHERE id IN (100, 101) ORDER BY id") == \
        [(100, "new", None, 7, "dd", None), (101, "x", 1, 2, "y", 0.5)]
    assert run(conn, "SELECT column_name FROM information_schema.columns "
               "WHERE table_name = 'ad' ORDER BY ordinal_position") == \
        [("id",), ("a",), ("b",), ("c",), ("d",), ("e",)]
    wait_consistent(cl, conn, tables=["ad"])
    copies = copy_columns(cl, "ad")
    assert len(copies) == 4 * 3  # 4 shards, 3 copies each
    for where, cols in copies.items():
        assert user_columns(cols)[-3:] == ["c", "d", "e"], where
    assert error_of(conn, "ALTER TABLE ad ADD COLUMN c int").pgcode == "42701"
    run(conn, "ALTER TABLE ad ADD COLUMN IF NOT EXISTS c int")  # a notice, nothing else


def test_drop_column_then_reads_and_writes(cl, conn):
    make(conn, "dr")
    run(conn, "ALTER TABLE dr DROP COLUMN a")
    assert run(conn, "SELECT * FROM dr WHERE id = 3") == [(3, 30)]
    run(conn, "INSERT INTO dr VALUES (50, 500)")
    run(conn, "UPDATE dr SET b = b + 1 WHERE id <= 10")
    assert run(conn, "SELECT count(*), sum(b) FROM dr") == [(41, sum(range(10, 410, 10)) + 10 + 500)]
    assert error_of(conn, "SELECT a FROM dr").pgcode == "42703"
    assert error_of(conn, "ALTER TABLE dr DROP COLUMN a").pgcode == "42703"
    run(conn, "ALTER TABLE dr DROP COLUMN IF EXISTS a")
    wait_consistent(cl, conn, tables=["dr"])
    for where, cols in copy_columns(cl, "dr").items():
        assert "a" not in cols and "b" in cols, where


def test_rename_column_and_table(cl, conn):
    make(conn, "rn")
    run(conn, "ALTER TABLE rn RENAME COLUMN a TO label")
    run(conn, "ALTER TABLE rn RENAME TO rn2")
    assert error_of(conn, "SELECT * FROM rn").pgcode == "42P01"
    assert run(conn, "SELECT label FROM rn2 WHERE id = 5") == [("a5",)]
    run(conn, "INSERT INTO rn2 (id, label) VALUES (99, 'z')")
    assert run(conn, "SELECT count(*) FROM rn2 WHERE label IS NOT NULL") == [(41,)]
    make(conn, "rn3", n=2)
    assert error_of(conn, "ALTER TABLE rn2 RENAME TO rn3").pgcode == "42P07"
    assert error_of(conn, "ALTER TABLE rn2 RENAME COLUMN label TO b").pgcode == "42701"
    wait_consistent(cl, conn, tables=["rn2"])
    for where, cols in copy_columns(cl, "rn2").items():
        assert user_columns(cols)[:3] == ["id", "label", "b"], where


def test_set_and_drop_default(cl, conn):
    make(conn, "df", n=2)
    run(conn, "ALTER TABLE df ALTER COLUMN b SET DEFAULT 42")
    run(conn, "INSERT INTO df (id) VALUES (10)")
    run(conn, "ALTER TABLE df ALTER COLUMN b DROP DEFAULT")
    run(conn, "INSERT INTO df (id) VALUES (11)")
    assert run(conn, "SELECT id, b FROM df WHERE id >= 10 ORDER BY id") == [(10, 42), (11, None)]
    assert run(conn, "SELECT column_default FROM information_schema.columns "
               "WHERE table_name = 'df' AND column_name = 'b'") == [(None,)]


def test_set_not_null_checks_existing_rows_and_is_enforced(cl, conn):
    make(conn, "nn")
    run(conn, "UPDATE nn SET a = NULL WHERE id = 17")  # one shard of four holds a NULL
    e = error_of(conn, "ALTER TABLE nn ALTER COLUMN a SET NOT NULL")
    assert e.pgcode == "23502" and 'column "a" of relation "nn" contains null values' in str(e)
    # all or nothing: the shards that had no NULL were undone too
    wait_consistent(cl, conn, tables=["nn"])
    assert copy_triggers(cl, "nn") == set()
    run(conn, "INSERT INTO nn (id, a) VALUES (200, NULL)")
    run(conn, "DELETE FROM nn WHERE a IS NULL")
    run(conn, "ALTER TABLE nn ALTER COLUMN a SET NOT NULL")
    assert error_of(conn, "INSERT INTO nn (id) VALUES (300)").pgcode == "23502"
    e = error_of(conn, "UPDATE nn SET a = NULL WHERE id = 3")
    assert e.pgcode == "23502", e
    assert run(conn, "SELECT is_nullable FROM information_schema.columns "
               "WHERE table_name = 'nn' AND column_name = 'a'") == [("NO",)]
    # a primary key can now be added on a column made NOT NULL (pgbench's order)
    run(conn, "CREATE TABLE nk (id int, v int) PARTITION BY HASH (id) WITH (shards = 2)")
    run(conn, "INSERT INTO nk SELECT g, g FROM generate_series(1, 10) g")
    run(conn, "ALTER TABLE nk ALTER COLUMN id SET NOT NULL")
    run(conn, "ALTER TABLE nk ADD PRIMARY KEY (id)")
    assert error_of(conn, "INSERT INTO nk VALUES (3, 0)").pgcode == "23505"


def test_drop_column_made_not_null_by_alter(cl, conn):
    """SET NOT NULL gives the column triggers on every shard; DROP COLUMN
    drops them first (it was XX000 "error in trigger ... no such column"
    and the column stayed), and an undone DROP puts them back."""
    make(conn, "dnn")
    run(conn, "ALTER TABLE dnn ALTER COLUMN a SET NOT NULL")
    run(conn, "ALTER TABLE dnn ALTER COLUMN b SET NOT NULL")
    run(conn, "ALTER TABLE dnn DROP COLUMN a")
    with conn.cursor() as cur:
        cur.execute("SELECT * FROM dnn LIMIT 0")
        assert user_columns([d[0] for d in cur.description]) == ["id", "b"]
    wait_consistent(cl, conn, tables=["dnn"])
    assert not any("_a_" in n for n in copy_triggers(cl, "dnn"))
    run(conn, "INSERT INTO dnn VALUES (100, 1)")
    assert error_of(conn, "INSERT INTO dnn VALUES (101, NULL)").pgcode == "23502"
    conn.autocommit = False
    run(conn, "ALTER TABLE dnn DROP COLUMN b")
    conn.rollback()
    conn.autocommit = True
    assert error_of(conn, "INSERT INTO dnn VALUES (102, NULL)").pgcode == "23502"
    assert run(conn, "SELECT count(*), sum(b) FROM dnn") == [(41, 8201)]


def test_check_constraint_checks_existing_rows_and_is_enforced(cl, conn):
    make(conn, "ck")
    run(conn, "UPDATE ck SET b = -5 WHERE id = 17")  # one shard of four breaks it
    e = error_of(conn, "ALTER TABLE ck ADD CONSTRAINT pos CHECK (b > 0)")
    assert e.pgcode == "23514" and 'check constraint "pos" of relation "ck" is violated' in str(e)
    wait_consistent(cl, conn, tables=["ck"])
    assert copy_triggers(cl, "ck") == set()  # all or nothing
    run(conn, "INSERT INTO ck (id, b) VALUES (300, -1)")  # no constraint: taken
    run(conn, "DELETE FROM ck WHERE b < 0")
    run(conn, "ALTER TABLE ck ADD CONSTRAINT pos CHECK (b > 0 AND length(a) < 10)")
    e = error_of(conn, "INSERT INTO ck VALUES (301, 'x', -1)")
    assert e.pgcode == "23514" and 'violates check constraint "pos"' in str(e)
    assert error_of(conn, "UPDATE ck SET b = 0 WHERE id = 3").pgcode == "23514"
    assert error_of(conn, "INSERT INTO ck VALUES (302, 'aaaaaaaaaaaa', 1)").pgcode == "23514"
    run(conn, "INSERT INTO ck VALUES (303, 'ok', NULL)")  # NULL passes, as in PostgreSQL
    run(conn, "ALTER TABLE ck ADD COLUMN z int DEFAULT 1")  # the shape still changes
    assert run(conn, "SELECT count(*), min(b) FROM ck") == [(40, 10)]
    wait_consistent(cl, conn, tables=["ck"])
    assert len(copy_triggers(cl, "ck")) == 2  # INSERT and UPDATE, every copy alike


@pytest.mark.parametrize("sql, words", [
    ("ALTER TABLE rf DROP COLUMN id", "distribution column"),
    ("ALTER TABLE rf ALTER COLUMN id TYPE text", "distribution column's type"),
    ("ALTER TABLE rf ADD CONSTRAINT c CHECK (b > 0) NOT VALID", "NOT VALID"),
    ("ALTER TABLE rf ADD COLUMN s serial", "serial"),
    ("ALTER TABLE rf ADD COLUMN t timestamp DEFAULT now()", "not a constant"),
    ("ALTER TABLE rf ADD COLUMN n int NOT NULL", "NOT NULL without a DEFAULT"),
    ("ALTER TABLE rf SET (fillfactor = 50)", "storage options"),
    ("ALTER TABLE rf ADD COLUMN x int, ADD COLUMN y int", "one ALTER TABLE action"),
    ("ALTER INDEX rf_pkey RENAME TO k", "RENAME"),
])
def test_what_murphy_cannot_alter_is_0A000(cl, conn, sql, words):
    if not run(conn, "SELECT 1 FROM information_schema.tables WHERE table_name = 'rf'"):
        make(conn, "rf", n=3)
    e = error_of(conn, sql)
    assert e.pgcode == "0A000" and words in str(e), str(e)
    assert run(conn, "SELECT count(*) FROM rf") == [(3,)]


def test_alter_inside_a_block_with_a_savepoint_is_refused(cl):
    # (without a savepoint it runs: tests/cluster/test_alter_block.py)
    c = cl.connect(autocommit=False)
    try:
        make(c, "blk", n=2)
        c.commit()
        run(c, "SAVEPOINT s")
        e = error_of(c, "ALTER TABLE blk ADD COLUMN z int")
        assert e.pgcode == "0A000" and "transaction block" in str(e)
        c.rollback()
        c.autocommit = True
        assert "z" not in [r[0] for r in run(
            c, "SELECT column_name FROM information_schema.columns WHERE table_name = 'blk'")]
    finally:
        c.close()


def test_alter_under_concurrent_inserts(cl, conn):
    """Inserts naming their columns run on while a column is added and
    another dropped: none is lost, the copies agree, the new column holds
    its default on every row inserted before it existed."""
    make(conn, "cw", n=0)
    stop = threading.Event()
    done, errors = [], []

    def writer():
        c = cl.connect()
        i = 1000
        try:
            while not stop.is_set():
                try:
                    run(c, "INSERT INTO cw (id, b) VALUES (%s, 1)", (i,))
                    done.append(i)
                except psycopg2.Error as e:  # a statement planned on the old shape
                    errors.append(e)
                i += 1
        finally:
            c.close()

    t = threading.Thread(target=writer)
    t.start()
    try:
        for k in range(3):
            run(conn, "ALTER TABLE cw ADD COLUMN c%d int DEFAULT %d" % (k, k + 1))
        run(conn, "ALTER TABLE cw DROP COLUMN a")
    finally:
        stop.set()
        t.join(30)
    assert len(done) > 0
    assert run(conn, "SELECT count(*), sum(b) FROM cw") == [(len(done), len(done))]
    assert run(conn, "SELECT count(*) FROM cw WHERE c0 = 1 AND c1 = 2 AND c2 = 3") == \
        [(len(done),)]
    wait_consistent(cl, conn, tables=["cw"])
    for where, cols in copy_columns(cl, "cw").items():
        assert user_columns(cols) == ["id", "b", "c0", "c1", "c2"], where


def test_same_answers_as_postgresql(cl, conn, pgconn):
    """The same ALTERs on murphy and on PostgreSQL 15: the same rows, the
    same SQLSTATEs."""
    steps = [
        "CREATE TABLE dp (id int PRIMARY KEY, a text, b int)",
        "INSERT INTO dp SELECT g, 'a' || g, g FROM generate_series(1, 30) g",
        "ALTER TABLE dp ADD COLUMN c int DEFAULT 5",
        "ALTER TABLE dp ADD COLUMN d text NOT NULL DEFAULT 'x'",
        "UPDATE dp SET c = c + id WHERE id % 3 = 0",
        "ALTER TABLE dp DROP COLUMN b",
        "ALTER TABLE dp RENAME COLUMN a TO aa",
        "ALTER TABLE dp ALTER COLUMN c SET DEFAULT 9",
        "INSERT INTO dp (id, aa) VALUES (31, 'n')",
        "ALTER TABLE dp ALTER COLUMN aa SET NOT NULL",
        "ALTER TABLE dp RENAME TO dq",
        "INSERT INTO dq (id, aa, c) VALUES (500, 'q', NULL)",
        "ALTER TABLE dq ADD CONSTRAINT small CHECK (c < 100)",
    ]
    for s in steps:
        run(conn, s)
        run(pgconn, s)
    q = "SELECT * FROM dq ORDER BY id"
    assert run(conn, q) == run(pgconn, q)
    for bad in ["INSERT INTO dq (id) VALUES (99)",
                "ALTER TABLE dq ALTER COLUMN c SET NOT NULL",
                "ALTER TABLE dq DROP COLUMN nosuch",
                "ALTER TABLE dq RENAME COLUMN aa TO c",
                "INSERT INTO dq (id, aa, c) VALUES (600, 'q', 100)",
                "UPDATE dq SET c = 200 WHERE id = 1",
                "ALTER TABLE dq ADD CONSTRAINT big CHECK (c > 10)"]:
        assert error_of(conn, bad).pgcode == error_of(pgconn, bad).pgcode, bad
