"""A murphy cluster whose nodes are on a real network that tests can cut
(issue 17, "Partitions, for real"): each node in its own Linux network
namespace, as root.

Design
------
One namespace per node (``<tag>-leader``, ``<tag>-f1``, ...) and a hub
namespace holding a bridge; each node has one veth into the bridge with
its own address on a private /24 (``10.X.Y.1`` the leader, ``.2 + i`` the
followers), and every node uses the same ports on its own address (node
traffic NODE_PORT, the leader's PostgreSQL port PG_PORT).  The test process
stays in the host namespace: one more veth joins the bridge with ``.254``,
so psycopg2 reaches the leader at ``10.X.Y.1:PG_PORT``; cuts never touch
that link.

``cut(a, b)`` adds a blackhole route to b's address in a's namespace and
one to a's in b's: every packet between the two is dropped by the kernel,
silently, established TCP connections included (no RST, no error: the
sender retransmits into the void), which is what a cable pulled between
two hosts looks like.  ``heal(a, b)`` deletes the routes; retransmissions
then get through and the connections carry on, delivering what was sent
during the cut.  ``reset(a, b)`` aborts the TCP connections between the
two (`ss -K` on both ends), as when a long partition outlasts them: then
nothing sent during the cut arrives, and the nodes reconnect once healed.  Nothing inside murphy
knows: this is not ``murphy fault partition`` (which drops frames in
murphy's own transport).

Processes are ``murphy leader`` / ``murphy follower`` run with ``ip netns
exec`` (same arguments as ``murphy local start`` gives them, but each
listening on its namespace's address), each logging to DIR/<node>/murphy.log
and writing DIR/<node>/murphy.pid, so the object looks like conftest's
Cluster to the tests and to its failure report (dir, logs(), pid(),
connect()).  ``close()`` kills the processes it started and deletes the
namespaces (which deletes every veth); it runs at teardown whatever
happened, and conftest's watchdog calls it as ``cleanup()``.

``require_root()`` skips the test (pytest.skip with the reason) when not
root: namespaces and routes need CAP_SYS_ADMIN and CAP_NET_ADMIN; and when
a probe namespace cannot be made and used (a chroot, as `make check-fresh`
runs the suite in: `ip netns` cannot mount there).  Otherwise a failure to
build the network fails the test.
"""
import ipaddress
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time

import psycopg2
import pytest

import conftest

NODE_PORT = 7400      # every node's --listen port, on its own address
PG_PORT = 5432        # the leader's PostgreSQL port, on its own address
READY_TIMEOUT_S = 30  # as `murphy local start`
STOP_GRACE_S = 10     # SIGTERM, then SIGKILL (as `murphy local stop`)
# Private /24s tried for a cluster's network, avoiding any the host routes.
SUBNET_FIRST, SUBNET_COUNT = ipaddress.ip_network("10.213.0.0/24"), 200


def require_root():
    if os.geteuid() != 0:
        pytest.skip("a real partition needs root (network namespaces and routes); "
                    "run as root, or see the transport partitions in test_register.py")
    if shutil.which("ip") is None:
        pytest.fail("`ip` (iproute2) is missing: `make deps` installs it")
    why = _netns_unusable()
    if why:
        pytest.skip("this machine cannot make network namespaces (%s): a chroot, as "
                    "`make check-fresh` runs in, cannot; the transport partitions in "
                    "test_register.py still run" % why)


_NETNS_PROBED = []  # [None] once a namespace was made and used, [reason] when not


def _in_chroot():
    """Is / not a mount point for this process (a chroot into a directory,
    as make check-fresh's)?  `ip netns add` then fails at `mount
    --make-rslave /`, after it mounted /run/netns.  Unknown (no
    /proc/self/mountinfo) counts as no."""
    try:
        with open("/proc/self/mountinfo") as f:
            return not any(line.split()[4] == "/" for line in f if len(line.split()) > 4)
    except OSError:
        return False


def _netns_unusable():
    """None when a network namespace can be made here and its loopback
    brought up; else what failed (in a chroot `ip netns` cannot mount
    its /run/netns)."""
    if not _NETNS_PROBED and _in_chroot():
        # not even a probe: `ip netns add` would leave /run/netns mounted
        # inside the chroot (make check-fresh then finds it at its next run)
        _NETNS_PROBED.append("this process runs in a chroot")
    if not _NETNS_PROBED:
        name = "murphy-probe-%d" % os.getpid()
        r = subprocess.run(["ip", "netns", "add", name], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=30)
        if r.returncode == 0:
            r = subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=30)
            subprocess.run(["ip", "netns", "del", name], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30)
        _NETNS_PROBED.append(None if r.returncode == 0 else (r.stderr.strip() or "failed"))
    return _NETNS_PROBED[0]


def _sh(*args, check=True):
    r = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=30)
    if check and r.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr))
    return r


def _free_subnet():
    used = _sh("ip", "-4", "route", "show", "table", "all").stdout
    base = int(SUBNET_FIRST.network_address)
    for k in range(SUBNET_COUNT):
        start = (os.getpid() + k) % SUBNET_COUNT
        net = ipaddress.ip_network((base + start * 256, 24))
        if str(net.network_address)[:-1] not in used:
            return net
    raise AssertionError("no free /24 under %s for the test network" % SUBNET_FIRST)


class NetnsCluster:
    """A leader and N followers, each in its own network namespace."""

    made = 0

    def __init__(self, followers=3, leader_args=()):
        self.followers = followers
        self.leader_args = list(leader_args)
        self.dir = tempfile.mkdtemp(prefix="murphy-netns-")
        NetnsCluster.made += 1  # names unique per process and cluster (15-byte links)
        self.tag = "mn%d.%d" % (os.getpid() % 100000, NetnsCluster.made % 100)
        self.net = _free_subnet()
        self.procs = {}
        self.namespaces = []
        self.routes = set()
        self.port = PG_PORT
        conftest._clusters.append(self)

    # -- names and addresses ------------------------------------------------
    def node_names(self):
        return ["leader"] + ["f%d" % i for i in range(1, self.followers + 1)]

    def ns(self, node):
        return "%s-%s" % (self.tag, node)

    def addr(self, node):
        host = 1 if node == "leader" else 1 + int(node[1:])
        return str(self.net.network_address + host)

    def host_addr(self):
        return str(self.net.network_address + 254)

    # -- the network --------------------------------------------------------
    def _add_ns(self, name):
        _sh("ip", "netns", "add", name)
        self.namespaces.append(name)
        _sh("ip", "-n", name, "link", "set", "lo", "up")

    def build_network(self):
        hub = self.ns("hub")
        self._add_ns(hub)
        _sh("ip", "-n", hub, "link", "add", "br0", "type", "bridge")
        _sh("ip", "-n", hub, "link", "set", "br0", "up")
        for k, node in enumerate(self.node_names()):
            self._add_ns(self.ns(node))
            port = "p%d" % k
            _sh("ip", "-n", hub, "link", "add", port, "type", "veth", "peer", "name", "eth0",
                "netns", self.ns(node))
            _sh("ip", "-n", hub, "link", "set", port, "master", "br0", "up")
            _sh("ip", "-n", self.ns(node), "addr", "add", "%s/24" % self.addr(node), "dev",
                "eth0")
            _sh("ip", "-n", self.ns(node), "link", "set", "eth0", "up")
        host_if = "%sh" % self.tag
        _sh("ip", "-n", hub, "link", "add", "host", "type", "veth", "peer", "name", host_if,
            "netns", str(os.getpid()))
        _sh("ip", "-n", hub, "link", "set", "host", "master", "br0", "up")
        _sh("ip", "addr", "add", "%s/24" % self.host_addr(), "dev", host_if)
        _sh("ip", "link", "set", host_if, "up")

    def _route(self, verb, a, b):
        _sh("ip", "-n", self.ns(a), "route", verb, "blackhole", "%s/32" % self.addr(b))

    def cut(self, a, b):
        """Drop every packet between nodes a and b, both ways."""
        for x, y in ((a, b), (b, a)):
            if (x, y) not in self.routes:
                self._route("add", x, y)
                self.routes.add((x, y))

    def heal(self, a=None, b=None):
        """Undo the cut between a and b, or every cut."""
        for x, y in sorted(self.routes):
            if a is None or {x, y} == {a, b}:
                self._route("del", x, y)
                self.routes.discard((x, y))

    def reset(self, a, b):
        """Abort every TCP connection between nodes a and b, on both ends
        (`ss -K`): as when a cut outlasts them (keepalive, a middlebox
        forgetting them).  What was queued in them is never delivered; a
        cut alone delivers it once healed (TCP retransmits)."""
        for x, y in ((a, b), (b, a)):
            _sh("ip", "netns", "exec", self.ns(x), "ss", "-K", "dst", self.addr(y))

    def isolate(self, node):
        """Cut node from every other node (the test process still reaches it)."""
        for other in self.node_names():
            if other != node:
                self.cut(node, other)

    # -- processes ----------------------------------------------------------
    def _node_dir(self, node):
        return os.path.join(self.dir, node)

    def _argv(self, node):
        if node == "leader":
            return ["leader", "--dir", self._node_dir(node), "--listen",
                    "%s:%d" % (self.addr(node), NODE_PORT), "--pg",
                    "%s:%d" % (self.addr(node), PG_PORT), "--allow-faults",
                    "--node-tls", "off", *self.leader_args]
        # --node-tls off: veth addresses are not loopback, and a node refuses
        # them without node TLS unless told (these tests are about partitions)
        return ["follower", "--dir", self._node_dir(node), "--listen",
                "%s:%d" % (self.addr(node), NODE_PORT), "--join",
                "%s:%d" % (self.addr("leader"), NODE_PORT), "--name", node, "--node-tls", "off"]

    def spawn(self, node):
        """Start node's process (again) in its namespace."""
        d = self._node_dir(node)
        os.makedirs(d, exist_ok=True)
        try:
            os.unlink(os.path.join(d, "murphy.pid"))  # a killed node's stale pid file
        except FileNotFoundError:
            pass
        log = open(os.path.join(d, "murphy.log"), "a")
        self.procs[node] = subprocess.Popen(
            ["ip", "netns", "exec", self.ns(node), conftest.MURPHY, *self._argv(node)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()

    def _write_secrets(self):
        secret = secrets.token_hex(32) + "\n"
        for node in self.node_names():
            os.makedirs(self._node_dir(node), exist_ok=True)
            path = os.path.join(self._node_dir(node), "cluster.secret")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, secret.encode())
            os.close(fd)

    def start(self):
        """Build the network, start every node, wait until the cluster takes writes."""
        conftest._require_binary()
        self.build_network()
        self._write_secrets()
        for node in self.node_names():
            self.spawn(node)
        self.wait_ready(self.followers)
        return self

    def wait_ready(self, followers, timeout=READY_TIMEOUT_S):
        deadline, why = time.time() + timeout, "no answer"
        while time.time() < deadline:
            for node, p in self.procs.items():
                if p.poll() is not None and node == "leader":
                    raise AssertionError("the leader exited (%d)\n%s" % (p.returncode,
                                                                         self.logs()))
            try:
                conn = self.connect(connect_timeout=2)
                try:
                    with conn.cursor() as cur:
                        cur.execute("SELECT ready, followers, reason FROM murphy.ready")
                        ready, n, why = cur.fetchone()
                finally:
                    conn.close()
                if ready and n >= followers:
                    return
            except psycopg2.Error as e:
                why = str(e).strip()
            time.sleep(0.1)
        raise AssertionError("cluster not ready after %d s: %s\n%s" % (timeout, why,
                                                                     self.logs()))

    def pid(self, node):
        try:
            with open(os.path.join(self._node_dir(node), "murphy.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def kill(self, node, sig=signal.SIGKILL):
        p = self.procs.get(node)
        if p is not None and p.poll() is None:
            p.send_signal(sig)
            if sig == signal.SIGKILL:
                p.wait(10)

    def dsn(self, user="murphy", dbname="murphy", connect_timeout=10):
        return "host=%s port=%d user=%s dbname=%s connect_timeout=%d" % (
            self.addr("leader"), PG_PORT, user, dbname, connect_timeout)

    def connect(self, autocommit=True, **kw):
        conn = psycopg2.connect(self.dsn(**kw))
        conn.autocommit = autocommit
        return conn

    def logs(self, lines=conftest.LOG_TAIL_LINES):
        out = []
        for node in self.node_names():
            path = os.path.join(self._node_dir(node), "murphy.log")
            try:
                with open(path, errors="replace") as f:
                    tail = f.readlines()[-lines:]
            except OSError:
                tail = ["(no log)\n"]
            out.append("--- %s (%s, %s)\n%s" % (node, self.ns(node), path, "".join(tail)))
        return "\n".join(out)

    def close(self):
        """Stop what this object started and delete its namespaces."""
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.time() + STOP_GRACE_S
        for p in self.procs.values():
            try:
                p.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        for name in reversed(self.namespaces):
            _sh("ip", "netns", "del", name, check=False)
        self.namespaces = []
        shutil.rmtree(self.dir, ignore_errors=True)
        if self in conftest._clusters:
            conftest._clusters.remove(self)

    cleanup = close


def netns_cluster(request, followers=3, leader_args=()):
    """A fixture body (use `yield from`): a started NetnsCluster whose logs
    the module's failure report attaches, closed afterwards."""
    require_root()
    c = NetnsCluster(followers, leader_args)
    request.module._murphy_cluster = c
    try:
        c.start()
        yield c
    finally:
        c.close()
