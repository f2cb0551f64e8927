"""An error inside a block frees its locks at once (issue 16, "Locks and
waits", "Atomicity"; docs/transactions.md, "Session states").

In PostgreSQL an error in a transaction block aborts the (sub)transaction
at the error: its writes are dead and its locks released, before the
client sends ROLLBACK (the block answers 25P02 until then).  murphy kept a
FAILED block's shard locks and writes until its ROLLBACK: a client that
erred and then idled blocked every other writer of those shards (against
the session's base binary the other session's UPDATE waits out its
lock_timeout: 55P03).

- after an error (from a shard, or from planning) another session's
  UPDATE of the row the block wrote proceeds at once and reads the row's
  value from before the block, beside PostgreSQL;
- a 40P01 victim's locks are freed at the error: the other side of the
  cycle finishes while the victim has not rolled back;
- with a savepoint, only what came after it is undone and released: the
  lock taken before it stays held (the other session waits: 55P03), and
  ROLLBACK TO SAVEPOINT then COMMIT keeps the write before it;
- a client gone while its COPY waits for a lock leaves no queued request
  behind (murphy.locks shows none waiting at once).
"""
import io
import socket
import threading
import time

import psycopg2
import pytest

from test_txn_atomic import make_table, scalar, two_shard_ids

# The other session's wait: longer than "at once", short enough for a test.
OTHER_LOCK_TIMEOUT = "3s"
AT_ONCE_S = 1.5


def other_session(connect):
    c = connect()
    c.autocommit = True
    with c.cursor() as cur:
        cur.execute("SET lock_timeout = '%s'" % OTHER_LOCK_TIMEOUT)
    c.autocommit = False
    return c


def timed_update(conn, sql, args=()):
    """(SQLSTATE or None, seconds) of sql in conn's block, then COMMIT."""
    t0 = time.time()
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
        conn.commit()
        return None, time.time() - t0
    except psycopg2.Error as e:
        conn.rollback()
        return e.pgcode, time.time() - t0


ERRORS = [
    ("INSERT INTO {t} VALUES (1, 5)", "23505"),  # from the shard, same shard as the lock
    ("SELECT * FROM no_such_table", "42P01"),    # before it ran (planning)
]


def error_frees(connect, setup_conn, t, failing, state):
    """Block: UPDATE row 1, then a failing statement; another session's
    UPDATE of row 1 before the block's ROLLBACK.  Returns what each saw."""
    with setup_conn.cursor() as cur:
        cur.execute("INSERT INTO {t} VALUES (1, 0), (2, 0)".format(t=t))
    blk = connect()
    blk.autocommit = False
    with blk.cursor() as cur:
        cur.execute("UPDATE {t} SET v = v + 1 WHERE id = 1".format(t=t))
        with pytest.raises(psycopg2.Error) as e:
            cur.execute(failing.format(t=t))
        assert e.value.pgcode == state
        with pytest.raises(psycopg2.Error) as e2:
            cur.execute("SELECT 1")
        assert e2.value.pgcode == "25P02"
    other = other_session(connect)
    got, took = timed_update(other, "UPDATE {t} SET v = v + 10 WHERE id = 1".format(t=t))
    blk.rollback()
    v = scalar(setup_conn, "SELECT v FROM {t} WHERE id = 1".format(t=t))
    for c in (blk, other):
        c.close()
    return got, took, v


@pytest.mark.parametrize("failing,state", ERRORS)
def test_an_error_frees_the_block_locks_at_once(cluster, pgconn, failing, state):
    t = "ef_" + state.lower()
    conn = make_table(cluster, t)
    with pgconn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v int NOT NULL)" % t)
    pg = error_frees(lambda: psycopg2.connect(pgconn.dsn), pgconn, t, failing, state)
    mu = error_frees(cluster.connect, conn, t, failing, state)
    print("other session's UPDATE after the error: murphy %s in %.3f s, PostgreSQL %s in "
          "%.3f s" % (mu[0], mu[1], pg[0], pg[1]))
    assert pg[0] is None and pg[1] < AT_ONCE_S and pg[2] == 10, pg
    assert mu[0] is None, mu  # before: 55P03 after lock_timeout
    assert mu[1] < AT_ONCE_S, mu
    assert mu[2] == pg[2], (mu, pg)
    assert scalar(conn, "SELECT count(*) FROM murphy.locks WHERE table_name = '%s'" % t) == 0
    conn.close()


def test_a_deadlock_victim_frees_its_locks_before_its_rollback(cluster):
    t = "efdl"
    conn = make_table(cluster, t)
    a_id, b_id = two_shard_ids(conn, t)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO %s VALUES (%%s, 0), (%%s, 0)" % t, (a_id, b_id))
    sa, sb = other_session(cluster.connect), other_session(cluster.connect)
    for c in (sa, sb):
        c.autocommit = True
        c.cursor().execute("SET deadlock_timeout = '200ms'")
        c.autocommit = False
    sa.cursor().execute("UPDATE %s SET v = v + 1 WHERE id = %%s" % t, (a_id,))
    sb.cursor().execute("UPDATE %s SET v = v + 1 WHERE id = %%s" % t, (b_id,))
    out = {}

    def run(name, c, key):
        try:
            c.cursor().execute("UPDATE %s SET v = v + 1 WHERE id = %%s" % t, (key,))
            out[name] = "ok"
            c.commit()  # the survivor commits; the victim does NOT roll back
            out[name + "_committed"] = time.time()
        except psycopg2.Error as e:
            out[name] = e.pgcode
            out["victim_at"] = time.time()

    ta = threading.Thread(target=run, args=("A", sa, b_id))
    ta.start()
    time.sleep(0.1)
    tb = threading.Thread(target=run, args=("B", sb, a_id))
    tb.start()
    ta.join(10)
    tb.join(10)
    assert sorted([out.get("A"), out.get("B")]) == ["40P01", "ok"], out
    survivor = "A" if out["A"] == "ok" else "B"
    # the survivor committed though the victim never sent ROLLBACK
    assert survivor + "_committed" in out, out
    # the survivor's two writes; the victim's first one is undone already
    assert scalar(conn, "SELECT sum(v) FROM %s" % t) == 2
    assert scalar(conn, "SELECT count(*) FROM murphy.locks WHERE table_name = '%s'" % t) == 0
    for c in (sa, sb, conn):
        c.close()


def savepoint_keeps(connect, setup_conn, t, a, b):
    """Row a written before SAVEPOINT s, row b (another shard) after it,
    then an error.  Another session: row b proceeds, row a waits
    (lock_timeout).  Then ROLLBACK TO s; COMMIT."""
    with setup_conn.cursor() as cur:
        cur.execute("INSERT INTO {t} VALUES (%s, 0), (%s, 0)".format(t=t), (a, b))
    blk = connect()
    blk.autocommit = False
    with blk.cursor() as cur:
        cur.execute("UPDATE {t} SET v = v + 1 WHERE id = %s".format(t=t), (a,))
        cur.execute("SAVEPOINT s")
        cur.execute("UPDATE {t} SET v = v + 1 WHERE id = %s".format(t=t), (b,))
        with pytest.raises(psycopg2.Error):
            cur.execute("INSERT INTO {t} VALUES (%s, 5)".format(t=t), (b,))
    other = other_session(connect)
    with other.cursor() as cur:
        cur.execute("SET LOCAL lock_timeout = '500ms'")
    row_b = timed_update(other, "UPDATE {t} SET v = v + 10 WHERE id = %s".format(t=t), (b,))
    with other.cursor() as cur:
        cur.execute("SET LOCAL lock_timeout = '500ms'")
    row_a = timed_update(other, "UPDATE {t} SET v = v + 10 WHERE id = %s".format(t=t), (a,))
    with blk.cursor() as cur:
        cur.execute("ROLLBACK TO SAVEPOINT s")
    blk.commit()
    with setup_conn.cursor() as cur:
        cur.execute("SELECT id, v FROM {t} ORDER BY id".format(t=t))
        rows = cur.fetchall()
    for c in (blk, other):
        c.close()
    return row_b[0], row_a[0], rows


def test_a_savepoint_keeps_the_locks_taken_before_it(cluster, pgconn):
    t = "efsp"
    conn = make_table(cluster, t)
    a, b = two_shard_ids(conn, t)
    with pgconn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v int NOT NULL)" % t)
    pg = savepoint_keeps(lambda: psycopg2.connect(pgconn.dsn), pgconn, t, a, b)
    mu = savepoint_keeps(cluster.connect, conn, t, a, b)
    print("savepoint: PostgreSQL %s, murphy %s" % (pg, mu))
    assert pg == (None, "55P03", sorted([(a, 1), (b, 10)])), pg
    assert mu == pg
    conn.close()


def test_a_client_gone_while_its_copy_waits_leaves_no_request(cluster):
    """A keyless table of one shard held by a block: the COPY's first full
    batch waits in the shard's queue while the client still streams
    (pgwire still reads: the disconnect is seen).  Before: the batch stayed
    queued until the holder ended (lock_timeout 0), then ran as a
    transaction nobody would answer."""
    t = "efcopy"
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id int, v int) WITH (shards = 1)" % t)
    holder = cluster.connect(autocommit=False)
    holder.cursor().execute("INSERT INTO %s VALUES (1, 0)" % t)
    cp = cluster.connect()
    with cp.cursor() as cur:
        cur.execute("SET lock_timeout = '0'")  # waits as long as it takes
    src = _StallingRows(BATCH_ROWS + 10)
    copier = threading.Thread(target=_copy_quietly, args=(cp, t, src))
    copier.start()
    waiting = _wait_waiters(conn, t, lambda n: n > 0, 10)
    assert waiting, "the COPY never waited"
    # the client goes: shut its socket down under psycopg2
    socket.fromfd(cp.fileno(), socket.AF_INET, socket.SOCK_STREAM).shutdown(socket.SHUT_RDWR)
    waiting = _wait_waiters(conn, t, lambda n: n == 0, 3)
    src.go.set()
    copier.join(10)
    assert waiting == 0, "the gone COPY's request still waits"  # before: until granted
    holder.rollback()
    time.sleep(0.3)
    assert scalar(conn, "SELECT count(*) FROM %s" % t) == 0
    for c in (holder, conn):
        c.close()


# LEAD_COPY_BATCH_ROWS (src/leader/lead_int.h): a shard's batch is sent then
BATCH_ROWS = 20000


class _StallingRows:
    """COPY data: n rows, then read() blocks until go is set (the client
    is still streaming), then the end."""

    def __init__(self, n):
        self.data = "".join("%d\t0\n" % i for i in range(2, n + 2))
        self.go = threading.Event()

    def read(self, size=-1):
        if self.data:
            out, self.data = self.data[:65536], self.data[65536:]
            return out
        self.go.wait(20)
        return ""

    readline = read


def _wait_waiters(conn, t, done, seconds):
    """Requests waiting on t's shards, polled until done(n) or seconds."""
    deadline = time.time() + seconds
    while True:
        n = scalar(conn, "SELECT count(*) FROM murphy.locks WHERE table_name = '%s' "
                   "AND NOT granted" % t)
        if done(n) or time.time() > deadline:
            return n
        time.sleep(0.05)


def _copy_quietly(conn, t, src):
    try:
        conn.cursor().copy_expert("COPY %s FROM STDIN" % t, src)
    except Exception:
        pass
