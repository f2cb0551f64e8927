"""Moving a copy online: SELECT murphy.move_placement('t', shard, 'from', 'to')
(issue 18, "Move and split, online"; replication/repl_move.c).

Real processes, 4 followers.  The moves copy follower to follower (snapshot
+ log, as rebuilds do), switch the new copy in under the shard's final
catch-up and drop the old copy, while psycopg2 threads write and read.
Afterwards the replication checker compares every copy's file and every
acknowledged write must be visible.  The throttle (murphy.move_max_mbps)
makes a move slow enough to watch it in murphy.moves and to kill its
source or target in the middle.
"""
import io
import re
import subprocess
import threading
import time

import psycopg2
import pytest

import checker
from conftest import owned_cluster, timer_args
from test_failures import Writers, visible_ids, wait_state
from test_underreplicated import start_follower

SUSPECT_MS = 1000
DEAD_MS = 2500
FOLLOWERS = 4
PAD = 200          # bytes of padding per preloaded row
PRELOAD = 12000    # rows: about 3 MB in one shard, 0.8 MB per shard of 4


def manual_only(gen):
    """The cluster of an owned_cluster generator with the automatic
    rebalancer off: these tests move copies by hand and check where they are."""
    cluster = next(gen)
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("ALTER SYSTEM SET murphy.auto_rebalance = off")
    conn.close()
    yield cluster
    yield from gen


@pytest.fixture
def mc(request):
    yield from manual_only(owned_cluster(request, FOLLOWERS, timer_args(SUSPECT_MS, DEAD_MS)))


def rows(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def create(conn, name="t", shards=4, replicas=2):
    """A table the Writers of test_failures can insert into (id, w), with
    PRELOAD padded rows (negative ids) so that a copy takes a while."""
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id bigint PRIMARY KEY, w int, pad text) "
                    "WITH (shards = %d, replicas = %d)" % (name, shards, replicas))
        data = "".join("%d\t0\t%s\n" % (-i, "p" * PAD) for i in range(1, PRELOAD + 1))
        cur.copy_from(io.StringIO(data), name, columns=("id", "w", "pad"))


def check_rows(conn, writers):
    """Every acknowledged write visible, once; nothing else but writes
    whose outcome is unknown; the preloaded rows all there."""
    seen = visible_ids(conn)   # asserts no id twice
    missing = set(writers.acked) - seen
    assert not missing, "%d acknowledged rows lost, e.g. %s" % (len(missing), sorted(missing)[:10])
    written = {i for i in seen if i > 0}
    assert written <= set(writers.acked) | writers.unknown, sorted(written - set(writers.acked))[:10]
    assert not set(writers.failed) & seen
    assert len(seen) - len(written) == PRELOAD
    assert writers.acked
    print("rows: %d acknowledged, %d unknown" % (len(writers.acked), len(writers.unknown)))


def holders(conn, table, shard):
    return {n: (role, state) for n, role, state in rows(
        conn, "SELECT node, role, state FROM murphy.placements WHERE table_name = %s "
              "AND shard = %s", (table, shard))}


def pick_move(conn, table, shard, source_role=None):
    """(source, target): a follower holding the shard (with that role, if
    given) and one holding none."""
    h = holders(conn, table, shard)
    src = sorted(n for n, (role, _) in h.items() if source_role in (None, role))[0]
    dst = sorted(n for n in ("f1", "f2", "f3", "f4") if n not in h)[0]
    return src, dst


def move(conn, table, shard, src, dst):
    return rows(conn, "SELECT murphy.move_placement(%s, %s, %s, %s)", (table, shard, src, dst))[0][0]


def move_rows(conn):
    return rows(conn, "SELECT table_name, shard, source, target, phase, bytes_done, bytes_total, "
                      "rate_mbps, eta_ms, pause_ms, state, error FROM murphy.moves ORDER BY started_at")


class Readers:
    """Threads reading the table the whole time: a count and a point read.
    Every read must succeed (reads continue throughout a move)."""

    def __init__(self, cluster, table="t", n=2, preload=PRELOAD):
        self.cluster, self.table, self.preload = cluster, table, preload
        self.errors, self.reads = [], 0
        self.stop_flag = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(n)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def _run(self):
        conn = self.cluster.connect()
        while not self.stop_flag.is_set():
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT count(*) FROM %s WHERE id < 0" % self.table)
                    assert cur.fetchone()[0] == self.preload
                    cur.execute("SELECT w FROM %s WHERE id = -7" % self.table)
                    assert cur.fetchone() == (0,)
                self.reads += 1
            except (psycopg2.Error, AssertionError) as e:
                self.errors.append(repr(e))
                time.sleep(0.05)
        conn.close()

    def stop(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(timeout=30)
        return self


def test_move_under_writes_and_reads(mc):
    conn = mc.connect()
    create(conn)
    src, dst = pick_move(conn, "t", 0, "primary")  # the primary moves: its role too
    writers = Writers(mc).start()
    readers = Readers(mc).start()
    time.sleep(0.5)
    with conn.cursor() as cur:
        cur.execute("SET murphy.move_max_mbps = 4")  # about a second of copying
        t0 = time.time()
        cur.execute("SELECT murphy.move_placement('t', 0, %s, %s)", (src, dst))
        result = cur.fetchone()[0]
        took = time.time() - t0
    time.sleep(0.5)
    readers.stop()
    writers.stop()
    print(result, "%.2f s" % took, "reads", readers.reads, conn.notices)
    assert result.startswith("shard 0 of t moved from %s to %s" % (src, dst)), result
    assert any("estimated" in n for n in conn.notices), conn.notices
    (row,) = [r for r in move_rows(conn) if r[1] == 0]
    assert row[4] == "done" and row[10] == "done", row
    assert row[5] == row[6] > 0, row                   # every byte copied
    assert row[9] is not None and 0 <= row[9] < 2000, row  # the write pause, measured
    h = holders(conn, "t", 0)
    assert src not in h and h[dst] == ("primary", "current"), h
    assert not readers.errors, readers.errors[:5]
    assert readers.reads > 0
    check_rows(conn, writers)
    checker.wait_consistent(mc, conn, replicas=2)
    wait_file_gone(mc, "t", 0, src)  # the old copy's file is dropped


def wait_file_gone(cluster, table, shard, node, timeout=10):
    """The placement file of (table, shard) on node is removed in time."""
    deadline = time.time() + timeout
    while time.time() < deadline and (table, shard, node) in checker.placement_files(cluster):
        time.sleep(0.2)
    assert (table, shard, node) not in checker.placement_files(cluster), \
        "%s still holds a file of shard %d of %s" % (node, shard, table)


def start_throttled_move(cluster, table, shard, src, dst, mbps):
    """The move in a thread (the call waits for it); returns (thread, box)."""
    box = {}

    def run():
        conn = cluster.connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SET murphy.move_max_mbps = %s" % mbps)
                cur.execute("SELECT murphy.move_placement(%s, %s, %s, %s)",
                            (table, shard, src, dst))
                box["result"] = cur.fetchone()[0]
                box["notices"] = list(conn.notices)
        except psycopg2.Error as e:
            box["error"] = e
        finally:
            conn.close()

    th = threading.Thread(target=run, daemon=True)
    th.start()
    return th, box


def wait_copying(conn, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = [m for m in move_rows(conn) if m[10] == "running"]
        if r and r[0][4] == "copying" and r[0][5] > 0:
            return r[0]
        time.sleep(0.05)
    raise AssertionError("no move copying: %s" % move_rows(conn))


def test_move_target_killed_aborts(mc):
    conn = mc.connect()
    create(conn, shards=1)
    src, dst = pick_move(conn, "t", 0)
    writers = Writers(mc).start()
    th, box = start_throttled_move(mc, "t", 0, src, dst, 0.5)
    wait_copying(conn)
    mc.kill9(dst)
    th.join(timeout=30)
    assert not th.is_alive()
    print(box)
    assert "not moved" in box.get("result", ""), box
    assert "target" in box["result"], box
    (row,) = move_rows(conn)
    assert row[10] == "aborted" and row[4] == "copying" and row[11], row
    assert dst not in holders(conn, "t", 0)          # the partial copy left the catalog
    assert src in holders(conn, "t", 0)              # the old copy stays
    time.sleep(0.3)
    writers.stop()
    mc.start()                                        # the target returns
    wait_state(conn, dst, ("alive",), 20)
    check_rows(conn, writers)
    checker.wait_consistent(mc, conn, replicas=2)
    wait_file_gone(mc, "t", 0, dst)  # its partial copy: dropped when it reported it


def test_move_source_killed_resumes(mc):
    conn = mc.connect()
    create(conn, shards=1)
    src, dst = pick_move(conn, "t", 0, "primary")  # the copy comes from the primary
    writers = Writers(mc).start()
    th, box = start_throttled_move(mc, "t", 0, src, dst, 1)
    wait_copying(conn)
    mc.kill9(src)
    th.join(timeout=60)
    assert not th.is_alive()
    time.sleep(0.3)
    writers.stop()
    print(box, move_rows(conn))
    # the copy starts again from the new primary and the move completes:
    # the killed copy is the one that goes
    assert box.get("result", "").startswith("shard 0 of t moved from %s to %s" % (src, dst)), box
    h = holders(conn, "t", 0)
    assert src not in h and h[dst][1] == "current", h
    check_rows(conn, writers)
    mc.start()
    wait_state(conn, src, ("alive",), 20)
    checker.wait_consistent(mc, conn, replicas=2)


def test_moved_copy_serves_reads_after_source_stopped(mc):
    conn = mc.connect()
    create(conn, shards=1)
    h = holders(conn, "t", 0)
    src, dst = pick_move(conn, "t", 0)
    other = [n for n in h if n != src][0]
    assert move(conn, "t", 0, src, dst).startswith("shard 0 of t moved")
    mc.kill9(src)
    mc.kill9(other)   # only the moved copy is left
    wait_state(conn, other, ("suspect", "dead"), 10)
    deadline = time.time() + 10
    while True:
        try:
            assert rows(conn, "SELECT count(*), sum(length(pad)) FROM t") == [(PRELOAD, PRELOAD * PAD)]
            break
        except psycopg2.Error:
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    plan = "\n".join(r[0] for r in rows(conn, "EXPLAIN ANALYZE SELECT count(*) FROM t"))
    assert dst in plan, plan


def test_colocated_tables_move_together(mc):
    conn = mc.connect()
    create(conn, "t", shards=4, replicas=2)
    create(conn, "u", shards=4, replicas=2)
    assert holders(conn, "t", 1).keys() == holders(conn, "u", 1).keys()
    src, dst = pick_move(conn, "t", 1)
    result = move(conn, "t", 1, src, dst)
    print(result)
    assert "shard 1 of t moved" in result and "shard 1 of u moved" in result, result
    assert holders(conn, "t", 1).keys() == holders(conn, "u", 1).keys()
    assert dst in holders(conn, "u", 1) and src not in holders(conn, "u", 1)
    # the co-located join still meets every row
    assert rows(conn, "SELECT count(*) FROM t JOIN u ON t.id = u.id") == [(PRELOAD,)]
    # a co-located table that already holds the shard on the target refuses
    create(conn, "w", shards=4, replicas=3)
    hw = holders(conn, "w", 2)
    ht = holders(conn, "t", 2)
    src2 = sorted(set(ht) & set(hw))[0]
    dst2 = sorted(set(hw) - set(ht))[0]
    with pytest.raises(psycopg2.Error) as ei:
        move(conn, "t", 2, src2, dst2)
    assert ei.value.pgcode == "55000", ei.value.pgerror
    assert "co-located" in ei.value.pgerror and "w" in ei.value.pgerror
    checker.wait_consistent(mc, conn)


def test_throttled_move_shows_progress(mc):
    conn = mc.connect()
    create(conn, shards=1)
    src, dst = pick_move(conn, "t", 0)
    t0 = time.time()
    th, box = start_throttled_move(mc, "t", 0, src, dst, 1)
    row = wait_copying(conn)
    out = mc.run("status", "--dir", mc.dir).stdout
    moves = out.split("\nmoves\n", 1)[1]
    assert re.search(r"t\.0  %s -> %s  copying +running +\[#*-+\] +\d+%%" % (src, dst), moves), out
    seen = [row]
    while th.is_alive():
        seen += [m for m in move_rows(conn) if m[10] == "running" and m[4] == "copying"]
        time.sleep(0.2)
    took = time.time() - t0
    print(seen[:3], seen[-1], box, "%.2f s" % took)
    total = seen[-1][6]
    mid = [m for m in seen if 0 < m[5] < m[6]]
    assert mid, seen                                  # partway, not all or nothing
    assert all(m[8] > 0 for m in mid), mid            # an ETA while copying
    assert all(m[7] < 1.6 for m in mid if m[7]), mid  # at most about 1 MB/s
    assert took >= 0.8 * total / (1024 * 1024), (took, total)  # the throttle held
    assert "estimated" in " ".join(box["notices"]) and "move_max_mbps" in " ".join(box["notices"])
    assert box["result"].startswith("shard 0 of t moved"), box
    (done,) = move_rows(conn)
    assert done[4] == "done" and done[10] == "done" and done[8] == 0, done


def test_move_errors(mc):
    conn = mc.connect()
    create(conn, shards=2)
    h = holders(conn, "t", 0)
    src = sorted(h)[0]
    free = sorted(n for n in ("f1", "f2", "f3", "f4") if n not in h)
    other = sorted(h)[1]

    def err(*args):
        with pytest.raises(psycopg2.Error) as ei:
            move(conn, *args)
        return ei.value.pgcode, ei.value.pgerror

    code, msg = err("nope", 0, src, free[0])
    assert code == "42P01" and "HINT" in msg, msg
    with conn.cursor() as cur:   # a reference table is on every follower: nothing to move
        cur.execute("CREATE TABLE r (id int PRIMARY KEY) WITH (distribution = 'reference')")
    code, msg = err("r", 0, src, free[0])
    assert code == "0A000" and "reference" in msg, msg
    assert err("t", 7, src, free[0])[0] == "22023"
    assert err("t", 0, "f9", free[0])[0] == "42704"
    assert err("t", 0, src, "f9")[0] == "42704"
    code, msg = err("t", 0, src, other)
    assert code == "42710" and "already holds" in msg and "HINT" in msg, msg
    code, msg = err("t", 0, free[0], free[1])
    assert code == "55000" and "holds no copy" in msg and "HINT" in msg, msg
    for bad in ("'fast'", "0.01", "-1"):
        with pytest.raises(psycopg2.Error) as ei:
            rows(conn, "SET murphy.move_max_mbps = %s" % bad)
        assert ei.value.pgcode == "22023", bad
    th, box = start_throttled_move(mc, "t", 0, src, free[0], 0.5)
    wait_copying(conn)
    code, msg = err("t", 0, src, free[1])
    assert code == "55006" and "already being moved" in msg and "murphy.moves" in msg, msg
    th.join(timeout=60)
    assert box["result"].startswith("shard 0 of t moved"), box


@pytest.fixture
def mc3(request):
    yield from manual_only(owned_cluster(request, 3, timer_args(SUSPECT_MS, DEAD_MS)))


def copies_per_node(conn):
    return dict(rows(conn, "SELECT node, count(*) FROM murphy.placements GROUP BY node"))


def test_rebalance_fills_a_new_follower(mc3):
    conn = mc3.connect()
    create(conn, "t", shards=8, replicas=2)
    create(conn, "u", shards=8, replicas=2)   # co-located with t: moves with it
    assert rows(conn, "SELECT * FROM murphy.rebalance_plan") == []
    assert rows(conn, "SELECT murphy.rebalance()")[0][0].startswith("balanced")
    p = start_follower(mc3, "f4")
    mc3.followers = 4   # the checker reads f4's files too
    try:
        wait_state(conn, "f4", ("alive",), 20)
        before = copies_per_node(conn)
        assert "f4" not in before and sum(before.values()) == 32, before
        deadline = time.time() + 10
        while not rows(conn, "SELECT * FROM murphy.rebalance_plan") and time.time() < deadline:
            time.sleep(0.2)   # f4 reported its (no) copies
        plan = rows(conn, "SELECT step, table_name, shard, source, target, tables, "
                          "source_copies, target_copies, bytes_estimate, eta_ms "
                          "FROM murphy.rebalance_plan ORDER BY step")
        print(plan)
        # 32 copies over 4 followers: 8 each; t and u move together (2 copies a step)
        assert len(plan) == 4 and all(s[4] == "f4" and s[5] == 2 for s in plan), plan
        assert all(s[8] > 0 and s[9] > 0 for s in plan), plan
        writers = Writers(mc3).start()
        result = rows(conn, "SELECT murphy.rebalance()")[0][0]
        writers.stop()
        print(result, conn.notices)
        assert result.count(" moved from ") == 8, result   # 4 shards of t and of u
        after = copies_per_node(conn)
        assert max(after.values()) - min(after.values()) <= 1 and after["f4"] == 8, after
        assert rows(conn, "SELECT * FROM murphy.rebalance_plan") == []
        assert rows(conn, "SELECT count(*) FROM t JOIN u ON t.id = u.id") == [(PRELOAD,)]
        check_rows(conn, writers)
        checker.wait_consistent(mc3, conn, replicas=2)
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
