"""Cancelling a statement: the PostgreSQL CancelRequest (psycopg2's
conn.cancel(), psql on Ctrl-C) and statement_timeout (docs/failures.md,
"Cancel and statement_timeout").

A statement that waits forever on demand: both replicas of a 1-shard table
are stopped (SIGSTOP) with a failure detector too slow to notice, so an
insert cannot reach its quorum and stays undecided; a read of the shard
parks behind it (no dirty reads), and an UPDATE queues behind it.
Then:

- a cancel ends the parked read with 57014 within a second, and the
  session goes on; another session's parked read is not touched;
- a CancelRequest with a wrong key does nothing;
- statement_timeout ends the parked read the same way, with its own
  message; SHOW prints the value as PostgreSQL does;
- a queued UPDATE (not sent to any copy) is taken back: 57014, its change
  never appears; the insert already sent cannot be: it commits once the
  replicas run again, and its row is there;
- a long SELECT running on a follower is cancelled too, and the follower
  stops it (the next read of its shard is not held up).

On a binary without cancel, each of these waits for the replicas to run
again (the cancel only closed its own connection, statement_timeout was
accepted and ignored): the tests fail on their deadlines.
"""
import io
import os
import signal
import socket
import struct
import subprocess
import threading
import time

import psycopg2
import pytest

from conftest import owned_cluster, timer_args

SUSPECT_MS = 60000  # the stopped replicas stay "alive": the insert waits, it is not undone
DEAD_MS = 120000
CANCEL_WITHIN_S = 1.0
PARKED_S = 0.5      # how long a statement is left waiting before it is cancelled
CANCEL_REQUEST_CODE = 80877102
BIG_ROWS = 12000    # its self-join takes seconds on a follower


@pytest.fixture(scope="module")
def cluster(request):
    """The followers run one pool thread (UV_THREADPOOL_SIZE=1): a query
    left running on a follower holds up the next one there."""
    saved = os.environ.get("UV_THREADPOOL_SIZE")
    os.environ["UV_THREADPOOL_SIZE"] = "1"
    try:
        yield from owned_cluster(request, start_args=timer_args(SUSPECT_MS, DEAD_MS))
    finally:
        if saved is None:
            os.environ.pop("UV_THREADPOOL_SIZE", None)
        else:
            os.environ["UV_THREADPOOL_SIZE"] = saved


class Bg:
    """Run sql on its own connection in a thread; keep its outcome."""

    def __init__(self, cluster, sql, setup=()):
        self.conn = cluster.connect()
        for s in setup:
            self.conn.cursor().execute(s)
        self.pid = self.conn.get_backend_pid()
        self.sql = sql
        self.result = self.error = self.elapsed = None
        self.th = threading.Thread(target=self._go)
        self.t0 = time.monotonic()
        self.th.start()

    def _go(self):
        try:
            cur = self.conn.cursor()
            cur.execute(self.sql)
            self.result = cur.fetchall() if cur.description else cur.statusmessage
        except psycopg2.Error as e:
            self.error = e
        self.elapsed = time.monotonic() - self.t0

    def join(self, timeout):
        self.th.join(timeout)
        return not self.th.is_alive()

    def code(self):
        return self.error.pgcode if self.error else None


def wait_done(bg, within_s, what):
    t0 = time.monotonic()
    assert bg.join(within_s), "%s still running %.1f s after it should have ended" % (
        what, within_s)
    return time.monotonic() - t0


def roles(cur, table):
    cur.execute("SELECT node, role FROM murphy.placements WHERE table_name = %s", (table,))
    out = {}
    for node, role in cur.fetchall():
        out.setdefault(role, []).append(node)
    return out


def wait_current(cur, table, timeout=15):
    deadline = time.time() + timeout
    while True:
        cur.execute("SELECT count(*) FROM murphy.placements WHERE table_name = %s AND "
                    "(state <> 'current' OR lag <> 0)", (table,))
        if cur.fetchone()[0] == 0:
            return
        assert time.time() < deadline, "copies of %s not current" % table
        time.sleep(0.05)


class Stuck:
    """Both replicas of a 1-shard table stopped and an insert hanging on
    them: reads of the shard park until release()."""

    def __init__(self, cluster, table):
        self.cluster = cluster
        self.table = table
        self.conn = cluster.connect()
        cur = self.conn.cursor()
        cur.execute("DROP TABLE IF EXISTS %s" % table)
        cur.execute("CREATE TABLE %s (id bigint PRIMARY KEY, v bigint) WITH (shards = 1)" % table)
        cur.execute("INSERT INTO %s VALUES (1, 1), (2, 2), (3, 3)" % table)
        wait_current(cur, table)
        self.replicas = [cluster.pid(n) for n in roles(cur, table)["replica"]]
        assert len(self.replicas) == 2
        for pid in self.replicas:
            os.kill(pid, signal.SIGSTOP)
        self.stopped = True
        self.write = Bg(cluster, "INSERT INTO %s VALUES (100, 100)" % table)
        time.sleep(0.3)  # the insert is at the primary: the shard is gated
        assert not self.write.join(0), "the insert did not wait: %r" % self.write.error

    def release(self):
        if self.stopped:
            for pid in self.replicas:
                os.kill(pid, signal.SIGCONT)
            self.stopped = False

    def close(self):
        self.release()
        self.write.join(30)
        self.conn.close()


@pytest.fixture
def stuck(cluster, request):
    s = Stuck(cluster, "cx_" + request.node.name[5:25])
    yield s
    s.close()


def send_cancel(cluster, pid, key):
    """A raw CancelRequest (16 bytes) on a connection of its own."""
    with socket.create_connection(("127.0.0.1", cluster.port), timeout=5) as s:
        s.sendall(struct.pack("!IIII", 16, CANCEL_REQUEST_CODE, pid, key))
        s.settimeout(5)
        assert s.recv(100) == b"", "a CancelRequest gets no answer"


def test_cancel_parked_read(cluster, stuck):
    """conn.cancel() ends a read parked behind an undecided write: 57014
    within a second; the session is usable after; another session's parked
    read stays parked and gets the right answer in the end."""
    other = Bg(cluster, "SELECT count(*) FROM %s" % stuck.table)
    read = Bg(cluster, "SELECT count(*) FROM %s" % stuck.table)
    time.sleep(PARKED_S)
    assert not read.join(0) and not other.join(0), "the reads did not park"
    t0 = time.monotonic()
    read.conn.cancel()
    wait_done(read, CANCEL_WITHIN_S, "the cancelled read")
    assert time.monotonic() - t0 < CANCEL_WITHIN_S
    assert read.code() == "57014", read.error
    assert "canceling statement due to user request" in str(read.error)
    cur = read.conn.cursor()
    cur.execute("SELECT 1")  # the session goes on
    assert cur.fetchall() == [(1,)]
    assert not other.join(0.2), "cancelling one session ended another's read"
    stuck.release()
    assert other.join(30) and other.error is None, other.error
    assert other.result == [(4,)]  # the insert committed once the replicas ran
    assert stuck.write.join(30) and stuck.write.error is None, stuck.write.error
    cur.execute("SELECT count(*) FROM %s" % stuck.table)
    assert cur.fetchall() == [(4,)]
    for b in (read, other):
        b.conn.close()


def test_wrong_key_does_nothing(cluster, stuck):
    """A CancelRequest with the right pid and a wrong key is ignored; the
    right key (psycopg2 knows it) then cancels."""
    read = Bg(cluster, "SELECT count(*) FROM %s" % stuck.table)
    time.sleep(PARKED_S)
    for key in (0, 1, 0xFFFFFFFF, 12345678):
        send_cancel(cluster, read.pid, key)
    assert not read.join(1.0), "a wrong key cancelled the read: %r" % read.error
    read.conn.cancel()
    wait_done(read, CANCEL_WITHIN_S, "the cancelled read")
    assert read.code() == "57014", read.error
    read.conn.close()


def test_statement_timeout(cluster, stuck):
    """SET statement_timeout: the parked read ends with 57014 "statement
    timeout" at about the timeout; SHOW prints PostgreSQL's form; 0 turns
    it off; a bad value is 22023."""
    read = Bg(cluster, "SELECT count(*) FROM %s" % stuck.table,
              setup=["SET statement_timeout = '600ms'"])
    wait_done(read, 0.6 + CANCEL_WITHIN_S, "the read past its statement_timeout")
    assert read.code() == "57014", (read.result, read.error)
    assert "canceling statement due to statement timeout" in str(read.error)
    assert read.elapsed >= 0.5, read.elapsed
    conn = read.conn
    cur = conn.cursor()
    cur.execute("SET statement_timeout = 2000")
    cur.execute("SHOW statement_timeout")
    assert cur.fetchall() == [("2s",)]
    cur.execute("SET statement_timeout = '1500ms'")
    cur.execute("SHOW statement_timeout")
    assert cur.fetchall() == [("1500ms",)]
    for bad, code in (("'soon'", "22023"), ("'5 parsecs'", "22023"), ("-1", "22023")):
        with pytest.raises(psycopg2.Error) as ei:
            cur.execute("SET statement_timeout = %s" % bad)
        assert ei.value.pgcode == code, (bad, ei.value)
    cur.execute("SELECT 1")  # usable; fast statements are not affected
    assert cur.fetchall() == [(1,)]
    cur.execute("SET statement_timeout = 0")
    cur.execute("SHOW statement_timeout")
    assert cur.fetchall() == [("0",)]
    cur.execute("SELECT setting, unit FROM murphy.settings WHERE name = 'statement_timeout'")
    assert cur.fetchall() == [("0", "ms")]
    # set per session: another session's parked read is not timed out
    other = Bg(cluster, "SELECT count(*) FROM %s" % stuck.table,
               setup=["SET statement_timeout = '30s'"])
    assert not other.join(1.0), other.error
    stuck.release()
    assert other.join(30) and other.result == [(4,)], (other.result, other.error)
    other.conn.close()
    conn.close()


TIMEOUT_VALUES = ["2000", "'1500ms'", "'1min'", "'0.5s'", "'90s'", "'1h'", "'2d'",
                  "'1500us'", "'100us'", "' 3 s'", "0", "DEFAULT",
                  "'soon'", "'5 parsecs'", "-1", "'3000000000'", "'1.5'"]


def test_statement_timeout_values_as_postgresql(cluster, pgconn):
    """SET statement_timeout takes what PostgreSQL takes and SHOW prints
    what PostgreSQL prints; a value PostgreSQL refuses is refused with
    its SQLSTATE (the reference server runs beside the cluster)."""
    m = cluster.connect()
    for value in TIMEOUT_VALUES:
        seen = []
        for conn in (m, pgconn):
            cur = conn.cursor()
            try:
                cur.execute("SET statement_timeout = %s" % value)
                cur.execute("SHOW statement_timeout")
                seen.append(cur.fetchall())
            except psycopg2.Error as e:
                seen.append(e.pgcode)
            cur.execute("SET statement_timeout = 0")
        assert seen[0] == seen[1], "SET statement_timeout = %s: murphy %r, PostgreSQL %r" % (
            value, seen[0], seen[1])
    m.close()


def test_queued_write_is_taken_back(cluster, stuck):
    """An UPDATE queued behind the hanging insert (sent to no copy: only
    row inserts are pipelined behind others) is cancelled: 57014, and its
    change never appears.  The hanging insert was sent: a cancel cannot
    take it back; it commits when the replicas run."""
    queued = Bg(cluster, "UPDATE %s SET v = 999 WHERE id = 2" % stuck.table)
    time.sleep(PARKED_S)
    assert not queued.join(0), queued.error
    queued.conn.cancel()
    wait_done(queued, CANCEL_WITHIN_S, "the cancelled queued UPDATE")
    assert queued.code() == "57014", queued.error
    stuck.write.conn.cancel()  # sent already: no effect
    assert not stuck.write.join(1.0), "the sent insert ended: %r" % stuck.write.error
    stuck.release()
    assert stuck.write.join(30) and stuck.write.error is None, stuck.write.error
    cur = queued.conn.cursor()
    cur.execute("SELECT id, v FROM %s ORDER BY id" % stuck.table)
    assert cur.fetchall() == [(1, 1), (2, 2), (3, 3), (100, 100)]
    queued.conn.close()


def test_psql_ctrl_c(cluster, stuck):
    """psql sends a CancelRequest on SIGINT: the parked read ends with the
    cancel message and psql exits 1."""
    env = dict(os.environ, PGCONNECT_TIMEOUT="10")
    p = subprocess.Popen(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                          str(cluster.port), "-U", "murphy", "-d", "murphy", "-At",
                          "-c", "SELECT 'connected'",
                          "-c", "SELECT count(*) FROM %s" % stuck.table],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        # psql prints the first result before it sends the parked read
        assert p.stdout.readline().strip() == "connected"
        time.sleep(PARKED_S)
        assert p.poll() is None, p.communicate()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=CANCEL_WITHIN_S + 1)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode == 1, (p.returncode, out, err)
    assert "canceling statement due to user request" in err, err


def test_cancel_long_select(cluster):
    """A SELECT running on a follower (a self-join of a 1-shard table: one
    long task) is cancelled within a second; the session goes on.  The
    follower stops the query too (QUERY_CANCEL): the next read of the
    shard, which needs the follower's one pool thread, answers at once
    instead of after the join's seconds."""
    conn = cluster.connect()
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS cx_big")
    cur.execute("CREATE TABLE cx_big (id bigint PRIMARY KEY, v bigint) WITH (shards = 1)")
    cur.copy_expert("COPY cx_big FROM STDIN",
                    io.StringIO("".join("%d\t%d\n" % (i, i) for i in range(BIG_ROWS))))
    cur.execute("SELECT count(*) FROM cx_big")
    assert cur.fetchall() == [(BIG_ROWS,)]
    slow = Bg(cluster, "SELECT count(*) FROM cx_big a JOIN cx_big b ON a.v + b.v = -1")
    time.sleep(PARKED_S)
    assert not slow.join(0), "the self-join was too fast to cancel: %r" % slow.result
    slow.conn.cancel()
    wait_done(slow, CANCEL_WITHIN_S, "the cancelled SELECT")
    assert slow.code() == "57014", (slow.result, slow.error)
    c2 = slow.conn.cursor()
    t0 = time.monotonic()
    c2.execute("SELECT count(*) FROM cx_big WHERE id < 10")
    assert c2.fetchall() == [(10,)]
    assert time.monotonic() - t0 < CANCEL_WITHIN_S, "the follower kept running the join"
    slow.conn.close()
    conn.close()


def test_lock_wait_ends_on_cancel_and_timeout(cluster):
    """A write waiting for another transaction's shard lock, and a read
    waiting at that transaction's gate, end with 57014 on a CancelRequest
    and on statement_timeout; the holder's transaction is untouched and
    its ROLLBACK leaves the row as it was."""
    conn = cluster.connect()
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS cx_lock")
    cur.execute("CREATE TABLE cx_lock (id bigint PRIMARY KEY, v bigint) WITH (shards = 1)")
    cur.execute("INSERT INTO cx_lock VALUES (1, 100)")
    holder = cluster.connect()
    holder.autocommit = False
    holder.cursor().execute("UPDATE cx_lock SET v = v - 1 WHERE id = 1")
    try:
        for sql in ("UPDATE cx_lock SET v = v + 1 WHERE id = 1", "SELECT v FROM cx_lock WHERE id = 1"):
            waiter = Bg(cluster, sql)
            time.sleep(PARKED_S)
            assert not waiter.join(0), "%s did not wait for the lock: %r" % (sql, waiter.result)
            waiter.conn.cancel()
            wait_done(waiter, CANCEL_WITHIN_S, "the cancelled " + sql)
            assert waiter.code() == "57014", (sql, waiter.result, waiter.error)
            waiter.conn.close()
            timed = Bg(cluster, sql, setup=("SET statement_timeout = '400ms'",))
            wait_done(timed, 0.4 + CANCEL_WITHIN_S, "the timed-out " + sql)
            assert timed.code() == "57014", (sql, timed.result, timed.error)
            assert timed.elapsed >= 0.35, timed.elapsed
            timed.conn.close()
        hc = holder.cursor()
        hc.execute("SELECT v FROM cx_lock WHERE id = 1")
        assert hc.fetchall() == [(99,)]  # the holder reads its own write
    finally:
        holder.rollback()
        holder.close()
    cur.execute("SELECT v FROM cx_lock WHERE id = 1")
    assert cur.fetchall() == [(100,)]
    conn.close()
