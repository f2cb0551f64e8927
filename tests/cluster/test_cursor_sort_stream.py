"""Cursors over ORDER BY stream (issue 20): each shard's rows come sorted a
batch at a time and the leader merges them (sql/plan_batch.c,
leader/lead_stream.c, common/rowmerge.h), so the leader holds a batch per
shard, not the result.

The rows must be exactly the non-streamed query's: each query is read
through a cursor (FETCH n, several n) and compared with PostgreSQL 15's
(initdb --no-locale: text in byte order, as murphy's) and with murphy's own
whole SELECT.  Ties of the sort keys may come in any order in either, so a
query whose ORDER BY is not total is compared as its sort keys' sequence
(exactly) plus its rows as a multiset; a total ORDER BY exactly."""
import io
import random

import psycopg2
import pytest

from test_cursor_stream import cursor_rows, reset_hwm, vm_hwm_kb

NSORT = 20000
NBIG = 300000


@pytest.fixture(scope="module")
def tables(db):
    db.exec_both("CREATE TABLE s (id int PRIMARY KEY, k int, t text, n numeric, "
                 "c char(6), f float8, d date)")
    db.exec_both("CREATE TABLE snokey (a int, b text)")  # the hidden row id breaks ties
    # an indexed NOT NULL sort column: batches lead with a range on it
    db.exec_both("CREATE TABLE sidx (id int PRIMARY KEY, k int NOT NULL, v text)")
    db.exec_both("CREATE INDEX sidx_k ON sidx (k)")
    rnd = random.Random(20)
    lines = []
    for i in range(NSORT):
        k = "\\N" if i % 11 == 0 else str(rnd.randrange(40))  # ties and NULLs
        t = "\\N" if i % 13 == 0 else rnd.choice(["a", "B", "b", "ab", "é", "z z", "Z", ""]) + \
            str(rnd.randrange(5))
        n = "\\N" if i % 17 == 0 else rnd.choice(["1.5", "1.50", "-2", "10", "0.001", "3"])
        c = "\\N" if i % 19 == 0 else rnd.choice(["x", "x ", "ab", "AB", "a"])
        f = "\\N" if i % 23 == 0 else rnd.choice(["-1.5", "0", "2.25", "1e10", "-0.5"])
        d = "2024-%02d-%02d" % (1 + rnd.randrange(12), 1 + rnd.randrange(28))
        lines.append("\t".join([str(i), k, t, n, c, f, d]) + "\n")
    nk = "".join("%d\t%s\n" % (i % 7, "\\N" if i % 5 == 0 else "b%d" % (i % 9))
                 for i in range(3000))
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.copy_expert("COPY s FROM STDIN", io.StringIO("".join(lines)))
            cur.copy_expert("COPY snokey FROM STDIN", io.StringIO(nk))
            cur.copy_expert("COPY sidx FROM STDIN", io.StringIO(
                "".join("%d\t%d\tv%d\n" % (i, (i * 37) % 501, i) for i in range(NSORT))))
    return db


def whole(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def check(db, sql, nkeys, params=None, fetches=(7, 1000)):
    """The cursor's rows are PostgreSQL's and murphy's whole SELECT's: the
    first nkeys columns (the sort keys) in the same sequence, the rows the
    same multiset (nkeys None: the same list)."""
    want = whole(db.p, sql, params)
    same = whole(db.m, sql, params)
    for n in fetches:
        got, _ = cursor_rows(db.m, sql, n, params)
        for ref in (want, same):
            assert len(got) == len(ref), (sql, n)
            if nkeys is None:
                assert got == ref, (sql, n)
            else:
                assert [r[:nkeys] for r in got] == [r[:nkeys] for r in ref], (sql, n)
                assert sorted(got, key=repr) == sorted(ref, key=repr), (sql, n)
    return want


@pytest.mark.parametrize("sql,nkeys,params", [
    ("SELECT k, id FROM s ORDER BY k", 1, None),
    ("SELECT k, id FROM s ORDER BY k DESC", 1, None),
    ("SELECT k, id FROM s ORDER BY k NULLS FIRST", 1, None),
    ("SELECT k, id FROM s ORDER BY k DESC NULLS LAST", 1, None),
    ("SELECT t, k, id FROM s ORDER BY t, k DESC", 2, None),
    ("SELECT t, n, id FROM s ORDER BY t DESC NULLS LAST, n NULLS FIRST, id", None, None),
    ("SELECT n, id FROM s ORDER BY n", None, None),  # 1.5 = 1.50: their ids differ
    ("SELECT c, f, id FROM s ORDER BY c DESC, f", 2, None),
    ("SELECT d, f FROM s ORDER BY d, f DESC NULLS LAST", 2, None),
    ("SELECT id, t FROM s ORDER BY k, t, id", None, None),  # sort columns not selected
    ("SELECT f, k, * FROM s WHERE k < %s ORDER BY f NULLS FIRST, k", 2, (30,)),
    ("SELECT id FROM s ORDER BY id DESC", None, None),
    ("SELECT a, b FROM snokey ORDER BY b, a", 2, None),
    ("SELECT k, id, v FROM sidx ORDER BY k", 1, None),
    ("SELECT k, id FROM sidx ORDER BY k DESC, id", None, None),
    ("SELECT k, v FROM sidx WHERE k > %s ORDER BY k, v", 2, (17,)),
])
def test_sorted_cursor_rows_are_the_whole_selects(tables, sql, nkeys, params):
    if nkeys is None and "ORDER BY n" in sql:
        want = check(tables, sql, 1, params)
    else:
        want = check(tables, sql, nkeys, params)
    assert len(want) > 100


@pytest.mark.parametrize("sql,params", [
    ("SELECT k, t, id FROM s ORDER BY k DESC, t, id LIMIT 1234 OFFSET 567", None),
    ("SELECT k, id FROM s ORDER BY k, id OFFSET 19990", None),
    ("SELECT k, id FROM s ORDER BY k, id LIMIT 0", None),
    ("SELECT k, id FROM s ORDER BY k, id LIMIT %s OFFSET %s", (300, 4000)),
    ("SELECT k, id FROM s ORDER BY k, id LIMIT NULL OFFSET %s", (19000,)),
    ("SELECT k, id FROM s WHERE t > %s ORDER BY k NULLS FIRST, id LIMIT 5000", ("b",)),
])
def test_sorted_cursor_limit_offset(tables, sql, params):
    check(tables, sql, None, params, fetches=(1, 333, 10000))


def test_sorted_cursor_move_and_psycopg2_named(cluster, tables):
    """MOVE across batches, then a psycopg2 named cursor: PostgreSQL's rows."""
    got = []
    for conn in (tables.m, tables.p):
        conn.autocommit = False
        with conn.cursor() as cur:
            cur.execute("DECLARE c CURSOR FOR SELECT id, k FROM s ORDER BY k DESC, id")
            cur.execute("MOVE 4321 IN c")
            moved = cur.statusmessage
            cur.execute("FETCH 100 FROM c")
            got.append((moved, cur.fetchall()))
        conn.rollback()
        conn.autocommit = True
    assert got[0] == got[1]
    res = []
    for conn in (cluster.connect(autocommit=False), psycopg2.connect(tables.p.dsn)):
        with conn.cursor("named_sorted") as cur:
            cur.itersize = 500
            cur.execute("SELECT id, t FROM s WHERE k < %s ORDER BY t DESC, id", (20,))
            res.append(list(cur))
        conn.rollback()
        conn.close()
    assert res[0] == res[1] and len(res[0]) > 5000


def test_sorted_cursor_rows_exactly_once_under_writes(tables):
    """Each batch is read when fetched (docs/decisions.md): with rows
    inserted between FETCHes, every row there since DECLARE comes exactly
    once, in order, and a row sorting before the cursor's position never."""
    conn = tables.m
    conn.autocommit = False
    try:
        with conn.cursor() as cur:
            cur.execute("DECLARE w CURSOR FOR SELECT id, k FROM s ORDER BY k NULLS FIRST, id")
            got = []
            for step in range(40):
                cur.execute("FETCH 300 FROM w")
                got.extend(cur.fetchall())
                cur.execute("INSERT INTO s (id, k) VALUES (%s, -5), (%s, 1000)",
                            (-1 - 2 * step, -2 - 2 * step))
            cur.execute("FETCH ALL FROM w")
            got.extend(cur.fetchall())
    finally:
        conn.rollback()
        conn.autocommit = True
    ids = [r[0] for r in got]
    assert len(ids) == len(set(ids))
    assert set(range(NSORT)) <= set(ids)
    assert not {i for i in ids if i < 0 and i % 2}  # k = -5: before the position
    keys = [(r[1] is not None, r[1] or 0, r[0]) for r in got]
    assert keys == sorted(keys)


def test_sorted_cursor_memory_is_bounded(cluster, db):
    """A cursor over ORDER BY of a column that is not the key, read to the
    end: the leader's peak RSS grows by a small part of what the same
    SELECT fetched whole makes it grow.  A binary that sorts the whole
    result at the leader (murphy-s17) grows alike for both."""
    db.m.cursor().execute("CREATE TABLE sbig (id int PRIMARY KEY, k int, pad text)")
    with db.m.cursor() as cur:
        cur.copy_expert("COPY sbig FROM STDIN", io.StringIO(
            "".join("%d\t%d\t%s%d\n" % (i, (i * 7919) % 100003, "p" * 60, i)
                    for i in range(NBIG))))
    pid = cluster.pid("leader")
    conn = cluster.connect()
    if not reset_hwm(pid):
        pytest.skip("cannot reset VmHWM (/proc/pid/clear_refs)")
    before = vm_hwm_kb(pid)
    rows, _ = cursor_rows(conn, "SELECT id, k, pad FROM sbig ORDER BY k DESC, id", 1000)
    cursor_kb = vm_hwm_kb(pid) - before
    assert len(rows) == NBIG
    assert [r[1] for r in rows] == sorted((r[1] for r in rows), reverse=True)
    del rows
    reset_hwm(pid)
    before = vm_hwm_kb(pid)
    with conn.cursor() as cur:
        cur.execute("SELECT id, k, pad FROM sbig ORDER BY k DESC, id")
        n = len(cur.fetchall())
    whole_kb = vm_hwm_kb(pid) - before
    conn.close()
    assert n == NBIG
    print("leader VmHWM growth: sorted cursor %d kB, whole SELECT %d kB" % (cursor_kb, whole_kb))
    assert whole_kb > 20000, whole_kb
    assert cursor_kb * 8 < whole_kb, (cursor_kb, whole_kb)


def test_sorted_cursor_batches_follow_the_rows_width(cluster, db):
    """Wide rows (20 kB): a shard's batches are sized in bytes, not rows, so
    the leader still holds about a MiB per shard, not the result."""
    db.m.cursor().execute("CREATE TABLE swide (id int PRIMARY KEY, k int, pad text)")
    with db.m.cursor() as cur:
        cur.copy_expert("COPY swide FROM STDIN", io.StringIO(
            "".join("%d\t%d\t%s\n" % (i, (i * 13) % 97, "w" * 20000) for i in range(2500))))
    pid = cluster.pid("leader")
    conn = cluster.connect()
    if not reset_hwm(pid):
        pytest.skip("cannot reset VmHWM (/proc/pid/clear_refs)")
    before = vm_hwm_kb(pid)
    rows, _ = cursor_rows(conn, "SELECT k, id, pad FROM swide ORDER BY k, id", 50)
    cursor_kb = vm_hwm_kb(pid) - before
    assert [r[:2] for r in rows] == sorted(r[:2] for r in rows) and len(rows) == 2500
    del rows
    reset_hwm(pid)
    before = vm_hwm_kb(pid)
    with conn.cursor() as cur:
        cur.execute("SELECT k, id, pad FROM swide ORDER BY k, id")
        n = len(cur.fetchall())
    whole_kb = vm_hwm_kb(pid) - before
    conn.close()
    assert n == 2500
    print("wide rows, leader VmHWM growth: sorted cursor %d kB, whole SELECT %d kB"
          % (cursor_kb, whole_kb))
    assert whole_kb > 40000, whole_kb
    assert cursor_kb * 4 < whole_kb, (cursor_kb, whole_kb)
