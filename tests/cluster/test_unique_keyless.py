"""UNIQUE and PRIMARY KEY on a table without a distribution key (issue 19),
differential against a real PostgreSQL 15.

A table that declares UNIQUE but no primary key and no PARTITION BY has no
distribution column (its rows would be spread by a hidden row id): murphy
keeps it in one shard, where every unique key holds, and a shard split
refuses it.  ALTER TABLE ADD PRIMARY KEY / UNIQUE and CREATE UNIQUE INDEX
take any key on a keyless table of one shard, as on a reference table.  A
keyless table of several shards, and a distributed table whose key leaves
out the distribution column, stay 0A000 naming why (as Citus)."""
import psycopg2
import pytest


def murphy_error(db, sql):
    with pytest.raises(psycopg2.Error) as e:
        with db.m.cursor() as cur:
            cur.execute(sql)
    return e.value


def same_violation(db, sql, message=True):
    """sql fails on both with 23505 and (message) the same message.  The
    detail is not compared here (test_dupkey_detail.py compares it); and (message False)
    the message names a primary key added by ALTER TABLE, a named UNIQUE
    constraint or a CREATE UNIQUE INDEX by a UNIQUE constraint's default
    name (t_a_key, not t_pkey / the name given: storage/errmap.c): all as before this change, on distributed
    tables too (murphy-s19)."""
    said = []
    for conn in (db.m, db.p):
        with pytest.raises(psycopg2.Error) as e:
            with conn.cursor() as cur:
                cur.execute(sql)
        said.append((e.value.pgcode, e.value.diag.message_primary if message else None))
    assert said[0] == said[1], said
    assert said[0][0] == "23505", said


def shard_count(db, table):
    with db.m.cursor() as cur:
        cur.execute("SELECT count(*) FROM murphy.shards WHERE table_name = %s", (table,))
        return cur.fetchone()[0]


def test_create_table_unique_without_a_key(db):
    db.exec_both("DROP TABLE IF EXISTS uk")
    db.exec_both("CREATE TABLE uk (email text UNIQUE, name text, n int, UNIQUE (n, name))")
    assert shard_count(db, "uk") == 1
    db.exec_both("INSERT INTO uk VALUES ('a@x', 'A', 1), ('b@x', 'B', 1), (NULL, 'C', NULL), "
                 "(NULL, 'C', NULL)")
    same_violation(db, "INSERT INTO uk VALUES ('a@x', 'Z', 9)")
    same_violation(db, "INSERT INTO uk VALUES ('c@x', 'A', 1)")
    same_violation(db, "UPDATE uk SET email = 'b@x' WHERE name = 'A'")
    db.both("INSERT INTO uk VALUES ('a@x', 'A2', 2) ON CONFLICT (email) DO UPDATE "
            "SET name = excluded.name RETURNING email, name, n")
    db.both("INSERT INTO uk VALUES ('a@x', 'Q', 3) ON CONFLICT DO NOTHING")
    db.both("SELECT * FROM uk ORDER BY email NULLS FIRST, name")
    db.both("SELECT conname::text, contype::text FROM pg_constraint "
            "WHERE conrelid = 'uk'::regclass ORDER BY 1")


def test_id_first_column_with_a_unique_elsewhere(db):
    """An integer NOT NULL first column would distribute the table, but a
    UNIQUE that leaves it out keeps the table keyless, in one shard."""
    db.exec_both("DROP TABLE IF EXISTS uk_id")
    db.exec_both("CREATE TABLE uk_id (id int NOT NULL, email text UNIQUE)")
    assert shard_count(db, "uk_id") == 1
    db.exec_both("INSERT INTO uk_id SELECT g, 'e' || g FROM generate_series(1, 50) g")
    same_violation(db, "INSERT INTO uk_id VALUES (99, 'e7')")
    db.both("SELECT count(*), min(email), max(id) FROM uk_id")


def test_alter_table_adds_keys_to_a_one_shard_keyless_table(db):
    db.exec_both("DROP TABLE IF EXISTS uk1")
    db.m.cursor().execute("CREATE TABLE uk1 (name text, a int NOT NULL, b int) WITH (shards = 1)")
    db.p.cursor().execute("CREATE TABLE uk1 (name text, a int NOT NULL, b int)")
    db.exec_both("INSERT INTO uk1 VALUES ('x', 1, 10), ('y', 2, 20), ('z', 3, 20)")
    same_violation(db, "ALTER TABLE uk1 ADD CONSTRAINT uk1_b UNIQUE (b)")
    db.exec_both("ALTER TABLE uk1 ADD PRIMARY KEY (a)")
    db.exec_both("CREATE UNIQUE INDEX uk1_name ON uk1 (name)")
    db.exec_both("DELETE FROM uk1 WHERE a = 3")
    db.exec_both("ALTER TABLE uk1 ADD CONSTRAINT uk1_b UNIQUE (b)")
    same_violation(db, "INSERT INTO uk1 VALUES ('w', 1, 30)", message=False)
    same_violation(db, "INSERT INTO uk1 VALUES ('x', 4, 40)", message=False)
    same_violation(db, "INSERT INTO uk1 VALUES ('v', 5, 20)", message=False)
    db.both("INSERT INTO uk1 VALUES ('y', 2, 0) ON CONFLICT (a) DO UPDATE SET b = uk1.b + 1 "
            "RETURNING *")
    db.both("SELECT * FROM uk1 ORDER BY a")
    db.both("SELECT conname::text, contype::text FROM pg_constraint "
            "WHERE conrelid = 'uk1'::regclass ORDER BY 1")


def test_a_keyless_table_with_a_key_is_not_split(db):
    db.exec_both("DROP TABLE IF EXISTS uk_s")
    db.exec_both("CREATE TABLE uk_s (name text, v int UNIQUE)")
    e = murphy_error(db, "SELECT murphy.split_shard('uk_s', 0)")
    assert e.pgcode == "0A000" and "unique key" in e.pgerror, e.pgerror
    assert shard_count(db, "uk_s") == 1


@pytest.mark.parametrize("sql, words", [
    # a keyless table of several shards: no shard sees every row
    ("CREATE TABLE uk_many (name text UNIQUE) WITH (shards = 4)", "no distribution column"),
    ("ALTER TABLE uk_many2 ADD UNIQUE (name)", "no distribution column"),
    ("CREATE UNIQUE INDEX uk_many2_name ON uk_many2 (name)", "no distribution column"),
    # a distributed table: the key must contain the distribution column
    ("CREATE TABLE uk_d (id int, b text UNIQUE) PARTITION BY HASH (id)", "\"id\""),
    ("CREATE TABLE uk_d (id int PRIMARY KEY, b text UNIQUE)", "\"id\""),
    ("ALTER TABLE uk_d2 ADD UNIQUE (b)", "\"id\""),
])
def test_what_stays_0A000(db, sql, words):
    with db.m.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS uk_many2")
        cur.execute("CREATE TABLE uk_many2 (name text, v int) WITH (shards = 4)")
        cur.execute("DROP TABLE IF EXISTS uk_d2")
        cur.execute("CREATE TABLE uk_d2 (id int PRIMARY KEY, b text)")
    e = murphy_error(db, sql)
    assert e.pgcode == "0A000" and words in e.pgerror, e.pgerror
