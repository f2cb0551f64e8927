"""Cursors stream queries whose result is complete per shard (issue 20):
co-located joins, GROUP BY / DISTINCT holding the distribution column,
windows partitioned by it, with or without ORDER BY (merged on the leader)
and LIMIT / OFFSET (sql/plan_batch_whole.c, leader/lead_stream.c).  Each
shard runs the whole query a keyset batch at a time over a unique order of
its result (the group values, the select list, the joined tables' keys).

The rows must be exactly the non-streamed query's: each query is read
through a cursor (FETCH n, several n) and compared with PostgreSQL 15's and
with murphy's own whole SELECT (as multisets without a total ORDER BY, as
lists with one).  EXPLAIN's Cursor line says which queries stream and why
the others are computed whole; the memory tests read the leader's peak RSS
(VmHWM) around a join and a GROUP BY read through a cursor and fetched
whole: on a binary that computes them whole for a cursor (murphy-s18) the
two grow alike."""
import decimal
import io
import random

import pytest

from test_cursor_stream import cursor_rows, raw_execute_max_rows, reset_hwm, vm_hwm_kb

NO = 3000  # orders; li has 0..6 lines each, nk duplicates and NULLs


@pytest.fixture(scope="module")
def tables(db):
    db.exec_both("CREATE TABLE o (id int PRIMARY KEY, cust int, note text)")
    db.exec_both("CREATE TABLE li (oid int, ln int, qty int, t text, n numeric, "
                 "PRIMARY KEY (oid, ln))")
    # no key: the hidden row id orders a shard's rows (the first column,
    # an integer NOT NULL, is the distribution column)
    db.exec_both("CREATE TABLE nk (oid int NOT NULL, v int, w text)")
    rnd = random.Random(20)
    o, li, nk = [], [], []
    for i in range(NO):
        o.append("%d\t%s\t%s\n" % (i, "\\N" if i % 29 == 0 else rnd.randrange(50),
                                   "\\N" if i % 7 == 0 else "n%d" % rnd.randrange(9)))
        for ln in range(rnd.randrange(7)):
            li.append("%d\t%d\t%d\t%s\t%s\n" % (
                i, ln, rnd.randrange(100), "\\N" if rnd.randrange(9) == 0 else
                rnd.choice(["a", "b", "B", "é", ""]),
                rnd.choice(["1.5", "1.50", "-2", "0.25", "\\N"])))
        if i % 3:
            row = "%d\t%s\t%s\n" % (i + NO // 2, "\\N" if i % 11 == 0 else i % 5,
                                    "\\N" if i % 13 == 0 else "w%d" % (i % 4))
            nk.extend([row] * (1 + i % 3))  # duplicate rows
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.copy_expert("COPY o FROM STDIN", io.StringIO("".join(o)))
            cur.copy_expert("COPY li FROM STDIN", io.StringIO("".join(li)))
            cur.copy_expert("COPY nk FROM STDIN", io.StringIO("".join(nk)))
    return db


def whole(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def norm(rows):
    """numeric by value: 1.5 and 1.50 are one group, either may show"""
    return [tuple(v.normalize() if isinstance(v, decimal.Decimal) else v for v in r)
            for r in rows]


def check(db, sql, params=None, ordered=False, fetches=(7, 1000)):
    """The cursor's rows are PostgreSQL's and murphy's whole SELECT's."""
    want = norm(whole(db.p, sql, params))
    same = norm(whole(db.m, sql, params))
    for n in fetches:
        got, _ = cursor_rows(db.m, sql, n, params)
        got = norm(got)
        for ref in (want, same):
            assert len(got) == len(ref), (sql, n)
            if ordered:
                assert got == ref, (sql, n)
            else:
                assert sorted(got, key=repr) == sorted(ref, key=repr), (sql, n)
    return want


def cursor_line(db, sql, params=None):
    lines = [r[0] for r in whole(db.m, "EXPLAIN " + sql, params)]
    return [ln.strip() for ln in lines if ln.strip().startswith("Cursor:")][-1]  # not a subquery's


STREAMED = [
    # co-located joins: duplicates (nk) and NULLs (LEFT / RIGHT / FULL)
    ("SELECT o.id, o.cust, li.ln, li.qty FROM o JOIN li ON o.id = li.oid", None),
    ("SELECT o.id, nk.v, nk.w FROM o LEFT JOIN nk ON o.id = nk.oid", None),
    ("SELECT o.id, nk.oid, nk.v FROM o FULL JOIN nk ON o.id = nk.oid", None),
    ("SELECT nk.w, o.note FROM nk RIGHT JOIN o ON o.id = nk.oid WHERE o.cust > %s", (20,)),
    ("SELECT o.id, li.ln, nk.v FROM o JOIN li ON li.oid = o.id JOIN nk ON nk.oid = o.id", None),
    # GROUP BY holding the distribution column: many groups, NULL groups
    ("SELECT oid, count(*), sum(qty), avg(n) FROM li GROUP BY oid", None),
    ("SELECT oid, t, count(*), max(n), min(qty) FROM li GROUP BY oid, t", None),
    ("SELECT o.id, o.cust, count(nk.v) FROM o LEFT JOIN nk ON o.id = nk.oid "
     "GROUP BY o.id, o.cust HAVING count(nk.v) <> 1", None),
    ("SELECT oid, w, count(*) FROM nk GROUP BY w, oid", None),
    ("SELECT oid, n, count(*), sum(qty) FROM li GROUP BY oid, n", None),  # 1.5 = 1.50
    # DISTINCT holding it
    ("SELECT DISTINCT oid, t FROM li", None),
    ("SELECT DISTINCT oid, v, w FROM nk", None),
    ("SELECT DISTINCT o.cust, o.id, li.t FROM o JOIN li ON o.id = li.oid", None),
    # windows partitioned by it
    ("SELECT oid, ln, qty, sum(qty) OVER (PARTITION BY oid ORDER BY ln), "
     "row_number() OVER (PARTITION BY oid ORDER BY qty, ln) FROM li", None),
    ("SELECT oid, v, w, count(*) OVER (PARTITION BY oid) FROM nk", None),
]


@pytest.mark.parametrize("sql,params", STREAMED)
def test_whole_query_cursor_rows_are_the_whole_selects(tables, sql, params):
    assert cursor_line(tables, sql, params).startswith("Cursor: streams: the query per shard")
    assert len(check(tables, sql, params)) > 100


SORTED = [
    ("SELECT oid, count(*) AS c, sum(qty) FROM li GROUP BY oid ORDER BY c DESC, oid", None),
    ("SELECT o.id, li.ln, li.qty FROM o JOIN li ON o.id = li.oid "
     "ORDER BY li.qty DESC, o.id, li.ln LIMIT 500 OFFSET 1000", None),
    ("SELECT DISTINCT oid, t FROM li ORDER BY t NULLS FIRST, oid DESC LIMIT 3000", None),
    ("SELECT oid, ln, rank() OVER (PARTITION BY oid ORDER BY qty) FROM li "
     "ORDER BY oid DESC, ln LIMIT %s OFFSET %s", (2000, 333)),
    ("SELECT id, cust FROM o ORDER BY cust % 7, id", None),  # an expression
    ("SELECT o.id, nk.v FROM o LEFT JOIN nk ON o.id = nk.oid "
     "ORDER BY nk.v NULLS FIRST, o.id OFFSET 10", None),
    ("SELECT oid, sum(n) FROM li GROUP BY oid ORDER BY sum(n) DESC NULLS LAST, oid", None),
    ("SELECT n, oid, count(*) FROM li GROUP BY oid, n ORDER BY n NULLS FIRST, oid", None),
    ("SELECT oid, max(t) FROM li GROUP BY oid HAVING count(*) > %s "
     "ORDER BY max(t) DESC, oid LIMIT %s OFFSET %s", (2, 700, 50)),
]


@pytest.mark.parametrize("sql,params", SORTED)
def test_whole_query_sorted_cursor(tables, sql, params):
    assert cursor_line(tables, sql, params).endswith("merged on the leader")
    assert len(check(tables, sql, params, ordered=True, fetches=(1, 333, 10000))) > 100


@pytest.mark.parametrize("sql", [
    "SELECT o.id, li.ln, li.qty FROM o JOIN li ON o.id = li.oid WHERE o.id = %s",
    "SELECT oid, t, count(*) FROM li WHERE oid = %s GROUP BY oid, t ORDER BY count(*) DESC, t",
    "SELECT o.id, nk.v, nk.w FROM o LEFT JOIN nk ON o.id = nk.oid WHERE o.id = %s",
])
def test_router_cursor_streams(tables, sql):
    """A query pinned to one shard streams from that shard alone."""
    assert cursor_line(tables, sql, (5,)).startswith("Cursor: streams: the query per shard")
    n = 0
    for key in list(range(0, 90, 7)) + [NO // 2 + 1, NO // 2 + 8, NO + 7]:
        n += len(check(tables, sql, (key,), ordered="ORDER BY" in sql, fetches=(1, 2, 100)))
    assert n > 10


@pytest.mark.parametrize("sql,ordered", [
    ("SELECT oid, count(*), sum(qty) FROM li WHERE qty <> $1 GROUP BY oid "
     "ORDER BY sum(qty) DESC, oid", True),
    ("SELECT o.id, li.ln, li.t FROM o JOIN li ON o.id = li.oid WHERE li.qty <> $1", False),
])
def test_raw_execute_max_rows_streams(cluster, pg, pgconn, tables, sql, ordered):
    """Execute with max rows (JDBC's fetch size) over a GROUP BY and a join:
    PostgreSQL's rows, PortalSuspended count and final tag."""
    assert cursor_line(tables, sql.replace("$1", "3")).startswith("Cursor: streams")
    m = raw_execute_max_rows(cluster.port, b"murphy", sql, ["3"], 100)
    p = raw_execute_max_rows(pg.port, pgconn.info.dbname.encode(), sql, ["3"], 100,
                             user=b"postgres")
    assert len(m[0]) == len(p[0]) > 1000
    assert (m[0] if ordered else sorted(m[0])) == (p[0] if ordered else sorted(p[0]))
    assert (m[1], m[2]) == (p[1], p[2]), (m[1:], p[1:])


@pytest.mark.parametrize("sql,params", [
    ("SELECT o.id, li.ln FROM o JOIN li ON o.id = li.oid LIMIT 5", None),
    ("SELECT oid, count(*) FROM li GROUP BY oid LIMIT %s OFFSET %s", (1500, 700)),
    ("SELECT id, note FROM o OFFSET 2990", None),
    ("SELECT DISTINCT oid, t FROM li LIMIT 0", None),
    ("SELECT id FROM o LIMIT %s", (None,)),
])
def test_limit_without_order_by_streams(tables, sql, params):
    """LIMIT / OFFSET without ORDER BY: any rows of the query, as many as
    PostgreSQL's; each one of the query's rows, once."""
    assert cursor_line(tables, sql, params).startswith("Cursor: streams")
    want = whole(tables.p, sql, params)
    full = norm(whole(tables.m, sql.split(" LIMIT")[0].split(" OFFSET")[0]))
    for n in (1, 7, 1000):
        got, _ = cursor_rows(tables.m, sql, n, params)
        assert len(got) == len(want), (sql, n)
        got = norm(got)
        assert len(set(got)) == len(got) and set(got) <= set(full), (sql, n)


def test_sorted_ties_come_in_sort_order(tables):
    """ORDER BY a value with ties: the sort values' sequence is exact."""
    sql = "SELECT oid, count(*) FROM li GROUP BY oid ORDER BY count(*)"
    want = whole(tables.p, sql)
    got, _ = cursor_rows(tables.m, sql, 250)
    assert [r[1] for r in got] == [r[1] for r in want]
    assert sorted(got) == sorted(want)


@pytest.mark.parametrize("sql,why", [
    # (a GROUP BY / DISTINCT of other columns and a shuffled join stream
    # from their owners: test_cursor_shuffle_stream.py)
    ("SELECT cust FROM o GROUP BY cust ORDER BY max(id)", "the select list lacks"),
    ("SELECT count(*) FROM li", "groups do not hold the distribution"),
    ("SELECT o.cust, count(*) FROM o JOIN li ON o.cust = li.oid GROUP BY o.cust",
     "aggregate over a shuffled join"),
    ("SELECT DISTINCT t FROM li OFFSET 2", "an OFFSET over groups finished on their owners"),
    ("SELECT oid, rank() OVER (PARTITION BY t ORDER BY qty) FROM li", "not partitioned"),
    ("SELECT DISTINCT ON (oid) oid, qty FROM li ORDER BY oid, qty", "DISTINCT ON"),
    ("SELECT oid, t, count(*) FROM li GROUP BY ROLLUP (oid, t)", "grouping sets"),
    ("SELECT id FROM o ORDER BY random()", "volatile"),
])
def test_explain_says_why_a_cursor_is_whole(tables, sql, why):
    line = cursor_line(tables, sql)
    assert line.startswith("Cursor: the result is computed whole first: "), line
    assert why in line, line


def test_whole_query_cursor_move_and_named(cluster, tables):
    """MOVE across batches of a GROUP BY, then a psycopg2 named cursor over a
    join: PostgreSQL's rows."""
    got = []
    for conn in (tables.m, tables.p):
        conn.autocommit = False
        with conn.cursor() as cur:
            cur.execute("DECLARE c CURSOR FOR SELECT oid, count(*) FROM li "
                        "GROUP BY oid ORDER BY oid DESC")
            cur.execute("MOVE 1234 IN c")
            moved = cur.statusmessage
            cur.execute("FETCH 100 FROM c")
            got.append((moved, cur.fetchall()))
        conn.rollback()
        conn.autocommit = True
    assert got[0] == got[1]
    import psycopg2
    res = []
    for conn in (cluster.connect(autocommit=False), psycopg2.connect(tables.p.dsn)):
        with conn.cursor("named_join") as cur:
            cur.itersize = 77
            cur.execute("SELECT o.id, li.ln FROM o JOIN li ON o.id = li.oid WHERE li.qty < %s",
                        (50,))
            res.append(sorted(cur))
        conn.rollback()
        conn.close()
    assert res[0] == res[1] and len(res[0]) > 1000


NBIG = 200000  # wb rows: 2 lines per order of wo


@pytest.fixture(scope="module")
def bigjoin(db):
    db.m.cursor().execute("CREATE TABLE wo (id int PRIMARY KEY, pad text)")
    db.m.cursor().execute("CREATE TABLE wb (id int, ln int, pad text, PRIMARY KEY (id, ln))")
    with db.m.cursor() as cur:
        cur.copy_expert("COPY wo FROM STDIN", io.StringIO(
            "".join("%d\t%s%d\n" % (i, "o" * 40, i) for i in range(NBIG // 2))))
        cur.copy_expert("COPY wb FROM STDIN", io.StringIO(
            "".join("%d\t%d\t%s%d\n" % (i // 2, i % 2, "p" * 60, i) for i in range(NBIG))))
    return db


def growth(cluster, conn, sql, nrows, per_fetch=None):
    """The leader's peak RSS growth (kB) reading sql through a cursor
    (FETCH per_fetch), or fetched whole (per_fetch None)."""
    pid = cluster.pid("leader")
    if not reset_hwm(pid):
        pytest.skip("cannot reset VmHWM (/proc/pid/clear_refs)")
    before = vm_hwm_kb(pid)
    if per_fetch:
        rows, _ = cursor_rows(conn, sql, per_fetch)
    else:
        with conn.cursor() as cur:
            cur.execute(sql)
            rows = cur.fetchall()
    kb = vm_hwm_kb(pid) - before
    assert len(rows) == nrows
    print("leader VmHWM growth %d kB: %s %s" % (kb, "cursor" if per_fetch else "whole", sql))
    return kb


GROUP_SQL = ("SELECT id, count(*), min(pad), max(pad), max(pad) || min(pad) FROM wb "
             "GROUP BY id ORDER BY max(pad) DESC, id")
JOIN_SQL = "SELECT wo.id, wo.pad, wb.ln, wb.pad FROM wo JOIN wb ON wo.id = wb.id"


def test_join_and_group_by_cursor_memory_is_bounded(cluster, bigjoin):
    """A co-located join (200k rows) and a GROUP BY of the distribution
    column (100k groups, ORDER BY an aggregate) read to the end through a
    cursor: the leader's peak RSS grows by a small part of what the join
    fetched whole makes it grow (measured after both cursors: the heap a
    whole result leaves behind would hide the next growth).  On a binary
    that computes them whole for a cursor (murphy-s18) each cursor grows
    as much as the whole SELECT."""
    conn = cluster.connect()
    group_kb = growth(cluster, conn, GROUP_SQL, NBIG // 2, 1000)
    join_kb = growth(cluster, conn, JOIN_SQL, NBIG, 1000)
    whole_kb = growth(cluster, conn, JOIN_SQL, NBIG)
    conn.close()
    assert whole_kb > 40000, whole_kb  # ~60 MB of DataRows
    assert join_kb * 8 < whole_kb, (join_kb, whole_kb)
    assert group_kb * 4 < whole_kb, (group_kb, whole_kb)  # its result: ~25 MB of text
