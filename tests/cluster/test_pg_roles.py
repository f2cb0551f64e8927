"""pg_roles, pg_user and the role OIDs, compared with PostgreSQL 15
(issue 20; src/pgcatalog/pgc_role.c).

The same roles are created on murphy and on PostgreSQL; pg_roles and
pg_user list every one with its attributes, psql's `\\du` prints the same
table, pg_get_userbyid and has_schema_privilege take the OIDs pg_roles
shows, and a role's OID stays the same across a restart.  Before, pg_roles
listed only the session's user, always a superuser with OID 10.  The
reference PostgreSQL is shared by every module (its roles are the
cluster's), so each comparison looks at this module's roles, named pr_*,
and the bootstrap superuser (OID 10, named differently on the two).
"""
import subprocess

import psycopg2
import pytest

import murphy_auth

ROLES = [
    "CREATE ROLE pr_admin SUPERUSER LOGIN PASSWORD 'a'",
    "CREATE USER pr_user PASSWORD 'u'",
    "CREATE ROLE pr_group",
    "CREATE USER pr_gone",
    "DROP ROLE pr_gone",
    "ALTER ROLE pr_group PASSWORD 'g'",
]
DROP = ("DROP VIEW IF EXISTS pr_v; DROP TABLE IF EXISTS pr_t; DROP TABLE IF EXISTS pr_c;"
        " DROP ROLE IF EXISTS pr_admin, pr_user, pr_group, pr_gone")

ROLES_QUERY = (
    "SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin,"
    " rolreplication, rolconnlimit, rolpassword, rolvaliduntil, rolbypassrls, rolconfig"
    " FROM pg_roles WHERE rolname LIKE 'pr\\_%' ORDER BY 1")


def connect(port, user, password):
    conn = psycopg2.connect(host="127.0.0.1", port=port, user=user, dbname="murphy",
                            password=password, connect_timeout=10)
    conn.autocommit = True
    return conn


def rows(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


@pytest.fixture(scope="module")
def both(cluster, pgconn):
    m = connect(cluster.port, "murphy", murphy_auth.PASSWORD)
    for conn in (m, pgconn):
        with conn.cursor() as cur:
            for sql in DROP.split(";"):
                cur.execute(sql)
            for sql in ROLES:
                cur.execute(sql)
    yield m, pgconn
    m.close()
    with pgconn.cursor() as cur:
        for sql in DROP.split(";"):
            cur.execute(sql)


def same(both, sql):
    got, want = (rows(c, sql) for c in both)
    assert got == want, (got, want)
    return got


def test_pg_roles_lists_every_role_with_its_attributes(both):
    got = same(both, ROLES_QUERY)
    assert [r[0] for r in got] == ["pr_admin", "pr_group", "pr_user"]
    assert [r[1] for r in got] == [True, False, False]  # rolsuper
    assert [r[5] for r in got] == [True, False, True]  # rolcanlogin


def test_pg_user_lists_the_roles_that_log_in(both):
    got = same(both, "SELECT usename, usecreatedb, usesuper, userepl, usebypassrls, passwd,"
               " valuntil, useconfig FROM pg_user WHERE usename LIKE 'pr\\_%' ORDER BY 1")
    assert [r[0] for r in got] == ["pr_admin", "pr_user"]


def test_bootstrap_superuser_is_oid_10(both):
    got = same(both, "SELECT rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin,"
               " rolreplication, rolbypassrls, rolconnlimit FROM pg_roles WHERE oid = 10")
    assert len(got) == 1
    assert rows(both[0], "SELECT rolname FROM pg_roles WHERE oid = 10") == [("murphy",)]


def test_oids_are_distinct_and_name_their_roles(both):
    """pg_get_userbyid and pg_user.usesysid agree with pg_roles.oid."""
    for conn in both:
        got = rows(conn, "SELECT r.rolname, pg_get_userbyid(r.oid), u.usesysid = r.oid"
                   " FROM pg_roles r LEFT JOIN pg_user u ON u.usename = r.rolname"
                   " WHERE r.rolname LIKE 'pr\\_%' ORDER BY 1")
        assert got == [("pr_admin", "pr_admin", True), ("pr_group", "pr_group", None),
                       ("pr_user", "pr_user", True)]
        oids = rows(conn, "SELECT oid FROM pg_roles WHERE rolname LIKE 'pr\\_%' OR oid = 10")
        assert len(set(oids)) == 4


def test_has_schema_privilege_takes_role_oids(both):
    same(both, "SELECT rolname, has_schema_privilege(oid, 'public', 'CREATE'),"
         " has_schema_privilege(oid, 'public', 'USAGE') FROM pg_roles"
         " WHERE rolname LIKE 'pr\\_%' ORDER BY 1")


def test_has_table_privilege_as_postgres(both):
    """By role name and OID, for a table, a view and a catalog relation;
    before, has_table_privilege was true for everyone."""
    for conn in both:
        with conn.cursor() as cur:
            for sql in ("DROP VIEW IF EXISTS pr_v", "DROP TABLE IF EXISTS pr_t",
                        "CREATE TABLE pr_t (id int PRIMARY KEY, v int)",
                        "CREATE VIEW pr_v AS SELECT id FROM pr_t",
                        "GRANT SELECT, UPDATE ON pr_t TO pr_user",
                        "GRANT SELECT ON pr_v TO PUBLIC"):
                cur.execute(sql)
    got = same(both, "SELECT rolname,"
               " has_table_privilege(rolname, 'pr_t', 'SELECT'),"
               " has_table_privilege(oid, 'pr_t', 'INSERT'),"
               " has_table_privilege(rolname, 'pr_t', 'insert, update'),"
               " has_table_privilege(oid, 'public.pr_t', 'TRUNCATE'),"
               " has_table_privilege(rolname, 'pr_t', 'SELECT WITH GRANT OPTION'),"
               " has_table_privilege(rolname, 'pr_v', 'SELECT'),"
               " has_table_privilege(rolname, 'pr_v', 'DELETE'),"
               " has_table_privilege(rolname, 'pg_class', 'SELECT'),"
               " has_table_privilege(rolname, 'pg_class', 'UPDATE')"
               " FROM pg_roles WHERE rolname LIKE 'pr\\_%' ORDER BY 1")
    assert got[2] == ("pr_user", True, False, True, False, False, True, False, True, False)
    same(both, "SELECT has_table_privilege('pr_t', 'SELECT'),"
         " has_table_privilege('pr_t'::regclass, 'DELETE')")
    for conn in both:
        with conn.cursor() as cur:
            with pytest.raises(psycopg2.Error) as e:
                cur.execute("SELECT has_table_privilege('pr_user', 'pr_t', 'FLY')")
            assert e.value.pgcode == "22023"
            with pytest.raises(psycopg2.Error) as e:
                cur.execute("SELECT has_table_privilege('pr_user', 'pr_nope', 'SELECT')")
            assert e.value.pgcode == "42P01"
            cur.execute("DROP VIEW pr_v")
            cur.execute("DROP TABLE pr_t")


def test_has_column_privilege_as_postgres(both):
    """A column's privilege is its table's (murphy keeps no column
    grants), by role name and OID, column name and number; an unknown
    column is 42703, an attnum past the last NULL.  Before, both
    functions were true for everyone, whatever the column."""
    for conn in both:
        with conn.cursor() as cur:
            for sql in ("DROP TABLE IF EXISTS pr_c",
                        "CREATE TABLE pr_c (id int PRIMARY KEY, v int, w text)",
                        "GRANT SELECT, INSERT ON pr_c TO pr_user"):
                cur.execute(sql)
    got = same(both, "SELECT rolname,"
               " has_column_privilege(rolname, 'pr_c', 'v', 'SELECT'),"
               " has_column_privilege(oid, 'pr_c', 'w', 'UPDATE'),"
               " has_column_privilege(rolname, 'pr_c', 2::int2, 'insert'),"
               " has_column_privilege(rolname, 'pr_c', 'id', 'REFERENCES'),"
               " has_column_privilege(rolname, 'pr_c', 'v', 'SELECT WITH GRANT OPTION'),"
               " has_column_privilege(rolname, 'pg_class', 'relname', 'SELECT'),"
               " has_any_column_privilege(rolname, 'pr_c', 'SELECT'),"
               " has_any_column_privilege(oid, 'pr_c', 'UPDATE')"
               " FROM pg_roles WHERE rolname LIKE 'pr\\_%' ORDER BY 1")
    assert got[2] == ("pr_user", True, False, True, False, False, True, True, False)
    same(both, "SELECT has_column_privilege('pr_c', 'v', 'UPDATE'),"
         " has_column_privilege('pr_c'::regclass, 9::int2, 'SELECT'),"
         " has_any_column_privilege('pr_c', 'INSERT')")
    for conn in both:
        with conn.cursor() as cur:
            for sql, code in (
                    ("SELECT has_column_privilege('pr_user', 'pr_c', 'nope', 'SELECT')", "42703"),
                    ("SELECT has_column_privilege('pr_user', 'pr_c', 'v', 'DELETE')", "22023"),
                    ("SELECT has_column_privilege('pr_user', 'pr_nope', 'v', 'SELECT')", "42P01"),
                    ("SELECT has_column_privilege('pg_class', 'nope', 'SELECT')", "42703")):
                with pytest.raises(psycopg2.Error) as e:
                    cur.execute(sql)
                assert e.value.pgcode == code, sql
            cur.execute("DROP TABLE pr_c")


def test_pg_has_role_and_has_database_privilege_as_postgres(both):
    """murphy has no role membership: a role has itself, a superuser every
    role; CONNECT and TEMPORARY are PUBLIC's, CREATE the owner's.  Before,
    both functions were true for everyone."""
    got = same(both, "SELECT a.rolname, b.rolname, pg_has_role(a.rolname, b.rolname, 'MEMBER'),"
               " pg_has_role(a.oid, b.oid, 'USAGE'),"
               " pg_has_role(a.rolname, b.oid, 'MEMBER WITH ADMIN OPTION')"
               " FROM pg_roles a, pg_roles b"
               " WHERE a.rolname LIKE 'pr\\_%' AND b.rolname LIKE 'pr\\_%' ORDER BY 1, 2")
    assert ("pr_user", "pr_group", False, False, False) in got
    got = same(both, "SELECT rolname,"
               " has_database_privilege(rolname, current_database(), 'CONNECT'),"
               " has_database_privilege(oid, current_database(), 'CREATE'),"
               " has_database_privilege(rolname, current_database(), 'temp'),"
               " has_database_privilege(rolname, current_database(), 'CONNECT WITH GRANT OPTION')"
               " FROM pg_roles WHERE rolname LIKE 'pr\\_%' ORDER BY 1")
    assert got[2] == ("pr_user", True, False, True, False)
    for conn in both:
        with conn.cursor() as cur:
            with pytest.raises(psycopg2.Error) as e:
                cur.execute("SELECT pg_has_role('pr_user', 'pr_nobody', 'MEMBER')")
            assert e.value.pgcode == "42704"
            with pytest.raises(psycopg2.Error) as e:
                cur.execute("SELECT has_database_privilege('pr_user', 'pr_no_db', 'CONNECT')")
            assert e.value.pgcode == "3D000"


def test_current_user_row_matches(cluster, both):
    m = connect(cluster.port, "pr_user", "u")
    try:
        got = rows(m, "SELECT rolname, rolsuper, rolcanlogin FROM pg_roles"
                   " WHERE rolname = current_user")
    finally:
        m.close()
    with both[1].cursor() as cur:
        cur.execute("SET ROLE pr_user")
        try:
            cur.execute("SELECT rolname, rolsuper, rolcanlogin FROM pg_roles"
                        " WHERE rolname = current_user")
            want = cur.fetchall()
        finally:
            cur.execute("RESET ROLE")
    assert got == want == [("pr_user", False, True)]


def test_owner_is_the_same_role_everywhere(cluster, both):
    """Seen by another role, a table's owner in pg_tables, pg_class and
    pg_namespace's acl is the role of OID 10 (murphy keeps no owners; its
    tables are made by superusers).  Before, pg_tables named the session's
    user as the owner of every table."""
    sql = ("SELECT t.tableowner = (SELECT rolname FROM pg_roles WHERE oid = 10),"
           " pg_get_userbyid(c.relowner) = t.tableowner, t.tableowner <> current_user"
           " FROM pg_tables t JOIN pg_class c ON c.relname = t.tablename"
           " WHERE t.tablename = 'pr_o'")
    for conn in both:
        with conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS pr_o")
            cur.execute("CREATE TABLE pr_o (id int PRIMARY KEY)")
    m = connect(cluster.port, "pr_user", "u")
    try:
        got = rows(m, sql)
    finally:
        m.close()
    with both[1].cursor() as cur:
        cur.execute("SET ROLE pr_user")
        try:
            cur.execute(sql)
            want = cur.fetchall()
        finally:
            cur.execute("RESET ROLE")
    for conn in both:
        with conn.cursor() as cur:
            cur.execute("DROP TABLE pr_o")
    assert got == want == [(True, True, True)]


def psql(dsn, command):
    r = subprocess.run(["psql", "-X", "-d", dsn, "-c", command], capture_output=True,
                       text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def test_psql_du_matches_postgres(cluster, pg, both):
    got = psql(cluster.dsn(), "\\du pr_*")
    want = psql(pg.dsn(both[1].info.dbname), "\\du pr_*")
    assert got == want, (got, want)
    assert "pr_admin  | Superuser" in got[1]
    assert "pr_group  | Cannot login" in got[1]


def test_role_oids_survive_a_restart(cluster, both):
    before = rows(both[0], "SELECT rolname, oid FROM pg_roles ORDER BY 1")
    both[0].close()
    cluster.stop()
    cluster.start()
    m = connect(cluster.port, "murphy", murphy_auth.PASSWORD)
    try:
        assert rows(m, "SELECT rolname, oid FROM pg_roles ORDER BY 1") == before
    finally:
        m.close()
