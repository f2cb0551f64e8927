"""RIGHT / FULL JOIN, JOIN ... USING and NATURAL JOIN against PostgreSQL (issue 19).

a and b are distributed by id with the same shard count (co-located on id),
c by k (not co-located with either), r is a reference table.  The data has
NULL join keys, keys that match nothing on either side and keys that match
many rows, so every outer join emits unmatched rows from both sides.  Each
query runs with murphy.join_strategy on auto, repartition and broadcast:
broadcast would copy a preserved side to every follower, so murphy must
not use it for RIGHT / FULL JOINs.
"""
import random

import psycopg2
import pytest

import data


def rows_a():
    rnd = random.Random(21)
    for i in range(1, 301):
        yield (i, None if i % 17 == 0 else rnd.randint(1, 80), "a%d" % (i % 13))


def rows_b():
    rnd = random.Random(22)
    for i in range(150, 451):  # ids 1..149 only in a, 301..450 only in b
        yield (i, None if i % 19 == 0 else rnd.randint(40, 120), "b%d" % (i % 7))


def rows_c():
    rnd = random.Random(23)
    for i in range(1, 201):
        yield (i, None if i % 23 == 0 else rnd.randint(60, 160), "c%d" % (i % 5))


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for t in ("a", "b", "c", "r"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE a (id int PRIMARY KEY, k int, v text)")
    db.exec_both("CREATE TABLE b (id int PRIMARY KEY, k int, w text)")
    db.p.cursor().execute("CREATE TABLE c (cid int, k int, z text)")
    db.m.cursor().execute("CREATE TABLE c (cid int, k int, z text) "
                          "PARTITION BY HASH (k) WITH (shards = 3)")
    db.p.cursor().execute("CREATE TABLE r (k int PRIMARY KEY, name text)")
    db.m.cursor().execute("CREATE TABLE r (k int PRIMARY KEY, name text) "
                          "WITH (distribution = 'reference')")
    for conn in (db.m, db.p):
        cur = conn.cursor()
        data.insert_batches(cur.execute, "a", list(rows_a()), batch=500)
        data.insert_batches(cur.execute, "b", list(rows_b()), batch=500)
        data.insert_batches(cur.execute, "c", list(rows_c()), batch=500)
        data.insert_batches(cur.execute, "r", [(k, "r%d" % k) for k in range(50, 200, 3)])
    return db


QUERIES = [
    # JOIN ... USING / NATURAL: merged columns first, once
    "SELECT * FROM a JOIN b USING (id)",
    "SELECT * FROM a LEFT JOIN b USING (id, k)",
    "SELECT * FROM a NATURAL JOIN b",
    "SELECT * FROM a NATURAL LEFT JOIN b",
    "SELECT id, a.k, b.k, w FROM a JOIN b USING (id) WHERE id > 200 ORDER BY id",
    "SELECT * FROM a JOIN c USING (k)",
    "SELECT k, count(*), min(v), max(z) FROM a JOIN c USING (k) GROUP BY k ORDER BY k",
    "SELECT * FROM a NATURAL LEFT JOIN r",
    "SELECT k, name, a.id FROM r JOIN a USING (k) ORDER BY k, a.id",
    "SELECT * FROM a JOIN b USING (id) JOIN r ON r.k = b.k",
    "SELECT * FROM a JOIN b USING (id) JOIN c ON c.k = a.k",
    "SELECT a.*, w FROM a JOIN b USING (id) ORDER BY 1",
    # RIGHT / FULL co-located on the distribution column
    "SELECT a.id, b.id, v, w FROM a RIGHT JOIN b ON a.id = b.id",
    "SELECT a.id, b.id, v, w FROM a FULL JOIN b ON a.id = b.id",
    "SELECT * FROM a FULL JOIN b USING (id)",
    "SELECT * FROM a RIGHT JOIN b USING (id)",
    "SELECT id, count(*) FROM a FULL JOIN b USING (id) GROUP BY id ORDER BY id DESC LIMIT 20",
    "SELECT count(*), count(a.id), count(b.id) FROM a FULL JOIN b ON a.id = b.id AND a.k < b.k",
    "SELECT a.id, b.id FROM a FULL JOIN b ON a.id = b.id WHERE a.id IS NULL OR b.id IS NULL",
    "SELECT * FROM a NATURAL FULL JOIN b",
    # RIGHT / FULL shuffled by the join key (NULL keys on both sides)
    "SELECT a.id, c.cid, a.k, c.k FROM a FULL JOIN c ON a.k = c.k",
    "SELECT a.id, c.cid FROM a RIGHT JOIN c ON a.k = c.k",
    "SELECT count(*), count(a.id), count(c.cid), sum(a.k), sum(c.k) FROM a FULL JOIN c "
    "ON a.k = c.k",
    "SELECT coalesce(a.k, c.k) AS key, count(*) FROM a FULL JOIN c ON a.k = c.k "
    "GROUP BY 1 ORDER BY 1 NULLS FIRST",
    "SELECT k, a.id, c.cid FROM a FULL JOIN c USING (k) WHERE a.id IS NULL",
    "SELECT * FROM a FULL JOIN b ON a.k = b.k WHERE coalesce(a.id, 0) < 100 OR b.w = 'b3'",
    "SELECT b.id, c.cid FROM b RIGHT JOIN c ON b.k = c.k AND b.w <> 'b1' WHERE c.z <> 'c2'",
    # reference tables: a preserved reference side is shuffled, not repeated per shard
    "SELECT a.id, r.k, name FROM a RIGHT JOIN r ON a.k = r.k",
    "SELECT a.id, r.k, name FROM a FULL JOIN r ON a.k = r.k",
    "SELECT * FROM a NATURAL FULL JOIN r",
    "SELECT r.k, count(a.id) FROM a RIGHT JOIN r USING (k) GROUP BY r.k ORDER BY r.k",
    "SELECT a.id, name FROM r RIGHT JOIN a ON a.k = r.k",
    # with the rest of the language
    "SELECT * FROM r, a JOIN b USING (id) WHERE r.k = a.k",
    "SELECT * FROM a JOIN b USING (id), r WHERE r.k = b.k",
    "SELECT a.id, b.id FROM a FULL JOIN b ON a.id = b.id WHERE b.k IN (SELECT k FROM c)",
    "SELECT DISTINCT coalesce(a.v, b.w) FROM a FULL JOIN b ON a.id = b.id ORDER BY 1",
    "SELECT a.id, b.id, row_number() OVER (PARTITION BY a.id ORDER BY b.id) FROM a "
    "RIGHT JOIN b ON a.id = b.id ORDER BY b.id",
    "SELECT a.id, b.id, c.cid FROM a LEFT JOIN b ON a.id = b.id RIGHT JOIN c ON c.k = a.k "
    "AND c.k = b.k",
    "SELECT * FROM a JOIN b USING (id) ORDER BY id LIMIT 5",
    "SELECT id, v, w FROM a NATURAL FULL JOIN b ORDER BY id NULLS FIRST, v, w LIMIT 30",
    "SELECT a.id, b.id FROM a FULL JOIN b ON a.id = b.id WHERE a.id = 7",
    "SELECT a.id, b.id FROM a FULL JOIN b ON a.id = b.id AND a.id = 7",
    "SELECT a.id, b.id FROM a RIGHT JOIN b ON a.id = b.id AND b.id IN (200, 400)",
    "SELECT * FROM (a JOIN b USING (id)) WHERE id < 160",
    "WITH t AS (SELECT id, k FROM b WHERE k > 60) SELECT * FROM a JOIN t USING (id)",
    "WITH t AS (SELECT id, k AS bk FROM b) SELECT * FROM a NATURAL LEFT JOIN t",
    "SELECT * FROM (SELECT id, v FROM a WHERE id < 200) s NATURAL JOIN b",
    # RIGHT / FULL JOIN of subqueries (or renamed tables): gathered, joined on
    # the leader (murphy refused them: a merged subquery before a RIGHT JOIN)
    "SELECT * FROM (SELECT id, k FROM a) s FULL JOIN (SELECT id, w FROM b) t USING (id)",
    "SELECT * FROM (SELECT id, 1 AS one FROM a WHERE id < 200) s NATURAL FULL JOIN "
    "(SELECT id, 2 AS two FROM b) t",
    "SELECT s.id, t.id FROM (SELECT id FROM a) s RIGHT JOIN (SELECT id FROM b WHERE id > 400) t"
    " ON s.id = t.id",
    "SELECT * FROM a x (id, ak) FULL JOIN b y (id, bk) USING (id)",
    # the null-extended side's distribution column no longer splits rows by shard
    "SELECT a.id, count(*) FROM a RIGHT JOIN b ON a.id = b.id GROUP BY a.id",
    "SELECT count(DISTINCT a.id), count(*) FROM a FULL JOIN b ON a.id = b.id",
    # a subquery on the null-extended side: what it computes is NULL where
    # no row matched (murphy's merge showed the constant 3, coalesce's 'none')
    "SELECT a.id, s.three, s.w2, s.wz FROM a LEFT JOIN (SELECT id, 3 AS three, w || '!' AS w2,"
    " coalesce(w, 'none') AS wz FROM b) s ON a.id = s.id ORDER BY a.id",
    "SELECT s.three, count(*) FROM a LEFT JOIN (SELECT k, 3 AS three FROM c) s ON a.k = s.k"
    " GROUP BY s.three ORDER BY 1",
    "SELECT a.id, s.tag FROM a LEFT JOIN (SELECT k, 'ref' AS tag FROM r) s ON a.k = s.k"
    " ORDER BY a.id",
]


def set_join(db, strategy):
    with db.m.cursor() as cur:
        cur.execute("SET murphy.join_strategy = %s", (strategy,))


@pytest.mark.parametrize("strategy", ["auto", "repartition", "broadcast"])
@pytest.mark.parametrize("sql", QUERIES)
def test_matches_postgres(db, strategy, sql):
    set_join(db, strategy)
    try:
        assert db.both(sql) is not None  # rows, not an error both sides share
    finally:
        set_join(db, "auto")


def test_using_errors_match_postgres(db):
    db.both_error("SELECT k FROM a JOIN b USING (id)", "42702")
    db.both_error("SELECT * FROM a JOIN b USING (w)", "42703")
    db.both_error("SELECT * FROM a JOIN b USING (v)", "42703")
    db.both_error("SELECT * FROM a JOIN b USING (id) JOIN c USING (k)", "42702")
    db.both_error("SELECT * FROM a JOIN b USING (id, id)", "42701")


# t AS x (c1, c2): the alias renames the first columns (the others keep
# theirs); joins, USING and NATURAL see the new names (murphy refused them,
# and before that joined on the table's own names)
RENAMED = [
    "SELECT * FROM a AS x (x1, x2, x3) ORDER BY x1 LIMIT 5",
    "SELECT x.*, p FROM a x (p) WHERE p < 5 ORDER BY p",
    "SELECT * FROM a x (id, k2) NATURAL JOIN b y (id)",
    "SELECT * FROM a x (k, id) NATURAL JOIN b y (k, i2)",
    "SELECT x.k2, y.bk, id FROM a x (id, k2) JOIN b y (id, bk) USING (id) WHERE k2 > 50",
    "SELECT * FROM a x (i) LEFT JOIN c z (ci, k) ON x.k = z.k",
    "SELECT k2, count(*) FROM a x (i, k2) GROUP BY k2 ORDER BY k2 NULLS FIRST",
    "WITH t AS (SELECT id, k FROM b) SELECT * FROM a JOIN t AS u (id, bk) USING (id)",
    "SELECT * FROM r AS s (rk, rname) JOIN a ON a.k = s.rk",
    # (a JOIN b ...) AS x (cols): the join's columns under x's names
    "SELECT x1, x3, x5 FROM (a CROSS JOIN r) AS x (x1, x2, x3, x4, x5) WHERE x2 = x4",
    "SELECT x.id, x.w FROM (a JOIN b USING (id)) AS x WHERE x.v > 'a5'",
    "SELECT * FROM (a x (p) JOIN b y (q) ON p = q) AS j (i1, k1, v1, i2) ORDER BY i1 LIMIT 5",
    "SELECT j.v, r.name FROM (a JOIN b USING (id)) AS j JOIN r ON r.k = j.id",
    # JOIN ... USING (c) AS x: x names the merged columns only, a and b stay
    "SELECT * FROM a JOIN b USING (id) AS x WHERE x.id < 160",
    "SELECT x.*, a.v FROM a JOIN b USING (id, k) AS x ORDER BY x.id",
    "SELECT x.id, a.id, b.id FROM a FULL JOIN b USING (id) AS x WHERE x.id % 50 = 0",
    "SELECT x.k, count(*) FROM a JOIN c USING (k) AS x GROUP BY x.k ORDER BY 1",
]


@pytest.mark.parametrize("sql", RENAMED)
def test_table_column_aliases_match_postgres(db, sql):
    assert db.both(sql) is not None


def test_table_column_alias_errors_match_postgres(db):
    db.both_error("SELECT * FROM a x (p, q, r, s)", "42P10")
    db.both_error("SELECT a.id FROM a x (p)", "42P01")
    db.both_error("SELECT id FROM a x (p)", "42703")
    # a join's alias hides its tables; a name both sides have is ambiguous
    db.both_error("SELECT a.v FROM (a JOIN b USING (id)) AS x", "42P01")
    db.both_error("SELECT x.k FROM (a JOIN b ON a.id = b.id) AS x", "42702")
    db.both_error("SELECT k FROM (SELECT * FROM a JOIN b ON a.id = b.id) AS x", "42702")
    # the same for a subquery whose rows are gathered (DISTINCT): murphy took the first
    db.both_error("SELECT x.k FROM (SELECT DISTINCT * FROM a JOIN b ON a.id = b.id) AS x",
                  "42702")
    db.both_error("SELECT k FROM (SELECT DISTINCT * FROM a JOIN b ON a.id = b.id) AS x", "42702")
    db.both("SELECT x.v, x.* FROM (SELECT DISTINCT * FROM a JOIN b USING (id)) AS x")
    db.both_error("SELECT x.v FROM a JOIN b USING (id) AS x", "42703")
    db.both_error("SELECT * FROM a JOIN b USING (id) AS a", "42712")


def explain(db, sql):
    _, rows = db.murphy("EXPLAIN " + sql)
    return "\n".join(r[0] for r in rows)


def test_explain_shows_the_strategy(db):
    co = explain(db, "SELECT * FROM a FULL JOIN b ON a.id = b.id")
    assert "shuffled join" not in co and "repartition" not in co, co
    sh = explain(db, "SELECT * FROM a FULL JOIN c ON a.k = c.k")
    assert 'repartition join on "a"."k" = "c"."k"' in sh, sh
    ref = explain(db, "SELECT * FROM a RIGHT JOIN r ON a.k = r.k")
    assert "repartition join" in ref, ref


def test_unplannable_outer_join_refused_clearly(db):
    # a reference table kept whole by a FULL JOIN without an equality to shuffle by
    with pytest.raises(psycopg2.Error) as e:
        db.murphy("SELECT count(*) FROM a FULL JOIN r ON a.k < r.k")
    assert e.value.pgcode == "0A000" and "reference table" in str(e.value), e.value
    # every table before a RIGHT JOIN is null-extended: not a comma list
    with pytest.raises(psycopg2.Error) as e:
        db.murphy("SELECT count(*) FROM r, a RIGHT JOIN b ON a.id = b.id")
    assert e.value.pgcode == "0A000" and "RIGHT or FULL JOIN" in str(e.value), e.value
    # a subquery gathered to the leader cannot be joined with a distributed table
    with pytest.raises(psycopg2.Error) as e:
        db.murphy("SELECT * FROM (SELECT id FROM a) s RIGHT JOIN b ON s.id = b.id")
    assert e.value.pgcode == "0A000" and "RIGHT or FULL JOIN between a subquery" in str(
        e.value), e.value
    # not co-located and no join key: only broadcast, which would repeat rows
    with pytest.raises(psycopg2.Error) as e:
        db.murphy("SELECT count(*) FROM a FULL JOIN c ON a.k < c.k")
    assert e.value.pgcode == "0A000", e.value
