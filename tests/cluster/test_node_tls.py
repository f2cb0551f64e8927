"""TLS between nodes (issue 20; src/net/net_tls.c, src/node/node_tls.c,
docs/decisions.md "TLS between nodes").

Real processes on loopback, every node link over TLS 1.2+ with certificates
of the cluster CA `murphy local start` makes:

- a cluster answers, replicates, survives a follower kill -9 and restart
  (catch-up over TLS), moves a copy (a multi-MB snapshot over TLS) and
  returns a multi-MB result;
- a TCP proxy between the leader and a follower records the bytes: a
  unique string written through SQL is not in them with node TLS on, and
  is with it off (the control: the test can fail);
- a follower whose certificate another CA signed, or that speaks no TLS,
  is refused (a log line on the leader) and never joins;
- garbage bytes to the node ports do not take the nodes down;
- fault injection (delay, partition) still acts on frames, above TLS;
- a node listening on a non-loopback address without node TLS refuses to
  start unless --node-tls off says so.
"""
import io
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

import checker
from conftest import MURPHY, fault, owned_cluster, timer_args
from pgserver import free_port
from test_tls import Proxy

SUSPECT_MS = 800
DEAD_MS = 30000  # nothing is rebuilt behind the tests' back


def rows(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else None


def wait_until(pred, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


def node_state(conn, name):
    r = rows(conn, "SELECT state FROM murphy.nodes WHERE name = %s", (name,))
    return r[0][0] if r else None


def log_of(cluster, name):
    with open(os.path.join(cluster.dir, name, "murphy.log"), errors="replace") as f:
        return f.read()


@pytest.fixture
def tc(request):
    """Four followers, node TLS on (said explicitly: the test does not rest
    on the default), the rebalancer off."""
    gen = owned_cluster(request, 4, timer_args(SUSPECT_MS, DEAD_MS) + ("--node-tls", "on"))
    c = next(gen)
    conn = c.connect()
    rows(conn, "ALTER SYSTEM SET murphy.auto_rebalance = off")
    conn.close()
    yield c
    yield from gen


def test_cluster_over_node_tls_replicates_catches_up_and_moves(tc):
    for name in tc.node_names():
        assert "node TLS on" in log_of(tc, name), name
    conn = tc.connect()
    rows(conn, "CREATE TABLE t (id bigint PRIMARY KEY, v text) WITH (shards = 2, replicas = 3)")
    with conn.cursor() as cur:  # about 4 MB: multi-MB frames both ways
        data = "".join("%d\t%s\n" % (i, "p" * 2000) for i in range(1, 2001))
        cur.copy_from(io.StringIO(data), "t", columns=("id", "v"))
    got = rows(conn, "SELECT id, v FROM t ORDER BY id")
    assert len(got) == 2000 and got[-1] == (2000, "p" * 2000)
    assert rows(conn, "SELECT v FROM t WHERE id = 7") == [("p" * 2000,)]
    checker.wait_consistent(tc, conn, replicas=3)

    # a follower killed and restarted catches up over TLS
    victim = sorted(n for n, in rows(conn, "SELECT node FROM murphy.placements "
                                           "WHERE table_name = 't' AND shard = 0"))[0]
    tc.kill9(victim)
    wait_until(lambda: node_state(conn, victim) in ("suspect", "dead"), 15, victim + " suspect")
    for i in range(2001, 2101):
        rows(conn, "INSERT INTO t VALUES (%s, %s)", (i, "late%d" % i))
    tc.start()
    wait_until(lambda: node_state(conn, victim) == "alive", 20, victim + " back")
    checker.wait_consistent(tc, conn, replicas=3)
    assert rows(conn, "SELECT count(*) FROM t") == [(2100,)]

    # a copy moves (a snapshot follower to follower, over TLS)
    held = {n for n, in rows(conn, "SELECT node FROM murphy.placements "
                                   "WHERE table_name = 't' AND shard = 1")}
    src = sorted(held)[0]
    dst = sorted({"f1", "f2", "f3", "f4"} - held)[0]
    out = rows(conn, "SELECT murphy.move_placement('t', 1, %s, %s)", (src, dst))[0][0]
    assert out.startswith("shard 1 of t moved from %s to %s" % (src, dst)), out
    checker.wait_consistent(tc, conn, replicas=3)
    assert rows(conn, "SELECT count(*), sum(length(v)) FROM t") == [
        (2100, 2000 * 2000 + sum(len("late%d" % i) for i in range(2001, 2101)))]
    # a shuffle (follower to follower) runs over TLS too
    assert rows(conn, "SELECT count(DISTINCT v) FROM t") == [(101,)]


def node_tls_cluster(request, mode):
    gen = owned_cluster(request, 2, timer_args(SUSPECT_MS, DEAD_MS) + ("--node-tls", mode))
    return gen, next(gen)


def restart_f1_through_proxy(cluster, mode):
    """kill -9 f1 and start it again by hand, joining the leader through a
    recording proxy.  (proxy, process)."""
    cluster.kill9("f1")
    proxy = Proxy(cluster.port + 1)
    d = os.path.join(cluster.dir, "f1")
    os.unlink(os.path.join(d, "murphy.pid"))
    log = open(os.path.join(d, "murphy.log"), "ab")
    proc = subprocess.Popen([MURPHY, "follower", "--dir", d, "--listen",
                             "127.0.0.1:%d" % (cluster.port + 2), "--join",
                             "127.0.0.1:%d" % proxy.port, "--name", "f1", "--node-tls", mode],
                            stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    return proxy, proc


@pytest.mark.parametrize("mode", ["on", "off"])
def test_proxy_between_leader_and_follower_sees_no_plaintext(request, mode):
    gen, c = node_tls_cluster(request, mode)
    proxy = proc = None
    try:
        conn = c.connect()
        proxy, proc = restart_f1_through_proxy(c, mode)
        wait_until(lambda: node_state(conn, "f1") == "alive" and len(proxy.down) > 0, 20,
                   "f1 rejoins through the proxy")
        # one copy per shard, two shards: f1 holds one, and every task and
        # result for it crosses the proxy
        rows(conn, "CREATE TABLE s (id int PRIMARY KEY, v text) WITH (shards = 2, replicas = 1)")
        assert ("f1",) in rows(conn, "SELECT node FROM murphy.placements WHERE table_name = 's'")
        secret = "needle-" + uuid.uuid4().hex
        rows(conn, "INSERT INTO s SELECT g, %s FROM generate_series(1, 20) g", (secret,))
        assert rows(conn, "SELECT count(*) FROM s WHERE v = %s", (secret,)) == [(20,)]
        assert rows(conn, "SELECT v FROM s ORDER BY id") == [(secret,)] * 20
        seen = bytes(proxy.up) + bytes(proxy.down)
        assert len(seen) > 1000
        if mode == "on":
            assert secret.encode() not in seen
            assert b"INSERT" not in seen and b"CREATE" not in seen
        else:  # the control: without TLS the proxy does see it
            assert secret.encode() in seen
    finally:
        if proc:
            proc.terminate()
            proc.wait(10)
        if proxy:
            proxy.close()
        for _ in gen:
            pass


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True)


def other_ca_pair(d):
    """A CA of its own and a node certificate it signed, in d."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=another CA", "-days", "2",
            cwd=d)
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "node.key", "-out", "node.csr", "-subj", "/CN=intruder", cwd=d)
    openssl("x509", "-req", "-in", "node.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "node.crt", "-days", "2", cwd=d)
    os.chmod(os.path.join(d, "node.key"), 0o600)


def start_stranger(cluster, d, *tls_args):
    """A follower named intruder with the cluster's secret (so only TLS
    can keep it out) joining the leader."""
    shutil.copy(os.path.join(cluster.dir, "leader", "cluster.secret"), d)
    os.chmod(os.path.join(d, "cluster.secret"), 0o600)
    log_path = os.path.join(d, "f.log")
    log = open(log_path, "ab")
    proc = subprocess.Popen([MURPHY, "follower", "--dir", d, "--listen",
                             "127.0.0.1:%d" % free_port(), "--join",
                             "127.0.0.1:%d" % (cluster.port + 1), "--name", "intruder"]
                            + list(tls_args), stdout=log, stderr=log,
                            stdin=subprocess.DEVNULL)
    return proc, log_path


def test_followers_without_the_clusters_certificate_are_refused(tc):
    conn = tc.connect()
    d = tempfile.mkdtemp(prefix="murphy-intruder-")
    procs = []
    try:
        other_ca_pair(d)
        ca = os.path.join(tc.dir, "node-ca.crt")
        # another CA's certificate (it even trusts ours)
        procs.append(start_stranger(tc, d, "--node-tls-cert", os.path.join(d, "node.crt"),
                                    "--node-tls-key", os.path.join(d, "node.key"),
                                    "--node-tls-ca", ca))
        wait_until(lambda: "peer certificate refused" in log_of(tc, "leader")
                   or "certificate verify failed" in log_of(tc, "leader"), 15,
                   "the leader refuses the other CA's certificate")
        # no TLS at all (its HELLO in clear is not TLS)
        d2 = os.path.join(d, "plain")
        os.mkdir(d2)
        before = log_of(tc, "leader").count("TLS handshake failed")
        procs.append(start_stranger(tc, d2, "--node-tls", "off"))
        wait_until(lambda: log_of(tc, "leader").count("TLS handshake failed") > before, 15,
                   "the leader refuses a follower without TLS")
        time.sleep(1)
        assert rows(conn, "SELECT count(*) FROM murphy.nodes WHERE name = 'intruder'") == [(0,)]
        for p, log_path in procs:
            assert "joined leader" not in open(log_path, errors="replace").read()
            assert p.poll() is None or p.returncode != 0
        assert rows(conn, "SELECT 1") == [(1,)]
    finally:
        for p, _ in procs:
            p.kill()
            p.wait()
        shutil.rmtree(d, ignore_errors=True)


def test_garbage_to_the_node_ports_takes_no_node_down(tc):
    conn = tc.connect()
    rows(conn, "CREATE TABLE g (id int PRIMARY KEY) WITH (shards = 2, replicas = 2)")
    rows(conn, "INSERT INTO g SELECT generate_series(1, 50)")
    pids = {n: tc.pid(n) for n in tc.node_names()}
    blobs = [os.urandom(4096), b"\x00" * 64, b"GET / HTTP/1.0\r\n\r\n",
             b"\x16\x03\x01\x00\x05hello", b"\x00\x00\x00\x05\x01abcd"]
    for port in (tc.port + 1, tc.port + 2, tc.port + 3):  # leader, f1, f2
        for blob in blobs:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            try:
                s.sendall(blob)
                s.settimeout(2)
                try:
                    s.recv(4096)
                except (socket.timeout, OSError):
                    pass
            finally:
                s.close()
    time.sleep(0.5)
    assert {n: tc.pid(n) for n in tc.node_names()} == pids
    for n in pids:
        os.kill(pids[n], 0)  # still running
    assert rows(conn, "SELECT count(*) FROM g") == [(50,)]
    rows(conn, "INSERT INTO g VALUES (51)")
    assert rows(conn, "SELECT count(*) FROM g") == [(51,)]
    assert "TLS handshake failed" in log_of(tc, "leader")


def test_non_loopback_listen_needs_node_tls_or_an_explicit_off(tmp_path):
    d = str(tmp_path / "f")
    os.mkdir(d)
    with open(os.path.join(d, "cluster.secret"), "w") as f:
        f.write("ab" * 32 + "\n")
    os.chmod(os.path.join(d, "cluster.secret"), 0o600)
    base = [MURPHY, "follower", "--dir", d, "--listen", "0.0.0.0:%d" % free_port(), "--join",
            "127.0.0.1:%d" % free_port()]
    r = subprocess.run(base, capture_output=True, text=True, timeout=20)
    assert r.returncode != 0
    assert "without node TLS" in r.stderr and "--node-tls off" in r.stderr
    p = subprocess.Popen(base + ["--node-tls", "off"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        assert p.poll() is None  # it runs
    finally:
        p.terminate()
        _, err = p.communicate(timeout=10)
    assert "NODE TLS IS OFF" in err


def test_fault_injection_still_applies_over_tls(tc):
    """Faults act on frames, above TLS: a delay slows a round trip, a
    partition makes a follower suspect, heal brings it back."""
    conn = tc.connect()
    rows(conn, "CREATE TABLE fd (id int PRIMARY KEY) WITH (shards = 1, replicas = 1)")
    node = rows(conn, "SELECT node FROM murphy.placements WHERE table_name = 'fd'")[0][0]
    fault(conn, "delay %s 150" % node)
    try:
        t0 = time.time()
        rows(conn, "SELECT count(*) FROM fd")
        slow = time.time() - t0
    finally:
        fault(conn, "delay %s 0" % node)
    assert slow >= 0.29, slow  # 150 ms each way
    fault(conn, "partition %s leader" % node)
    try:
        wait_until(lambda: node_state(conn, node) in ("suspect", "dead"), 15, node + " suspect")
    finally:
        fault(conn, "heal")
    wait_until(lambda: node_state(conn, node) == "alive", 20, node + " back")
    assert rows(conn, "SELECT count(*) FROM fd") == [(0,)]
