"""CURRENT_DATE and LOCALTIMESTAMP (like now() and CURRENT_TIMESTAMP) are
the transaction's start, as in PostgreSQL: in a query and as a column's
DEFAULT, filled by INSERT, UPDATE ... SET c = DEFAULT and COPY, every row
and statement of a block gets the same value (parser/analyze_tz.c,
sql_tz_clock, through sql_analyze_xact_now; sql/default_now.c binds a
stored default).  Each block runs on murphy and PostgreSQL and the
answers about it must be equal.

A DEFAULT is on the wall clock of the session that fills it (the zone
binds like the time: mur_session_zone(), sql/default_now.c), not of the
one that made the table.

On murphy-s23 LOCALTIMESTAMP read the clock at each row and a DEFAULT
kept the zone of its CREATE TABLE: 6 of the 8 tests fail there.
CURRENT_TIME and LOCALTIME are 0A000 (murphy has no time type).
"""
import time

import pytest

from compare import block, copy_both


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    db.exec_both("DROP TABLE IF EXISTS dt_t")
    db.exec_both("CREATE TABLE dt_t (id int PRIMARY KEY, v int, "
                 "lts timestamp DEFAULT LOCALTIMESTAMP, d date DEFAULT CURRENT_DATE, "
                 "cts timestamptz DEFAULT CURRENT_TIMESTAMP, lts3 timestamp DEFAULT "
                 "LOCALTIMESTAMP(3))")
    return db




# every row written in the block holds the block's start
CHECK = ("SELECT count(*), min(lts) = max(lts), min(d) = max(d), min(cts) = max(cts), "
         "bool_and(lts = LOCALTIMESTAMP), bool_and(lts = now()::timestamp), "
         "bool_and(d = CURRENT_DATE), bool_and(cts = now()), "
         "bool_and(lts3 = LOCALTIMESTAMP(3)) FROM dt_t WHERE id BETWEEN %d AND %d")


def test_insert_defaults_in_a_block(db):
    with block(db):
        db.both("INSERT INTO dt_t (id, v) VALUES (1, 1), (2, 2)")
        time.sleep(0.02)
        db.both("INSERT INTO dt_t (id, v) SELECT g, g FROM generate_series(3, 200) g")
        time.sleep(0.02)
        db.both(CHECK % (1, 200))


def test_update_set_default_in_a_block(db):
    db.exec_both("INSERT INTO dt_t (id, v, lts, d, cts, lts3) VALUES "
                 "(301, 0, '2001-01-01', '2001-01-01', '2001-01-01', '2001-01-01'), "
                 "(302, 0, '2001-01-01', '2001-01-01', '2001-01-01', '2001-01-01')")
    with block(db):
        time.sleep(0.02)
        db.both("UPDATE dt_t SET lts = DEFAULT, d = DEFAULT, cts = DEFAULT, lts3 = DEFAULT "
                "WHERE id = 301")
        time.sleep(0.02)
        db.both("UPDATE dt_t SET lts = DEFAULT, d = DEFAULT, cts = DEFAULT, lts3 = DEFAULT "
                "WHERE id = 302")
        db.both(CHECK % (301, 302))


def test_copy_defaults_in_a_block(db):
    with block(db):
        db.both("INSERT INTO dt_t (id, v) VALUES (401, 0)")
        time.sleep(0.02)
        copy_both(db, "COPY dt_t (id, v) FROM STDIN", "402\t1\n403\t2\n")
        db.both(CHECK % (401, 403))


def test_queries_in_a_block(db):
    with block(db):
        db.both("SELECT LOCALTIMESTAMP = now()::timestamp, CURRENT_DATE = now()::date")
        time.sleep(0.02)
        db.both("SELECT count(DISTINCT LOCALTIMESTAMP), bool_and(LOCALTIMESTAMP = "
                "now()::timestamp) FROM generate_series(1, 50)")


@pytest.mark.parametrize("expr", ["CURRENT_TIME", "LOCALTIME"])
def test_time_type_refused(db, expr):
    with db.m.cursor() as cur:
        with pytest.raises(Exception) as e:
            cur.execute("SELECT %s" % expr)
    assert e.value.pgcode == "0A000", e.value



def test_in_another_zone(db):
    # the inserting session's zone, not the one the table was made in
    with block(db):
        db.both("SET LOCAL TimeZone = 'Asia/Kolkata'")
        db.both("INSERT INTO dt_t (id, v) VALUES (501, 0)")
        copy_both(db, "COPY dt_t (id, v) FROM STDIN", "502\t1\n")
        time.sleep(0.02)
        db.both("SELECT LOCALTIMESTAMP = (now() AT TIME ZONE 'Asia/Kolkata'), "
                "CURRENT_DATE = (now() AT TIME ZONE 'Asia/Kolkata')::date")
        db.both(CHECK % (501, 502))


def test_same_statement_after_set_timezone(db):
    # a kept plan of the INSERT does not keep the zone it was made in
    for i, zone in ((601, "UTC"), (602, "America/Los_Angeles"), (603, "Asia/Tokyo"),
                    (604, "UTC")):
        db.both("SET TimeZone = '%s'" % zone)
        with block(db):
            db.both("INSERT INTO dt_t (id, v) VALUES (%d, 0)" % i)
            db.both("UPDATE dt_t SET lts = DEFAULT, d = DEFAULT WHERE id = %d" % (i - 100))
            db.both(CHECK % (i, i))
    db.both("RESET TimeZone")
