"""GROUP BY a table's primary key reads its other columns, as PostgreSQL.

PostgreSQL lets a grouped query read a column it does not group by when
the query groups by the whole primary key of that column's table (the
column is functionally dependent on the key): `SELECT * FROM t GROUP BY
t.pk`, the ORMs' `SELECT t.*, count(s.id) FROM t JOIN s ... GROUP BY
t.id`.  Not through a view or a subquery, not for a UNIQUE that is not the
primary key, not for part of a composite key, not under ROLLUP: 42803
there, with PostgreSQL's message and position.  murphy-s25 answered
42803 for all of them.  Compared with PostgreSQL 15 (the ``db`` fixture)
on the same rows, across shards, joins included.
"""
import pytest

from compare import run


@pytest.fixture(scope="module")
def gk(db):
    for sql in (
            "CREATE TABLE gk_t (k int PRIMARY KEY, a int, b text)",
            "CREATE TABLE gk_s (id int PRIMARY KEY, k int, x int)",
            "CREATE TABLE gk_c (p int, q int, v int, PRIMARY KEY (p, q))",
            "CREATE TABLE gk_u (k int PRIMARY KEY, u int, w int, UNIQUE (k, u))",
            "INSERT INTO gk_t SELECT i, i % 3, 'b' || i FROM generate_series(1, 40) i",
            "INSERT INTO gk_s SELECT i, i % 13 + 1, i * 10 FROM generate_series(1, 90) i",
            "INSERT INTO gk_c SELECT i % 4, i, i * 2 FROM generate_series(1, 24) i",
            "INSERT INTO gk_u SELECT i, i + 100, i % 2 FROM generate_series(1, 6) i",
            "CREATE VIEW gk_v AS SELECT * FROM gk_t"):
        db.exec_both(sql)
    return db


ACCEPTED = [
    "SELECT * FROM gk_t GROUP BY k",
    "SELECT gk_t.a, gk_t.b FROM gk_t GROUP BY gk_t.k",
    "SELECT a, b, count(*) FROM gk_t GROUP BY k HAVING a > 0",
    "SELECT b || '!' AS e, a + 1 FROM gk_t GROUP BY k ORDER BY a, b",
    "SELECT DISTINCT a FROM gk_t GROUP BY k",
    # joins: one table's key grouped (the other's columns aggregated)
    "SELECT gk_t.k, gk_t.b, count(gk_s.id), sum(gk_s.x) FROM gk_t "
    "JOIN gk_s ON gk_s.k = gk_t.k GROUP BY gk_t.k",
    "SELECT gk_t.*, count(gk_s.id) FROM gk_t LEFT JOIN gk_s ON gk_s.k = gk_t.k GROUP BY gk_t.k",
    "SELECT gk_s.x, gk_t.b FROM gk_t JOIN gk_s ON gk_s.k = gk_t.k GROUP BY gk_t.k, gk_s.id",
    "SELECT t1.b, t2.b FROM gk_t t1 JOIN gk_t t2 ON t1.k = t2.k + 1 GROUP BY t1.k, t2.k",
    # a composite key, whole
    "SELECT * FROM gk_c GROUP BY p, q",
    "SELECT v, count(*) FROM gk_c GROUP BY q, p",
]

REFUSED = [
    "SELECT v FROM gk_c GROUP BY p",                         # part of the key
    "SELECT w FROM gk_u GROUP BY u",                         # not the key
    "SELECT * FROM gk_v GROUP BY k",                         # through a view
    "SELECT s.b FROM (SELECT * FROM gk_t) s GROUP BY s.k",   # a subquery
    "SELECT b FROM gk_t GROUP BY ROLLUP (k)",                # grouping sets
    "SELECT gk_t.b, gk_s.x FROM gk_t JOIN gk_s ON gk_s.k = gk_t.k GROUP BY gk_t.k",
    "SELECT t2.b FROM gk_t t1 JOIN gk_t t2 ON t1.k = t2.k GROUP BY t1.k",
]


@pytest.mark.parametrize("sql", ACCEPTED)
def test_columns_of_a_grouped_key_are_read(gk, sql):
    gk.both(sql)


def diag(conn, sql):
    out = run(conn, sql)
    assert out.error is not None, (sql, out)
    d = out.error.diag
    return (out.error.pgcode, d.message_primary, d.statement_position)


@pytest.mark.parametrize("sql", REFUSED)
def test_other_columns_are_42803_as_postgres(gk, sql):
    m, p = diag(gk.m, sql), diag(gk.p, sql)
    assert p[0] == "42803", ("test is wrong", sql, p)
    assert m == p, (sql, m, p)


def test_prepared_and_explained(gk):
    gk.both("SELECT * FROM gk_t WHERE a = %s GROUP BY k", (1,))
    with gk.m.cursor() as cur:
        cur.execute("EXPLAIN SELECT gk_t.b, count(*) FROM gk_t JOIN gk_s ON gk_s.k = gk_t.k "
                    "GROUP BY gk_t.k")
        assert cur.fetchall()
