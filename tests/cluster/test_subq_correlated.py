"""General correlated subqueries (issue 19), each checked against a real
PostgreSQL on the same rows: EXISTS / NOT EXISTS / IN / NOT IN / scalar
subqueries correlated by more than the key-set rewrite takes (a
non-equality, several tables' columns, correlation two levels up, a scalar
aggregate in the select list), decorrelated by the outer table's primary
key (parser/analyze_outerkey.c): the keys of the outer rows the subquery
holds for, computed once by a distributed join.  NULLs, empty inputs and
duplicates; distributed, co-located and reference tables.  murphy before
this refused every one with 0A000."""
import pytest

REF = " WITH (distribution = 'reference')"
O = [(1, 1, 10), (2, 5, 10), (3, None, 20), (4, 7, None), (5, 2, 20), (6, 9, 30),
     (7, 0, 10), (8, 4, None)]
F = [(1, 1, 3), (2, 1, 8), (3, 2, None), (4, 2, 1), (5, 3, 2), (6, 5, 5), (7, 5, 1),
     (8, None, 4), (9, 6, 9), (10, 6, 9), (11, 1, None)]
R = [(1, "a", 3), (2, "b", None), (3, "c", 8)]


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for t in ("co", "cf", "cr", "cempty", "cnopk", "ck"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE co (id int PRIMARY KEY, a int, b int)")
    db.exec_both("CREATE TABLE cf (fid int PRIMARY KEY, oid int, v int)")
    db.exec_both("CREATE TABLE cempty (id int PRIMARY KEY, v int)")
    db.exec_both("CREATE TABLE cnopk (a int, b int)")
    db.exec_both("CREATE TABLE ck (k1 int, k2 int, x int, PRIMARY KEY (k1, k2))")
    db.exec_both("INSERT INTO ck VALUES (1, 1, 2), (1, 2, 9), (2, 1, NULL), (5, 5, 0)")
    db.murphy("CREATE TABLE cr (id int PRIMARY KEY, tag text, w int)" + REF)
    db.p.cursor().execute("CREATE TABLE cr (id int PRIMARY KEY, tag text, w int)")
    for row in O:
        db.exec_both("INSERT INTO co VALUES (%s, %s, %s)", row)
    for row in F:
        db.exec_both("INSERT INTO cf VALUES (%s, %s, %s)", row)
    for row in R:
        db.exec_both("INSERT INTO cr VALUES (%s, %s, %s)", row)
    db.exec_both("INSERT INTO cnopk VALUES (1, 2), (1, 2), (NULL, 3), (5, NULL), (8, 1)")
    return db


CORRELATED = [
    # the brief's list, refused before
    "SELECT * FROM co o WHERE EXISTS (SELECT 1 FROM cf f WHERE f.oid = o.id AND f.v > o.a)",
    "SELECT id, (SELECT count(*) FROM cf f WHERE f.v < o.a) FROM co o",
    "SELECT * FROM co o WHERE EXISTS (SELECT 1 FROM cf f WHERE f.oid = o.id AND "
    "EXISTS (SELECT 1 FROM co o2 WHERE o2.id = f.v AND o2.b = o.b))",
    # EXISTS / NOT EXISTS
    "SELECT id FROM co o WHERE NOT EXISTS (SELECT 1 FROM cf f WHERE f.oid = o.id AND f.v > o.a)",
    "SELECT id FROM co o WHERE EXISTS (SELECT 1 FROM cf f WHERE f.v > o.a)",
    "SELECT id FROM co o WHERE EXISTS (SELECT * FROM cf f WHERE f.v BETWEEN o.a AND o.a + 2)",
    "SELECT id FROM co o WHERE NOT EXISTS (SELECT 1 FROM cempty e WHERE e.v < o.a)",
    "SELECT id FROM co o WHERE EXISTS (SELECT 1 FROM cf f WHERE f.oid = o.id OR f.v = o.b)",
    "SELECT id FROM co o WHERE EXISTS (SELECT 1 FROM cr r WHERE r.w > o.a AND r.tag <> 'c')",
    "SELECT id, EXISTS (SELECT 1 FROM cf f WHERE f.v >= o.a) AS e FROM co o",
    "SELECT id FROM co o WHERE EXISTS (SELECT 1 FROM cf f WHERE f.oid = o.id AND f.v = o.a "
    "AND f.fid <> o.id)",
    "SELECT id FROM co WHERE EXISTS (SELECT 1 FROM cf WHERE oid <> id AND v = a)",
    # IN / NOT IN with NULLs
    "SELECT id FROM co o WHERE o.b / 10 IN (SELECT f.v FROM cf f WHERE f.oid < o.id)",
    "SELECT id, o.a IN (SELECT f.v FROM cf f WHERE f.oid > o.a) AS i FROM co o",
    "SELECT id, o.a NOT IN (SELECT f.v FROM cf f WHERE f.fid > o.id) AS n FROM co o",
    "SELECT id FROM co o WHERE o.a NOT IN (SELECT f.v FROM cf f WHERE f.v IS NOT NULL "
    "AND f.oid <> o.id)",
    "SELECT id FROM co o WHERE o.b IN (SELECT f.v * 10 FROM cf f WHERE f.oid = o.id)",
    "SELECT id, o.b NOT IN (SELECT f.v + o.a FROM cf f WHERE f.fid <> o.id) AS n FROM co o",
    "SELECT id FROM co o WHERE o.a + 1 IN (SELECT coalesce(f.v, 0) + 1 FROM cf f "
    "WHERE f.oid <= o.id)",
    # scalar subqueries: aggregates over no row, NULLs, in WHERE and HAVING-free lists
    "SELECT id, (SELECT sum(f.v) FROM cf f WHERE f.oid <= o.a) AS s, "
    "(SELECT max(f.fid) FROM cf f WHERE f.v > o.a) AS m FROM co o",
    "SELECT id FROM co o WHERE (SELECT count(*) FROM cf f WHERE f.v < o.a) > 2",
    "SELECT id, (SELECT count(f.v) FROM cf f WHERE f.oid = o.id AND f.v <> o.a) AS c FROM co o",
    "SELECT id, (SELECT min(r.tag) FROM cr r WHERE r.w > o.a) AS t FROM co o",
    "SELECT id, (SELECT f.v FROM cf f WHERE f.fid = o.id + 1 AND f.oid > o.a) AS v FROM co o",
    "SELECT id, (SELECT sum(f.v * o.b) FROM cf f WHERE f.oid = o.id OR f.fid = o.id) AS p "
    "FROM co o",
    "SELECT id, (SELECT count(DISTINCT f.v) FROM cf f WHERE f.oid >= o.a) AS d FROM co o",
    "SELECT count(*) FROM co o WHERE EXISTS (SELECT 1 FROM cf f WHERE f.v > o.a) "
    "AND o.b IS NOT NULL",
    # the outer table again inside, names unqualified (each must stay the inner one's)
    "SELECT id FROM co o WHERE b >= (SELECT avg(b) FROM co WHERE a <= o.a)",
    "SELECT id, (SELECT count(*) FROM co WHERE a < o.a AND b = o.b) AS n FROM co o",
    "SELECT id FROM co WHERE EXISTS (SELECT 1 FROM cf JOIN cr ON cr.id = cf.oid WHERE w > a)",
    "SELECT id FROM co o WHERE EXISTS (SELECT 1 FROM cf f JOIN cf g USING (oid) WHERE g.v > o.a)",
    # in a JOIN's ON, beside another table
    "SELECT o.id, f.fid FROM co o JOIN cf f ON f.oid = o.id "
    "AND EXISTS (SELECT 1 FROM cf g WHERE g.v > o.a)",
    "SELECT o.id, r.tag FROM co o, cr r WHERE r.id = o.id "
    "AND NOT EXISTS (SELECT 1 FROM cf g WHERE g.v > o.a)",
    # no primary key: murphy's hidden row id stands for each row (duplicates kept)
    "SELECT a, b FROM cnopk n WHERE EXISTS (SELECT 1 FROM cf f WHERE f.v > n.a)",
    "SELECT a, (SELECT count(*) FROM cf f WHERE f.v > n.a) AS c FROM cnopk n",
    "SELECT a, b FROM cnopk n WHERE a NOT IN (SELECT f.oid FROM cf f WHERE f.v > n.b)",
    # a key of two columns
    "SELECT k1, k2 FROM ck WHERE EXISTS (SELECT 1 FROM cf f WHERE f.v > ck.x AND f.oid = ck.k1)",
    "SELECT k1, k2 FROM ck WHERE NOT EXISTS (SELECT 1 FROM cf f WHERE f.v BETWEEN ck.k2 AND ck.x)",
    # two levels, NOT EXISTS both
    "SELECT id FROM co o WHERE NOT EXISTS (SELECT 1 FROM cf f WHERE f.oid = o.id AND "
    "NOT EXISTS (SELECT 1 FROM co o2 WHERE o2.id = f.v AND o2.b = o.b))",
    # outer columns of two tables, a grouped query (test_corrsub_two_outer.py)
    "SELECT o.id FROM co o, cr r WHERE EXISTS (SELECT 1 FROM cf f WHERE f.v > o.a AND f.v < r.w)",
    "SELECT b, count(*) FROM co o GROUP BY b HAVING EXISTS (SELECT 1 FROM cf f WHERE f.v > o.b)",
    "SELECT b, (SELECT count(*) FROM cf f WHERE f.v < o.b) FROM co o GROUP BY b",
]


@pytest.mark.parametrize("sql", CORRELATED)
def test_correlated_subquery(db, sql):
    db.both(sql)


def test_explain_names_the_strategy(db):
    _, rows = db.murphy("EXPLAIN SELECT * FROM co o WHERE EXISTS "
                        "(SELECT 1 FROM cf f WHERE f.oid = o.id AND f.v > o.a)")
    text = "\n".join(r[0] for r in rows)
    assert "decorrelated by the outer table's primary key" in text, text
    assert "mur_subq_in(" in text, text
    # the equality-only form keeps the key-set rewrite
    _, rows = db.murphy("EXPLAIN SELECT * FROM co o WHERE EXISTS "
                        "(SELECT 1 FROM cf f WHERE f.oid = o.id)")
    text = "\n".join(r[0] for r in rows)
    assert "correlated subquery as a semi-join" in text, text


def test_parameters_and_repeats(db):
    """Parameters reach the rewritten subquery; the statement run again
    (its parse tree cached, other numbers) answers anew."""
    sql = "SELECT id FROM co o WHERE EXISTS (SELECT 1 FROM cf f WHERE f.v > o.a + %s)"
    for k in (0, 3, 0, -1):
        db.both(sql, (k,))
    for k in (1, 4, 2):
        db.both("SELECT id, (SELECT count(*) FROM cf f WHERE f.v < o.a + %d) AS n FROM co o" % k)


@pytest.mark.parametrize("sql, sqlstate", [
    ("SELECT id, (SELECT f.v FROM cf f WHERE f.oid < o.id) FROM co o", "21000"),
])
def test_correlated_errors_like_postgres(db, sql, sqlstate):
    db.both_error(sql, sqlstate)


@pytest.mark.parametrize("sql, words", [
    # a key of two columns: EXISTS only
    ("SELECT k1 FROM ck WHERE x > (SELECT count(*) FROM cf f WHERE f.v > ck.k2)",
     "correlated subqueries"),
    # an aggregate of the outer query's columns
    ("SELECT id, (SELECT max(o.a) FROM cf f WHERE f.v > 1) FROM co o", "correlated subqueries"),
    # the same, the outer columns inside a subquery within the aggregate (PostgreSQL's
    # aggregates.sql:141 answers one row: max over the outer rows)
    ("SELECT (SELECT max((SELECT f.v FROM cf f WHERE f.fid = o.id))) FROM co o",
     "correlated subqueries"),
    # an outer column in a JOIN's ON inside the subquery
    ("SELECT id FROM co o WHERE EXISTS (SELECT 1 FROM cf f JOIN cr r ON r.w > o.a)",
     "correlated subqueries"),
    # IN over an aggregate
    ("SELECT id FROM co o WHERE o.a IN (SELECT max(f.v) FROM cf f WHERE f.oid = o.id)",
     "correlated subqueries"),
    # on the null-extended side of an outer join
    ("SELECT r.id FROM cr r LEFT JOIN co o ON o.id = r.id WHERE EXISTS "
     "(SELECT 1 FROM cf f WHERE f.v > o.a)", "correlated subqueries"),
])
def test_still_refused_is_0a000(db, sql, words):
    err = None
    try:
        db.murphy(sql)
    except Exception as e:  # psycopg2.Error
        err = e
    assert err is not None and err.pgcode == "0A000", "%s: %r" % (sql, err)
    assert words in str(err), str(err)
    assert err.diag.message_hint and "It is not decorrelated: " in err.diag.message_hint, \
        err.diag.message_hint
