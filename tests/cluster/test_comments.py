"""COMMENT ON TABLE / VIEW / COLUMN / INDEX / SCHEMA ... IS (catalog_comment.c):
what pg_description, obj_description, col_description and psql's \\d+ /
\\dt+ show, compared with PostgreSQL 15; errors as PostgreSQL's; a comment
goes with its object and survives a leader restart."""
import re
import subprocess

import pytest

from conftest import Cluster

SCHEMA = [
    "CREATE TABLE cm_t (id int PRIMARY KEY, name text, score float8)",
    "CREATE INDEX cm_t_score_idx ON cm_t (score)",
    "CREATE VIEW cm_v AS SELECT id, name FROM cm_t",
    "CREATE SCHEMA cm_s",
    "CREATE TABLE cm_s.inner_t (k int PRIMARY KEY, v text)",
]
COMMENTS = [
    "COMMENT ON TABLE cm_t IS 'the table''s comment'",
    "COMMENT ON COLUMN cm_t.name IS 'who'",
    "COMMENT ON COLUMN cm_t.score IS 'how well'",
    "COMMENT ON VIEW cm_v IS 'a view'",
    "COMMENT ON COLUMN cm_v.name IS 'the view''s name'",
    "COMMENT ON INDEX cm_t_score_idx IS 'by score'",
    "COMMENT ON SCHEMA cm_s IS 'a schema'",
    "COMMENT ON TABLE cm_s.inner_t IS 'qualified'",
    "COMMENT ON COLUMN cm_s.inner_t.v IS 'qualified column'",
]
# pg_description by the names of the objects (OIDs differ between servers)
DESCRIBED = """
SELECT c.relname::text, d.objsubid, d.description FROM pg_description d
JOIN pg_class c ON c.oid = d.objoid
WHERE d.classoid = 'pg_class'::regclass AND c.relname LIKE '%s'
ORDER BY 1, 2"""


@pytest.fixture(scope="module")
def both(db):
    for s in SCHEMA + COMMENTS:
        db.exec_both(s)
    return db


def test_descriptions_match_postgres(both):
    rows = both.both(DESCRIBED % "cm_%")
    assert len(rows) == 6, rows
    rows = both.both(DESCRIBED % "inner_t")
    assert rows == [("inner_t", 0, "qualified"), ("inner_t", 2, "qualified column")]
    assert both.both(
        "SELECT obj_description('cm_t'::regclass, 'pg_class'), "
        "obj_description('cm_v'::regclass), col_description('cm_t'::regclass, 2), "
        "col_description('cm_t'::regclass, 1), obj_description('cm_t_score_idx'::regclass)"
    ) == [("the table's comment", "a view", "who", None, "by score")]
    assert both.both("SELECT n.nspname::text, obj_description(n.oid, 'pg_namespace') FROM "
                     "pg_namespace n WHERE nspname IN ('cm_s', 'public') ORDER BY 1") == \
        [("cm_s", "a schema"), ("public", "standard public schema")]


def test_is_null_and_empty_drop_a_comment(both):
    both.exec_both("CREATE TABLE cm_n (a int, b int)")
    both.exec_both("COMMENT ON TABLE cm_n IS 'x'")
    both.exec_both("COMMENT ON COLUMN cm_n.b IS 'y'")
    both.exec_both("COMMENT ON TABLE cm_n IS 'replaced'")
    assert both.both(DESCRIBED % "cm_n") == [("cm_n", 0, "replaced"), ("cm_n", 2, "y")]
    both.exec_both("COMMENT ON TABLE cm_n IS NULL")
    both.exec_both("COMMENT ON COLUMN cm_n.b IS ''")
    assert both.both(DESCRIBED % "cm_n") == []


def test_comment_goes_with_its_object(both):
    both.exec_both("CREATE TABLE cm_d (a int)")
    both.exec_both("CREATE INDEX cm_d_a ON cm_d (a)")
    both.exec_both("COMMENT ON TABLE cm_d IS 'old'")
    both.exec_both("COMMENT ON INDEX cm_d_a IS 'old index'")
    both.exec_both("DROP TABLE cm_d")
    both.exec_both("CREATE TABLE cm_d (a int)")
    both.exec_both("CREATE INDEX cm_d_a ON cm_d (a)")
    assert both.both(DESCRIBED % "cm_d%") == []
    both.exec_both("CREATE SCHEMA cm_s2")
    both.exec_both("COMMENT ON SCHEMA cm_s2 IS 'gone soon'")
    both.exec_both("DROP SCHEMA cm_s2")
    both.exec_both("CREATE SCHEMA cm_s2")
    assert both.both("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace "
                     "WHERE nspname = 'cm_s2'") == [(None,)]


@pytest.mark.parametrize("sql,code", [
    ("COMMENT ON TABLE cm_missing IS 'x'", "42P01"),
    ("COMMENT ON VIEW cm_missing IS 'x'", "42P01"),
    ("COMMENT ON COLUMN cm_missing.a IS 'x'", "42P01"),
    ("COMMENT ON COLUMN cm_t.missing IS 'x'", "42703"),
    ("COMMENT ON INDEX cm_missing IS 'x'", "42P01"),
    ("COMMENT ON SCHEMA cm_missing IS 'x'", "3F000"),
    ("COMMENT ON TABLE cm_v IS 'x'", "42809"),
    ("COMMENT ON VIEW cm_t IS 'x'", "42809"),
    ("COMMENT ON INDEX cm_t IS 'x'", "42809"),
])
def test_errors_as_postgres(both, sql, code):
    both.both_error(sql, code)


def test_unsupported_objects_are_0A000(both):
    with both.m.cursor() as cur:
        for sql in ("COMMENT ON FUNCTION now() IS 'x'",  # SEQUENCE and CONSTRAINT:
                    "COMMENT ON TYPE int4 IS 'x'"):    # test_comments_more.py
            try:
                cur.execute(sql)
                raise AssertionError("accepted: " + sql)
            except Exception as e:  # psycopg2 error with its SQLSTATE
                assert getattr(e, "pgcode", None) == "0A000", (sql, e)


def psql(dsn, command):
    r = subprocess.run(["psql", "-X", "-d", dsn, "-c", command], capture_output=True,
                       text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def described(out):
    """psql's table output as cells, widths and sizes taken out."""
    lines = []
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("|")]
        lines.append([re.sub(r"^\d+ (bytes|kB)$", "SIZE", c) for c in cells])
    return lines


@pytest.mark.parametrize("command", ["\\d+ cm_t", "\\d+ cm_v", "\\dt+ cm_*", "\\dv+ cm_*",
                                     "\\di+ cm_t_score_idx", "\\dn+ cm_s"])
def test_psql_shows_descriptions(cluster, both, command):
    p = both.p.get_dsn_parameters()
    pg_dsn = "host=%s port=%s user=%s dbname=%s" % (p["host"], p["port"], p["user"],
                                                    p["dbname"])
    rc, out_m = psql(cluster.dsn(), command)
    assert rc == 0 and "ERROR" not in out_m, out_m
    _, out_p = psql(pg_dsn, command)
    out_p = out_p.replace(p["user"], "murphy")
    got = [[c for c in row if c not in ("SIZE",)] for row in described(out_m)]
    want = [[c for c in row if c not in ("SIZE",)] for row in described(out_p)]
    # the description is in murphy's output where PostgreSQL prints it
    for text in ("the table's comment", "who", "a view", "by score", "a schema"):
        assert (text in out_p) == (text in out_m), (command, out_m, out_p)
    if command == "\\d+ cm_t":  # a view's definition text differs (pgc_deparse)
        assert got == want, (out_m, out_p)


def test_comment_survives_leader_restart():
    c = Cluster(followers=1)
    try:
        c.start()
        conn = c.connect()
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE cm_r (a int, b text)")
            cur.execute("COMMENT ON TABLE cm_r IS 'kept'")
            cur.execute("COMMENT ON COLUMN cm_r.b IS 'kept too'")
        conn.close()
        c.stop()
        c.start()
        conn = c.connect()
        with conn.cursor() as cur:
            cur.execute("SELECT obj_description('cm_r'::regclass, 'pg_class'), "
                        "col_description('cm_r'::regclass, 2)")
            assert cur.fetchall() == [("kept", "kept too")]
        conn.close()
    finally:
        c.cleanup()


def test_column_comment_follows_rename_and_goes_with_drop(both):
    both.exec_both("CREATE TABLE cm_a (k int PRIMARY KEY, a int, b int)")
    both.exec_both("COMMENT ON COLUMN cm_a.a IS 'was a'")
    both.exec_both("COMMENT ON COLUMN cm_a.b IS 'b'")
    both.exec_both("ALTER TABLE cm_a RENAME COLUMN a TO a2")
    assert both.both(DESCRIBED % "cm_a") == [("cm_a", 2, "was a"), ("cm_a", 3, "b")]
    both.exec_both("ALTER TABLE cm_a DROP COLUMN a2")
    both.exec_both("ALTER TABLE cm_a ADD COLUMN a2 int")
    # by name: murphy numbers the columns after a DROP anew, PostgreSQL keeps gaps
    assert both.both("SELECT attname::text, col_description(attrelid, attnum) FROM pg_attribute"
                     " WHERE attrelid = 'cm_a'::regclass AND attnum > 0 AND NOT attisdropped"
                     " ORDER BY 1") == [("a2", None), ("b", "b"), ("k", None)]


def test_comment_needs_a_superuser_and_no_block(cluster, both):
    """Tables have no owners in murphy: COMMENT, like other DDL, needs a
    superuser (42501, as PostgreSQL's for a non-owner); inside a block it is
    0A000 (a rollback could not take it back)."""
    import psycopg2
    with both.m.cursor() as cur:
        cur.execute("CREATE USER cm_user PASSWORD 'cm-secret'")
    try:
        conn = psycopg2.connect(cluster.dsn(user="cm_user") + " password=cm-secret")
        conn.autocommit = True
        with conn.cursor() as cur:
            with pytest.raises(psycopg2.Error) as e:
                cur.execute("COMMENT ON TABLE cm_t IS 'not mine'")
            assert e.value.pgcode == "42501", e.value
        conn.close()
        both.m.autocommit = False
        try:
            with both.m.cursor() as cur:
                with pytest.raises(psycopg2.Error) as e:
                    cur.execute("COMMENT ON TABLE cm_t IS 'in a block'")
                assert e.value.pgcode == "0A000", e.value
        finally:
            both.m.rollback()
            both.m.autocommit = True
        assert both.murphy("SELECT obj_description('cm_t'::regclass, 'pg_class')")[1] == \
            [("the table's comment",)]
    finally:
        with both.m.cursor() as cur:
            cur.execute("DROP USER cm_user")


def test_public_schema_comment(both):
    sql = ("SELECT obj_description(oid, 'pg_namespace'), (SELECT count(*) FROM pg_description"
           " WHERE objoid = n.oid) AS c FROM pg_namespace n WHERE nspname = 'public'")
    assert both.both(sql) == [("standard public schema", 1)]
    try:
        both.exec_both("COMMENT ON SCHEMA public IS 'changed'")
        assert both.both(sql) == [("changed", 1)]
        both.exec_both("COMMENT ON SCHEMA public IS NULL")
        assert both.both(sql) == [(None, 0)]
    finally:
        both.exec_both("COMMENT ON SCHEMA public IS 'standard public schema'")
    with both.m.cursor() as cur:
        with pytest.raises(Exception) as e:
            cur.execute("COMMENT ON SCHEMA murphy IS 'x'")
        assert e.value.pgcode == "0A000"
