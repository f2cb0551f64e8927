"""Issue 19's last refusals of subqueries in FROM, views, WITH and LATERAL
(docs/issue19-audit.md), each compared with a real PostgreSQL on the same
rows: tables distributed and co-located (a, b by id), distributed but not
co-located (n: 3 shards), a reference table (r), an empty one (e); NULLs
in the grouped and joined columns, duplicates, groups matching nothing.

- A subquery in FROM, a WITH query or a view that is not a plain
  per-shard query (grouped by a column other than the key, DISTINCT,
  LIMIT, a window, an aggregate over everything, VALUES, a set operation)
  joined with distributed tables: the leader computes it first and its
  rows travel to every shard task (parser/analyze_ship.c), where the
  shard SQL joins them like a reference table (on the owners of a
  shuffled join when the tables are not co-located); the distributed
  tables are never gathered (EXPLAIN shows it).
- WITH before INSERT ... SELECT, UPDATE ... FROM and DELETE ... USING,
  and before UPDATE / DELETE whose WHERE reads it through a subquery
  (subqueries in their WHERE were 0A000 too).
- LATERAL (SELECT t.v * 2 AS w) without FROM, by a comma, JOIN ... ON or
  LEFT JOIN ... ON true.

murphy-s19 (main at the session's start) refused every query of QUERIES,
WRITES and LATERAL_NO_FROM with 0A000.  What is still refused answers
0A000 naming it (test_still_refused_0a000).
"""
import pytest

REF = " WITH (distribution = 'reference')"
A = [(1, 1, 10), (2, 1, 20), (3, 2, None), (4, None, 5), (5, 3, 7), (6, 2, 7), (7, 1, 1),
     (8, 4, 30), (9, None, None), (10, 2, 4)]
B = [(1, 1, 100), (2, 2, 200), (3, 2, None), (4, 5, 40), (5, None, 50), (6, 1, 60),
     (11, 3, 70), (12, 1, 80)]
N = [(1, 1, 'one'), (2, 2, 'two'), (3, None, 'none'), (4, 9, 'nine'), (5, 1, 'uno')]
R = [(1, 'r1'), (2, 'r2'), (3, None), (7, 'r7')]


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for t in ("lv_a", "lv_b", "lv_n", "lv_r", "lv_e", "lv_w"):
        db.exec_both("DROP VIEW IF EXISTS lv_gv")
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE lv_a (id int PRIMARY KEY, g int, v int)")
    db.exec_both("CREATE TABLE lv_b (id int PRIMARY KEY, g int, w int)")
    db.exec_both("CREATE TABLE lv_e (id int PRIMARY KEY, g int, v int)")
    db.exec_both("CREATE TABLE lv_w (id int PRIMARY KEY, g int, v int)")
    db.murphy("CREATE TABLE lv_n (k int PRIMARY KEY, g int, t text) WITH (shards = 3)")
    db.p.cursor().execute("CREATE TABLE lv_n (k int PRIMARY KEY, g int, t text)")
    db.murphy("CREATE TABLE lv_r (k int PRIMARY KEY, name text)" + REF)
    db.p.cursor().execute("CREATE TABLE lv_r (k int PRIMARY KEY, name text)")
    for row in A:
        db.exec_both("INSERT INTO lv_a VALUES (%s, %s, %s)", row)
    for row in B:
        db.exec_both("INSERT INTO lv_b VALUES (%s, %s, %s)", row)
    for row in N:
        db.exec_both("INSERT INTO lv_n VALUES (%s, %s, %s)", row)
    for row in R:
        db.exec_both("INSERT INTO lv_r VALUES (%s, %s)", row)
    db.exec_both("CREATE VIEW lv_gv AS SELECT g, count(*) AS c, sum(v) AS s FROM lv_a GROUP BY g")
    return db


GROUPED = "(SELECT g, count(*) AS c, sum(v) AS s FROM lv_a GROUP BY g)"

QUERIES = [
    # grouped by a column other than the key, joined to a distributed table
    "SELECT b.id, b.w, d.c, d.s FROM %s d JOIN lv_b b ON b.g = d.g" % GROUPED,
    "SELECT b.id, d.c FROM lv_b b JOIN %s d ON b.g = d.g WHERE b.w > 50" % GROUPED,
    "SELECT d.g, count(*), sum(b.w) FROM %s d JOIN lv_b b ON b.g = d.g GROUP BY d.g" % GROUPED,
    "SELECT b.id, d.c FROM lv_b b, %s d WHERE b.g = d.g AND b.id = 2" % GROUPED,  # one shard
    "SELECT b.id, d.c FROM lv_b b LEFT JOIN %s d ON b.g = d.g" % GROUPED,
    "SELECT b.id, d.c FROM %s d RIGHT JOIN lv_b b ON b.g = d.g + 1" % GROUPED,
    "SELECT b.id, d.g FROM %s d JOIN lv_b b ON b.g = d.g ORDER BY b.id DESC LIMIT 3" % GROUPED,
    "SELECT DISTINCT d.c FROM %s d JOIN lv_b b ON b.g = d.g" % GROUPED,
    # a view of the same
    "SELECT b.id, v.c, v.s FROM lv_gv v JOIN lv_b b ON b.g = v.g",
    "SELECT v.g, max(b.w) FROM lv_b b JOIN lv_gv v ON v.g = b.g GROUP BY v.g HAVING count(*) > 1",
    # with a co-located join and a reference table beside it
    "SELECT a.id, b.w, d.c FROM lv_a a JOIN lv_b b ON a.id = b.id JOIN %s d ON d.g = a.g"
    % GROUPED,
    "SELECT r.name, d.c FROM %s d JOIN lv_r r ON r.k = d.g" % GROUPED,
    "SELECT b.id, r.name, d.c FROM lv_b b JOIN lv_r r ON r.k = b.g JOIN %s d ON d.g = r.k"
    % GROUPED,
    # DISTINCT, LIMIT, a window, an aggregate over everything, UNION, VALUES
    "WITH d AS (SELECT DISTINCT g FROM lv_a) SELECT b.id, d.g FROM lv_b b JOIN d ON d.g = b.g",
    "WITH d AS (SELECT id, v FROM lv_a ORDER BY v DESC NULLS LAST, id LIMIT 3) "
    "SELECT b.id, d.v FROM lv_b b JOIN d ON d.id = b.id",
    "SELECT b.id, x.rn FROM lv_b b JOIN (SELECT id, row_number() OVER (ORDER BY v, id) AS rn "
    "FROM lv_a) x ON x.id = b.id",
    "SELECT b.id, m.top FROM lv_b b, (SELECT max(v) AS top FROM lv_a) m WHERE b.w > m.top",
    "SELECT b.id, m.top, m.n FROM lv_b b JOIN (SELECT max(v) AS top, count(*) AS n FROM lv_e) m "
    "ON true",
    "SELECT b.id, x.g FROM (SELECT g FROM lv_a UNION SELECT g FROM lv_n) x JOIN lv_b b "
    "ON b.g = x.g",
    "SELECT a.id, x.tag FROM (VALUES (1, 'x'), (3, 'y'), (NULL, 'z'), (99, 'w')) x(k, tag) "
    "JOIN lv_a a ON a.id = x.k",
    "SELECT a.id, x.tag FROM lv_a a LEFT JOIN (VALUES (1, 'x'), (2, 'y')) x(k, tag) ON a.id = x.k",
    # the rows of a WITH query read twice; a subquery of many types
    "WITH d AS %s SELECT b.id, d1.c, d2.s FROM d d1 JOIN lv_b b ON b.g = d1.g "
    "JOIN d d2 ON d2.g = d1.g" % GROUPED,
    "SELECT b.id, x.* FROM (SELECT DISTINCT v::numeric / 4 AS q, 'k' || g AS t, NULL::int AS z, "
    "v > 5 AS big FROM lv_a) x JOIN lv_b b ON b.w = x.q * 40",
    # nothing on one side
    "SELECT b.id, d.c FROM (SELECT g, count(*) AS c FROM lv_e GROUP BY g) d JOIN lv_b b "
    "ON b.g = d.g",
    "SELECT e.id, d.c FROM %s d JOIN lv_e e ON e.g = d.g" % GROUPED,
    # beside tables that are not co-located: the owners of the shuffled
    # join read the shipped rows (repartitioned by a key, or broadcast)
    "SELECT d.g, b.id, n.t FROM %s d JOIN lv_b b ON b.g = d.g JOIN lv_n n ON n.k = b.id"
    % GROUPED,
    "SELECT d.g, count(*) FROM %s d JOIN lv_b b ON b.g = d.g JOIN lv_n n ON n.g = b.g "
    "GROUP BY d.g" % GROUPED,
    "SELECT b.id, n.t, d.c FROM lv_b b JOIN lv_n n ON n.k = b.id LEFT JOIN %s d ON d.g = n.g"
    % GROUPED,
    "SELECT b.id, n.k, v.x FROM lv_b b, lv_n n, (VALUES (1), (2)) v(x) "
    "WHERE b.g = v.x AND n.t > 'o'",
    # the shard SQL probes the shipped rows by one column: keys of other
    # types and NULLs (text, bigint against int, numeric, float, bool)
    "SELECT n.k, d.t FROM (SELECT DISTINCT t FROM lv_n) d JOIN lv_n n ON n.t = d.t",
    "SELECT b.id, d.c FROM (SELECT g::bigint AS gb, count(*) AS c FROM lv_a GROUP BY 1) d "
    "JOIN lv_b b ON b.g = d.gb",
    "SELECT b.id, d.q FROM (SELECT DISTINCT v::numeric * 10 AS q FROM lv_a) d JOIN lv_b b "
    "ON b.w = d.q",
    "SELECT b.id, d.f FROM (SELECT DISTINCT v * 10.0::float8 AS f FROM lv_a) d JOIN lv_b b "
    "ON b.w = d.f",
    "SELECT b.id, d.big FROM (SELECT DISTINCT v > 6 AS big FROM lv_a) d JOIN lv_b b "
    "ON (b.w > 60) = d.big",
    "SELECT a.id, d.g FROM (SELECT g, max(v) AS m FROM lv_a GROUP BY g) d JOIN lv_a a "
    "ON a.g = d.g AND a.v = d.m",
    # in a subquery of the statement
    "SELECT id FROM lv_b WHERE g IN (SELECT d.g FROM %s d JOIN lv_a a ON a.id = d.c)" % GROUPED,
]


@pytest.mark.parametrize("sql", QUERIES)
def test_derived_relation_joined_with_tables(db, sql):
    db.both(sql, ordered=False)  # an ORDER BY inside decides which rows, not their order


def test_explain_ships_the_rows_not_the_table(db):
    _, rows = db.murphy("EXPLAIN SELECT b.id, d.c FROM %s d JOIN lv_b b ON b.g = d.g" % GROUPED)
    text = "\n".join(r[0] for r in rows)
    assert "shipped to every shard task" in text, text
    assert "mur_subq_rows(?1, 3)" in text, text
    # the join runs in the shard query of lv_b, not on the leader
    shard = [ln for ln in text.splitlines() if "Shard query" in ln and '"lv_b"' in ln]
    assert shard and "JOIN" in shard[0], text
    assert "gathered into leader table" not in text, text


def test_shipped_rows_past_the_limit_are_54000(db):
    """Rows shipped to every shard task are one parameter of at most
    16 MB (PLAN_SUB_SET_BYTES_MAX): past it the statement is 54000 with a
    hint, not a crash or a silent gather."""
    sql = ("SELECT count(*) FROM (SELECT DISTINCT repeat(md5(i::text), 8) || i AS k "
           "FROM generate_series(1, 70000) i) x JOIN lv_b b ON b.id::text = x.k")
    with pytest.raises(Exception) as e:
        db.murphy(sql)
    assert e.value.pgcode == "54000", e.value
    db.both("SELECT count(*) FROM lv_b")


WRITES = [
    "WITH d AS %s INSERT INTO lv_w SELECT 100 + g, g, c FROM d WHERE g IS NOT NULL" % GROUPED,
    "WITH d AS (SELECT id, w FROM lv_b WHERE w > 60) INSERT INTO lv_w SELECT id, NULL, w FROM d "
    "RETURNING id, v",
    "WITH d AS (SELECT a.id, a.v FROM lv_a a JOIN lv_b b ON a.id = b.id) "
    "INSERT INTO lv_w SELECT id + 200, 0, v FROM d",
    "WITH d AS %s UPDATE lv_w SET v = d.s FROM d WHERE lv_w.g = d.g" % GROUPED,
    "WITH d AS (SELECT g, max(w) AS m FROM lv_b GROUP BY g) "
    "UPDATE lv_w SET v = lv_w.v + d.m FROM d WHERE lv_w.id - 100 = d.g RETURNING lv_w.id, d.m",
    "WITH d AS (SELECT DISTINCT g FROM lv_a WHERE g > 2), x AS (SELECT g FROM d) "
    "DELETE FROM lv_w USING x WHERE lv_w.g = x.g RETURNING lv_w.*",
    "WITH d AS (SELECT id FROM lv_b WHERE id > 10) DELETE FROM lv_w USING d WHERE lv_w.id = d.id",
    # no FROM / USING: the WITH query read by a subquery in WHERE, and
    # subqueries in WHERE without WITH (the source finds the keys)
    "INSERT INTO lv_w SELECT id + 300, g, v FROM lv_a",
    "WITH d AS (SELECT g FROM lv_b WHERE w >= 100) "
    "UPDATE lv_w SET v = coalesce(v, 0) + 1 WHERE g IN (SELECT g FROM d) RETURNING id, v",
    "UPDATE lv_w SET v = -v WHERE EXISTS (SELECT 1 FROM lv_b b WHERE b.id + 300 = lv_w.id)",
    "UPDATE lv_w SET g = 0 WHERE g NOT IN (SELECT g FROM lv_b) AND id > 300",
    "DELETE FROM lv_w WHERE v > (SELECT avg(v) FROM lv_a) RETURNING id",
    "WITH d AS (SELECT id + 300 AS k FROM lv_a WHERE g IS NULL) "
    "DELETE FROM lv_w WHERE id IN (SELECT k FROM d)",
]


def test_with_before_insert_update_delete(db):
    db.exec_both("DELETE FROM lv_w")
    for sql in WRITES:
        db.both(sql)
        db.both("SELECT * FROM lv_w")


def test_dml_with_subquery_checks_its_plain_conditions_again(db):
    """The row found by the source is changed by its key; the shard
    statement tests WHERE's conjuncts without a subquery again on the row
    as it is then (READ COMMITTED's recheck, as UPDATE ... FROM's)."""
    _, rows = db.murphy("EXPLAIN UPDATE lv_w SET v = 1 WHERE g = 1 AND id IN "
                        "(SELECT id FROM lv_b) AND v > 5")
    text = "\n".join(r[0] for r in rows)
    stmt = [ln for ln in text.splitlines() if "Shard statement" in ln]
    assert stmt and '"v" > 5' in stmt[0] and '"g" = 1' in stmt[0], text
    assert "mur_subq" not in stmt[0], text


LATERAL_NO_FROM = [
    "SELECT a.id, s.w FROM lv_a a, LATERAL (SELECT a.v * 2 AS w) s",
    "SELECT * FROM lv_a a, LATERAL (SELECT a.v * 2 AS w, a.g + 1 AS h) s WHERE s.w > 12",
    "SELECT s.h, count(*), sum(s.w) FROM lv_a a, LATERAL (SELECT a.v * 2 AS w, a.g AS h) s "
    "GROUP BY s.h",
    "SELECT * FROM lv_a a, LATERAL (SELECT a.v + 1 AS w WHERE a.v > 6) s",
    "SELECT * FROM lv_a a, LATERAL (SELECT a.id * 10) s",
    "SELECT a.id, s.x FROM lv_a a, lv_b b, LATERAL (SELECT a.v + b.w AS x) s WHERE a.id = b.id",
    "SELECT a.id, s.x FROM lv_a a, lv_r r, LATERAL (SELECT r.name || a.id AS x) s "
    "WHERE a.g = r.k",
    "SELECT a.id, s.w FROM lv_a a JOIN LATERAL (SELECT a.v * 2 AS w) s ON s.w > 10",
    "SELECT n.k, s.u FROM lv_n n CROSS JOIN LATERAL (SELECT upper(n.t) AS u) s ORDER BY n.k",
    "SELECT a.id, s.w, s.z FROM lv_a a LEFT JOIN LATERAL (SELECT a.v - a.g AS w, NULL::int AS z) s "
    "ON true",
]


@pytest.mark.parametrize("sql", LATERAL_NO_FROM)
def test_lateral_without_from(db, sql):
    db.both(sql)


@pytest.mark.parametrize("sql, words", [
    # the preserved side of an outer join: every shard would keep the rows
    ("SELECT d.g, b.id FROM %s d LEFT JOIN lv_b b ON b.g = d.g" % GROUPED,
     "outer join keeping the unmatched rows of a subquery in FROM"),
    ("SELECT d.g, b.id FROM %s d FULL JOIN lv_b b ON b.g = d.g" % GROUPED, "outer join"),
    ("WITH d AS (SELECT 1 AS x) UPDATE lv_w SET v = 1 WHERE id = 1", "WITH"),
    ("WITH d AS (SELECT 1 AS x) INSERT INTO lv_w VALUES (1, 1, 1)", "WITH"),
    ("WITH d AS (DELETE FROM lv_w RETURNING *) SELECT * FROM d", "data-modifying"),
    ("SELECT * FROM lv_a a LEFT JOIN LATERAL (SELECT a.v * 2 AS w) s ON s.w > 10", "LATERAL"),
    ("SELECT * FROM lv_a a, LATERAL (SELECT random() AS x) s", "LATERAL"),
])
def test_still_refused_0a000(db, sql, words):
    err = None
    try:
        db.murphy(sql)
    except Exception as e:  # psycopg2.Error
        err = e
    assert err is not None and err.pgcode == "0A000", "%s: %r" % (sql, err)
    assert words in str(err), str(err)
