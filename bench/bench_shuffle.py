#!/usr/bin/python3
"""COUNT(DISTINCT) strategies: gather, repartition, approximate (issue 4; not a test).

The events table of bench.py (id, user_id uniform in 1..--users, state,
created_at), distributed by id, so user_id is not the distribution column:
  - murphy (3 followers): SELECT count(DISTINCT user_id) FROM events with
    SET murphy.shuffle_strategy = 'gather' and = 'repartition', and
    SELECT approx_count_distinct(user_id); for each the best time of
    --repeat runs and, from murphy.query_stats, the rows and bytes that came
    into the leader and that moved follower to follower;
  - PostgreSQL 15 (defaults, after VACUUM ANALYZE) and SQLite (one file):
    the exact count.
Prints a markdown table (ratios against PostgreSQL, bytes against gather)
and writes it to bench/results/<date>-shuffle[-<rows>rows].md.

    make bench-shuffle                                 # 10M rows, 1M users
    /usr/bin/python3 bench/bench_shuffle.py --rows 1000000 --users 100000
"""
import argparse
import datetime
import os
import shutil
import sqlite3
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench  # noqa: E402
from bench import (DDL, best_of, generate, log, murphy_cluster, pg_load,  # noqa: E402
                   postgres_server)
import psycopg2  # noqa: E402

EXACT = "SELECT count(DISTINCT user_id) FROM events"
APPROX = "SELECT approx_count_distinct(user_id) FROM events"


def one_value(conn, sql):
    def run():
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchone()[0]
    return run


def last_stats(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT strategy, leader_rows, leader_bytes, shuffled_rows, shuffled_bytes "
                    "FROM murphy.query_stats")
        return cur.fetchall()[-1]


def bench_murphy(args, data, tmp):
    res = {}
    with murphy_cluster(args, tmp) as (conn, port):
        log("[murphy] loading")
        res["load"] = pg_load(conn, data)
        for name, strategy, sql in (("gather", "gather", EXACT),
                                    ("repartition", "repartition", EXACT),
                                    ("auto", "auto", EXACT),
                                    ("approximate", "auto", APPROX)):
            with conn.cursor() as cur:
                cur.execute("SET murphy.shuffle_strategy = %s", (strategy,))
            try:
                t, answer = best_of(args.repeat, one_value(conn, sql))
            except psycopg2.Error as e:
                log("[murphy] %s failed: %s" % (name, str(e).strip()))
                continue
            res[name] = {"time": t, "answer": answer, "stats": last_stats(conn)}
            log("[murphy] %s: %.3f s, answer %s, %r" % (name, t, answer, res[name]["stats"]))
    return res


def bench_postgres(args, data, tmp):
    with postgres_server() as (conn, server):
        log("[postgres] loading")
        pg_load(conn, data)
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE events")
        t, answer = best_of(args.repeat, one_value(conn, EXACT))
        log("[postgres] exact: %.3f s, answer %s" % (t, answer))
        return {"exact": {"time": t, "answer": answer}}


def bench_sqlite(args, data, tmp):
    path = os.path.join(tmp, "events.sqlite")
    db = sqlite3.connect(path)
    db.execute(DDL.replace("bigint PRIMARY KEY", "INTEGER PRIMARY KEY"))
    log("[sqlite] loading")
    with db, open(data) as f:
        db.executemany("INSERT INTO events VALUES (?, ?, ?, ?)",
                       (line.rstrip("\n").split("\t") for line in f))
    t, answer = best_of(args.repeat, lambda: db.execute(EXACT).fetchone()[0])
    log("[sqlite] exact: %.3f s, answer %s" % (t, answer))
    db.close()
    return {"exact": {"time": t, "answer": answer}}


def fmt_bytes(n):
    if n is None:
        return "—"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n /= 1024.0


def report(args, m, p, s):
    exact = p["exact"]["answer"] if p else None
    pt = p["exact"]["time"] if p else None
    g = m.get("gather") if m else None
    lines = [
        "# murphy shuffle benchmark, %s" % datetime.date.today().isoformat(),
        "",
        "%d events (id, user_id uniform in 1..%d, state, created_at), distributed by id; "
        "`SELECT count(DISTINCT user_id) FROM events`. murphy: %d followers, 8 shards, 3 copies "
        "(RF 3), on the same %d-core machine as PostgreSQL 15 (defaults, VACUUM ANALYZE) and "
        "SQLite %s; best of %d runs. Bytes from murphy.query_stats. Speed ratio: PostgreSQL's "
        "time ÷ this time (higher is better)."
        % (args.rows, args.users, args.followers, os.cpu_count(), sqlite3.sqlite_version,
           args.repeat),
        "",
        "| strategy | time | answer | into leader | follower → follower (network) | × PostgreSQL | bytes into leader ÷ gather's |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ("gather", "repartition", "auto", "approximate"):
        r = m.get(name) if m else None
        if not r:
            lines.append("| murphy %s | failed | | | | | |" % name)
            continue
        _, lrows, lbytes, srows, sbytes = r["stats"]
        err = ""
        if exact and name == "approximate":
            err = " (%+.2f%%)" % (100.0 * (r["answer"] - exact) / exact)
        lines.append("| murphy %s (%s) | %s | %s%s | %d rows, %s | %d rows, %s | %s | %s |" % (
            name, r["stats"][0], bench.fmt_time(r["time"]), r["answer"], err, lrows,
            fmt_bytes(lbytes), srows, fmt_bytes(sbytes),
            bench.ratio(r["time"], pt, False),
            "%.4f" % (lbytes / g["stats"][2]) if g and g["stats"][2] else "—"))
    for name, r in (("PostgreSQL", p), ("SQLite", s)):
        if r:
            lines.append("| %s exact | %s | %s | | | %s | |" % (
                name, bench.fmt_time(r["exact"]["time"]), r["exact"]["answer"],
                bench.ratio(r["exact"]["time"], pt, False)))
    lines.append("")
    if m and all(k in m for k in ("gather", "repartition", "approximate")):
        rep, gat, apx = m["repartition"], m["gather"], m["approximate"]
        lines += [
            "Targets (issue 4):",
            "- repartition faster than gather: %.3f s vs %.3f s — %s" % (
                rep["time"], gat["time"], "met" if rep["time"] < gat["time"] else "**missed**"),
            "- repartition's bytes into the leader ≤ 1/10 of gather's: %s vs %s — %s" % (
                fmt_bytes(rep["stats"][2]), fmt_bytes(gat["stats"][2]),
                "met" if rep["stats"][2] * 10 <= gat["stats"][2] else "**missed**"),
        ]
        best_exact = min(rep["time"], gat["time"], m.get("auto", rep)["time"])
        if pt:
            lines.append("- exact COUNT(DISTINCT) faster than PostgreSQL: %.3f s vs %.3f s — %s" % (
                best_exact, pt, "met" if best_exact < pt else "**missed**"))
        lines.append("- approximate ≥ 5× faster than exact: %.3f s vs %.3f s (%.1f×) — %s" % (
            apx["time"], best_exact, best_exact / apx["time"],
            "met" if apx["time"] * 5 <= best_exact else "**missed**"))
        if exact:
            e = abs(apx["answer"] - exact) / exact
            lines.append("- approximate within 1%%: %.3f%% — %s" % (
                100 * e, "met" if e <= 0.01 else "**missed**"))
    answers = {v["answer"] for k, v in (m or {}).items() if k in ("gather", "repartition", "auto")}
    if p:
        answers.add(exact)
    if s:
        answers.add(s["exact"]["answer"])
    lines.append("")
    lines.append("Exact answers %s across strategies and systems." %
                 ("agree" if len(answers) == 1 else "**DIFFER** (%s)" % sorted(answers)))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--followers", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--systems", default="murphy,postgres,sqlite")
    ap.add_argument("--tmp", default=None)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="murphy-bench-", dir=args.tmp)
    os.chmod(tmp, 0o755)
    res = {}
    try:
        data = os.path.join(tmp, "events.tsv")
        generate(data, args.rows, args.users)
        runners = {"murphy": bench_murphy, "postgres": bench_postgres, "sqlite": bench_sqlite}
        for name in args.systems.split(","):
            try:
                res[name] = runners[name](args, data, tmp)
            except Exception as e:
                log("[%s] FAILED: %s" % (name, e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    text = report(args, res.get("murphy"), res.get("postgres"), res.get("sqlite"))
    print(text)
    out = args.out
    if not out:
        suffix = "" if args.rows == 10_000_000 else "-%drows" % args.rows
        out = os.path.join(HERE, "results", "%s-shuffle%s.md" % (
            datetime.date.today().isoformat(), suffix))
    with open(out, "w") as f:
        f.write(text)
    log("written to " + out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
