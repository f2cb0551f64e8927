"""Filtered aggregates and rows a follower reads from the table's pages (issue 19,
TPC-H's Q1 and Q6: storage/scanfilter.c recognizes the shard SELECT,
follower/task_run.c query_pages), compared EXACTLY with PostgreSQL 15:
dates, numerics by value (10.00 > 9, BETWEEN), integers with negative
bounds, text with a quote, NULLs in every column, groups, no rows; then
the same reads where the pages cannot answer and SQLite does — rows still
in the WAL after an UPDATE, a read inside a transaction block that wrote,
a column added by ALTER TABLE — and a filter the page scan does not take
(OR); LIKE / NOT LIKE and the INTEGER PRIMARY KEY (the rowid, from the
cell) read from the pages."""
import pytest

from compare import exact, run, rows_text

N = 3000


def row(k):
    q = None if k % 13 == 0 else "%d.00" % ((k * 7) % 50 + 1)
    d = "0.%02d" % (k % 11)
    s = None if k % 17 == 0 else "date '1992-01-01' + %d" % ((k * 37) % 2500)
    t = None if k % 23 == 0 else ("it''s" if k % 101 == 0 else "t%d" % (k % 7))
    i = None if k % 19 == 0 else (k * 31) % 1000 - 500
    f = "AR"[k % 2]
    lit = lambda v: "NULL" if v is None else "'%s'" % v  # noqa: E731
    return "(%d, %s, %s, %s, %s, %s, '%s')" % (k, lit(q), lit(d), s or "NULL", lit(t),
                                              "NULL" if i is None else i, f)


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    db.exec_both("DROP TABLE IF EXISTS psc")
    db.exec_both("CREATE TABLE psc (k int PRIMARY KEY, q numeric(15,2), d numeric(15,2), "
                 "s date, t text, i int, f text NOT NULL)")
    for lo in range(1, N + 1, 500):
        db.exec_both("INSERT INTO psc VALUES " + ", ".join(row(k) for k in range(lo, lo + 500)))
    return db


QUERIES = [
    # TPC-H Q6's shape
    "SELECT sum(q * d) AS revenue, count(*) FROM psc WHERE s >= date '1994-01-01' "
    "AND s < date '1995-01-01' AND d BETWEEN 0.05 AND 0.07 AND q < 24",
    # TPC-H Q1's shape
    "SELECT f, count(*), sum(q), sum(q * (1 - d)), avg(d), min(s), max(s) FROM psc "
    "WHERE s <= date '1996-09-02' GROUP BY f ORDER BY f",
    "SELECT count(*), sum(q) FROM psc WHERE q > 9",
    "SELECT count(*), sum(q) FROM psc WHERE q >= 10 AND q <> 24",
    "SELECT count(*) FROM psc WHERE t = 'it''s'",
    "SELECT t, count(*) FROM psc WHERE t <> 't3' GROUP BY t ORDER BY t",
    "SELECT count(*), sum(i) FROM psc WHERE i >= -100 AND i <> 0 AND i < 250",
    "SELECT f, sum(q), count(i) FROM psc WHERE i BETWEEN -20 AND 20 GROUP BY f ORDER BY f",
    "SELECT count(q), count(*), sum(d) FROM psc WHERE s > date '1998-12-31'",
    "SELECT count(*), sum(d) FROM psc",
    "SELECT count(*), max(q) FROM psc WHERE s = date '1994-03-05' OR i = 7",
    # rows, no aggregate (k is the rowid: that one through SQLite)
    "SELECT q, s, t FROM psc WHERE s >= date '1994-01-01' AND s < date '1994-03-01' AND q < 24",
    "SELECT t, i, f FROM psc WHERE i BETWEEN -5 AND 5",
    "SELECT k, q FROM psc WHERE d = 0.05 AND q > 40",
    # LIKE and NOT LIKE from the pages (TPC-H Q13's orders), NULLs dropped;
    # k, the rowid, read from the cell
    "SELECT k, t FROM psc WHERE t NOT LIKE '%3%' AND i > 0",
    "SELECT count(*), sum(k) FROM psc WHERE t LIKE 't_'",
    "SELECT count(*), min(k) FROM psc WHERE t LIKE '%''%' OR t IS NULL",
    "SELECT k FROM psc WHERE t NOT LIKE '%\\%%'",
    # tasks of a statement with a subquery carry its parameter, unread
    "SELECT n, count(*) FROM (SELECT f, count(t) AS n FROM psc WHERE t NOT LIKE '%3%' "
    "GROUP BY f) AS x GROUP BY n ORDER BY n",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_filtered_aggregate(db, sql):
    exact(db, sql)


def test_rows_in_the_wal(db):
    # an UPDATE leaves frames in each shard's WAL: the page scan checkpoints
    # first or declines; either way the answer has the new values
    db.exec_both("UPDATE psc SET q = q + 1 WHERE k % 10 = 0")
    for sql in QUERIES[:3]:
        exact(db, sql)


def test_inside_a_block_that_wrote(db):
    sql = QUERIES[0]
    got = []
    for conn in (db.m, db.p):
        cur = conn.cursor()
        cur.execute("BEGIN")
        cur.execute("UPDATE psc SET d = 0.06 WHERE k % 3 = 0")
        cur.execute(sql)
        got.append(rows_text(cur.fetchall()))
        cur.execute("ROLLBACK")
        cur.close()
    assert got[0] == got[1], got
    exact(db, sql)  # and the rollback is seen


def test_column_added_later(db):
    db.exec_both("ALTER TABLE psc ADD COLUMN z int")
    db.exec_both("UPDATE psc SET z = k % 5 WHERE k > 2500")
    exact(db, "SELECT count(*), sum(z) FROM psc WHERE z >= 2")
    exact(db, "SELECT count(*), sum(q) FROM psc WHERE z < 3 AND s >= date '1993-01-01'")
    out = run(db.m, "SELECT count(*) FROM psc")
    assert out.error is None and out.rows[0][0] == N


def test_key_of_two_columns(db):
    # the columns of a composite key are in the record (only an INTEGER
    # PRIMARY KEY is SQLite's rowid): TPC-H Q18's GROUP BY l_orderkey
    db.exec_both("DROP TABLE IF EXISTS psk")
    db.exec_both("CREATE TABLE psk (a int NOT NULL, b int NOT NULL, v numeric(15,2), "
                 "PRIMARY KEY (a, b))")
    db.exec_both("INSERT INTO psk VALUES " + ", ".join(
        "(%d, %d, %s)" % (a, b, "NULL" if (a + b) % 9 == 0 else "%d.%02d" % (a % 40, b))
        for a in range(1, 400) for b in range(1, 1 + a % 5)))
    exact(db, "SELECT a, sum(v) FROM psk GROUP BY a HAVING sum(v) > 60 ORDER BY a")
    exact(db, "SELECT count(*), sum(b), min(a), max(a) FROM psk WHERE b >= 2 AND v < 20")
