"""Schemas (CREATE SCHEMA, DROP SCHEMA): durable catalog objects that
pg_namespace, information_schema.schemata and psql's \\dn show as
PostgreSQL 15 does.  Tables, views and sequences live in public only so
far: one in another schema is 0A000 naming it.

Answers, command tags and SQLSTATEs are compared with PostgreSQL (the
``db`` fixture)."""
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


def test_objects_in_other_schemas_are_refused_naming_it(db, cluster):
    db.both("CREATE SCHEMA ref_s")
    conn = cluster.connect()
    for sql in ("CREATE TABLE ref_s.t (a int)", "CREATE VIEW ref_s.v AS SELECT 1",
                "CREATE SEQUENCE ref_s.q"):
        with pytest.raises(psycopg2.Error) as e:
            conn.cursor().execute(sql)
        assert e.value.pgcode == "0A000" and "schema" in str(e.value), (sql, e.value)
    conn.close()


def test_schemas_survive_a_leader_restart():
    c = started_cluster(1)
    try:
        conn = c.connect()
        conn.cursor().execute("CREATE SCHEMA kept")
        conn.close()
        c.kill9("leader")
        c.start()
        conn = c.connect()
        assert rows(conn, "SELECT nspname FROM pg_namespace WHERE nspname = 'kept'") == \
            [("kept",)]
        with pytest.raises(psycopg2.Error) as e:
            conn.cursor().execute("CREATE SCHEMA kept")
        assert e.value.pgcode == "42P06"
        conn.cursor().execute("DROP SCHEMA kept")
        assert rows(conn, "SELECT nspname FROM pg_namespace WHERE nspname = 'kept'") == []
        conn.close()
    finally:
        c.cleanup()
