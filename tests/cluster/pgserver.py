"""A throwaway PostgreSQL 15 server on a free loopback port.

Used by the cluster tests (reference answers) and by bench/ (baseline).
initdb refuses to run as root, so when we are root the server runs as the
``postgres`` user in a directory it owns.  ``--no-locale -E UTF8`` makes text
ordering byte order, like murphy's.  Trust authentication, no TCP outside
127.0.0.1, unless told otherwise: ``hba`` replaces pg_hba.conf's lines (the
Unix socket stays trusted, and ``connect()`` uses it) and ``ssl`` =
(certificate, key) turns ssl on with those files; the authentication
control (test_auth_control.py) starts one like that.
"""
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

import psycopg2

import murphy_auth  # noqa: F401  (sets $MURPHY_PASSWORD / $PGPASSWORD for murphy clusters)

PG_BIN = "/usr/lib/postgresql/15/bin"


def free_port(count=1):
    """A port P such that P .. P+count-1 are all free on 127.0.0.1 right now.

    Chosen below the kernel's ephemeral range (32768-60999 by default): a
    port the kernel handed out for bind(0) can be handed out again moments
    later as the local port of some outgoing connection (a follower joining,
    a client), and the node that wanted to listen on it would fail to start.
    """
    import random
    lo, hi = 20000, 32000
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            eph_lo = int(f.read().split()[0])
        hi = min(hi, eph_lo - count - 1)
    except (OSError, ValueError, IndexError):
        pass
    for _ in range(500):
        base = random.randrange(lo, hi)
        ok = True
        for p in range(base, base + count):
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free port range")


class PgServer:
    def __init__(self, port=None, settings=None, hba=None, ssl=None):
        self.port = port or free_port()
        self.settings = dict(settings or {})
        self.hba = hba
        self.ssl = ssl
        self.datadir = None
        self._root = None
        self._user = None

    def _run(self, args, **kw):
        if self._user:
            args = ["runuser", "-u", self._user, "--"] + args
        return subprocess.run(args, check=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, **kw)

    def start(self):
        if not os.path.exists(os.path.join(PG_BIN, "initdb")):
            raise RuntimeError("PostgreSQL 15 server not installed at " + PG_BIN)
        self._root = tempfile.mkdtemp(prefix="murphy-pg-")
        os.chmod(self._root, 0o755)
        self.datadir = os.path.join(self._root, "data")
        if os.geteuid() == 0:
            self._user = "postgres"
            pw = pwd.getpwnam("postgres")
            os.chown(self._root, pw.pw_uid, pw.pw_gid)
        self._run([PG_BIN + "/initdb", "-D", self.datadir, "--no-locale", "-E", "UTF8",
                   "-A", "trust", "-U", "postgres"])
        if self.hba is not None:
            self._write_hba(self.hba)
        if self.ssl:
            self._install_ssl(*self.ssl)
        opts = ["-c listen_addresses=127.0.0.1", "-p %d" % self.port,
                "-c unix_socket_directories=%s" % self._root]
        opts += ["-c %s=%s" % kv for kv in self.settings.items()]
        self._run([PG_BIN + "/pg_ctl", "-D", self.datadir, "-w", "-t", "60",
                   "-l", os.path.join(self._root, "server.log"), "-o", " ".join(opts), "start"])
        return self

    def _write_hba(self, lines):
        path = os.path.join(self.datadir, "pg_hba.conf")
        with open(path, "w") as f:
            f.write("local all all trust\n" + "".join(line + "\n" for line in lines))
        self._own(path, 0o600)

    def _own(self, path, mode):
        os.chmod(path, mode)
        if self._user:
            pw = pwd.getpwnam(self._user)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def _install_ssl(self, cert, key):
        """Copies of cert and key in the data directory, owned by the
        server's user, the key 0600 (PostgreSQL refuses a readable one)."""
        for src, name, mode in ((cert, "server.crt", 0o644), (key, "server.key", 0o600)):
            dst = os.path.join(self.datadir, name)
            shutil.copyfile(src, dst)
            self._own(dst, mode)
        self.settings.update({"ssl": "on", "ssl_cert_file": "server.crt",
                              "ssl_key_file": "server.key"})

    def set_hba(self, lines):
        """Replace pg_hba.conf's lines and reload (the postmaster rereads
        them in a moment: a caller waits for the change it expects)."""
        self._write_hba(lines)
        self._run([PG_BIN + "/pg_ctl", "-D", self.datadir, "reload"])

    def stop(self):
        if self.datadir and os.path.exists(self.datadir):
            try:
                self._run([PG_BIN + "/pg_ctl", "-D", self.datadir, "-m", "fast", "-w", "stop"])
            except subprocess.CalledProcessError:
                pass
        if self._root:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def dsn(self, dbname="postgres"):
        """The superuser postgres: over TCP when trusted, else over the socket."""
        host = "127.0.0.1" if self.hba is None else self._root
        return "host=%s port=%d user=postgres dbname=%s" % (host, self.port, dbname)

    def connect(self, autocommit=True):
        """A psycopg2 connection to this server (autocommit unless told)."""
        conn = psycopg2.connect(self.dsn())
        conn.autocommit = autocommit
        return conn

    def log(self):
        try:
            with open(os.path.join(self._root, "server.log")) as f:
                return f.read()
        except OSError:
            return ""
