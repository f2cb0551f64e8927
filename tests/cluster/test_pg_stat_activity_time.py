"""now() and time arithmetic in catalog queries, and pg_stat_activity's
backend_start / xact_start / query_start / state_change / wait_event: the
queries monitoring tools and DBAs run, each compared with PostgreSQL 15
(column names, type OIDs, and values where they do not depend on the
clock).  Before this, murphy answered 0A000 for now() in a catalog query and
NULL for the four timestamps."""
import threading
import time

import psycopg2
import pytest

ME = " FROM pg_stat_activity WHERE pid = pg_backend_pid()"


def rows(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def described(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        cur.fetchall()
        return [(d.name, d.type_code) for d in cur.description]


@pytest.fixture
def pg_connect(db):
    """Open a PostgreSQL connection to the db fixture's database."""
    p = db.p.get_dsn_parameters()
    opened = []

    def connect():
        c = psycopg2.connect(host=p["host"], port=p["port"], user=p["user"], dbname=p["dbname"])
        c.autocommit = True
        opened.append(c)
        return c
    yield connect
    for c in opened:
        c.close()


@pytest.fixture
def pair(cluster, pg_connect):
    """other(): a new (murphy, PostgreSQL) connection pair, closed at the end."""
    opened = []

    def other():
        m = cluster.connect()
        opened.append(m)
        return m, pg_connect()
    yield other
    for c in opened:
        c.close()


def test_time_columns_are_timestamptz(db):
    db.both("SELECT backend_start, xact_start, query_start, state_change" + ME + " AND false")


def test_own_row_times_are_now(db):
    # a statement outside a block: its transaction and its start are now()
    db.both("SELECT now() = xact_start AS x, now() = query_start AS q, "
            "now() - query_start AS d, state_change <= clock_timestamp() AS c, "
            "backend_start <= now() AS b, xact_start IS NULL AS n,"
            " wait_event_type, wait_event, state" + ME)


def test_time_expressions_take_postgres_types(db):
    """Constant date/time arithmetic in a catalog query: PostgreSQL's
    values and types, text output included."""
    db.both("SELECT interval '1 day' = interval '24 hours' AS a, "
            "interval '1 day' > interval '23 hours' AS b, -interval '2 hours' AS c, "
            "interval '1 hour' / 2 AS d, 2 * interval '1 hour' AS e, "
            "interval '1 hour' + interval '30 minutes' AS f" + ME)
    db.both("SELECT (interval '1 year 2 mons 3 days 04:05:06.5')::text AS a, "
            "timestamptz '2026-03-01 10:00:00+00' - interval '1 month' AS b, "
            "timestamptz '2026-03-01 10:00:00+00' - timestamptz '2026-01-01 00:00:00+00' AS c, "
            "age(timestamptz '2026-03-01 10:00:00+00', timestamptz '2025-01-15 12:00:00+00') AS d, "
            "extract(epoch from interval '1 day 2 hours') AS e, "
            "date_part('epoch', interval '90 minutes') AS f, "
            "extract(epoch from timestamptz '2026-01-01 00:00:00+00') AS g, "
            "justify_interval(interval '50 hours') AS h, "
            "round(extract(epoch from interval '2.5 seconds')) AS i, "
            "extract(epoch from interval '2.6 seconds')::int AS j" + ME)
    db.both("SELECT pg_typeof(now())::text AS a, pg_typeof(clock_timestamp())::text AS b, "
            "pg_typeof(now() - interval '1 day')::text AS c" + ME)
    db.both("SELECT now() - backend_start AS a, age(clock_timestamp(), query_start) AS b, "
            "extract(epoch from now() - query_start) AS c, current_timestamp AS d, "
            "statement_timestamp() AS e, current_date AS f, localtimestamp AS g" + ME
            + " AND false")


def test_now_is_the_transactions_start(db, pair):
    """now() in a catalog query is the block's start: the same as the
    block's other statements' now() and as its own xact_start."""
    got = []
    for conn in pair():
        conn.autocommit = False
        first = rows(conn, "SELECT now()")[0][0]
        time.sleep(0.3)
        got.append(rows(conn, "SELECT now() = %s, xact_start = %s, "
                              "query_start - xact_start >= interval '0.3 s', "
                              "statement_timestamp() = query_start, "
                              "clock_timestamp() - now() >= interval '0.3 s', "
                              "now() = transaction_timestamp()" + ME, (first, first)))
        conn.rollback()
    assert got[0] == got[1] == [(True,) * 6]


def test_time_zone_is_the_sessions(db):
    db.exec_both("SET TimeZone = 'America/New_York'")
    try:
        # across the spring-forward of 2026-03-08: a day is 23 hours there
        db.both("SELECT timestamptz '2026-03-08 12:00:00' - interval '1 day' AS a, "
                "timestamptz '2026-03-08 12:00:00' - timestamptz '2026-03-07 12:00:00' AS b, "
                "age(timestamptz '2026-03-08 12:00:00', timestamptz '2026-03-07 12:00:00') AS c, "
                "extract(hour from timestamptz '2026-03-08 12:00:00') AS d, "
                "date_trunc('day', timestamptz '2026-03-08 12:00:00') AS e, "
                "timestamptz '2026-03-08 12:00:00'::text AS f, "
                "timestamptz '2026-03-08 12:00:00' = '2026-03-08 17:00:00+01' AS g, "
                "now()::date = current_date AS h" + ME)
    finally:
        db.exec_both("RESET TimeZone")


def test_new_connection_backend_start(db, pair):
    got = []
    for conn in pair():
        got.append(rows(conn, "SELECT abs(extract(epoch from now() - backend_start)) < 1, "
                              "backend_start <= state_change, state" + ME))
    assert got[0] == got[1] == [(True, True, "active")]


def test_idle_in_transaction_for_more_than_n(db, pair):
    """A block open 1 s: xact_start at least 1 s ago, state and wait as
    PostgreSQL's; the classic 'idle in transaction for > N' query finds it."""
    others = pair()
    pids = []
    for other in others:
        other.autocommit = False
        rows(other, "SELECT 1")
        pids.append(other.get_backend_pid())
    time.sleep(1.1)
    got = [rows(conn, "SELECT state, now() - xact_start >= interval '1 second', "
                      "now() - state_change >= interval '1 second', "
                      "query_start >= xact_start, wait_event_type, wait_event, query "
                      "FROM pg_stat_activity WHERE pid = %s", (pid,))
           for conn, pid in zip((db.m, db.p), pids)]
    assert got[0] == got[1] == [("idle in transaction", True, True, True, "Client",
                                 "ClientRead", "SELECT 1")]
    found = [rows(conn, "SELECT count(*) FROM pg_stat_activity "
                        "WHERE state = 'idle in transaction' AND pid = %s "
                        "AND now() - state_change > interval '1 second' "
                        "AND xact_start < now() - '1 second'::interval", (pid,))
             for conn, pid in zip((db.m, db.p), pids)]
    assert found[0] == found[1] == [(1,)]
    # a failed statement: the block is aborted, xact_start NULL (it is over)
    for other in others:
        try:
            rows(other, "SELECT 1/0")
        except psycopg2.Error:
            pass
    got = [rows(conn, "SELECT state, xact_start IS NULL, query "
                      "FROM pg_stat_activity WHERE pid = %s", (pid,))
           for conn, pid in zip((db.m, db.p), pids)]
    assert got[0] == got[1] == [("idle in transaction (aborted)", True, "SELECT 1/0")]
    # its end: idle, xact_start NULL again
    for other in others:
        other.rollback()
    time.sleep(0.1)  # PostgreSQL reports ClientRead once it waits for the client
    got = [rows(conn, "SELECT state, xact_start IS NULL, query_start IS NOT NULL, "
                      "wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,))
           for conn, pid in zip((db.m, db.p), pids)]
    assert got[0] == got[1] == [("idle", True, True, "Client")]
    # BEGIN alone opens the transaction: idle in transaction from then
    for other in others:
        other.autocommit = True
        other.cursor().execute("BEGIN")
    time.sleep(0.2)
    got = [rows(conn, "SELECT state, now() - xact_start > interval '0.1 s', query "
                      "FROM pg_stat_activity WHERE pid = %s", (pid,))
           for conn, pid in zip((db.m, db.p), pids)]
    assert got[0] == got[1] == [("idle in transaction", True, "BEGIN")]
    for other in others:
        other.cursor().execute("ROLLBACK")


def test_sessions_by_state_with_durations(db):
    # (PostgreSQL sets the running statement's state_change a moment after
    # its now(): compared with query_start, which is now())
    sql = ("SELECT state, count(*) AS n, max(state_change) >= max(query_start) AS d, "
           "min(now() - backend_start) >= interval '0' AS b, "
           "max(now() - query_start) AS q "
           "FROM pg_stat_activity WHERE pid = pg_backend_pid() GROUP BY state ORDER BY state")
    db.both(sql)


def test_long_running_query_waiting_for_a_lock(db, pair):
    """A statement (of a block) queued behind another transaction's lock
    for 1 s: the 'long-running queries' query finds it, waiting on
    Lock/transactionid."""
    db.exec_both("CREATE TABLE act_lock (id int PRIMARY KEY, v int)")
    db.exec_both("INSERT INTO act_lock VALUES (1, 0)")
    holders, waiters, threads = pair(), pair(), []
    for h in holders:
        h.autocommit = False
        rows_done = h.cursor()
        rows_done.execute("UPDATE act_lock SET v = 1 WHERE id = 1")
    for w in waiters:
        w.autocommit = False
        t = threading.Thread(target=lambda c=w: c.cursor().execute(
            "UPDATE act_lock SET v = 2 WHERE id = 1"))
        t.start()
        threads.append(t)
    try:
        time.sleep(1.2)
        got = [rows(conn, "SELECT state, wait_event_type, wait_event, "
                          "now() - query_start > interval '1 second', "
                          "now() - xact_start > interval '1 second', query "
                          "FROM pg_stat_activity WHERE state <> 'idle' "
                          "AND now() - query_start > interval '1 second' "
                          "AND pid = %s", (w.get_backend_pid(),))
               for conn, w in zip((db.m, db.p), waiters)]
        assert got[0] == got[1] == [("active", "Lock", "transactionid", True, True,
                                     "UPDATE act_lock SET v = 2 WHERE id = 1")]
    finally:
        for h in holders:
            h.rollback()
        for t in threads:
            t.join(10)
        for w in waiters:
            w.rollback()
    db.exec_both("DROP TABLE act_lock")


def test_errors_as_postgres(db):
    db.both_error("SELECT interval 'bogus'" + ME, "22007")
    db.both_error("SELECT now() - 5.5" + ME, "42883")
    # (a simple query's integer literal reaches murphy's catalog query as a
    # parameter: still refused)
    db.both_error("SELECT now() - query_start > 5" + ME, "42883")
    db.both_error("SELECT query_start < 20260101" + ME, "42883")
    db.both_error("SELECT query_start - 'x'" + ME, "22007")


def test_durations_truncated_rounded_and_zoned(db):
    """What monitoring queries do to make a duration readable: date_trunc
    of an interval, ::interval(0), ::timestamptz(0), AT TIME ZONE, to_char,
    left(query, n); an untyped literal in COALESCE / CASE takes the time
    type.  Text output compared, fields and all."""
    db.both("SELECT date_trunc('second', interval '1 year 14 mons 40 days 25:59:59.789')::text a, "
            "date_trunc('minute', interval '-3 days -01:02:03.5')::text b, "
            "date_trunc('hours', interval '1 day 25:59')::text c, "
            "date_trunc('day', interval '3 mons 4 days 5:00')::text d, "
            "date_trunc('month', interval '14 mons 4 days')::text e, "
            "date_trunc('quarter', interval '17 mons')::text f, "
            "date_trunc('decade', interval '127 years 3 mons')::text g, "
            "date_trunc('milliseconds', interval '1.234567 s')::text h" + ME)
    db.both("SELECT (interval '1.5 s')::interval(0)::text a, (interval '-1.5 s')::interval(0)::text b, "
            "(interval '1.23456 s')::interval(2)::text c, "
            "timestamptz '2026-01-01 00:00:00.5+00'::timestamptz(0) d, "
            "date_trunc('second', now() - query_start) e, "
            "timezone('UTC', timestamptz '2026-01-01 00:00:00+00') f, "
            "timestamptz '2026-01-01 00:00:00+00' AT TIME ZONE 'America/New_York' g, "
            "timestamp '2026-01-01 00:00:00' AT TIME ZONE 'Europe/Paris' h, "
            "to_char(timestamptz '2026-03-08 12:00:00+00', 'YYYY-MM-DD HH24:MI TZ') i, "
            "left(query, 6) j, left('abc', -1) k" + ME)
    db.both("SELECT coalesce(CASE WHEN false THEN now() - xact_start END, '5 minutes') AS a, "
            "coalesce(CASE WHEN false THEN xact_start END, '2020-01-01') AS b, "
            "CASE WHEN false THEN now() ELSE '2021-01-01' END AS c" + ME)
    db.both("SELECT interval '1 day' IN (interval '24 hours', '2 days') AS a, "
            "now() - query_start NOT IN ('1 s', '2 s') AS b, xact_start = NULL AS n, "
            "interval '1 s' IN (NULL, '1 s') AS m, "
            "timestamptz '2026-01-01 00:00:00+00' IN ('2026-01-01 01:00:00+01') AS c" + ME)
    db.both_error("SELECT date_trunc('week', now() - query_start)" + ME, "0A000")
    db.both_error("SELECT date_trunc('bogus', now() - query_start)" + ME, "22023")


def test_numeric_durations_compare_and_sort_by_value(db):
    """extract() is numeric (text inside murphy): compared with a number,
    computed on and sorted by value, not by its text ('10.000000' after
    '9.000000')."""
    sub = ("(SELECT interval '9 s' AS v" + ME + " UNION ALL SELECT interval '100 s'" + ME
           + " UNION ALL SELECT interval '10.5 s'" + ME + ") s")
    db.both("SELECT extract(epoch from v) AS secs FROM " + sub + " ORDER BY secs")
    db.both("SELECT extract(epoch from v) AS secs FROM " + sub
            + " ORDER BY extract(epoch from v) DESC")
    db.both("SELECT extract(epoch from v) > 50 AS a, extract(epoch from v) * 2.5 AS b, "
            "extract(epoch from v) / 4 AS c, extract(epoch from v) - 1 AS d FROM " + sub
            + " ORDER BY 1, 2")


def test_aggregates_of_durations(db):
    """max / min / sum / avg over durations and their epochs, by value."""
    sub = ("(SELECT interval '9 s' AS v" + ME + " UNION ALL SELECT interval '100 s'" + ME
           + " UNION ALL SELECT interval '1 day'" + ME + ") s")
    db.both("SELECT max(extract(epoch from v)) AS a, min(extract(epoch from v)) AS b, "
            "sum(extract(epoch from v)) AS c, max(v)::text AS d, min(v)::text AS e, "
            "sum(v)::text AS f, avg(v)::text AS g, count(*) AS h FROM " + sub)
    db.both("SELECT state, max(extract(epoch from now() - query_start)) >= 0 AS a, "
            "avg(now() - backend_start) >= interval '0' AS b "
            "FROM pg_stat_activity WHERE pid = pg_backend_pid() GROUP BY state")
