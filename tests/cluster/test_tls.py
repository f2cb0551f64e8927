"""TLS for clients, and node authentication that never sends the cluster
secret in clear (issue 20, "Who gets in").

- `murphy local start` makes a self-signed certificate for the leader
  (DIR/leader/server.crt, CN=localhost, SAN localhost/127.0.0.1) and the
  leader answers SSLRequest 'S': psycopg2 and psql with sslmode=require
  run over TLS (conn.info.ssl_in_use, pg_stat_ssl, psql's \\conninfo), verify-full
  against that certificate works, SCRAM works through it.
- A leader without a certificate answers 'N': sslmode=require fails
  clearly; started again with --tls-cert/--tls-key it takes TLS.
- --tls-required refuses a client without TLS (28000 "TLS required").
- Garbage after 'S', a client stalling in the handshake, or cleartext sent
  behind the SSLRequest close that connection only; a TLS session open
  meanwhile goes on working.
- The HELLO a follower sends, read through a TCP proxy between it and the
  leader, does not contain the cluster secret (hex or raw); a follower with
  the wrong secret is refused.
"""
import os
import select
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time

import psycopg2
import pytest

from conftest import MURPHY, owned_cluster
from pgserver import free_port
from test_fault_flag import BareLeader

SSL_REQUEST = struct.pack("!II", 8, 80877103)
STARTUP_TIMEOUT_MS = 1500
JOIN_WAIT_S = 20


@pytest.fixture(scope="module")
def cluster(request):
    yield from owned_cluster(request, followers=1,
                             start_args=("--startup-timeout-ms", str(STARTUP_TIMEOUT_MS)))


def cert_path(cluster):
    return os.path.join(cluster.dir, "leader", "server.crt")


def tls_connect(port, sslmode="require", host="127.0.0.1", **kw):
    conn = psycopg2.connect(host=host, port=port, user="murphy", dbname="murphy",
                            sslmode=sslmode, connect_timeout=10, **kw)
    conn.autocommit = True
    return conn


def one(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()


def test_psycopg2_sslmode_require_runs_over_tls(cluster):
    conn = tls_connect(cluster.port)
    assert conn.info.ssl_in_use
    assert conn.info.ssl_attribute("protocol") in ("TLSv1.2", "TLSv1.3")
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE tls_t (id int PRIMARY KEY, v text)")
        cur.execute("INSERT INTO tls_t SELECT g, repeat('x', 500) FROM generate_series(1, 400) g")
        # more than one TLS record each way (16 KiB each)
        cur.execute("SELECT id, v FROM tls_t ORDER BY id")
        rows = cur.fetchall()
    assert len(rows) == 400 and rows[-1] == (400, "x" * 500)
    assert one(conn, "SELECT session_user") == ("murphy",)
    ssl = one(conn, "SELECT ssl, version, cipher, bits > 0 FROM pg_stat_ssl "
                    "WHERE pid = pg_backend_pid()")
    assert ssl == (True, conn.info.ssl_attribute("protocol"),
                   conn.info.ssl_attribute("cipher"), True), ssl
    plain = tls_connect(cluster.port, sslmode="disable")
    assert not plain.info.ssl_in_use
    assert one(plain, "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()") \
        == (False, None)
    plain.close()
    conn.close()


def test_psql_conninfo_says_ssl(cluster):
    r = subprocess.run(["psql", "host=127.0.0.1 port=%d user=murphy dbname=murphy sslmode=require"
                        % cluster.port, "-c", "\\conninfo", "-c", "SELECT 41 + 1"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "SSL connection (protocol: TLS" in r.stdout, r.stdout
    assert "42" in r.stdout


def test_verify_full_against_the_generated_certificate(cluster):
    conn = tls_connect(cluster.port, sslmode="verify-full", host="localhost",
                       sslrootcert=cert_path(cluster))
    assert conn.info.ssl_in_use
    assert one(conn, "SELECT 1") == (1,)
    conn.close()
    # the same certificate does not pass for a name it does not carry
    with pytest.raises(psycopg2.OperationalError) as e:
        tls_connect(cluster.port, sslmode="verify-full", host="murphy.invalid",
                    hostaddr="127.0.0.1", sslrootcert=cert_path(cluster))
    assert "does not match" in str(e.value), str(e.value)


def test_local_start_prints_how_to_connect_with_tls(cluster):
    out = cluster.start().stdout  # already running: prints the lines again
    assert "sslmode=require" in out, out
    assert "sslrootcert=%s" % cert_path(cluster) in out, out
    # made once: the second start kept the certificate
    with open(cert_path(cluster), "rb") as f:
        first = f.read()
    cluster.start()
    with open(cert_path(cluster), "rb") as f:
        assert f.read() == first


def raw_ssl_request(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(SSL_REQUEST)
    return s, s.recv(1)


def closed_within(s, seconds):
    """True when the server closes s (EOF or reset) within seconds."""
    s.settimeout(seconds)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if not s.recv(4096):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False
    return False


def test_garbage_handshake_closes_only_that_connection(cluster):
    live = tls_connect(cluster.port)
    assert one(live, "SELECT 1") == (1,)
    s, answer = raw_ssl_request(cluster.port)
    assert answer == b"S"
    s.sendall(os.urandom(3000))  # not a TLS ClientHello
    assert closed_within(s, 5)
    s.close()
    assert one(live, "SELECT 2") == (2,)  # the open TLS session is untouched
    conn = tls_connect(cluster.port)  # and the leader takes new ones
    assert one(conn, "SELECT 3") == (3,)
    conn.close()
    live.close()


def test_cleartext_after_ssl_request_is_refused(cluster):
    s = socket.create_connection(("127.0.0.1", cluster.port), timeout=10)
    startup = b"user\0murphy\0database\0murphy\0\0"
    s.sendall(SSL_REQUEST + struct.pack("!II", 8 + len(startup), 196608) + startup)
    data = s.recv(4096)
    s.close()
    assert data[:1] == b"E" and b"unencrypted data after SSL request" in data, data


def test_stalled_handshake_is_cut_by_the_startup_timeout(cluster):
    s, answer = raw_ssl_request(cluster.port)
    assert answer == b"S"
    t0 = time.monotonic()
    assert closed_within(s, STARTUP_TIMEOUT_MS / 1000 + 5)
    assert time.monotonic() - t0 >= STARTUP_TIMEOUT_MS / 1000 * 0.5
    s.close()
    conn = tls_connect(cluster.port)
    assert one(conn, "SELECT 1") == (1,)
    conn.close()


def make_cert(tmp):
    cert, key = os.path.join(tmp, "c.crt"), os.path.join(tmp, "c.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def test_leader_without_certificate_refuses_require_then_takes_given_one(tmp_path):
    leader = BareLeader()
    try:
        conn = leader.connect()  # sslmode=prefer: plaintext
        assert one(conn, "SHOW ssl") == ("off",)  # as PostgreSQL's without a certificate
        conn.close()
        with pytest.raises(psycopg2.OperationalError) as e:
            tls_connect(leader.port)
        assert "does not support SSL" in str(e.value), str(e.value)
    finally:
        leader.stop()
    cert, key = make_cert(str(tmp_path))
    leader = BareLeader("--tls-cert", cert, "--tls-key", key)
    try:
        leader.connect().close()
        conn = tls_connect(leader.port, sslmode="verify-full", host="localhost",
                           sslrootcert=cert)
        assert conn.info.ssl_in_use
        assert one(conn, "SHOW ssl") == ("on",)  # it said off before (issue 20, authcontrol)
        conn.close()
    finally:
        leader.stop()


def test_tls_required_refuses_plaintext(tmp_path):
    cert, key = make_cert(str(tmp_path))
    leader = BareLeader("--tls-cert", cert, "--tls-key", key, "--tls-required")
    try:
        leader.connect().close()  # prefer: goes TLS
        with pytest.raises(psycopg2.OperationalError) as e:
            tls_connect(leader.port, sslmode="disable")
        assert "TLS required" in str(e.value), str(e.value)
        conn = tls_connect(leader.port)
        assert conn.info.ssl_in_use
        conn.close()
        # the command line goes TLS too (it was refused: "TLS required")
        r = subprocess.run([MURPHY, "status", "--pg", "127.0.0.1:%d" % leader.port],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0 and "nodes" in r.stdout, r.stdout + r.stderr
    finally:
        leader.stop()


# ---- Node authentication -------------------------------------------------------------


class Proxy:
    """A TCP proxy on a free port to target, recording each direction."""

    def __init__(self, target_port):
        self.target = target_port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.up = bytearray()  # follower -> leader
        self.down = bytearray()
        self.stopping = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            u = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self.pump, args=(c, u), daemon=True).start()

    def pump(self, c, u):
        try:
            while not self.stopping:
                r, _, _ = select.select([c, u], [], [], 0.2)
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        return
                    (self.up if s is c else self.down).extend(data)
                    (u if s is c else c).sendall(data)
        except OSError:
            return
        finally:
            c.close()
            u.close()

    def close(self):
        self.stopping = True
        self.sock.close()


def start_follower(leader_join_port, secret):
    d = tempfile.mkdtemp(prefix="murphy-f-")
    with open(os.path.join(d, "cluster.secret"), "w") as f:
        f.write(secret + "\n")
    os.chmod(os.path.join(d, "cluster.secret"), 0o600)
    log_path = d + ".log"
    log = open(log_path, "ab")
    proc = subprocess.Popen([MURPHY, "follower", "--dir", d, "--listen",
                             "127.0.0.1:%d" % free_port(), "--join",
                             "127.0.0.1:%d" % leader_join_port, "--name", "f1"],
                            stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    return proc, d, log_path


def wait_for(path, text, seconds=JOIN_WAIT_S):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with open(path, errors="replace") as f:
            if text in f.read():
                return True
        time.sleep(0.1)
    return False


def stop_follower(proc, d, log_path):
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    shutil.rmtree(d, ignore_errors=True)
    os.unlink(log_path)


def test_hello_never_carries_the_cluster_secret():
    leader = BareLeader()
    proxy = follower = None
    try:
        leader.connect().close()
        with open(os.path.join(leader.dir, "cluster.secret")) as f:
            secret = f.read().strip()
        proxy = Proxy(leader.port + 1)
        follower = start_follower(proxy.port, secret)
        assert wait_for(follower[2], "joined leader"), open(follower[2]).read()
        up, down = bytes(proxy.up), bytes(proxy.down)
        assert len(up) > 0 and len(down) > 0
        for blob in (up, down):
            assert secret.encode() not in blob
            assert secret.upper().encode() not in blob
            assert bytes.fromhex(secret) not in blob
    finally:
        if follower:
            stop_follower(*follower)
        if proxy:
            proxy.close()
        leader.stop()


def test_wrong_secret_is_refused_and_not_sent_either():
    """A follower with another secret is refused as before; the secret it
    holds does not cross the network either (to a leader it does not
    know, which might not be ours)."""
    leader = BareLeader()
    proxy = follower = None
    wrong = "5a" * 32
    try:
        leader.connect().close()
        proxy = Proxy(leader.port + 1)
        follower = start_follower(proxy.port, wrong)
        assert wait_for(follower[2], "wrong cluster secret"), open(follower[2]).read()
        with open(follower[2]) as f:
            assert "joined leader" not in f.read()
        up = bytes(proxy.up)
        assert len(up) > 0
        assert wrong.encode() not in up and bytes.fromhex(wrong) not in up
    finally:
        if follower:
            stop_follower(*follower)
        if proxy:
            proxy.close()
        leader.stop()


class TlsMitm:
    """A man in the middle who terminates the client's TLS with its own
    certificate and opens its own TLS session to the leader, relaying the
    bytes between them (SCRAM messages included): what channel binding
    exists to catch."""

    def __init__(self, leader_port, cert, key):
        import ssl
        self.ssl = ssl
        self.leader_port = leader_port
        self.server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server_ctx.load_cert_chain(cert, key)
        self.client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.client_ctx.check_hostname = False
        self.client_ctx.verify_mode = ssl.CERT_NONE
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.relay, args=(client,), daemon=True).start()

    def relay(self, client):
        try:
            assert client.recv(8) == SSL_REQUEST
            client.sendall(b"S")
            tls_client = self.server_ctx.wrap_socket(client, server_side=True)
            up = socket.create_connection(("127.0.0.1", self.leader_port))
            up.sendall(SSL_REQUEST)
            assert up.recv(1) == b"S"
            tls_up = self.client_ctx.wrap_socket(up)
        except (OSError, AssertionError, self.ssl.SSLError):
            client.close()
            return
        pair = [tls_client, tls_up]
        while True:
            ready, _, _ = select.select(pair, [], [], 10)
            if not ready:
                break
            for s in ready:
                try:
                    data = s.recv(65536)
                except (OSError, self.ssl.SSLError):
                    data = b""
                if not data:
                    for x in pair:
                        x.close()
                    return
                (tls_up if s is tls_client else tls_client).sendall(data)

    def close(self):
        self.listener.close()


def test_scram_channel_binding_catches_a_man_in_the_middle(cluster, tmp_path):
    """Over TLS the leader offers SCRAM-SHA-256-PLUS (tls-server-end-point,
    RFC 5929): channel_binding=require works against it directly (before:
    libpq refused, the server offered no binding).  Through a man in the
    middle holding its own certificate, the client binds to that
    certificate's hash, the leader to its own: the login fails although
    the password is right; the same relay without binding logs in (the
    relay itself works)."""
    conn = tls_connect(cluster.port, channel_binding="require")
    assert one(conn, "SELECT 1") == (1,)
    conn.close()
    cert, key = make_cert(str(tmp_path))
    mitm = TlsMitm(cluster.port, cert, key)
    try:
        conn = tls_connect(mitm.port, channel_binding="disable")
        assert one(conn, "SELECT 2") == (2,)
        conn.close()
        with pytest.raises(psycopg2.OperationalError) as e:
            tls_connect(mitm.port, channel_binding="require")
        assert "FATAL:  SCRAM channel binding check failed" in str(e.value), str(e.value)
    finally:
        mitm.close()
