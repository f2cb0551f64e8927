#!/usr/bin/python3
"""Moving a copy online under writes (issue 18, docs/load.md "Moving a copy
online"): how long a move takes and how long it pauses the shard's writes.

A fresh local cluster (leader + 4 followers), a table of --shards shards at
RF 2 with --rows padded rows, --writers threads inserting one row per
statement into it the whole time.  Then --moves calls of
murphy.move_placement, each moving shard 0's primary copy to the follower
holding none of it (round and round), at murphy.move_max_mbps --mbps (0:
unthrottled).  Reported per move: bytes, time, the write pause as
murphy.moves measured it (from asking for the shard's write queue to
releasing it), and the longest gap between two acknowledged inserts of the
writers during the move (what a client saw; it includes the machine's
noise, measured first over 1 s windows without a move); then the max and
median of each.

    bench/bench_move.py --bin build/murphy --moves 10
"""
import argparse
import io
import os
import statistics
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "cluster"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "murphy"))
    ap.add_argument("--moves", type=int, default=10)
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--mbps", type=float, default=0)
    args = ap.parse_args()
    os.environ["MURPHY_BIN"] = os.path.abspath(args.bin)
    import conftest  # reads MURPHY_BIN
    c = conftest.started_cluster(4)
    try:
        run(c, args)
    finally:
        c.cleanup()


def run(c, args):
    conn = c.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE m (id bigint PRIMARY KEY, w int, pad text) "
                "WITH (shards = %d, replicas = 2)" % args.shards)
    data = "".join("%d\t0\t%s\n" % (-i, "p" * 200) for i in range(1, args.rows + 1))
    cur.copy_from(io.StringIO(data), "m", columns=("id", "w", "pad"))
    if args.mbps:
        cur.execute("SET murphy.move_max_mbps = %s" % args.mbps)
    acked, stop, lock = [], threading.Event(), threading.Lock()

    def writer(k):
        wc = c.connect()
        i = 0
        while not stop.is_set():
            i += 1
            with wc.cursor() as w:
                w.execute("INSERT INTO m VALUES (%s, %s)", (i * args.writers + k, k))
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

    idle = []
    for n in range(5):  # the writers alone, 1 s windows: the machine's own noise
        t0 = time.time()
        time.sleep(1)
        idle.append(longest_gap(t0, time.time()))
    print("longest gap between acknowledged inserts, 1 s without a move: %s ms"
          % " ".join("%.1f" % g for g in idle))
    out = []
    for n in range(args.moves):
        cur.execute("SELECT node, role FROM murphy.placements WHERE table_name = 'm' "
                    "AND shard = 0")
        holders = dict(cur.fetchall())
        src = [k for k, v in holders.items() if v == "primary"][0]
        dst = sorted(f for f in ("f1", "f2", "f3", "f4") if f not in holders)[0]
        t0 = time.time()
        cur.execute("SELECT murphy.move_placement('m', 0, %s, %s)", (src, dst))
        result = cur.fetchone()[0]
        t1 = time.time()
        cur.execute("SELECT bytes_total, pause_ms FROM murphy.moves ORDER BY started_at DESC "
                    "LIMIT 1")
        nbytes, pause = cur.fetchone()
        gap = longest_gap(t0, t1)
        out.append((nbytes, t1 - t0, pause, gap))
        print("move %2d %s -> %s: %7d bytes %6.0f ms  pause %6.1f ms  longest gap %6.1f ms"
              % (n + 1, src, dst, nbytes, (t1 - t0) * 1000, pause, gap))
    stop.set()
    for t in threads:
        t.join(10)
    print("inserts acknowledged: %d" % len(acked))
    for name, k in (("move ms", 1), ("pause ms", 2), ("longest gap ms", 3)):
        vals = [o[k] * (1000 if k == 1 else 1) for o in out]
        print("%-15s max %7.1f  median %7.1f" % (name, max(vals), statistics.median(vals)))


if __name__ == "__main__":
    main()
