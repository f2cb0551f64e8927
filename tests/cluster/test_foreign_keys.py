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
import random
import re
import threading
import time

import psycopg2
import pytest

from test_pg_dump import admin, describe, pg_dump, restore, target  # noqa: F401 (fixtures)

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
    many = ",".join("(%d, %d)" % (100 + i, 1 + i % 2) for i in range(300))
    err = fk.both_error("INSERT INTO users VALUES %s, (500, 7), (501, 8)" % many, "23503")
    assert err.diag.message_detail == 'Key (region)=(7) is not present in table "region".'
    fk.both_error("INSERT INTO users VALUES (60, 'abc')", "22P02")  # bad input first
    fk.both_error("INSERT INTO orders VALUES ('x', 1)", "22P02")
    fk.both_error("INSERT INTO users VALUES (61, 99999999999)", "22003")
    fk.exec_both("PREPARE ins (int, int) AS INSERT INTO users VALUES ($1, $2)")
    fk.both_error("EXECUTE ins (50, 9)", "23503")
    fk.both("EXECUTE ins (51, NULL)")
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


def test_update_of_the_referencing_column(fk):
    fk.both("UPDATE users SET region = 2 WHERE id = 10")
    err = fk.both_error("UPDATE users SET region = 6 WHERE id = 10", "23503")
    assert err.diag.message_detail == 'Key (region)=(6) is not present in table "region".'
    fk.both_error("UPDATE users SET region = region + 1", "23503")  # 2 -> 3: no region 3
    fk.both("UPDATE users SET region = 1")
    fk.both("UPDATE users SET region = NULL WHERE id = 10")
    fk.both("SELECT * FROM users ORDER BY id")
    fk.both("UPDATE users SET region = 1 WHERE id = 10")


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
    fk.both_error("TRUNCATE region, users", "0A000")  # orders references users
    ddl(fk, "CREATE TABLE t_p (id int PRIMARY KEY)" + REF)
    fk.exec_both("CREATE TABLE t_c (id int PRIMARY KEY, p int REFERENCES t_p)")
    fk.exec_both("INSERT INTO t_p VALUES (1)")
    fk.exec_both("INSERT INTO t_c VALUES (1, 1)")
    fk.both("TRUNCATE t_p CASCADE")
    fk.both("SELECT (SELECT count(*) FROM t_p) + (SELECT count(*) FROM t_c) AS n")


def test_refused_pairs(fk):
    cases = [
        "CREATE TABLE r2 (id int PRIMARY KEY, u int REFERENCES users(id))" + REF,
        "CREATE TABLE h8 (id int PRIMARY KEY, u int REFERENCES users(id))",
        "CREATE TABLE h4 (id int PRIMARY KEY, u int REFERENCES users(id)) WITH (shards = 4)",
        "CREATE TABLE c1 (id int PRIMARY KEY, r int REFERENCES region(id) ON UPDATE CASCADE)",
        "CREATE TABLE c2 (a int, b int, FOREIGN KEY (a, b) REFERENCES orders (uid, n))",
        "CREATE TABLE c3 (id int PRIMARY KEY, r serial REFERENCES region(id))",
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
    for sql in ("UPDATE region SET id = 5 WHERE id = 1",
                "UPDATE users SET region = 1 WHERE id = 10 RETURNING *",
                "DELETE FROM region WHERE id = 9 RETURNING *",
                "ALTER TABLE users DROP COLUMN region",  # the keys store column indexes
                "ALTER TABLE region DROP COLUMN name"):
        with pytest.raises(psycopg2.Error) as e:
            cur.execute(sql)
        assert e.value.pgcode == "0A000", sql


def test_referenced_key(fk):
    fk.both_error("CREATE TABLE bad (x int REFERENCES orders)", "42830")  # 2-column key
    ddl(fk, "CREATE TABLE nokey_p (a int)" + REF)
    fk.both_error("CREATE TABLE bad (x int REFERENCES nokey_p)", "42704")
    cur = fk.m.cursor()
    with pytest.raises(psycopg2.Error) as e:  # PostgreSQL: 42830 (name is not unique)
        cur.execute("CREATE TABLE bad (x text REFERENCES region(name))")
    assert e.value.pgcode == "0A000"
    with pytest.raises(psycopg2.Error) as e:  # its SET is not checked
        cur.execute("INSERT INTO users VALUES (10, 1) ON CONFLICT (id) DO UPDATE SET region = 2")
    assert e.value.pgcode == "0A000"
    cur.close()
    fk.both("INSERT INTO users VALUES (10, 1) ON CONFLICT (id) DO UPDATE SET region = NULL")
    fk.both("UPDATE users SET region = 1 WHERE id = 10")


def test_insert_racing_a_parent_delete_leaves_no_orphan(fk, cluster):
    """Sessions insert children of the parent another session deletes at
    the same time, round after round: each statement either fails (23503,
    or 40P01) or holds, and at the end no child's key is missing from its
    parent (without the shared lock on the parent's shard the leader
    takes, this leaves orphans: docs/decisions.md, "Foreign keys")."""
    m = cluster.connect()
    m.autocommit = True
    cur = m.cursor()
    cur.execute("CREATE TABLE par (id int PRIMARY KEY)" + REF)
    cur.execute("CREATE TABLE kid (id int PRIMARY KEY, p int REFERENCES par(id))")
    stop = threading.Event()
    current = [0]
    errors = []

    def inserter(base):
        c = cluster.connect()
        c.autocommit = True
        k = c.cursor()
        i = 0
        while not stop.is_set():
            i += 1
            try:
                k.execute("INSERT INTO kid VALUES (%s, %s)", (base + i, current[0]))
            except psycopg2.Error as e:
                if e.pgcode not in ("23503", "40P01"):
                    errors.append(e)
        c.close()

    threads = [threading.Thread(target=inserter, args=(b,)) for b in (10**6, 2 * 10**6, 3 * 10**6)]
    for t in threads:
        t.start()
    deleted = 0
    rnd = random.Random(19)
    for pid in range(1, 151):
        cur.execute("INSERT INTO par VALUES (%s)", (pid,))
        current[0] = pid
        time.sleep(rnd.random() * 0.004)  # some rounds the children win, some the DELETE
        try:
            cur.execute("DELETE FROM par WHERE id = %s", (pid,))
            deleted += 1
        except psycopg2.Error as e:
            assert e.pgcode in ("23503", "40P01"), e
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors
    cur.execute("SELECT count(*) FROM kid WHERE p NOT IN (SELECT id FROM par)")
    assert cur.fetchone()[0] == 0
    cur.execute("SELECT count(*) FROM kid")
    assert cur.fetchone()[0] > 0 and deleted > 0
    m.close()


def test_pg_constraint(fk):
    fk.both("SELECT conname::text, contype::text, confrelid::regclass::text AS ref,"
            " conkey::text, confkey::text, confupdtype::text, confdeltype::text,"
            " confmatchtype::text, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid::regclass::text IN ('users', 'orders')"
            " ORDER BY conname")
    fk.both("SELECT constraint_name::text, unique_constraint_name::text, match_option::text,"
            " update_rule::text, delete_rule::text"
            " FROM information_schema.referential_constraints WHERE constraint_name IN"
            " ('orders_uid_fkey', 'users_region_fkey') ORDER BY 1")
    fk.both("SELECT constraint_name::text, table_name::text, constraint_type::text"
            " FROM information_schema.table_constraints WHERE constraint_type = 'FOREIGN KEY'"
            " AND table_name IN ('users', 'orders') ORDER BY 1")
    fk.both("SELECT constraint_name::text, column_name::text, ordinal_position::int,"
            " position_in_unique_constraint::int FROM information_schema.key_column_usage"
            " WHERE position_in_unique_constraint IS NOT NULL AND table_name IN ('users', 'orders')"
            " ORDER BY 1")


def test_alter_table_add_and_drop_constraint(fk):
    ddl(fk, "CREATE TABLE lines (id int PRIMARY KEY, r int)")
    fk.exec_both("INSERT INTO lines VALUES (1, 1), (2, 8), (3, NULL)")
    err = fk.both_error("ALTER TABLE lines ADD CONSTRAINT lines_r_fkey FOREIGN KEY (r)"
                        " REFERENCES region (id)", "23503")
    assert err.diag.message_detail == 'Key (r)=(8) is not present in table "region".'
    fk.both("INSERT INTO lines VALUES (4, 9)")  # no key was left behind
    fk.both("DELETE FROM lines WHERE r IN (8, 9)")
    fk.both("ALTER TABLE lines ADD CONSTRAINT lines_r_fkey FOREIGN KEY (r) REFERENCES region (id)")
    fk.both_error("ALTER TABLE lines ADD CONSTRAINT lines_r_fkey FOREIGN KEY (r)"
                  " REFERENCES region (id)", "42710")
    fk.both_error("INSERT INTO lines VALUES (5, 7)", "23503")
    fk.both_error("DELETE FROM region WHERE id = 1", "23503")
    fk.m.autocommit = False  # in a block: refused, nothing changed
    try:
        with pytest.raises(psycopg2.Error) as e:
            fk.m.cursor().execute("ALTER TABLE lines DROP CONSTRAINT lines_r_fkey")
        assert e.value.pgcode == "0A000" and "foreign key" in e.value.pgerror
    finally:
        fk.m.rollback()
        fk.m.autocommit = True
    fk.both_error("INSERT INTO lines VALUES (5, 7)", "23503")
    fk.both("ALTER TABLE lines DROP CONSTRAINT lines_r_fkey")
    fk.both("INSERT INTO lines VALUES (5, 7)")
    fk.both("SELECT * FROM lines ORDER BY id")


def test_on_delete_cascade_and_set_null(fk):
    ddl(fk, "CREATE TABLE cat (id int PRIMARY KEY)" + REF)
    ddl(fk, "CREATE TABLE item (id int PRIMARY KEY, c int REFERENCES cat ON DELETE CASCADE)" + REF)
    ddl(fk, "CREATE TABLE note (id int PRIMARY KEY,"
        " i int REFERENCES item (id) ON DELETE SET NULL) WITH (shards = 4)",
        "CREATE TABLE note (id int PRIMARY KEY, i int REFERENCES item (id) ON DELETE SET NULL)")
    fk.exec_both("INSERT INTO cat VALUES (1), (2), (3)")
    fk.exec_both("INSERT INTO item VALUES (10, 1), (11, 1), (20, 2), (30, NULL)")
    fk.exec_both("INSERT INTO note VALUES (100, 10), (101, 11), (102, 20), (103, NULL)")
    fk.both("DELETE FROM cat WHERE id = 1")  # items 10, 11 go; their notes lose i
    fk.both("SELECT * FROM item ORDER BY id")
    fk.both("SELECT * FROM note ORDER BY id")
    fk.both("UPDATE note SET i = NULL WHERE id = 102")  # to NULL: allowed
    fk.both("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname IN"
            " ('item_c_fkey', 'note_i_fkey') ORDER BY conname")


def test_keys_of_tables_in_a_created_schema(fk):
    """The leader's checks name the tables with their schema: they were
    42P01 (relation "p" does not exist) for every INSERT and DELETE."""
    fk.exec_both("CREATE SCHEMA fks")
    ddl(fk, "CREATE TABLE fks.p (id int PRIMARY KEY)" + REF)
    ddl(fk, "CREATE TABLE fks.k (id int PRIMARY KEY) WITH (shards = 4)")
    ddl(fk, "CREATE TABLE fks.c (id int PRIMARY KEY, pid int REFERENCES fks.p ON DELETE CASCADE,"
        " n int REFERENCES fks.p ON DELETE SET NULL) WITH (shards = 4)")
    ddl(fk, "CREATE TABLE fks.d (kid int REFERENCES fks.k (id), n int, PRIMARY KEY (kid, n))"
        " WITH (shards = 4)")
    fk.exec_both("INSERT INTO fks.p VALUES (1), (2), (3)")
    fk.exec_both("INSERT INTO fks.k VALUES (1), (2)")
    fk.both("INSERT INTO fks.c VALUES (10, 1, 2), (11, 2, 1), (12, NULL, 3)")
    err = fk.both_error("INSERT INTO fks.c VALUES (13, 9, NULL)", "23503")
    assert err.diag.message_detail == 'Key (pid)=(9) is not present in table "p".'
    fk.both("INSERT INTO fks.d VALUES (1, 1), (2, 1)")
    fk.both_error("INSERT INTO fks.d VALUES (3, 1)", "23503")
    fk.both_error("DELETE FROM fks.k WHERE id = 1", "23503")
    fk.both("DELETE FROM fks.p WHERE id = 1")  # 10 goes, 11 loses n
    fk.both("SELECT * FROM fks.c ORDER BY id")
    fk.exec_both("DROP SCHEMA fks CASCADE")


def test_psql_describe(fk, cluster, pg):
    """psql's \\d shows "Foreign-key constraints:" and "Referenced by:" as
    PostgreSQL does."""
    for t in ("region", "users", "orders"):
        assert describe(cluster.dsn(), t) == describe(pg.dsn("t_test_foreign_keys"), t), t


def test_pg_dump_round_trip(fk, cluster, target):  # noqa: F811
    """pg_dump of murphy restores into PostgreSQL with its foreign keys, and
    the dump's ALTER TABLE ONLY ... ADD CONSTRAINT runs on murphy too."""
    conn, dsn = target
    dump = pg_dump(cluster, "-t", "region", "-t", "users", "-t", "orders")
    restore(dsn, dump)
    for t in ("region", "users", "orders"):
        assert describe(cluster.dsn(), t) == describe(dsn, t), t
    adds = re.findall(r"ALTER TABLE ONLY [^;]* FOREIGN KEY [^;]*;", dump)
    assert len(adds) == 2, dump
    cur = fk.m.cursor()
    cur.execute("ALTER TABLE orders DROP CONSTRAINT orders_uid_fkey")
    cur.execute([a for a in adds if "orders_uid_fkey" in a][0])
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("INSERT INTO orders VALUES (4242, 1)")
    assert e.value.pgcode == "23503"
    cur.close()


def test_restart_keeps_the_keys(fk, cluster):
    cluster.stop()
    cluster.start()
    m = cluster.connect()
    cur = m.cursor()
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("INSERT INTO users VALUES (40, 77)")
    assert e.value.pgcode == "23503"
    m.close()
