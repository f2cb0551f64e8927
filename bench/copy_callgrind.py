#!/usr/bin/python3
"""The leader's instructions per small COPY, under callgrind (not a test).

    bench/copy_callgrind.py BIN OUT.cg [--copies 100] [--rows 1000]
    callgrind_annotate OUT.cg | head -60            (self, per function)
    callgrind_annotate --inclusive=yes OUT.cg       (with callees)

CPU per COPY swings with the shared machine's load (bench/fastpath_pair.py
has to run two builds at once to compare them); the leader's instruction
count does not, so two builds (or a build and the one before transactions,
/work/base/murphy-pretxn) can be compared one after the other, function by
function.  One fresh local cluster (3 followers); its leader is stopped and
started again under `valgrind --tool=callgrind --instr-atstart=no` (the
followers reconnect); one client runs 20 COPYs of --rows rows into a fresh
`events` table (bench/fastpath_pair.py's rows) to warm up, then --copies
more with instrumentation on (callgrind_control -i on/off).  Divide the
totals by --copies.

What it does not see: system time (the kernel's side of each syscall: count
them with `perf stat -e 'syscalls:sys_enter_*'`), cache misses (an
instruction that misses costs ~100 times one that hits: a scan over a
large ring shows as a few instructions here and as microseconds in `perf
record`), and work done per second rather than per COPY (the leader's
ticks, the outcome trim), which the slower run under valgrind inflates:
compare functions, not totals to the last percent.
"""
import argparse
import io
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

from fastpath_pair import EVENTS, Murphy, copy_text  # noqa: E402

WARMUP = 20


def restart_under_callgrind(m, out, log, node="leader"):
    """Stop m's node (the leader unless named) and start it again with the
    same arguments under callgrind, instrumentation off; returns the
    valgrind process.  follower_callgrind.py and tpcb_callgrind.py use it."""
    pid = m.pids[node]
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        argv = [a.decode() for a in f.read().split(b"\0") if a]
    cwd = os.readlink("/proc/%d/cwd" % pid)
    os.kill(pid, signal.SIGTERM)
    for _ in range(400):
        if not os.path.exists("/proc/%d" % pid):
            break
        time.sleep(0.05)
    return subprocess.Popen(["valgrind", "--tool=callgrind", "--instr-atstart=no",
                             "--callgrind-out-file=" + out] + argv,
                            stdout=log, stderr=log, cwd=cwd)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("out")
    ap.add_argument("--copies", type=int, default=100)
    ap.add_argument("--rows", type=int, default=1000)
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    tmp = tempfile.mkdtemp(prefix="copy-callgrind-")
    m = Murphy("c", args.binary, tmp)
    texts = [copy_text(1 + i * args.rows, args.rows) for i in range(WARMUP + args.copies)]
    vg = None
    m.start()
    try:
        with open(out + ".log", "w") as log:
            vg = restart_under_callgrind(m, out, log)
            conn = None
            for _ in range(600):
                try:
                    conn = m.connect()
                    break
                except psycopg2.Error:
                    time.sleep(0.2)
            time.sleep(3)  # the followers reconnect and report
            cur = conn.cursor()
            cur.execute("DROP TABLE IF EXISTS events")
            cur.execute(EVENTS)
            for t in texts[:WARMUP]:
                cur.copy_expert("COPY events FROM STDIN", io.StringIO(t))
            subprocess.run(["callgrind_control", "-i", "on", str(vg.pid)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            t0 = time.time()
            for t in texts[WARMUP:]:
                cur.copy_expert("COPY events FROM STDIN", io.StringIO(t))
            subprocess.run(["callgrind_control", "-i", "off", str(vg.pid)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            print("%d COPYs of %d rows in %.1f s under callgrind: %s (divide by %d)"
                  % (args.copies, args.rows, time.time() - t0, out, args.copies))
            conn.close()
    finally:
        if vg:
            vg.send_signal(signal.SIGTERM)
            vg.wait(timeout=120)
        m.stop()


if __name__ == "__main__":
    main()
