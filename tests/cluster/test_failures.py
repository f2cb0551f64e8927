"""Lost nodes, with real processes and real signals (issue 3).

Each scenario gets its own local cluster (4 followers, tables with 3
replicas, so a dead follower's copies have somewhere to go) started with
short failure-detector timers, runs clients inserting continuously, breaks
something, and then checks:

- every acknowledged row is there, and no row whose INSERT got an error
  back is (a row whose client lost its connection may go either way);
- writes kept flowing, with no gap between acknowledgements longer than
  suspect_timeout + 1 s (+ slack for this 2-core box) where the issue says
  so;
- the checker (checker.py): every current placement of every shard holds
  the same rows and LSN as its siblings and as the catalog says, and,
  where the scenario expects it, each shard is back to 3 copies.
"""
import os
import signal
import threading
import time

import psycopg2
import pytest

from checker import wait_consistent
from conftest import Cluster, timer_args

SUSPECT_MS = 1000  # 2 heartbeat intervals: no flapping on a busy 2-core box
DEAD_MS = 3000
FOLLOWERS = 4
REPLICAS = 3
WRITERS = 4
# The bound on a write pause, plus slack for a loaded 2-core box.
MAX_PAUSE_S = SUSPECT_MS / 1000 + 1 + 1.0



@pytest.fixture
def fc(request):
    c = Cluster(followers=FOLLOWERS, start_args=timer_args(SUSPECT_MS, DEAD_MS))
    request.module._murphy_cluster = c
    try:
        c.start()
        yield c
    finally:
        c.cleanup()


class Writers:
    """WRITERS threads inserting (id, w) rows one statement at a time.

    acked: ids whose INSERT returned success (with the time).
    failed: ids whose INSERT got an ErrorResponse: must not be visible.
    unknown: ids whose connection broke mid-statement, or that got 40003
    (outcome unknown): either way.
    """

    def __init__(self, cluster, table="t", quorum=None):
        self.cluster, self.table, self.quorum = cluster, table, quorum
        self.acked, self.failed, self.unknown = {}, {}, set()
        self.lock = threading.Lock()
        self.stop_flag = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(k,), daemon=True)
                        for k in range(WRITERS)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def _connect(self):
        conn = self.cluster.connect()
        if self.quorum:
            with conn.cursor() as cur:
                cur.execute("SET murphy.write_quorum = '%s'" % self.quorum)
        return conn

    def _run(self, k):
        conn, i = None, 0
        while not self.stop_flag.is_set():
            if conn is None:
                try:
                    conn = self._connect()
                except psycopg2.Error:
                    time.sleep(0.1)
                    continue
            rid = (i * WRITERS + k) + 1
            i += 1
            try:
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO %s VALUES (%%s, %%s)" % self.table, (rid, k))
                with self.lock:
                    self.acked[rid] = time.time()
            except psycopg2.Error as e:
                # 40003: murphy does not know whether the write took effect
                if e.pgcode and e.pgcode != "40003" and not conn.closed:
                    with self.lock:
                        self.failed[rid] = "%s %s" % (e.pgcode, str(e).strip())
                    time.sleep(0.02)
                else:
                    with self.lock:
                        self.unknown.add(rid)
                    try:
                        conn.close()
                    except psycopg2.Error:
                        pass
                    conn = None
                    time.sleep(0.05)
        if conn is not None:
            conn.close()

    def stop(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(timeout=30)
        return self

    def max_gap(self, since, until):
        """Longest stretch in [since, until] with no acknowledged write."""
        times = sorted(t for t in self.acked.values() if since <= t <= until)
        points = [since] + times + [until]
        return max(b - a for a, b in zip(points, points[1:]))


def create_table(cluster, name="t", shards=4):
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id bigint PRIMARY KEY, w int) WITH (shards = %d, replicas = %d)"
                    % (name, shards, REPLICAS))
    return conn


def visible_ids(conn, table="t", timeout=10):
    """Every id in table.  A shard may be briefly unreadable while its
    copies are checked after a fault (08006): retry for a while."""
    deadline = time.time() + timeout
    while True:
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT id FROM %s" % table)
                rows = [r[0] for r in cur.fetchall()]
            break
        except psycopg2.errors.ConnectionFailure:
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    assert len(rows) == len(set(rows)), "duplicate ids visible"
    return set(rows)


def check_rows(conn, writers, table="t"):
    seen = visible_ids(conn, table)
    print("rows: %d visible, %d acknowledged, %d failed, %d unknown"
          % (len(seen), len(writers.acked), len(writers.failed), len(writers.unknown)))
    missing = set(writers.acked) - seen
    assert not missing, "%d acknowledged rows lost, e.g. %s" % (len(missing), sorted(missing)[:10])
    ghosts = set(writers.failed) & seen
    assert not ghosts, "rows whose INSERT failed are visible: %s" % (
        [(g, writers.failed[g]) for g in sorted(ghosts)[:5]])
    assert seen <= set(writers.acked) | set(writers.failed) | writers.unknown
    assert writers.acked, "no write was acknowledged at all"


def node_state(conn, name):
    with conn.cursor() as cur:
        cur.execute("SELECT state FROM murphy.nodes WHERE name = %s", (name,))
        row = cur.fetchone()
        return row[0] if row else None


def wait_state(conn, name, states, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st = node_state(conn, name)
        if st in states:
            return st
        time.sleep(0.05)
    raise AssertionError("%s is %s, not %s after %.1f s" % (name, node_state(conn, name), states,
                                                            timeout))


def primary_of(conn, table, shard):
    with conn.cursor() as cur:
        cur.execute("SELECT node FROM murphy.placements WHERE table_name = %s AND shard = %s "
                    "AND role = 'primary'", (table, shard))
        return cur.fetchone()[0]


def fault(conn, command):
    """SELECT murphy.fault(command); xfail while the leader lacks it."""
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT murphy.fault(%s)", (command,))
            return cur.fetchone()[0]
    except psycopg2.Error as e:
        if "murphy_fault" in str(e) or "not available" in str(e):
            pytest.xfail("murphy.fault is not wired into the leader yet: %s" % str(e).strip())
        raise


def test_kill9_follower_under_majority_writes(fc):
    conn = create_table(fc)
    victim = primary_of(conn, "t", 0)
    w = Writers(fc).start()
    time.sleep(1.0)
    t_kill = time.time()
    os.kill(fc.pid(victim), signal.SIGKILL)
    wait_state(conn, victim, ("dead",), DEAD_MS / 1000 + 3)
    time.sleep(1.0)
    t_end = time.time()
    w.stop()
    gap = w.max_gap(t_kill, t_end)
    assert gap <= MAX_PAUSE_S, "writes paused %.2f s after kill -9 of %s" % (gap, victim)
    check_rows(conn, w)
    # the dead node's copies are rebuilt elsewhere: every shard back to 3
    wait_consistent(fc, conn, timeout=15, replicas=REPLICAS, not_on={victim})
    check_rows(conn, w)
    conn.close()


def test_sigstop_past_suspect_then_sigcont(fc):
    conn = create_table(fc)
    victim = primary_of(conn, "t", 1)
    w = Writers(fc).start()
    time.sleep(0.8)
    t_stop = time.time()
    os.kill(fc.pid(victim), signal.SIGSTOP)
    try:
        wait_state(conn, victim, ("suspect",), SUSPECT_MS / 1000 + 2)
        time.sleep(max(0.0, (SUSPECT_MS + DEAD_MS) / 2000 - (time.time() - t_stop)))
        assert node_state(conn, victim) == "suspect"
    finally:
        os.kill(fc.pid(victim), signal.SIGCONT)
    wait_state(conn, victim, ("alive", "returning"), 5)
    time.sleep(1.0)
    t_end = time.time()
    w.stop()
    assert w.max_gap(t_stop, t_end) <= MAX_PAUSE_S
    check_rows(conn, w)
    # it came back before dead: it keeps its copies and catches up
    wait_consistent(fc, conn, timeout=15, replicas=REPLICAS)
    wait_state(conn, victim, ("alive",), 10)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM murphy.placements WHERE node = %s AND state = 'current'",
                    (victim,))
        assert cur.fetchone()[0] > 0
    conn.close()


def test_partition_primary_from_leader_then_heal(fc):
    conn = create_table(fc)
    victim = primary_of(conn, "t", 2)
    w = Writers(fc).start()
    time.sleep(0.8)
    t0 = time.time()
    fault(conn, "partition %s leader" % victim)
    try:
        wait_state(conn, victim, ("suspect",), SUSPECT_MS / 1000 + 2)
        time.sleep(0.5)
    finally:
        fault(conn, "heal")
    wait_state(conn, victim, ("alive", "returning"), 5)
    time.sleep(1.0)
    t_end = time.time()
    w.stop()
    assert w.max_gap(t0, t_end) <= MAX_PAUSE_S
    check_rows(conn, w)
    wait_consistent(fc, conn, timeout=15, replicas=REPLICAS)
    check_rows(conn, w)
    wait_state(conn, victim, ("alive",), 10)
    conn.close()


def test_kill9_leader_under_load_and_restart(fc):
    conn = create_table(fc)
    conn.close()
    w = Writers(fc).start()
    time.sleep(1.0)
    os.kill(fc.pid("leader"), signal.SIGKILL)
    time.sleep(0.3)
    fc.start()  # restarts the leader only; the followers reconnect
    time.sleep(1.5)
    w.stop()
    conn = fc.connect()
    acked_before = len(w.acked)
    check_rows(conn, w)
    wait_consistent(fc, conn, timeout=15, replicas=REPLICAS)
    # writes work again after the restart
    with conn.cursor() as cur:
        cur.execute("INSERT INTO t VALUES (-1, -1)")
        cur.execute("SELECT count(*) FROM murphy.nodes WHERE role = 'follower' AND state = 'alive'")
        assert cur.fetchone()[0] == FOLLOWERS
    assert acked_before > 0
    conn.close()


def test_write_quorum_all_with_a_follower_down(fc):
    conn = create_table(fc)
    victim = "f1"
    os.kill(fc.pid(victim), signal.SIGKILL)
    wait_state(conn, victim, ("suspect", "dead"), SUSPECT_MS / 1000 + 2)
    ok, failed = set(), {}
    with conn.cursor() as cur:
        cur.execute("SET murphy.write_quorum = 'all'")
        for rid in range(1, 41):
            try:
                cur.execute("INSERT INTO t VALUES (%s, 0)", (rid,))
                ok.add(rid)
            except psycopg2.Error as e:
                failed[rid] = e
    # must run before the dead node's copies are rebuilt (dead_timeout)
    assert failed, "every write succeeded at quorum 'all' with %s down" % victim
    for e in failed.values():
        assert e.pgcode and victim in str(e), "unclear error: %s %s" % (e.pgcode, e)
    assert visible_ids(conn) == ok, "a write that failed at quorum 'all' is visible"
    with conn.cursor() as cur:
        cur.execute("SET murphy.write_quorum = 'majority'")
        cur.execute("INSERT INTO t VALUES (1000, 0)")
    fc.start()  # bring f1 back; it must catch up or be replaced
    wait_consistent(fc, conn, timeout=15, replicas=REPLICAS)
    assert visible_ids(conn) == ok | {1000}
    conn.close()
