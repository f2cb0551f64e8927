"""Gaps found walking issue 20 as a new user (docs/issue20-audit.md), each
fixed and checked here against PostgreSQL 15, and items no test covered."""
import os
import shutil
import stat
import subprocess
import tempfile

import psycopg2
import pytest

from conftest import MURPHY
from pgserver import free_port


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


def test_local_start_without_a_password_generates_and_prints_one():
    """No $MURPHY_PASSWORD: the first `murphy local start` makes the
    superuser's password, writes it 0600 to DIR/password, prints it, and
    SCRAM takes it (and refuses a wrong one with 28P01)."""
    d = tempfile.mkdtemp(prefix="murphy-pw-")
    port = free_port(count=5)
    env = {k: v for k, v in os.environ.items() if k not in ("MURPHY_PASSWORD", "PGPASSWORD")}
    try:
        r = subprocess.run([MURPHY, "local", "start", "--dir", d, "--pg-port", str(port)],
                           capture_output=True, text=True, timeout=120, env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        path = os.path.join(d, "password")
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        pw = open(path).read().strip()
        assert len(pw) >= 16 and ("password: " + pw) in r.stdout
        conn = psycopg2.connect(host="127.0.0.1", port=port, user="murphy", dbname="murphy",
                                password=pw)
        assert values(conn, "SELECT current_user") == [("murphy",)]
        conn.close()
        with pytest.raises(psycopg2.OperationalError) as e:
            psycopg2.connect(host="127.0.0.1", port=port, user="murphy", dbname="murphy",
                             password=pw + "x")
        assert "28P01" in str(e.value) or "password authentication failed" in str(e.value)
    finally:
        subprocess.run([MURPHY, "local", "stop", "--dir", d], capture_output=True, timeout=60)
        shutil.rmtree(d, ignore_errors=True)
