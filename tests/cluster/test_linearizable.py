"""The register checkers of linearizable.py on hand-made histories (no
cluster): linearizable ones pass, a stale read after a completed write,
a read of a failed write and reads that see a write then miss it fail;
the stale-read check accepts old values only as old as reported."""
import random

from linearizable import (FAILED, OK, READ, UNKNOWN, WRITE, RegOp, check_linearizable,
                          check_stale_reads)


def w(proc, value, start, end, outcome=OK):
    return RegOp(proc, WRITE, value, start, end, outcome)


def r(proc, value, start, end, outcome=OK, stale_s=0.0):
    return RegOp(proc, READ, value, start, end, outcome, stale_s)


def test_sequential_history_is_linearizable():
    h = [w("a", 1, 0, 1), r("b", 1, 2, 3), w("a", 2, 4, 5), r("b", 2, 6, 7)]
    res = check_linearizable(h)
    assert res.ok, res.reason
    assert [op.value for op in res.ops] == [1, 1, 2, 2]


def test_read_of_the_initial_value():
    assert check_linearizable([r("b", None, 0, 1), w("a", 1, 2, 3)]).ok
    assert check_linearizable([r("b", 0, 0, 1)], initial=0).ok
    assert not check_linearizable([r("b", 0, 0, 1)]).ok


def test_concurrent_read_may_see_either_value():
    for seen in (1, 2):
        h = [w("a", 1, 0, 1), w("a", 2, 2, 6), r("b", seen, 3, 4)]
        assert check_linearizable(h).ok, seen


def test_stale_read_after_a_completed_write_fails():
    h = [w("a", 1, 0, 1), w("a", 2, 2, 3), r("b", 1, 4, 5)]
    res = check_linearizable(h)
    assert not res.ok
    assert "read(1)" in res.reason, res.reason


def test_new_then_old_while_a_write_runs_fails():
    """Both reads overlap the write, but the second began after the first
    saw the new value: it may not see the old one again."""
    h = [w("a", 1, 0, 1), w("a", 2, 2, 10), r("b", 2, 3, 4), r("c", 1, 5, 6)]
    assert not check_linearizable(h).ok
    h[3] = r("c", 1, 3.5, 6)  # overlapping the first read: either order
    assert check_linearizable(h).ok


def test_read_of_a_failed_write_fails():
    h = [w("a", 1, 0, 1), w("a", 2, 2, 3, FAILED), r("b", 2, 4, 5)]
    assert not check_linearizable(h).ok
    assert check_stale_reads(h)  # never a failed value at any level


def test_unknown_write_may_or_may_not_take_effect():
    took = [w("a", 1, 0, 1), w("a", 2, 2, None, UNKNOWN), r("b", 2, 9, 10)]
    assert check_linearizable(took).ok
    never = [w("a", 1, 0, 1), w("a", 2, 2, None, UNKNOWN), r("b", 1, 9, 10)]
    assert check_linearizable(never).ok
    # ...but not both: once read, it stays (no later write overwrote it)
    both = never[:2] + [r("b", 2, 5, 6), r("b", 1, 9, 10)]
    assert not check_linearizable(both).ok
    # and it cannot take effect before it began
    early = [w("a", 1, 0, 1), r("b", 2, 1.5, 1.8), w("a", 2, 2, None, UNKNOWN)]
    assert not check_linearizable(early).ok


def test_failed_and_unknown_reads_tell_nothing():
    h = [w("a", 1, 0, 1), w("a", 2, 2, 3), r("b", 1, 4, 5, FAILED), r("c", 7, 4, None, UNKNOWN)]
    assert check_linearizable(h).ok


def simulated(procs=6, ops_per_proc=300, seed=1):
    """A linearizable history: each op takes effect at a random point of
    its random interval on a real register; some writes end unknown."""
    rnd = random.Random(seed)
    events = []
    for p in range(procs):
        t = rnd.random()
        for k in range(ops_per_proc):
            start = t
            point = start + rnd.random() * 0.003
            end = point + rnd.random() * 0.003
            kind = WRITE if rnd.random() < 0.4 else READ
            events.append((point, p, kind, start, end, p * 100000 + k + 1))
            t = end + rnd.random() * 0.002
    events.sort()
    value, hist = None, []
    for point, p, kind, start, end, v in events:
        if kind == WRITE:
            value = v
            outcome = UNKNOWN if rnd.random() < 0.03 else OK
            hist.append(w(p, v, start, end if outcome == OK else None, outcome))
        else:
            hist.append(r(p, value, start, end))
    return hist


def test_big_simulated_history_passes_and_a_planted_anomaly_fails():
    h = simulated()
    res = check_linearizable(h)
    assert res.ok, res.reason
    assert check_stale_reads(h, monotonic=True) == []
    # plant one stale read: a read, long after, of a value two writes back
    acked = [op for op in h if op.kind == WRITE and op.outcome == OK]
    old = acked[len(acked) // 2]
    later = [op for op in h if op.kind == READ and op.start > acked[len(acked) // 2 + 2].end]
    later[0].value = old.value
    assert not check_linearizable(h).ok
    assert check_stale_reads(h)


def test_stale_reads_only_as_old_as_reported():
    h = [w("a", 1, 0, 1), w("a", 2, 2, 3), r("b", 1, 5, 6, stale_s=0.0)]
    probs = check_stale_reads(h)
    assert len(probs) == 1 and "overwrote" in probs[0], probs
    h[2].stale_s = 1.5  # write 2 acknowledged 2 s before the read: still too old
    assert check_stale_reads(h)
    h[2].stale_s = 2.5  # the copy may lack it
    assert check_stale_reads(h) == []
    assert check_stale_reads([r("b", 9, 0, 1)])  # never written
    assert check_stale_reads([r("b", 2, 0, 1), w("a", 2, 3, 4)])  # from the future


def test_monotonic_reads_per_session():
    h = [w("a", 1, 0, 1), w("a", 2, 2, 3), r("b", 2, 4, 5, stale_s=9), r("b", 1, 6, 7, stale_s=9)]
    assert check_stale_reads(h) == []
    probs = check_stale_reads(h, monotonic=True)
    assert len(probs) == 1 and "backwards" in probs[0], probs
    h[3].proc = "c"  # another session may read the older copy
    assert check_stale_reads(h, monotonic=True) == []
