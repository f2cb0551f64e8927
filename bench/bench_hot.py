#!/usr/bin/python3
"""The seed's hot segment, the issue's benchmark (issue 18,
docs/hot-segments.md): events ranged by creation date on 4 followers, 80 %
of the queries on the newest month; the followers' CPU and the throughput
in phases:

  before           the base binary (--base): strong reads on the primary only
  replica reads    this build, before any move (reads spread over current copies)
  rebalanced       this build after SELECT murphy.rebalance() (copies and load
                   plans; the automatic rebalancer is off so the phases are
                   clean), with a writer inserting rows meanwhile: the longest
                   gap it saw between two acknowledged inserts, and the
                   longest write pause murphy.moves reports
  split            after murphy.split_shard('events', <hot shard>) and a
                   rebalance, when the build has murphy.split_shard (built by
                   another branch); else "not available"

With --scenario auto (the seed's "fixes itself"): a fresh cluster, the
"replica reads" phase with nothing automatic, then murphy.auto_split and
murphy.auto_rebalance on (ALTER SYSTEM; looks every --interval-ms, a table
split at most every --cooldown-ms) while the clients and a writer go on,
until at least one split is done and nothing has started for --quiet-s
(at most --settle-s); then, with both off again so that the phase is
clean, the "after automatic split + rebalance" phase.  Reported: each
split and move (its reason, bytes, time, write pause) and the writer's
longest gap between two acknowledged inserts meanwhile.

The layout is bench_spread.py's (13 monthly shards at RF --replicas, --rows
rows, 80 % of rows and queries in the newest month, or spread over the
newest --hot months).  The imbalance is max / mean follower CPU
(machine-independent; issue 18's target is ≤ 1.5 after moves and splits,
against ~4 before).  CPU is read from /proc/<pid>/stat.

    bench/bench_hot.py --base /work/base/murphy-s13 --bin build/murphy
    bench/bench_hot.py --base /work/base/murphy-s14 --bin build/murphy --scenario auto
"""
import argparse
import os
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "cluster"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_spread  # noqa: E402  (the layout, the clients, cpu_s)

FOLLOWERS = bench_spread.FOLLOWERS


def load(conn, args):
    """bench_spread's table, RF --replicas, 80 % of the rows in the newest
    --hot months."""
    import random
    cur = conn.cursor()
    cur.execute("CREATE TABLE events (id bigint, created date NOT NULL, v int,"
                " PRIMARY KEY (id, created)) PARTITION BY RANGE (created)"
                " WITH (range_bounds = '%s', replicas = %d)"
                % (",".join(bench_spread.MONTHS), args.replicas))
    rnd = random.Random(7)
    batch = []
    for i in range(args.rows):
        month = rnd.randint(13 - args.hot, 12) if rnd.random() < 0.8 else \
            rnd.randint(1, 12 - args.hot)
        batch.append("(%d, '2026-%02d-%02d', %d)" % (i, month, rnd.randint(1, 28), i % 100))
        if len(batch) == 5000:
            cur.execute("INSERT INTO events VALUES " + ",".join(batch))
            batch = []
    if batch:
        cur.execute("INSERT INTO events VALUES " + ",".join(batch))
    time.sleep(1.5)  # every copy's APPLY answered


def client(dsn, stop, counts, seed, hot):
    """80 % of the queries on one of the newest `hot` months, 20 % on an
    older one; each reads one shard."""
    import random
    import psycopg2
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    rnd = random.Random(seed)
    months, n = bench_spread.MONTHS, 0
    while not stop.is_set():
        m = rnd.randint(12 - hot, 11) if rnd.random() < 0.8 else rnd.randint(0, 11 - hot)
        hi = months[m + 1] if m + 1 < len(months) else "2027-01-01"
        cur.execute("SELECT count(*), sum(v) FROM events WHERE created >= %s"
                    " AND created < %s", (months[m], hi))
        cur.fetchall()
        n += 1
    counts.append(n)
    conn.close()


def measure(cl, args):
    """Queries/s and each follower's CPU seconds over one phase."""
    pids = {"f%d" % i: cl.pid("f%d" % i) for i in range(1, FOLLOWERS + 1)}
    before = {f: bench_spread.cpu_s(p) for f, p in pids.items()}
    stop, counts = threading.Event(), []
    threads = [threading.Thread(target=client, args=(cl.dsn(), stop, counts, s, args.hot))
               for s in range(args.clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(args.seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    return sum(counts) / elapsed, {f: bench_spread.cpu_s(p) - before[f] for f, p in pids.items()}


class Writer:
    """Inserts one row at a time into the newest month; the longest gap
    between two acknowledged inserts.  An insert queued behind a split's
    switch fails with 40001 (nothing written) and is sent again, as the
    error's hint says (counted in retried)."""

    def __init__(self, cl):
        self.cl, self.gap, self.n, self.retried = cl, 0.0, 0, 0
        self.stop = threading.Event()
        self.th = threading.Thread(target=self.run, daemon=True)

    def run(self):
        import psycopg2
        conn = self.cl.connect()
        cur = conn.cursor()
        last, i = time.monotonic(), 10 ** 9
        while not self.stop.is_set():
            try:
                cur.execute("INSERT INTO events VALUES (%s, '2026-12-15', 1)", (i,))
            except psycopg2.errors.SerializationFailure:
                self.retried += 1
                continue
            now = time.monotonic()
            self.gap, last, i, self.n = max(self.gap, now - last), now, i + 1, self.n + 1
        conn.close()


def one(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def rebalance(cl, conn):
    """murphy.rebalance() under a writer: (moves, seconds, bytes, max pause
    ms murphy.moves reports, longest gap the writer saw in ms)."""
    w = Writer(cl)
    w.th.start()
    time.sleep(1)
    t0 = time.monotonic()
    result = one(conn, "SELECT murphy.rebalance()")[0][0]
    took = time.monotonic() - t0
    time.sleep(1)
    w.stop.set()
    w.th.join()
    moves = one(conn, "SELECT count(*), coalesce(sum(bytes_total), 0), max(pause_ms) "
                      "FROM murphy.moves WHERE state = 'done'")[0]
    print("rebalance:", result.replace("\n", "; "), flush=True)
    return moves[0], took, moves[1], moves[2], w.gap * 1000


def hot_shard(conn):
    return one(conn, "SELECT shard FROM murphy.shard_load WHERE table_name = 'events' AND "
                     "period = '5min' GROUP BY shard ORDER BY sum(cpu_ms) DESC LIMIT 1")[0][0]


def row(label, qps, cpu, extra=""):
    total = sum(cpu.values()) or 1
    mean = total / len(cpu)
    return "| %s | %.0f | %s | %.2f |%s" % (
        label, qps, " | ".join("%.2f (%.0f %%)" % (cpu[f], 100 * cpu[f] / total)
                               for f in sorted(cpu)), max(cpu.values()) / mean, extra)


def system(conn, **settings):
    with conn.cursor() as cur:
        for name, value in settings.items():
            cur.execute("ALTER SYSTEM SET murphy.%s = '%s'" % (name, value))


def started(binary, manual):
    """A started cluster of binary, with the table loaded (manual: this
    build, nothing automatic: the phases' moves and splits are the bench's)."""
    os.environ["MURPHY_BIN"] = os.path.abspath(binary)
    import conftest
    conftest.MURPHY = os.path.abspath(binary)
    cl = conftest.Cluster(followers=FOLLOWERS)
    try:
        cl.start()
        conn = cl.connect()
        if manual:
            system(conn, auto_rebalance="off", auto_split="off")
    except BaseException:
        cl.cleanup()
        raise
    return cl, conn


def run(binary, args, phases):
    out = []
    cl, conn = started(binary, phases != ["before"])
    try:
        load(conn, args)
        qps, cpu = measure(cl, args)
        out.append(row(phases[0], qps, cpu))
        print(out[-1], flush=True)
        if len(phases) == 1:
            return out
        moved = rebalance(cl, conn)
        qps, cpu = measure(cl, args)
        out.append(row("rebalanced", qps, cpu,
                       " %d moves, %.1f s, %.2f MB, max pause %s ms, writer gap %.0f ms" % (
                           moved[0], moved[1], moved[2] / 2 ** 20,
                           "%.1f" % moved[3] if moved[3] is not None else "-", moved[4])))
        print(out[-1], flush=True)
        try:
            shard = hot_shard(conn)
            one(conn, "SELECT murphy.split_shard('events', %d)" % shard)
        except Exception as e:  # the split branch has not landed here
            out.append("| split | not available: %s |" % str(e).splitlines()[0])
            return out
        moved = rebalance(cl, conn)
        qps, cpu = measure(cl, args)
        out.append(row("split + rebalanced", qps, cpu, " %d moves" % moved[0]))
        return out
    finally:
        cl.cleanup()


class Background:
    """The clients and a Writer, running until stop(): the load the
    automatic splitter and rebalancer see."""

    def __init__(self, cl, args):
        self.stop_flag, self.counts = threading.Event(), []
        self.threads = [threading.Thread(target=client, args=(cl.dsn(), self.stop_flag,
                                                              self.counts, 100 + s, args.hot))
                        for s in range(args.clients)]
        self.writer = Writer(cl)
        for t in self.threads + [self.writer.th]:
            t.start()

    def stop(self):
        self.stop_flag.set()
        self.writer.stop.set()
        for t in self.threads + [self.writer.th]:
            t.join()
        return self.writer.gap * 1000, self.writer.retried


def settle(conn, args):
    """Wait until an automatic split is done and nothing started for
    --quiet-s (none running); the seconds it took."""
    t0 = time.monotonic()
    seen, changed = None, t0
    while time.monotonic() - t0 < args.settle_s:
        time.sleep(2)
        ms = one(conn, "SELECT kind, state FROM murphy.moves")
        if len(ms) != seen:
            seen, changed = len(ms), time.monotonic()
        done = any(k == "split" and st == "done" for k, st in ms)
        running = any(st == "running" for k, st in ms)
        if done and not running and time.monotonic() - changed >= args.quiet_s:
            break
    return time.monotonic() - t0


def operations(conn):
    """Each automatic split and move: a line each."""
    out = []
    for kind, table, shard, new_shard, src, dst, state, nbytes, ms, pause, reason, error in one(
            conn, "SELECT kind, table_name, shard, new_shard, source, target, state, "
                  "bytes_total, elapsed_ms, pause_ms, reason, error FROM murphy.moves "
                  "ORDER BY started_at"):
        what = ("split of shard %s into %s and %s" % (shard, shard, new_shard)
                if kind == "split" else "move of shard %s %s -> %s" % (shard, src, dst))
        out.append("%s: %s, %.2f MB in %d ms, write pause %s ms (%s)" % (
            what, state, (nbytes or 0) / 2 ** 20, ms or 0,
            "%.1f" % pause if pause is not None else "-", reason or "by a call")
            + (": " + error if error else ""))
    return out


def run_auto(binary, args):
    """The replica-reads phase, then the automatic splitter and rebalancer
    under load, then the phase after them."""
    out = []
    cl, conn = started(binary, True)
    try:
        load(conn, args)
        qps, cpu = measure(cl, args)
        out.append(row("replica reads", qps, cpu))
        print(out[-1], flush=True)
        system(conn, rebalance_interval_ms=args.interval_ms, split_cooldown_ms=args.cooldown_ms,
               auto_split="on", auto_rebalance="on")
        bg = Background(cl, args)
        took = settle(conn, args)
        gap, retried = bg.stop()
        system(conn, auto_rebalance="off", auto_split="off")
        ops = operations(conn)
        shards = one(conn, "SELECT count(*) FROM murphy.shards WHERE table_name = 'events'")[0][0]
        qps, cpu = measure(cl, args)
        out.append(row("after automatic split + rebalance", qps, cpu,
                       " %d splits, %d moves in %.0f s, %d shards, writer gap %.0f ms, "
                       "%d inserts retried (40001)" % (
                           sum(o.startswith("split") for o in ops),
                           sum(o.startswith("move") for o in ops), took, shards, gap, retried)))
        print(out[-1], flush=True)
        out += ["", "Operations (murphy.moves):", ""] + ["- " + o for o in ops] + [""]
        with open(os.path.join(cl.dir, "leader", "murphy.log"), errors="replace") as f:
            out += ["Leader log (split):", ""] + ["    " + ln.rstrip() for ln in f
                                                  if " split: " in ln] + [""]
        return out
    finally:
        cl.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="the binary before replica reads")
    ap.add_argument("--bin", required=True, help="this build")
    ap.add_argument("--rows", type=int, default=200000)
    ap.add_argument("--replicas", type=int, default=3)
    ap.add_argument("--hot", type=int, default=1, help="months sharing 80 %% of the load")
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--scenario", choices=("manual", "auto"), default="manual")
    ap.add_argument("--interval-ms", type=int, default=2000,
                    help="auto: murphy.rebalance_interval_ms (the splitter's looks too)")
    ap.add_argument("--cooldown-ms", type=int, default=20000,
                    help="auto: murphy.split_cooldown_ms")
    ap.add_argument("--quiet-s", type=float, default=30,
                    help="auto: settled when nothing started for this long")
    ap.add_argument("--settle-s", type=float, default=400, help="auto: wait at most this long")
    ap.add_argument("--out")
    args = ap.parse_args()
    lines = ["| phase | queries/s | " + " | ".join("f%d CPU s (share)" % i
                                                  for i in range(1, FOLLOWERS + 1))
             + " | max / mean | moves |", "|---|---|" + "---|" * FOLLOWERS + "---|---|"]
    lines += run(args.base, args, ["before"])
    if args.scenario == "auto":
        lines += run_auto(args.bin, args)
    else:
        lines += run(args.bin, args, ["replica reads", "rebalanced"])
    report = "\n".join(lines)
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report + "\n")


if __name__ == "__main__":
    main()
