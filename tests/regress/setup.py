"""The shared tables of PostgreSQL's regression suite, generated.

PostgreSQL's test_setup.sql loads onek, tenk1 ... from data files; we do not
vendor those.  The runner compares murphy with PostgreSQL on identical data,
so the exact rows do not matter, only that both sides get the same ones and
that the columns follow the documented shape:

- tenk1/tenk2 (10000 rows), onek/onek2 (1000 rows): unique1 is a fixed
  permutation of 0..N-1 (i * a prime mod N), unique2 the row number, and
  two .. tenthous, odd, even derived from unique1 as in PostgreSQL's data
  (unique1 % 2, % 4, ...).  stringu1/stringu2 spell unique1/unique2 in base
  26 with letters, least significant first, padded with 'A' to six letters
  plus 'xxx...' (the shape of the original); string4 is one of four strings
  by unique1 % 4.  The original columns of type name are text here.
- the small tables (int4_tbl, int8_tbl, float8_tbl, char/varchar/text_tbl,
  aggtest, int2_tbl) hold the rows PostgreSQL's files insert.

statements() returns the SQL as a list, run on both sides the same way.
"""

TENK_COLS = ("unique1 int4, unique2 int4, two int4, four int4, ten int4, twenty int4, "
             "hundred int4, thousand int4, twothousand int4, fivethous int4, tenthous int4, "
             "odd int4, even int4, stringu1 text, stringu2 text, string4 text")


def _letters(n):
    out = ""
    for _ in range(6):
        out += chr(ord("A") + n % 26)
        n //= 26
    return out + "x" * 46


STRING4 = ("AAAAxx", "HHHHxx", "OOOOxx", "VVVVxx")


def _tenk_rows(n, prime):
    rows = []
    for i in range(n):
        u1 = (i * prime) % n
        rows.append((u1, i, u1 % 2, u1 % 4, u1 % 10, u1 % 20, u1 % 100, u1 % 1000,
                     u1 % 2000, u1 % 5000, u1 % 10000, (u1 % 100) * 2 + 1, (u1 % 100) * 2,
                     _letters(u1), _letters(i), STRING4[u1 % 4]))
    return rows


def _lit(v):
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    return str(v)


def _inserts(table, rows, batch=500):
    out = []
    for k in range(0, len(rows), batch):
        vals = ",".join("(" + ",".join(_lit(v) for v in r) + ")" for r in rows[k:k + batch])
        out.append("INSERT INTO %s VALUES %s" % (table, vals))
    return out


def statements():
    s = []
    for name, n, prime in (("tenk1", 10000, 7919), ("tenk2", 10000, 7919),
                           ("onek", 1000, 337), ("onek2", 1000, 337)):
        s.append("CREATE TABLE %s (%s)" % (name, TENK_COLS))
        s += _inserts(name, _tenk_rows(n, prime))
    s.append("CREATE TABLE int2_tbl (f1 int2)")
    s.append("INSERT INTO int2_tbl VALUES (0), (1234), (-1234), (32767), (-32767)")
    s.append("CREATE TABLE int4_tbl (f1 int4)")
    s.append("INSERT INTO int4_tbl VALUES (0), (123456), (-123456), (2147483647), (-2147483647)")
    s.append("CREATE TABLE int8_tbl (q1 int8, q2 int8)")
    s.append("INSERT INTO int8_tbl VALUES (123, 456), (123, 4567890123456789), "
             "(4567890123456789, 123), (4567890123456789, 4567890123456789), "
             "(4567890123456789, -4567890123456789)")
    s.append("CREATE TABLE float8_tbl (f1 float8)")
    s.append("INSERT INTO float8_tbl VALUES (0.0), (-34.84), (-1004.30), "
             "(-1.2345678901234e+200), (-1.2345678901234e-200)")
    s.append("CREATE TABLE char_tbl (f1 char(4))")
    s.append("INSERT INTO char_tbl VALUES ('a'), ('ab'), ('abcd'), ('abcd    ')")
    s.append("CREATE TABLE varchar_tbl (f1 varchar(4))")
    s.append("INSERT INTO varchar_tbl VALUES ('a'), ('ab'), ('abcd'), ('abcd    ')")
    s.append("CREATE TABLE text_tbl (f1 text)")
    s.append("INSERT INTO text_tbl VALUES ('doh!'), ('hi de ho neighbor')")
    s.append("CREATE TABLE aggtest (a int2, b float4)")
    s.append("INSERT INTO aggtest VALUES (56, 7.8), (100, 99.097), (0, 0.09561), (42, 324.78)")
    return s
