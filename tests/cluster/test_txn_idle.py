"""Lost or idle clients do not hold locks forever; a multi-statement Query
is one transaction (issue 16, "Locks and waits"; docs/transactions.md,
docs/failures.md "A lost client").

- idle_in_transaction_session_timeout: a session idle inside a block longer
  than the timeout gets FATAL 25P03, its connection closes and its block is
  undone — the writer waiting behind its lock goes on.  Shown with a
  psycopg2 connection in this process and with a real client process
  stopped by SIGSTOP while it holds the lock.
- TCP keepalive (tcp_keepalives_idle / _interval / _count): SET changes the
  probes of the session's own socket (read back with ss), SHOW and RESET
  as PostgreSQL.
- A Query of several statements runs as one implicit transaction
  (PostgreSQL's "Multiple Statements in a Simple Query"): an error undoes
  the statements before it; BEGIN / COMMIT inside behave as PostgreSQL's.
  Through psycopg2 and psql -c.
"""
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import psycopg2
import psycopg2.extensions as ext
import pytest

IDLE_S = 1.0  # the timeout the tests set: short, well above a statement's time


@pytest.fixture(scope="module")
def acc(cluster):
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE idle_acc (id int PRIMARY KEY, v int) WITH (shards = 4)")
        cur.execute("INSERT INTO idle_acc VALUES " + ", ".join("(%d, 0)" % i for i in range(1, 9)))
    yield conn
    conn.close()


def value(conn, id_):
    with conn.cursor() as cur:
        cur.execute("SELECT v FROM idle_acc WHERE id = %s", (id_,))
        return cur.fetchone()[0]


def timed_update(cluster, id_, out):
    """Another session's write of row id_ (waits behind a holder's lock)."""
    conn = cluster.connect()
    t0 = time.monotonic()
    try:
        with conn.cursor() as cur:
            cur.execute("UPDATE idle_acc SET v = v + 1 WHERE id = %s", (id_,))
        out["end"] = time.monotonic()
        out["waited"] = out["end"] - t0
    except psycopg2.Error as e:
        out["error"] = e
    finally:
        conn.close()


def test_idle_block_is_ended_and_its_writes_undone(cluster, acc):
    before = value(acc, 1)
    holder = cluster.connect()
    cur = holder.cursor()
    cur.execute("SET idle_in_transaction_session_timeout = '%dms'" % int(IDLE_S * 1000))
    cur.execute("BEGIN")
    cur.execute("UPDATE idle_acc SET v = 1000 WHERE id = 1")
    t_idle = time.monotonic()
    out = {}
    th = threading.Thread(target=timed_update, args=(cluster, 1, out))
    th.start()
    # the server speaks first: the FATAL arrives about IDLE_S after the
    # holder went idle, and psycopg2 reads it (a notice: libpq's word for
    # an unrequested message), then finds the connection gone
    r, _, _ = select.select([holder], [], [], 10)
    assert r, "the idle session was never ended"
    ended_after = time.monotonic() - t_idle
    holder.poll()
    assert any("FATAL:  terminating connection due to idle-in-transaction timeout" in n
               for n in holder.notices), holder.notices
    assert IDLE_S * 0.5 <= ended_after < IDLE_S + 3, ended_after
    with pytest.raises(psycopg2.OperationalError):
        cur.execute("SELECT 1")
    th.join(20)
    assert "error" not in out, out
    # the writer waited for the holder's lock, then went on
    assert out["end"] - t_idle >= IDLE_S * 0.5, out
    assert value(acc, 1) == before + 1  # the holder's 1000 is gone


def test_idle_in_failed_block_is_ended_too(cluster, acc):
    holder = cluster.connect()
    cur = holder.cursor()
    cur.execute("SET idle_in_transaction_session_timeout = '%dms'" % int(IDLE_S * 1000))
    cur.execute("BEGIN")
    cur.execute("UPDATE idle_acc SET v = 2000 WHERE id = 2")
    with pytest.raises(psycopg2.Error):
        cur.execute("SELECT 1/0")
    assert holder.info.transaction_status == ext.TRANSACTION_STATUS_INERROR
    t_idle = time.monotonic()
    out = {}
    timed_update(cluster, 2, out)
    assert "error" not in out, out
    # the error freed the block's lock at once (as PostgreSQL), not its
    # idle timeout (docs/transactions.md, "An error frees at once")
    assert out["end"] - t_idle < IDLE_S * 0.5, out
    assert value(acc, 2) != 2000
    # and the failed block idling is still ended by the timeout
    time.sleep(IDLE_S * 1.5)
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("SELECT 1")
    assert e.value.pgcode != "25P02", e.value  # ended, not merely FAILED


def test_idle_outside_a_block_is_not_ended(cluster, acc):
    conn = cluster.connect()
    cur = conn.cursor()
    cur.execute("SET idle_in_transaction_session_timeout = '300ms'")
    time.sleep(1.0)
    cur.execute("SELECT 1")
    assert cur.fetchall() == [(1,)]
    # and a block that keeps talking is not ended either
    cur.execute("BEGIN")
    for _ in range(5):
        time.sleep(0.15)
        cur.execute("SELECT 1")
    cur.execute("COMMIT")
    conn.close()


def idle_session_ended(conn, idle_s):
    """Wait for the server's FATAL on an idle connection outside a block:
    the seconds it took, and the notices psycopg2 read."""
    t_idle = time.monotonic()
    r, _, _ = select.select([conn], [], [], idle_s + 10)
    assert r, "the idle session was never ended"
    ended_after = time.monotonic() - t_idle
    try:
        conn.poll()
    except psycopg2.OperationalError:
        pass
    return ended_after, conn.notices


@pytest.mark.parametrize("server", ["murphy", "postgres"])
def test_idle_session_timeout_ends_an_idle_session(cluster, pgconn, server):
    """idle_session_timeout (PostgreSQL 14+): a session idle outside a
    block this long gets FATAL 57P05 and its connection closes; the same
    as PostgreSQL, which runs as the control.  Before, SET of it was
    0A000.  One that keeps talking, or waits inside a block, is not ended
    by it (that is idle_in_transaction_session_timeout's job)."""
    if server == "murphy":
        conn = cluster.connect()
    else:
        conn = psycopg2.connect(pgconn.dsn)
        conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET idle_session_timeout = '%dms'" % int(IDLE_S * 1000))
    cur.execute("SHOW idle_session_timeout")
    assert cur.fetchone()[0] == "1s"  # IDLE_S, in PostgreSQL's largest whole unit
    for _ in range(4):  # talking more often than the timeout: not ended
        time.sleep(IDLE_S * 0.4)
        cur.execute("SELECT 1")
    cur.execute("BEGIN")  # idle in a block: not this timeout's
    time.sleep(IDLE_S * 1.5)
    cur.execute("SELECT 2")
    assert cur.fetchone() == (2,)
    cur.execute("COMMIT")
    ended_after, notices = idle_session_ended(conn, IDLE_S)
    assert any("FATAL:  terminating connection due to idle-session timeout" in n
               for n in notices), notices
    assert IDLE_S * 0.5 <= ended_after < IDLE_S + 3, ended_after
    with pytest.raises(psycopg2.OperationalError):
        cur.execute("SELECT 1")
    conn.close()


def test_idle_session_timeout_set_show_reset(cluster):
    conn = cluster.connect()
    cur = conn.cursor()
    cur.execute("SHOW idle_session_timeout")
    assert cur.fetchone() == ("0",)
    cur.execute("SET idle_session_timeout = 90000")
    cur.execute("SHOW idle_session_timeout")
    assert cur.fetchone() == ("90s",)
    cur.execute("SELECT setting, unit FROM pg_settings WHERE name = 'idle_session_timeout'")
    assert cur.fetchone() == ("90000", "ms")
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("SET idle_session_timeout = -1")
    assert e.value.pgcode == "22023"
    cur.execute("RESET idle_session_timeout")
    time.sleep(0.3)
    cur.execute("SHOW idle_session_timeout")
    assert cur.fetchone() == ("0",)
    conn.close()


CHILD = textwrap.dedent("""
    import sys, time, psycopg2
    conn = psycopg2.connect(sys.argv[1])
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET idle_in_transaction_session_timeout = '%s'" % sys.argv[2])
    cur.execute("BEGIN")
    cur.execute("UPDATE idle_acc SET v = 3000 WHERE id = 3")
    print("holding", flush=True)
    time.sleep(120)
""")


def test_stopped_client_process_loses_its_lock(cluster, acc):
    """A real client process holding a lock is stopped (SIGSTOP): its TCP
    connection stays open and its kernel still answers keepalive probes,
    so only idle_in_transaction_session_timeout ends it; the writer behind
    it goes on and the stopped client's write is gone."""
    before = value(acc, 3)
    child = subprocess.Popen([sys.executable, "-c", CHILD, cluster.dsn(), "1s"],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "holding"
        os.kill(child.pid, signal.SIGSTOP)
        t_stop = time.monotonic()
        out = {}
        timed_update(cluster, 3, out)
        assert "error" not in out, out
        assert 0.5 <= out["end"] - t_stop < 10, out
        assert value(acc, 3) == before + 1
    finally:
        os.kill(child.pid, signal.SIGKILL)
        os.kill(child.pid, signal.SIGCONT)
        child.wait(10)


def ss_keepalive_s(cluster, client_port):
    """Seconds left on the keepalive timer of the leader's socket to
    client_port (ss -o), None when it has none."""
    r = subprocess.run(["ss", "-tnoH", "state", "established",
                        "( sport = :%d and dport = :%d )" % (cluster.port, client_port)],
                       stdout=subprocess.PIPE, text=True, check=True)
    m = re.search(r"timer:\(keepalive,(?:(\d+)min)?(?:([\d.]+)(ms|sec))?", r.stdout)
    if not m:
        return None
    s = int(m.group(1) or 0) * 60.0
    if m.group(2):
        s += float(m.group(2)) / (1000.0 if m.group(3) == "ms" else 1.0)
    return s


@pytest.mark.skipif(not shutil.which("ss"), reason="needs ss (iproute2)")
def test_keepalive_settings_reach_the_socket(cluster):
    conn = cluster.connect()
    cur = conn.cursor()
    port = socket.socket(fileno=os.dup(conn.fileno())).getsockname()[1]
    for name, shown in (("tcp_keepalives_idle", "1min"), ("tcp_keepalives_interval", "10s"),
                        ("tcp_keepalives_count", "6")):
        cur.execute("SHOW " + name)
        assert cur.fetchall() == [(shown,)], name
    time.sleep(0.3)
    left = ss_keepalive_s(cluster, port)
    assert left is not None and 50 < left <= 60, left  # the leader's default: on, 60 s
    cur.execute("SET tcp_keepalives_idle = 5")
    cur.execute("SELECT 1")
    time.sleep(0.3)
    left = ss_keepalive_s(cluster, port)
    assert left is not None and left <= 5, left
    cur.execute("SHOW tcp_keepalives_idle")
    assert cur.fetchall() == [("5s",)]
    cur.execute("SET tcp_keepalives_interval = '1min'")
    cur.execute("SHOW tcp_keepalives_interval")
    assert cur.fetchall() == [("1min",)]
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("SET tcp_keepalives_count = 1000")
    assert e.value.pgcode == "22023"
    cur.execute("RESET tcp_keepalives_idle")
    cur.execute("SHOW tcp_keepalives_idle")
    assert cur.fetchall() == [("1min",)]
    conn.close()


# ---- a multi-statement Query is one transaction ----

@pytest.fixture()
def multi(cluster):
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS idle_multi")
        cur.execute("CREATE TABLE idle_multi (id int PRIMARY KEY) WITH (shards = 4)")
    yield conn
    conn.close()


def ids(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM idle_multi ORDER BY id")
        return [r[0] for r in cur.fetchall()]


def query_error(conn, sql):
    with pytest.raises(psycopg2.Error) as e:
        with conn.cursor() as cur:
            cur.execute(sql)
    return e.value


def test_an_error_undoes_the_statements_before_it(multi):
    e = query_error(multi, "INSERT INTO idle_multi VALUES (1); "
                           "INSERT INTO idle_multi VALUES (2), (3); SELECT 1/0")
    assert e.pgcode == "22012", (e.pgcode, str(e))  # the statement's own error
    assert multi.info.transaction_status == ext.TRANSACTION_STATUS_IDLE
    assert ids(multi) == []
    with multi.cursor() as cur:  # without an error, all of it
        cur.execute("INSERT INTO idle_multi VALUES (1), (5); DELETE FROM idle_multi WHERE id = 1; "
                    "INSERT INTO idle_multi VALUES (2)")
    assert ids(multi) == [2, 5]


def test_commit_inside_keeps_what_came_before(multi):
    e = query_error(multi, "BEGIN; INSERT INTO idle_multi VALUES (1); COMMIT; "
                           "INSERT INTO idle_multi VALUES (2); SELECT 1/0")
    assert e.pgcode == "22012"
    assert ids(multi) == [1]


def test_begin_inside_makes_the_statements_before_part_of_a_block(multi):
    with multi.cursor() as cur:
        cur.execute("INSERT INTO idle_multi VALUES (1); BEGIN; INSERT INTO idle_multi VALUES (2)")
        assert multi.info.transaction_status == ext.TRANSACTION_STATUS_INTRANS
        cur.execute("ROLLBACK")
    assert ids(multi) == []
    # BEGIN; error; ROLLBACK in one Query: the ROLLBACK is never reached
    e = query_error(multi, "BEGIN; INSERT INTO idle_multi VALUES (3); SELECT 1/0; ROLLBACK")
    assert e.pgcode == "22012"
    assert multi.info.transaction_status == ext.TRANSACTION_STATUS_INERROR
    e = query_error(multi, "SELECT 1")
    assert e.pgcode == "25P02"
    with multi.cursor() as cur:
        cur.execute("ROLLBACK")
    assert ids(multi) == []


def test_savepoints_and_commit_in_an_implicit_block(multi):
    e = query_error(multi, "INSERT INTO idle_multi VALUES (1); SAVEPOINT s")
    assert e.pgcode == "25P01", (e.pgcode, str(e))
    assert ids(multi) == []
    del multi.notices[:]
    with multi.cursor() as cur:
        cur.execute("INSERT INTO idle_multi VALUES (1); COMMIT; INSERT INTO idle_multi VALUES (2)")
    assert any("there is no transaction in progress" in n for n in multi.notices), multi.notices
    assert ids(multi) == [1, 2]


@pytest.mark.skipif(not shutil.which("psql"), reason="needs psql")
def test_psql_dash_c(cluster, multi):
    env = dict(os.environ, PGCONNECT_TIMEOUT="10")
    r = subprocess.run(["psql", cluster.dsn(), "-X", "-c",
                        "INSERT INTO idle_multi VALUES (7); INSERT INTO idle_multi VALUES (8); "
                        "SELECT 1/0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, env=env, timeout=30)
    assert r.returncode != 0 and "division by zero" in r.stderr, r.stderr
    assert ids(multi) == []
    r = subprocess.run(["psql", cluster.dsn(), "-X", "-c",
                        "INSERT INTO idle_multi VALUES (7); INSERT INTO idle_multi VALUES (8)"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    assert ids(multi) == [7, 8]


def test_a_concurrent_reader_never_sees_half_a_query(cluster, multi):
    """The implicit block holds its shards to the end: a reader sees none or
    all of a two-shard Query."""
    stop = threading.Event()
    seen = set()

    def reader():
        conn = cluster.connect()
        while not stop.is_set():
            with conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM idle_multi")
                seen.add(cur.fetchone()[0])
        conn.close()

    th = threading.Thread(target=reader)
    th.start()
    try:
        with multi.cursor() as cur:
            for k in range(0, 40, 2):
                cur.execute("INSERT INTO idle_multi VALUES (%d); INSERT INTO idle_multi VALUES (%d)"
                            % (k + 100, k + 101))
    finally:
        stop.set()
        th.join(20)
    assert all(n % 2 == 0 for n in seen), sorted(seen)


# ---- the leader's defaults ----

def test_leader_flags_set_every_sessions_defaults(tmp_path):
    """--idle-in-transaction-timeout-ms and --tcp-keepalives-* are what SHOW
    and RESET give every session (a leader alone: SHOW needs no follower);
    a value out of range stops the leader at once."""
    from conftest import MURPHY
    from pgserver import free_port
    bad = subprocess.run([MURPHY, "leader", "--dir", str(tmp_path / "bad"), "--listen",
                          "127.0.0.1:1", "--pg", "127.0.0.1:1", "--tcp-keepalives-count", "500"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=10)
    assert bad.returncode == 2 and "--tcp-keepalives-count takes 1..127" in bad.stderr, bad.stderr
    port = free_port(count=2)
    leader = subprocess.Popen([MURPHY, "leader", "--dir", str(tmp_path / "l"),
                               "--listen", "127.0.0.1:%d" % (port + 1),
                               "--pg", "127.0.0.1:%d" % port,
                               "--idle-in-transaction-timeout-ms", "1500",
                               "--tcp-keepalives-idle", "30", "--tcp-keepalives-interval", "120",
                               "--tcp-keepalives-count", "3"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        conn = None
        deadline = time.time() + 10
        while conn is None:
            try:
                conn = psycopg2.connect(host="127.0.0.1", port=port, user="murphy",
                                        dbname="murphy", connect_timeout=2)
            except psycopg2.OperationalError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        conn.autocommit = True
        cur = conn.cursor()
        want = {"idle_in_transaction_session_timeout": "1500ms", "tcp_keepalives_idle": "30s",
                "tcp_keepalives_interval": "2min", "tcp_keepalives_count": "3"}
        for name, shown in want.items():
            cur.execute("SHOW " + name)
            assert cur.fetchall() == [(shown,)], name
        cur.execute("SET idle_in_transaction_session_timeout = 0")
        cur.execute("SET tcp_keepalives_count = 0")  # 0: the leader's value
        cur.execute("RESET idle_in_transaction_session_timeout")
        for name in ("idle_in_transaction_session_timeout", "tcp_keepalives_count"):
            cur.execute("SHOW " + name)
            assert cur.fetchall() == [(want[name],)], name
        conn.close()
    finally:
        leader.terminate()
        leader.wait(10)


def test_local_start_passes_the_idle_timeout_and_remembers_it():
    """murphy local start --idle-in-transaction-timeout-ms reaches the leader
    and local.conf keeps it for the next start; 0 (never) is a value."""
    from conftest import Cluster
    cl = Cluster(followers=1, start_args=("--idle-in-transaction-timeout-ms", "0"))
    try:
        for _ in range(2):  # the second start reads local.conf
            cl.start()
            conn = cl.connect()
            with conn.cursor() as cur:
                cur.execute("SHOW idle_in_transaction_session_timeout")
                assert cur.fetchall() == [("0",)]
            conn.close()
            cl.stop()
            cl.start_args = []
    finally:
        cl.stop()


def wait_async(conn):
    while True:
        state = conn.poll()
        if state == ext.POLL_OK:
            return
        if state == ext.POLL_READ:
            select.select([conn.fileno()], [], [], 10)
        else:
            select.select([], [conn.fileno()], [], 10)


def session_alive(admin, pid):
    with admin.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,))
        return cur.fetchone()[0] == 1


@pytest.mark.parametrize("user_timeout_ms", [1000, 0])
@pytest.mark.parametrize("server", ["murphy", "postgres"])
def test_tcp_user_timeout_ends_a_client_that_stopped_reading(cluster, pgconn, server,
                                                             user_timeout_ms):
    """tcp_user_timeout (TCP_USER_TIMEOUT): a client that stopped reading
    an answer — its window full, so the server's kernel only sends
    zero-window probes, which keepalive does not replace — is ended once
    the sent data has waited unacknowledged that long; with 0 (the
    default) it is not.  PostgreSQL runs the same as the control.  Before,
    SET tcp_user_timeout was 0A000 on murphy."""
    dsn = cluster.dsn() if server == "murphy" else pgconn.dsn
    admin = cluster.connect() if server == "murphy" else pgconn
    conn = psycopg2.connect(dsn, async_=1)
    try:
        wait_async(conn)
        pid = conn.get_backend_pid()
        sock = socket.socket(fileno=os.dup(conn.fileno()))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.close()
        cur = conn.cursor()
        cur.execute("SET tcp_user_timeout = %d" % user_timeout_ms)
        wait_async(conn)
        cur.execute("SHOW tcp_user_timeout")
        wait_async(conn)
        assert cur.fetchone() == (str(user_timeout_ms),)  # a bare number, as PostgreSQL
        # ~100 MB the client never reads: the server's send queue fills
        cur.execute("SELECT repeat('x', 1000) FROM generate_series(1, 100000)")
        # ended within ~1-3 s when the timeout is set (zero-window probes
        # back off from 200 ms); without it, still there 6 s later
        deadline = time.monotonic() + (20 if user_timeout_ms else 6)
        while time.monotonic() < deadline and session_alive(admin, pid):
            time.sleep(0.25)
        if user_timeout_ms:
            assert not session_alive(admin, pid), "the stalled client was never ended"
        else:
            assert session_alive(admin, pid)
    finally:
        conn.close()
        if server == "murphy":
            admin.close()
        else:  # the server ends a session whose client it finds gone
            with admin.cursor() as c:
                c.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                          " WHERE datname = current_database() AND pid <> pg_backend_pid()")
