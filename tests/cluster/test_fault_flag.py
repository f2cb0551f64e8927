"""Fault injection is off unless the leader is started with --allow-faults.

A bare `murphy leader` refuses murphy.fault with 42501 and a hint naming the
flag; `murphy local start` turns it on and says so (the `cluster` fixture
relies on that), `--no-faults` leaves it off and local.conf remembers the
choice; murphy.settings and `murphy status` show it.  A refused call leaves
the target follower running.
"""
import os
import subprocess
import tempfile
import time
import shutil

import psycopg2
import pytest

from conftest import MURPHY, Cluster
from pgserver import free_port

LEADER_START_S = 10


class BareLeader:
    """`murphy leader` alone in a temp dir, on free ports, logging to a file."""

    def __init__(self, *flags, dir=None):
        self.dir = dir or tempfile.mkdtemp(prefix="murphy-leader-")
        self.port = free_port(count=2)
        self.log_path = os.path.join(os.path.dirname(self.dir), os.path.basename(self.dir) + ".log")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [MURPHY, "leader", "--dir", self.dir, "--listen", "127.0.0.1:%d" % (self.port + 1),
             "--pg", "127.0.0.1:%d" % self.port] + list(flags),
            stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)

    def connect(self):
        deadline = time.time() + LEADER_START_S
        while True:
            try:
                conn = psycopg2.connect("host=127.0.0.1 port=%d user=murphy dbname=murphy "
                                        "connect_timeout=2" % self.port)
                conn.autocommit = True
                return conn
            except psycopg2.OperationalError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise AssertionError("leader did not answer (exit %s):\n%s"
                                         % (self.proc.poll(), self.output()))
                time.sleep(0.1)

    def output(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        os.unlink(self.log_path)


def setting(conn, name):
    with conn.cursor() as cur:
        cur.execute("SELECT setting FROM murphy.settings WHERE name = %s", (name,))
        row = cur.fetchone()
        return row[0] if row else None


def refused(conn, command):
    """Run murphy.fault(command): the error it raises (it must raise)."""
    with conn.cursor() as cur:
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("SELECT murphy.fault(%s)", (command,))
    return e.value


def assert_refused(err):
    assert err.pgcode == "42501", (err.pgcode, str(err))
    assert "fault injection is disabled" in err.pgerror
    assert "--allow-faults" in (err.diag.message_hint or ""), err.diag.message_hint


def test_bare_leader_refuses_faults():
    leader = BareLeader()
    try:
        conn = leader.connect()
        # heal needs no follower: on a leader that allows faults it succeeds
        assert_refused(refused(conn, "heal"))
        assert_refused(refused(conn, "kill f1"))
        assert setting(conn, "allow_faults") == "off"
        with conn.cursor() as cur:  # the session and the leader are fine
            cur.execute("SELECT 40 + 2")
            assert cur.fetchone()[0] == 42
        conn.close()
        assert leader.proc.poll() is None
    finally:
        leader.stop()


def test_bare_leader_with_allow_faults_accepts_them():
    leader = BareLeader("--allow-faults")
    try:
        conn = leader.connect()
        with conn.cursor() as cur:
            cur.execute("SELECT murphy.fault('heal')")
            assert cur.fetchone()[0].startswith("heal:")
        assert setting(conn, "allow_faults") == "on"
        conn.close()
        assert "fault injection is on" in leader.output()
    finally:
        leader.stop()


def test_leader_help_names_the_flag():
    r = subprocess.run([MURPHY, "leader", "--help"], capture_output=True, text=True, timeout=10)
    assert "--allow-faults" in r.stdout
    r = subprocess.run([MURPHY, "local", "--help"], capture_output=True, text=True, timeout=10)
    assert "--no-faults" in r.stdout


def test_default_local_cluster_allows_faults_and_shows_it(cluster):
    """conftest's cluster comes from a plain `murphy local start`."""
    conn = cluster.connect()
    assert setting(conn, "allow_faults") == "on"
    with conn.cursor() as cur:
        cur.execute("SELECT murphy.fault('heal')")
        assert "heal" in cur.fetchone()[0]
    conn.close()
    out = cluster.run("status", "--dir", cluster.dir).stdout
    assert "allow_faults=on" in out and "fault injection is on" in out, out
    with open(os.path.join(cluster.dir, "local.conf")) as f:
        assert "allow_faults=1" in f.read()


def node_alive(c, name):
    pid = c.pid(name)
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X", "T")
    except (OSError, TypeError):
        return False


def test_local_no_faults_refuses_and_is_remembered():
    c = Cluster(followers=1)
    try:
        r = c.run("local", "start", "--dir", c.dir, "--followers", "1", "--pg-port", str(c.port),
                  "--no-faults")
        assert "faults:  off" in r.stdout, r.stdout
        conn = c.connect()
        pid = c.pid("f1")
        assert_refused(refused(conn, "kill f1"))
        r = c.run("fault", "--dir", c.dir, "kill", "f1", check=False)
        assert r.returncode == 1 and "fault injection is disabled" in r.stderr, r.stderr
        assert "--allow-faults" in r.stderr
        time.sleep(0.5)  # a kill would have landed by now
        assert c.pid("f1") == pid and node_alive(c, "f1")
        with conn.cursor() as cur:
            cur.execute("SELECT state FROM murphy.nodes WHERE name = 'f1'")
            assert cur.fetchone()[0] == "alive"
        assert setting(conn, "allow_faults") == "off"
        conn.close()
        out = c.run("status", "--dir", c.dir).stdout
        assert "allow_faults=off" in out and "fault injection is on" not in out, out

        # a restart without the flag keeps what local.conf remembers
        c.stop()
        r = c.start()
        assert "faults:  off" in r.stdout, r.stdout
        conn = c.connect()
        assert_refused(refused(conn, "heal"))
        conn.close()

        # --allow-faults turns them back on (and is remembered in turn)
        c.stop()
        r = c.run("local", "start", "--dir", c.dir, "--allow-faults")
        assert "faults:  on" in r.stdout, r.stdout
        conn = c.connect()
        assert setting(conn, "allow_faults") == "on"
        conn.close()
    finally:
        c.cleanup()
