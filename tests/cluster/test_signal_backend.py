"""pg_cancel_backend(pid) and pg_terminate_backend(pid [, timeout]), each
case run on murphy and on a real PostgreSQL 15 with the same statements
(docs/failures.md, "Cancel and statement_timeout"; src/leader/lead_signal.c).

- a pid no session has: false, with WARNING "PID n is not a PostgreSQL
  backend process"; NULL arguments: NULL; a negative timeout, a pid that is
  no integer: PostgreSQL's errors;
- permissions: a role signals its own sessions; not another role's, nor a
  superuser's (42501 with PostgreSQL 15's words); a superuser signals any;
- cancel: a statement waiting on another session's row lock fails with
  57014 "canceling statement due to user request" and its session goes on;
  a session's cancel of itself fails its statement with 57014;
- terminate, the operator's use: `SELECT pg_terminate_backend(pid) FROM
  pg_stat_activity WHERE state = 'idle in transaction'` ends the session
  holding a lock: its write is undone, the session waiting behind it goes
  on, the victim's connection is closed and its pid leaves
  pg_stat_activity; a session terminated while waiting on a lock is ended
  too, with its block's earlier writes undone.

On a binary without these functions (murphy-s20) every murphy case fails:
the calls are 42883 (function does not exist).
"""
import threading
import time

import psycopg2
import pytest

WAIT_S = 15  # ceiling for anything that should happen at once
PASSWORD = "sig-pw"


@pytest.fixture(scope="module")
def servers(cluster, pg, pgconn):
    """server name -> (connect(user=None), the admin connection)."""
    dbname = pgconn.get_dsn_parameters()["dbname"]

    def murphy_connect(user=None):
        if user is None:
            return cluster.connect()
        conn = psycopg2.connect(host="127.0.0.1", port=cluster.port, user=user,
                                dbname="murphy", password=PASSWORD, connect_timeout=10)
        conn.autocommit = True
        return conn

    def pg_connect(user=None):
        dsn = pg.dsn(dbname)
        if user is not None:
            dsn = dsn.replace("user=postgres", "user=" + user)
        conn = psycopg2.connect(dsn)
        conn.autocommit = True
        return conn

    m = cluster.connect()
    for conn, shards in ((m, " WITH (shards = 4)"), (pgconn, "")):
        with conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS sig_acc")
            cur.execute("CREATE TABLE sig_acc (id int PRIMARY KEY, v int)" + shards)
            cur.execute("INSERT INTO sig_acc SELECT g, 0 FROM generate_series(1, 8) g"
                        if conn is pgconn else
                        "INSERT INTO sig_acc VALUES " +
                        ", ".join("(%d, 0)" % i for i in range(1, 9)))
            for role in ("sig_alice", "sig_bob"):
                cur.execute("DROP ROLE IF EXISTS " + role)
                cur.execute("CREATE ROLE %s LOGIN PASSWORD '%s'" % (role, PASSWORD))
    yield {"murphy": (murphy_connect, m), "postgres": (pg_connect, pgconn)}
    m.close()


def one(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def error_of(conn, sql, params=None):
    with pytest.raises(psycopg2.Error) as e:
        one(conn, sql, params)
    return e.value.pgcode, e.value.diag.message_primary


def value(conn, id_):
    return one(conn, "SELECT v FROM sig_acc WHERE id = %s", (id_,))[0]


def pid_of(conn):
    return one(conn, "SELECT pg_backend_pid()")[0]


def wait_for(pred, what):
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("never happened: " + what)


def alive(admin, pid):
    return one(admin, "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,))[0] == 1


def waiting_update(connect, id_, delta, out):
    """Another session's write of row id_, started in a thread; out gets
    its pid at once, then its error or its end."""
    conn = connect()
    out["pid"] = pid_of(conn)
    try:
        with conn.cursor() as cur:
            cur.execute("UPDATE sig_acc SET v = v + %s WHERE id = %s", (delta, id_))
        out["done"] = True
    except psycopg2.Error as e:
        out["error"] = e
    out["conn"] = conn


def start_waiter(connect, admin, id_, delta):
    """A thread whose UPDATE of id_ waits behind a lock, once pg_stat_activity
    shows it active."""
    out = {}
    th = threading.Thread(target=waiting_update, args=(connect, id_, delta, out))
    th.start()
    wait_for(lambda: "pid" in out, "the waiter connected")
    wait_for(lambda: one(admin, "SELECT count(*) FROM pg_stat_activity WHERE pid = %s "
                         "AND state = 'active'", (out["pid"],))[0] == 1,
             "the waiter shows active in pg_stat_activity")
    time.sleep(0.3)  # it reached its lock wait
    assert "done" not in out and "error" not in out, out
    return th, out


@pytest.mark.parametrize("server", ["murphy", "postgres"])
@pytest.mark.parametrize("fn", ["pg_cancel_backend", "pg_terminate_backend"])
def test_unknown_pid_is_false_with_a_warning(servers, server, fn):
    _, admin = servers[server]
    del admin.notices[:]
    assert one(admin, "SELECT %s(2147483)" % fn) == (False,)
    assert admin.notices == ["WARNING:  PID 2147483 is not a PostgreSQL backend process\n"]
    del admin.notices[:]


@pytest.mark.parametrize("server", ["murphy", "postgres"])
def test_arguments(servers, server):
    _, admin = servers[server]
    assert one(admin, "SELECT pg_cancel_backend(NULL)") == (None,)
    assert one(admin, "SELECT pg_terminate_backend(NULL)") == (None,)
    assert one(admin, "SELECT pg_terminate_backend(1, NULL)") == (None,)
    assert error_of(admin, "SELECT pg_terminate_backend(1, -1)") == \
        ("22003", '"timeout" must not be negative')
    assert error_of(admin, "SELECT pg_cancel_backend('abc')") == \
        ("22P02", 'invalid input syntax for type integer: "abc"')
    # a parameter (text over the wire) names the pid as well
    del admin.notices[:]
    assert one(admin, "SELECT pg_terminate_backend(%s)", (2147483,)) == (False,)
    assert len(admin.notices) == 1
    del admin.notices[:]


def test_a_timeout_to_wait_for_is_refused_clearly(servers):
    _, admin = servers["murphy"]
    code, msg = error_of(admin, "SELECT pg_terminate_backend(1, 100)")
    assert code == "0A000" and "timeout" in msg, msg


@pytest.mark.parametrize("server", ["murphy", "postgres"])
def test_permissions(servers, server):
    connect, admin = servers[server]
    alice, alice2, bob = connect("sig_alice"), connect("sig_alice"), connect("sig_bob")
    try:
        bob_pid, admin_pid, alice2_pid = pid_of(bob), pid_of(admin), pid_of(alice2)
        assert error_of(alice, "SELECT pg_cancel_backend(%s)", (bob_pid,)) == (
            "42501", "must be a member of the role whose query is being canceled or "
            "member of pg_signal_backend")
        assert error_of(alice, "SELECT pg_terminate_backend(%s)", (bob_pid,)) == (
            "42501", "must be a member of the role whose process is being terminated or "
            "member of pg_signal_backend")
        assert error_of(alice, "SELECT pg_cancel_backend(%s)", (admin_pid,)) == (
            "42501", "must be a superuser to cancel superuser query")
        assert error_of(alice, "SELECT pg_terminate_backend(%s)", (admin_pid,)) == (
            "42501", "must be a superuser to terminate superuser process")
        assert one(alice, "SELECT pg_cancel_backend(%s)", (alice2_pid,)) == (True,)
        assert one(admin, "SELECT pg_cancel_backend(%s)", (bob_pid,)) == (True,)
        # nothing ran: the cancels changed nothing, everyone goes on
        for c in (alice, alice2, bob):
            assert one(c, "SELECT 1") == (1,)
        # the role's own session, terminated by itself
        assert one(alice, "SELECT pg_terminate_backend(%s)", (alice2_pid,)) == (True,)
        wait_for(lambda: not alive(admin, alice2_pid), "alice's second session ended")
        with pytest.raises(psycopg2.OperationalError):
            one(alice2, "SELECT 1")
    finally:
        for c in (alice, alice2, bob):
            c.close()


@pytest.mark.parametrize("server", ["murphy", "postgres"])
def test_cancel_ends_a_statement_waiting_on_a_lock(servers, server):
    connect, admin = servers[server]
    before = value(admin, 2)
    holder = connect()
    hcur = holder.cursor()
    hcur.execute("BEGIN")
    hcur.execute("UPDATE sig_acc SET v = v + 100 WHERE id = 2")
    th, out = start_waiter(connect, admin, 2, 1)
    try:
        t0 = time.monotonic()
        assert one(admin, "SELECT pg_cancel_backend(%s)", (out["pid"],)) == (True,)
        th.join(WAIT_S)
        assert not th.is_alive(), "the cancelled statement never ended"
        assert time.monotonic() - t0 < 5
        e = out.get("error")
        assert e is not None and e.pgcode == "57014", out
        assert e.diag.message_primary == "canceling statement due to user request"
        # its session goes on; the holder's block is untouched
        assert one(out["conn"], "SELECT 1") == (1,)
        hcur.execute("COMMIT")
        assert value(admin, 2) == before + 100
    finally:
        holder.close()
        if "conn" in out:
            out["conn"].close()


@pytest.mark.parametrize("server", ["murphy", "postgres"])
def test_cancel_of_itself_fails_its_statement(servers, server):
    connect, _ = servers[server]
    conn = connect()
    try:
        assert error_of(conn, "SELECT pg_cancel_backend(pg_backend_pid())") == (
            "57014", "canceling statement due to user request")
        assert one(conn, "SELECT 1") == (1,)
    finally:
        conn.close()


@pytest.mark.parametrize("server", ["murphy", "postgres"])
def test_terminate_idle_in_transaction_releases_its_locks(servers, server):
    """The operator's query ends the idle block holding a lock; the writer
    waiting behind it goes on; the victim's write is undone."""
    connect, admin = servers[server]
    before = value(admin, 3)
    victim = connect()
    victim_pid = pid_of(victim)
    vcur = victim.cursor()
    vcur.execute("BEGIN")
    vcur.execute("UPDATE sig_acc SET v = 1000 WHERE id = 3")
    th, out = start_waiter(connect, admin, 3, 1)
    try:
        rows = None
        with admin.cursor() as cur:
            cur.execute("SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE state = 'idle in transaction' AND datname = current_database()")
            rows = cur.fetchall()
        assert rows == [(victim_pid, True)], rows
        th.join(WAIT_S)
        assert not th.is_alive(), "the waiting writer never went on"
        assert out.get("done"), out
        assert value(admin, 3) == before + 1  # the victim's 1000 is gone
        wait_for(lambda: not alive(admin, victim_pid), "the victim left pg_stat_activity")
        with pytest.raises(psycopg2.OperationalError):
            vcur.execute("SELECT 1")
        assert victim.closed
    finally:
        victim.close()
        if "conn" in out:
            out["conn"].close()


@pytest.mark.parametrize("server", ["murphy", "postgres"])
def test_terminate_a_session_waiting_on_a_lock(servers, server):
    """The victim's block wrote row 5, then waits for row 4: terminated, it
    stops waiting, its connection closes and its write of row 5 is undone."""
    connect, admin = servers[server]
    before4, before5 = value(admin, 4), value(admin, 5)
    holder = connect()
    hcur = holder.cursor()
    hcur.execute("BEGIN")
    hcur.execute("UPDATE sig_acc SET v = v + 100 WHERE id = 4")
    victim = connect()
    victim_pid = pid_of(victim)
    vcur = victim.cursor()
    vcur.execute("BEGIN")
    vcur.execute("UPDATE sig_acc SET v = 1000 WHERE id = 5")
    result = {}

    def victim_waits():
        try:
            vcur.execute("UPDATE sig_acc SET v = 1000 WHERE id = 4")
            result["done"] = True
        except psycopg2.Error as e:
            result["error"] = e

    th = threading.Thread(target=victim_waits)
    th.start()
    try:
        wait_for(lambda: one(admin, "SELECT count(*) FROM pg_stat_activity WHERE pid = %s "
                             "AND state = 'active'", (victim_pid,))[0] == 1,
                 "the victim shows active")
        time.sleep(0.3)
        assert one(admin, "SELECT pg_terminate_backend(%s)", (victim_pid,)) == (True,)
        th.join(WAIT_S)
        assert not th.is_alive(), "the terminated session's statement never ended"
        assert isinstance(result.get("error"), psycopg2.OperationalError), result
        wait_for(lambda: not alive(admin, victim_pid), "the victim left pg_stat_activity")
        assert value(admin, 5) == before5  # undone
        hcur.execute("COMMIT")
        assert value(admin, 4) == before4 + 100
    finally:
        holder.close()
        victim.close()


@pytest.mark.parametrize("server", ["murphy", "postgres"])
def test_terminate_of_itself_ends_the_session(servers, server):
    connect, admin = servers[server]
    conn = connect()
    pid = pid_of(conn)
    try:
        with pytest.raises(psycopg2.OperationalError):
            one(conn, "SELECT pg_terminate_backend(pg_backend_pid())")
        wait_for(lambda: not alive(admin, pid), "the session left pg_stat_activity")
        with pytest.raises(psycopg2.Error):
            one(conn, "SELECT 1")
    finally:
        conn.close()


@pytest.mark.parametrize("server", ["murphy", "postgres"])
def test_terminate_many_at_once(servers, server):
    """Every idle block of the database, in one statement whose answer only
    counts them (the calls sit in a subquery under an aggregate's FILTER,
    which the catalog emulation once dropped)."""
    connect, admin = servers[server]
    victims = [connect() for _ in range(3)]
    pids = [pid_of(v) for v in victims]
    try:
        for v in victims:
            v.cursor().execute("BEGIN")
        assert one(admin, "SELECT count(*) FILTER (WHERE false) FROM pg_stat_activity") == (0,)
        assert one(admin, "SELECT count(*) FILTER (WHERE t) FROM (SELECT "
                   "pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE state = "
                   "'idle in transaction' AND datname = current_database()) s") == (3,)
        for pid in pids:
            wait_for(lambda: not alive(admin, pid), "session %d ended" % pid)
    finally:
        for v in victims:
            v.close()
