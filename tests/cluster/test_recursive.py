"""WITH RECURSIVE (issue 19), differential against a real PostgreSQL 15.

The non-recursive term runs like any subquery (on the shards, filters
pushed down); the recursive term runs on the leader over the working table
and the tables it reads gathered once (parser/analyze_recursive.c).
Cases: counting, UNION vs UNION ALL, column lists, a tree walk
(employees and managers) over a distributed table in both terms, graph
paths with a cycle check array, Fibonacci in numeric, LIMIT on the outer
query stopping an endless recursion, the row bound (54000) where
PostgreSQL would run forever, PostgreSQL's own errors for the forms it
refuses (42P19, 42804, 0A000 for ORDER BY/LIMIT inside), and SEARCH/CYCLE
answering 0A000 naming them.  Cases marked with.sql come from PostgreSQL's
src/test/regress/sql/with.sql."""
import pytest

from compare import exact, run


@pytest.fixture(scope="module")
def rec(db):
    for sql in (
        "DROP TABLE IF EXISTS rec_emp",
        "DROP TABLE IF EXISTS rec_edge",
        "DROP TABLE IF EXISTS rec_tree",
        "CREATE TABLE rec_emp (id int PRIMARY KEY, name text, manager int, salary numeric)",
        "CREATE TABLE rec_edge (src int, dst int, w int)",
        "CREATE TABLE rec_tree (id int PRIMARY KEY, parent_id int)",
        "INSERT INTO rec_emp VALUES (1, 'ceo', NULL, 300.50), (2, 'cto', 1, 200),"
        " (3, 'cfo', 1, 210.25), (4, 'dev1', 2, 100), (5, 'dev2', 2, 101),"
        " (6, 'acct', 3, 90), (7, 'intern', 4, 10.5), (8, 'other', NULL, 5)",
        "INSERT INTO rec_edge VALUES (1, 2, 1), (2, 3, 2), (3, 1, 3), (3, 4, 1), (4, 5, 5),"
        " (5, 4, 1), (1, 5, 7)",
        # with.sql's tree (ids 1..11)
        "INSERT INTO rec_tree VALUES (1, NULL), (2, 1), (3, 1), (4, 2), (5, 2), (6, 2),"
        " (7, 3), (8, 3), (9, 4), (10, 4), (11, 7)",
    ):
        db.exec_both(sql)
    return db


QUERIES = [
    # counting (with.sql)
    "WITH RECURSIVE t(n) AS (VALUES (1) UNION ALL SELECT n+1 FROM t WHERE n < 100)"
    " SELECT sum(n) FROM t",
    "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM t WHERE n < 100)"
    " SELECT n FROM t ORDER BY n",
    "WITH RECURSIVE t(n) AS (SELECT (VALUES(1)) UNION ALL SELECT n+1 FROM t WHERE n < 5)"
    " SELECT * FROM t",
    # UNION drops repeats (with.sql): terminates on its own
    "WITH RECURSIVE t(n) AS (SELECT 1 UNION SELECT 10-n FROM t) SELECT * FROM t",
    "WITH RECURSIVE t(n) AS (VALUES (1), (1) UNION ALL SELECT n+1 FROM t WHERE n < 3)"
    " SELECT * FROM t",
    "WITH RECURSIVE t(n) AS (VALUES (1), (1) UNION SELECT n+1 FROM t WHERE n < 3)"
    " SELECT * FROM t",
    # column names from the non-recursive term; several columns; text
    "WITH RECURSIVE t AS (SELECT 1 AS a, 'x'::text AS s UNION ALL"
    " SELECT a + 1, s || 'x' FROM t WHERE a < 4) SELECT * FROM t ORDER BY a",
    "WITH RECURSIVE t(a, b) AS (SELECT 1, 2 UNION ALL SELECT b, a + b FROM t WHERE b < 50)"
    " SELECT a, b FROM t ORDER BY a",
    # unknown literal in the non-recursive term becomes text (with.sql)
    "WITH RECURSIVE t(n) AS (SELECT 'foo' UNION ALL SELECT n || ' bar' FROM t"
    " WHERE length(n) < 20) SELECT n, pg_typeof(n)::text FROM t",
    # Fibonacci in numeric: exact beyond a double
    "WITH RECURSIVE fib(i, a, b) AS (SELECT 1, 0::numeric, 1::numeric UNION ALL"
    " SELECT i + 1, b, a + b FROM fib WHERE i < 120) SELECT i, a FROM fib ORDER BY i",
    # tree walk over a distributed table in both terms
    "WITH RECURSIVE sub(id, name, depth) AS ("
    " SELECT id, name, 0 FROM rec_emp WHERE id = 2"
    " UNION ALL SELECT e.id, e.name, s.depth + 1 FROM rec_emp e JOIN sub s ON e.manager = s.id)"
    " SELECT * FROM sub ORDER BY id",
    "WITH RECURSIVE chain(id, manager, path) AS ("
    " SELECT id, manager, name FROM rec_emp WHERE name = 'intern'"
    " UNION ALL SELECT e.id, e.manager, c.path || ' < ' || e.name"
    " FROM chain c, rec_emp e WHERE e.id = c.manager)"
    " SELECT path FROM chain WHERE manager IS NULL",
    "WITH RECURSIVE sub AS (SELECT id, salary FROM rec_emp WHERE manager IS NULL"
    " UNION ALL SELECT e.id, e.salary FROM sub s JOIN rec_emp e ON e.manager = s.id)"
    " SELECT count(*), sum(salary) FROM sub",
    # with.sql's subdepartment-style walk with a WHERE on the outer query
    "WITH RECURSIVE t(id, path) AS (VALUES (1, ARRAY[]::integer[]) UNION ALL"
    " SELECT tree.id, t.path || tree.id FROM rec_tree tree JOIN t ON (tree.parent_id = t.id))"
    " SELECT t1.*, t2.* FROM t AS t1 JOIN t AS t2 ON"
    " (t1.path[1] = t2.path[1] AND array_upper(t1.path,1) = 1 AND array_upper(t2.path,1) > 1)"
    " ORDER BY t1.id, t2.id",
    # the outer query joins the recursive query with a distributed table
    "WITH RECURSIVE sub(id) AS (SELECT 2 UNION ALL"
    " SELECT e.id FROM rec_emp e JOIN sub ON e.manager = sub.id)"
    " SELECT e.name, e.salary FROM sub JOIN rec_emp e ON e.id = sub.id ORDER BY e.name",
    # graph paths with a cycle check array
    "WITH RECURSIVE p(node, path, cost, cycle) AS ("
    " SELECT 1, ARRAY[1], 0, false UNION ALL"
    " SELECT e.dst, p.path || e.dst, p.cost + e.w, e.dst = ANY(p.path)"
    " FROM rec_edge e JOIN p ON e.src = p.node WHERE NOT p.cycle)"
    " SELECT node, path::text, cost, cycle FROM p ORDER BY path::text",
    "WITH RECURSIVE reach(n) AS (SELECT 1 UNION SELECT e.dst FROM rec_edge e, reach r"
    " WHERE e.src = r.n) SELECT n FROM reach ORDER BY n",
    # a WITH query before the recursive one, read by both terms
    "WITH RECURSIVE lim AS (SELECT 4 AS m), t(n) AS (SELECT 1 UNION ALL"
    " SELECT n + 1 FROM t, lim WHERE n < lim.m) SELECT * FROM t",
    # the non-recursive term aggregates a distributed table (runs on the shards)
    "WITH RECURSIVE t(n, total) AS (SELECT 1, sum(salary) FROM rec_emp UNION ALL"
    " SELECT n + 1, total / 2 FROM t WHERE n < 3) SELECT n, round(total, 4) FROM t",
    # read from a subquery in WHERE and in FROM
    "WITH RECURSIVE sub(id) AS (SELECT 2 UNION ALL"
    " SELECT e.id FROM rec_emp e JOIN sub ON e.manager = sub.id)"
    " SELECT name FROM rec_emp WHERE id IN (SELECT id FROM sub) ORDER BY name",
    "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 10)"
    " SELECT count(*) FROM (SELECT n FROM t WHERE n % 2 = 0) s",
    # empty non-recursive term
    "WITH RECURSIVE t(n) AS (SELECT id FROM rec_emp WHERE id < 0 UNION ALL"
    " SELECT n + 1 FROM t) SELECT * FROM t",
    # WITH RECURSIVE: a query may read one defined after it (with.sql)
    "WITH RECURSIVE x(id) AS (SELECT * FROM y UNION ALL SELECT id+1 FROM x WHERE id < 5),"
    " y(id) AS (values (1)) SELECT * FROM x",
    "WITH RECURSIVE y(id) AS (VALUES (1)),"
    " x(id) AS (SELECT * FROM y UNION ALL SELECT id+1 FROM x WHERE id < 5) SELECT * FROM x",
    # a WITH RECURSIVE query that does not read itself is a plain one
    "WITH RECURSIVE x AS (SELECT id FROM rec_emp WHERE id < 3) SELECT * FROM x",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_recursive(rec, sql):
    exact(rec, sql)


LIMITED = [
    # PostgreSQL stops an endless recursion when the outer LIMIT is met (with.sql)
    "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM t) SELECT * FROM t LIMIT 10",
    "WITH RECURSIVE t(n) AS (SELECT 1 UNION SELECT n+1 FROM t) SELECT * FROM t LIMIT 10",
    "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM t)"
    " SELECT * FROM t WHERE n > 5 LIMIT 3",
]


@pytest.mark.parametrize("sql", LIMITED)
def test_limit_stops_recursion(rec, sql):
    exact(rec, sql, ordered=True)


def test_row_bound(rec):
    """PostgreSQL would recurse until memory runs out; murphy stops at its
    bound with 54000 and keeps serving."""
    out = run(rec.m, "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM t)"
                     " SELECT count(*) FROM t")
    assert out.error is not None and out.error.pgcode == "54000", out
    assert 'recursive query "t"' in str(out.error)
    assert run(rec.m, "SELECT 1").rows == [(1,)]


ERRORS = [
    # with.sql: forms PostgreSQL refuses
    ("WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM x WHERE n IN (SELECT * FROM x))"
     " SELECT * FROM x", "42P19"),
    ("WITH RECURSIVE x(n) AS (SELECT n FROM x UNION ALL SELECT 1) SELECT * FROM x", "42P19"),
    ("WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT x.n+1 FROM x, x AS y)"
     " SELECT * FROM x", "42P19"),
    ("WITH RECURSIVE x(n) AS (SELECT 1 INTERSECT SELECT n+1 FROM x) SELECT * FROM x", "42P19"),
    ("WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT count(*) FROM x) SELECT * FROM x",
     "42P19"),
    ("WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM x ORDER BY 1)"
     " SELECT * FROM x", "0A000"),
    ("WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM x LIMIT 10)"
     " SELECT * FROM x", "0A000"),
    ("WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT x.n+1 FROM rec_emp e LEFT JOIN x"
     " ON x.n = e.id) SELECT * FROM x", "42P19"),
    ("WITH RECURSIVE x (id) AS (SELECT 1 UNION ALL SELECT id+1 FROM y WHERE id < 5),"
     " y (id) AS (SELECT 1 UNION ALL SELECT id+1 FROM x WHERE id < 5) SELECT * FROM x", "0A000"),
    ("WITH RECURSIVE foo(i) AS (SELECT i FROM (VALUES(1),(2)) t(i) UNION ALL"
     " SELECT (i+1)::numeric(10,0) FROM foo WHERE i < 10) SELECT * FROM foo", "42804"),
]


@pytest.mark.parametrize("sql,state", ERRORS)
def test_errors_as_postgres(rec, sql, state):
    """PostgreSQL's SQLSTATE and message."""
    m = rec.both_error(sql, state)
    p = run(rec.p, sql).error
    assert m.diag.message_primary == p.diag.message_primary, (m, p)


def test_search_cycle_0A000(rec):
    """SEARCH and CYCLE are not done yet: 0A000 naming them (PostgreSQL
    answers)."""
    for clause, sql in (
        ("SEARCH", "WITH RECURSIVE t(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM t"
                   " WHERE id < 3) SEARCH DEPTH FIRST BY id SET ord SELECT * FROM t"),
        ("CYCLE", "WITH RECURSIVE t(id) AS (SELECT 1 UNION ALL SELECT id % 2 + 1 FROM t)"
                  " CYCLE id SET is_cycle USING path SELECT * FROM t"),
    ):
        assert run(rec.p, sql).error is None
        out = run(rec.m, sql)
        assert out.error is not None and out.error.pgcode == "0A000", out
        assert clause in str(out.error)


def test_statement_timeout_stops_recursion(rec):
    """The leader's SQLite runs the recursion on its loop thread, where
    statement_timeout's timer cannot fire: the statement checks the
    deadline itself (57014), and the session serves the next one."""
    cur = rec.m.cursor()
    cur.execute("SET statement_timeout = '100ms'")
    sql = ("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM t WHERE n < 4000)"
           " SELECT count(*) FROM t a, t b WHERE (a.n * b.n) % 7 = 1")
    try:
        out = run(rec.m, sql)
        assert out.error is not None and out.error.pgcode == "57014", out
        assert "statement timeout" in str(out.error)
    finally:
        cur.execute("SET statement_timeout = 0")
    assert run(rec.m, "SELECT 1").rows == [(1,)]


def test_explain(rec):
    """EXPLAIN shows the recursion on the leader and the non-recursive
    term as its own (distributed) subquery."""
    cols, rows = rec.murphy(
        "EXPLAIN WITH RECURSIVE sub(id) AS (SELECT id FROM rec_emp WHERE id = 2 UNION ALL"
        " SELECT e.id FROM rec_emp e JOIN sub ON e.manager = sub.id) SELECT * FROM sub")
    text = "\n".join(str(r[0]) for r in rows)
    assert "WITH RECURSIVE" in text, text


def test_recursive_term_filter_goes_to_the_shards(rec):
    """A condition of the recursive term on the gathered table alone is
    applied when the shards return its rows (fewer rows to the leader)."""
    sql = ("WITH RECURSIVE sub(id) AS (SELECT id FROM rec_emp WHERE id = 2 UNION ALL SELECT e.id FROM rec_emp e"
           " JOIN sub ON e.manager = sub.id WHERE e.salary > 100 AND e.name <> 'x')"
           " SELECT * FROM sub")
    exact(rec, sql)
    cols, rows = rec.murphy("EXPLAIN " + sql)
    text = "\n".join(str(r[0]) for r in rows)
    assert "100" in text.split("WITH RECURSIVE")[0], text
