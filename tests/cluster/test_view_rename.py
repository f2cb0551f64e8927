"""ALTER TABLE ... RENAME under views, as PostgreSQL.

PostgreSQL's view reads its table and columns by number: after `ALTER
TABLE t RENAME COLUMN a TO c` or `ALTER TABLE t RENAME TO u` the view
answers the same rows under the same column names, and pg_get_viewdef
prints the new names, the old column name kept as an alias (`SELECT u.c AS
a FROM u`).  murphy-s25 refused both with 0A000 while a view named them.
Compared with PostgreSQL 15 (the ``db`` fixture): answers, column names,
and, for views whose text PostgreSQL's deparse prints word for word (their
`*` expanded at CREATE), pg_get_viewdef.
"""
import pytest

from compare import run
from test_view_columns import viewdef


def murphy_viewdef(db, name):
    return viewdef(db.m, name)


@pytest.fixture(scope="module")
def vr(db):
    db.exec_both("CREATE TABLE vr_t (k int PRIMARY KEY, a int, b text)")
    db.exec_both("CREATE TABLE vr_s (k int PRIMARY KEY, x int)")
    db.exec_both("INSERT INTO vr_t VALUES (1, 10, 'p'), (2, 20, 'q'), (3, 30, NULL)")
    db.exec_both("INSERT INTO vr_s VALUES (1, 100), (3, 300)")
    return db


def read_all(db, names):
    for name in names:
        db.both("SELECT * FROM %s ORDER BY 1" % name)


def test_rename_column_under_views(vr):
    db = vr
    views = [
        ("vr_star", "SELECT * FROM vr_t"),
        ("vr_plain", "SELECT a, b FROM vr_t WHERE a > 5"),
        ("vr_qual", "SELECT x.a + 1 AS a1, x.k FROM vr_t x WHERE x.a < 25 ORDER BY x.a"),
        ("vr_join", "SELECT vr_t.a, vr_s.x FROM vr_t JOIN vr_s ON vr_s.k = vr_t.k"),
        ("vr_agg", "SELECT b, sum(a) AS s, count(*) AS n FROM vr_t GROUP BY b"),
        ("vr_sub", "SELECT s.a FROM (SELECT a FROM vr_t WHERE a > 10) s"),
        ("vr_vv", "SELECT a, b FROM vr_plain"),
        ("vr_ord", "SELECT a FROM vr_t ORDER BY a DESC"),
        ("vr_exists", "SELECT k FROM vr_s WHERE EXISTS (SELECT 1 FROM vr_t "
                      "WHERE vr_t.k = vr_s.k AND vr_t.a > 5)"),
        ("vr_union", "SELECT a, b FROM vr_t UNION ALL SELECT x, 'z' FROM vr_s"),
        ("vr_with", "WITH w AS (SELECT k, a FROM vr_t) SELECT w.a FROM w WHERE w.k > 1"),
        ("vr_win", "SELECT k, sum(a) OVER (ORDER BY a) AS s FROM vr_t"),
        ("vr_cols", "SELECT x.p FROM vr_t AS x (q, p)"),
    ]
    for name, sql in views:
        db.exec_both("CREATE VIEW %s AS %s" % (name, sql))
    db.exec_both("ALTER TABLE vr_t RENAME COLUMN a TO c")
    read_all(db, [v[0] for v in views])
    db.both("SELECT c FROM vr_t ORDER BY 1")
    # the stored text names the new column, the view's column keeps its name
    assert murphy_viewdef(db, "vr_star") == viewdef(db.p, "vr_star")
    assert murphy_viewdef(db, "vr_star") == "SELECT vr_t.k, vr_t.c AS a, vr_t.b FROM vr_t"
    assert murphy_viewdef(db, "vr_plain") == "SELECT c AS a, b FROM vr_t WHERE c > 5"
    assert murphy_viewdef(db, "vr_vv") == "SELECT a, b FROM vr_plain"  # untouched
    assert murphy_viewdef(db, "vr_ord") == "SELECT c AS a FROM vr_t ORDER BY a DESC"
    assert murphy_viewdef(db, "vr_cols") == "SELECT x.p FROM vr_t AS x (q, p)"  # by position
    m = db.m.cursor()
    m.execute("SELECT view_definition FROM information_schema.views "
              "WHERE table_name = 'vr_qual'")
    assert m.fetchone()[0] == \
        "SELECT x.c + 1 AS a1, x.k FROM vr_t x WHERE x.c < 25 ORDER BY x.c"
    # the rename again, back: the alias stays as PostgreSQL's does
    db.exec_both("ALTER TABLE vr_t RENAME COLUMN c TO a")
    read_all(db, [v[0] for v in views])
    assert murphy_viewdef(db, "vr_star") == viewdef(db.p, "vr_star")


def test_rename_table_under_views(vr):
    db = vr
    db.exec_both("CREATE TABLE vr_r (k int PRIMARY KEY, v int)")
    db.exec_both("INSERT INTO vr_r VALUES (1, 5), (2, 6)")
    views = [
        ("vr_r1", "SELECT * FROM vr_r"),
        ("vr_r2", "SELECT vr_r.v * 2 AS w FROM vr_r WHERE vr_r.k > 1"),
        ("vr_r3", "SELECT r.k, vr_s.x FROM vr_r r LEFT JOIN vr_s ON vr_s.k = r.k"),
        ("vr_r4", "SELECT v FROM public.vr_r"),
        ("vr_r5", "SELECT * FROM vr_r1"),
    ]
    for name, sql in views:
        db.exec_both("CREATE VIEW %s AS %s" % (name, sql))
    db.exec_both("ALTER TABLE vr_r RENAME TO vr_r_new")
    read_all(db, [v[0] for v in views])
    assert murphy_viewdef(db, "vr_r1") == viewdef(db.p, "vr_r1")
    assert murphy_viewdef(db, "vr_r1") == "SELECT vr_r_new.k, vr_r_new.v FROM vr_r_new"
    assert murphy_viewdef(db, "vr_r2") == \
        "SELECT vr_r_new.v * 2 AS w FROM vr_r_new WHERE vr_r_new.k > 1"
    assert murphy_viewdef(db, "vr_r3") == \
        "SELECT r.k, vr_s.x FROM vr_r_new r LEFT JOIN vr_s ON vr_s.k = r.k"
    assert murphy_viewdef(db, "vr_r4") == "SELECT v FROM public.vr_r_new"
    db.both_error("SELECT * FROM vr_r", "42P01")
    # both renames in a row, then a view over the renamed column
    db.exec_both("ALTER TABLE vr_r_new RENAME COLUMN v TO v2")
    read_all(db, [v[0] for v in views])
    assert murphy_viewdef(db, "vr_r1") == viewdef(db.p, "vr_r1")
    # DROP TABLE still sees the views reading it
    db.both_error("DROP TABLE vr_r_new", "2BP01")


def test_what_is_not_rewritten_is_refused_and_kept(vr, cluster):
    """A view murphy cannot rewrite keeps the table's names: 0A000 saying
    which view and why, and nothing changes."""
    db = vr
    db.exec_both("CREATE TABLE vr_n (k int PRIMARY KEY, a int)")
    db.exec_both("CREATE TABLE vr_n2 (k int PRIMARY KEY, c int)")
    db.exec_both("CREATE VIEW vr_n1 AS SELECT * FROM vr_n JOIN vr_n2 USING (k)")
    out = run(db.m, "ALTER TABLE vr_n RENAME COLUMN k TO kk")
    assert out.error is not None and out.error.pgcode == "0A000", out
    assert "vr_n1" in str(out.error) and "USING" in str(out.error), out.error
    # the new name would be captured by a column of another table it reads
    db.exec_both("CREATE VIEW vr_n3 AS SELECT a, c FROM vr_n JOIN vr_n2 ON vr_n2.k = vr_n.k")
    out = run(db.m, "ALTER TABLE vr_n RENAME COLUMN a TO c")
    assert out.error is not None and out.error.pgcode == "0A000", out
    db.both("SELECT * FROM vr_n1")
    db.both("SELECT * FROM vr_n3")
    # a view of another schema reads vr_n by its bare name: a relation of
    # the new name in the view's schema would be read instead
    db.exec_both("CREATE SCHEMA vr_sch")
    db.exec_both("CREATE TABLE vr_sch.vr_nn (k int PRIMARY KEY)")
    db.exec_both("CREATE VIEW vr_sch.vr_n4 AS SELECT k FROM vr_n2")
    out = run(db.m, "ALTER TABLE vr_n2 RENAME TO vr_nn")
    assert out.error is not None and out.error.pgcode == "0A000", out
    assert "vr_n4" in str(out.error), out.error
    # inside a transaction block: 0A000, the block's other work rolled back with it
    conn = cluster.connect(autocommit=False)
    cur = conn.cursor()
    with pytest.raises(Exception) as e:
        cur.execute("ALTER TABLE vr_n RENAME COLUMN a TO a2")
    assert getattr(e.value, "pgcode", None) == "0A000", e.value
    conn.rollback()
    conn.close()
    db.both("SELECT * FROM vr_n3")


def diag(conn, sql):
    out = run(conn, sql)
    if out.error is None:
        return None
    return (out.error.pgcode, out.error.diag.message_primary)


def test_alter_view_rename_as_postgres(vr):
    """ALTER VIEW v RENAME TO / RENAME COLUMN (and ALTER TABLE v RENAME,
    which PostgreSQL takes for a view): the views reading v follow; the
    errors are PostgreSQL's."""
    db = vr
    db.exec_both("CREATE TABLE av_t (k int PRIMARY KEY, a int)")
    db.exec_both("INSERT INTO av_t VALUES (1, 2), (3, 4)")
    db.exec_both("CREATE VIEW av_v AS SELECT k, a FROM av_t")
    db.exec_both("CREATE VIEW av_w AS SELECT av_v.a FROM av_v")
    db.exec_both("CREATE VIEW av_x AS SELECT a, count(*) AS n FROM av_v GROUP BY a")
    for sql in ("ALTER VIEW av_t RENAME TO av_t2", "ALTER VIEW av_v RENAME COLUMN zz TO yy",
                "ALTER VIEW av_v RENAME COLUMN a TO k", "ALTER VIEW av_v RENAME TO av_t",
                "ALTER VIEW nope RENAME TO x"):
        m, p = diag(db.m, sql), diag(db.p, sql)
        assert p is not None and m == p, (sql, m, p)
    db.exec_both("ALTER VIEW IF EXISTS nope RENAME TO x")
    db.exec_both("ALTER VIEW av_v RENAME COLUMN a TO aa")
    db.both("SELECT * FROM av_v ORDER BY k")
    assert murphy_viewdef(db, "av_w") == viewdef(db.p, "av_w") == \
        "SELECT av_v.aa AS a FROM av_v"
    db.exec_both("ALTER TABLE av_v RENAME TO av_v2")
    db.exec_both("ALTER TABLE av_v2 RENAME COLUMN k TO kk")
    assert murphy_viewdef(db, "av_w") == viewdef(db.p, "av_w")
    for name in ("av_v2", "av_w", "av_x"):
        db.both("SELECT * FROM %s ORDER BY 1" % name)
    db.both_error("SELECT * FROM av_v", "42P01")
    db.both_error("DROP VIEW av_v2", "2BP01")


def test_rename_survives_a_leader_restart(vr, cluster):
    """Last in the file: the module's murphy connection dies with the leader."""
    db = vr
    db.exec_both("CREATE TABLE vr_d (k int PRIMARY KEY, v int)")
    db.exec_both("INSERT INTO vr_d VALUES (1, 7)")
    db.exec_both("CREATE VIEW vr_d1 AS SELECT v FROM vr_d")
    db.exec_both("ALTER TABLE vr_d RENAME COLUMN v TO w")
    db.exec_both("ALTER TABLE vr_d RENAME TO vr_d2")
    db.exec_both("CREATE VIEW vr_d3 AS SELECT vr_d1.v FROM vr_d1")
    db.exec_both("ALTER VIEW vr_d1 RENAME COLUMN v TO vv")
    before = murphy_viewdef(db, "vr_d1")
    assert before == "SELECT w AS v FROM vr_d2"
    assert murphy_viewdef(db, "vr_d3") == "SELECT vr_d1.vv AS v FROM vr_d1"
    cluster.kill9("leader")
    cluster.start()
    import conftest
    conn = conftest.connect_when_up(cluster)
    with conn.cursor() as cur:
        cur.execute("SELECT pg_get_viewdef('vr_d1'::regclass)")
        assert cur.fetchone()[0] == before
        cur.execute("SELECT * FROM vr_d1")
        assert [d[0] for d in cur.description] == ["vv"] and cur.fetchall() == [(7,)]
        cur.execute("SELECT * FROM vr_d3")
        assert [d[0] for d in cur.description] == ["v"] and cur.fetchall() == [(7,)]
    conn.close()
