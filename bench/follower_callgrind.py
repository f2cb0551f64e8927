#!/usr/bin/python3
"""A follower's instructions per pgbench TPC-B transaction, under callgrind (not a test).

    bench/follower_callgrind.py BIN OUT.cg [--txns 2000] [--clients 8]
    callgrind_annotate OUT.cg | head -60            (self, per function)
    callgrind_annotate --inclusive=yes OUT.cg       (with callees)

CPU per transaction swings with the shared machine's load (bench/cpu_pair.sh
runs two builds at once to compare them); a follower's instruction count
does not, so two builds can be compared one after the other, function by
function.  One fresh local cluster (3 followers, RF 3), `pgbench -i -s 1`;
follower f1 is stopped and started again with the same arguments under
`valgrind --tool=callgrind --instr-atstart=no` (the leader sees it return
and it catches up); pgbench runs --warmup transactions (200), then --txns more
(8 clients, -t) with instrumentation on (callgrind_control -i on/off).
Divide the totals by the transactions printed (pgbench_history rows added
while instrumentation was on).

What it does not see (as bench/copy_callgrind.py): system time, cache
misses, and per-second work (ticks, heartbeats) which the slower run under
valgrind inflates.  f1 runs ~50x slower under callgrind, so its batches are
larger than without it (fewer SQLite commits per transaction, fewer
fdatasyncs): compare builds measured the same way, not with cpu_pair.sh's
absolute numbers.
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "cluster"))
os.environ.setdefault("PGSSLMODE", "disable")

import psycopg2  # noqa: E402

from copy_callgrind import restart_under_callgrind  # noqa: E402
from fastpath_pair import Murphy  # noqa: E402

WARMUP = 200


def pgbench(m, password, args):
    env = dict(os.environ, PGPASSWORD=password)
    r = subprocess.run(["pgbench", "-h", "127.0.0.1", "-p", str(m.port), "-U", "murphy"] + args +
                       ["murphy"], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("pgbench %s failed:\n%s%s" % (args, r.stdout, r.stderr))
    return r.stdout


def history(m, password):
    c = psycopg2.connect(host="127.0.0.1", port=m.port, user="murphy", dbname="murphy",
                         password=password)
    c.autocommit = True
    cur = c.cursor()
    cur.execute("SELECT count(*) FROM pgbench_history")
    n = cur.fetchone()[0]
    c.close()
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("out")
    ap.add_argument("--txns", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--node", default="f1")
    ap.add_argument("--warmup", type=int, default=WARMUP,
                    help="transactions before instrumentation (more to fill the shard logs of a"
                         " build made with a small STOR_LOG_KEEP)")
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    tmp = tempfile.mkdtemp(prefix="foll-callgrind-")
    m = Murphy("c", args.binary, tmp)
    vg = None
    m.start()
    try:
        password = os.environ["PGPASSWORD"]  # pgserver's murphy_auth set it for the cluster
        pgbench(m, password, ["-i", "-s", "1"])
        with open(out + ".log", "w") as log:
            vg = restart_under_callgrind(m, out, log, args.node)
            time.sleep(8)  # valgrind starts, the follower reports and catches up
            per = max(1, args.warmup // args.clients)
            pgbench(m, password, ["-c", str(args.clients), "-j", "2", "-t", str(per)])
            subprocess.run(["callgrind_control", "-i", "on", str(vg.pid)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            t0 = time.time()
            o = pgbench(m, password, ["-c", str(args.clients), "-j", "2", "-t",
                                      str(max(1, args.txns // args.clients))])
            subprocess.run(["callgrind_control", "-i", "off", str(vg.pid)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            h = history(m, password)  # pgbench (no -n) truncated pgbench_history first
            n = int(o.split("actually processed: ")[1].split("/")[0].split()[0])
            print("%d TPC-B transactions (%d history rows) in %.1f s with %s under callgrind: %s"
                  " (divide by %d)" % (n, h, time.time() - t0, args.node, out, n))
    finally:
        if vg:
            vg.send_signal(signal.SIGTERM)
            try:
                vg.wait(timeout=120)
            except subprocess.TimeoutExpired:
                vg.kill()
        m.stop()


if __name__ == "__main__":
    main()
