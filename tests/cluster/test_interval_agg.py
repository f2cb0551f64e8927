"""interval and jsonb in aggregates and as keys (issue 19), differential
against a real PostgreSQL 15 on the same rows.

- sum(interval) and avg(interval) exact as PostgreSQL: months, days and
  microseconds added apart (interval_pl), avg the sum divided by the count
  (interval_div), partial sums merged on the leader; compared as TEXT.
- the same as window functions (the frame's leaving rows taken off again).
- min/max(interval) by value.
- GROUP BY, DISTINCT, count(DISTINCT) and joins of interval and jsonb by
  VALUE across shards: '1 day' = '24 hours' = '1440 minutes', '1 mon' =
  '30 days', {"a": 1.0} = {"a": 1}, with the equal spellings spread over
  the shards, gathered and repartitioned.  (A group shows one of its
  spellings, as PostgreSQL does; psycopg2 reads '1 mon' and '30 days' as
  the same timedelta and {"a": 1.0} and {"a": 1} as equal dicts, so the
  comparison is by value there.)
"""
import random

import pytest

from compare import exact, run

ROWS = 600


def _iv(rnd):
    if rnd.random() < 0.05:
        return "NULL"
    mons = rnd.randint(-14, 30)
    days = rnd.randint(-40, 40)
    secs = rnd.randint(-200000, 200000)
    frac = rnd.randint(0, 999999)
    return "'%d mons %d days %d.%06d seconds'" % (mons, days, secs, frac)


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    rnd = random.Random(1186)
    db.exec_both("DROP TABLE IF EXISTS iv_agg")
    db.exec_both("CREATE TABLE iv_agg (id int PRIMARY KEY, g int, iv interval)")
    rows = ",".join("(%d, %d, %s)" % (i, i % 7, _iv(rnd)) for i in range(ROWS))
    db.exec_both("INSERT INTO iv_agg VALUES " + rows)


AGGS = [
    "SELECT sum(iv)::text, avg(iv)::text, count(iv) FROM iv_agg",
    "SELECT g, sum(iv)::text, avg(iv)::text FROM iv_agg GROUP BY g ORDER BY g",
    "SELECT g, sum(iv)::text, avg(iv)::text FROM iv_agg WHERE id < 50 GROUP BY g ORDER BY g",
    # one shard (router), one row, no row, only NULLs
    "SELECT sum(iv)::text, avg(iv)::text FROM iv_agg WHERE id = 7",
    "SELECT sum(iv)::text, avg(iv)::text FROM iv_agg WHERE id < 0",
    "SELECT sum(iv)::text, avg(iv)::text FROM iv_agg WHERE iv IS NULL",
    "SELECT g, sum(iv)::text FROM iv_agg WHERE id < 0 GROUP BY g",
    # beside count(DISTINCT) (the mixed plan) and in grouping sets
    "SELECT count(DISTINCT g), sum(iv)::text, avg(iv)::text FROM iv_agg",
    "SELECT g, sum(iv)::text, avg(iv)::text FROM iv_agg GROUP BY ROLLUP (g) ORDER BY g",
    "SELECT g, sum(iv)::text FROM iv_agg GROUP BY g HAVING sum(iv) > '10 days' ORDER BY g",
    "SELECT sum(iv * 2)::text, avg(-iv)::text FROM iv_agg",
]


@pytest.mark.parametrize("sql", AGGS)
def test_sum_avg_exact(db, sql):
    exact(db, sql)


def test_min_max_by_value(db):
    db.both("SELECT min(iv), max(iv) FROM iv_agg")
    db.both("SELECT g, min(iv), max(iv) FROM iv_agg GROUP BY g ORDER BY g")
    # '25 hours' is more than '1 day', less than '1 mon' (text would say otherwise)
    db.exec_both("DROP TABLE IF EXISTS iv_small")
    db.exec_both("CREATE TABLE iv_small (id int PRIMARY KEY, x interval)")
    db.exec_both("INSERT INTO iv_small VALUES (1, '25 hours'), (2, '1 day'), (3, '1 mon'),"
                 " (4, '2 days'), (5, '-1 mon 40 days'), (6, NULL)")
    db.both("SELECT min(x), max(x) FROM iv_small")
    db.both("SELECT min(x), max(x) FROM iv_small WHERE id IN (1, 2, 5)")


def test_sum_overflow_is_22008(db):
    db.both_error("SELECT sum('170000000 years'::interval) FROM iv_agg", "22008")


WINDOWS = [
    "SELECT id, sum(iv) OVER (ORDER BY id)::text, avg(iv) OVER (ORDER BY id)::text"
    " FROM iv_agg WHERE id < 60 ORDER BY id",
    # frames whose rows leave again (the inverse), partitions, NULLs inside
    "SELECT id, sum(iv) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)::text,"
    " avg(iv) OVER (PARTITION BY g ORDER BY id ROWS BETWEEN 3 PRECEDING AND 1 FOLLOWING)::text"
    " FROM iv_agg WHERE id < 120 ORDER BY id",
    "SELECT id, sum(iv) OVER (PARTITION BY id)::text FROM iv_agg WHERE id < 30 ORDER BY id",
    "SELECT g, id, avg(iv) OVER (PARTITION BY g)::text FROM iv_agg WHERE id < 40 ORDER BY g, id",
]


@pytest.mark.parametrize("sql", WINDOWS)
def test_window_sum_avg_exact(db, sql):
    exact(db, sql)


IVS = ["'1 day'", "'24 hours'", "'1440 minutes'", "'1 mon'", "'30 days'", "'720:00:00'",
       "'-1 day'", "'-24 hours'", "'1 day 1 hour'", "'25 hours'", "'0 days'", "'00:00:00'",
       "'P1D'", "'1 mon -1 day'", "'29 days'", "NULL"]
DOCS = ['{"a": 1, "b": [2.0]}', '{"b": [2], "a": 1.0}', '{"a": 1.00, "b": [2.00]}',
        '[1.5, "x"]', '[1.50, "x"]', '2.0', '2', '{"n": null}', '"1.0"', '"1"',
        '{"a": {"c": 10.10}}', '{"a": {"c": 10.1}}', None]


@pytest.fixture(scope="module")
def mixed(db):
    for t in ("kv_mixed", "kv_mixed2"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE kv_mixed (id int PRIMARY KEY, g int, iv interval, doc jsonb)")
    db.exec_both("CREATE TABLE kv_mixed2 (id int PRIMARY KEY, iv interval, doc jsonb)")
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.execute("INSERT INTO kv_mixed VALUES " + ",".join(
                cur.mogrify("(%s, %s, " + IVS[i % len(IVS)] + ", %s::jsonb)",
                            (i, i % 3, DOCS[i % len(DOCS)])).decode()
                for i in range(240)))
            cur.execute("INSERT INTO kv_mixed2 VALUES " + ",".join(
                cur.mogrify("(%s, " + IVS[(i * 5) % len(IVS)] + ", %s::jsonb)",
                            (i, DOCS[(i * 3) % len(DOCS)])).decode()
                for i in range(30)))
    return db


MIXED = [
    "SELECT iv, count(*) FROM kv_mixed GROUP BY iv ORDER BY 1",
    "SELECT count(*) FROM (SELECT DISTINCT iv FROM kv_mixed) s",
    "SELECT DISTINCT iv FROM kv_mixed ORDER BY 1",
    "SELECT count(DISTINCT iv) FROM kv_mixed",
    "SELECT g, count(DISTINCT iv) FROM kv_mixed GROUP BY g ORDER BY g",
    "SELECT g, iv, count(*) FROM kv_mixed GROUP BY g, iv ORDER BY 1, 2",
    "SELECT count(*) FROM kv_mixed a JOIN kv_mixed2 b ON a.iv = b.iv",
    "SELECT a.id, b.id FROM kv_mixed a JOIN kv_mixed2 b ON a.iv = b.iv ORDER BY 1, 2",
    "SELECT doc, count(*) FROM kv_mixed GROUP BY doc ORDER BY 2, 1",
    "SELECT count(*) FROM (SELECT DISTINCT doc FROM kv_mixed) s",
    "SELECT count(DISTINCT doc) FROM kv_mixed",
    "SELECT g, count(DISTINCT doc) FROM kv_mixed GROUP BY g ORDER BY g",
    "SELECT count(*) FROM kv_mixed a JOIN kv_mixed2 b ON a.doc = b.doc",
    "SELECT a.id, b.id FROM kv_mixed a JOIN kv_mixed2 b ON a.doc = b.doc ORDER BY 1, 2",
    "SELECT count(*) FROM (SELECT DISTINCT iv, doc FROM kv_mixed) s",
]


@pytest.mark.parametrize("strategy", ["auto", "repartition", "gather"])
@pytest.mark.parametrize("sql", MIXED)
def test_equal_spellings_are_one_value(mixed, sql, strategy):
    """Shards merged on the leader, and repartitioned by the key (the
    shards hash '1 day' and '24 hours' to one owner; the owners' tables
    compare by value)."""
    with mixed.m.cursor() as cur:
        cur.execute("SET murphy.shuffle_strategy = %s", (strategy,))
        cur.execute("SET murphy.join_strategy = %s",
                    ("broadcast" if strategy == "gather" else strategy,))
    try:
        mixed.both(sql)
    finally:
        with mixed.m.cursor() as cur:
            cur.execute("RESET murphy.shuffle_strategy")
            cur.execute("RESET murphy.join_strategy")


def test_group_counts_one_shard(mixed):
    """One shard's GROUP BY (SQLite's, COLLATE mur_interval / mur_jsonb)."""
    mixed.both("SELECT iv, count(*) FROM kv_mixed WHERE id IN (0, 1, 2, 3, 4) GROUP BY iv")
    mixed.both("SELECT doc, count(*) FROM kv_mixed WHERE id IN (0, 1, 2) GROUP BY doc")


def test_pg_typeof(mixed):
    """pg_typeof as text (murphy's column is text, PostgreSQL's regtype:
    compared through ::text); an aggregate inside keeps the query one."""
    exact(mixed, "SELECT pg_typeof(iv)::text, pg_typeof(doc)::text, pg_typeof(id)::text,"
          " pg_typeof(1.5)::text, pg_typeof('a')::text, pg_typeof(NULL)::text,"
          " pg_typeof(id::bigint * 2)::text, pg_typeof(now())::text FROM kv_mixed WHERE id = 3")
    exact(mixed, "SELECT pg_typeof(sum(iv))::text, pg_typeof(avg(id))::text,"
          " pg_typeof(count(*))::text FROM kv_mixed")
    exact(mixed, "SELECT g, pg_typeof(max(iv))::text FROM kv_mixed GROUP BY g ORDER BY g")


def test_no_min_max_of_jsonb(mixed):
    """PostgreSQL 15 has no min/max(jsonb) (murphy took them)."""
    mixed.both_error("SELECT max(doc) FROM kv_mixed", "42883")
    mixed.both_error("SELECT g, min(doc) FROM kv_mixed GROUP BY g", "42883")
