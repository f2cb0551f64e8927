"""VALUES lists outside INSERT (issue 19), differential against a real
PostgreSQL 15: as a statement (with ORDER BY / LIMIT), in FROM with column
aliases, as a set operation's branch, in WITH and as WITH RECURSIVE's
non-recursive term; PostgreSQL's column names (column1, ...) and common
types, and its errors (42601 rows of different lengths, 42804 types that
do not match).  Runs on the leader (parser/analyze_values.c)."""
import pytest

from compare import exact


@pytest.fixture(scope="module")
def vals(db):
    db.exec_both("DROP TABLE IF EXISTS val_t")
    db.exec_both("CREATE TABLE val_t (id int PRIMARY KEY, name text)")
    db.exec_both("INSERT INTO val_t VALUES (1, 'a'), (2, 'b'), (3, NULL)")
    return db


QUERIES = [
    "VALUES (1, 'one'), (2, 'two'), (3, NULL)",
    "VALUES (1), (2.5), (NULL)",
    "VALUES (3, 'c'), (1, 'a'), (2, 'b') ORDER BY 1 DESC",
    "VALUES (3), (1), (2) ORDER BY column1 LIMIT 2 OFFSET 1",
    "VALUES ('2024-01-02'::date, 1.50::numeric), (NULL, 2)",
    "VALUES (NULL), (NULL)",
    "SELECT * FROM (VALUES (1, 'x'), (2, 'y')) AS v(id, label) ORDER BY id",
    "SELECT v.a + 1, upper(v.b) FROM (VALUES (1, 'x'), (2, 'y')) v(a, b) WHERE v.a > 1",
    "SELECT count(*), sum(column1) FROM (VALUES (1), (2), (3)) v",
    "SELECT * FROM (VALUES (1), (2)) a(x) JOIN (VALUES (2), (3)) b(y) ON a.x = b.y",
    "SELECT 1 UNION ALL VALUES (2), (3)",
    "VALUES (1), (2) EXCEPT SELECT 2",
    "WITH w(n, s) AS (VALUES (1, 'a'), (2, 'b')) SELECT * FROM w ORDER BY n",
    "SELECT id, name FROM val_t WHERE id IN (VALUES (1), (3)) ORDER BY id",
    "SELECT id FROM val_t WHERE id = (VALUES (2))",
    "WITH RECURSIVE t(n) AS (VALUES (1) UNION ALL SELECT n+1 FROM t WHERE n < 100)"
    " SELECT sum(n) FROM t",
    "WITH RECURSIVE t(n) AS (VALUES (1), (1) UNION SELECT n+1 FROM t WHERE n < 3)"
    " SELECT * FROM t",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_values(vals, sql):
    exact(vals, sql)


def test_values_errors(vals):
    vals.both_error("VALUES (1, 2), (3)", "42601")
    vals.both_error("VALUES (1), ('2024-01-01'::date)", "42804")
