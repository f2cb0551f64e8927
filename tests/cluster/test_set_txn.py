"""SET inside a transaction block is transactional, as in PostgreSQL
(issue 16; docs/transactions.md, "Settings in a block"): ROLLBACK, an
error-aborted block, a failed Query's implicit block and ROLLBACK TO
SAVEPOINT undo the SETs made since; SET LOCAL lasts until the block ends
(either way); RESET is a SET.  The same statements run on murphy and on a
real PostgreSQL 15, through psycopg2 and psql, and must show the same
values; ParameterStatus (libpq's view of application_name, TimeZone, ...)
follows the value back after a revert.
"""
import subprocess

import psycopg2
import pytest

PSQL = "/usr/lib/postgresql/15/bin/psql"

# (statement, expect an error?) — SHOW lines are what is compared
SCRIPT = [
    "SET application_name = 'a0'",
    "BEGIN", "SET application_name = 'a1'", "SHOW application_name", "ROLLBACK",
    "SHOW application_name",
    "BEGIN", "SET application_name = 'a2'", "COMMIT", "SHOW application_name",
    "BEGIN", "SET LOCAL application_name = 'l1'", "SHOW application_name", "COMMIT",
    "SHOW application_name",
    "BEGIN", "SET application_name = 's1'", "SET LOCAL application_name = 'l2'",
    "SHOW application_name", "COMMIT", "SHOW application_name",
    "BEGIN", "SET LOCAL application_name = 'l3'", "ROLLBACK", "SHOW application_name",
    "BEGIN", "SET application_name = 'e1'", "SELECT 1/0", "ROLLBACK", "SHOW application_name",
    "BEGIN", "SET application_name = 'e2'", "SELECT 1/0", "COMMIT", "SHOW application_name",
    "BEGIN", "SET application_name = 'f1'", "SAVEPOINT p", "SET application_name = 'f2'",
    "SET LOCAL statement_timeout = '5s'", "ROLLBACK TO SAVEPOINT p",
    "SHOW application_name", "SHOW statement_timeout", "COMMIT", "SHOW application_name",
    "BEGIN", "SAVEPOINT q", "SET application_name = 'g1'", "RELEASE SAVEPOINT q", "COMMIT",
    "SHOW application_name",
    "BEGIN", "RESET application_name", "SHOW application_name", "ROLLBACK",
    "SHOW application_name",
    "BEGIN", "SET statement_timeout = '1s'", "ROLLBACK", "SHOW statement_timeout",
    "SET application_name = 'q1'; SELECT 1/0", "SHOW application_name",
    "SET application_name = 'q2'; SELECT 1", "SHOW application_name",
    "SET LOCAL application_name = 'outside'", "SHOW application_name",
    "SET application_name = 'end'",
]


def run_script(conn):
    """Each statement on its own (autocommit connection); SHOWs' values."""
    shown = []
    with conn.cursor() as cur:
        for sql in SCRIPT:
            try:
                cur.execute(sql)
            except psycopg2.Error as e:
                shown.append("error %s" % e.pgcode)
                continue
            if sql.startswith("SHOW"):
                shown.append(cur.fetchone()[0])
    return shown


@pytest.fixture
def mconn(cluster):
    conn = cluster.connect()
    yield conn
    conn.close()


@pytest.fixture
def pconn(pg):
    conn = psycopg2.connect(pg.dsn())
    conn.autocommit = True
    yield conn
    conn.close()


def test_set_in_a_block_is_transactional_as_in_postgresql(mconn, pconn):
    want = run_script(pconn)
    got = run_script(mconn)
    # PostgreSQL's answers, spelled out: a revert the reference forgot is seen too
    assert want[:4] == ["a1", "a0", "a2", "l1"], want
    assert "0" in want and "a2" in want
    assert got == want, "\n".join("%-30s murphy %-12r postgresql %r" % (s, g, w) for s, g, w in
                                  zip([x for x in SCRIPT if x.startswith("SHOW")] + ["?"] * 9,
                                      got, want) if g != w) or (got, want)


def test_parameter_status_follows_a_revert(mconn, pconn):
    for conn in (pconn, mconn):
        with conn.cursor() as cur:
            cur.execute("SET application_name = 'before'")
            zone = conn.get_parameter_status("TimeZone")
            cur.execute("BEGIN")
            cur.execute("SET application_name = 'inside'")
            cur.execute("SET TimeZone = 'Europe/Paris'")
            assert conn.get_parameter_status("application_name") == "inside"
            assert conn.get_parameter_status("TimeZone") == "Europe/Paris"
            cur.execute("ROLLBACK")
            assert conn.get_parameter_status("application_name") == "before", conn.dsn
            assert conn.get_parameter_status("TimeZone") == zone, conn.dsn
            cur.execute("BEGIN")
            cur.execute("SET LOCAL application_name = 'local'")
            assert conn.get_parameter_status("application_name") == "local"
            cur.execute("COMMIT")
            assert conn.get_parameter_status("application_name") == "before", conn.dsn


def psql(dsn, text):
    r = subprocess.run([PSQL, "-X", "-A", "-t", "-q", "-d", dsn], input=text,
                       capture_output=True, text=True, timeout=60)
    return r.stdout


def test_psql_sees_the_same_settings(cluster, pg):
    text = ";\n".join(s for s in SCRIPT if "1/0" not in s) + ";\n"
    want = psql(pg.dsn(), text)
    got = psql(cluster.dsn(), text)
    assert "a0\n" in want, want
    assert got == want, (got, want)
