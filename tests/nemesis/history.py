"""History and checker of a nemesis run (tests/nemesis/run.py).

Design
------
Clients record every operation they attempt as an ``Op`` in one ``History``
(thread-safe, append-only): who ran it, what (``insert1`` one row,
``insertN`` a multi-row VALUES list, ``copy`` a COPY batch, ``read-key`` a
point read, ``read-count`` a count(*)), on which table, which ids, when
(seconds since the run began, start and end) and how it ended.  The
nemesis records its faults in the same history (``Fault``) so anomalies can
be shown next to what was happening around them.

A write ends in one of three outcomes, decided by ``classify`` from what the
client saw and nothing else:

  ok       CommandComplete came back: the write is acknowledged and must
           survive whatever happens next.
  failed   an ErrorResponse whose SQLSTATE says the statement was refused
           and not applied (DEFINITE_FAILURE_CLASSES: data exceptions 22,
           integrity 23, transaction state 25, syntax/access 42, resources
           53, limits 54, object state 55, not supported 0A).  Such an id
           must never become visible.
  unknown  everything else, where the write may or may not have been
           applied: the connection broke (no SQLSTATE; psycopg2
           OperationalError/InterfaceError), class 08 connection exception
           (murphy answers 08006 when a follower is lost mid-write; it says
           it undoes the write, but a copy it could not reach is reconciled
           later, so the client cannot know), 40003 statement completion
           unknown, class 57 operator intervention (shutdown, cancel: may
           land after the write), 58 system error, XX internal error.
           Either outcome is allowed at the end.  (Unknown ids that did end
           up present are counted in the report, per SQLSTATE, as a hint.)
  Operations still running when the run stops stay ``unknown``.

Checks (``check``), once the cluster is healed and every placement is
current:

  lost       an acknowledged id is not in the table
  ghost      a definitely-failed id is in the table
  backwards  a read missed something an earlier read saw: a point read of
             key k that started after another read of k that saw it had
             finished, and did not see it; a count(*) that started after
             another count of the same table had finished, and was smaller
             (only inserts run, so each shard's rows only grow); or an id
             some read saw that is not in the final table
  divergent  copies of a shard differ (digest of every placement file,
             tests/cluster/checker.py), or placements never became current
  duplicate  an id visible twice

``report`` prints a Jepsen-like summary: operations by kind and outcome,
the faults with their times, and each anomaly with its ids, when they were
written and the faults in a window around them.
"""
import threading
from collections import Counter, defaultdict, namedtuple

# SQLSTATE classes whose ErrorResponse means "refused, nothing applied".
DEFINITE_FAILURE_CLASSES = ("0A", "22", "23", "25", "42", "53", "54", "55")
# Seconds of fault history shown before and after an anomaly's writes.
CONTEXT_S = 3.0
# Ids listed per anomaly in the report (the counts are always complete).
IDS_SHOWN = 20

OK, FAILED, UNKNOWN = "ok", "failed", "unknown"
WRITE_KINDS = ("insert1", "insertN", "copy")
READ_KINDS = ("read-key", "read-count")

Fault = namedtuple("Fault", "start end name detail")


class Op:
    __slots__ = ("proc", "kind", "table", "ids", "start", "end", "outcome", "sqlstate",
                 "error", "value")

    def __init__(self, proc, kind, table, ids, start):
        self.proc, self.kind, self.table, self.ids, self.start = proc, kind, table, ids, start
        self.end, self.outcome, self.sqlstate, self.error, self.value = None, UNKNOWN, None, None, None


def classify(sqlstate):
    """FAILED when an ErrorResponse with this SQLSTATE means not applied,
    UNKNOWN otherwise (sqlstate None: no ErrorResponse, the connection broke)."""
    if sqlstate and sqlstate[:2] in DEFINITE_FAILURE_CLASSES:
        return FAILED
    return UNKNOWN


class History:
    """Every operation and fault of one run; times are seconds since t0."""

    def __init__(self, clock):
        self.clock = clock
        self.ops = []
        self.faults = []
        self.lock = threading.Lock()

    def begin(self, proc, kind, table, ids=()):
        op = Op(proc, kind, table, list(ids), self.clock())
        with self.lock:
            self.ops.append(op)
        return op

    def finish(self, op, outcome, sqlstate=None, error=None, value=None):
        op.end, op.outcome, op.sqlstate, op.error, op.value = (self.clock(), outcome, sqlstate,
                                                               error, value)

    def fault(self, name, detail, start, end=None):
        f = Fault(start, end if end is not None else self.clock(), name, detail)
        with self.lock:
            self.faults.append(f)
        return f

    def writes(self):
        return [op for op in self.ops if op.kind in WRITE_KINDS]

    def reads(self):
        return [op for op in self.ops if op.kind in READ_KINDS and op.end is not None
                and op.outcome == OK]


class Anomaly:
    def __init__(self, kind, table, ids, text):
        self.kind, self.table, self.ids, self.text = kind, table, sorted(ids), text


def _id_outcomes(history):
    """{(table, id): op} for every written id (ids are unique per run)."""
    out = {}
    for op in history.writes():
        for i in op.ids:
            out[(op.table, i)] = op
    return out


def _backwards_key_reads(reads):
    """Point reads that missed a key an earlier, finished read had seen."""
    by_key = defaultdict(list)
    for op in reads:
        if op.kind == "read-key":
            by_key[(op.table, op.ids[0])].append(op)
    bad = []
    for (table, key), ops in by_key.items():
        seen_at = min((op.end for op in ops if op.value), default=None)
        if seen_at is None:
            continue
        for op in ops:
            if not op.value and op.start > seen_at:
                bad.append((table, key, seen_at, op))
    return bad


def _backwards_counts(reads):
    """count(*) reads smaller than a count that had finished before they began."""
    by_table = defaultdict(list)
    for op in reads:
        if op.kind == "read-count":
            by_table[op.table].append(op)
    bad = []
    for table, ops in by_table.items():
        ops.sort(key=lambda o: o.start)
        done = sorted(ops, key=lambda o: o.end)
        best, j = None, 0
        for op in ops:
            while j < len(done) and done[j].end < op.start:
                if best is None or done[j].value > best.value:
                    best = done[j]
                j += 1
            if best is not None and op.value < best.value:
                bad.append((table, best, op))
    return bad


def _episodes(ids, table, outcomes):
    """ids split into groups whose writes lie within CONTEXT_S of each
    other, so each group is shown with the faults around it."""
    ops = sorted({id(op): op for op in (outcomes[(table, i)] for i in ids)}.values(),
                 key=lambda op: op.start)
    groups, last_end = [], None
    for op in ops:
        if last_end is None or op.start > last_end + CONTEXT_S:
            groups.append(set())
        groups[-1].update(i for i in op.ids if i in ids)
        end = op.end if op.end is not None else op.start
        last_end = end if last_end is None else max(last_end, end)
    return groups


def check(history, final_ids, copy_problems, duplicates):
    """Anomalies of a run.  final_ids: {table: set of ids visible at the end};
    copy_problems: strings from checker.check_cluster or the settle wait;
    duplicates: {table: ids visible more than once}."""
    anomalies = []
    outcomes = _id_outcomes(history)
    by_outcome = defaultdict(lambda: defaultdict(set))
    for (table, i), op in outcomes.items():
        by_outcome[op.outcome][table].add(i)
    for table, seen in sorted(final_ids.items()):
        for lost in _episodes(by_outcome[OK][table] - seen, table, outcomes):
            anomalies.append(Anomaly("lost", table, lost, "%d acknowledged ids are missing"
                                     % len(lost)))
        for ghosts in _episodes(by_outcome[FAILED][table] & seen, table, outcomes):
            anomalies.append(Anomaly("ghost", table, ghosts, "%d ids whose write definitely "
                                     "failed are present" % len(ghosts)))
        strangers = seen - {i for (t, i) in outcomes if t == table}
        if strangers:
            anomalies.append(Anomaly("ghost", table, strangers, "%d ids nobody wrote are present"
                                     % len(strangers)))
    for table, ids in sorted(duplicates.items()):
        anomalies.append(Anomaly("duplicate", table, ids, "%d ids visible more than once"
                                 % len(ids)))
    reads = history.reads()
    seen_by_reads = defaultdict(set)
    for op in reads:
        if op.kind == "read-key" and op.value:
            seen_by_reads[op.table].add(op.ids[0])
    for table, ids in sorted(seen_by_reads.items()):
        gone = ids - final_ids.get(table, set())
        if gone:
            anomalies.append(Anomaly("backwards", table, gone, "%d ids a read saw are gone at "
                                     "the end" % len(gone)))
    missed = defaultdict(list)
    for table, key, seen_at, op in _backwards_key_reads(reads):
        missed[table].append((op.start, key, seen_at, op))
    for table, bad in sorted(missed.items()):
        bad.sort(key=lambda b: b[0])
        t, key, seen_at, op = bad[0]
        anomalies.append(Anomaly("backwards", table, {b[1] for b in bad}, "%d point reads "
                                 "missed an id an earlier read had seen; first: id %d by %s at "
                                 "%.3f-%.3f, seen by %.3f"
                                 % (len(bad), key, op.proc, op.start, op.end, seen_at)))
    smaller = defaultdict(list)
    for table, before, op in _backwards_counts(reads):
        smaller[table].append((before, op))
    for table, bad in sorted(smaller.items()):
        before, op = min(bad, key=lambda b: b[1].start)
        anomalies.append(Anomaly("backwards", table, [], "%d count(*) reads went down; first: "
                                 "%d by %s at %.3f-%.3f, after %s saw %d at %.3f-%.3f; last at "
                                 "%.3f" % (len(bad), op.value, op.proc, op.start, op.end,
                                           before.proc, before.value, before.start, before.end,
                                           max(b[1].start for b in bad))))
    for p in copy_problems:
        anomalies.append(Anomaly("divergent", None, [], p))
    return anomalies


# ---------------------------------------------------------------- report

def _fmt_op(op):
    return "%s %s by %s at t=%.2f-%.2f: %s" % (
        op.kind, op.table, op.proc, op.start, op.end if op.end is not None else -1,
        (op.error or "still running").splitlines()[0])


def _fmt_fault(f):
    span = "%7.2f" % f.start if f.end - f.start < 0.005 else "%7.2f-%-7.2f" % (f.start, f.end)
    return "  [%-15s] %-28s %s" % (span, f.name, f.detail)


def _faults_near(history, lo, hi):
    return [f for f in history.faults if f.end >= lo - CONTEXT_S and f.start <= hi + CONTEXT_S]


def _anomaly_lines(history, a, outcomes):
    lines = ["%s%s: %s" % (a.kind.upper(), " (%s)" % a.table if a.table else "", a.text)]
    if not a.ids:
        return lines
    shown = a.ids[:IDS_SHOWN]
    lines.append("    ids: %s%s" % (", ".join(map(str, shown)),
                                    " ... (%d more)" % (len(a.ids) - len(shown))
                                    if len(a.ids) > len(shown) else ""))
    ops = {id(op): op for op in (outcomes.get((a.table, i)) for i in a.ids) if op}
    if ops:
        lo = min(op.start for op in ops.values())
        hi = max(op.end if op.end is not None else op.start for op in ops.values())
        kinds = Counter("%s %s%s" % (op.kind, op.outcome, " " + op.sqlstate if op.sqlstate else "")
                        for op in ops.values())
        lines.append("    written by %d ops at t=%.2f..%.2f: %s" % (
            len(ops), lo, hi, ", ".join("%s x%d" % kv for kv in sorted(kinds.items()))))
        near = _faults_near(history, lo, hi)
        lines.append("    faults from t=%.2f to t=%.2f:" % (lo - CONTEXT_S, hi + CONTEXT_S))
        lines.extend("  " + _fmt_fault(f) for f in near)
        if not near:
            lines.append("      (none)")
    return lines


def report(history, anomalies, final_ids, header, extra=()):
    """The run as text, Jepsen-like: operations, faults, anomalies, verdict."""
    out = list(header)
    writes = history.writes()
    out.append("")
    out.append("Operations (writes): %d statements, %d ids" % (
        len(writes), sum(len(op.ids) for op in writes)))
    out.append("  %-9s %8s %8s %8s   %s" % ("kind", OK, FAILED, UNKNOWN, "ids ok/failed/unknown"))
    for kind in WRITE_KINDS:
        ops = [op for op in writes if op.kind == kind]
        n = Counter(op.outcome for op in ops)
        ids = Counter()
        for op in ops:
            ids[op.outcome] += len(op.ids)
        out.append("  %-9s %8d %8d %8d   %d/%d/%d" % (kind, n[OK], n[FAILED], n[UNKNOWN],
                                                    ids[OK], ids[FAILED], ids[UNKNOWN]))
    errs = Counter((op.outcome, op.sqlstate or "no SQLSTATE") for op in writes if op.outcome != OK)
    if errs:
        out.append("  errors: " + ", ".join("%s %s x%d" % (o, s, n)
                                             for (o, s), n in sorted(errs.items())))
    present, examples, partial = Counter(), {}, []
    for op in writes:
        if op.outcome == UNKNOWN:
            n = sum(1 for i in op.ids if i in final_ids.get(op.table, ()))
            if n:
                present[op.sqlstate or "no SQLSTATE"] += n
                examples.setdefault(op.sqlstate, op)
            if 0 < n < len(op.ids):
                partial.append((op, n))
    unknown_ids = sum(len(op.ids) for op in writes if op.outcome == UNKNOWN)
    out.append("  unknown ids present at the end: %d of %d%s" % (
        sum(present.values()), unknown_ids,
        " (" + ", ".join("%s x%d" % kv for kv in sorted(present.items())) + ")" if present else ""))
    for op in examples.values():
        out.append("    e.g. %s" % _fmt_op(op))
    # A statement is one write to the client; a multi-shard one that failed
    # part-way stays partly applied (murphy has no distributed transactions
    # yet): shown here, not counted as an anomaly.
    out.append("  unknown statements partly applied: %d%s" % (len(partial), " (" + ", ".join(
        "%s x%d" % kv for kv in sorted(Counter(op.kind for op, n in partial).items())) + ")"
        if partial else ""))
    for op, n in partial[:3]:
        out.append("    e.g. %d of %d ids: %s" % (n, len(op.ids), _fmt_op(op)))
    reads = [op for op in history.ops if op.kind in READ_KINDS]
    rn = Counter((op.kind, op.outcome) for op in reads)
    out.append("Operations (reads): %d; read-key ok %d, read-count ok %d, errors/unknown %d" % (
        len(reads), rn[("read-key", OK)], rn[("read-count", OK)],
        sum(n for (k, o), n in rn.items() if o != OK)))
    out.append("")
    out.append("Faults (%d; t = seconds since the clients started):" % len(history.faults))
    out.extend(_fmt_fault(f) for f in sorted(history.faults, key=lambda f: f.start))
    out.extend(extra)
    out.append("")
    outcomes = _id_outcomes(history)
    out.append("Anomalies: %d" % len(anomalies))
    for a in anomalies:
        out.extend("  " + line for line in _anomaly_lines(history, a, outcomes))
    out.append("")
    out.append("Verdict: %s" % ("VALID" if not anomalies else "INVALID (%s)" % ", ".join(
        "%s x%d" % kv for kv in sorted(Counter(a.kind for a in anomalies).items()))))
    return "\n".join(out)
