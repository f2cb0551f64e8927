"""Bounded and available reads answer now, from committed data, on any copy
(issue 17, docs/consistency.md, "Reads that do not wait").

- with the primary's follower delayed (`murphy.fault('delay fN MS')`) and
  a stream of writes on the shard, bounded point reads answer in a few ms
  from the other copies while each write takes hundreds; strong reads
  still wait for the writes and read the primary;
- bounded reads spread over the shard's copies (EXPLAIN ANALYZE names
  the copy that served each), and so do strong reads of a quiet shard;
- a bounded read never shows an entry that is not decided: with the
  replicas delayed, a transaction's UPDATE reaches them while the leader
  still thinks they are before it; the reads sent there are refused by
  the copies and wait, and after the ROLLBACK every read shows the old
  value;
- a stale copy read without waiting reports its own staleness (WARNING,
  last_read_staleness, EXPLAIN ANALYZE);
- with both replicas delayed under writes, bounded and available point
  reads cost about what strong ones do, not refused tries on slow copies
  before the gate.

Real processes; timings are generous (the machine is shared) but each
assertion fails on a build whose bounded reads wait at the gate (main
466657b) or read what a copy holds without the bound.
"""
import random
import re
import statistics
import threading
import time

import pytest

from conftest import fault, owned_cluster, timer_args
from test_read_consistency import lose_the_fresh_copy

SUSPECT_MS = 60000  # delayed followers stay alive throughout
DEAD_MS = 120000


@pytest.fixture(scope="module")
def cl(request):
    yield from owned_cluster(request, start_args=timer_args(SUSPECT_MS, DEAD_MS))


def rows(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def make_table(conn, name, nrows=3):
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v int) WITH (shards = 1, replicas = 3)"
                    % name)
        cur.execute("INSERT INTO %s VALUES %s"
                    % (name, ",".join("(%d, 0)" % i for i in range(1, nrows + 1))))
    # a row insert is answered at its quorum: wait for the third copy, so
    # that strong reads go to the primary (a current replica may serve
    # them while the primary's answer is out)
    deadline = time.time() + 10
    while time.time() < deadline and rows(
            conn, "SELECT count(*) FROM murphy.placements WHERE table_name = %s"
            " AND lag_entries = 0", (name,)) != [(3,)]:
        time.sleep(0.02)
    roles = dict(rows(conn, "SELECT node, role FROM murphy.placements WHERE table_name = %s",
                      (name,)))
    primary = [n for n, r in roles.items() if r == "primary"][0]
    replicas = sorted(n for n, r in roles.items() if r == "replica")
    return primary, replicas


def served_by(conn, sql):
    """The node EXPLAIN ANALYZE says served the one-shard read."""
    plan = "\n".join(r[0] for r in rows(conn, "EXPLAIN ANALYZE " + sql))
    nodes = re.findall(r"Node (\S+) -> leader:", plan)
    assert len(nodes) == 1, plan
    return nodes[0], plan


def test_bounded_reads_spread_over_copies(cl):
    """Bounded reads of a shard go to more than one copy; strong ones of a
    quiet shard too, since issue 18 (docs/load.md: any copy at the
    committed entry).  Every copy is current: no stale-read line."""
    conn = cl.connect()
    primary, replicas = make_table(conn, "spread")
    strong = {served_by(conn, "SELECT v FROM spread WHERE id = 1")[0] for _ in range(6)}
    assert len(strong) >= 2 and strong <= {primary} | set(replicas), strong
    with conn.cursor() as cur:
        cur.execute("SET murphy.read_consistency = 'bounded'")
    seen, plans = {}, []
    for _ in range(12):
        node, plan = served_by(conn, "SELECT v FROM spread WHERE id = 1")
        seen[node] = seen.get(node, 0) + 1
        plans.append(plan)
    assert len(seen) >= 2, seen
    assert set(seen) <= {primary} | set(replicas), seen
    for plan in plans:
        assert "Stale read" not in plan, plan
        assert "Read: bounded, without waiting for undecided writes" in plan, plan
    with conn.cursor() as cur:
        cur.execute("SET murphy.read_consistency = 'available'")
    avail = {served_by(conn, "SELECT count(*) FROM spread")[0] for _ in range(12)}
    assert len(avail) >= 2, avail
    assert rows(conn, "SHOW murphy.last_read_staleness") == [("0",)]


def writer(cl, table, stop, lat, errors, row=1):
    conn = cl.connect()
    try:
        while not stop.is_set():
            t0 = time.monotonic()
            with conn.cursor() as cur:
                cur.execute("UPDATE %s SET v = v + 1 WHERE id = %d" % (table, row))
            lat.append(time.monotonic() - t0)
    except Exception as e:  # reported by the test
        errors.append(e)
    finally:
        conn.close()


def timed_reads(conn, sql, seconds):
    out = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.monotonic()
        (v,), = rows(conn, sql)
        out.append((time.monotonic() - t0, v))
    return out


def test_bounded_reads_do_not_wait_for_writes(cl):
    """The primary's follower delayed 150 ms each way and a writer updating
    row 1 without pause (each UPDATE takes >= 300 ms): bounded reads of
    row 1 answer in a few ms from the replicas, never go backwards, and
    never show more than the writes begun; strong reads wait (behind each
    write; in the moment between two writes a replica answers them)."""
    conn = cl.connect()
    primary, replicas = make_table(conn, "nowait")
    fault(conn, "delay %s 150" % primary)
    stop, lat, errors = threading.Event(), [], []
    w = threading.Thread(target=writer, args=(cl, "nowait", stop, lat, errors))
    w.start()
    try:
        time.sleep(0.4)
        with conn.cursor() as cur:
            cur.execute("SET murphy.read_consistency = 'bounded'")
        bounded = timed_reads(conn, "SELECT v FROM nowait WHERE id = 1", 2.0)
        node, _ = served_by(conn, "SELECT v FROM nowait WHERE id = 1")
        with conn.cursor() as cur:
            cur.execute("SET murphy.read_consistency = 'strong'")
        strong = timed_reads(conn, "SELECT v FROM nowait WHERE id = 1", 1.0)
    finally:
        stop.set()
        w.join()
        fault(conn, "heal")
    assert not errors, errors
    write_p50 = statistics.median(lat)
    b50 = statistics.median(t for t, _ in bounded)
    s50 = statistics.median(t for t, _ in strong)
    assert write_p50 >= 0.3, write_p50
    # strong waits behind the writes (the gate); between two writes the
    # shard is quiet and a strong read is served at once by a replica
    # (issue 18, docs/load.md), so its median may be fast, not its worst
    assert max(t for t, _ in strong) >= 0.15, (s50, strong)
    assert b50 < 0.03 and b50 < write_p50 / 10, (b50, write_p50)
    assert len(bounded) > 4 * len(strong), (len(bounded), len(strong))
    assert node in replicas, node  # the delayed primary is the slow copy
    values = [v for _, v in bounded]
    assert values == sorted(values), values  # monotonic reads
    assert values[-1] <= len(lat) + 1 and values[-1] > 0, (values[-1], len(lat))


def read_in_thread(cl, sql, out):
    conn = cl.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SET murphy.read_consistency = 'bounded'")
            cur.execute("SET murphy.max_staleness = '60s'")
        t0 = time.monotonic()
        out.append((rows(conn, sql)[0][0], time.monotonic() - t0))
    except Exception as e:
        out.append((e, None))
    finally:
        conn.close()


def test_bounded_never_reads_an_undecided_entry(cl):
    """Replicas delayed 300 ms: a transaction's UPDATE is answered once the
    primary logged it; the replicas apply it 300 ms later, and the leader
    hears so 300 ms after that.  Bounded reads sent meanwhile go to the
    replicas (the primary is known to hold the entry), which refuse them:
    each read waits, and after the ROLLBACK every one shows the old
    value, never 99."""
    conn = cl.connect()
    primary, replicas = make_table(conn, "undec")
    for r in replicas:
        fault(conn, "delay %s 300" % r)
    tx = cl.connect(autocommit=False)
    out = []
    try:
        with tx.cursor() as cur:
            cur.execute("UPDATE undec SET v = 99 WHERE id = 1")
        readers = []
        for _ in range(4):
            t = threading.Thread(target=read_in_thread,
                                 args=(cl, "SELECT v FROM undec WHERE id = 1", out))
            t.start()
            readers.append(t)
            time.sleep(0.1)
        time.sleep(0.8)
        tx.rollback()
        for t in readers:
            t.join()
    finally:
        tx.close()
        fault(conn, "heal")
    assert [v for v, _ in out] == [0, 0, 0, 0], out
    assert rows(conn, "SELECT v FROM undec WHERE id = 1") == [(0,)]


@pytest.fixture()
def cl_lost(request):
    """Its own cluster: the test kills a follower."""
    yield from owned_cluster(request, start_args=timer_args(SUSPECT_MS, DEAD_MS))


def test_a_stale_copy_read_now_says_how_stale(cl_lost):
    """The only copy left is a replica 1 entry behind (the primary killed
    after a write the replica missed): a bounded read within 60 s reads it
    without waiting, and the WARNING, last_read_staleness and EXPLAIN
    ANALYZE give that copy's staleness, at least the real one."""
    conn, rep, acked = lose_the_fresh_copy(cl_lost, "stalet")
    with conn.cursor() as cur:
        cur.execute("SET murphy.read_consistency = 'bounded'")
        cur.execute("SET murphy.max_staleness = '60s'")
    del conn.notices[:]
    t0 = time.monotonic()
    assert rows(conn, "SELECT id, v FROM stalet ORDER BY id") == [(1, 10)]
    real_ms = (t0 - acked) * 1000
    warn = [n for n in conn.notices if "stale read" in n]
    assert len(warn) == 1 and "shard 0 of stalet from %s, 1 entry," % rep in warn[0], warn
    behind_s = float(warn[0].split("entry, ")[1].split(" s behind")[0])
    assert behind_s * 1000 >= real_ms - 100, (behind_s, real_ms)
    last = rows(conn, "SHOW murphy.last_read_staleness")[0][0]
    assert last.endswith("ms") and int(last[:-2]) >= real_ms, (last, real_ms)
    node, plan = served_by(conn, "SELECT count(*) FROM stalet")
    assert node == rep, plan
    assert "Read: bounded, without waiting for undecided writes" in plan, plan
    assert "Stale read: shard 0 of stalet from %s, 1 entry," % rep in plan, plan


def level_reader(cl, level, stop, out, errors):
    """Point reads of row 2 at level until stop, their times into out."""
    conn = cl.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SET murphy.read_consistency = '%s'" % level)
        while not stop.is_set():
            time.sleep(random.uniform(0, 0.2))  # not in step with the writes
            t0 = time.monotonic()
            rows(conn, "SELECT v FROM slowreps WHERE id = 2")
            out.append(time.monotonic() - t0)
            rows(conn, "SELECT count(*), max(v) FROM slowreps")  # the bench's turn
            rows(conn, "SELECT count(*) FROM slowreps a JOIN slowj b ON a.id = b.id")
    except Exception as e:  # reported by the test
        errors.append(e)
    finally:
        conn.close()


def test_reads_that_do_not_wait_cost_no_more_than_strong(cl):
    """Both replicas delayed 100 ms each way and two writers updating rows
    of the shard (each write waits 200 ms for a replica), a client per
    level at once, each in turn (at a random moment) a point read, a scan
    and a join with a 2-shard table (bench_pacelc.py's delay2): bounded
    and available point reads cost at most about what strong's cost (p50
    within 2x, a little slack for timer noise).  Main d2f4420 and
    00e7b0d: 0.65-0.75 s against strong's 0.1 s (each read tried slow
    copies, which refused, before the gate).

    When the primary holds an undecided write and both replicas are known
    to be slow, a bounded read has no copy to read now and waits at the
    gate like strong: at most one write (the two writers take turns, ~0.4 s
    each).  How often a read meets that depends on the moment and on what
    ran before in the module (run alone, bounded reads take ~1 ms; after
    the module's other tests ~0.1 s, as strong), so with ~10 samples a level
    the two medians swing either way (CI: bounded 0.145 s, strong 0.058 s).
    The bound is twice strong's or one write's time, whichever is larger:
    the bug above (three refused tries, 0.65 s) fails either."""
    conn = cl.connect()
    primary, replicas = make_table(conn, "slowreps", 200)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE slowj (id int PRIMARY KEY, v int) WITH (shards = 2, replicas = 3)")
        cur.execute("INSERT INTO slowj SELECT id, v FROM slowreps")
    for r in replicas:
        fault(conn, "delay %s 100" % r)
    stop, rstop, lat, errors = threading.Event(), threading.Event(), [], []
    times = {"strong": [], "bounded": [], "available": []}
    ws = [threading.Thread(target=writer, args=(cl, "slowreps", stop, lat, errors, row))
          for row in (1, 3)]
    rs = [threading.Thread(target=level_reader, args=(cl, level, rstop, out, errors))
          for level, out in times.items()]
    for t in ws:
        t.start()
    try:
        time.sleep(0.5)
        for t in rs:
            t.start()
        time.sleep(6.0)
    finally:
        rstop.set()
        for t in rs:
            t.join()
        stop.set()
        for t in ws:
            t.join()
        fault(conn, "heal")
    assert not errors, errors
    assert statistics.median(lat) >= 0.2, statistics.median(lat)
    p50 = {level: statistics.median(t) for level, t in times.items()}
    for level in ("bounded", "available"):
        bound = max(2 * p50["strong"] + 0.02, statistics.median(lat) + 0.05)
        assert p50[level] <= bound, (p50, {k: len(v) for k, v in times.items()})
