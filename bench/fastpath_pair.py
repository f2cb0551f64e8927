#!/usr/bin/python3
"""Point SELECT and COPY of two murphy builds side by side, at the same time (not a test).

Issue 16's fast-path bullet ("point SELECT and COPY within 10 % of today's
numbers") compares a build with one from before transactions.  Back-to-back
runs cannot judge 10 % on a shared 2-core machine (single runs swing 3×:
bench/results/2026-12-07-audit16-fastpath.md), so, as bench/cpu_pair.sh
does for TPC-B, this script runs the same workload on two clusters (one
per binary, 3 followers each) AT THE SAME TIME, so both see the same
machine load, and measures each cluster's CPU per operation (leader +
followers, utime + stime from /proc/PID/stat), which moves much less with
the load than throughput does, and context switches per operation (every
thread's, /proc/PID/task/*/status: hops that cost waiting, not CPU).

Each pair runs, on both clusters at once:
  select   pgbench -n -S -c 8 -j 2 -T SECONDS (simple protocol)
  prepared the same with -M prepared
  copy     one client per cluster: COPY of --copy-rows rows (~45 bytes each)
           into a fresh distributed `events` table, repeated for SECONDS
then the same workload on PostgreSQL 15 alone, for scale (its CPU: the
postmaster, its live children and its reaped children).  The order in
which the two clusters are started on each workload alternates between
pairs.  The tables are loaded by CREATE TABLE + COPY (not `pgbench -i`,
which builds from before issue 16 lack), the same on every system.

Reported per workload: median over pairs of new/old throughput and of
new/old CPU per operation (and every pair), and each system's ratio to
PostgreSQL.  COPY throughput is rows / (sum of the COPY statements' wall
times), so a client's own row generation between statements is not
counted.

    bench/fastpath_pair.py /work/base/murphy-pretxn build/murphy
    bench/fastpath_pair.py OLD NEW --pairs 6 --seconds 10 --out bench/results/X.md
"""
import argparse
import io
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "cluster"))
os.environ.setdefault("PGSSLMODE", "disable")  # like for like with the PostgreSQL control

import psycopg2  # noqa: E402

from pgserver import PgServer, free_port  # noqa: E402

PGBENCH = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
HZ = os.sysconf("SC_CLK_TCK")
NODES = ("leader", "f1", "f2", "f3")
STATES = ("AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
          "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY").split()
EVENTS = ("CREATE TABLE events (id bigint PRIMARY KEY, user_id int NOT NULL, state text NOT NULL, "
          "created_at timestamp NOT NULL)")
PGBENCH_TABLES = ("CREATE TABLE pgbench_branches (bid int PRIMARY KEY, bbalance int, filler char(88))",
                  "CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, "
                  "filler char(84))")


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def stat_ticks(pid, children=False):
    """utime + stime of pid (with its reaped children's when asked), in ticks."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state): utime, stime are 14, 15; cutime, cstime 16, 17
    t = int(fields[11]) + int(fields[12])
    if children:
        t += int(fields[13]) + int(fields[14])
    return t


class Murphy:
    def __init__(self, label, binary, tmp):
        self.label, self.binary = label, os.path.abspath(binary)
        self.dir = os.path.join(tmp, label)
        self.port = None

    def start(self):
        for _ in range(3):  # a port may be taken meanwhile: try another
            self.port = free_port(count=6)
            r = subprocess.run([self.binary, "local", "start", "--dir", self.dir, "--followers", "3",
                                "--pg-port", str(self.port)], capture_output=True, text=True,
                               timeout=180)
            if r.returncode == 0:
                break
        else:
            raise RuntimeError("%s: local start failed:\n%s%s" % (self.label, r.stdout, r.stderr))
        self.pids = {}
        for n in NODES:
            with open(os.path.join(self.dir, n, "murphy.pid")) as f:
                self.pids[n] = int(f.read().split()[0])
        self.user = self.dbname = "murphy"
        return self

    def stop(self):
        subprocess.run([self.binary, "local", "stop", "--dir", self.dir], capture_output=True,
                       timeout=120)

    def connect(self):
        c = psycopg2.connect(host="127.0.0.1", port=self.port, user=self.user, dbname=self.dbname)
        c.autocommit = True
        return c

    def cpu(self):
        """{node: ticks} of the leader and each follower (every thread)."""
        return {n: stat_ticks(p) for n, p in self.pids.items()}

    def switches(self):
        """{node: context switches} of each node, every thread (hops between threads and
        processes: each one waits for a CPU on a loaded machine, where CPU time does not show)."""
        out = {}
        for n, p in self.pids.items():
            out[n] = 0
            for t in os.listdir("/proc/%d/task" % p):
                try:
                    with open("/proc/%d/task/%s/status" % (p, t)) as f:
                        out[n] += sum(int(l.split()[1]) for l in f if "ctxt_switches" in l)
                except OSError:
                    pass
        return out


class Postgres(Murphy):
    def __init__(self):
        self.label, self.server = "postgres", None

    def start(self):
        self.server = PgServer().start()
        self.port, self.user, self.dbname = self.server.port, "postgres", "postgres"
        with open(os.path.join(self.server.datadir, "postmaster.pid")) as f:
            self.postmaster = int(f.readline())
        return self

    def stop(self):
        if self.server:
            self.server.stop()

    def cpu(self):
        """The postmaster, its reaped children and its live children, in ticks."""
        total = stat_ticks(self.postmaster, children=True)
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    s = f.read()
                if int(s.rsplit(")", 1)[1].split()[1]) == self.postmaster:
                    total += stat_ticks(int(d))
            except (OSError, ValueError, IndexError):
                pass  # it exited meanwhile: its time is in the postmaster's cutime now
        return {"all": total}

    def switches(self):
        return {}


def copy_text(first_id, rows, seed=42):
    """rows of events, ids first_id.., COPY text (a 64-bit LCG as bench.py)."""
    x, mask, out = seed + first_id, (1 << 64) - 1, []
    for i in range(first_id, first_id + rows):
        x = (x * 6364136223846793005 + 1442695040888963407) & mask
        out.append("%d\t%d\t%s\t2024-%02d-%02d %02d:%02d:%02d\n" % (
            i, 1 + (x >> 11) % 1000000, STATES[(x >> 40) % 50], 1 + (x >> 20) % 12,
            1 + (x >> 24) % 28, (x >> 30) % 24, (x >> 35) % 60, (x >> 45) % 60))
    return "".join(out)


def load(system, accounts):
    """pgbench's two tables for -S (1 branch: scale 1 → aid in 1..100000)."""
    c = system.connect()
    with c.cursor() as cur:
        for t in ("pgbench_accounts", "pgbench_branches"):
            cur.execute("DROP TABLE IF EXISTS " + t)
        for ddl in PGBENCH_TABLES:
            cur.execute(ddl)
        cur.copy_expert("COPY pgbench_branches FROM STDIN", io.StringIO("1\t0\t\\N\n"))
        body = "".join("%d\t1\t0\t%s\n" % (i, " " * 84) for i in range(1, accounts + 1))
        cur.copy_expert("COPY pgbench_accounts FROM STDIN", io.StringIO(body), size=1 << 16)
        cur.execute("SELECT count(*) FROM pgbench_accounts")
        assert cur.fetchone()[0] == accounts, system.label + " lost rows"
        if system.label == "postgres":
            cur.execute("VACUUM ANALYZE pgbench_accounts")
    c.close()


def pgbench_start(system, prepared, seconds, out):
    cmd = [PGBENCH, "-n", "-S", "-c", "8", "-j", "2", "-T", str(seconds), "-h", "127.0.0.1",
           "-p", str(system.port), "-U", system.user, system.dbname]
    if prepared:
        cmd[3:3] = ["-M", "prepared"]
    return subprocess.Popen(cmd, stdout=open(out, "w"), stderr=subprocess.STDOUT)


def pgbench_result(system, out):
    text = open(out).read()
    n = re.search(r"number of transactions actually processed: (\d+)", text)
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", text)
    failed = re.search(r"number of failed transactions: (\d+)", text)
    if not n or not tps or (failed and int(failed.group(1))):
        raise RuntimeError("%s: pgbench failed:\n%s" % (system.label, text))
    return int(n.group(1)), float(tps.group(1))


def copy_worker(port, user, dbname, rows, seconds, go, results):
    """COPY rows-row batches into events until seconds have passed after go."""
    c = psycopg2.connect(host="127.0.0.1", port=port, user=user, dbname=dbname)
    c.autocommit = True
    cur = c.cursor()
    next_id, busy, done = 1, 0.0, 0
    body = copy_text(next_id, rows)
    go.wait()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        t0 = time.monotonic()
        cur.copy_expert("COPY events FROM STDIN", io.StringIO(body), size=1 << 16)
        busy += time.monotonic() - t0
        done += rows
        next_id += rows
        body = copy_text(next_id, rows)
    c.close()
    results.put((port, done, busy))


def run_workload(systems, workload, args, tmp):
    """workload on every system at once; {label: (ops, ops/s, {node: ms per op})}."""
    res = {}
    if workload == "copy":
        for s in systems:
            c = s.connect()
            with c.cursor() as cur:
                cur.execute("DROP TABLE IF EXISTS events")
                cur.execute(EVENTS)
            c.close()
        go, results = multiprocessing.Event(), multiprocessing.Queue()
        procs = [multiprocessing.Process(target=copy_worker, args=(
            s.port, s.user, s.dbname, args.copy_rows, args.seconds, go, results)) for s in systems]
        for p in procs:
            p.start()
        time.sleep(2)  # connected, first batch generated
        before = {s.label: s.cpu() for s in systems}
        cs0 = {s.label: s.switches() for s in systems}
        go.set()
        got = {}
        for _ in procs:
            port, done, busy = results.get(timeout=args.seconds + 600)
            got[port] = (done, busy)
        for p in procs:
            p.join()
        time.sleep(1)
        after = {s.label: s.cpu() for s in systems}
        cs1 = {s.label: s.switches() for s in systems}
        for s in systems:
            done, busy = got[s.port]
            res[s.label] = (done, done / busy, before[s.label], after[s.label])
        for s in systems:  # the rows arrived
            c = s.connect()
            with c.cursor() as cur:
                cur.execute("SELECT count(*) FROM events")
                assert cur.fetchone()[0] == res[s.label][0], s.label + " lost COPY rows"
            c.close()
    else:
        before = {s.label: s.cpu() for s in systems}
        cs0 = {s.label: s.switches() for s in systems}
        outs = {s.label: os.path.join(tmp, "pgbench-%s.out" % s.label) for s in systems}
        procs = [pgbench_start(s, workload == "prepared", args.seconds, outs[s.label])
                 for s in systems]
        for p in procs:
            p.wait()
        time.sleep(1)  # PostgreSQL's backends exited and reaped: their time is in its cutime
        after = {s.label: s.cpu() for s in systems}
        cs1 = {s.label: s.switches() for s in systems}
        for s in systems:
            n, tps = pgbench_result(s, outs[s.label])
            res[s.label] = (n, tps, before[s.label], after[s.label])
    out = {}
    for label, (n, rate, b, a) in res.items():
        # CPU per operation in ms; COPY: per 1000 rows
        unit = 1000.0 / n if workload != "copy" else 1000.0 * 1000 / n
        sw = {k: (cs1[label][k] - cs0[label][k]) * unit / 1000.0 for k in cs1[label]}
        out[label] = (n, rate, {k: (a[k] - b[k]) * unit / HZ for k in a}, sw)
    return out


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--pairs", type=int, default=6)
    ap.add_argument("--seconds", type=int, default=10, help="per workload and pair")
    ap.add_argument("--copy-rows", type=int, default=100000, help="rows per COPY (~45 bytes each)")
    ap.add_argument("--accounts", type=int, default=100000, help="pgbench_accounts rows (scale 1)")
    ap.add_argument("--workloads", default="select,prepared,copy")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--out", help="also write the markdown report here")
    args = ap.parse_args()
    workloads = args.workloads.split(",")
    tmp = tempfile.mkdtemp(prefix="fastpath-pair-")
    old, new = Murphy("old", args.old, tmp), Murphy("new", args.new, tmp)
    pg = None if args.no_postgres else Postgres()
    started = []
    rows = []  # (pair, workload, order, {label: (n, rate, cpu)})
    load_avg = []
    try:
        for s in [old, new] + ([pg] if pg else []):
            s.start()
            started.append(s)
            log("%s: started on port %d; loading" % (s.label, s.port))
            load(s, args.accounts)
        for p in range(args.pairs):
            pair = [old, new] if p % 2 == 0 else [new, old]
            for w in workloads:
                load_avg.append(os.getloadavg()[0])
                r = run_workload(pair, w, args, tmp)
                if pg:
                    r.update(run_workload([pg], w, args, tmp))
                rows.append((p + 1, w, "/".join(s.label for s in pair), r))
                log("pair %d %-8s " % (p + 1, w) + "  ".join(
                    "%s %.0f/s %.4f ms" % (k, v[1], sum(v[2].values())) for k, v in sorted(r.items())))
    finally:
        for s in started:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    text = report(args, workloads, rows, load_avg)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


def report(args, workloads, rows, load_avg):
    L = []
    L.append("Command: `bench/fastpath_pair.py %s %s --pairs %d --seconds %d --copy-rows %d`" % (
        args.old, args.new, args.pairs, args.seconds, args.copy_rows))
    L.append("")
    L.append("Load average (1 min) at the start of each workload: %.1f-%.1f, median %.1f." % (
        min(load_avg), max(load_avg), median(load_avg)))
    L.append("")
    unit = {"select": "ms / SELECT", "prepared": "ms / SELECT", "copy": "ms / 1000 rows"}
    rate = {"select": "SELECT/s", "prepared": "SELECT/s", "copy": "rows/s"}
    name = {"select": "point SELECT, simple (`pgbench -S`)",
            "prepared": "point SELECT, prepared (`pgbench -S -M prepared`)",
            "copy": "COPY of %d rows into `events`, repeated" % args.copy_rows}
    L.append("| workload | new/old throughput (median) | new/old CPU per op (median) | "
             "new/old leader CPU per op | old ÷ PG throughput | new ÷ PG throughput | "
             "old, new, PG CPU per op (median) |")
    L.append("|---|---|---|---|---|---|---|")
    for w in workloads:
        rs = [r for (_, ww, _, r) in rows if ww == w]
        tr = [r["new"][1] / r["old"][1] for r in rs]
        cr = [sum(r["new"][2].values()) / sum(r["old"][2].values()) for r in rs]
        lr = [r["new"][2]["leader"] / r["old"][2]["leader"] for r in rs]
        pgs = "postgres" in rs[0]
        op = [r["old"][1] / r["postgres"][1] for r in rs] if pgs else []
        np_ = [r["new"][1] / r["postgres"][1] for r in rs] if pgs else []
        cpu = [median([sum(r[k][2].values()) for r in rs]) for k in ("old", "new", "postgres")
               if k in rs[0]]
        L.append("| %s | **%.3f** (%.3f-%.3f) | **%.3f** (%.3f-%.3f) | %.3f | %s | %s | %s %s |" % (
            name[w], median(tr), min(tr), max(tr), median(cr), min(cr), max(cr), median(lr),
            "%.2f×" % median(op) if op else "—", "%.2f×" % median(np_) if np_ else "—",
            ", ".join("%.4f" % c for c in cpu), unit[w]))
    L.append("")
    L.append("Every pair (throughput in %s; CPU per op leader + f1 + f2 + f3, PostgreSQL all its "
             "processes):" % "/".join(sorted(set(rate[w] for w in workloads))))
    L.append("")
    L.append("| pair | workload | started first | old | new | PostgreSQL | new/old thr. | new/old CPU |")
    L.append("|---|---|---|---|---|---|---|---|")
    for p, w, order, r in rows:
        def cell(k):
            if k not in r:
                return "—"
            n, rt, c = r[k][:3]
            return "%.0f %s, %.4f %s" % (rt, rate[w], sum(c.values()), unit[w])
        L.append("| %d | %s | %s | %s | %s | %s | %.3f | %.3f |" % (
            p, w, order.split("/")[0], cell("old"), cell("new"), cell("postgres"),
            r["new"][1] / r["old"][1], sum(r["new"][2].values()) / sum(r["old"][2].values())))
    L.append("")
    L.append("CPU per op by node (median over pairs, old → new):")
    L.append("")
    for w in workloads:
        rs = [r for (_, ww, _, r) in rows if ww == w]
        L.append("- %s: " % w + ", ".join(
            "%s %.4f → %.4f" % (n, median([r["old"][2][n] for r in rs]), median([r["new"][2][n] for r in rs]))
            for n in NODES) + " (%s)" % unit[w])
    L.append("")
    L.append("Context switches per op by node, every thread (median over pairs, old → new):")
    L.append("")
    for w in workloads:
        rs = [r for (_, ww, _, r) in rows if ww == w]
        L.append("- %s: " % w + ", ".join(
            "%s %.2f → %.2f" % (n, median([r["old"][3][n] for r in rs]), median([r["new"][3][n] for r in rs]))
            for n in NODES) + " (per %s)" % ("SELECT" if w != "copy" else "1000 rows"))
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    main()
