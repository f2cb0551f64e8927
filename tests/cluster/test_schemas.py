"""Schemas (CREATE SCHEMA, DROP SCHEMA): durable catalog objects that
pg_namespace, information_schema.schemata and psql's \\dn show as
PostgreSQL 15 does.  Tables, views and sequences live in public only so
far: one in another schema is 0A000 naming it.

Answers, command tags and SQLSTATEs are compared with PostgreSQL (the
``db`` fixture)."""
import io
import os
import subprocess

import psycopg2
import pytest

from conftest import started_cluster
from test_pg_catalog import normalized, pg_dsn, psql


def rows(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def test_create_and_drop_schema_as_postgres(db):
    db.both("CREATE SCHEMA sales")
    db.both_error("CREATE SCHEMA sales", "42P06")
    db.both("CREATE SCHEMA IF NOT EXISTS sales")
    db.both("CREATE SCHEMA IF NOT EXISTS public")
    db.both_error("CREATE SCHEMA pg_mine", "42939")
    db.both_error("DROP SCHEMA nosuch", "3F000")
    db.both("DROP SCHEMA IF EXISTS nosuch")
    db.both("CREATE SCHEMA hr")
    db.both("SELECT nspname::text FROM pg_namespace WHERE nspname IN ('sales', 'hr', 'nosuch') "
            "ORDER BY 1")
    db.both("SELECT schema_name::text FROM information_schema.schemata "
            "WHERE schema_name IN ('sales', 'hr') ORDER BY 1")
    db.both("DROP SCHEMA hr, sales CASCADE")
    db.both("SELECT nspname::text FROM pg_namespace WHERE nspname IN ('sales', 'hr')")
    db.both_error("DROP SCHEMA sales", "3F000")


def test_psql_dn_as_postgres(db, cluster, pgconn):
    db.both("CREATE SCHEMA dn_one")
    db.both("CREATE SCHEMA dn_two")
    out = []
    for dsn, owner in ((cluster.dsn(), "murphy"), (pg_dsn(pgconn), pgconn.info.user)):
        rc, text = psql(dsn, "\\dn dn_*")
        assert rc == 0 and "ERROR" not in text, text
        out.append(normalized(text, owner))
    assert out[0] == out[1], out
    assert any("dn_one" in line for line in out[0]), out[0]


def test_tables_in_schemas_as_postgres(db):
    db.both("CREATE SCHEMA s1")
    db.both("CREATE SCHEMA s2")
    db.both("CREATE TABLE s1.t (id int PRIMARY KEY, v text)")
    db.both("CREATE TABLE s2.t (id int PRIMARY KEY, w int)")
    db.both("CREATE TABLE t (id int PRIMARY KEY, x text)")
    db.both("INSERT INTO s1.t VALUES (1, 'one'), (2, 'two'), (3, 'three')")
    db.both("INSERT INTO s2.t VALUES (1, 10), (2, 20)")
    db.both("INSERT INTO t VALUES (1, 'public')")
    db.both("SELECT * FROM s1.t ORDER BY id")
    db.both("SELECT * FROM s2.t ORDER BY id")
    db.both("SELECT * FROM public.t ORDER BY id")
    db.both("SELECT * FROM t ORDER BY id")
    db.both("SELECT a.id, a.v, b.w FROM s1.t a JOIN s2.t b ON a.id = b.id ORDER BY 1")
    db.both("SELECT count(*) FROM s1.t WHERE id IN (SELECT id FROM s2.t)")
    db.both("UPDATE s1.t SET v = 'uno' WHERE id = 1")
    db.both("DELETE FROM s2.t WHERE id = 2")
    db.both("SELECT * FROM s1.t ORDER BY id")
    db.both("SELECT * FROM s2.t ORDER BY id")
    db.both("ALTER TABLE s2.t ADD COLUMN z text")
    db.both("SELECT * FROM s2.t ORDER BY id")
    db.both("CREATE INDEX s1_t_v ON s1.t (v)")
    db.both("TRUNCATE s2.t")
    db.both("SELECT count(*) FROM s2.t")
    db.both("SELECT * FROM t ORDER BY id")
    db.both_error("SELECT * FROM s2.nosuch", "42P01")
    db.both_error("SELECT * FROM nosuch.t", "42P01")
    db.both_error("CREATE TABLE nosuch.t (a int)", "3F000")
    db.both_error("CREATE TABLE s1.t (a int)", "42P07")
    db.both("CREATE TABLE IF NOT EXISTS s1.t (a int)")
    db.both("DROP TABLE s2.t")
    db.both_error("SELECT * FROM s2.t", "42P01")
    db.both("SELECT * FROM s1.t ORDER BY id")
    db.both("DROP TABLE IF EXISTS s2.t")
    db.both("DROP TABLE s1.t, t")
    db.both("DROP SCHEMA s1, s2")


def test_copy_in_and_out_of_a_schema_table(db):
    db.both("CREATE SCHEMA cp")
    db.both("CREATE TABLE cp.t (id int PRIMARY KEY, v text)")
    db.both("CREATE TABLE t (id int PRIMARY KEY, v text)")
    out = []
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.copy_expert("COPY cp.t FROM STDIN", io.StringIO("1\tone\n2\ttwo\n"))
            buf = io.StringIO()
            cur.copy_expert("COPY cp.t TO STDOUT", buf)
            out.append(sorted(buf.getvalue().splitlines()))
    assert out[0] == out[1] == ["1\tone", "2\ttwo"], out
    try:  # COPY t under search_path = cp copies cp.t, as PostgreSQL's
        out = []
        for conn in (db.m, db.p):
            with conn.cursor() as cur:
                cur.execute("SET search_path = cp, public")
                cur.copy_expert("COPY t FROM STDIN", io.StringIO("3\tthree\n"))
                buf = io.StringIO()
                cur.copy_expert("COPY t TO STDOUT", buf)
                out.append(sorted(buf.getvalue().splitlines()))
        assert out[0] == out[1] == ["1\tone", "2\ttwo", "3\tthree"], out
    finally:
        for conn in (db.m, db.p):
            conn.cursor().execute("RESET search_path")
    db.both("SELECT count(*) FROM t")
    db.both("DROP SCHEMA cp CASCADE")
    db.both("DROP TABLE t")


def test_sequences_in_schemas_as_postgres(db):
    db.both("CREATE SCHEMA sq")
    db.both("CREATE SEQUENCE sq.counter START 10")
    db.both("CREATE SEQUENCE counter START 100")
    db.both("SELECT nextval('sq.counter') AS a, nextval('counter') AS b, "
            "nextval('sq.counter') AS c")
    db.both("SELECT currval('sq.counter')")
    db.both("SELECT setval('sq.counter', 50)")
    db.both("SELECT nextval('sq.counter')")
    db.both("SELECT last_value, is_called FROM sq.counter")
    db.both("SELECT last_value, is_called FROM counter")
    db.both("SELECT relname::text, relnamespace::regnamespace::text AS ns FROM pg_class "
            "WHERE relkind = 'S' AND relname = 'counter' ORDER BY 2")
    db.both_error("CREATE SEQUENCE sq.counter", "42P07")
    try:  # a name without a schema is looked up along the search path
        db.exec_both("SET search_path = sq, public")
        db.both("SELECT nextval('counter') AS a, currval('counter') AS b")
        db.both("CREATE TABLE public.uses_counter (id bigint DEFAULT nextval('counter'), v text)")
        db.exec_both("RESET search_path")
        db.both("INSERT INTO uses_counter (v) VALUES ('x') RETURNING id")
        db.both("SELECT nextval('counter')")
        db.both("DROP TABLE uses_counter")
    finally:
        for conn in (db.m, db.p):
            conn.cursor().execute("RESET search_path")
    db.both_error("SELECT nextval('sq.nosuch')", "42P01")
    e = db.both_error("DROP SCHEMA sq", "2BP01")
    assert "sequence sq.counter depends on schema sq" in e.diag.message_detail, e
    db.both("DROP SEQUENCE sq.counter")
    db.both("CREATE SEQUENCE sq.other")
    db.both("DROP SCHEMA sq CASCADE")
    db.both_error("SELECT nextval('sq.other')", "3F000")
    db.both("SELECT nextval('counter')")
    db.both("DROP SEQUENCE counter")


def test_serial_columns_of_schema_tables_as_postgres(db, cluster, pgconn):
    db.both("CREATE SCHEMA sr1")
    db.both("CREATE SCHEMA sr2")
    db.both("CREATE TABLE sr1.t (id serial PRIMARY KEY, v text)")
    db.both("CREATE TABLE sr2.t (id bigserial PRIMARY KEY, v text)")
    db.both("INSERT INTO sr1.t (v) VALUES ('a'), ('b') RETURNING id")
    db.both("INSERT INTO sr2.t (v) VALUES ('c') RETURNING id")
    db.both("SELECT pg_get_serial_sequence('sr1.t', 'id') AS s1, "
            "pg_get_serial_sequence('sr2.t', 'id') AS s2")
    db.both("SELECT nextval('sr1.t_id_seq')")
    db.both("SELECT relname::text, relnamespace::regnamespace::text AS ns FROM pg_class "
            "WHERE relkind = 'S' AND relname = 't_id_seq' ORDER BY 2")
    db.both("SELECT table_schema::text, column_default::text FROM information_schema.columns "
            "WHERE table_name = 't' AND column_name = 'id' ORDER BY 1")
    for command in ("\\d sr1.t", "\\ds sr*.*"):
        out = []
        for dsn, owner in ((cluster.dsn(), "murphy"), (pg_dsn(pgconn), pgconn.info.user)):
            rc, text = psql(dsn, command)
            assert rc == 0 and "ERROR" not in text, (command, text)
            out.append(normalized(text, owner))
        assert out[0] == out[1], (command, out)
    db.both_error("DROP SEQUENCE sr1.t_id_seq", "2BP01")
    db.both("DROP SCHEMA sr1, sr2 CASCADE")
    db.both("SELECT count(*) FROM pg_class WHERE relname = 't_id_seq'")


def test_views_in_schemas_as_postgres(db):
    db.both("CREATE SCHEMA vs")
    db.both("CREATE TABLE vs.t (id int PRIMARY KEY, v text)")
    db.both("CREATE TABLE t (id int PRIMARY KEY, v text)")
    db.both("INSERT INTO vs.t VALUES (1, 'in vs'), (2, 'also vs')")
    db.both("INSERT INTO t VALUES (1, 'in public')")
    db.both("CREATE VIEW vs.v AS SELECT id, v FROM vs.t WHERE id > 0")
    db.both("CREATE VIEW v AS SELECT id, v FROM t")
    db.both("SELECT * FROM vs.v ORDER BY id")
    db.both("SELECT * FROM v ORDER BY id")
    db.both("SELECT a.v, b.v FROM vs.v a JOIN v b ON a.id = b.id")
    db.both("SELECT table_schema::text, table_name::text FROM information_schema.views "
            "WHERE table_name = 'v' ORDER BY 1")
    db.both_error("CREATE VIEW vs.v AS SELECT 1", "42P07")
    db.both_error("DROP TABLE vs.t", "2BP01")
    db.both("DROP VIEW vs.v")
    db.both_error("SELECT * FROM vs.v", "42P01")
    db.both("SELECT * FROM v ORDER BY id")
    db.both("CREATE VIEW vs.w AS SELECT count(*) AS n FROM vs.t")
    db.both("DROP SCHEMA vs CASCADE")
    db.both("SELECT * FROM v ORDER BY id")
    db.both("DROP VIEW v")
    db.both("DROP TABLE t")


def test_alter_table_set_schema_as_postgres(db):
    db.both("CREATE SCHEMA mv_to")
    db.both("CREATE TABLE mv (id int PRIMARY KEY, v text)")
    db.both("CREATE TABLE mv_to.clash (a int)")
    db.both("CREATE TABLE clash (a int)")
    db.both("INSERT INTO mv VALUES (1, 'x'), (2, 'y')")
    db.both("ALTER TABLE mv SET SCHEMA mv_to")
    db.both_error("SELECT * FROM mv", "42P01")
    db.both("SELECT * FROM mv_to.mv ORDER BY id")
    db.both("INSERT INTO mv_to.mv VALUES (3, 'z')")
    db.both_error("ALTER TABLE clash SET SCHEMA mv_to", "42P07")
    db.both_error("ALTER TABLE mv_to.mv SET SCHEMA nosuch", "3F000")
    db.both("ALTER TABLE IF EXISTS nosuch SET SCHEMA mv_to")
    db.both("ALTER TABLE mv_to.mv SET SCHEMA public")
    db.both("SELECT * FROM mv ORDER BY id")
    db.both("DROP SCHEMA mv_to CASCADE")
    db.both("DROP TABLE mv, clash")


def test_search_path_as_postgres(db):
    try:
        db.both("CREATE SCHEMA sp_a")
        db.both("CREATE SCHEMA sp_b")
        db.both("CREATE TABLE sp_b.only_b (a int)")
        db.both("INSERT INTO sp_b.only_b VALUES (7)")
        db.both("CREATE TABLE both_t (a int)")
        db.both("INSERT INTO both_t VALUES (1)")
        db.both("SELECT current_schema()::text AS cs, current_schemas(false)::text AS p, "
                "current_schemas(true)::text AS pi")
        db.both_error("SELECT * FROM only_b", "42P01")
        db.both("SET search_path = sp_a, sp_b, public")
        db.both("SELECT current_schema()::text AS cs, current_schemas(false)::text AS p")
        db.both("SELECT * FROM only_b")
        db.both("CREATE TABLE both_t (a int)")  # goes into sp_a, the path's first
        db.both("INSERT INTO both_t VALUES (2)")
        db.both("SELECT * FROM both_t")
        db.both("SELECT * FROM sp_a.both_t")
        db.both("SELECT * FROM public.both_t")
        db.both("SELECT table_schema::text, table_name::text FROM information_schema.tables "
                "WHERE table_name IN ('both_t', 'only_b') ORDER BY 1, 2")
        db.both("SET search_path = nosuch")
        db.both("SELECT current_schema()::text AS cs, current_schemas(false)::text AS p")
        db.both_error("CREATE TABLE nowhere (a int)", "3F000")
        db.both_error("SELECT * FROM both_t", "42P01")
        db.both("SELECT * FROM public.both_t")
        db.exec_both("SELECT pg_catalog.set_config('search_path', '', false)")  # pg_dump's
        db.both("SELECT current_schema()::text AS cs, current_schemas(true)::text AS pi")
        db.both_error("CREATE TABLE nowhere (a int)", "3F000")
        db.both_error("SELECT * FROM both_t", "42P01")
        db.both("SELECT * FROM public.both_t")
        db.both("SET search_path = nosuch, sp_b")
        db.both("SELECT current_schema()::text AS cs")
        db.both("CREATE TABLE in_b (a int)")
        db.both("SELECT * FROM sp_b.in_b")
        db.exec_both("RESET search_path")
        db.both("SELECT * FROM both_t")
        # a prepared statement follows the path it runs under, as PostgreSQL's
        db.exec_both("PREPARE count_both AS SELECT count(*), min(a) FROM both_t")
        db.both("EXECUTE count_both")
        db.exec_both("SET search_path = sp_a, public")
        db.both("EXECUTE count_both")
        db.exec_both("RESET search_path")
        db.exec_both("DEALLOCATE count_both")
        db.both("DROP SCHEMA sp_a, sp_b CASCADE")
        db.both("DROP TABLE both_t")
    finally:
        db.m.cursor().execute("RESET search_path")
        db.p.cursor().execute("RESET search_path")


def test_drop_schema_with_tables_as_postgres(db, cluster):
    db.both("CREATE SCHEMA ds")
    db.both("CREATE TABLE ds.a (id int PRIMARY KEY)")
    db.both("CREATE TABLE ds.b (id int)")
    db.both("INSERT INTO ds.a VALUES (1), (2)")
    e = db.both_error("DROP SCHEMA ds", "2BP01")
    assert "cannot drop schema ds because other objects depend on it" in str(e), e
    assert "table ds.a depends on schema ds" in str(e.diag.message_detail), e.diag.message_detail
    db.both("SELECT count(*) FROM ds.a")
    db.both("DROP SCHEMA ds CASCADE")
    db.both_error("SELECT * FROM ds.a", "42P01")
    db.both("SELECT nspname::text FROM pg_namespace WHERE nspname = 'ds'")
    # the placements went with the tables: a new table of the same name is empty
    db.both("CREATE SCHEMA ds")
    db.both("CREATE TABLE ds.a (id int PRIMARY KEY)")
    db.both("SELECT count(*) FROM ds.a")
    db.both("DROP SCHEMA ds CASCADE")


def test_schema_tables_survive_a_move_and_a_leader_restart():
    """s.t and public t share a name, not their data: through a move of a
    shard of s.t (its placements are named by table id on the followers)
    and a leader kill -9, each keeps its own rows, and the catalog its
    schemas."""
    c = started_cluster(3)
    try:
        conn = c.connect()
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute("CREATE SCHEMA kept")
        cur.execute("CREATE SCHEMA empty_one")
        cur.execute("CREATE TABLE kept.t (id int PRIMARY KEY, v text) "
                    "WITH (shards = 1, replicas = 2)")
        cur.execute("CREATE TABLE t (id int PRIMARY KEY, v text) WITH (shards = 1, replicas = 2)")
        cur.execute("INSERT INTO kept.t SELECT g, 'kept' FROM generate_series(1, 50) g")
        cur.execute("INSERT INTO t VALUES (1, 'public')")
        held = {n for (n,) in rows(conn, "SELECT node FROM murphy.placements "
                                         "WHERE table_name = 'kept.t'")}
        assert len(held) == 2, held
        src, dst = sorted(held)[0], sorted({"f1", "f2", "f3"} - held)[0]
        cur.execute("SELECT murphy.move_placement('kept.t', 0, %s, %s)", (src, dst))
        assert {n for (n,) in rows(conn, "SELECT node FROM murphy.placements "
                                         "WHERE table_name = 'kept.t'")} == held - {src} | {dst}
        assert rows(conn, "SELECT count(*), min(v) FROM kept.t") == [(50, "kept")]
        conn.close()
        c.kill9("leader")
        c.start()
        conn = c.connect()
        conn.autocommit = True
        cur = conn.cursor()
        assert rows(conn, "SELECT nspname FROM pg_namespace WHERE nspname IN "
                          "('kept', 'empty_one') ORDER BY 1") == [("empty_one",), ("kept",)]
        assert rows(conn, "SELECT count(*), min(v) FROM kept.t") == [(50, "kept")]
        assert rows(conn, "SELECT * FROM t") == [(1, "public")]
        cur.execute("SET search_path = kept, public")
        assert rows(conn, "SELECT count(*) FROM t") == [(50,)]
        cur.execute("INSERT INTO t VALUES (51, 'after')")
        cur.execute("RESET search_path")
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("CREATE SCHEMA kept")
        assert e.value.pgcode == "42P06"
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("DROP SCHEMA kept")
        assert e.value.pgcode == "2BP01"
        assert rows(conn, "SELECT count(*) FROM kept.t") == [(51,)]
        cur.execute("DROP SCHEMA kept, empty_one CASCADE")
        assert rows(conn, "SELECT nspname FROM pg_namespace WHERE nspname = 'kept'") == []
        assert rows(conn, "SELECT count(*) FROM murphy.placements "
                          "WHERE table_name = 'kept.t'") == [(0,)]
        assert rows(conn, "SELECT * FROM t") == [(1, "public")]
        conn.close()
    finally:
        c.cleanup()


BASE = "/work/base/murphy-s15"  # main at the session's start: the catalog format before schemas


@pytest.mark.skipif(not os.access(BASE, os.X_OK), reason="no base binary to write an old catalog")
def test_an_older_catalog_file_loads_and_takes_schema_objects():
    """A data directory written by the binary before this change (its
    store's sequences rows have no schema column) opens: what it held is in
    public, and schemas, their tables and sequences can be added."""
    import conftest
    new = conftest.MURPHY
    conftest.MURPHY = BASE
    try:
        c = started_cluster(1)
    finally:
        conftest.MURPHY = new
    try:
        conn = c.connect()
        cur = conn.cursor()
        cur.execute("CREATE TABLE old_t (id serial PRIMARY KEY, v text)")
        cur.execute("CREATE SEQUENCE old_q START 40")
        cur.execute("INSERT INTO old_t (v) VALUES ('before')")
        cur.execute("SELECT nextval('old_q')")
        conn.close()
        c.stop()
        c.start()  # the new binary, on the old files
        conn = c.connect()
        cur = conn.cursor()
        assert rows(conn, "SELECT id, v FROM old_t") == [(1, "before")]
        (after,), = rows(conn, "SELECT nextval('old_q')")  # a restart may leave a gap
        assert after > 40
        cur.execute("CREATE SCHEMA newer")
        cur.execute("CREATE SEQUENCE newer.old_q START 7")
        cur.execute("CREATE TABLE newer.old_t (a int)")
        cur.execute("INSERT INTO old_t (v) VALUES ('after')")
        assert rows(conn, "SELECT nextval('newer.old_q'), nextval('old_q')") == [(7, after + 1)]
        assert [v for _, v in rows(conn, "SELECT id, v FROM old_t ORDER BY id")] == \
            ["before", "after"]
        conn.close()
        c.kill9("leader")
        c.start()
        conn = c.connect()
        assert rows(conn, "SELECT nextval('newer.old_q') > 7") == [(True,)]
        assert rows(conn, "SELECT count(*) FROM newer.old_t") == [(0,)]
        conn.close()
    finally:
        c.cleanup()


def test_psql_describes_schema_tables_as_postgres(db, cluster, pgconn):
    db.both("CREATE SCHEMA ps")
    db.both("CREATE TABLE ps.t (id int PRIMARY KEY, name text NOT NULL, n numeric(8,2))")
    db.both("CREATE TABLE ps.u (a int)")
    db.both("CREATE TABLE ps_pub (a int)")
    for command in ("\\dt ps.*", "\\d ps.t", "\\dt ps_*", "\\dn ps", "\\dt+ ps.u"):
        out = []
        for dsn, owner in ((cluster.dsn(), "murphy"), (pg_dsn(pgconn), pgconn.info.user)):
            rc, text = psql(dsn, command)
            assert rc == 0 and "ERROR" not in text, (command, text)
            out.append([line for line in normalized(text, owner) if "Size" not in line])
        if command.startswith("\\dt+"):  # sizes differ: compare the names only
            out = [[line.split("|")[:3] for line in o] for o in out]
        assert out[0] == out[1], (command, out)
    db.both("DROP SCHEMA ps CASCADE")
    db.both("DROP TABLE ps_pub")


def test_pg_dump_round_trip_of_a_schema(cluster, pg):
    conn = cluster.connect()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("CREATE SCHEMA dumped")
        cur.execute("CREATE TABLE dumped.items (id int PRIMARY KEY, name text, qty int, "
                    "n serial)")
        cur.execute("CREATE TABLE items (id int PRIMARY KEY, other text)")
        cur.execute("INSERT INTO dumped.items VALUES (1, 'a', 10), (2, 'b', NULL)")
        cur.execute("CREATE SEQUENCE dumped.counter START 5")
        cur.execute("SELECT nextval('dumped.counter'), nextval('dumped.counter')")
        cur.execute("INSERT INTO items VALUES (7, 'public one')")
    admin = pg.connect()
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = 'murphy'")
        if not cur.fetchone():  # the dump's owner
            cur.execute("CREATE ROLE murphy")
        cur.execute("DROP DATABASE IF EXISTS schema_dump")
        cur.execute("CREATE DATABASE schema_dump")
    try:
        dump = subprocess.run(["pg_dump", "-d", cluster.dsn(), "-n", "dumped"],
                              capture_output=True, text=True, timeout=60)
        assert dump.returncode == 0, dump.stderr
        assert "CREATE SCHEMA dumped;" in dump.stdout, dump.stdout
        assert "CREATE TABLE dumped.items" in dump.stdout, dump.stdout
        restore = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
                                  pg.dsn("schema_dump")], input=dump.stdout,
                                 capture_output=True, text=True, timeout=60)
        assert restore.returncode == 0, restore.stderr
        target = psycopg2.connect(pg.dsn("schema_dump"))
        try:
            assert rows(target, "SELECT * FROM dumped.items ORDER BY id") == \
                rows(conn, "SELECT * FROM dumped.items ORDER BY id")
            assert rows(target, "SELECT count(*) FROM pg_tables WHERE tablename = 'items'") \
                == [(1,)]
            assert rows(target, "SELECT nextval('dumped.counter')") == [(7,)]
            assert rows(target, "INSERT INTO dumped.items (id) VALUES (3) RETURNING n") == \
                [(3,)]
        finally:
            target.close()
        assert psql(cluster.dsn(), "\\d dumped.items")[1] == \
            psql(pg.dsn("schema_dump"), "\\d dumped.items")[1]
    finally:
        with admin.cursor() as cur:
            cur.execute("DROP DATABASE IF EXISTS schema_dump")
        admin.close()
        with conn.cursor() as cur:
            cur.execute("DROP SCHEMA dumped CASCADE")
            cur.execute("DROP TABLE items")
        conn.close()
