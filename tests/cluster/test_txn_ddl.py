"""DDL in a transaction block is undone by its rollback (issue 16, atomicity;
docs/transactions.md "DDL in a block", docs/decisions.md).

CREATE TABLE and CREATE INDEX in a block (BEGIN, psycopg2's default mode,
or a multi-statement Query's implicit block) are dropped again, on every
copy and in the catalog, when the block rolls back: ROLLBACK, an error then
ROLLBACK, a COMMIT of a failed block, a disconnect, the idle timeout,
ROLLBACK TO a savepoint taken before them, and a leader killed mid-block
(kill -9, then restart).  COMMIT keeps them.  Each test looks at the
followers' placement files (checker.placement_files, as
test_txn_atomic.py does) and creates the name again.  Another session
does not see the new table before the COMMIT (42P01), so it cannot write
it.  DROP TABLE in a block is deferred to its COMMIT.
"""
import sqlite3
import time

import psycopg2
import psycopg2.errors
import pytest

import checker
from conftest import owned_cluster

SHARDS = 3


def files_of(cluster, table):
    """The followers' placement files of table (by the table inside them)."""
    return sorted(path for (t, _s, _n), (path, *_r) in checker.placement_files(cluster).items()
                  if t == table)


def indexes_on_copies(cluster, table, index):
    """How many of table's placement files hold index `index`."""
    n = 0
    for path in files_of(cluster, table):
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
        try:
            n += db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                            "name = ?", (index,)).fetchone()[0]
        finally:
            db.close()
    return n


def index_names(cluster, table):
    """The index names on table's copies (SQLite's own left out)."""
    names = set()
    for path in files_of(cluster, table):
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
        try:
            names.update(r[0] for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND "
                "name NOT LIKE 'sqlite_%'"))
        finally:
            db.close()
    return names


def exists(conn, table):
    """1 when conn's session sees table, 0 on 42P01."""
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM %s" % table)
            cur.fetchone()
        return 1
    except psycopg2.errors.UndefinedTable:
        return 0


def gone(cluster, table, timeout=0.0):
    """Wait (up to timeout) until no session sees table and no follower
    holds a file of it; then the name can be created again."""
    deadline = time.time() + timeout
    while True:
        conn = cluster.connect()
        try:
            left = exists(conn, table), files_of(cluster, table)
        finally:
            conn.close()
        if left == (0, []) or time.time() >= deadline:
            break
        time.sleep(0.1)
    assert left == (0, []), "%s lingers: visible=%d, files %s" % ((table,) + left)
    conn = cluster.connect()
    with conn.cursor() as cur:  # the name is free again (within the timeout:
        while True:             # the files go before the catalog row does)
            try:
                cur.execute("CREATE TABLE %s (id int PRIMARY KEY) WITH (shards = %d)"
                            % (table, SHARDS))
                break
            except psycopg2.errors.DuplicateTable:
                if time.time() >= deadline:
                    raise
                time.sleep(0.1)
        cur.execute("DROP TABLE %s" % table)
    conn.close()


def create(cur, table, index=None):
    cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v int) WITH (shards = %d)"
                % (table, SHARDS))
    if index:
        cur.execute("CREATE INDEX %s ON %s (v)" % (index, table))
    cur.execute("INSERT INTO %s VALUES (1, 10), (2, 20), (3, 30)" % table)


def test_rollback_drops_the_table_and_its_index_everywhere(cluster):
    blk = cluster.connect(autocommit=False)  # psycopg2's default: BEGIN first
    with blk.cursor() as cur:
        create(cur, "d_rb", "d_rb_v")
        assert len(files_of(cluster, "d_rb")) >= SHARDS  # it was there, on every copy
        assert not any("not transactional" in n for n in blk.notices), blk.notices
    blk.rollback()
    assert not any("not undone" in n for n in blk.notices), blk.notices
    blk.close()
    gone(cluster, "d_rb")


@pytest.mark.parametrize("table,tail", [
    ("d_ref", "WITH (distribution = 'reference')"),
    ("d_range", "PARTITION BY RANGE (id) WITH (range_bounds = '10,20')"),
])
def test_reference_and_range_tables_are_dropped_too(cluster, table, tail):
    blk = cluster.connect(autocommit=False)
    with blk.cursor() as cur:
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v int) %s" % (table, tail))
        cur.execute("INSERT INTO %s VALUES (5, 1), (15, 2), (25, 3)" % table)
        assert files_of(cluster, table)
    blk.rollback()
    blk.close()
    gone(cluster, table)


def test_alembic_shape_error_then_rollback(cluster):
    """BEGIN; CREATE TABLE; CREATE INDEX; INSERT; error; ROLLBACK."""
    blk = cluster.connect(autocommit=False)
    with blk.cursor() as cur:
        create(cur, "d_alembic", "d_alembic_v")
        with pytest.raises(psycopg2.errors.DivisionByZero):
            cur.execute("SELECT 1/0")
    blk.rollback()
    blk.close()
    gone(cluster, "d_alembic")


def test_commit_of_a_failed_block_drops_it(cluster):
    blk = cluster.connect()
    with blk.cursor() as cur:
        cur.execute("BEGIN")
        create(cur, "d_failc")
        with pytest.raises(psycopg2.errors.UniqueViolation):
            cur.execute("INSERT INTO d_failc VALUES (1, 0)")
        cur.execute("COMMIT")
        assert cur.statusmessage == "ROLLBACK"
    blk.close()
    gone(cluster, "d_failc")


def test_disconnect_mid_block_drops_it(cluster):
    blk = cluster.connect(autocommit=False)
    with blk.cursor() as cur:
        create(cur, "d_disc", "d_disc_v")
    blk.close()
    gone(cluster, "d_disc", timeout=10)


def test_idle_timeout_drops_it(cluster):
    blk = cluster.connect()
    with blk.cursor() as cur:
        cur.execute("SET idle_in_transaction_session_timeout = '300ms'")
        cur.execute("BEGIN")
        create(cur, "d_idle")
    time.sleep(1.0)
    with pytest.raises(psycopg2.Error):
        with blk.cursor() as cur:
            cur.execute("SELECT 1")
    blk.close()
    gone(cluster, "d_idle", timeout=10)


def test_implicit_block_of_a_query_drops_it(cluster):
    conn = cluster.connect()
    with conn.cursor() as cur:
        with pytest.raises(psycopg2.errors.DivisionByZero):
            cur.execute("CREATE TABLE d_query (id int PRIMARY KEY) WITH (shards = 3); "
                        "INSERT INTO d_query VALUES (1); SELECT 1/0")
    conn.close()
    gone(cluster, "d_query")


def test_rollback_to_savepoint_drops_what_followed_it(cluster):
    blk = cluster.connect(autocommit=False)
    with blk.cursor() as cur:
        create(cur, "d_sp_keep")
        cur.execute("SAVEPOINT s")
        create(cur, "d_sp_gone")
        cur.execute("CREATE INDEX d_sp_keep_v ON d_sp_keep (v)")
        assert indexes_on_copies(cluster, "d_sp_keep", "d_sp_keep_v") >= SHARDS
        cur.execute("ROLLBACK TO s")
        cur.execute("SAVEPOINT probe")
        assert exists(blk, "d_sp_gone") == 0  # gone for the block too
        cur.execute("ROLLBACK TO probe")
        assert indexes_on_copies(cluster, "d_sp_keep", "d_sp_keep_v") == 0
        cur.execute("INSERT INTO d_sp_keep VALUES (4, 40)")
    blk.commit()
    blk.close()
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM d_sp_keep")
        assert cur.fetchone()[0] == 4
        cur.execute("DROP TABLE d_sp_keep")
    conn.close()
    gone(cluster, "d_sp_gone")


def test_commit_keeps_them_and_others_wait_for_it(cluster):
    """Before the COMMIT another session does not find the new table (it
    cannot write it); after it, it does, with the block's rows and index."""
    blk = cluster.connect(autocommit=False)
    other = cluster.connect()
    with blk.cursor() as cur:
        create(cur, "d_commit", "d_commit_v")
    with other.cursor() as cur:
        with pytest.raises(psycopg2.errors.UndefinedTable):
            cur.execute("INSERT INTO d_commit VALUES (9, 90)")
        with pytest.raises(psycopg2.errors.UndefinedTable):
            cur.execute("SELECT * FROM d_commit")
        with pytest.raises(psycopg2.errors.DuplicateTable):  # the name is taken meanwhile
            cur.execute("CREATE TABLE d_commit (id int PRIMARY KEY)")
    blk.commit()
    with other.cursor() as cur:
        cur.execute("INSERT INTO d_commit VALUES (9, 90)")
        cur.execute("SELECT count(*) FROM d_commit")
        assert cur.fetchone()[0] == 4
    assert indexes_on_copies(cluster, "d_commit", "d_commit_v") >= SHARDS
    with other.cursor() as cur:
        cur.execute("DROP TABLE d_commit")
    blk.close()
    other.close()
    gone(cluster, "d_commit")


def test_drop_table_in_a_block_waits_for_the_commit(cluster):
    conn = cluster.connect()
    with conn.cursor() as cur:
        create(cur, "d_drop")
    blk = cluster.connect(autocommit=False)
    with blk.cursor() as cur:
        cur.execute("DROP TABLE d_drop")
        assert exists(blk, "d_drop") == 0
    blk.rollback()  # the DROP is undone: rows and files stay
    assert exists(conn, "d_drop") == 1
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM d_drop")
        assert cur.fetchone()[0] == 3
    with blk.cursor() as cur:  # drop and create again in one block (a migration's rebuild)
        cur.execute("DROP TABLE d_drop")
        cur.execute("CREATE TABLE d_drop (id int PRIMARY KEY, w text) WITH (shards = 3)")
        cur.execute("INSERT INTO d_drop VALUES (1, 'new')")
    blk.commit()
    with conn.cursor() as cur:
        cur.execute("SELECT w FROM d_drop")
        assert cur.fetchall() == [("new",)]
        cur.execute("DROP TABLE d_drop")
    blk.close()
    conn.close()
    gone(cluster, "d_drop")


def test_a_script_that_drops_and_creates_again_in_one_query(cluster):
    """`DROP TABLE IF EXISTS t; CREATE TABLE t …` sent as one Query (psql -c,
    a schema script): its implicit block commits both at its end."""
    conn = cluster.connect()
    with conn.cursor() as cur:
        create(cur, "d_script")
        cur.execute("DROP TABLE IF EXISTS d_script; "
                    "CREATE TABLE d_script (id int PRIMARY KEY, w text) WITH (shards = 3); "
                    "INSERT INTO d_script VALUES (7, 'seven')")
        cur.execute("SELECT id, w FROM d_script")
        assert cur.fetchall() == [(7, "seven")]
        with pytest.raises(psycopg2.errors.DivisionByZero):  # an error keeps the old one
            cur.execute("DROP TABLE d_script; SELECT 1/0")
        cur.execute("SELECT count(*) FROM d_script")
        assert cur.fetchone()[0] == 1
        cur.execute("DROP TABLE d_script")
    conn.close()
    gone(cluster, "d_script")


def test_an_index_on_an_existing_table_is_dropped_by_the_rollback(cluster):
    conn = cluster.connect()
    with conn.cursor() as cur:
        create(cur, "d_idx")
    before = index_names(cluster, "d_idx")
    blk = cluster.connect(autocommit=False)
    with blk.cursor() as cur:
        cur.execute("CREATE INDEX d_idx_v ON d_idx (v)")
        cur.execute("ALTER TABLE d_idx ADD UNIQUE (id, v)")
        assert len(index_names(cluster, "d_idx") - before) == 2
    blk.rollback()
    assert index_names(cluster, "d_idx") == before
    with conn.cursor() as cur:
        cur.execute("DROP TABLE d_idx")
    blk.close()
    conn.close()


def test_ddl_a_rollback_could_not_undo_is_refused(cluster):
    conn = cluster.connect()
    with conn.cursor() as cur:
        create(cur, "d_refuse", "d_refuse_v")
    blk = cluster.connect(autocommit=False)
    with blk.cursor() as cur:  # deferred to the COMMIT (test_alter_block.py): kept
        cur.execute("DROP INDEX d_refuse_v")
    blk.rollback()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE d_nopk (id int, v int) WITH (shards = 3)")
    with blk.cursor() as cur:
        with pytest.raises(psycopg2.errors.FeatureNotSupported):
            cur.execute("ALTER TABLE d_nopk ADD PRIMARY KEY (id)")
    blk.rollback()
    with conn.cursor() as cur:
        cur.execute("DROP TABLE d_nopk")
    assert indexes_on_copies(cluster, "d_refuse", "d_refuse_v") >= SHARDS
    with conn.cursor() as cur:
        cur.execute("DROP TABLE d_refuse")
    blk.close()
    conn.close()


@pytest.fixture(scope="module")
def crashc(request):
    yield from owned_cluster(request, 3)  # default timers: a loaded machine suspects no one


def test_leader_killed_mid_block_leaves_no_table(crashc):
    blk = crashc.connect(autocommit=False)
    with blk.cursor() as cur:
        create(cur, "d_crash", "d_crash_v")
    assert files_of(crashc, "d_crash")
    crashc.kill9("leader")
    try:
        blk.close()
    except psycopg2.Error:
        pass
    crashc.start()
    gone(crashc, "d_crash", timeout=20)


def test_leader_killed_mid_block_keeps_a_table_the_block_dropped(crashc):
    conn = crashc.connect()
    with conn.cursor() as cur:
        create(cur, "d_kept")
    conn.close()
    blk = crashc.connect(autocommit=False)
    with blk.cursor() as cur:
        cur.execute("DROP TABLE d_kept")
    crashc.kill9("leader")
    try:
        blk.close()
    except psycopg2.Error:
        pass
    crashc.start()
    deadline, n = time.time() + 20, None
    while n is None and time.time() < deadline:
        try:
            conn = crashc.connect()
            with conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM d_kept")
                n = cur.fetchone()[0]
            conn.close()
        except psycopg2.errors.UndefinedTable:
            raise
        except psycopg2.Error:
            time.sleep(0.2)  # copies not reported yet
    assert n == 3
