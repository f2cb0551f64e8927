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


def test_pg_settings_names_are_postgres_spelling(db):
    """pg_settings and SHOW ALL spell TimeZone, DateStyle and IntervalStyle as
    PostgreSQL does (a tool's WHERE name = 'TimeZone' finds the row), and
    SHOW ALL lists names in PostgreSQL's case-blind order."""
    sql = ("SELECT name, setting FROM pg_settings WHERE name IN "
           "('TimeZone', 'DateStyle', 'IntervalStyle') ORDER BY name")
    got = [values(c, sql) for c in (db.m, db.p)]
    assert [r[0] for r in got[0]] == [r[0] for r in got[1]] == \
        ["DateStyle", "IntervalStyle", "TimeZone"]
    for conn in (db.m, db.p):
        names = [r[0] for r in values(conn, "SHOW ALL")]
        assert "TimeZone" in names and "timezone" not in names
        assert names == sorted(names, key=str.lower)
