"""Cursors stream shuffled joins and repartitioned GROUP BY / DISTINCT
(issue 20): the owners keep their part (the join's in-memory database, or
their final groups) and the statement over it open under the shuffle's id,
answer the cursor's first batch with the RECV and each later one with a
SHUFFLE_FETCH; the leader merges the owners' batches (sql/plan_batch_owner.c,
follower/shuffle_keep.c, leader/lead_stream.c).

The rows must be exactly the whole query's: each statement is read through
a cursor (FETCH n, several n) and compared with PostgreSQL 15's and with
murphy's own whole SELECT.  The followers log each kept join and each drop
("cursor's join kept" / "cursor's join dropped: <why>"): CLOSE, ROLLBACK,
COMMIT and a closed session must leave none kept.  The memory test reads the
leader's peak RSS around a 200k-row shuffled join read through a cursor and
fetched whole: on a binary that computes it whole for a cursor (murphy-s19)
the two grow alike.  A follower killed mid-cursor fails the next FETCH that
needs it with a clear error."""
import io
import os
import random
import re
import time

import psycopg2
import pytest

from conftest import started_cluster
from test_cursor_stream import cursor_rows, raw_execute_max_rows
from test_cursor_whole_stream import check, cursor_line, growth, whole

NO = 3000


@pytest.fixture(scope="module")
def tables(db):
    db.exec_both("CREATE TABLE o (id int PRIMARY KEY, cust int, note text)")
    db.exec_both("CREATE TABLE li (oid int, ln int, qty int, t text, PRIMARY KEY (oid, ln))")
    db.exec_both("CREATE TABLE cu (id int PRIMARY KEY, cust int, name text)")
    rnd = random.Random(22)
    o, li, cu = [], [], []
    for i in range(NO):
        o.append("%d\t%s\t%s\n" % (i, "\\N" if i % 29 == 0 else rnd.randrange(300),
                                   "\\N" if i % 7 == 0 else "n%d" % rnd.randrange(9)))
        for ln in range(rnd.randrange(4)):
            li.append("%d\t%d\t%d\t%s\n" % (i, ln, rnd.randrange(100),
                                            "\\N" if rnd.randrange(9) == 0 else
                                            rnd.choice(["a", "b", "n3", ""])))
    for i in range(400):  # cust values repeat: a join fans out; some match nothing
        cu.append("%d\t%s\tc%d\n" % (i, "\\N" if i % 17 == 0 else rnd.randrange(350), i))
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.copy_expert("COPY o FROM STDIN", io.StringIO("".join(o)))
            cur.copy_expert("COPY li FROM STDIN", io.StringIO("".join(li)))
            cur.copy_expert("COPY cu FROM STDIN", io.StringIO("".join(cu)))
    return db


JOINS = [
    # inner and left joins not on the distribution columns, 2 and 3 tables
    ("SELECT o.id, o.note, cu.id, cu.name FROM o JOIN cu ON o.cust = cu.cust", None),
    ("SELECT o.id, cu.name FROM o LEFT JOIN cu ON o.cust = cu.cust WHERE o.id > %s", (100,)),
    ("SELECT cu.id, o.id FROM cu LEFT JOIN o ON o.cust = cu.cust AND o.note <> 'n3'", None),
    ("SELECT li.oid, li.ln, cu.name FROM li JOIN cu ON li.qty = cu.cust WHERE li.t <> 'a'",
     None),
    ("SELECT o.id, li.ln, cu.id FROM o JOIN li ON o.cust = li.qty JOIN cu ON cu.cust = o.cust",
     None),
    ("SELECT o.id, cu.id, li.ln FROM cu JOIN o ON o.cust = cu.cust "
     "LEFT JOIN li ON li.qty = o.cust WHERE cu.id < 200", None),
]

SORTED = [
    ("SELECT o.id, cu.id, cu.name FROM o JOIN cu ON o.cust = cu.cust ORDER BY o.id, cu.id",
     None),
    ("SELECT o.note, o.id, cu.id FROM o LEFT JOIN cu ON o.cust = cu.cust "
     "ORDER BY o.note DESC NULLS LAST, o.id, cu.id NULLS FIRST", None),
    ("SELECT o.id, cu.id FROM o JOIN cu ON o.cust = cu.cust ORDER BY cu.name, o.id "
     "LIMIT %s OFFSET %s", (700, 33)),
    ("SELECT li.oid, li.ln, cu.id FROM li JOIN cu ON li.qty = cu.cust "
     "ORDER BY li.qty DESC, li.oid, li.ln, cu.id LIMIT 50", None),
]

GROUPS = [
    ("SELECT cust, count(*), max(note) FROM o GROUP BY cust", None),
    ("SELECT t, qty, count(*), sum(ln) FROM li GROUP BY t, qty HAVING count(*) > %s", (1,)),
    ("SELECT qty, count(*) FROM li GROUP BY qty ORDER BY 2 DESC, 1 LIMIT 40", None),
    ("SELECT DISTINCT note, cust % 10 FROM o", None),
    ("SELECT cust, avg(id), min(note) FROM o WHERE id > %s GROUP BY cust ORDER BY cust",
     (50,)),
]


@pytest.fixture(scope="module")
def shuffled(tables):
    """Every test here: joins and groups repartitioned (few rows: 'auto'
    would gather the GROUP BYs for a plain SELECT; a cursor repartitions)."""
    tables.m.cursor().execute("SET murphy.shuffle_strategy = 'repartition'")
    return tables


@pytest.mark.parametrize("strategy", ["repartition", "broadcast"])
@pytest.mark.parametrize("sql,params", JOINS)
def test_shuffled_join_cursor_rows_are_the_whole_selects(shuffled, strategy, sql, params):
    shuffled.m.cursor().execute("SET murphy.join_strategy = '%s'" % strategy)
    try:
        line = cursor_line(shuffled, sql, params)
        assert line.startswith("Cursor: streams: the join is shuffled"), line
        assert len(check(shuffled, sql, params, fetches=(7, 500, 100000))) > 100
    finally:
        shuffled.m.cursor().execute("RESET murphy.join_strategy")


@pytest.mark.parametrize("sql,params", SORTED)
def test_shuffled_join_sorted_cursor(shuffled, sql, params):
    line = cursor_line(shuffled, sql, params)
    assert line == "Cursor: streams: the join is shuffled, each owner keeping its part " \
                   "and answering batches, merged on the leader", line
    assert len(check(shuffled, sql, params, ordered=True, fetches=(1, 9, 400))) >= 50


@pytest.mark.parametrize("sql,params", GROUPS)
def test_repartitioned_group_by_cursor(shuffled, sql, params):
    line = cursor_line(shuffled, sql, params)
    assert line.startswith("Cursor: streams: the groups are finished on their owners"), line
    ordered = " ORDER BY " in sql
    assert len(check(shuffled, sql, params, ordered=ordered, fetches=(3, 64, 5000))) >= 40


@pytest.mark.parametrize("sql,params", GROUPS[:2])
def test_gather_strategy_is_honoured_by_cursors(shuffled, sql, params):
    """murphy.shuffle_strategy = 'gather' chosen by the session: a cursor
    does not repartition the groups behind its back; it computes them on
    the leader (EXPLAIN says why) and still answers the whole SELECT."""
    shuffled.m.cursor().execute("SET murphy.shuffle_strategy = 'gather'")
    try:
        line = cursor_line(shuffled, sql, params)
        assert "murphy.shuffle_strategy is gather" in line, line
        ordered = " ORDER BY " in sql
        assert len(check(shuffled, sql, params, ordered=ordered, fetches=(3, 64, 5000))) >= 40
    finally:
        shuffled.m.cursor().execute("SET murphy.shuffle_strategy = 'repartition'")


@pytest.mark.parametrize("level", ["bounded", "available"])
def test_cursors_stream_at_weaker_read_levels(shuffled, level):
    """At bounded and available a read picks its copies without waiting
    (lead_stale.c); a cursor over groups still repartitions and its owners
    keep them."""
    cur = shuffled.m.cursor()
    cur.execute("SET murphy.read_consistency = '%s'" % level)
    cur.execute("RESET murphy.shuffle_strategy")  # 'auto': a SELECT of few rows gathers
    try:
        for sql, params in (GROUPS[0], JOINS[0]):
            assert len(check(shuffled, sql, params, fetches=(5, 300))) > 100
    finally:
        cur.execute("RESET murphy.read_consistency")
        cur.execute("SET murphy.shuffle_strategy = 'repartition'")


def test_named_cursor_and_subquery(cluster, shuffled):
    """A psycopg2 named cursor (itersize 77) over a shuffled join with an
    uncorrelated subquery (run once, at DECLARE): PostgreSQL's rows."""
    sql = ("SELECT o.id, cu.name FROM o JOIN cu ON o.cust = cu.cust "
           "WHERE o.id > (SELECT min(id) + 10 FROM cu) AND cu.name IN "
           "(SELECT name FROM cu WHERE id % 3 = 0)")
    line = cursor_line(shuffled, sql)
    assert line.startswith("Cursor: streams: the join is shuffled"), line
    res = []
    for conn in (cluster.connect(autocommit=False), psycopg2.connect(shuffled.p.dsn)):
        with conn.cursor("named_shuffled") as cur:
            cur.itersize = 77
            cur.execute(sql)
            res.append(sorted(cur))
        conn.rollback()
        conn.close()
    assert res[0] == res[1] and len(res[0]) > 300


def test_not_streamed_say_why(shuffled):
    """An aggregate over a shuffled join and an ORDER BY of a value the
    select list lacks over repartitioned groups are computed whole, and
    EXPLAIN says why."""
    line = cursor_line(shuffled, "SELECT cu.name, count(*) FROM o JOIN cu "
                                 "ON o.cust = cu.cust GROUP BY cu.name")
    assert "aggregate over a shuffled join" in line, line
    line = cursor_line(shuffled, "SELECT cust FROM o GROUP BY cust ORDER BY max(id)")
    assert "select list lacks" in line, line


def test_raw_execute_max_rows_over_shuffled_join(cluster, pg, pgconn, shuffled):
    """Execute with max rows (JDBC's fetch size): PostgreSQL's rows,
    PortalSuspended count and final tag."""
    sql = "SELECT o.id, cu.id FROM o JOIN cu ON o.cust = cu.cust WHERE o.id <> $1"
    m = raw_execute_max_rows(cluster.port, b"murphy", sql, ["3"], 100)
    p = raw_execute_max_rows(pg.port, pgconn.info.dbname.encode(), sql, ["3"], 100,
                             user=b"postgres")
    assert len(m[0]) == len(p[0]) > 1000
    assert sorted(m[0]) == sorted(p[0])
    assert (m[1], m[2]) == (p[1], p[2]), (m[1:], p[1:])


# ---- what the followers keep ------------------------------------------------

KEPT = re.compile(r"shuffle (\d+): cursor's join kept")
DROPPED = re.compile(r"shuffle (\d+): cursor's join dropped: (.*)")


def kept_state(cluster):
    """{shuffle id: [kept count, [drop reasons]]} over every follower's log."""
    out = {}
    for name in cluster.node_names():
        if name == "leader":
            continue
        with open(os.path.join(cluster.dir, name, "murphy.log"), errors="replace") as f:
            for line in f:
                m = KEPT.search(line)
                if m:
                    out.setdefault(m.group(1), [0, []])[0] += 1
                m = DROPPED.search(line)
                if m:
                    out.setdefault(m.group(1), [0, []])[1].append(m.group(2).strip())
    return out


def wait_none_kept(cluster, before, timeout=10):
    """The shuffles kept since `before` (kept_state) are all dropped; their
    drop reasons."""
    deadline = time.time() + timeout
    while True:
        now = kept_state(cluster)
        new = {k: v for k, v in now.items() if k not in before}
        if new and all(v[0] == len(v[1]) for v in new.values()):
            return [r for v in new.values() for r in v[1]]
        assert time.time() < deadline, new
        time.sleep(0.1)


END_SQL = "SELECT o.id, o.note, cu.name FROM o JOIN cu ON o.cust = cu.cust"


@pytest.mark.parametrize("end", ["CLOSE c", "ROLLBACK", "COMMIT", "disconnect"])
def test_cursor_end_drops_the_kept_join(cluster, shuffled, end):
    """CLOSE, ROLLBACK, COMMIT and a closed session drop what every owner
    kept for the cursor (a GROUP BY cursor's groups too)."""
    for sql in (END_SQL, "SELECT note, cust, count(*) FROM o GROUP BY note, cust"):
        before = kept_state(cluster)
        conn = cluster.connect(autocommit=False)
        with conn.cursor() as cur:
            cur.execute("SET murphy.shuffle_strategy = 'repartition'")
            cur.execute("DECLARE c CURSOR FOR " + sql)
            cur.execute("FETCH 5 FROM c")
            assert len(cur.fetchall()) == 5
            if end == "disconnect":
                conn.close()
            else:
                cur.execute(end)
        if end != "disconnect":
            conn.rollback()
            conn.close()
        reasons = wait_none_kept(cluster, before)
        assert reasons and set(reasons) == {"the cursor ended"}, reasons


def test_cursor_read_to_its_end_keeps_nothing(cluster, shuffled):
    before = kept_state(cluster)
    rows, _ = cursor_rows(shuffled.m, END_SQL, 300)
    assert len(rows) == len(whole(shuffled.p, END_SQL))
    reasons = wait_none_kept(cluster, before)
    assert set(reasons) <= {"read to its end", "the cursor ended"}, reasons


# ---- memory --------------------------------------------------------------------

NBIG = 200000  # sb rows, 2 per wo row, joined on a column that distributes neither


@pytest.fixture(scope="module")
def bigshuffle(db):
    db.m.cursor().execute("CREATE TABLE so (id int PRIMARY KEY, pad text)")
    db.m.cursor().execute("CREATE TABLE sb (bid int PRIMARY KEY, oid int, pad text)")
    with db.m.cursor() as cur:
        cur.copy_expert("COPY so FROM STDIN", io.StringIO(
            "".join("%d\t%s%d\n" % (i, "o" * 40, i) for i in range(NBIG // 2))))
        cur.copy_expert("COPY sb FROM STDIN", io.StringIO(
            "".join("%d\t%d\t%s%d\n" % (i, i // 2, "p" * 60, i) for i in range(NBIG))))
    return db


BIG_SQL = "SELECT so.id, so.pad, sb.bid, sb.pad FROM so JOIN sb ON sb.oid = so.id"


def test_shuffled_join_cursor_memory_is_bounded(cluster, bigshuffle):
    """A 200k-row shuffled join read to the end through a cursor: the
    leader's peak RSS grows by a small part of what it grows fetched whole.
    On murphy-s19 (the join computed whole for a cursor) the two grow
    alike."""
    conn = cluster.connect()
    conn.cursor().execute("SET murphy.join_strategy = 'repartition'")
    cursor_kb = growth(cluster, conn, BIG_SQL, NBIG, 1000)
    whole_kb = growth(cluster, conn, BIG_SQL, NBIG)
    conn.close()
    assert whole_kb > 40000, whole_kb
    assert cursor_kb * 8 < whole_kb, (cursor_kb, whole_kb)
    assert cursor_line(bigshuffle, BIG_SQL).startswith("Cursor: streams: the join")


# ---- a follower lost mid-cursor ------------------------------------------------


def test_follower_killed_mid_cursor_fails_the_next_fetch():
    """kill -9 of an owner between FETCHes: a FETCH that needs its rows
    fails with a clear error (not a hang, not fewer rows); the session
    goes on after ROLLBACK."""
    c = started_cluster()
    try:
        conn = c.connect()
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE ko (id int PRIMARY KEY, k int)")
            cur.execute("CREATE TABLE kb (id int PRIMARY KEY, k int)")
            cur.execute("INSERT INTO ko SELECT g, g % 500 FROM generate_series(1, 20000) g")
            cur.execute("INSERT INTO kb SELECT g, g % 500 FROM generate_series(1, 3000) g")
        conn.autocommit = False
        cur = conn.cursor()
        cur.execute("SET murphy.join_strategy = 'repartition'")
        cur.execute("DECLARE c CURSOR FOR SELECT ko.id, kb.id FROM ko JOIN kb ON ko.k = kb.k")
        cur.execute("FETCH 10 FROM c")
        assert len(cur.fetchall()) == 10
        c.kill9("f2")
        got, err = 10, None
        t0 = time.time()
        try:
            while True:
                cur.execute("FETCH 5000 FROM c")
                n = len(cur.fetchall())
                got += n
                if n < 5000:
                    break
        except psycopg2.Error as e:
            err = e
        assert err is not None, "read %d rows of 120000 without f2" % got
        assert time.time() - t0 < 30
        print("error after kill:", err.pgcode, str(err))
        assert err.pgcode in ("08006", "55000"), (err.pgcode, str(err))
        assert "f2" in str(err), str(err)
        conn.rollback()
        cur.execute("SELECT 1")
        assert cur.fetchall() == [(1,)]
        conn.close()
    finally:
        c.cleanup()


def test_leader_restart_drops_the_kept_joins():
    """The leader killed with a cursor open: when it is back, each owner
    drops what it kept for that cursor (its connection to the leader was
    replaced; no cursor of the old one can read it)."""
    c = started_cluster()
    try:
        conn = c.connect()
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE ko (id int PRIMARY KEY, k int)")
            cur.execute("CREATE TABLE kb (id int PRIMARY KEY, k int)")
            cur.execute("INSERT INTO ko SELECT g, g % 500 FROM generate_series(1, 20000) g")
            cur.execute("INSERT INTO kb SELECT g, g % 500 FROM generate_series(1, 3000) g")
        conn.autocommit = False
        cur = conn.cursor()
        cur.execute("SET murphy.join_strategy = 'repartition'")
        cur.execute("DECLARE c CURSOR FOR SELECT ko.id, kb.id FROM ko JOIN kb ON ko.k = kb.k")
        cur.execute("FETCH 10 FROM c")
        assert len(cur.fetchall()) == 10
        kept = {k for k, v in kept_state(c).items() if v[0] > len(v[1])}
        assert kept, kept_state(c)
        c.kill9("leader")
        c.start()
        deadline = time.time() + 20
        while True:
            state = kept_state(c)
            if all(state[k][0] == len(state[k][1]) for k in kept):
                break
            assert time.time() < deadline, state
            time.sleep(0.2)
        assert {r for k in kept for r in state[k][1]} == {"a new leader connection"}
    finally:
        c.cleanup()


def test_idle_kept_join_expires():
    """An owner drops a cursor's kept join after MURPHY_SHUFFLE_KEPT_IDLE_MS
    without a FETCH (NODE_SHUFFLE_KEPT_IDLE_MS, 30 min, by default); the
    next FETCH then fails (55000), it does not hang or return fewer rows."""
    os.environ["MURPHY_SHUFFLE_KEPT_IDLE_MS"] = "1000"
    try:
        c = started_cluster()
    finally:
        del os.environ["MURPHY_SHUFFLE_KEPT_IDLE_MS"]
    try:
        conn = c.connect()
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE ko (id int PRIMARY KEY, k int)")
            cur.execute("CREATE TABLE kb (id int PRIMARY KEY, k int)")
            cur.execute("INSERT INTO ko SELECT g, g % 500 FROM generate_series(1, 20000) g")
            cur.execute("INSERT INTO kb SELECT g, g % 500 FROM generate_series(1, 3000) g")
        conn.autocommit = False
        cur = conn.cursor()
        cur.execute("SET murphy.join_strategy = 'repartition'")
        cur.execute("DECLARE c CURSOR FOR SELECT ko.id, kb.id FROM ko JOIN kb ON ko.k = kb.k")
        cur.execute("FETCH 10 FROM c")
        assert len(cur.fetchall()) == 10
        kept = {k for k, v in kept_state(c).items() if v[0] > len(v[1])}
        assert kept
        deadline = time.time() + 20
        while True:
            state = kept_state(c)
            if all(state[k][0] == len(state[k][1]) for k in kept):
                break
            assert time.time() < deadline, state
            time.sleep(0.2)
        assert {r for k in kept for r in state[k][1]} == {
            "no FETCH for NODE_SHUFFLE_KEPT_IDLE_MS"}
        with pytest.raises(psycopg2.Error) as e:
            while True:
                cur.execute("FETCH 5000 FROM c")
                assert len(cur.fetchall()) == 5000
        assert e.value.pgcode == "55000", (e.value.pgcode, str(e.value))
        assert "gone" in str(e.value)
        conn.rollback()
        conn.close()
    finally:
        c.cleanup()
