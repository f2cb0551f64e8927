"""A view's columns are fixed when it is created, as PostgreSQL's.

PostgreSQL expands a view's `*` and `t.*` at CREATE VIEW: a column added to
the table later is not the view's, and pg_get_viewdef prints the list.  It
records which columns the view reads: dropping one is 2BP01, retyping one
0A000, while the others stay droppable and alterable.  murphy-s24 kept the
text with `*` and expanded it at each read (the view suddenly answered the
new column), and refused to drop or retype any column of a table a `*` view
read.  Compared with PostgreSQL 15 (the ``db`` fixture): answers, column
names, SQLSTATEs, and the messages, DETAILs and HINTs of the refusals.
"""
import os
import re
import sqlite3

import psycopg2
import pytest

from compare import run
from conftest import started_cluster


def diag(conn, sql):
    """(SQLSTATE, message, detail, hint) of sql's error; None when it ran."""
    out = run(conn, sql)
    if out.error is None:
        return None
    d = out.error.diag
    return (out.error.pgcode, d.message_primary, d.message_detail, d.message_hint)


def same_error(db, sql, sqlstate):
    m, p = diag(db.m, sql), diag(db.p, sql)
    assert p is not None and p[0] == sqlstate, ("test is wrong", sql, p)
    assert m == p, (sql, m, p)


def murphy_error(db, sql):
    out = run(db.m, sql)
    assert out.error is not None, (sql, out)
    return out.error


def setup(db, *statements):
    """Statements that must succeed on both sides."""
    for sql in statements:
        db.exec_both(sql)


def viewdef(conn, name):
    """pg_get_viewdef's text with PostgreSQL's layout flattened."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_get_viewdef(%s::regclass)", (name,))
        text = cur.fetchone()[0]
    return re.sub(r"\s+", " ", text).strip().rstrip(";")


@pytest.fixture(scope="module")
def vc(db):
    db.exec_both("CREATE TABLE vc_t (a int PRIMARY KEY, b text)")
    db.exec_both("CREATE TABLE vc_u (a int PRIMARY KEY, d int)")
    db.exec_both("INSERT INTO vc_t VALUES (1, 'x'), (2, 'y'), (3, NULL)")
    db.exec_both("INSERT INTO vc_u VALUES (1, 10), (3, 30), (4, 40)")
    return db


STAR_VIEWS = [
    ("vc_star", "SELECT * FROM vc_t"),
    ("vc_qstar", "SELECT vc_t.* FROM vc_t"),
    ("vc_alias", "SELECT x.*, x.a + 1 AS next FROM vc_t x WHERE x.a > 1"),
    ("vc_sub", "SELECT * FROM (SELECT * FROM vc_t WHERE a < 3) s"),
    ("vc_with", "WITH w AS (SELECT * FROM vc_t) SELECT * FROM w"),
    ("vc_using", "SELECT * FROM vc_t JOIN vc_u USING (a)"),
    ("vc_natural", "SELECT * FROM vc_t NATURAL JOIN vc_u"),
    ("vc_join_on", "SELECT vc_t.*, vc_u.d FROM vc_t LEFT JOIN vc_u ON vc_u.a = vc_t.a"),
    ("vc_union", "SELECT * FROM vc_t UNION ALL SELECT * FROM vc_t"),
    ("vc_view_of_view", "SELECT * FROM vc_star"),
    ("vc_distinct", "SELECT DISTINCT * FROM vc_t"),
    ("vc_exists", "SELECT * FROM vc_t WHERE EXISTS (SELECT * FROM vc_u WHERE vc_u.a = vc_t.a)"),
    ("vc_unread", "WITH w AS (SELECT * FROM vc_t), w2 AS (SELECT * FROM w) SELECT * FROM w"),
    ("vc_renamed", "SELECT * FROM vc_t AS x (p)"),
]


def views_keep_their_columns(db, views, *alters):
    """Create views, run alters (adding columns), read the views on both."""
    setup(db, *["CREATE VIEW %s AS %s" % v for v in views])
    setup(db, *alters)
    for name, _ in views:
        db.both("SELECT * FROM %s" % name)


def test_added_column_is_not_seen_through_a_star(vc):
    db = vc
    views_keep_their_columns(db, STAR_VIEWS, "ALTER TABLE vc_t ADD COLUMN c int DEFAULT 7",
                             "ALTER TABLE vc_u ADD COLUMN e int DEFAULT 8")
    # a view created after the ADD sees the new column, as PostgreSQL's
    db.exec_both("CREATE VIEW vc_after AS SELECT * FROM vc_t")
    db.both("SELECT * FROM vc_after")


def test_viewdef_shows_the_expanded_list(vc, pgconn):
    """pg_get_viewdef, pg_views and information_schema.views: the text
    names the columns; flattened, PostgreSQL's deparse of these views is
    murphy's text word for word."""
    db = vc
    db.exec_both("CREATE TABLE vc_q (\"Odd\" int, \"select\" int, plain int)")
    for name, sql in (("vc_def1", "SELECT * FROM vc_q"), ("vc_def2", "SELECT vc_q.* FROM vc_q"),
                      ("vc_def3", "SELECT * FROM vc_def1")):
        db.exec_both("CREATE VIEW %s AS %s" % (name, sql))
        assert viewdef(db.m, name) == viewdef(pgconn, name), name
    assert viewdef(db.m, "vc_def1") == 'SELECT vc_q."Odd", vc_q."select", vc_q.plain FROM vc_q'
    m = db.m.cursor()
    m.execute("SELECT definition FROM pg_views WHERE viewname = 'vc_def3'")
    assert m.fetchone()[0] == 'SELECT vc_def1."Odd", vc_def1."select", vc_def1.plain FROM vc_def1'
    m.execute("SELECT view_definition FROM information_schema.views WHERE table_name = 'vc_def2'")
    assert "*" not in m.fetchone()[0]
    # a column JOIN ... USING merged is read from the side PostgreSQL names
    setup(db, "CREATE TABLE vc_j1 (a int PRIMARY KEY, b int)",
          "CREATE TABLE vc_j2 (a int PRIMARY KEY, d int)",
          "CREATE VIEW vc_def5 AS SELECT * FROM vc_j1 JOIN vc_j2 USING (a), vc_q",
          "CREATE VIEW vc_def6 AS SELECT * FROM vc_j1 RIGHT JOIN vc_j2 USING (a)")
    assert viewdef(db.m, "vc_def5") == \
        'SELECT vc_j1.a, vc_j1.b, vc_j2.d, vc_q."Odd", vc_q."select", vc_q.plain ' \
        'FROM vc_j1 JOIN vc_j2 USING (a), vc_q'
    assert viewdef(db.m, "vc_def6") == \
        "SELECT vc_j2.a, vc_j1.b, vc_j2.d FROM vc_j1 RIGHT JOIN vc_j2 USING (a)"
    # a view without `*` keeps its text as written
    db.exec_both("CREATE VIEW vc_def4 AS SELECT plain AS p FROM vc_q WHERE plain > 0")
    assert viewdef(db.m, "vc_def4") == "SELECT plain AS p FROM vc_q WHERE plain > 0"
    # CREATE OR REPLACE names them too
    db.exec_both("CREATE OR REPLACE VIEW vc_def4 AS SELECT plain AS p, q.* FROM vc_q q")
    assert viewdef(db.m, "vc_def4") == \
        'SELECT plain AS p, q."Odd", q."select", q.plain FROM vc_q q'
    db.exec_both("ALTER TABLE vc_q ADD COLUMN later int")
    db.both("SELECT * FROM vc_def4")
    db.both("SELECT * FROM vc_def3")


def test_drop_of_a_used_column_is_2bp01_as_postgres(vc):
    db = vc
    setup(db, "CREATE TABLE vc_d (id int PRIMARY KEY, k int, used int, spare int)",
          "INSERT INTO vc_d VALUES (1, 2, 3, 4)",
          "CREATE VIEW vc_d1 AS SELECT k, used FROM vc_d",
          "CREATE VIEW vc_d2 AS SELECT * FROM vc_d1 WHERE used > 0",
          "CREATE VIEW vc_d3 AS SELECT used FROM vc_d2",
          "CREATE VIEW vc_d4 AS SELECT d.used + 1 AS u1 FROM vc_d d")
    # message, DETAIL (every view, then the views reading them) and HINT
    same_error(db, "ALTER TABLE vc_d DROP COLUMN used", "2BP01")
    same_error(db, "ALTER TABLE vc_d DROP COLUMN k", "2BP01")
    # a column no view reads goes, and the views answer as before
    db.exec_both("ALTER TABLE vc_d DROP COLUMN spare")
    db.both("SELECT * FROM vc_d3")
    db.both("SELECT * FROM vc_d4")


def test_drop_of_a_column_added_after_a_star_view(vc):
    db = vc
    setup(db, "CREATE TABLE vc_s (k int PRIMARY KEY, v int)",
          "INSERT INTO vc_s VALUES (1, 10), (2, 20)",
          "CREATE VIEW vc_s1 AS SELECT * FROM vc_s",
          "ALTER TABLE vc_s ADD COLUMN extra int",
          "ALTER TABLE vc_s ALTER COLUMN extra TYPE bigint",
          "ALTER TABLE vc_s DROP COLUMN extra")
    db.both("SELECT * FROM vc_s1 ORDER BY k")
    same_error(db, "ALTER TABLE vc_s DROP COLUMN v", "2BP01")
    # a view over a join reads the other table's columns it names, no more
    setup(db, "CREATE TABLE vc_s2 (id int PRIMARY KEY, k int, w int, unused int)",
          "CREATE VIEW vc_s3 AS SELECT s.*, s2.w FROM vc_s s JOIN vc_s2 s2 USING (k)",
          "ALTER TABLE vc_s2 DROP COLUMN unused")
    same_error(db, "ALTER TABLE vc_s2 DROP COLUMN w", "2BP01")
    same_error(db, "ALTER TABLE vc_s2 DROP COLUMN k", "2BP01")
    db.both("SELECT * FROM vc_s3")


def test_alter_type_of_a_used_column_is_0a000_as_postgres(vc):
    db = vc
    db.exec_both("CREATE TABLE vc_ty (k int PRIMARY KEY, n int, free int)")
    db.exec_both("CREATE VIEW vc_ty1 AS SELECT * FROM vc_ty")
    db.exec_both("CREATE VIEW vc_ty2 AS SELECT k FROM vc_ty")
    same_error(db, "ALTER TABLE vc_ty ALTER COLUMN n TYPE bigint", "0A000")
    db.exec_both("ALTER TABLE vc_ty ADD COLUMN later int")
    db.exec_both("ALTER TABLE vc_ty ALTER COLUMN later TYPE bigint")
    db.exec_both("DROP VIEW vc_ty1")
    db.exec_both("ALTER TABLE vc_ty ALTER COLUMN free TYPE bigint")
    same_error(db, "ALTER TABLE vc_ty ALTER COLUMN k TYPE bigint", "0A000")


def test_join_star_with_a_shared_name_is_42701(vc):
    """Guard (murphy-s24 answers it too): PostgreSQL refuses the view whose
    `*` over a join gives two columns one name."""
    db = vc
    db.both_error("CREATE VIEW vc_dup AS SELECT * FROM vc_t JOIN vc_u ON vc_t.a = vc_u.a",
                  "42701")
    db.both_error("CREATE VIEW vc_dup AS SELECT x.*, y.* FROM vc_t x, vc_t y", "42701")
    db.exec_both("CREATE VIEW vc_dup AS SELECT x.*, y.b AS b2 FROM vc_t x JOIN vc_t y "
                 "ON x.a = y.a")
    db.both("SELECT * FROM vc_dup")


def notices_of(conn, sql):
    del conn.notices[:]
    with conn.cursor() as cur:
        cur.execute(sql)
    return list(conn.notices)


def test_drop_column_cascade_drops_the_views_as_postgres(vc):
    """DROP COLUMN ... CASCADE drops the views using the column and the
    views reading them, with PostgreSQL's NOTICE (and DETAIL)."""
    db = vc
    setup(db, "CREATE TABLE vc_c (id int PRIMARY KEY, a int, b int, keep int)",
          "INSERT INTO vc_c VALUES (1, 2, 3, 4)",
          "CREATE VIEW vc_c1 AS SELECT a FROM vc_c",
          "CREATE VIEW vc_c2 AS SELECT * FROM vc_c1",
          "CREATE VIEW vc_c3 AS SELECT a + 1 AS a1 FROM vc_c2",
          "CREATE VIEW vc_c4 AS SELECT b FROM vc_c",
          "CREATE VIEW vc_c5 AS SELECT id, keep FROM vc_c")
    for sql in ("ALTER TABLE vc_c DROP COLUMN b CASCADE",
                "ALTER TABLE vc_c DROP COLUMN a CASCADE"):
        assert notices_of(db.m, sql) == notices_of(db.p, sql), sql
    for name in ("vc_c1", "vc_c2", "vc_c3", "vc_c4"):
        db.both_error("SELECT * FROM %s" % name, "42P01")
    db.both("SELECT * FROM vc_c5")
    db.both("SELECT * FROM vc_c")


def test_what_murphy_refuses_says_so(vc):
    """PostgreSQL renames inside the views and drops them inside a
    transaction block; murphy refuses both inside a block with 0A000
    naming what it does not do, and keeps everything."""
    db = vc
    db.exec_both("CREATE TABLE vc_r (k int PRIMARY KEY, v int, w int)")
    db.exec_both("CREATE VIEW vc_r1 AS SELECT * FROM vc_r")
    db.exec_both("CREATE VIEW vc_r2 AS SELECT k FROM vc_r")
    db.m.cursor().execute("BEGIN")
    e = murphy_error(db, "ALTER TABLE vc_r RENAME COLUMN v TO v2")
    db.m.cursor().execute("ROLLBACK")
    assert e.pgcode == "0A000" and "transaction block" in str(e), e
    db.m.cursor().execute("BEGIN")
    e = murphy_error(db, "ALTER TABLE vc_r DROP COLUMN v CASCADE")
    db.m.cursor().execute("ROLLBACK")
    assert e.pgcode == "0A000" and "CASCADE" in str(e), e
    db.both("SELECT * FROM vc_r1")
    # a column no view uses may be renamed: the views do not name it
    db.exec_both("ALTER TABLE vc_r ADD COLUMN x int")
    db.exec_both("ALTER TABLE vc_r RENAME COLUMN x TO y")
    db.exec_both("ALTER TABLE vc_r DROP COLUMN y CASCADE")
    db.both("SELECT * FROM vc_r1")


LATERAL_VIEWS = [
    ("vc_lat1", "SELECT * FROM vc_l, LATERAL (SELECT m.d FROM vc_m m WHERE m.a = vc_l.a) l"),
    ("vc_lat2", "SELECT l.*, vc_l.b FROM vc_l, "
                "LATERAL (SELECT m.d AS dd FROM vc_m m WHERE m.a = vc_l.a) l"),
    ("vc_lat3", "SELECT * FROM vc_l, LATERAL (SELECT m.d FROM vc_m m WHERE m.a = vc_l.a "
                "ORDER BY m.d DESC LIMIT 1) l"),
    ("vc_lat4", "SELECT * FROM vc_l LEFT JOIN LATERAL (SELECT m.d FROM vc_m m "
                "WHERE m.a = vc_l.a ORDER BY m.d LIMIT 1) l ON true"),
    ("vc_lat5", "SELECT * FROM vc_l, LATERAL (SELECT vc_l.b * 2 AS w) l"),
    ("vc_lat6", "SELECT * FROM vc_l, LATERAL (SELECT count(*) AS n FROM vc_m m "
                "WHERE m.a = vc_l.a) l"),
]


def test_star_over_lateral(vc):
    """murphy rewrites a LATERAL subquery into the query around it before
    reading `*` (analyze_lateral.c, analyze_lateral_topn.c): the rewrite
    says what the `*` stood for, and the view's columns are fixed too."""
    db = vc
    setup(db, "CREATE TABLE vc_l (a int PRIMARY KEY, b int)",
          "CREATE TABLE vc_m (id int PRIMARY KEY, a int, d int)",
          "INSERT INTO vc_l VALUES (1, 2), (3, 4), (5, 6)",
          "INSERT INTO vc_m VALUES (1, 1, 10), (2, 1, 11), (3, 3, 30)")
    views_keep_their_columns(db, LATERAL_VIEWS, "ALTER TABLE vc_l ADD COLUMN c int",
                             "ALTER TABLE vc_m ADD COLUMN e int")
    assert viewdef(db.m, "vc_lat1") == \
        "SELECT vc_l.a, vc_l.b, l.d FROM vc_l, LATERAL (SELECT m.d FROM vc_m m " \
        "WHERE m.a = vc_l.a) l"
    same_error(db, "ALTER TABLE vc_l DROP COLUMN b", "2BP01")
    db.exec_both("ALTER TABLE vc_l DROP COLUMN c")


def test_drop_table_detail_lists_every_view(vc):
    """DROP TABLE / DROP VIEW / DROP COLUMN's 2BP01 DETAIL and CASCADE's
    NOTICE name every view reached, in PostgreSQL's order (views reading
    views reading two of them, a view reading the table and a view; murphy-s24
    named the first view only)."""
    db = vc
    setup(db, "CREATE TABLE vc_dt (a int, b int)",
          "CREATE VIEW vc_dt1 AS SELECT a FROM vc_dt",
          "CREATE VIEW vc_dt2 AS SELECT b, a FROM vc_dt",
          "CREATE VIEW vc_dt3 AS SELECT * FROM vc_dt1",
          "CREATE VIEW vc_dt4 AS SELECT vc_dt3.a, vc_dt2.b FROM vc_dt3, vc_dt2",
          "CREATE VIEW vc_dt5 AS SELECT vc_dt1.a FROM vc_dt1, vc_dt2",
          "CREATE VIEW vc_dt6 AS SELECT vc_dt5.a FROM vc_dt5, vc_dt3, vc_dt")
    for sql in ("DROP TABLE vc_dt", "DROP VIEW vc_dt1", "DROP VIEW vc_dt2",
                "ALTER TABLE vc_dt DROP COLUMN a", "ALTER TABLE vc_dt DROP COLUMN b"):
        same_error(db, sql, "2BP01")
    sql = "ALTER TABLE vc_dt DROP COLUMN a CASCADE"
    assert notices_of(db.m, sql) == notices_of(db.p, sql)
    db.both("SELECT * FROM vc_dt")


def test_a_view_stored_with_its_star_is_not_read_with_new_columns():
    """A view created before CREATE VIEW named its `*` (murphy-s24 and
    earlier) keeps its text: it still expands `*` when read.  Once its table
    gained a column, reading it is 0A000 saying so, not an answer with a
    column the view does not have (murphy-s24 answered it).  Such a view is
    made here by writing its old text into the stopped leader's catalog."""
    c = started_cluster(1)
    try:
        conn = c.connect()
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE old_t (k int PRIMARY KEY, v int) WITH (replicas = 1)")
            cur.execute("INSERT INTO old_t VALUES (1, 10)")
            cur.execute("CREATE VIEW old_v AS SELECT * FROM old_t")
            cur.execute("CREATE VIEW old_w AS SELECT * FROM old_v")
        conn.close()
        c.stop()
        store = sqlite3.connect(os.path.join(c.dir, "leader", "catalog.db"))
        store.execute("UPDATE views SET sql = 'SELECT * FROM old_t' WHERE name = 'old_v'")
        store.commit()
        store.close()
        c.start()
        conn = c.connect()
        with conn.cursor() as cur:
            cur.execute("SELECT * FROM old_w")
            assert cur.fetchall() == [(1, 10)]
            # every column of a table a `*` view reads counts as used
            with pytest.raises(psycopg2.Error) as e:
                cur.execute("ALTER TABLE old_t DROP COLUMN v")
            assert e.value.pgcode == "2BP01", e.value
            cur.execute("ALTER TABLE old_t ADD COLUMN extra int")
            for view in ("old_v", "old_w"):
                with pytest.raises(psycopg2.Error) as e:
                    cur.execute("SELECT * FROM %s" % view)
                assert e.value.pgcode == "0A000" and "old_v" in str(e.value), e.value
            cur.execute("DROP VIEW old_v CASCADE")
            cur.execute("CREATE VIEW old_v AS SELECT * FROM old_t")
            cur.execute("SELECT * FROM old_v")
            assert cur.fetchall() == [(1, 10, None)]
        conn.close()
    finally:
        c.cleanup()


def test_replace_closing_a_cycle_through_views_is_refused(cluster):
    """Guard (murphy-s24 refuses it too): a view records only what its own
    text reads now, so OR REPLACE follows the views' records to find a
    cycle; PostgreSQL takes it and fails when the view is read (42P17)."""
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE VIEW vc_cy1 AS SELECT 1 AS x")
        cur.execute("CREATE VIEW vc_cy2 AS SELECT x FROM vc_cy1")
        cur.execute("CREATE VIEW vc_cy3 AS SELECT x FROM vc_cy2")
        for sql in ("CREATE OR REPLACE VIEW vc_cy1 AS SELECT x FROM vc_cy3",
                    "CREATE OR REPLACE VIEW vc_cy1 AS SELECT x FROM vc_cy1"):
            with pytest.raises(psycopg2.Error) as e:
                cur.execute(sql)
            assert e.value.pgcode == "42P17", (sql, e.value)
        cur.execute("CREATE OR REPLACE VIEW vc_cy1 AS SELECT 2 AS x")
        cur.execute("SELECT * FROM vc_cy3")
        assert cur.fetchall() == [(2,)]
        cur.execute("DROP VIEW vc_cy1 CASCADE")
    conn.close()


def test_viewdef_by_name_as_postgres(vc):
    """pg_get_viewdef('name') (a quoted literal: PostgreSQL's text variant)
    reads the name as regclass does: the view's text (the same as by oid; murphy
    keeps a view's text as written, PostgreSQL prints its deparse), NULL for a
    table, 42P01 for no relation (murphy-s24 answered NULL for every name)."""
    db = vc
    db.exec_both("CREATE VIEW vc_byname AS SELECT a, b FROM vc_t WHERE a > 1")
    by_name = db.murphy("SELECT pg_get_viewdef('vc_byname')")[1][0][0]
    assert by_name is not None
    assert re.sub(r"\s+", " ", by_name).strip().rstrip(";") == viewdef(db.m, "vc_byname")
    db.both("SELECT pg_get_viewdef('vc_t') IS NULL")
    db.both_error("SELECT pg_get_viewdef('vc_no_such_relation')", "42P01")
