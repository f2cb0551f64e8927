"""23502 of an UPDATE and 23514 (CHECK) of INSERT, UPDATE, upserts and
COPY carry PostgreSQL's DETAIL "Failing row contains (...)." — found in
the shard, which re-runs the failed execution to see the row
(storage/failrow.c) and prints it by the types the statement's tag names
(common/failing_row.h).  Each statement runs on murphy and PostgreSQL 15:
SQLSTATE, message and DETAIL must be equal, byte for byte, for int, text
(cut at 64 bytes), numeric, NULL, boolean, date, timestamp and
timestamptz (in UTC, the sessions' zone here).

On murphy-s22 none of these had a DETAIL: each case fails there.
"""
import io

import psycopg2
import pytest

COLS = ("(id int PRIMARY KEY, n int CHECK (n > 0), t text, b boolean, ts timestamp, "
        "tz timestamptz, num numeric NOT NULL DEFAULT 1.50, d date)")
ROW1 = ("(1, 1, 'x', true, '2024-01-02 03:04:05', '2024-01-02 03:04:05+00', 2.50, "
        "'2024-02-29')")


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for t in ("fr", "frr", "frk"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    for conn, dist, ref in ((db.m, " WITH (shards = 4)", " WITH (distribution = 'reference')"),
                            (db.p, "", "")):
        with conn.cursor() as cur:
            cur.execute("SET TimeZone = 'UTC'")
            cur.execute("CREATE TABLE fr " + COLS + dist)
            cur.execute("CREATE TABLE frr " + COLS + ref)
            # keyless: murphy's hidden row id is left out of the row
            cur.execute("CREATE TABLE frk (a int, b text NOT NULL, c int CHECK (c <> 3))")
    for t in ("fr", "frr"):
        db.exec_both("INSERT INTO %s VALUES %s, (2, 2, 'y', false, NULL, NULL, 0, NULL)"
                     % (t, ROW1))
    db.exec_both("INSERT INTO frk VALUES (1, 'x', 1)")
    return db


def fields(conn, sql, copy=None):
    try:
        with conn.cursor() as cur:
            if copy is not None:
                cur.copy_expert(sql, io.StringIO(copy))
            else:
                cur.execute(sql)
    except psycopg2.Error as e:
        if not conn.autocommit:
            conn.rollback()
        d = e.diag
        return (e.pgcode, d.message_primary, d.message_detail)
    return None


def same(db, sql, sqlstate, copy=None):
    p = fields(db.p, sql, copy)
    assert p and p[0] == sqlstate and p[2], "test is wrong: PostgreSQL gives %r" % (p,)
    m = fields(db.m, sql, copy)
    assert m == p, "\n  sql: %s\n  murphy:   %r\n  postgres: %r" % (sql, m, p)


LONG = "é" * 40 + "z" * 10  # 90 bytes: cut at 64 on a character boundary


@pytest.mark.parametrize("table", ["fr", "frr"])
@pytest.mark.parametrize("sql, state", [
    ("UPDATE {t} SET num = NULL WHERE id = 1", "23502"),
    ("UPDATE {t} SET n = -5 WHERE id = 1", "23514"),
    ("UPDATE {t} SET n = 0, t = '%s' WHERE id = 2" % LONG, "23514"),
    # a string that looks like murphy's row-types tag does not mislead the shard
    ("UPDATE {t} SET n = -1, t = '/*murphy:row_types 23 \"zz\"*/' WHERE id = 2", "23514"),
    ("INSERT INTO {t} VALUES (3, 0, NULL, false, NULL, NULL, 0.1e2, NULL)", "23514"),
    ("INSERT INTO {t} (id, n) VALUES (3, 0)", "23514"),
    ("INSERT INTO {t} (id, n, t) VALUES (5, 1, 'a'), (6, 2, 'b'), (7, -7, 'c')", "23514"),
    ("INSERT INTO {t} SELECT id + 10, n - 2, t, b, ts, tz, num, d FROM {t} WHERE id = 1",
     "23514"),
    ("INSERT INTO {t} VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET n = -1", "23514"),
    ("INSERT INTO {t} VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET num = NULL", "23502"),
])
def test_failing_row(db, table, sql, state):
    same(db, sql.format(t=table), state)


@pytest.mark.parametrize("sql, state", [
    ("INSERT INTO frk VALUES (2, 'y', 3)", "23514"),
    ("UPDATE frk SET b = NULL", "23502"),
    ("UPDATE frk SET c = 3", "23514"),
])
def test_failing_row_keyless(db, sql, state):
    same(db, sql, state)


def test_failing_row_after_alter(db):
    # ALTER COLUMN TYPE rebuilds the column at the end of the shard's table
    # (the old one kept aside): the row still prints in the table's order
    db.exec_both("DROP TABLE IF EXISTS fra")
    db.exec_both("CREATE TABLE fra (id int PRIMARY KEY, p int, n int CHECK (n > 0), "
                 "t varchar(5) NOT NULL, f float8)")
    db.exec_both("INSERT INTO fra VALUES (1, 1, 1, 'a', 1.5)")
    db.exec_both("ALTER TABLE fra ALTER COLUMN n TYPE numeric")
    same(db, "UPDATE fra SET n = -0.50 WHERE id = 1", "23514")
    db.exec_both("ALTER TABLE fra DROP COLUMN p")
    db.exec_both('ALTER TABLE fra RENAME COLUMN t TO "T x"')
    same(db, 'UPDATE fra SET "T x" = NULL WHERE id = 1', "23502")
    same(db, "INSERT INTO fra VALUES (2, 0, 'b')", "23514")


@pytest.mark.parametrize("table", ["fr", "frr"])
def test_failing_row_copy(db, table):
    data = ("20\t1\ta\tt\t\\N\t\\N\t1\t\\N\n"
            "21\t-1\tb\tf\t2024-01-01\t2024-01-01 00:00:00+02\t3.10\t2024-01-01\n")
    same(db, "COPY %s FROM STDIN" % table, "23514", copy=data)
    same(db, "COPY %s (id, n) FROM STDIN" % table, "23514", copy="22\t0\n")


def test_inside_a_block(db):
    for conn in (db.m, db.p):
        conn.autocommit = False
    try:
        same(db, "UPDATE fr SET n = -1 WHERE id = 2", "23514")
    finally:
        for conn in (db.m, db.p):
            conn.rollback()
            conn.autocommit = True
    db.both("SELECT * FROM fr ORDER BY id")
    db.both("SELECT * FROM frr ORDER BY id")


# ---- COPY: a row the shard refuses is reported at its line (CONTEXT) ----
#
# The shard names the refused row of its batch (mur_error.row), the leader
# the row's line: "COPY t, line N", with the line's text for a CHECK (found
# as PostgreSQL reads the line), without for a duplicate key (found at the
# batch's insert).  On murphy-s22 these had no CONTEXT.

def copy_context(conn, table, data, opts=""):
    try:
        with conn.cursor() as cur:
            cur.copy_expert("COPY %s FROM STDIN%s" % (table, opts), io.StringIO(data))
    except psycopg2.Error as e:
        d = e.diag
        return (e.pgcode, d.message_primary, d.message_detail, d.context)
    return None


MANY = "".join("%d\t1\tx\t\\N\t\\N\t\\N\t1\t\\N\n" % i for i in range(100, 160))


@pytest.mark.parametrize("data, opts, state", [
    ("30\t1\ta\tt\t\\N\t\\N\t1\t\\N\n31\t-1\tb\tf\t\\N\t\\N\t1\t\\N\n", "", "23514"),
    (MANY + "161\t0\t%s\t\\N\t\\N\t\\N\t1\t\\N\n" % ("é" * 70), "", "23514"),  # text cut at 100
    ("32\t1\ta\tt\t\\N\t\\N\t1\t\\N\n1\t1\tdup\tt\t\\N\t\\N\t1\t\\N\n", "", "23505"),
    (MANY + "2\t1\tdup\t\\N\t\\N\t\\N\t1\t\\N\n", "", "23505"),
    # a quoted newline is a line of its own, as PostgreSQL counts them
    ('33,1,a,,,,1,\n34,-1,"q,\n x",,,,1,\n', " (FORMAT csv)", "23514"),
])
@pytest.mark.parametrize("table", ["fr", "frr"])
def test_copy_refused_row_context(db, table, data, opts, state):
    p = copy_context(db.p, table, data, opts)
    assert p and p[0] == state and p[3], "test is wrong: PostgreSQL gives %r" % (p,)
    m = copy_context(db.m, table, data, opts)
    assert m == p, "\n  murphy:   %r\n  postgres: %r" % (m, p)
