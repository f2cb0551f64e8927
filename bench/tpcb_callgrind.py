#!/usr/bin/python3
"""The leader's instructions per pgbench TPC-B transaction, under callgrind (not a test).

    bench/tpcb_callgrind.py BIN OUT.cg [--txns 300] [--clients 2]
    callgrind_annotate OUT.cg | head -60            (self, per function)
    callgrind_annotate --inclusive=yes OUT.cg       (with callees)

bench/copy_callgrind.py's method for TPC-B: CPU per transaction swings with
the shared machine's load, the leader's instruction count does not, so two
builds can be compared one after the other, function by function.  One
fresh local cluster (3 followers, RF 3); its leader is restarted under
`valgrind --tool=callgrind --instr-atstart=no` (the followers reconnect);
`pgbench -i -s 1`, then --warmup transactions per client to warm the
plans, then --txns per client with instrumentation on (callgrind_control
-i on/off).  Prints the total instructions (Ir) and allocator calls divided by
the transactions measured (clients x txns).

libc's memset is printed apart: for large sizes it runs `rep stosb`, which
valgrind counts one instruction per byte, where the CPU stores 32-64 bytes
a cycle; calloc zeroes that way, an inlined memset of a constant size by
8-byte `rep stosq` or vector stores: the same zeroing can count 1 or 8
times as many instructions.  Compare the totals without it.

What it does not see (copy_callgrind.py's caveats): system time, cache
misses, and per-second work (ticks) that the slower run under valgrind
inflates: compare functions and counts, not totals to the last percent.
"""
import argparse
import os
import re
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


def pgbench(m, env, *args):
    cmd = ["pgbench", "-h", "127.0.0.1", "-p", str(m.port), "-U", "murphy"] + list(args) + ["murphy"]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
    if r.returncode != 0:
        raise RuntimeError("pgbench failed:\n%s%s" % (r.stdout, r.stderr))
    return r.stdout


ALLOCS = ("malloc", "calloc", "realloc")


def counts(out, ntxn):
    """(Ir, of which libc's memset, and malloc + calloc + realloc calls) per transaction."""
    r = subprocess.run(["callgrind_annotate", out], capture_output=True, text=True)
    total = mallocs = memset = 0
    for line in r.stdout.splitlines():
        m = re.match(r"\s*([\d,]+) .*PROGRAM TOTALS", line)
        if m:
            total = int(m.group(1).replace(",", ""))
        m = re.match(r"\s*([\d,]+) \([\s\d.]+%\)\s+\S*:__memset_\w+ \[", line)  # not "=>" calls
        if m:
            memset += int(m.group(1).replace(",", ""))
    # callgrind's call lines (calls=N) whose target (the cfn= before) is an allocator
    with open(out) as f:
        target = None
        names = {}
        for line in f:
            m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line)
            if m and line.startswith("cfn="):
                if m.group(2):
                    names[m.group(1)] = m.group(2)
                target = names.get(m.group(1))
            elif m and m.group(2):
                names[m.group(1)] = m.group(2)
            elif line.startswith("calls=") and target in ALLOCS:
                mallocs += int(line[6:].split()[0])
    return total / ntxn, memset / ntxn, mallocs / ntxn


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("out")
    ap.add_argument("--txns", type=int, default=300, help="per client, measured")
    ap.add_argument("--warmup", type=int, default=50, help="per client, before measuring")
    ap.add_argument("--clients", type=int, default=2)
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    tmp = tempfile.mkdtemp(prefix="tpcb-callgrind-")
    m = Murphy("c", args.binary, tmp)
    vg = None
    m.start()
    try:
        env = dict(os.environ)  # tests/cluster/murphy_auth.py set PGPASSWORD
        with open(out + ".log", "w") as log:
            vg = restart_under_callgrind(m, out, log)
            for _ in range(600):
                try:
                    m.connect().close()
                    break
                except psycopg2.Error:
                    time.sleep(0.2)
            time.sleep(3)  # the followers reconnect and report
            pgbench(m, env, "-i", "-s", "1")
            c = str(args.clients)
            pgbench(m, env, "-c", c, "-j", "1", "-t", str(args.warmup))
            subprocess.run(["callgrind_control", "-i", "on", str(vg.pid)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            t0 = time.time()
            pgbench(m, env, "-c", c, "-j", "1", "-t", str(args.txns))
            subprocess.run(["callgrind_control", "-i", "off", str(vg.pid)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            secs = time.time() - t0
    finally:
        if vg:
            vg.send_signal(signal.SIGTERM)
            vg.wait(timeout=120)
        m.stop()
    ntxn = args.clients * args.txns
    ir, memset, mallocs = counts(out, ntxn)
    print("%d TPC-B transactions (%d clients) in %.1f s under callgrind: %s" %
          (ntxn, args.clients, secs, out))
    print("leader Ir per transaction %.0f (without libc's memset %.0f), allocations (malloc, calloc, "
          "realloc) per transaction %.1f" % (ir, ir - memset, mallocs))


if __name__ == "__main__":
    main()
