"""The rebalancer's plan by size (issue 18, "Rebalance": "by size and by
load"; replication/repl_rebalance.c) and the bytes it counts: each copy's
file as its follower reports it with its heartbeats (murphy.shard_load.
disk_bytes), and a co-located table's bytes in a split.

Real processes, 4 followers, the automatic rebalancer off: the tests
place copies by hand (murphy.move_placement), then plan and rebalance.
"""
import io
import subprocess
import time

import pytest

import checker
from conftest import MURPHY, owned_cluster, timer_args
from test_move import manual_only, move, move_rows, rows

SUSPECT_MS = 1000
DEAD_MS = 2500
PAD = 500
BIG_ROWS = 12000  # about 6.5 MB in each of big's 2 shards (files)
SMALL_ROWS = 600  # about 10 kB in each of small's 6 shards


@pytest.fixture
def rc(request):
    yield from manual_only(owned_cluster(request, 4, timer_args(SUSPECT_MS, DEAD_MS)))


def load(conn, name, shards, nrows, pad):
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id bigint PRIMARY KEY, v int, pad text) "
                    "WITH (shards = %d, replicas = 2)" % (name, shards))
        data = "".join("%d\t%d\t%s\n" % (i, i % 7, "p" * pad) for i in range(nrows))
        cur.copy_from(io.StringIO(data), name, columns=("id", "v", "pad"))


def holders_of(conn, table):
    out = {}
    for shard, node in rows(conn, "SELECT shard, node FROM murphy.placements "
                                  "WHERE table_name = %s", (table,)):
        out.setdefault(shard, set()).add(node)
    return out


def arrange(conn, table, want):
    """Move copies so that shard s of table is on the followers want[s]."""
    for shard, nodes in want.items():
        have = holders_of(conn, table)[shard]
        for src, dst in zip(sorted(have - nodes), sorted(nodes - have)):
            assert " moved from " in move(conn, table, shard, src, dst)
    assert holders_of(conn, table) == want, holders_of(conn, table)


def copy_bytes(conn):
    """{(table, shard, node): disk_bytes} of every copy (None: not reported)."""
    return {(t, s, n): b for t, s, n, b in rows(
        conn, "SELECT table_name, shard, node, disk_bytes FROM murphy.shard_load "
              "WHERE period = 'total'")}


def wait_sizes(conn, ok=lambda sizes: True, timeout=30):
    """Every copy's file reported after the last move (followers measure
    every 5 s, rows reach the file at the next checkpoint, every 5 s too)
    and ok(sizes); the sizes, the copies per follower and their bytes."""
    deadline = time.time() + timeout
    while True:
        sizes = copy_bytes(conn)
        if sizes and all(b for b in sizes.values()) and ok(sizes):
            break
        assert time.time() < deadline, sizes
        time.sleep(0.5)
    per_node, counts = {}, {}
    for (_, _, node), b in sizes.items():
        per_node[node] = per_node.get(node, 0) + b
        counts[node] = counts.get(node, 0) + 1
    return sizes, counts, per_node


def big_in_files(sizes):
    """big's rows are in its files (checkpointed): each copy over 2 MB."""
    return all(b > 2 << 20 for (t, _, _), b in sizes.items() if t == "big")


def max_over_mean(per_node):
    return max(per_node.values()) / (sum(per_node.values()) / len(per_node))


def test_plan_by_size_evens_the_bytes(rc):
    """big's two shards (6.5 MB files each) have both their copies on f1 and f2;
    f3 and f4 hold only small's copies: 4 copies each, bytes 2x the mean
    on f1 and f2.  The plan by copies is empty; the plan by size moves a
    copy of big to f3 and one to f4, each swapped with a small copy (the
    counts stay 4 each), listing each move's bytes (the source's file, as
    murphy.shard_load shows it) and time.  murphy.rebalance() carries it
    out: max/mean bytes under 1.1, every row there, copies identical."""
    conn = rc.connect()
    with conn.cursor() as cur:
        cur.execute("ALTER SYSTEM SET murphy.rebalance_base_bytes = 0")
    assert ("murphy.rebalance_base_bytes", "0") in rows(
        conn, "SELECT name, setting FROM murphy.settings")
    load(conn, "big", 2, BIG_ROWS, PAD)
    load(conn, "small", 6, SMALL_ROWS, 10)
    arrange(conn, "big", {0: {"f1", "f2"}, 1: {"f1", "f2"}})
    arrange(conn, "small", {0: {"f1", "f3"}, 1: {"f1", "f4"}, 2: {"f2", "f3"},
                            3: {"f2", "f4"}, 4: {"f3", "f4"}, 5: {"f3", "f4"}})
    sizes, counts, per_node = wait_sizes(conn, big_in_files)
    print(counts, per_node)
    assert counts == {"f1": 4, "f2": 4, "f3": 4, "f4": 4}, counts
    assert max_over_mean(per_node) > 1.5, per_node

    plan = rows(conn, "SELECT step, table_name, shard, source, target, bytes_estimate, eta_ms, "
                      "reason FROM murphy.rebalance_plan ORDER BY step")
    print(plan)
    size_steps = [p for p in plan if p[7] == "size"]
    assert size_steps and plan[0][7] == "size", plan
    assert all(p[7] != "copies" for p in plan), plan
    for step, table, shard, src, dst, nbytes, eta, _ in size_steps:
        assert nbytes == sizes[(table, shard, src)], (step, nbytes, sizes)
        assert eta > 0, plan
    moved_big = [p for p in size_steps if p[1] == "big"]
    assert len(moved_big) == 2 and {p[4] for p in moved_big} == {"f3", "f4"}, plan
    assert {p[3] for p in moved_big} == {"f1", "f2"}, plan

    result = rows(conn, "SELECT murphy.rebalance()")[0][0]
    print(result)
    assert result.count(" moved from ") == len(plan), result
    assert all(m[10] == "done" for m in move_rows(conn))
    _, counts, per_node = wait_sizes(conn, big_in_files)
    print(counts, per_node)
    assert max(counts.values()) - min(counts.values()) <= 1, counts
    assert max_over_mean(per_node) < 1.1, per_node
    assert not [p for p in rows(conn, "SELECT reason FROM murphy.rebalance_plan")
                if p[0] == "size"]
    assert rows(conn, "SELECT count(*) FROM big") == [(BIG_ROWS,)]
    assert rows(conn, "SELECT count(*) FROM small") == [(SMALL_ROWS,)]
    checker.wait_consistent(rc, conn, replicas=2)


def test_auto_rebalancer_moves_by_size(rc):
    """The same layout with the automatic rebalancer on (looking every
    300 ms): it moves by size by itself, one move at a time, until max/mean
    bytes is under 1.1 with the counts even; each move says why."""
    conn = rc.connect()
    with conn.cursor() as cur:
        cur.execute("ALTER SYSTEM SET murphy.rebalance_base_bytes = 0")
        cur.execute("ALTER SYSTEM SET murphy.rebalance_interval_ms = 300")
    load(conn, "big", 2, BIG_ROWS, PAD)
    load(conn, "small", 6, SMALL_ROWS, 10)
    arrange(conn, "big", {0: {"f1", "f2"}, 1: {"f1", "f2"}})
    arrange(conn, "small", {0: {"f1", "f3"}, 1: {"f1", "f4"}, 2: {"f2", "f3"},
                            3: {"f2", "f4"}, 4: {"f3", "f4"}, 5: {"f3", "f4"}})
    _, _, per_node = wait_sizes(conn, big_in_files)
    assert max_over_mean(per_node) > 1.5, per_node
    by_hand = len(move_rows(conn))
    with conn.cursor() as cur:
        cur.execute("ALTER SYSTEM SET murphy.auto_rebalance = on")

    def balanced():
        sizes = copy_bytes(conn)
        if not all(sizes.values()) or any(m[10] != "done" for m in move_rows(conn)):
            return False
        per, counts = {}, {}
        for (_, _, node), b in sizes.items():
            per[node] = per.get(node, 0) + b
            counts[node] = counts.get(node, 0) + 1
        return max_over_mean(per) < 1.1 and max(counts.values()) - min(counts.values()) <= 1

    deadline = time.time() + 60
    while not balanced():
        assert time.time() < deadline, (copy_bytes(conn), move_rows(conn)[by_hand:])
        time.sleep(0.3)
    reasons = [r[0] for r in rows(conn, "SELECT reason FROM murphy.moves ORDER BY started_at")]
    print(reasons[by_hand:])
    auto = reasons[by_hand:]
    assert auto and any(r.startswith("automatic rebalance by size: ") for r in auto), auto
    assert len(auto) <= 6, auto            # few moves: 4 make it even
    time.sleep(2)                          # seven looks: balanced, nothing more moves
    assert len(move_rows(conn)) == by_hand + len(auto), move_rows(conn)[by_hand:]
    assert rows(conn, "SELECT count(*) FROM big") == [(BIG_ROWS,)]
    checker.wait_consistent(rc, conn, replicas=2)


def test_base_bytes_keeps_small_tables_planned_by_copies(rc):
    """At the default murphy.rebalance_base_bytes (100 MB a copy, as
    Citus's base cost), the same layout of megabytes is even: no move by
    size.  A bad value is 22023."""
    conn = rc.connect()
    assert ("murphy.rebalance_base_bytes", str(100 << 20)) in rows(
        conn, "SELECT name, setting FROM murphy.settings")
    load(conn, "big", 2, BIG_ROWS // 2, PAD)
    load(conn, "small", 6, SMALL_ROWS, 10)
    arrange(conn, "big", {0: {"f1", "f2"}, 1: {"f1", "f2"}})
    arrange(conn, "small", {0: {"f1", "f3"}, 1: {"f1", "f4"}, 2: {"f2", "f3"},
                            3: {"f2", "f4"}, 4: {"f3", "f4"}, 5: {"f3", "f4"}})
    wait_sizes(conn, lambda sizes: all(b > 1 << 20 for (t, _, _), b in sizes.items()
                                       if t == "big"))
    assert [r for r in rows(conn, "SELECT reason FROM murphy.rebalance_plan")
            if r[0] == "size"] == []
    with conn.cursor() as cur:
        with pytest.raises(Exception) as e:
            cur.execute("ALTER SYSTEM SET murphy.rebalance_base_bytes = 'lots'")
        assert e.value.pgcode == "22023", str(e.value)
    conn.rollback()
    with conn.cursor() as cur:
        cur.execute("ALTER SYSTEM SET murphy.rebalance_base_bytes = '0kB'")
    assert [r for r in rows(conn, "SELECT reason FROM murphy.rebalance_plan")
            if r[0] == "size"], "no move by size at a base of 0"


def test_colocated_split_sizes_each_table(rc):
    """A co-located partner's row in murphy.moves carries its own bytes
    (was 0), so does the call's answer, and `murphy status` shows the done
    split at 100 %."""
    conn = rc.connect()
    with conn.cursor() as cur:
        for name in ("t", "u"):
            cur.execute("CREATE TABLE %s (id bigint PRIMARY KEY, pad text) PARTITION BY "
                        "RANGE (id) WITH (range_bounds = '1000000000', replicas = 2)" % name)
        cur.execute("INSERT INTO t SELECT i, repeat('t', 200) FROM generate_series(1, 3000) i")
        cur.execute("INSERT INTO u SELECT i, repeat('u', 400) FROM generate_series(1, 3000) i")
    result = rows(conn, "SELECT murphy.split_shard('t', 0)")[0][0]
    print(result)
    lines = result.split("\n")
    assert len(lines) == 2 and lines[1].startswith("shard 0 of u split at "), result
    moves = {m[0]: m for m in rows(conn, "SELECT table_name, bytes_done, bytes_total, state "
                                         "FROM murphy.moves WHERE kind = 'split'")}
    print(moves)
    assert moves["u"][3] == "done" and moves["u"][1] == moves["u"][2], moves
    # u's rows are twice t's: its pages, asked of its primary like t's
    assert moves["u"][2] > 1.5 * moves["t"][2] > 0, moves
    assert " %d bytes in " % moves["u"][2] in lines[1], result
    out = subprocess.run([MURPHY, "status", "--pg", "127.0.0.1:%d" % rc.port],
                         capture_output=True, text=True, timeout=30)
    split_lines = [ln for ln in out.stdout.splitlines()
                   if "u.0  " in ln and "split+" in ln]
    print(out.stdout)
    assert split_lines and all(" 100%" in ln for ln in split_lines), out.stdout
