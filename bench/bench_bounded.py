#!/usr/bin/python3
"""Bounded vs strong point reads under write load, one copy delayed (issue 17).

A 3-follower cluster, table `bt (id int PRIMARY KEY, v int)` with one shard
and three copies.  One follower holding a replica (not the primary) is
delayed DELAY ms each way (`murphy.fault('delay fN MS')`).  WRITERS threads
UPDATE rows of the shard in a loop at write_quorum majority (the default),
while one reader runs point SELECTs of a row being written, first at
murphy.read_consistency = 'strong', then at 'bounded' (max_staleness 5s),
alternating in ROUNDS rounds of --seconds each.  Reported: p50 / p99 of
each level, the share of bounded reads that came back stale (a WARNING),
and which copies served them (EXPLAIN ANALYZE on a sample).

Target (issue 17): bounded p50 <= 0.5x strong's.

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


def writer(dsn, stop, keys, counts):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    i = 0
    while not stop.is_set():
        cur.execute("UPDATE bt SET v = v + 1 WHERE id = %s", (keys[i % len(keys)],))
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--delay", type=int, default=100)
    ap.add_argument("--writers", type=int, default=2)
    ap.add_argument("--delayed", choices=("replica", "primary"), default="replica",
                    help="which copy's follower is delayed")
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
        cur.execute("SELECT node, role FROM murphy.placements WHERE table_name = 'bt'"
                    " ORDER BY node")
        placements = cur.fetchall()
        delayed = [n for n, r in placements if r == args.delayed][0]
        cur.execute("SELECT murphy.fault(%s)", ("delay %s %d" % (delayed, args.delay),))
        stop = threading.Event()
        counts = []
        ws = [threading.Thread(target=writer, args=(dsn, stop, [1, 2, 3], counts))
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
                if level == "bounded":
                    stale += st
        t0 = time.monotonic()
        nodes = served_by(cur, 1)
        stop.set()
        for w in ws:
            w.join()
        wps = sum(counts) / (time.monotonic() - t0 + args.rounds * 2 * args.seconds + 0.5)
        print("copies: %s; %s delayed %d ms each way; %d writers, ~%.0f writes/s"
              % (placements, delayed, args.delay, args.writers, wps))
        print("| level | reads | p50 ms | p90 ms | p99 ms | max ms |")
        print("|---|---|---|---|---|---|")
        for level in ("strong", "bounded"):
            xs = res[level]
            print("| %s | %d | %.2f | %.2f | %.2f | %.2f |" % (
                level, len(xs), statistics.median(xs), pct(xs, 0.9), pct(xs, 0.99), max(xs)))
        ratio = statistics.median(res["bounded"]) / statistics.median(res["strong"])
        print("bounded/strong p50: %.2fx (target <= 0.5x); stale answers: %d of %d"
              % (ratio, stale, len(res["bounded"])))
        print("bounded reads served by (EXPLAIN ANALYZE, 40 reads): %s" % nodes)
    finally:
        murphy("local", "stop", "--dir", d)


if __name__ == "__main__":
    main()
