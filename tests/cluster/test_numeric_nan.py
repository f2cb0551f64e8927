"""numeric NaN as PostgreSQL's (issue 19), compared EXACTLY with
PostgreSQL 15: input in any case and with blanks, in numeric(p,s) too,
stored on a distributed table, equal to itself and above every number
(ORDER BY, GROUP BY, DISTINCT, =, <, joins), NaN out of arithmetic and
functions (NaN / 0 too; NaN ^ 0 = 1 ^ NaN = 1), sum/avg/min/max across
shards, and PostgreSQL's errors for what cannot take it.  Before
2026-12-07 every NaN was refused with 0A000 (numeric.sql's expected
results hold NaN, so the file's transaction failed whole).  Infinity
stays refused with 0A000 (murphy keeps no infinite numeric)."""
import pytest

from compare import exact


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    db.exec_both("DROP TABLE IF EXISTS nan_t")
    db.exec_both("CREATE TABLE nan_t (id int PRIMARY KEY, x numeric, y numeric(10,2), g int)")
    db.exec_both("INSERT INTO nan_t VALUES (1, 'NaN', 'nan', 1), (2, 1.5, 2, 1), (3, ' NaN ', 3.333, 2),"
                 " (4, -7, NULL, 2), (5, 1e10, 'NaN', 3), (6, 0, 0, 3), (7, 2.50, 'NaN', 1)")
    return db


@pytest.mark.parametrize("sql", [
    "SELECT id, x, y FROM nan_t ORDER BY x, id",
    "SELECT id, x FROM nan_t ORDER BY x DESC NULLS LAST, id",
    "SELECT x, count(*) FROM nan_t GROUP BY x",
    "SELECT DISTINCT y FROM nan_t",
    "SELECT count(DISTINCT x) FROM nan_t",
    "SELECT count(DISTINCT y) FROM nan_t",
    "SELECT sum(x), avg(x), min(x), max(x), sum(y), max(y), min(y) FROM nan_t",
    "SELECT g, sum(x), avg(y), max(x) FROM nan_t GROUP BY g",
    "SELECT id FROM nan_t WHERE x = 'NaN'",
    "SELECT id FROM nan_t WHERE x > 1e20",
    "SELECT id FROM nan_t WHERE x < y",
    "SELECT a.id, b.id FROM nan_t a JOIN nan_t b ON a.x = b.y",
    "SELECT id, x + 1, x - x, x * 0, x % 2, -x, abs(x), sign(x), round(x, 1), trunc(x), ceil(x),"
    " floor(x) FROM nan_t WHERE id IN (1, 2)",
    "SELECT id, sqrt(abs(x)), ln(abs(x) + 1), exp(x / 1e10), power(x, 0), power(1.0, x),"
    " power(x, 2), log(10, abs(x) + 1) FROM nan_t WHERE id IN (1, 2)",
    "SELECT 'NaN'::numeric / 0 AS a, 0 / 'NaN'::numeric AS b, 'NaN'::numeric % 0 AS c,"
    " 'NaN'::numeric::text AS d, 'nan'::numeric(3,1) AS e, 'NaN'::numeric = 'NaN' AS f,"
    " 'NaN'::numeric > 1e100 AS g",
    "SELECT count(*) FROM (SELECT x FROM nan_t UNION SELECT y FROM nan_t) u",
    # greatest/least keep each numeric's text (2.50, not 2.5) and its digits
    "SELECT id, greatest(x, 1), least(x, 1), coalesce(y, x), greatest(y, x, 2) FROM nan_t",
    "SELECT greatest(12345678901234567890.1, 12345678901234567890.2) AS a,"
    " least(1.50, 2, NULL) AS b, greatest(1.0, 1.00) AS c",
])
def test_nan(db, sql):
    exact(db, sql)


@pytest.mark.parametrize("sql,state", [
    ("SELECT 'NaN'::numeric::int", "0A000"),
    ("SELECT 'NaN ' :: numeric(3,1) + 'x'", "22P02"),
])
def test_nan_errors(db, sql, state):
    db.both_error(sql, state)


def test_infinity_refused(db):
    # PostgreSQL 15 has numeric infinities; murphy refuses them clearly
    assert db.m.cursor is not None
    cur = db.m.cursor()
    for text in ("'Infinity'", "'-inf'", "'+Infinity'"):
        try:
            cur.execute("SELECT %s::numeric" % text)
            raise AssertionError("murphy accepted %s" % text)
        except Exception as e:  # psycopg2.Error
            assert getattr(e, "pgcode", None) == "0A000", e
            assert "infinity" in str(e)
