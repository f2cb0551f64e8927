"""The command line: local stop + start keeps data, start is idempotent,
--help everywhere, and a node with the wrong cluster secret is refused."""
import os
import shutil
import socket
import subprocess
import time

import psycopg2
import pytest

from conftest import MURPHY
from pgserver import free_port


def checksum(cluster):
    conn = cluster.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*), sum(id), min(v), max(v) FROM keep")
            return cur.fetchone()
    finally:
        conn.close()


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def test_start_again_while_running_is_a_no_op(cluster):
    pids = {n: cluster.pid(n) for n in cluster.node_names()}
    r = cluster.start()
    assert "already running" in r.stdout, r.stdout
    assert "postgresql://murphy@127.0.0.1:%d/murphy" % cluster.port in r.stdout
    assert {n: cluster.pid(n) for n in cluster.node_names()} == pids


def test_restart_keeps_data(cluster):
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE keep (id int PRIMARY KEY, v text)")
        cur.execute("INSERT INTO keep VALUES " +
                    ", ".join("(%d, 'v%05d')" % (i, i) for i in range(1, 1001)))
        cur.execute("CREATE TABLE keep_too (a bigint, b double precision) PARTITION BY HASH (a)")
        cur.execute("INSERT INTO keep_too VALUES (1, 1.5), (2, 2.5)")
    conn.close()
    before = checksum(cluster)
    assert before == (1000, 500500, "v00001", "v01000")
    pids = [cluster.pid(n) for n in cluster.node_names()]

    r = cluster.stop()
    assert r.returncode == 0, r.stderr
    for pid in pids:
        assert not alive(pid), "node %d still running after local stop" % pid
    for n in cluster.node_names():
        assert cluster.pid(n) is None, "pid file left for " + n
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(cluster.dsn()).close()

    r = cluster.start()
    assert "postgresql://murphy@127.0.0.1:%d/murphy" % cluster.port in r.stdout
    assert checksum(cluster) == before
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("SELECT a, b FROM keep_too ORDER BY a")
        assert cur.fetchall() == [(1, 1.5), (2, 2.5)]
        cur.execute("INSERT INTO keep VALUES (1001, 'after')")
        cur.execute("SELECT count(*) FROM murphy.nodes WHERE state = 'alive' AND role = 'follower'")
        assert cur.fetchone()[0] == cluster.followers
    conn.close()


def test_stop_is_idempotent(cluster):
    assert cluster.stop().returncode == 0
    assert cluster.stop().returncode == 0
    cluster.start()
    assert checksum(cluster)[0] == 1001


def test_kill_9_then_start(cluster):
    """A node that died without cleaning up (stale pid file) is restarted."""
    pid = cluster.pid("f2")
    cluster.kill9("f2")
    cluster.start()
    assert cluster.pid("f2") != pid
    assert checksum(cluster)[0] == 1001


@pytest.mark.parametrize("args", [["--help"], ["local", "--help"], ["local", "start", "--help"],
                                  ["local", "stop", "--help"], ["local", "status", "--help"],
                                  ["demo", "--help"], ["leader", "--help"], ["follower", "--help"]])
def test_help(args):
    r = subprocess.run([MURPHY] + args, capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, (args, r.stderr)
    assert "usage" in (r.stdout + r.stderr).lower(), r.stdout


def test_bad_arguments_exit_2(tmp_path):
    for args in (["local", "start"], ["local", "frobnicate", "--dir", str(tmp_path)],
                 ["local", "start", "--dir", str(tmp_path), "--bogus", "1"]):
        r = subprocess.run([MURPHY] + args, capture_output=True, text=True, timeout=10)
        assert r.returncode == 2, (args, r.returncode, r.stderr)


def test_status(cluster):
    r = cluster.run("local", "status", "--dir", cluster.dir)
    for n in cluster.node_names():
        assert n in r.stdout
    assert "running" in r.stdout


def follower_state(cluster, name):
    conn = cluster.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT state FROM murphy.nodes WHERE name = %s", (name,))
            row = cur.fetchone()
            return row[0] if row else None
    finally:
        conn.close()


def test_stranger_with_wrong_secret_is_refused(cluster):
    d = os.path.join(cluster.dir, "stranger")
    os.makedirs(d)
    with open(os.path.join(d, "cluster.secret"), "w") as f:
        f.write("00" * 32 + "\n")
    os.chmod(os.path.join(d, "cluster.secret"), 0o600)  # refused for its mode otherwise
    cluster.node_cert("stranger")  # so that only the secret keeps it out
    port = free_port()
    log = open(os.path.join(d, "murphy.log"), "ab")
    p = subprocess.Popen([MURPHY, "follower", "--dir", d, "--listen", "127.0.0.1:%d" % port,
                          "--join", "127.0.0.1:%d" % (cluster.port + 1)],
                         stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    try:
        time.sleep(3)
        assert follower_state(cluster, "stranger") != "alive"
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
        log.close()


def test_follower_with_right_secret_joins(cluster):
    d = os.path.join(cluster.dir, "friend")
    os.makedirs(d)
    shutil.copy(os.path.join(cluster.dir, "leader", "cluster.secret"), d)
    cluster.node_cert("friend")
    port = free_port()
    log = open(os.path.join(d, "murphy.log"), "ab")
    p = subprocess.Popen([MURPHY, "follower", "--dir", d, "--listen", "127.0.0.1:%d" % port,
                          "--join", "127.0.0.1:%d" % (cluster.port + 1)],
                         stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    try:
        state = None
        for _ in range(50):
            state = follower_state(cluster, "friend")
            if state == "alive":
                break
            time.sleep(0.2)
        assert state == "alive"
        assert checksum(cluster)[0] == 1001
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
        log.close()


def test_start_on_a_busy_port_fails_clearly(tmp_path):
    port = free_port(count=5)
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", port))
    blocker.listen(1)
    try:
        r = subprocess.run([MURPHY, "local", "start", "--dir", str(tmp_path / "busy"), "--pg-port",
                            str(port)], capture_output=True, text=True, timeout=60)
        assert r.returncode == 1, (r.stdout, r.stderr)
        assert "%d" % port in r.stderr and "in use" in r.stderr, r.stderr
    finally:
        blocker.close()
        subprocess.run([MURPHY, "local", "stop", "--dir", str(tmp_path / "busy")],
                       capture_output=True, timeout=60)
