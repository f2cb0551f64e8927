#!/usr/bin/python3
"""Transaction benchmark (issue 16; not a test).

1. TPC-B: `pgbench -i -s --scale` then the default TPC-B script
   (`pgbench -c --clients -j 2 -T --seconds`) against murphy (3 followers,
   pgbench's tables at RF 3, write_quorum majority: the defaults) and
   PostgreSQL 15 (synchronous_commit on) in the same run, --rounds times
   back to back (the machine's speed drifts; the target is judged on the
   median of the per-round ratios).  After each run the balances are
   checked: sum(abalance) = sum(tbalance) = sum(bbalance) = sum(delta).
2. Latency of one client, one statement at a time, on the loaded
   pgbench_accounts (--latency-ops operations each, the three interleaved):
     - the one-row UPDATE in autocommit,
     - the same UPDATE in BEGIN; UPDATE; COMMIT (time of all three, and
       of the COMMIT alone: the commit marker's cost),
     - a transfer between two accounts on different shards (BEGIN; two
       UPDATEs; COMMIT): p50/p99 in ms, the transaction's ratio to
       autocommit, murphy and PostgreSQL.

Targets (issue 16): TPC-B ≥ 0.5× PostgreSQL's TPS with 8 clients; a
single-shard transaction's latency ≤ 1.3× the same statement in autocommit.

    bench/bench_txn.py                       # 8 clients, 10 s, 3 rounds
    bench/bench_txn.py --seconds 5 --rounds 1 --latency-ops 200
Writes a markdown report to stdout and bench/results/<date>-txn.md.
"""
import argparse
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "cluster"))

from bench_replication import Local, log  # noqa: E402
from pgserver import PgServer  # noqa: E402

PGBENCH_TIMEOUT_S = 600  # -i -s 1 and a 10 s run take seconds; a hung cluster must not hang the bench
SUSPECT_MS, DEAD_MS = 1500, 10000  # murphy's defaults
COMMIT_ALONE = "its COMMIT alone"  # the single-shard transaction's COMMIT: the marker's cost


class System:
    """One system under test: its pgbench connection arguments and a psycopg2 connect()."""

    def __init__(self, name, host_args, dbname, connect):
        self.name, self.host_args, self.dbname, self.connect = name, host_args, dbname, connect

    def pgbench(self, *args):
        r = subprocess.run(["pgbench"] + self.host_args + list(args) + [self.dbname],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=PGBENCH_TIMEOUT_S)
        if r.returncode != 0:
            raise RuntimeError("pgbench %s on %s failed:\n%s\n%s"
                               % (" ".join(args), self.name, r.stdout, r.stderr[-3000:]))
        return r.stdout


def q1(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


# ---- TPC-B ------------------------------------------------------------------

def balances(conn):
    """(sum abalance, sum tbalance, sum bbalance, sum delta): equal when consistent."""
    return tuple(int(q1(conn, "SELECT coalesce(sum(%s), 0) FROM %s" % (col, table))[0])
                 for col, table in (("abalance", "pgbench_accounts"),
                                    ("tbalance", "pgbench_tellers"),
                                    ("bbalance", "pgbench_branches"),
                                    ("delta", "pgbench_history")))


# pgbench's built-in TPC-B script (tpcb-like) with the session setting that
# chooses how murphy commits its multi-shard transactions (--parallel-commits
# on|off; the default, without it: the server's default, on since
# 2026-12-07; pgbench cannot set it once per connection: one more client
# round trip per transaction, outside any lock).  PostgreSQL runs the same
# script (the SET of a dotted name is a placeholder there).
TPCB_PARALLEL = """\\set aid random(1, 100000 * :scale)
\\set bid random(1, 1 * :scale)
\\set tid random(1, 10 * :scale)
\\set delta random(-5000, 5000)
SET murphy.parallel_commits = %s;
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
END;
"""


def tpcb(args, system):
    system.pgbench("-i", "-q", "-s", str(args.scale))
    script = []
    if args.parallel_commits:
        path = os.path.join(tempfile.gettempdir(), "murphy-tpcb-parallel-%d.sql" % os.getpid())
        with open(path, "w") as f:
            f.write(TPCB_PARALLEL % args.parallel_commits)
        script = ["-f", path]
    out = system.pgbench("-c", str(args.clients), "-j", "2", "-T", str(args.seconds), *script)
    tps = float(re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out).group(1))
    lat = float(re.search(r"latency average = ([0-9.]+) ms", out).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", out)
    done = int(re.search(r"number of transactions actually processed: (\d+)", out).group(1))
    c = system.connect()
    sums = balances(c)
    c.close()
    return {"tps": tps, "lat_ms": lat, "done": done,
            "failed": int(failed.group(1)) if failed else 0,
            "sums": sums, "consistent": len(set(sums)) == 1}


# ---- latency ----------------------------------------------------------------

def shard_line(conn, aid):
    with conn.cursor() as cur:
        cur.execute("EXPLAIN SELECT * FROM pgbench_accounts WHERE aid = %d" % aid)
        plan = "\n".join(r[0] for r in cur.fetchall())
    m = re.search(r"Shards:.*\(shard \d+\)", plan)
    return m.group(0) if m else None


def two_shard_aids(conn, murphy):
    """Two accounts on different shards (murphy: by EXPLAIN; PostgreSQL: any two)."""
    if not murphy:
        return 1, 2
    first = shard_line(conn, 1)
    for aid in range(2, 200):
        if shard_line(conn, aid) != first:
            return 1, aid
    raise RuntimeError("one shard holds accounts 1..199")


def percentiles(lat):
    lat = sorted(lat)
    n = len(lat)
    return {"p50_ms": lat[n // 2] * 1000, "p99_ms": lat[min(n - 1, int(0.99 * n))] * 1000, "n": n}


def latency(args, system, murphy):
    """The three operations interleaved (one of each in turn), so that the
    machine's drift and background work weigh on all three alike."""
    conn = system.connect()
    if args.parallel_commits:
        with conn.cursor() as cur:
            cur.execute("SET murphy.parallel_commits = %s" % args.parallel_commits)
    a, b = two_shard_aids(conn, murphy)
    upd = "UPDATE pgbench_accounts SET abalance = abalance + %s WHERE aid = %s"

    def autocommit(cur, i):
        cur.execute(upd, (1, 1 + i % 1000))

    def single(cur, i):
        cur.execute("BEGIN")
        cur.execute(upd, (1, 1 + i % 1000))
        t0 = time.perf_counter()
        cur.execute("COMMIT")
        lat[COMMIT_ALONE].append(time.perf_counter() - t0)

    def transfer(cur, i):
        cur.execute("BEGIN")
        cur.execute(upd, (-1, a))
        cur.execute(upd, (1, b))
        cur.execute("COMMIT")

    ops = (("autocommit", autocommit), ("single-shard transaction", single),
           ("two-shard transfer", transfer))
    lat = {name: [] for name, _ in ops}
    lat[COMMIT_ALONE] = []
    with conn.cursor() as cur:
        for i in range(args.latency_ops):
            for name, body in ops:
                t0 = time.perf_counter()
                body(cur, i)
                lat[name].append(time.perf_counter() - t0)
    conn.close()
    return {name: percentiles(l) for name, l in lat.items()}


# ---- systems ----------------------------------------------------------------

def on_murphy(args, tmp, name, body):
    cl = Local(tmp, name, 3, SUSPECT_MS, DEAD_MS).start()
    try:
        return body(System("murphy", ["-h", "127.0.0.1", "-p", str(cl.port), "-U", "murphy"],
                           "murphy", cl.connect))
    finally:
        cl.stop()


def on_pg(body):
    server = PgServer().start()
    try:
        connect = server.connect
        c = connect()
        assert q1(c, "SHOW synchronous_commit")[0] == "on"
        c.close()
        return body(System("PostgreSQL", ["-h", "127.0.0.1", "-p", str(server.port),
                                          "-U", "postgres"], "postgres", connect))
    finally:
        server.stop()


def run_both(args, system, murphy):
    res = tpcb(args, system)
    log("  %s: %.0f tps, balances %s" % (system.name, res["tps"], res["sums"]))
    if not args.skip_latency:
        res["latency"] = latency(args, system, murphy)
    return res


# ---- report -----------------------------------------------------------------

def report(args, rounds):
    ratios = [m["tps"] / p["tps"] for p, m in rounds if p["tps"]]
    med = statistics.median(ratios) if ratios else None
    out = ["# murphy transaction benchmark — %s" % datetime.date.today(), "",
           "%s, %d CPUs; pgbench TPC-B (%s), scale %d, %d clients, -j 2, %d s per "
           "run; murphy: local cluster, 3 followers, RF 3, write_quorum majority; PostgreSQL 15: "
           "synchronous_commit on. Each round: PostgreSQL then murphy, back to back."
           % (platform.platform(), os.cpu_count(),
              "built-in script with SET murphy.parallel_commits = %s, both systems"
              % args.parallel_commits if args.parallel_commits else "default script",
              args.scale, args.clients, args.seconds), "",
           "| round | PostgreSQL tps | murphy tps | ratio | PostgreSQL latency ms | "
           "murphy latency ms | murphy failed | balances equal (PostgreSQL / murphy) |",
           "|---|---|---|---|---|---|---|---|"]
    for k, (p, m) in enumerate(rounds, 1):
        out.append("| %d | %.0f | %.0f | %.2f× | %.1f | %.1f | %d | %s / %s |"
                   % (k, p["tps"], m["tps"], m["tps"] / p["tps"], p["lat_ms"], m["lat_ms"],
                      m["failed"], "yes" if p["consistent"] else "NO %s" % (p["sums"],),
                      "yes" if m["consistent"] else "NO %s" % (m["sums"],)))
    if med is not None:
        out.append("| median | | | %.2f× | | | | |" % med)
    lat_ratios = []
    if not args.skip_latency:
        out += ["", "Latency, one client, one operation at a time, the three interleaved "
                "(%d each, accounts of the loaded scale-%d table; round %d of %d):"
                % (args.latency_ops, args.scale, len(rounds), len(rounds)), "",
                "| operation | murphy p50 ms | murphy p99 ms | PostgreSQL p50 ms | "
                "PostgreSQL p99 ms |", "|---|---|---|---|---|"]
        p, m = rounds[-1]
        for op in m["latency"]:
            out.append("| %s | %.2f | %.2f | %.2f | %.2f |"
                       % (op, m["latency"][op]["p50_ms"], m["latency"][op]["p99_ms"],
                          p["latency"][op]["p50_ms"], p["latency"][op]["p99_ms"]))
        out += ["", "Single-shard transaction (and its COMMIT alone) ÷ autocommit, p50 by round:",
                ""]

        def ratio(r, op):
            return r["latency"][op]["p50_ms"] / r["latency"]["autocommit"]["p50_ms"]
        for k, (p, m) in enumerate(rounds, 1):
            r = ratio(m, "single-shard transaction")
            lat_ratios.append(r)
            out.append("- round %d: murphy %.2f× (COMMIT %.2f×), PostgreSQL %.2f× (COMMIT %.2f×)"
                       % (k, r, ratio(m, COMMIT_ALONE), ratio(p, "single-shard transaction"),
                          ratio(p, COMMIT_ALONE)))
    lat_med = statistics.median(lat_ratios) if lat_ratios else None
    out += ["", "Targets: TPC-B ≥ 0.5× PostgreSQL (median of %d rounds: %s): %s; single-shard "
            "transaction ≤ 1.3× autocommit (median p50 ratio: %s): %s; balances consistent "
            "after every run: %s"
            % (len(rounds), "%.2f×" % med if med else "—",
               "yes" if med and med >= 0.5 else "no",
               "%.2f×" % lat_med if lat_med else "not measured",
               "not measured" if lat_med is None else "yes" if lat_med <= 1.3 else "no",
               "yes" if all(p["consistent"] and m["consistent"] for p, m in rounds) else "NO")]
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--latency-ops", type=int, default=300)
    ap.add_argument("--skip-latency", action="store_true")
    ap.add_argument("--parallel-commits", choices=("on", "off"), default=None,
                    help="SET murphy.parallel_commits to this in the TPC-B script and the "
                    "latency session (both systems; default: the server's default)")
    ap.add_argument("--out", default=None, help="report file (default bench/results/<date>-txn.md)")
    args = ap.parse_args()
    rounds = []
    with tempfile.TemporaryDirectory(prefix="murphy-bench-txn-") as tmp:
        for k in range(1, args.rounds + 1):
            log("round %d/%d: PostgreSQL, then murphy" % (k, args.rounds))
            p = on_pg(lambda s: run_both(args, s, False))
            m = on_murphy(args, tmp, "txn_%d" % k, lambda s: run_both(args, s, True))
            rounds.append((p, m))
    text = report(args, rounds)
    print(text)
    path = args.out or os.path.join(HERE, "results", "%s-txn.md" % datetime.date.today())
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    log("wrote " + path)
    if not all(p["consistent"] and m["consistent"] for p, m in rounds):
        sys.exit(1)


if __name__ == "__main__":
    main()
