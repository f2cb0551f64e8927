"""Equal values spelled differently as keys (issue 19), differential
against PostgreSQL 15: GROUP BY, DISTINCT, COUNT(DISTINCT), a join and a
UNION over an unconstrained numeric[] column ({1.0,2} = {1,2.00} in
PostgreSQL, element by element) of distributed and reference tables (a
reference table's query runs whole in one follower's SQLite: its DISTINCT,
DISTINCT ON, PARTITION BY and aggregate DISTINCT compared the arrays by
bytes before 2026-12-07), and UNION / INTERSECT / EXCEPT [ALL] of
numeric, interval and jsonb columns (1.0 = 1, '1 day' = '24 hours',
{"a": 1.0} = {"a": 1}), which murphy's leader compared by bytes.  Which
spelling a group shows is either side's choice, so the answers compared
are counts and values that have one spelling."""
import pytest

from compare import exact

ROWS = [
    (1, "ARRAY[1.0, 2]"), (2, "ARRAY[1, 2.00]"), (3, "ARRAY[3]"), (4, "NULL"),
    (5, "ARRAY[NULL::numeric, 1.50]"), (6, "ARRAY[NULL, 1.5]"), (7, "ARRAY[1.000, 2.0]"),
    (10, "ARRAY[-0.0, 10]"), (11, "ARRAY[0, 10.0]"), (12, "'{}'::numeric[]"),
]


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for t in ("nak_g", "nak_h", "nak_s", "nak_r"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    # a reference table: its queries run whole in one follower's SQLite
    ref = "CREATE TABLE nak_r (k int, arr numeric[], x numeric)"
    db.murphy(ref + " WITH (distribution = 'reference')")
    with db.p.cursor() as cur:
        cur.execute(ref)
    for k, a in ROWS:
        db.exec_both("INSERT INTO nak_r VALUES (%d, %s, %s)" % (k, a, [1.0, 1, 1.000, 2][k % 4]))
    # no key: distributed by murphy's hidden row id over every shard
    db.exec_both("CREATE TABLE nak_g (k int, arr numeric[])")
    db.exec_both("CREATE TABLE nak_h (k int PRIMARY KEY, arr numeric[])")
    for k, a in ROWS:
        db.exec_both("INSERT INTO nak_g VALUES (%d, %s)" % (k, a))
    for k, a in [(1, "ARRAY[1.00, 2.0]"), (2, "ARRAY[3.0]"), (3, "ARRAY[0.00, 10]")]:
        db.exec_both("INSERT INTO nak_h VALUES (%d, %s)" % (k, a))
    db.exec_both("CREATE TABLE nak_s (k int, x numeric, i interval, j jsonb)")
    db.exec_both("INSERT INTO nak_s VALUES (1, 1.0, '1 day', '{\"a\": 1.0}'), (2, 1, '24 hours',"
                 " '{\"a\": 1}'), (3, 2.00, '1 mon', '[1]'), (4, 7, NULL, NULL), (5, 2, '30 days',"
                 " '[1.00]')")
    return db


@pytest.mark.parametrize("sql", [
    "SELECT count(*), min(k), max(k) FROM nak_g GROUP BY arr",
    "SELECT count(DISTINCT arr) FROM nak_g",
    "SELECT count(*) FROM (SELECT DISTINCT arr FROM nak_g) s",
    "SELECT min(k), count(*) FROM nak_g GROUP BY arr HAVING count(*) > 1",
    "SELECT g.k, h.k FROM nak_g g JOIN nak_h h ON g.arr = h.arr",
    "SELECT count(*), min(k) FROM (SELECT k, arr FROM nak_g UNION ALL SELECT k + 100, arr FROM nak_h) u"
    " GROUP BY arr",
])
def test_equal_arrays_are_one_key(db, sql):
    exact(db, sql)


@pytest.mark.parametrize("sql", [
    "SELECT count(*) FROM (SELECT x FROM nak_s UNION SELECT x FROM nak_s) u",
    "SELECT count(*) FROM (SELECT x FROM nak_s UNION SELECT k FROM nak_s) u",
    "SELECT count(*) FROM (SELECT x FROM nak_s INTERSECT SELECT 1.000) u",
    "SELECT count(*) FROM (SELECT x FROM nak_s EXCEPT SELECT 1.000) u",
    "SELECT count(*) FROM (SELECT x FROM nak_s EXCEPT ALL SELECT 1.000) u",
    "SELECT count(*) FROM (SELECT x FROM nak_s INTERSECT ALL SELECT x FROM nak_s WHERE k < 3) u",
    "SELECT count(*) FROM (SELECT i FROM nak_s UNION SELECT i FROM nak_s) u",
    "SELECT count(*) FROM (SELECT j FROM nak_s UNION SELECT j FROM nak_s) u",
    "SELECT count(*) FROM (SELECT x, i FROM nak_s UNION SELECT x, i FROM nak_s) u",
    "SELECT count(*) FROM (SELECT arr FROM nak_g UNION SELECT arr FROM nak_h) u",
    "SELECT x FROM nak_s WHERE k > 3 UNION SELECT 8.0 ORDER BY 1",
])
def test_set_operations_compare_by_value(db, sql):
    exact(db, sql)


@pytest.mark.parametrize("sql", [
    "SELECT count(*) FROM (SELECT DISTINCT arr FROM nak_r) s",
    "SELECT count(*) FROM (SELECT DISTINCT arr, x FROM nak_r) s",
    "SELECT count(*) FROM (SELECT DISTINCT arr || ARRAY[1.0] FROM nak_r) s",
    "SELECT count(*) FROM (SELECT DISTINCT x + 0 FROM nak_r) s",
    "SELECT count(*) FROM (SELECT DISTINCT ON (arr) arr FROM nak_r ORDER BY arr) s",
    "SELECT count(DISTINCT arr), count(DISTINCT x) FROM nak_r",
    "SELECT count(*), min(k), max(k) FROM nak_r GROUP BY arr",
    "SELECT min(k), count(DISTINCT arr) FROM nak_r GROUP BY x",
    "SELECT k, count(*) OVER (PARTITION BY arr) FROM nak_r ORDER BY k",
    "SELECT k, rank() OVER (PARTITION BY arr ORDER BY k) FROM nak_g ORDER BY k",
    "SELECT count(*) FROM (SELECT arr FROM nak_r UNION SELECT arr FROM nak_r) u",
    "SELECT count(*) FROM (SELECT arr FROM nak_r INTERSECT SELECT arr FROM nak_h) u",
    "SELECT count(*) FROM nak_r r JOIN nak_g g ON r.arr = g.arr",
    # sum(DISTINCT) runs on the leader over the gathered rows
    "SELECT sum(DISTINCT x)::int, avg(DISTINCT x)::float8 FROM nak_r",
    "SELECT sum(DISTINCT x)::int FROM nak_s",
])
def test_equal_arrays_are_one_key_on_a_reference_table(db, sql):
    exact(db, sql)


@pytest.mark.parametrize("sql", [
    "SELECT count(*) FROM nak_r WHERE arr IN (SELECT arr FROM nak_h)",
    "SELECT count(*) FROM nak_g WHERE arr IN (SELECT arr FROM nak_r WHERE k < 3)",
    "SELECT count(*) FROM nak_r WHERE arr NOT IN (SELECT arr FROM nak_h WHERE k = 1)",
    "SELECT count(*) FROM nak_g WHERE arr = ANY (SELECT arr FROM nak_h WHERE k < 3)",
    "SELECT count(*) FROM nak_g WHERE arr <> ALL (SELECT arr FROM nak_h WHERE k < 3)",
    "SELECT k FROM nak_r r WHERE EXISTS (SELECT 1 FROM nak_g g WHERE g.arr = r.arr AND g.k <> r.k)"
    " ORDER BY k",
    "SELECT k, arr IN (SELECT arr FROM nak_h WHERE k = 3) FROM nak_r ORDER BY k",
])
def test_equal_arrays_match_a_subquery_set(db, sql):
    """x IN (SELECT ...) of numeric[]: the set and x are spelled alike
    (mur_array_num_norm) before they are compared by bytes; {1.0,2} was
    not in a set holding {1,2.00}."""
    exact(db, sql)


@pytest.mark.parametrize("sql", [
    "SELECT array_agg(x ORDER BY x) FROM (VALUES (10.0), (9.0), (9.00), (NULL), (-1)) v(x)",
    "SELECT array_agg(x ORDER BY x DESC NULLS LAST) FROM (VALUES (10.0), (9.0), (NULL)) v(x)",
    "SELECT array_agg(DISTINCT x ORDER BY x) FROM (VALUES (10.0), (9.0), (9.00)) v(x)",
    "SELECT array_agg(DISTINCT x) FROM (VALUES (10.0), (9.0), (9.00), (NULL)) v(x)",
    "SELECT string_agg(x::text, ',' ORDER BY x) FROM (VALUES (10.0), (9.5), (100)) v(x)",
    "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x) FROM (VALUES (10.0), (9), (100), (2)) v(x)",
    "SELECT mode() WITHIN GROUP (ORDER BY x) FROM (VALUES (1.0), (1.00), (2), (3)) v(x)",
    "SELECT k % 2, array_agg(x ORDER BY x, k) FROM nak_s GROUP BY 1 ORDER BY 1",
    "SELECT array_agg(k ORDER BY x DESC, k) FROM nak_s",
])
def test_collecting_aggregates_order_numeric_by_value(db, sql):
    """array_agg / string_agg / percentile_disc / mode sort and DISTINCT a
    numeric key by value (mur_num_sortkey: the array {x}), not by its
    text's bytes: 10.0 sorted before 9.0, and 9.0 and 9.00 were two."""
    db.both(sql)
