"""A linearizability checker for one read/write register, and the weaker
checks for stale reads (issue 17, docs/consistency.md "Tests").

Design
------
A history is a list of ``RegOp``: who ran it (``proc``), ``kind`` ("write"
or "read"), the value written or read, the real-time interval
[``start``, ``end``] (any one clock, e.g. time.monotonic) and how it ended:

  ok       the client got an answer: a write took effect exactly once
           somewhere inside its interval; a read returned ``value``.
  failed   refused, nothing applied (history.classify: a definite SQLSTATE):
           the write never takes effect, the read tells nothing.
  unknown  no answer or an ambiguous one (connection lost, 08006, still
           running at the end): a write may have taken effect at any point
           after its start, or never; a read tells nothing.

``check_linearizable`` is Wing & Gong's search with Lowe's memoisation (the
algorithm of Knossos' "wgl" and porcupine): the calls and returns of every
operation sorted by time in a doubly linked list; walk it, and at each call
try to linearize that operation now (apply it to the register; a read must
see the current value) unless the pair (set of operations linearized so
far, register value) was reached before; at a return whose operation is
not linearized yet, backtrack. The history is linearizable when every ok
operation is linearized.  An unknown write returns at +infinity, so it can
be linearized anywhere after its call or never.  Two reductions keep the
search small and do not change the answer: failed writes and reads that
did not return are dropped, and so is an unknown write whose value no read
returned (if a linearization uses it, no read sits between it and the next
write, so dropping it leaves a linearization).

``check_stale_reads`` is what bounded and available promise instead: every
read returns a value some write that did not fail wrote (or the initial
value), no write from the future, and no value older than the staleness
the read reported: a value is too old when a write that began after the
value's write had returned was itself acknowledged more than the reported
staleness before the read began (the copy read lacks only entries decided
less than the staleness before the read, and that write was decided before
it was acknowledged).  Per session (``proc``) reads never go backwards
(monotonic reads): a later read does not return a value whose write ended
before an earlier read's value was written.

Values must be unique per write (the initial value aside).  Times are
floats in seconds; staleness (``RegOp.stale_s``) in seconds too.
"""
import math
from collections import namedtuple

OK, FAILED, UNKNOWN = "ok", "failed", "unknown"
WRITE, READ = "write", "read"
# Operations the search handles before giving up (its state is exponential
# in the number of concurrent operations in the worst case; a register
# history of a few seconds with a few clients is far below this).
SEARCH_STEPS_MAX = 5_000_000


class RegOp:
    __slots__ = ("proc", "kind", "value", "start", "end", "outcome", "stale_s", "index")

    def __init__(self, proc, kind, value, start, end=None, outcome=UNKNOWN, stale_s=0.0):
        self.proc, self.kind, self.value = proc, kind, value
        self.start, self.end, self.outcome, self.stale_s = start, end, outcome, stale_s
        self.index = None

    def __repr__(self):
        end = "..." if self.end is None else "%.4f" % self.end
        return "%s %s(%r) [%.4f, %s] %s" % (self.proc, self.kind, self.value, self.start, end,
                                           self.outcome)


Result = namedtuple("Result", "ok reason ops")


class _Entry:
    __slots__ = ("op", "call", "time", "match", "prev", "next")

    def __init__(self, op, call, time):
        self.op, self.call, self.time = op, call, time
        self.match = self.prev = self.next = None


def _entries(ops):
    """The sentinel head of the list of calls and returns, sorted by time
    (a call before a return at the same time: they may overlap)."""
    events = []
    for op in ops:
        call = _Entry(op, True, op.start)
        ret = _Entry(op, False, op.end if op.outcome == OK else math.inf)
        call.match = ret
        events += [call, ret]
    events.sort(key=lambda e: (e.time, 0 if e.call else 1))
    head = _Entry(None, True, -math.inf)
    prev = head
    for e in events:
        prev.next, e.prev = e, prev
        prev = e
    return head


def _lift(e):
    e.prev.next = e.next
    e.next.prev = e.prev
    m = e.match
    m.prev.next = m.next
    if m.next is not None:
        m.next.prev = m.prev


def _unlift(e):
    m = e.match
    m.prev.next = m
    if m.next is not None:
        m.next.prev = m
    e.prev.next = e
    e.next.prev = e


def _relevant(history):
    """The operations that constrain the search (see the design above)."""
    read_values = {op.value for op in history if op.kind == READ and op.outcome == OK}
    keep = []
    for op in history:
        if op.kind == READ and op.outcome != OK:
            continue
        if op.kind == WRITE and (op.outcome == FAILED or
                                 (op.outcome == UNKNOWN and op.value not in read_values)):
            continue
        keep.append(op)
    return keep


def _step(state, op):
    """(allowed, new state) of applying op to the register."""
    if op.kind == WRITE:
        return True, op.value
    return op.value == state, state


def check_linearizable(history, initial=None):
    """Result(ok, reason, ops): ok when the register history is
    linearizable from `initial`; else reason names the operation no
    linearization could place and ops the longest linearized prefix found."""
    ops = _relevant(history)
    for i, op in enumerate(ops):
        op.index = i
    head = _entries(ops)
    state, linearized, stack, seen = initial, 0, [], set()
    best, stuck, steps = [], None, 0
    entry = head.next
    while head.next is not None:
        steps += 1
        if steps > SEARCH_STEPS_MAX:
            return Result(False, "search gave up after %d steps" % steps, best)
        if entry.call:
            allowed, after = _step(state, entry.op)
            key = (linearized | (1 << entry.op.index), after)
            if allowed and key not in seen:
                seen.add(key)
                stack.append((entry, state))
                state, linearized = after, key[0]
                _lift(entry)
                entry = head.next
                continue
            entry = entry.next
            continue
        if entry.time == math.inf:  # only unknown writes are left open
            break
        if len(stack) > len(best) or stuck is None:
            best, stuck = [e.op for e, _ in stack], entry.op
        if not stack:
            return Result(False, _why(stuck, best), best)
        top, state = stack.pop()
        linearized &= ~(1 << top.op.index)
        _unlift(top)
        entry = top.next
    return Result(True, "linearizable: %d operations" % len(ops), [e.op for e, _ in stack])


def _why(op, prefix):
    last = prefix[-1] if prefix else None
    return ("not linearizable: %r cannot be placed after the %d operations linearized "
            "(last %r)" % (op, len(prefix), last))


def check_stale_reads(history, initial=None, monotonic=False):
    """Problems (strings) of a bounded/available history: reads of values
    never written or written by failed writes or in the future, values
    older than the staleness reported, and (monotonic) a session's reads
    going backwards.  [] when there are none."""
    writes = {op.value: op for op in history if op.kind == WRITE}
    acked = sorted((op for op in history if op.kind == WRITE and op.outcome == OK),
                   key=lambda op: op.end)
    problems, last_of = [], {}
    reads = sorted((op for op in history if op.kind == READ and op.outcome == OK),
                   key=lambda op: op.start)
    for r in reads:
        w = writes.get(r.value)
        if r.value == initial and w is None:
            w_end, w_start = -math.inf, -math.inf
        elif w is None:
            problems.append("%r: a value no write wrote" % r)
            continue
        elif w.outcome == FAILED:
            problems.append("%r: the value of a failed write %r" % (r, w))
            continue
        elif w.start > r.end:
            problems.append("%r: the value of a later write %r" % (r, w))
            continue
        else:
            w_end, w_start = (w.end if w.outcome == OK else math.inf), w.start
        horizon = r.start - r.stale_s
        newer = [w2 for w2 in acked if w2.end < horizon and w2.start > w_end]
        if newer:
            problems.append("%r reported %.3f s stale, but %r was acknowledged %.3f s before "
                            "it and overwrote it" % (r, r.stale_s, newer[0],
                                                     r.start - newer[0].end))
        prev = last_of.get(r.proc)
        if monotonic and prev is not None and w_end < prev[1]:
            problems.append("%r went backwards: the session read %r before" % (r, prev[0]))
        last_of[r.proc] = (r, w_start)
    return problems
