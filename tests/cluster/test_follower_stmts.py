"""The followers keep their prepared statements per placement, keyed by the
task's SQL text (storage/db.c stor_prepare; docs/plan_cache.md, "The
followers' own cache").  SQLite re-prepares a kept statement whose schema
changed inside its first step, so a task reads its result's width after
that step (follower/task_run.c).  Differential against PostgreSQL 15: the
same statement texts run again after each ALTER TABLE (ADD COLUMN, RENAME
COLUMN, ALTER COLUMN TYPE, DROP COLUMN) of a distributed table, the table
it joins USING and a reference table: SELECT *, t.*, DISTINCT * (the
follower's hash aggregate), a join USING, a subquery's *, UPDATE ...
RETURNING * (one shard and all), INSERT ... SELECT *."""
import pytest

REF = " WITH (distribution = 'reference')"

# each text runs before the first change and after each one
TEXTS = [
    "SELECT * FROM fs_t ORDER BY id",
    "SELECT t.* FROM fs_t t WHERE t.id > 0 ORDER BY t.id",
    "SELECT * FROM fs_t WHERE id = 2",
    "SELECT DISTINCT * FROM fs_t ORDER BY 1",
    "SELECT * FROM fs_t JOIN fs_u USING (id) ORDER BY id",
    "SELECT * FROM (SELECT * FROM fs_t WHERE id < 3) s ORDER BY 1",
    "SELECT * FROM fs_ref ORDER BY id",
    "SELECT * FROM fs_t t JOIN fs_ref r ON r.id = t.id ORDER BY 1",
    "UPDATE fs_t SET v = v + 1 WHERE id = 1 RETURNING *",
    "UPDATE fs_t SET v = v + 1 RETURNING *",
    "UPDATE fs_ref SET v = v + 1 RETURNING *",
]

# (table, change), applied in turn on both
CHANGES = [
    ("fs_t", "ADD COLUMN w text DEFAULT 'x'"),
    ("fs_u", "ADD COLUMN uw int DEFAULT 7"),
    ("fs_ref", "ADD COLUMN rw text DEFAULT 'r'"),
    ("fs_t", "RENAME COLUMN w TO w2"),
    ("fs_t", "ALTER COLUMN v TYPE bigint"),
    ("fs_t", "ALTER COLUMN w2 TYPE varchar(10)"),
    ("fs_t", "DROP COLUMN w2"),
    ("fs_u", "DROP COLUMN u"),
    ("fs_ref", "DROP COLUMN rw"),
    ("fs_t", "ADD COLUMN z numeric DEFAULT 1.5"),
]


@pytest.fixture(scope="module", autouse=True)
def tables(db):
    db.exec_both("DROP TABLE IF EXISTS fs_t, fs_u, fs_ref, fs_copy")
    db.exec_both("CREATE TABLE fs_t (id int PRIMARY KEY, v int)")
    db.exec_both("CREATE TABLE fs_u (id int PRIMARY KEY, u text)")
    db.m.cursor().execute("CREATE TABLE fs_ref (id int PRIMARY KEY, v int)" + REF)
    db.p.cursor().execute("CREATE TABLE fs_ref (id int PRIMARY KEY, v int)")
    for i in range(1, 9):
        db.exec_both("INSERT INTO fs_t VALUES (%d, %d)" % (i, i * 10))
        db.exec_both("INSERT INTO fs_u VALUES (%d, 'u%d')" % (i, i))
        db.exec_both("INSERT INTO fs_ref VALUES (%d, %d)" % (i, i * 100))
    return db


def run_all(db):
    for sql in TEXTS:
        db.both(sql)


def test_star_texts_follow_each_alter(db):
    run_all(db)
    run_all(db)  # the same texts again: the followers' kept statements
    for table, change in CHANGES:
        db.exec_both("ALTER TABLE %s %s" % (table, change))
        run_all(db)


def test_insert_select_star_follows_alter(db):
    # fs_s ALTERed between runs of one INSERT ... SELECT * text into a copy
    # as wide as fs_s is at each step
    db.exec_both("DROP TABLE IF EXISTS fs_s, fs_copy")
    db.exec_both("CREATE TABLE fs_s (id int PRIMARY KEY, v int)")
    db.exec_both("INSERT INTO fs_s VALUES (1, 10), (2, 20), (3, 30), (4, 40)")
    steps = [("id int PRIMARY KEY, v int", "ADD COLUMN c1 int DEFAULT 1"),
             ("id int PRIMARY KEY, v int, c1 int", "ADD COLUMN c2 text DEFAULT 'two'"),
             ("id int PRIMARY KEY, v int, c1 int, c2 text", "DROP COLUMN c1"),
             ("id int PRIMARY KEY, v int, c2 text", None)]
    for cols, change in steps:
        db.exec_both("DROP TABLE IF EXISTS fs_copy")
        db.exec_both("CREATE TABLE fs_copy (%s)" % cols)
        db.both("INSERT INTO fs_copy SELECT * FROM fs_s")
        db.both("SELECT * FROM fs_copy ORDER BY id")
        db.both("SELECT * FROM fs_s ORDER BY id")
        if change:
            db.exec_both("ALTER TABLE fs_s " + change)
    db.exec_both("DROP TABLE IF EXISTS fs_s, fs_copy")
