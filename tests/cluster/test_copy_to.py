"""COPY ... TO STDOUT (text and CSV), each output compared with PostgreSQL 15's.

murphy reads a distributed table one shard at a time, so the order of a
table's rows is the shards'; tests of the table form compare the lines as
a set (text format: one row per line), tests of exact bytes use
COPY (SELECT ... ORDER BY ...) TO STDOUT.
"""
import io
import os
import subprocess
import tempfile

import psycopg2
import pytest

DDL = "CREATE TABLE %s (id int PRIMARY KEY, name text, score double precision, note text)"
ROWS = [
    (1, "alice", 1.5, "plain"),
    (2, "bob", None, "with\ttab"),
    (3, None, -2.25, "new\nline"),
    (4, "back\\slash", 0.0, None),
    (5, 'said "hi", twice', 1e10, ""),
    (6, "semi;colon|pipe", 3.0, "\\."),
    (7, "carriage\rreturn", 7.0, "Émile zoë"),
] + [(i, "n%d" % i, i / 4, "r%d" % i) for i in range(8, 60)]


@pytest.fixture(scope="module")
def tables(db):
    db.exec_both(DDL % "ct")
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO ct VALUES (%s, %s, %s, %s)", ROWS)
    return db


def copy_out(conn, sql):
    buf = io.StringIO()
    with conn.cursor() as cur:
        cur.copy_expert(sql, buf)
        count = cur.rowcount
    return buf.getvalue(), count


def copy_both(db, sql):
    outs = [copy_out(conn, sql) for conn in (db.m, db.p)]
    return outs[0], outs[1]


@pytest.mark.parametrize("sql", [
    "COPY (SELECT * FROM ct ORDER BY id) TO STDOUT",
    "COPY (SELECT * FROM ct ORDER BY id) TO STDOUT WITH (FORMAT csv)",
    "COPY (SELECT * FROM ct ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER true)",
    "COPY (SELECT * FROM ct ORDER BY id) TO STDOUT WITH (FORMAT text, HEADER true)",
    "COPY (SELECT * FROM ct ORDER BY id) TO STDOUT WITH (DELIMITER '|', NULL 'NULL')",
    "COPY (SELECT * FROM ct ORDER BY id) TO STDOUT WITH (FORMAT csv, DELIMITER ';', "
    "QUOTE '''', ESCAPE '\\', NULL 'NA')",
    "COPY (SELECT * FROM ct ORDER BY id) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE (name, note))",
    "COPY (SELECT * FROM ct ORDER BY id) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)",
    "COPY (SELECT id, note FROM ct WHERE id < 8 ORDER BY id) TO STDOUT CSV HEADER",
    "COPY (SELECT note FROM ct WHERE id = 6) TO STDOUT CSV",
    "COPY (SELECT count(*), sum(id) FROM ct) TO STDOUT",
])
def test_copy_query_matches_postgres(tables, sql):
    m, p = copy_both(tables, sql)
    assert m == p


@pytest.mark.parametrize("sql", [
    "COPY ct TO STDOUT",
    "COPY ct (note, id) TO STDOUT",
    "COPY public.ct TO STDOUT WITH (DELIMITER ',', NULL '')",
])
def test_copy_table_matches_postgres(tables, sql):
    (m, mc), (p, pc) = copy_both(tables, sql)
    assert mc == pc == len(ROWS)
    assert sorted(m.splitlines()) == sorted(p.splitlines())


def copy_out_bytes(conn, sql):
    buf = io.BytesIO()
    with conn.cursor() as cur:
        cur.copy_expert(sql, buf)
        count = cur.rowcount
    return buf.getvalue(), count


@pytest.mark.parametrize("sql", [
    "COPY (SELECT * FROM ct ORDER BY id) TO STDOUT WITH (FORMAT binary)",
    "COPY (SELECT id, (id * 1.25)::numeric(10,2), id % 2 = 0, '\\xdeadbeef'::bytea, "
    "'2026-01-15'::date, '2026-01-15 10:11:12.5'::timestamp FROM ct ORDER BY id) "
    "TO STDOUT (FORMAT binary)",
])
def test_copy_binary_matches_postgres(tables, sql):
    # PGCOPY signature, header, one tuple per row in each column's binary
    # form, trailer: byte for byte PostgreSQL's
    m, p = (copy_out_bytes(conn, sql) for conn in (tables.m, tables.p))
    assert m[0].startswith(b"PGCOPY\n\xff\r\n\x00") and m[0].endswith(b"\xff\xff"), m[0][:20]
    assert m == p


def test_copy_binary_round_trip(tables):
    # a table copied out in binary and in again (COPY FROM binary) holds the same rows
    data, n = copy_out_bytes(tables.m, "COPY ct TO STDOUT (FORMAT binary)")
    assert n == len(ROWS)
    tables.exec_both("CREATE TABLE ct_bin (id int PRIMARY KEY, name text, "
                     "score double precision, note text)")
    try:
        with tables.m.cursor() as cur:
            cur.copy_expert("COPY ct_bin FROM STDIN (FORMAT binary)", io.BytesIO(data))
        _, got = tables.murphy("SELECT * FROM ct_bin ORDER BY id")
        _, want = tables.murphy("SELECT * FROM ct ORDER BY id")
        assert got == want
    finally:
        tables.exec_both("DROP TABLE ct_bin")


def test_copy_table_csv_header_first(tables):
    (m, _), (p, _) = copy_both(tables, "COPY ct TO STDOUT (FORMAT csv, HEADER)")
    assert m.split("\n", 1)[0] == p.split("\n", 1)[0] == "id,name,score,note"


@pytest.mark.parametrize("sql,state", [
    ("COPY ct TO '/tmp/murphy_copy_to_file'", "0A000"),
    ("COPY ct TO STDOUT WITH (FORMAT binary, HEADER)", "42601"),
    ("COPY ct TO STDOUT WITH (FORMAT binary, DELIMITER ',')", "42601"),
    ("COPY ct TO STDOUT WITH (FORCE_QUOTE (name))", "0A000"),
    ("COPY ct TO STDOUT WITH (FORMAT csv, FORCE_QUOTE (nope))", "42P10"),
    ("COPY ct (nope) TO STDOUT", "42703"),
    ("COPY nope TO STDOUT", "42P01"),
])
def test_copy_to_errors(tables, sql, state):
    with pytest.raises(psycopg2.Error) as ei:
        copy_out(tables.m, sql)
    assert ei.value.pgcode == state, ei.value
    if "/tmp" in sql:
        assert "STDOUT" in (ei.value.diag.message_hint or ""), ei.value.diag.message_hint
    tables.both("SELECT count(*) FROM ct")  # the session goes on


def test_copy_in_block_sees_own_writes(tables):
    m = tables.m
    m.autocommit = False
    try:
        with m.cursor() as cur:
            cur.execute("INSERT INTO ct VALUES (1000, 'mine', 1, 'x')")
        out, n = copy_out(m, "COPY ct (id, name) TO STDOUT")
        assert "1000\tmine" in out.splitlines() and n == len(ROWS) + 1
    finally:
        m.rollback()
        m.autocommit = True


def psql(dsn, command):
    r = subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", command],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_psql_copy_round_trip(cluster, tables, pgconn):
    """\\copy out of murphy, \\copy into murphy and PostgreSQL: same rows."""
    tables.exec_both(DDL % "ct_back")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "out.csv")
        os.chmod(d, 0o777)
        psql(cluster.dsn(), "\\copy ct TO '%s' WITH (FORMAT csv, HEADER)" % path)
        os.chmod(path, 0o666)
        p = pgconn.get_dsn_parameters()
        pg = "host=%s port=%s user=%s dbname=%s" % (p["host"], p["port"], p["user"], p["dbname"])
        for dsn in (cluster.dsn(), pg):
            assert "COPY %d" % len(ROWS) in psql(
                dsn, "\\copy ct_back FROM '%s' WITH (FORMAT csv, HEADER)" % path)
    tables.both("SELECT * FROM ct_back")


def vm_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_large_copy_to_streams(cluster, tables):
    """200k rows of ~110 bytes (~21 MB of COPY text) leave the leader's peak
    RSS far below what holding the table would take (about 3 times the
    text: follower frames, merged rows, DataRows): it reads a shard at a
    time and only as fast as the client takes the lines."""
    m = tables.m
    nrows, pad, parts = 200000, "x" * 100, 4
    with m.cursor() as cur:
        cur.execute("CREATE TABLE big (id int PRIMARY KEY, pad text)")
        data = "".join("%d\t%s\n" % (i, pad) for i in range(nrows))
        lines = data.splitlines(keepends=True)
        for k in range(parts):  # smaller loads: kinder to a busy machine
            part = lines[k * nrows // parts:(k + 1) * nrows // parts]
            cur.copy_expert("COPY big FROM STDIN", io.StringIO("".join(part)))
    pid = cluster.pid("leader")
    # the leader's peak so far (COPY FROM, the inserts) is the baseline:
    # reset it where the kernel lets us, else measure growth past it
    try:
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")
    except OSError:
        pass
    before = vm_hwm_kb(pid)
    out, n = copy_out(m, "COPY big TO STDOUT")
    after = vm_hwm_kb(pid)
    assert n == nrows and len(out) == len(data)
    table_kb = len(data) // 1024
    print("VmHWM before %d kB after %d kB, table %d kB" % (before, after, table_kb))
    assert after - before < table_kb // 2, (before, after, table_kb)
