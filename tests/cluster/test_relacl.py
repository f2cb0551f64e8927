"""pg_class.relacl (issue 20): a table's GRANTs as PostgreSQL's aclitem[]
text, so psql's \\dp / \\z print what PostgreSQL prints; each step compared
with PostgreSQL 15 (its owner, postgres, read as murphy's, murphy)."""
import re
import subprocess

import pytest

ROLES = ("acl_alice", "acl_bob", "acl_Carol", "acl d")


def norm(text, owner):
    return text.replace(owner + "=", "OWNER=").replace("/" + owner, "/OWNER") \
        if text is not None else None


def owners(db):
    out = []
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.execute("SELECT current_user")
            out.append(cur.fetchone()[0])
    return out


def relacl_both(db, rel):
    sql = ("SELECT array_to_string(relacl, E'\\n') FROM pg_class WHERE relname = '%s'" % rel)
    got = []
    for conn, owner in zip((db.m, db.p), owners(db)):
        with conn.cursor() as cur:
            cur.execute(sql)
            got.append(norm(cur.fetchone()[0], owner))
    assert got[0] == got[1], "murphy:   %r\npostgres: %r" % tuple(got)
    return got[0]


def dp(dsn, rel):
    r = subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", "\\dp " + rel],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def acl(db):
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            for role in ROLES:
                cur.execute('DROP ROLE IF EXISTS "%s"' % role)
                cur.execute('CREATE ROLE "%s"' % role)
    db.exec_both("CREATE TABLE acl_t (id int PRIMARY KEY, v text)")
    db.exec_both("CREATE TABLE acl_u (id int PRIMARY KEY)")
    return db


def test_relacl_null_until_a_grant(acl):
    assert relacl_both(acl, "acl_u") is None
    acl.exec_both("GRANT SELECT ON acl_u TO acl_bob")
    assert relacl_both(acl, "acl_u") == "OWNER=arwdDxt/OWNER\nacl_bob=r/OWNER"


def test_relacl_lists_grants_as_postgres(acl):
    acl.exec_both("GRANT SELECT ON acl_t TO acl_alice")
    assert relacl_both(acl, "acl_t") == "OWNER=arwdDxt/OWNER\nacl_alice=r/OWNER"
    acl.exec_both("GRANT INSERT, UPDATE, DELETE ON acl_t TO acl_bob")
    acl.exec_both('GRANT SELECT, UPDATE ON acl_t TO "acl_Carol"')
    acl.exec_both("GRANT SELECT ON acl_t TO PUBLIC")
    acl.exec_both('GRANT DELETE ON acl_u TO "acl d"')
    relacl_both(acl, "acl_u")
    got = relacl_both(acl, "acl_t")
    assert got.split("\n") == ["OWNER=arwdDxt/OWNER", "acl_alice=r/OWNER",
                               "acl_bob=awd/OWNER", 'acl_Carol=rw/OWNER', "=r/OWNER"]
    acl.exec_both("REVOKE SELECT ON acl_t FROM acl_alice")
    acl.exec_both('REVOKE UPDATE ON acl_t FROM "acl_Carol"')
    relacl_both(acl, "acl_t")


def test_psql_dp_prints_what_postgres_prints(cluster, acl):
    m_owner, p_owner = owners(acl)
    # the owners' names differ in length: compare without column padding
    m = re.sub(r"[ -]+", " ", norm(dp(cluster.dsn(), "acl_t"), m_owner))
    p = re.sub(r"[ -]+", " ", norm(dp(acl.p.dsn, "acl_t"), p_owner))
    assert m == p, "murphy:\n%s\npostgres:\n%s" % (m, p)
    assert "acl_bob=awd/OWNER" in m
