"""Subqueries, WITH, derived tables and set operations (issue 19), each
checked against a real PostgreSQL on the same rows: uncorrelated scalar, IN
/ NOT IN (with NULLs on either side), EXISTS, ANY / ALL subqueries run once
before the statement; subqueries in FROM and WITH queries gathered to the
leader; UNION / INTERSECT / EXCEPT [ALL] with duplicates, ORDER BY and
LIMIT; empty subqueries; the errors PostgreSQL raises (21000 for a scalar
subquery of two rows), and 0A000 for what murphy still refuses."""
import pytest

ORDERS = [
    (1, 10, 5, "a"), (2, 10, 7, "b"), (3, 20, None, "a"), (4, 30, 2, None),
    (5, None, 9, "c"), (6, 20, 7, "b"), (7, 40, 1, "a"), (8, 10, 7, "b"),
    (9, 50, 3, "d"), (10, 20, 7, "a"),
]
CUSTOMERS = [(10, "ann", "x"), (20, "bob", "y"), (30, "cy", None), (60, "dee", "x"),
             (None, "nul", "y")]
NATIONS = [("x", "Xland"), ("y", "Yland"), ("z", "Zland")]


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for t in ("orders", "customers", "nations", "empty"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE orders (id int PRIMARY KEY, cust int, qty int, tag text)")
    db.exec_both("CREATE TABLE customers (cid int, name text, nation text)")
    db.exec_both("CREATE TABLE empty (id int PRIMARY KEY, v int)")
    db.exec_both("CREATE TABLE nations (code text PRIMARY KEY, nname text)")
    for row in ORDERS:
        db.exec_both("INSERT INTO orders VALUES (%s, %s, %s, %s)", row)
    for row in CUSTOMERS:
        db.exec_both("INSERT INTO customers VALUES (%s, %s, %s)", row)
    for row in NATIONS:
        db.exec_both("INSERT INTO nations VALUES (%s, %s)", row)
    return db


SCALAR = [
    "SELECT id, qty - (SELECT min(qty) FROM orders) AS d FROM orders",
    "SELECT (SELECT max(qty) FROM orders), (SELECT count(*) FROM customers)",
    "SELECT id FROM orders WHERE qty = (SELECT max(qty) FROM orders)",
    "SELECT id FROM orders WHERE qty > (SELECT avg(qty) FROM orders) ORDER BY id",
    "SELECT id FROM orders WHERE id = (SELECT max(id) FROM orders)",
    "SELECT id, (SELECT v FROM empty) FROM orders WHERE id < 3",
    "SELECT id FROM orders WHERE qty = (SELECT v FROM empty)",
    "SELECT tag, sum(qty) FROM orders GROUP BY tag HAVING sum(qty) > (SELECT min(qty) * 5 FROM orders)",
    "SELECT (SELECT name FROM customers WHERE cid = 20) AS n",
    "SELECT id FROM orders WHERE cust = (SELECT cid FROM customers WHERE name = 'bob') ORDER BY id",
    "SELECT (SELECT (SELECT max(qty) FROM orders) + count(*) FROM customers)",
]

IN_SET = [
    "SELECT id FROM orders WHERE cust IN (SELECT cid FROM customers)",
    "SELECT id FROM orders WHERE cust NOT IN (SELECT cid FROM customers)",
    "SELECT id FROM orders WHERE cust NOT IN (SELECT cid FROM customers WHERE cid IS NOT NULL)",
    "SELECT id, cust IN (SELECT cid FROM customers) AS i, cust NOT IN (SELECT cid FROM customers) AS n FROM orders",
    "SELECT id, cust IN (SELECT cid FROM customers WHERE cid IS NOT NULL) AS i FROM orders",
    "SELECT id FROM orders WHERE cust IN (SELECT v FROM empty)",
    "SELECT id FROM orders WHERE cust NOT IN (SELECT v FROM empty)",
    "SELECT id, NULL::int IN (SELECT v FROM empty) AS e, NULL::int NOT IN (SELECT cid FROM customers WHERE cid = 10) AS f FROM orders",
    "SELECT name FROM customers WHERE nation IN (SELECT code FROM nations WHERE nname <> 'Zland')",
    "SELECT id FROM orders WHERE tag IN (SELECT nation FROM customers)",
    "SELECT id FROM orders WHERE id IN (SELECT qty FROM orders)",
    "SELECT tag, count(*) FROM orders WHERE cust IN (SELECT cid FROM customers WHERE nation = 'x') GROUP BY tag",
    "SELECT id FROM orders WHERE qty > ANY (SELECT qty FROM orders WHERE tag = 'b')",
    "SELECT id FROM orders WHERE qty >= ALL (SELECT qty FROM orders WHERE qty IS NOT NULL)",
    "SELECT id, qty > ALL (SELECT qty FROM orders WHERE id < 4) AS a FROM orders",
    "SELECT id, qty < ANY (SELECT v FROM empty) AS a, qty < ALL (SELECT v FROM empty) AS b FROM orders",
    "SELECT id FROM orders WHERE cust = ANY (SELECT cid FROM customers)",
    "SELECT id FROM orders WHERE cust <> ALL (SELECT cid FROM customers WHERE cid < 25)",
    "SELECT id FROM orders WHERE qty IN (SELECT qty::numeric / 1 FROM orders WHERE tag = 'b')",
    "SELECT id FROM orders WHERE cust IN (SELECT cid FROM customers UNION SELECT 50)",
]

EXISTS = [
    "SELECT id FROM orders WHERE EXISTS (SELECT 1 FROM customers WHERE name = 'bob')",
    "SELECT id FROM orders WHERE NOT EXISTS (SELECT 1 FROM empty)",
    "SELECT id FROM orders WHERE EXISTS (SELECT 1 FROM empty)",
    "SELECT EXISTS (SELECT * FROM orders WHERE qty > 8), NOT EXISTS (SELECT * FROM orders)",
    "SELECT count(*) FROM orders WHERE EXISTS (SELECT 1 FROM nations) AND cust IN (SELECT cid FROM customers)",
]

DERIVED = [
    "SELECT * FROM (SELECT id, qty FROM orders WHERE qty > 5) AS d",
    "SELECT d.tag, d.n FROM (SELECT tag, count(*) AS n FROM orders GROUP BY tag) d WHERE d.n > 1",
    "SELECT max(n) FROM (SELECT tag, count(*) AS n FROM orders GROUP BY tag) AS d",
    "SELECT x, y FROM (SELECT id, qty FROM orders) AS d (x, y) WHERE y IS NULL",
    "SELECT * FROM (SELECT * FROM (SELECT cust, sum(qty) AS s FROM orders GROUP BY cust) a WHERE s > 5) b",
    "SELECT a.tag, b.name FROM (SELECT DISTINCT tag, cust FROM orders) a "
    "JOIN (SELECT cid, name FROM customers) b ON a.cust = b.cid",
    "SELECT count(*) FROM (SELECT v FROM empty) e",
    "WITH t AS (SELECT tag, sum(qty) AS s FROM orders GROUP BY tag) SELECT * FROM t WHERE s > 3",
    "WITH a AS (SELECT cust FROM orders WHERE qty > 2), b AS (SELECT cust, count(*) AS n FROM a GROUP BY cust) "
    "SELECT * FROM b",
    "WITH t AS (SELECT id FROM orders) SELECT count(*) FROM t x, t y WHERE x.id < y.id",
    "WITH t AS (SELECT max(qty) AS m FROM orders) SELECT id FROM orders WHERE qty = (SELECT m FROM t)",
    "WITH unused AS (SELECT 1/0) SELECT count(*) FROM orders",
    "SELECT * FROM (SELECT tag, qty FROM orders ORDER BY qty DESC NULLS LAST, id LIMIT 3) d",
]

# plain per-shard subqueries in FROM and WITH queries: merged into the query
MERGED = [
    "SELECT count(*), sum(qty) FROM (SELECT * FROM orders WHERE qty > 2) d",
    "SELECT d.x FROM (SELECT id AS x FROM orders) d WHERE x > 3",
    "SELECT a, b FROM (SELECT id, qty FROM orders) d (a, b) WHERE b > 5",
    "SELECT t, count(*) FROM (SELECT tag AS t FROM orders WHERE qty IS NOT NULL) d GROUP BY t",
    "SELECT * FROM (SELECT * FROM (SELECT id, qty FROM orders) a WHERE qty > 1) b WHERE id < 8",
    "SELECT o.id, d.name FROM orders o JOIN (SELECT cid, name FROM customers WHERE nation = 'x') d "
    "ON o.cust = d.cid",
    "SELECT o.id, d.name FROM orders o LEFT JOIN (SELECT cid, name FROM customers WHERE nation = 'x') d "
    "ON o.cust = d.cid",
    "SELECT o.id, n.nname FROM orders o, (SELECT code, nname FROM nations WHERE code <> 'z') n "
    "WHERE o.tag = n.code",
    "SELECT * FROM orders o, (SELECT code AS tag2 FROM nations) n WHERE o.tag < n.tag2",
    "WITH x AS (SELECT id, qty FROM orders WHERE tag = 'a') SELECT sum(qty), count(*) FROM x",
    "WITH x AS (SELECT id, cust FROM orders) SELECT a.id, b.id FROM x a JOIN x b "
    "ON a.cust = b.cust AND a.id < b.id",
    "WITH x AS (SELECT id, qty FROM orders WHERE qty > 2) SELECT id FROM x WHERE id IN "
    "(SELECT id FROM x WHERE qty < 8) ORDER BY id",
    "SELECT tag, count(*) FROM (SELECT tag, qty + 1 AS q1 FROM orders) d WHERE q1 > 3 "
    "GROUP BY tag HAVING count(*) > 1",
]

# correlated EXISTS / NOT EXISTS by one equality: a semi-join by the keys
CORRELATED_BY_KEY = [  # more than the key set takes: by orders' key (analyze_outerkey.c)
    "SELECT id FROM orders o WHERE EXISTS (SELECT 1 FROM customers c WHERE c.cid > o.cust)",
    "SELECT id FROM orders o WHERE EXISTS (SELECT 1 FROM orders c WHERE c.cust = o.cust "
    "AND c.tag = o.tag AND c.qty = o.qty)",
    "SELECT id FROM orders o WHERE qty IN (SELECT qty FROM orders i WHERE i.tag = o.tag "
    "AND i.cust = o.cust)",
    "SELECT id FROM orders o WHERE qty IN (SELECT qty FROM orders i WHERE i.tag = o.tag "
    "AND i.id <> o.id)",
    "SELECT id, (SELECT max(cid) FROM customers WHERE cid < cust) FROM orders",
]

CORRELATED = [
    "SELECT id FROM orders o WHERE EXISTS (SELECT 1 FROM customers c WHERE c.cid = o.cust)",
    "SELECT id FROM orders o WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.cid = o.cust)",
    "SELECT id FROM orders o WHERE EXISTS (SELECT * FROM customers WHERE nation = 'x' AND cid = o.cust)",
    "SELECT id, EXISTS (SELECT 1 FROM customers c WHERE o.cust = c.cid AND c.name <> 'bob') AS e, "
    "NOT EXISTS (SELECT 1 FROM customers c WHERE o.cust = c.cid) AS n FROM orders o",
    "SELECT name FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.cust = c.cid)",
    "SELECT c.name FROM customers c WHERE EXISTS (SELECT 1 FROM orders WHERE cust = c.cid AND qty > 6)",
    "SELECT tag, count(*) FROM orders o WHERE EXISTS (SELECT 1 FROM nations n WHERE n.code = o.tag) "
    "GROUP BY tag",
    "SELECT id FROM orders WHERE EXISTS (SELECT 1 FROM orders o2 WHERE o2.qty = orders.id)",
    "SELECT id FROM orders o WHERE EXISTS (SELECT 1 FROM empty e WHERE e.v = o.qty) OR id < 3",
    # two equalities: pairs of keys
    "SELECT id FROM orders o WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.cid = o.cust "
    "AND c.nation = o.tag)",
    "SELECT id FROM orders o WHERE EXISTS (SELECT 1 FROM orders i WHERE i.tag = o.tag "
    "AND i.qty = o.qty AND i.id > 4)",
    # correlated IN / NOT IN / = ANY / <> ALL, NULLs among the values and the keys
    "SELECT id, qty IN (SELECT qty FROM orders i WHERE i.tag = o.tag) AS i, "
    "qty NOT IN (SELECT qty FROM orders i WHERE i.tag = o.tag) AS n FROM orders o",
    "SELECT id, qty IN (SELECT qty FROM orders i WHERE i.tag = o.tag AND i.id < 5) AS i "
    "FROM orders o",
    "SELECT id FROM orders o WHERE qty NOT IN (SELECT qty FROM orders i WHERE i.tag = o.tag "
    "AND i.id < 5)",
    "SELECT id FROM orders o WHERE qty = ANY (SELECT qty FROM orders i WHERE i.tag = o.tag "
    "AND i.id <> 2)",
    "SELECT id FROM orders o WHERE qty <> ALL (SELECT qty FROM orders i WHERE o.tag = i.tag "
    "AND i.qty > 4)",
    "SELECT name FROM customers c WHERE nation IN (SELECT tag FROM orders o WHERE o.cust = c.cid)",
    "SELECT name, 'a' NOT IN (SELECT tag FROM orders o WHERE o.cust = c.cid) AS n FROM customers c",
    # correlated scalar subqueries: (value, key) pairs, grouped when it aggregates
    "SELECT id, (SELECT name FROM customers WHERE cid = cust) FROM orders",
    "SELECT id, (SELECT count(*) FROM orders i WHERE i.tag = o.tag) AS n FROM orders o",
    "SELECT id, (SELECT max(qty) FROM orders i WHERE i.cust = o.cust AND i.id <> 1) FROM orders o",
    "SELECT id FROM orders o WHERE qty > (SELECT avg(qty) FROM orders i WHERE i.tag = o.tag) ORDER BY id",
    "SELECT id, (SELECT coalesce(sum(qty), -1) FROM orders i WHERE i.cust = o.cust AND i.qty > 100) "
    "FROM orders o",
    "SELECT c.name, (SELECT count(*) FROM orders o WHERE o.cust = c.cid) + 1 AS n FROM customers c",
    "SELECT tag, sum(qty) FROM orders o WHERE qty >= (SELECT min(qty) * 2 FROM orders i "
    "WHERE i.cust = o.cust) GROUP BY tag",
]

SETOPS = [
    "SELECT cust FROM orders UNION SELECT cid FROM customers",
    "SELECT cust FROM orders UNION ALL SELECT cid FROM customers",
    "SELECT cust FROM orders INTERSECT SELECT cid FROM customers",
    "SELECT cust FROM orders INTERSECT ALL SELECT cid FROM customers",
    "SELECT cust FROM orders EXCEPT SELECT cid FROM customers",
    "SELECT cust FROM orders EXCEPT ALL SELECT cid FROM customers",
    "SELECT qty FROM orders INTERSECT ALL SELECT qty FROM orders WHERE tag = 'b'",
    "SELECT qty FROM orders EXCEPT ALL SELECT qty FROM orders WHERE tag = 'b'",
    "SELECT tag, qty FROM orders UNION SELECT nation, cid FROM customers ORDER BY 1, 2",
    "SELECT tag AS t FROM orders UNION SELECT nation FROM customers ORDER BY t DESC LIMIT 3",
    "SELECT qty FROM orders UNION ALL SELECT cid FROM customers ORDER BY qty NULLS FIRST LIMIT 4 OFFSET 2",
    "SELECT cust FROM orders UNION SELECT cid FROM customers EXCEPT SELECT 10",
    "SELECT cust FROM orders EXCEPT (SELECT cid FROM customers UNION SELECT 50)",
    "SELECT cust FROM orders UNION SELECT cid FROM customers INTERSECT SELECT 20",
    "SELECT qty FROM orders UNION SELECT 2.5 ORDER BY 1",
    "SELECT id FROM orders UNION SELECT v FROM empty ORDER BY 1",
    "SELECT v FROM empty EXCEPT SELECT id FROM orders",
    "SELECT 'a' UNION SELECT 'b' ORDER BY 1",
    "SELECT * FROM (SELECT cust FROM orders UNION SELECT cid FROM customers) u WHERE cust > 15",
    "WITH u AS (SELECT tag FROM orders UNION ALL SELECT nation FROM customers) "
    "SELECT tag, count(*) FROM u GROUP BY tag",
]


@pytest.mark.parametrize("sql", SCALAR)
def test_scalar_subquery(db, sql):
    db.both(sql)


@pytest.mark.parametrize("sql", IN_SET)
def test_in_any_all(db, sql):
    db.both(sql)


@pytest.mark.parametrize("sql", EXISTS)
def test_exists(db, sql):
    db.both(sql)


@pytest.mark.parametrize("sql", DERIVED)
def test_derived_and_with(db, sql):
    db.both(sql)


@pytest.mark.parametrize("sql", MERGED)
def test_merged_subquery_in_from(db, sql):
    db.both(sql)


def test_plain_subquery_in_from_runs_on_the_shards(db):
    """A plain per-shard subquery in FROM is merged: the shards aggregate,
    nothing is gathered into a leader table."""
    _, rows = db.murphy("EXPLAIN SELECT count(*) FROM (SELECT * FROM orders WHERE qty > 2) d")
    text = "\n".join(r[0] for r in rows)
    assert "Distributed Query" in text and "Subquery" not in text, text
    assert "count" in text and "WHERE" in text, text
    _, rows = db.murphy("EXPLAIN SELECT o.id, d.name FROM orders o JOIN "
                        "(SELECT cid, name FROM customers) d ON o.cust = d.cid")
    text = "\n".join(r[0] for r in rows)
    assert "shuffled join" in text or "repartition" in text or "broadcast" in text, text
    # an aggregate subquery's rows are gathered, the outer query runs on the leader
    _, rows = db.murphy("EXPLAIN SELECT max(n) FROM (SELECT tag, count(*) AS n FROM orders "
                        "GROUP BY tag) d")
    text = "\n".join(r[0] for r in rows)
    assert "gathered into leader table" in text and "Leader Query" in text, text


@pytest.mark.parametrize("sql", CORRELATED)
def test_correlated_exists_as_semijoin(db, sql):
    db.both(sql)


@pytest.mark.parametrize("sql", CORRELATED_BY_KEY)
def test_correlated_by_the_outer_key(db, sql):
    db.both(sql)


def test_explain_shows_the_semijoin(db):
    _, rows = db.murphy("EXPLAIN SELECT id FROM orders o WHERE NOT EXISTS "
                        "(SELECT 1 FROM customers c WHERE c.cid = o.cust)")
    text = "\n".join(r[0] for r in rows)
    assert "correlated subquery as a semi-join" in text, text
    assert "NOT coalesce(mur_subq_in(" in text, text


@pytest.mark.parametrize("sql", SETOPS)
def test_set_operation(db, sql):
    db.both(sql)


def test_parameters_reach_subqueries(db):
    db.both("SELECT id FROM orders WHERE qty > (SELECT min(qty) FROM orders WHERE tag = %s) "
            "AND tag <> %s ORDER BY id", ("b", "c"))
    db.both("SELECT cust FROM orders WHERE qty > %s UNION SELECT cid FROM customers "
            "WHERE name <> %s ORDER BY 1", (3, "bob"))


@pytest.mark.parametrize("sql, sqlstate", [
    ("SELECT (SELECT qty FROM orders)", "21000"),
    ("SELECT id FROM orders WHERE qty = (SELECT qty FROM orders WHERE tag = 'b')", "21000"),
    ("SELECT (SELECT id, qty FROM orders WHERE id = 1)", "42601"),
    ("SELECT id FROM orders WHERE id IN (SELECT id, qty FROM orders)", "42601"),
    ("SELECT cust FROM orders UNION SELECT cid, name FROM customers", "42601"),
    ("SELECT tag FROM orders UNION SELECT cid FROM customers", "42804"),
    ("SELECT cust FROM orders UNION SELECT cid FROM customers ORDER BY cust + 1", "0A000"),
    ("WITH t AS (SELECT 1), t AS (SELECT 2) SELECT * FROM t", "42712"),
    ("SELECT id FROM orders, (SELECT id FROM orders) d", "42702"),
    ("SELECT 1 FROM orders d, (SELECT id FROM orders) d", "42712"),
    ("SELECT id, (SELECT qty FROM orders i WHERE i.tag = o.tag) FROM orders o", "21000"),
    # correlated by a non-equality: decorrelated by orders' key (analyze_outerkey.c)
    ("SELECT id, (SELECT name FROM customers WHERE cid > cust) FROM orders", "21000"),
    ("SELECT 1 FROM (SELECT id FROM orders) d, customers d", "42712"),
    ("SELECT d.nope FROM (SELECT id FROM orders) d", "42703"),
    ("SELECT * FROM (SELECT id FROM orders) d (a, b)", "42P10"),
])
def test_errors_like_postgres(db, sql, sqlstate):
    db.both_error(sql, sqlstate)


@pytest.mark.parametrize("sql, words", [
    ("SELECT id FROM orders o WHERE EXISTS (SELECT count(*) FROM customers c WHERE c.cid = o.cust)",
     "correlated subqueries"),
    ("SELECT id, (SELECT max(cid) FROM customers WHERE cid = cust GROUP BY name) FROM orders",
     "correlated subqueries"),
    ("WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3)"
     " SEARCH DEPTH FIRST BY n SET ord SELECT * FROM r", "SEARCH clause"),
    ("SELECT o.id FROM (SELECT cust, count(*) FROM orders GROUP BY cust) d LEFT JOIN orders o "
     "ON o.cust = d.cust", "outer join keeping the unmatched rows of a subquery in FROM"),
    ("SELECT * FROM orders o LEFT JOIN LATERAL (SELECT o.qty * 2 AS w) x ON x.w > 3", "LATERAL"),
    ("SELECT ARRAY(SELECT id FROM orders)", "ARRAY"),
    ("UPDATE orders SET qty = (SELECT max(cid) FROM customers)",
     "subqueries in this statement"),
])
def test_unsupported_is_0a000(db, sql, words):
    err = None
    try:
        db.murphy(sql)
    except Exception as e:  # psycopg2.Error
        err = e
    assert err is not None and err.pgcode == "0A000", "%s: %r" % (sql, err)
    assert words in str(err), str(err)
    assert err.diag.statement_position is not None or words != "correlated subqueries", str(err)


def test_explain_shows_subqueries(db):
    _, rows = db.murphy("EXPLAIN SELECT id FROM orders WHERE cust IN (SELECT cid FROM customers) "
                        "AND qty > (SELECT min(qty) FROM orders)")
    text = "\n".join(r[0] for r in rows)
    assert "Subquery 1 (IN / ANY / ALL set, run once first" in text, text
    assert "Subquery 2 (scalar, run once first" in text, text
    assert "mur_subq_in" in text, text
    _, rows = db.murphy("EXPLAIN SELECT cust FROM orders UNION ALL SELECT cid FROM customers")
    text = "\n".join(r[0] for r in rows)
    assert "set operation: UNION ALL of 2 branches" in text, text
    assert text.count("Distributed Query") == 2, text


def test_scalar_subquery_prunes_to_one_shard(db):
    _, rows = db.murphy("EXPLAIN SELECT tag FROM orders WHERE id = (SELECT max(cust) / 10 FROM orders)")
    text = "\n".join(r[0] for r in rows)
    assert "strategy: router" in text, text
    db.both("SELECT tag FROM orders WHERE id = (SELECT max(cust) / 10 FROM orders)")


def test_big_in_set(db):
    """A set of a few thousand values: hashed once per statement on each follower."""
    db.exec_both("DROP TABLE IF EXISTS many")
    db.exec_both("CREATE TABLE many (k int PRIMARY KEY, g int)")
    rows = ",".join("(%d, %d)" % (i, i % 7) for i in range(1, 3001))
    db.exec_both("INSERT INTO many VALUES " + rows)
    db.both("SELECT count(*) FROM many WHERE k IN (SELECT k * 2 FROM many WHERE g <> 3)")
    db.both("SELECT count(*) FROM many WHERE k NOT IN (SELECT k + 1 FROM many WHERE g = 3)")


@pytest.fixture(scope="module")
def wire_sessions(cluster, pg, pgconn):
    from wire import logged_in, raw, read_messages, startup
    m = logged_in(cluster.port)
    p = raw(pg.port)
    p.sendall(startup(b"postgres", pgconn.info.dbname.encode()))
    read_messages(p)
    yield m, p
    m.close()
    p.close()


def test_prepared_statement_with_subqueries(wire_sessions):
    """Extended protocol: the statement's own parameters are all the client
    sees (ParameterDescription); the subqueries run again at each execute."""
    from test_protocol import SYNC, bind, describe, execute, normalize, parse
    from wire import read_messages

    def both(payload):
        answers = []
        for s in wire_sessions:
            s.sendall(payload)
            answers.append(normalize(read_messages(s)))
        assert answers[0] == answers[1], "murphy:   %r\npostgres: %r" % tuple(answers)
        return answers[0]

    got = both(parse("sq", "SELECT id FROM orders WHERE qty > (SELECT min(qty) FROM orders "
                     "WHERE tag = $1) AND cust IN (SELECT cid FROM customers WHERE cid <> $2) "
                     "ORDER BY id") + describe(b"S", "sq") + SYNC)
    assert [k for k, _ in got] == [b"1", b"t", b"T", b"Z"], got
    for tag, cid in (("a", "10"), ("b", "20"), ("zz", "30")):
        both(bind("", "sq", [tag, cid]) + execute("") + SYNC)


@pytest.mark.parametrize("sql", [
    "SELECT id FROM orders WHERE cust IN (SELECT cid FROM customers) AND qty > (SELECT min(qty) FROM orders)",
    "SELECT cust FROM orders UNION SELECT cid FROM customers",
    "SELECT max(n) FROM (SELECT tag, count(*) AS n FROM orders GROUP BY tag) d",
    "SELECT id FROM orders o WHERE EXISTS (SELECT 1 FROM customers c WHERE c.cid = o.cust)",
])
def test_explain_analyze_runs_the_subqueries(db, sql):
    _, rows = db.murphy("EXPLAIN ANALYZE " + sql)
    text = "\n".join(r[0] for r in rows)
    assert "Subquery 1" in text, text


def test_subqueries_in_a_transaction_block(cluster, db):
    """Inside a block the subqueries see the block's own writes."""
    m = cluster.connect(autocommit=False)
    try:
        with m.cursor() as cur:
            cur.execute("INSERT INTO empty VALUES (1, 7), (2, NULL)")
            cur.execute("SELECT id FROM orders WHERE qty IN (SELECT v FROM empty) ORDER BY id")
            assert [r[0] for r in cur.fetchall()] == [2, 6, 8, 10]
            cur.execute("SELECT count(*) FROM orders WHERE qty NOT IN (SELECT v FROM empty)")
            assert cur.fetchone()[0] == 0  # the NULL in the set: never true
            cur.execute("SELECT v FROM empty UNION ALL SELECT qty FROM orders WHERE id = 1 "
                        "ORDER BY 1")
            assert cur.fetchall() == [(5,), (7,), (None,)]
        m.rollback()
        with m.cursor() as cur:
            cur.execute("SELECT EXISTS (SELECT 1 FROM empty)")
            assert cur.fetchone()[0] is False
        m.rollback()
    finally:
        m.close()
