"""Other sessions wait for a block's DROP TABLE, CREATE INDEX and ALTER TABLE
of a table that existed before it, as PostgreSQL's table locks make them
(issue 16; docs/transactions.md "DDL in a block", docs/decisions.md "DDL in
a transaction block").

PostgreSQL takes ACCESS EXCLUSIVE for DROP TABLE / ALTER TABLE and SHARE for
CREATE INDEX: a statement of another session naming the dropped table waits
until the block ends, then runs against its outcome (42P01 after a COMMIT,
the table as before after a rollback); a write to an indexed table waits
(a unique index refuses its duplicate only once committed), a read does
not.  The waits end by lock_timeout (55P03), statement_timeout (57014) and
a deadlock (40P01), whose cycle may go through a shard lock.

Every scenario runs the same way against murphy and a real PostgreSQL, two
or three sessions each side (threads), and both must observe the same.
"""
import threading
import time

import psycopg2
import pytest

# how long a statement that should wait is given before it is called waiting
WAITING_S = 0.4


def run(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else cur.statusmessage


def code(fn):
    """fn()'s answer, or the SQLSTATE it failed with."""
    try:
        return fn()
    except psycopg2.Error as e:
        return e.pgcode


def later(fn):
    """fn() in a thread (its answer or SQLSTATE: code); .done() / .result()."""
    box = {}
    th = threading.Thread(target=lambda: box.update(v=code(fn)))
    th.start()

    class Later:
        def done(self):
            return not th.is_alive()

        def result(self, timeout=20):
            th.join(timeout)
            assert not th.is_alive(), "still waiting"
            return box["v"]
    return Later()


@pytest.fixture(scope="module")
def sides(cluster, pgconn):
    """(name, connect) for murphy and PostgreSQL: connect(block) opens a
    session, in a block (psycopg2's default) or autocommit."""
    def opener(connect):
        def open_(block=False):
            c = connect()
            c.autocommit = not block
            return c
        return open_
    return [("murphy", opener(cluster.connect)),
            ("postgres", opener(lambda: psycopg2.connect(pgconn.dsn)))]


def same_on_both(sides, scenario):
    """scenario(connect) on each side; both observe the same; murphy's."""
    seen = {name: scenario(connect) for name, connect in sides}
    assert seen["murphy"] == seen["postgres"], seen
    return seen["murphy"]


def fresh(a, table):
    run(a, "DROP TABLE IF EXISTS %s" % table)
    run(a, "CREATE TABLE %s (id int PRIMARY KEY, v int)" % table)
    run(a, "INSERT INTO %s VALUES (1, 10), (2, 20)" % table)


def test_drop_table_others_wait_then_42p01_after_commit(sides):
    def scenario(connect):
        a = connect()
        fresh(a, "dw1")
        b = connect(block=True)
        run(b, "DROP TABLE dw1")
        r = later(lambda: run(connect(), "SELECT * FROM dw1 ORDER BY id"))
        w = later(lambda: run(connect(), "INSERT INTO dw1 VALUES (3, 30)"))
        time.sleep(WAITING_S)
        waited = (r.done(), w.done())
        b.commit()
        return waited, r.result(), w.result(), code(lambda: run(a, "SELECT * FROM dw1"))
    assert same_on_both(sides, scenario) == ((False, False), "42P01", "42P01", "42P01")


def test_drop_table_rolled_back_others_run_on_it_as_before(sides):
    def scenario(connect):
        a = connect()
        fresh(a, "dw2")
        b = connect(block=True)
        run(b, "DROP TABLE dw2")
        # the block no longer sees it; it may create the name again
        mine = code(lambda: run(b, "SELECT * FROM dw2"))
        b.rollback()
        run(b, "DROP TABLE dw2")
        run(b, "CREATE TABLE dw2 (x text)")
        r = later(lambda: run(connect(), "SELECT * FROM dw2 ORDER BY id"))
        w = later(lambda: run(connect(), "INSERT INTO dw2 VALUES (3, 30)"))
        time.sleep(WAITING_S)
        waited = (r.done(), w.done())
        b.rollback()
        # the reader may run before or after the writer, on both sides
        return (mine, waited, r.result()[:2], w.result(),
                run(a, "SELECT * FROM dw2 ORDER BY id"))
    assert same_on_both(sides, scenario) == (
        "42P01", (False, False), [(1, 10), (2, 20)], "INSERT 0 1",
        [(1, 10), (2, 20), (3, 30)])


def test_create_index_writers_wait_readers_do_not(sides):
    def scenario(connect):
        a = connect()
        fresh(a, "iw")
        out = []
        for end in ("commit", "rollback"):
            b = connect(block=True)
            run(b, "CREATE UNIQUE INDEX iw_key ON iw (id, v)")
            run(b, "CREATE INDEX iw_v ON iw (v)")
            # a reader goes on; a writer (a duplicate of the new key) waits
            r = later(lambda: run(connect(), "SELECT count(*) FROM iw"))
            w = later(lambda: run(connect(), "UPDATE iw SET v = v + 1 WHERE id = 1"))
            time.sleep(WAITING_S)
            out.append((end, r.done(), r.result(), w.done()))
            getattr(b, end)()
            out.append(w.result())
            if end == "commit":
                run(a, "DROP INDEX iw_key")
                run(a, "DROP INDEX iw_v")
        out.append(run(a, "SELECT * FROM iw ORDER BY id"))
        return out
    assert same_on_both(sides, scenario) == [
        ("commit", True, [(2,)], False), "UPDATE 1",
        ("rollback", True, [(2,)], False), "UPDATE 1", [(1, 12), (2, 20)]]


def test_unique_index_refuses_a_waiting_duplicate_only_once_committed(sides):
    def scenario(connect):
        a = connect()
        run(a, "DROP TABLE IF EXISTS uw")
        # murphy keeps a key without its distribution column in one shard
        if code(lambda: run(a, "CREATE TABLE uw (k int, v int) WITH (shards = 1)")) != \
                "CREATE TABLE":
            run(a, "CREATE TABLE uw (k int, v int)")  # PostgreSQL: no such option
        run(a, "INSERT INTO uw VALUES (1, 10)")
        out = []
        for end in ("rollback", "commit"):
            b = connect(block=True)
            run(b, "CREATE UNIQUE INDEX uw_k ON uw (k)")
            w = later(lambda: run(connect(), "INSERT INTO uw VALUES (1, 11)"))
            time.sleep(WAITING_S)
            out.append(w.done())
            getattr(b, end)()
            out.append(w.result())
            if end == "rollback":
                run(a, "DELETE FROM uw WHERE v = 11")
        out.append(run(a, "SELECT * FROM uw ORDER BY v"))
        return out
    assert same_on_both(sides, scenario) == [False, "INSERT 0 1", False, "23505", [(1, 10)]]


@pytest.mark.parametrize("ddl", ["DROP TABLE {t}", "ALTER TABLE {t} ADD COLUMN c int",
                                 "CREATE INDEX {t}_v ON {t} (v)"])
def test_waits_end_by_lock_timeout_and_statement_timeout(sides, ddl):
    def scenario(connect):
        a = connect()
        fresh(a, "tw")
        b = connect(block=True)
        run(b, ddl.format(t="tw"))
        out = []
        for setting, want in (("lock_timeout", "55P03"), ("statement_timeout", "57014")):
            c = connect()
            run(c, "SET %s = '300ms'" % setting)
            t0 = time.time()
            got = code(lambda: run(c, "UPDATE tw SET v = 0 WHERE id = 1"))
            out.append((got, 0.25 < time.time() - t0 < 3))
            assert got == want, (setting, got)
        b.rollback()
        out.append(run(a, "SELECT * FROM tw ORDER BY id"))
        return out
    assert same_on_both(sides, scenario) == [
        ("55P03", True), ("57014", True), [(1, 10), (2, 20)]]


@pytest.mark.parametrize("closer", ["table_wait", "row_wait"])
@pytest.mark.parametrize("ddl", ["DROP TABLE dd", "ALTER TABLE dd ADD COLUMN c int",
                                 "CREATE INDEX dd_v ON dd (v)"])
def test_deadlock_through_a_table_and_a_row_is_found(sides, ddl, closer):
    """x holds a row of du and waits for y's DDL on dd; y then writes x's
    row: a cycle through a table wait and a row (shard) lock.  One of them
    gets 40P01 (PostgreSQL: the first waiter, at its deadlock_timeout;
    murphy: the op that closes the cycle, at once, or a waiter's search at
    its deadlock_timeout); its client rolls back and the other goes on."""
    def scenario(connect):
        a = connect()
        fresh(a, "dd")
        fresh(a, "du")
        x = connect(block=True)
        y = connect(block=True)
        run(x, "UPDATE du SET v = 11 WHERE id = 1")
        run(y, ddl)
        t0 = time.time()
        if closer == "row_wait":  # x waits for the table first
            wx = later(lambda: run(x, "UPDATE dd SET v = 0 WHERE id = 2"))
            time.sleep(0.1)
            wy = later(lambda: run(y, "UPDATE du SET v = 12 WHERE id = 1"))
        else:  # y waits for the row first; x's table wait closes the cycle
            wy = later(lambda: run(y, "UPDATE du SET v = 12 WHERE id = 1"))
            time.sleep(0.1)
            wx = later(lambda: run(x, "UPDATE dd SET v = 0 WHERE id = 2"))
        while not (wx.done() or wy.done()) and time.time() - t0 < 10:
            time.sleep(0.02)
        took = time.time() - t0
        # PostgreSQL frees the victim's locks at its error, murphy at its
        # ROLLBACK: the victim is the one that failed
        first = (wx if wx.done() else wy).result()
        if first != "40P01":
            first = (wy if wx.done() else wx).result()
        victim, other = (x, wy) if wx.done() and wx.result() == "40P01" else (y, wx)
        victim.rollback()
        got = other.result()
        x.rollback()
        y.rollback()
        # found at once or at a deadlock_timeout (1 s); the waiter that
        # waited first finds it (y, for table_wait: PostgreSQL's and ours)
        return first, got, took < 5, (victim is y) if closer == "table_wait" else None
    assert same_on_both(sides, scenario) == (
        "40P01", "UPDATE 1", True, True if closer == "table_wait" else None)


def test_a_block_holding_locks_now_waits_instead_of_55p03(sides):
    """Before: murphy refused (55P03) a statement of a block that held shard
    locks; PostgreSQL waits."""
    def scenario(connect):
        a = connect()
        fresh(a, "hw")
        fresh(a, "hu")
        b = connect(block=True)
        run(b, "DROP TABLE hw")
        h = connect(block=True)
        run(h, "INSERT INTO hu VALUES (3, 30)")
        r = later(lambda: run(h, "SELECT count(*) FROM hw"))
        time.sleep(WAITING_S)
        waited = r.done()
        b.rollback()
        got = r.result()
        h.commit()
        return waited, got, run(a, "SELECT count(*) FROM hu")
    assert same_on_both(sides, scenario) == (False, [(2,)], [(3,)])


@pytest.mark.parametrize("ddl", ["DROP TABLE ww", "CREATE UNIQUE INDEX ww_k ON ww (id, v)"])
def test_the_ddl_waits_for_a_block_writing_the_table(sides, ddl):
    """A block that wrote the table holds it (PostgreSQL: ROW EXCLUSIVE;
    murphy: its shards' locks): the DDL waits for that block, which goes on
    using the table meanwhile; then the DDL runs."""
    def scenario(connect):
        a = connect()
        fresh(a, "ww")
        w = connect(block=True)
        run(w, "UPDATE ww SET v = 11 WHERE id = 1")
        b = connect(block=True)
        d = later(lambda: run(b, ddl))
        time.sleep(WAITING_S)
        waited = d.done()
        more = run(w, "SELECT v FROM ww ORDER BY id")
        w.commit()
        got = d.result()
        b.commit()
        return waited, more, got, code(lambda: run(a, "SELECT v FROM ww ORDER BY id"))
    seen = same_on_both(sides, scenario)
    assert seen[:2] == (False, [(11,), (20,)])
    assert seen[3] == ("42P01" if ddl.startswith("DROP") else [(11,), (20,)])


def test_deadlock_of_two_table_waits_is_found(sides):
    """h dropped ta and waits, dropping tb, for w, which wrote tb; w then
    reads ta and waits for h: a cycle of two waits before running (no shard
    queue in it), found by a waiter at its deadlock_timeout."""
    def scenario(connect):
        a = connect()
        fresh(a, "ta")
        fresh(a, "tb")
        h = connect(block=True)
        w = connect(block=True)
        run(w, "UPDATE tb SET v = 21 WHERE id = 2")
        run(h, "DROP TABLE ta")
        t0 = time.time()
        dh = later(lambda: run(h, "DROP TABLE tb"))
        time.sleep(0.1)
        rw = later(lambda: run(w, "SELECT count(*) FROM ta"))
        while not (dh.done() or rw.done()) and time.time() - t0 < 10:
            time.sleep(0.02)
        took = time.time() - t0
        victim = h if dh.done() and dh.result() == "40P01" else w
        first = (dh if victim is h else rw).result()
        victim.rollback()  # PostgreSQL freed its locks at the error already
        got = sorted(str(x.result()) for x in (dh, rw))
        h.rollback()
        w.rollback()
        return first, got.count("40P01"), 0.8 < took < 5
    assert same_on_both(sides, scenario) == ("40P01", 1, True)


def test_a_statement_that_fails_to_plan_on_a_held_table_waits_too(sides):
    """PostgreSQL locks a table before it checks the statement against it:
    a SELECT of a column another block adds waits for that block, then
    succeeds after its COMMIT (and fails, 42703, after a rollback)."""
    def scenario(connect):
        a = connect()
        fresh(a, "fw")
        b = connect(block=True)
        out = []
        for end in ("rollback", "commit"):
            run(b, "ALTER TABLE fw ADD COLUMN y int")
            r = later(lambda: run(connect(), "SELECT y FROM fw ORDER BY id"))
            time.sleep(WAITING_S)
            out.append(r.done())
            getattr(b, end)()
            out.append(r.result())
        return out
    assert same_on_both(sides, scenario) == [False, "42703", False, [(None,), (None,)]]


def copy_in(conn, table, rows):
    """COPY table FROM STDIN of rows (tuples): its status, or the SQLSTATE."""
    import io
    data = "".join("\t".join(str(v) for v in r) + "\n" for r in rows)
    with conn.cursor() as cur:
        cur.copy_expert("COPY %s FROM STDIN" % table, io.StringIO(data))
        return "COPY %d" % cur.rowcount


@pytest.mark.parametrize("ddl", ["DROP TABLE {t}", "ALTER TABLE {t} ADD COLUMN c int",
                                 "CREATE INDEX {t}_v ON {t} (v)"])
def test_copy_into_a_held_table_waits_then_runs_on_the_outcome(sides, ddl):
    """Before: murphy answered a COPY into a table another block dropped,
    altered or indexed with 55P03 at once; PostgreSQL's COPY waits for the
    table's lock (lock_timeout ends it), then runs against the outcome."""
    def scenario(connect):
        a = connect()
        fresh(a, "cw")
        out = []
        for end in ("rollback", "commit"):
            b = connect(block=True)
            run(b, ddl.format(t="cw"))
            c = connect()
            run(c, "SET lock_timeout = '300ms'")
            t0 = time.time()
            out.append((code(lambda: copy_in(c, "cw", [(7, 70)])),
                        0.25 < time.time() - t0 < 3))
            w = later(lambda: copy_in(connect(), "cw", [(3, 30), (4, 40)]))
            time.sleep(WAITING_S)
            out.append(w.done())
            getattr(b, end)()
            out.append(w.result())
            out.append(code(lambda: run(a, "SELECT id, v FROM cw ORDER BY id")))
        return out
    got = same_on_both(sides, scenario)
    assert got[:4] == [("55P03", True), False, "COPY 2",
                       [(1, 10), (2, 20), (3, 30), (4, 40)]]
    assert got[4:6] == [("55P03", True), False]


def test_create_table_of_a_name_another_block_dropped_is_refused_at_once(sides):
    """PostgreSQL's CREATE TABLE checks the name without a lock: the table
    another open block dropped still holds it, 42P07 at once (IF NOT EXISTS:
    skipped at once), whether that block then commits or rolls back.
    Before, murphy waited for that block, then created the table after its
    COMMIT."""
    def scenario(connect):
        a = connect()
        out = []
        for end in ("rollback", "commit"):
            fresh(a, "ct")
            b = connect(block=True)
            run(b, "DROP TABLE ct")
            w = later(lambda: run(connect(), "CREATE TABLE ct (x text)"))
            n = later(lambda: run(connect(), "CREATE TABLE IF NOT EXISTS ct (x text)"))
            time.sleep(WAITING_S)
            out.append((w.done(), n.done()))
            getattr(b, end)()
            out.append((w.result(), n.result()))
            out.append(code(lambda: run(a, "SELECT * FROM ct")))
        return out
    assert same_on_both(sides, scenario) == [
        (True, True), ("42P07", "CREATE TABLE"), [(1, 10), (2, 20)],
        (True, True), ("42P07", "CREATE TABLE"), "42P01"]


@pytest.mark.parametrize("late", ["update", "copy"])
@pytest.mark.parametrize("ddl", ["DROP TABLE qw", "CREATE UNIQUE INDEX qw_k ON qw (id, v)"])
def test_a_waiting_ddl_is_not_overtaken_by_later_writers(sides, ddl, late):
    """A DDL waiting for a block that wrote the table is queued first:
    writers arriving after it (an UPDATE, a COPY) wait behind its lock
    request (PostgreSQL's lock queue), then run against its outcome.
    Before, murphy let them run at once (a stream of writers could starve
    the DDL).  A writer whose block already holds the table goes on."""
    def write(conn):
        if late == "copy":
            return copy_in(conn, "qw", [(5, 50)])
        return run(conn, "UPDATE qw SET v = 22 WHERE id = 2")

    def scenario(connect):
        a = connect()
        fresh(a, "qw")
        w = connect(block=True)
        run(w, "UPDATE qw SET v = 11 WHERE id = 1")
        b = connect(block=True)
        d = later(lambda: run(b, ddl))
        time.sleep(0.2)
        lw = later(lambda: write(connect()))
        time.sleep(WAITING_S)
        waited = (d.done(), lw.done())
        more = run(w, "UPDATE qw SET v = 12 WHERE id = 1")  # w holds it already
        w.commit()
        got = d.result()
        time.sleep(0.2)
        still = lw.done()  # now behind the DDL's block
        b.commit()
        return waited, more, got, still, lw.result(), \
            code(lambda: run(a, "SELECT id, v FROM qw ORDER BY id"))
    seen = same_on_both(sides, scenario)
    assert seen[:4] == ((False, False), "UPDATE 1", seen[2], False)
    if ddl.startswith("DROP"):
        assert seen[4:] == ("42P01", "42P01")
    elif late == "copy":
        assert seen[4:] == ("COPY 1", [(1, 12), (2, 20), (5, 50)])
    else:
        assert seen[4:] == ("UPDATE 1", [(1, 12), (2, 22)])


def test_a_writer_queued_behind_a_waiting_ddl_gives_up_by_lock_timeout(sides):
    """The queued writer's wait ends by its lock_timeout (55P03); once the
    DDL's own wait ends (its lock_timeout), later writers run at once."""
    def scenario(connect):
        a = connect()
        fresh(a, "qt")
        w = connect(block=True)
        run(w, "UPDATE qt SET v = 11 WHERE id = 1")
        b = connect(block=True)
        run(b, "SET lock_timeout = '1s'")
        d = later(lambda: run(b, "DROP TABLE qt"))
        time.sleep(0.2)
        c = connect()
        run(c, "SET lock_timeout = '300ms'")
        t0 = time.time()
        queued = (code(lambda: run(c, "UPDATE qt SET v = 22 WHERE id = 2")),
                  0.25 < time.time() - t0 < 0.9)
        dropped = d.result()
        after = run(c, "UPDATE qt SET v = 23 WHERE id = 2")
        b.rollback()
        w.commit()
        return queued, dropped, after, run(a, "SELECT v FROM qt ORDER BY id")
    assert same_on_both(sides, scenario) == (
        ("55P03", True), "55P03", "UPDATE 1", [(11,), (23,)])


def test_a_writer_holding_a_lock_is_not_queued_behind_a_ddl(sides):
    """x holds a row of qu, then writes qd while y's DROP TABLE qd waits for
    h (who wrote qd); h then writes x's row.  Queued behind y, x would close
    a cycle h -> x -> y -> h: PostgreSQL lets x's request jump the queue
    (no 40P01), and murphy queues only writers that hold nothing (none of
    them can close a cycle): x runs, h waits for x, nobody gets 40P01."""
    def scenario(connect):
        a = connect()
        fresh(a, "qd")
        fresh(a, "qu")
        conns = {k: connect(block=True) for k in "xyh"}
        run(conns["h"], "UPDATE qd SET v = 21 WHERE id = 2")
        run(conns["x"], "UPDATE qu SET v = 11 WHERE id = 1")
        waits = {"y": later(lambda: run(conns["y"], "DROP TABLE qd"))}
        time.sleep(0.2)
        waits["x"] = later(lambda: run(conns["x"], "UPDATE qd SET v = 0 WHERE id = 1"))
        time.sleep(0.2)
        waits["h"] = later(lambda: run(conns["h"], "UPDATE qu SET v = 12 WHERE id = 1"))
        time.sleep(3)
        seen = sorted((k, v.result()) for k, v in waits.items() if v.done())
        for k, v in waits.items():
            if not v.done():
                conns[k].cancel()
        for v in waits.values():
            v.result()
        for c in conns.values():
            c.rollback()
        return seen
    assert same_on_both(sides, scenario) == [("x", "UPDATE 1")]


def test_pg_class_shows_each_session_its_own_view_of_a_block_ddl(sides):
    """PostgreSQL's catalog change is not visible before the COMMIT: others
    still list a table an open block dropped, and not one it created; the
    block itself sees its own changes.  Before, murphy's pg_class hid the
    dropped table from everybody (and showed the new one to others)."""
    def scenario(connect):
        a = connect()
        fresh(a, "pc1")
        run(a, "DROP TABLE IF EXISTS pc2")
        b = connect(block=True)
        run(b, "DROP TABLE pc1")
        run(b, "CREATE TABLE pc2 (x int)")
        q = ("SELECT relname FROM pg_class WHERE relname IN ('pc1', 'pc2') "
             "AND relkind = 'r' ORDER BY 1")
        out = [run(a, q), run(b, q)]
        b.commit()
        out.append(run(a, q))
        run(a, "DROP TABLE pc2")
        return out
    assert same_on_both(sides, scenario) == [
        [("pc1",)], [("pc2",)], [("pc2",)]]
