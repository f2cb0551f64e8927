"""Correlated subqueries over two tables of the query around them, and in
a grouped query (HAVING, a GROUP BY query's select list) (issue 19),
decorrelated by parser/analyze_outerkey.c:

- two outer tables: each copied into the subquery and tied to the outer
  row by its one-column key (EXISTS probes the key pairs; a scalar or IN
  subquery the pair's text, concat(a.pk, ',', b.pk), the first key an
  integer), the key set computed once, distributed;
- grouped: a copy of the grouped column's table, one row per value
  (`m.pk IN (SELECT min(pk) ... GROUP BY g)`), keyed by the value (a
  nullable one by concat(g IS NULL, ',', g), so the NULL group meets the
  subquery's rows for a NULL g).

Each query is compared with a real PostgreSQL on the same rows: tables
distributed by another column (not co-located), co-located, a reference
table, a table without a key (the hidden row id stands for its rows),
NULLs in keys, values and groups, duplicate rows, an empty table.
murphy-s18 (main at the session's start) answered each with 0A000.
"""
import pytest

REF = " WITH (distribution = 'reference')"
T = [(1, 10, "x"), (2, 20, "y"), (3, None, "x"), (4, 40, None), (5, 10, "y")]
T2 = [(1, 1), (2, 2), (3, 3), (4, None)]
U = [(1, 1, 1), (1, 2, 2), (2, None, 3), (5, 5, 4), (None, 7, 5), (1, 2, 6), (4, 30, 7)]
NK = [(1, 1), (1, 1), (2, None), (3, 25)]


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for t in ("ct", "ct2", "cu", "cr", "cnk", "ce"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE ct (k int PRIMARY KEY, a int, g text)")
    db.exec_both("CREATE TABLE ct2 (x int PRIMARY KEY, b int)")
    db.exec_both("CREATE TABLE cu (k int, b int, id int)")
    db.exec_both("CREATE TABLE cnk (a int, b int)")
    db.exec_both("CREATE TABLE ce (k int PRIMARY KEY, v int)")
    db.murphy("CREATE TABLE cr (x int PRIMARY KEY, b int)" + REF)
    db.p.cursor().execute("CREATE TABLE cr (x int PRIMARY KEY, b int)")
    for row in T:
        db.exec_both("INSERT INTO ct VALUES (%s, %s, %s)", row)
    for row in T2:
        db.exec_both("INSERT INTO ct2 VALUES (%s, %s)", row)
        db.exec_both("INSERT INTO cr VALUES (%s, %s)", row)
    for row in U:
        db.exec_both("INSERT INTO cu VALUES (%s, %s, %s)", row)
    for row in NK:
        db.exec_both("INSERT INTO cnk VALUES (%s, %s)", row)
    return db


TWO = [
    # EXISTS / NOT EXISTS over two outer tables, not by equalities only
    "SELECT t.k, s.x FROM ct t, ct2 s WHERE EXISTS (SELECT 1 FROM cu u "
    "WHERE u.k = t.k AND u.id > s.x)",
    "SELECT t.k, s.x FROM ct t, ct2 s WHERE EXISTS (SELECT 1 FROM cu u "
    "WHERE u.b < t.a AND u.id > s.x)",
    "SELECT t.k, s.x FROM ct t, ct2 s WHERE NOT EXISTS (SELECT 1 FROM cu u "
    "WHERE u.b < t.a AND u.id > s.x)",
    "SELECT t.k, s.x FROM ct t JOIN ct2 s ON t.k = s.x WHERE EXISTS (SELECT 1 FROM cu u "
    "WHERE u.b <= s.b + t.a)",
    "SELECT t.k, r.x FROM ct t, cr r WHERE EXISTS (SELECT 1 FROM cu u "
    "WHERE u.k = t.k AND u.b >= r.b)",
    "SELECT n.a, s.x FROM cnk n, ct2 s WHERE EXISTS (SELECT 1 FROM cu u "
    "WHERE u.b < n.b AND u.id > s.x)",
    "SELECT t.k, s.x FROM ct t, ct2 s WHERE EXISTS (SELECT 1 FROM ce e "
    "WHERE e.v < t.a AND e.k > s.x)",
    "SELECT t.k, s.x FROM ct t, ct2 s WHERE t.k < 3 AND NOT EXISTS (SELECT 1 FROM ce e "
    "WHERE e.v < t.a + s.b)",
    # scalar subqueries over two outer tables (one key: the pair's text)
    "SELECT t.k, s.x, (SELECT count(*) FROM cu u WHERE u.k = t.k AND u.id >= s.x) "
    "FROM ct t, ct2 s",
    "SELECT t.k, s.x, (SELECT max(u.b) FROM cu u WHERE u.b < t.a AND u.id > s.b) "
    "FROM ct t, ct2 s",
    "SELECT t.k, s.x FROM ct t, ct2 s WHERE (SELECT sum(u.b) FROM cu u "
    "WHERE u.b < t.a AND u.id > s.x) > 3",
    "SELECT t.k, n.b, (SELECT count(*) FROM cu u WHERE u.b > n.b AND u.k <> t.k) "
    "FROM ct t, cnk n",
    "SELECT t.k, s.x, (SELECT u.id FROM cu u WHERE u.b = t.a / 10 AND u.id < s.x) "
    "FROM ct t, ct2 s WHERE t.k IN (1, 3, 4)",
    "SELECT t.k, s.x, (SELECT count(*) FROM ce e WHERE e.v > t.a + s.x) FROM ct t, ct2 s",
    # IN / NOT IN over two outer tables (NULLs on both sides)
    "SELECT t.k, s.x FROM ct t, ct2 s WHERE t.k IN (SELECT u.k FROM cu u "
    "WHERE u.b < t.a AND u.id > s.x)",
    "SELECT t.k, s.x FROM ct t, ct2 s WHERE t.k NOT IN (SELECT u.k FROM cu u "
    "WHERE u.b < t.a AND u.id > s.x)",
    "SELECT t.k, s.x FROM ct t, ct2 s WHERE s.b IN (SELECT u.b FROM cu u "
    "WHERE u.id <> t.k AND u.k <= s.x)",
]


@pytest.mark.parametrize("sql", TWO)
def test_two_outer_tables(db, sql):
    db.both(sql, ordered=False)


GROUPED = [
    "SELECT t.a, count(*) FROM ct t GROUP BY t.a HAVING EXISTS (SELECT 1 FROM cu u "
    "WHERE u.b < t.a)",
    "SELECT t.a, count(*) FROM ct t GROUP BY t.a HAVING NOT EXISTS (SELECT 1 FROM cu u "
    "WHERE u.b * 10 > t.a)",
    "SELECT t.a, (SELECT count(*) FROM cu u WHERE u.b < t.a) FROM ct t GROUP BY t.a",
    "SELECT t.a, (SELECT count(*) FROM cu u WHERE u.b < t.a), sum(t.k) FROM ct t "
    "GROUP BY t.a",
    "SELECT t.a, count(*) FROM ct t GROUP BY t.a HAVING count(*) > (SELECT count(*) "
    "FROM cu u WHERE u.b > t.a) - 2",
    # a text group, NULL among the groups (keyed by concat(g IS NULL, ',', g))
    "SELECT t.g, count(*), (SELECT count(*) FROM cu u WHERE u.id::text > t.g OR t.g IS NULL) "
    "FROM ct t GROUP BY t.g",
    "SELECT t.g FROM ct t GROUP BY t.g HAVING EXISTS (SELECT 1 FROM cu u "
    "WHERE t.g IS NULL AND u.b IS NULL)",
    # duplicate rows: each value once, so each inner row counted once
    "SELECT n.a, count(*), (SELECT count(*) FROM cu u WHERE u.k >= n.a) FROM cnk n "
    "GROUP BY n.a",
    "SELECT n.b, (SELECT sum(u.b) FROM cu u WHERE u.b < n.b) FROM cnk n GROUP BY n.b",
    "SELECT n.b FROM cnk n GROUP BY n.b HAVING n.b IN (SELECT u.b FROM cu u "
    "WHERE u.id > n.b / 10)",
    # joined and filtered grouped queries, a reference table, an empty table
    "SELECT s.b, count(*) FROM ct t JOIN ct2 s ON s.x = t.k GROUP BY s.b "
    "HAVING EXISTS (SELECT 1 FROM cu u WHERE u.id > s.b * 2)",
    "SELECT r.b, (SELECT count(*) FROM cu u WHERE u.b > r.b) FROM cr r WHERE r.x > 1 "
    "GROUP BY r.b",
    "SELECT t.a, (SELECT max(e.v) FROM ce e WHERE e.v < t.a) FROM ct t GROUP BY t.a",
    # an aggregate of the query's columns inside the subquery is the query's
    # (PostgreSQL's outer aggregate, aggregates.sql:129): its value per group probed
    "SELECT t.g, count(*) FROM ct t GROUP BY t.g HAVING EXISTS (SELECT 1 FROM cu u "
    "WHERE u.b * 10 = min(t.a))",
    "SELECT t.g, (SELECT count(*) FROM cu u WHERE u.k = count(t.a)) FROM ct t GROUP BY t.g",
    "SELECT count(*) FROM ct t HAVING EXISTS (SELECT 1 FROM cu u WHERE u.k = count(t.g))",
    "SELECT (SELECT count(*) FROM cu u WHERE u.k = count(t.a)) FROM ct t",
    # in the WHERE of a grouped query the subquery reads rows, keyed by the value too
    "SELECT t.g, count(*) FROM ct t WHERE EXISTS (SELECT 1 FROM cu u WHERE u.b < t.a) "
    "GROUP BY t.g",
    "SELECT t.a, count(*) FROM ct t WHERE (SELECT count(*) FROM cu u WHERE u.id > t.k) > 2 "
    "GROUP BY t.a",
]


@pytest.mark.parametrize("sql", GROUPED)
def test_grouped_outer_query(db, sql):
    db.both(sql, ordered=False)


@pytest.mark.parametrize("sql", [
    # an ungrouped column of the query around it
    "SELECT t.a, (SELECT count(*) FROM cu u WHERE u.b < t.k) FROM ct t GROUP BY t.a",
    "SELECT t.k, (SELECT 1 FROM cu u WHERE u.k = max(t.a)) FROM ct t",
    # the query's aggregate in its WHERE
    "SELECT t.k FROM ct t WHERE EXISTS (SELECT 1 FROM cu u WHERE u.b = max(t.a))",
    # the subquery's own aggregate in its WHERE
    "SELECT t.g FROM ct t GROUP BY t.g HAVING EXISTS (SELECT 1 FROM cu u "
    "WHERE u.b = sum(t.a + u.b))",
])
def test_42803_as_postgresql(db, sql):
    db.both_error(sql, "42803")


def test_explain_shows_the_key_set(db):
    _, rows = db.murphy("EXPLAIN SELECT t.k, s.x FROM ct t, ct2 s WHERE EXISTS "
                        "(SELECT 1 FROM cu u WHERE u.b < t.a AND u.id > s.x)")
    text = "\n".join(r[0] for r in rows)
    assert "mur_subq_in2" in text, text
    _, rows = db.murphy("EXPLAIN SELECT t.a, (SELECT count(*) FROM cu u WHERE u.b < t.a) "
                        "FROM ct t GROUP BY t.a")
    text = "\n".join(r[0] for r in rows)
    assert "decorrelated by the group value of the grouped query" in text, text
    assert "mur_subq_get(" in text, text


@pytest.mark.parametrize("sql", [
    # three outer tables
    "SELECT t.k FROM ct t, ct2 s, cr r WHERE EXISTS (SELECT 1 FROM cu u "
    "WHERE u.b < t.a AND u.id > s.x AND u.k < r.x)",
    # two grouped columns
    "SELECT t.a, t.g FROM ct t GROUP BY t.a, t.g HAVING EXISTS (SELECT 1 FROM cu u "
    "WHERE u.b < t.a AND u.id::text > t.g)",
])
def test_still_refused_0a000(db, sql):
    err = None
    try:
        db.murphy(sql)
    except Exception as e:  # psycopg2.Error
        err = e
    assert err is not None and err.pgcode == "0A000", "%s: %r" % (sql, err)
    assert "correlated" in str(err), str(err)
