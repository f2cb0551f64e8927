#!/usr/bin/python3
"""Where one client's small autocommit COPY spends its time (not a test).

    bench/copy_timeline.py BIN [--copies 200] [--rows 1000] [--parallel-commits on|off]

One fresh local cluster (3 followers) with MURPHY_TRACE on, one client
running --copies COPYs of --rows rows (bench/fastpath_pair.py's `events`
rows) into a fresh distributed table, in autocommit.  From the leader's
trace (common/trace.h; leader/lead_copy.c's cpydone / cpyacked / cpyans,
repl_lock.c's commit / decided) each COPY is split into:

  rows      the client's CopyData until its CopyDone reaches the leader
            (client wall time minus `end`)
  end       CopyDone → the answer (cpydone → cpyans), and for the COPYs
            whose commit waited for their batches (no cpycommit):
  batches   CopyDone → every batch decided (cpydone → cpyacked: the
            batches' quorum round; a 1,000-row COPY sends them at CopyDone)
  commit    every batch decided → the answer (cpyacked → cpyans: the
            COPY's own transaction's commit)
A COPY whose commit went with its last batches (cpycommit: lead_copy.c,
commit_at_end) has no cpyacked: its batches and commit are one round.

and counts, per COPY, the leader's sends of entries and markers
(send / msend: the rounds' frames) and each follower's write batches
synced (wbsync: its fsyncs of the follower WAL).  The trace costs a
write(2) per event: compare phases and counts, not absolute speed.
Medians over the COPYs after the first 10.
"""
import argparse
import glob
import io
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "cluster"))
os.environ.setdefault("PGSSLMODE", "disable")

from fastpath_pair import EVENTS, Murphy, copy_text  # noqa: E402


def read_trace(prefix, pids):
    """{node: [(us, event, a, b)]} of the traced processes."""
    out = {}
    for node, pid in pids.items():
        evs = []
        for path in glob.glob("%s.%d" % (prefix, pid)):
            with open(path) as f:
                for line in f:
                    p = line.split()
                    if len(p) >= 4:
                        evs.append((int(p[0]), p[1], int(p[2]), int(p[3])))
        out[node] = sorted(evs)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("--copies", type=int, default=200)
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--parallel-commits", choices=("on", "off"))
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="copy-timeline-")
    os.environ["MURPHY_TRACE"] = os.path.join(tmp, "trace")
    m = Murphy("c", args.binary, tmp)
    walls = []
    try:
        m.start()
        c = m.connect()
        cur = c.cursor()
        cur.execute("DROP TABLE IF EXISTS events")
        cur.execute(EVENTS)
        cur.execute("SELECT count(*) FROM murphy.shards WHERE table_name = 'events'")
        nshards = cur.fetchone()[0]
        if args.parallel_commits:
            cur.execute("SET murphy.parallel_commits = " + args.parallel_commits)
        next_id = 1
        marks = []
        for _ in range(args.copies):
            body = copy_text(next_id, args.rows)
            t0 = time.monotonic()
            cur.copy_expert("COPY events FROM STDIN", io.StringIO(body), size=1 << 16)
            t1 = time.monotonic()
            walls.append((t1 - t0) * 1e6)
            marks.append((int(t0 * 1e6), int(t1 * 1e6)))
            next_id += args.rows
        cur.execute("SELECT count(*) FROM events")
        assert cur.fetchone()[0] == args.copies * args.rows, "rows lost"
        c.close()
        time.sleep(0.5)
        tr = read_trace(os.environ["MURPHY_TRACE"], m.pids)
    finally:
        m.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    phases = {"wall": [], "rows": [], "end": [], "batches": [], "commit": []}
    at_end = []
    counts = {k: [] for k in ("send", "msend", "f1 wbsync", "f2 wbsync", "f3 wbsync")}
    for i, (t0, t1) in enumerate(marks[10:], 10):
        lead = [e for e in tr["leader"] if t0 <= e[0] <= t1]
        at = {e[1]: e[0] for e in lead
              if e[1] in ("cpydone", "cpyacked", "cpyans", "cpycommit")}
        phases["wall"].append(walls[i])
        if "cpydone" not in at or "cpyans" not in at:
            continue  # a build without these events: wall time only
        phases["end"].append(at["cpyans"] - at["cpydone"])
        phases["rows"].append(walls[i] - (at["cpyans"] - at["cpydone"]))
        at_end.append("cpycommit" in at)
        if "cpyacked" in at:
            phases["batches"].append(at["cpyacked"] - at["cpydone"])
            phases["commit"].append(at["cpyans"] - at["cpyacked"])
        counts["send"].append(sum(e[1] == "send" for e in lead))
        counts["msend"].append(sum(e[1] == "msend" for e in lead))
        for f in ("f1", "f2", "f3"):
            counts[f + " wbsync"].append(sum(e[1] == "wbsync" and t0 <= e[0] <= t1
                                             for e in tr[f]))
    print("%s: %d COPYs of %d rows into a %d-shard table, parallel_commits %s; medians over %d"
          % (args.binary, args.copies, args.rows, nshards, args.parallel_commits or "default",
             len(phases["wall"])))
    for k, v in phases.items():
        if len(v) < 2:
            continue
        print("  %-8s %8.2f ms  (p25 %.2f, p75 %.2f)" % (
            k, statistics.median(v) / 1000, statistics.quantiles(v, n=4)[0] / 1000,
            statistics.quantiles(v, n=4)[2] / 1000))
    if at_end:
        print("  committed with their last batches (cpycommit): %d of %d COPYs"
              % (sum(at_end), len(at_end)))
    for k, v in counts.items():
        if v:
            print("  %-10s %5.1f per COPY" % (k, statistics.median(v)))


if __name__ == "__main__":
    main()
