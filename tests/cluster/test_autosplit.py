"""Automatic splits: a shard past murphy.split_max_bytes splits by itself
(issue 18, "A range table without bounds splits automatically when a shard
passes a size or load threshold"; replication/repl_autosplit.c).

Real processes, 3 followers, RF 2.  The settings are the cluster's (ALTER
SYSTEM SET), made small so that a table of a megabyte splits within
seconds: the automatic splitter looks every 500 ms (the rebalancer's
interval), a shard above 256 kB splits, a table waits 1 s between two
splits.  Afterwards every acknowledged row must be visible exactly once,
the copies identical (the replication checker) and each file must hold
only rows of its shard's range.
"""
import io
import time

import psycopg2
import pytest

import checker
from conftest import owned_cluster, timer_args
from test_failures import Writers
from test_split import check_files_in_range, check_rows, shard_ranges

PAD = 100
PRELOAD = 6000  # padded rows with negative ids: about 0.9 MB, in one shard


@pytest.fixture
def ac(request):
    yield from owned_cluster(request, 3, timer_args(1000, 2500))


def rows(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def system(conn, **settings):
    with conn.cursor() as cur:
        for name, value in settings.items():
            cur.execute("ALTER SYSTEM SET murphy.%s = '%s'" % (name, value))


def fast_splitter(conn, **more):
    """The splitter's settings for a test: it looks every 500 ms; a shard
    above 256 kB splits; no splits by load (they need minutes of CPU);
    the rebalancer moves nothing (the tests look at splits alone)."""
    settings = dict(rebalance_interval_ms=500, split_max_bytes="256kB", split_load_share=1,
                    split_cooldown_ms=1000, auto_rebalance="off")
    settings.update(more)
    system(conn, **settings)


def create(conn, name="t", preload=PRELOAD):
    """A range table without bounds (one shard) with `preload` padded rows
    of negative ids; test_failures' Writers insert ids 1, 2, ..."""
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id bigint PRIMARY KEY, w int, pad text) "
                    "PARTITION BY RANGE (id) WITH (replicas = 2)" % name)
        data = "".join("%d\t0\t%s\n" % (-i, "p" * PAD) for i in range(1, preload + 1))
        cur.copy_from(io.StringIO(data), name, columns=("id", "w", "pad"))


def splits(conn, table="t"):
    return rows(conn, "SELECT shard, new_shard, state, reason, error FROM murphy.moves "
                      "WHERE kind = 'split' AND table_name = %s ORDER BY started_at", (table,))


def wait_for(what, fn, timeout):
    deadline = time.time() + timeout
    while not fn():
        if time.time() > deadline:
            raise AssertionError("no %s after %d s" % (what, timeout))
        time.sleep(0.2)


def test_range_table_past_split_max_bytes_splits_by_itself(ac):
    """A range table without bounds, loaded past split_max_bytes, splits by
    itself while writers insert: more shards, each split said why
    (murphy.moves.reason), nothing acknowledged lost or doubled, the
    copies identical, each file only its range's rows."""
    conn = ac.connect()
    fast_splitter(conn)
    create(conn)
    assert len(shard_ranges(conn, "t")) == 1
    writers = Writers(ac).start()
    try:
        wait_for("automatic split", lambda: any(s[2] == "done" for s in splits(conn)), 30)
        acked_at_split = len(writers.acked)
        time.sleep(1.5)  # writes go on after the switch, by the new bounds
    finally:
        writers.stop()
    done = [s for s in splits(conn) if s[2] == "done"]
    print(splits(conn))
    assert all(s[3] and s[3].startswith("automatic split by size: ") for s in done), done
    assert len(writers.acked) > acked_at_split, "no write acknowledged after the split"
    ranges = shard_ranges(conn, "t")
    assert len(ranges) >= 2, ranges
    # the ranges still cover every value once: sorted, each ends where the next starts
    bounds = sorted(ranges.values(), key=lambda r: (r[0] is not None, r[0] or 0))
    assert bounds[0][0] is None and bounds[-1][1] is None, bounds
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:])), bounds
    check_rows(conn, writers)
    checker.wait_consistent(ac, conn, replicas=2)
    check_files_in_range(ac, conn, "t")


def test_table_under_the_threshold_does_not_split(ac):
    """A table below split_max_bytes does not split, nor does a lightly
    read one by load (the default share, 0.3, with its floor of 5 % of a
    core): a single shard takes all of its table's reads, but a few
    seconds of them are far below the floor."""
    conn = ac.connect()
    fast_splitter(conn, split_load_share=0.3)
    create(conn, preload=300)
    deadline, n = time.time() + 5, 0   # ten looks
    with conn.cursor() as cur:
        while time.time() < deadline:
            cur.execute("SELECT count(*), sum(w) FROM t WHERE id < 0")
            assert cur.fetchone() == (300, 0)
            n += 1
    # the splitter's size probes (one a look) count as CPU, not as reads
    assert rows(conn, "SELECT sum(reads) FROM murphy.shard_load WHERE table_name = 't' "
                      "AND period = 'total'") == [(n,)]
    assert len(shard_ranges(conn, "t")) == 1
    assert splits(conn) == []


def test_auto_split_off_splits_nothing_until_reset(ac):
    """murphy.auto_split = off: a shard past the threshold stays whole
    (murphy.split_shard still works by hand); RESET turns it back on and
    the shard splits."""
    conn = ac.connect()
    fast_splitter(conn, auto_split="off")
    assert rows(conn, "SELECT setting FROM murphy.settings WHERE name = 'murphy.auto_split'") \
        == [("off",)]
    create(conn)
    time.sleep(4)  # eight looks
    assert len(shard_ranges(conn, "t")) == 1
    assert splits(conn) == []
    with conn.cursor() as cur:
        cur.execute("ALTER SYSTEM RESET murphy.auto_split")
    wait_for("automatic split", lambda: len(shard_ranges(conn, "t")) >= 2, 20)
    assert rows(conn, "SELECT count(*) FROM t") == [(PRELOAD,)]
    checker.wait_consistent(ac, conn, replicas=2)


@pytest.mark.parametrize("name, value", [
    ("split_max_bytes", "12kB"), ("split_max_bytes", "lots"), ("split_load_share", "0"),
    ("split_load_share", "1.5"), ("split_cooldown_ms", "-1"), ("auto_split", "maybe")])
def test_bad_settings_are_refused(ac, name, value):
    conn = ac.connect()
    with pytest.raises(psycopg2.Error) as e:
        system(conn, **{name: value})
    assert e.value.pgcode == "22023", (e.value.pgcode, str(e.value))


@pytest.fixture
def slow(request):
    """Failure timers long enough for a follower link delayed 2.5 s."""
    yield from owned_cluster(request, 3, timer_args(8000, 16000))


def test_leader_killed_mid_automatic_split(slow):
    """The leader dies while an automatic split is copying (a replica's
    link delayed, so its half copies answer late): the restarted leader
    holds either the old shard or the finished split — every row there
    once, the copies identical — and, its settings kept in the catalog,
    splits the shard by itself again."""
    conn = slow.connect()
    fast_splitter(conn, auto_split="off")
    create(conn)
    replica = [n for n, role in rows(conn, "SELECT node, role FROM murphy.placements WHERE "
                                           "table_name = 't' AND shard = 0")
               if role == "replica"][0]
    rows(conn, "SELECT murphy.fault(%s)", ("delay %s 2500" % replica,))
    time.sleep(3)  # the delayed frames flow again, late
    with conn.cursor() as cur:
        cur.execute("ALTER SYSTEM SET murphy.auto_split = on")
    wait_for("automatic split copying",
             lambda: any(s[2] == "running" for s in splits(conn)) and
             rows(conn, "SELECT phase FROM murphy.moves WHERE kind = 'split'")[-1][0]
             == "copying", 20)
    slow.kill9("leader")
    slow.start()
    deadline = time.time() + 20
    while True:
        try:
            conn = slow.connect()
            ranges = shard_ranges(conn, "t")
            if rows(conn, "SELECT count(*) FROM t") == [(PRELOAD,)]:
                break
        except psycopg2.Error:
            pass
        if time.time() > deadline:
            raise AssertionError("the table is not readable after the restart")
        time.sleep(0.3)
    print(ranges)
    # the old shard, or a finished split: never a mix
    assert ranges == {0: (None, None)} or len(ranges) == 2, ranges
    checker.wait_consistent(slow, conn, replicas=2, timeout=30)
    # the stored settings still apply: it splits by itself
    wait_for("automatic split after the restart", lambda: len(shard_ranges(conn, "t")) >= 2, 30)
    assert rows(conn, "SELECT count(DISTINCT id), count(*) FROM t") == [(PRELOAD, PRELOAD)]
    checker.wait_consistent(slow, conn, replicas=2, timeout=30)
    check_files_in_range(slow, conn, "t")


def test_hot_range_shard_splits_by_load(ac):
    """The creation-date case without waiting minutes: a range table
    whose reads all go to one shard splits that shard by load
    (murphy.split_load_share), not by size (off here).  The load window
    is the time since the table's last split — a manual split of the cold
    shard starts it — so the 5 %-of-a-core floor is a fraction of a second
    of CPU; two reader threads on the hot shard pass it within seconds.
    The split says why (murphy.moves.reason), cuts the hot shard (not the
    cold one), and every row is still there once, the copies identical."""
    conn = ac.connect()
    fast_splitter(conn, split_max_bytes=0, split_load_share=0.3, split_cooldown_ms=1000)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE t (id bigint PRIMARY KEY, w int, pad text) "
                    "PARTITION BY RANGE (id) WITH (range_bounds = '0', replicas = 2)")
        data = "".join("%d\t0\t%s\n" % (-i, "p" * PAD) for i in range(1, PRELOAD + 1))
        cur.copy_from(io.StringIO(data), "t", columns=("id", "w", "pad"))
        cur.execute("INSERT INTO t SELECT g, 1, 'cold' FROM generate_series(1, 100) g")
    # the cold shard (ids >= 0) split by hand: the table's window starts now
    assert rows(conn, "SELECT murphy.split_shard('t', 1, '50')")[0][0].startswith(
        "shard 1 of t split at '50'")
    stop_at = time.time() + 40

    def hot_reads():
        c = ac.connect()
        with c.cursor() as cur:
            while time.time() < stop_at and not auto_split_done(c):
                cur.execute("SELECT count(*), sum(length(pad)) FROM t WHERE id < 0")
                assert cur.fetchone() == (PRELOAD, PRELOAD * PAD)
        c.close()

    def auto_split_done(c):
        return any(s[2] == "done" and s[3] for s in splits(c))

    import threading
    ths = [threading.Thread(target=hot_reads, daemon=True) for _ in range(2)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    auto = [s for s in splits(conn) if s[3]]
    print(splits(conn), shard_ranges(conn, "t"))
    assert auto and auto[0][2] == "done", splits(conn)
    assert auto[0][0] == 0, auto                       # the hot shard (ids < 0)
    assert auto[0][3].startswith("automatic split by load: "), auto
    assert "murphy.split_load_share 0.3" in auto[0][3], auto
    ranges = shard_ranges(conn, "t")
    assert len(ranges) >= 4 and ranges[0][0] is None and -PRELOAD < ranges[0][1] < 0, ranges
    assert rows(conn, "SELECT count(*), count(DISTINCT id) FROM t") == [(PRELOAD + 100,) * 2]
    checker.wait_consistent(ac, conn, replicas=2)
    check_files_in_range(ac, conn, "t")
