"""Views (CREATE [OR REPLACE] VIEW, DROP VIEW): a view is a catalog object
holding its SELECT's text, analyzed as a subquery in FROM wherever a query
names it, so a view over distributed tables is pushed down as the inline
subquery would be.

Answers, column names and types, command tags and SQLSTATEs are compared
with PostgreSQL 15 (the ``db`` fixture)."""
import re

import psycopg2
import pytest

from conftest import started_cluster
from test_pg_catalog import normalized, pg_dsn, psql


def rows(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


@pytest.fixture(scope="module")
def vdb(db):
    db.exec_both("CREATE TABLE orders (id int PRIMARY KEY, cust int, amount int, note text)")
    db.exec_both("CREATE TABLE custs (id int PRIMARY KEY, name text, region text)")
    db.exec_both("INSERT INTO orders VALUES (1, 1, 10, 'a'), (2, 1, 20, NULL), "
                 "(3, 2, 5, 'c'), (4, 3, 7, 'd'), (5, NULL, 1, 'e')")
    db.exec_both("INSERT INTO custs VALUES (1, 'ann', 'north'), (2, 'bob', 'south'), "
                 "(3, 'cy', 'north')")
    return db


def test_view_answers_as_postgres(vdb):
    db = vdb
    db.exec_both("CREATE VIEW big_orders AS SELECT id, cust, amount FROM orders "
                 "WHERE amount > 5")
    db.both("SELECT * FROM big_orders")
    db.both("SELECT cust, sum(amount) FROM big_orders GROUP BY cust ORDER BY cust")
    db.both("SELECT b.id FROM big_orders b WHERE b.cust = 1 ORDER BY 1")
    db.both("SELECT count(*) FROM big_orders WHERE id IN (SELECT id FROM big_orders)")
    # column list renames; unknown literals become text; aggregates in the view
    db.exec_both("CREATE VIEW per_cust (who, total, tag) AS "
                 "SELECT cust, sum(amount), 'x' FROM orders GROUP BY cust")
    db.both("SELECT * FROM per_cust ORDER BY who")
    db.both("SELECT who, total FROM per_cust WHERE total > 6 ORDER BY who")
    # views over views
    db.exec_both("CREATE VIEW big_north AS SELECT o.id, o.amount FROM big_orders o "
                 "WHERE o.cust IN (SELECT id FROM custs WHERE region = 'north')")
    db.both("SELECT * FROM big_north ORDER BY id")
    # an alias's column list renames the view's first columns (was ignored)
    db.both("SELECT * FROM per_cust AS p (c) WHERE c = 1")
    db.both("SELECT p.n, p.t, tag FROM per_cust p (n, t) ORDER BY n")
    # a WITH query of the outer statement does not shadow the view's tables
    db.both("WITH orders AS (SELECT 1 AS id) SELECT count(*) FROM big_orders")


def test_psql_describes_views_as_postgres(vdb, cluster, pgconn):
    """psql's \\dv and \\d v read pg_class, pg_attribute and friends; \\d+ v
    prints pg_get_viewdef (murphy gives the text as written, PostgreSQL its
    own deparse, so only its presence is checked)."""
    vdb.exec_both("CREATE VIEW ps_v (k, total) AS SELECT cust, sum(amount)::int FROM orders "
                  "GROUP BY cust")
    vdb.exec_both("CREATE VIEW ps_w AS SELECT id, note::varchar(10) AS note FROM orders")
    for command in ("\\dv ps_*", "\\d ps_v", "\\d ps_w"):
        rc_m, out_m = psql(cluster.dsn(), command)
        rc_p, out_p = psql(pg_dsn(pgconn), command)
        assert rc_m == 0 and "ERROR" not in out_m, out_m
        assert normalized(out_m, "murphy") == normalized(out_p, pgconn.info.user), \
            (command, out_m, out_p)
    assert "View \"public.ps_v\"" in out_m or "ps_v" in psql(cluster.dsn(), "\\d ps_v")[1]
    rc, out = psql(cluster.dsn(), "\\d+ ps_v")
    assert rc == 0 and "View definition:" in out and "sum(amount)" in out, out
    m = cluster.connect()
    assert rows(m, "SELECT viewname, definition FROM pg_views WHERE viewname = 'ps_v'") == \
        [("ps_v", "SELECT cust, sum(amount)::int FROM orders GROUP BY cust")]
    assert rows(m, "SELECT pg_get_viewdef('ps_v'::regclass)") == \
        [("SELECT cust, sum(amount)::int FROM orders GROUP BY cust",)]
    m.close()
    # the rows as PostgreSQL's (information_schema's column types are
    # text in murphy; PostgreSQL's auto-updatable views say YES where
    # murphy's read-only ones say NO, so those columns are left out)
    for sql in ("SELECT table_name, table_type FROM "
                "information_schema.tables WHERE table_name LIKE 'ps_%' ORDER BY 1",
                "SELECT table_name, column_name, ordinal_position, data_type FROM "
                "information_schema.columns WHERE table_name LIKE 'ps_%' ORDER BY 1, 3",
                "SELECT table_name, check_option FROM information_schema.views "
                "WHERE table_name LIKE 'ps_%' ORDER BY 1",
                "SELECT c.relname, c.relkind, c.relnatts FROM pg_class c "
                "WHERE c.relname LIKE 'ps_%' ORDER BY 1"):
        assert vdb.murphy(sql)[1] == rows(pgconn, sql), sql


def test_view_joining_distributed_and_reference_is_pushed_down(vdb, cluster):
    db = vdb
    db.exec_both("CREATE TABLE regions (name text PRIMARY KEY, boss text)")
    db.exec_both("INSERT INTO regions VALUES ('north', 'nina'), ('south', 'sam')")
    db.murphy("DROP TABLE regions")
    db.murphy("CREATE TABLE regions (name text PRIMARY KEY, boss text) "
              "WITH (distribution = 'reference')")
    db.murphy("INSERT INTO regions VALUES ('north', 'nina'), ('south', 'sam')")
    db.exec_both("CREATE VIEW cust_boss AS SELECT c.id, c.name, r.boss "
                 "FROM custs c JOIN regions r ON r.name = c.region")
    db.both("SELECT * FROM cust_boss ORDER BY id")
    db.both("SELECT cb.name, sum(o.amount) FROM orders o JOIN cust_boss cb ON cb.id = o.cust "
            "GROUP BY cb.name ORDER BY 1")
    # EXPLAIN: the view runs inside the shards, exactly as the inline subquery
    conn = cluster.connect()
    view_plan = rows(conn, "EXPLAIN SELECT * FROM cust_boss WHERE id = 2")
    inline_plan = rows(conn, "EXPLAIN SELECT * FROM (SELECT c.id, c.name, r.boss FROM custs c "
                             "JOIN regions r ON r.name = c.region) cust_boss WHERE id = 2")
    text = "\n".join(r[0] for r in view_plan)
    assert view_plan == inline_plan, text
    # one shard of custs, joined with its copy of regions there (router)
    assert re.search(r"\brouter\b", text, re.I) and "regions" in text, text
    conn.close()


def test_view_errors_as_postgres(vdb):
    db = vdb
    db.exec_both("CREATE VIEW v_err AS SELECT id, amount FROM orders")
    db.both_error("CREATE VIEW v_err AS SELECT 1", "42P07")
    db.both_error("CREATE VIEW orders AS SELECT 1", "42P07")
    db.both_error("CREATE TABLE v_err (a int)", "42P07")
    db.both_error("CREATE VIEW v_bad AS SELECT nosuch FROM orders", "42703")
    db.both_error("CREATE VIEW v_bad AS SELECT 1 FROM nosuch", "42P01")
    db.both_error("SELECT * FROM nosuch_view", "42P01")
    db.both_error("DROP VIEW nosuch_view", "42P01")
    db.both("DROP VIEW IF EXISTS nosuch_view")
    db.both_error("DROP VIEW orders", "42809")
    db.both_error("DROP TABLE v_err", "42809")
    # OR REPLACE: columns may be added at the end, not dropped, renamed or retyped
    db.exec_both("CREATE OR REPLACE VIEW v_err AS SELECT id, amount, note FROM orders")
    db.both("SELECT * FROM v_err ORDER BY id")
    db.both_error("CREATE OR REPLACE VIEW v_err AS SELECT id FROM orders", "42P16")
    db.both_error("CREATE OR REPLACE VIEW v_err AS SELECT id, note AS amount, note "
                  "FROM orders", "42P16")
    db.both_error("CREATE OR REPLACE VIEW v_err AS SELECT id, amount AS amt, note "
                  "FROM orders", "42P16")
    db.both_error("CREATE VIEW v_cols (a, b, c) AS SELECT 1, 2", "42601")


def test_drop_with_dependents_as_postgres(vdb):
    db = vdb
    db.exec_both("CREATE TABLE dep_t (k int PRIMARY KEY, v int)")
    db.exec_both("INSERT INTO dep_t VALUES (1, 10), (2, 20)")
    db.exec_both("CREATE VIEW dep_v1 AS SELECT k, v FROM dep_t")
    db.exec_both("CREATE VIEW dep_v2 AS SELECT k FROM dep_v1 WHERE v > 10")
    e = db.both_error("DROP TABLE dep_t", "2BP01")
    assert "depend" in str(e)
    db.both_error("DROP VIEW dep_v1", "2BP01")
    db.both_error("DROP VIEW dep_v1 RESTRICT", "2BP01")
    db.both("SELECT * FROM dep_v2")
    db.exec_both("DROP VIEW dep_v1 CASCADE")        # takes dep_v2 with it
    db.both_error("SELECT * FROM dep_v2", "42P01")
    db.exec_both("CREATE VIEW dep_v3 AS SELECT k FROM dep_t")
    db.exec_both("DROP TABLE dep_t CASCADE")
    db.both_error("SELECT * FROM dep_v3", "42P01")


def test_alter_of_a_table_a_view_reads(vdb, cluster):
    db = vdb
    db.exec_both("CREATE TABLE al_t (k int PRIMARY KEY, used int, spare int)")
    db.exec_both("CREATE VIEW al_v AS SELECT k, used FROM al_t")
    db.both_error("ALTER TABLE al_t DROP COLUMN used", "2BP01")
    db.exec_both("ALTER TABLE al_t DROP COLUMN spare")          # the view does not read it
    db.exec_both("ALTER TABLE al_t ADD COLUMN more int")
    db.exec_both("INSERT INTO al_t VALUES (1, 2, 3)")
    db.both("SELECT * FROM al_v")
    # renaming the table or a column it reads: the view follows, as PostgreSQL's
    db.exec_both("ALTER TABLE al_t RENAME TO al_t2")
    db.exec_both("ALTER TABLE al_t2 RENAME used TO u")
    db.both("SELECT * FROM al_v")


def test_writes_to_a_view_are_refused_naming_it(vdb, cluster):
    vdb.exec_both("CREATE VIEW ro_v AS SELECT id, amount FROM orders")
    conn = cluster.connect()
    for sql in ("INSERT INTO ro_v VALUES (9, 9)", "UPDATE ro_v SET amount = 1",
                "DELETE FROM ro_v", "TRUNCATE ro_v"):
        with pytest.raises(psycopg2.Error) as e:
            rows(conn, sql) if sql.startswith("SELECT") else conn.cursor().execute(sql)
        assert e.value.pgcode == "0A000", (sql, e.value)
        assert "ro_v" in str(e.value), (sql, e.value)
    conn.close()


def test_prepared_statement_sees_replaced_view(cluster):
    conn = cluster.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE rp_t (k int PRIMARY KEY, v int)")
    cur.execute("INSERT INTO rp_t VALUES (1, 10), (2, 20)")
    cur.execute("CREATE VIEW rp_v AS SELECT k FROM rp_t WHERE v > 15")
    cur.execute("PREPARE q AS SELECT count(*) FROM rp_v")
    cur.execute("EXECUTE q")
    assert cur.fetchone() == (1,)
    cur.execute("CREATE OR REPLACE VIEW rp_v AS SELECT k FROM rp_t WHERE v > 5")
    cur.execute("EXECUTE q")
    assert cur.fetchone() == (2,)
    conn.close()


def test_views_survive_a_leader_restart():
    c = started_cluster(1)
    try:
        conn = c.connect()
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE rs_t (k int PRIMARY KEY, v int) WITH (replicas = 1)")
            cur.execute("INSERT INTO rs_t VALUES (1, 10), (2, 20), (3, 30)")
            cur.execute("CREATE VIEW rs_v (key, val) AS SELECT k, v FROM rs_t WHERE v >= 20")
            cur.execute("CREATE VIEW rs_w AS SELECT sum(val) AS s FROM rs_v")
        conn.close()
        c.kill9("leader")
        c.start()
        conn = c.connect()
        with conn.cursor() as cur:
            cur.execute("SELECT key, val FROM rs_v ORDER BY key")
            assert cur.fetchall() == [(2, 20), (3, 30)]
            cur.execute("SELECT s FROM rs_w")
            assert cur.fetchone() == (50,)
            with pytest.raises(psycopg2.Error) as e:
                cur.execute("DROP TABLE rs_t")
            assert e.value.pgcode == "2BP01"
            cur.execute("CREATE VIEW rs_x AS SELECT 1 AS one")   # ids go on after the restart
            cur.execute("SELECT * FROM rs_x")
            assert cur.fetchone() == (1,)
        conn.close()
    finally:
        c.cleanup()


def test_view_over_right_and_full_join_keeps_unmatched_rows(vdb):
    """A subquery in FROM (a view) whose FROM has a RIGHT or FULL JOIN was
    merged into the query reading it as a LEFT JOIN: the right side's
    unmatched rows were lost, silently (murphy-s24).  It is read as a
    gathered subquery now (analyze_from_subq.c: not mergeable)."""
    db = vdb
    db.exec_both("CREATE TABLE fj_l (a int PRIMARY KEY, b text)")
    db.exec_both("CREATE TABLE fj_r (a int PRIMARY KEY, d int)")
    db.exec_both("CREATE TABLE fj_w (a int PRIMARY KEY, z int)")
    db.exec_both("INSERT INTO fj_l VALUES (1, 'x'), (2, 'y'), (3, NULL)")
    db.exec_both("INSERT INTO fj_r VALUES (1, 10), (3, 30), (4, 40)")
    db.exec_both("INSERT INTO fj_w VALUES (1, 100), (4, 400), (5, 500)")
    db.exec_both("CREATE VIEW fj_full AS SELECT * FROM fj_l FULL JOIN fj_r USING (a)")
    db.exec_both("CREATE VIEW fj_right AS SELECT fj_l.b, fj_r.a, fj_r.d FROM fj_l "
                 "RIGHT JOIN fj_r ON fj_l.a = fj_r.a")
    db.both("SELECT * FROM fj_full")
    db.both("SELECT * FROM fj_full WHERE a = 4")
    db.both("SELECT count(*) FROM fj_full")
    db.both("SELECT * FROM fj_right")
    db.both("SELECT * FROM (SELECT fj_l.a AS la, fj_r.d FROM fj_l FULL JOIN fj_r "
            "ON fj_l.a = fj_r.a) s")
    db.both("SELECT w.a, w.z, v.b, v.d FROM fj_w w JOIN fj_right v ON v.a = w.a")
    db.both("SELECT w.a, v.b, v.d FROM fj_w w LEFT JOIN fj_full v ON v.a = w.a")
