"""Transaction blocks answer truthfully (issue 14, "Honest state"; issue 16).

Blocks are real transactions (docs/transactions.md): ROLLBACK, COMMIT of a
failed block and an error in a multi-shard statement undo everything.
SERIALIZABLE and REPEATABLE READ are provided (strict two-phase locking of
every shard read or written), and READ ONLY blocks (their writes are
25006); what murphy does not provide yet (READ ONLY as a session default)
is refused with 0A000, never accepted and ignored.
"""
import io

import psycopg2
import psycopg2.extensions as ext
import pytest

REFUSED = [
    "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
    "SET default_transaction_read_only = on",
]

ACCEPTED = [
    "BEGIN ISOLATION LEVEL SERIALIZABLE",
    "BEGIN ISOLATION LEVEL REPEATABLE READ",
    "START TRANSACTION ISOLATION LEVEL SERIALIZABLE",
    "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ",
    "SET default_transaction_isolation = 'serializable'",
    "SET default_transaction_isolation TO 'repeatable read'",
    "SET transaction_isolation = 'serializable'",
    "BEGIN ISOLATION LEVEL READ COMMITTED",
    "BEGIN READ WRITE",
    "START TRANSACTION ISOLATION LEVEL READ UNCOMMITTED, READ WRITE",
    "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED",
    "SET default_transaction_isolation = 'read committed'",
    "SET default_transaction_read_only = off",
    "BEGIN READ ONLY",
    "BEGIN ISOLATION LEVEL READ COMMITTED, READ ONLY",
    "START TRANSACTION READ ONLY",
]


@pytest.fixture(scope="module")
def tbl(cluster):
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE tx (id bigint PRIMARY KEY, v text) WITH (shards = 2)")
    yield conn
    conn.close()


def count(conn, where="true"):
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM tx WHERE " + where)
        return cur.fetchone()[0]


def status(conn):
    return conn.info.transaction_status


@pytest.mark.parametrize("sql", REFUSED)
def test_unprovided_characteristics_are_refused(cluster, sql):
    conn = cluster.connect()
    try:
        with pytest.raises(psycopg2.Error) as e:
            conn.cursor().execute(sql)
        assert e.value.pgcode == "0A000", (sql, e.value)
        assert "its transactions run at READ COMMITTED" in e.value.diag.message_primary, e.value
        assert status(conn) == ext.TRANSACTION_STATUS_IDLE  # no block was opened
    finally:
        conn.close()


@pytest.mark.parametrize("sql", ACCEPTED)
def test_what_murphy_does_is_accepted(cluster, sql):
    conn = cluster.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            cur.execute("ROLLBACK")
    finally:
        conn.close()


def test_inside_a_block_set_transaction_read_only_refuses_writes(cluster, tbl):
    conn = cluster.connect(autocommit=False)
    try:
        cur = conn.cursor()
        cur.execute("SELECT 1")  # psycopg2 sent BEGIN first
        cur.execute("SET TRANSACTION READ ONLY")
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("INSERT INTO tx VALUES (90, 'ro')")
        assert e.value.pgcode == "25006", e.value
        assert status(conn) == ext.TRANSACTION_STATUS_INERROR
        conn.rollback()
    finally:
        conn.close()
    conn = cluster.connect(autocommit=False)
    with conn.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
    conn.rollback()
    conn.close()


def test_driver_isolation_level_is_taken(cluster):
    conn = cluster.connect(autocommit=False)
    conn.set_session(isolation_level="SERIALIZABLE")
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW transaction_isolation")
            assert cur.fetchone()[0].lower() == "serializable"
        conn.rollback()
    finally:
        conn.close()


def test_driver_read_only_refuses_writes(cluster, tbl):
    conn = cluster.connect(autocommit=False)
    conn.set_session(readonly=True)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
            with pytest.raises(psycopg2.Error) as e:
                cur.execute("INSERT INTO tx VALUES (91, 'ro')")
        assert e.value.pgcode == "25006", e.value
        conn.rollback()
        assert count(tbl, "id = 91") == 0
    finally:
        conn.close()


def test_implicit_begin_and_commit_keep_working(cluster, tbl):
    conn = cluster.connect(autocommit=False)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO tx VALUES (1, 'a')")
        cur.execute("INSERT INTO tx VALUES (2, 'b')")
    conn.commit()
    assert count(tbl, "id IN (1, 2)") == 2
    conn.close()


def test_error_then_25P02_then_commit_rolls_the_block_back(cluster, tbl):
    conn = cluster.connect(autocommit=False)
    cur = conn.cursor()
    cur.execute("INSERT INTO tx VALUES (10, 'undone')")
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("SELECT * FROM no_such_table")
    assert e.value.pgcode == "42P01"
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("INSERT INTO tx VALUES (11, 'ignored')")
    assert e.value.pgcode == "25P02"
    cur.execute("COMMIT")
    assert cur.statusmessage == "ROLLBACK"  # as PostgreSQL: the block is undone
    assert status(conn) == ext.TRANSACTION_STATUS_IDLE
    assert count(tbl, "id IN (10, 11)") == 0
    cur.execute("INSERT INTO tx VALUES (12, 'next')")  # the connection works on
    conn.commit()
    assert count(tbl, "id = 12") == 1
    conn.close()


def test_commit_of_a_failed_block_without_writes_answers_rollback(cluster, tbl):
    conn = cluster.connect()
    cur = conn.cursor()
    cur.execute("BEGIN")
    cur.execute("SELECT count(*) FROM tx")
    with pytest.raises(psycopg2.Error):
        cur.execute("SELECT * FROM no_such_table")
    cur.execute("COMMIT")
    assert cur.statusmessage == "ROLLBACK"  # true: the block stored nothing
    assert status(conn) == ext.TRANSACTION_STATUS_IDLE
    conn.close()


def test_rollback_of_a_block_that_wrote_undoes_it(cluster, tbl):
    conn = cluster.connect(autocommit=False)
    cur = conn.cursor()
    cur.execute("INSERT INTO tx VALUES (20, 'a')")
    cur.execute("UPDATE tx SET v = 'b' WHERE id = 20")
    cur.execute("UPDATE tx SET v = 'changed' WHERE id = 12")
    cur.execute("SELECT v FROM tx WHERE id = 20")
    assert cur.fetchone()[0] == "b"  # the block reads its own writes
    conn.rollback()
    assert status(conn) == ext.TRANSACTION_STATUS_IDLE
    assert count(tbl, "id = 20") == 0
    assert count(tbl, "id = 12 AND v = 'next'") == 1
    conn.close()


def test_rollback_after_an_error_in_a_block_that_wrote(cluster, tbl):
    conn = cluster.connect(autocommit=False)
    cur = conn.cursor()
    cur.execute("INSERT INTO tx VALUES (30, 'a')")
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("INSERT INTO tx VALUES (30, 'dup')")
    assert e.value.pgcode == "23505"
    conn.rollback()
    assert status(conn) == ext.TRANSACTION_STATUS_IDLE
    assert count(tbl, "id = 30") == 0
    conn.close()


def test_copy_in_a_block_is_rolled_back_with_it(cluster, tbl):
    conn = cluster.connect()
    cur = conn.cursor()
    cur.execute("BEGIN")
    cur.copy_expert("COPY tx FROM STDIN", io.StringIO("40\tx\n41\ty\n"))
    cur.execute("ROLLBACK")
    assert count(tbl, "id IN (40, 41)") == 0
    cur.execute("BEGIN")
    cur.copy_expert("COPY tx FROM STDIN", io.StringIO("40\tx\n41\ty\n"))
    cur.execute("COMMIT")
    assert count(tbl, "id IN (40, 41)") == 2
    conn.close()


def test_rollback_of_a_read_only_block_is_plain(cluster, tbl):
    conn = cluster.connect(autocommit=False)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM tx")
    conn.rollback()
    assert status(conn) == ext.TRANSACTION_STATUS_IDLE
    conn.close()


# ---- One statement over several shards: all of it or nothing.

def stmt_error(conn, sql):
    with pytest.raises(psycopg2.Error) as e:
        with conn.cursor() as cur:
            cur.execute(sql)
    return e.value


def stored(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]


def test_multi_shard_insert_with_a_duplicate_stores_nothing(cluster):
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE part_ins (id int PRIMARY KEY, v int) WITH (shards = 4)")
        cur.execute("INSERT INTO part_ins VALUES (1, 0)")
    e = stmt_error(conn, "INSERT INTO part_ins VALUES " +
                   ", ".join("(%d, 1)" % i for i in range(1, 41)))
    assert e.pgcode == "23505", (e.pgcode, str(e))  # id 1's shard refused its part
    assert stored(conn, "SELECT count(*) FROM part_ins WHERE v = 1") == 0
    assert stored(conn, "SELECT count(*) FROM part_ins") == 1
    conn.close()


def test_multi_shard_update_failing_on_one_shard_changes_nothing(cluster):
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE part_upd (id int PRIMARY KEY, b int NOT NULL) WITH (shards = 4)")
        cur.execute("INSERT INTO part_upd VALUES " + ", ".join("(%d, 0)" % i for i in range(1, 41)))
    e = stmt_error(conn, "UPDATE part_upd SET b = CASE WHEN id = 1 THEN NULL ELSE b + 1 END")
    assert e.pgcode == "23502", (e.pgcode, str(e))
    assert stored(conn, "SELECT count(*) FROM part_upd WHERE b = 1") == 0
    assert stored(conn, "SELECT count(*) FROM part_upd WHERE b = 0") == 40
    conn.close()


def test_multi_statement_query_failing_after_a_write_undoes_it(cluster):
    """'INSERT …(1); INSERT …(1)' is one implicit transaction, as in
    PostgreSQL: the duplicate's 23505, and the first INSERT undone
    (tests/cluster/test_txn_idle.py has the rest of the rules)."""
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE part_multi (id int PRIMARY KEY)")
    e = stmt_error(conn, "INSERT INTO part_multi VALUES (1); INSERT INTO part_multi VALUES (1)")
    assert e.pgcode == "23505", (e.pgcode, str(e))
    assert stored(conn, "SELECT count(*) FROM part_multi") == 0
    with conn.cursor() as cur:
        cur.execute("INSERT INTO part_multi VALUES (1)")
    e = stmt_error(conn, "SELECT 1; INSERT INTO part_multi VALUES (1)")
    assert e.pgcode == "23505"
    e = stmt_error(conn, "SELECT 1; SELECT * FROM no_such_table")
    assert e.pgcode == "42P01"
    # inside a block the earlier statements are undone with it on ROLLBACK
    e = stmt_error(conn, "BEGIN; INSERT INTO part_multi VALUES (2); INSERT INTO part_multi VALUES (1)")
    assert e.pgcode == "23505", (e.pgcode, str(e))
    with conn.cursor() as cur:
        cur.execute("ROLLBACK")
    assert stored(conn, "SELECT count(*) FROM part_multi") == 1
    conn.close()


def test_idle_in_transaction_timeout_takes_postgresql_values(cluster):
    """idle_in_transaction_session_timeout is done (test_txn_idle.py): SET
    takes PostgreSQL's units, SHOW prints the largest that divides, RESET
    goes back to the leader's default (--idle-in-transaction-timeout-ms,
    1min)."""
    conn = cluster.connect()
    cur = conn.cursor()
    for v, shown in (("'5min'", "5min"), ("1000", "1s"), ("0", "0"), ("'250ms'", "250ms")):
        cur.execute("SET idle_in_transaction_session_timeout = %s" % v)
        cur.execute("SHOW idle_in_transaction_session_timeout")
        assert cur.fetchall() == [(shown,)], v
    cur.execute("RESET idle_in_transaction_session_timeout")
    cur.execute("SHOW idle_in_transaction_session_timeout")
    assert cur.fetchall() == [("1min",)]
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("SET idle_in_transaction_session_timeout = '-1'")
    assert e.value.pgcode == "22023"
    conn.close()

@pytest.mark.parametrize("clause", ["FOR UPDATE", "FOR NO KEY UPDATE", "FOR SHARE",
                                    "FOR KEY SHARE"])
def test_read_only_block_refuses_locking_reads(cluster, tbl, pgconn, clause):
    """A locking SELECT in a READ ONLY block is 25006 naming the clause, as
    in PostgreSQL (murphy ran it and took the shards' locks); a plain
    SELECT in the same kind of block still runs."""
    sql = "SELECT * FROM tx WHERE id = 1 " + clause
    with pgconn.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS tx (id bigint PRIMARY KEY, v text)")
    msgs, mconn = [], cluster.connect(autocommit=False)
    for conn in (mconn, pgconn):
        conn.autocommit = False
        try:
            cur = conn.cursor()
            cur.execute("SET TRANSACTION READ ONLY")
            with pytest.raises(psycopg2.Error) as e:
                cur.execute(sql)
            assert e.value.pgcode == "25006", e.value
            msgs.append(e.value.diag.message_primary)
            conn.rollback()
            cur.execute("SET TRANSACTION READ ONLY")
            cur.execute("SELECT count(*) FROM tx")
            conn.rollback()
        finally:
            conn.autocommit = True
    mconn.close()
    assert msgs[0] == msgs[1] == "cannot execute SELECT %s in a read-only transaction" % clause
