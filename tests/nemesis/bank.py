"""The bank workload of a nemesis run (run.py --workload bank; issue 16).

Design
------
The same cluster, nemesis (nemesis.py) and settling as the insert workload
(run.py), under money transfers instead of inserts:

- BANK holds ACCOUNTS accounts of START each (TOTAL in all) over SHARDS
  shards; LEDGER gets one row per transfer.  Both have 3 copies.
- TRANSFERS threads each loop: BEGIN; SELECT txid_current(); take `amount`
  from account a, give it to account b; INSERT the transfer's ledger row
  (tid: unique per attempt, chosen by the client); COMMIT.  The ledger row
  is in the same transaction as the money, so the ledger says exactly
  which transfers committed.  Each attempt ends
    acked     COMMIT answered COMMIT: it must be in the ledger, once;
    aborted   an error before COMMIT was sent (40P01, 40001, 55P03 are the
              retryable ones; any other error or a lost connection too):
              the block never asked to commit, so it must not be there;
    failed    COMMIT answered an error that says it was not applied
              (history.classify's definite classes, or class 40 but 40003:
              docs/transactions.md, "What the client hears", a class-40 code
              other than 40003 means rolled back, for certain): not there;
    unknown   COMMIT answered 40003, another error, or the connection broke
              during it (or the thread was still in it at the end): either
              way.
  Whatever the outcome, the recorded decision must agree with the ledger:
  a transfer writes BANK and LEDGER, so it is always a multi-shard commit
  whose decision the client can look up by its txid.  After the run the
  checker does what such a client does: it asks murphy.transaction_outcomes
  by txid (an IN list of OUTCOMES_PER_QUERY txids a query, through the
  leader) for every transfer that reached COMMIT — acked, failed and
  unknown alike — and checks each answer: "committed" iff the ledger holds
  the transfer, no row iff it does not; a txid the leader still reports
  "unknown" after the final read's deadline is an anomaly too.
- READERS threads loop `SELECT sum(balance), count(*) FROM BANK`: every
  answer must be exactly (TOTAL, ACCOUNTS) (no partial transaction seen).

After the run (clients stopped, faults healed, copies settled identical
with run.settle): the final total is TOTAL; each account's balance is START
plus what the final ledger moved into it minus what it moved out (nothing
applied without its ledger row or the other way round); the ledger holds
every acked transfer once and no aborted or failed one; every copy of every
BANK shard (read from its file) sums the same, and the shards' sums add up
to TOTAL.  Any violation prints the seed, the anomalies with the faults
around them, and exits 1.
"""
import random
import sqlite3
import threading
import time
from collections import Counter, defaultdict

import psycopg2

# run.py puts tests/cluster (checker, conftest) and tests/nemesis on the path.
import checker
import history as hist
import nemesis as nem
from conftest import MURPHY, Cluster

BANK, LEDGER = "bank", "ledger"
SHARDS = 4
ACCOUNTS = 20
START = 100
TOTAL = ACCOUNTS * START
# Tables the nemesis may cut a primary of (cut-primary-kill-leader).
TABLES = [(BANK, SHARDS), (LEDGER, SHARDS)]
TRANSFERS = 8
READERS = 2
AMOUNT = (1, 9)
RETRYABLE = ("40P01", "40001", "55P03")
NO_FUNCTION = "42883"
# COMMIT errors that say the transaction was rolled back (besides the
# definite classes of history.classify): class 40 (transaction rollback)
# but 40003, statement_completion_unknown.
COMMIT_REFUSED_CLASS = "40"
AMBIGUOUS = "40003"
READ_PAUSE_S = 0.01
RECONNECT_PAUSE_S = 0.1
# A tid is client * TID_BLOCK + attempt.
TID_BLOCK = 10 ** 9
ACKED, ABORTED, FAILED, UNKNOWN = "acked", "aborted", "failed", "unknown"
# Transfers' txids asked of murphy.transaction_outcomes in one query (an
# IN list: the view reads each by its key, src/leader/lead_outcomes_vt.c).
OUTCOMES_PER_QUERY = 200
# What the view answers for a txid the restarted leader is still resolving.
STILL_UNKNOWN = "unknown"
# Anomalies shown per kind in the report.
SHOWN = 10


class Transfer:
    __slots__ = ("proc", "tid", "txid", "src", "dst", "amount", "start", "end", "outcome",
                 "sqlstate", "error", "phase")

    def __init__(self, proc, tid, src, dst, amount, start):
        self.proc, self.tid, self.src, self.dst, self.amount = proc, tid, src, dst, amount
        self.start, self.end, self.txid, self.phase = start, None, None, "begin"
        self.outcome, self.sqlstate, self.error = UNKNOWN, None, None

    def __str__(self):
        return "tid %d (txid %s) %s: %d from %d to %d, t=%.2f-%s, %s%s, in %s" % (
            self.tid, self.txid, self.proc, self.amount, self.src, self.dst, self.start,
            "%.2f" % self.end if self.end is not None else "(running)", self.outcome,
            " " + self.sqlstate if self.sqlstate else "", self.phase)


class Clients:
    """Transfer and reader threads; transfers and reads kept in lists."""

    def __init__(self, cluster, clock, seed, parallel=None):
        self.cluster, self.clock, self.seed = cluster, clock, seed
        self.parallel = parallel  # SET murphy.parallel_commits = <it> in each session
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.txids = True  # txid_current() exists
        self.transfers, self.reads = [], []  # reads: (proc, start, end, value or error)
        self.threads = ([threading.Thread(target=self._transfer, args=(k,), daemon=True)
                         for k in range(TRANSFERS)] +
                        [threading.Thread(target=self._reader, args=(k,), daemon=True)
                         for k in range(READERS)])

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self, join_s):
        self.stop.set()
        deadline = time.time() + join_s
        for t in self.threads:
            t.join(max(0.1, deadline - time.time()))
        return sum(t.is_alive() for t in self.threads)

    def _connect(self, autocommit):
        while not self.stop.is_set():
            try:
                conn = self.cluster.connect(autocommit=True)
                if self.parallel:
                    with conn.cursor() as cur:
                        cur.execute("SET murphy.parallel_commits = %s" % self.parallel)
                conn.autocommit = autocommit
                return conn
            except psycopg2.Error:
                time.sleep(RECONNECT_PAUSE_S)
        return None

    def _attempt(self, conn, t):
        with conn.cursor() as cur:
            if self.txids:
                try:
                    cur.execute("SELECT txid_current()")
                    t.txid = cur.fetchone()[0]
                except psycopg2.Error as e:
                    if e.pgcode != NO_FUNCTION:
                        raise
                    self.txids = False  # a binary before transactions: run on without
                    conn.rollback()
            t.phase = "statements"
            cur.execute("UPDATE %s SET balance = balance - %%s WHERE id = %%s" % BANK,
                        (t.amount, t.src))
            cur.execute("UPDATE %s SET balance = balance + %%s WHERE id = %%s" % BANK,
                        (t.amount, t.dst))
            cur.execute("INSERT INTO %s (tid, src, dst, amount) VALUES (%%s, %%s, %%s, %%s)"
                        % LEDGER, (t.tid, t.src, t.dst, t.amount))
        t.phase = "commit"
        conn.commit()

    def _outcome(self, t, state):
        if t.phase != "commit":
            return ABORTED
        if state and (hist.classify(state) == hist.FAILED or (
                state.startswith(COMMIT_REFUSED_CLASS) and state != AMBIGUOUS)):
            return FAILED
        return UNKNOWN

    def _transfer(self, k):
        rng = random.Random(self.seed * 1000 + k)
        proc, conn = "t%d" % k, None
        for n in range(TID_BLOCK):
            if self.stop.is_set():
                break
            conn = conn or self._connect(autocommit=False)
            if conn is None:
                break
            src, dst = rng.sample(range(1, ACCOUNTS + 1), 2)
            t = Transfer(proc, k * TID_BLOCK + n, src, dst, rng.randint(*AMOUNT), self.clock())
            with self.lock:
                self.transfers.append(t)
            try:
                self._attempt(conn, t)
                t.outcome, t.end = ACKED, self.clock()
                continue
            except psycopg2.Error as e:
                state = e.pgcode if not conn.closed else None
                t.outcome, t.sqlstate, t.end = self._outcome(t, state), state, self.clock()
                t.error = str(e).strip()[:200]
            try:
                conn.rollback()
            except psycopg2.Error:
                pass
            if conn.closed or not t.sqlstate:
                try:
                    conn.close()
                except psycopg2.Error:
                    pass
                conn = None
            if t.sqlstate not in RETRYABLE:
                time.sleep(RECONNECT_PAUSE_S)
        if conn is not None:
            conn.close()

    def _reader(self, k):
        proc, conn = "r%d" % k, None
        while not self.stop.is_set():
            conn = conn or self._connect(autocommit=True)
            if conn is None:
                break
            start = self.clock()
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT sum(balance), count(*) FROM %s" % BANK)
                    value = tuple(cur.fetchone())
                with self.lock:
                    self.reads.append((proc, start, self.clock(), value))
            except psycopg2.Error as e:
                with self.lock:
                    self.reads.append((proc, start, self.clock(), e.pgcode or "no SQLSTATE"))
                if conn.closed or not e.pgcode:
                    conn.close()
                    conn = None
                time.sleep(RECONNECT_PAUSE_S)
            time.sleep(READ_PAUSE_S)
        if conn is not None:
            conn.close()


def create_tables(cluster, replicas):
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, balance int NOT NULL) "
                    "WITH (shards = %d, replicas = %d)" % (BANK, SHARDS, replicas))
        cur.execute("CREATE TABLE %s (tid bigint PRIMARY KEY, src int NOT NULL, dst int NOT NULL,"
                    " amount int NOT NULL) WITH (shards = %d, replicas = %d)"
                    % (LEDGER, SHARDS, replicas))
        cur.execute("INSERT INTO %s VALUES %s" % (BANK, ", ".join(
            "(%d, %d)" % (i, START) for i in range(1, ACCOUNTS + 1))))
    conn.close()


def final_state(cluster, timeout):
    """(balances {id: balance}, ledger rows [(tid, src, dst, amount)]) read
    through the leader, retried."""
    deadline = time.time() + timeout
    while True:
        try:
            conn = cluster.connect()
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT id, balance FROM %s" % BANK)
                    balances = dict(cur.fetchall())
                    cur.execute("SELECT tid, src, dst, amount FROM %s" % LEDGER)
                    ledger = cur.fetchall()
                return balances, ledger
            finally:
                conn.close()
        except psycopg2.Error:
            if time.time() > deadline:
                raise
            time.sleep(0.5)


def outcomes_by_txid(cluster, txids, timeout):
    """{txid: outcome, or None for no row} of every txid, asked of
    murphy.transaction_outcomes by txid through the leader, as a client
    that lost its COMMIT's answer does (docs/transactions.md, "A COMMIT
    whose answer was lost").  A txid the leader is still resolving
    (STILL_UNKNOWN, or 55000 while the view is rebuilt) is asked again
    until timeout; {} when the view does not exist (a binary before
    transactions)."""
    want = sorted(set(txids))
    got = {}
    deadline = time.time() + timeout
    while True:
        try:
            conn = cluster.connect()
            try:
                with conn.cursor() as cur:
                    pending = [x for x in want if x not in got or got[x] == STILL_UNKNOWN]
                    for i in range(0, len(pending), OUTCOMES_PER_QUERY):
                        chunk = tuple(pending[i:i + OUTCOMES_PER_QUERY])
                        cur.execute("SELECT txid, outcome FROM murphy.transaction_outcomes "
                                    "WHERE txid IN %s", (chunk,))
                        rows = dict(cur.fetchall())
                        got.update((x, rows.get(x)) for x in chunk)
                if STILL_UNKNOWN not in got.values() or time.time() > deadline:
                    return got
                time.sleep(0.5)  # resolving: ask those again
            except psycopg2.errors.UndefinedTable:
                return {}  # a binary before transactions
            finally:
                conn.close()
        except psycopg2.Error:
            if time.time() > deadline:
                raise
            time.sleep(0.5)


def copy_sums(cluster):
    """{shard: {node: sum(balance)}} of every BANK copy, from its file."""
    out = defaultdict(dict)
    for (t, shard, node), info in checker.placement_files(cluster).items():
        if t != BANK:
            continue
        db = sqlite3.connect("file:%s?mode=ro" % info[0], uri=True, timeout=5)
        try:
            out[shard][node] = db.execute('SELECT coalesce(sum(balance), 0) FROM "%s"'
                                          % BANK).fetchone()[0]
        finally:
            db.close()
    return out


def _committed(outcome):
    return "commit" in str(outcome).lower()


def asked(transfers):
    """The txids whose outcome the checker asks: every transfer that
    reached COMMIT (an abort before it has nothing to look up)."""
    return [t.txid for t in transfers if t.txid is not None and t.outcome != ABORTED]


def check(transfers, reads, balances, ledger, outcomes, sums, problems):
    """[(kind, text)] of every violation; outcomes: {txid: outcome or None}
    of the txids asked (a txid left out reads as no row)."""
    bad = []
    wrong = [r for r in reads if isinstance(r[3], tuple) and r[3] != (TOTAL, ACCOUNTS)]
    bad += [("read", "%s at t=%.2f-%.2f saw (sum, count) %s, want (%d, %d)" % (
        r[0], r[1], r[2], r[3], TOTAL, ACCOUNTS)) for r in wrong]
    if sum(balances.values()) != TOTAL or len(balances) != ACCOUNTS:
        bad.append(("total", "final sum %d over %d accounts, want %d over %d" % (
            sum(balances.values()), len(balances), TOTAL, ACCOUNTS)))
    seen = Counter(row[0] for row in ledger)
    bad += [("duplicate", "ledger holds tid %d %d times" % (tid, n))
            for tid, n in seen.items() if n > 1]
    expect = {i: START for i in range(1, ACCOUNTS + 1)}
    for _tid, src, dst, amount in ledger:
        expect[src] -= amount
        expect[dst] += amount
    bad += [("balance", "account %d holds %s, the ledger says %d" % (i, balances.get(i), v))
            for i, v in sorted(expect.items()) if balances.get(i) != v]
    by_proc = defaultdict(list)
    for t in transfers:
        by_proc[t.proc].append(t)

    def before(t):  # the thread's attempts just before t, for the report
        mine = by_proc[t.proc]
        k = mine.index(t)
        return "".join("\n        before: %s%s" % (x, " (%s)" % x.error.splitlines()[0]
                                                  if x.error else "")
                       for x in mine[max(0, k - 3):k])
    for t in transfers:
        there = t.tid in seen
        if t.outcome == ACKED and not there:
            bad.append(("lost", "acknowledged transfer missing from the ledger: %s%s"
                        % (t, before(t))))
        elif t.outcome in (ABORTED, FAILED) and there:
            bad.append(("ghost", "%s transfer in the ledger: %s%s" % (t.outcome, t, before(t))))
        elif t.txid is not None and t.outcome != ABORTED:
            # its lookup by txid: committed iff in the ledger, no row iff not
            if outcomes.get(t.txid) == STILL_UNKNOWN:
                bad.append(("outcome", "murphy.transaction_outcomes still says unknown "
                            "after the run: %s%s" % (t, before(t))))
            elif _committed(outcomes.get(t.txid)) != there:
                bad.append(("outcome", "murphy.transaction_outcomes says %s, ledger %s: %s%s"
                            % (outcomes.get(t.txid, "nothing"), "has it" if there else
                               "does not", t, before(t))))
    for shard, by_node in sorted(sums.items()):
        if len(set(by_node.values())) > 1:
            bad.append(("copies", "%s shard %d copies sum differently: %s" % (BANK, shard,
                                                                             by_node)))
    if sums and sum(next(iter(v.values())) for v in sums.values()) != TOTAL:
        bad.append(("copies", "the shards' files sum to %d, want %d: %s" % (
            sum(next(iter(v.values())) for v in sums.values()), TOTAL, dict(sums))))
    bad += [("divergent", p) for p in problems]
    return bad


def _faults_near(history, lo, hi):
    return [f for f in history.faults
            if f.end >= lo - hist.CONTEXT_S and f.start <= hi + hist.CONTEXT_S]


def report(history, clients, seen, outcomes, bad, header, extra):
    out = list(header) + [""]
    tr = clients.transfers
    n = Counter(t.outcome for t in tr)
    out.append("Transfers: %d attempts; %s" % (len(tr), ", ".join(
        "%s %d" % (o, n[o]) for o in (ACKED, ABORTED, FAILED, UNKNOWN))))
    errs = Counter((t.outcome, t.phase, t.sqlstate or "no SQLSTATE") for t in tr
                   if t.outcome != ACKED)
    if errs:
        out.append("  errors: " + ", ".join("%s in %s %s x%d" % (o, p, s, k)
                                             for (o, p, s), k in sorted(errs.items())))
    examples = {}
    for t in tr:
        if t.outcome != ACKED and t.error:
            examples.setdefault((t.phase, t.sqlstate), t)
    for (phase, state), t in sorted(examples.items(), key=lambda kv: str(kv[0])):
        at = sorted(x.start for x in tr if (x.phase, x.sqlstate) == (phase, state)
                    and x.outcome != ACKED)
        out.append("    e.g. in %s %s: %s (at t=%s%s)" % (
            phase, state or "no SQLSTATE", t.error.splitlines()[0],
            ", ".join("%.2f" % a for a in at[:SHOWN]), " ..." if len(at) > SHOWN else ""))
    unknown = [t for t in tr if t.outcome == UNKNOWN]
    out.append("  unknown transfers in the ledger at the end: %d of %d" % (
        sum(1 for t in unknown if t.tid in seen), len(unknown)))
    looked = Counter("committed" if _committed(o) else "no row" if o is None else o
                     for o in outcomes.values())
    out.append("  outcomes asked by txid (murphy.transaction_outcomes) for the %d transfers "
               "that reached COMMIT: %s; by outcome: %s" % (
                   len(asked(tr)), ", ".join("%s %d" % kv for kv in sorted(looked.items())),
                   ", ".join("%s %d/%d committed" % (
                       o, sum(1 for t in tr if t.outcome == o and _committed(
                           outcomes.get(t.txid))), sum(1 for t in tr if t.outcome == o))
                       for o in (ACKED, FAILED, UNKNOWN))))
    ok = [r for r in clients.reads if isinstance(r[3], tuple)]
    errs = Counter(r[3] for r in clients.reads if not isinstance(r[3], tuple))
    lat = sorted(r[2] - r[1] for r in ok)
    out.append("Reads: %d answered (latency p50 %.3f s, max %.3f s), %d errors%s" % (
        len(ok), lat[len(lat) // 2] if lat else 0, lat[-1] if lat else 0, sum(errs.values()),
        " (%s)" % ", ".join("%s x%d" % kv for kv in sorted(errs.items())) if errs else ""))
    out.append("")
    out.append("Faults (%d; t = seconds since the clients started):" % len(history.faults))
    out.extend(hist._fmt_fault(f) for f in sorted(history.faults, key=lambda f: f.start))
    out.extend(extra)
    out.append("")
    out.append("Anomalies: %d" % len(bad))
    by_kind = defaultdict(list)
    for kind, text in bad:
        by_kind[kind].append(text)
    for kind, texts in sorted(by_kind.items()):
        out.append("  %s x%d" % (kind.upper(), len(texts)))
        out.extend("    " + t for t in texts[:SHOWN])
    lost = [t for t in tr if t.outcome == ACKED and t.tid not in seen]
    if lost:
        lo, hi = min(t.start for t in lost), max(t.end for t in lost)
        out.append("  faults around the lost transfers (t=%.2f..%.2f):" % (lo, hi))
        out.extend("  " + hist._fmt_fault(f) for f in _faults_near(history, lo, hi))
    out.append("")
    out.append("Verdict: %s" % ("VALID" if not bad else "INVALID (%s)" % ", ".join(
        "%s x%d" % (k, len(v)) for k, v in sorted(by_kind.items()))))
    return "\n".join(out)


def run(args, out, settle, join_s, final_read_s, timers):
    """One bank run (run.py's args); the exit status (0: no anomaly)."""
    replicas = min(3, args.followers)
    t0 = [time.time()]
    clock = lambda: time.time() - t0[0]  # noqa: E731
    history = hist.History(clock)
    cluster = Cluster(followers=args.followers, start_args=timers)
    header = ["murphy nemesis, bank workload: seed %d, %g s, %d followers, RF %d, leader kills %s;"
              " %d accounts over %d shards, %d transfer threads, %d readers" % (
                  args.seed, args.seconds, args.followers, replicas,
                  "off" if args.no_leader_kills else "on", ACCOUNTS, SHARDS, TRANSFERS, READERS),
              "binary %s, cluster %s" % (MURPHY, cluster.dir),
              "reproduce: tests/nemesis/run.py --workload bank --seed %d --seconds %g "
              "--followers %d%s%s" % (args.seed, args.seconds, args.followers,
                                      " --no-leader-kills" if args.no_leader_kills else "",
                                      " --parallel-commits %s" % args.parallel_commits
                                      if getattr(args, "parallel_commits", None) else "")]
    try:
        cluster.start()
        create_tables(cluster, replicas)
        clients = Clients(cluster, clock, args.seed, getattr(args, "parallel_commits", None))
        steps = nem.schedule(args.seed, args.followers, not args.no_leader_kills, TABLES)
        nemesis = nem.Nemesis(cluster, history, steps, threading.Event())
        t0[0] = time.time()
        clients.start()
        nemesis.run(time.time() + args.seconds)
        hung = clients.finish(join_s)
        nemesis.heal_all()
        problems, settle_s = settle(cluster, replicas, args.settle)
        balances, ledger = final_state(cluster, final_read_s)
        sums = copy_sums(cluster)
        with clients.lock:
            transfers, reads = list(clients.transfers), list(clients.reads)
        outcomes = outcomes_by_txid(cluster, asked(transfers), final_read_s)
        bad = check(transfers, reads, balances, ledger, outcomes, sums, problems)
        seen = {row[0] for row in ledger}
        extra = ["", "Recovery: settled in %.1f s%s; %d clients still in a statement after %d s"
                 % (settle_s, "" if not problems else " (NOT settled)", hung, join_s)]
        extra += nemesis.notes
        print(report(history, clients, seen, outcomes, bad, header, extra), file=out)
        if bad and not args.keep:
            print("\nnode logs (tail):\n" + cluster.logs(lines=15), file=out)
        return 1 if bad else 0
    finally:
        if args.keep:
            cluster.stop()
            print("cluster kept in %s" % cluster.dir, file=out)
        else:
            cluster.cleanup()

