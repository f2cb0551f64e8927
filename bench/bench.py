#!/usr/bin/python3
"""murphy vs PostgreSQL vs SQLite on one events table (not a test).

Generates the events table once (id, user_id uniform in 1..1M, state of 2
letters, created_at), loads it into
  - murphy: `build/murphy local start` with 3 followers, COPY FROM STDIN;
  - PostgreSQL 15: a throwaway local server (defaults), COPY FROM STDIN;
  - SQLite: one file, executemany in one transaction;
then times SELECT state, count(*) … GROUP BY state and
SELECT count(DISTINCT user_id) (best of --repeat runs, answers checked to be
equal across systems), and point SELECTs by key with
`pgbench -n -M prepared -c 8 -T 10` (murphy and PostgreSQL).  Prints a
markdown table with ratios against PostgreSQL and writes it to
bench/results/<date>.md.

    bench/run.sh                 # 10M rows, as in the issue
    bench/run.sh --rows 1000000  # a quicker run
"""
import argparse
import contextlib
import datetime
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "cluster"))

# Like for like: the PostgreSQL control serves without TLS, so murphy's
# clients (psycopg2, pgbench: libpq's sslmode=prefer) must not encrypt
# either, or murphy pays TLS on every message (~7 % of the leader's CPU
# under TPC-B, bench/results/2026-12-07-tpcb.md).  tests/cluster/test_tls.py
# covers TLS; a run that wants it sets PGSSLMODE itself.  Only for a
# script run from bench/: a test that imports this module (test_tpch.py)
# must not change how every later test connects.
if os.path.dirname(os.path.abspath(sys.argv[0] if sys.argv and sys.argv[0] else "")) == HERE:
    os.environ.setdefault("PGSSLMODE", "disable")

import psycopg2  # noqa: E402

from pgserver import PgServer, free_port  # noqa: E402

MURPHY = os.environ.get("MURPHY_BIN") or os.path.join(ROOT, "build", "murphy")  # MURPHY_BIN: another build
PGBENCH = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
STATES = ("AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
          "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY").split()
DDL = ("CREATE TABLE events (id bigint PRIMARY KEY, user_id int NOT NULL, state text NOT NULL, "
       "created_at timestamp NOT NULL)")
GROUP_BY = "SELECT state, count(*) FROM events GROUP BY state"
DISTINCT = "SELECT count(DISTINCT user_id) FROM events"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def generate(path, rows, users, seed=42):
    """COPY text file; uniform draws from a 64-bit LCG (fast, reproducible)."""
    base = datetime.datetime(2024, 1, 1)
    year_s = 365 * 24 * 3600
    x = seed
    mask = (1 << 64) - 1
    t0 = time.time()
    with open(path, "w", buffering=1 << 20) as f:
        out = []
        for i in range(1, rows + 1):
            x = (x * 6364136223846793005 + 1442695040888963407) & mask
            user = 1 + (x >> 11) % users
            state = STATES[(x >> 40) % 50]
            ts = base + datetime.timedelta(seconds=(x >> 20) % year_s)
            out.append("%d\t%d\t%s\t%s\n" % (i, user, state, ts.strftime("%Y-%m-%d %H:%M:%S")))
            if len(out) == 100000:
                f.write("".join(out))
                out = []
        f.write("".join(out))
    log("generated %d rows in %.1f s (%s)" % (rows, time.time() - t0, path))


def timed(fn):
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def best_of(repeat, fn):
    times, result = [], None
    for _ in range(repeat):
        dt, result = timed(fn)
        times.append(dt)
    return min(times), result


def pg_query(conn, sql):
    def run():
        with conn.cursor() as cur:
            cur.execute(sql)
            return sorted(cur.fetchall())
    return run


def pg_load(conn, path):
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS events")
        cur.execute(DDL)

    def run():
        with open(path) as f, conn.cursor() as cur:
            cur.copy_expert("COPY events FROM STDIN", f, size=1 << 16)
    return timed(run)[0]


def pgbench(port, user, dbname, rows, clients, seconds, tmp):
    script = os.path.join(tmp, "point.sql")
    with open(script, "w") as f:
        f.write("\\set id random(1, %d)\nSELECT user_id, state, created_at FROM events WHERE id = :id;\n"
                % rows)
    cmd = [PGBENCH, "-n", "-M", "prepared", "-f", script, "-c", str(clients), "-j", "2",
           "-T", str(seconds), "-h", "127.0.0.1", "-p", str(port), "-U", user, dbname]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", r.stdout)
    if r.returncode != 0 or not m:
        log("pgbench failed:\n" + r.stdout + r.stderr)
        return None
    return float(m.group(1))


def bench_pg_like(name, conn, port, user, dbname, args, data, tmp):
    res = {}
    log("[%s] loading" % name)
    res["load"] = pg_load(conn, data)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM events")
        assert cur.fetchone()[0] == args.rows, "%s lost rows" % name
        if name == "postgres":
            cur.execute("VACUUM ANALYZE events")
    log("[%s] load %.2f s; queries" % (name, res["load"]))
    res["group_by"], res["group_by_answer"] = best_of(args.repeat, pg_query(conn, GROUP_BY))
    res["distinct"], res["distinct_answer"] = best_of(args.repeat, pg_query(conn, DISTINCT))
    log("[%s] group by %.3f s, distinct %.3f s; pgbench" % (name, res["group_by"], res["distinct"]))
    res["tps"] = pgbench(port, user, dbname, args.rows, args.clients, args.seconds, tmp)
    return res


@contextlib.contextmanager
def murphy_cluster(args, tmp, binary=None, name="murphy"):
    """A local murphy cluster in tmp/name (binary: another build than
    MURPHY): yields (autocommit connection, pg port)."""
    d = os.path.join(tmp, name)
    port = free_port(count=args.followers + 2)
    r = subprocess.run([binary or MURPHY, "local", "start", "--dir", d, "--followers", str(args.followers),
                        "--pg-port", str(port)], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("murphy local start failed:\n" + r.stdout + r.stderr)
    try:
        conn = psycopg2.connect(host="127.0.0.1", port=port, user="murphy", dbname="murphy")
        conn.autocommit = True
        yield conn, port
        conn.close()
    finally:
        subprocess.run([binary or MURPHY, "local", "stop", "--dir", d], capture_output=True,
                       timeout=60)


@contextlib.contextmanager
def postgres_server():
    """A throwaway PostgreSQL: yields (autocommit connection, server)."""
    server = PgServer().start()
    try:
        conn = server.connect()
        yield conn, server
        conn.close()
    finally:
        server.stop()


def bench_murphy(args, data, tmp):
    with murphy_cluster(args, tmp) as (conn, port):
        return bench_pg_like("murphy", conn, port, "murphy", "murphy", args, data, tmp)


def bench_postgres(args, data, tmp):
    with postgres_server() as (conn, server):
        return bench_pg_like("postgres", conn, server.port, "postgres", "postgres", args, data,
                             tmp)


def bench_sqlite(args, data, tmp):
    path = os.path.join(tmp, "events.sqlite")
    db = sqlite3.connect(path)
    db.execute(DDL.replace("bigint PRIMARY KEY", "INTEGER PRIMARY KEY"))

    def rows():
        with open(data) as f:
            for line in f:
                a, b, c, d = line.rstrip("\n").split("\t")
                yield int(a), int(b), c, d

    def load():
        with db:
            db.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", rows())
    res = {}
    log("[sqlite] loading")
    res["load"] = timed(load)[0]
    q = lambda sql: (lambda: sorted(db.execute(sql).fetchall()))
    res["group_by"], res["group_by_answer"] = best_of(args.repeat, q(GROUP_BY))
    res["distinct"], res["distinct_answer"] = best_of(args.repeat, q(DISTINCT))
    res["tps"] = None
    db.close()
    return res


def fmt_time(t, rows=None):
    if t is None:
        return "—"
    s = "%.2f s" % t if t >= 0.1 else "%.1f ms" % (t * 1000)
    if rows:
        s += " (%.0fk rows/s)" % (rows / t / 1000)
    return s


def ratio(m, p, higher_is_better):
    if m is None or p is None or m == 0 or p == 0:
        return "—"
    return "%.2f×" % ((m / p) if higher_is_better else (p / m))


def report(args, results):
    m, p, s = results.get("murphy"), results.get("postgres"), results.get("sqlite")
    get = lambda r, k: r.get(k) if r else None
    lines = [
        "# murphy benchmark, %s" % datetime.date.today().isoformat(),
        "",
        "%d rows (id, user_id uniform in 1..%d, state, created_at); murphy with %d followers; "
        "PostgreSQL 15 with default settings; SQLite %s, one file. Query times: best of %d. "
        "Point selects: `pgbench -n -M prepared -c %d -j 2 -T %d`. Machine: %s, %d cores. "
        "Ratio: murphy's speed relative to PostgreSQL (higher is better for murphy)."
        % (args.rows, args.users, args.followers, sqlite3.sqlite_version, args.repeat,
           args.clients, args.seconds, platform.machine(), os.cpu_count()),
        "",
        "| | murphy | PostgreSQL | SQLite | murphy ÷ PostgreSQL | target |",
        "|---|---|---|---|---|---|",
        "| load (COPY) | %s | %s | %s | %s | ≥ 0.5× |" % (
            fmt_time(get(m, "load"), args.rows), fmt_time(get(p, "load"), args.rows),
            fmt_time(get(s, "load"), args.rows), ratio(get(m, "load"), get(p, "load"), False)),
        "| `GROUP BY state` | %s | %s | %s | %s | > 1× |" % (
            fmt_time(get(m, "group_by")), fmt_time(get(p, "group_by")), fmt_time(get(s, "group_by")),
            ratio(get(m, "group_by"), get(p, "group_by"), False)),
        "| `count(DISTINCT user_id)` | %s | %s | %s | %s | |" % (
            fmt_time(get(m, "distinct")), fmt_time(get(p, "distinct")), fmt_time(get(s, "distinct")),
            ratio(get(m, "distinct"), get(p, "distinct"), False)),
        "| point SELECT by key (TPS) | %s | %s | — | %s | ≥ 0.5× |" % (
            "%.0f" % get(m, "tps") if get(m, "tps") else "—",
            "%.0f" % get(p, "tps") if get(p, "tps") else "—",
            ratio(get(m, "tps"), get(p, "tps"), True)),
        "",
    ]
    answers = [(name, r["group_by_answer"], r["distinct_answer"]) for name, r in results.items()]
    ref = answers[0]
    agree = all(a[1] == ref[1] and a[2] == ref[2] for a in answers)
    lines.append("Answers %s across systems (count(DISTINCT user_id) = %s)."
                 % ("agree" if agree else "**DIFFER**", ref[2][0][0] if ref[2] else "?"))
    if not agree:
        for name, g, dct in answers:
            lines.append("- %s: distinct %r, group by (first 5) %r" % (name, dct, g[:5]))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--followers", type=int, default=3)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=int, default=10, help="pgbench duration")
    ap.add_argument("--repeat", type=int, default=3, help="runs per query (best is reported)")
    ap.add_argument("--systems", default="murphy,postgres,sqlite")
    ap.add_argument("--tmp", default=None, help="scratch directory (default: a new one in /tmp)")
    ap.add_argument("--out", default=None, help="results file (default bench/results/<date>.md)")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="murphy-bench-", dir=args.tmp)
    os.chmod(tmp, 0o755)
    results = {}
    try:
        data = os.path.join(tmp, "events.tsv")
        generate(data, args.rows, args.users)
        runners = {"murphy": bench_murphy, "postgres": bench_postgres, "sqlite": bench_sqlite}
        for name in args.systems.split(","):
            try:
                results[name] = runners[name](args, data, tmp)
            except Exception as e:  # one system failing still reports the others
                log("[%s] FAILED: %s" % (name, e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not results:
        return 1
    text = report(args, results)
    print(text)
    out = args.out
    if not out:
        suffix = "" if args.rows == 10_000_000 else "-%drows" % args.rows
        out = os.path.join(HERE, "results", "%s%s.md" % (datetime.date.today().isoformat(), suffix))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(text)
    log("written to " + out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
