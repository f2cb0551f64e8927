"""Fixtures for murphy's cluster tests: real processes on loopback.

- ``pg``       (session): a throwaway PostgreSQL 15 server, the reference.
- ``cluster``  (module):  ``build/murphy local start`` in a temp dir on free
               ports, 3 followers; stopped at teardown whatever happens.
               When a test that used it fails, the tail of every node log is
               attached to the failure report.
- ``db``       (module):  a ``Compare`` over a murphy connection and a fresh
               PostgreSQL database: ``db.both(sql, params)`` runs a statement
               on both and asserts the same result, ``db.exec_both(sql)``
               runs setup on both.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import psycopg2
import pytest

from pgserver import PgServer, free_port
from compare import Compare

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MURPHY = os.environ.get("MURPHY_BIN") or os.path.join(ROOT, "build", "murphy")
FOLLOWERS = 3
LOG_TAIL_LINES = int(os.environ.get("MURPHY_LOG_LINES", "40"))
# A hung statement must not hang `make test` (psycopg2 cannot be interrupted
# by a signal): after this long a watchdog dumps the logs, stops every
# cluster and exits.
TEST_TIMEOUT_S = int(os.environ.get("MURPHY_TEST_TIMEOUT", "180"))
# MURPHY_NODE_TLS=on runs every local cluster with TLS between its nodes
# (`murphy local start --node-tls on`; off by default, docs/decisions.md).
NODE_TLS_ARGS = (("--node-tls", os.environ["MURPHY_NODE_TLS"])
                 if os.environ.get("MURPHY_NODE_TLS") else ())
_clusters = []
_pg_servers = []


class Cluster:
    """A local murphy cluster driven through `murphy local start|stop`."""

    def __init__(self, followers=FOLLOWERS, start_args=()):
        """start_args: extra `murphy local start` options for the first
        start (timers, pipeline); local.conf remembers them after that."""
        self.followers = followers
        self.start_args = list(start_args)
        self.dir = tempfile.mkdtemp(prefix="murphy-test-")
        self.port = free_port(count=followers + 2)
        _clusters.append(self)

    def run(self, *args, check=True, timeout=60):
        r = subprocess.run([MURPHY] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError("murphy %s failed (%d)\nstdout:\n%s\nstderr:\n%s"
                                 % (" ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    def start(self, *extra):
        """`murphy local start` with start_args; extra: more of its options (leader flags)."""
        return self.run("local", "start", "--dir", self.dir, "--followers",
                        str(self.followers), "--pg-port", str(self.port), *NODE_TLS_ARGS,
                        *self.start_args, *extra)

    def stop(self):
        return self.run("local", "stop", "--dir", self.dir, check=False)

    def node_cert(self, name):
        """A follower about to be started by hand in DIR/name: its certificate
        of the cluster CA (`murphy local cert`) when the cluster runs node TLS."""
        with open(os.path.join(self.dir, "local.conf")) as f:
            if "node_tls=1" in f.read().split():
                self.run("local", "cert", "--dir", self.dir, "--name", name)

    def node_names(self):
        return ["leader"] + ["f%d" % i for i in range(1, self.followers + 1)]

    def pid(self, name):
        try:
            with open(os.path.join(self.dir, name, "murphy.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def kill9(self, name, timeout=10):
        """kill -9 node name (leader, f1, ...) and wait until it is gone (or
        a zombie): a start right after must not find it still running."""
        pid = self.pid(name)
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with open("/proc/%d/stat" % pid) as f:
                    if f.read().rsplit(")", 1)[1].split()[0] in "ZX":
                        return
            except OSError:
                return
            time.sleep(0.01)
        raise AssertionError("%s (pid %d) still running %d s after kill -9" % (name, pid, timeout))

    def dsn(self, user="murphy", dbname="murphy"):
        return "host=127.0.0.1 port=%d user=%s dbname=%s connect_timeout=10" % (
            self.port, user, dbname)

    def connect(self, autocommit=True, **kw):
        conn = psycopg2.connect(self.dsn(**kw))
        conn.autocommit = autocommit
        return conn

    def logs(self, lines=LOG_TAIL_LINES):
        out = []
        for name in self.node_names():
            path = os.path.join(self.dir, name, "murphy.log")
            try:
                with open(path, errors="replace") as f:
                    tail = f.readlines()[-lines:]
            except OSError:
                tail = ["(no log)\n"]
            out.append("--- %s (%s)\n%s" % (name, path, "".join(tail)))
        return "\n".join(out)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        if self in _clusters:
            _clusters.remove(self)


def fault(conn, command):
    """SELECT murphy.fault(command) (the leader runs with --allow-faults)."""
    with conn.cursor() as cur:
        cur.execute("SELECT murphy.fault(%s)", (command,))


def connect_when_up(cluster, timeout=30):
    """A connection to cluster's leader as soon as it listens (it may be
    starting, after a kill); raises the last OperationalError after
    timeout seconds."""
    deadline = time.time() + timeout
    while True:
        try:
            return cluster.connect()
        except psycopg2.OperationalError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)


def start_in_background(cluster):
    """Starts cluster again after its leader was killed (`murphy local
    start`, which returns once the leader has decided its shards, ~2 s) in
    a thread, and connects as soon as the leader listens, before that.
    Returns (the thread: join it, the connection)."""
    starter = threading.Thread(target=cluster.start)
    starter.start()
    return starter, connect_when_up(cluster)


def _require_binary():
    if not os.access(MURPHY, os.X_OK):
        pytest.fail("%s is missing: run `make` first" % MURPHY)


@pytest.fixture(scope="session")
def pg():
    server = PgServer().start()
    _pg_servers.append(server)
    yield server
    server.stop()
    _pg_servers.remove(server)


def timer_args(suspect_ms, dead_ms):
    """`murphy local start` options for short failure-detector timers."""
    return ("--suspect-timeout-ms", str(suspect_ms), "--dead-timeout-ms", str(dead_ms))


def owned_cluster(request, followers=FOLLOWERS, start_args=()):
    """A fixture body: a started Cluster the module's failure report knows
    (its logs are attached), removed afterwards.  Use `yield from`."""
    c = Cluster(followers=followers, start_args=start_args)
    request.module._murphy_cluster = c
    try:
        c.start()
        yield c
    finally:
        c.cleanup()


def started_cluster(followers=FOLLOWERS, *extra):
    """A started Cluster; on failure its logs are printed and it is removed."""
    _require_binary()
    c = Cluster(followers)
    try:
        c.start(*extra)
    except BaseException:
        print(c.logs())
        c.cleanup()
        raise
    return c


@pytest.fixture(scope="module")
def cluster(request):
    c = started_cluster()
    request.module._murphy_cluster = c
    yield c
    c.cleanup()


def _module_dbname(request):
    return "t_" + re.sub(r"[^a-z0-9_]", "_", request.module.__name__.lower())


@pytest.fixture(scope="module")
def pgconn(pg, request):
    name = _module_dbname(request)
    admin = psycopg2.connect(pg.dsn())
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS %s" % name)
        cur.execute("CREATE DATABASE %s" % name)
    conn = psycopg2.connect(pg.dsn(name))
    conn.autocommit = True
    yield conn
    conn.close()
    with admin.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS %s" % name)
    admin.close()


@pytest.fixture(scope="module")
def db(cluster, pgconn):
    m = cluster.connect()
    yield Compare(m, pgconn)
    m.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        c = getattr(item.module, "_murphy_cluster", None)
        if c is not None and os.path.isdir(c.dir):
            rep.sections.append(("murphy node logs", c.logs()))


def _watchdog_fire(nodeid):
    sys.stderr.write("\n\nTIMEOUT: %s ran longer than %d s; stopping\n" % (nodeid, TEST_TIMEOUT_S))
    for c in list(_clusters):
        sys.stderr.write(c.logs() + "\n")
        c.cleanup()
    for server in list(_pg_servers):
        server.stop()
    sys.stderr.flush()
    os._exit(3)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    timer = threading.Timer(TEST_TIMEOUT_S, _watchdog_fire, args=(item.nodeid,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
