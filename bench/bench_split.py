#!/usr/bin/python3
"""Splitting shards online under writes (issue 18, docs/load.md "Splitting a
shard online"): how long each split pauses its shard's writes, and what the
writers see.

A fresh local cluster (leader + 3 followers), a range table at RF 2 with
--rows padded rows of negative ids in shard 0 (bound 0) and --writers
threads inserting one row per statement, ids 1, 2, ... into the last shard
(the one with no upper bound) the whole time.  Then --splits calls of
murphy.split_shard on that last shard at its median key, so every split
cuts the shard the writers write (the newest one holds the writers' rows:
its upper half, the one the writers go on writing, becomes the new shard).

Reported per split: its time, the write pause murphy.moves measured (from
asking for the shard's write queue to releasing it), the longest gap
between two acknowledged inserts during the split (what a client saw; it
includes the machine's noise, measured first over 1 s windows without a
split), and the writers' failures (40001: a write queued behind the switch
that was not re-routed).  Then the max and median of each.  --log prints
the leader's and followers' "split" log lines (the pause's phases).

    bench/bench_split.py --bin build/murphy --splits 10
"""
import argparse
import io
import os
import re
import statistics
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "cluster"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "murphy"))
    ap.add_argument("--splits", type=int, default=10)
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--log", action="store_true")
    args = ap.parse_args()
    os.environ["MURPHY_BIN"] = os.path.abspath(args.bin)
    import conftest  # reads MURPHY_BIN
    c = conftest.started_cluster(3)
    try:
        run(c, args)
        if args.log:
            for name in c.node_names():
                path = os.path.join(c.dir, name, "murphy.log")
                with open(path, errors="replace") as f:
                    for line in f:
                        if "split" in line and ("pause" in line or "TIMING" in line
                                                or "round" in line):
                            print(name, line.rstrip())
    finally:
        c.cleanup()


def call_split(conn, shard):
    """(result, started, ended) of a split of shard; called again while the
    shard is being moved (the automatic rebalancer may be moving a copy of
    it)."""
    import psycopg2
    deadline = time.time() + 30
    while True:
        t0 = time.time()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT murphy.split_shard('s', %s)", (shard,))
                return cur.fetchone()[0], t0, time.time()
        except psycopg2.Error as e:
            if e.pgcode != "55006" or time.time() > deadline:
                raise
        time.sleep(0.5)


def run(c, args):
    conn = c.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE s (id bigint PRIMARY KEY, w int, pad text) "
                "PARTITION BY RANGE (id) WITH (range_bounds = '0', replicas = 2)")
    data = "".join("%d\t0\t%s\n" % (-i, "p" * 200) for i in range(1, args.rows + 1))
    cur.copy_from(io.StringIO(data), "s", columns=("id", "w", "pad"))
    acked, failed, stop, lock = [], {}, threading.Event(), threading.Lock()
    counter = [0]

    def writer(k):
        import psycopg2
        wc = c.connect()
        while not stop.is_set():
            with lock:
                counter[0] += 1
                i = counter[0]
            try:
                with wc.cursor() as w:
                    w.execute("INSERT INTO s VALUES (%s, %s, 'x')", (i, k))
            except psycopg2.Error as e:
                with lock:
                    failed[i] = (time.time(), e.pgcode)
                continue
            with lock:
                acked.append(time.time())
        wc.close()

    threads = [threading.Thread(target=writer, args=(k,), daemon=True)
               for k in range(args.writers)]
    for t in threads:
        t.start()
    time.sleep(1)

    def longest_gap(t0, t1):
        with lock:
            times = sorted(a for a in acked if t0 <= a <= t1)
        pts = [t0] + times + [t1]
        return max(b - a for a, b in zip(pts, pts[1:])) * 1000

    def failures(t0, t1):
        with lock:
            return sum(1 for ts, _ in failed.values() if t0 <= ts <= t1)

    idle = []
    for n in range(5):  # the writers alone, 1 s windows: the machine's own noise
        t0 = time.time()
        time.sleep(1)
        idle.append(longest_gap(t0, time.time()))
    print("longest gap between acknowledged inserts, 1 s without a split: %s ms"
          % " ".join("%.1f" % g for g in idle))
    out = []
    for n in range(args.splits):
        cur.execute("SELECT max(shard) FROM murphy.shards WHERE table_name = 's' "
                    "AND range_max IS NULL")
        shard = cur.fetchone()[0]
        result = call_split(conn, shard)
        t0, t1 = result[1], result[2]
        result = result[0]
        time.sleep(0.3)  # writes queued behind the switch answer
        m = re.search(r"writes paused ([\d.]+) ms", result)
        if not m:
            print("split %2d of shard %d: %s" % (n + 1, shard, result))
            continue
        pause = float(m.group(1))
        gap = longest_gap(t0, t1 + 0.3)
        nfail = failures(t0, t1 + 0.3)
        out.append(((t1 - t0) * 1000, pause, gap, nfail))
        print("split %2d of shard %2d: %6.0f ms  pause %6.1f ms  longest gap %6.1f ms  "
              "failed writes %d" % (n + 1, shard, (t1 - t0) * 1000, pause, gap, nfail))
    stop.set()
    for t in threads:
        t.join(10)
    print("inserts acknowledged: %d, failed: %d (%s)" % (
        len(acked), len(failed), sorted({code for _, code in failed.values()})))
    for name, k in (("split ms", 0), ("pause ms", 1), ("longest gap ms", 2),
                    ("failed writes", 3)):
        vals = [o[k] for o in out]
        if vals:
            print("%-15s max %7.1f  median %7.1f" % (name, max(vals), statistics.median(vals)))


if __name__ == "__main__":
    main()
