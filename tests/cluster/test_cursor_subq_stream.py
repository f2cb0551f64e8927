"""Cursors stream statements whose subqueries run first (issue 20): an
uncorrelated scalar, IN / ANY / ALL or EXISTS subquery runs once before
the statement and binds a parameter (sql/plan_subq.c); a cursor runs them
once, in its first batch, and reads the rest of the statement in batches
with their values bound (leader/lead_stream.c bind_subs), as it streams
the statement without them (plain scans, co-located joins, GROUP BY of the
distribution column, ORDER BY merges, LIMIT / OFFSET).

The rows must be exactly the whole query's: each statement is read
through a cursor (FETCH n, several n) and compared with PostgreSQL 15's
and murphy's own whole SELECT.  The subqueries are computed once: a
change to the table a subquery reads, made between FETCHes, does not
change the rows of later batches.  The memory test reads the leader's peak
RSS around a join with a subquery read through a cursor and fetched whole:
on a binary that computes it whole for a cursor (murphy-s18) the two grow
alike."""
import io
import random

import pytest

from test_cursor_stream import cursor_rows, raw_execute_max_rows
from test_cursor_whole_stream import check, cursor_line, growth, whole

NO = 3000


@pytest.fixture(scope="module")
def tables(db):
    db.exec_both("CREATE TABLE o (id int PRIMARY KEY, cust int, note text)")
    db.exec_both("CREATE TABLE li (oid int, ln int, qty int, t text, PRIMARY KEY (oid, ln))")
    db.exec_both("CREATE TABLE knob (k int PRIMARY KEY, v int)")
    db.exec_both("INSERT INTO knob VALUES (1, 7), (2, NULL), (3, 40), (4, 7)")
    rnd = random.Random(21)
    o, li = [], []
    for i in range(NO):
        o.append("%d\t%s\t%s\n" % (i, "\\N" if i % 29 == 0 else rnd.randrange(50),
                                   "\\N" if i % 7 == 0 else "n%d" % rnd.randrange(9)))
        for ln in range(rnd.randrange(5)):
            li.append("%d\t%d\t%d\t%s\n" % (i, ln, rnd.randrange(100),
                                            "\\N" if rnd.randrange(9) == 0 else
                                            rnd.choice(["a", "b", "n3", ""])))
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.copy_expert("COPY o FROM STDIN", io.StringIO("".join(o)))
            cur.copy_expert("COPY li FROM STDIN", io.StringIO("".join(li)))
    return db


STREAMED = [
    # plain scans
    ("SELECT id, note FROM o WHERE cust > (SELECT v FROM knob WHERE k = 3)", None),
    ("SELECT id, cust FROM o WHERE cust IN (SELECT v FROM knob)", None),  # a NULL in the set
    ("SELECT id FROM o WHERE cust NOT IN (SELECT v FROM knob WHERE v IS NOT NULL)", None),
    ("SELECT id, cust FROM o WHERE EXISTS (SELECT 1 FROM knob WHERE v > %s)", (30,)),
    ("SELECT id, cust FROM o WHERE cust IS DISTINCT FROM (SELECT v FROM knob WHERE k = 2)",
     None),  # NULL
    ("SELECT id, cust < ALL (SELECT v FROM knob WHERE v IS NOT NULL) FROM o", None),
    ("SELECT id, (SELECT max(qty) FROM li) - cust, note FROM o", None),
    # a set operation's branches gathered into leader tables feed the IN set
    ("SELECT id, note FROM o WHERE note IN (SELECT t FROM li WHERE qty > 50 "
     "UNION SELECT 'n4')", None),
    # correlated subqueries decorrelated into sets run once first
    ("SELECT id, cust FROM o WHERE EXISTS (SELECT 1 FROM li WHERE li.t = o.note)", None),
    ("SELECT id, (SELECT max(qty) FROM li WHERE li.t = o.note) FROM o", None),
    # a co-located join, GROUP BY of the distribution column, DISTINCT
    ("SELECT o.id, li.ln, li.qty FROM o JOIN li ON o.id = li.oid "
     "WHERE li.qty >= (SELECT avg(qty) FROM li) AND o.note IN (SELECT t FROM li)", None),
    ("SELECT oid, count(*), sum(qty) FROM li WHERE t <> ALL (SELECT note FROM o "
     "WHERE id < %s AND note IS NOT NULL) GROUP BY oid", (40,)),
    ("SELECT DISTINCT oid, t FROM li WHERE qty < (SELECT max(v) FROM knob)", None),
]


@pytest.mark.parametrize("sql,params", STREAMED)
def test_subquery_cursor_rows_are_the_whole_selects(tables, sql, params):
    line = cursor_line(tables, sql, params)
    assert line.startswith("Cursor: streams"), line
    assert line.endswith("the subqueries run once, before the first batch"), line
    assert len(check(tables, sql, params)) > 50


SORTED = [
    ("SELECT id, cust FROM o WHERE cust IN (SELECT v FROM knob) ORDER BY cust, id DESC", None),
    ("SELECT oid, count(*) AS c FROM li WHERE qty > (SELECT min(qty) FROM li) "
     "GROUP BY oid ORDER BY c DESC, oid LIMIT 900 OFFSET %s", (100,)),
    ("SELECT o.id, li.qty FROM o JOIN li ON o.id = li.oid WHERE o.cust <> "
     "(SELECT v FROM knob WHERE k = 1) ORDER BY li.qty, o.id, li.ln OFFSET 17", None),
    # ORDER BY a subquery's value (bound once: a stable sort value)
    ("SELECT id, cust FROM o ORDER BY abs(cust - (SELECT max(v) FROM knob)) NULLS FIRST, id "
     "LIMIT 2000", None),
]


@pytest.mark.parametrize("sql,params", SORTED)
def test_subquery_sorted_cursor(tables, sql, params):
    assert cursor_line(tables, sql, params).startswith("Cursor: streams"), sql
    assert len(check(tables, sql, params, ordered=True, fetches=(1, 333, 10000))) > 100


def test_subquery_pins_one_shard(tables):
    """dist_col = (SELECT ...) reads the one shard its value names."""
    sql = "SELECT id, note FROM o WHERE id = (SELECT max(v) FROM knob)"
    assert cursor_line(tables, sql).startswith("Cursor: streams")
    assert len(check(tables, sql, fetches=(1, 2, 100))) == 1


def test_subqueries_run_once_at_declare(cluster, tables):
    """A change to knob between FETCHes: the later batches (other shards)
    still use the value read at the first; the rows are those of the
    statement with the first value, each once."""
    sql = ("SELECT id, cust FROM o WHERE cust = (SELECT v FROM knob WHERE k = 1) "
           "OR cust IN (SELECT v FROM knob WHERE k = 4)")
    want = sorted(whole(tables.m, sql))
    assert len(want) > 40
    other = cluster.connect()
    conn = tables.m
    conn.autocommit = False
    try:
        with conn.cursor() as cur:
            cur.execute("DECLARE c NO SCROLL CURSOR FOR " + sql)
            cur.execute("FETCH 1 FROM c")
            got = cur.fetchall()
            other.cursor().execute("UPDATE knob SET v = 8 WHERE k IN (1, 4)")
            while True:
                cur.execute("FETCH 5 FROM c")
                rows = cur.fetchall()
                got.extend(rows)
                if len(rows) < 5:
                    break
    finally:
        conn.rollback()
        conn.autocommit = True
        other.cursor().execute("UPDATE knob SET v = 7 WHERE k IN (1, 4)")
        other.close()
    assert sorted(got) == want


def test_subquery_error_ends_the_cursor(tables):
    """A scalar subquery of more than one row: PostgreSQL's error (21000)."""
    import psycopg2
    for conn in (tables.m, tables.p):
        conn.autocommit = False
        try:
            with pytest.raises(psycopg2.Error) as e:
                with conn.cursor() as cur:
                    cur.execute("DECLARE c CURSOR FOR SELECT id FROM o "
                                "WHERE cust = (SELECT v FROM knob)")
                    cur.execute("FETCH 10 FROM c")
            assert e.value.pgcode == "21000"
        finally:
            conn.rollback()
            conn.autocommit = True


@pytest.mark.parametrize("sql,ordered", [
    ("SELECT id, note FROM o WHERE cust < $1 AND cust IN (SELECT v + $1 - 20 FROM knob)", False),
    ("SELECT oid, sum(qty) FROM li WHERE qty > (SELECT min(qty) + $1 FROM li) GROUP BY oid "
     "ORDER BY sum(qty) DESC, oid", True),
])
def test_raw_execute_max_rows_with_subqueries(cluster, pg, pgconn, tables, sql, ordered):
    """Execute with max rows (JDBC's fetch size), a parameter inside the
    subquery too: PostgreSQL's rows, PortalSuspended count and final tag."""
    line = cursor_line(tables, sql.replace("$1", "20"))
    assert line.startswith("Cursor: streams"), line
    m = raw_execute_max_rows(cluster.port, b"murphy", sql, ["20"], 30)
    p = raw_execute_max_rows(pg.port, pgconn.info.dbname.encode(), sql, ["20"], 30,
                             user=b"postgres")
    assert len(m[0]) == len(p[0]) > 40
    assert (m[0] if ordered else sorted(m[0])) == (p[0] if ordered else sorted(p[0]))
    assert (m[1], m[2]) == (p[1], p[2]), (m[1:], p[1:])


def test_close_mid_stream_then_again(tables):
    """CLOSE after the first batch, DECLARE again in the block: rows as
    PostgreSQL's (nothing of the first cursor's subqueries stays)."""
    sql = "SELECT id FROM o WHERE cust > (SELECT v FROM knob WHERE k = 1) ORDER BY id"
    res = []
    for conn in (tables.m, tables.p):
        conn.autocommit = False
        with conn.cursor() as cur:
            cur.execute("DECLARE c CURSOR FOR " + sql)
            cur.execute("FETCH 3 FROM c")
            first = cur.fetchall()
            cur.execute("CLOSE c")
            cur.execute("DECLARE c CURSOR FOR " + sql.replace("k = 1", "k = 3"))
            cur.execute("FETCH ALL FROM c")
            res.append((first, cur.fetchall()))
        conn.rollback()
        conn.autocommit = True
    assert res[0] == res[1] and len(res[0][1]) > 100


NBIG = 200000


def test_subquery_cursor_memory_is_bounded(cluster, tables):
    """A co-located join of 200k rows filtered by a scalar and an IN
    subquery, read to the end through a cursor: the leader's peak RSS
    grows by a small part of what the same join fetched whole makes it
    grow.  On murphy-s18 the cursor computes the join whole first."""
    m = tables.m
    m.cursor().execute("CREATE TABLE wo (id int PRIMARY KEY, pad text)")
    m.cursor().execute("CREATE TABLE wb (id int, ln int, pad text, PRIMARY KEY (id, ln))")
    with m.cursor() as cur:
        cur.copy_expert("COPY wo FROM STDIN", io.StringIO(
            "".join("%d\t%s%d\n" % (i, "o" * 40, i) for i in range(NBIG // 2))))
        cur.copy_expert("COPY wb FROM STDIN", io.StringIO(
            "".join("%d\t%d\t%s%d\n" % (i // 2, i % 2, "p" * 60, i) for i in range(NBIG))))
    sql = ("SELECT wo.id, wo.pad, wb.ln, wb.pad FROM wo JOIN wb ON wo.id = wb.id "
           "WHERE wo.id >= (SELECT min(k) - 1 FROM knob) AND wb.ln IN (SELECT k - 1 FROM knob)")
    conn = cluster.connect()
    cursor_kb = growth(cluster, conn, sql, NBIG, 1000)
    whole_kb = growth(cluster, conn, sql, NBIG)
    conn.close()
    assert whole_kb > 40000, whole_kb
    assert cursor_kb * 8 < whole_kb, (cursor_kb, whole_kb)
