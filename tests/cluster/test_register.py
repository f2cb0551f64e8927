"""One register, concurrent writers and readers, a partition and a
follower kill in the middle (issue 17, docs/consistency.md "Tests").

One row of a 1-shard, 3-copy table is the register.  Writers set it to
values unique to each write (``UPDATE reg SET v = %s WHERE id = 0``);
readers read it at strong (two), bounded (one session with a 2 s bound;
one with 10 s and a new session per read, so no monotonic-reads floor
holds it to the newer copies) and available, and after each read ask
``SHOW murphy.last_read_staleness``.  Every
operation is recorded with its real-time interval and outcome (history.py's
classify: ok, failed = definitely not applied, unknown).  In the middle
the shard's primary is partitioned from the leader for longer than the
suspect timeout (murphy's transport partition, or a real one in network
namespaces when root: netns.py), so reads and writes move to another copy;
healed, it catches up; then the primary of that moment is killed (SIGKILL).

A second run makes the only reachable copy stale (two copies, writes at
quorum 'one', the replica cut and then the primary cut; real partition
only), so bounded and available have stale values to answer with.

Checked (linearizable.py):
- strong: the history of every write and every strong read (and a final
  strong read once the copies left are current) is linearizable;
- bounded, available: every read returns a value some write that did not
  fail wrote, none from the future, and none older than the staleness
  the read reported; at bounded a session's reads never go backwards.
"""
import os
import signal
import sys
import threading
import time

import psycopg2
import pytest

from conftest import owned_cluster, timer_args
from linearizable import READ, WRITE, RegOp, check_linearizable, check_stale_reads
from netns import netns_cluster

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nemesis"))
from history import OK, classify  # noqa: E402

SUSPECT_MS = 1000        # the partitioned primary is suspect within the partition
DEAD_MS = 60000          # nothing is declared dead: no rebuild during the run
WRITERS = 3
# (level, name, max_staleness, a new session per read): b2 has no
# monotonic-reads floor to keep it on the copies it already read
READERS = (("strong", "s1", None, False), ("strong", "s2", None, False),
           ("bounded", "b1", "2s", False), ("bounded", "b2", "10s", True),
           ("available", "a1", None, False))
PARTITION_AT_S, HEAL_AT_S, KILL_AT_S, RUN_S = 1.0, 3.0, 4.0, 7.0
THINK_S = 0.002          # pause between one client's operations
INITIAL = 0


class Net:
    """The partition of one kind: murphy's transport fault or a real cut."""

    def __init__(self, kind, cl):
        self.kind, self.cl = kind, cl

    def partition(self, node, other="leader"):
        """Cut node from other; real cuts also abort their TCP connections
        (frames sent into the cut are lost, as with the transport's)."""
        if self.kind == "real":
            self.cl.cut(other, node)
            self.cl.reset(other, node)
        else:
            fault(self.cl, "partition %s %s" % (node, other))

    def heal(self):
        if self.kind == "real":
            self.cl.heal()
        else:
            fault(self.cl, "heal")


@pytest.fixture(params=["transport", "real"])
def reg(request):
    if request.param == "real":
        cl_gen = netns_cluster(request, leader_args=("--suspect-timeout-ms", str(SUSPECT_MS),
                                                     "--dead-timeout-ms", str(DEAD_MS)))
    else:
        cl_gen = owned_cluster(request, start_args=timer_args(SUSPECT_MS, DEAD_MS))
    for cl in cl_gen:
        yield cl, Net(request.param, cl)


def sql(conn, text, params=None):
    with conn.cursor() as cur:
        cur.execute(text, params)
        return cur.fetchall() if cur.description else None


def fault(cl, what):
    conn = cl.connect()
    try:
        sql(conn, "SELECT murphy.fault(%s)", (what,))
    finally:
        conn.close()


def placements(conn):
    return {n: (r, lag) for n, r, lag in sql(
        conn, "SELECT node, role, lag FROM murphy.placements WHERE table_name = 'reg'")}


def wait_state(conn, node, state, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if sql(conn, "SELECT state FROM murphy.placements WHERE table_name = 'reg'"
               " AND node = %s", (node,)) == [(state,)]:
            return
        time.sleep(0.05)
    raise AssertionError("%s not %s: %r" % (node, state, placements(conn)))


class Client(threading.Thread):
    """One session: writes or reads at one level until stop, recording
    every operation in ops."""

    def __init__(self, cl, name, level, ops, lock, stop, quorum="majority", max_staleness=None,
                 fresh=False):
        super().__init__(name=name)
        self.cl, self.level, self.ops, self.lock, self.stop = cl, level, ops, lock, stop
        self.conn, self.k, self.quorum, self.sessions = None, 0, quorum, 0
        self.max_staleness, self.fresh = max_staleness, fresh

    def session(self):
        if self.conn is None or self.conn.closed:
            self.conn = self.cl.connect()
            self.sessions += 1
            if self.level == "write":
                sql(self.conn, "SET murphy.write_quorum = '%s'" % self.quorum)
            else:
                sql(self.conn, "SET murphy.read_consistency = '%s'" % self.level)
                if self.max_staleness:
                    sql(self.conn, "SET murphy.max_staleness = '%s'" % self.max_staleness)
        return self.conn

    def one(self):
        self.k += 1
        kind = WRITE if self.level == "write" else READ
        value = "%s-%d" % (self.name, self.k) if kind == WRITE else None
        # proc: the session (monotonic reads hold per session, not across)
        op = RegOp("%s#%d" % (self.name, self.sessions + (self.conn is None)), kind, value,
                   time.monotonic())
        with self.lock:
            self.ops.append(op)
        try:
            conn = self.session()
            if kind == WRITE:
                sql(conn, "UPDATE reg SET v = %s WHERE id = 0", (value,))
            else:
                op.value = sql(conn, "SELECT v FROM reg WHERE id = 0")[0][0]
                last = sql(conn, "SHOW murphy.last_read_staleness")[0][0]
                op.stale_s = 0.0 if last == "0" else int(last[:-2]) / 1000
            op.end, op.outcome = time.monotonic(), OK
        except psycopg2.Error as e:
            op.end, op.outcome = time.monotonic(), classify(e.pgcode)
            if isinstance(e, psycopg2.InterfaceError) or self.conn is None or self.conn.closed:
                self.close()  # broken: the next operation opens a new session

    def close(self):
        if self.conn is not None and not self.conn.closed:
            self.conn.close()
        self.conn = None

    def run(self):
        while not self.stop.is_set():
            self.one()
            if self.fresh:
                self.close()
            time.sleep(THINK_S)
        self.close()


def primary(conn):
    return [n for n, (r, _) in placements(conn).items() if r == "primary"][0]


def wait_copies_current(conn, alive, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if all(placements(conn)[n][1] == 0 for n in alive):
            return
        time.sleep(0.05)
    raise AssertionError("copies not current: %r" % placements(conn))


def summary(ops):
    out = {}
    for op in ops:
        key = "%s %s" % (op.kind, op.outcome)
        out[key] = out.get(key, 0) + 1
    return out


def make_register(conn, replicas):
    sql(conn, "CREATE TABLE reg (id int PRIMARY KEY, v text) WITH (shards = 1, replicas = %d)"
        % replicas)
    sql(conn, "INSERT INTO reg VALUES (0, %s)", (str(INITIAL),))
    wait_copies_current(conn, placements(conn))


def run_clients(cl, conn, quorum, nemesis):
    """Writers at `quorum` and READERS until nemesis() returns (it returns
    the copies left alive); then a final strong read ("final") once those
    are current.  Returns (writes, {client name: its reads})."""
    ops, lock, stop = [], threading.Lock(), threading.Event()
    clients = [Client(cl, "w%d" % i, "write", ops, lock, stop, quorum) for i in range(WRITERS)]
    clients += [Client(cl, name, level, ops, lock, stop, max_staleness=bound, fresh=fresh)
                for level, name, bound, fresh in READERS]
    t0 = time.monotonic()
    for c in clients:
        c.start()
    try:
        alive = nemesis()
    finally:
        stop.set()
        for c in clients:
            c.join(30)
    wait_copies_current(conn, alive)
    final = Client(cl, "final", "strong", ops, lock, stop)
    final.one()
    final.close()
    assert ops[-1].outcome == OK, ops[-1]
    print("%r in %.1f s" % (summary(ops), time.monotonic() - t0))
    reads = {}
    for op in ops:
        if op.kind == READ:
            reads.setdefault(op.proc.split("#")[0], []).append(op)
    return [op for op in ops if op.kind == WRITE], reads


def check_history(writes, reads):
    """strong linearizable; bounded and available: written values, never
    older than reported, bounded monotonic per session.  Returns the
    staleness of the stale reads {reader: [seconds]}."""
    strong = writes + reads["s1"] + reads["s2"] + reads["final"]
    t = time.monotonic()
    res = check_linearizable(strong, initial=str(INITIAL))
    print("linearizability: %s (%d ops, %.2f s)" % (res.reason, len(strong),
                                                    time.monotonic() - t))
    assert res.ok, res.reason
    for name, monotonic in (("b1", True), ("b2", False), ("a1", False)):
        problems = check_stale_reads(writes + reads[name], initial=str(INITIAL),
                                     monotonic=monotonic)
        assert problems == [], problems[:5]
    stale = {name: [op.stale_s for op in reads[name] if op.outcome == OK and op.stale_s > 0]
             for name in ("s1", "s2", "b1", "b2", "a1")}
    print("stale reads (count, worst s): %r" % {n: (len(v), max(v or [0]))
                                               for n, v in stale.items()})
    assert not stale["s1"] and not stale["s2"], "a strong read said it was stale"
    return stale


def test_register_history(reg):
    cl, net = reg
    conn = cl.connect()
    make_register(conn, replicas=3)
    cut = primary(conn)  # reads and writes move to another copy
    killed = []

    def nemesis():
        time.sleep(PARTITION_AT_S)
        net.partition(cut)
        time.sleep(HEAL_AT_S - PARTITION_AT_S)
        net.heal()
        time.sleep(KILL_AT_S - HEAL_AT_S)
        prim = primary(conn)  # the copy that took over (or the first, back)
        os.kill(cl.pid(prim), signal.SIGKILL)
        killed.append(time.monotonic())
        time.sleep(RUN_S - KILL_AT_S)
        return [n for n in placements(conn) if n != prim]

    writes, reads = run_clients(cl, conn, "majority", nemesis)
    ok_writes = [op for op in writes if op.outcome == OK]
    assert len(ok_writes) >= 20 and sum(op.outcome == OK for op in reads["s1"]) >= 20
    assert any(op.start > killed[0] + 2.5 for op in ok_writes), \
        "no write succeeded after the primary was killed"
    check_history(writes, reads)


STALE_RUN = (1.0, 2.5, 5.0, 6.5)  # cut the replica, lose the primary, heal all, stop


@pytest.fixture()
def reg_real(request):
    for cl in netns_cluster(request, leader_args=("--suspect-timeout-ms", str(SUSPECT_MS),
                                                  "--dead-timeout-ms", str(DEAD_MS))):
        yield cl, Net("real", cl)


def test_register_with_only_a_stale_copy_reachable(reg_real):
    """Two copies, writes at write_quorum 'one': the replica is cut (it
    misses writes the primary acknowledges), then the primary is cut from
    everyone and the replica comes back: the only copy the leader reaches
    is stale for ~2 s.  strong reads fail then (08006) and its history is
    still linearizable (nothing acknowledged was lost: the primary
    returns); available and bounded with new sessions (10 s) read the
    stale copy, each value no older than reported; bounded in one session
    does not (it read the primary's newer values: monotonic reads) and
    never goes backwards; then all heals.  A
    real partition only: murphy's transport heals every partition at once,
    and the replica would catch up from the primary before it is cut
    again."""
    cl, net = reg_real
    conn = cl.connect()
    make_register(conn, replicas=2)
    prim = primary(conn)
    rep = [n for n in placements(conn) if n != prim][0]
    cut_at, lose_at, heal_at, stop_at = STALE_RUN

    def nemesis():
        time.sleep(cut_at)
        net.partition(rep)
        wait_state(conn, rep, "unreachable")  # suspect: the primary writes alone
        time.sleep(max(0, lose_at - cut_at - 1.0))
        net.partition(prim)
        net.partition(prim, rep)  # else the replica catches up from it
        cl.heal("leader", rep)
        time.sleep(heal_at - lose_at)
        net.heal()
        time.sleep(stop_at - heal_at)
        return [prim, rep]

    writes, reads = run_clients(cl, conn, "one", nemesis)
    stale = check_history(writes, reads)
    assert stale["a1"] and stale["b2"], "available or bounded never read the stale copy"
    assert max(stale["b2"]) <= 10.0
    assert any(op.outcome != OK for op in reads["s1"]), "strong never failed"
