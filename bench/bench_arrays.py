#!/usr/bin/python3
"""Arrays on the shards: murphy (3 followers) against PostgreSQL 15 in the
same run (issue 19; not a test).

Table items (id bigint PRIMARY KEY, tags text[], nums int[]) with --rows
rows of 3 tags (of 16 words) and 4 small integers, loaded with COPY into
both.  Each query's best of --repeat runs on each side; the answers must
be equal, and the ratio murphy / PostgreSQL is printed (below 1: murphy is
faster).  Writes the table to bench/results/<date>-arrays-<rows>rows.md.

    MURPHY_BIN=build/murphy /usr/bin/python3 bench/bench_arrays.py --rows 200000
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

DDL = "CREATE TABLE items (id bigint PRIMARY KEY, tags text[], nums int[])"
IDS = ",".join(str(i) for i in range(1, 200_000, 97))  # ~2000 ids
QUERIES = (
    ("tag = ANY(tags)", "SELECT count(*) FROM items WHERE 't3' = ANY(tags)"),
    ("tags @> '{t3,t5}'", "SELECT count(*) FROM items WHERE tags @> '{t3,t5}'"),
    ("id = ANY(2000 ids)", "SELECT count(*) FROM items WHERE id = ANY('{%s}')" % IDS),
    ("unnest + group", "SELECT t, count(*) FROM (SELECT unnest(tags) AS t FROM items) s "
                       "GROUP BY t ORDER BY t"),
    ("order by array limit", "SELECT id, nums FROM items ORDER BY nums DESC, id LIMIT 10"),
    ("array_agg", "SELECT cardinality(array_agg(id ORDER BY id)) FROM items WHERE nums[1] = 7"),
)


def generate(path, rows, seed=19):
    x, mask = seed, (1 << 64) - 1
    t0 = time.time()
    with open(path, "w", buffering=1 << 20) as f:
        for i in range(1, rows + 1):
            x = (x * 6364136223846793005 + 1442695040888963407) & mask
            tags = ",".join("t%d" % (x >> s & 15) for s in (8, 12, 16))
            nums = ",".join(str(x >> s & 31) for s in (20, 25, 30, 35))
            f.write("%d\t{%s}\t{%s}\n" % (i, tags, nums))
    log("generated %d rows in %.1f s" % (rows, time.time() - t0))


def load(conn, path):
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS items")
        cur.execute(DDL)
    t0 = time.perf_counter()
    with open(path) as f, conn.cursor() as cur:
        cur.copy_expert("COPY items FROM STDIN", f, size=1 << 16)
    return time.perf_counter() - t0


def run_queries(name, conn, repeat, skip=()):
    res = {}
    for q, sql in QUERIES:
        if q in skip:
            continue
        def once():
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()
        try:
            t, answer = best_of(repeat, once)
        except Exception as e:  # a refusal is reported, not fatal
            conn.rollback() if not conn.autocommit else None
            log("[%s] %s: %s" % (name, q, str(e).strip().splitlines()[0]))
            res[q] = (None, str(e).strip().splitlines()[0])
            continue
        log("[%s] %s: %.3f s" % (name, q, t))
        res[q] = (t, answer)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--followers", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-arrays-") as tmp:
        data = os.path.join(tmp, "items.tsv")
        generate(data, args.rows)
        with murphy_cluster(args.followers, tmp) as conn:
            log("[murphy] loaded in %.1f s" % load(conn, data))
            m = run_queries("murphy", conn, args.repeat)
        with postgres_server() as (conn, _):
            log("[postgres] loaded in %.1f s" % load(conn, data))
            with conn.cursor() as cur:
                cur.execute("VACUUM ANALYZE items")
            p = run_queries("postgres", conn, args.repeat)
    lines = ["# arrays on the shards, %d rows, murphy %d followers vs PostgreSQL 15 (%s)" %
             (args.rows, args.followers, datetime.date.today()), "",
             "| query | murphy s | postgres s | murphy/postgres | same answer |",
             "|---|---|---|---|---|"]
    ok = True
    for q, _ in QUERIES:
        if m[q][0] is None:
            lines.append("| %s | %s | %.3f | - | - |" % (q, m[q][1], p[q][0]))
            continue
        same = m[q][1] == p[q][1]
        ok &= same
        lines.append("| %s | %.3f | %.3f | %.2f | %s |" %
                     (q, m[q][0], p[q][0], m[q][0] / p[q][0], "yes" if same else "NO"))
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    out = os.path.join(HERE, "results", "%s-arrays-%drows.md" % (datetime.date.today(), args.rows))
    with open(out, "w") as f:
        f.write(text)
    log("wrote " + out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
