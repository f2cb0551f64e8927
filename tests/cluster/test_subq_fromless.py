"""A subquery without FROM that reads the query's columns (issue 19):
`(SELECT f1 + f2)`, `ROW(1, 2) = (SELECT f1, f2)` (subselect.sql:90),
`f2 IN (SELECT f1 + 1)`.  It is one row of its select list, so
parser/analyze_subq.c reads it in place (fromless_inline): the scalar is
its expression, x op ANY / ALL (SELECT e) is x op e, a row comparison
compares the rows.  Compared with a real PostgreSQL on the same rows
(NULLs on both sides, duplicates, a distributed and a reference table).
murphy-s18 answered the row comparisons, ANY / ALL with other operators
than IN's, the grouped query and the two-column error with 0A000 (13 of
these 21 tests fail there); the scalar, IN and join forms it answered by
the outer-key rewrite (a copy of the table joined in), now read in place.
"""
import pytest

REF = " WITH (distribution = 'reference')"
ROWS = [(1, 2, 3.5), (2, 3, 4.0), (1, 1, 1.0), (None, 2, 3.0), (3, None, 1.0), (1, 2, 3.5)]


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for t in ("fl", "flr"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE fl (f1 int, f2 int, f3 float8)")
    db.murphy("CREATE TABLE flr (f1 int, f2 int, f3 float8)" + REF)
    db.p.cursor().execute("CREATE TABLE flr (f1 int, f2 int, f3 float8)")
    for row in ROWS:
        db.exec_both("INSERT INTO fl VALUES (%s, %s, %s)", row)
        db.exec_both("INSERT INTO flr VALUES (%s, %s, %s)", row)
    return db


QUERIES = [
    "SELECT ROW(1, 2) = (SELECT f1, f2) AS eq FROM {t}",
    "SELECT f1, f2, ROW(f1, 2) < (SELECT f2, f1) FROM {t}",
    "SELECT f1, (SELECT f1 + f2) AS s, (SELECT f3 * 2) FROM {t}",
    "SELECT f1 FROM {t} WHERE f2 IN (SELECT f1 + 1)",
    "SELECT f1 FROM {t} WHERE f2 NOT IN (SELECT f1 + 1)",
    "SELECT f1, f2 FROM {t} WHERE f2 > ALL (SELECT f1)",
    "SELECT f1, f2 FROM {t} WHERE f2 <> ANY (SELECT f1)",
    "SELECT f1, f2 FROM {t} WHERE (f1, f2) IN (SELECT f2 - 1, f1 + 1)",
    "SELECT f1, count(*) FROM {t} GROUP BY f1 HAVING (SELECT f1) IS NOT NULL",
    "SELECT a.f1, b.f2 FROM {t} a JOIN fl b ON b.f1 = (SELECT a.f2 - 1)",
]


@pytest.mark.parametrize("table", ["fl", "flr"])
@pytest.mark.parametrize("sql", QUERIES)
def test_fromless_subquery_read_in_place(db, sql, table):
    db.both(sql.format(t=table), ordered=False)


def test_more_than_one_column_is_an_error_as_postgresql(db):
    db.both_error("SELECT (SELECT f1, f2) FROM fl", "42601")
