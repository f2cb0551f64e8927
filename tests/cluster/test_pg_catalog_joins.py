"""Joins between pg_catalog relations, differential against PostgreSQL 15
(pgcatalog/pgc_join.c): `pg_stat_activity a JOIN pg_stat_ssl s USING
(pid)`, LEFT / RIGHT / FULL joins, NATURAL and CROSS joins, SELECT * over
USING and NATURAL (each merged column once, first, as PostgreSQL shows
them), pg_stat_gssapi (no GSSAPI here: every session false, as
PostgreSQL's without it), and a catalog relation joined with a table: 0A000
naming the table (it was 42809 "is not a sequence").  Before: USING,
NATURAL, RIGHT and FULL were 0A000 "murphy's pg_catalog does not support
this join", pg_stat_gssapi 42P01 (XX000 in a join).

Catalog columns keep murphy's types (name and oid columns are text and
bigint here, pgc_tables.c), so these compare the column names and the
values, not the type OIDs."""
import psycopg2
import pytest

from compare import rows_text, run


@pytest.fixture(scope="module")
def cj(db):
    db.exec_both("DROP TABLE IF EXISTS pcj_t")
    db.exec_both("CREATE TABLE pcj_t (id int PRIMARY KEY, label text, n numeric)")
    return db


def names_and_rows(db, sql, ordered=False):
    """The same column names and rows (as text) on murphy and PostgreSQL."""
    mo, po = run(db.m, sql), run(db.p, sql)
    where = "\n  sql: %s\n  murphy:   %r\n  postgres: %r" % (sql, mo, po)
    assert po.error is None, "test is wrong, PostgreSQL failed:" + where
    assert mo.error is None, "murphy failed:" + where
    assert [c for c, _ in mo.columns] == [c for c, _ in po.columns], "column names:" + where
    m, p = rows_text(mo.rows), rows_text(po.rows)
    if not ordered:
        m, p = sorted(m, key=repr), sorted(p, key=repr)
    assert m == p, "rows:" + where


ME = "pid = pg_backend_pid()"
QUERIES = [
    # the brief's join, and the forms psql users and monitoring scripts write
    "SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s ON a.pid = s.pid WHERE a." + ME,
    "SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE " + ME,
    "SELECT count(*), count(pid) FROM pg_stat_activity JOIN pg_stat_ssl USING (pid) WHERE " + ME,
    "SELECT count(*) FROM pg_stat_activity a LEFT JOIN pg_stat_ssl s USING (pid) WHERE a." + ME,
    "SELECT count(*) FROM pg_stat_activity a RIGHT JOIN pg_stat_ssl s ON a.pid = s.pid"
    " WHERE s." + ME,
    "SELECT count(*) FROM pg_stat_activity a FULL JOIN pg_stat_ssl s USING (pid) WHERE " + ME,
    "SELECT count(*) FROM pg_stat_ssl NATURAL JOIN pg_stat_gssapi WHERE " + ME,
    "SELECT count(*) FROM pg_stat_ssl s CROSS JOIN pg_stat_gssapi g"
    " WHERE s.pid = g.pid AND s." + ME,
    "SELECT a.state, g.gss_authenticated, g.encrypted FROM pg_stat_activity a"
    " JOIN pg_stat_gssapi g USING (pid) WHERE " + ME,
    "SELECT gss_authenticated, principal, encrypted FROM pg_stat_gssapi WHERE " + ME,
    # SELECT * over merging joins: each merged column once, first
    "SELECT * FROM pg_stat_ssl NATURAL JOIN pg_stat_gssapi LIMIT 0",
    "SELECT * FROM pg_stat_ssl JOIN pg_stat_gssapi USING (pid) LIMIT 0",
    "SELECT * FROM pg_stat_gssapi g RIGHT JOIN pg_stat_ssl s USING (pid) LIMIT 0",
    "SELECT s.*, g.pid FROM pg_stat_ssl s JOIN pg_stat_gssapi g USING (pid) LIMIT 0",
    "SELECT * FROM pg_stat_ssl JOIN pg_stat_gssapi USING (pid)"
    " JOIN pg_stat_activity a USING (pid) LIMIT 0",
    # catalogs about the user's own table
    "SELECT table_name, column_name, table_type FROM information_schema.columns"
    " JOIN information_schema.tables USING (table_schema, table_name)"
    " WHERE table_name = 'pcj_t'",
    "SELECT c.relname, n.nspname FROM pg_class c RIGHT JOIN pg_namespace n"
    " ON n.oid = c.relnamespace AND c.relname = 'pcj_t' WHERE n.nspname = 'public'",
    "SELECT c.relname, n.nspname FROM pg_class c FULL JOIN pg_namespace n"
    " ON n.oid = c.relnamespace AND c.relname = 'pcj_t'"
    " WHERE n.nspname = 'public' OR c.relname = 'pcj_t'",
    "SELECT n.nspname, count(c.relname) FROM pg_namespace n LEFT JOIN pg_class c"
    " ON c.relnamespace = n.oid AND c.relname = 'pcj_t' WHERE n.nspname = 'public'"
    " GROUP BY n.nspname",
    # subqueries: FULL JOIN USING merges the two sides' values
    "SELECT k FROM (SELECT 1 AS k, 2 AS j) x FULL JOIN (SELECT 3 AS k) y USING (k)"
    " WHERE k IN (SELECT oid FROM pg_namespace) OR k < 5",
    "SELECT * FROM (SELECT 1 AS k, 2 AS j) x NATURAL FULL JOIN (SELECT 3 AS k, 4 AS m) y"
    " JOIN (SELECT encrypted FROM pg_stat_gssapi WHERE " + ME + ") g ON true",
    "SELECT * FROM (SELECT 1 AS k, 2 AS j) x JOIN (SELECT 1 AS k, 4 AS m) y USING (k)"
    " JOIN (SELECT 1 AS k, 5 AS z) w USING (k)"
    " JOIN (SELECT encrypted FROM pg_stat_gssapi WHERE " + ME + ") g ON true",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_catalog_join(cj, sql):
    names_and_rows(cj, sql)


def test_catalog_joined_with_a_table_is_0a000_naming_it(cj):
    """PostgreSQL answers; murphy cannot read a distributed table beside
    its catalog relations: 0A000 naming the table, not 42809."""
    sql = "SELECT c.relname FROM pg_class c JOIN pcj_t t ON true"
    assert run(cj.p, sql).error is None
    with pytest.raises(psycopg2.Error) as e:
        cj.murphy(sql + " WHERE c.relname = 'pcj_t'")
    assert e.value.pgcode == "0A000", (e.value.pgcode, str(e.value))
    assert '"pcj_t"' in str(e.value), str(e.value)
