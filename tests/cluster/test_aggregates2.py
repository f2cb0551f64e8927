"""string_agg (ORDER BY, DISTINCT, FILTER), bool_and / bool_or / every,
percentile_cont, percentile_disc and mode() WITHIN GROUP (issue 19), each
checked against a real PostgreSQL on the same rows.

The tables are test_window's: emp distributed by id (so every dept group
spans shards), acct by region (a query pinned to one region runs whole on
one shard: the router plan), with NULLs in the aggregated and grouped
columns, ties (sal from a few values: mode and percentile_disc land on
repeated values) and a filter that leaves no rows (an empty input answers
one row of NULLs; an empty group none).  string_agg without ORDER BY has no
defined order, so every string_agg here orders or has one row per group.
"""
import pytest

from test_window import loaded, top_level_order_by  # noqa: F401 (the module's tables)

QUERIES = [
    "SELECT dept, string_agg(name, ',' ORDER BY name) FROM emp GROUP BY dept",
    "SELECT dept, string_agg(name, '' ORDER BY name DESC) FROM emp GROUP BY dept",
    "SELECT dept, string_agg(DISTINCT name, '|') FROM emp GROUP BY dept",
    "SELECT dept, string_agg(DISTINCT name, '|' ORDER BY name DESC) FROM emp GROUP BY dept",
    "SELECT grp, string_agg(dept, '-' ORDER BY id) FROM emp WHERE grp < 3 GROUP BY grp",
    "SELECT grp, string_agg(name, ',' ORDER BY name) FILTER (WHERE ok) FROM emp GROUP BY grp",
    "SELECT string_agg(name, ', ' ORDER BY id DESC) FROM emp WHERE id < 20",
    "SELECT string_agg(name, ',') FROM emp WHERE id < 0",
    "SELECT dept, string_agg(name || ':' || coalesce(sal::text, '-'), ',' "
    "ORDER BY sal DESC NULLS LAST, name, id) FROM emp GROUP BY dept",
    "SELECT grp, string_agg(DISTINCT dept, ',' ORDER BY dept NULLS FIRST) FROM emp GROUP BY grp",
    "SELECT grp, string_agg(name::varchar, ','::varchar(1) ORDER BY id), "
    "string_agg(dept::char(6), '/' ORDER BY id) FROM emp WHERE id < 40 GROUP BY grp",
    "SELECT string_agg(name, NULL ORDER BY id) FROM emp WHERE id < 6",
    "SELECT id, string_agg(name, ',') FROM emp WHERE id < 30 GROUP BY id",
    "SELECT note, string_agg(amt::text, '+' ORDER BY amt) FROM acct WHERE region = 3 GROUP BY note",
    "SELECT dept, bool_and(ok), bool_or(ok), every(ok), bool_and(sal > 100) FROM emp GROUP BY dept",
    "SELECT bool_and(ok), bool_or(ok), every(ok) FROM emp WHERE id < 0",
    "SELECT dept, percentile_cont(0.5) WITHIN GROUP (ORDER BY sal), "
    "percentile_disc(0.5) WITHIN GROUP (ORDER BY sal) FROM emp GROUP BY dept",
    "SELECT dept, percentile_cont(0.25) WITHIN GROUP (ORDER BY bonus), "
    "percentile_cont(0.9) WITHIN GROUP (ORDER BY bonus DESC), "
    "percentile_disc(0.9) WITHIN GROUP (ORDER BY bonus DESC) FROM emp GROUP BY dept",
    "SELECT percentile_cont(0) WITHIN GROUP (ORDER BY sal), "
    "percentile_cont(1) WITHIN GROUP (ORDER BY sal), "
    "percentile_disc(0) WITHIN GROUP (ORDER BY sal), "
    "percentile_disc(1) WITHIN GROUP (ORDER BY sal) FROM emp",
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY sal), "
    "percentile_disc(0.5) WITHIN GROUP (ORDER BY name), "
    "mode() WITHIN GROUP (ORDER BY sal) FROM emp WHERE id < 0",
    "SELECT percentile_cont(NULL) WITHIN GROUP (ORDER BY sal), "
    "percentile_disc('0.5') WITHIN GROUP (ORDER BY sal) FROM emp",
    "SELECT grp, percentile_disc(0.3) WITHIN GROUP (ORDER BY name) FROM emp GROUP BY grp",
    "SELECT dept, mode() WITHIN GROUP (ORDER BY sal), mode() WITHIN GROUP (ORDER BY sal DESC) "
    "FROM emp GROUP BY dept",
    "SELECT grp, mode() WITHIN GROUP (ORDER BY dept) FROM emp GROUP BY grp",
    "SELECT dept, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY sal) AS med "
    "FROM emp GROUP BY dept HAVING percentile_cont(0.5) WITHIN GROUP (ORDER BY sal) > 150 "
    "ORDER BY med DESC, dept",
    "SELECT region, mode() WITHIN GROUP (ORDER BY amt), "
    "percentile_cont(0.5) WITHIN GROUP (ORDER BY amt) FROM acct WHERE region = 5 GROUP BY region",
    "SELECT region, string_agg(note, '' ORDER BY id), avg(amt), count(*) FROM acct "
    "GROUP BY region ORDER BY region NULLS FIRST",
    "SELECT e.dept, string_agg(DISTINCT a.note, ',') FROM emp e JOIN acct a ON a.region = e.grp "
    "GROUP BY e.dept",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_aggregate_matches_postgres(db, sql):
    db.both(sql, ordered=top_level_order_by(sql))


@pytest.mark.parametrize("sql, sqlstate", [
    ("SELECT percentile_cont(1.5) WITHIN GROUP (ORDER BY sal) FROM emp", "22003"),
    ("SELECT percentile_disc(-0.1) WITHIN GROUP (ORDER BY sal) FROM emp", "22003"),
    ("SELECT percentile_cont(0.5) FROM emp", "42883"),
    ("SELECT mode(sal) FROM emp", "42809"),
    ("SELECT percentile_disc(0.5, sal) FROM emp", "42809"),
    ("SELECT string_agg(name, ',') WITHIN GROUP (ORDER BY name) FROM emp", "42883"),
    ("SELECT string_agg(name) FROM emp", "42883"),
    ("SELECT string_agg(sal, ',') FROM emp", "42883"),
    ("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY name) FROM emp", "42883"),
    ("SELECT string_agg(DISTINCT name, ',' ORDER BY id) FROM emp", "42P10"),
    ("SELECT string_agg(DISTINCT name, ',' ORDER BY name, id) FROM emp", "42P10"),
    ("SELECT dept FROM emp WHERE string_agg(name, ',') = 'x'", "42803"),
])
def test_aggregate_error(db, sql, sqlstate):
    db.both_error(sql, sqlstate)


FRACTIONS = [
    "SELECT dept, percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY sal), "
    "percentile_disc(ARRAY[0.25, 0.5, NULL, 1]) WITHIN GROUP (ORDER BY name) FROM emp GROUP BY dept",
    "SELECT percentile_cont('{0, 0.1, 1}'::float8[]) WITHIN GROUP (ORDER BY bonus DESC), "
    "percentile_disc(ARRAY[0.9, 0.1]) WITHIN GROUP (ORDER BY sal) FROM emp",
    "SELECT grp, percentile_disc(ARRAY[0.5]) WITHIN GROUP (ORDER BY dept) FROM emp "
    "WHERE id < 40 GROUP BY grp",
    "SELECT percentile_cont(ARRAY[0.5]) WITHIN GROUP (ORDER BY sal) FROM emp WHERE id < 0",
]


@pytest.mark.parametrize("sql", FRACTIONS)
def test_percentile_over_array_of_fractions(db, sql):
    """An array of fractions answers an array (every group on the leader)."""
    db.both(sql, ordered=top_level_order_by(sql))


def test_explain_gathers_rows(db):
    """string_agg does not split: the shards send the rows (no GROUP BY in
    the shard query) and the leader aggregates them."""
    _, rows = db.murphy("EXPLAIN SELECT dept, string_agg(name, ',' ORDER BY name) FROM emp "
                        "GROUP BY dept")
    text = "\n".join(r[0] for r in rows)
    shard = text.split("Shard query:")[1].split("\n")[0]
    assert "GROUP BY" not in shard and "name" in shard, text


# generate_series over integers: in FROM (named generate_series, by the
# alias, or by the alias's column list), alone in a select list without
# FROM, with negative steps, empty and NULL bounds, bigint near its end,
# under aggregates, joins of two series, and with the aggregates above.
SERIES = [
    "SELECT * FROM generate_series(1, 5)",
    "SELECT generate_series FROM generate_series(3, -4, -2)",
    "SELECT g, g * 2 FROM generate_series(1, 10, 3) AS g ORDER BY g DESC",
    "SELECT x FROM generate_series(0, 20, 5) AS s(x) WHERE x > 5",
    "SELECT s.x FROM generate_series(1, 3) s(x) ORDER BY 1",
    "SELECT * FROM generate_series(5, 1)",
    "SELECT * FROM generate_series(1, NULL)",
    "SELECT * FROM generate_series(9223372036854775800, 9223372036854775807, 3)",
    "SELECT count(*), sum(g), min(g), max(g) FROM generate_series(1, 100000) g",
    "SELECT g % 3 AS k, count(*), string_agg(g::text, ',' ORDER BY g DESC) "
    "FROM generate_series(1, 20) g GROUP BY g % 3 ORDER BY k",
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY g), "
    "percentile_disc(0.25) WITHIN GROUP (ORDER BY g), mode() WITHIN GROUP (ORDER BY g % 4) "
    "FROM generate_series(1, 11) g",
    "SELECT a, b FROM generate_series(1, 3) a JOIN generate_series(2, 4) b ON a = b ORDER BY a",
    "SELECT generate_series(1, 4)",
    "SELECT generate_series(10, 1, -3) AS n, 'x' AS t",
    "SELECT string_agg('a', ',' ORDER BY 1), mode() WITHIN GROUP (ORDER BY 5)",
]


@pytest.mark.parametrize("sql", SERIES)
def test_generate_series_matches_postgres(db, sql):
    db.both(sql, ordered=top_level_order_by(sql))


def test_generate_series_errors(db):
    db.both_error("SELECT * FROM generate_series(1, 5, 0)", "22023")
    with pytest.raises(Exception) as e:
        db.murphy("SELECT * FROM emp JOIN generate_series(1, 5) g ON g = emp.id")
    assert e.value.pgcode == "0A000" and "generate_series" in str(e.value), e.value
    with pytest.raises(Exception) as e:
        db.murphy("SELECT generate_series(1, 3) + 1")
    assert e.value.pgcode == "0A000" and "generate_series" in str(e.value), e.value
