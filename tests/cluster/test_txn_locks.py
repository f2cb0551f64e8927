"""Lock waits end at their own time (issue 16, "Locks and waits";
docs/transactions.md, "Waits" and "Deadlocks").

- lock_timeout fails a wait with 55P03 at the timeout, not on the leader's
  1 s tick (several waits in a row, each must end within ~0.15 s of it:
  on a 1 s tick most would be late); '0' waits as long as it takes.
- deadlock_timeout is a setting (PostgreSQL's units, default 1s, at least
  1 ms); a cycle of waits that no single wait closed (a lock handed over in
  queue order) is found once a waiter of it has waited deadlock_timeout:
  one victim, 40P01, about 0.2 s after it formed with '200ms', about 1 s
  with '1s'.
"""
import threading
import time

import psycopg2
import pytest

from test_txn_atomic import make_table, scalar, two_shard_ids


def session(cluster, **settings):
    """A connection in block mode with settings SET first (outside a block)."""
    c = cluster.connect(autocommit=True)
    with c.cursor() as cur:
        for name, value in settings.items():
            cur.execute("SET %s = %%s" % name, (value,))
    c.autocommit = False
    return c


# ---- lock_timeout

def test_lock_timeout_fires_at_the_timeout_not_on_the_tick(cluster):
    conn = make_table(cluster, "ltms")
    with conn.cursor() as cur:
        cur.execute("INSERT INTO ltms VALUES (1, 0)")
    holder = cluster.connect(autocommit=False)
    holder.cursor().execute("UPDATE ltms SET v = 1 WHERE id = 1")
    waiter = session(cluster, lock_timeout="300ms")
    took = []
    for _ in range(4):
        started = time.time()
        with pytest.raises(psycopg2.Error) as e:
            waiter.cursor().execute("UPDATE ltms SET v = 2 WHERE id = 1")
        took.append(time.time() - started)
        assert e.value.pgcode == "55P03", e.value
        waiter.rollback()
        time.sleep(0.13)  # the next wait starts at another phase of the tick
    print("lock_timeout 300ms fired after", ["%.3f" % t for t in took])
    assert all(0.29 < t < 0.55 for t in took), took
    holder.rollback()
    holder.close()
    waiter.close()
    conn.close()


def test_lock_timeout_zero_waits_for_the_holder(cluster):
    conn = make_table(cluster, "ltzero")
    with conn.cursor() as cur:
        cur.execute("INSERT INTO ltzero VALUES (1, 0)")
    holder = cluster.connect(autocommit=False)
    holder.cursor().execute("UPDATE ltzero SET v = 1 WHERE id = 1")
    waiter = session(cluster, lock_timeout="0")
    done = {}

    def wait():
        started = time.time()
        waiter.cursor().execute("UPDATE ltzero SET v = v + 10 WHERE id = 1")
        done["took"] = time.time() - started
        waiter.commit()

    t = threading.Thread(target=wait)
    t.start()
    time.sleep(1.5)
    assert "took" not in done  # still waiting
    holder.commit()
    t.join(10)
    assert done["took"] >= 1.5, done
    assert scalar(conn, "SELECT v FROM ltzero WHERE id = 1") == 11
    holder.close()
    waiter.close()
    conn.close()


# ---- deadlock_timeout

def test_deadlock_timeout_is_a_setting(cluster):
    c = cluster.connect(autocommit=True)
    with c.cursor() as cur:
        cur.execute("SHOW deadlock_timeout")
        assert cur.fetchone()[0] == "1s"  # PostgreSQL's default
        cur.execute("SET deadlock_timeout = '200ms'")
        cur.execute("SHOW deadlock_timeout")
        assert cur.fetchone()[0] == "200ms"
        cur.execute("SET deadlock_timeout = 1500")  # a number is ms
        cur.execute("SHOW deadlock_timeout")
        assert cur.fetchone()[0] == "1500ms"
        for bad in ("0", "-1", "1 fortnight"):
            with pytest.raises(psycopg2.Error) as e:
                cur.execute("SET deadlock_timeout = %s", (bad,))
            assert e.value.pgcode == "22023", (bad, e.value)
        cur.execute("RESET deadlock_timeout")
        cur.execute("SHOW deadlock_timeout")
        assert cur.fetchone()[0] == "1s"
        cur.execute("SET lock_timeout = '2s'")
        cur.execute("SHOW lock_timeout")
        assert cur.fetchone()[0] == "2s"
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("SET lock_timeout = 'soon'")
        assert e.value.pgcode == "22023", e.value
        cur.execute("SELECT name, setting FROM murphy.settings "
                    "WHERE name IN ('lock_timeout', 'deadlock_timeout') ORDER BY name")
        assert cur.fetchall() == [("deadlock_timeout", "1s"), ("lock_timeout", "0")]
    c.close()


def handover_deadlock(cluster, table, deadlock_timeout):
    """X holds a's shard, A holds b's.  B's one statement over both waits
    for both; then A waits for a's shard, behind B.  Neither wait closes a
    cycle (X waits for nobody), so nothing is refused at once.  X commits:
    a's shard goes to B (first in its queue), B waits for A, A for B.
    Returns ({A, B: "ok" or SQLSTATE}, seconds from X's COMMIT to the
    victim's error)."""
    conn = make_table(cluster, table)
    a_id, b_id = two_shard_ids(conn, table)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO %s VALUES (%%s, 0), (%%s, 0)" % table, (a_id, b_id))
    x = cluster.connect(autocommit=False)
    sa = session(cluster, deadlock_timeout=deadlock_timeout)
    sb = session(cluster, deadlock_timeout=deadlock_timeout)
    x.cursor().execute("UPDATE %s SET v = v + 1 WHERE id = %%s" % table, (a_id,))
    sa.cursor().execute("UPDATE %s SET v = v + 1 WHERE id = %%s" % table, (b_id,))
    results, when = {}, {}

    def run(name, c, sql, args):
        try:
            c.cursor().execute(sql, args)
            results[name] = "ok"
            when[name] = time.time()
            c.commit()
        except psycopg2.Error as e:
            results[name] = e.pgcode
            when[name] = time.time()
            c.rollback()  # the victim's undo frees the other

    tb = threading.Thread(target=run, args=(
        "B", sb, "UPDATE %s SET v = v + 1 WHERE id IN (%%s, %%s)" % table, (a_id, b_id)))
    tb.start()
    time.sleep(0.1)
    ta = threading.Thread(target=run, args=(
        "A", sa, "UPDATE %s SET v = v + 1 WHERE id = %%s" % table, (a_id,)))
    ta.start()
    time.sleep(0.1)
    started = time.time()
    x.commit()  # the cycle forms now
    ta.join(10)
    tb.join(10)
    assert sorted(results.values()) == ["40P01", "ok"], results
    victim = [n for n, r in results.items() if r == "40P01"][0]
    # X's update, and the survivor's two (A: b then a; B: a and b)
    assert scalar(conn, "SELECT sum(v) FROM %s" % table) == 3
    assert scalar(conn, "SELECT count(*) FROM murphy.locks WHERE table_name = '%s'"
                  % table) == 0
    for c in (x, sa, sb, conn):
        c.close()
    return results, when[victim] - started


def test_deadlock_found_within_a_short_deadlock_timeout(cluster):
    _, took = handover_deadlock(cluster, "dlshort", "200ms")
    print("deadlock_timeout 200ms: victim after %.3f s" % took)
    assert took < 0.5, took


def test_deadlock_found_after_the_default_deadlock_timeout(cluster):
    _, took = handover_deadlock(cluster, "dllong", "1s")
    print("deadlock_timeout 1s: victim after %.3f s" % took)
    assert 0.6 < took < 1.6, took


# ---- shared read locks

def serializable(cluster):
    c = cluster.connect(autocommit=False)
    c.set_session(isolation_level="SERIALIZABLE")
    return c


def locks_of(conn, table):
    """murphy.locks rows of table: sorted (txid or None, granted, mode)."""
    with conn.cursor() as cur:
        cur.execute("SELECT txid, granted, mode FROM murphy.locks WHERE table_name = %s",
                    (table,))
        return sorted(cur.fetchall(), key=lambda r: (not r[1], r[0] or 0))


def in_thread(fn):
    """Run fn in a thread; returns (thread, result dict: "value" or "error",
    and "at": when it ended)."""
    out = {}

    def run():
        try:
            out["value"] = fn()
        except psycopg2.Error as e:
            out["error"] = e.pgcode
        out["at"] = time.time()

    t = threading.Thread(target=run)
    t.start()
    return t, out


def read_v(c, table, key=1, suffix=""):
    with c.cursor() as cur:
        cur.execute("SELECT v FROM %s WHERE id = %%s%s" % (table, suffix), (key,))
        return cur.fetchone()[0]


def test_two_serializable_readers_of_one_shard_run_together(cluster):
    conn = make_table(cluster, "shr")
    with conn.cursor() as cur:
        cur.execute("INSERT INTO shr VALUES (1, 5)")
    a, b = serializable(cluster), serializable(cluster)
    assert read_v(a, "shr") == 5  # a holds the shard's lock, shared, until it ends
    t, out = in_thread(lambda: read_v(b, "shr"))
    t.join(3)
    # the second reader did not wait for the first's COMMIT
    assert out.get("value") == 5, out
    ta, tb = [scalar(c, "SELECT txid_current()") for c in (a, b)]
    assert locks_of(conn, "shr") == sorted([(ta, True, "shared"), (tb, True, "shared")],
                                           key=lambda r: r[0])
    a.commit()
    b.commit()
    assert locks_of(conn, "shr") == []
    for c in (a, b, conn):
        c.close()


def test_a_writer_waits_for_a_shared_holder(cluster):
    conn = make_table(cluster, "shw")
    with conn.cursor() as cur:
        cur.execute("INSERT INTO shw VALUES (1, 5)")
    reader = serializable(cluster)
    assert read_v(reader, "shw") == 5
    rtx = scalar(reader, "SELECT txid_current()")
    writer = cluster.connect(autocommit=True)
    t, out = in_thread(lambda: writer.cursor().execute("UPDATE shw SET v = 6 WHERE id = 1"))
    time.sleep(0.5)
    assert "at" not in out, out  # the writer waits for the reader's end
    assert locks_of(conn, "shw") == [(rtx, True, "shared"), (None, False, "exclusive")]
    assert read_v(reader, "shw") == 5  # the reader's reads stay repeatable
    committed = time.time()
    reader.commit()
    t.join(5)
    assert "error" not in out and out["at"] >= committed, out
    assert read_v(conn, "shw") == 6
    for c in (reader, writer, conn):
        c.close()


def test_for_share_shares_and_for_update_waits_for_it(cluster):
    conn = make_table(cluster, "fsh")
    with conn.cursor() as cur:
        cur.execute("INSERT INTO fsh VALUES (1, 5)")
    a, b = cluster.connect(autocommit=False), cluster.connect(autocommit=False)
    assert read_v(a, "fsh", suffix=" FOR SHARE") == 5
    t, out = in_thread(lambda: read_v(b, "fsh", suffix=" FOR KEY SHARE"))
    t.join(3)
    assert out.get("value") == 5, out  # FOR KEY SHARE does not wait for FOR SHARE
    u = cluster.connect(autocommit=False)
    tu, outu = in_thread(lambda: read_v(u, "fsh", suffix=" FOR UPDATE"))
    time.sleep(0.4)
    assert "at" not in outu, outu  # FOR UPDATE waits for both
    a.commit()
    time.sleep(0.2)
    assert "at" not in outu, outu
    b.commit()
    tu.join(5)
    assert outu.get("value") == 5, outu
    assert [r[2] for r in locks_of(conn, "fsh")] == ["exclusive"]
    u.commit()
    for c in (a, b, u, conn):
        c.close()


def test_read_then_write_upgrades_and_two_upgraders_deadlock(cluster):
    conn = make_table(cluster, "upg")
    with conn.cursor() as cur:
        cur.execute("INSERT INTO upg VALUES (1, 0)")
    # alone, a serializable read then write of one shard upgrades its lock
    a = serializable(cluster)
    v = read_v(a, "upg")
    a.cursor().execute("UPDATE upg SET v = %s WHERE id = 1", (v + 1,))
    assert [r[1:] for r in locks_of(conn, "upg")] == [(True, "exclusive")]
    a.commit()
    # two readers of the shard, both then write: the second to ask waits
    # for the first, which waits for it: a read/write conflict, one 40001
    # at once (PostgreSQL's SSI answers 40001 here too: a serialization
    # failure the client retries)
    a, b = serializable(cluster), serializable(cluster)
    va, vb = read_v(a, "upg"), read_v(b, "upg")
    assert va == vb == 1
    t, out = in_thread(lambda: a.cursor().execute("UPDATE upg SET v = %s WHERE id = 1",
                                                  (va + 1,)))
    time.sleep(0.3)
    assert "at" not in out, out  # a waits for b's shared lock
    started = time.time()
    with pytest.raises(psycopg2.Error) as e:
        b.cursor().execute("UPDATE upg SET v = %s WHERE id = 1", (vb + 1,))
    assert e.value.pgcode == "40001", e.value
    assert "could not serialize access" in str(e.value), e.value
    assert time.time() - started < 0.5
    b.rollback()
    t.join(5)
    assert "error" not in out, out
    a.commit()
    assert read_v(conn, "upg") == 2  # a's update, none of b's
    for c in (a, b):
        c.close()
    # the same upgrade in READ COMMITTED (FOR SHARE, then UPDATE) is a
    # deadlock, as in PostgreSQL: 40P01
    a, b = (cluster.connect(autocommit=False) for _ in range(2))
    va = read_v(a, "upg", suffix=" FOR SHARE")
    vb = read_v(b, "upg", suffix=" FOR SHARE")
    t, out = in_thread(lambda: a.cursor().execute("UPDATE upg SET v = %s WHERE id = 1",
                                                  (va + 1,)))
    time.sleep(0.3)
    assert "at" not in out, out
    with pytest.raises(psycopg2.Error) as e:
        b.cursor().execute("UPDATE upg SET v = %s WHERE id = 1", (vb + 1,))
    assert e.value.pgcode == "40P01", e.value
    b.rollback()
    t.join(5)
    assert "error" not in out, out
    a.commit()
    assert read_v(conn, "upg") == 3  # a's second update, none of b's
    for c in (a, b, conn):
        c.close()


def test_a_new_reader_does_not_pass_a_waiting_writer(cluster):
    conn = make_table(cluster, "fifo")
    with conn.cursor() as cur:
        cur.execute("INSERT INTO fifo VALUES (1, 5)")
    first = serializable(cluster)
    assert read_v(first, "fifo") == 5
    writer = cluster.connect(autocommit=True)
    tw, outw = in_thread(lambda: writer.cursor().execute("UPDATE fifo SET v = 6 WHERE id = 1"))
    time.sleep(0.3)
    late = serializable(cluster)
    tl, outl = in_thread(lambda: read_v(late, "fifo"))
    time.sleep(0.4)
    # the late reader queues behind the writer instead of sharing with first
    assert "at" not in outl and "at" not in outw, (outl, outw)
    first.commit()
    tw.join(5)
    tl.join(5)
    assert "error" not in outw, outw
    assert outl.get("value") == 6, outl  # it read after the writer
    late.commit()
    for c in (first, writer, late, conn):
        c.close()


# ---- readers are not passed by writers that come after them

def test_a_waiting_reader_is_not_passed_by_a_later_writer(cluster):
    """R sums the table while H1 and H2 hold its two shards.  W, a new
    transaction that comes after R, writes H1's shard.  When H1 commits, R
    still waits for H2: W must not take H1's shard before R has read, or R
    would then wait for W (and, under a stream of writers, forever)."""
    conn = make_table(cluster, "fair")
    a_id, b_id = two_shard_ids(conn, "fair")
    with conn.cursor() as cur:
        cur.execute("INSERT INTO fair VALUES (%s, 1), (%s, 1)", (a_id, b_id))
    h1, h2 = cluster.connect(autocommit=False), cluster.connect(autocommit=False)
    h1.cursor().execute("UPDATE fair SET v = 10 WHERE id = %s", (a_id,))
    h2.cursor().execute("UPDATE fair SET v = 20 WHERE id = %s", (b_id,))
    reader = cluster.connect(autocommit=True)
    tr, outr = in_thread(lambda: scalar(reader, "SELECT sum(v) FROM fair"))
    time.sleep(0.2)
    writer = cluster.connect(autocommit=False)

    def write():
        writer.cursor().execute("UPDATE fair SET v = v + 100 WHERE id = %s", (a_id,))
        writer.commit()
    tw, outw = in_thread(write)
    time.sleep(0.2)
    h1.commit()
    time.sleep(0.4)
    assert "at" not in outr and "at" not in outw, (outr, outw)  # W waits for R
    h2.commit()
    tr.join(5)
    tw.join(5)
    # H1's and H2's, not W's: had W passed R, R would have waited for W
    # and read its +100 (130).  (The threads' end times are not compared:
    # W's COMMIT and R's answer may arrive in the same instant.)
    assert outr.get("value") == 30, outr
    assert "error" not in outw, outw
    assert scalar(conn, "SELECT sum(v) FROM fair") == 130
    for c in (h1, h2, reader, writer, conn):
        c.close()
