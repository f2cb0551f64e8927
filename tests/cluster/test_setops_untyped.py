"""Untyped literals (NULL, 'x', $1) in UNION / INTERSECT / EXCEPT branches,
differential against a real PostgreSQL 15 (parser/analyze_setop.c).

A branch's untyped literal stays unknown until its set operation types
the column from the other branch (`SELECT id FROM t UNION ALL SELECT NULL`
is integer; `SELECT 1 UNION SELECT 'x'` is 22P02); each set operation
node resolves two unknowns as text (`SELECT 1 UNION (SELECT NULL UNION
SELECT NULL)` is 42804), and so do a branch's own DISTINCT, GROUP BY and
ORDER BY (`(SELECT NULL ORDER BY 1) UNION SELECT 1` is 42804), as in
PostgreSQL's transformSetOperationTree.  Before: every branch typed its
NULLs as text, so the first query answered 42804."""
import pytest


@pytest.fixture(scope="module")
def so(db):
    for sql in (
        "DROP TABLE IF EXISTS sou_t",
        "DROP TABLE IF EXISTS sou_r",
        "CREATE TABLE sou_t (id int PRIMARY KEY, w text, n numeric, d date, b bool)",
        "INSERT INTO sou_t VALUES (1, 'a', 1.5, '2020-01-01', true),"
        " (2, 'b', 2.5, '2021-01-01', false), (3, NULL, NULL, NULL, NULL)",
    ):
        db.exec_both(sql)
    ref = "CREATE TABLE sou_r (k int, a numeric[], ts timestamptz)"
    db.murphy(ref + " WITH (distribution = 'reference')")
    with db.p.cursor() as cur:
        cur.execute(ref)
    db.exec_both("INSERT INTO sou_r VALUES (1, '{1.5,2}', '2024-01-01 10:00+00'), (2, NULL, NULL)")
    return db


QUERIES = [
    # the brief's case: a distributed table's branch types the NULLs
    "SELECT id, w FROM sou_t UNION ALL SELECT null, null",
    "SELECT id, w FROM sou_t UNION SELECT null, null",
    "SELECT null, null UNION ALL SELECT id, w FROM sou_t",
    "SELECT id, n, d, b FROM sou_t UNION ALL SELECT null, null, null, null",
    "SELECT id, w FROM sou_t UNION ALL SELECT null, null UNION ALL SELECT 4, 'z'",
    "SELECT k, a, ts FROM sou_r UNION ALL SELECT null, null, null",
    "SELECT null UNION ALL SELECT a FROM sou_r",
    "SELECT id FROM sou_t INTERSECT SELECT null",
    "SELECT id FROM sou_t EXCEPT SELECT null",
    "SELECT id FROM sou_t EXCEPT ALL SELECT null",
    "SELECT n FROM sou_t UNION ALL SELECT null UNION ALL SELECT 1",
    # constants only
    "SELECT null UNION SELECT 1",
    "SELECT 1 UNION SELECT null",
    "SELECT null UNION ALL SELECT 1.5",
    "SELECT null UNION SELECT true",
    "SELECT null UNION SELECT '{1,2}'::int[]",
    "SELECT null UNION SELECT null",
    "SELECT null::int UNION SELECT null",
    "SELECT null INTERSECT SELECT 1",
    "SELECT null EXCEPT SELECT 1",
    "SELECT null, 'x' UNION SELECT 1, null UNION SELECT null, null",
    "SELECT 1 UNION (SELECT null UNION SELECT 2)",
    "(SELECT null LIMIT 1) UNION SELECT 1",
    # untyped string literals take the other branch's type too
    "SELECT '1' UNION SELECT 1",
    "SELECT '2020-01-01' UNION SELECT d FROM sou_t",
    "SELECT $$1$$ UNION ALL SELECT id FROM sou_t",
    "SELECT id FROM sou_t UNION SELECT '7'",
    # CASE / COALESCE typed by their own arguments, NULL by the other branch
    "SELECT CASE WHEN id > 1 THEN null END FROM sou_t UNION SELECT 1",
    "SELECT coalesce(null, id) FROM sou_t UNION SELECT null",
    "SELECT coalesce(null, null, 1) UNION SELECT null",
    "SELECT null + 1 UNION SELECT 1.5",
    # VALUES: a column of NULLs alone is text
    "VALUES (1, null), (null, 'x')",
    "VALUES (null, null), (1, 'x')",
    "SELECT 1 UNION ALL VALUES (2), (null)",
    # in FROM, WITH, IN, with ORDER BY on the result
    "SELECT * FROM (SELECT id, w FROM sou_t UNION ALL SELECT null, null) s ORDER BY 1, 2",
    "SELECT count(*), count(id) FROM (SELECT id FROM sou_t UNION ALL SELECT null) s",
    "WITH x AS (SELECT id, w FROM sou_t UNION ALL SELECT null, null)"
    " SELECT * FROM x ORDER BY 1, 2",
    "SELECT id FROM sou_t WHERE id IN (SELECT 1 UNION SELECT null)",
    "SELECT null AS x UNION SELECT 1 ORDER BY x",
    "SELECT n FROM sou_t UNION SELECT null ORDER BY 1",
    "SELECT 1 AS a UNION SELECT null ORDER BY a NULLS FIRST",
]

ERRORS = [
    # a set operation of two unknowns is text; so is a branch's DISTINCT,
    # GROUP BY and ORDER BY column
    ("SELECT 1 UNION (SELECT null UNION SELECT null)", "42804"),
    ("SELECT null UNION SELECT null UNION SELECT 1", "42804"),
    ("SELECT DISTINCT null UNION SELECT 1", "42804"),
    ("(SELECT null ORDER BY 1) UNION SELECT 1", "42804"),
    ("SELECT null GROUP BY 1 UNION SELECT 1", "42804"),
    ("VALUES (null) UNION SELECT 1", "42804"),
    ("SELECT coalesce(null, null) UNION SELECT 1", "42804"),
    ("SELECT CASE WHEN true THEN null END UNION SELECT 1", "42804"),
    ("SELECT id FROM sou_t UNION SELECT w FROM sou_t", "42804"),
    # an untyped literal that is not a value of the other branch's type
    ("SELECT 1 UNION SELECT 'x'", "22P02"),
    ("SELECT 'a' UNION SELECT id FROM sou_t", "22P02"),
]


@pytest.mark.parametrize("sql", QUERIES)
def test_untyped_branch(so, sql):
    so.both(sql)


@pytest.mark.parametrize("sql,code", ERRORS)
def test_untyped_branch_error(so, sql, code):
    so.both_error(sql, code)


def test_parameter_typed_by_other_branch(so):
    """$1 in a branch takes the other branch's type (extended protocol:
    psycopg2 sends it inline, so PREPARE shows the inferred type)."""
    so.exec_both("PREPARE sou_p AS SELECT id FROM sou_t UNION ALL SELECT $1")
    so.both("EXECUTE sou_p('5')")
    so.exec_both("DEALLOCATE sou_p")


INSERTS = [
    "INSERT INTO sou_i SELECT id, w, n FROM sou_t UNION ALL SELECT 10, null, null",
    "INSERT INTO sou_i (id, w) SELECT 20, null UNION ALL SELECT 21, 'q'",
    "INSERT INTO sou_i (id, n) SELECT id + 30, n FROM sou_t UNION SELECT 40, null"
    " ORDER BY 1 LIMIT 2",
    "INSERT INTO sou_i WITH x AS (SELECT 50 AS id) SELECT id, 'w' FROM x"
    " UNION ALL SELECT 51, null",
    "INSERT INTO sou_i (id) SELECT id + 60 FROM sou_t INTERSECT SELECT 61",
    "INSERT INTO sou_i (id) SELECT id + 70 FROM sou_t EXCEPT SELECT 71",
    "INSERT INTO sou_i (id, w) VALUES (80, 'v') UNION ALL SELECT 81, null",
    "INSERT INTO sou_i (id, w) SELECT 90, null UNION ALL SELECT 90, null ON CONFLICT DO NOTHING",
]


def test_insert_select_set_operation(so):
    """INSERT ... SELECT ... UNION [ALL] / INTERSECT / EXCEPT: the set
    operation types its columns (the NULLs from the other branch), then
    each is assigned to its column, as PostgreSQL does (it was 0A000
    "murphy does not support UNION yet")."""
    so.exec_both("DROP TABLE IF EXISTS sou_i")
    so.exec_both("CREATE TABLE sou_i (id int PRIMARY KEY, w text, n numeric)")
    for sql in INSERTS:
        so.both(sql)
    so.both("INSERT INTO sou_i (id, w) SELECT 100, null UNION ALL SELECT 101, 'r'"
            " RETURNING id, w")
    so.both("SELECT * FROM sou_i ORDER BY id")


@pytest.mark.parametrize("sql,code", [
    # two NULLs are text, as the set operation resolves them
    ("INSERT INTO sou_i (id, w) SELECT null, null UNION ALL SELECT null, null", "42804"),
    ("INSERT INTO sou_i (id, n) SELECT 110, '1.5' UNION ALL SELECT 111, null", "42804"),
    ("INSERT INTO sou_i (id, w) SELECT 120, null UNION ALL SELECT null, null", "23502"),
])
def test_insert_select_set_operation_errors(so, sql, code):
    so.exec_both("CREATE TABLE IF NOT EXISTS sou_i (id int PRIMARY KEY, w text, n numeric)")
    so.both_error(sql, code)
