#!/usr/bin/python3
"""TPC-H-like queries on murphy and PostgreSQL in the same run (issue 19; not a test).

A generator written here (not dbgen) makes customer, orders and lineitem
with TPC-H's shapes and value ranges at a scale factor (--sf 0.1: 15,000
customers, 150,000 orders, ~600,000 lineitems): a third of the customers
have no orders, 1-7 lines per order, ship dates 1-121 days after the
order, return flag and line status from the dates as in the specification,
some order comments holding 'special ... requests'.  Both systems load the
same files with COPY; in murphy orders and lineitem are distributed by the
order key (co-located), customer by its key (so Q3, Q13 and Q18 join a
table that is not co-located).

Queries (TPC-H's text, with date arithmetic folded into literals):
  Q1  aggregation over most of lineitem            target >= 1.5x PostgreSQL
  Q3  three-way join + group + top 10              target >= 1.0x
  Q6  scan + filter + sum                          target >= 1.5x
  Q13 customer LEFT JOIN orders, counts of counts  target >= 1.0x
  Q18 IN (subquery with HAVING) + join + group     target >= 1.0x
Each answer is compared with PostgreSQL's (numbers to a relative 1e-9:
murphy's numeric is exact only where the build has exact numeric); times
are the best of --repeat runs; ratio = PostgreSQL's time / murphy's.
Writes bench/results/<date>-tpch-sf<sf>.md.

    make bench-tpch                       # --sf 0.1
    /usr/bin/python3 bench/bench_tpch.py --sf 0.02 --repeat 1   # quick
    make bench-tpch ARGS="--base /work/base/murphy-s15"   # before and after

--base BIN also runs the queries on a cluster of that build (the "before")
and reports its times and ratios beside the current build's.  Then the
three systems are up at once and each repetition of a query runs on
PostgreSQL, the base build and this build in turn (interleaved), so a
change in the machine's load reaches all three alike.  The load average at
the start and the end is noted (the machine is shared).  With --base the
CPU each query used is reported too (murphy: leader and followers;
PostgreSQL: all its processes), read from /proc around each run: on a
loaded machine it moves less than the times do.
"""
import argparse
import contextlib
import datetime
import math
import os
import random
import shutil
import sys
import tempfile
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench import best_of, log, murphy_cluster, postgres_server  # noqa: E402

SEGMENTS = ("AUTOMOBILE", "BUILDING", "FURNITURE", "MACHINERY", "HOUSEHOLD")
PRIORITIES = ("1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW")
SHIPMODES = ("REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB")
WORDS = ("furiously", "carefully", "quickly", "blithely", "final", "regular", "ironic",
         "pending", "express", "deposits", "accounts", "packages", "theodolites", "foxes")
START = datetime.date(1992, 1, 1)
ORDER_DAYS = (datetime.date(1998, 8, 2) - START).days
CURRENT = datetime.date(1995, 6, 17)

# (table, murphy's CREATE TABLE, PostgreSQL's CREATE TABLE)
TABLES = (
    ("customer",
     "CREATE TABLE customer (c_custkey int NOT NULL PRIMARY KEY, c_name text NOT NULL, "
     "c_nationkey int NOT NULL, c_acctbal numeric(15,2) NOT NULL, c_mktsegment text NOT NULL)"),
    ("orders",
     "CREATE TABLE orders (o_orderkey bigint NOT NULL PRIMARY KEY, o_custkey int NOT NULL, "
     "o_orderstatus text NOT NULL, o_totalprice numeric(15,2) NOT NULL, o_orderdate date NOT NULL, "
     "o_orderpriority text NOT NULL, o_shippriority int NOT NULL, o_comment text NOT NULL)"),
    ("lineitem",
     "CREATE TABLE lineitem (l_orderkey bigint NOT NULL, l_linenumber int NOT NULL, "
     "l_quantity numeric(15,2) NOT NULL, l_extendedprice numeric(15,2) NOT NULL, "
     "l_discount numeric(15,2) NOT NULL, l_tax numeric(15,2) NOT NULL, "
     "l_returnflag text NOT NULL, l_linestatus text NOT NULL, l_shipdate date NOT NULL, "
     "l_commitdate date NOT NULL, l_receiptdate date NOT NULL, l_shipmode text NOT NULL, "
     "PRIMARY KEY (l_orderkey, l_linenumber))"),
)
# murphy: where each table's rows live (orders and lineitem co-located by order key)
MURPHY_DIST = {"customer": " PARTITION BY HASH (c_custkey)",
               "orders": " PARTITION BY HASH (o_orderkey)",
               "lineitem": " PARTITION BY HASH (l_orderkey)"}

QUERIES = (
    ("Q1", "aggregation", 1.5, """
SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty,
       sum(l_extendedprice) AS sum_base_price,
       sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price,
       sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,
       avg(l_quantity) AS avg_qty, avg(l_extendedprice) AS avg_price,
       avg(l_discount) AS avg_disc, count(*) AS count_order
FROM lineitem
WHERE l_shipdate <= date '1998-09-02'
GROUP BY l_returnflag, l_linestatus
ORDER BY l_returnflag, l_linestatus"""),
    ("Q3", "join + group", 1.0, """
SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue,
       o_orderdate, o_shippriority
FROM customer, orders, lineitem
WHERE c_mktsegment = 'BUILDING' AND c_custkey = o_custkey AND l_orderkey = o_orderkey
  AND o_orderdate < date '1995-03-15' AND l_shipdate > date '1995-03-15'
GROUP BY l_orderkey, o_orderdate, o_shippriority
ORDER BY revenue DESC, o_orderdate, l_orderkey
LIMIT 10"""),
    ("Q6", "scan + filter", 1.5, """
SELECT sum(l_extendedprice * l_discount) AS revenue
FROM lineitem
WHERE l_shipdate >= date '1994-01-01' AND l_shipdate < date '1995-01-01'
  AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24"""),
    ("Q13", "outer join + count", 1.0, """
SELECT c_count, count(*) AS custdist
FROM (SELECT c_custkey, count(o_orderkey) AS c_count
      FROM customer LEFT OUTER JOIN orders
        ON c_custkey = o_custkey AND o_comment NOT LIKE '%special%requests%'
      GROUP BY c_custkey) AS c_orders
GROUP BY c_count
ORDER BY custdist DESC, c_count DESC"""),
    ("Q18", "IN subquery + group", 1.0, """
SELECT c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice, sum(l_quantity)
FROM customer, orders, lineitem
WHERE o_orderkey IN (SELECT l_orderkey FROM lineitem GROUP BY l_orderkey
                     HAVING sum(l_quantity) > 300)
  AND c_custkey = o_custkey AND o_orderkey = l_orderkey
GROUP BY c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice
ORDER BY o_totalprice DESC, o_orderdate, o_orderkey
LIMIT 100"""),
)


def comment(rng):
    words = [rng.choice(WORDS) for _ in range(rng.randint(4, 9))]
    if rng.random() < 0.05:  # Q13's pattern, as dbgen plants it
        i = rng.randrange(len(words))
        words[i:i] = ["special", rng.choice(WORDS), "requests"]
    return " ".join(words)


def generate(tmp, sf, seed=19):
    """Write customer.tsv, orders.tsv, lineitem.tsv; return their row counts."""
    rng = random.Random(seed)
    ncust = max(30, int(150_000 * sf))
    nord = max(300, int(1_500_000 * sf))
    counts = {"customer": ncust, "orders": nord, "lineitem": 0}
    with open(os.path.join(tmp, "customer.tsv"), "w") as f:
        for k in range(1, ncust + 1):
            f.write("%d\tCustomer#%09d\t%d\t%.2f\t%s\n" % (
                k, k, rng.randrange(25), rng.randint(-99999, 999999) / 100, rng.choice(SEGMENTS)))
    with open(os.path.join(tmp, "orders.tsv"), "w") as fo, \
            open(os.path.join(tmp, "lineitem.tsv"), "w") as fl:
        for ok in range(1, nord + 1):
            cust = rng.randint(1, ncust)
            while cust % 3 == 0:  # a third of the customers order nothing
                cust = rng.randint(1, ncust)
            odate = START + datetime.timedelta(days=rng.randrange(ORDER_DAYS))
            total, statuses = Decimal(0), set()
            for ln in range(1, rng.randint(1, 7) + 1):
                qty = rng.randint(1, 50)
                price = Decimal(rng.randint(90000, 200000)) / 100 * qty
                disc = Decimal(rng.randint(0, 10)) / 100
                tax = Decimal(rng.randint(0, 8)) / 100
                ship = odate + datetime.timedelta(days=rng.randint(1, 121))
                commit = odate + datetime.timedelta(days=rng.randint(30, 90))
                receipt = ship + datetime.timedelta(days=rng.randint(1, 30))
                flag = rng.choice("RA") if receipt <= CURRENT else "N"
                status = "O" if ship > CURRENT else "F"
                statuses.add(status)
                total += price * (1 + tax) * (1 - disc)
                fl.write("%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%s\t%s\t%s\t%s\t%s\t%s\n" % (
                    ok, ln, qty, price, disc, tax, flag, status, ship, commit, receipt,
                    rng.choice(SHIPMODES)))
                counts["lineitem"] += 1
            ostatus = "F" if statuses == {"F"} else "O" if statuses == {"O"} else "P"
            fo.write("%d\t%d\t%s\t%.2f\t%s\t%s\t0\t%s\n" % (
                ok, cust, ostatus, total, odate, rng.choice(PRIORITIES), comment(rng)))
    return counts


def load(conn, tmp, ddl_suffix, counts, analyze):
    with conn.cursor() as cur:
        for name, ddl in TABLES:
            cur.execute("DROP TABLE IF EXISTS %s" % name)
            cur.execute(ddl + ddl_suffix.get(name, ""))
            with open(os.path.join(tmp, name + ".tsv")) as f:
                cur.copy_expert("COPY %s FROM STDIN" % name, f, size=1 << 16)
            cur.execute("SELECT count(*) FROM %s" % name)
            got = cur.fetchone()[0]
            assert got == counts[name], "%s: %d rows loaded, %d written" % (name, got, counts[name])
        if analyze:
            cur.execute("VACUUM ANALYZE")


def run_queries(conn, repeat):
    out = {}
    for name, _, _, sql in QUERIES:
        def q():
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()
        try:
            out[name] = best_of(repeat, q)
            log("  %s %.3f s, %d rows" % (name, out[name][0], len(out[name][1])))
        except Exception as e:  # one query failing still reports the others
            conn.rollback() if not conn.autocommit else None
            out[name] = (None, "%s: %s" % (type(e).__name__, str(e).strip().splitlines()[0]))
            log("  %s FAILED: %s" % (name, out[name][1]))
    return out


def _stat(pid):
    """(ppid, CPU seconds of pid and its reaped children) from /proc."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None, 0.0
    return int(fields[1]), sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def cpu_s(roots):
    """CPU seconds used so far by the processes roots and their children:
    a murphy cluster's leader and followers; PostgreSQL's postmaster, its
    backends and (reaped, in the postmaster's children times) its parallel
    workers."""
    total = sum(_stat(r)[1] for r in roots)
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) not in roots:
            ppid, t = _stat(int(d))
            total += t if ppid in roots else 0.0
    return total


def cluster_pids(d):
    """The leader's and followers' pids of the murphy cluster in d."""
    out = []
    for node in sorted(os.listdir(d)):
        path = os.path.join(d, node, "murphy.pid")
        if os.path.exists(path):
            with open(path) as f:
                out.append(int(f.read().split()[0]))
    return out


def run_interleaved(conns, repeat, pids=None):
    """conns: {system: connection}; each repetition of each query on every
    system in turn.  Returns {system: {query: (best time, rows)}} and, with
    pids ({system: root pids}), {system: {query: mean CPU seconds}}."""
    out = {k: {} for k in conns}
    cpu = {k: {} for k in conns}
    for name, _, _, sql in QUERIES:
        for _ in range(repeat):
            for k, conn in conns.items():
                if name in out[k] and out[k][name][0] is None:
                    continue  # it failed: not again

                def q():
                    with conn.cursor() as cur:
                        cur.execute(sql)
                        return cur.fetchall()
                c0 = cpu_s(pids[k]) if pids else 0.0
                try:
                    dt, rows = best_of(1, q)
                except Exception as e:  # one query failing still reports the others
                    out[k][name] = (None, "%s: %s" % (type(e).__name__,
                                                      str(e).strip().splitlines()[0]))
                    continue
                if pids:
                    cpu[k][name] = cpu[k].get(name, 0.0) + (cpu_s(pids[k]) - c0) / repeat
                if name not in out[k] or dt < out[k][name][0]:
                    out[k][name] = (dt, rows)
        log("  %s %s" % (name, "  ".join("%s %.3f s" % (k, out[k][name][0])
                                         for k in conns if out[k][name][0] is not None)))
    return (out, cpu) if pids else out


def same_value(a, b):
    if isinstance(a, (int, float, Decimal)) and isinstance(b, (int, float, Decimal)):
        fa, fb = float(a), float(b)
        return math.isclose(fa, fb, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def same_answer(m, p):
    if isinstance(m, str) or len(m) != len(p):
        return False
    return all(len(r) == len(s) and all(same_value(x, y) for x, y in zip(r, s))
               for r, s in zip(m, p))


def exact_answer(m, p):
    """Every value equal as PostgreSQL prints it (numeric digits included)."""
    return not isinstance(m, str) and [tuple(map(str, r)) for r in m] == \
        [tuple(map(str, r)) for r in p]


def report(args, counts, m, p, b=None, loads=(), cpu=None):
    lines = [
        "# TPC-H-like queries, %s" % datetime.date.today().isoformat(),
        "",
        "Scale factor %g (customer %d, orders %d, lineitem %d rows; generator in "
        "bench/bench_tpch.py); murphy with %d followers, orders and lineitem co-located by the "
        "order key; PostgreSQL 15 defaults after VACUUM ANALYZE; best of %d runs, same machine, "
        "same run. Ratio: PostgreSQL's time / murphy's (higher is better for murphy)."
        % (args.sf, counts["customer"], counts["orders"], counts["lineitem"], args.followers,
           args.repeat),
        "",
    ]
    if loads:
        lines += ["Load average (1 min) at the start%s and the end: %s." % (
            ", when the queries began" if len(loads) == 3 else "", " / ".join(loads)), ""]
    if b is not None:
        lines += ["Before: %s, in the same run, each repetition of a query on the three "
                  "systems in turn." % args.base, "",
                  "| query | before | before ratio | after | PostgreSQL | after ratio | answer |",
                  "|---|---|---|---|---|---|---|"]
        for name, _, _, _ in QUERIES:
            bt, _ = b.get(name, (None, None))
            mt, ma = m.get(name, (None, None))
            pt, pa = p.get(name, (None, None))
            lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                name, "%.3f s" % bt if bt else "—", "%.2f×" % (pt / bt) if bt and pt else "—",
                "%.3f s" % mt if mt else "—", "%.3f s" % pt if pt else "—",
                "%.2f×" % (pt / mt) if mt and pt else "—",
                "same" if mt and exact_answer(ma, pa) else "**differs**"))
        lines.append("")
    if cpu:
        lines += ["CPU per query, mean of the repetitions (murphy: leader and followers; "
                  "PostgreSQL: its backend, parallel workers and postmaster), read from "
                  "/proc around each run:", "",
                  "| query | before | after | PostgreSQL |", "|---|---|---|---|"]
        for name, _, _, _ in QUERIES:
            lines.append("| %s | %s | %s | %s |" % (name, *(
                "%.0f ms" % (1000 * cpu[k][name]) if name in cpu.get(k, {}) else "—"
                for k in ("base", "murphy", "postgres"))))
        lines.append("")
    lines += [
        "| query | kind | murphy | PostgreSQL | ratio | target | answer |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, kind, target, _ in QUERIES:
        mt, ma = m.get(name, (None, "not run"))
        pt, pa = p.get(name, (None, "not run"))
        if mt is None:
            verdict = "**error**: " + ma
        elif exact_answer(ma, pa):
            verdict = "same"
        elif same_answer(ma, pa):
            verdict = "same to 1e-9 (not digit for digit)"
        else:
            verdict = "**DIFFERS**"
        r = pt / mt if mt and pt else None
        lines.append("| %s | %s | %s | %s | %s | ≥ %.1f× %s | %s |" % (
            name, kind, "%.3f s" % mt if mt else "—", "%.3f s" % pt if pt else "—",
            "%.2f×" % r if r else "—", target, "" if r is None else ("met" if r >= target else
                                                                     "**not met**"), verdict))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sf", type=float, default=0.1, help="scale factor (0.1: ~600k lineitems)")
    ap.add_argument("--followers", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3, help="runs per query (best is reported)")
    ap.add_argument("--out", default=None, help="results file")
    ap.add_argument("--base", default=None, help="another murphy build to run too (before)")
    args = ap.parse_args()
    loads = ["%.2f" % os.getloadavg()[0]]
    cpu = None
    tmp = tempfile.mkdtemp(prefix="murphy-tpch-")
    os.chmod(tmp, 0o755)
    try:
        log("generating sf %g" % args.sf)
        counts = generate(tmp, args.sf)
        log("rows: %r" % counts)
        b = None
        if args.base:
            with contextlib.ExitStack() as stack:
                conns, pids = {}, {}
                conns["postgres"], server = stack.enter_context(postgres_server())
                with open(os.path.join(server.datadir, "postmaster.pid")) as f:
                    pids["postgres"] = [int(f.readline())]
                log("[postgres] loading")
                load(conns["postgres"], tmp, {}, counts, analyze=True)
                for k, binary in (("base", args.base), ("murphy", None)):
                    conns[k], _ = stack.enter_context(murphy_cluster(args, tmp, binary, k))
                    log("[%s] loading" % k)
                    load(conns[k], tmp, MURPHY_DIST, counts, analyze=False)
                    pids[k] = cluster_pids(os.path.join(tmp, k))
                loads.append("%.2f" % os.getloadavg()[0])
                res, cpu = run_interleaved(conns, args.repeat, pids)
                p, b, m = res["postgres"], res["base"], res["murphy"]
        else:
            with postgres_server() as (conn, _):
                log("[postgres] loading")
                load(conn, tmp, {}, counts, analyze=True)
                p = run_queries(conn, args.repeat)
            with murphy_cluster(args, tmp) as (conn, _):
                log("[murphy] loading")
                load(conn, tmp, MURPHY_DIST, counts, analyze=False)
                m = run_queries(conn, args.repeat)
        loads.append("%.2f" % os.getloadavg()[0])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    text = report(args, counts, m, p, b, loads, cpu)
    print(text)
    out = args.out or os.path.join(HERE, "results", "%s-tpch-sf%g.md" % (
        datetime.date.today().isoformat(), args.sf))
    with open(out, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
