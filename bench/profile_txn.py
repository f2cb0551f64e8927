#!/usr/bin/python3
"""Where a write's time goes (issue 16, "Benchmark"; not a test).

On a local cluster (3 followers, RF 3, write_quorum majority, one table of
4 shards), one client times, interleaved, --ops times each:

  SELECT 1                     client ↔ leader (pgwire, parse, plan): no follower
  point SELECT by key          + one leader ↔ follower hop and a SQLite read
  autocommit UPDATE            + the primary's run and fsync, then the APPLY round
                               (leader → copies, their fsync, answers)
  UPDATE in a block            the same statement answered at the primary (pipelined)
  BEGIN / COMMIT               BEGIN alone; COMMIT: waits for the quorum, then the marker round
  fsync of 4 KiB               this disk's fsync, from Python, in the cluster's directory

then the statements of pgbench's TPC-B transaction one at a time on
pgbench-like tables (1 branch, 10 tellers, 1000 accounts, history; default
shards), each timed: with 8 clients the branch's shard lock is held from
"UPDATE branches" to the end of COMMIT, so those steps bound the TPS.

The differences between the rows give the breakdown (p50, ms).

    MURPHY_BIN=build/murphy bench/profile_txn.py [--ops 300]
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench_replication import Local, log  # noqa: E402

SUSPECT_MS, DEAD_MS = 1500, 10000  # murphy's defaults
ROWS = 1000


def p50_ms(samples):
    return statistics.median(samples) * 1000


def timed(lat, name, cur, sql, params=None):
    t0 = time.perf_counter()
    cur.execute(sql, params)
    lat.setdefault(name, []).append(time.perf_counter() - t0)


def fsync_ms(directory, n=100):
    path = os.path.join(directory, "fsync-probe")
    out = []
    with open(path, "wb") as f:
        for _ in range(n):
            f.write(b"x" * 4096)
            t0 = time.perf_counter()
            os.fsync(f.fileno())
            out.append(time.perf_counter() - t0)
    os.unlink(path)
    return p50_ms(out)


TPCB = [
    ("tpcb: BEGIN", "BEGIN"),
    ("tpcb: UPDATE accounts", "UPDATE pa SET abalance = abalance + %(d)s WHERE aid = %(a)s"),
    ("tpcb: SELECT abalance", "SELECT abalance FROM pa WHERE aid = %(a)s"),
    ("tpcb: UPDATE tellers", "UPDATE pt SET tbalance = tbalance + %(d)s WHERE tid = %(t)s"),
    ("tpcb: UPDATE branches", "UPDATE pb SET bbalance = bbalance + %(d)s WHERE bid = 1"),
    ("tpcb: INSERT history", "INSERT INTO ph (tid, bid, aid, delta, mtime) "
                             "VALUES (%(t)s, 1, %(a)s, %(d)s, CURRENT_TIMESTAMP)"),
    ("tpcb: COMMIT (4 shards: decision + markers)", "COMMIT"),
]


def tpcb_steps(cur, lat, ops):
    cur.execute("CREATE TABLE pb (bid int PRIMARY KEY, bbalance int NOT NULL)")
    cur.execute("CREATE TABLE pt (tid int PRIMARY KEY, bid int, tbalance int NOT NULL)")
    cur.execute("CREATE TABLE pa (aid int PRIMARY KEY, bid int, abalance int NOT NULL)")
    cur.execute("CREATE TABLE ph (tid int, bid int, aid int, delta int, mtime timestamp)")
    cur.execute("INSERT INTO pb VALUES (1, 0)")
    cur.execute("INSERT INTO pt VALUES " + ",".join("(%d, 1, 0)" % t for t in range(1, 11)))
    cur.execute("INSERT INTO pa VALUES " + ",".join("(%d, 1, 0)" % a
                                                    for a in range(1, ROWS + 1)))
    for i in range(ops):
        params = {"a": 1 + (i * 7919) % ROWS, "t": 1 + i % 10, "d": i % 100 - 50}
        for name, sql in TPCB:
            timed(lat, name, cur, sql, params)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ops", type=int, default=300)
    args = ap.parse_args()
    lat = {}
    with tempfile.TemporaryDirectory(prefix="murphy-profile-txn-") as tmp:
        cl = Local(tmp, "p", 3, SUSPECT_MS, DEAD_MS).start()
        try:
            conn = cl.connect()
            with conn.cursor() as cur:
                cur.execute("CREATE TABLE acc (id int PRIMARY KEY, v int NOT NULL) "
                            "WITH (shards = 4)")
                cur.execute("INSERT INTO acc VALUES " + ",".join("(%d, 0)" % k
                                                                 for k in range(1, ROWS + 1)))
                for i in range(args.ops):
                    k = 1 + i % ROWS
                    timed(lat, "SELECT 1", cur, "SELECT 1")
                    timed(lat, "point SELECT by key", cur, "SELECT v FROM acc WHERE id = %s", (k,))
                    timed(lat, "autocommit UPDATE", cur,
                          "UPDATE acc SET v = v + 1 WHERE id = %s", (k,))
                    timed(lat, "BEGIN", cur, "BEGIN")
                    timed(lat, "UPDATE in a block", cur,
                          "UPDATE acc SET v = v + 1 WHERE id = %s", (k,))
                    timed(lat, "COMMIT", cur, "COMMIT")
                tpcb_steps(cur, lat, args.ops)
            conn.close()
            lat_fsync = fsync_ms(tmp)
        finally:
            cl.stop()
    print("| step | p50 ms |")
    print("|---|---|")
    for name, samples in lat.items():
        print("| %s | %.2f |" % (name, p50_ms(samples)))
    print("| fsync of 4 KiB (Python, same disk) | %.2f |" % lat_fsync)
    log("done")


if __name__ == "__main__":
    main()
