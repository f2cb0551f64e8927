"""Names of unnamed select-list entries (parser/analyze_expr.c
sql_colname, PostgreSQL's FigureColname), differential against
PostgreSQL 15: a CASE is named after its ELSE when that has a strong name
(a column, a function), "case" otherwise, and a cast of a CASE takes the
type's name (a CASE's own name is weak).  Before: every CASE was "case",
so `CASE WHEN .. THEN NULL ELSE id END` and `(CASE ... END)::text` were
named unlike PostgreSQL's."""
import pytest


@pytest.fixture(scope="module")
def cn(db):
    db.exec_both("DROP TABLE IF EXISTS cn_t")
    db.exec_both("CREATE TABLE cn_t (id int PRIMARY KEY, w text)")
    db.exec_both("INSERT INTO cn_t VALUES (1, 'a'), (2, NULL)")
    return db


@pytest.mark.parametrize("sql", [
    "SELECT CASE WHEN id > 1 THEN NULL ELSE id END FROM cn_t",
    "SELECT CASE WHEN id > 1 THEN 'x' ELSE upper(w) END FROM cn_t",
    "SELECT CASE WHEN id > 1 THEN 0 ELSE 1 END FROM cn_t",
    "SELECT CASE WHEN id > 1 THEN w END FROM cn_t",
    "SELECT CASE id WHEN 1 THEN 'one' ELSE w::text END FROM cn_t",
    "SELECT (CASE WHEN id > 1 THEN 0 ELSE 1 END)::text FROM cn_t",
    "SELECT (CASE WHEN id > 1 THEN 0 ELSE id END)::text FROM cn_t",
    "SELECT CASE WHEN id > 1 THEN 0 ELSE CASE WHEN id = 1 THEN 2 ELSE id END END FROM cn_t",
    "SELECT CASE WHEN id > 1 THEN NULL ELSE id END FROM cn_t UNION SELECT NULL",
])
def test_case_column_name(cn, sql):
    cn.both(sql)
