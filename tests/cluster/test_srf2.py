"""Set-returning functions, second part (issue 19), differential against a
real PostgreSQL 15, compared exactly (every value as its text):

generate_series over timestamp / timestamptz / date with an interval step
(in FROM and in a select list without FROM; the session's TimeZone for
timestamptz); WITH ORDINALITY of generate_series, unnest and
generate_subscripts; generate_subscripts; unnest(a, b, ...) in FROM;
set-returning functions of constants joined to distributed, co-located,
reference and empty tables (computed on every shard: the big table is
never gathered, EXPLAIN shows the shard query); unnest(t.arr) of a column
in FROM and generate_series(1, t.n) (implicit and explicit LATERAL, LEFT
JOIN LATERAL, WITH ORDINALITY: on the shards); set-returning functions in a select list with
FROM (SELECT id, generate_series(1, n) FROM t; several in lockstep,
PostgreSQL 10's NULL padding); and what is still not done answering 0A000
naming it.  Tables hold NULLs, empty arrays and duplicates."""
import pytest

from compare import exact, run

TABLES = [
    "CREATE TABLE srf2_t (id int PRIMARY KEY, n int, arr int[], tags text[], ts timestamp)",
    "CREATE TABLE srf2_u (id int PRIMARY KEY, v text)",
    "CREATE TABLE srf2_empty (id int PRIMARY KEY, n int, arr int[])",
]
ROWS = [
    "INSERT INTO srf2_t VALUES"
    " (1, 3, '{1,2}', '{a,b}', '2020-01-01'),"
    " (2, 0, '{}', '{}', '2020-01-05 12:00'),"
    " (3, NULL, NULL, NULL, NULL),"
    " (4, 2, '{7,NULL,9}', '{x,NULL,\"y z\"}', '2020-02-01'),"
    " (5, 2, '{7,7}', '{a}', '2020-01-02 10:00'),"
    " (6, -1, '{3}', '{q,q,q}', '2021-12-31 23:59:59.5')",
    "INSERT INTO srf2_u VALUES (1, 'one'), (4, 'four'), (5, NULL), (9, 'nine')",
]


@pytest.fixture(scope="module")
def srf(db):
    db.exec_both("DROP VIEW IF EXISTS srf2_view")
    for t in ("srf2_t", "srf2_u", "srf2_empty", "srf2_ref"):
        db.exec_both("DROP TABLE IF EXISTS " + t)
    for sql in TABLES:
        db.exec_both(sql)
    db.m.cursor().execute("CREATE TABLE srf2_ref (k int PRIMARY KEY, name text)"
                          " WITH (distribution = 'reference')")
    db.p.cursor().execute("CREATE TABLE srf2_ref (k int PRIMARY KEY, name text)")
    db.exec_both("INSERT INTO srf2_ref VALUES (1, 'r1'), (2, 'r2'), (3, NULL)")
    for sql in ROWS:
        db.exec_both(sql)
    return db


# generate_series over timestamps: timestamp when an argument is one and
# none is timestamptz, else timestamptz (dates, unknown literals)
TIMESTAMPS = [
    "SELECT * FROM generate_series('2020-01-01'::timestamp, '2020-01-03', '12 hours')",
    "SELECT g, pg_typeof(g)::text FROM generate_series('2020-01-01'::date, '2020-01-04',"
    " '1 day') g",
    "SELECT * FROM generate_series('2020-01-31'::timestamp, '2020-06-01', '1 month')",
    "SELECT * FROM generate_series('2020-03-01'::timestamptz, '2020-01-01', '-1 month 2 days')",
    "SELECT * FROM generate_series('2020-01-01', '2020-01-02'::timestamp, interval '6 hours')"
    " WITH ORDINALITY AS s(t, n)",
    "SELECT * FROM generate_series('2020-01-01 00:00:00.25'::timestamp,"
    " '2020-01-01 00:00:01', '250 milliseconds')",
    "SELECT * FROM generate_series('2020-01-02'::timestamp, '2020-01-01', '1 day')",
    "SELECT * FROM generate_series(NULL::timestamp, '2020-01-01', '1 day')",
    "SELECT * FROM generate_series('2020-01-01'::timestamp, '2020-01-02', NULL)",
    "SELECT date_trunc('month', d) AS m, count(*) FROM generate_series('2020-01-15'::date,"
    " '2020-04-15', '1 week') d GROUP BY 1 ORDER BY 1",
    "SELECT generate_series('2020-01-01'::timestamp, '2020-01-01 03:00', '1 hour')",
    "SELECT generate_series('2019-12-30'::date, '2020-01-01'::date, '1 day') AS d",
]


@pytest.mark.parametrize("sql", TIMESTAMPS)
def test_timestamp_series(srf, sql):
    exact(srf, sql)


def test_timestamp_series_in_a_zone(srf):
    """timestamptz steps of days and months on the session zone's clock
    (a daylight-saving change inside the series)."""
    for conn in (srf.m, srf.p):
        conn.cursor().execute("SET TimeZone = 'America/New_York'")
    try:
        exact(srf, "SELECT * FROM generate_series('2020-03-07'::timestamptz, '2020-03-10',"
                   " '1 day')")
        exact(srf, "SELECT g FROM generate_series('2020-10-31 12:00'::timestamptz,"
                   " '2020-11-02', '12 hours') g")
        exact(srf, "SELECT id, generate_series(ts::timestamptz, '2020-01-06'::timestamptz,"
                   " '1 day') FROM srf2_t WHERE id < 3 ORDER BY 1, 2")
        exact(srf, "SELECT t.id, g FROM srf2_t t, generate_series('2020-03-07'::timestamptz"
                   " + t.id * interval '1 hour', '2020-03-10', '1 day') g WHERE t.id < 3"
                   " ORDER BY 1, 2")
    finally:
        for conn in (srf.m, srf.p):
            conn.cursor().execute("SET TimeZone = 'UTC'")


def test_timestamp_series_errors(srf):
    srf.both_error("SELECT * FROM generate_series('2020-01-01'::timestamp, '2020-01-02',"
                   " '0 days')", "22023")
    srf.both_error("SELECT * FROM generate_series('2020-01-01'::timestamp, '2020-01-02')",
                   "42883")


ORDINALITY = [
    "SELECT * FROM generate_series(1, 7, 2) WITH ORDINALITY",
    "SELECT * FROM generate_series(10, 1, -4) WITH ORDINALITY AS g(v, o) ORDER BY o DESC",
    "SELECT o FROM generate_series(5, 1) WITH ORDINALITY AS g(v, o)",
    "SELECT * FROM generate_subscripts(ARRAY[5, 6, 7], 1, true) WITH ORDINALITY AS s(i, n)",
]


@pytest.mark.parametrize("sql", ORDINALITY)
def test_with_ordinality(srf, sql):
    exact(srf, sql)


SUBSCRIPTS = [
    "SELECT * FROM generate_subscripts(ARRAY[5, 6, 7], 1)",
    "SELECT * FROM generate_subscripts(ARRAY['a', 'b'], 1, true) AS s",
    "SELECT s FROM generate_subscripts(ARRAY['a', 'b'], 1, false) s(s)",
    "SELECT * FROM generate_subscripts('{}'::int[], 1)",
    "SELECT * FROM generate_subscripts(ARRAY[1], 2)",
    "SELECT * FROM generate_subscripts(NULL::int[], 1)",
    "SELECT * FROM generate_subscripts(ARRAY[1, 2], 1, NULL)",
    "SELECT generate_subscripts(ARRAY[1.5, 2.5, 3.5], 1) AS i",
    "SELECT * FROM generate_subscripts('{{1,2,3},{4,5,6}}'::int[], 2, true)",
    "SELECT a[i] FROM (SELECT ARRAY[10, 20, 30] AS a) x, generate_subscripts(ARRAY[10, 20, 30],"
    " 1) i ORDER BY 1",
]


@pytest.mark.parametrize("sql", SUBSCRIPTS)
def test_generate_subscripts(srf, sql):
    exact(srf, sql)


UNNEST_MANY = [
    "SELECT * FROM unnest(ARRAY[1, 2], ARRAY['a', 'b', 'c'])",
    "SELECT * FROM unnest(ARRAY[1, 2], ARRAY['a', 'b', 'c']) WITH ORDINALITY",
    "SELECT * FROM unnest(ARRAY[1, 2, 3], ARRAY[true], ARRAY[1.5, NULL]) AS u(a, b, c)",
    "SELECT u.* FROM unnest(ARRAY[1, 2], ARRAY['x']) AS u(a) ORDER BY 2 DESC",
    "SELECT * FROM unnest(NULL::int[], '{}'::text[])",
    "SELECT * FROM unnest(NULL::int[], '{z}'::text[])",
    "SELECT a + 1, b FROM unnest(%s::int[], %s::text[]) AS u(a, b)",
    "SELECT * FROM unnest('{{1,2},{3,4}}'::int[], ARRAY['a']) WITH ORDINALITY",
]


@pytest.mark.parametrize("sql", UNNEST_MANY)
def test_unnest_of_several_arrays(srf, sql):
    exact(srf, sql, ([4, None, 6], ["p", "q"]) if "%s" in sql else None)


def test_unnest_of_several_arrays_in_a_select_list_is_42883(srf):
    srf.both_error("SELECT unnest(ARRAY[1], ARRAY[2])", "42883")
    srf.both_error("SELECT id, unnest(arr, tags) FROM srf2_t", "42883")


# set-returning functions of constants joined to distributed tables
JOINED = [
    "SELECT t.id, g FROM srf2_t t, generate_series(1, 3) g WHERE g <= t.n ORDER BY 1, 2",
    "SELECT g, count(t.id) FROM generate_series(1, 3) g JOIN srf2_t t ON t.n >= g"
    " GROUP BY g ORDER BY g",
    "SELECT t.id, g FROM srf2_t t JOIN generate_series(1, 10) g ON g = t.id ORDER BY 1",
    "SELECT t.id, g.a, g.b FROM srf2_t t, generate_series(1, 2) WITH ORDINALITY AS g(a, b)"
    " WHERE t.id = 4 ORDER BY 3",
    "SELECT d, count(*) FROM srf2_t t JOIN generate_series('2020-01-01'::timestamp,"
    " '2020-03-01', '1 month') d ON t.ts >= d GROUP BY d ORDER BY d",
    "SELECT t.id, u.v, g FROM srf2_t t JOIN srf2_u u ON u.id = t.id, generate_series(1, 2) g"
    " ORDER BY 1, 3",
    "SELECT t.id, g FROM srf2_t t LEFT JOIN generate_series(1, 2) g ON g = t.n ORDER BY 1",
    "SELECT count(*), sum(g), count(DISTINCT t.id) FROM srf2_t t, generate_series(1, 1000) g",
    "SELECT g, r.name FROM generate_series(1, 4) g JOIN srf2_ref r ON r.k = g ORDER BY 1",
    "SELECT count(*) FROM srf2_empty e, generate_series(1, 5) g",
    "SELECT t.id, x FROM srf2_t t, unnest(ARRAY['p', NULL]) x WHERE t.id < 3 ORDER BY 1, 2",
    "SELECT t.id, e FROM srf2_t t, jsonb_array_elements('[1, \"x\"]') e WHERE t.id <= 2"
    " ORDER BY 1, 2::text",
    "SELECT t.id, s FROM srf2_t t, generate_subscripts(ARRAY[4, 5], 1) s WHERE s < t.id"
    " ORDER BY 1, 2",
    "SELECT t.id, a, b FROM srf2_t t, unnest(ARRAY[1, 2], ARRAY['x']) AS u(a, b)"
    " WHERE t.id = a ORDER BY 1",
    "SELECT t.id, g FROM srf2_t t, generate_series(1, %s) g WHERE t.id = g ORDER BY 1",
]


@pytest.mark.parametrize("sql", JOINED)
def test_joined_with_a_distributed_table(srf, sql):
    exact(srf, sql, (3,) if "%s" in sql else None)


def test_joined_series_runs_on_the_shards(srf):
    """The series is computed beside each shard's rows: the shard query
    holds it, and the table is read where it lies (not gathered)."""
    cur = srf.m.cursor()
    cur.execute("EXPLAIN SELECT t.id, g FROM srf2_t t, generate_series(1, 3) g WHERE g <= t.n")
    plan = "\n".join(r[0] for r in cur.fetchall())
    assert "scatter-gather" in plan and "mur_series_first" in plan, plan
    assert 'main."srf2_t"' in plan, plan


LATERAL = [
    "SELECT t.id, x FROM srf2_t t, unnest(t.arr) x ORDER BY 1, 2",
    "SELECT t.id, u.x, u.n FROM srf2_t t, unnest(arr) WITH ORDINALITY AS u(x, n) ORDER BY 1, 3",
    "SELECT t.id, x FROM srf2_t t LEFT JOIN LATERAL unnest(t.arr) x ON true ORDER BY 1, 2",
    "SELECT x, count(*) FROM srf2_t t CROSS JOIN LATERAL unnest(t.arr) AS x GROUP BY x"
    " ORDER BY x",
    "SELECT t.id, x FROM srf2_t t, unnest(t.arr) x WHERE t.id = 4 ORDER BY 2",
    "SELECT count(*) FROM srf2_t t, unnest(t.arr || t.arr) x WHERE x > 1",
    "SELECT tag, count(*) FROM srf2_t t, unnest(t.tags) tag GROUP BY tag ORDER BY 1",
    "SELECT t.id, u.v, x FROM srf2_t t JOIN srf2_u u ON u.id = t.id, unnest(t.tags) x"
    " ORDER BY 1, 3",
    "SELECT e.id, x FROM srf2_empty e, unnest(e.arr) x",
    "SELECT t.id, x, g FROM srf2_t t, unnest(t.arr) x, generate_series(1, 2) g"
    " WHERE t.id IN (1, 5) ORDER BY 1, 2, 3",
    # generate_series over integers reading a column
    "SELECT t.id, g FROM srf2_t t, generate_series(1, t.n) g ORDER BY 1, 2",
    "SELECT t.id, g.* FROM srf2_t t CROSS JOIN LATERAL generate_series(t.n, 1, -1)"
    " WITH ORDINALITY g ORDER BY 1, 3",
    "SELECT t.id, g * 2 FROM srf2_t t LEFT JOIN LATERAL generate_series(1, t.n) g ON true"
    " ORDER BY 1, 2",
    "SELECT g, count(*) FROM srf2_t t, generate_series(t.id, 4) g GROUP BY g ORDER BY 1",
    # several arrays, one or more reading a column
    "SELECT t.id, a, b FROM srf2_t t, unnest(t.arr, t.tags) AS u(a, b) ORDER BY 1, 2, 3",
    "SELECT t.id, u.* FROM srf2_t t, unnest(t.arr, ARRAY['p', 'q']) WITH ORDINALITY AS u"
    " ORDER BY 1, 4",
    "SELECT t.id, x, y FROM srf2_t t LEFT JOIN LATERAL unnest(t.tags, t.arr) AS u(x, y) ON true"
    " ORDER BY 1, 2, 3",
    # over timestamps reading a column
    "SELECT t.id, g FROM srf2_t t, generate_series(t.ts, t.ts + interval '1 day',"
    " interval '6 hours') g ORDER BY 1, 2",
    "SELECT t.id, g, o FROM srf2_t t, generate_series(t.ts::date, '2020-01-03', '1 day')"
    " WITH ORDINALITY g(g, o) ORDER BY 1, 3",
    # generate_subscripts reading a column
    "SELECT t.id, s, o FROM srf2_t t, generate_subscripts(t.arr, 1, true) WITH ORDINALITY"
    " AS x(s, o) ORDER BY 1, 3",
    "SELECT t.id, s FROM srf2_t t LEFT JOIN LATERAL generate_subscripts(t.tags, 1) s ON true"
    " ORDER BY 1, 2",
]


@pytest.mark.parametrize("sql", LATERAL)
def test_unnest_of_a_column_in_from(srf, sql):
    exact(srf, sql)


def test_unnest_of_a_column_runs_on_the_shards(srf):
    cur = srf.m.cursor()
    cur.execute("EXPLAIN SELECT t.id, x FROM srf2_t t, unnest(t.arr) x")
    plan = "\n".join(r[0] for r in cur.fetchall())
    assert "scatter-gather" in plan and "json_each(mur_array_json(" in plan, plan


SELECT_LIST = [
    "SELECT id, generate_series(1, n) FROM srf2_t ORDER BY 1, 2",
    "SELECT id, generate_series(n, 1, -1) * 10 AS g FROM srf2_t ORDER BY 1, 2",
    "SELECT id, unnest(arr), generate_series(1, n) AS g FROM srf2_t ORDER BY 1, 3, 2",
    "SELECT id, unnest(arr) AS a, unnest(tags) AS b FROM srf2_t ORDER BY 1, 2, 3",
    "SELECT id, unnest(arr) u, unnest(ARRAY['x', 'y']) FROM srf2_t WHERE id IN (1, 4)"
    " ORDER BY 1, 2",
    "SELECT id, generate_series(1, 2), jsonb_array_elements('[10, 20, 30]') FROM srf2_t"
    " WHERE id = 1 ORDER BY 2",
    "SELECT t.id, u.v, generate_series(1, t.id % 3) FROM srf2_t t JOIN srf2_u u ON u.id = t.id"
    " ORDER BY 1, 3",
    "SELECT id, generate_series(1, n) FROM srf2_empty",
    "SELECT id, generate_subscripts(arr, 1) FROM srf2_t ORDER BY 1, 2",
    "SELECT id, generate_series(ts, ts + interval '1 day', interval '12 hours') FROM srf2_t"
    " ORDER BY 1, 2",
    "SELECT generate_series('2020-01-01'::timestamp, '2020-01-02', '12 hours'), unnest(ARRAY[1])",
    "SELECT id, arr[i] FROM (SELECT id, arr, generate_subscripts(arr, 1) i FROM srf2_t) s"
    " ORDER BY 1, i",
    "SELECT id, generate_subscripts(tags, 1, id > 3), unnest(tags) FROM srf2_t ORDER BY 1, 2",
    "SELECT generate_series(1, 3), unnest(ARRAY['a', 'b'])",
    "SELECT unnest(ARRAY[1, 2]) AS a, unnest(ARRAY[5]) AS b, 'k' AS c",
    "SELECT generate_series(1, 3) + 1",
    "SELECT 'x' || unnest(ARRAY['a', 'b'])",
]


@pytest.mark.parametrize("sql", SELECT_LIST)
def test_srfs_in_a_select_list(srf, sql):
    exact(srf, sql)


# subqueries, WITH queries and views holding them, read by a query around
MERGED = [
    "SELECT s.id, s.g FROM (SELECT t.id, g FROM srf2_t t, generate_series(1, 2) g) s"
    " JOIN srf2_u u ON u.id = s.id ORDER BY 1, 2",
    "SELECT s.id, s.x FROM (SELECT t.id, x FROM srf2_t t, unnest(t.arr) x) s"
    " JOIN srf2_u u ON u.id = s.id ORDER BY 1, 2",
    "SELECT count(*) FROM (SELECT id, generate_series(1, n) g FROM srf2_t) s WHERE g > 1",
    "WITH w AS (SELECT t.id, x, o FROM srf2_t t, unnest(t.tags) WITH ORDINALITY AS x(x, o))"
    " SELECT * FROM w WHERE o > 1 ORDER BY 1, 3",
    "SELECT v.*, u.v FROM srf2_view v JOIN srf2_u u USING (id) ORDER BY 1, 2",
]


@pytest.mark.parametrize("sql", MERGED)
def test_in_subqueries_and_views(srf, sql):
    srf.exec_both("CREATE OR REPLACE VIEW srf2_view AS"
                  " SELECT t.id, g FROM srf2_t t, generate_series(1, t.n) g")
    exact(srf, sql)


def test_srfs_in_a_select_list_errors(srf):
    srf.both_error("SELECT id, generate_series(1, 3, 0) FROM srf2_t", "22023")


NOT_YET = [
    ("SELECT g, t.id FROM generate_series(1, 6) g LEFT JOIN srf2_t t ON t.id = g",
     "generate_series on the preserved side of an outer join"),
    ("SELECT id, generate_series(1.5, 3) FROM srf2_t",
     "generate_series over types other than integers and timestamps"),
    ("SELECT id, generate_series(1, 2), jsonb_object_keys('{\"a\": 1}') FROM srf2_t",
     "json_object_keys beside another set-returning function"),
    ("SELECT * FROM ROWS FROM (generate_series(1, 2), unnest(ARRAY[1]))", "ROWS FROM"),
    ("SELECT id, generate_series(1, n), count(*) OVER () FROM srf2_t",
     "set-returning functions in a select list with FROM only in a query without aggregates"),
]


@pytest.mark.parametrize("sql,names", NOT_YET)
def test_still_refused_0A000(srf, sql, names):
    assert run(srf.p, sql).error is None
    out = run(srf.m, sql)
    assert out.error is not None and out.error.pgcode == "0A000", out
    assert names in str(out.error), out.error
