"""A FROM item's name as a value, its whole row (issue 19; select.sql:119,
subselect.sql:479/480/498/499): `SELECT t FROM t`, `SELECT (SELECT t) FROM
t`, `SELECT foo FROM (SELECT 1) AS foo`, a view's and a WITH query's row.
PostgreSQL answers the row in record_out's text form, `(1,t,"a b",,1.50)`;
murphy builds it beside the scan (parser/analyze_record.c,
storage/sqlfn_record.c); `t::text` and `(t.*)::text` are the same text
as a plain text value, usable anywhere.  Compared with a real PostgreSQL on the same rows:
NULLs in every column, duplicate rows, quoting (empty text, spaces, quotes,
backslashes, parentheses, commas), booleans, numeric scale, char(n)
padding, floats; a distributed and a reference table, an empty table.
Column names and values are compared; the column's type is text where
PostgreSQL says record (or the table's row type): murphy has no composite
types.  murphy-s18 answers every query here with 0A000 ("whole-row
references"), so every test of QUERIES fails there.  A row compared, cast,
passed to a function, ordered, grouped, made DISTINCT, or answered by any
query but the statement's own (a subquery's, a WITH query's, a set
operation's branch, whose readers would compare the text) stays 0A000
(last tests).
"""
import pytest

from compare import run, values_equal, _sort_key

REF = " WITH (distribution = 'reference')"
COLS = "(id int, b bool, s text, n numeric(6,2), f float8, c char(4), d date)"
ROWS = [
    (1, True, "a b", "1.5", 0.1, "x", "2024-01-02"),
    (2, None, "", None, 1e20, None, None),
    (3, False, 'q"\\(,)', "-2", None, "abcd", "1999-12-31"),
    (None, None, None, None, None, None, None),
    (1, True, "a b", "1.5", 0.1, "x", "2024-01-02"),
    (5, True, "plain", "12.345", -0.5, "  z", "2000-02-29"),
]


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for t in ("wr", "wrr", "wre", "wrv"):
        run(db.m, "DROP VIEW IF EXISTS wrv")
        run(db.p, "DROP VIEW IF EXISTS wrv")
        run(db.m, "DROP TABLE IF EXISTS %s" % t)
        run(db.p, "DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE wr " + COLS)
    db.exec_both("CREATE TABLE wre " + COLS)
    db.murphy("CREATE TABLE wrr " + COLS + REF)
    db.p.cursor().execute("CREATE TABLE wrr " + COLS)
    for row in ROWS:
        db.exec_both("INSERT INTO wr VALUES (%s, %s, %s, %s, %s, %s, %s)", row)
        db.exec_both("INSERT INTO wrr VALUES (%s, %s, %s, %s, %s, %s, %s)", row)
    db.exec_both("CREATE VIEW wrv AS SELECT id, s, n FROM wr WHERE id > 1")
    return db


def same_rows(db, sql):
    """Same column names and rows (as multisets); the type may differ."""
    mo, po = run(db.m, sql), run(db.p, sql)
    where = "\n  sql: %s\n  murphy:   %r\n  postgres: %r" % (sql, mo, po)
    assert po.error is None, "test is wrong, PostgreSQL failed:" + where
    assert mo.error is None, "murphy failed:" + where
    assert [c[0] for c in mo.columns] == [c[0] for c in po.columns], "names:" + where
    assert len(mo.rows) == len(po.rows), "row count:" + where
    for mr, pr in zip(sorted(mo.rows, key=_sort_key), sorted(po.rows, key=_sort_key)):
        assert all(values_equal(a, b) for a, b in zip(mr, pr)), "rows differ:" + where
    return mo.rows


QUERIES = [
    "SELECT {t} FROM {t}",
    "SELECT id, {t} FROM {t} WHERE id > 1",
    "SELECT (SELECT {t}) FROM {t}",
    "SELECT x FROM {t} AS x",
    "SELECT x FROM {t} AS x(a, bb, cc)",
    "SELECT q FROM (SELECT s, count(*) FROM {t} GROUP BY s) q",
    "WITH q AS (SELECT max(n) FROM {t} GROUP BY id) SELECT q FROM q",
    "SELECT a FROM {t} a JOIN wrr b ON a.id = b.id",
    "SELECT {t}::text FROM {t}",
    "SELECT id, ({t}.*)::text AS r FROM {t}",
    "SELECT CAST(x AS text) FROM {t} x",
    "SELECT (SELECT (a.*)::text) FROM {t} a",
    "SELECT id FROM {t} WHERE {t}::text LIKE '%a b%'",
    "SELECT count(DISTINCT {t}::text), count(*) FROM {t}",
    "SELECT x FROM (SELECT {t}::text AS x FROM {t}) s WHERE x <> '(,,,,,,)'",
    "SELECT id::text, s::text FROM {t}",
]


@pytest.mark.parametrize("table", ["wr", "wrr", "wre"])
@pytest.mark.parametrize("sql", QUERIES)
def test_whole_row_as_postgresql(db, sql, table):
    same_rows(db, sql.format(t=table))


@pytest.mark.parametrize("sql", [
    "SELECT foo FROM (SELECT 1) AS foo",
    "SELECT foo FROM (SELECT NULL) AS foo",
    "SELECT foo FROM (SELECT 'xyzzy', 1, NULL) AS foo",
    "SELECT wrv FROM wrv",
    "SELECT (SELECT wrv) FROM wrv",
    "SELECT (SELECT (SELECT wrv)) FROM wrv",
    "SELECT id, (SELECT (SELECT id + 1)) FROM wrv",
])
def test_whole_row_of_subquery_and_view(db, sql):
    same_rows(db, sql)


def test_whole_row_runs_beside_the_scan(db):
    _, rows = db.murphy("EXPLAIN SELECT wr FROM wr")
    plan = "\n".join(r[0] for r in rows)
    assert "scatter-gather" in plan and "mur_record_out" in plan, plan


@pytest.mark.parametrize("sql", [
    "SELECT wr = wr FROM wr",
    "SELECT wr IS NULL FROM wr",
    "SELECT id FROM wr WHERE wr IS NOT NULL",
    "SELECT wr FROM wr ORDER BY 1",
    "SELECT (SELECT wr) FROM wr ORDER BY 1",
    "SELECT DISTINCT wr FROM wr",
    "SELECT wr FROM wr GROUP BY 1",
    "SELECT wr FROM wr UNION SELECT wr FROM wr",
    "SELECT x FROM (SELECT wr AS x FROM wr) s ORDER BY x",
    "WITH w AS (SELECT wr AS x FROM wr) SELECT DISTINCT x FROM w",
    "SELECT count(*) FROM (SELECT wr FROM wr) s",
])
def test_row_anywhere_else_stays_0a000(db, sql):
    e = run(db.m, sql).error
    assert e is not None and e.pgcode == "0A000", sql
    assert run(db.p, sql).error is None, "test is wrong: " + sql


def test_whole_row_of_other_types(db):
    run(db.m, "DROP TABLE IF EXISTS wrt")
    run(db.p, "DROP TABLE IF EXISTS wrt")
    cols = ("(id int, a int[], t text[], j jsonb, u uuid, i interval, by bytea, "
            "ts timestamp, v varchar(5), big bigint, tz timestamptz, r real, d2 numeric)")
    db.exec_both("CREATE TABLE wrt " + cols)
    db.exec_both("INSERT INTO wrt VALUES (1, '{1,NULL,3}', '{\"a b\",c}', '{\"k\": [1, \"x\"]}', "
                 "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1 day 02:00:00', '\\x0102', "
                 "'2024-01-02 03:04:05.5', 'ab,c', -9000000000, '2024-01-02 03:04:05+02', 1.5, "
                 "12345678901234567890.1234567890)")
    db.exec_both("INSERT INTO wrt VALUES (2, '{}', NULL, 'null', NULL, NULL, '', NULL, '', NULL, NULL, "
                 "'-0.25', 'NaN')")
    same_rows(db, "SELECT wrt FROM wrt")
    same_rows(db, "SELECT wrt::text FROM wrt WHERE id = 1")


@pytest.mark.parametrize("sql", [
    "SELECT row_to_json(a.*)::text FROM {t} a",
    "SELECT to_json(s)::text FROM (SELECT id, s, n FROM {t} WHERE id > 1) s",
    "SELECT row_to_json(x.*)::text FROM {t} a JOIN wrr b USING (id) AS x",
    "SELECT row_to_json(x)::text FROM ({t} a JOIN wrr b USING (id, b)) AS x",
    "SELECT to_jsonb(q.*)::text FROM (SELECT id, b FROM {t}) q",
])
@pytest.mark.parametrize("table", ["wr", "wrr"])
def test_row_as_json_of_any_item(db, sql, table):
    """row_to_json(t.*), and the row of a subquery or join alias as json
    (join.sql:139); murphy-s18 took only to_json(t) of a table."""
    same_rows(db, sql.format(t=table))


def test_an_outer_column_of_that_name_wins(db):
    """PostgreSQL looks a bare name up as a column in every query level
    before it takes it as a FROM item's row."""
    run(db.m, "DROP TABLE IF EXISTS wro")
    run(db.p, "DROP TABLE IF EXISTS wro")
    db.exec_both("CREATE TABLE wro (id int, x text)")
    db.exec_both("INSERT INTO wro VALUES (1, 'outer'), (2, NULL)")
    sql = "SELECT (SELECT x::text FROM wr x WHERE x.id = 1 LIMIT 1) FROM wro"
    mo, po = run(db.m, sql), run(db.p, sql)
    assert po.error is None
    if mo.error is None:  # answered: then as PostgreSQL (the outer column)
        same_rows(db, sql)
    else:  # or refused as a correlated subquery it cannot run, never the row
        assert mo.error.pgcode == "0A000", mo
