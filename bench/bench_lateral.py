#!/usr/bin/python3
"""LATERAL top-N per row, aggregates and LEFT JOIN LATERAL (issue 19,
parser/analyze_lateral_topn.c): murphy (3 followers) against PostgreSQL
15 in the same run (not a test).

The tables and data of bench_corrsub.py: o (id PRIMARY KEY, a, b) of
--rows rows, f (fid PRIMARY KEY, oid, v) of 3 x --rows (distributed by
fid: not co-located with o), g (oid PRIMARY KEY, w) co-located with o;
both sides then get an index on f (oid) (without it PostgreSQL scans f
once per o row: a minute at 20,000 rows, no fair comparison).
Each query's best of --repeat runs on each side; the answers must be
equal; the ratio murphy / PostgreSQL is printed (below 1: murphy is
faster).  Writes bench/results/<date>-lateral-<rows>rows.md.

    MURPHY_BIN=build/murphy /usr/bin/python3 bench/bench_lateral.py --rows 20000
"""
import argparse
import datetime
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_corrsub  # noqa: E402
from bench import log, postgres_server  # noqa: E402
from bench_numeric import murphy_cluster  # noqa: E402

QUERIES = (
    ("top-3 per row (ORDER BY LIMIT), not co-located",
     "SELECT count(*), sum(s.v) FROM o, LATERAL (SELECT v FROM f WHERE f.oid = o.id "
     "ORDER BY v DESC, fid LIMIT 3) s"),
    ("aggregates per row (count, max)",
     "SELECT count(*), sum(s.n), sum(s.m) FROM o, LATERAL (SELECT count(*) AS n, max(v) AS m "
     "FROM f WHERE f.oid = o.id) s"),
    ("latest row for one key",
     "SELECT o.id, s.v FROM o, LATERAL (SELECT v FROM f WHERE f.oid = o.id "
     "ORDER BY fid DESC LIMIT 1) s WHERE o.id = 77"),
    ("LEFT JOIN LATERAL co-located (merged)",
     "SELECT count(*), sum(s.w) FROM o LEFT JOIN LATERAL (SELECT w FROM g "
     "WHERE g.oid = o.id AND g.w > 100) s ON true"),
)


def index(conn):
    with conn.cursor() as cur:
        cur.execute("CREATE INDEX f_oid ON f (oid)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--followers", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    bench_corrsub.QUERIES = QUERIES
    with tempfile.TemporaryDirectory(prefix="bench-lateral-") as tmp:
        paths = bench_corrsub.generate(tmp, args.rows)
        with murphy_cluster(args.followers, tmp) as conn:
            log("[murphy] loaded in %.1f s" % bench_corrsub.load(conn, paths))
            index(conn)
            m = bench_corrsub.run_queries("murphy", conn, args.repeat)
        with postgres_server() as (conn, _):
            log("[postgres] loaded in %.1f s" % bench_corrsub.load(conn, paths))
            index(conn)
            with conn.cursor() as cur:
                cur.execute("VACUUM ANALYZE")
            p = bench_corrsub.run_queries("postgres", conn, args.repeat)
    lines = ["# LATERAL top-N, aggregates, LEFT JOIN: o %d rows, f %d, g %d; murphy %d "
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
    out = os.path.join(HERE, "results", "%s-lateral-%drows.md" % (datetime.date.today(),
                                                                  args.rows))
    with open(out, "w") as fh:
        fh.write(text)
    log("wrote " + out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
