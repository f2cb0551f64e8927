"""One client's huge statement must not starve the others or the failure
detector (issue 14): while one session sends a large statement or COPY,
another's small inserts all succeed, no follower is declared suspect, and
the leader's worst loop stall during that load stays under the bound
docs/failures.md states ("Stall bound").

The stall of one load is read from the leader's log: every stall of
CLU_LOOP_STALL_LOG_MS (200 ms) and more is logged with its length ("event
loop blocked for N ms"), so the largest one logged since the load began is
its worst stall whenever the bound is above 200 ms.  murphy.settings
loop_stall_max_ms (the worst since the leader started) is checked at the
end of the module."""
import io
import os
import re
import struct
import threading
import time

import psycopg2
import pytest

import wire

# docs/failures.md "Stall bound".  Statements of 64 KiB and more are parsed
# on the thread pool, over the simple and the extended protocol alike; a
# list of integer literals in IN is planned as one piece of text, and VALUES
# of constants are encoded at plan time (no SQLite on the loop): what stays
# on the loop must take less than this on the 2-core test box.  (300,000
# values keep the followers' own SQLite work, which on 2 cores can delay
# their heartbeats, out of the picture.)  Measured alone on the 2-core box
# every load stays under 500 ms (docs/failures.md); the stall is wall-clock
# time, so on a box shared with other work (CI, parallel sessions) the
# leader is also descheduled: the test's default bound is 1000 ms, and
# MURPHY_STALL_BOUND_MS=500 checks the target where the box is quiet.
STALL_BOUND_MS = int(os.environ.get("MURPHY_STALL_BOUND_MS", "1000"))
IN_VALUES = 300000
PARAM_IN_VALUES = 300000
INSERT_ROWS = 100000
COPY_ROWS = 1000000


def suspects_in_log(cluster):
    with open("%s/leader/murphy.log" % cluster.dir, errors="replace") as f:
        return [line for line in f if "is suspect" in line]


def log_size(cluster):
    with open("%s/leader/murphy.log" % cluster.dir, "rb") as f:
        return len(f.read())


def stalls_since(cluster, offset):
    with open("%s/leader/murphy.log" % cluster.dir, "rb") as f:
        f.seek(offset)
        text = f.read().decode(errors="replace")
    return [int(ms) for ms in re.findall(r"event loop blocked for (\d+) ms", text)]


@pytest.fixture(scope="module")
def tables(cluster):
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE stall_small (id int PRIMARY KEY, v text)")
        cur.execute("CREATE TABLE stall_big (id int PRIMARY KEY)")
        cur.execute("INSERT INTO stall_big VALUES (1), (2), (3)")
        cur.execute("CREATE TABLE stall_rows (id int PRIMARY KEY, v text)")
    yield conn
    conn.close()


_next_small = [0]


def under_load(cluster, load, bound_ms):
    """Run load() while another session inserts small rows; assert none
    failed, no follower went suspect and no stall reached bound_ms."""
    before = len(suspects_in_log(cluster))
    offset = log_size(cluster)
    stop = threading.Event()
    results = {"ok": 0, "failed": []}

    def small_inserts():
        c = cluster.connect()
        while not stop.is_set():
            _next_small[0] += 1
            try:
                with c.cursor() as cur:
                    cur.execute("INSERT INTO stall_small VALUES (%s, 'x')", (_next_small[0],))
                results["ok"] += 1
            except psycopg2.Error as e:
                results["failed"].append("%s %s" % (e.pgcode, e))
            time.sleep(0.01)
        c.close()

    t = threading.Thread(target=small_inserts)
    t.start()
    try:
        time.sleep(0.3)
        load()
        time.sleep(0.5)
    finally:
        stop.set()
        t.join()
    assert not results["failed"], results["failed"][:5]
    assert results["ok"] > 10
    assert len(suspects_in_log(cluster)) == before, suspects_in_log(cluster)[before:]
    stalls = stalls_since(cluster, offset)
    assert max(stalls, default=0) < bound_ms, stalls


def in_list(n):
    return ",".join(str(i) for i in range(n))


def test_huge_in_list(cluster, tables):
    def load():
        with tables.cursor() as cur:
            cur.execute("SELECT count(*) FROM stall_big WHERE id IN (%s)" % in_list(IN_VALUES))
            assert cur.fetchone()[0] == 3
    under_load(cluster, load, STALL_BOUND_MS)


def test_in_list_with_parameter_over_extended_protocol(cluster, tables):
    """Parse + Bind (a parameter) + Execute of a long text: before, such a
    statement was parsed on the loop at Bind (~1 s and more for 300,000
    values); now at Parse, on the thread pool."""
    sql = ("SELECT count(*) FROM stall_big WHERE id IN (%s) AND id > $1::int"
           % in_list(PARAM_IN_VALUES)).encode()

    def load():
        s = wire.logged_in(cluster.port)
        try:
            bind = (b"\0\0" + struct.pack("!HH", 0, 1) + struct.pack("!I", 1) + b"1"
                    + struct.pack("!H", 0))
            s.sendall(wire.msg(b"P", b"\0" + sql + b"\0" + struct.pack("!H", 0))
                      + wire.msg(b"B", bind) + wire.msg(b"E", b"\0" + struct.pack("!I", 0))
                      + wire.msg(b"S"))
            s.settimeout(60)
            got = wire.read_messages(s)
        finally:
            s.close()
        kinds = [k for k, _ in got]
        assert kinds == [b"1", b"2", b"D", b"C", b"Z"], got[:6]
        data = dict(got)[b"D"]
        assert data[-1:] == b"2", data  # ids 2 and 3 are > 1
    under_load(cluster, load, STALL_BOUND_MS)


def test_multi_row_insert(cluster, tables):
    def load():
        with tables.cursor() as cur:
            cur.execute("INSERT INTO stall_rows VALUES " + ",".join(
                "(%d, 'row %d of a large multi-row insert')" % (i, i) for i in range(INSERT_ROWS)))
            assert cur.rowcount == INSERT_ROWS
    under_load(cluster, load, STALL_BOUND_MS)


def test_large_copy(cluster, tables):
    data = "".join("%d\tcopied %d\n" % (INSERT_ROWS + i, i) for i in range(COPY_ROWS))

    def load():
        with tables.cursor() as cur:
            cur.copy_expert("COPY stall_rows FROM STDIN", io.StringIO(data))
            assert cur.rowcount == COPY_ROWS
    under_load(cluster, load, STALL_BOUND_MS)


def test_every_small_insert_stored_and_followers_alive(cluster, tables):
    with tables.cursor() as cur:
        cur.execute("SELECT count(*) FROM murphy.nodes WHERE role = 'follower' AND state = 'alive'")
        assert cur.fetchone()[0] == cluster.followers
        cur.execute("SELECT count(*) FROM stall_small")
        assert cur.fetchone()[0] == _next_small[0]
        cur.execute("SELECT count(*) FROM stall_rows")
        assert cur.fetchone()[0] == INSERT_ROWS + COPY_ROWS
        cur.execute("SELECT setting FROM murphy.settings WHERE name = 'loop_stall_max_ms'")
        stall = int(cur.fetchone()[0])
    assert stall < STALL_BOUND_MS, stall
