"""GROUP BY GROUPING SETS, ROLLUP and CUBE, and GROUPING(...) (issue 19),
each checked against a real PostgreSQL on the same rows.

The tables are test_window's: emp distributed by id, acct by region, with
NULLs in the grouped columns (so a genuine NULL group and a rolled-up
subtotal both show NULL, told apart by GROUPING), ties, and a filter that
leaves no rows (the grand total of nothing is still one row).
"""
import pytest

import data
from test_window import loaded, top_level_order_by  # noqa: F401 (the module's tables)

QUERIES = [
    "SELECT dept, grp, count(*), sum(sal) FROM emp GROUP BY ROLLUP (dept, grp)",
    "SELECT dept, ok, count(*), avg(sal), min(name), max(bonus) FROM emp GROUP BY CUBE (dept, ok)",
    "SELECT dept, grp, count(*) FROM emp GROUP BY GROUPING SETS ((dept), (grp), ())",
    "SELECT dept, grp, ok, count(*) FROM emp GROUP BY dept, ROLLUP (grp, ok)",
    "SELECT dept, grp, GROUPING(dept, grp), GROUPING(grp), count(*) FROM emp "
    "GROUP BY ROLLUP (dept, grp) HAVING count(*) > 5 "
    "ORDER BY GROUPING(dept, grp), dept NULLS FIRST, grp NULLS FIRST",
    "SELECT dept, count(DISTINCT sal), bool_and(ok), bool_or(ok), stddev(bonus) FROM emp "
    "GROUP BY ROLLUP (dept)",
    "SELECT region, note, count(*), sum(amt) FROM acct WHERE region = 3 "
    "GROUP BY ROLLUP (region, note)",
    "SELECT region, note, count(*), sum(amt) FROM acct GROUP BY CUBE (region, note)",
    "SELECT dept, count(*), sum(sal) FROM emp WHERE id < 0 GROUP BY ROLLUP (dept)",
    "SELECT dept, count(*) AS n FROM emp GROUP BY ROLLUP (dept) "
    "ORDER BY GROUPING(dept) DESC, n DESC, dept LIMIT 3",
    "SELECT grp % 3 AS g, upper(dept), sum(sal) FROM emp GROUP BY ROLLUP (grp % 3, upper(dept))",
    "SELECT dept, count(*) FROM emp GROUP BY GROUPING SETS ((dept), (dept), ())",
    "SELECT dept, grp, ok, count(*) FROM emp GROUP BY ROLLUP ((dept, grp), ok)",
    "SELECT DISTINCT dept FROM emp GROUP BY GROUPING SETS ((dept), (dept, grp))",
    "SELECT e.dept, a.note, count(*) FROM emp e JOIN acct a ON a.region = e.grp "
    "GROUP BY ROLLUP (e.dept, a.note)",
    "SELECT count(*), sum(sal) FROM emp GROUP BY GROUPING SETS (())",
    "SELECT dept, ok, stddev(bonus), var_pop(sal), bool_and(ok), count(bonus), avg(bonus) "
    "FROM emp GROUP BY CUBE (dept, ok)",
    "SELECT grp, sum(sal) * 2 + count(*) AS x, max(name) FROM emp WHERE sal > 120 "
    "GROUP BY ROLLUP (grp) HAVING min(sal) >= 150 OR grp IS NULL",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_grouping_sets_match_postgres(db, sql):
    db.both(sql, ordered=top_level_order_by(sql))


def explain(db, sql):
    _, rows = db.murphy("EXPLAIN " + sql)
    return "\n".join(r[0] for r in rows)


def test_explain_grouping_sets(db):
    """Aggregates that split: the shards send their groups (of every set's
    columns), the leader re-aggregates them per set.  count(DISTINCT):
    the shards send the rows."""
    text = explain(db, "SELECT dept, grp, count(*), avg(sal) FROM emp GROUP BY ROLLUP (dept, grp)")
    shard = text.split("Shard query:")[1].split("\n")[0]
    assert "GROUP BY" in shard and "count(*)" in shard, text
    assert text.split("Leader final:")[1].count("UNION ALL") == 2, text
    assert "re-aggregates" in text, text
    text = explain(db, "SELECT dept, count(DISTINCT sal) FROM emp GROUP BY ROLLUP (dept)")
    shard = text.split("Shard query:")[1].split("\n")[0]
    assert "GROUP BY" not in shard and "count" not in shard, text


@pytest.mark.parametrize("sql, sqlstate", [
    ("SELECT dept, GROUPING(id) FROM emp GROUP BY ROLLUP (dept)", "42803"),
    ("SELECT dept FROM emp WHERE GROUPING(dept) = 0 GROUP BY ROLLUP (dept)", "42803"),
    ("SELECT dept, grp FROM emp GROUP BY ROLLUP (dept)", "42803"),
    ("SELECT dept, GROUPING(dept) FROM emp GROUP BY dept", None),
])
def test_grouping_errors_match_postgres(db, sql, sqlstate):
    if sqlstate is None:
        db.both(sql)
    else:
        db.both_error(sql, sqlstate)


# Cases from PostgreSQL's src/test/regress/sql/groupingsets.sql over its
# gstest1 rows (a view of VALUES there, a table here) and an empty table;
# the ones with windows over grouping sets are refused (0A000) here.
GSTEST1 = [(1, 1, 10), (1, 1, 11), (1, 2, 12), (1, 2, 13), (1, 3, 14), (2, 3, 15), (3, 3, 16),
           (3, 4, 17), (4, 1, 18), (4, 1, 19)]

REGRESS = [
    "select a, b, grouping(a,b), sum(v), count(*), max(v) from gstest1 group by rollup (a,b)",
    "select a, b, grouping(a,b), sum(v), count(*), max(v) from gstest1 group by rollup (a,b) "
    "order by a,b",
    "select a, b, grouping(a,b), sum(v), count(*), max(v) from gstest1 group by rollup (a,b) "
    "order by b desc, a",
    "select a, b, sum(v), count(*) from gstest_empty group by grouping sets ((a,b),a)",
    "select a, b, sum(v), count(*) from gstest_empty group by grouping sets ((a,b),())",
    "select sum(v), count(*) from gstest_empty group by grouping sets ((),(),())",
    "select t1.a, t2.b, sum(t1.v), count(*) from gstest1 t1, gstest_empty t2 "
    "group by grouping sets ((t1.a, t2.b), ())",
    "select a, b, sum(v) from gstest1 group by cube (a, b) order by a, b",
    "select a, b, count(*) from gstest1 group by grouping sets (a, b, ()) having count(*) > 2",
]


@pytest.fixture(scope="module")
def gstest(db):
    for t in ("gstest1", "gstest_empty"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE gstest1 (a int, b int, v int)")
    db.exec_both("CREATE TABLE gstest_empty (a int, b int, v int)")
    for conn in (db.m, db.p):
        data.insert_batches(conn.cursor().execute, "gstest1", GSTEST1)
    return db


@pytest.mark.parametrize("sql", REGRESS)
def test_postgres_regression_cases(gstest, sql):
    gstest.both(sql, ordered=top_level_order_by(sql))


def test_windows_over_grouping_sets_are_refused(gstest):
    """groupingsets.sql: select a, b, sum(c), sum(sum(c)) over (order by a,b) ... group by
    rollup (a,b): PostgreSQL answers, murphy names what it does not do."""
    err = None
    try:
        gstest.murphy("select a, b, sum(v), sum(sum(v)) over (order by a,b) as rsum from gstest1 "
                      "group by rollup (a,b) order by rsum, a, b")
    except Exception as e:  # psycopg2.Error
        err = e
    assert err is not None and err.pgcode == "0A000", err
    assert "GROUPING SETS" in str(err), err
