"""Row constructors and row comparisons (issue 19), each checked against a
real PostgreSQL on the same rows: (a, b) = / <> / < / <= / > / >= (c, d)
with PostgreSQL's NULL rules, (a, b) [NOT] IN ((1, 2), ...), and with an
uncorrelated subquery: (a, b) [NOT] IN (SELECT x, y ...) (a set of rows
the shards probe: mur_subq_rowin) and (a, b) op (SELECT x, y ...)
(mur_subq_rowcmp); NULLs on either side, empty subqueries, duplicates, a
distributed, a co-located and a reference table.  murphy before this
refused every one with 0A000."""
import pytest

REF = " WITH (distribution = 'reference')"
O = [(1, 1, 1), (2, 1, 2), (3, 2, None), (4, None, 1), (5, None, None), (6, 3, 3),
     (7, 2, 2), (8, 1, 1)]
F = [(1, 1, 1), (2, 1, 1), (3, 2, None), (4, None, 2), (5, 3, 3), (6, 8, 5), (7, 2, 2)]
R = [(1, 1), (2, 2), (3, None)]


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for t in ("ro", "rf", "rr", "rempty"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE ro (id int PRIMARY KEY, a int, b int)")
    db.exec_both("CREATE TABLE rf (fid int PRIMARY KEY, oid int, v int)")
    db.exec_both("CREATE TABLE rempty (x int PRIMARY KEY, y int)")
    db.murphy("CREATE TABLE rr (x int PRIMARY KEY, y int)" + REF)
    db.p.cursor().execute("CREATE TABLE rr (x int PRIMARY KEY, y int)")
    for row in O:
        db.exec_both("INSERT INTO ro VALUES (%s, %s, %s)", row)
    for row in F:
        db.exec_both("INSERT INTO rf VALUES (%s, %s, %s)", row)
    for row in R:
        db.exec_both("INSERT INTO rr VALUES (%s, %s)", row)
    return db


ROW_OPS = [
    "SELECT id FROM ro WHERE (a, b) = (1, 1)",
    "SELECT id, (a, b) = (1, 1) AS e, (a, b) <> (1, 1) AS n FROM ro",
    "SELECT id, (a, b) < (2, 2) AS lt, (a, b) <= (2, 2) AS le, (a, b) > (1, 1) AS gt, "
    "(a, b) >= (2, NULL) AS ge FROM ro",
    "SELECT id FROM ro WHERE (a, b) > (1, 1) ORDER BY id",
    "SELECT id FROM ro WHERE row(a, b) < row(2, 2)",
    "SELECT id FROM ro WHERE (id, a) = (3, 2)",
    "SELECT id FROM ro WHERE (a, b, id) >= (1, 2, 0)",
    "SELECT id FROM ro WHERE (a, b) IN ((1, 1), (2, 2), (NULL, 1))",
    "SELECT id, (a, b) NOT IN ((1, 1), (2, NULL)) AS n FROM ro",
    "SELECT id FROM ro WHERE (b, a) = (a, b)",
    "SELECT (1, 2) < (1, 3), (1, NULL) = (1, 2), (1, NULL) = (2, 2), (1, NULL) <> (2, 2)",
    "SELECT ('a', 2) < ('b', 1), (1.5, 2) = (1.50, 2)",
]

ROW_SUBQ = [
    "SELECT id FROM ro WHERE (id, a) IN (SELECT oid, v FROM rf)",
    "SELECT id FROM ro WHERE (a, b) IN (SELECT oid, v FROM rf)",
    "SELECT id, (a, b) IN (SELECT oid, v FROM rf) AS i FROM ro",
    "SELECT id, (a, b) NOT IN (SELECT oid, v FROM rf) AS n FROM ro",
    "SELECT id FROM ro WHERE (a, b) NOT IN (SELECT oid, v FROM rf WHERE v IS NOT NULL "
    "AND oid IS NOT NULL)",
    "SELECT id, (a, b) IN (SELECT x, y FROM rempty) AS i, (a, b) NOT IN (SELECT x, y FROM rempty) "
    "AS n FROM ro",
    "SELECT id FROM ro WHERE (a, b) IN (SELECT x, y FROM rr)",
    "SELECT id, (a, b) NOT IN (SELECT x, y FROM rr) AS n FROM ro",
    "SELECT id FROM ro WHERE (a, b) = ANY (SELECT oid, v FROM rf)",
    "SELECT id FROM ro WHERE (a, b) <> ALL (SELECT oid, v FROM rf WHERE fid < 3)",
    "SELECT id FROM ro WHERE (a, b) = (SELECT 1, 1)",
    "SELECT id, (a, b) = (SELECT oid, v FROM rf WHERE oid = 3) AS e, "
    "(a, b) < (SELECT oid, v FROM rf WHERE oid = 3) AS l FROM ro",
    "SELECT id, (a, b) = (SELECT x, y FROM rempty) AS e FROM ro",
    "SELECT id FROM ro WHERE (a, b) >= (SELECT oid, v FROM rf ORDER BY oid, fid LIMIT 1) ORDER BY id",
    "SELECT id FROM ro WHERE (id, b) IN (SELECT oid, v::numeric FROM rf)",
    "SELECT count(*) FROM ro WHERE (a, b) IN (SELECT a, b FROM ro WHERE id > 4)",
]


@pytest.mark.parametrize("sql", ROW_OPS)
def test_row_comparison(db, sql):
    db.both(sql)


@pytest.mark.parametrize("sql", ROW_SUBQ)
def test_row_comparison_with_subquery(db, sql):
    db.both(sql)


@pytest.mark.parametrize("sql, sqlstate", [
    ("SELECT id FROM ro WHERE (a, b) = (1, 2, 3)", "42601"),
    ("SELECT id FROM ro WHERE (a, b) IN (SELECT oid FROM rf)", "42601"),
    ("SELECT id FROM ro WHERE (a, b) IN (SELECT oid, v, fid FROM rf)", "42601"),
    ("SELECT id FROM ro WHERE (a, b) = (SELECT oid, v FROM rf)", "21000"),
])
def test_row_errors_like_postgres(db, sql, sqlstate):
    db.both_error(sql, sqlstate)


@pytest.mark.parametrize("sql, words", [
    ("SELECT id FROM ro WHERE (a, b) IS DISTINCT FROM (1, 2)", "row constructor"),
    ("SELECT id FROM ro WHERE (a, b) < ANY (SELECT oid, v FROM rf)", "ANY / ALL with a row"),
    ("SELECT id FROM ro WHERE (a, b) < (random(), 1)", "row ordering comparison"),
])
def test_row_unsupported_is_0a000(db, sql, words):
    err = None
    try:
        db.murphy(sql)
    except Exception as e:  # psycopg2.Error
        err = e
    assert err is not None and err.pgcode == "0A000", "%s: %r" % (sql, err)
    assert words in str(err), str(err)


def test_explain_shows_the_row_set(db):
    _, rows = db.murphy("EXPLAIN SELECT id FROM ro WHERE (a, b) IN (SELECT oid, v FROM rf)")
    text = "\n".join(r[0] for r in rows)
    assert "Subquery 1 (IN / ANY / ALL set, run once first" in text, text
    assert "mur_subq_rowin(" in text, text
