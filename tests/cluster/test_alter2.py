"""ALTER COLUMN TYPE [USING] and ALTER COLUMN DROP NOT NULL (issue 19,
sql/plan_alter_type.c), differential against PostgreSQL: the rows after
each change, the column types information_schema reports, and the SQLSTATE
of what does not convert (42804 without an assignment cast, 22P02 / 22003 /
22001 when a value does not fit).  Every copy of every shard takes the new
SQLite column (checked on each copy's own file) or, when the change fails,
none does; a follower killed while the change runs and a leader killed
before / after its decision leave one shape everywhere.
"""
import sqlite3
import threading
import time

import psycopg2
import pytest

from checker import placement_files, wait_consistent
from conftest import connect_when_up, owned_cluster, timer_args
from test_alter_crash import leader_dies_in_alter


def run(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else None


def copy_types(cl, table):
    """{(shard, node): {column: SQLite declared type}} of every copy."""
    out = {}
    for (t, shard, node), v in placement_files(cl).items():
        if t != table:
            continue
        db = sqlite3.connect("file:%s?mode=ro" % v[0], uri=True, timeout=5)
        try:
            out[(shard, node)] = {r[1]: r[2].split()[0] if r[2] else ""
                                  for r in db.execute('PRAGMA table_info("%s")' % table)}
        finally:
            db.close()
    return out


def make(db, table, extra=""):
    db.exec_both("DROP TABLE IF EXISTS %s" % table)
    db.exec_both("CREATE TABLE %s (id int PRIMARY KEY, t text, n int NOT NULL, f float8, "
                 "d date, v varchar(10)%s)" % (table, extra))
    db.exec_both("INSERT INTO %s VALUES (1, '12', 5, 1.5, '2020-01-02', 'ab'), "
                 "(2, ' 7 ', 6, 2.25, '2021-03-04', 'abcdef'), (3, NULL, 7, NULL, NULL, NULL), "
                 "(4, '-40', 2147483, 7.75, '1999-12-31', '')" % table)


def same(db, table):
    db.both("SELECT * FROM %s ORDER BY id" % table)
    # (murphy's information_schema has no numeric(p,s) precision yet)
    db.both("SELECT column_name::text, data_type::text, character_maximum_length, "
            "CASE WHEN data_type <> 'numeric' THEN numeric_precision END, "
            "is_nullable::text FROM information_schema.columns "
            "WHERE table_name = '%s' ORDER BY ordinal_position" % table)


def test_type_changes_match_postgres(db):
    make(db, "ty")
    for sql in ["ALTER TABLE ty ALTER COLUMN n TYPE bigint",           # catalog only
                "ALTER TABLE ty ALTER COLUMN n TYPE integer",          # validated
                "ALTER TABLE ty ALTER COLUMN t TYPE int USING t::int",  # text -> integer
                "ALTER TABLE ty ALTER COLUMN f TYPE numeric(6,1)",     # real -> numeric, rounded
                "ALTER TABLE ty ALTER COLUMN n TYPE numeric",          # integer -> numeric
                "ALTER TABLE ty ALTER COLUMN d SET DATA TYPE timestamp",  # same column, new values
                "ALTER TABLE ty ALTER COLUMN v TYPE text",
                "ALTER TABLE ty ALTER COLUMN n TYPE float8",
                "ALTER TABLE ty ALTER COLUMN f TYPE bigint",
                "ALTER TABLE ty ALTER COLUMN t TYPE text USING t * 2 || 'x'"]:
        db.both(sql)
        same(db, "ty")
    # the new types are used: arithmetic, comparisons, inserts
    db.both("INSERT INTO ty VALUES (5, 'z', 1.25, 9, '2024-02-29 10:00', 'long text')")
    db.both("SELECT id, n * 2, f + 1, d + interval '1 day', t || '!' FROM ty "
            "WHERE n > 1.5 ORDER BY id")
    db.both("SELECT sum(f), sum(n), max(d) FROM ty")


def test_type_change_errors_match_postgres(db):
    make(db, "te")
    db.both_error("ALTER TABLE te ALTER COLUMN t TYPE int", "42804")
    db.both_error("ALTER TABLE te ALTER COLUMN f TYPE boolean", "42804")
    db.both_error("ALTER TABLE te ALTER COLUMN n TYPE date USING n + 1", "42804")
    db.both("INSERT INTO te VALUES (6, 'abc', 1)")
    db.both_error("ALTER TABLE te ALTER COLUMN t TYPE int USING t::int", "22P02")
    db.both_error("ALTER TABLE te ALTER COLUMN n TYPE smallint", "22003")
    db.both_error("ALTER TABLE te ALTER COLUMN v TYPE varchar(3)", "22001")
    db.both("ALTER TABLE te ALTER COLUMN f TYPE numeric")
    db.both_error("ALTER TABLE te ALTER COLUMN f TYPE numeric(2,2)", "22003")  # in place
    db.both_error("ALTER TABLE te ALTER COLUMN nope TYPE int", "42703")
    db.both("CREATE VIEW te_v AS SELECT id, v FROM te")
    db.both_error("ALTER TABLE te ALTER COLUMN v TYPE text", "0A000")  # a view reads it
    db.both("DROP VIEW te_v")
    db.both_error("ALTER TABLE te ALTER COLUMN t TYPE nosuchtype", "42704")
    same(db, "te")  # nothing changed on any shard


def test_drop_not_null_matches_postgres(db):
    make(db, "dn")
    db.both("UPDATE dn SET f = 0 WHERE f IS NULL")
    db.both("ALTER TABLE dn ALTER COLUMN f SET NOT NULL")        # a trigger on the shards
    db.both_error("INSERT INTO dn (id, n) VALUES (10, 1)", "23502")
    db.both("ALTER TABLE dn ALTER COLUMN f DROP NOT NULL")
    db.both("ALTER TABLE dn ALTER COLUMN n DROP NOT NULL")       # declared at CREATE TABLE
    db.both("ALTER TABLE dn ALTER COLUMN n DROP NOT NULL")       # again: nothing to do
    db.both("INSERT INTO dn (id) VALUES (10)")
    db.both("UPDATE dn SET n = NULL WHERE id = 1")
    db.both_error("ALTER TABLE dn ALTER COLUMN id DROP NOT NULL", "42P16")
    same(db, "dn")
    # a type change keeps NOT NULL
    db.both("ALTER TABLE dn ALTER COLUMN t SET DEFAULT 'x'")
    db.both("UPDATE dn SET t = '0' WHERE t IS NULL OR t !~ '^ *-?[0-9]+ *$'")
    db.both("ALTER TABLE dn ALTER COLUMN t SET NOT NULL")
    db.both_error("ALTER TABLE dn ALTER COLUMN t TYPE bigint USING t::bigint", "42804")
    db.both("ALTER TABLE dn ALTER COLUMN t DROP DEFAULT")
    db.both("ALTER TABLE dn ALTER COLUMN t TYPE bigint USING t::bigint")
    db.both_error("INSERT INTO dn (id, t) VALUES (11, NULL)", "23502")
    same(db, "dn")


def test_every_copy_takes_the_new_column(cluster, db):
    make(db, "cp")
    db.both("ALTER TABLE cp ALTER COLUMN n TYPE numeric(12,2)")
    db.both("ALTER TABLE cp ALTER COLUMN t TYPE bigint USING t::bigint")
    db.both("ALTER TABLE cp ALTER COLUMN f DROP NOT NULL")
    conn = cluster.connect()
    wait_consistent(cluster, conn, tables=["cp"])
    copies = copy_types(cluster, "cp")
    assert len(copies) >= 3
    for where, cols in copies.items():
        assert cols["n"] == "TEXT" and cols["t"] == "INTEGER", (where, cols)
        assert not any(c.startswith("_murphy_ty") for c in cols), (where, cols)
    # a failed change leaves every copy as it was
    db.both("INSERT INTO cp VALUES (9, 1, 1, 1, NULL, 'x')")
    db.both("UPDATE cp SET v = 'zz' WHERE id = 9")
    db.both_error("ALTER TABLE cp ALTER COLUMN v TYPE int USING v::int", "22P02")
    wait_consistent(cluster, conn, tables=["cp"])
    for where, cols in copy_types(cluster, "cp").items():
        assert cols["v"] == "TEXT", (where, cols)
    same(db, "cp")
    conn.close()


def test_distribution_column_only_cheap(cluster, db):
    make(db, "dc")
    db.both("ALTER TABLE dc ALTER COLUMN id TYPE bigint")
    db.both("SELECT * FROM dc WHERE id = 2")
    m = cluster.connect()
    with pytest.raises(psycopg2.Error) as e:
        run(m, "ALTER TABLE dc ALTER COLUMN id TYPE text")
    assert e.value.pgcode == "0A000" and "distribution column" in e.value.pgerror
    with pytest.raises(psycopg2.Error) as e:
        run(m, "ALTER TABLE dc ALTER COLUMN id TYPE int USING id + 1")
    assert e.value.pgcode == "0A000"
    # a column SQLite must rebuild that a CHECK and an index name: both
    # made again on the new column (test_constraints.py)
    db.both("ALTER TABLE dc ADD CONSTRAINT dc_f_pos CHECK (f > 0)")
    db.both("CREATE INDEX dc_f ON dc (f)")
    db.both("ALTER TABLE dc ALTER COLUMN f TYPE numeric")
    db.both("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'dc_f_pos'")
    db.both("ALTER TABLE dc DROP CONSTRAINT dc_f_pos")
    # a NOT NULL SQLite holds in a form murphy does not take off (ADD
    # COLUMN ... DEFAULT k NOT NULL): refused by the shards, nothing changed
    run(m, "ALTER TABLE dc ADD COLUMN k int NOT NULL DEFAULT 1")
    with pytest.raises(psycopg2.Error) as e:
        run(m, "ALTER TABLE dc ALTER COLUMN k DROP NOT NULL")
    assert e.value.pgcode == "0A000" and "NOT NULL" in e.value.pgerror
    with pytest.raises(psycopg2.Error) as e:
        run(m, "INSERT INTO dc (id, n, k) VALUES (50, 1, NULL)")
    assert e.value.pgcode == "23502"
    run(m, "ALTER TABLE dc DROP COLUMN k")
    m.close()
    same(db, "dc")


# ---- failures while the change runs --------------------------------------

@pytest.fixture
def cc(request):
    yield from owned_cluster(request, 3, timer_args(1000, 30000))


def big(conn, table, n):
    run(conn, "CREATE TABLE %s (id int PRIMARY KEY, a int, b text) "
        "WITH (shards = 4, replicas = 3)" % table)
    run(conn, "INSERT INTO %s SELECT g, g, 'b' || g FROM generate_series(1, %d) g" % (table, n))


def one_shape(cl, conn, table, col):
    """Every copy's SQLite type of col; asserts they agree with each other
    and with the catalog; returns the catalog's type."""
    wait_consistent(cl, conn, tables=[table], replicas=3, timeout=60)
    kinds = {cols[col] for cols in copy_types(cl, table).values()}
    assert len(kinds) == 1, kinds
    ty = run(conn, "SELECT data_type FROM information_schema.columns "
             "WHERE table_name = %s AND column_name = %s", (table, col))[0][0]
    assert kinds == {"TEXT" if ty == "numeric" else "INTEGER"}, (kinds, ty)
    return ty


def test_follower_killed_mid_alter_type(cc):
    conn = cc.connect()
    big(conn, "fk", 60000)
    out = {}

    def alter():
        c = cc.connect()
        try:
            run(c, "ALTER TABLE fk ALTER COLUMN a TYPE numeric")
            out["ok"] = True
        except psycopg2.Error as e:
            out["err"] = e.pgcode
        finally:
            c.close()

    th = threading.Thread(target=alter)
    th.start()
    time.sleep(0.15)
    cc.kill9("f2")
    th.join(60)
    assert not th.is_alive()
    print("ALTER with f2 killed:", out)
    cc.start()  # f2 again: catch-up brings (or undoes) the DDL entry
    conn = connect_when_up(cc)
    ty = one_shape(cc, conn, "fk", "a")
    assert ty == ("numeric" if out.get("ok") else ty)
    if ty == "integer":  # failed: try again, now with every follower up
        run(conn, "ALTER TABLE fk ALTER COLUMN a TYPE numeric")
        ty = one_shape(cc, conn, "fk", "a")
    assert ty == "numeric"
    assert run(conn, "SELECT count(*), sum(a), min(a)::text FROM fk") == \
        [(60000, 60000 * 60001 // 2, "1")]


def test_leader_killed_before_decision_keeps_old_type(cc):
    conn = cc.connect()
    big(conn, "lb", 200)
    conn.close()
    conn = leader_dies_in_alter(cc, "txn_after_prepare", "lb",
                                "ALTER TABLE lb ALTER COLUMN a TYPE numeric(10,1)")
    assert one_shape(cc, conn, "lb", "a") == "integer"
    assert run(conn, "SELECT sum(a), count(*) FROM lb") == [(200 * 201 // 2, 200)]
    assert not any(c.startswith("_murphy_ty") for cols in copy_types(cc, "lb").values()
                   for c in cols)


def test_leader_killed_after_decision_takes_new_type(cc):
    conn = cc.connect()
    big(conn, "la", 200)
    conn.close()
    conn = leader_dies_in_alter(cc, "txn_after_decision", "la",
                                "ALTER TABLE la ALTER COLUMN a TYPE numeric(10,1)")
    assert one_shape(cc, conn, "la", "a") == "numeric"
    assert run(conn, "SELECT sum(a)::text, count(*) FROM la") == [("20100.0", 200)]


# ---- ALTER in a transaction block (issue 20) -----------------------------

def test_alter_of_a_table_the_block_created(cluster, db):
    """A migration's CREATE TABLE then ALTERs in one block (Alembic, Django):
    the ALTERs' DDL entries join the block; COMMIT keeps all, ROLLBACK
    leaves nothing."""
    migration = ["CREATE TABLE mg (id int PRIMARY KEY, a text)",
                 "INSERT INTO mg VALUES (1, '5'), (2, '6')",
                 "ALTER TABLE mg ADD COLUMN b int DEFAULT 3",
                 "ALTER TABLE mg ALTER COLUMN a TYPE int USING a::int",
                 "ALTER TABLE mg ALTER COLUMN b SET NOT NULL",
                 "INSERT INTO mg VALUES (3, 7, 4)"]
    for end in ("ROLLBACK", "COMMIT"):
        db.both("BEGIN")
        for sql in migration:
            db.both(sql)
        db.both("SELECT * FROM mg ORDER BY id")
        db.both(end)
        db.both("SELECT * FROM mg ORDER BY id")  # 42P01 after the rollback
    same(db, "mg")
    conn = cluster.connect()
    wait_consistent(cluster, conn, tables=["mg"])
    for where, cols in copy_types(cluster, "mg").items():
        mine = {k: v for k, v in cols.items() if not k.startswith("_murphy_old_")}
        assert mine == {"id": "INTEGER", "a": "INTEGER", "b": "INTEGER"}, (where, cols)
    # an existing table with a savepoint open: refused (ROLLBACK TO could
    # not take the old shape back), the block fails as on any error; without
    # one it runs (tests/cluster/test_alter_block.py)
    run(conn, "BEGIN")
    run(conn, "SAVEPOINT s")
    with pytest.raises(psycopg2.Error) as e:
        run(conn, "ALTER TABLE mg ADD COLUMN z int")
    assert e.value.pgcode == "0A000" and "transaction block" in e.value.pgerror
    run(conn, "ROLLBACK")
    conn.close()


# ---- DROP CONSTRAINT of a CHECK -------------------------------------------

def test_drop_check_constraint_matches_postgres(db):
    make(db, "dk")
    db.both("ALTER TABLE dk ADD CONSTRAINT dk_pos CHECK (n > 0)")
    db.both_error("INSERT INTO dk (id, n) VALUES (20, -1)", "23514")
    db.both("ALTER TABLE dk DROP CONSTRAINT dk_pos")
    db.both("INSERT INTO dk (id, n) VALUES (20, -1)")
    db.both_error("ALTER TABLE dk DROP CONSTRAINT dk_pos", "42704")
    db.both_error("ALTER TABLE dk DROP CONSTRAINT nope", "42704")
    db.both("ALTER TABLE dk ADD CONSTRAINT dk_pos CHECK (n > -5)")  # the name again
    db.both_error("INSERT INTO dk (id, n) VALUES (21, -6)", "23514")
    same(db, "dk")


def test_leader_killed_before_decision_keeps_the_check(cc):
    conn = cc.connect()
    big(conn, "lk", 100)
    run(conn, "ALTER TABLE lk ADD CONSTRAINT lk_pos CHECK (a > 0)")
    conn.close()
    # the undo writes the triggers back (writable_schema) on every copy
    conn = leader_dies_in_alter(cc, "txn_after_prepare", "lk",
                                "ALTER TABLE lk DROP CONSTRAINT lk_pos")
    for i in range(20):  # every shard (4) enforces it again
        with pytest.raises(psycopg2.Error) as e:
            run(conn, "INSERT INTO lk VALUES (%d, -1, 'x')" % (1000 + i))
        assert e.value.pgcode == "23514"
    run(conn, "ALTER TABLE lk DROP CONSTRAINT lk_pos")
    run(conn, "INSERT INTO lk VALUES (2000, -1, 'x')")
    wait_consistent(cc, conn, tables=["lk"], replicas=3, timeout=40)


# ---- ADD CONSTRAINT UNIQUE / PRIMARY KEY ----------------------------------

def test_add_unique_names_the_duplicate_as_postgres(db):
    db.exec_both("DROP TABLE IF EXISTS uq")
    db.exec_both("CREATE TABLE uq (id int NOT NULL, a int NOT NULL, b text)")
    # one duplicated key each (PostgreSQL names the first its sort meets,
    # murphy the first shard's)
    db.exec_both("INSERT INTO uq VALUES (1, 1, 'x'), (2, 1, 'y'), (2, 3, 'y'), (5, 5, NULL)")
    for sql in ["ALTER TABLE uq ADD CONSTRAINT uq_pk PRIMARY KEY (id)",
                "ALTER TABLE uq ADD CONSTRAINT uq_idb UNIQUE (id, b)"]:
        details = []
        for conn in (db.m, db.p):
            with pytest.raises(psycopg2.Error) as e:
                run(conn, sql)
            details.append((e.value.pgcode, e.value.diag.message_primary,
                            e.value.diag.message_detail))
        assert details[0] == details[1], details
    db.both("UPDATE uq SET b = 'w' WHERE a = 3")
    db.both("INSERT INTO uq VALUES (5, 6, NULL)")
    db.both("ALTER TABLE uq ADD CONSTRAINT uq_idb UNIQUE (id, b)")  # NULLs never collide
    # without the distribution column: refused, saying why (as Citus does)
    with pytest.raises(psycopg2.Error) as e:
        run(db.m, "ALTER TABLE uq ADD CONSTRAINT uq_a UNIQUE (a)")
    assert e.value.pgcode == "0A000" and "distribution column" in e.value.pgerror
    db.both("DELETE FROM uq WHERE a IN (3, 6)")
    db.both("ALTER TABLE uq ADD CONSTRAINT uq_pk PRIMARY KEY (id)")
    db.both_error("INSERT INTO uq VALUES (1, 9, 'dup')", "23505")
    db.both("SELECT * FROM uq ORDER BY id")
