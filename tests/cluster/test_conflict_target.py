"""ON CONFLICT (cols) / ON CONSTRAINT c DO NOTHING handles a conflict on
that key only: a row that conflicts on another unique key fails with
23505 naming that key, with a plain INSERT's DETAIL, as PostgreSQL's
arbiter does (sql/plan_dml.c, conflict_nothing).  ON CONFLICT DO NOTHING
without a target still skips any conflict.  Each statement runs on murphy
and PostgreSQL 15: SQLSTATE, message and DETAIL must match, and so must
the tables afterwards.

On murphy-s22 every target was forgotten (the shard statement said ON
CONFLICT DO NOTHING): each 23505 case here answered INSERT 0 0 there.
"""
import psycopg2
import pytest

SETUP = [
    # distributed by a: both keys hold it, rows over several shards
    "CREATE TABLE cd (a int, b int, c int, v text, PRIMARY KEY (a, b), UNIQUE (a, c))",
    # reference: keys without the distribution column
    "CREATE TABLE cr (id int PRIMARY KEY, name text UNIQUE, v text)",
    # a unique index holding the integer key (SQLite's rowid): the guarded target
    "CREATE TABLE ci (id int PRIMARY KEY, k int, v text)",
    "CREATE UNIQUE INDEX ci_id_k ON ci (id, k)",
    # keyless with two unique keys: one shard, SQLite's hidden row id its key
    "CREATE TABLE ck2 (a int UNIQUE, b text UNIQUE, c boolean)",
    "INSERT INTO ck2 VALUES (1, 'x', true), (2, 'y', false)",
    "INSERT INTO cd VALUES (1, 1, 1, 'x'), (2, 2, 2, 'y'), (3, 3, 3, 'z')",
    "INSERT INTO cr VALUES (1, 'one', 'x'), (2, 'two', 'y')",
    "INSERT INTO ci VALUES (7, 70, 'a'), (8, NULL, 'b')",
]


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for t in ("cd", "cr", "ci", "ck2"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    for sql in SETUP:
        if sql.startswith("CREATE TABLE cr"):
            with db.m.cursor() as cur:
                cur.execute(sql + " WITH (distribution = 'reference')")
            with db.p.cursor() as cur:
                cur.execute(sql)
        else:
            db.exec_both(sql)
    return db


def fields(conn, sql):
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return (cur.statusmessage, cur.fetchall() if cur.description else None)
    except psycopg2.Error as e:
        if not conn.autocommit:
            conn.rollback()
        return (e.pgcode, e.diag.message_primary, e.diag.message_detail)


def same(db, sql, sqlstate=None):
    p = fields(db.p, sql)
    assert sqlstate is None or p[0] == sqlstate, "test is wrong: PostgreSQL gives %r" % (p,)
    m = fields(db.m, sql)
    assert m == p, "\n  sql: %s\n  murphy:   %r\n  postgres: %r" % (sql, m, p)


def same_tables(db):
    db.both("SELECT * FROM cd ORDER BY a, b")
    db.both("SELECT * FROM cr ORDER BY id")
    db.both("SELECT * FROM ci ORDER BY id")
    db.both("SELECT * FROM ck2 ORDER BY a")


@pytest.mark.parametrize("sql", [
    "INSERT INTO cr VALUES (9, 'one', 'x') ON CONFLICT (id) DO NOTHING",
    "INSERT INTO cr VALUES (9, 'one', 'x') ON CONFLICT ON CONSTRAINT cr_pkey DO NOTHING",
    "INSERT INTO cr VALUES (1, 'new', 'x') ON CONFLICT (name) DO NOTHING",
    "INSERT INTO cr VALUES (1, 'new', 'x') ON CONFLICT ON CONSTRAINT cr_name_key DO NOTHING",
    # multi-row: the first row's conflict is the target's (skipped), the second's is not
    "INSERT INTO cr VALUES (1, 'new', 'x'), (9, 'one', 'y') ON CONFLICT (id) DO NOTHING",
    "INSERT INTO cr SELECT id + 100, name, v FROM cr WHERE id = 1 ON CONFLICT (id) DO NOTHING",
    "INSERT INTO cd VALUES (1, 5, 1, 'q') ON CONFLICT (a, b) DO NOTHING",
    "INSERT INTO cd VALUES (4, 4, 4, 'q'), (5, 5, 5, 'r'), (1, 5, 1, 'q') "
    "ON CONFLICT (a, b) DO NOTHING",
    "INSERT INTO cd VALUES (1, 1, 7, 'q') ON CONFLICT (c, a) DO NOTHING",
    "INSERT INTO cd VALUES (1, 1, 7, 'q') ON CONFLICT ON CONSTRAINT cd_a_c_key DO NOTHING",
    "INSERT INTO cd SELECT a, b + 10, c, v FROM cd WHERE a = 2 ON CONFLICT (a, b) DO NOTHING",
    # the unique index holding the key: no conflict on (id, k), one on the key
    "INSERT INTO ci VALUES (7, 71, 'x') ON CONFLICT (id, k) DO NOTHING",
    "INSERT INTO ci VALUES (8, NULL, 'x') ON CONFLICT (k, id) DO NOTHING",
    "INSERT INTO ck2 VALUES (3, 'x', true) ON CONFLICT (a) DO NOTHING",
    "INSERT INTO ck2 VALUES (1, 'z', true) ON CONFLICT ON CONSTRAINT ck2_b_key DO NOTHING",
    "INSERT INTO ck2 VALUES (NULL, 'x', true) ON CONFLICT (a) DO NOTHING",
])
def test_other_key_conflict_is_23505(db, sql):
    same(db, sql, "23505")
    same_tables(db)


@pytest.mark.parametrize("sql", [
    "INSERT INTO cr VALUES (9, 'one', 'x') ON CONFLICT DO NOTHING",
    "INSERT INTO cr VALUES (1, 'new', 'x'), (9, 'nine', 'y') ON CONFLICT (id, id) DO NOTHING "
    "RETURNING *",
    "INSERT INTO cr VALUES (10, 'nine', 'x') ON CONFLICT (name) DO NOTHING RETURNING id",
    "INSERT INTO cd VALUES (1, 1, 7, 'q'), (6, 6, 6, 'q') ON CONFLICT (b, a) DO NOTHING",
    "INSERT INTO cd VALUES (1, 9, 1, 'q') ON CONFLICT (a, c) DO NOTHING",
    "INSERT INTO cd VALUES (1, 9, 1, 'q') ON CONFLICT DO NOTHING",
    "INSERT INTO ci VALUES (7, 70, 'x') ON CONFLICT (id, k) DO NOTHING",
    "INSERT INTO ci VALUES (9, 90, 'x'), (9, 90, 'y') ON CONFLICT (k, id) DO NOTHING RETURNING *",
    "INSERT INTO ci VALUES (7, 71, 'x') ON CONFLICT (id) DO NOTHING",
    # both keys conflict: the target's conflict is the one handled
    "INSERT INTO ck2 VALUES (1, 'x', true) ON CONFLICT (b) DO NOTHING",
])
def test_target_conflicts_still_skip(db, sql):
    same(db, sql)
    same_tables(db)


def test_inside_a_block(db):
    for conn in (db.m, db.p):
        conn.autocommit = False
    try:
        same(db, "INSERT INTO cd VALUES (20, 1, 1, 'b') ON CONFLICT (a, b) DO NOTHING")
        same(db, "INSERT INTO cd VALUES (20, 2, 1, 'b') ON CONFLICT (a, b) DO NOTHING", "23505")
    finally:
        for conn in (db.m, db.p):
            conn.rollback()
            conn.autocommit = True
    same_tables(db)
