"""PostgreSQL library functions that answered 42883 before issue 19's
"funcs" work — gcd, lcm, factorial, make_timestamp, ... — each checked
against a real PostgreSQL: over constants (on the leader) and over a
table's rows (on the followers), with NULLs, the types' edge values and
PostgreSQL's errors."""
import pytest

INTS = [(1, 12, 18, 12, 18, 1.5, 2.25), (2, -12, 18, -12, 18, -0.75, 0.5),
        (3, 0, 0, 0, 0, 0, 0), (4, None, 5, None, 5, None, 5),
        (5, 2147483647, 2147483646, 9223372036854775807, 9223372036854775806, 1e-3, 7),
        (6, -2147483648, 6, -9223372036854775808, 6, 123456.789, 0.001),
        (7, 7, 0, 7, 0, 0.0, 3.30)]


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    db.exec_both("DROP TABLE IF EXISTS fn_ints")
    db.exec_both("CREATE TABLE fn_ints (id int PRIMARY KEY, a int, b int, x bigint, y bigint, "
                 "n numeric, m numeric)")
    for row in INTS:
        db.exec_both("INSERT INTO fn_ints VALUES (%s, %s, %s, %s, %s, %s, %s)", row)
    return db


GCD = [
    "SELECT gcd(12, 18), lcm(12, 18), gcd(-12, 18), lcm(-12, -18), gcd(0, 0), lcm(0, 5), "
    "gcd(0, -7), gcd(NULL, 1), lcm(1, NULL)",
    "SELECT gcd(2147483647, 2147483646), gcd((-2147483648)::int, 2), lcm(65536, 32768), "
    "gcd((-2147483648)::int, 1)",
    "SELECT gcd(9223372036854775807, 6), gcd(-9223372036854775808, 1024), "
    "lcm(4294967296, 4294967296), gcd(12::int2, 18), gcd(12, 18::bigint)",
    "SELECT gcd(1.5, 2.25), lcm(1.5, 2.25), gcd(-0.75, 0.5), lcm(0.0, 3.30), "
    "gcd(12345678901234567890123, 9876543210), lcm(12::numeric, 18), gcd('NaN'::numeric, 4), "
    "gcd(6, 4.00)",
    "SELECT id, gcd(a, b), lcm(a, b), gcd(x, y), gcd(n, m), lcm(n, m), gcd(a, n) FROM fn_ints "
    "WHERE id <> 6 ORDER BY id",
    "SELECT id, gcd(a, b), gcd(x, 2) FROM fn_ints WHERE id = 6",
    "SELECT lcm(a, b), count(*) FROM fn_ints WHERE id < 5 GROUP BY lcm(a, b) ORDER BY 1",
    "SELECT id FROM fn_ints WHERE gcd(a, b) > 1 ORDER BY id",
    "SELECT factorial(0), factorial(1), factorial(5), factorial(20), factorial(25), "
    "factorial(NULL), factorial(100), factorial(3::int2), factorial(21::bigint)",
    "SELECT id, factorial(b), factorial(id) FROM fn_ints WHERE b < 30 ORDER BY id",
]


@pytest.mark.parametrize("sql", GCD)
def test_gcd_lcm_factorial(db, sql):
    db.both(sql)


@pytest.mark.parametrize("sql, sqlstate, message", [
    ("SELECT gcd((-2147483648)::int, 0)", "22003", "integer out of range"),
    ("SELECT gcd((-2147483648)::int, (-2147483648)::int)", "22003", "integer out of range"),
    ("SELECT lcm(2147483647, 2147483646)", "22003", "integer out of range"),
    ("SELECT lcm((-2147483648)::int, 1)", "22003", "integer out of range"),
    ("SELECT gcd(-9223372036854775808, 0)", "22003", "bigint out of range"),
    ("SELECT lcm(9223372036854775807, 2)", "22003", "bigint out of range"),
    ("SELECT id, lcm(a, b) FROM fn_ints", "22003", "integer out of range"),
    ("SELECT id, gcd(x, 0) FROM fn_ints", "22003", "bigint out of range"),
    ("SELECT factorial(-1)", "22003", "factorial of a negative number is undefined"),
    ("SELECT id, factorial(a) FROM fn_ints", "22003", None),
    ("SELECT gcd(1.5::float8, 2)", "42883", None),
    ("SELECT factorial(5.0)", "42883", None),
    ("SELECT gcd(1, 2, 3)", "42883", None),
    ("SELECT gcd(1::int2, 2::int2)", "42725", "function gcd(smallint, smallint) is not unique"),
])
def test_gcd_lcm_factorial_error(db, sql, sqlstate, message):
    err = db.both_error(sql, sqlstate)
    if message:
        assert str(err).startswith(message), err


def test_factorial_past_murphys_numeric_range(db):
    """PostgreSQL answers up to 32177!; murphy's numeric holds 1000 digits
    before the point (docs/decisions.md), so 500! is 22003 there."""
    db.both("SELECT factorial(449)")
    with pytest.raises(Exception) as e:
        db.murphy("SELECT factorial(500)")
    assert e.value.pgcode == "22003" and "value overflows numeric format" in str(e.value)


TIMES = [
    "SELECT make_timestamp(2024, 2, 29, 13, 45, 30.5), make_timestamp(1, 1, 1, 0, 0, 0), "
    "make_timestamp(9999, 12, 31, 23, 59, 59.999999), make_timestamp(2024, 1, 1, 24, 0, 0), "
    "make_timestamp(2024, 1, 31, 23, 59, 60), make_timestamp(2024, 1, 1, 0, 0, 1.0000004), "
    "make_timestamp(2024, 1, 1, 0, 0, 1.0000005), make_timestamp(NULL, 1, 1, 0, 0, 0), "
    "make_timestamp(2024, 1, 1, 0, 0, NULL), make_timestamp(2024, 1, 1, 0, 0, 7::int)",
    "SELECT id, make_timestamp(2000 + id, id, id + 20, id, id * 5, id * 1.25) FROM fn_ints "
    "WHERE id < 7 ORDER BY id",
    "SELECT id FROM fn_ints WHERE make_timestamp(2024, 1, id, 0, 0, 0) > '2024-01-04' ORDER BY id",
    "SELECT make_timestamptz(2024, 3, 10, 2, 30, 0), make_timestamptz(2024, 7, 1, 12, 0, 0.25), "
    "make_timestamptz(2024, 7, 1, 12, 0, 0, 'America/New_York'), "
    "make_timestamptz(2024, 1, 1, 0, 0, 0, '+05'), make_timestamptz(2024, 1, 1, 0, 0, 0, NULL), "
    "make_timestamptz(2024, 1, 1, 0, 0, 0, '-03:30'), make_timestamptz(2024, 1, 1, 0, 0, 0, 'EST')",
    "SELECT id, make_timestamptz(2024, id, 1, 8, 0, 0, 'Europe/Paris') FROM fn_ints ORDER BY id",
]


@pytest.mark.parametrize("sql", TIMES)
@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_make_timestamp(db, sql, zone):
    db.exec_both("SET TimeZone = '%s'" % zone)
    try:
        db.both(sql)
    finally:
        db.exec_both("SET TimeZone = 'UTC'")


@pytest.mark.parametrize("sql, message", [
    ("SELECT make_timestamp(2023, 2, 29, 0, 0, 0)", "date field value out of range: 2023-02-29"),
    ("SELECT make_timestamp(0, 1, 1, 0, 0, 0)", "date field value out of range: 0-01-01"),
    ("SELECT make_timestamp(2024, 13, 1, 0, 0, 0)", "date field value out of range"),
    ("SELECT make_timestamp(2024, 1, 1, 24, 0, 0.5)", "time field value out of range: 24:00:0.5"),
    ("SELECT make_timestamp(2024, 1, 1, 23, 60, 0)", "time field value out of range: 23:60:00"),
    ("SELECT make_timestamp(2024, 1, 1, 23, 0, 60.5)", "time field value out of range: 23:00:60.5"),
    ("SELECT make_timestamp(2024, 1, 1, -1, 0, 0)", "time field value out of range: -1:00:00"),
    ("SELECT make_timestamp(2024, 1, 1, 0, 0, -0.5)", "time field value out of range"),
    ("SELECT make_timestamptz(2023, 2, 29, 0, 0, 0, 'UTC')", "date field value out of range"),
    ("SELECT id, make_timestamp(2024, 2, 25 + id, 0, 0, 0) FROM fn_ints", "date field value"),
])
def test_make_timestamp_error(db, sql, message):
    err = db.both_error(sql, "22008")
    assert str(err).startswith(message), err


@pytest.mark.parametrize("sql", [
    "SELECT make_timestamp(10000, 1, 1, 0, 0, 0)", "SELECT make_timestamp(-44, 3, 15, 0, 0, 0)",
    "SELECT make_timestamptz(2024, 1, 1, 0, 0, 0, w) FROM (SELECT 'UTC' AS w) s"])
def test_make_timestamp_murphy_cannot_is_0A000(db, sql):
    with pytest.raises(Exception) as e:
        db.murphy(sql)
    assert e.value.pgcode == "0A000" and "make_timestamp" in str(e.value), e.value


INTERVALS = [
    "SELECT make_interval(days => 10), make_interval(hours => 36, mins => 5), "
    "make_interval(secs => 1.5), make_interval(1, 2, weeks => 3), make_interval(), "
    "make_interval(years => -1, secs => -0.25), make_interval(mins => 90, years => 2)",
    "SELECT make_interval(1, 2, 3, 4, 5, 6, 7.5), make_interval(0, 0, 0, 0, 0, 0, 0.0000005), "
    "make_interval(days => NULL), make_interval(1, NULL)",
    "SELECT id, make_interval(days => id, secs => n) FROM fn_ints ORDER BY id",
    "SELECT id FROM fn_ints WHERE date '2024-01-01' + make_interval(days => id) > "
    "'2024-01-04' ORDER BY id",
]


@pytest.mark.parametrize("sql", INTERVALS)
def test_make_interval(db, sql):
    db.both(sql)


@pytest.mark.parametrize("sql, sqlstate", [
    ("SELECT make_interval(day => 3)", "42883"),
    ("SELECT make_interval(days => 3, days => 4)", "42601"),
])
def test_make_interval_error(db, sql, sqlstate):
    db.both_error(sql, sqlstate)


@pytest.fixture(scope="module")
def blobs(db):
    db.exec_both("DROP TABLE IF EXISTS fn_blobs")
    db.exec_both("CREATE TABLE fn_blobs (id int PRIMARY KEY, b bytea)")
    for row in [(1, b"\x00\x01\xff"), (2, b""), (3, None), (4, b"abcabc"), (5, b"\x80")]:
        db.exec_both("INSERT INTO fn_blobs VALUES (%s, %s)", row)
    return db


BYTES = [
    "SELECT get_byte('\\x01ff80'::bytea, 0), get_byte('\\x01ff80'::bytea, 1), "
    "get_byte('\\x01ff80', 2), get_byte(NULL::bytea, 0), get_byte('\\x00'::bytea, NULL)",
    "SELECT set_byte('\\x010203'::bytea, 1, 255), set_byte('\\x010203'::bytea, 2, 256 + 65), "
    "set_byte('\\x01'::bytea, 0, -1), set_byte('\\x01'::bytea, 0, NULL), "
    "set_byte(NULL::bytea, 0, 1)",
    "SELECT position('\\x02'::bytea in '\\x010203'::bytea), position(''::bytea in '\\x01'::bytea), "
    "position('\\x04'::bytea in '\\x010203'::bytea), position('c'::bytea in 'abcabc'::bytea), "
    "position(NULL::bytea in '\\x01'::bytea), position('\\x00'::bytea in ''::bytea)",
    "SELECT id, get_byte(b, 0), set_byte(b, 0, 7), position('\\xff'::bytea in b), "
    "position('bc'::bytea in b) FROM fn_blobs WHERE length(b) > 0 ORDER BY id",
    "SELECT id FROM fn_blobs WHERE position('c'::bytea in b) = 3 ORDER BY id",
    "SELECT get_bit('\\x01ff80'::bytea, 0), get_bit('\\x01ff80'::bytea, 1), "
    "get_bit('\\x01ff80'::bytea, 23), get_bit('\\x01ff80'::bytea, 22), "
    "set_bit('\\x0000'::bytea, 9, 1), set_bit('\\xffff'::bytea, 15, 0), "
    "set_bit('\\x01'::bytea, 0, 1), get_bit(NULL::bytea, 0), set_bit('\\x01'::bytea, 0, NULL)",
    "SELECT id, get_bit(b, 7), set_bit(b, 3, 1) FROM fn_blobs WHERE length(b) > 0 ORDER BY id",
]


@pytest.mark.parametrize("sql", BYTES)
def test_bytea_bytes(blobs, sql):
    blobs.both(sql)


@pytest.mark.parametrize("sql, message", [
    ("SELECT get_byte('\\x0102'::bytea, 2)", "index 2 out of valid range, 0..1"),
    ("SELECT get_byte('\\x0102'::bytea, -1)", "index -1 out of valid range, 0..1"),
    ("SELECT get_byte(''::bytea, 0)", "index 0 out of valid range, 0..-1"),
    ("SELECT set_byte('\\x01'::bytea, 1, 0)", "index 1 out of valid range, 0..0"),
    ("SELECT id, get_byte(b, 2) FROM fn_blobs", "index 2 out of valid range"),
    ("SELECT get_bit('\\x0102'::bytea, 16)", "index 16 out of valid range, 0..15"),
    ("SELECT set_bit(''::bytea, 0, 1)", "index 0 out of valid range, 0..-1"),
])
def test_bytea_bytes_error(blobs, sql, message):
    err = blobs.both_error(sql, "2202E")
    assert str(err).startswith(message), err


def test_set_bit_not_0_or_1(blobs):
    err = blobs.both_error("SELECT set_bit('\\x01'::bytea, 0, 2)", "22023")
    assert str(err).startswith("new bit must be 0 or 1"), err


DATES = [
    "SELECT to_date('2024-02-29', 'YYYY-MM-DD'), to_date('20240131', 'YYYYMMDD'), "
    "to_date('05 Dec 2000', 'DD Mon YYYY'), to_date('December 5, 1999', 'Month DD, YYYY'), "
    "to_date('5/7/24', 'FMMM/FMDD/YY'), to_date('31.12.69', 'DD.MM.YY'), "
    "to_date('31.12.70', 'DD.MM.YY'), to_date(NULL, 'YYYY'), to_date('2024', NULL)",
    "SELECT to_date('2024', 'YYYY-MM-DD'), to_date('2024-00-00', 'YYYY-MM-DD'), "
    "to_date('  2024 - 3 - 9', 'YYYY-MM-DD'), to_date('2024-03-09 junk', 'YYYY-MM-DD'), "
    "to_date('2024x03x09', 'YYYY-MM-DD'), to_date('2024--03-09', 'YYYY-MM-DD'), "
    "to_date('2024T0309', 'YYYY\"T\"MMDD'), to_date('jan 2 2001', 'mon DD YYYY'), "
    "to_date('2001 FEBRUARY 3', 'YYYY MONTH DD'), to_date('1-2-2003', 'FMDD-FMMM-YYYY')",
    "SELECT to_date('2024-3-9', 'YYYY-MM-DD'), to_date('  12 march 2020', 'DD month YYYY'), "
    "to_date('2020-03', 'YYYY-MM'), to_date('2020/03/04', 'YYYY-MM-DD'), "
    "to_date('99-1-1', 'YY-MM-DD'), to_date('2020 03 04', 'YYYY MM DD'), "
    "to_date('Sep 3, 2021', 'Mon DD, YYYY'), to_date('2021-09-03', 'FMYYYY-FMMM-FMDD')",
    "SELECT id, to_date('2024-' || id || '-1' || id, 'YYYY-MM-DD') FROM fn_ints ORDER BY id",
    "SELECT id FROM fn_ints WHERE to_date('2024-01-0' || id, 'YYYY-MM-DD') > '2024-01-03' "
    "ORDER BY id",
]


@pytest.mark.parametrize("sql", DATES)
def test_to_date(db, sql):
    db.both(sql)


@pytest.mark.parametrize("sql, sqlstate, message", [
    ("SELECT to_date('2024-02-30', 'YYYY-MM-DD')", "22008",
     'date/time field value out of range: "2024-02-30"'),
    ("SELECT to_date('2024-13-01', 'YYYY-MM-DD')", "22008", "date/time field value out of range"),
    ("SELECT to_date('2024-ab-01', 'YYYY-MM-DD')", "22007", 'invalid value "ab" for "MM"'),
    ("SELECT to_date('2024 Foo 01', 'YYYY Mon DD')", "22007", 'invalid value'),
    ("SELECT to_date('2024011', 'YYYYMMDDYY')", "22007",
     'source string too short for "DD" formatting field'),
    ("SELECT id, to_date('2024-02-' || (27 + id), 'YYYY-MM-DD') FROM fn_ints", "22008", None),
])
def test_to_date_error(db, sql, sqlstate, message):
    err = db.both_error(sql, sqlstate)
    if message:
        assert str(err).startswith(message), err


@pytest.mark.parametrize("sql", [
    "SELECT to_date('2024-05', 'YYYY-WW')", "SELECT to_date('10000-01-01', 'YYYY-MM-DD')",
    "SELECT to_date('05-01', 'MM-DD')"])
def test_to_date_murphy_cannot_is_0A000(db, sql):
    with pytest.raises(Exception) as e:
        db.murphy(sql)
    assert e.value.pgcode == "0A000" and "to_date" in str(e.value), e.value


@pytest.fixture(scope="module")
def bits(db):
    db.exec_both("DROP TABLE IF EXISTS fn_bits")
    db.exec_both("CREATE TABLE fn_bits (id int PRIMARY KEY, g int, a int, x bigint, s smallint)")
    rows = [(i, i % 3, (i * 37) % 256 if i % 5 else None, (i * 7919) << (i % 40),
             i % 7 - 3) for i in range(1, 41)]
    rows.append((41, 9, None, None, None))
    db.exec_both("INSERT INTO fn_bits VALUES " + ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows)),
                 [v for r in rows for v in r])
    return db


BITS = [
    "SELECT bit_and(a), bit_or(a), bit_xor(a), bit_and(x), bit_or(x), bit_xor(x), "
    "bit_and(s), bit_or(s), bit_xor(s) FROM fn_bits",
    "SELECT g, bit_and(a), bit_or(a), bit_xor(a), bit_xor(x), bit_or(s) FROM fn_bits "
    "GROUP BY g ORDER BY g",
    "SELECT a % 4, bit_xor(id), bit_or(x) FROM fn_bits GROUP BY a % 4 ORDER BY 1",
    "SELECT bit_and(a), bit_or(a), bit_xor(a) FROM fn_bits WHERE id > 100",
    "SELECT bit_or(a) FILTER (WHERE g = 1), bit_or(DISTINCT g), bit_and(DISTINCT s) FROM fn_bits",
    "SELECT id, bit_and(a) FROM fn_bits WHERE id = 7 GROUP BY id",
    "SELECT g FROM fn_bits GROUP BY g HAVING bit_or(a) > 200 ORDER BY g",
    "SELECT t.g, bit_or(u.a), bit_xor(u.x) FROM fn_bits t JOIN fn_bits u ON t.id = u.g "
    "GROUP BY t.g ORDER BY t.g",
    "SELECT g, bit_xor(a) FROM fn_bits GROUP BY g ORDER BY bit_xor(a) DESC LIMIT 2",
    "SELECT bit_and(v), bit_or(v), bit_xor(v) FROM (VALUES (12), (10), (NULL::int)) t(v)",
]


@pytest.mark.parametrize("sql", BITS)
def test_bit_aggregates(bits, sql):
    bits.both(sql)


@pytest.mark.parametrize("sql", ["SELECT bit_and(1.5)", "SELECT bit_or('a'::text)",
                                 "SELECT bit_xor(true)"])
def test_bit_aggregates_error(bits, sql):
    bits.both_error(sql, "42883")


@pytest.mark.parametrize("sql, what", [
    ("SELECT bit_xor(DISTINCT g) FROM fn_bits", "bit_xor(DISTINCT"),
    ("SELECT id, bit_and(a) OVER (ORDER BY id) FROM fn_bits", "bit_and as a window function")])
def test_bit_aggregates_murphy_cannot_is_0A000(bits, sql, what):
    with pytest.raises(Exception) as e:
        bits.murphy(sql)
    assert e.value.pgcode == "0A000" and what in str(e.value), e.value
