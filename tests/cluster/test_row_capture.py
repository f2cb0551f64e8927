"""Row inserts on every copy at once, logged by row capture.

Every row batch (INSERT ... VALUES, INSERT ... SELECT, COPY batches of up
to 20,000 rows) runs on all current copies of its shard under one entry
id; each copy logs the changeset its preupdate hook wrote
(storage/capture_rows.c), or, when the statement did more than insert,
runs again under sqlite3session.  What must hold, checked on the
placement files themselves (checker.py):

- a large COPY lands whole, every copy identical, at the same LSN;
- a COPY batch that hits a duplicate key fails with 23505 on every copy
  alike and leaves no copy holding part of it;
- an INSERT ... ON CONFLICT DO NOTHING over many rows, half of them
  already there, gives PostgreSQL's answer and identical copies (each
  copy's changeset holds only the rows it inserted; the session fallback
  for statements that update is covered by test_replog.c);
- the logged changesets are usable: a follower that missed the writes
  catches up from a peer's log (entries written by row capture).
"""
import io
import os
import signal
import time

import psycopg2
import pytest

from checker import wait_consistent


def rows_text(ids, tag="r"):
    return "".join("%d\t%s%d\t%d\n" % (i, tag, i % 97, i * 3) for i in ids)


def count(cur, table):
    cur.execute("SELECT count(*), count(DISTINCT id), coalesce(sum(v), 0) FROM %s" % table)
    return cur.fetchone()


def test_large_copy_lands_whole_on_every_copy(cluster):
    conn = cluster.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE rc1 (id bigint PRIMARY KEY, tag text, v bigint) WITH (shards = 2)")
    n = 45000  # more than one 20,000-row batch per shard
    cur.copy_expert("COPY rc1 FROM STDIN", io.StringIO(rows_text(range(1, n + 1))))
    assert cur.rowcount == n
    assert count(cur, 'rc1') == (n, n, 3 * n * (n + 1) // 2)
    wait_consistent(cluster, conn, replicas=cluster.followers, tables={"rc1"})
    conn.close()


def test_copy_duplicate_key_leaves_no_copy_with_part_of_it(cluster):
    conn = cluster.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE rc2 (id bigint PRIMARY KEY, tag text, v bigint) WITH (shards = 1)")
    cur.copy_expert("COPY rc2 FROM STDIN", io.StringIO(rows_text(range(1, 1001))))
    # one shard: the second COPY is one batch of 3,000 rows; its last row
    # repeats a key of the first COPY
    payload = rows_text(range(1001, 4000)) + rows_text([500])
    with pytest.raises(psycopg2.Error) as e:
        cur.copy_expert("COPY rc2 FROM STDIN", io.StringIO(payload))
    assert e.value.pgcode == "23505", e.value
    conn.rollback()
    assert count(cur, 'rc2') == (1000, 1000, 3 * 1000 * 1001 // 2)
    wait_consistent(cluster, conn, replicas=cluster.followers, tables={"rc2"})
    conn.close()


def test_insert_on_conflict_do_nothing_logs_only_new_rows(cluster, pgconn):
    conn = cluster.connect()
    cur = conn.cursor()
    pcur = pgconn.cursor()
    ddl = "CREATE TABLE rc3 (id bigint PRIMARY KEY, tag text, v bigint)"
    cur.execute(ddl + " WITH (shards = 3)")
    pcur.execute("DROP TABLE IF EXISTS rc3")
    pcur.execute(ddl)
    first = "INSERT INTO rc3 VALUES " + ", ".join("(%d, 't', %d)" % (g, g) for g in range(1, 601))
    upsert = ("INSERT INTO rc3 VALUES " +
              ", ".join("(%d, 'u', %d)" % (g, g * 10) for g in range(400, 1001)) +
              " ON CONFLICT (id) DO NOTHING")
    for c in (cur, pcur):
        c.execute(first)
        c.execute(upsert)
    q = "SELECT tag, count(*), sum(v) FROM rc3 GROUP BY tag ORDER BY tag"
    cur.execute(q)
    pcur.execute(q)
    assert cur.fetchall() == pcur.fetchall()
    wait_consistent(cluster, conn, replicas=cluster.followers, tables={"rc3"})
    conn.close()


def test_follower_catches_up_from_row_captured_entries(cluster):
    conn = cluster.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE rc4 (id bigint PRIMARY KEY, tag text, v bigint) WITH (shards = 2)")
    # pause a follower that is no shard's primary: writes go on at majority
    # (a paused primary holds its shard's writes until suspect_timeout)
    cur.execute("SELECT DISTINCT node FROM murphy.placements WHERE table_name = 'rc4' "
                "AND role = 'primary'")
    primaries = {r[0] for r in cur.fetchall()}
    victim = [n for n in cluster.node_names() if n != "leader" and n not in primaries][0]
    pid = cluster.pid(victim)
    os.kill(pid, signal.SIGSTOP)  # misses the writes below (majority still holds)
    try:
        # more writes per shard than the leader keeps in flight (8): the
        # ninth waits for the paused copy's answers until it is suspect,
        # then the copy misses the rest
        for k in range(10):
            cur.copy_expert("COPY rc4 FROM STDIN",
                            io.StringIO(rows_text(range(k * 1000 + 1, k * 1000 + 1001))))
        cur.execute("INSERT INTO rc4 VALUES (100001, 'x', 1), (100002, 'y', 2)")
    finally:
        os.kill(pid, signal.SIGCONT)
    time.sleep(0.2)
    assert count(cur, 'rc4') == (10002, 10002, 3 * 10000 * 10001 // 2 + 3)
    wait_consistent(cluster, conn, timeout=30, replicas=cluster.followers, tables={"rc4"})
    # it got the entries it missed from a peer's log, not from a snapshot
    log = open(os.path.join(cluster.dir, "leader", "murphy.log")).read()
    assert "%s caught up shard" % victim in log and "of rc4" in log, log[-3000:]
    assert "of rc4 on %s" % victim not in log  # no rebuild of its copies
    conn.close()


def test_paused_primary_does_not_hold_a_row_insert(cluster):
    """A row insert's answer is its row count, which every copy reports:
    majority is the first two copies to answer, the primary or not.  With
    the shard's primary paused (SIGSTOP, well inside suspect_timeout, so no
    failover) an insert commits at once on the other two copies; the
    primary applies it when it resumes.  (The shard's next row inserts do
    not wait for it either, up to 8 in flight: test_pipeline.py.)"""
    conn = cluster.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE rc5 (id bigint PRIMARY KEY, tag text, v bigint) WITH (shards = 1)")
    cur.execute("INSERT INTO rc5 VALUES (0, 'seed', 0)")
    cur.execute("SELECT node FROM murphy.placements WHERE table_name = 'rc5' AND role = 'primary'")
    primary = cur.fetchone()[0]
    pid = cluster.pid(primary)
    os.kill(pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        cur.execute("INSERT INTO rc5 VALUES " +
                    ", ".join("(%d, 'p', %d)" % (i, i) for i in range(1, 51)))
        elapsed = time.monotonic() - t0
        assert cur.rowcount == 50
        cur.execute("SELECT count(*), sum(v) FROM rc5")  # read from a current copy
        got = cur.fetchone()
        cur.execute("SELECT node FROM murphy.placements WHERE table_name = 'rc5' "
                    "AND role = 'primary'")
        still = cur.fetchone()[0]
    finally:
        os.kill(pid, signal.SIGCONT)
    assert elapsed < 0.5, "the insert waited %.2f s for the paused primary" % elapsed
    assert got == (51, sum(range(51)))
    assert still == primary  # answered without a failover
    wait_consistent(cluster, conn, timeout=30, replicas=cluster.followers, tables={"rc5"})
    assert count(cur, 'rc5') == (51, 51, sum(range(51)))
    conn.close()
