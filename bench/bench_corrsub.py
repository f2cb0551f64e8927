#!/usr/bin/python3
"""Correlated subqueries, row comparisons and LATERAL (issue 19): murphy
(3 followers) against PostgreSQL 15 in the same run (not a test).

Tables o (id PRIMARY KEY, a, b) of --rows rows, f (fid PRIMARY KEY, oid,
v) of 3 x --rows (distributed by fid: not co-located with o), g (oid
PRIMARY KEY, w) of --rows (co-located with o on oid = id), loaded with
COPY into both.  Each query's best of --repeat runs on each side; the
answers must be equal; the ratio murphy / PostgreSQL is printed (below 1:
murphy is faster).  Writes bench/results/<date>-corrsub-<rows>rows.md.

    MURPHY_BIN=build/murphy /usr/bin/python3 bench/bench_corrsub.py --rows 100000
"""
import argparse
import datetime
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench import best_of, log, postgres_server  # noqa: E402
from bench_numeric import murphy_cluster  # noqa: E402

DDL = ("CREATE TABLE o (id bigint PRIMARY KEY, a int, b int)",
       "CREATE TABLE f (fid bigint PRIMARY KEY, oid bigint, v int)",
       "CREATE TABLE g (oid bigint PRIMARY KEY, w int)")
QUERIES = (
    ("EXISTS, key and non-equality (outer key)",
     "SELECT count(*) FROM o WHERE EXISTS (SELECT 1 FROM f WHERE f.oid = o.id AND f.v > o.a)"),
    ("NOT EXISTS, non-equality only (outer key)",
     "SELECT count(*) FROM o WHERE NOT EXISTS (SELECT 1 FROM g WHERE g.oid = o.id + 1 "
     "AND g.w < o.a)"),
    ("scalar count, key and non-equality (outer key)",
     "SELECT sum((SELECT count(*) FROM f WHERE f.oid = o.id AND f.v < o.b)) FROM o"),
    ("EXISTS by key only (key set, before too)",
     "SELECT count(*) FROM o WHERE EXISTS (SELECT 1 FROM f WHERE f.oid = o.id)"),
    ("(a, b) IN (SELECT x, y) (row set)",
     "SELECT count(*) FROM o WHERE (a, b) IN (SELECT v, v % 7 FROM f WHERE fid % 10 = 0)"),
    ("LATERAL co-located (flattened)",
     "SELECT count(*), sum(s.w) FROM o, LATERAL (SELECT g.w FROM g WHERE g.oid = o.id "
     "AND g.w > o.a) s"),
)


def generate(tmp, rows, seed=19):
    x, mask = seed, (1 << 64) - 1
    paths = {t: os.path.join(tmp, t + ".tsv") for t in ("o", "f", "g")}
    t0 = time.time()
    with open(paths["o"], "w") as fo, open(paths["f"], "w") as ff, open(paths["g"], "w") as fg:
        for i in range(1, rows + 1):
            x = (x * 6364136223846793005 + 1442695040888963407) & mask
            fo.write("%d\t%d\t%d\n" % (i, x >> 8 & 1023, x >> 20 & 7))
            fg.write("%d\t%d\n" % (i, x >> 32 & 1023))
            for k in range(3):
                ff.write("%d\t%d\t%d\n" % (3 * i + k, (x >> (40 + 4 * k) & 0xffff) % rows + 1,
                                           x >> (4 + 3 * k) & 1023))
    log("generated in %.1f s" % (time.time() - t0))
    return paths


def load(conn, paths):
    with conn.cursor() as cur:
        for t in ("o", "f", "g"):
            cur.execute("DROP TABLE IF EXISTS %s" % t)
        for d in DDL:
            cur.execute(d)
    t0 = time.perf_counter()
    for t, p in paths.items():
        with open(p) as fh, conn.cursor() as cur:
            cur.copy_expert("COPY %s FROM STDIN" % t, fh, size=1 << 16)
    return time.perf_counter() - t0


def run_queries(name, conn, repeat):
    res = {}
    for q, sql in QUERIES:
        def once():
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()
        try:
            t, answer = best_of(repeat, once)
        except Exception as e:  # a refusal is reported, not fatal
            log("[%s] %s: %s" % (name, q, str(e).strip().splitlines()[0]))
            res[q] = (None, str(e).strip().splitlines()[0])
            continue
        log("[%s] %s: %.3f s" % (name, q, t))
        res[q] = (t, answer)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--followers", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-corrsub-") as tmp:
        paths = generate(tmp, args.rows)
        with murphy_cluster(args.followers, tmp) as conn:
            log("[murphy] loaded in %.1f s" % load(conn, paths))
            m = run_queries("murphy", conn, args.repeat)
        with postgres_server() as (conn, _):
            log("[postgres] loaded in %.1f s" % load(conn, paths))
            with conn.cursor() as cur:
                cur.execute("VACUUM ANALYZE")
            p = run_queries("postgres", conn, args.repeat)
    lines = ["# correlated subqueries, row sets, LATERAL: o %d rows, f %d, g %d; murphy %d "
             "followers vs PostgreSQL 15 (%s)" % (args.rows, 3 * args.rows, args.rows,
                                                  args.followers, datetime.date.today()), "",
             "| query | murphy s | postgres s | murphy/postgres | same answer |",
             "|---|---|---|---|---|"]
    ok = True
    for q, _ in QUERIES:
        if m[q][0] is None or p[q][0] is None:
            lines.append("| %s | %s | %s | - | - |" % (q, m[q][0] or m[q][1], p[q][0] or p[q][1]))
            ok = False
            continue
        same = m[q][1] == p[q][1]
        ok &= same
        lines.append("| %s | %.3f | %.3f | %.2f | %s |" %
                     (q, m[q][0], p[q][0], m[q][0] / p[q][0], "yes" if same else "NO"))
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    out = os.path.join(HERE, "results", "%s-corrsub-%drows.md" % (datetime.date.today(),
                                                                  args.rows))
    with open(out, "w") as fh:
        fh.write(text)
    log("wrote " + out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
