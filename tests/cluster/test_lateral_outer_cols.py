"""LATERAL subqueries whose select list reads the query's own columns
(issue 19): `FROM t, LATERAL (SELECT t.a + u.b FROM u WHERE u.k = t.k) s`.

parser/analyze_lateral_topn.c computes such an item in the query around the
subquery, over the outer columns it names and hidden columns of the
(uncorrelated) subquery holding what it reads of the subquery's tables: an
inner column, or in the aggregate form an aggregate call (count read as
COALESCE(x, 0)); on a LEFT JOIN LATERAL's null-extended row the item is
NULL.  The plain comma form (parser/analyze_lateral.c, flattened) now also
takes an unnamed item (`?column?`).  Each query is compared with a real
PostgreSQL on the same rows: tables co-located on the key (lh by oid) and
not (lf by fid), a reference table, NULLs in keys, values and outer
columns, duplicates, outer rows with no inner row, an empty inner table.
A LATERAL correlated by other than equalities, or ordered by an outer
column, gets a copy of the outer table tied by its key
(parser/analyze_lateral_keyed.c).  murphy-s18 (main at the session's
start) refused each of them with 0A000.
"""
import pytest

REF = " WITH (distribution = 'reference')"
O = [(1, 1, 10), (2, 5, 10), (3, None, 20), (4, 7, None), (5, 2, 20), (6, 2, 2)]
F = [(1, 1, 3), (2, 1, 8), (3, 2, None), (4, 2, 1), (5, 3, 2), (6, None, 4), (7, 1, 3)]
H = [(1, 1, 5), (1, 2, 9), (1, 3, 5), (1, 4, None), (2, 1, 7), (3, 1, None), (3, 2, 1),
     (9, 1, 4)]
R = [(1, 100), (2, 200), (7, None), (20, 5)]


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for t in ("xo", "xf", "xh", "xr", "xe", "xn"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE xo (id int PRIMARY KEY, a int, b int)")
    db.exec_both("CREATE TABLE xf (fid int PRIMARY KEY, oid int, v int)")
    db.exec_both("CREATE TABLE xh (oid int, k int, v int, PRIMARY KEY (oid, k))")
    db.exec_both("CREATE TABLE xe (oid int PRIMARY KEY, v int)")
    db.exec_both("CREATE TABLE xn (a int, b int)")
    for row in [(1, 3), (1, 3), (2, None), (None, 5), (7, 9)]:
        db.exec_both("INSERT INTO xn VALUES (%s, %s)", row)
    db.murphy("CREATE TABLE xr (k int PRIMARY KEY, w int)" + REF)
    db.p.cursor().execute("CREATE TABLE xr (k int PRIMARY KEY, w int)")
    for row in O:
        db.exec_both("INSERT INTO xo VALUES (%s, %s, %s)", row)
    for row in F:
        db.exec_both("INSERT INTO xf VALUES (%s, %s, %s)", row)
    for row in H:
        db.exec_both("INSERT INTO xh VALUES (%s, %s, %s)", row)
    for row in R:
        db.exec_both("INSERT INTO xr VALUES (%s, %s)", row)
    return db


QUERIES = [
    # the plain comma form: flattened, the item unnamed
    "SELECT * FROM xo t, LATERAL (SELECT t.a + u.v FROM xf u WHERE u.oid = t.id) s",
    "SELECT t.id, s.* FROM xo t, LATERAL (SELECT t.a, u.v, t.b * 2 FROM xh u "
    "WHERE u.oid = t.id) s",
    # top-N per row with outer columns in the select list
    "SELECT * FROM xo t, LATERAL (SELECT t.a + u.v AS x, u.fid FROM xf u WHERE u.oid = t.id "
    "ORDER BY u.v DESC NULLS LAST, u.fid LIMIT 2) s",
    "SELECT t.id, s.x FROM xo t, LATERAL (SELECT coalesce(u.v, t.b) AS x FROM xh u "
    "WHERE u.oid = t.id ORDER BY u.k OFFSET 1 LIMIT 2) s",
    "SELECT t.id, s.x, s.y FROM xo t, LATERAL (SELECT t.b AS x, u.w AS y FROM xr u "
    "WHERE u.k = t.b ORDER BY u.w LIMIT 1) s WHERE s.x > 1",
    "SELECT t.id, s.c FROM xo t, LATERAL (SELECT CASE WHEN u.v > t.a THEN 'gt' ELSE 'le' END "
    "AS c FROM xf u WHERE u.oid = t.id ORDER BY u.fid LIMIT 1) s ORDER BY s.c, t.id",
    # aggregates: one row per outer row, computed over the aggregates over no row
    "SELECT * FROM xo t, LATERAL (SELECT t.a + sum(u.v) AS s1, count(*) + t.b AS n, "
    "max(u.v) AS m FROM xf u WHERE u.oid = t.id) s",
    "SELECT t.id, s.* FROM xo t, LATERAL (SELECT coalesce(sum(u.v), t.a) AS x, "
    "count(u.v) * 10 AS c FROM xh u WHERE u.oid = t.id) s",
    "SELECT t.id, s.x FROM xo t LEFT JOIN LATERAL (SELECT count(*) + 1 AS x FROM xe u "
    "WHERE u.oid = t.id) s ON true",
    "SELECT t.id, s.x FROM xo t, LATERAL (SELECT avg(u.v) - t.a AS x FROM xf u "
    "WHERE u.oid = t.id AND u.v > 1) s WHERE s.x IS NOT NULL OR t.id > 4",
    "SELECT s.n, count(*) FROM xo t, LATERAL (SELECT count(u.v) + t.b AS n FROM xf u "
    "WHERE u.oid = t.id) s GROUP BY s.n",
    # LEFT JOIN LATERAL / JOIN LATERAL that only filter and project: the
    # item NULL on a null-extended row, even when it reads only t
    "SELECT t.id, s.x, s.y FROM xo t LEFT JOIN LATERAL (SELECT t.a AS x, u.v + t.b AS y "
    "FROM xf u WHERE u.oid = t.id) s ON true",
    "SELECT t.id, s.x FROM xo t LEFT JOIN LATERAL (SELECT coalesce(u.v, t.a) AS x FROM xh u "
    "WHERE u.oid = t.id) s ON s.x > 4",
    "SELECT t.id, s.x FROM xo t JOIN LATERAL (SELECT u.v * t.a AS x FROM xh u "
    "WHERE u.oid = t.id) s ON s.x IS NOT NULL",
    "SELECT t.id, s.x FROM xo t LEFT JOIN LATERAL (SELECT t.a - u.v AS x FROM xe u "
    "WHERE u.oid = t.id) s ON true",
    "SELECT * FROM xo t LEFT JOIN LATERAL (SELECT t.b + u.w AS x FROM xr u WHERE u.k = t.b "
    "ORDER BY u.w LIMIT 1) s ON true",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_lateral_reading_outer_columns(db, sql):
    db.both(sql, ordered=False)


# Correlated by other than `inner = outer` equalities, or ORDER BY an outer
# column: the outer table copied into the subquery, tied by its key
# (parser/analyze_lateral_keyed.c); xo's key is id.
KEYED = [
    # the latest row at or before the outer row's value (an as-of join)
    "SELECT t.id, s.v FROM xo t, LATERAL (SELECT u.v, u.fid FROM xf u WHERE u.v <= t.a "
    "ORDER BY u.v DESC, u.fid LIMIT 1) s",
    "SELECT t.id, s.v FROM xo t LEFT JOIN LATERAL (SELECT u.v FROM xf u WHERE u.v <= t.a "
    "ORDER BY u.v DESC NULLS LAST, u.fid LIMIT 1) s ON true",
    "SELECT t.id, s.n, s.m FROM xo t, LATERAL (SELECT count(*) AS n, max(u.v) AS m FROM xf u "
    "WHERE u.v < t.b) s",
    "SELECT t.id, s.n FROM xo t LEFT JOIN LATERAL (SELECT count(u.v) + t.a AS n FROM xh u "
    "WHERE u.oid <> t.id) s ON true",
    # ORDER BY an expression of the outer row: the nearest values
    "SELECT t.id, s.v FROM xo t, LATERAL (SELECT u.v FROM xf u WHERE u.v IS NOT NULL "
    "ORDER BY abs(u.v - t.a), u.fid LIMIT 2) s",
    "SELECT t.id, s.w FROM xo t, LATERAL (SELECT r.w FROM xr r WHERE r.k > t.b "
    "ORDER BY r.k LIMIT 1) s",
    "SELECT t.id, s.c FROM xo t LEFT JOIN LATERAL (SELECT count(*) AS c FROM xf u "
    "WHERE u.v BETWEEN t.b AND t.a) s ON true",
]


@pytest.mark.parametrize("sql", KEYED)
def test_lateral_tied_by_the_outer_key(db, sql):
    db.both(sql, ordered=False)


def test_explain_co_located_lateral_runs_on_the_shards(db):
    _, rows = db.murphy("EXPLAIN SELECT t.id, s.y FROM xo t JOIN LATERAL "
                        "(SELECT u.v + t.b AS y FROM xh u WHERE u.oid = t.id) s ON true")
    text = "\n".join(r[0] for r in rows)
    assert "co-located" in text and "Subquery" not in text, text


@pytest.mark.parametrize("sql", [
    # an aggregate of the query's columns inside the LATERAL (PostgreSQL: 42803)
    "SELECT * FROM xo t, LATERAL (SELECT sum(t.a + u.v) AS x FROM xf u WHERE u.oid = t.id) s",
    # a volatile function in an item the query would compute at each reference
    "SELECT s.x, s.x FROM xo t, LATERAL (SELECT t.a + random() AS x FROM xf u "
    "WHERE u.oid = t.id ORDER BY u.fid LIMIT 1) s",
    # a table without a key (no column stands for its rows in the query)
    "SELECT n.a, s.w FROM xn n, LATERAL (SELECT r.w FROM xr r WHERE r.k > n.a "
    "ORDER BY r.k LIMIT 1) s",
    # outer columns of two tables
    "SELECT * FROM xo t, xh h, LATERAL (SELECT u.v FROM xf u WHERE u.v < t.a "
    "AND u.fid > h.k ORDER BY u.v LIMIT 1) s",
])
def test_still_refused_0a000_naming_lateral(db, sql):
    err = None
    try:
        db.murphy(sql)
    except Exception as e:  # psycopg2.Error
        err = e
    assert err is not None and err.pgcode == "0A000", "%s: %r" % (sql, err)
    assert "LATERAL" in str(err), str(err)
