#!/usr/bin/env python3
"""Integer arithmetic with its overflow check (issue 19: emit.c wraps each
chain of integer + - * in mur_int_chk, 22003 past the type's range) and
sum(bigint) as an exact numeric: murphy beside PostgreSQL 15 in one run,
and another murphy build (--base, the before: SQLite's unchecked
arithmetic, sum(bigint) in int64) too.

A table nc (k int PRIMARY KEY, a int, b bigint, v int) of --rows rows,
hash-distributed on murphy; the queries: an integer expression in the
select list summed, one in WHERE, and sum/avg of a bigint column.  Each repetition runs a
query on every system in turn; reported: the median time and the mean
CPU per query (murphy: leader and followers; PostgreSQL: all its
processes), read from /proc around each run, and the answers compared.

  make all && /usr/bin/python3 bench/bench_intovf.py --base /work/base/murphy-s18 \\
      --out bench/results/2026-12-07-intovf.md
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
    ("sum(a * 3 + v - 7)", "SELECT sum(a * 3 + v - 7) FROM nc"),
    ("WHERE a * 2 - v > 0", "SELECT count(*) FROM nc WHERE a * 2 - v > 0"),
    ("sum(b * 2 - 1)", "SELECT sum(b * 2 - 1) FROM nc"),
    ("sum(b), avg(b)", "SELECT sum(b), avg(b) FROM nc"),
)


def load(conn, rows, dist):
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE nc (k int PRIMARY KEY, a int, b bigint, v int)" + dist)
        step = 50000
        for lo in range(1, rows + 1, step):
            cur.execute("INSERT INTO nc SELECT g, g %% 5000, g * 1000003::bigint, g %% 777 "
                        "FROM generate_series(%d, %d) g" % (lo, min(rows, lo + step - 1)))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=600000)
    ap.add_argument("--followers", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--base", default=None, help="another murphy build (before)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="murphy-intovf-")
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
            for name, sql in QUERIES:
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
    systems = [k for k in ("before", "murphy", "postgres") if (QUERIES[0][0], k) in res]

    def med(t):
        return sorted(t)[len(t) // 2]
    lines = ["# Integer arithmetic with overflow checks, %s" % datetime.date.today().isoformat(), "",
             "%d rows, murphy with %d followers (hash on k), PostgreSQL 15 after VACUUM ANALYZE; "
             "median of %d runs, each query on every system in turn; CPU per query is the mean "
             "(murphy: leader and followers; PostgreSQL: all its processes).  Load average at "
             "start, queries, end: %s.  Before: %s." % (
                 args.rows, args.followers, args.repeat, " / ".join(loads), args.base or "-"), "",
             "| query | " + " | ".join("%s time | %s CPU" % (k, k) for k in systems) +
             " | ratio (PostgreSQL / murphy time) | answer |",
             "|---|" + "---|---|" * len(systems) + "---|---|"]
    for name, _ in QUERIES:
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
