"""The plan cache (sql/plan_cache.c, parser/lift.c; docs/plan_cache.md):
a simple query whose text differs from an earlier one of the session only
in integer literals runs that one's plan with the literals as int4
parameters.  Differential against a real PostgreSQL 15: every answer
(columns, types, rows, errors) must be the one a fresh plan gives, also
when the catalog or a plan-shaping setting changes between two statements
that differ only in their constants (ALTER TABLE, DROP and CREATE of a
same-named table, search_path, TimeZone), and for constants of other types
('1', 1.5, NULL).  murphy.plan_cache_hits counts the statements that ran a
kept plan, so each test also shows the cache was (or was not) used."""
import pytest


def hits(db):
    cur = db.m.cursor()
    cur.execute("SHOW murphy.plan_cache_hits")
    n = int(cur.fetchone()[0])
    cur.close()
    return n


@pytest.fixture(scope="module")
def pc(db):
    db.exec_both("DROP TABLE IF EXISTS pc_acc")
    db.exec_both("CREATE TABLE pc_acc (aid int PRIMARY KEY, bid int, abalance int, "
                 "big bigint, small smallint, note text, amount numeric)")
    db.exec_both("INSERT INTO pc_acc SELECT g, g % 3, 0, g * 1000000000::bigint, g, 'n' || g, "
                 "g / 4.0 FROM generate_series(1, 40) g")
    return db


def test_pgbench_shapes_hit_the_cache_and_answer_as_postgres(pc):
    before = hits(pc)
    n = 0
    for aid, delta in [(1, 5), (17, -1234), (3, 77), (40, -9), (12, 0), (9, 4000)]:
        pc.both("BEGIN")
        pc.both("UPDATE pc_acc SET abalance = abalance + %d WHERE aid = %d" % (delta, aid))
        pc.both("SELECT abalance FROM pc_acc WHERE aid = %d" % aid)
        pc.both("UPDATE pc_acc SET abalance = abalance - %d WHERE aid = %d" % (delta, aid % 7 + 1))
        pc.both("SELECT aid, abalance, big, small, note FROM pc_acc WHERE aid = - %d + %d"
                % (delta % 5, aid))
        pc.both("END")
        n += 6
    pc.both("SELECT aid, abalance FROM pc_acc ORDER BY aid")
    # the first round plans its 6 shapes, the second 2 more (a negative delta
    # puts a '-' token in the UPDATEs' texts); every other statement runs a kept plan
    assert hits(pc) - before == n - 8, "kept plans ran %d times of %d" % (hits(pc) - before, n)


def test_off_plans_every_statement(pc):
    pc.m.cursor().execute("SET murphy.plan_cache = off")
    try:
        before = hits(pc)
        for aid in (2, 22, 5):
            pc.both("SELECT aid, note FROM pc_acc WHERE aid = %d" % aid)
        assert hits(pc) == before
    finally:
        pc.m.cursor().execute("SET murphy.plan_cache = on")


def test_constants_of_other_types_and_errors(pc):
    before = hits(pc)
    for lit in ["1", "'1'", "1.5", "NULL", "2", "-3", "'7'", "2.0"]:
        pc.both("SELECT aid + %s, amount * %s FROM pc_acc WHERE aid = 4" % (lit, lit))
        pc.both("SELECT count(*) FROM pc_acc WHERE bid = %s" % lit)
    for v in ["5", "70000", "-32769", "12"]:  # int4 literals into smallint: 22003 past its range
        pc.both("UPDATE pc_acc SET small = %s WHERE aid = 6" % v)
        pc.both("SELECT small FROM pc_acc WHERE aid = 6")
    for v in ["3", "2147483647"]:  # int4 arithmetic overflows as PostgreSQL's: 22003
        pc.both("SELECT abalance + %s + 1 FROM pc_acc WHERE aid = 7" % v)
    for v in ["4", "0"]:  # 22012 division by zero
        pc.both("SELECT abalance / %s FROM pc_acc WHERE aid = 7" % v)
    for row in [(101, 5), (102, 123456), (103, -7)]:  # int4 into bigint, text, numeric
        pc.both("INSERT INTO pc_acc (aid, bid, abalance, big, note, amount) "
                "VALUES (%d, 1, %d, %d, %d, %d)" % (row[0], row[1], row[1], row[1], row[1]))
    pc.both("SELECT aid, abalance, big, note, amount FROM pc_acc WHERE aid > 100 ORDER BY aid")
    assert hits(pc) > before


def test_literals_whose_meaning_is_not_a_value_are_not_lifted(pc):
    # ORDER BY n, GROUP BY n, LIMIT, typmods: planned as they are every time
    for n in (1, 2, 1):
        pc.both("SELECT bid, count(*) FROM pc_acc WHERE aid < 30 GROUP BY 1 ORDER BY %d, 1" % n)
        pc.both("SELECT aid, note FROM pc_acc ORDER BY %d DESC, 1 LIMIT %d" % (n, n + 1))
        pc.both("SELECT note::varchar(%d) FROM pc_acc WHERE aid = 33" % n)


def test_alter_table_between_two_constants(pc):
    pc.exec_both("DROP TABLE IF EXISTS pc_alt")
    pc.exec_both("CREATE TABLE pc_alt (id int PRIMARY KEY, v int)")
    pc.exec_both("INSERT INTO pc_alt VALUES (1, 10), (2, 20), (3, 30)")
    pc.both("SELECT * FROM pc_alt WHERE id = 1")
    pc.both("SELECT * FROM pc_alt WHERE id = 2")
    pc.exec_both("ALTER TABLE pc_alt ADD COLUMN w text DEFAULT 'x'")
    pc.both("SELECT * FROM pc_alt WHERE id = 3")
    pc.both("UPDATE pc_alt SET v = v + 1 WHERE id = 2")
    pc.exec_both("ALTER TABLE pc_alt DROP COLUMN v")
    pc.both("SELECT * FROM pc_alt WHERE id = 1")
    pc.both("UPDATE pc_alt SET v = v + 1 WHERE id = 3")  # 42703 on both now


def test_drop_and_create_of_a_same_named_table(pc):
    pc.exec_both("DROP TABLE IF EXISTS pc_re")
    pc.exec_both("CREATE TABLE pc_re (id int PRIMARY KEY, v int)")
    pc.exec_both("INSERT INTO pc_re VALUES (1, 1), (2, 2)")
    pc.both("SELECT v FROM pc_re WHERE id = 1")
    pc.both("SELECT v + 1 FROM pc_re WHERE id = 2")
    pc.exec_both("DROP TABLE pc_re")
    pc.both("SELECT v FROM pc_re WHERE id = 2")  # 42P01 on both
    pc.exec_both("CREATE TABLE pc_re (id bigint PRIMARY KEY, v text)")
    pc.exec_both("INSERT INTO pc_re VALUES (1, 'one'), (2, 'two')")
    pc.both("SELECT v FROM pc_re WHERE id = 1")
    pc.both("SELECT v FROM pc_re WHERE id = 2")
    pc.both("SELECT v + 1 FROM pc_re WHERE id = 2")  # 42883 now: text + integer


def test_search_path_between_two_constants(pc):
    for s in ("pc_s1", "pc_s2"):
        pc.exec_both("DROP SCHEMA IF EXISTS %s CASCADE" % s)
        pc.exec_both("CREATE SCHEMA %s" % s)
        pc.exec_both("CREATE TABLE %s.t (id int PRIMARY KEY, v text)" % s)
        pc.exec_both("INSERT INTO %s.t VALUES (1, '%s one'), (2, '%s two')" % (s, s, s))
    try:
        pc.exec_both("SET search_path = pc_s1")
        pc.both("SELECT v FROM t WHERE id = 1")
        pc.both("SELECT v FROM t WHERE id = 2")
        pc.exec_both("SET search_path = pc_s2")
        pc.both("SELECT v FROM t WHERE id = 1")
        pc.both("UPDATE t SET v = v || '!' WHERE id = 2")
        pc.exec_both("SET search_path = pc_s1")
        pc.both("SELECT v FROM t WHERE id = 2")
        pc.exec_both("SET search_path = pc_s2")
        pc.both("SELECT v FROM t WHERE id = 2")
    finally:
        pc.exec_both("RESET search_path")


def test_timezone_between_two_constants(pc):
    pc.exec_both("DROP TABLE IF EXISTS pc_tz")
    pc.exec_both("CREATE TABLE pc_tz (id int PRIMARY KEY, ts timestamptz)")
    pc.exec_both("INSERT INTO pc_tz VALUES (1, '2024-03-01 10:00:00+00'), "
                 "(2, '2024-07-01 23:30:00+00')")
    try:
        for tz, ident in [("UTC", 1), ("Asia/Tokyo", 2), ("America/New_York", 1), ("UTC", 2)]:
            pc.exec_both("SET TimeZone = '%s'" % tz)
            pc.both("SELECT id, ts::text, ts + interval '1 hour' * %d FROM pc_tz WHERE id = %d"
                    % (ident, ident))
            pc.both("SELECT count(*) FROM pc_tz WHERE ts > '2024-05-01' AND id > %d"
                    % (ident - 2))
    finally:
        pc.exec_both("RESET TimeZone")


def test_rollback_of_a_block_run_from_kept_plans(pc):
    pc.both("SELECT abalance FROM pc_acc WHERE aid = 20")
    for delta in (100, 250):
        pc.both("BEGIN")
        pc.both("UPDATE pc_acc SET abalance = abalance + %d WHERE aid = 20" % delta)
        pc.both("SELECT abalance FROM pc_acc WHERE aid = 20")
        pc.both("ROLLBACK")
        pc.both("SELECT abalance FROM pc_acc WHERE aid = 20")


def test_serial_defaults_and_returning_from_kept_plans(pc):
    pc.exec_both("DROP TABLE IF EXISTS pc_ser")
    pc.exec_both("CREATE TABLE pc_ser (id serial PRIMARY KEY, v int)")
    before = hits(pc)
    for v in (5, 6, 70, 8):
        pc.both("INSERT INTO pc_ser (v) VALUES (%d) RETURNING id, v" % v)
        pc.both("SELECT id, v FROM pc_ser WHERE id = %d" % (v % 4 + 1))
    pc.both("SELECT id, v FROM pc_ser ORDER BY id")
    assert hits(pc) - before >= 6


def test_a_table_of_a_rolled_back_block(pc):
    pc.exec_both("DROP TABLE IF EXISTS pc_rb")
    for attempt in range(2):
        pc.both("BEGIN")
        pc.both("CREATE TABLE pc_rb (id int PRIMARY KEY, v int)")
        pc.both("INSERT INTO pc_rb VALUES (1, 10)")
        pc.both("INSERT INTO pc_rb VALUES (2, 20)")
        pc.both("SELECT v FROM pc_rb WHERE id = 2")
        pc.both("ROLLBACK")
        pc.both("INSERT INTO pc_rb VALUES (3, 30)")  # 42P01 on both
        pc.both("SELECT v FROM pc_rb WHERE id = 1")  # 42P01 on both
    pc.both("CREATE TABLE pc_rb (id int PRIMARY KEY, w text)")
    pc.both("INSERT INTO pc_rb VALUES (4, 'x')")
    pc.both("SELECT w FROM pc_rb WHERE id = 4")
    pc.both("SELECT v FROM pc_rb WHERE id = 4")  # 42703 on both


def test_a_kept_plan_waits_for_another_blocks_alter(pc, cluster, pg, request):
    """Another session's open block altered the table: a statement whose
    plan this session keeps waits as PostgreSQL's lock makes it (here until
    lock_timeout, 55P03), not run with the old shape."""
    import psycopg2
    pc.exec_both("DROP TABLE IF EXISTS pc_wait")
    pc.exec_both("CREATE TABLE pc_wait (id int PRIMARY KEY, v int)")
    pc.exec_both("INSERT INTO pc_wait VALUES (1, 1), (2, 2)")
    pc.both("SELECT v FROM pc_wait WHERE id = 1")
    pc.both("SELECT v FROM pc_wait WHERE id = 2")
    others = [cluster.connect(), psycopg2.connect(pg.dsn("t_" + request.module.__name__))]
    try:
        for o in others:
            o.autocommit = True
            o.cursor().execute("BEGIN")
            o.cursor().execute("ALTER TABLE pc_wait ADD COLUMN w int")
        pc.exec_both("SET lock_timeout = '300ms'")
        pc.both_error("SELECT v FROM pc_wait WHERE id = 1", "55P03")
    finally:
        pc.exec_both("RESET lock_timeout")
        for o in others:
            o.cursor().execute("ROLLBACK")
            o.close()
    pc.both("SELECT * FROM pc_wait WHERE id = 2")


@pytest.mark.parametrize("ktype", ["bigint", "smallint", "numeric", "numeric(10,2)", "float8"])
def test_keys_of_other_types_route_by_the_literal(pc, ktype):
    """A key column of another type than int4: the parameter is coerced
    to it before the shard is chosen, as the literal was (each value on
    its own shard, rows found by every constant)."""
    t = "pc_k_" + ktype.split("(")[0]
    pc.exec_both("DROP TABLE IF EXISTS %s" % t)
    pc.exec_both("CREATE TABLE %s (k %s PRIMARY KEY, v int)" % (t, ktype))
    pc.exec_both("INSERT INTO %s SELECT g, g FROM generate_series(1, 60) g" % t)
    before = hits(pc)
    for k in list(range(1, 61, 3)) + [0, 61, -5]:
        pc.both("SELECT k, v FROM %s WHERE k = %d" % (t, k))
        pc.both("UPDATE %s SET v = v + %d WHERE k = %d" % (t, k, k))
    for k in (61, 62, -7):
        pc.both("INSERT INTO %s VALUES (%d, %d)" % (t, k, k))
    pc.both("SELECT k, v FROM %s ORDER BY k" % t)
    assert hits(pc) - before >= 30


def test_now_in_kept_plans_is_the_transactions_start(pc):
    """now() and CURRENT_TIMESTAMP are a kept plan's last parameter, bound
    to the transaction's start at each run: the same within a block, another
    in the next, in timestamp and timestamptz columns, in any TimeZone."""
    pc.exec_both("DROP TABLE IF EXISTS pc_now")
    pc.exec_both("CREATE TABLE pc_now (id int PRIMARY KEY, ts timestamp, tz timestamptz)")
    before = hits(pc)
    try:
        for z, zone in enumerate(("UTC", "Asia/Tokyo", "UTC")):
            pc.exec_both("SET TimeZone = '%s'" % zone)
            for blk in range(2):
                lo = z * 100 + 10 * blk
                pc.both("BEGIN")
                for k in range(3):
                    pc.both("INSERT INTO pc_now VALUES (%d, CURRENT_TIMESTAMP, now())" % (lo + k))
                pc.both("SELECT count(*) FROM pc_now WHERE id >= %d AND id < %d "
                        "AND ts = now()::timestamp AND tz = now()" % (lo, lo + 3))
                pc.both("END")
            pc.both("INSERT INTO pc_now VALUES (%d, CURRENT_TIMESTAMP, now())" % (z * 100 + 99))
    finally:
        pc.exec_both("RESET TimeZone")
    pc.both("SELECT count(DISTINCT ts), count(*) FROM pc_now")  # 9 starts, 21 rows
    pc.both("SELECT count(*) FROM pc_now WHERE ts = tz::timestamp")
    assert hits(pc) - before >= 20
