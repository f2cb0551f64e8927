"""PostgreSQL's text and math functions (issue 19), each checked against a real
PostgreSQL on the same rows: on the followers (in a scan, a WHERE, a GROUP
BY) and on the leader (over constants).  The rows hold what breaks text
functions: NULLs, '', multi-byte UTF-8 (2-, 3- and 4-byte characters),
delimiters at the edges and doubled."""
import pytest

from compare import exact

WORDS = [
    (1, "hello world", ","),
    (2, "", ","),
    (3, None, None),
    (4, "a,b,,c", ","),
    (5, ",lead,trail,", ","),
    (6, "h\u00e9llo w\u00f6rld", " "),
    (7, "\u00fcmlaut-Stra\u00dfe 3rd x", "-"),
    (8, "\U0001F600 smile \u20ac", " "),
    (9, "MiXeD cAsE wOrDs_and-dashes", "_"),
    (10, "x", "x"),
    (11, "abc", ""),
    (12, "one::two::three", "::"),
]


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    db.exec_both("DROP TABLE IF EXISTS words")
    db.exec_both("CREATE TABLE words (id int PRIMARY KEY, w text, d text)")
    for row in WORDS:
        db.exec_both("INSERT INTO words VALUES (%s, %s, %s)", row)
    return db


QUERIES = [
    "SELECT id, lpad(w, 8), rpad(w, 8), lpad(w, 14, 'xy'), rpad(w, 14, '\u00e9\u20ac') FROM words",
    "SELECT id, lpad(w, 3), rpad(w, 2, '*'), lpad(w, 0), rpad(w, -1), lpad(w, 20, '') FROM words",
    "SELECT id, concat_ws(',', w, d, id), concat_ws(d, w, NULL, 'z'), concat_ws(NULL, w) FROM words",
    "SELECT concat_ws('-', NULL), concat_ws('', 'a', 'b'), concat_ws('-', 1, 2.5, true)",
    "SELECT id, concat(w, id > 5, NULL::bool, d) FROM words",
    "SELECT id, split_part(w, d, 1), split_part(w, d, 2), split_part(w, d, 3), "
    "split_part(w, d, 9) FROM words",
    "SELECT id, split_part(w, d, -1), split_part(w, d, -2), split_part(w, d, -9) FROM words",
    "SELECT id, split_part(w, ',', 2) FROM words WHERE split_part(w, ',', 1) = 'a'",
    "SELECT id, md5(w), md5(d) FROM words",
    "SELECT md5(''), md5('\u00e9'), md5(repeat('a', 64))",
    "SELECT id, repeat(w, 3), repeat(w, 0), repeat(w, -2), repeat(d, 1) FROM words",
    "SELECT id, reverse(w), initcap(w), translate(w, 'lo\u00e9 ', 'L0E') FROM words",
    "SELECT id, translate(w, '', 'x'), translate(w, 'abc', ''), translate(w, 'aa', 'xy') FROM words",
    "SELECT id, starts_with(w, 'h'), starts_with(w, ''), starts_with(w, w || 'x') FROM words",
    "SELECT id FROM words WHERE starts_with(w, 'h') ORDER BY id",
    "SELECT id, ascii(w), octet_length(w), length(w) FROM words",
    "SELECT chr(65), chr(233), chr(8364), chr(128512), chr(127), chr(2047), chr(65535)",
    "SELECT ascii(chr(128512)), octet_length(chr(128512)), reverse(chr(233) || 'ab')",
    "SELECT initcap(w), count(*) FROM words GROUP BY initcap(w)",
    "SELECT md5(w) AS h FROM words WHERE md5(w) > '8' ORDER BY h",
    "SELECT id, lpad(reverse(w), 12, '.') || rpad(upper(w), 4) AS x FROM words ORDER BY id",
    # format(): on the followers and over constants
    "SELECT id, format('%s|%L|%s', w, w, d), format('[%10s][%-6s]', w, d), format(w) FROM words",
    "SELECT id, format('%I', d) FROM words WHERE d IS NOT NULL",
    "SELECT format('%s-%L-%I', 'x', 'y''z', 'Col'), format('%s %s', 'a', NULL), format(NULL), "
    "format('%L %L %L', NULL, 'a\\b', 42), format('%%%s%%', 'p'), format('%s', true)",
    "SELECT format('%2$s %1$s %s', 'a', 'b'), format('|%*s|%-*s|', 5, 'x', 4, 'y'), "
    "format('|%*s|', -5, 'x'), format('%3$s %1$*2$s', 'x', 6, 'y'), format('%5s|', chr(233))",
    "SELECT format('%I', 'abc'), format('%I', '1a'), format('%I', 'a\"b'), format('%I', 'A b')",
    # %I and quote_ident quote the keywords PostgreSQL reserves (were bare)
    "SELECT format('%I %I %I %I %I %I %I', 'select', 'user', 'int', 'left', 'abort', 'between', "
    "'name')",
    "SELECT quote_ident('select'), quote_ident('name'), quote_ident(''), quote_ident('user')",
    "SELECT format('%s|%s|%s', 1.50::numeric(5, 2), date '2024-02-29', ARRAY[1, NULL])",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_text_function(db, sql):
    db.both(sql)


@pytest.mark.parametrize("sql, sqlstate", [
    ("SELECT split_part(w, ',', 0) FROM words", "22023"),
    ("SELECT split_part('a,b', ',', 0)", "22023"),
    ("SELECT chr(0)", "54000"),
    ("SELECT chr(1114112)", "54000"),
    ("SELECT chr(-1)", "22023"),
    ("SELECT chr(55296)", "54000"),
    ("SELECT concat_ws('-')", "42883"),
    ("SELECT repeat('xy', 2000000000)", "54000"),
    ("SELECT lpad('x', 2000000000, 'ab')", "54000"),
    ("SELECT lpad(5, 3)", "42883"),
    ("SELECT md5(1)", "42883"),
    ("SELECT starts_with(w) FROM words", "42883"),
    ("SELECT format('%s %s', 1)", "22023"),
    ("SELECT format('%x', 1)", "22023"),
    ("SELECT format('%', 1)", "22023"),
    ("SELECT format('%0$s', 1)", "22023"),
    ("SELECT format('%I', NULL)", "22004"),
    ("SELECT format('%I', w) FROM words", "22004"),
])
def test_text_function_error(db, sql, sqlstate):
    db.both_error(sql, sqlstate)


@pytest.mark.parametrize("sql", [
    "SELECT make_date(2024, 2, 29), make_date(2023, 12, 31), make_date(1, 1, 1), "
    "make_date(9999, 12, 31), make_date(2024, 1, NULL)",
    "SELECT make_date(2024, 1, 31) + interval '1 month', make_date(2024, 3, 1) - 1, "
    "extract(dow from make_date(2024, 5, 17))",
    "SELECT id, make_date(2000 + id, 1 + id % 12, 1 + id) FROM words ORDER BY id",
    # isfinite (was 42883)
    "SELECT isfinite(date 'infinity'), isfinite(date '-infinity'), isfinite(date '2024-01-01'), "
    "isfinite(timestamp 'infinity'), isfinite(timestamptz '2024-01-01 10:00+02'), "
    "isfinite(NULL::date), isfinite(now()), isfinite(interval '1 day')",
    "SELECT id, isfinite(CASE WHEN id % 2 = 0 THEN date 'infinity' ELSE make_date(2024, 1, id) "
    "END) FROM words ORDER BY id",
])
def test_make_date(db, sql):
    db.both(sql)


@pytest.mark.parametrize("sql, sqlstate", [
    ("SELECT make_date(2024, 2, 30)", "22008"),
    ("SELECT make_date(2023, 2, 29)", "22008"),
    ("SELECT make_date(0, 2, 3)", "22008"),
    ("SELECT make_date(2024, 13, 1)", "22008"),
    ("SELECT make_date(2024, 1, 0)", "22008"),
    ("SELECT id, make_date(2024, 2, 20 + id) FROM words", "22008"),
    ("SELECT make_date(2024, 1.5, 1)", "42883"),
])
def test_make_date_error(db, sql, sqlstate):
    err = db.both_error(sql, sqlstate)
    if sqlstate == "22008":
        assert str(err).startswith("date field value out of range: ")


def test_make_date_murphy_cannot_hold_is_0A000(db):
    for sql in ("SELECT make_date(-44, 3, 15)", "SELECT make_date(10000, 1, 1)"):
        with pytest.raises(Exception) as e:
            db.murphy(sql)
        assert e.value.pgcode == "0A000", e.value


def test_md5_of_many_lengths(db):
    """Every length from 0 to 130 bytes (one and two padding blocks)."""
    for n in range(0, 131, 7):
        db.both("SELECT md5(repeat('q', %d)), md5(repeat('\u00e9', %d))" % (n, n))


NUMS = [(1, 2, 2.5, 10.25), (2, -3, -0.5, -7.125), (3, 0, 0.0, 0), (4, None, None, None),
        (5, 1000, 1e-3, 123456.789), (6, 1, 1.0, 1)]


@pytest.fixture(scope="module")
def nums(db):
    db.exec_both("DROP TABLE IF EXISTS nums")
    db.exec_both("CREATE TABLE nums (id int PRIMARY KEY, i int, f float8, n numeric)")
    for row in NUMS:
        db.exec_both("INSERT INTO nums VALUES (%s, %s, %s, %s)", row)
    return db


MATH = [
    "SELECT id, sign(i), sign(f), sign(n), abs(n), cbrt(f), cbrt(i) FROM nums",
    "SELECT id, exp(i), exp(f), exp(n) FROM nums WHERE id <> 5",
    "SELECT id, ln(i), ln(f), ln(n), log(i), log10(f), log(n), log(2, n) FROM nums WHERE i > 0",
    "SELECT id, degrees(f), radians(i), radians(n) FROM nums",
    "SELECT pi(), degrees(pi()), ln(2.0), log(2, 1024), exp(1), sign(-0.0), log10(1000)",
    "SELECT id FROM nums WHERE ln(n) > 2 ORDER BY id",
    # function-style casts: a type's own name called as a function
    "SELECT id, float8(i) / 4, int8(i) * 3, text(i) || '!', int4(f), numeric(i) FROM nums",
    "SELECT float8(count(*)) / (SELECT count(*) FROM nums) FROM nums GROUP BY i > 0",
    "SELECT bool('t'), int2('7'), date('2024-02-29'), float4(n) FROM nums WHERE id = 2",
]


@pytest.mark.parametrize("sql", MATH)
def test_math_function(nums, sql):
    nums.both(sql)


@pytest.mark.parametrize("sql, sqlstate", [
    ("SELECT ln(0)", "2201E"),
    ("SELECT ln(-1.5)", "2201E"),
    ("SELECT log(f) FROM nums WHERE id = 3", "2201E"),
    ("SELECT log10(i) FROM nums WHERE id = 2", "2201E"),
    ("SELECT log(1, 10)", "22012"),
    ("SELECT exp(1000.0::float8)", "22003"),
    ("SELECT pi(1)", "42883"),
    ("SELECT ln('x'::text)", "42883"),
    ("SELECT int4('x')", "22P02"),
    ("SELECT float8(i, 2) FROM nums", "42883"),
])
def test_math_function_error(nums, sql, sqlstate):
    nums.both_error(sql, sqlstate)


REGEX = [
    "SELECT id, w ~ 'o', w ~* 'WOR', w !~ '^h', w !~* 'H.L' FROM words",
    "SELECT id FROM words WHERE w ~ '^[a-z]+ [a-z]+$' ORDER BY id",
    "SELECT id FROM words WHERE w ~ '\\d' OR w ~ '\\mwor' ORDER BY id",
    "SELECT id, regexp_replace(w, 'o', '0'), regexp_replace(w, 'o', '0', 'g') FROM words",
    "SELECT id, regexp_replace(w, '([a-z]+) ([a-z]+)', '\\2 \\1'), "
    "regexp_replace(w, '[aeiou]', '<\\&>', 'gi') FROM words",
    "SELECT id, regexp_replace(w, '.', '*', 'g'), regexp_replace(w, '\\s+', '_', 'g') FROM words",
    "SELECT id, regexp_replace(w, 'x*', '-', 'g'), regexp_replace(w, '^', '>') FROM words",
    "SELECT id, regexp_replace(w, '[[:digit:]]', '#', 'g'), regexp_replace(w, '[\\d,]', '', 'g') "
    "FROM words",
    "SELECT id, regexp_like(w, 'L+', 'i'), regexp_like(w, '^$') FROM words",
    "SELECT regexp_replace('aaa', 'a*', '-', 'g'), regexp_replace('abc', '', '-', 'g'), "
    "regexp_replace('a.b.c', '\\.', '\\\\', 'g')",
    "SELECT count(*) FROM words WHERE w ~ '\u00e9|\u00f6|\u20ac'",
    # regexp_match (was 42883): groups, no groups, no match, NULL groups, flags
    "SELECT id, regexp_match(w, '([a-z]+) ([a-z]+)'), regexp_match(w, 'l+'), "
    "regexp_match(w, '(x)|(o)', 'i') FROM words",
    "SELECT regexp_match('a1b22c333', '\\d+'), regexp_match('foobarbequebaz', '(bar)(beque)'), "
    "regexp_match('x \"y\" z', '\"(.*)\"'), (regexp_match('k=v', '(\\w+)=(\\w+)'))[2], "
    "regexp_match('', '^$'), regexp_match('a, b', '(a)(,)( )(b)')::text",
    # flags x (expanded), q (literal), m s t (were 0A000 or 22023)
    "SELECT regexp_replace('a b', 'a  # the a\n', 'x', 'x'), regexp_replace('a.c', '.', '!', 'gq'), "
    "regexp_match(E'a\nb', '^b', 'm'), regexp_match(E'a\nb', 'a.b', 's'), regexp_like('ab', 'a', 't')",
]


@pytest.mark.parametrize("sql", REGEX)
def test_regex(db, sql):
    db.both(sql)


@pytest.mark.parametrize("sql, sqlstate", [
    ("SELECT 'a' ~ '('", "2201B"),
    ("SELECT regexp_replace('a', 'a', 'b', 'z')", "22023"),
    ("SELECT 1 ~ 'a'", "42883"),
    ("SELECT regexp_match('abc', 'b', 'g')", "22023"),
    ("SELECT regexp_match(w, '(') FROM words", "2201B"),
])
def test_regex_error(db, sql, sqlstate):
    db.both_error(sql, sqlstate)


@pytest.mark.parametrize("sql, what", [
    ("SELECT regexp_replace('aab', 'a+?', 'x')", "non-greedy"),
    ("SELECT 'ab' ~ '(?:a)b'", "(?...) groups"),
    ("SELECT regexp_replace('ab', 'a', 'x', 'p')", "option \"p\""),
])
def test_regex_refused_where_posix_cannot_say_it(db, sql, what):
    """PostgreSQL answers these; murphy says exactly what it does not support."""
    cur = db.m.cursor()
    with pytest.raises(Exception) as e:
        cur.execute(sql)
    assert e.value.pgcode == "0A000" and what in str(e.value), e.value
    db.p.cursor().execute(sql)  # PostgreSQL takes it


TIMES = [
    (1, "2024-01-01 00:00:00", "2024-01-01 00:00:00+00", "2024-01-01"),
    (2, "2023-12-31 23:59:59.123456", "2023-12-31 23:59:59.5+00", "2023-12-31"),
    (3, "2024-02-29 12:30:05", "2024-02-29 12:30:05+00", "2024-02-29"),
    (4, "2021-01-03 07:08:09.5", "2021-01-03 07:08:09+00", "2021-01-03"),
    (5, "1999-11-11 13:00:00", "1999-11-11 01:02:03+00", "1999-11-22"),
    (6, None, None, None),
    (7, "2026-07-04 11:45:00", "2026-07-04 21:45:00+00", "2026-07-04"),
]


@pytest.fixture(scope="module")
def times(db):
    db.exec_both("SET TimeZone = 'UTC'")
    db.exec_both("DROP TABLE IF EXISTS times")
    db.exec_both("CREATE TABLE times (id int PRIMARY KEY, ts timestamp, tz timestamptz, d date)")
    for row in TIMES:
        db.exec_both("INSERT INTO times VALUES (%s, %s, %s, %s)", row)
    return db


TO_CHAR = [
    "SELECT id, to_char(ts, 'YYYY-MM-DD HH24:MI:SS'), to_char(ts, 'yyyy/mm/dd hh12:mi:ss am') "
    "FROM times",
    "SELECT id, to_char(ts, 'Month DD, YYYY'), to_char(ts, 'FMMonth FMDD, YYYY'), "
    "to_char(ts, 'MONTH month Mon MON mon') FROM times",
    "SELECT id, to_char(ts, 'Day Dy DAY DY day dy FMDay'), to_char(ts, 'D ID DDD IDDD') FROM times",
    "SELECT id, to_char(ts, 'IYYY-IW IYY IY I WW W Q CC J'), to_char(ts, 'Y,YYY YYY YY Y') "
    "FROM times",
    "SELECT id, to_char(ts, 'HH HH12 PM P.M. a.m. AD B.C. bc'), to_char(ts, 'MS US SSSS SSSSS') "
    "FROM times",
    "SELECT id, to_char(ts, 'DDth DDTH FMDDth Mth MMth'), to_char(ts, 'RM rm FMRM') FROM times",
    "SELECT id, to_char(ts, '\"Quarter\" Q \"of\" YYYY'), to_char(ts, 'YYYY\\\"x\\\"MM \\\\') "
    "FROM times",
    "SELECT id, to_char(d, 'DD.MM.YYYY Day'), to_char(tz, 'YYYY-MM-DD HH24:MI:SS TZ tz'), "
    "to_char(ts, 'HH24 TZ') FROM times",
    "SELECT to_char(ts, 'YYYY-MM') AS m, count(*) FROM times GROUP BY to_char(ts, 'YYYY-MM')",
    "SELECT id FROM times WHERE to_char(ts, 'Dy') = 'Mon' ORDER BY id",
    "SELECT to_char(ts, ''), to_char(ts, 'plain text: xyz!') FROM times WHERE id = 1",
]


@pytest.mark.parametrize("sql", TO_CHAR)
def test_to_char(times, sql):
    times.both(sql)


EXTRACT = [
    "SELECT id, extract(epoch FROM ts), extract(second FROM ts), extract(milliseconds FROM ts),"
    " extract(microseconds FROM ts) FROM times",
    "SELECT id, extract(epoch FROM tz), extract(second FROM tz), extract(minute FROM tz) FROM times",
    "SELECT id, extract(epoch FROM d), extract(year FROM d), extract(dow FROM d),"
    " extract(week FROM d), extract(doy FROM d) FROM times",
    "SELECT sum(extract(epoch FROM ts)), max(extract(second FROM tz)) FROM times",
    "SELECT extract(epoch FROM '2024-03-10 06:59:59.999999+00'::timestamptz),"
    " extract(epoch FROM '1960-01-01 00:00:00.5'::timestamp)",
]


@pytest.mark.parametrize("sql", EXTRACT)
def test_extract_is_exact_numeric(times, sql):
    """EXTRACT is numeric in PostgreSQL 14+: epoch and second keep their
    microseconds with six decimals (murphy gave 1710054000 for
    ...59.999999 and 59.25 for 59.250000), a date's fields are whole."""
    exact(times, sql)


@pytest.mark.parametrize("field", ["hour", "second"])
def test_extract_time_of_day_from_a_date_is_refused(times, field):
    times.both_error("SELECT extract(%s FROM d) FROM times" % field, "0A000")


def test_to_char_of_a_number(times):
    """Refused with 0A000 until 2026-12-07; test_to_char_number.py has the rest."""
    exact(times, "SELECT to_char(12.5, '99.9') AS a, to_char(-3, 'FM0009') AS b")


@pytest.fixture(scope="module")
def samples(db):
    """300 rows over every shard: groups g, integers x (some NULL), floats y."""
    db.exec_both("DROP TABLE IF EXISTS samples")
    db.exec_both("CREATE TABLE samples (id int PRIMARY KEY, g int, x int, y float8, n numeric)")
    rows = ", ".join("(%d, %d, %s, %r, %d.%02d)" % (
        i, i % 7, "NULL" if i % 11 == 0 else str((i * 37) % 101 - 20), ((i * 53) % 97) / 3.0,
        (i * 13) % 50, i % 100) for i in range(1, 301))
    db.exec_both("INSERT INTO samples VALUES " + rows)
    return db


VARIANCE = [
    "SELECT variance(x), var_samp(y), var_pop(x), stddev(y), stddev_samp(n), stddev_pop(n) "
    "FROM samples",
    "SELECT g, variance(x), stddev_pop(y), count(*) FROM samples GROUP BY g",
    "SELECT x % 3 AS k, stddev(y) FROM samples GROUP BY x % 3",
    "SELECT g FROM samples GROUP BY g HAVING stddev(x) > 35 ORDER BY g",
    "SELECT variance(x), var_pop(x), stddev(y) FROM samples WHERE id = 5",
    "SELECT var_samp(x), var_pop(x) FROM samples WHERE id IN (5, 6)",
    "SELECT variance(x) FROM samples WHERE id < 0",
    "SELECT count(DISTINCT g), stddev(x), avg(y) FROM samples",
    "SELECT round(stddev(x)::numeric, 6), variance(y) * 2 FROM samples",
]


@pytest.mark.parametrize("sql", VARIANCE)
def test_variance(samples, sql):
    samples.both(sql)


def test_variance_by_groups_repartitioned(samples):
    """The groups' partials go to owner followers (a repartition), which
    merge the three partials of each variance; the answer is PostgreSQL's."""
    cur = samples.m.cursor()
    cur.execute("SET murphy.shuffle_strategy = 'repartition'")
    try:
        cur.execute("EXPLAIN SELECT x % 5, stddev(y) FROM samples GROUP BY x % 5")
        plan = "\n".join(r[0] for r in cur.fetchall())
        assert "repartition" in plan.lower(), plan
        samples.both("SELECT x % 5 AS k, stddev(y), var_pop(x) FROM samples GROUP BY x % 5")
    finally:
        cur.execute("RESET murphy.shuffle_strategy")


FILTERED = [
    "SELECT count(*) FILTER (WHERE x > 0), count(x) FILTER (WHERE g = 1), "
    "sum(x) FILTER (WHERE y < 10), avg(y) FILTER (WHERE x IS NULL) FROM samples",
    "SELECT g, count(*) FILTER (WHERE x % 2 = 0) AS even, min(y) FILTER (WHERE x < 0), "
    "max(n) FILTER (WHERE g > 3), count(*) FROM samples GROUP BY g",
    "SELECT count(DISTINCT g) FILTER (WHERE x > 50), stddev(y) FILTER (WHERE g = 2) "
    "FROM samples",
    "SELECT sum(x) FILTER (WHERE false), count(*) FILTER (WHERE false) FROM samples",
    "SELECT g FROM samples GROUP BY g HAVING count(*) FILTER (WHERE x > 30) > 10 ORDER BY g",
    "SELECT bool_and(x > -20) FILTER (WHERE g = 0), bool_or(y > 30) FILTER (WHERE g < 2) "
    "FROM samples",
    "SELECT count(*) FILTER (WHERE x > 0) FROM samples WHERE id = 7",
]


@pytest.mark.parametrize("sql", FILTERED)
def test_aggregate_filter(samples, sql):
    samples.both(sql)


@pytest.mark.parametrize("sql, sqlstate", [
    ("SELECT count(*) FILTER (WHERE x) FROM samples", "42804"),
    ("SELECT count(*) FILTER (WHERE count(*) > 1) FROM samples", "42803"),
])
def test_aggregate_filter_error(samples, sql, sqlstate):
    samples.both_error(sql, sqlstate)
