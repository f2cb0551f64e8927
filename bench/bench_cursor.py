#!/usr/bin/python3
"""What a cursor costs the leader (issue 20; not a test): a table of --rows
rows (id int PRIMARY KEY, k int, pad text of ~66 bytes) read to the end
through `DECLARE c CURSOR FOR SELECT * FROM t` + `FETCH 1000` and by the
same SELECT fetched whole, against murphy builds (--murphy, default the
session's base binary and build/murphy) and PostgreSQL 15 in the same run.

For each: the peak RSS growth of the process that holds the rows (murphy's
leader, PostgreSQL's backend: /proc/<pid>/status VmHWM after clearing it
through /proc/<pid>/clear_refs) and the wall time, with murphy's times as a
ratio to PostgreSQL's.  Writes bench/results/<date>-cursor-<rows>rows.md.

    /usr/bin/python3 bench/bench_cursor.py --rows 1000000
    /usr/bin/python3 bench/bench_cursor.py --rows 1000000 --order "k DESC, id"

--order reads `SELECT * FROM t ORDER BY <order>` instead (k has ties and
no index: each shard sorts), and the file is <date>-cursor-order-<rows>rows.md.

    /usr/bin/python3 bench/bench_cursor.py --rows 500000 --query join --query group

--query join reads a co-located join, t (--rows / 2 rows) JOIN l (--rows
rows, two per id of t) on the distribution column: --rows rows; --query
group a GROUP BY of l's distribution column: --rows / 2 groups (both
streamed per shard since sql/plan_batch_whole.c).  One table per query in
<date>-cursor-join.md.
Beside each time: the time to the first FETCH's rows, and the CPU seconds
of the process that holds the rows (leader / backend, /proc/<pid>/stat).

    /usr/bin/python3 bench/bench_cursor.py --rows 400000 --query shufjoin --query shufgroup \
        --murphy base=/work/base/murphy-s19 --murphy new=build/murphy

--query shufjoin reads a shuffled join, t JOIN s (--rows rows, two per id
of t, distributed by their own key sid) ON s.tid = t.id: --rows rows;
--query shufgroup a GROUP BY s.tid (repartitioned to owners): --rows / 2
groups (both streamed from the owners since sql/plan_batch_owner.c).  One
table per query in <date>-cursor-shuffle.md.
"""
import argparse
import contextlib
import datetime
import io
import os
import subprocess
import sys
import tempfile
import time

import psycopg2

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "cluster"))

from bench import log, postgres_server  # noqa: E402
from pgserver import free_port  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, ".."))
PAD = "p" * 60


@contextlib.contextmanager
def murphy_cluster(binary, tmp, followers=3):
    d = os.path.join(tmp, "murphy-%d" % int(time.time() * 1000))
    port = free_port(count=followers + 2)
    r = subprocess.run([binary, "local", "start", "--dir", d, "--followers", str(followers),
                        "--pg-port", str(port)], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("murphy local start failed:\n" + r.stdout + r.stderr)
    try:
        pw_file = os.path.join(d, "password")
        password = open(pw_file).read().strip() if os.path.exists(pw_file) else None
        conn = psycopg2.connect(host="127.0.0.1", port=port, user="murphy", dbname="murphy",
                                password=password)
        conn.autocommit = True
        pid = int(open(os.path.join(d, "leader", "murphy.pid")).read().strip())
        yield conn, pid
        conn.close()
    finally:
        subprocess.run([binary, "local", "stop", "--dir", d], capture_output=True, timeout=60)


def hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def clear_hwm(pid):
    with open("/proc/%d/clear_refs" % pid, "w") as f:
        f.write("5")


def load(conn, rows, index=False):
    data = "".join("%d\t%d\t%s%d\n" % (i, i % 1000, PAD, i) for i in range(rows))
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS t")
        cur.execute("CREATE TABLE t (id int PRIMARY KEY, k int%s, pad text)"
                    % (" NOT NULL" if index else ""))
        cur.copy_expert("COPY t FROM STDIN", io.StringIO(data), size=1 << 16)
        if index:
            cur.execute("CREATE INDEX t_k ON t (k)")


def load_join(conn, rows):
    """t: rows / 2 ids; l: two lines per id of t (PRIMARY KEY (id, ln): l is
    distributed by id, co-located with t)."""
    load(conn, rows // 2)
    data = "".join("%d\t%d\t%s%d\n" % (i // 2, i % 2, PAD, i) for i in range(rows))
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS l")
        cur.execute("CREATE TABLE l (id int, ln int, pad text, PRIMARY KEY (id, ln))")
        cur.copy_expert("COPY l FROM STDIN", io.StringIO(data), size=1 << 16)
    data = "".join("%d\t%d\t%s%d\n" % (i, i // 2, PAD, i) for i in range(rows))
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS s")
        cur.execute("CREATE TABLE s (sid int PRIMARY KEY, tid int, pad text)")
        cur.copy_expert("COPY s FROM STDIN", io.StringIO(data), size=1 << 16)
        cur.execute("ANALYZE s")
        cur.execute("ANALYZE t")


QUERIES = {  # name: (SQL, rows it returns of --rows)
    "join": ("SELECT t.id, t.k, l.ln, l.pad FROM t JOIN l ON t.id = l.id", 1),
    "group": ("SELECT id, count(*), min(pad), max(pad) FROM l GROUP BY id", 2),
    "shufjoin": ("SELECT t.id, t.k, s.sid, s.pad FROM t JOIN s ON s.tid = t.id", 1),
    "shufgroup": ("SELECT tid, count(*), min(pad), max(pad) FROM s GROUP BY tid", 2),
}


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(conn, pid, how, sql):
    """(rows, seconds, peak RSS growth in kB, seconds to the first rows,
    CPU seconds of pid) of reading sql to the end."""
    clear_hwm(pid)
    before = hwm_kb(pid)
    cpu0 = cpu_s(pid)
    t0 = time.perf_counter()
    n, first = 0, None
    with conn.cursor() as cur:
        if how == "cursor":
            conn.autocommit = False
            cur.execute("DECLARE c CURSOR FOR " + sql)
            while True:
                cur.execute("FETCH 1000 FROM c")
                got = len(cur.fetchall())
                if first is None:
                    first = time.perf_counter() - t0
                n += got
                if got < 1000:
                    break
            conn.rollback()
            conn.autocommit = True
        else:
            cur.execute(sql)
            n = len(cur.fetchall())
            first = time.perf_counter() - t0
    return n, time.perf_counter() - t0, hwm_kb(pid) - before, first, cpu_s(pid) - cpu0


def run(name, conn, pid, rows, sql, index=False, queries=None):
    if queries:
        load_join(conn, rows)
        out = {}
        for q in queries:
            out[q] = run_one(name + " " + q, conn, pid, rows // QUERIES[q][1], QUERIES[q][0])
        return out
    load(conn, rows, index)
    return run_one(name, conn, pid, rows, sql)


def run_one(name, conn, pid, rows, sql):
    out = {}
    for how in ("cursor", "whole"):
        n, s, kb, first, cpu = measure(conn, pid, how, sql)
        assert n == rows, (name, how, n)
        log("[%s] %s: %.2f s (first rows %.3f s, CPU %.2f s), peak RSS +%d kB" % (
            name, how, s, first, cpu, kb))
        out[how] = (s, kb, first, cpu)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--order", help="ORDER BY of the query read (default none)")
    ap.add_argument("--index", action="store_true",
                    help="k NOT NULL with an index on it (file: ...-cursor-order-index-...)")
    ap.add_argument("--murphy", action="append",
                    help="label=binary (default base=/work/base/murphy-s17, "
                         "new=build/murphy)")
    ap.add_argument("--query", action="append", choices=sorted(QUERIES),
                    help="a join or GROUP BY instead of the plain scan (repeatable)")
    args = ap.parse_args()
    if args.query:
        return main_queries(args)
    sql = "SELECT * FROM t" + (" ORDER BY " + args.order if args.order else "")
    builds = args.murphy or ["base=/work/base/murphy-s17",
                             "new=" + os.path.join(ROOT, "build", "murphy")]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        with postgres_server() as (conn, server):
            with conn.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                pid = cur.fetchone()[0]
            results["postgres"] = run("postgres", conn, pid, args.rows, sql, args.index)
        for b in builds:
            label, binary = b.split("=", 1)
            with murphy_cluster(binary, tmp) as (conn, pid):
                results["murphy " + label] = run("murphy " + label, conn, pid, args.rows, sql,
                                                 args.index)
    pg = results["postgres"]
    lines = ["# Cursor memory and time, %d rows (%s)" % (args.rows, datetime.date.today()),
             "",
             "`DECLARE c CURSOR FOR %s` + `FETCH 1000` to the end, and the same "
             "SELECT fetched whole; peak RSS growth of murphy's leader / PostgreSQL's "
             "backend (VmHWM after clear_refs); time ratio to PostgreSQL's; first: "
             "seconds to the first FETCH's rows (whole: to the whole result); CPU: "
             "seconds of the leader / backend process.%s" % (
                 sql, " k is NOT NULL with an index on it." if args.index else ""),
             "",
             "| system | cursor s | ×PG | first s | CPU s | peak +MB | whole s | ×PG | "
             "first s | CPU s | peak +MB |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        c, w = r["cursor"], r["whole"]
        lines.append("| %s | %.2f | %.2f | %.3f | %.2f | %.1f | %.2f | %.2f | %.3f | %.2f "
                     "| %.1f |" % (name, c[0], c[0] / pg["cursor"][0], c[2], c[3], c[1] / 1024,
                                   w[0], w[0] / pg["whole"][0], w[2], w[3], w[1] / 1024))
    text = "\n".join(lines) + "\n"
    print(text)
    path = os.path.join(HERE, "results", "%s-cursor-%s%drows.md" % (
        datetime.date.today(), ("order-" if args.order else "") + ("index-" if args.index else ""),
        args.rows))
    with open(path, "w") as f:
        f.write(text)
    log("wrote " + path)


def main_queries(args):
    builds = args.murphy or ["base=/work/base/murphy-s18",
                             "new=" + os.path.join(ROOT, "build", "murphy")]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        with postgres_server() as (conn, server):
            with conn.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                pid = cur.fetchone()[0]
            results["postgres"] = run("postgres", conn, pid, args.rows, None,
                                      queries=args.query)
        for b in builds:
            label, binary = b.split("=", 1)
            with murphy_cluster(binary, tmp) as (conn, pid):
                results["murphy " + label] = run("murphy " + label, conn, pid, args.rows,
                                                 None, queries=args.query)
    lines = ["# Cursor memory and time over a join and a GROUP BY (%s)" % datetime.date.today(),
             "",
             "t: %d rows (id int PRIMARY KEY, k int, pad text), l: %d rows (id int, ln int, "
             "pad text, PRIMARY KEY (id, ln)), two per id of t, co-located; 3 followers, "
             "8 shards.  `DECLARE c CURSOR FOR <query>` + `FETCH 1000` to the end, and "
             "the same SELECT fetched whole; peak RSS growth of murphy's leader / "
             "PostgreSQL's backend (VmHWM after clear_refs); time ratio to PostgreSQL's; "
             "first: seconds to the first FETCH's rows (whole: to the whole result); "
             "CPU: seconds of the leader / backend process.  s: %d rows (sid int PRIMARY "
             "KEY, tid int, pad text), two per id of t, distributed by sid: joined on "
             "tid, shuffled." % (args.rows // 2, args.rows, args.rows)]
    for q in args.query:
        pg = results["postgres"][q]
        lines += ["", "## %s: `%s`" % (q, QUERIES[q][0]), "",
                  "| system | cursor s | ×PG | first s | CPU s | peak +MB | whole s | ×PG | "
                  "first s | CPU s | peak +MB |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for name, r in results.items():
            c, w = r[q]["cursor"], r[q]["whole"]
            lines.append("| %s | %.2f | %.2f | %.3f | %.2f | %.1f | %.2f | %.2f | %.3f | %.2f "
                         "| %.1f |" % (name, c[0], c[0] / pg["cursor"][0], c[2], c[3],
                                       c[1] / 1024, w[0], w[0] / pg["whole"][0], w[2], w[3],
                                       w[1] / 1024))
    text = "\n".join(lines) + "\n"
    print(text)
    shuffled = any(q.startswith("shuf") for q in args.query)
    path = os.path.join(HERE, "results", "%s-cursor-%s.md" % (
        datetime.date.today(), "shuffle" if shuffled else "join"))
    with open(path, "w") as f:
        f.write(text)
    log("wrote " + path)


if __name__ == "__main__":
    main()
