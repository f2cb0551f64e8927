"""PostgreSQL's error fields for bad input, checked against PostgreSQL 15.

Not just the SQLSTATE: the primary message, DETAIL and CONTEXT must be
PostgreSQL's own (psycopg2's e.diag).  ON CONFLICT with a target that is
no unique key (42P10) or names no constraint (42704, 42809).
"""
import io

import psycopg2
import pytest


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for t in ("uk", "pk2", "plain"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE uk (k int PRIMARY KEY, a int, b int, c int CHECK (c > 0))")
    db.exec_both("CREATE UNIQUE INDEX uk_ab ON uk (k, a, b)")
    db.exec_both("CREATE TABLE pk2 (a int, b int, v int, PRIMARY KEY (a, b))")
    db.exec_both("CREATE TABLE plain (k int, v text)")
    db.exec_both("INSERT INTO uk VALUES (1, 1, 1, 1)")
    return db


def fields(conn, sql):
    cur = conn.cursor()
    try:
        cur.execute(sql)
    except psycopg2.Error as e:
        d = e.diag
        return (e.pgcode, d.message_primary, d.message_detail, d.context)
    finally:
        cur.close()
    raise AssertionError("did not fail: " + sql)


def same_error(db, sql, sqlstate):
    """Both fail with sqlstate and the same message, DETAIL and CONTEXT."""
    p = fields(db.p, sql)
    assert p[0] == sqlstate, "test is wrong: PostgreSQL gives %r for %s" % (p, sql)
    m = fields(db.m, sql)
    assert m == p, "\n  sql: %s\n  murphy:   %r\n  postgres: %r" % (sql, m, p)
    return m


@pytest.mark.parametrize("sql", [
    "INSERT INTO uk VALUES (2, 2, 2, 2) ON CONFLICT (a) DO NOTHING",
    "INSERT INTO uk VALUES (2, 2, 2, 2) ON CONFLICT (a) DO UPDATE SET b = 0",
    "INSERT INTO uk VALUES (2, 2, 2, 2) ON CONFLICT (k, a) DO UPDATE SET b = 0",
    "INSERT INTO pk2 VALUES (1, 1, 1) ON CONFLICT (a) DO UPDATE SET v = 0",
    "INSERT INTO pk2 VALUES (1, 1, 1) ON CONFLICT (b) DO NOTHING",
    "INSERT INTO plain VALUES (1, 'x') ON CONFLICT (k) DO NOTHING",
    "INSERT INTO plain VALUES (1, 'x') ON CONFLICT (k) DO UPDATE SET v = 'y'",
])
def test_on_conflict_no_matching_key(db, sql):
    same_error(db, sql, "42P10")


@pytest.mark.parametrize("sql,state", [
    ("INSERT INTO uk VALUES (2, 2, 2, 2) ON CONFLICT ON CONSTRAINT nope DO NOTHING", "42704"),
    ("INSERT INTO uk VALUES (2, 2, 2, 2) ON CONFLICT ON CONSTRAINT nope DO UPDATE SET a = 0",
     "42704"),
    ("INSERT INTO uk VALUES (2, 2, 2, 2) ON CONFLICT ON CONSTRAINT uk_c_check DO NOTHING",
     "42809"),
])
def test_on_conflict_on_constraint_unknown(db, sql, state):
    same_error(db, sql, state)


def test_on_conflict_matching_targets_still_work(db):
    # the full key in any order, duplicates, the unique index's columns, the pk's name
    db.both("INSERT INTO pk2 VALUES (1, 1, 1) ON CONFLICT (b, a) DO UPDATE SET v = 5")
    db.both("INSERT INTO pk2 VALUES (1, 1, 1) ON CONFLICT (a, b, a) DO NOTHING")
    db.both("INSERT INTO uk VALUES (1, 1, 1, 1) ON CONFLICT (b, a, k) DO NOTHING")
    db.both("INSERT INTO uk VALUES (1, 1, 1, 1) ON CONFLICT ON CONSTRAINT uk_pkey DO NOTHING")
    db.both("SELECT * FROM pk2 ORDER BY a, b")
    db.both("SELECT * FROM uk ORDER BY k")


# ---- COPY FROM: PostgreSQL's CONTEXT field, not text in the message ----

def copy_fields(conn, table, data):
    cur = conn.cursor()
    try:
        cur.copy_expert("COPY %s FROM STDIN" % table, io.StringIO(data))
    except psycopg2.Error as e:
        d = e.diag
        return (e.pgcode, d.message_primary, d.message_detail, d.context)
    finally:
        cur.close()
    raise AssertionError("COPY did not fail: %r" % data)


@pytest.mark.parametrize("data,state", [
    ("1\t1\t1\t1\n2\tx\t1\t1\n", "22P02"),                  # column a: "x"
    ("1\t1\t1\t1\n2\t2\n", "22P04"),                        # missing data for column "b"
    ("1\t1\t1\t1\t5\n", "22P04"),                           # extra data after last column
    ("1\t%s\t1\t1\n" % ("9" * 150), "22003"),               # out of range, value cut at 100
    ("7\t1\t1\t1\n8\t1\t1\t1\n9\t2\t2\t2\t%s\n" % ("é" * 80), "22P04"),  # line cut at 100
])
def test_copy_error_context(db, data, state):
    db.exec_both("DELETE FROM uk")
    p = copy_fields(db.p, "uk", data)
    assert p[0] == state, "test is wrong: PostgreSQL gives %r" % (p,)
    m = copy_fields(db.m, "uk", data)
    assert m == p, "\n  murphy:   %r\n  postgres: %r" % (m, p)


# ---- 23502: "Failing row contains (...)." ----

@pytest.fixture(scope="module")
def nn(db):
    db.exec_both("DROP TABLE IF EXISTS nn")
    db.exec_both("CREATE TABLE nn (k int PRIMARY KEY, a text NOT NULL, b numeric, "
                 "c boolean, d date, e text)")
    return db


@pytest.mark.parametrize("sql", [
    "INSERT INTO nn VALUES (1, NULL, 2.50, true, '2024-01-02', 'x')",
    "INSERT INTO nn (k, b) VALUES (2, 7)",
    "INSERT INTO nn VALUES (3, 'ok', 1, false, NULL, NULL), (4, NULL, NULL, NULL, NULL, '%s')"
    % ("y" * 90),
    "INSERT INTO nn VALUES (5, NULL, 1, 't', '2024-02-29', 'é%s')" % ("é" * 70),
])
def test_not_null_failing_row(nn, sql):
    same_error(nn, sql, "23502")


def test_not_null_failing_row_copy(nn):
    data = "10\tok\t1\tt\t2024-01-01\tz\n11\t\\N\t1.5\tf\t\\N\tw\n"
    p = copy_fields(nn.p, "nn", data)
    assert p[0] == "23502", "test is wrong: PostgreSQL gives %r" % (p,)
    m = copy_fields(nn.m, "nn", data)
    assert m == p, "\n  murphy:   %r\n  postgres: %r" % (m, p)
