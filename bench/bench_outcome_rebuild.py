#!/usr/bin/python3
"""What the restart's rebuild of lost outcome rows costs (issue 16,
docs/transactions.md, "A parallel commit's outcome row: written, synced
later"): a leader restart lists the STAGED entries of every copy's log
(repl_staged_rebuild.c) before murphy.transaction_outcomes answers.

For each murphy binary given (--bin, repeatable; e.g. main's and this
branch's), interleaved over --rounds: a fresh local cluster (leader + 3
followers), a table of --shards shards x 3 copies, --txns two-shard
transactions by parallel commits (each leaves a STAGED entry on both
participants' copies), then the leader killed -9 and started again.
Measured from the restart command: the first answer of
`SELECT count(*) FROM murphy.transaction_outcomes` (the new build parks it
until the listing is done) and of a one-row write; and the leader's own
figure for the listing ("copies listed in N ms", new build only).  CPU of
the leader and the followers over the restart window (/proc, user+system).

    bench/bench_outcome_rebuild.py --bin /tmp/gapfix-before/build/murphy --bin build/murphy
"""
import argparse
import os
import re
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "cluster"))


def cpu_s(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, TypeError):
        return 0.0


def retry(fn, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except Exception:  # noqa: BLE001 — a restart answers errors meanwhile
            if time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def one(binary, args):
    import conftest
    conftest.MURPHY = os.path.abspath(binary)
    cl = conftest.Cluster(followers=3)
    try:
        cl.start()
        conn = cl.connect()
        cur = conn.cursor()
        cur.execute("CREATE TABLE rb (id int PRIMARY KEY, v int NOT NULL) "
                    "WITH (shards = %d, replicas = 3)" % args.shards)
        cur.execute("INSERT INTO rb SELECT g, 0 FROM generate_series(1, %d) g"
                    % (args.shards * 8))
        blk = cl.connect()
        with blk.cursor() as c2:
            c2.execute("SET murphy.parallel_commits = on")
        blk.autocommit = False
        n = args.shards * 8
        for i in range(args.txns):
            with blk.cursor() as c2:
                c2.execute("UPDATE rb SET v = v + 1 WHERE id IN (%d, %d)"
                           % (1 + i % n, 1 + (i * 7 + 3) % n))
            blk.commit()
        blk.close()
        conn.close()
        time.sleep(1.5)
        cl.kill9("leader")
        followers = [cl.pid("f%d" % i) for i in (1, 2, 3)]
        fcpu0 = sum(cpu_s(p) for p in followers)
        t0 = time.monotonic()
        cl.start()
        lpid = cl.pid("leader")

        def lookup():
            c = cl.connect()
            with c.cursor() as k:
                k.execute("SELECT count(*) FROM murphy.transaction_outcomes")
                k.fetchall()
            c.close()
        retry(lookup)
        t_lookup = time.monotonic() - t0

        def write():
            c = cl.connect()
            with c.cursor() as k:
                k.execute("UPDATE rb SET v = v + 1 WHERE id = 1")
            c.close()
        retry(write)
        t_write = time.monotonic() - t0
        lcpu = cpu_s(lpid)
        fcpu = sum(cpu_s(p) for p in followers) - fcpu0
        with open(os.path.join(cl.dir, "leader", "murphy.log"), errors="replace") as f:
            m = re.findall(r"(\d+) copies listed in (\d+) ms \((\d+) ms after the start\), "
                           r"(\d+) staged entries", f.read())
        listed = m[-1] if m else None
        return t_lookup * 1000, t_write * 1000, lcpu, fcpu, listed
    finally:
        cl.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", action="append", required=True)
    ap.add_argument("--shards", type=int, default=32)
    ap.add_argument("--txns", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    print("| round | binary | lookup answered ms | write answered ms | leader CPU s (run) "
          "| followers' CPU s (restart) | listing (copies, ms, ms after start, entries) |")
    print("|---|---|---|---|---|---|---|")
    for r in range(args.rounds):
        for b in args.bin:
            tl, tw, lc, fc, listed = one(b, args)
            print("| %d | %s | %.0f | %.0f | %.2f | %.2f | %s |"
                  % (r + 1, b, tl, tw, lc, fc, ", ".join(listed) if listed else "-"),
                  flush=True)


if __name__ == "__main__":
    main()
