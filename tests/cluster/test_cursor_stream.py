"""Portals that stream (issue 20): a cursor or an Execute with max rows over
a plain scan reads the shards a batch at a time (sql/plan_batch.c,
leader/lead_stream.c), so the leader holds a batch, not the result.

Each test compares the rows with PostgreSQL 15's (as multisets: a scan
without ORDER BY has no order in either); the memory test reads the
leader's peak RSS (/proc/<pid>/status VmHWM) around a cursor read to the
end and around the same SELECT fetched whole."""
import io
import struct

import psycopg2
import pytest

from test_protocol import SYNC, bind, execute, parse
from wire import login, raw, read_messages

NBIG = 500000  # rows of the big table: many batches per shard
PAD = "p" * 60


@pytest.fixture(scope="module")
def big(db):
    """The same 500k-row table in murphy and in PostgreSQL, loaded by COPY."""
    db.exec_both("CREATE TABLE big (id int PRIMARY KEY, k int, pad text)")
    data = "".join("%d\t%d\t%s%d\n" % (i, i % 1000, PAD, i) for i in range(NBIG))
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.copy_expert("COPY big FROM STDIN", io.StringIO(data))
    # small tables with the other kinds of key the batches order by
    db.exec_both("CREATE TABLE nokey (a int, b text)")
    db.exec_both("CREATE TABLE ckey (a int, b text, c float8, PRIMARY KEY (a, b))")
    db.exec_both("CREATE TABLE tkey (t text PRIMARY KEY, v int)")
    db.exec_both("CREATE TABLE nkey (n numeric PRIMARY KEY, d date)")
    db.exec_both("CREATE VIEW bigv AS SELECT id, k FROM big WHERE k < 10")
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.copy_expert("COPY nokey FROM STDIN", io.StringIO(
                "".join("%d\t%s\n" % (i % 50, "b%d" % i if i % 9 else "\\N")
                        for i in range(7000))))
            cur.copy_expert("COPY ckey FROM STDIN", io.StringIO(
                "".join("%d\tx'%d\t%s\n" % (i % 3, i, i / 7) for i in range(9000))))
            cur.copy_expert("COPY nkey FROM STDIN", io.StringIO(
                "".join("%d.%02d\t2024-01-%02d\n" % (i // 7 - 300, i % 7 * 13, 1 + i % 28)
                        for i in range(5000))))
            cur.copy_expert("COPY tkey FROM STDIN", io.StringIO(
                "".join("k%05d é\t%d\n" % (i, i) for i in range(6500))))
    return db


def cursor_rows(conn, sql, per_fetch, params=None):
    """DECLARE sql, FETCH per_fetch at a time to the end, in a block."""
    conn.autocommit = False
    out, fetches = [], 0
    try:
        with conn.cursor() as cur:
            cur.execute("DECLARE c NO SCROLL CURSOR FOR " + sql, params)
            while True:
                cur.execute("FETCH %d FROM c" % per_fetch)
                rows = cur.fetchall()
                fetches += 1
                assert cur.statusmessage == "FETCH %d" % len(rows)
                out.extend(rows)
                if len(rows) < per_fetch:
                    break
            cur.execute("CLOSE c")
    finally:
        conn.rollback()
        conn.autocommit = True
    return out, fetches


def both_cursor(db, sql, per_fetch, params=None):
    m, _ = cursor_rows(db.m, sql, per_fetch, params)
    p, _ = cursor_rows(db.p, sql, per_fetch, params)
    assert len(m) == len(p)
    assert sorted(m, key=repr) == sorted(p, key=repr)
    return m


def test_big_cursor_fetch_1000_returns_postgres_rows(big):
    rows = both_cursor(big, "SELECT id, k, pad FROM big", 1000)
    assert len(rows) == NBIG and len({r[0] for r in rows}) == NBIG


@pytest.mark.parametrize("sql,params", [
    ("SELECT a, b FROM nokey WHERE a < %s", (31,)),
    ("SELECT * FROM ckey", None),
    ("SELECT c, a FROM ckey WHERE b LIKE %s", ("x'1%",)),
    ("SELECT v, t FROM tkey", None),
    ("SELECT n * 2, d FROM nkey WHERE n > %s", (-250,)),
    ("SELECT * FROM bigv WHERE id %% 3 = %s", (1,)),
    ("SELECT k * 2, length(pad) FROM big WHERE id %% 97 = %s", (3,)),
])
def test_cursor_over_other_keys_and_filters(big, sql, params):
    """A table without a key (its hidden row id), a composite key, a text key
    with quotes and non-ASCII, WHERE with parameters: batch by batch."""
    for per_fetch in (333, 5000):
        both_cursor(big, sql, per_fetch, params)


def test_move_and_fetch_across_batches(big):
    """MOVE skips rows of batches the leader reads and drops; the count of
    rows seen in all is PostgreSQL's."""
    got = []
    for conn in (big.m, big.p):
        conn.autocommit = False
        with conn.cursor() as cur:
            cur.execute("DECLARE c CURSOR FOR SELECT id FROM big WHERE k = 7")
            cur.execute("MOVE 123 IN c")
            moved = cur.statusmessage
            cur.execute("FETCH 250 FROM c")
            fetched = (cur.statusmessage, len(cur.fetchall()))
            cur.execute("MOVE ALL IN c")
            rest = cur.statusmessage
            cur.execute("FETCH c")
            got.append((moved, fetched, rest, cur.fetchall()))
        conn.rollback()
        conn.autocommit = True
    assert got[0] == got[1], got
    assert got[0][2] == "MOVE %d" % (NBIG // 1000 - 123 - 250)


def test_psycopg2_named_cursor_over_big_table(cluster, big):
    results = []
    for conn in (cluster.connect(autocommit=False), psycopg2.connect(big.p.dsn)):
        with conn.cursor("named_big") as cur:
            cur.itersize = 1000
            cur.execute("SELECT id, pad FROM big WHERE k < %s", (100,))
            results.append(sorted(cur))
        conn.rollback()
        conn.close()
    assert results[0] == results[1] and len(results[0]) == NBIG // 10


def test_psycopg3_server_cursor(cluster, big):
    import psycopg
    results = []
    for dsn in (cluster.dsn(), big.p.dsn):
        with psycopg.connect(dsn) as conn:
            with conn.cursor(name="p3") as cur:
                cur.itersize = 700
                # DECLARE ... $1 with the value bound to it (extended protocol)
                cur.execute("SELECT id, k FROM big WHERE id < %s", (23456,))
                results.append(sorted(cur))
            with conn.cursor(name="p3o", binary=True) as cur:  # binary parameters too
                cur.execute("SELECT id, pad FROM big WHERE k = %s AND id > %s ORDER BY id DESC",
                            (17, 1000))
                results.append(cur.fetchmany(40) + cur.fetchall())
    assert results[0] == results[2] and len(results[0]) == 23456
    assert results[1] == results[3] and len(results[1]) == NBIG // 1000 - 1


def raw_execute_max_rows(port, dbname, sql, params, max_rows, user=b"murphy"):
    """Parse/Bind, then Execute max_rows at a time (one Sync at the end, as
    JDBC's fetch size in a block) until CommandComplete: the rows, the
    number of PortalSuspended and the final tag."""
    s = raw(port, timeout=60)
    login(s, user, dbname)
    s.sendall(b"Q" + struct.pack("!I", 4 + 6) + b"BEGIN\0")
    read_messages(s)
    s.sendall(parse("st", sql) + bind("pt", "st", params))
    rows, suspended, tag = [], 0, None
    while tag is None:
        s.sendall(execute("pt", max_rows) + msg_flush())
        for kind, body in read_messages(s, until=lambda k, b: k in b"sCE", limit=1 << 30):
            if kind == b"D":
                rows.append(body)
            elif kind == b"s":
                suspended += 1
            elif kind == b"C":
                tag = body.rstrip(b"\0").decode()
            elif kind == b"E":
                raise AssertionError(body)
    s.sendall(SYNC)
    read_messages(s)
    s.close()
    return rows, suspended, tag


def msg_flush():
    return b"H" + struct.pack("!I", 4)


def test_raw_execute_max_rows_streams(cluster, pg, pgconn, big):
    sql = "SELECT id, pad FROM big WHERE k <> $1"
    m = raw_execute_max_rows(cluster.port, b"murphy", sql, ["3"], 1000)
    p = raw_execute_max_rows(pg.port, pgconn.info.dbname.encode(), sql, ["3"], 1000,
                             user=b"postgres")
    assert len(m[0]) == len(p[0]) == NBIG - NBIG // 1000
    assert sorted(m[0]) == sorted(p[0])
    # every Execute but the last sends 1000 rows and PortalSuspended; the
    # last one's tag counts its own rows, as PostgreSQL's does
    assert (m[1], m[2]) == (p[1], p[2]), (m[1:], p[1:])


def vm_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def reset_hwm(pid):
    """Reset the peak to the current RSS where the kernel lets us (1), else 0."""
    try:
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")
        return 1
    except OSError:
        return 0


def test_cursor_memory_is_bounded(cluster, big):
    """Read to the end through a cursor (FETCH 1000), the leader's peak RSS
    grows by a small part of what the same SELECT fetched whole makes it
    grow: a batch per shard read, not the result.  On a binary that
    buffers the portal's result the two grow alike."""
    pid = cluster.pid("leader")
    conn = cluster.connect()
    if not reset_hwm(pid):
        pytest.skip("cannot reset VmHWM (/proc/pid/clear_refs)")
    before = vm_hwm_kb(pid)
    rows, fetches = cursor_rows(conn, "SELECT id, k, pad FROM big", 1000)
    cursor_kb = vm_hwm_kb(pid) - before
    assert len(rows) == NBIG and fetches == NBIG // 1000 + 1
    del rows
    reset_hwm(pid)
    before = vm_hwm_kb(pid)
    with conn.cursor() as cur:
        cur.execute("SELECT id, k, pad FROM big")
        n = len(cur.fetchall())
    whole_kb = vm_hwm_kb(pid) - before
    conn.close()
    assert n == NBIG
    print("leader VmHWM growth: cursor %d kB, whole SELECT %d kB" % (cursor_kb, whole_kb))
    assert whole_kb > 20000, whole_kb  # the result is ~40 MB of DataRows
    assert cursor_kb * 8 < whole_kb, (cursor_kb, whole_kb)


def test_cursor_sees_the_table_changed_under_it(big):
    """murphy's cursor reads each batch when it is fetched (docs/decisions.md):
    a DROP of its table in the block ends it with an error rather than
    reading a dropped table's shards."""
    conn = big.m
    conn.autocommit = False
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE gone (id int PRIMARY KEY)")
            cur.execute("INSERT INTO gone SELECT generate_series(1, 20000)")
            cur.execute("DECLARE g CURSOR FOR SELECT id FROM gone")
            cur.execute("FETCH 10 FROM g")
            assert len(cur.fetchall()) == 10
            cur.execute("DROP TABLE gone")
            with pytest.raises(psycopg2.Error) as e:
                cur.execute("FETCH 20000 FROM g")
            assert e.value.pgcode in ("55000", "42P01"), e.value.pgcode
    finally:
        conn.rollback()
        conn.autocommit = True


def bind_binary(portal, stmt, params=()):
    """Bind with text parameters and every result column in binary."""
    body = (portal.encode() + b"\0" + stmt.encode() + b"\0" + struct.pack("!H", 0) +
            struct.pack("!H", len(params)))
    for p in params:
        body += struct.pack("!I", len(p)) + p.encode()
    body += struct.pack("!HH", 1, 1)
    return b"B" + struct.pack("!I", len(body) + 4) + body


def test_raw_execute_max_rows_binary_results(cluster, pg, pgconn, big):
    """A portal bound for binary results keeps them binary in every batch."""
    got = []
    for port, user, dbname in ((cluster.port, b"murphy", b"murphy"),
                               (pg.port, b"postgres", pgconn.info.dbname.encode())):
        s = raw(port, timeout=60)
        login(s, user, dbname)
        s.sendall(b"Q" + struct.pack("!I", 4 + 6) + b"BEGIN\0")
        read_messages(s)
        s.sendall(parse("sb", "SELECT id, k FROM big WHERE id < $1") +
                  bind_binary("pb", "sb", ["7000"]))
        rows, done = [], False
        while not done:
            s.sendall(execute("pb", 1500) + msg_flush())
            for kind, body in read_messages(s, until=lambda k, b: k in b"sCE",
                                            limit=1 << 28):
                assert kind != b"E", body
                if kind == b"D":
                    rows.append(body)
                done |= kind == b"C"
        s.sendall(SYNC)
        read_messages(s)
        s.close()
        got.append(sorted(rows))
    assert len(got[0]) == 7000 and got[0] == got[1]
    assert struct.unpack("!HIi", got[0][0][:10]) == (2, 4, 0)  # int4 0 in binary


def test_client_gone_while_a_batch_is_read(cluster, big):
    """A client that leaves with a cursor open, or while its FETCH waits for
    the next batch, costs nothing: the leader lets the stream go and serves
    the next client."""
    for wait_answer in (True, False):
        s = raw(cluster.port, timeout=60)
        login(s)
        for sql in (b"BEGIN", b"DECLARE gone CURSOR FOR SELECT * FROM big", b"FETCH 3000 gone"):
            s.sendall(b"Q" + struct.pack("!I", 4 + len(sql) + 1) + sql + b"\0")
            read_messages(s, limit=1 << 28)
        sql = b"FETCH 200000 gone"
        s.sendall(b"Q" + struct.pack("!I", 4 + len(sql) + 1) + sql + b"\0")
        if wait_answer:
            s.recv(1)  # the answer has started: batches are being read
        s.close()
    conn = cluster.connect()
    rows, _ = cursor_rows(conn, "SELECT id FROM big WHERE k = 5", 100)
    assert len(rows) == NBIG // 1000
    conn.close()


def test_rows_unchanged_since_declare_come_exactly_once(cluster, big):
    """What docs/decisions.md promises while others write between FETCHes:
    each row there from DECLARE to the end, unchanged, exactly once, and no
    row twice (a guarantee check: the base binary's buffered portal keeps
    it too; it catches a batch boundary that skips or repeats rows)."""
    m = cluster.connect()
    with m.cursor() as cur:
        cur.execute("CREATE TABLE conc (id int PRIMARY KEY, v int)")
        cur.execute("INSERT INTO conc SELECT g, g FROM generate_series(0, 19999) g")
    other = cluster.connect()
    m.autocommit = False
    got = []
    with m.cursor() as cur, other.cursor() as ocur:
        cur.execute("DECLARE w CURSOR FOR SELECT id FROM conc")
        step = 0
        while True:
            cur.execute("FETCH 700 FROM w")
            rows = cur.fetchall()
            got.extend(r[0] for r in rows)
            if len(rows) < 700:
                break
            # new keys on every side of the cursor's position, and deletes
            # of rows the cursor is not promised
            ocur.execute("INSERT INTO conc SELECT g, 0 FROM generate_series(%s, %s) g",
                         (30000 + step * 50, 30000 + step * 50 + 49))
            ocur.execute("DELETE FROM conc WHERE id >= %s AND id < %s",
                         (10000 + step * 10, 10000 + step * 10 + 5))
            step += 1
    m.rollback()
    m.close()
    other.close()
    deleted = {10000 + s * 10 + k for s in range(step) for k in range(5)}
    assert len(got) == len(set(got))
    assert set(range(20000)) - deleted <= set(got)
