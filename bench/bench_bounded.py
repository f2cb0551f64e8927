#!/usr/bin/python3
"""Bounded vs strong point reads under write load, one copy delayed (issue 17).

A 3-follower cluster, table `bt (id int PRIMARY KEY, v int)` with one shard
and three copies.  WRITERS threads (default 2) UPDATE rows 1-3 in a loop at
write_quorum majority (the default) while one reader runs point SELECTs of
row 1, at murphy.read_consistency = 'strong' and 'bounded' (max_staleness
5s) in interleaved rounds (--rounds x --seconds per level).  Three
scenarios, one cluster: no fault; the follower of a replica delayed DELAY
ms each way (`murphy.fault('delay fN MS')`); the follower of the primary
delayed.  Reported per scenario: writes/s and write p50; p50 / p99 of each
level and their ratio; how many bounded answers were stale (a WARNING);
which copies served 40 bounded reads (EXPLAIN ANALYZE).

Target (issue 17): bounded point reads under write load on a delayed shard
at most 0.5x strong's p50.  On 3 copies at majority, a delayed replica
slows no read (writes commit on the other two; the shard's next write
waits for its answer only with 8 entries in flight); a delayed primary slows every strong read
(they read the primary, behind its writes) and no bounded one.

    MURPHY_BIN=build/murphy bench/bench_bounded.py [--seconds 3] [--delay 100]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "cluster"))

import psycopg2  # noqa: E402

from pgserver import free_port  # noqa: E402

MURPHY = os.environ.get("MURPHY_BIN") or os.path.join(ROOT, "build", "murphy")


def murphy(*args):
    return subprocess.run([MURPHY] + list(args), check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


def writer(dsn, stop, keys, counts, lat):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    i = 0
    while not stop.is_set():
        t0 = time.monotonic()
        cur.execute("UPDATE bt SET v = v + 1 WHERE id = %s", (keys[i % len(keys)],))
        lat.append(time.monotonic() - t0)
        i += 1
    counts.append(i)
    conn.close()


def read_round(cur, level, seconds, key):
    cur.execute("SET murphy.read_consistency = %s", (level,))
    lat, stale = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.monotonic()
        cur.execute("SELECT v FROM bt WHERE id = %s", (key,))
        cur.fetchall()
        lat.append((time.monotonic() - t0) * 1000)
        if cur.connection.notices:
            stale += 1
            del cur.connection.notices[:]
    return lat, stale


def served_by(cur, key, n=40):
    """{node: reads} over n bounded EXPLAIN ANALYZE reads of key."""
    nodes = {}
    cur.execute("SET murphy.read_consistency = 'bounded'")
    for _ in range(n):
        cur.execute("EXPLAIN ANALYZE SELECT v FROM bt WHERE id = %s", (key,))
        for (line,) in cur.fetchall():
            m = re.match(r"\s*Node (\S+) -> leader:", line)
            if m:
                nodes[m.group(1)] = nodes.get(m.group(1), 0) + 1
    del cur.connection.notices[:]
    return nodes


def scenario(dsn, cur, placements, delayed_role, args):
    """One row of the table: writers on, the copy of delayed_role (None:
    no fault) delayed, strong and bounded rounds interleaved."""
    delayed = None
    if delayed_role:
        delayed = [n for n, r in placements if r == delayed_role][0]
        cur.execute("SELECT murphy.fault(%s)", ("delay %s %d" % (delayed, args.delay),))
    stop = threading.Event()
    counts, wlat = [], []
    ws = [threading.Thread(target=writer, args=(dsn, stop, [1, 2, 3], counts, wlat))
          for _ in range(args.writers)]
    for w in ws:
        w.start()
    time.sleep(0.5)
    res = {"strong": [], "bounded": []}
    stale = 0
    for _ in range(args.rounds):
        for level in ("strong", "bounded"):
            lat, st = read_round(cur, level, args.seconds, 1)
            res[level] += lat
            stale += st if level == "bounded" else 0
    nodes = served_by(cur, 1)
    stop.set()
    for w in ws:
        w.join()
    cur.execute("SELECT murphy.fault('heal')")
    time.sleep(0.5)
    return delayed, res, stale, nodes, wlat


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--delay", type=int, default=100)
    ap.add_argument("--writers", type=int, default=2)
    args = ap.parse_args()
    d = tempfile.mkdtemp(prefix="murphy-bench-bounded-")
    port = free_port(count=5)
    murphy("local", "start", "--dir", d, "--followers", "3", "--pg-port", str(port))
    dsn = "host=127.0.0.1 port=%d user=murphy dbname=murphy" % port
    try:
        conn = psycopg2.connect(dsn)
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute("CREATE TABLE bt (id int PRIMARY KEY, v int) WITH (shards = 1, replicas = 3)")
        cur.execute("INSERT INTO bt VALUES " + ",".join("(%d, 0)" % i for i in range(1, 101)))
        time.sleep(0.3)
        cur.execute("SELECT node, role FROM murphy.placements WHERE table_name = 'bt'"
                    " ORDER BY node")
        placements = cur.fetchall()
        print("binary: %s; copies: %s; %d writers UPDATE rows 1-3 at write_quorum majority;"
              " one reader, point SELECTs of row 1; %d x %.0f s per level, interleaved"
              % (MURPHY, placements, args.writers, args.rounds, args.seconds))
        print()
        print("| fault | writes/s | write p50 ms | strong p50 / p99 ms | bounded p50 / p99 ms"
              " | bounded/strong p50 | bounded stale | bounded served by (40 reads) |")
        print("|---|---|---|---|---|---|---|---|")
        for role in (None, "replica", "primary"):
            delayed, res, stale, nodes, wlat = scenario(dsn, cur, placements, role, args)
            s, b = res["strong"], res["bounded"]
            total_s = 2 * args.rounds * args.seconds
            print("| %s | %.0f | %.1f | %.2f / %.2f | %.2f / %.2f | %.2fx | %d of %d | %s |" % (
                "none" if not role else "%s (%s) delayed %d ms" % (delayed, role, args.delay),
                len(wlat) / total_s, statistics.median(wlat) * 1000 if wlat else float("nan"),
                statistics.median(s), pct(s, 0.99), statistics.median(b), pct(b, 0.99),
                statistics.median(b) / statistics.median(s), stale, len(b),
                ", ".join("%s %d" % kv for kv in sorted(nodes.items()))))
    finally:
        murphy("local", "stop", "--dir", d)


if __name__ == "__main__":
    main()
