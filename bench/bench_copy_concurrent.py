#!/usr/bin/python3
"""Concurrent COPYs into one table: murphy (3 followers) against
PostgreSQL 15 in the same run (issue 16; not a test).

Cases, each run --rounds times, the wall time of the slowest COPY:
- 4 COPYs of --rows rows each at once into one keyed table (8 shards);
- the same into a table without a key (hidden row ids);
- 4 COPYs of 4 x --rows rows each into a keyed table (batches go out while
  the COPYs run: LEAD_COPY_BATCH_ROWS fills mid-stream);
- one COPY of 4 x --rows rows (the same rows as the first case, serially);
- 2 sessions each running --updates multi-shard UPDATEs of every row.

Counts errors by SQLSTATE (40P01: deadlock victims).  Several murphy
binaries (--bin, repeatable: a "before" and an "after") run in the same
run, beside one PostgreSQL; prints times, ratios to PostgreSQL and
writes bench/results/<date>-copyconc.md.

    /usr/bin/python3 bench/bench_copy_concurrent.py --bin /work/base/murphy-s20 \\
        --bin build/murphy
"""
import argparse
import collections
import datetime
import io
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import psycopg2

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench import free_port, log, postgres_server  # noqa: E402


class Murphy:
    """murphy local with binary `path`: connect() opens a new session."""

    def __init__(self, path, tmp):
        self.path, self.dir = path, os.path.join(tmp, "m%d" % id(self))
        self.port = free_port(count=5)

    def __enter__(self):
        r = subprocess.run([self.path, "local", "start", "--dir", self.dir, "--followers", "3",
                            "--pg-port", str(self.port)], capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            raise RuntimeError("murphy local start failed:\n" + r.stdout + r.stderr)
        pw = os.path.join(self.dir, "password")
        self.password = open(pw).read().strip() if os.path.exists(pw) else \
            os.environ.get("MURPHY_PASSWORD")
        return self

    def connect(self):
        c = psycopg2.connect(host="127.0.0.1", port=self.port, user="murphy", dbname="murphy",
                             password=self.password)
        c.autocommit = True
        return c

    def __exit__(self, *exc):
        subprocess.run([self.path, "local", "stop", "--dir", self.dir], capture_output=True,
                       timeout=60)


def setup(db, *sqls):
    c = db.connect()
    with c.cursor() as cur:
        for sql in sqls:
            cur.execute(sql)
    c.close()


def payload(lo, n):
    return "".join("%d\tname %d\t%d\n" % (i, i % 97, i % 1000) for i in range(lo, lo + n))


def copies(db, table, keyed, jobs, errors):
    """Run the COPY jobs [(lo, n)] at once; return the wall time (s)."""
    setup(db, "DROP TABLE IF EXISTS %s" % table,
          "CREATE TABLE %s (id int%s, name text, v int)" % (table, " PRIMARY KEY" if keyed else ""))
    datas = [payload(lo, n) for lo, n in jobs]
    conns = [db.connect() for _ in jobs]
    barrier = threading.Barrier(len(jobs) + 1)

    def one(conn, data):
        barrier.wait()
        try:
            with conn.cursor() as cur:
                cur.copy_expert("COPY %s (id, name, v) FROM STDIN" % table, io.StringIO(data),
                                size=1 << 16)
        except psycopg2.Error as e:
            errors[e.pgcode] += 1

    threads = [threading.Thread(target=one, args=(c, d)) for c, d in zip(conns, datas)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    took = time.perf_counter() - t0
    for c in conns:
        c.close()
    return took


def updates(db, n, errors):
    setup(db, "DROP TABLE IF EXISTS cc_upd", "CREATE TABLE cc_upd (id int PRIMARY KEY, a int, b int)",
          "INSERT INTO cc_upd SELECT g, 0, 0 FROM generate_series(1, 64) g")
    conns = [db.connect() for _ in range(2)]
    barrier = threading.Barrier(3)

    def loop(conn, col):
        barrier.wait()
        for _ in range(n):
            try:
                conn.cursor().execute("UPDATE cc_upd SET %s = %s + 1" % (col, col))
            except psycopg2.Error as e:
                errors[e.pgcode] += 1

    threads = [threading.Thread(target=loop, args=(c, col)) for c, col in zip(conns, "ab")]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    took = time.perf_counter() - t0
    for c in conns:
        c.close()
    return took


def cases(args):
    r = args.rows
    return [
        ("4 COPYs x %d rows, keyed" % r, lambda db, e: copies(
            db, "cc_k", True, [(1 + k * r, r) for k in range(4)], e)),
        ("4 COPYs x %d rows, keyless" % r, lambda db, e: copies(
            db, "cc_n", False, [(1 + k * r, r) for k in range(4)], e)),
        ("4 COPYs x %d rows, keyed" % (4 * r), lambda db, e: copies(
            db, "cc_b", True, [(1 + k * 4 * r, 4 * r) for k in range(4)], e)),
        ("1 COPY x %d rows, keyed" % (4 * r), lambda db, e: copies(
            db, "cc_1", True, [(1, 4 * r)], e)),
        ("1 COPY x %d rows, keyless" % (4 * r), lambda db, e: copies(
            db, "cc_1n", False, [(1, 4 * r)], e)),
        ("2 x %d multi-shard UPDATEs" % args.updates, lambda db, e: updates(db, args.updates, e)),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", action="append", help="murphy binary (repeatable)")
    ap.add_argument("--rows", type=int, default=50000)
    ap.add_argument("--updates", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="", help="run the cases whose name holds this")
    args = ap.parse_args()
    bins = args.bin or [os.environ.get("MURPHY_BIN", os.path.join(HERE, "..", "build",
                                                                  "murphy"))]
    times = collections.defaultdict(list)  # (who, case) -> [s]
    errs = collections.defaultdict(collections.Counter)
    with tempfile.TemporaryDirectory() as tmp, postgres_server() as (_pgconn, server):
        class Pg:
            def connect(self):
                c = server.connect()
                c.autocommit = True
                return c
        dbs = [("postgres", Pg())]
        stack = [Murphy(b, tmp) for b in bins]
        for b, m in zip(bins, stack):
            dbs.append((b, m.__enter__()))
        try:
            for rnd in range(args.rounds):  # interleaved: load drifts hit all alike
                for name, fn in cases(args):
                    if args.only not in name:
                        continue
                    for who, db in dbs:
                        t = fn(db, errs[(who, name)])
                        times[(who, name)].append(t)
                        log("round %d %-34s %-28s %.3f s" % (rnd, name, who, t))
        finally:
            for m in stack:
                m.__exit__(None, None, None)
    lines = ["# Concurrent COPYs and multi-shard UPDATEs (%s, median of %d rounds)" % (
        datetime.date.today(), args.rounds), "",
        "| case | " + " | ".join(w for w, _ in dbs) + " | " +
        " | ".join("%s / pg" % w for w in bins) + " | errors |",
        "|---" * (2 + len(dbs) + len(bins)) + "|"]
    for name, _ in cases(args):
        if args.only not in name:
            continue
        med = {w: statistics.median(times[(w, name)]) for w, _ in dbs}
        e = "; ".join("%s: %s" % (w, dict(errs[(w, name)])) for w, _ in dbs if errs[(w, name)])
        lines.append("| %s | " % name + " | ".join("%.3f s" % med[w] for w, _ in dbs) + " | " +
                     " | ".join("%.2f" % (med[b] / med["postgres"]) for b in bins) +
                     " | %s |" % (e or "none"))
    out = "\n".join(lines) + "\n"
    print(out)
    path = os.path.join(HERE, "results", "%s-copyconc.md" % datetime.date.today())
    with open(path, "w") as f:
        f.write(out)
    log("wrote " + path)


if __name__ == "__main__":
    main()
