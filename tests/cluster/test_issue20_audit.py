"""Gaps found walking issue 20 as a new user (docs/issue20-audit.md), each
fixed and checked here against PostgreSQL 15."""


def values(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def test_reg_literal_in_the_select_list_prints_its_name(db):
    """'t'::regclass (regtype, regnamespace) as a result column is the name,
    as psql shows it; in an expression it is still the OID (both compare)."""
    db.exec_both("CREATE TABLE aud (id int PRIMARY KEY)")
    sql = ("SELECT 'aud'::regclass, 'int4'::regtype, 'public'::regnamespace, "
           "'aud'::regclass::oid = (SELECT oid FROM pg_class WHERE relname = 'aud')")
    got = [values(c, sql) for c in (db.m, db.p)]
    assert got[0] == got[1] == [("aud", "integer", "public", True)]
    sql = "SELECT relname, 'aud'::regclass AS r FROM pg_class WHERE oid = 'aud'::regclass"
    got = [values(c, sql) for c in (db.m, db.p)]
    assert got[0] == got[1] == [("aud", "aud")]
