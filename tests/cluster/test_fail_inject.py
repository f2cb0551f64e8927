"""Fault injection as a feature: `murphy fault …`, SELECT murphy.fault('…')
and `murphy status`, on one 3-follower cluster with short timers.

If the binary does not dispatch `murphy fault` / `murphy status`, or the
leader lacks murphy_fault, these tests xfail instead of failing.
"""
import os
import subprocess
import time

import psycopg2
import pytest

from conftest import MURPHY, owned_cluster, timer_args

SUSPECT_MS = 1000  # > heartbeat interval + the 150 ms delay test_delay injects
DEAD_MS = 3000



@pytest.fixture(scope="module")
def fc(request):
    yield from owned_cluster(request, 3, timer_args(SUSPECT_MS, DEAD_MS))


def murphy(*args, check=True):
    r = subprocess.run([MURPHY] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    if r.returncode == 2 and 'murphy: unknown command "%s"' % args[0] in r.stderr:
        pytest.xfail("`murphy %s` is not dispatched by src/node/main.c yet" % args[0])
    if check:
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    return r


def sql_fault(conn, command):
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT murphy.fault(%s)", (command,))
            return cur.fetchone()[0]
    except psycopg2.Error as e:
        if "murphy_fault" in str(e) or "not available" in str(e):
            pytest.xfail("murphy.fault is not wired into the leader yet")
        raise


def state(conn, name):
    with conn.cursor() as cur:
        cur.execute("SELECT state FROM murphy.nodes WHERE name = %s", (name,))
        return cur.fetchone()[0]


def wait_state(conn, name, states, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if state(conn, name) in states:
            return
        time.sleep(0.05)
    raise AssertionError("%s is %s, not %s" % (name, state(conn, name), states))


def test_help():
    r = murphy("fault", "--help")
    assert "partition A B" in r.stdout and "--dir DIR" in r.stdout
    r = murphy("status", "--help")
    assert "--watch" in r.stdout


def test_cli_usage_errors(fc):
    r = murphy("fault", "--dir", fc.dir, "explode", "f1", check=False)
    assert r.returncode == 2 and "unknown command" in r.stderr
    r = murphy("fault", "--dir", fc.dir, "pause", "f1", check=False)
    assert r.returncode == 2
    r = murphy("fault", "--dir", fc.dir, "kill", "nobody", check=False)
    assert r.returncode == 1 and 'no follower named "nobody"' in r.stderr


def test_sql_errors(fc):
    conn = fc.connect()
    with pytest.raises(psycopg2.Error) as e:
        sql_fault(conn, "partition f1")
    assert e.value.pgcode == "22023"
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE fi (id int PRIMARY KEY)")
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("SELECT murphy.fault('heal') FROM fi")
        assert e.value.pgcode == "0A000"
    conn.close()


def test_partition_leader_suspect_dead_heal(fc):
    conn = fc.connect()
    r = murphy("fault", "--dir", fc.dir, "partition", "f2", "leader")
    assert "f2" in r.stdout
    wait_state(conn, "f2", ("suspect",), 2)
    wait_state(conn, "f2", ("dead",), DEAD_MS / 1000 + 2)
    # the follower process is fine and keeps trying: still dead while partitioned
    time.sleep(1.0)
    assert state(conn, "f2") == "dead"
    status = murphy("status", "--pg", "127.0.0.1:%d" % fc.port).stdout
    assert "f2" in status and "dead" in status
    murphy("fault", "--dir", fc.dir, "heal")
    wait_state(conn, "f2", ("alive",), 8)
    conn.close()


def test_pause_via_fault(fc):
    conn = fc.connect()
    pid = fc.pid("f3")
    reply = sql_fault(conn, "pause f3 1.5")
    assert "f3" in reply
    wait_state(conn, "f3", ("suspect",), 2)
    with open("/proc/%d/stat" % pid) as f:
        assert f.read().rsplit(")", 1)[1].split()[0] == "T"
    wait_state(conn, "f3", ("alive", "returning"), 5)
    assert fc.pid("f3") == pid
    conn.close()


def test_delay_slows_round_trips(fc):
    conn = fc.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS fd (id int PRIMARY KEY) WITH (shards = 1, replicas = 1)")
        cur.execute("SELECT node FROM murphy.placements WHERE table_name = 'fd'")
        node = cur.fetchone()[0]
        sql_fault(conn, "delay %s 150" % node)
        try:
            t0 = time.time()
            cur.execute("SELECT count(*) FROM fd")
            slow = time.time() - t0
        finally:
            sql_fault(conn, "delay %s 0" % node)
        t0 = time.time()
        cur.execute("SELECT count(*) FROM fd")
        fast = time.time() - t0
    assert slow >= 0.29, slow  # 150 ms each way
    assert fast < slow
    conn.close()


def test_kill_via_fault(fc):
    conn = fc.connect()
    pid = fc.pid("f1")
    murphy("fault", "--dir", fc.dir, "kill", "f1")
    deadline = time.time() + 5
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
            with open("/proc/%d/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    break
        except (ProcessLookupError, FileNotFoundError):
            break
        time.sleep(0.05)
    else:
        raise AssertionError("f1 still running after kill")
    wait_state(conn, "f1", ("suspect", "dead"), 2)
    fc.start()
    wait_state(conn, "f1", ("alive", "returning"), 5)
    conn.close()


def test_status_shows_placements_and_watch(fc):
    conn = fc.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS fs (id int PRIMARY KEY) WITH (shards = 2)")
        cur.execute("INSERT INTO fs VALUES (1), (2), (3)")
    conn.close()
    out = murphy("status", "--dir", fc.dir).stdout
    for word in ("nodes", "leader", "f1", "shards", "fs", "rebuilds", "suspect_timeout=1000ms"):
        assert word in out, (word, out)
    p = subprocess.Popen([MURPHY, "status", "--dir", fc.dir, "--watch", "--interval", "0.2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    p.terminate()
    out, _ = p.communicate(timeout=5)
    if 'murphy: unknown command "status"' in _:
        pytest.xfail("`murphy status` is not dispatched yet")
    assert out.count("murphy status") >= 2
