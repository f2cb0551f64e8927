"""Integer overflow answers PostgreSQL's 22003, never a wrong number.

SQLite computes every integer in int64 and turns an int64 overflow into a
REAL; emit.c wraps integer + - * and unary - (and smallint / integer
division and abs) in storage's mur_int_chk, once per chain of one type.
Every case runs on murphy and PostgreSQL (compare.py) in each place SQLite
meets the expression: the leader alone (no FROM), a follower's shard SQL
(select list, WHERE, UPDATE's SET), the leader's SQL over merged shard rows
(an aggregate's result), INSERT's values.
"""
import pytest


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    db.exec_both("DROP TABLE IF EXISTS ovf_t")
    db.exec_both("CREATE TABLE ovf_t (id int PRIMARY KEY, i2 smallint, i4 int, i8 bigint)")
    db.exec_both("INSERT INTO ovf_t VALUES (1, 32767, 2147483647, 9223372036854775807),"
                 " (2, -32768, -2147483648, -9223372036854775808), (3, 7, 11, 13),"
                 " (4, -1, -1, -1)")
    return db


OVERFLOWS = [
    # constants: the leader alone
    "SELECT 2147483647 + 1",
    "SELECT -2147483647 - 2",
    "SELECT 65536 * 65536",
    "SELECT (-2147483647 - 1) / -1",
    "SELECT -(-2147483647 - 1)",
    "SELECT abs(-2147483647 - 1)",
    "SELECT 9223372036854775807::bigint * 2",
    "SELECT 9223372036854775807::bigint + 1",
    "SELECT (-9223372036854775807)::bigint - 2",
    "SELECT -((-9223372036854775807)::bigint - 1)",
    "SELECT 32767::smallint + 1::smallint",
    "SELECT 200::smallint * 200::smallint",
    "SELECT (-32767)::smallint - 2::smallint",
    "SELECT 1 + 2 + 2147483647",
    # an intermediate past the range that the next step brings back (was answered)
    "SELECT 2147483647 + 1 - 1",
    "SELECT 32767::smallint + 1::smallint - 1::smallint",
    "SELECT (-2147483648) - 1 + 1",
    "SELECT id, i4 + 2147483647 - 2147483647 FROM ovf_t",
    # followers: select list and WHERE of a distributed table
    "SELECT id, i4 + 1 FROM ovf_t",
    "SELECT id, i4 * 2 FROM ovf_t",
    "SELECT id, -i4 FROM ovf_t",
    "SELECT id, i4 / -1 FROM ovf_t",
    "SELECT id, abs(i4) FROM ovf_t",
    "SELECT id, i2 + i2 FROM ovf_t",
    "SELECT id, -i2 FROM ovf_t",
    "SELECT id, i8 * 2 FROM ovf_t",
    "SELECT id, i8 - 1 FROM ovf_t",
    "SELECT id, i8 + 1 + 1 + 1 FROM ovf_t",
    "SELECT id FROM ovf_t WHERE i4 + 1 > 0",
    "SELECT id FROM ovf_t WHERE i8 * 3 < 0",
    "SELECT id FROM ovf_t WHERE i2 * 2::smallint = 0",
    # the leader over merged rows
    "SELECT max(i4) + 1 FROM ovf_t",
    "SELECT min(i8) - 1 FROM ovf_t",
    "SELECT count(*) * 9223372036854775807 FROM ovf_t",
]


@pytest.mark.parametrize("sql", OVERFLOWS)
def test_overflow_is_22003(db, sql):
    db.both_error(sql, "22003")


IN_RANGE = [
    # -2147483648 is an integer (was bigint), -9223372036854775808 a bigint
    "SELECT -2147483648, pg_typeof(-2147483648), -2147483649, pg_typeof(-2147483649), "
    "-9223372036854775808, pg_typeof(-9223372036854775808), pg_typeof(2147483648)",
    "SELECT 2147483647 + 1::bigint, 2147483647::bigint * 2, -(-2147483647 - 1)::bigint",
    "SELECT 32767::smallint + 1, 9223372036854775806 + 1, -9223372036854775807 - 1",
    "SELECT 2147483647 - 1 + 1, 46340 * 46340, (-2147483647 - 1) / 1, abs(-2147483647)",
    "SELECT id, i4 - 1, i4::bigint + 1, i2 - 1, i2 + 1::int, i8 / 2, -i8 FROM ovf_t"
    " WHERE id <> 2 ORDER BY id",
    "SELECT id, i4 + 1, i2 - 1::smallint, i8 + 1 FROM ovf_t WHERE id = 2",
    "SELECT id, i4 % -1, i8 % -1, i2 % -1::smallint FROM ovf_t ORDER BY id",
    "SELECT id FROM ovf_t WHERE i4::bigint + 1 > 2147483647 ORDER BY id",
    "SELECT sum(i4) + 1, max(i8) - 1, count(*) * 2 FROM ovf_t",
    "SELECT NULL::int + 2147483647, -NULL::bigint, NULL::smallint * 2",
]


@pytest.mark.parametrize("sql", IN_RANGE)
def test_in_range_same_as_postgres(db, sql):
    db.both(sql)


def test_writes_refuse_and_change_nothing(db):
    db.both_error("INSERT INTO ovf_t VALUES (10, 1, 2147483647 + 1, 0)", "22003")
    db.both_error("UPDATE ovf_t SET i4 = i4 + 1", "22003")
    db.both_error("UPDATE ovf_t SET i8 = i8 * 2 WHERE id = 1", "22003")
    db.both("SELECT * FROM ovf_t ORDER BY id")


SUMS = [
    # sum(bigint) is numeric, exact past 2^63, merged across the shards
    "SELECT sum(i8) FROM ovf_big",
    "SELECT sum(i8), avg(i8), count(*) FROM ovf_big",
    "SELECT g, sum(i8), avg(i8) FROM ovf_big GROUP BY g ORDER BY g",
    "SELECT sum(i8) FROM ovf_big WHERE id = 1",
    "SELECT sum(i8) + 1, sum(-i8) FROM ovf_big",
    "SELECT pg_typeof(sum(i8))::text FROM ovf_big",
    "SELECT id, sum(i8) OVER (ORDER BY id) FROM ovf_big ORDER BY id",
    "SELECT sum(x) FROM (SELECT i8 AS x FROM ovf_big ORDER BY id LIMIT 3) s",
    "SELECT sum(x), avg(x) FROM (VALUES (9223372036854775807::bigint), (2::bigint)) v(x)",
]


@pytest.mark.parametrize("sql", SUMS)
def test_sum_bigint_exact_past_2_63(db, sql):
    db.exec_both("DROP TABLE IF EXISTS ovf_big")
    db.exec_both("CREATE TABLE ovf_big (id int PRIMARY KEY, g int, i8 bigint)")
    db.exec_both("INSERT INTO ovf_big SELECT i, i % 2, 9223372036854775807 - i"
                 " FROM generate_series(1, 12) i")
    db.both(sql)
