"""Who gets in: roles and SCRAM-SHA-256 (issue 20, docs/decisions.md).

A leader started as `murphy local start` starts it (--auth scram, the
default) lets a client in only when it proves its role's password with
SCRAM-SHA-256; psql, psycopg2 and pgbench (libpq) do.  A wrong password,
an unknown user and a dropped role all get the same FATAL 28P01; a NOLOGIN
role 28000.  Roles are made, changed and dropped with CREATE / ALTER / DROP
ROLE by a superuser; a role may change its own password; the catalog keeps
only verifiers, in PostgreSQL's format (libpq's own verifier is accepted as
a password), across restarts.  current_user / session_user name the role.
`murphy leader --auth trust` takes any user name as given.
"""
import os
import sqlite3
import subprocess

import psycopg2
import psycopg2.extensions
import pytest

import murphy_auth
from conftest import Cluster
from test_fault_flag import BareLeader
from wire import login, raw

PSQL = "psql"
PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"


def connect(cluster, user, password):
    conn = psycopg2.connect(host="127.0.0.1", port=cluster.port, user=user, dbname="murphy",
                            password=password, connect_timeout=10)
    conn.autocommit = True
    return conn


def one(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def refused(cluster, user, password):
    """The FATAL's (SQLSTATE, message) of a raw SCRAM login."""
    s = raw(cluster.port)
    try:
        got = login(s, user.encode(), b"murphy", password)
    finally:
        s.close()
    assert got and got[-1][0] == b"E", got
    fields = dict((f[:1], f[1:]) for f in got[-1][1].split(b"\0") if f)
    return fields[b"C"].decode(), fields[b"M"].decode()


def psql(cluster, user, password, sql):
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if password is not None:
        env["PGPASSWORD"] = password
    return subprocess.run([PSQL, "-w", "-X", "-A", "-t", "-h", "127.0.0.1", "-p",
                           str(cluster.port), "-U", user, "-d", "murphy", "-c", sql],
                          capture_output=True, text=True, env=env, timeout=30)


@pytest.fixture(scope="module")
def admin(cluster):
    conn = connect(cluster, "murphy", murphy_auth.PASSWORD)
    assert conn.get_parameter_status("is_superuser") == "on"
    yield conn
    conn.close()


def test_psql_logs_in_with_scram_and_not_without_password(cluster):
    r = psql(cluster, "murphy", murphy_auth.PASSWORD, "SELECT current_user, session_user")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "murphy|murphy"
    r = psql(cluster, "murphy", None, "SELECT 1")
    assert r.returncode != 0
    assert "no password supplied" in r.stderr, r.stderr
    r = psql(cluster, "murphy", "wrong", "SELECT 1")
    assert r.returncode != 0
    assert 'password authentication failed for user "murphy"' in r.stderr, r.stderr


def test_wrong_password_and_unknown_user_answer_alike(cluster):
    assert refused(cluster, "murphy", "not-the-password") == (
        "28P01", 'password authentication failed for user "murphy"')
    assert refused(cluster, "nobody", murphy_auth.PASSWORD) == (
        "28P01", 'password authentication failed for user "nobody"')
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        connect(cluster, "murphy", "not-the-password")


def test_role_created_then_used(cluster, admin):
    with admin.cursor() as cur:
        cur.execute("DROP ROLE IF EXISTS alice")
        cur.execute("CREATE USER alice WITH PASSWORD 'alice-1'")
    conn = connect(cluster, "alice", "alice-1")
    assert one(conn, "SELECT current_user, session_user, user") == ("alice", "alice", "alice")
    assert conn.get_parameter_status("is_superuser") == "off"
    assert one(conn, "SHOW is_superuser") == ("off",)
    with pytest.raises(psycopg2.Error) as e:
        one(conn, "CREATE ROLE mallory SUPERUSER")
    assert e.value.pgcode == "42501"
    with pytest.raises(psycopg2.Error) as e:
        one(conn, "ALTER ROLE alice SUPERUSER")
    assert e.value.pgcode == "42501"
    conn.close()
    with pytest.raises(psycopg2.Error) as e:
        one(admin, "CREATE ROLE alice")
    assert e.value.pgcode == "42710"


def test_pgbench_logs_in_as_a_new_role(cluster, admin, tmp_path):
    with admin.cursor() as cur:
        cur.execute("DROP ROLE IF EXISTS bench_user")
        cur.execute("CREATE ROLE bench_user LOGIN PASSWORD 'bench-pw'")
    script = tmp_path / "q.sql"
    script.write_text("SELECT current_user;\n")
    env = dict(os.environ, PGPASSWORD="bench-pw")
    r = subprocess.run([PGBENCH, "-n", "-c", "2", "-t", "3", "-f", str(script), "-h",
                        "127.0.0.1", "-p", str(cluster.port), "-U", "bench_user", "murphy"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "number of transactions actually processed: 6/6" in r.stdout, r.stdout
    env["PGPASSWORD"] = "bad"
    r = subprocess.run([PGBENCH, "-n", "-c", "1", "-t", "1", "-f", str(script), "-h",
                        "127.0.0.1", "-p", str(cluster.port), "-U", "bench_user", "murphy"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode != 0 and "password authentication failed" in r.stderr, r.stderr


def test_password_changed(cluster, admin):
    with admin.cursor() as cur:
        cur.execute("DROP ROLE IF EXISTS carol")
        cur.execute("CREATE USER carol PASSWORD 'old'")
        cur.execute("ALTER ROLE carol PASSWORD 'new'")
    assert refused(cluster, "carol", "old")[0] == "28P01"
    conn = connect(cluster, "carol", "new")
    with conn.cursor() as cur:  # a role changes its own password
        cur.execute("ALTER USER carol WITH PASSWORD 'newer'")
    conn.close()
    assert refused(cluster, "carol", "new")[0] == "28P01"
    connect(cluster, "carol", "newer").close()


def test_libpq_verifier_is_a_password(cluster, admin):
    """psql's \\password sends the verifier libpq computed (after SHOW
    password_encryption): PostgreSQL's format, stored as it is."""
    with admin.cursor() as cur:
        cur.execute("DROP ROLE IF EXISTS dave")
        cur.execute("CREATE USER dave")
    verifier = psycopg2.extensions.encrypt_password("libpq-made", "dave", admin)
    assert verifier.startswith("SCRAM-SHA-256$4096:")
    with admin.cursor() as cur:
        cur.execute("ALTER ROLE dave PASSWORD %s", (verifier,))
    conn = connect(cluster, "dave", "libpq-made")
    assert one(conn, "SELECT current_user") == ("dave",)
    conn.close()


def test_dropped_and_nologin_roles_refused(cluster, admin):
    with admin.cursor() as cur:
        cur.execute("DROP ROLE IF EXISTS erin, frank")
        cur.execute("CREATE USER erin PASSWORD 'e'")
        cur.execute("CREATE ROLE frank PASSWORD 'f'")  # CREATE ROLE: NOLOGIN
    connect(cluster, "erin", "e").close()
    with admin.cursor() as cur:
        cur.execute("DROP ROLE erin")
    assert refused(cluster, "erin", "e") == (
        "28P01", 'password authentication failed for user "erin"')
    assert refused(cluster, "frank", "f") == ("28000", 'role "frank" is not permitted to log in')
    with pytest.raises(psycopg2.Error) as e:
        one(admin, "DROP ROLE murphy")
    assert e.value.pgcode == "55006"
    with pytest.raises(psycopg2.Error) as e:
        one(admin, "DROP ROLE erin")
    assert e.value.pgcode == "42704"


def test_catalog_keeps_verifiers_across_restarts():
    c = Cluster(followers=1)
    try:
        c.start()
        conn = connect(c, "murphy", murphy_auth.PASSWORD)
        one(conn, "SELECT 1")
        with conn.cursor() as cur:
            cur.execute("CREATE USER gina PASSWORD 'plain-secret-text'")
        conn.close()
        c.stop()
        db = sqlite3.connect(os.path.join(c.dir, "leader", "catalog.db"))
        rows = dict(db.execute("SELECT name, verifier FROM roles").fetchall())
        db.close()
        assert set(rows) == {"murphy", "gina"}
        assert all(v.startswith("SCRAM-SHA-256$4096:") for v in rows.values()), rows
        with open(os.path.join(c.dir, "leader", "catalog.db"), "rb") as f:
            assert b"plain-secret-text" not in f.read()
        c.start()
        conn = connect(c, "gina", "plain-secret-text")
        assert one(conn, "SELECT session_user") == ("gina",)
        conn.close()
    finally:
        c.cleanup()


def test_trust_takes_any_user_name():
    leader = BareLeader("--auth", "trust")
    try:
        conn = leader.connect()
        conn.close()
        conn = psycopg2.connect(host="127.0.0.1", port=leader.port, user="whoever",
                                dbname="murphy", password="ignored", connect_timeout=10)
        assert one(conn, "SELECT current_user") == ("whoever",)
        conn.close()
    finally:
        leader.stop()


def test_fault_injection_needs_a_superuser(cluster, admin):
    with admin.cursor() as cur:
        cur.execute("DROP ROLE IF EXISTS henry")
        cur.execute("CREATE USER henry PASSWORD 'h'")
    conn = connect(cluster, "henry", "h")
    with pytest.raises(psycopg2.Error) as e:
        one(conn, "SELECT murphy.fault('heal')")
    assert e.value.pgcode == "42501", e.value
    assert "superuser" in str(e.value)
    conn.close()
    assert one(admin, "SELECT murphy.fault('heal')")[0]


def test_moves_splits_and_rebalance_need_a_superuser(cluster, admin):
    """murphy.move_placement, split_shard and rebalance change where every
    user's data lives: 42501 for another role, even one granted the table
    (before, any role could move, split and rebalance)."""
    with admin.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS placed")
        cur.execute("CREATE TABLE placed (id int PRIMARY KEY) WITH (shards = 2, replicas = 1)")
        cur.execute("DROP ROLE IF EXISTS irene")
        cur.execute("CREATE USER irene PASSWORD 'i'")
        cur.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON placed TO irene")
        cur.execute("SELECT node FROM murphy.placements WHERE table_name = 'placed' "
                    "AND shard = 0")
        src = cur.fetchone()[0]
        cur.execute("SELECT name FROM murphy.nodes WHERE role = 'follower' AND name <> %s "
                    "ORDER BY name LIMIT 1", (src,))
        dst = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM murphy.shards WHERE table_name = 'placed'")
        nshards = cur.fetchone()[0]
    conn = connect(cluster, "irene", "i")
    for sql in ("SELECT murphy.move_placement('placed', 0, '%s', '%s')" % (src, dst),
                "SELECT murphy.split_shard('placed', 0)",
                "SELECT murphy.rebalance()"):
        with pytest.raises(psycopg2.Error) as e:
            one(conn, sql)
        assert e.value.pgcode == "42501", (sql, e.value)
        assert "needs a superuser" in str(e.value), e.value
    conn.close()
    with admin.cursor() as cur:  # nothing moved or split
        cur.execute("SELECT node FROM murphy.placements WHERE table_name = 'placed' "
                    "AND shard = 0")
        assert cur.fetchone()[0] == src
        cur.execute("SELECT count(*) FROM murphy.shards WHERE table_name = 'placed'")
        assert cur.fetchone()[0] == nshards
    assert "moved" in one(admin, "SELECT murphy.move_placement('placed', 0, '%s', '%s')"
                          % (src, dst))[0]


def test_grant_and_revoke_table_privileges(cluster, admin):
    with admin.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS ledger")
        cur.execute("DROP TABLE IF EXISTS other")
        cur.execute("CREATE TABLE ledger (id int PRIMARY KEY, v int)")
        cur.execute("CREATE TABLE other (id int PRIMARY KEY)")
        cur.execute("INSERT INTO ledger VALUES (1, 10)")
        cur.execute("DROP ROLE IF EXISTS ivan")
        cur.execute("CREATE USER ivan PASSWORD 'i'")
    conn = connect(cluster, "ivan", "i")

    def code(sql):
        with pytest.raises(psycopg2.Error) as e:
            one(conn, sql)
        return e.value.pgcode, str(e.value)

    assert code("SELECT v FROM ledger")[0] == "42501"
    assert "permission denied for table ledger" in code("SELECT v FROM ledger")[1]
    assert code("CREATE TABLE mine (id int)")[0] == "42501"
    assert code("GRANT SELECT ON ledger TO ivan")[0] == "42501"
    with admin.cursor() as cur:
        cur.execute("GRANT SELECT, INSERT ON ledger TO ivan")
    assert one(conn, "SELECT v FROM ledger WHERE id = 1") == (10,)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO ledger VALUES (2, 20)")
    assert code("UPDATE ledger SET v = 0 WHERE id = 1")[0] == "42501"
    assert code("DELETE FROM ledger WHERE id = 1")[0] == "42501"
    assert code("SELECT * FROM ledger JOIN other ON ledger.id = other.id")[0] == "42501"
    assert code("INSERT INTO other SELECT id FROM ledger")[0] == "42501"
    with admin.cursor() as cur:
        cur.execute("REVOKE SELECT ON ledger FROM ivan")
    assert code("SELECT v FROM ledger")[0] == "42501"
    with admin.cursor() as cur:
        cur.execute("GRANT ALL ON TABLE ledger TO PUBLIC")
    with conn.cursor() as cur:
        cur.execute("UPDATE ledger SET v = 11 WHERE id = 1")
        cur.execute("DELETE FROM ledger WHERE id = 2")
    assert one(conn, "SELECT v FROM ledger WHERE id = 1") == (11,)
    with admin.cursor() as cur:
        cur.execute("REVOKE ALL ON ledger FROM PUBLIC")
    assert code("SELECT v FROM ledger")[0] == "42501"
    with admin.cursor() as cur:
        cur.execute("REVOKE ALL ON ledger FROM ivan")
    assert code("INSERT INTO ledger VALUES (3, 30)")[0] == "42501"
    conn.close()


def test_view_privileges_as_postgres(cluster, admin):
    """Reading a view needs SELECT on the view, and its tables are read
    with its owner's privileges (a superuser: only they create views), as
    in PostgreSQL: a view can give a role some columns of a table it may
    not read.  GRANT on a view was 0A000 ("its views are read-only"), and
    a view was read with the reader's privileges on its tables.  A dropped
    view's grants do not pass to a new view of the same name."""
    with admin.cursor() as cur:
        cur.execute("DROP VIEW IF EXISTS payroll_names")
        cur.execute("DROP TABLE IF EXISTS payroll")
        cur.execute("CREATE TABLE payroll (id int PRIMARY KEY, name text, salary int)")
        cur.execute("INSERT INTO payroll VALUES (1, 'ann', 100), (2, 'bo', 200)")
        cur.execute("CREATE VIEW payroll_names AS SELECT id, name FROM payroll")
        cur.execute("DROP ROLE IF EXISTS vera")
        cur.execute("CREATE USER vera PASSWORD 'v'")
    conn = connect(cluster, "vera", "v")

    def code(sql):
        with pytest.raises(psycopg2.Error) as e:
            one(conn, sql)
        return e.value.pgcode, e.value.diag.message_primary

    assert code("SELECT * FROM payroll_names") == ("42501",
                                                   "permission denied for view payroll_names")
    with admin.cursor() as cur:
        cur.execute("GRANT SELECT ON payroll_names TO vera")
    with conn.cursor() as cur:
        cur.execute("SELECT name FROM payroll_names ORDER BY id")
        assert cur.fetchall() == [("ann",), ("bo",)]
    assert code("SELECT salary FROM payroll")[0] == "42501"  # the table itself stays closed
    with admin.cursor() as cur:
        cur.execute("REVOKE SELECT ON payroll_names FROM vera")
    assert code("SELECT * FROM payroll_names")[0] == "42501"
    with admin.cursor() as cur:
        cur.execute("GRANT SELECT ON payroll_names TO vera")
        cur.execute("DROP VIEW payroll_names")
        cur.execute("CREATE VIEW payroll_names AS SELECT id, salary FROM payroll")
    assert code("SELECT * FROM payroll_names")[0] == "42501"
    conn.close()


def test_schema_usage_as_postgres(cluster, admin, pgconn):
    """GRANT / REVOKE USAGE ON SCHEMA (issue 20), compared with PostgreSQL
    15: a role without USAGE on schema vault gets 42501 "permission denied
    for schema vault" at the name's position for a table or view there, even
    holding SELECT on it; after the GRANT it reads, after the REVOKE not
    again; pg_namespace.nspacl lists the grants as PostgreSQL's aclitem[].
    Before, GRANT USAGE ON SCHEMA was 0A000 and schemas gated nothing."""
    setup = ["DROP SCHEMA IF EXISTS vault CASCADE",
             "CREATE SCHEMA vault",
             "CREATE TABLE vault.gold (id int PRIMARY KEY, v int)",
             "INSERT INTO vault.gold VALUES (1, 10), (2, 20)",
             "CREATE VIEW vault.gold_ids AS SELECT id FROM vault.gold",
             "CREATE SEQUENCE vault.tick",
             "DROP ROLE IF EXISTS sam"]
    with admin.cursor() as cur, pgconn.cursor() as pcur:
        for sql in setup:
            cur.execute(sql)
            pcur.execute(sql)
        cur.execute("CREATE USER sam PASSWORD 's'")
        pcur.execute("CREATE ROLE sam")
        pcur.execute("SELECT current_user")
        pg_owner = pcur.fetchone()[0]
    conn = connect(cluster, "sam", "s")

    def both(sql):
        """Run sql as a superuser on murphy and on PostgreSQL."""
        with admin.cursor() as cur, pgconn.cursor() as pcur:
            cur.execute(sql)
            pcur.execute(sql)

    def as_sam(sql):
        """(rows or None, error (SQLSTATE, message, position)) on murphy, on
        PostgreSQL (SET ROLE sam there)."""
        out = []
        for c, pg_side in ((conn, False), (pgconn, True)):
            with c.cursor() as cur:
                try:
                    if pg_side:
                        cur.execute("SET ROLE sam")
                    cur.execute(sql)
                    out.append((cur.fetchall() if cur.description else None, None))
                except psycopg2.Error as e:
                    out.append((None, (e.pgcode, e.diag.message_primary,
                                       e.diag.statement_position)))
                finally:
                    if pg_side:
                        cur.execute("RESET ROLE")
        return out

    def nspacl():
        got = one(admin, "SELECT nspacl::text FROM pg_namespace WHERE nspname = 'vault'")[0]
        want = one(pgconn, "SELECT nspacl::text FROM pg_namespace WHERE nspname = 'vault'")[0]
        return got, want and want.replace(pg_owner, "murphy")

    both("GRANT SELECT, INSERT ON vault.gold, vault.gold_ids TO sam")
    with pgconn.cursor() as pcur:  # murphy's sequences carry no grants
        pcur.execute("GRANT ALL ON SEQUENCE vault.tick TO sam")
    denied = ("42501", "permission denied for schema vault")
    privileges = ("SELECT has_schema_privilege('vault', 'USAGE'), "
                  "has_schema_privilege('sam', 'vault', 'usage'), "
                  "has_schema_privilege('sam', 'vault', 'CREATE, USAGE'), "
                  "has_schema_privilege('sam', 'vault', 'CREATE'), "
                  "has_schema_privilege('sam', 'public', 'USAGE')")
    m, p = as_sam(privileges)
    assert m == p == ([(False, False, False, False, True)], None), (m, p)
    for sql in ("SELECT has_schema_privilege('sam', 'nowhere', 'USAGE')",
                "SELECT has_schema_privilege('sam', 'vault', 'SELECT')",
                "SELECT has_schema_privilege('nobody_here', 'vault', 'USAGE')"):
        m, p = as_sam(sql)
        assert p[1] and m[1][:2] == p[1][:2], (sql, m, p)
    for sql in ("SELECT nextval('vault.tick')", "SELECT currval('vault.tick'::regclass)",
                "SELECT * FROM vault.tick",
                "SELECT v FROM vault.gold ORDER BY id",
                "SELECT * FROM vault.gold_ids ORDER BY id",
                "SELECT 1 FROM (SELECT 1) x JOIN vault.gold g ON true",
                "INSERT INTO vault.gold VALUES (3, 30)",
                "SELECT * FROM vault.nothing"):
        m, p = as_sam(sql)
        assert p[1] and p[1][:2] == denied, (sql, p)
        assert m == p, sql
    for sql in ("COPY vault.gold TO STDOUT", "TRUNCATE vault.gold"):  # PostgreSQL: no position
        m, p = as_sam(sql)
        assert p[1][:2] == denied and m[1][:2] == denied, (sql, m, p)
    assert nspacl() == (None, None)
    as_sam("SET search_path = vault, public")  # a schema without USAGE is left out
    m, p = as_sam("SELECT v FROM gold")
    assert p[1] and p[1][0] == "42P01" and m == p, (m, p)

    both("GRANT USAGE ON SCHEMA vault TO sam")
    for sql in ("SELECT v FROM vault.gold ORDER BY id", "SELECT * FROM vault.gold_ids ORDER BY id",
                "SELECT nextval('vault.tick')", privileges, "SELECT v FROM gold ORDER BY id"):
        m, p = as_sam(sql)
        assert p[0] and m == p, (sql, m, p)
    got, want = nspacl()
    assert got == want and "sam=U/" in got, (got, want)

    m, p = as_sam("PREPARE gold_q AS SELECT v FROM vault.gold ORDER BY id")
    assert m == p == (None, None), (m, p)
    both("REVOKE USAGE ON SCHEMA vault FROM sam")
    m, p = as_sam("SELECT v FROM vault.gold")
    assert m == p and p[1][:2] == denied, (m, p)
    m, p = as_sam("EXECUTE gold_q")  # a prepared one is checked again
    assert m[1][:2] == p[1][:2] == denied, (m, p)  # the position: the PREPARE's in PostgreSQL
    both("GRANT USAGE ON SCHEMA vault TO PUBLIC")
    m, p = as_sam("SELECT v FROM vault.gold ORDER BY id")
    assert p[0] and m == p, (m, p)
    got, want = nspacl()
    assert got == want and ",=U/" in got, (got, want)
    both("REVOKE USAGE ON SCHEMA vault FROM PUBLIC")
    m, p = as_sam("SELECT v FROM vault.gold")
    assert m == p and p[1][:2] == denied, (m, p)

    with pytest.raises(psycopg2.Error) as e:  # only a superuser grants
        one(conn, "GRANT USAGE ON SCHEMA vault TO sam")
    assert e.value.pgcode == "42501"
    for sql, code in (("GRANT USAGE ON SCHEMA nowhere TO sam", "3F000"),
                      ("GRANT CREATE ON SCHEMA vault TO sam", "0A000"),
                      ("GRANT ALL ON SCHEMA vault TO sam", "0A000"),
                      ("REVOKE USAGE ON SCHEMA public FROM PUBLIC", "0A000")):
        with pytest.raises(psycopg2.Error) as e:
            one(admin, sql)
        assert e.value.pgcode == code, (sql, e.value)

    # a dropped schema's grants go with it: a new vault starts closed
    both("GRANT USAGE ON SCHEMA vault TO sam")
    both("DROP SCHEMA vault CASCADE")
    both("CREATE SCHEMA vault")
    both("CREATE TABLE vault.gold (id int PRIMARY KEY, v int)")
    both("GRANT SELECT ON vault.gold TO sam")
    assert nspacl() == (None, None)
    m, p = as_sam("SELECT v FROM vault.gold")
    assert m == p and p[1][:2] == denied, (m, p)
    conn.close()
    both("DROP SCHEMA vault CASCADE")
    with pgconn.cursor() as pcur:
        pcur.execute("DROP ROLE sam")


def test_schema_usage_survives_a_restart():
    """GRANT USAGE ON SCHEMA is kept in catalog.db: after the leader
    restarts the granted role still reads the schema's table and another
    role still may not; a dropped schema's grants are gone from the file
    too, so a schema created again later (the same id) starts closed
    (before: GRANT USAGE ON SCHEMA was 0A000)."""
    c = Cluster(followers=1)
    try:
        c.start()
        conn = connect(c, "murphy", murphy_auth.PASSWORD)
        with conn.cursor() as cur:
            for sql in ("CREATE SCHEMA keep", "CREATE TABLE keep.t (id int PRIMARY KEY)",
                        "INSERT INTO keep.t VALUES (7)", "CREATE USER kim PASSWORD 'k'",
                        "CREATE USER ken PASSWORD 'k'", "GRANT SELECT ON keep.t TO kim, ken",
                        "GRANT USAGE ON SCHEMA keep TO kim",
                        # the last schema's id comes back after a restart: its grants must not
                        "CREATE SCHEMA gone", "GRANT USAGE ON SCHEMA gone TO ken",
                        "DROP SCHEMA gone"):
                cur.execute(sql)
        conn.close()
        c.stop()
        c.start()
        conn = connect(c, "murphy", murphy_auth.PASSWORD)
        with conn.cursor() as cur:
            cur.execute("CREATE SCHEMA gone")
            cur.execute("CREATE TABLE gone.t (id int PRIMARY KEY)")
            cur.execute("GRANT SELECT ON gone.t TO ken")
        assert one(conn, "SELECT nspacl FROM pg_namespace WHERE nspname = 'gone'") == (None,)
        conn.close()
        kim = connect(c, "kim", "k")
        assert one(kim, "SELECT id FROM keep.t") == (7,)
        kim.close()
        ken = connect(c, "ken", "k")
        for schema in ("keep", "gone"):
            with pytest.raises(psycopg2.Error) as e:
                one(ken, "SELECT id FROM %s.t" % schema)
            assert (e.value.pgcode, e.value.diag.message_primary) == (
                "42501", "permission denied for schema " + schema)
        ken.close()
    finally:
        c.cleanup()
