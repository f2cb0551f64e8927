#!/usr/bin/python3
"""What a foreign key costs a write: murphy (3 followers) against
PostgreSQL 15 in the same run (issue 19; not a test).

Tables: region (reference, 100 rows), users (hash, 8 shards) and orders
(hash, co-located with users) -- each write measured twice, into a table
with the foreign key and into the same table without it:

- single-row INSERT of a child (median of --ops, autocommit);
- one INSERT of --batch rows with distinct parent keys;
- single-row DELETE of an unreferenced parent.

Prints per case murphy's time with/without the key (its overhead as a
ratio) and PostgreSQL's; writes the table to
bench/results/<date>-fkey.md.

    MURPHY_BIN=build/murphy /usr/bin/python3 bench/bench_fkey.py
"""
import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench import log, postgres_server  # noqa: E402
from bench_numeric import murphy_cluster  # noqa: E402


def setup(cur, murphy):
    ref = " WITH (distribution = 'reference')" if murphy else ""
    for t in ("orders", "orders_nofk", "users", "users_nofk", "region"):
        cur.execute("DROP TABLE IF EXISTS %s" % t)
    cur.execute("CREATE TABLE region (id int PRIMARY KEY, name text)" + ref)
    cur.execute("INSERT INTO region SELECT g, 'r' || g FROM generate_series(1, 100) g")
    cur.execute("CREATE TABLE users (id int PRIMARY KEY, region int REFERENCES region(id))")
    cur.execute("CREATE TABLE users_nofk (id int PRIMARY KEY, region int)")
    cur.execute("CREATE TABLE orders (uid int REFERENCES users(id), n int, PRIMARY KEY (uid, n))")
    cur.execute("CREATE TABLE orders_nofk (uid int, n int, PRIMARY KEY (uid, n))")


def median_ms(cur, sqls):
    times = []
    for sql, params in sqls:
        t0 = time.perf_counter()
        cur.execute(sql, params)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def run(name, conn, args, murphy):
    res = {}
    with conn.cursor() as cur:
        setup(cur, murphy)
        for table in ("users", "users_nofk"):
            res["insert 1 row: " + table] = median_ms(
                cur, [("INSERT INTO %s VALUES (%%s, %%s)" % table, (i, 1 + i % 100))
                      for i in range(1, args.ops + 1)])
        for table in ("orders", "orders_nofk"):
            res["insert 1 row: " + table] = median_ms(
                cur, [("INSERT INTO %s VALUES (%%s, 1)" % table, (i,))
                      for i in range(1, args.ops + 1)])
        for table in ("orders", "orders_nofk"):
            values = ",".join("(%d, 2)" % i for i in range(1, args.batch + 1))
            res["insert %d rows: %s" % (args.batch, table)] = median_ms(
                cur, [("INSERT INTO %s VALUES %s" % (table, values), None)])
        cur.execute("INSERT INTO users SELECT g, 1 FROM generate_series(100001, %d) g"
                    % (100000 + args.ops))
        cur.execute("INSERT INTO users_nofk SELECT g, 1 FROM generate_series(100001, %d) g"
                    % (100000 + args.ops))
        for table in ("users", "users_nofk"):
            res["delete 1 row: " + table] = median_ms(
                cur, [("DELETE FROM %s WHERE id = %%s" % table, (100000 + i,))
                      for i in range(1, args.ops + 1)])
    for k, v in res.items():
        log("[%s] %s: %.2f ms" % (name, k, v))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ops", type=int, default=300)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--followers", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-fkey-") as tmp:
        with murphy_cluster(args.followers, tmp) as conn:
            m = run("murphy", conn, args, True)
        with postgres_server() as (conn, _):
            p = run("postgres", conn, args, False)
    lines = ["# Foreign key cost per write, murphy %d followers vs PostgreSQL 15 (%s)" %
             (args.followers, datetime.date.today()), "",
             "| write | murphy with key ms | murphy without ms | key overhead (murphy) "
             "| postgres with key ms | postgres without ms | murphy/postgres (with key) |",
             "|---|---|---|---|---|---|---|"]
    for case in ("insert 1 row: users", "insert 1 row: orders",
                 "insert %d rows: orders" % args.batch, "delete 1 row: users"):
        base = case.replace("users", "users_nofk").replace("orders", "orders_nofk")
        lines.append("| %s | %.2f | %.2f | %.2fx | %.2f | %.2f | %.2f |" % (
            case, m[case], m[base], m[case] / m[base], p[case], p[base], m[case] / p[case]))
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    out = os.path.join(HERE, "results", "%s-fkey.md" % datetime.date.today())
    with open(out, "w") as f:
        f.write(text)
    log("wrote " + out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
