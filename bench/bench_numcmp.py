#!/usr/bin/env python3
"""Numeric comparisons with a constant or another numeric column (issue 19,
TPC-H Q6's `l_quantity < 24`): murphy beside PostgreSQL 15 in one run, and
another murphy build (--base, the before) too.

A table nc (k numeric PRIMARY KEY, a numeric(15,2), b numeric(15,2), v
int) of --rows rows, hash-distributed on murphy; the queries: a full scan
filtered by `a < 0` (no row kept) and by `a > b`, a point lookup `k = c`
and a short range `k < c` on the numeric key.  Each repetition runs a
query on every system in turn; reported: the median time and the mean
CPU per query (murphy: leader and followers; PostgreSQL: all its
processes), read from /proc around each run, and the answers compared.

  make all && /usr/bin/python3 bench/bench_numcmp.py --base /work/base/murphy-s17 \\
      --out bench/results/2026-12-07-numcmp.md
"""
import argparse
import contextlib
import datetime
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench import log, murphy_cluster, postgres_server  # noqa: E402
from bench_tpch import cluster_pids, cpu_s  # noqa: E402

QUERIES = (
    ("scan a < 0", "SELECT count(*) FROM nc WHERE a < 0"),
    ("scan a > b", "SELECT count(*) FROM nc WHERE a > b"),
    ("key k = 300", "SELECT v FROM nc WHERE k = 300"),
    ("key k < 30", "SELECT count(*) FROM nc WHERE k < 30"),
)


def load(conn, rows, dist):
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE nc (k numeric PRIMARY KEY, a numeric(15,2), "
                    "b numeric(15,2), v int)" + dist)
        step = 50000
        for lo in range(1, rows + 1, step):
            cur.execute("INSERT INTO nc SELECT g * 1.5, (g %% 5000) / 100.0, (g %% 777) / 10.0, g "
                        "FROM generate_series(%d, %d) g" % (lo, min(rows, lo + step - 1)))


def main(doc=__doc__, queries=QUERIES, load=load, title="Numeric comparisons",
         prefix="murphy-numcmp-"):
    """Run queries (name, sql) over the table load() makes on PostgreSQL,
    murphy and --base; print (and write --out) the table.  bench_intovf.py
    runs its own queries through this."""
    ap = argparse.ArgumentParser(description=doc,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=600000)
    ap.add_argument("--followers", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--base", default=None, help="another murphy build (before)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix=prefix)
    os.chmod(tmp, 0o755)
    loads = ["%.2f" % os.getloadavg()[0]]
    res = {}
    try:
        with contextlib.ExitStack() as stack:
            conns, pids = {}, {}
            conns["postgres"], server = stack.enter_context(postgres_server())
            with open(os.path.join(server.datadir, "postmaster.pid")) as f:
                pids["postgres"] = [int(f.readline())]
            load(conns["postgres"], args.rows, "")
            conns["postgres"].cursor().execute("VACUUM ANALYZE nc")
            builds = (("before", args.base), ("murphy", None)) if args.base else (("murphy", None),)
            for k, binary in builds:
                conns[k], _ = stack.enter_context(murphy_cluster(args, tmp, binary, k))
                log("[%s] loading" % k)
                load(conns[k], args.rows, " PARTITION BY HASH (k)")
                pids[k] = cluster_pids(os.path.join(tmp, k))
            loads.append("%.2f" % os.getloadavg()[0])
            for name, sql in queries:
                for k in conns:
                    res[(name, k)] = ([], 0.0, None)
                for _ in range(args.repeat):
                    for k, conn in conns.items():
                        times, cpu, _ = res[(name, k)]
                        c0 = cpu_s(pids[k])
                        t0 = time.perf_counter()
                        with conn.cursor() as cur:
                            cur.execute(sql)
                            rows = cur.fetchall()
                        times.append(time.perf_counter() - t0)
                        res[(name, k)] = (times, cpu + (cpu_s(pids[k]) - c0) / args.repeat, rows)
                log("  %s done" % name)
        loads.append("%.2f" % os.getloadavg()[0])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    systems = [k for k in ("before", "murphy", "postgres") if (queries[0][0], k) in res]

    def med(t):
        return sorted(t)[len(t) // 2]
    lines = ["# %s, %s" % (title, datetime.date.today().isoformat()), "",
             "%d rows, murphy with %d followers (hash on k), PostgreSQL 15 after VACUUM ANALYZE; "
             "median of %d runs, each query on every system in turn; CPU per query is the mean "
             "(murphy: leader and followers; PostgreSQL: all its processes).  Load average at "
             "start, queries, end: %s.  Before: %s." % (
                 args.rows, args.followers, args.repeat, " / ".join(loads), args.base or "-"), "",
             "| query | " + " | ".join("%s time | %s CPU" % (k, k) for k in systems) +
             " | ratio (PostgreSQL / murphy time) | answer |",
             "|---|" + "---|---|" * len(systems) + "---|---|"]
    for name, _ in queries:
        cells = []
        for k in systems:
            t, c, _ = res[(name, k)]
            cells.append("%.2f ms | %.1f ms" % (med(t) * 1000, c * 1000))
        same = all(res[(name, k)][2] == res[(name, "postgres")][2] for k in systems)
        ratio = med(res[(name, "postgres")][0]) / med(res[(name, "murphy")][0])
        lines.append("| %s | %s | %.2fx | %s |" % (name, " | ".join(cells), ratio,
                                                    "same" if same else "DIFFERENT"))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
