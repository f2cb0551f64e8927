#!/usr/bin/python3
"""A grouped subquery, WITH query or VALUES list joined with a distributed
table (issue 19, parser/analyze_ship.c): murphy (3 followers) against
PostgreSQL 15 in the same run, interleaved (not a test).

murphy computes the derived relation first and ships its rows to every
shard task, where they join the table (instead of 0A000 on murphy-s19,
and instead of gathering the table to the leader).  Tables: ev (id
PRIMARY KEY, cust, amount) of --rows rows, cu (id PRIMARY KEY, region)
of --rows / 10 customers.  Each query's best of --repeat runs on each
side, the answers compared, the ratio murphy / PostgreSQL printed (below
1: murphy is faster) beside the CPU each side spent (murphy: leader and
followers; PostgreSQL: its server processes).  Writes
bench/results/<date>-ship-<rows>rows.md.

    MURPHY_BIN=build/murphy /usr/bin/python3 bench/bench_ship.py --rows 1000000
"""
import argparse
import contextlib
import datetime
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_tpch  # noqa: E402
from bench import log, postgres_server  # noqa: E402
from bench_numeric import murphy_cluster  # noqa: E402

VALUES = ", ".join("(%d)" % (i * 37) for i in range(1, 51))
QUERIES = (
    ("grouped subquery joined by the table's key",
     "SELECT count(*), sum(s.n) FROM (SELECT cust, count(*) AS n FROM ev GROUP BY cust) s "
     "JOIN cu ON cu.id = s.cust WHERE cu.region = 3"),
    ("grouped subquery joined by a non-key column",
     "SELECT cu.region, count(*), sum(s.total) FROM (SELECT cust % 100 AS b, sum(amount) "
     "AS total FROM ev GROUP BY 1) s JOIN cu ON cu.region = s.b GROUP BY cu.region "
     "ORDER BY 1"),
    ("WITH ... ORDER BY LIMIT joined back",
     "WITH top AS (SELECT cust FROM ev ORDER BY amount DESC, id LIMIT 100) "
     "SELECT count(*), sum(ev.amount) FROM ev JOIN top ON ev.cust = top.cust"),
    ("VALUES list joined",
     "SELECT count(*), sum(amount) FROM ev JOIN (VALUES %s) v(c) ON ev.cust = v.c" % VALUES),
)


def load(conn, rows):
    with conn.cursor() as cur:
        for t in ("ev", "cu"):
            cur.execute("DROP TABLE IF EXISTS %s" % t)
        cur.execute("CREATE TABLE ev (id int PRIMARY KEY, cust int, amount int)")
        cur.execute("CREATE TABLE cu (id int PRIMARY KEY, region int)")
        step = 200_000
        for lo in range(1, rows + 1, step):
            cur.execute("INSERT INTO ev SELECT i, (i::bigint * 7919) %% %d, (i::bigint * 104729) %% 10007 "
                        "FROM generate_series(%d, %d) i" % (rows // 10, lo,
                                                           min(rows, lo + step - 1)))
        cur.execute("INSERT INTO cu SELECT i, i %% 100 FROM generate_series(0, %d) i"
                    % (rows // 10))
        cur.execute("ANALYZE")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--followers", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    bench_tpch.QUERIES = [(name, None, None, sql) for name, sql in QUERIES]
    with tempfile.TemporaryDirectory(prefix="bench-ship-") as tmp, contextlib.ExitStack() as st:
        conns, pids = {}, {}
        conns["postgres"], server = st.enter_context(postgres_server())
        with open(os.path.join(server.datadir, "postmaster.pid")) as f:
            pids["postgres"] = [int(f.readline())]
        conns["murphy"] = st.enter_context(murphy_cluster(args.followers, tmp))
        pids["murphy"] = bench_tpch.cluster_pids(os.path.join(tmp, "murphy"))
        for k, conn in conns.items():
            log("[%s] loading %d rows" % (k, args.rows))
            load(conn, args.rows)
        load_avg = os.getloadavg()[0]
        res, cpu = bench_tpch.run_interleaved(conns, args.repeat, pids)
    lines = ["# Derived relations joined with a distributed table (bench/bench_ship.py)", "",
             "%s, --rows %d, %d followers, best of %d, interleaved, load %.1f" %
             (datetime.date.today(), args.rows, args.followers, args.repeat, load_avg), "",
             "| query | murphy | PostgreSQL | ratio | CPU murphy / PG | answer |",
             "|---|---|---|---|---|---|"]
    for name, _ in QUERIES:
        m, p = res["murphy"][name], res["postgres"][name]
        if m[0] is None or p[0] is None:
            lines.append("| %s | %s | %s | — | — | — |" % (name, m[0] or m[1], p[0] or p[1]))
            continue
        same = sorted(map(repr, m[1])) == sorted(map(repr, p[1]))
        lines.append("| %s | %.3f s | %.3f s | %.2f | %.0f / %.0f ms | %s |" % (
            name, m[0], p[0], m[0] / p[0], 1000 * cpu["murphy"][name],
            1000 * cpu["postgres"][name], "same" if same else "DIFFERENT"))
    text = "\n".join(lines) + "\n"
    print(text)
    out = os.path.join(HERE, "results", "%s-ship-%drows.md" % (datetime.date.today(), args.rows))
    with open(out, "w") as f:
        f.write(text)
    log("wrote " + out)


if __name__ == "__main__":
    main()
