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

The layout is bench_spread.py's (13 monthly shards at RF --replicas, --rows
rows, 80 % of rows and queries in the newest month, or spread over the
newest --hot months).  The imbalance is max / mean follower CPU
(machine-independent; issue 18's target is ≤ 1.5 after moves and splits,
against ~4 before).  CPU is read from /proc/<pid>/stat.

    bench/bench_hot.py --base /work/base/murphy-s13 --bin build/murphy
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
    between two acknowledged inserts."""

    def __init__(self, cl):
        self.cl, self.gap, self.n = cl, 0.0, 0
        self.stop = threading.Event()
        self.th = threading.Thread(target=self.run, daemon=True)

    def run(self):
        conn = self.cl.connect()
        cur = conn.cursor()
        last, i = time.monotonic(), 10 ** 9
        while not self.stop.is_set():
            cur.execute("INSERT INTO events VALUES (%s, '2026-12-15', 1)", (i,))
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


def run(binary, args, phases):
    os.environ["MURPHY_BIN"] = os.path.abspath(binary)
    import conftest
    conftest.MURPHY = os.path.abspath(binary)
    cl = conftest.Cluster(followers=FOLLOWERS)
    out = []
    try:
        cl.start()
        conn = cl.connect()
        if phases != ["before"]:  # this build: the phases' moves are the bench's
            with conn.cursor() as cur:
                cur.execute("ALTER SYSTEM SET murphy.auto_rebalance = off")
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="the binary before replica reads")
    ap.add_argument("--bin", required=True, help="this build")
    ap.add_argument("--rows", type=int, default=200000)
    ap.add_argument("--replicas", type=int, default=3)
    ap.add_argument("--hot", type=int, default=1, help="months sharing 80 %% of the load")
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--out")
    args = ap.parse_args()
    lines = ["| phase | queries/s | " + " | ".join("f%d CPU s (share)" % i
                                                  for i in range(1, FOLLOWERS + 1))
             + " | max / mean | moves |", "|---|---|" + "---|" * FOLLOWERS + "---|---|"]
    lines += run(args.base, args, ["before"])
    lines += run(args.bin, args, ["replica reads", "rebalanced"])
    report = "\n".join(lines)
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report + "\n")


if __name__ == "__main__":
    main()
