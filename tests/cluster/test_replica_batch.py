"""Replica batches (murphy.replica_batch, on by default; issue 16, "Benchmark";
docs/transactions.md, "Replica batches").

A block's UPDATE or DELETE is run and answered by its shard's primary; its
replicas get the entry only with the transaction's COMMIT, in the same
frame as the staging (or commit) marker, and make both durable with one
fsync.  The tests read every copy's SQLite file directly:

- before COMMIT the replicas' files do not hold the block's UPDATE (with
  the setting off they do, as soon as the primary answered), and after it
  every copy does;
- the primary killed (SIGKILL) in the middle of a two-shard block, after
  its UPDATE was answered: the acknowledged autocommit UPDATE before it is
  kept, COMMIT succeeds or fails saying so, the block is there on both
  shards or on neither, and the copies agree once the primary is back;
- ROLLBACK, and ROLLBACK TO SAVEPOINT over a second write of the same shard
  (which sends the kept entry first), undo exactly what they should on
  every copy;
- writers of a hot row queue behind a block whose entry is kept (they
  follow its staging marker and that entry): every transfer is counted,
  the total holds, and the copies agree;
- the next holder follows a kept entry at once, and when that entry then
  misses its quorum (both replicas killed) the first transaction is rolled
  back, the next holder is doomed, and neither is on any copy (before the
  fix in op_waits both COMMITs hung: the requeued staging marker waited for
  the lock the next holder held).
"""
import os
import signal
import sqlite3
import threading
import time

import psycopg2
import pytest

import checker
from conftest import fault, owned_cluster
from test_txn_atomic import nothing_anywhere, scalar
from test_txn_pipelined import one_shard_table, slow_table
from test_write_early import per_copy

TIMERS = ["--suspect-timeout-ms", "3000", "--dead-timeout-ms", "10000"]


@pytest.fixture
def fc(request):
    yield from owned_cluster(request, followers=3, start_args=TIMERS)


def placements(conn, table):
    """[(shard, node, role)] of table."""
    with conn.cursor() as cur:
        cur.execute("SELECT shard, node, role FROM murphy.placements WHERE table_name = %s "
                    "ORDER BY shard, node", (table,))
        return cur.fetchall()


def v_on_copies_now(fc, table, key):
    """{node: v of row `key`} read from every copy's file of table at once
    (no wait for the copies to agree: what each holds right now)."""
    out = {}
    for (t, _shard, node), (path, *_rest) in checker.placement_files(fc).items():
        if t != table:
            continue
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
        try:
            for (v,) in db.execute('SELECT v FROM "%s" WHERE id = ?' % table, (key,)):
                out[node] = v
        finally:
            db.close()
    return out


@pytest.mark.parametrize("batch", ["on", "off"])
def test_block_update_reaches_the_replicas_with_its_commit(fc, batch):
    conn = fc.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE rb1 (id int PRIMARY KEY, v int NOT NULL) "
                    "WITH (shards = 1, replicas = 3)")
        cur.execute("INSERT INTO rb1 VALUES (1, 0)")
    primary = [n for _s, n, role in placements(conn, "rb1") if role == "primary"][0]
    blk = fc.connect(autocommit=False)
    with blk.cursor() as cur:
        cur.execute("SET murphy.replica_batch = %s" % batch)
        blk.commit()  # BEGIN reads the setting
        cur.execute("UPDATE rb1 SET v = 1 WHERE id = 1")
        assert cur.rowcount == 1
        time.sleep(0.5)  # an APPLY sent at the primary's answer is in by now
        now = v_on_copies_now(fc, "rb1", 1)
        assert now[primary] == 1, now  # the primary ran it
        replicas = {n: v for n, v in now.items() if n != primary}
        assert len(replicas) == 2, now
        if batch == "on":
            assert set(replicas.values()) == {0}, "a replica got the entry before COMMIT: %s" % now
        else:
            assert set(replicas.values()) == {1}, now
        blk.commit()
    blk.close()
    assert scalar(conn, "SELECT v FROM rb1 WHERE id = 1") == 1
    rows = per_copy(fc, conn, "rb1", 'SELECT v FROM "%s" WHERE id = 1')
    assert {n: v for n, v in rows.items()} == {n: [1] for n in rows}, rows
    conn.close()


def two_shard_rows(fc, conn, table):
    """A 2-shard table of 3 copies with two rows (v 100 each) on different
    shards: (ids, {id: shard})."""
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v int NOT NULL) "
                    "WITH (shards = 2, replicas = 3)" % table)
        cur.execute("INSERT INTO %s SELECT g, 100 FROM generate_series(1, 20) g" % table)
    checker.wait_consistent(fc, conn, tables=[table], replicas=3)
    shard_of = {}
    for (t, shard, _node), (path, *_rest) in checker.placement_files(fc).items():
        if t != table:
            continue
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
        try:
            for (i,) in db.execute('SELECT id FROM "%s"' % table):
                shard_of[i] = shard
        finally:
            db.close()
    assert len(set(shard_of.values())) == 2, shard_of
    a = 1
    b = next(i for i, s in shard_of.items() if s != shard_of[a])
    return (a, b), shard_of


def test_primary_killed_mid_block_loses_nothing_acknowledged(fc):
    conn = fc.connect()
    (a, b), shard_of = two_shard_rows(fc, conn, "rb2")
    primary = [n for s, n, role in placements(conn, "rb2")
               if role == "primary" and s == shard_of[a]][0]
    with conn.cursor() as cur:
        cur.execute("UPDATE rb2 SET v = v + 1 WHERE id = %s", (a,))  # acknowledged: 101
    blk = fc.connect(autocommit=False)
    committed = None
    with blk.cursor() as cur:
        cur.execute("UPDATE rb2 SET v = v - 10 WHERE id = %s", (a,))  # kept for the COMMIT
        cur.execute("UPDATE rb2 SET v = v + 10 WHERE id = %s", (b,))
        os.kill(fc.pid(primary), signal.SIGKILL)
        try:
            blk.commit()
            committed = True
        except psycopg2.Error as e:
            # rolled back, or told unknown: never a false success
            assert e.pgcode in ("40000", "08006", "40003"), (e.pgcode, str(e))
            committed = False if e.pgcode != "40003" else None
    blk.close()
    va = scalar(conn, "SELECT v FROM rb2 WHERE id = %d" % a)
    vb = scalar(conn, "SELECT v FROM rb2 WHERE id = %d" % b)
    assert (va, vb) in ((91, 110), (101, 100)), (va, vb)  # the whole block or none of it
    if committed is True:
        assert (va, vb) == (91, 110)
    elif committed is False:
        assert (va, vb) == (101, 100)  # the acknowledged autocommit UPDATE is kept
    fc.start()  # the killed primary comes back: every copy ends the same
    rows = per_copy(fc, conn, "rb2", 'SELECT v FROM "%%s" WHERE id IN (%d, %d) ORDER BY id'
                    % (a, b))
    for node, vs in rows.items():  # each copy file holds one of the two rows
        assert vs in ([va], [vb]), (node, vs)
    assert scalar(conn, "SELECT sum(v) FROM rb2") == 20 * 100 + 1
    conn.close()


def test_rollback_and_savepoint_undo_kept_entries_on_every_copy(fc):
    conn = fc.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE rb3 (id int PRIMARY KEY, v int NOT NULL) "
                    "WITH (shards = 1, replicas = 3)")
        cur.execute("INSERT INTO rb3 VALUES (1, 0), (2, 0)")
    blk = fc.connect(autocommit=False)
    with blk.cursor() as cur:
        cur.execute("UPDATE rb3 SET v = 9 WHERE id = 1")
        cur.execute("DELETE FROM rb3 WHERE id = 2")
    blk.rollback()
    with blk.cursor() as cur:
        cur.execute("UPDATE rb3 SET v = 1 WHERE id = 1")  # kept
        cur.execute("SAVEPOINT s")
        cur.execute("UPDATE rb3 SET v = 2 WHERE id = 1")  # the same shard: the kept one goes first
        cur.execute("DELETE FROM rb3 WHERE id = 2")
        cur.execute("ROLLBACK TO SAVEPOINT s")
        cur.execute("SELECT v FROM rb3 ORDER BY id")
        assert [r[0] for r in cur.fetchall()] == [1, 0]
    blk.commit()
    blk.close()
    rows = per_copy(fc, conn, "rb3", 'SELECT v FROM "%s" ORDER BY id')
    assert rows and all(vs == [1, 0] for vs in rows.values()), rows
    conn.close()


def test_hot_row_writers_follow_a_kept_entry(fc):
    conn = fc.connect()
    (a, b), _shard_of = two_shard_rows(fc, conn, "rb4")
    errors, done = [], [0]
    lock = threading.Lock()

    def worker(k):
        c = fc.connect(autocommit=False)
        try:
            for i in range(15):
                other = 2 + (k * 15 + i) % 19  # every row but the hot one, both shards
                try:
                    with c.cursor() as cur:
                        cur.execute("UPDATE rb4 SET v = v - 1 WHERE id = %s", (other,))
                        cur.execute("UPDATE rb4 SET v = v + 1 WHERE id = 1")  # the hot row
                    c.commit()
                    with lock:
                        done[0] += 1
                except psycopg2.Error as e:
                    c.rollback()
                    errors.append((e.pgcode, str(e)))
        finally:
            c.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert scalar(conn, "SELECT v FROM rb4 WHERE id = 1") == 100 + done[0]
    assert scalar(conn, "SELECT sum(v) FROM rb4") == 20 * 100
    checker.wait_consistent(fc, conn, tables=["rb4"], replicas=3)
    conn.close()


def test_next_holder_behind_kept_entries_is_doomed_when_they_fail(fc):
    """X's UPDATE of a one-shard table is kept for its COMMIT; X commits
    over two shards, so its staging marker goes to the slowed replicas with
    the kept entry and the lock is handed on.  Y's UPDATE of the same row
    follows them on the primary at once (without rides_marker it would wait
    for X's entry's quorum, two delayed rounds away).  The replicas are
    then killed: X's entry and marker miss their quorum, X is rolled back,
    Y is doomed, and neither is on any copy once they are back."""
    conn = fc.connect()
    one_shard_table(conn, "rb5o")
    replicas = slow_table(conn, "rb5h", 1000)
    x = fc.connect(autocommit=False)
    y = fc.connect(autocommit=False)
    heard = {}

    def commit_x():
        try:
            x.commit()
            heard["x"] = "ok"
        except psycopg2.Error as e:
            heard["x"] = e

    with x.cursor() as cur:
        cur.execute("UPDATE rb5o SET v = 7 WHERE id = 1")
        cur.execute("UPDATE rb5h SET v = 7 WHERE id = 1")  # kept for the COMMIT
    th = threading.Thread(target=commit_x)
    th.start()
    time.sleep(0.3)  # X's staging markers are out; its quorum is 2 s away
    with y.cursor() as cur:
        t0 = time.monotonic()
        cur.execute("UPDATE rb5h SET v = v + 100 WHERE id = 1")
        took = time.monotonic() - t0
        assert cur.rowcount == 1
    assert took < 0.9, "the next holder waited %.3f s for X's kept entry" % took
    for node in replicas:
        os.kill(fc.pid(node), signal.SIGKILL)
    fault(conn, "heal")
    th.join(30)
    assert isinstance(heard.get("x"), psycopg2.Error), heard
    assert heard["x"].pgcode in ("40000", "08006", "40003"), heard["x"]
    with pytest.raises(psycopg2.Error) as e:
        y.commit()
    assert e.value.pgcode in ("40000", "08006", "40003"), (e.value.pgcode, str(e.value))
    x.close()
    y.close()
    fc.start()
    nothing_anywhere(fc, conn, "rb5h", "v <> 0")
    nothing_anywhere(fc, conn, "rb5o", "v <> 0")
    conn.close()


def ids_on_copies_now(fc, table):
    """{node: sorted ids} of every copy's file of table right now."""
    out = {}
    for (t, _shard, node), (path, *_rest) in checker.placement_files(fc).items():
        if t != table:
            continue
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
        try:
            out.setdefault(node, []).extend(
                i for (i,) in db.execute('SELECT id FROM "%s"' % table))
        finally:
            db.close()
    return {n: sorted(v) for n, v in out.items()}


def held_until_commit(fc, primary, batch, before, after):
    """rb6's primary holds ids `after`; its replicas hold `before` with the
    setting on, `after` with it off."""
    time.sleep(0.5)  # a WRITE sent at once is in by now
    now = ids_on_copies_now(fc, "rb6")
    assert now[primary] == after, now  # the primary ran it
    replicas = {n: v for n, v in now.items() if n != primary}
    assert len(replicas) == 2, now
    want = before if batch == "on" else after
    assert all(v == want for v in replicas.values()), \
        "replicas hold %s, not %s (batch %s)" % (now, want, batch)


@pytest.mark.parametrize("batch", ["on", "off"])
def test_block_insert_reaches_the_replicas_with_its_commit(fc, batch):
    """A block's row INSERT is held like an UPDATE: the primary runs and
    answers it, the replicas get its changeset with the COMMIT (with the
    setting off every copy runs it at once)."""
    conn = fc.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE rb6 (id int PRIMARY KEY, v int NOT NULL) "
                    "WITH (shards = 1, replicas = 3)")
        cur.execute("INSERT INTO rb6 VALUES (1, 0)")
    checker.wait_consistent(fc, conn, tables=["rb6"], replicas=3)
    primary = [n for _s, n, role in placements(conn, "rb6") if role == "primary"][0]
    blk = fc.connect(autocommit=False)
    with blk.cursor() as cur:
        cur.execute("SET murphy.replica_batch = %s" % batch)
        blk.commit()  # BEGIN reads the setting
        cur.execute("INSERT INTO rb6 VALUES (2, 2), (3, 3)")
        assert cur.rowcount == 2
        held_until_commit(fc, primary, batch, [1], [1, 2, 3])
        # the holder's next write on the shard sends the held one first
        cur.execute("INSERT INTO rb6 VALUES (4, 4) RETURNING id, v")
        assert cur.fetchall() == [(4, 4)]
        held_until_commit(fc, primary, batch, [1, 2, 3], [1, 2, 3, 4])
        cur.execute("SELECT count(*) FROM rb6")  # the holder reads its own rows
        assert cur.fetchone()[0] == 4
        blk.commit()
    blk.close()
    rows = per_copy(fc, conn, "rb6", 'SELECT id * 10 + v FROM "%s" ORDER BY id')
    assert rows and all(vs == [10, 22, 33, 44] for vs in rows.values()), rows
    conn.close()


def test_primary_killed_mid_block_keeps_held_inserts_whole(fc):
    """The primary of a block's held INSERT is killed (SIGKILL) after its
    answer: the acknowledged autocommit INSERT before it is kept, COMMIT
    succeeds or fails saying so, and the block's rows (two shards) are all
    there or none of them."""
    conn = fc.connect()
    (a, b), shard_of = two_shard_rows(fc, conn, "rb7")
    primary = [n for s, n, role in placements(conn, "rb7")
               if role == "primary" and s == shard_of[a]][0]
    with conn.cursor() as cur:
        cur.execute("INSERT INTO rb7 VALUES (500, 1)")  # acknowledged
    blk = fc.connect(autocommit=False)
    committed = None
    with blk.cursor() as cur:
        cur.execute("UPDATE rb7 SET v = v - 10 WHERE id = %s", (b,))
        # 40 rows over both shards: the killed primary's share is held
        cur.execute("INSERT INTO rb7 SELECT g, 7 FROM generate_series(1001, 1040) g")
        assert cur.rowcount == 40
        os.kill(fc.pid(primary), signal.SIGKILL)
        try:
            blk.commit()
            committed = True
        except psycopg2.Error as e:
            assert e.pgcode in ("40000", "08006", "40003"), (e.pgcode, str(e))
            committed = False if e.pgcode != "40003" else None
    blk.close()
    n = scalar(conn, "SELECT count(*) FROM rb7 WHERE id > 1000")
    vb = scalar(conn, "SELECT v FROM rb7 WHERE id = %d" % b)
    assert (n, vb) in ((40, 90), (0, 100)), (n, vb)  # the whole block or none of it
    if committed is True:
        assert (n, vb) == (40, 90)
    elif committed is False:
        assert (n, vb) == (0, 100)
    assert scalar(conn, "SELECT v FROM rb7 WHERE id = 500") == 1  # acknowledged: kept
    fc.start()  # every copy ends the same
    checker.wait_consistent(fc, conn, tables=["rb7"], replicas=3)
    conn.close()


def test_rollback_to_savepoint_undoes_a_held_insert_on_every_copy(fc):
    conn = fc.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE rb8 (id int PRIMARY KEY, v int NOT NULL) "
                    "WITH (shards = 1, replicas = 3)")
        cur.execute("INSERT INTO rb8 VALUES (1, 0)")
    blk = fc.connect(autocommit=False)
    with blk.cursor() as cur:
        cur.execute("INSERT INTO rb8 VALUES (9, 9)")
    blk.rollback()
    with blk.cursor() as cur:
        cur.execute("INSERT INTO rb8 VALUES (2, 2)")  # held
        cur.execute("SAVEPOINT s")
        cur.execute("INSERT INTO rb8 VALUES (3, 3)")  # the same shard: the held one goes first
        cur.execute("ROLLBACK TO SAVEPOINT s")
        cur.execute("INSERT INTO rb8 VALUES (4, 4)")
        cur.execute("SELECT id FROM rb8 ORDER BY id")
        assert [r[0] for r in cur.fetchall()] == [1, 2, 4]
    blk.commit()
    blk.close()
    rows = per_copy(fc, conn, "rb8", 'SELECT id FROM "%s" ORDER BY id')
    assert rows and all(vs == [1, 2, 4] for vs in rows.values()), rows
    conn.close()


def test_ddl_in_the_block_after_held_writes_does_not_wait_for_its_commit(fc):
    """DROP TABLE and CREATE INDEX wait for the table's writes in flight to
    reach every copy; a block's own held INSERT / UPDATE are sent at once
    then (they would wait for the COMMIT that the DDL's block has not
    reached): before, the DDL waited 5 s and failed with 55006 (a psycopg2
    client's CREATE / INSERT / DROP in one block, check-fresh)."""
    blk = fc.connect(autocommit=False)
    with blk.cursor() as cur:
        cur.execute("SET murphy.replica_batch = on")
        blk.commit()
        cur.execute("CREATE TABLE rb_ddl (id int PRIMARY KEY, v int)")
        blk.commit()
        cur.execute("INSERT INTO rb_ddl VALUES (1, 1), (2, 2)")
        cur.execute("UPDATE rb_ddl SET v = 5 WHERE id = 1")
        t0 = time.monotonic()
        cur.execute("CREATE INDEX rb_ddl_v ON rb_ddl (v)")
        took = time.monotonic() - t0
        assert took < 2, "CREATE INDEX waited %.1f s" % took
        cur.execute("SELECT id, v FROM rb_ddl WHERE v = 5")
        assert cur.fetchall() == [(1, 5)]
        t0 = time.monotonic()
        cur.execute("DROP TABLE rb_ddl")
        took = time.monotonic() - t0
        assert took < 2, "DROP TABLE waited %.1f s" % took
    blk.commit()
    conn = fc.connect()
    with conn.cursor() as cur:
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("SELECT 1 FROM rb_ddl")
        assert e.value.pgcode == "42P01"
    conn.close()
    blk.close()


# ---- blind inserts (docs/transactions.md, "Blind inserts") ----
#
# A block's INSERT ... VALUES into a table with no unique key, CHECK or
# foreign key cannot fail on a copy: it is answered at once and kept on the
# leader; every copy (the primary too) gets it with the COMMIT's marker.

def a_on_copies_now(fc, table):
    """{node: sorted values of column a} over every copy's files of table
    right now (each node's shards together)."""
    out = {}
    for (t, _shard, node), (path, *_rest) in checker.placement_files(fc).items():
        if t != table:
            continue
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
        try:
            out.setdefault(node, []).extend(a for (a,) in db.execute('SELECT a FROM "%s"' % table))
        finally:
            db.close()
    return {n: sorted(v) for n, v in out.items()}


def a_everywhere(fc, conn, table, want):
    """Once the copies agree, every copy of every shard of table holds the
    values `want` of column a between them (3 copies of each)."""
    checker.wait_consistent(fc, conn, tables=[table], replicas=3)
    now = a_on_copies_now(fc, table)
    held = sorted(a for vs in now.values() for a in vs)
    assert held == sorted(want * 3), now


def blind_table(conn, name, shards):
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (a int, b text, t timestamp) "
                    "WITH (shards = %d, replicas = 3)" % (name, shards))


@pytest.mark.parametrize("shards", [1, 2])
def test_blind_insert_is_on_no_copy_before_commit_and_on_all_after(fc, shards):
    """The block's INSERT (one shard: a commit marker; two: staging markers)
    is answered with its row count while no copy holds it, the primary
    included (on main the primary ran it before answering), and every copy
    holds it after COMMIT."""
    table = "bi%d" % shards
    conn = fc.connect()
    blind_table(conn, table, shards)
    blk = fc.connect(autocommit=False)
    with blk.cursor() as cur:
        cur.execute("INSERT INTO %s VALUES (1, 'x', CURRENT_TIMESTAMP), (2, %%s, now())" % table,
                    ("y",))
        assert cur.rowcount == 2
        time.sleep(0.5)  # a WRITE sent at once is in by now
        now = a_on_copies_now(fc, table)
        assert now and all(v == [] for v in now.values()), \
            "a copy holds a blind insert before COMMIT: %s" % now
        # INSERT ... SELECT is not blind: it sends the kept rows first
        cur.execute("INSERT INTO %s (a) SELECT g FROM generate_series(3, 20) g" % table)
        assert cur.rowcount == 18
        cur.execute("INSERT INTO %s (a, b) VALUES (21, 'z')" % table)
        time.sleep(0.5)
        now = a_on_copies_now(fc, table)
        assert all(21 not in v for v in now.values()), now
        blk.commit()
    blk.close()
    assert scalar(conn, "SELECT count(*) FROM %s WHERE t IS NOT NULL" % table) == 2
    a_everywhere(fc, conn, table, list(range(1, 22)))
    conn.close()


def test_several_blind_inserts_of_a_new_shard_commit_in_order(fc):
    """Three kept inserts of one fresh shard (pgbench -i's shape): each
    gets its entry on top of the one before when they are sent (the first
    build gave the first one the LSN after a kept one's: every copy refused
    it and the COMMIT failed)."""
    conn = fc.connect()
    blind_table(conn, "bi5", 1)
    blk = fc.connect(autocommit=False)
    with blk.cursor() as cur:
        for i in (1, 2, 3):
            cur.execute("INSERT INTO bi5 (a) VALUES (%s)", (i,))
    blk.commit()
    blk.close()
    a_everywhere(fc, conn, "bi5", [1, 2, 3])
    conn.close()


def test_blind_insert_rollback_and_savepoint_leave_nothing(fc):
    """ROLLBACK drops a kept insert; ROLLBACK TO SAVEPOINT drops the ones
    after the savepoint and keeps those before; the block reads its own
    blind inserts; nothing of it was on a copy before its end."""
    conn = fc.connect()
    blind_table(conn, "bi3", 1)
    blk = fc.connect(autocommit=False)
    with blk.cursor() as cur:
        cur.execute("INSERT INTO bi3 (a) VALUES (9), (10)")
        assert cur.rowcount == 2
        time.sleep(0.3)
        assert all(v == [] for v in a_on_copies_now(fc, "bi3").values())
    blk.rollback()
    assert scalar(conn, "SELECT count(*) FROM bi3") == 0
    with blk.cursor() as cur:
        cur.execute("INSERT INTO bi3 (a) VALUES (1)")
        cur.execute("SAVEPOINT s")
        cur.execute("INSERT INTO bi3 (a) VALUES (2)")
        cur.execute("INSERT INTO bi3 (a) VALUES (3)")
        cur.execute("ROLLBACK TO SAVEPOINT s")
        cur.execute("INSERT INTO bi3 (a) VALUES (4)")
        cur.execute("SELECT a FROM bi3 ORDER BY a")  # its own blind inserts
        assert [r[0] for r in cur.fetchall()] == [1, 4]
        cur.execute("INSERT INTO bi3 (a) VALUES (5)")
        cur.execute("SELECT count(*) FROM bi3 WHERE a > 3")
        assert cur.fetchone()[0] == 2
    blk.commit()
    blk.close()
    assert scalar(conn, "SELECT count(*) FROM bi3") == 3
    a_everywhere(fc, conn, "bi3", [1, 4, 5])
    conn.close()


@pytest.mark.parametrize("ddl,bad,code", [
    ("CREATE TABLE %s (a int UNIQUE, b text)", "INSERT INTO %s VALUES (1, 'dup')", "23505"),
    ("CREATE TABLE %s (a int CHECK (a > 0), b text)", "INSERT INTO %s VALUES (-1, 'neg')",
     "23514"),
    ("CREATE TABLE %s (a int, b text NOT NULL)", "INSERT INTO %s (a) VALUES (5)", "23502"),
    ("CREATE TABLE %s (a int, b varchar(3))", "INSERT INTO %s VALUES (5, 'long')", "22001"),
])
def test_insert_that_can_fail_still_errors_at_the_insert(fc, pgconn, ddl, bad, code):
    """A table with a UNIQUE key or a CHECK is not blind: the violating
    INSERT errors at once, as in PostgreSQL (not at COMMIT); NOT NULL and
    varchar(n) are checked on the leader before a blind insert is kept."""
    table = "bf_" + code
    conn = fc.connect()
    with conn.cursor() as cur:
        cur.execute(ddl % table)
    pgc = pgconn
    answers = []
    for c in (conn, pgc):
        c.autocommit = False
        with c.cursor() as cur:
            if c is pgc:
                cur.execute("DROP TABLE IF EXISTS %s" % table)
                cur.execute(ddl % table)
                c.commit()
            cur.execute("INSERT INTO %s VALUES (1, 'one')" % table)
            with pytest.raises(psycopg2.Error) as e:
                cur.execute(bad % table)
            answers.append(e.value.pgcode)
            with pytest.raises(psycopg2.Error) as e2:
                cur.execute("SELECT 1")
            assert e2.value.pgcode == "25P02"
        c.rollback()
        c.autocommit = True
    assert answers == [code, code], answers
    assert scalar(conn, "SELECT count(*) FROM %s" % table) == 0
    conn.close()


def test_blind_insert_with_a_foreign_key_is_checked_at_the_insert(fc):
    conn = fc.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE bp (id int PRIMARY KEY) WITH (distribution = 'reference')")
        cur.execute("INSERT INTO bp VALUES (1)")
        cur.execute("CREATE TABLE bk (a int REFERENCES bp (id), b text)")
    blk = fc.connect(autocommit=False)
    with blk.cursor() as cur:
        cur.execute("INSERT INTO bk VALUES (1, 'ok')")
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("INSERT INTO bk VALUES (2, 'no parent')")
        assert e.value.pgcode == "23503"
    blk.rollback()
    blk.close()
    assert scalar(conn, "SELECT count(*) FROM bk") == 0
    conn.close()


def test_primary_killed_mid_block_keeps_blind_inserts_whole(fc):
    """A shard's primary is killed (SIGKILL) while the block's blind inserts
    (two shards) are kept on the leader: the acknowledged autocommit insert
    before is kept, COMMIT succeeds or fails saying so, and the block is
    all there or not at all; the copies agree once the follower is back."""
    conn = fc.connect()
    blind_table(conn, "bi4", 2)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO bi4 (a) VALUES (500)")  # acknowledged
    checker.wait_consistent(fc, conn, tables=["bi4"], replicas=3)
    primary = [n for s, n, role in placements(conn, "bi4") if role == "primary" and s == 0][0]
    blk = fc.connect(autocommit=False)
    committed = None
    with blk.cursor() as cur:
        cur.execute("INSERT INTO bi4 (a) VALUES %s" %
                    ", ".join("(%d)" % i for i in range(1001, 1041)))
        assert cur.rowcount == 40
        os.kill(fc.pid(primary), signal.SIGKILL)
        time.sleep(0.3)
        try:
            blk.commit()
            committed = True
        except psycopg2.Error as e:
            assert e.pgcode in ("40000", "08006", "40003"), (e.pgcode, str(e))
            committed = False if e.pgcode != "40003" else None
    blk.close()
    n = scalar(conn, "SELECT count(*) FROM bi4 WHERE a > 1000")
    assert n in (40, 0), n  # the whole block or none of it
    if committed is not None:
        assert n == (40 if committed else 0), (committed, n)
    assert scalar(conn, "SELECT count(*) FROM bi4 WHERE a = 500") == 1
    fc.start()
    checker.wait_consistent(fc, conn, tables=["bi4"], replicas=3)
    conn.close()


@pytest.mark.parametrize("wait_s", [0, 1.5])
def test_blind_insert_that_misses_its_quorum_at_commit_fails_the_commit(fc, wait_s):
    """Two of the three copies are killed (SIGKILL) while the block's
    insert is kept: at COMMIT it cannot reach its quorum, so the COMMIT
    fails (40000, or 40003 when an answer was lost) — never a success —
    and once the copies are back no row of the block is anywhere.  Given
    time to see the links close, the leader sends it nowhere: 40000, a
    certain rollback (the first build left that COMMIT hanging)."""
    conn = fc.connect()
    blind_table(conn, "bi6", 1)
    nodes = sorted({n for _s, n, _role in placements(conn, "bi6")})
    assert len(nodes) == 3, nodes
    blk = fc.connect(autocommit=False)
    with blk.cursor() as cur:
        cur.execute("INSERT INTO bi6 (a) VALUES (1), (2)")
        assert cur.rowcount == 2
        for n in nodes[:2]:
            os.kill(fc.pid(n), signal.SIGKILL)
        time.sleep(wait_s)
        with pytest.raises(psycopg2.Error) as e:
            blk.commit()
        assert e.value.pgcode in (("40000", "40003") if not wait_s else ("40000",)), \
            (e.value.pgcode, str(e.value))
    blk.close()
    fc.start()
    checker.wait_consistent(fc, conn, tables=["bi6"], replicas=3)
    assert scalar(conn, "SELECT count(*) FROM bi6") == 0
    assert all(v == [] for v in a_on_copies_now(fc, "bi6").values())
    conn.close()


def test_tpcb_shaped_blocks_with_blind_inserts_keep_every_row(fc):
    """TPC-B's shape: 4 threads of blocks that update a hot row, insert a
    history row (blind: kept until the COMMIT, the next holder follows its
    staging marker and it) into a 2-shard table, sometimes twice or rolled
    back: history holds exactly one row per committed increment and the
    copies agree."""
    conn = fc.connect()
    (a, b), _shard_of = two_shard_rows(fc, conn, "rb9")
    blind_table(conn, "bh", 2)
    errors, done = [], [0]
    lock = threading.Lock()

    def worker(k):
        c = fc.connect(autocommit=False)
        try:
            for i in range(15):
                try:
                    with c.cursor() as cur:
                        cur.execute("UPDATE rb9 SET v = v + 1 WHERE id = 1")  # the hot row
                        cur.execute("INSERT INTO bh VALUES (%s, 'h', now())", (k * 100 + i,))
                        if i % 5 == 4:  # ROLLBACK drops the kept row
                            c.rollback()
                            continue
                        if i % 3 == 0:  # another kept row of the block
                            cur.execute("INSERT INTO bh VALUES (%s, 'g', now())", (-1,))
                    c.commit()
                    with lock:
                        done[0] += 1 + (i % 3 == 0)
                except psycopg2.Error as e:
                    c.rollback()
                    errors.append((e.pgcode, str(e)))
        finally:
            c.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    hot = scalar(conn, "SELECT v FROM rb9 WHERE id = 1") - 100
    assert scalar(conn, "SELECT count(*) FROM bh WHERE a >= 0") == hot
    assert scalar(conn, "SELECT count(*) FROM bh") == done[0]
    checker.wait_consistent(fc, conn, tables=["bh", "rb9"], replicas=3)
    now = a_on_copies_now(fc, "bh")
    assert sum(len(v) for v in now.values()) == 3 * done[0], now
    conn.close()
