"""The nemesis of a nemesis run (tests/nemesis/run.py): faults on a schedule.

Design
------
``schedule(seed, ...)`` is an endless generator of ``Step``s drawn from
``random.Random(seed)`` alone, never from the cluster's state, so a seed
always gives the same faults in the same order with the same parameters
(victims, hold times, delays); only the wall-clock times differ between
runs.  A step is: wait ``quiet`` seconds, inject the fault, hold it
``hold`` seconds, undo it.  One fault is active at a time.

  kill-follower       kill -9 fN, restart it with `murphy local start`
  pause-follower      SIGSTOP fN, SIGCONT after hold
  partition-follower  `murphy fault partition fN leader`, `murphy fault heal`
  kill-leader         kill -9 the leader, `murphy local start` after hold
  cut-primary-kill-leader
                      partition the primary of one shard (table and shard
                      drawn from the seed, the primary looked up at run
                      time) from the leader, then kill -9 the leader
                      ``delay_ms`` (0-50 ms) later and restart it: the
                      shard's writes are decided by the other two copies
                      just before the leader dies (issue 14)

The leader faults are left out with ``leader_kills=False``.  ``Nemesis.run``
executes steps until a deadline and writes each fault, with its start and
end, into the run's History; ``heal_all`` undoes everything at the end
(SIGCONT every follower, `murphy fault heal`, `murphy local start`).
"""
import os
import random
import signal
import subprocess
import time
from collections import namedtuple

# Seconds between two faults, and how long one is held.  Holds reach past
# the 3 s dead timeout run.py starts the cluster with, so some faults end
# in a dead node (rebuild, or a replaced copy when it returns).
QUIET_S = (0.5, 2.0)
HOLD_S = (0.3, 4.5)
LEADER_DOWN_S = (0.0, 1.0)
# The window: the leader dies within ~20 ms of cutting the primary off.
CUT_TO_KILL_MS = (0, 50)
# How many times `murphy local start` is tried before the step gives up.
START_ATTEMPTS = 3
START_TIMEOUT_S = 60
KILL_WAIT_S = 5
FOLLOWER_FAULTS = (("kill-follower", 2), ("pause-follower", 2), ("partition-follower", 2))
LEADER_FAULTS = (("kill-leader", 1), ("cut-primary-kill-leader", 3))

Step = namedtuple("Step", "name quiet hold follower table shard delay_ms")


def schedule(seed, followers, leader_kills, tables):
    """Endless Steps from the seed; tables: [(name, shards)]."""
    rng = random.Random(seed)
    kinds = list(FOLLOWER_FAULTS) + (list(LEADER_FAULTS) if leader_kills else [])
    names = [name for name, weight in kinds for _ in range(weight)]
    while True:
        name = rng.choice(names)
        table, shards = rng.choice(tables)
        yield Step(name=name, quiet=round(rng.uniform(*QUIET_S), 3),
                   hold=round(rng.uniform(*(LEADER_DOWN_S if "leader" in name else HOLD_S)), 3),
                   follower="f%d" % rng.randint(1, followers), table=table,
                   shard=rng.randrange(shards), delay_ms=rng.randint(*CUT_TO_KILL_MS))


def _gone(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def _kill9(pid):
    """SIGKILL pid and wait (up to KILL_WAIT_S) until it is gone, so a
    `murphy local start` right after does not find it still running."""
    if not pid:
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.time() + KILL_WAIT_S
    while not _gone(pid) and time.time() < deadline:
        time.sleep(0.005)


def _signal(pid, sig):
    if pid:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


class Nemesis:
    """Injects faults into ``cluster`` (conftest.Cluster) and logs them."""

    def __init__(self, cluster, history, steps, stop_event):
        self.cluster, self.history, self.steps, self.stop = cluster, history, steps, stop_event
        self.notes = []  # recovery trouble, printed with the report

    def _note(self, text):
        self.notes.append("  t=%7.2f  %s" % (self.history.clock(), text))

    def _fault_cmd(self, *words):
        try:
            r = self.cluster.run("fault", "--dir", self.cluster.dir, *words, check=False,
                                 timeout=20)
        except subprocess.TimeoutExpired:
            self._note("murphy fault %s: timed out" % " ".join(words))
            return False
        if r.returncode != 0:
            self._note("murphy fault %s: %s" % (" ".join(words), (r.stderr or r.stdout).strip()))
        return r.returncode == 0

    def start_nodes(self):
        """`murphy local start` until it succeeds (START_ATTEMPTS); seconds taken."""
        t = time.time()
        for attempt in range(START_ATTEMPTS):
            try:
                r = self.cluster.run("local", "start", "--dir", self.cluster.dir, check=False,
                                     timeout=START_TIMEOUT_S)
                if r.returncode == 0:
                    return time.time() - t
                why = (r.stderr or r.stdout).strip().splitlines()[-1:]
            except subprocess.TimeoutExpired:
                why = ["timed out after %d s" % START_TIMEOUT_S]
            self._note("murphy local start failed (attempt %d): %s" % (attempt + 1, " ".join(why)))
        return time.time() - t

    def _primary(self, table, shard):
        try:
            conn = self.cluster.connect()
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT node FROM murphy.placements WHERE table_name = %s AND "
                                "shard = %s AND role = 'primary'", (table, shard))
                    row = cur.fetchone()
                    return row[0] if row else None
            finally:
                conn.close()
        except Exception as e:  # the leader may still be coming up
            self._note("primary of %s/%d not found: %s" % (table, shard, str(e).strip()))
            return None

    # ---- one method per step kind: inject, hold, undo; returns the detail

    def kill_follower(self, s):
        _kill9(self.cluster.pid(s.follower))
        time.sleep(s.hold)
        took = self.start_nodes()
        return "%s down %.2f s, restart took %.2f s" % (s.follower, s.hold, took)

    def pause_follower(self, s):
        pid = self.cluster.pid(s.follower)
        _signal(pid, signal.SIGSTOP)
        try:
            time.sleep(s.hold)
        finally:
            _signal(pid, signal.SIGCONT)
        return "%s stopped %.2f s" % (s.follower, s.hold)

    def partition_follower(self, s):
        ok = self._fault_cmd("partition", s.follower, "leader")
        time.sleep(s.hold)
        self._fault_cmd("heal")
        return "%s | leader %.2f s%s" % (s.follower, s.hold, "" if ok else " (refused)")

    def kill_leader(self, s):
        _kill9(self.cluster.pid("leader"))
        time.sleep(s.hold)
        took = self.start_nodes()
        return "down %.2f s, restart took %.2f s" % (s.hold, took)

    def cut_primary_kill_leader(self, s):
        primary = self._primary(s.table, s.shard)
        if primary is None:
            return "%s/%d: no primary found, skipped" % (s.table, s.shard)
        ok = self._fault_cmd("partition", primary, "leader")
        time.sleep(s.delay_ms / 1000.0)
        _kill9(self.cluster.pid("leader"))
        time.sleep(s.hold)
        took = self.start_nodes()
        return "%s/%d primary %s cut%s, leader killed %d ms later, down %.2f s, restart %.2f s" % (
            s.table, s.shard, primary, "" if ok else " (refused)", s.delay_ms, s.hold, took)

    def run(self, deadline):
        """Execute steps until the deadline (a step under way is finished)."""
        for s in self.steps:
            if s.quiet >= deadline - time.time() or self.stop.wait(s.quiet):
                return
            start = self.history.clock()
            detail = getattr(self, s.name.replace("-", "_"))(s)
            self.history.fault(s.name, detail, start)

    def heal_all(self):
        """Undo every fault: SIGCONT, heal, restart whatever is down."""
        start = self.history.clock()
        for name in self.cluster.node_names()[1:]:
            _signal(self.cluster.pid(name), signal.SIGCONT)
        took = self.start_nodes()
        self._fault_cmd("heal")
        self.history.fault("heal-all", "SIGCONT all, local start (%.2f s), fault heal" % took,
                           start)
