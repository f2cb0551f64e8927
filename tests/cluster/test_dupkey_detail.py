"""23505's DETAIL names the duplicate key's values as PostgreSQL writes
them: `Key (id)=(1) already exists.`, `Key (id, k)=(1, 2) already
exists.` (storage/dupkey.c).  Each statement runs on murphy and on a real
PostgreSQL 15 and the SQLSTATE, message and DETAIL must match: INSERT
(one row, the duplicate among others), UPDATE, an upsert whose DO UPDATE
makes the duplicate, COPY, on a distributed and on a reference table, keys
of one and two columns, text with quotes and commas, inside a block.

On murphy-s20 every DETAIL was `Key (id) already exists.` (no values):
each case fails there.
"""
import io

import psycopg2
import pytest

SETUP = [
    ("CREATE TABLE dk (id int PRIMARY KEY, v text)", " WITH (shards = 4)"),
    ("CREATE TABLE dk2 (id int, k int, v text, PRIMARY KEY (id, k))", " WITH (shards = 4)"),
    ("CREATE TABLE dkr (id int PRIMARY KEY, name text UNIQUE)",
     " WITH (distribution = 'reference')"),
    ("INSERT INTO dk VALUES (1, 'a'), (2, 'b'), (3, 'c')", ""),
    ("INSERT INTO dk2 VALUES (1, 1, 'a'), (1, 2, 'b'), (2, 1, 'c')", ""),
    ("INSERT INTO dkr VALUES (1, 'one'), (2, 'two'), (3, 'it''s, here')", ""),
    ('CREATE TABLE "Dk q" ("K ey" text PRIMARY KEY, v int)', ""),
    ('INSERT INTO "Dk q" VALUES (\'x"y\', 1)', ""),
]


@pytest.fixture(scope="module")
def both(cluster, pgconn):
    m = cluster.connect()
    for sql, murphy_suffix in SETUP:
        with pgconn.cursor() as cur:
            cur.execute(sql)
        with m.cursor() as cur:
            cur.execute(sql + murphy_suffix)
    yield {"murphy": m, "postgres": pgconn}
    m.close()


def error(conn, sql):
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    except psycopg2.Error as e:
        return (e.pgcode, e.diag.message_primary, e.diag.message_detail)
    return None


def same_error(both, sql, detail):
    pg = error(both["postgres"], sql)
    assert pg is not None and pg[2] == detail, pg  # the case is what it claims
    assert error(both["murphy"], sql) == pg


@pytest.mark.parametrize("sql, detail", [
    ("INSERT INTO dk VALUES (2, 'x')", "Key (id)=(2) already exists."),
    ("INSERT INTO dk VALUES (10, 'x'), (11, 'y'), (3, 'z')", "Key (id)=(3) already exists."),
    ("INSERT INTO dk2 VALUES (1, 2, 'x')", "Key (id, k)=(1, 2) already exists."),
    ("UPDATE dk2 SET k = 2 WHERE id = 1 AND k = 1", "Key (id, k)=(1, 2) already exists."),
    ("INSERT INTO dk2 VALUES (1, 1, 'x') ON CONFLICT (id, k) DO UPDATE SET k = 2",
     "Key (id, k)=(1, 2) already exists."),
    ("INSERT INTO dkr VALUES (2, 'zz')", "Key (id)=(2) already exists."),
    ("INSERT INTO dkr VALUES (4, 'one')", "Key (name)=(one) already exists."),
    ("UPDATE dkr SET name = 'it''s, here' WHERE id = 1",
     "Key (name)=(it's, here) already exists."),
    # a column name that needs quotes is quoted, as PostgreSQL's quote_identifier
    ('INSERT INTO "Dk q" VALUES (\'x"y\', 2)', 'Key ("K ey")=(x"y) already exists.'),
    ("INSERT INTO dkr VALUES (5, 'five') ON CONFLICT (id) DO UPDATE SET name = 'two'",
     None),  # no conflict on id 5: inserted on both, no error (checked below)
])
def test_duplicate_key_detail(both, sql, detail):
    if detail is None:
        for conn in both.values():
            assert error(conn, sql) is None
        sql = "INSERT INTO dkr VALUES (5, 'x') ON CONFLICT (id) DO UPDATE SET name = 'two'"
        detail = "Key (name)=(two) already exists."
    same_error(both, sql, detail)


def test_copy_duplicate_key_detail(both):
    got = {}
    for name, conn in both.items():
        try:
            with conn.cursor() as cur:
                cur.copy_expert("COPY dk2 FROM STDIN", io.StringIO("7\t1\tq\n2\t1\tdup\n"))
            got[name] = None
        except psycopg2.Error as e:
            got[name] = (e.pgcode, e.diag.message_primary, e.diag.message_detail)
    assert got["postgres"] == ("23505", 'duplicate key value violates unique constraint '
                               '"dk2_pkey"', "Key (id, k)=(2, 1) already exists.")
    assert got["murphy"] == got["postgres"]
    # the COPY stored nothing, on both
    for conn in both.values():
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM dk2 WHERE id = 7")
            assert cur.fetchone() == (0,)


def test_inside_a_block(both):
    for conn in both.values():
        conn.autocommit = False
    try:
        same_error(both, "INSERT INTO dk VALUES (20, 'x'), (1, 'y')",
                   "Key (id)=(1) already exists.")
    finally:
        for conn in both.values():
            conn.rollback()
            conn.autocommit = True


@pytest.mark.parametrize("sql, detail", [
    ("INSERT INTO dkb VALUES (1, true, NULL)", "Key (id, b)=(1, t) already exists."),
    ("INSERT INTO dkb VALUES (2, true, '2024-01-02 00:00:00+00')",
     "Key (id, ts)=(2, 2024-01-02 00:00:00+00) already exists."),
])
def test_boolean_and_timestamptz_keys(both, sql, detail):
    # printed by the column's type (the statement's row-types tag), not as
    # stored (1, "2024-01-02 00:00:00"): on murphy-s22 these differed
    for conn in both.values():
        with conn.cursor() as cur:
            cur.execute("SET TimeZone = 'UTC'")
            cur.execute("CREATE TABLE IF NOT EXISTS dkb (id int, b boolean, ts timestamptz, "
                        "PRIMARY KEY (id, b), UNIQUE (id, ts))")
            cur.execute("INSERT INTO dkb VALUES (1, true, '2024-01-02 03:04:05+00'), "
                        "(2, false, '2024-01-02 00:00:00+00') ON CONFLICT DO NOTHING")
    same_error(both, sql, detail)
