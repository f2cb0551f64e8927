#!/usr/bin/python3
"""The PACELC table: what each read consistency and write quorum costs (issue 17; not a test).

One local cluster (leader + 3 followers), one table `kv (id bigint PRIMARY
KEY, v text) WITH (shards = 1, replicas = 3)`: one shard, so the reads, the
write load and the faults all meet on the same shard and its three copies.
ROWS rows are loaded first; then, under each of six conditions,

  none       no fault;
  delay      one replica of the shard delayed --delay-ms (100) each way
             (`murphy.fault('delay fN 100')`): a majority (the primary and
             the other replica) still answers at once;
  delayp     the primary delayed so: it runs an UPDATE first and its
             replicas get the entry only from its answer, so while the
             entry is undecided they hold none of it; strong reads go to
             the primary all the same;
  delay2     both replicas delayed so: a majority needs a delayed copy, so
             every write is undecided for a round trip to it and strong
             reads wait behind it (but every copy without the undecided
             entry is behind the delay too);
  partition  the shard's primary partitioned from the leader
             (`murphy.fault('partition fN leader')`: frames dropped, TCP up),
             0.3 s into the reads cell, while the reading clients run: the
             first suspect_timeout (1.5 s) — before the leader moves the
             primary — is inside the cell;
  lost       the only current copy out of reach, on a second table `kv2`
             (2 copies, same rows): its replica cut from the leader misses
             a write at write_quorum one, then its primary is killed (-9)
             and the cut healed — the replica is reachable, 1 entry behind,
             with no copy to catch up from (run last: a node stays dead),

with --writers clients updating single loaded rows (the rows the point
reads read, in another order) of the same shard at write_quorum majority
throughout (the background write load: an UPDATE is not pipelined, so the
next one waits for every copy's answer to the previous, and until its
quorum holds it, it holds the read gate for every key of the shard —
docs/replication.md, "Reads"):

  reads   three clients at once, one per read_consistency (strong,
          bounded with max_staleness 5s, available), each in turn a point
          read `SELECT v FROM kv WHERE id = :k` (k among the loaded rows)
          and a scan `SELECT count(*), max(v) FROM kv WHERE id <= ROWS`,
          and a join of kv with `kj` (JOIN_ROWS rows, 2 shards, 3 copies:
          not co-located, so murphy shuffles; join_strategy auto),
          --seconds; after each read, SHOW murphy.last_read_staleness
          and the WARNINGs (untimed);
  writes  the background load stopped, one client, three connections
          (write_quorum one, majority, all), round-robin single-row
          INSERTs, --seconds; the load's own UPDATE latency (majority)
          during the reads cell is the write latency under load.

Every statement has statement_timeout 5 s; a read or write that fails
(error or timeout) counts as not answered.  The levels run side by side,
so their comparison is fair on a machine whose speed drifts by ±20%
within minutes.  PostgreSQL 15 (defaults, synchronous_commit on) runs the
same reads (three clients) under the same write load on the same data:
the reference row.

Targets (issue 17): bounded point reads under write load on the delayed
shard at most 0.5× strong's p50; available answers 100% of reads while any
copy of each shard is reachable (every condition here, `lost` included).

    bench/bench_pacelc.py                 # 10 s per cell, about 2.5 minutes
    bench/bench_pacelc.py --quick         # 3 s per cell
    MURPHY_BIN=/path/to/murphy bench/bench_pacelc.py --seconds 5
Writes a markdown report to stdout and bench/results/<date>-pacelc.md (--out).
"""
import argparse
import datetime
import io
import os
import platform
import signal
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import psycopg2  # noqa: E402

from bench_replication import MURPHY, Clients, Load, Local, log, q1  # noqa: E402
from pgserver import PgServer  # noqa: E402

ROWS = 10000              # loaded rows: the point reads' keys and the scan's range
READ_STRIDE = 7919        # the point reads' keys: 1 + i * stride % ROWS, every row in turn
UPDATE_STRIDE = 4729      # the updates' keys likewise, in another order than the reads'
                          # (both prime to ROWS; the load's ids start at 1e9 ≡ 0)
LEVELS = ("strong", "bounded", "available")
QUORUMS = ("one", "majority", "all")
CONDITIONS = ("none", "delay", "delayp", "delay2", "partition", "lost")  # lost kills: last
LOST_TABLE = "kv2"        # the lost condition's table: 2 copies
READS = ("point", "scan", "join")
JOIN_TABLE = "kj"         # the join's other table: 2 shards, 3 copies (not co-located with kv)
JOIN_ROWS = 500           # its rows: ids 1..JOIN_ROWS, each meeting one row of kv
PG_READERS = ("pg1", "pg2", "pg3")  # as many reading clients as murphy's levels
STATEMENT_TIMEOUT_MS = 5000  # a read or write held longer counts as not answered
SUSPECT_MS = 1500         # the leader's default: the partition's primary moves after it
DEAD_MS = 120000          # no rebuild of the partitioned node's copies during a cell
SETTLE_TIMEOUT_S = 60     # after heal: every copy current again
PRE_CUT_S = 0.3           # the partition comes this long into its reads cell
WRITE_ID_BASE = 2_000_000_000  # the measured writes' ids, apart from the load's (Load: 1e9 + …)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000 if xs else float("nan")


def staleness_ms(text):
    """SHOW murphy.last_read_staleness: '0' or '<n>ms'."""
    return 0 if text == "0" else int(text[:-2])


# ---- the measuring clients ------------------------------------------------

class Rounds(Clients):
    """One connection per variant; a thread per group of variants, each
    round-robin over its group; per variant the latencies (s) of answered
    statements, the count of failed ones and their distinct errors."""

    def __init__(self, connect, groups, setup):
        super().__init__(len(groups))
        self.connect, self.groups, self.setup = connect, groups, setup
        self.variants = [v for g in groups for v in g]
        self.ok = {v: [] for v in self.variants}
        self.failed = {v: 0 for v in self.variants}
        self.errors = {v: {} for v in self.variants}  # "SQLSTATE message" -> count
        self.conns = {}

    def conn(self, v):
        if v not in self.conns or self.conns[v].closed:
            c = self.connect()
            with c.cursor() as cur:
                cur.execute("SET statement_timeout = %d" % STATEMENT_TIMEOUT_MS)
                for sql in self.setup(v):
                    cur.execute(sql)
            self.conns[v] = c
        return self.conns[v]

    def timed(self, v, sql, params=None):
        """Run sql on v's connection; its latency (s), None when it failed."""
        try:
            c = self.conn(v)
            t0 = time.perf_counter()
            with c.cursor() as cur:
                cur.execute(sql, params)
                cur.fetchall() if cur.description else None
            dt = time.perf_counter() - t0
            self.ok[v].append(dt)
            return dt
        except psycopg2.Error as e:
            self.failed[v] += 1
            msg = "%s %s" % (e.pgcode or "-", str(e).strip().split("\n")[0][:100])
            self.errors[v][msg] = self.errors[v].get(msg, 0) + 1
            if v in self.conns and self.conns[v].closed:
                del self.conns[v]  # lost: reconnect next time; after an error keep it
            time.sleep(0.01)
            return None

    def run(self, k):
        i = 0
        while not self.stop_flag.is_set():
            for v in self.groups[k]:
                self.step(v, i)
            i += 1
        for v in self.groups[k]:
            if v in self.conns:
                self.conns[v].close()

    def stats(self, *vs):
        """Of the variants vs together (one, or PostgreSQL's three readers)."""
        lat = [x for v in vs for x in self.ok[v]]
        n = len(lat) + sum(self.failed[v] for v in vs)
        return {"p50": pct(lat, 0.50), "p99": pct(lat, 0.99), "n": n,
                "answered": len(lat) / n if n else float("nan")}


class Readers(Rounds):
    """A client per level, each a point read then a scan, in turn; the
    staleness and WARNINGs after every answered read."""

    def __init__(self, connect, levels, murphy=True, table="kv"):
        super().__init__(connect, [[(lv, r) for r in READS] for lv in levels],
                         lambda v: (["SET murphy.read_consistency = '%s'" % v[0]]
                                    if murphy else []))
        self.murphy, self.table = murphy, table
        self.stale = {v: [] for v in self.variants}  # staleness ms of each answered read
        self.warnings = {v: 0 for v in self.variants}

    def step(self, v, i):
        level, kind = v
        if kind == "point":
            dt = self.timed(v, "SELECT v FROM %s WHERE id = %%s" % self.table,
                            (1 + i * READ_STRIDE % ROWS,))
        elif kind == "scan":
            dt = self.timed(v, "SELECT count(*), max(v) FROM %s WHERE id <= %%s" % self.table,
                            (ROWS,))
        else:
            dt = self.timed(v, "SELECT count(*), max(k.v) FROM %s k JOIN %s j ON k.id = j.id"
                            % (self.table, JOIN_TABLE))
        if dt is None or not self.murphy:  # strong too: the same untimed work per read
            return
        c = self.conns[v]
        self.warnings[v] += sum("stale read" in n for n in c.notices)
        del c.notices[:]
        try:
            self.stale[v].append(staleness_ms(q1(c, "SHOW murphy.last_read_staleness")[0][0]))
        except psycopg2.Error:
            pass

    def stats(self, *vs):
        s = super().stats(*vs)
        st = [x for v in vs for x in self.stale[v]]
        s["stale_share"] = (sum(1 for x in st if x > 0) / len(st)) if st else 0.0
        s["stale_p50"] = pct([x / 1000 for x in st], 0.50) if st else 0  # ms, as x
        s["stale_p99"] = pct([x / 1000 for x in st], 0.99) if st else 0
        s["stale_max"] = max(st) if st else 0
        s["warnings"] = sum(self.warnings[v] for v in vs)
        return s


class Writers(Rounds):
    """Single-row INSERTs at each write quorum, round-robin from one client:
    entries of a shard are decided in log order, so a write at `one` sent
    while one at `all` waits for a delayed copy would wait with it."""

    def __init__(self, connect, first_id, table):
        super().__init__(connect, [list(QUORUMS)],
                         lambda q: ["SET murphy.write_quorum = '%s'" % q])
        self.first_id, self.table = first_id, table

    def step(self, q, i):
        self.timed(q, "INSERT INTO %s VALUES (%%s, 'w')" % self.table,
                   (self.first_id + i * len(QUORUMS) + QUORUMS.index(q),))


class Updates(Load):
    """The background write load: clients updating loaded rows (the rows the
    point reads read, in another order: a read meets a row being updated by
    chance only) at write_quorum majority; the table keeps its size."""

    def __init__(self, *a):
        super().__init__(*a)
        self.salt = time.time_ns()  # a new value each run: an UPDATE that changes nothing
                                    # writes no entry and would not load the shard

    def statement(self, rid):
        return ("UPDATE %s SET v = %%s WHERE id = %%s" % self.table,
                ("u%d.%d" % (self.salt, rid), 1 + rid * UPDATE_STRIDE % ROWS))


def measure(cls, seconds, *a):
    m = cls(*a).start()
    time.sleep(seconds)
    return m.stop()


# ---- murphy ---------------------------------------------------------------

def load_rows(conn, table="kv", n=ROWS):
    buf = io.StringIO("".join("%d\tv%d\n" % (i, i) for i in range(1, n + 1)))
    with conn.cursor() as cur:
        cur.copy_expert("COPY %s FROM STDIN" % table, buf)


def copies(conn, table="kv"):
    """[(node, role, lag_entries, state)] of the table's one shard."""
    return q1(conn, "SELECT node, role, lag_entries, state FROM murphy.placements "
                    "WHERE table_name = %s ORDER BY node", (table,))


def settle(conn, table="kv", n=3):
    """Wait until the table's n copies are current; seconds waited."""
    t0 = time.time()
    while time.time() - t0 < SETTLE_TIMEOUT_S:
        cs = copies(conn, table)
        if len(cs) == n and all(st == "current" and le == 0 for _, _, le, st in cs):
            return time.time() - t0
        time.sleep(0.1)
    raise RuntimeError("copies not current after %d s: %s"
                       % (SETTLE_TIMEOUT_S, copies(conn, table)))


class Watch(threading.Thread):
    """Polls murphy.nodes: when the partitioned node went suspect, and when
    kv's primary moved off it."""

    def __init__(self, connect, node):
        super().__init__(daemon=True)
        self.connect, self.node, self.marks = connect, node, {}
        self.stop_flag = threading.Event()
        self.t0 = time.time()

    def run(self):
        c = self.connect()
        while not self.stop_flag.is_set() and len(self.marks) < 2:
            st = q1(c, "SELECT state FROM murphy.nodes WHERE name = %s", (self.node,))[0][0]
            if st != "alive" and "suspect" not in self.marks:
                self.marks["suspect"] = time.time() - self.t0
            prim = [n for n, r, _, _ in copies(c) if r == "primary"]
            if prim and prim[0] != self.node and "moved" not in self.marks:
                self.marks["moved"] = time.time() - self.t0
            time.sleep(0.05)
        c.close()


def fault(conn, what):
    q1(conn, "SELECT murphy.fault(%s)", (what,))


def wait_for(what, pred, timeout_s=10):
    deadline = time.time() + timeout_s
    while not pred():
        if time.time() > deadline:
            raise RuntimeError("%s: not within %d s" % (what, timeout_s))
        time.sleep(0.05)


def lose_the_fresh_copy(admin, cl):
    """kv2's replica misses a write at `one` (cut from the leader), then its
    primary is killed and the cut healed: the replica is reachable, 1 entry
    behind, with no copy to catch up from (tests/cluster/
    test_read_consistency.py does the same).  Returns the replica's name."""
    cs = copies(admin, LOST_TABLE)
    primary = [n for n, r, _, _ in cs if r == "primary"][0]
    replica = [n for n, r, _, _ in cs if r == "replica"][0]
    fault(admin, "partition %s leader" % replica)
    with admin.cursor() as cur:
        cur.execute("SET murphy.write_quorum = 'one'")
        cur.execute("INSERT INTO %s VALUES (0, 'only on the primary')" % LOST_TABLE)
        cur.execute("RESET murphy.write_quorum")
    os.kill(cl.pid(primary), signal.SIGKILL)
    wait_for("the killed primary's copy unreachable",
             lambda: dict((n, le) for n, _, le, _ in copies(admin, LOST_TABLE))[primary] is None)
    fault(admin, "heal")
    wait_for("the replica back, 1 entry behind",
             lambda: dict((n, le) for n, _, le, _ in copies(admin, LOST_TABLE))[replica] == 1)
    return replica


def run_condition(args, cl, cond):
    admin = cl.connect()
    cs = copies(admin)
    primary = [n for n, r, _, _ in cs if r == "primary"][0]
    replica = sorted(n for n, r, _, _ in cs if r == "replica")[0]
    res = {"primary": primary}
    watch = None
    if cond == "delay":
        fault(admin, "delay %s %d" % (replica, args.delay_ms))
        res["node"] = replica
    elif cond == "delayp":
        fault(admin, "delay %s %d" % (primary, args.delay_ms))
        res["node"] = primary
    elif cond == "delay2":
        for n in sorted(n for n, r, _, _ in cs if r == "replica"):
            fault(admin, "delay %s %d" % (n, args.delay_ms))
        res["node"] = "both replicas"
    elif cond == "partition":
        res["node"] = primary
    elif cond == "lost":
        res["node"] = lose_the_fresh_copy(admin, cl)
    table = LOST_TABLE if cond == "lost" else "kv"
    log("%s: reads (%s)" % (cond, res.get("node", "no fault")))
    load = Updates(cl.connect, args.writers, table).start()
    reads = Readers(cl.connect, LEVELS, True, table).start()
    if cond == "partition":  # cut while every level's client has a read going
        time.sleep(PRE_CUT_S)
        watch = Watch(cl.connect, primary)
        fault(admin, "partition %s leader" % primary)
        watch.start()
    time.sleep(args.seconds - (PRE_CUT_S if watch else 0))
    res["reads"] = reads.stop()
    res["copies"] = q1(admin, "SELECT node, role, lag_entries, lag_ms, state FROM "
                              "murphy.placements WHERE table_name = %s ORDER BY node", (table,))
    res["load"] = load.stop().summary()
    log("%s: writes" % cond)
    first = WRITE_ID_BASE + CONDITIONS.index(cond) * 100_000_000
    res["writes"] = measure(Writers, args.seconds, cl.connect, first, table)
    if watch:
        watch.stop_flag.set()
        watch.join(timeout=5)
        res["marks"] = watch.marks
    if cond not in ("none", "lost"):  # lost: last, its node stays dead
        fault(admin, "heal")
        res["settle_s"] = settle(admin)
    admin.close()
    return res


def bench_murphy(args, tmp):
    cl = Local(tmp, "pacelc", 3, SUSPECT_MS, DEAD_MS).start()
    out = {}
    try:
        c = cl.connect()
        with c.cursor() as cur:
            cur.execute("CREATE TABLE kv (id bigint PRIMARY KEY, v text) "
                        "WITH (shards = 1, replicas = 3)")
            cur.execute("CREATE TABLE %s (id bigint PRIMARY KEY, v text) "
                        "WITH (shards = 1, replicas = 2)" % LOST_TABLE)
            cur.execute("CREATE TABLE %s (id bigint PRIMARY KEY, v text) "
                        "WITH (shards = 2, replicas = 3)" % JOIN_TABLE)
        load_rows(c)
        load_rows(c, LOST_TABLE)
        load_rows(c, JOIN_TABLE, JOIN_ROWS)
        settle(c)
        settle(c, LOST_TABLE, 2)
        settle(c, JOIN_TABLE, 6)
        c.close()
        for cond in args.conditions:
            try:
                out[cond] = run_condition(args, cl, cond)
            except (RuntimeError, psycopg2.Error) as e:  # report the others all the same
                log("%s: not measured: %s" % (cond, e))
                out.setdefault("skipped", {})[cond] = str(e).strip()
                with cl.connect() as h:
                    fault(h, "heal")
    finally:
        cl.stop()
    return out


# ---- PostgreSQL -----------------------------------------------------------

def bench_pg(args):
    server = PgServer().start()
    try:
        connect = server.connect
        c = connect()
        with c.cursor() as cur:
            cur.execute("CREATE TABLE kv (id bigint PRIMARY KEY, v text)")
            cur.execute("CREATE TABLE %s (id bigint PRIMARY KEY, v text)" % JOIN_TABLE)
        load_rows(c)
        load_rows(c, JOIN_TABLE, JOIN_ROWS)
        c.close()
        load = Updates(connect, args.writers, "kv").start()
        r = measure(Readers, args.seconds, connect, PG_READERS, False)
        return {"reads": r, "load": load.stop().summary()}
    finally:
        server.stop()


# ---- report ---------------------------------------------------------------

def x(a, b):
    return "%.2f×" % (a / b) if b and b == b and a == a else "—"


def report(args, m, pg):
    conds = [c for c in CONDITIONS if c in m]
    skipped = ["- %s: %s" % kv for kv in m.get("skipped", {}).items()]
    out = ["# murphy PACELC benchmark — %s" % datetime.date.today(), "",
           "%s, %d CPUs; `%s`; a local cluster (leader + 3 followers), table `kv` with one "
           "shard, 3 copies, %d rows; %d clients updating single rows of the same shard at "
           "majority throughout; %d s per cell, a reading client per level at once; "
           "statement_timeout %d ms; max_staleness 5s (bounded); delay %d ms each way on one "
           "replica (delay2: on both); partition: the primary from the leader, cut %.1f s into "
           "the reads cell (suspect_timeout %d ms inside the cell)."
           % (platform.platform(), os.cpu_count(), os.path.relpath(MURPHY, os.getcwd())
              if MURPHY.startswith(os.getcwd()) else MURPHY, ROWS, args.writers, args.seconds,
              STATEMENT_TIMEOUT_MS, args.delay_ms, PRE_CUT_S, SUSPECT_MS), ""]
    pgr = pg["reads"] if pg else None
    pgs = {r: pgr.stats(*[(p, r) for p in PG_READERS]) for r in READS} if pgr else None
    out += ["## Reads", "",
            "p50 / p99 in ms; × strong and × PostgreSQL compare p50s; answered: share of reads "
            "that returned rows (the rest failed or timed out).", "",
            "| condition | level | point p50 | point p99 | point × strong | point × PG | "
            "scan p50 | scan p99 | scan × strong | scan × PG | answered | reads |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    if pgs:
        out.append("| PostgreSQL, same load | — | %.2f | %.2f | — | 1.00× | %.2f | %.2f | — | "
                   "1.00× | %.0f%% | %d |"
                   % (pgs["point"]["p50"], pgs["point"]["p99"], pgs["scan"]["p50"],
                      pgs["scan"]["p99"], 100 * min(pgs["point"]["answered"],
                                                    pgs["scan"]["answered"]),
                      pgs["point"]["n"] + pgs["scan"]["n"]))
    for cond in conds:
        rd = m[cond]["reads"]
        strong = {r: rd.stats(("strong", r)) for r in READS}
        for lv in LEVELS:
            s = {r: rd.stats((lv, r)) for r in READS}
            n = s["point"]["n"] + s["scan"]["n"]
            ans = (s["point"]["answered"] * s["point"]["n"] + s["scan"]["answered"] *
                   s["scan"]["n"]) / n if n else float("nan")
            out.append("| %s | %s | %.2f | %.2f | %s | %s | %.2f | %.2f | %s | %s | %.1f%% | %d |"
                       % (cond, lv, s["point"]["p50"], s["point"]["p99"],
                          x(s["point"]["p50"], strong["point"]["p50"]),
                          x(s["point"]["p50"], pgs["point"]["p50"]) if pgs else "—",
                          s["scan"]["p50"], s["scan"]["p99"],
                          x(s["scan"]["p50"], strong["scan"]["p50"]),
                          x(s["scan"]["p50"], pgs["scan"]["p50"]) if pgs else "—",
                          100 * ans, n))
    out += ["", "## Joins", "",
            "The same clients' third read, `SELECT count(*), max(k.v) FROM kv k JOIN %s j ON "
            "k.id = j.id` (%s: %d rows, 2 shards, 3 copies; not co-located with kv, so the "
            "followers shuffle rows; join_strategy auto); p50 / p99 in ms."
            % (JOIN_TABLE, JOIN_TABLE, JOIN_ROWS), "",
            "| condition | level | join p50 | join p99 | × strong | × PG | answered | joins |",
            "|---|---|---|---|---|---|---|---|"]
    if pgs:
        out.append("| PostgreSQL, same load | — | %.2f | %.2f | — | 1.00× | %.0f%% | %d |"
                   % (pgs["join"]["p50"], pgs["join"]["p99"], 100 * pgs["join"]["answered"],
                      pgs["join"]["n"]))
    for cond in conds:
        rd = m[cond]["reads"]
        strong = rd.stats(("strong", "join"))
        for lv in LEVELS:
            s = rd.stats((lv, "join"))
            out.append("| %s | %s | %.2f | %.2f | %s | %s | %.1f%% | %d |"
                       % (cond, lv, s["p50"], s["p99"], x(s["p50"], strong["p50"]),
                          x(s["p50"], pgs["join"]["p50"]) if pgs else "—",
                          100 * s["answered"], s["n"]))
    out += ["", "## Staleness", "",
            "From `SHOW murphy.last_read_staleness` after each answered read (point reads, "
            "scans and joins together); stale: share of reads served by a copy behind the committed "
            "entry; p50 / p99 / max of the staleness over all answered reads; WARNINGs: "
            "`stale read` notices received.", "",
            "| condition | level | answered reads | stale | p50 ms | p99 ms | max ms | WARNINGs |",
            "|---|---|---|---|---|---|---|---|"]
    for cond in conds:
        rd = m[cond]["reads"]
        for lv in LEVELS:
            s = rd.stats(*[(lv, r) for r in READS])
            out.append("| %s | %s | %d | %.1f%% | %.0f | %.0f | %d | %d |"
                       % (cond, lv, sum(len(rd.stale[(lv, r)]) for r in READS),
                          100 * s["stale_share"], s["stale_p50"], s["stale_p99"],
                          s["stale_max"], s["warnings"]))
    out += ["", "## Writes", "",
            "Single-row INSERTs, one client round-robin over the quorums, with the background "
            "load stopped (with it, every write of the shard queues behind an UPDATE waiting "
            "for every copy: see the load's own latency below); p50 / p99 in ms; answered: "
            "share that succeeded.", "",
            "| condition | write_quorum | p50 | p99 | × majority | answered | writes |",
            "|---|---|---|---|---|---|---|"]
    for cond in conds:
        wr = m[cond]["writes"]
        maj = wr.stats("majority")
        for q in QUORUMS:
            s = wr.stats(q)
            out.append("| %s | %s | %.2f | %.2f | %s | %.1f%% | %d |"
                       % (cond, q, s["p50"], s["p99"], x(s["p50"], maj["p50"]),
                          100 * s["answered"], s["n"]))
    out += ["", "The background load during the reads cell (%d clients, single-row UPDATEs at "
            "majority):" % args.writers, "",
            "| condition | updates/s | p50 ms | p99 ms | failed |", "|---|---|---|---|---|"]
    for cond, ld in [(c, m[c]["load"]) for c in conds] + (
            [("PostgreSQL", pg["load"])] if pg else []):
        out.append("| %s | %.0f | %.2f | %.2f | %d |"
                   % (cond, ld["rows_s"], ld["p50_ms"], ld["p99_ms"], ld["errors"]))
    out += ["", "The table's copies at the end of each reads cell (node role lag_entries lag_ms "
            "state):",
            ""]
    out += ["- %s: %s" % (c, "; ".join(" ".join(str(f) for f in row) for row in m[c]["copies"]))
            for c in conds]
    if "partition" in m:
        part = m["partition"]
        marks = part.get("marks", {})
        out += ["", "Partition: %s cut from the leader; it went suspect after %s, kv's primary "
                "moved after %s; after heal every copy was current again in %.1f s."
                % (part["node"], "%.2f s" % marks["suspect"] if "suspect" in marks else "never",
                   "%.2f s" % marks["moved"] if "moved" in marks else "never",
                   part.get("settle_s", float("nan")))]
    if "lost" in m:
        out += ["", "Lost: `%s` (2 copies): its replica %s missed a write at `one` (cut from the "
                "leader), then its primary was killed (-9) and the cut healed; %s is reachable, "
                "1 entry behind, with no copy to catch up from." % (LOST_TABLE, m["lost"]["node"],
                                                                     m["lost"]["node"])]
    errs = [(c, v, e, k) for c in conds for part_ in ("reads", "writes")
            for v in m[c][part_].variants for e, k in m[c][part_].errors[v].items()]
    if errs:
        out += ["", "Failures seen (condition, variant, SQLSTATE and message, count):", ""]
        out += ["- %s, %s: `%s` × %d" % (c, "/".join(v) if isinstance(v, tuple) else v, e, k)
                for c, v, e, k in errs]
    avail_ok = all(m[c]["reads"].stats(("available", r))["answered"] == 1.0
                   for c in conds for r in READS)
    if skipped:
        out += ["", "Not measured (the condition failed to set up):", ""] + skipped
    out += ["", "Targets (issue 17):", ""]
    for cond, what in (("delay", "one replica delayed"),
                       ("delayp", "the primary delayed: the replicas hold no undecided entry"),
                       ("delay2", "both replicas delayed: the quorum waits on a delayed copy")):
        if cond not in m:
            continue
        d = m[cond]["reads"]
        for kind in ("point", "join"):
            b, s = d.stats(("bounded", kind))["p50"], d.stats(("strong", kind))["p50"]
            out.append("- bounded %s under write load on a delayed shard ≤ 0.5× strong's "
                       "p50, %s: %.2f / %.2f ms = %s: **%s**"
                       % ("point reads" if kind == "point" else "joins", what, b, s, x(b, s),
                          "yes" if s and b <= 0.5 * s else "no"))
    out.append("- available answers 100%% of reads while any copy of each shard is reachable "
               "(every condition here): **%s**" % ("yes" if avail_ok else "no"))
    out += ["", "Bounded and available reads do not wait at the read gate: they read committed "
            "data from the fastest qualifying copy (docs/consistency.md, \"Reads that do not "
            "wait\"). One replica delayed, a majority decides without it and strong reads do "
            "not wait at all, so neither level has anything to save; the primary delayed, strong "
            "reads it and waits, bounded answers from a replica at once; both replicas delayed, "
            "every copy but the primary (which holds the undecided entry) is behind the delay, "
            "so a read that avoids the entry pays the delay too. A read in flight to the "
            "primary when it is cut is sent again to another copy once the primary is suspect, "
            "whatever its level (docs/consistency.md, \"A read whose copy goes silent\"): it "
            "answers, suspect_timeout late. With the only current copy lost, strong "
            "answers nothing (08006), bounded answers while the copy left is within "
            "max_staleness (5 s), available answers everything, each answer with its WARNING, "
            "and no write is taken at any write_quorum."]
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=10, help="seconds per cell (default 10)")
    ap.add_argument("--quick", action="store_true", help="3 s per cell")
    ap.add_argument("--writers", type=int, default=2,
                    help="clients updating the shard's rows throughout (default 2)")
    ap.add_argument("--delay-ms", type=int, default=100)
    ap.add_argument("--skip-postgres", action="store_true")
    ap.add_argument("--conditions", default=",".join(CONDITIONS),
                    help="comma list of conditions, run in this order: %(default)s")
    ap.add_argument("--out", help="report path (default bench/results/<date>-pacelc.md)")
    args = ap.parse_args()
    if args.quick:
        args.seconds = 3
    args.conditions = [c for c in CONDITIONS if c in args.conditions.split(",")]
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="murphy-bench-pacelc-") as tmp:
        pg = None
        if not args.skip_postgres:
            log("PostgreSQL: reads under the same write load")
            pg = bench_pg(args)
        m = bench_murphy(args, tmp)
    text = report(args, m, pg)
    print(text)
    path = args.out or os.path.join(HERE, "results", "%s-pacelc.md" % datetime.date.today())
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    log("wrote %s (%.0f s)" % (path, time.time() - t0))


if __name__ == "__main__":
    main()
