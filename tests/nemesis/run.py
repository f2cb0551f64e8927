#!/usr/bin/python3
"""Randomized fault test of murphy: clients, nemesis, checker, report.

    tests/nemesis/run.py --seed S --seconds T [--no-leader-kills] [--followers N]
                         [--workload insert|bank]

``--workload bank`` runs money transfers in BEGIN ... COMMIT and readers
summing the balances under the same nemesis instead (tests/nemesis/bank.py).

Design
------
1. Start a local cluster (tests/cluster/conftest.py's ``Cluster``, the
   failure tests' short timers: suspect 1000 ms, dead 3000 ms) and create
   TABLES: one with several shards, one with a single shard, each with 3
   copies (fewer if there are fewer followers).
2. Run for T seconds, all recording into one History (history.py):
   - WRITERS threads, each with its own connection, insert unique ids: one
     row, a multi-row VALUES list, or a COPY batch, into a table drawn at
     random; each statement ends ok / failed / unknown (history.classify);
   - READERS threads read an id some writer has tried (point read) or
     count(*) a table, to check that reads never go backwards;
   - the nemesis (nemesis.py) injects the seed's faults one at a time.
3. Stop the clients, heal everything, restart whatever is down, wait (up to
   --settle seconds) until every placement is current and every shard's
   copies are identical (tests/cluster/checker.py reads each placement's
   SQLite file read-only and digests its rows), then read every table.
4. Check (history.check), print the report, exit 1 on any anomaly.

The seed fixes the fault schedule and each writer's choices (kinds, batch
sizes, tables); thread interleaving and timing are the machine's, so a
failing seed reproduces the same faults, usually the same anomaly.
"""
import argparse
import io
import itertools
import os
import random
import sqlite3
import sys
import threading
import time
from collections import Counter

import psycopg2

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cluster"))
sys.path.insert(0, HERE)

import checker  # noqa: E402  (tests/cluster/checker.py)
import history as hist  # noqa: E402
import nemesis as nem  # noqa: E402
from conftest import MURPHY, Cluster  # noqa: E402

TIMERS = ["--suspect-timeout-ms", "1000", "--dead-timeout-ms", "3000"]
# (name, shards): several shards, and the 1-shard table.
TABLES = [("nem_multi", 4), ("nem_one", 1)]
REPLICAS_MAX = 3
WRITERS = 4
READERS = 2
# Write kinds with their weights, and rows per statement.
WRITE_MIX = (("insert1", 6), ("insertN", 3), ("copy", 1))
INSERTN_ROWS = (2, 20)
COPY_ROWS = (10, 300)
# A point read picks one of the last RECENT ids a writer tried.
RECENT = 2000
COUNT_READ_SHARE = 0.2
READ_PAUSE_S = 0.01
RECONNECT_PAUSE_S = 0.1
# Seconds the clients get to finish their last statement after the run.
JOIN_S = 30
# Seconds to read the final tables (a shard may be briefly unreadable).
FINAL_READ_S = 30
# Placements must be current this long after healing (--settle default).
SETTLE_S = 120


class Clients:
    """Writer and reader threads recording into one History."""

    def __init__(self, cluster, history, seed, tables):
        self.cluster, self.history, self.tables = cluster, history, [t for t, _ in tables]
        self.seed = seed
        self.stop = threading.Event()
        self.next_id = itertools.count(1)
        self.id_lock = threading.Lock()
        self.recent = []  # (table, id) a writer has tried, newest last
        self.threads = ([threading.Thread(target=self._writer, args=(k,), daemon=True)
                         for k in range(WRITERS)] +
                        [threading.Thread(target=self._reader, args=(k,), daemon=True)
                         for k in range(READERS)])

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        deadline = time.time() + JOIN_S
        for t in self.threads:
            t.join(max(0.1, deadline - time.time()))
        return sum(t.is_alive() for t in self.threads)

    def _ids(self, n):
        with self.id_lock:
            return [next(self.next_id) for _ in range(n)]

    def _connect(self):
        while not self.stop.is_set():
            try:
                return self.cluster.connect()
            except psycopg2.Error:
                time.sleep(RECONNECT_PAUSE_S)
        return None

    def _run(self, conn, op, fn):
        """Run fn(cursor) for op; record the outcome; the connection, or
        None when it must be replaced."""
        try:
            with conn.cursor() as cur:
                value = fn(cur)
            self.history.finish(op, hist.OK, value=value)
            return conn
        except psycopg2.Error as e:
            state = e.pgcode if not conn.closed else None
            self.history.finish(op, hist.classify(state), state, str(e).strip()[:200])
            if conn.closed or not e.pgcode:
                try:
                    conn.close()
                except psycopg2.Error:
                    pass
                return None
            return conn

    def _write(self, cur, kind, table, ids, w):
        if kind == "insert1":
            cur.execute("INSERT INTO %s (id, w) VALUES (%%s, %%s)" % table, (ids[0], w))
        elif kind == "insertN":
            cur.execute("INSERT INTO %s (id, w) VALUES %s" % (
                table, ", ".join("(%d, %d)" % (i, w) for i in ids)))
        else:
            data = io.StringIO("".join("%d\t%d\n" % (i, w) for i in ids))
            cur.copy_expert("COPY %s (id, w) FROM STDIN" % table, data)

    def _writer(self, k):
        rng = random.Random(self.seed * 1000 + k)
        kinds = [kind for kind, weight in WRITE_MIX for _ in range(weight)]
        conn = None
        while not self.stop.is_set():
            conn = conn or self._connect()
            if conn is None:
                break
            kind, table = rng.choice(kinds), rng.choice(self.tables)
            n = {"insert1": 1, "insertN": rng.randint(*INSERTN_ROWS),
                 "copy": rng.randint(*COPY_ROWS)}[kind]
            ids = self._ids(n)
            op = self.history.begin("w%d" % k, kind, table, ids)
            with self.id_lock:
                self.recent.extend((table, i) for i in ids)
                del self.recent[:-RECENT]
            conn = self._run(conn, op, lambda cur: self._write(cur, kind, table, ids, k))
            if op.outcome != hist.OK:
                time.sleep(RECONNECT_PAUSE_S)
        if conn is not None:
            conn.close()

    def _read_key(self, cur, table, key):
        cur.execute("SELECT id FROM %s WHERE id = %%s" % table, (key,))
        return len(cur.fetchall()) > 0

    def _read_count(self, cur, table):
        cur.execute("SELECT count(*) FROM %s" % table)
        return cur.fetchone()[0]

    def _reader(self, k):
        rng = random.Random(self.seed * 1000 + 500 + k)
        conn = None
        while not self.stop.is_set():
            conn = conn or self._connect()
            if conn is None:
                break
            with self.id_lock:
                pick = rng.choice(self.recent) if self.recent else None
            if pick is None or rng.random() < COUNT_READ_SHARE:
                table = rng.choice(self.tables)
                op = self.history.begin("r%d" % k, "read-count", table)
                conn = self._run(conn, op, lambda cur: self._read_count(cur, table))
            else:
                op = self.history.begin("r%d" % k, "read-key", pick[0], [pick[1]])
                conn = self._run(conn, op, lambda cur: self._read_key(cur, *pick))
            time.sleep(READ_PAUSE_S)
        if conn is not None:
            conn.close()


def create_tables(cluster, replicas):
    conn = cluster.connect()
    with conn.cursor() as cur:
        for name, shards in TABLES:
            cur.execute("CREATE TABLE %s (id bigint PRIMARY KEY, w int) WITH (shards = %d, "
                        "replicas = %d)" % (name, shards, replicas))
    conn.close()


def _not_current(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT table_name, shard, node, state, lag FROM murphy.placements "
                    "WHERE state <> 'current' ORDER BY 1, 2, 3")
        return ["%s shard %d on %s: %s (lag %s)" % r for r in cur.fetchall()]


def settle(cluster, replicas, timeout):
    """Wait until every placement is current and all copies agree; the
    problems left at the deadline (empty when settled) and seconds taken."""
    t0 = time.time()
    problems = ["never checked"]
    while True:
        try:
            conn = cluster.connect()
            try:
                problems = _not_current(conn) or checker.check_cluster(cluster, conn,
                                                                       replicas=replicas)
            finally:
                conn.close()
        except Exception as e:  # the leader restarting, a file held by a follower
            problems = ["check failed: %s" % str(e).strip()]
        if not problems or time.time() - t0 > timeout:
            return ["not settled after %d s: %s" % (timeout, p) for p in problems], \
                time.time() - t0
        time.sleep(0.5)


def final_rows(cluster, tables):
    """{table: [ids]} read through the leader, retried for FINAL_READ_S."""
    deadline = time.time() + FINAL_READ_S
    while True:
        try:
            conn = cluster.connect()
            try:
                out = {}
                with conn.cursor() as cur:
                    for name, _ in tables:
                        cur.execute("SELECT id FROM %s" % name)
                        out[name] = [r[0] for r in cur.fetchall()]
                return out
            finally:
                conn.close()
        except psycopg2.Error:
            if time.time() > deadline:
                raise
            time.sleep(0.5)


def copies_holding(cluster, table, ids):
    """Counter {number of copies holding the id: ids} over the table's files."""
    held = Counter()
    want = set(ids)
    for (t, shard, node), info in checker.placement_files(cluster).items():
        if t != table:
            continue
        db = sqlite3.connect("file:%s?mode=ro" % info[0], uri=True, timeout=5)
        try:
            for (i,) in db.execute('SELECT id FROM "%s"' % table):
                if i in want:
                    held[i] += 1
        except sqlite3.Error:
            pass
        finally:
            db.close()
    return Counter(held[i] for i in want)


def parse_args(argv):
    p = argparse.ArgumentParser(description="murphy nemesis: random faults under writers and "
                                "readers, then check nothing acknowledged was lost")
    p.add_argument("--seed", type=int, default=None, help="fault schedule seed (default: random)")
    p.add_argument("--seconds", type=float, default=60, help="how long faults run (default 60)")
    p.add_argument("--followers", type=int, default=3, help="followers (default 3)")
    p.add_argument("--no-leader-kills", action="store_true",
                   help="follower faults only (no kill -9 of the leader)")
    p.add_argument("--settle", type=float, default=SETTLE_S,
                   help="seconds for placements to become current after healing (default %d)"
                   % SETTLE_S)
    p.add_argument("--workload", choices=("insert", "bank"), default="insert",
                   help="insert: writers and readers of unique ids (default); bank: transfers "
                   "in BEGIN ... COMMIT and readers summing (bank.py)")
    p.add_argument("--keep", action="store_true", help="keep the cluster directory")
    p.add_argument("--parallel-commits", choices=("on", "off"), default=None,
                   help="bank: every client session SETs murphy.parallel_commits to this "
                   "(default: the server's, on)")
    args = p.parse_args(argv)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 1 << 31)
    return args


def run(args, out=sys.stdout):
    """One run; returns the exit status (0: no anomaly)."""
    if args.workload == "bank":
        import bank
        return bank.run(args, out, settle, JOIN_S, FINAL_READ_S, TIMERS)
    replicas = min(REPLICAS_MAX, args.followers)
    t0 = [time.time()]  # reset when the clients start: t = 0 in the report
    history = hist.History(lambda: time.time() - t0[0])
    cluster = Cluster(followers=args.followers, start_args=TIMERS)
    header = ["murphy nemesis: seed %d, %g s, %d followers, RF %d, leader kills %s" % (
        args.seed, args.seconds, args.followers, replicas,
        "off" if args.no_leader_kills else "on"),
        "binary %s, cluster %s" % (MURPHY, cluster.dir),
        "reproduce: %s --seed %d --seconds %g --followers %d%s" % (
            os.path.relpath(os.path.abspath(__file__)), args.seed, args.seconds,
            args.followers, " --no-leader-kills" if args.no_leader_kills else "")]
    try:
        cluster.start()
        create_tables(cluster, replicas)
        clients = Clients(cluster, history, args.seed, TABLES)
        stop = threading.Event()
        steps = nem.schedule(args.seed, args.followers, not args.no_leader_kills, TABLES)
        nemesis = nem.Nemesis(cluster, history, steps, stop)
        t0[0] = time.time()
        clients.start()
        nemesis.run(time.time() + args.seconds)
        hung = clients.finish()
        nemesis.heal_all()
        problems, settle_s = settle(cluster, replicas, args.settle)
        rows = final_rows(cluster, TABLES)
        final_ids = {t: set(ids) for t, ids in rows.items()}
        dups = {t: {i for i, n in Counter(ids).items() if n > 1} for t, ids in rows.items()}
        anomalies = hist.check(history, final_ids, problems, {t: d for t, d in dups.items() if d})
        for a in anomalies:
            if a.kind == "lost":
                held = copies_holding(cluster, a.table, a.ids)
                a.text += " (held by %s)" % ", ".join(
                    "%d copies: %d ids" % kv for kv in sorted(held.items()))
        extra = ["", "Recovery: settled in %.1f s%s; %d clients still in a statement after %d s"
                 % (settle_s, "" if not problems else " (NOT settled)", hung, JOIN_S)]
        extra += nemesis.notes
        print(hist.report(history, anomalies, final_ids, header, extra), file=out)
        if anomalies and not args.keep:
            print("\nnode logs (tail):\n" + cluster.logs(lines=15), file=out)
        return 1 if anomalies else 0
    finally:
        if args.keep:
            cluster.stop()
            print("cluster kept in %s" % cluster.dir, file=out)
        else:
            cluster.cleanup()


def main(argv=None):
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
