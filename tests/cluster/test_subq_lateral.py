"""LATERAL subqueries in FROM that only filter and project (issue 19),
flattened into the query around them (parser/analyze_lateral.c), each
checked against a real PostgreSQL on the same rows: correlated by the
distribution column on co-located tables (a join on the shards), by
another column (shuffled), with a reference table, NULLs, no matching
rows, duplicates, `*` and `s.*`, renamed columns.  What is not flattened
(ORDER BY / LIMIT / aggregates inside: a top-N per row) stays 0A000.
murphy before this refused every LATERAL with 0A000.

Then LATERAL with ORDER BY / LIMIT / OFFSET (a top-N per row), with
aggregates (one row per outer row: count 0 over no row, the others
NULL) and LEFT JOIN LATERAL (parser/analyze_lateral_topn.c), rewritten
into a subquery joined by the correlation keys: ties broken by a total
order, NULLs in keys and values, outer rows with no inner row, inner and
LEFT, co-located (lh on oid) and not (lf by fid).  murphy before that
refused each of them with 0A000."""
import pytest

REF = " WITH (distribution = 'reference')"
O = [(1, 1, 10), (2, 5, 10), (3, None, 20), (4, 7, None), (5, 2, 20)]
F = [(1, 1, 3), (2, 1, 8), (3, 2, None), (4, 2, 1), (5, 3, 2), (6, None, 4), (7, 1, 3)]
G = [(1, 100), (2, 200), (4, None), (9, 900)]
R = [(1, "a"), (2, "b"), (20, "t")]
H = [(1, 1, 5), (1, 2, 9), (1, 3, 5), (1, 4, None), (2, 1, 7), (3, 1, None), (3, 2, 1),
     (9, 1, 4)]


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for t in ("lo", "lf", "lg", "lr", "lh"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE lo (id int PRIMARY KEY, a int, b int)")
    db.exec_both("CREATE TABLE lf (fid int PRIMARY KEY, oid int, v int)")
    db.exec_both("CREATE TABLE lg (oid int PRIMARY KEY, w int)")
    db.murphy("CREATE TABLE lr (k int PRIMARY KEY, tag text)" + REF)
    db.p.cursor().execute("CREATE TABLE lr (k int PRIMARY KEY, tag text)")
    for row in O:
        db.exec_both("INSERT INTO lo VALUES (%s, %s, %s)", row)
    for row in F:
        db.exec_both("INSERT INTO lf VALUES (%s, %s, %s)", row)
    for row in G:
        db.exec_both("INSERT INTO lg VALUES (%s, %s)", row)
    for row in R:
        db.exec_both("INSERT INTO lr VALUES (%s, %s)", row)
    db.exec_both("CREATE TABLE lh (oid int, k int, v int, PRIMARY KEY (oid, k))")
    for row in H:
        db.exec_both("INSERT INTO lh VALUES (%s, %s, %s)", row)
    return db


LATERAL = [
    "SELECT o.id, s.w FROM lo o, LATERAL (SELECT g.w FROM lg g WHERE g.oid = o.id) s",
    "SELECT * FROM lo o, LATERAL (SELECT g.w FROM lg g WHERE g.oid = o.id) s",
    "SELECT * FROM lo o, LATERAL (SELECT f.v, f.fid FROM lf f WHERE f.oid = o.id) s",
    "SELECT o.id, s.* FROM lo o, LATERAL (SELECT f.v AS val FROM lf f WHERE f.oid = o.id "
    "AND f.v > 1) s",
    "SELECT o.id, x FROM lo o, LATERAL (SELECT v + o.a AS x FROM lf WHERE oid = id) s ORDER BY x, o.id",
    "SELECT s.* FROM lo o, LATERAL (SELECT v, a FROM lf WHERE oid = id) s",
    "SELECT o.id, s.tag FROM lo o, LATERAL (SELECT r.tag FROM lr r WHERE r.k = o.b) s",
    "SELECT o.id, s.v FROM lo o, LATERAL (SELECT f.v FROM lf f WHERE f.v < o.a) s",
    "SELECT s.v, count(*) FROM lo o, LATERAL (SELECT f.v FROM lf f WHERE f.oid = o.id) s "
    "GROUP BY s.v",
    "SELECT o.id, s.w FROM lo o, LATERAL (SELECT g.w FROM lg g WHERE g.oid = o.id) s "
    "WHERE s.w IS NOT NULL OR o.a > 3",
    "SELECT o.id, s.w, t.v FROM lo o, LATERAL (SELECT g.w FROM lg g WHERE g.oid = o.id) s, "
    "lf t WHERE t.oid = o.id",
    "SELECT * FROM lo o, LATERAL (SELECT f.v, g.w FROM lf f, lg g WHERE f.oid = o.id "
    "AND g.oid = f.oid) s",
]


@pytest.mark.parametrize("sql", LATERAL)
def test_lateral_flattened(db, sql):
    db.both(sql)


def test_explain_runs_the_colocated_lateral_on_the_shards(db):
    _, rows = db.murphy("EXPLAIN SELECT o.id, s.w FROM lo o, LATERAL "
                        "(SELECT g.w FROM lg g WHERE g.oid = o.id) s")
    text = "\n".join(r[0] for r in rows)
    assert "co-located" in text and "Subquery" not in text, text


TOP = "ORDER BY v DESC NULLS LAST, fid LIMIT 2"
TOPN = [
    # top-N per row, lf not co-located with lo (distributed by fid)
    "SELECT o.id, s.v, s.fid FROM lo o, LATERAL (SELECT v, fid FROM lf f WHERE f.oid = o.id "
    + TOP + ") s",
    "SELECT o.id, s.v FROM lo o, LATERAL (SELECT v FROM lf f WHERE f.oid = o.id "
    "ORDER BY v, fid LIMIT 1) s",
    "SELECT o.id, s.v FROM lo o, LATERAL (SELECT v FROM lf f WHERE f.oid = o.id "
    "ORDER BY v NULLS FIRST, fid DESC OFFSET 1 LIMIT 1) s",
    "SELECT o.id, s.fid FROM lo o, LATERAL (SELECT fid FROM lf f WHERE f.oid = o.id "
    "ORDER BY fid OFFSET 1) s",
    "SELECT o.id, s.v FROM lo o, LATERAL (SELECT v FROM lf f WHERE f.oid = o.id LIMIT 0) s",
    "SELECT o.id, s.x FROM lo o, LATERAL (SELECT v AS x, fid FROM lf WHERE oid = id "
    "AND v IS NOT NULL ORDER BY x DESC, 2 LIMIT 2) s",
    "SELECT * FROM lo o, LATERAL (SELECT v, fid FROM lf f WHERE f.oid = o.id " + TOP + ") s",
    "SELECT o.id, s.* FROM lo o, LATERAL (SELECT v * 2 AS d FROM lf f WHERE f.oid = o.id "
    + TOP + ") s WHERE o.a IS NOT NULL",
    "SELECT o.b, count(*), sum(s.v) FROM lo o, LATERAL (SELECT v FROM lf f "
    "WHERE f.oid = o.id " + TOP + ") s GROUP BY o.b",
    "SELECT r.tag, o.id, s.v FROM lr r, lo o, LATERAL (SELECT v FROM lf f WHERE f.oid = o.id "
    + TOP + ") s WHERE r.k = o.b",
    # co-located: lh is distributed by oid
    "SELECT o.id, s.v, s.k FROM lo o, LATERAL (SELECT v, k FROM lh h WHERE h.oid = o.id "
    "ORDER BY v DESC NULLS LAST, k LIMIT 2) s",
    "SELECT o.id, s.v FROM lo o, LATERAL (SELECT v FROM lh h WHERE h.oid = o.id AND h.v > 4 "
    "ORDER BY k DESC LIMIT 1) s",
    # LEFT JOIN LATERAL / JOIN LATERAL
    "SELECT o.id, s.v FROM lo o LEFT JOIN LATERAL (SELECT v, fid FROM lf f WHERE f.oid = o.id "
    + TOP + ") s ON true",
    "SELECT o.id, s.v FROM lo o JOIN LATERAL (SELECT v, fid FROM lf f WHERE f.oid = o.id "
    + TOP + ") s ON true",
    "SELECT * FROM lo o LEFT JOIN LATERAL (SELECT v FROM lf f WHERE f.oid = o.id) s ON true",
    # ON filters the top-N rows (numbered before it)
    "SELECT o.id, s.v FROM lo o LEFT JOIN LATERAL (SELECT v, fid FROM lf f WHERE f.oid = o.id "
    + TOP + ") s ON s.v > 2 OR o.a > 4",
    "SELECT o.id, s.v FROM lo o LEFT JOIN LATERAL (SELECT v FROM lh h WHERE h.oid = o.id) s "
    "ON s.v > 4",
    "SELECT o.id, s.w FROM lo o LEFT JOIN LATERAL (SELECT g.w FROM lg g WHERE g.oid = o.id) s "
    "ON true WHERE s.w IS NULL",
    # aggregates: one row per outer row, count 0 and the others NULL over no row
    "SELECT * FROM lo o, LATERAL (SELECT count(*), sum(v), max(v) FROM lf f "
    "WHERE f.oid = o.id) s",
    "SELECT o.id, s.n, s.c, s.a FROM lo o LEFT JOIN LATERAL (SELECT count(*) AS n, "
    "count(v) AS c, avg(v) AS a FROM lf f WHERE f.oid = o.id) s ON true",
    "SELECT o.id, s.n + 1 AS n1 FROM lo o, LATERAL (SELECT count(*) AS n FROM lh h "
    "WHERE h.oid = o.id AND h.v IS NOT NULL) s WHERE s.n < 2",
    "SELECT s.n, count(*) FROM lo o, LATERAL (SELECT count(v) AS n FROM lf f "
    "WHERE f.oid = o.id) s GROUP BY s.n",
    # a reference table, the same table, two tables inside
    "SELECT o.id, s.tag FROM lo o, LATERAL (SELECT r.tag FROM lr r WHERE r.k = o.b "
    "ORDER BY r.tag DESC LIMIT 1) s",
    "SELECT o.id, s.id2 FROM lo o, LATERAL (SELECT o2.id AS id2 FROM lo o2 WHERE o2.b = o.b "
    "AND o2.id <> 3 ORDER BY o2.id LIMIT 2) s",
    "SELECT o.id, s.v, s.w FROM lo o, LATERAL (SELECT f.v, g.w FROM lf f, lg g "
    "WHERE f.oid = o.id AND g.oid = f.oid ORDER BY f.v NULLS FIRST, f.fid LIMIT 1) s",
    "SELECT o.id, s.n FROM lo o LEFT JOIN LATERAL (SELECT sum(f.v * g.w) AS n FROM lf f, lg g "
    "WHERE f.oid = o.id AND g.oid = f.oid) s ON true",
    # the query's own filters of o read into o's rows and, for o.id = const, the key
    "SELECT o.id, s.v FROM lo o, LATERAL (SELECT v, k FROM lh h WHERE h.oid = o.id "
    "ORDER BY v DESC NULLS LAST, k LIMIT 1) s WHERE o.id = 1",
    "SELECT o.id, s.v FROM lo o, LATERAL (SELECT v, k FROM lh h WHERE h.oid = o.id "
    "ORDER BY v DESC NULLS LAST, k LIMIT 1) s WHERE 3 = o.id",
    "SELECT o.id, s.v FROM lo o LEFT JOIN LATERAL (SELECT v, fid FROM lf f WHERE f.oid = o.id "
    + TOP + ") s ON true WHERE o.id = 4",
    "SELECT o.id, s.n, s.m FROM lo o, LATERAL (SELECT count(*) AS n, min(v) AS m FROM lf f "
    "WHERE f.oid = o.id) s WHERE o.id = 2 OR o.id = 5",
    "SELECT o.id, s.n FROM lo o LEFT JOIN LATERAL (SELECT count(*) AS n FROM lh h "
    "WHERE h.oid = o.id) s ON true WHERE o.a > 1 AND s.n = 0",
    # a correlation not by equality (the outer table copied in, tied by its key:
    # test_lateral_outer_cols.py)
    "SELECT * FROM lo o, LATERAL (SELECT v FROM lf f WHERE f.v < o.a ORDER BY v, fid LIMIT 1) s",
    # an expression over aggregates (computed in the query: test_lateral_outer_cols.py)
    "SELECT * FROM lo o, LATERAL (SELECT count(*) + 1 AS n FROM lf f WHERE f.oid = o.id) s",
]


@pytest.mark.parametrize("sql", TOPN)
def test_lateral_topn_aggregate_left(db, sql):
    db.both(sql, ordered=False)


def test_lateral_topn_ordered_outside(db):
    db.both("SELECT o.id, s.v FROM lo o, LATERAL (SELECT v, fid FROM lf f WHERE f.oid = o.id "
            + TOP + ") s ORDER BY o.id DESC, s.v", ordered=True)


def test_explain_shows_the_rewrite(db):
    _, rows = db.murphy("EXPLAIN SELECT o.id, s.v FROM lo o, LATERAL (SELECT v, fid FROM lf f "
                        "WHERE f.oid = o.id " + TOP + ") s")
    text = "\n".join(r[0] for r in rows)
    assert "row_number() OVER (PARTITION BY" in text and "<= 2" in text, text
    _, rows = db.murphy("EXPLAIN SELECT o.id, s.v FROM lo o LEFT JOIN LATERAL "
                        "(SELECT v FROM lh h WHERE h.oid = o.id) s ON true")
    text = "\n".join(r[0] for r in rows)
    assert "LEFT JOIN" in text and "Subquery" not in text, text


def test_prepared_key_parameter(db):
    """o.id = $1 (a server-side parameter) filters the key too."""
    sql = ("SELECT o.id, s.v FROM lo o, LATERAL (SELECT v, fid FROM lf f WHERE f.oid = o.id "
           "ORDER BY v, fid LIMIT 1) s WHERE o.id = $1")
    db.exec_both("PREPARE lat_p(int) AS " + sql)
    for k in (1, 2, 4, 9):
        db.both("EXECUTE lat_p(%d)" % k)
    db.exec_both("DEALLOCATE lat_p")


def test_explain_one_key_reads_one_shard(db):
    """latest row for one key: o.id = 1 filters o's rows and the key h.oid."""
    _, rows = db.murphy("EXPLAIN SELECT o.id, s.v FROM lo o, LATERAL (SELECT v, k FROM lh h "
                        "WHERE h.oid = o.id ORDER BY k DESC LIMIT 1) s WHERE o.id = 1")
    text = "\n".join(r[0] for r in rows)
    assert text.count("Shards: 1 of") == 2 and '("h"."oid" = 1)' in text, text


@pytest.mark.parametrize("sql", [
    "SELECT * FROM lo o, LATERAL (SELECT v, count(*) FROM lf f WHERE f.oid = o.id "
    "GROUP BY v) s",
    "SELECT * FROM lo o LEFT JOIN LATERAL (SELECT count(*) AS n FROM lf f "
    "WHERE f.oid = o.id) s ON s.n > 1",
    "SELECT * FROM lo o, LATERAL (SELECT v FROM lf f WHERE f.oid = o.id "
    "ORDER BY v LIMIT o.a) s",
    # PostgreSQL: 42P01, g is not in the scope of the join; murphy does not guess
    "SELECT g.oid, s.n FROM lg g, lo o LEFT JOIN LATERAL (SELECT count(*) AS n FROM lf f "
    "WHERE f.oid = g.oid) s ON true",
])
def test_lateral_not_rewritten_is_0a000(db, sql):
    err = None
    try:
        db.murphy(sql)
    except Exception as e:  # psycopg2.Error
        err = e
    assert err is not None and err.pgcode == "0A000", "%s: %r" % (sql, err)
    assert "LATERAL" in str(err), str(err)
