"""A timestamptz in an error's DETAIL prints in the session's TimeZone, as
PostgreSQL's does: "Failing row contains (...)." of 23502 / 23514 (found
in the shard, storage/failrow.c, or by the leader for an INSERT's NOT
NULL) and "Key (...)=(...) already exists." of 23505 (storage/dupkey.c).
The shard, which does not know the session, marks the value; the
leader's pgwire edge writes it in the zone (common/failing_row.h,
mur_failing_row_localize).  Each statement runs on murphy and PostgreSQL
15 under the same TimeZone: SQLSTATE, message and DETAIL must be equal.

On murphy-s23 the DETAIL printed the value in UTC ("...+00"): every case
with a zone other than UTC fails there.
"""
import io

import psycopg2
import pytest

COLS = "(id int PRIMARY KEY, n int CHECK (n > 0), tz timestamptz, t text)"
ROW1 = "(1, 1, '2024-07-02 03:04:05.25+00', 'x')"
KEYS = "(id int, k timestamptz, PRIMARY KEY (id, k))"  # 23505 on a timestamptz key


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for t in ("dtz", "dtzr", "dtzn", "dtzk", "dtzkr"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    for conn, dist, ref in ((db.m, " WITH (shards = 4)", " WITH (distribution = 'reference')"),
                            (db.p, "", "")):
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE dtz " + COLS + dist)
            cur.execute("CREATE TABLE dtzr " + COLS + ref)
            cur.execute("CREATE TABLE dtzk " + KEYS + dist)
            cur.execute("CREATE TABLE dtzkr " + KEYS + ref)
            cur.execute("CREATE TABLE dtzn (id int PRIMARY KEY, tz timestamptz, v int NOT NULL)"
                        + dist)
    for t in ("dtz", "dtzr"):
        db.exec_both("INSERT INTO %s VALUES %s" % (t, ROW1))
    for t in ("dtzk", "dtzkr"):
        db.exec_both("INSERT INTO %s VALUES (1, '2024-01-02 03:04:05+00'), "
                     "(1, '2025-01-01 00:00:00.5+00')" % t)
    return db


def fields(conn, zone, sql, copy=None):
    try:
        with conn.cursor() as cur:
            cur.execute("SET TimeZone = '%s'" % zone)
            if copy is not None:
                cur.copy_expert(sql, io.StringIO(copy))
            else:
                cur.execute(sql)
    except psycopg2.Error as e:
        if not conn.autocommit:
            conn.rollback()
        d = e.diag
        return (e.pgcode, d.message_primary, d.message_detail)
    finally:
        with conn.cursor() as cur:
            cur.execute("RESET TimeZone")
    return None


def same(db, zone, sql, sqlstate, copy=None):
    p = fields(db.p, zone, sql, copy)
    assert p and p[0] == sqlstate and p[2], "test is wrong: PostgreSQL gives %r" % (p,)
    m = fields(db.m, zone, sql, copy)
    assert m == p, "\n  sql: %s\n  murphy:   %r\n  postgres: %r" % (sql, m, p)


ZONES = ["America/New_York", "Asia/Kolkata", "UTC"]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("ref", ["", "r"])
@pytest.mark.parametrize("sql, state", [
    ("UPDATE dtz{r} SET n = -5 WHERE id = 1", "23514"),
    ("INSERT INTO dtz{r} VALUES (3, 0, '2024-12-31 23:30:00+00', 'y')", "23514"),
    ("INSERT INTO dtzk{r} VALUES (1, '2024-01-02 03:04:05+00')", "23505"),
    ("UPDATE dtzk{r} SET k = '2024-01-02 03:04:05+00' WHERE k > '2024-06-01'", "23505"),
])
def test_detail_in_session_zone(db, zone, ref, sql, state):
    same(db, zone, sql.format(r=ref), state)


@pytest.mark.parametrize("zone", ZONES[:2])
def test_not_null_insert_and_update(db, zone):
    # an INSERT's NOT NULL is the leader's; an UPDATE's the shard's
    same(db, zone, "INSERT INTO dtzn VALUES (1, '2024-03-10 06:59:59.5+00', NULL)", "23502")
    db.exec_both("INSERT INTO dtzn VALUES (2, '2024-11-03 05:30:00+00', 1) "
                 "ON CONFLICT (id) DO NOTHING")
    same(db, zone, "UPDATE dtzn SET v = NULL WHERE id = 2", "23502")


@pytest.mark.parametrize("zone", ZONES[:2])
def test_copy(db, zone):
    same(db, zone, "COPY dtz FROM STDIN", "23514",
         copy="4\t1\t\\N\tq\n5\t-1\t2024-06-01 12:00:00+02\tr\n")


def test_inside_a_block_with_set_local(db):
    """SET LOCAL TimeZone inside the block is the zone the error prints in."""
    out = []
    for conn in (db.p, db.m):
        conn.autocommit = False
        try:
            with conn.cursor() as cur:
                cur.execute("SET LOCAL TimeZone = 'Australia/Adelaide'")
                cur.execute("UPDATE dtz SET n = -1 WHERE id = 1")
        except psycopg2.Error as e:
            out.append((e.pgcode, e.diag.message_detail))
        finally:
            conn.rollback()
            conn.autocommit = True
    assert out[0][0] == "23514" and "+09:30" in out[0][1], out
    assert out[1] == out[0]
