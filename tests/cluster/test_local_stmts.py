"""The leader's in-memory SQLite keeps its prepared statements for reuse
(leader/lead_local.c, storage/stmt_cache.c; docs/plan_cache.md, "The
leader's own SQLite").  An INSERT's values, a SELECT without distributed
tables and the catalog views run there; with the plan cache (its integer
literals as parameters) the same text comes back with other values, so a
kept statement runs again.  Differential against PostgreSQL 15: each
answer must be the one a freshly prepared statement gives, also when what
the statement means changes between two uses of one text — a column's
default, TimeZone, the transaction (now()), a sequence, an error or a
statement_timeout interrupt in the previous use, the catalog views'
contents."""

import psycopg2
import pytest

from compare import block, copy_both


@pytest.fixture(scope="module", autouse=True)
def tables(db):
    db.exec_both("DROP TABLE IF EXISTS ls_t, ls_def, ls_tz, ls_div, ls_seq")
    db.exec_both("CREATE TABLE ls_t (id int PRIMARY KEY, v int, ts timestamptz DEFAULT now())")
    db.exec_both("CREATE TABLE ls_def (id int PRIMARY KEY, v int DEFAULT 5 + 0, w text)")
    db.exec_both("CREATE TABLE ls_tz (id int PRIMARY KEY, ts timestamptz, t timestamp)")
    db.exec_both("CREATE TABLE ls_div (id int PRIMARY KEY, q int)")
    db.exec_both("CREATE TABLE ls_seq (id serial PRIMARY KEY, v int)")
    return db


def test_now_same_in_a_block_new_in_the_next(db):
    # one INSERT text (its id a parameter of the kept plan, now() its last), four
    # uses in two blocks
    for ids in ((1, 2), (3, 4)):
        db.both("BEGIN")
        for i in ids:
            db.both("INSERT INTO ls_t (id, v, ts) VALUES (%d, %d * 2, now())" % (i, i))
        db.both("COMMIT")
    db.both("SELECT count(DISTINCT ts) FROM ls_t")
    db.both("SELECT a.id, b.id, a.ts = b.ts, a.ts < b.ts FROM ls_t a, ls_t b "
            "WHERE a.id < b.id ORDER BY 1, 2")
    db.both("SELECT id, v FROM ls_t ORDER BY id")


def test_now_default_same_in_a_block(db):
    # a column's DEFAULT now() is the transaction's start (sql/default_now.c)
    for ids in ((11, 12), (13, 14)):
        with block(db):
            for i in ids:
                db.both("INSERT INTO ls_t (id, v) VALUES (%d, %d * 2)" % (i, i))
    db.both("SELECT count(DISTINCT ts) FROM ls_t WHERE id BETWEEN 11 AND 14")
    db.both("SELECT a.id, b.id, a.ts = b.ts FROM ls_t a, ls_t b "
            "WHERE a.id < b.id AND a.id BETWEEN 11 AND 14 AND b.id <= 14 ORDER BY 1, 2")




def test_now_default_in_copy_in_a_block(db):
    # COPY fills the default once per statement, with the block's start
    for ids in ((21, 22, 23), (24, 25, 26)):
        with block(db):
            db.both("INSERT INTO ls_t (id, v) VALUES (%d, 0)" % ids[0])
            copy_both(db, "COPY ls_t (id, v) FROM STDIN", "%d\t1\n%d\t2\n" % ids[1:])
            db.both("SELECT count(*) FROM ls_t WHERE ts = now() AND id BETWEEN %d AND %d"
                    % (ids[0], ids[2]))
    db.both("SELECT count(DISTINCT ts) FROM ls_t WHERE id BETWEEN 21 AND 26")
    db.both("SELECT a.id, b.id, a.ts = b.ts FROM ls_t a, ls_t b "
            "WHERE a.id < b.id AND a.id BETWEEN 21 AND 26 AND b.id <= 26 ORDER BY 1, 2")
    copy_both(db, "COPY ls_t (id, v) FROM STDIN", "27\t3\n")  # outside: its own start
    db.both("SELECT ts > (SELECT max(ts) FROM ls_t WHERE id BETWEEN 21 AND 26), "
            "ts <= now() FROM ls_t WHERE id = 27")


def test_now_default_in_update_set_default_in_a_block(db):
    db.both("INSERT INTO ls_t (id, v, ts) VALUES (32, 0, '2000-01-01'), (33, 0, '2000-01-01')")
    with block(db):
        db.both("INSERT INTO ls_t (id, v) VALUES (31, 0)")
        db.both("UPDATE ls_t SET ts = DEFAULT WHERE id = 32")
        db.both("UPDATE ls_t SET v = 1, ts = DEFAULT WHERE id = 33")
        db.both("SELECT id FROM ls_t WHERE ts = now() AND id BETWEEN 31 AND 33 ORDER BY id")
    db.both("SELECT count(DISTINCT ts) FROM ls_t WHERE id BETWEEN 31 AND 33")


def test_default_changed_by_alter_between_two_inserts(db):
    db.both("INSERT INTO ls_def (id, w) VALUES (1, 'a')")
    db.exec_both("ALTER TABLE ls_def ALTER COLUMN v SET DEFAULT 7 * 3")
    db.both("INSERT INTO ls_def (id, w) VALUES (2, 'b')")
    db.exec_both("ALTER TABLE ls_def ALTER COLUMN v DROP DEFAULT")
    db.both("INSERT INTO ls_def (id, w) VALUES (3, 'c')")
    db.exec_both("ALTER TABLE ls_def ALTER COLUMN w SET DEFAULT 'x' || 'y'")
    db.both("INSERT INTO ls_def (id) VALUES (4)")
    db.both("INSERT INTO ls_def (id) VALUES (5)")
    db.both("SELECT id, v, w FROM ls_def ORDER BY id")


def test_timezone_changed_between_two_inserts_of_literals(db):
    try:
        for i, zone in enumerate(["UTC", "Asia/Tokyo", "America/New_York", "UTC"], 1):
            db.exec_both("SET TimeZone = '%s'" % zone)
            db.both("INSERT INTO ls_tz VALUES (%d, '2026-03-29 02:30:00', "
                    "'2026-03-29 02:30:00+05'::timestamptz)" % i)
            db.both("INSERT INTO ls_tz VALUES (%d, '2026-07-01 12:00'::timestamp, "
                    "'2026-01-01 00:00+00')" % (i + 10))
        db.exec_both("SET TimeZone = 'UTC'")
        db.both("SELECT id, ts::text, t::text FROM ls_tz ORDER BY id")
    finally:
        db.exec_both("RESET TimeZone")


def test_an_error_then_the_same_statement_again(db):
    for i, d in [(1, 5), (2, 0), (3, 2), (4, 0), (5, 0), (6, 7)]:
        db.both("INSERT INTO ls_div VALUES (%d, 100 / %d)" % (i, d))
    db.both("SELECT id, q FROM ls_div ORDER BY id")
    for x in ["3", "2147483647", "4"]:  # 22003 in the leader's values, then fine again
        db.both("INSERT INTO ls_div VALUES (10 + %s %% 7, %s + 1)" % (x, x))
    db.both("SELECT id, q FROM ls_div ORDER BY id")


def test_sequence_default_advances_through_one_statement(db):
    for v in range(1, 6):
        db.both("INSERT INTO ls_seq (v) VALUES (%d) RETURNING id, v" % (v * 10))
    db.both("SELECT id, v FROM ls_seq ORDER BY id")


RECURSIVE = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400000) "
             "SELECT count(*), sum(x) FROM c")


def test_statement_interrupted_by_timeout_runs_whole_next_time(db):
    cur = db.m.cursor()
    try:
        cur.execute("SET statement_timeout = 5")
        for _ in range(2):
            with pytest.raises(psycopg2.Error) as ei:
                cur.execute(RECURSIVE)
            assert ei.value.pgcode == "57014"
        cur.execute("SET statement_timeout = 0")
        cur.execute(RECURSIVE)
        assert cur.fetchone() == (400000, 400000 * 400001 // 2)
    finally:
        cur.execute("RESET statement_timeout")
        cur.close()
    db.both(RECURSIVE)


def test_catalog_view_text_sees_each_change(db):
    q = ("SELECT relname::text FROM pg_class WHERE relname LIKE 'ls\\_v%' AND relkind = 'r' "
         "ORDER BY relname")
    db.exec_both("DROP TABLE IF EXISTS ls_v1, ls_v2")
    db.both(q)
    db.exec_both("CREATE TABLE ls_v1 (a int)")
    db.both(q)
    db.exec_both("CREATE TABLE ls_v2 (a int)")
    db.both(q)
    db.exec_both("DROP TABLE ls_v1")
    db.both(q)
    db.exec_both("DROP TABLE ls_v2")


# A set operation runs on the leader as one text for any width (sql/plan_subq.c:
# SELECT * FROM (SELECT * FROM main."murphy__sub0" UNION ALL SELECT * FROM ...)) over
# tables made anew for each query, one or several columns wide: the kept statement is
# re-prepared by its first step, and its column count is the one after that step.
WIDTHS = [
    "SELECT id FROM ls_so UNION ALL SELECT null",
    "SELECT * FROM (SELECT id, w FROM ls_so UNION ALL SELECT null, null) s ORDER BY 1, 2",
    "SELECT * FROM (SELECT id FROM ls_so UNION ALL SELECT null) s ORDER BY 1",
    "WITH x AS (SELECT id, w FROM ls_so UNION ALL SELECT null, null) SELECT * FROM x "
    "ORDER BY 1, 2",
    "SELECT count(*) FROM (SELECT id, w FROM ls_so WHERE id < 0 "
    "UNION ALL SELECT id, w FROM ls_so WHERE id < 0) s",
    "SELECT * FROM (SELECT id, w, v FROM ls_so UNION ALL SELECT null, null, null) s "
    "ORDER BY 1, 2, 3",
    "SELECT * FROM (SELECT id FROM ls_so UNION ALL SELECT null) s ORDER BY 1",
]


def test_set_operation_text_over_tables_of_other_widths(db):
    db.exec_both("DROP TABLE IF EXISTS ls_so")
    db.exec_both("CREATE TABLE ls_so (id int PRIMARY KEY, w text, v int)")
    db.exec_both("INSERT INTO ls_so VALUES (1, 'a', 10), (2, NULL, 20), (3, 'c', NULL)")
    for sql in WIDTHS + WIDTHS[::-1]:
        db.both(sql)
    with block(db):
        db.exec_both("INSERT INTO ls_so VALUES (4, 'd', 40)")
        db.both("INSERT INTO ls_so SELECT id + 10, w, v FROM ls_so UNION ALL "
                "SELECT 100, null, null")
        db.both(WIDTHS[1])
    db.both("SELECT id, w, v FROM ls_so ORDER BY id")
