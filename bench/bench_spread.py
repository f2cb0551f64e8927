#!/usr/bin/python3
"""The seed's hot segment, first slice (issue 18, docs/load.md): events
ranged by creation date on 4 followers, 80 % of the queries on the newest
month; how the followers' CPU is shared, before and after strong reads may
use any current copy.

For each murphy binary given (--bin, repeatable; e.g. main's and this
branch's): a fresh local cluster (leader + 4 followers), a table
`events (id, created date, v)` PARTITION BY RANGE (created) with one shard
per month of 2026 (12 split points, 13 shards, RF 3), --rows rows of which
80 % in the newest month; then --clients clients run for --seconds
`SELECT count(*), sum(v) FROM events WHERE created >= <month>` (80 %: the
newest month, 20 %: a random older month, one shard each).  The followers'
CPU time is read from /proc/<pid>/stat (user + system) before and after, so
both binaries are measured the same way whatever views they have.

Reported per binary: queries/s, each follower's CPU seconds and share, and
the imbalance max / mean follower CPU (issue 18's measure: ~4 before on 4
followers when one does everything; target ≤ 1.5 after moves and splits —
this slice only spreads reads over the copies that exist, RF 3 of 4).

    bench/bench_spread.py --bin /work/base/murphy-s9 --bin build/murphy
"""
import argparse
import os
import random
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "cluster"))

FOLLOWERS = 4
MONTHS = ["2026-%02d-01" % m for m in range(1, 13)]


def cpu_s(pid):
    """utime + stime of pid, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(conn, nrows):
    cur = conn.cursor()
    cur.execute("CREATE TABLE events (id bigint, created date NOT NULL, v int,"
                " PRIMARY KEY (id, created)) PARTITION BY RANGE (created)"
                " WITH (range_bounds = '%s', replicas = 3)" % ",".join(MONTHS))
    rnd = random.Random(7)
    batch = []
    for i in range(nrows):
        month = 12 if rnd.random() < 0.8 else rnd.randint(1, 11)
        day = "2026-%02d-%02d" % (month, rnd.randint(1, 28))
        batch.append("(%d, '%s', %d)" % (i, day, i % 100))
        if len(batch) == 5000:
            cur.execute("INSERT INTO events VALUES " + ",".join(batch))
            batch = []
    if batch:
        cur.execute("INSERT INTO events VALUES " + ",".join(batch))
    time.sleep(1.5)  # every copy's APPLY answered


def client(dsn, stop, counts, seed):
    import psycopg2
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    rnd = random.Random(seed)
    n = 0
    while not stop.is_set():
        m = 11 if rnd.random() < 0.8 else rnd.randint(0, 10)
        hi = MONTHS[m + 1] if m + 1 < len(MONTHS) else "2027-01-01"
        cur.execute("SELECT count(*), sum(v) FROM events WHERE created >= %s"
                    " AND created < %s", (MONTHS[m], hi))
        cur.fetchall()
        n += 1
    counts.append(n)
    conn.close()


def run(binary, args):
    os.environ["MURPHY_BIN"] = os.path.abspath(binary)
    import conftest
    conftest.MURPHY = os.path.abspath(binary)
    cl = conftest.Cluster(followers=FOLLOWERS)
    try:
        cl.start()
        conn = cl.connect()
        load(conn, args.rows)
        pids = {"f%d" % i: cl.pid("f%d" % i) for i in range(1, FOLLOWERS + 1)}
        before = {f: cpu_s(p) for f, p in pids.items()}
        stop, counts = threading.Event(), []
        threads = [threading.Thread(target=client, args=(cl.dsn(), stop, counts, s))
                   for s in range(args.clients)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(args.seconds)
        stop.set()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        cpu = {f: cpu_s(p) - before[f] for f, p in pids.items()}
        conn.close()
        return sum(counts) / elapsed, cpu
    finally:
        cl.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", action="append", required=True)
    ap.add_argument("--rows", type=int, default=200000)
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--out")
    args = ap.parse_args()
    lines = ["| binary | queries/s | " + " | ".join("f%d CPU s (share)" % i
                                                    for i in range(1, FOLLOWERS + 1))
             + " | max / mean |", "|---|---|" + "---|" * FOLLOWERS + "---|"]
    for b in args.bin:
        qps, cpu = run(b, args)
        total = sum(cpu.values()) or 1
        mean = total / len(cpu)
        lines.append("| %s | %.0f | %s | %.2f |" % (
            b, qps, " | ".join("%.2f (%.0f %%)" % (cpu[f], 100 * cpu[f] / total)
                               for f in sorted(cpu)), max(cpu.values()) / mean))
        print(lines[-1], flush=True)
    report = "\n".join(lines)
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report + "\n")


if __name__ == "__main__":
    main()
