"""Run the same statement on murphy and on PostgreSQL and compare.

What must match exactly: column names and type OIDs (cursor.description),
the command tag (``SELECT 3``, ``UPDATE 2``), NULLs, text, integers,
booleans, dates and timestamps.  Numbers that are numeric or floating point
in either answer are compared with a relative tolerance, because murphy's
numeric is a double.  Row order matters only when the statement has an
ORDER BY (or ordered=True); otherwise both sides are sorted first.
Errors must carry the same SQLSTATE on both sides.
"""
import contextlib
import datetime
import decimal
import io
import math
import re

import psycopg2

REL_TOL = 1e-9
ABS_TOL = 1e-9


class Outcome:
    def __init__(self, cursor=None, error=None):
        self.error = error
        self.columns = None
        self.rows = None
        self.status = None
        self.rowcount = None
        if cursor is not None:
            self.status = cursor.statusmessage
            self.rowcount = cursor.rowcount
            if cursor.description is not None:
                self.columns = [(d.name, d.type_code) for d in cursor.description]
                self.rows = [tuple(_plain(v) for v in row) for row in cursor.fetchall()]

    def __repr__(self):
        if self.error is not None:
            return "ERROR %s: %s" % (self.error.pgcode, str(self.error).strip())
        return "%s columns=%s rows=%s" % (self.status, self.columns, _preview(self.rows))


def _preview(rows, n=20):
    if rows is None:
        return None
    text = repr(rows[:n])
    return text + (" ... (%d rows)" % len(rows) if len(rows) > n else "")


def _plain(v):
    if isinstance(v, memoryview):
        return bytes(v)
    return v


def _is_number(v):
    return isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool)


def values_equal(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (float, decimal.Decimal)) or isinstance(b, (float, decimal.Decimal)):
        if not (_is_number(a) and _is_number(b)):
            return False
        fa, fb = float(a), float(b)
        if math.isnan(fa) or math.isnan(fb):
            return math.isnan(fa) and math.isnan(fb)
        return math.isclose(fa, fb, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if type(a) is not type(b) and not (_is_number(a) and _is_number(b)):
        return False
    return a == b


def _sort_key(row):
    key = []
    for v in row:
        if v is None:
            key.append((0, "", 0))
        elif _is_number(v):
            f = float(v)
            key.append((1, "num", float("%.8g" % f) if math.isfinite(f) else f))
        elif isinstance(v, (datetime.date, datetime.datetime, datetime.time)):
            key.append((1, "time", v.isoformat()))
        else:
            key.append((1, type(v).__name__, v))
    return tuple(key)


ORDER_BY = re.compile(r"\border\s+by\b", re.I)


def run(conn, sql, params=None):
    cur = conn.cursor()
    try:
        cur.execute(sql, params)
        return Outcome(cur)
    except psycopg2.Error as e:
        if not conn.autocommit:
            conn.rollback()
        return Outcome(error=e)
    finally:
        cur.close()


# Exact comparison (numeric, json): every value as its text, no float
# tolerance (Decimal keeps the scale: 1.50 is not 1.5).

def rows_text(rows):
    return [tuple(None if v is None else str(v) for v in r) for r in rows]


def exact(db, sql, params=None, ordered=None):
    """Same rows on murphy and PostgreSQL, value for value as text."""
    mo, po = run(db.m, sql, params), run(db.p, sql, params)
    where = "\n  sql: %s\n  murphy:   %r\n  postgres: %r" % (sql, mo, po)
    assert po.error is None, "test is wrong, PostgreSQL failed:" + where
    assert mo.error is None, "murphy failed:" + where
    assert mo.columns == po.columns, "different columns:" + where
    m, p = rows_text(mo.rows), rows_text(po.rows)
    if ordered is None:
        ordered = "order by" in sql.lower()
    if not ordered:
        m, p = sorted(m, key=repr), sorted(p, key=repr)
    assert m == p, "different rows:" + where
    return m


class Compare:
    def __init__(self, murphy_conn, pg_conn):
        self.m = murphy_conn
        self.p = pg_conn

    def exec_both(self, sql, params=None):
        """Setup statement: must succeed on both; results not compared."""
        for name, conn in (("murphy", self.m), ("postgres", self.p)):
            out = run(conn, sql, params)
            assert out.error is None, "%s failed on %s: %r" % (sql, name, out)

    def both(self, sql, params=None, ordered=None, compare_status=True):
        """Run sql on both; assert the same answer; return murphy's rows."""
        mo = run(self.m, sql, params)
        po = run(self.p, sql, params)
        where = "\n  sql: %s\n  params: %r\n  murphy:   %r\n  postgres: %r" % (sql, params, mo, po)
        if po.error is not None or mo.error is not None:
            assert mo.error is not None and po.error is not None, "one side failed:" + where
            assert mo.error.pgcode == po.error.pgcode, "different SQLSTATE:" + where
            return None
        assert mo.columns == po.columns, "different columns (name, type oid):" + where
        if compare_status:
            assert mo.status == po.status, "different command tag:" + where
        if po.rows is None:
            return None
        assert len(mo.rows) == len(po.rows), "different row count:" + where
        if ordered is None:
            ordered = bool(ORDER_BY.search(sql))
        mrows, prows = mo.rows, po.rows
        if not ordered:
            mrows, prows = sorted(mrows, key=_sort_key), sorted(prows, key=_sort_key)
        for i, (mr, pr) in enumerate(zip(mrows, prows)):
            same = len(mr) == len(pr) and all(values_equal(a, b) for a, b in zip(mr, pr))
            assert same, "row %d differs: murphy %r, postgres %r%s" % (i, mr, pr, where)
        return mo.rows

    def both_error(self, sql, sqlstate, params=None):
        """Both must fail with sqlstate; returns murphy's exception."""
        mo = run(self.m, sql, params)
        po = run(self.p, sql, params)
        where = "\n  sql: %s\n  murphy:   %r\n  postgres: %r" % (sql, mo, po)
        assert po.error is not None and po.error.pgcode == sqlstate, \
            "test is wrong: PostgreSQL does not raise %s:%s" % (sqlstate, where)
        assert mo.error is not None, "murphy did not fail:" + where
        assert mo.error.pgcode == sqlstate, "murphy: wrong SQLSTATE:" + where
        return mo.error

    def murphy(self, sql, params=None):
        """Run on murphy only; return (columns, rows); raise on error."""
        cur = self.m.cursor()
        try:
            cur.execute(sql, params)
            if cur.description is None:
                return None, None
            return [d.name for d in cur.description], cur.fetchall()
        finally:
            cur.close()


@contextlib.contextmanager
def block(db):
    """BEGIN ... COMMIT on both; ROLLBACK when the test fails inside (the
    next test's statements run outside an aborted block)."""
    db.both("BEGIN")
    try:
        yield
    except BaseException:
        for conn in (db.m, db.p):
            with conn.cursor() as cur:
                cur.execute("ROLLBACK")
        raise
    db.both("COMMIT")


def copy_both(db, sql, payload):
    """The same COPY ... FROM STDIN with one payload on both."""
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.copy_expert(sql, io.StringIO(payload))
