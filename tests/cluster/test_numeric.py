"""numeric with PostgreSQL's semantics (issue 19), differential against a
real PostgreSQL 15 on the same rows, compared EXACTLY: every value as its
text (Decimal keeps the scale: 1.50 is not 1.5), not with the float
tolerance the other differential tests use.  Covers the issue's examples
(12345678901234567890.123456789 round trips, 1.005::numeric(10,2) = 1.01),
22003 on overflow, the result scales of + - * / %, round/trunc/ceil/floor/
abs/sign, casts, exact sum/avg/min/max over a distributed table whose
values lose precision as doubles, GROUP BY and ORDER BY numeric, a numeric
primary key (1.0 and 1.00 are one key), COPY and NULLs."""
import io
import random

import pytest

from compare import exact, run

ROWS = 3000


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    rnd = random.Random(19)
    for t in ("num_money", "num_key", "num_copy"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE num_money (id int PRIMARY KEY, amt numeric(20,2), "
                 "x numeric, grp text)")
    vals = []
    for i in range(ROWS):
        amt = None if i % 97 == 0 else "%d.%02d" % (rnd.randint(-500, 100000), rnd.randint(0, 99))
        # digits a double cannot hold: 17 before the point, 3-9 after
        x = None if i % 89 == 0 else "%d%015d.%s" % (
            rnd.randint(1, 99), rnd.randint(0, 10**15 - 1),
            "".join(rnd.choice("0123456789") for _ in range(rnd.randint(3, 9))))
        vals.append((i, amt, x, "g%d" % (i % 7)))
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            for k in range(0, ROWS, 500):
                part = vals[k:k + 500]
                cur.execute("INSERT INTO num_money VALUES " +
                            ",".join(["(%s,%s::numeric,%s::numeric,%s)"] * len(part)),
                            [v for r in part for v in r])
    return db


CONSTANTS = [
    "SELECT 12345678901234567890.123456789 AS v",
    "SELECT '12345678901234567890.123456789'::numeric AS v",
    "SELECT 1.005::numeric(10,2) AS a, -1.005::numeric(10,2) AS b, 2.5::numeric(3,0) AS c",
    "SELECT '1.50'::numeric AS a, 1.500 AS b, 0.0 AS c, '-0.00'::numeric AS d, '1e3'::numeric AS e,"
    " '1.5e-3'::numeric AS f",
    "SELECT 1.50 + 2.250 AS a, 1.50 - 2 AS b, 1.5 * 2.25 AS c, 12345678901234567890 * 98765432109876543210.5 AS d",
    "SELECT 10 / 3.0 AS a, 1 / 3::numeric AS b, 2.0 / 3 AS c, 100::numeric / 7 AS d,"
    " 1e-10 / 3 AS e, 123456789.123 / 0.001 AS f, 1.000000 / 8 AS g, 9999 / 10000.0 AS h",
    "SELECT 7.5 % 2 AS a, -7.5 % 2 AS b, 10 % 3.25 AS c, -(1.50) AS d, -(-2.5) AS e",
    "SELECT round(2.5) AS a, round(-2.5) AS b, round(1.2345, 2) AS c, round(1234.5, -2) AS d,"
    " trunc(1.2399, 2) AS e, trunc(-1.99) AS f, ceil(-1.5) AS g, floor(-1.5) AS h,"
    " abs(-1.50) AS i, sign(-1.50) AS j, sign(0.0) AS k",
    "SELECT 1.5::numeric::int AS a, 2.5::int AS b, (-2.5)::int AS c, 1.25::numeric::float8 AS d,"
    " 0.1::float8::numeric AS e, '3.140'::text::numeric AS f, 3.140::numeric::text AS g,"
    " 42::numeric AS h, 9007199254740993::numeric AS i",
    "SELECT 1.10 = 1.1 AS a, 1.10 < 1.2 AS b, 10.0 > 9 AS c, 2 >= 2.000 AS d, 1.5 <> 1.50 AS e",
    "SELECT NULL::numeric + 1 AS a, 1.5 * NULL AS b",
    # numeric among floats in IN compares as float8 (PostgreSQL's common type)
    "SELECT 1.0000000000000001::numeric IN (1.0::float8, 2.0::float8) AS a,"
    " 1.0000000000000001::numeric NOT IN (1.0::float8, 2.5) AS b, 0.1::float4 IN (0.1) AS c",
    "SELECT count(*) FROM num_money WHERE amt + 0.000000000000000000001 IN"
    " (SELECT amt::float8 FROM num_money WHERE id < 300)",
    # float4::numeric keeps FLT_DIG (6) significant digits, as float4_numeric
    "SELECT 0.1::float4::numeric AS a, 1234.5678::real::numeric AS b, (-3.3e-5)::real::numeric AS c,"
    " 1e-40::real::numeric AS d, 123.456::real::numeric(10,4) AS e, 16777217::real::numeric AS f",
    "SELECT sum(x::real::numeric) AS a, var_pop(x::real::numeric) AS b FROM (VALUES (0.1), (2.7),"
    " (1234.5678)) v(x)",
]


@pytest.mark.parametrize("sql", CONSTANTS)
def test_constants_and_scales(db, sql):
    exact(db, sql)


TABLE = [
    "SELECT sum(amt), avg(amt), min(amt), max(amt), count(amt) FROM num_money",
    "SELECT sum(x), avg(x), min(x), max(x) FROM num_money",
    "SELECT grp, sum(amt), avg(amt), sum(x), min(x), max(amt) FROM num_money GROUP BY grp ORDER BY grp",
    "SELECT sum(amt * 3), sum(amt / 4), sum(x - amt) FROM num_money",
    "SELECT id, amt, x FROM num_money ORDER BY amt DESC NULLS LAST, id LIMIT 20",
    "SELECT id, x FROM num_money ORDER BY x, id LIMIT 20",
    "SELECT id, amt FROM num_money WHERE amt > 99990.5 ORDER BY id",
    "SELECT count(*) FROM num_money WHERE amt BETWEEN 100 AND 200.50",
    "SELECT id FROM num_money WHERE amt IN (100.1::float8, 250.25::float8, 0.5) ORDER BY id",
    "SELECT count(*) FROM num_money WHERE amt IN (SELECT x::float8 FROM num_money WHERE id < 300)",
    "SELECT amt, count(*) FROM num_money WHERE amt < 0 GROUP BY amt ORDER BY amt",
    "SELECT id, amt FROM num_money WHERE id = 5",
    "SELECT sum(amt) FROM num_money WHERE id = 7",
    "SELECT avg(id) FROM num_money",
    "SELECT sum(amt), avg(amt) FROM num_money WHERE amt IS NULL",
    "SELECT id, round(amt / 3, 4), amt::int, abs(x - 1) FROM num_money WHERE id < 10",
    "SELECT id FROM num_money WHERE amt IN (SELECT amt * 1.000 FROM num_money WHERE id < 50)",
    "SELECT id FROM num_money WHERE id IN (SELECT amt / 100 FROM num_money WHERE id < 500)",
    "SELECT count(*) FROM num_money WHERE amt > ALL (SELECT amt FROM num_money WHERE id < 100)",
    "SELECT grp, sum(x), min(amt), max(x), avg(amt) FROM num_money GROUP BY ROLLUP (grp) ORDER BY grp",
]


@pytest.mark.parametrize("sql", TABLE)
def test_distributed_table(db, sql):
    exact(db, sql)


def test_row_arithmetic_of_every_size(db):
    # + - * per row over operands of 1 to 22 digits, scales 0 to 9, signs
    # and zeros mixed: the int64 fast path (storage/sqlfn_numeric.c) where
    # they fit, GMP where a step overflows, the same text as PostgreSQL
    rnd = random.Random(23)
    db.exec_both("DROP TABLE IF EXISTS num_ops")
    db.exec_both("CREATE TABLE num_ops (id int PRIMARY KEY, a numeric, b numeric, c numeric)")

    def val():
        digits, scale = rnd.randint(1, 22), rnd.randint(0, 9)
        if rnd.random() < 0.05:
            return "0." + "0" * scale if scale else "0"
        d = "".join(rnd.choice("0123456789") for _ in range(digits)).lstrip("0") or "0"
        text = d if scale == 0 else (d[:-scale] or "0") + "." + d[-scale:].rjust(scale, "0")
        return ("-" if rnd.random() < 0.4 else "") + text
    rows = [(i, val(), val(), val()) for i in range(600)]
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.execute("INSERT INTO num_ops VALUES " + ",".join(
                cur.mogrify("(%s, %s::numeric, %s::numeric, %s::numeric)", r).decode()
                for r in rows))
    exact(db, "SELECT id, a + b, a - b, a * b, a * b * c, (1 - a) * (1 + b), a + b - c "
              "FROM num_ops ORDER BY id")
    exact(db, "SELECT sum(a * b), sum(a - c) FROM num_ops")


def test_sum_is_exact_where_double_is_not(db):
    """The sum of x over 3000 rows has ~26 significant digits: a double
    sum (murphy's before) gets its last digits wrong."""
    (s,), = exact(db, "SELECT sum(x) FROM num_money")
    digits = s.replace("-", "").replace(".", "").lstrip("0")
    assert len(digits) > 17
    assert float(s) != 0


def test_typmod_in_catalog(db):
    exact(db, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
              "WHERE attrelid = 'num_money'::regclass AND attname IN ('amt', 'x') ORDER BY attnum")


def test_overflow_22003(db):
    for sql in ("SELECT 123.45::numeric(4,2)", "SELECT 99.995::numeric(4,2)",
                "SELECT 1::numeric(2,2)",
                "INSERT INTO num_money VALUES (100000, 1e18, 1, 'x')"):
        db.both_error(sql, "22003")
    err = db.both_error("SELECT 123.45::numeric(4,2)", "22003")
    assert "numeric field overflow" in str(err)
    db.both_error("SELECT 1 / 0.0", "22012")
    db.both_error("SELECT 'abc'::numeric", "22P02")


def test_insert_rounds_to_column_scale(db):
    db.exec_both("INSERT INTO num_money VALUES (200000, 1.005, 2.50, 'r'), (200001, -0.125, 1e2, 'r')")
    exact(db, "SELECT id, amt, x FROM num_money WHERE id >= 200000 ORDER BY id")
    db.exec_both("UPDATE num_money SET x = x * 2, amt = amt / 3 WHERE id = 200000")
    exact(db, "SELECT id, amt, x FROM num_money WHERE id >= 200000 ORDER BY id")
    db.both_error("UPDATE num_money SET amt = 1e19 WHERE id = 200001", "22003")
    db.exec_both("DELETE FROM num_money WHERE id >= 200000")


def test_numeric_primary_key(db):
    db.exec_both("CREATE TABLE num_key (k numeric PRIMARY KEY, v int)")
    db.exec_both("INSERT INTO num_key VALUES (1.0, 1), (2.50, 2), (12345678901234567890.123456789, 3)")
    mo = run(db.m, "INSERT INTO num_key VALUES (1.00, 9)")
    po = run(db.p, "INSERT INTO num_key VALUES (1.00, 9)")
    assert po.error is not None and po.error.pgcode == "23505"
    assert mo.error is not None and mo.error.pgcode == "23505", mo
    for sql in ("SELECT k, v FROM num_key WHERE k = 1",
                "SELECT k, v FROM num_key WHERE k = 2.5000",
                "SELECT k, v FROM num_key WHERE k = 12345678901234567890.123456789",
                "SELECT k, v FROM num_key ORDER BY k",
                "SELECT k, v FROM num_key WHERE k > 2 ORDER BY k"):
        exact(db, sql)


def test_copy_numerics(db):
    db.exec_both("CREATE TABLE num_copy (id int, v numeric(30,4), w numeric)")
    data = "1\t12345678901234567890.12345\t1.50\n2\t\\N\t-0.001\n3\t-5\t12345678901234567890.123456789\n"
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.copy_expert("COPY num_copy FROM STDIN", io.StringIO(data))
    exact(db, "SELECT id, v, w FROM num_copy ORDER BY id")
    exact(db, "SELECT sum(v), sum(w), avg(w) FROM num_copy")


def test_text_output_over_wire(cluster):
    """psql-style raw text: exactly PostgreSQL's numeric_out."""
    conn = cluster.connect()
    try:
        cur = conn.cursor()
        cur.execute("SELECT 12345678901234567890.123456789::text, (1.005::numeric(10,2))::text")
        assert cur.fetchone() == ("12345678901234567890.123456789", "1.01")
    finally:
        conn.close()


MIXED = [
    # one value written with several scales on several shards: one group, one
    # distinct value, one join match (PostgreSQL compares numerics by value)
    "SELECT x + 0.00 AS k, count(*) FROM num_mixed GROUP BY x ORDER BY 1",
    "SELECT count(*) FROM (SELECT DISTINCT x FROM num_mixed) s",
    "SELECT count(DISTINCT x) FROM num_mixed",
    "SELECT g, count(DISTINCT x) FROM num_mixed GROUP BY g ORDER BY g",
    "SELECT a.id, b.id FROM num_mixed a JOIN num_mixed2 b ON a.x = b.y ORDER BY 1, 2",
    "SELECT count(*) FROM num_mixed a JOIN num_mixed2 b ON a.x = b.y",
    "SELECT b.y + 0.00 AS k, count(*) FROM num_mixed a JOIN num_mixed2 b ON a.x = b.y"
    " GROUP BY b.y ORDER BY 1",
]


@pytest.fixture(scope="module")
def mixed(db):
    for t in ("num_mixed", "num_mixed2"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE num_mixed (id int PRIMARY KEY, x numeric, g int)")
    db.exec_both("CREATE TABLE num_mixed2 (id int PRIMARY KEY, y numeric)")
    xs = ["1", "1.0", "1.00", "2.5", "2.50", "-0.0", "0", "0.00", "-3.10", "-3.1", "10", "10.0"]
    rows = ",".join("(%d, %s, %d)" % (i, xs[i % len(xs)], i % 3) for i in range(240))
    db.exec_both("INSERT INTO num_mixed VALUES " + rows)
    ys = ["1.000", "2.5", "0.0", "-3.100", "10.00", "7"]
    db.exec_both("INSERT INTO num_mixed2 VALUES " +
                 ",".join("(%d, %s)" % (i, ys[i % len(ys)]) for i in range(30)))
    return db


@pytest.mark.parametrize("strategy", ["auto", "repartition", "gather"])
@pytest.mark.parametrize("sql", MIXED)
def test_mixed_scales_are_one_value(mixed, sql, strategy):
    """Shards merged on the leader, and repartitioned by the numeric key
    (the shards hash 1.0 and 1 to one owner; the owner's tables compare
    by value)."""
    with mixed.m.cursor() as cur:
        cur.execute("SET murphy.shuffle_strategy = %s", (strategy,))
        cur.execute("SET murphy.join_strategy = %s",
                    ("broadcast" if strategy == "gather" else strategy,))
    try:
        exact(mixed, sql)
    finally:
        with mixed.m.cursor() as cur:
            cur.execute("RESET murphy.shuffle_strategy")
            cur.execute("RESET murphy.join_strategy")


WINDOWS = [
    # numeric aggregates over windows and the variance family stay exact
    "SELECT id, sum(amt) OVER (ORDER BY id) FROM num_money WHERE id < 40 ORDER BY id",
    "SELECT id, sum(x) OVER (PARTITION BY grp ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)"
    " FROM num_money WHERE id < 60 ORDER BY id",
    "SELECT id, avg(amt) OVER (PARTITION BY grp) FROM num_money WHERE id < 30 ORDER BY id",
    "SELECT id, min(x) OVER w, max(amt) OVER w FROM num_money WHERE id < 30"
    " WINDOW w AS (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) ORDER BY id",
    "SELECT grp, variance(amt), stddev(amt), var_pop(amt), stddev_pop(amt) FROM num_money"
    " GROUP BY grp ORDER BY grp",
    "SELECT variance(x), stddev_samp(x) FROM num_money",
    "SELECT variance(id), stddev_pop(id), var_samp(id % 7) FROM num_money",
    "SELECT variance(amt), stddev(x) FROM num_money WHERE id = 3",
    "SELECT variance(amt), stddev_pop(amt) FROM num_money WHERE id IN (3, 4)",
    "SELECT grp, variance(amt) FROM num_money WHERE amt IS NULL GROUP BY grp ORDER BY grp",
    "SELECT id, variance(amt) OVER (ORDER BY id ROWS BETWEEN 3 PRECEDING AND CURRENT ROW),"
    " stddev_pop(x) OVER (PARTITION BY grp) FROM num_money WHERE id < 40 ORDER BY id",
    "SELECT grp, variance(x), stddev(amt) FROM num_money GROUP BY ROLLUP (grp) ORDER BY grp",
]


@pytest.mark.parametrize("sql", WINDOWS)
def test_windows_and_variance_exact(db, sql):
    exact(db, sql)
