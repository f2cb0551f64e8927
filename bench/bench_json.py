#!/usr/bin/python3
"""jsonb filters and grouping on the shards: murphy (3 followers) against
PostgreSQL 15 in the same run (issue 19; not a test).

Table docs (id bigint PRIMARY KEY, data jsonb) with --rows documents of
about 120 bytes ({"k": one of 8 words, "n": int, "tags": [...], "sub":
{...}}) loaded with COPY into both.  Each query's best of --repeat runs on
each side; the answers must be equal, and the ratio murphy / PostgreSQL is
printed (below 1: murphy is faster).  Writes the table to
bench/results/<date>-json-<rows>rows.md.

    MURPHY_BIN=build/murphy /usr/bin/python3 bench/bench_json.py --rows 300000
"""
import argparse
import datetime
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench import best_of, log, postgres_server  # noqa: E402
from bench_numeric import murphy_cluster  # noqa: E402

DDL = "CREATE TABLE docs (id bigint PRIMARY KEY, data jsonb)"
QUERIES = (
    ("->> filter", "SELECT count(*) FROM docs WHERE data ->> 'k' = 'k3'"),
    ("@> filter", "SELECT count(*) FROM docs WHERE data @> '{\"k\": \"k3\"}'"),
    ("? filter", "SELECT count(*) FROM docs WHERE data -> 'sub' ? 'x'"),
    ("group by ->>", "SELECT data ->> 'k', count(*), sum((data -> 'n')::int) FROM docs "
                     "GROUP BY 1 ORDER BY 1"),
)


def generate(path, rows, seed=19):
    x, mask = seed, (1 << 64) - 1
    t0 = time.time()
    with open(path, "w", buffering=1 << 20) as f:
        for i in range(1, rows + 1):
            x = (x * 6364136223846793005 + 1442695040888963407) & mask
            d = {"k": "k%d" % (x >> 60 & 7), "n": x >> 40 & 1023,
                 "tags": ["t%d" % (x >> s & 15) for s in (8, 12, 16)],
                 "sub": {"x" if x >> 20 & 1 else "y": x >> 30 & 255, "z": None}}
            f.write("%d\t%s\n" % (i, json.dumps(d).replace("\\", "\\\\")))
    log("generated %d rows in %.1f s" % (rows, time.time() - t0))


def load(conn, path):
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS docs")
        cur.execute(DDL)
    t0 = time.perf_counter()
    with open(path) as f, conn.cursor() as cur:
        cur.copy_expert("COPY docs FROM STDIN", f, size=1 << 16)
    return time.perf_counter() - t0


def run_queries(name, conn, repeat):
    res = {}
    for q, sql in QUERIES:
        def once():
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()
        t, answer = best_of(repeat, once)
        log("[%s] %s: %.3f s" % (name, q, t))
        res[q] = (t, answer)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--followers", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-json-") as tmp:
        data = os.path.join(tmp, "docs.tsv")
        generate(data, args.rows)
        with murphy_cluster(args.followers, tmp) as conn:
            log("[murphy] loaded in %.1f s" % load(conn, data))
            m = run_queries("murphy", conn, args.repeat)
        with postgres_server() as (conn, _):
            log("[postgres] loaded in %.1f s" % load(conn, data))
            with conn.cursor() as cur:
                cur.execute("VACUUM ANALYZE docs")
            p = run_queries("postgres", conn, args.repeat)
    lines = ["# jsonb on the shards, %d rows, murphy %d followers vs PostgreSQL 15 (%s)" %
             (args.rows, args.followers, datetime.date.today()), "",
             "| query | murphy s | postgres s | murphy/postgres | same answer |",
             "|---|---|---|---|---|"]
    ok = True
    for q, _ in QUERIES:
        same = m[q][1] == p[q][1]
        ok &= same
        lines.append("| %s | %.3f | %.3f | %.2f | %s |" %
                     (q, m[q][0], p[q][0], m[q][0] / p[q][0], "yes" if same else "NO"))
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    out = os.path.join(HERE, "results", "%s-json-%drows.md" % (datetime.date.today(), args.rows))
    with open(out, "w") as f:
        f.write(text)
    log("wrote " + out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
