"""now(), transaction_timestamp() and CURRENT_TIMESTAMP are the
transaction's start, as in PostgreSQL: the same in every row, on every
follower, in every statement of a block, and later in a later transaction
(parser/analyze_func.c plans it as a constant from the leader's
sql_options.xact_now_us; a prepared statement is planned anew in another
transaction).  Each property is checked on murphy and on PostgreSQL.
"""
import time

import pytest


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    db.exec_both("DROP TABLE IF EXISTS xn_t")
    db.exec_both("CREATE TABLE xn_t (id int PRIMARY KEY, v int)")
    db.exec_both("INSERT INTO xn_t SELECT g, g FROM generate_series(1, 3000) g")
    return db


FORMS = ["now()", "transaction_timestamp()", "CURRENT_TIMESTAMP"]


@pytest.mark.parametrize("form", FORMS)
def test_same_in_every_row_and_call(db, form):
    # 3000 rows over the followers: one distinct value, equal to a second call
    db.both("SELECT count(DISTINCT %s), bool_and(%s = now()) FROM xn_t" % (form, form))
    db.both("SELECT count(*) FROM xn_t WHERE %s <> %s" % (form, form))
    db.both("SELECT now() = %s, transaction_timestamp() = CURRENT_TIMESTAMP" % form)


def first(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]


@pytest.mark.parametrize("system", ["m", "p"])
def test_same_in_a_block_later_in_the_next(db, system):
    conn = getattr(db, system)
    conn.autocommit = False
    try:
        a = first(conn, "SELECT now()")
        time.sleep(0.02)
        b = first(conn, "SELECT max(now()) FROM xn_t")
        with conn.cursor() as cur:
            cur.execute("SELECT now() FROM xn_t WHERE id = %s", (5,))
            c = cur.fetchone()[0]
        conn.commit()
        time.sleep(0.02)
        d = first(conn, "SELECT now()")
        with conn.cursor() as cur:
            cur.execute("SELECT now() FROM xn_t WHERE id = %s", (5,))
            e = cur.fetchone()[0]
        conn.commit()
    finally:
        conn.autocommit = True
    assert a == b == c, (system, a, b, c)
    assert d > a and d == e, (system, a, d, e)


@pytest.mark.parametrize("system", ["m", "p"])
def test_autocommit_statements_differ(db, system):
    conn = getattr(db, system)
    a = first(conn, "SELECT now()")
    time.sleep(0.02)
    b = first(conn, "SELECT now()")
    assert b > a, (system, a, b)


@pytest.mark.parametrize("system", ["m", "p"])
def test_prepared_statement_planned_anew_in_the_next_transaction(db, system):
    conn = getattr(db, system)
    with conn.cursor() as cur:
        cur.execute("PREPARE xn_p AS SELECT max(now()) FROM xn_t WHERE v > $1")
    try:
        a = first(conn, "EXECUTE xn_p(0)")
        time.sleep(0.02)
        b = first(conn, "EXECUTE xn_p(1)")
        conn.autocommit = False
        c = first(conn, "EXECUTE xn_p(2)")
        time.sleep(0.02)
        d = first(conn, "EXECUTE xn_p(3)")
        conn.commit()
    finally:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("DEALLOCATE xn_p")
    assert a < b < c == d, (system, a, b, c, d)


@pytest.mark.parametrize("system", ["m", "p"])
def test_statement_timestamp_per_statement(db, system):
    """statement_timestamp(): one value in a statement (every row, every
    follower), the transaction's start in its first statement, later in a
    later statement of the same block (was the clock at each call)."""
    conn = getattr(db, system)
    assert first(conn, "SELECT count(DISTINCT statement_timestamp()) FROM xn_t") == 1
    assert first(conn, "SELECT statement_timestamp() = statement_timestamp()") is True
    assert first(conn, "SELECT statement_timestamp() = now()") is True
    conn.autocommit = False
    try:
        a = first(conn, "SELECT now()")
        time.sleep(0.02)
        b = first(conn, "SELECT statement_timestamp()")
        with conn.cursor() as cur:
            cur.execute("SELECT max(statement_timestamp()) FROM xn_t WHERE v > %s", (0,))
            c = cur.fetchone()[0]
        conn.commit()
    finally:
        conn.autocommit = True
    assert a < b < c, (system, a, b, c)
