#!/usr/bin/python3
"""PostgreSQL's CPU per pgbench TPC-B transaction (issue 16; not a test).

The other half of bench/cpu_pair.sh: a throwaway PostgreSQL 15
(tests/cluster/pgserver.py, synchronous_commit on), pgbench -i -s 1, then
the default TPC-B script (8 clients, -j 2); over --seconds in the middle of
the run, the CPU (user + system, /proc/PID/stat) and the context switches
(/proc/PID/status) of every postgres process
divided by the transactions committed in that window (pgbench_history
rows).  On a machine that is short of CPU, TPS is about the CPU the
system gets divided by its CPU per transaction, so murphy's CPU per
transaction (cpu_pair.sh, every process of a 3-follower RF 3 cluster)
over this number bounds the TPS ratio murphy can reach there.

    bench/pg_cpu_per_txn.py [--seconds 8]
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "cluster"))

from pgserver import PgServer  # noqa: E402


def postgres_cpu_ticks():
    """User + system clock ticks of every live postgres process."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                stat = f.read()
        except OSError:
            continue  # gone meanwhile
        if "(postgres)" not in stat:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total


def postgres_ctx_switches():
    """Context switches (voluntary + involuntary) of every live postgres
    process (each is one thread)."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/status" % pid) as f:
                status = f.read()
        except OSError:
            continue  # gone meanwhile
        if "\nName:\tpostgres" not in "\n" + status:
            continue
        for line in status.splitlines():
            if "ctxt_switches:" in line:
                total += int(line.split()[1])
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=8)
    args = ap.parse_args()
    tick_ms = 1000.0 / os.sysconf("SC_CLK_TCK")
    server = PgServer().start()
    try:
        conn_args = ["-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", "postgres"]
        subprocess.run(["pgbench", "-i", "-s", "1"] + conn_args, check=True, capture_output=True)
        run = subprocess.Popen(["pgbench", "-n", "-c", "8", "-j", "2", "-T",
                                str(args.seconds + 4)] + conn_args,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        conn = server.connect()
        conn.autocommit = True
        cur = conn.cursor()
        time.sleep(1.5)
        cur.execute("SELECT count(*) FROM pgbench_history")
        h0, c0, s0 = cur.fetchone()[0], postgres_cpu_ticks(), postgres_ctx_switches()
        time.sleep(args.seconds)
        cur.execute("SELECT count(*) FROM pgbench_history")
        h1, c1, s1 = cur.fetchone()[0], postgres_cpu_ticks(), postgres_ctx_switches()
        conn.close()
        out, _ = run.communicate(timeout=120)
        tps = [line for line in out.splitlines() if line.startswith("tps")]
        print("PostgreSQL: %.3f ms CPU and %.1f context switches per transaction"
              " (%d transactions in %d s); %s; load %s"
              % ((c1 - c0) * tick_ms / (h1 - h0), (s1 - s0) / (h1 - h0), h1 - h0, args.seconds,
                 tps[0] if tps else "no tps line", open("/proc/loadavg").read().split()[0]))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
