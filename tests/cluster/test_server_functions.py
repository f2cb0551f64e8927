"""Server and session functions tools call (issue 20 audit, "not in the
issue, noticed"): pg_typeof, pg_postmaster_start_time, inet_server_addr,
inet_server_port, pg_stat_activity's own running statement, and
information_schema.routines — each compared with PostgreSQL 15."""
import pytest


def one(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def columns(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        cur.fetchall()
        return [d[0] for d in cur.description]


def test_pg_typeof_names_the_type(db):
    db.exec_both("CREATE TABLE sf_t (a int PRIMARY KEY, b text, c numeric(5,2), d timestamptz)")
    db.exec_both("INSERT INTO sf_t VALUES (1, 'x', 1.5, now())")
    db.both("SELECT pg_typeof(a)::text, pg_typeof(b)::text, pg_typeof(c)::text, "
            "pg_typeof(d)::text, pg_typeof(a + 1.5)::text FROM sf_t")
    db.both("SELECT pg_typeof(1)::text, pg_typeof('x'::varchar(3))::text, "
            "pg_typeof(now())::text")


def test_pg_postmaster_start_time(db):
    assert db.both("SELECT pg_postmaster_start_time() <= now(), "
                   "pg_postmaster_start_time() > now() - interval '1 day'") == [(True, True)]
    (m,), = one(db.m, "SELECT pg_postmaster_start_time()")
    (p,), = one(db.p, "SELECT pg_postmaster_start_time()")
    assert type(m) is type(p) and m.tzinfo is not None  # timestamptz on both


def test_inet_server_addr_and_port_are_the_connections(db):
    for conn in (db.m, db.p):
        port = int(conn.get_dsn_parameters()["port"])
        addr, got = one(conn, "SELECT inet_server_addr(), inet_server_port()")[0]
        assert (str(addr), got) == ("127.0.0.1", port)


def test_pg_stat_activity_shows_the_callers_statement(db):
    sql = "SELECT query, state FROM pg_stat_activity WHERE pid = pg_backend_pid()"
    assert db.both(sql) == [(sql, "active")]


def test_information_schema_routines(db):
    sql = ("SELECT * FROM information_schema.routines WHERE routine_schema = 'public' "
           "ORDER BY routine_name")
    # names as PostgreSQL's; types are text where PostgreSQL has name/varchar
    # domains (as in murphy's other information_schema relations)
    assert columns(db.m, sql) == columns(db.p, sql)
    assert one(db.m, sql) == one(db.p, sql) == []


def test_information_schema_parameters(db):
    sql = ("SELECT * FROM information_schema.parameters WHERE specific_schema = 'public' "
           "ORDER BY specific_name, ordinal_position")
    assert columns(db.m, sql) == columns(db.p, sql)
    assert one(db.m, sql) == one(db.p, sql) == []


def test_pg_stat_activity_shows_an_idle_sessions_last_statement(cluster, db):
    import psycopg2
    p = db.p.get_dsn_parameters()
    others = [cluster.connect(),
              psycopg2.connect(host=p["host"], port=p["port"], user=p["user"],
                               dbname=p["dbname"])]
    try:
        got = []
        for other, conn in zip(others, (db.m, db.p)):
            other.autocommit = True
            with other.cursor() as cur:
                cur.execute("SELECT 41 + 1")
                pid = other.get_backend_pid()
            got.append(one(conn, "SELECT state, query FROM pg_stat_activity WHERE pid = %d"
                           % pid))
        assert got[0] == got[1] == [("idle", "SELECT 41 + 1")]
    finally:
        for other in others:
            other.close()


def described(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
        return rows, [d[1] for d in cur.description]


def test_pg_typeof_column_is_regtype(db):
    """pg_typeof's column is regtype (OID 2206) as drivers see it; ::text
    makes it text; the values are PostgreSQL's."""
    db.exec_both("CREATE TABLE sf_r (a int PRIMARY KEY, b text)")
    db.exec_both("INSERT INTO sf_r VALUES (1, 'x')")
    for sql in ["SELECT pg_typeof(1)", "SELECT pg_typeof(a), pg_typeof(b) FROM sf_r",
                "SELECT pg_typeof(1)::text, pg_typeof(1.5)", "SELECT 'int4'::regtype",
                "SELECT pg_typeof(a)::text FROM sf_r"]:
        assert described(db.m, sql) == described(db.p, sql), sql
    assert described(db.m, "SELECT pg_typeof(1)")[1] == [2206]


def test_pg_typeof_compares_with_regtype(db):
    db.both("SELECT pg_typeof(1) = 'integer'::regtype, pg_typeof(1) = 'int4'::regtype, "
            "pg_typeof(2.5) = 'numeric'::regtype, pg_typeof('x'::text) = 'integer'::regtype")
    db.both("SELECT pg_typeof('a'::text)::text, pg_typeof(1::bigint) = 'int8'::regtype")


def test_pg_typeof_in_a_query_of_pg_catalog(db):
    db.both("SELECT pg_typeof(count(*)), pg_typeof(count(*))::text FROM pg_catalog.pg_namespace "
            "WHERE nspname = 'public'")
    db.both("SELECT nspname::text, pg_typeof(1) FROM pg_namespace WHERE nspname = 'public'")
    db.both("SELECT count(*) FROM pg_namespace WHERE pg_typeof(1) = 'integer'::regtype "
            "AND nspname = 'public'")
    # a catalog column's PostgreSQL type (name, oid) is not kept: refused, not
    # answered wrong
    with db.m.cursor() as cur:
        with pytest.raises(Exception) as e:
            cur.execute("SELECT pg_typeof(relname) FROM pg_class LIMIT 1")
        assert e.value.pgcode == "0A000", e.value
    db.m.rollback()


@pytest.mark.parametrize("sql", ["SELECT rolname, rolsuper FROM pg_authid",
                                 "SELECT rolpassword FROM pg_catalog.pg_authid",
                                 "SELECT usename, passwd FROM pg_shadow"])
def test_pg_authid_is_refused_clearly(db, sql):
    """murphy shows no role's password verifier (docs/decisions.md): pg_authid
    and pg_shadow are 0A000 naming pg_roles, not 42P01 as if unknown."""
    with db.m.cursor() as cur:
        with pytest.raises(Exception) as e:
            cur.execute(sql)
        assert e.value.pgcode == "0A000", e.value
        assert "pg_roles" in str(e.value)
    db.m.rollback()
    db.both("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
