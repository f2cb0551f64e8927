"""Writes and point reads with their literals inline, checked against
PostgreSQL (follcpu, issue 16).

A follower prepares a primary's write or a point read once per shape, its
integer and string literals bound as parameters (storage/sqlshape.c), and
captures a one-statement UPDATE or DELETE with its own preupdate hook
instead of sqlite3session (storage/capture_rows.c).  Here many statements
of one shape with different literals (the prepared statement reused with
each one's values), literals that hold quotes, '?', '$1', '--' and '/*',
negative and 19-digit integers, reals,
updates that change nothing, change the key, or several rows, and deletes:
every statement's answer and the table after it must be PostgreSQL's.
"""
import pytest

DDL = ("CREATE TABLE ws (k text PRIMARY KEY, n bigint, r double precision, "
       "t text, b bytea)")


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    db.exec_both("DROP TABLE IF EXISTS ws")
    db.exec_both(DDL)
    db.exec_both("INSERT INTO ws VALUES " + ", ".join(
        "('k%d', %d, %d.5, 't%d', '\\x%02x')" % (i, i, i, i, i) for i in range(1, 41)))
    return db


def check(db):
    db.both("SELECT k, n, r, t, b FROM ws ORDER BY k")


def test_one_shape_many_literals(db):
    for i in range(1, 31):
        db.both("UPDATE ws SET n = n + %d, t = 'v%d' WHERE k = 'k%d' RETURNING k, n, t"
                % (i * 7 - 100, i, i))
        db.both("SELECT n, t FROM ws WHERE k = 'k%d'" % (31 - i))
    check(db)


def test_literals_that_look_like_syntax(db):
    for text in ("it''s", "?", "?1", "$1", "-- not a comment", "/* nor this */",
                 "ORDER BY 1", "''''", "", "é ü 中"):
        db.both("UPDATE ws SET t = '%s' WHERE k = 'k3' RETURNING t" % text)
        db.both("SELECT k FROM ws WHERE t = '%s'" % text)
    db.both("UPDATE ws SET n = -9223372036854775807, r = -0.25 WHERE k = 'k4' RETURNING n, r")
    db.both("UPDATE ws SET n = 1234567890123456789 WHERE k = 'k5' RETURNING n")
    db.both("UPDATE ws SET r = 1e3, n = 007 WHERE k = 'k6' RETURNING r, n")
    check(db)


def test_updates_that_change_nothing_the_key_or_many_rows(db):
    db.both("UPDATE ws SET n = n WHERE k = 'k7'")
    db.both("UPDATE ws SET t = t || '' WHERE k LIKE 'k1%'")
    db.both("UPDATE ws SET n = n * 2, b = '\\xff' WHERE n > 20 AND n < 35")
    db.both("UPDATE ws SET t = upper(t) || '-' || 2 WHERE k = 'k10' RETURNING t")
    check(db)


def test_update_of_a_key_column(db):
    # m is part of the table's key but not its distribution column: the
    # follower's row changes key (row capture hands it to the session)
    db.exec_both("DROP TABLE IF EXISTS wk")
    db.exec_both("CREATE TABLE wk (k text, m int, v int, PRIMARY KEY (k, m))")
    db.exec_both("INSERT INTO wk VALUES ('a', 1, 10), ('a', 2, 20), ('b', 1, 30)")
    db.both("UPDATE wk SET m = m + 10, v = v + 1 WHERE k = 'a' RETURNING k, m, v")
    db.both("UPDATE wk SET m = 5 WHERE k = 'b' AND m = 1")
    db.both("SELECT * FROM wk ORDER BY k, m")


def test_deletes(db):
    db.both("DELETE FROM ws WHERE k = 'k11' RETURNING k, n")
    db.both("DELETE FROM ws WHERE k IN ('k12', 'k13', 'missing')")
    db.both("DELETE FROM ws WHERE n > 60")
    db.both("INSERT INTO ws VALUES ('k11', 11, 1.5, 'back', NULL)")
    check(db)
