#!/usr/bin/python3
"""What TLS between nodes costs (issue 20; not a test).

Two local clusters in the same run, identical but for `--node-tls on|off`
(3 followers, RF 3), and PostgreSQL 15 beside them; the workloads run
interleaved, --rounds times, the order of the systems swapped each round:

  - point reads: one client, `SELECT v FROM kv WHERE id = $1` (--ops)
  - replicated inserts: one client, autocommit INSERTs (RF 3: three copies)
  - shuffle: `SELECT count(DISTINCT v) FROM kv` (follower-to-follower links)
  - TPC-B: pgbench's default script, -c 8 -j 2 -T --seconds (after -i -s 1)

For each: throughput, p50 latency, and CPU per operation (user + system
time of every node process of that cluster, from /proc, over the run),
the TLS/plain ratio of the medians, and PostgreSQL's figure for scale.

    bench/bench_node_tls.py                   # 3 rounds
    bench/bench_node_tls.py --rounds 1 --ops 500 --seconds 5
Writes a markdown report to stdout and bench/results/<date>-node-tls.md.
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


TICK = os.sysconf("SC_CLK_TCK")


def stat(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()


def cpu_s(pids, children=False):
    """User + system seconds of pids (and of their exited, reaped children)."""
    total = 0
    for pid in pids:
        fields = stat(pid)
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if children:
            total += int(fields[13]) + int(fields[14])  # cutime, cstime
    return total / TICK


def pg_cpu_s(datadir):
    """The postmaster's time, its reaped backends' and its live children's."""
    with open(os.path.join(datadir, "postmaster.pid")) as f:
        pm = int(f.readline())
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if int(stat(int(d))[1]) == pm:
                    kids.append(int(d))
            except (OSError, IndexError):
                pass
    total = cpu_s([pm], children=True)
    for k in kids:
        try:
            total += cpu_s([k])
        except (OSError, IndexError):
            pass  # exited meanwhile: counted in the postmaster's cutime once reaped
    return total


class Sys:
    def __init__(self, name, connect, host_args, dbname, cpu):
        self.name, self.connect, self.host_args, self.dbname, self.cpu = (
            name, connect, host_args, dbname, cpu)


def timed(system, fn, n):
    """(ops/s, p50 ms, CPU ms per op) of n calls of fn(i)."""
    lat = []
    c0, t0 = system.cpu(), time.time()
    for i in range(n):
        s = time.perf_counter()
        fn(i)
        lat.append(time.perf_counter() - s)
    t1, c1 = time.time(), system.cpu()
    lat.sort()
    return n / (t1 - t0), lat[len(lat) // 2] * 1000, (c1 - c0) * 1000 / n


def point_reads(system, conn, ops, rows):
    cur = conn.cursor()
    return timed(system, lambda i: (cur.execute("SELECT v FROM kv WHERE id = %s",
                                                (i * 7919 % rows + 1,)), cur.fetchall()), ops)


def inserts(system, conn, ops, base):
    cur = conn.cursor()
    return timed(system, lambda i: cur.execute("INSERT INTO kv VALUES (%s, %s)",
                                               (base + i, "v%d" % (i % 100))), ops)


def shuffles(system, conn, ops):
    cur = conn.cursor()
    return timed(system, lambda i: (cur.execute("SELECT count(DISTINCT v) FROM kv"),
                                    cur.fetchall()), ops)


def tpcb(system, seconds):
    c0 = system.cpu()
    r = subprocess.run(["pgbench"] + system.host_args + ["-c", "8", "-j", "2", "-T",
                       str(seconds), "-n", system.dbname], capture_output=True, text=True,
                       timeout=seconds + 300)
    c1 = system.cpu()
    m = re.search(r"tps = ([\d.]+) \(without initial", r.stdout)
    n = re.search(r"number of transactions actually processed: (\d+)", r.stdout)
    if not m or not n:
        raise RuntimeError("pgbench failed:\n" + r.stdout + r.stderr)
    lat = re.search(r"latency average = ([\d.]+) ms", r.stdout)
    return float(m.group(1)), float(lat.group(1)) if lat else float("nan"), \
        (c1 - c0) * 1000 / int(n.group(1))


def setup(system, rows):
    conn = system.connect()
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS kv")
    cur.execute("CREATE TABLE kv (id bigint PRIMARY KEY, v text)" +
                (" WITH (shards = 4, replicas = 3)" if system.name != "PostgreSQL" else ""))
    cur.execute("INSERT INTO kv SELECT g, 'v' || (g %% 100) FROM generate_series(1, %s) g",
                (rows,))
    r = subprocess.run(["pgbench"] + system.host_args + ["-i", "-s", "1", "-q",
                       system.dbname], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError("pgbench -i failed:\n" + r.stdout + r.stderr)
    return conn


def murphy_sys(cl, name):
    nodes = ["leader"] + ["f%d" % i for i in range(1, cl.followers + 1)]
    return Sys(name, cl.connect, ["-h", "127.0.0.1", "-p", str(cl.port), "-U", "murphy"],
               "murphy", lambda: cpu_s([cl.pid(n) for n in nodes]))


def pg_sys(pg):
    return Sys("PostgreSQL", pg.connect, ["-h", "127.0.0.1", "-p", str(pg.port), "-U",
                                          "postgres"], "postgres", lambda: pg_cpu_s(pg.datadir))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--ops", type=int, default=2000)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--rows", type=int, default=20000)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="murphy-bench-tls-")
    on = Local(tmp, "on", 3, 1500, 10000, ("--node-tls", "on")).start()
    off = Local(tmp, "off", 3, 1500, 10000, ("--node-tls", "off")).start()
    pg = PgServer().start()
    systems = [murphy_sys(on, "node TLS on"), murphy_sys(off, "node TLS off"), pg_sys(pg)]
    res = {s.name: {} for s in systems}
    try:
        conns = {s.name: setup(s, a.rows) for s in systems}
        for r in range(a.rounds):
            order = systems if r % 2 == 0 else list(reversed(systems))
            for s in order:
                c = conns[s.name]
                log("round %d: %s" % (r + 1, s.name))
                res[s.name].setdefault("point read", []).append(point_reads(s, c, a.ops, a.rows))
                res[s.name].setdefault("insert (RF 3)", []).append(
                    inserts(s, c, a.ops // 2, 10 ** 9 * (r + 1)))
                res[s.name].setdefault("count(DISTINCT) shuffle", []).append(
                    shuffles(s, c, max(5, a.ops // 100)))
                res[s.name].setdefault("TPC-B (8 clients)", []).append(tpcb(s, a.seconds))
    finally:
        on.stop()
        off.stop()
        pg.stop()
    out = report(a, systems, res)
    print(out)
    path = os.path.join(HERE, "results", "%s-node-tls.md" % datetime.date.today().isoformat())
    with open(path, "w") as f:
        f.write(out)
    log("wrote " + path)


def med(xs, k):
    return statistics.median(x[k] for x in xs)


def report(a, systems, res):
    lines = ["# TLS between nodes: what it costs (bench/bench_node_tls.py)", "",
             "%s, %d CPUs, load %s; %d rounds interleaved (order swapped each round), %d ops "
             "per read round, %d rows; TPC-B %d s, 8 clients, scale 1. Medians of the rounds; "
             "CPU = user+system of every node process (murphy) or every postgres process." % (
                 platform.node(), os.cpu_count(), " ".join("%.1f" % x for x in os.getloadavg()),
                 a.rounds, a.ops, a.rows, a.seconds), "",
             "| workload | system | ops/s | p50 ms (TPC-B: avg) | CPU ms/op | ops/s vs TLS off "
             "| CPU/op vs TLS off |", "|---|---|---|---|---|---|---|"]
    for w in res[systems[0].name]:
        base = res["node TLS off"][w]
        for s in systems:
            xs = res[s.name][w]
            lines.append("| %s | %s | %.0f | %.2f | %.3f | %.2fx | %.2fx |" % (
                w, s.name, med(xs, 0), med(xs, 1), med(xs, 2),
                med(xs, 0) / med(base, 0), med(xs, 2) / max(med(base, 2), 1e-9)))
    lines.append("")
    lines.append("Rounds (ops/s): " + "; ".join(
        "%s %s: %s" % (s.name, w, ", ".join("%.0f" % x[0] for x in res[s.name][w]))
        for w in res[systems[0].name] for s in systems))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
