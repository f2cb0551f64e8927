#!/usr/bin/python3
"""sum() and avg() over numeric values: murphy (3 followers) against PostgreSQL 15
in the same run (issue 19; not a test).

Table nums (id bigint PRIMARY KEY, v numeric(18,2)) with --rows values
(default 10M) of money-like amounts -500.00 .. 100000.99 from a 64-bit LCG,
loaded with COPY into both.  For SELECT sum(v) and SELECT avg(v), the best
of --repeat runs on each; the answers must be equal as text (numeric is
exact in both: a double sum would differ in the last digits), and the
ratio murphy / PostgreSQL is printed (below 1: murphy is faster).  Writes
the table to bench/results/<date>-numeric-<rows>rows.md.

    MURPHY_BIN=build/murphy /usr/bin/python3 bench/bench_numeric.py            # 10M rows
    MURPHY_BIN=build/murphy /usr/bin/python3 bench/bench_numeric.py --rows 1000000
"""
import argparse
import contextlib
import datetime
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench import MURPHY, best_of, free_port, log, postgres_server  # noqa: E402
import psycopg2  # noqa: E402

DDL = "CREATE TABLE nums (id bigint PRIMARY KEY, v numeric(18,2))"
QUERIES = (("sum", "SELECT sum(v)::text FROM nums"), ("avg", "SELECT avg(v)::text FROM nums"))


def generate(path, rows, seed=19):
    x, mask = seed, (1 << 64) - 1
    t0 = time.time()
    with open(path, "w", buffering=1 << 20) as f:
        out = []
        for i in range(1, rows + 1):
            x = (x * 6364136223846793005 + 1442695040888963407) & mask
            cents = (x >> 11) % 10050100 - 50000
            sign = "-" if cents < 0 else ""
            out.append("%d\t%s%d.%02d\n" % (i, sign, abs(cents) // 100, abs(cents) % 100))
            if len(out) == 100000:
                f.write("".join(out))
                out = []
        f.write("".join(out))
    log("generated %d rows in %.1f s" % (rows, time.time() - t0))


@contextlib.contextmanager
def murphy_cluster(followers, tmp):
    """murphy local, logged in with the password it writes (SCRAM)."""
    d = os.path.join(tmp, "murphy")
    port = free_port(count=followers + 2)
    r = subprocess.run([MURPHY, "local", "start", "--dir", d, "--followers", str(followers),
                        "--pg-port", str(port)], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("murphy local start failed:\n" + r.stdout + r.stderr)
    try:
        pw_file = os.path.join(d, "password")
        password = open(pw_file).read().strip() if os.path.exists(pw_file) else \
            os.environ.get("MURPHY_PASSWORD")
        conn = psycopg2.connect(host="127.0.0.1", port=port, user="murphy", dbname="murphy",
                                password=password)
        conn.autocommit = True
        yield conn
        conn.close()
    finally:
        subprocess.run([MURPHY, "local", "stop", "--dir", d], capture_output=True, timeout=60)


def load(conn, path):
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS nums")
        cur.execute(DDL)
    t0 = time.perf_counter()
    with open(path) as f, conn.cursor() as cur:
        cur.copy_expert("COPY nums FROM STDIN", f, size=1 << 16)
    return time.perf_counter() - t0


def run_queries(name, conn, repeat):
    res = {}
    for q, sql in QUERIES:
        def once():
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchone()[0]
        t, answer = best_of(repeat, once)
        log("[%s] %s: %.3f s = %s" % (name, q, t, answer))
        res[q] = (t, answer)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--followers", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-numeric-") as tmp:
        data = os.path.join(tmp, "nums.tsv")
        generate(data, args.rows)
        with murphy_cluster(args.followers, tmp) as conn:
            log("[murphy] loaded in %.1f s" % load(conn, data))
            m = run_queries("murphy", conn, args.repeat)
        with postgres_server() as (conn, _):
            log("[postgres] loaded in %.1f s" % load(conn, data))
            with conn.cursor() as cur:
                cur.execute("VACUUM ANALYZE nums")
            p = run_queries("postgres", conn, args.repeat)
    lines = ["# numeric sum/avg, %d rows, murphy %d followers vs PostgreSQL 15 (%s)" %
             (args.rows, args.followers, datetime.date.today()), "",
             "| query | murphy s | postgres s | murphy/postgres | same answer |",
             "|---|---|---|---|---|"]
    ok = True
    for q, _ in QUERIES:
        same = m[q][1] == p[q][1]
        ok &= same
        lines.append("| %s(v) | %.3f | %.3f | %.2f | %s |" %
                     (q, m[q][0], p[q][0], m[q][0] / p[q][0], "yes" if same else
                      "NO: %s vs %s" % (m[q][1], p[q][1])))
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    out = os.path.join(HERE, "results", "%s-numeric-%drows.md" % (datetime.date.today(), args.rows))
    with open(out, "w") as f:
        f.write(text)
    log("wrote " + out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
