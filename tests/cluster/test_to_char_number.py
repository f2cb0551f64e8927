"""to_char(number, template) and to_number(text, template) as PostgreSQL's
(issue 19), compared EXACTLY with PostgreSQL 15: every template below over
a table of values (zero, negatives, NULL, .5 rounding cases, values too
wide for the template, 20-digit numerics, NaN) in each number type
(numeric, int4, int8, float8, real: each rounds its own way; murphy
keeps no float NaN), plus
numeric.sql's to_number statements and PostgreSQL's template errors.
Before this file murphy refused to_char of numbers with 0A000 and had no
to_number (42883)."""
import pytest

from compare import exact


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    db.exec_both("DROP TABLE IF EXISTS tcn")
    db.exec_both("CREATE TABLE tcn (id int PRIMARY KEY, n numeric, i int, b bigint,"
                 " d float8, r real)")
    vals = ["0", "1", "-1", "0.5", "-0.5", "1.5", "2.5", "-2.5", "12.345", "-12.345",
            "0.001", "0.0449", "99.995", "999.5", "4567.89", "-34338492.215397047",
            "123456789.987654321", "-1234567890123456789.5", "7799461.4119", "21", "112"]
    rows = []
    for k, v in enumerate(vals):
        big = abs(float(v)) >= 2 ** 31
        rows.append("(%d, %s, %s, %s, %s, %s)" % (
            k, v, "NULL" if big else "round(%s)" % v, "round(%s)" % v, v, v))
    rows.append("(%d, NULL, NULL, NULL, NULL, NULL)" % len(vals))
    rows.append("(%d, 'NaN', 2147483647, -9223372036854775808, 1e300, 3.4e10)" % (len(vals) + 1))
    db.exec_both("INSERT INTO tcn VALUES " + ", ".join(rows))
    return db


TEMPLATES = [
    "999", "0000", "9990", "FM999.99", "9.9", "99.99", "FM9.99", "FM0.00", "0.00", ".99",
    "999.", "FM999.", "S999", "999S", "S9.99", "9.99S", "MI999", "999MI", "FM999MI", "PL999",
    "FMPL999", "SG999", "999SG", "999PR", "FM999PR", "9.99PR", "9G999D99", "FM9G999D99",
    "9,999.99", "FM9,999", "L999", "99V99", "9999V9", "FM99V9", "999th", "FM999TH",
    "FM999th", "RN", "FMRN", "rn", "FMrn", "9.99EEEE", "9EEEE", "99.9999EEEE",
    '"abc"999 "9" x', '999\\"', "FM9999999999999999999999.99999999999999",
    "9999999999999999999999.999999999999999999999", "FM0999.9990", "00.00", "9 9 9",
    "B999", "C9.9SP", "é999", '9 "é\\"" 9', '"unterminated 9', "FM9.999999S", "999D999MI",
    "PL9.99", "SG9.99", "FM0.999999", "9.999999999999999999999", "V999",
    # numeric.sql's to_char templates
    "9G999G999G999G999G999", "9G999G999G999G999G999D999G999G999G999G999",
    "9999999999999999.999999999999999PR", "9999999999999999.999999999999999S",
    "MI9999999999999999.999999999999999", "FMS9999999999999999.999999999999999",
    "FM9999999999999999.999999999999999THPR", "SG9999999999999999.999999999999999th",
    "0999999999999999.999999999999999", "S0999999999999999.999999999999999",
    "FM0999999999999999.999999999999999", "FM9999999999999999.099999999999999",
    "FM9999999999990999.990999999999999", "FM0999999999999999.999909999999999",
    "FM9999999990999999.099999999999999", "L9999999999999999.099999999999999",
    "FM9999999999999999.99999999999999",
    "S 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 . 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9",
    "FMS 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 . 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9",
    '99999 "text" 9999 "9999" 999 "\\\\"text between quote marks\\\\"" 9999',
    "999999SG9999999999",
]


@pytest.mark.parametrize("tmpl", TEMPLATES)
def test_to_char_types(db, tmpl):
    lit = tmpl.replace("'", "''")
    cols = ", ".join("to_char(%s, '%s') AS %s" % (c, lit, c) for c in "nibdr")
    small = " AND abs(n) < 1e6" if "V" in tmpl or "RN" in tmpl.upper() else ""
    exact(db, "SELECT id, %s FROM tcn WHERE id < 22%s ORDER BY id" % (cols, small))


@pytest.mark.parametrize("tmpl", [t for t in TEMPLATES if "RN" not in t.upper() and "V" not in t
                                  and "TH" not in t.upper()])
def test_to_char_extremes(db, tmpl):
    """numeric NaN, int4/int8 limits, 1e300 as float8"""
    lit = tmpl.replace("'", "''")
    cols = ", ".join("to_char(%s, '%s') AS %s" % (c, lit, c) for c in "nibdr")
    exact(db, "SELECT %s FROM tcn WHERE id = 22" % cols)


def test_to_char_nan(db):
    exact(db, "SELECT to_char(n, '999.99') AS a, to_char(n, '9.99EEEE') AS b, to_char(d, '9.9EEEE') AS c, to_char(d, '9.9') AS d,"
              " to_char(n, 'FM9999') AS e FROM tcn WHERE id = 22")


def test_to_char_constants(db):
    exact(db, "SELECT to_char(1.5::numeric, '9') AS a, to_char(-0.0001::float8, '9.9') AS b,"
              " to_char(485, 'RN') AS c, to_char(3999, 'FMRN') AS d, to_char(4000, 'RN') AS e,"
              " to_char(12::int2, '999') AS f, to_char(0.5::real, '0.0') AS g, to_char(1, '') AS h,"
              " to_char(-7, 'FM') AS i, to_char(12345678901234567890123.456::numeric, '9.999EEEE') AS j")


TO_NUMBER = [
    ("-34,338,492", "99G999G999"), ("-34,338,492.654,878", "99G999G999D999G999"),
    ("<564646.654564>", "999999.999999PR"), ("0.00001-", "9.999999S"),
    ("5.01-", "FM9.999999S"), ("5.01-", "FM9.999999MI"),
    ("5 4 4 4 4 8 . 7 8", "9 9 9 9 9 9 . 9 9"), (".01", "FM9.99"),
    (".0", "99999999.99999999"), ("0", "99.99"), (".-01", "S99.99"), (".01-", "99.99S"),
    (" . 0 1 -", " 9 9 . 9 9 S"), ("12,454.8-", "99G999D9S"), ("1,234.56", "9,999.99"),
    ("$1,234.56", "L9,999.99"), ("123.456", "999.99"), ("-123", "999"), ("+12", "S99"),
    ("12th", "99th"), ("1 2", "9 9"), ("abc12", "xxx99"), ("123", "FM999"),
    ("12.5", "99D9"), ("42", "0000"), ("1234", "9G999"), ("1,234", "FM9G999"),
    ("1234", "FM9,999"), ("12.34", "99V99"), ("1234", "99V99"), ("-5", "9V9"), ("1,2,3", "9,9,9"), ("12", ""),
]


@pytest.mark.parametrize("text,tmpl", TO_NUMBER)
def test_to_number(db, text, tmpl):
    exact(db, "SELECT to_number('%s', '%s') AS v" % (text, tmpl))


@pytest.mark.parametrize("sql,state", [
    ("SELECT to_char(1, '9.9.9')", "42601"),
    ("SELECT to_char(1, 'S9MI')", "42601"),
    ("SELECT to_char(1, '9PR9')", "42601"),
    ("SELECT to_char(1, '9EEEE9')", "42601"),
    ("SELECT to_char(1, 'FM9EEEE')", "42601"),
    ("SELECT to_char(1, '9V9.9')", "42601"),
    ("SELECT to_char(1.5, 'S9S')", "42601"),
    ("SELECT to_number('', '999')", "22P02"),
    ("SELECT to_number('x', '9')", "22P02"),
    ("SELECT to_number('12', 'RN')", "0A000"),
    ("SELECT to_number('1e5', '9EEEE')", "0A000"),
    ("SELECT to_char(-1234567890123::numeric, 'RN')", "22003"),
    ("SELECT to_char(-1234567890123::bigint, 'RN')", "22003"),
])
def test_template_errors(db, sql, state):
    db.both_error(sql, state)
