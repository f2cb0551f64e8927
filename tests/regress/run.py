#!/usr/bin/python3
"""PostgreSQL's own regression files as a differential check (issue 19).

For each vendored file tests/regress/sql/NAME.sql: start a fresh murphy
cluster (`murphy local start`) and a fresh database on a throwaway
PostgreSQL 15, load the shared tables (setup.py) into both, then run every
statement of the file on both, in order, and classify it:

  same         both succeed with the same answer (rows as multisets unless
               the statement has a top-level ORDER BY; two numerics
               exactly, scale included; other numbers with a relative
               tolerance, float8 results being computed differently)
  unsupported  murphy answers SQLSTATE 0A000
  murphy-err   murphy answers another error where PostgreSQL succeeded
  pg-err       PostgreSQL fails (the file tests an error): not counted
  both-err     both fail (listed when the SQLSTATEs differ)
  WRONG        both succeed and the answers differ
  names        same rows, but other column names (what a client sees as
               the result's header)
  order        same rows, another order, under an ORDER BY that may tie
  order-dep    answers differ, but the statement's answer depends on an
               unspecified row order (LIMIT without ORDER BY; a window with a
               ROWS/GROUPS frame or lag/first_value/..., which see ORDER BY
               peers in an unspecified order)
  cascade      murphy fails or answers differently on a table an earlier
               statement left different (a CREATE/INSERT/... that failed on
               one side): not a bug of this statement
  skipped      psql meta-commands, COPY FROM STDIN, EXPLAIN, and
               statements calling random()/now() (not comparable)

Usage: run.py [--murphy build/murphy] [--out FILE.md] [NAME ...]
Prints per-file counts and every WRONG statement with both answers.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "cluster"))
sys.path.insert(0, HERE)

import psycopg2  # noqa: E402

from pgserver import PgServer, free_port  # noqa: E402
from compare import values_equal, _sort_key as _float_sort_key  # noqa: E402
import setup  # noqa: E402
from split import split_statements  # noqa: E402

FILES = ["select", "union", "subselect", "with", "window", "aggregates", "join", "numeric"]
TIMEOUT_S = 20
REL_TOL = 1e-6
NONDET = re.compile(r"\b(random|now|clock_timestamp|timeofday|current_timestamp|"
                    r"pg_backend_pid|txid_current|statement_timestamp)\b", re.I)
# murphy has no temporary tables; the files use them as plain scratch tables
# in one session, so both sides run them as ordinary tables.
TEMP = re.compile(r"\bcreate\s+(or\s+replace\s+)?(temp|temporary)\s+", re.I)
SKIP_LEAD = re.compile(r"^\s*(explain|\\|copy\b.*\bfrom\s+stdin|analyze|vacuum)", re.I | re.S)


class Answer:
    def __init__(self, rows=None, cols=None, status=None, error=None):
        self.rows, self.cols, self.status, self.error = rows, cols, status, error

    def short(self, n=12, cols=False):
        if self.error is not None:
            return "ERROR %s: %s" % (self.error[0], self.error[1])
        if self.rows is None:
            return self.status
        if cols:
            return "%s columns %s" % (self.status, self.cols)
        more = " ... (%d rows)" % len(self.rows) if len(self.rows) > n else ""
        return "%s %s%s" % (self.status, self.rows[:n], more)


def execute(conn, sql):
    """Run sql with a watchdog that cancels it after TIMEOUT_S."""
    timer = threading.Timer(TIMEOUT_S, conn.cancel)
    timer.start()
    cur = conn.cursor()
    try:
        cur.execute(sql)
        rows = cols = None
        if cur.description is not None:
            cols = [d.name for d in cur.description]
            rows = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r)
                    for r in cur.fetchall()]
        return Answer(rows, cols, cur.statusmessage)
    except psycopg2.Error as e:
        msg = (e.pgerror or str(e)).strip().splitlines()
        return Answer(error=(e.pgcode, msg[0] if msg else ""))
    finally:
        timer.cancel()
        try:
            cur.close()
        except psycopg2.Error:
            pass


def top_level_order_by(sql):
    """True when ORDER BY appears outside every parenthesis (strings removed)."""
    text = re.sub(r"'(?:[^']|'')*'", "''", sql)
    depth, flat = 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0:
            flat.append(ch)
    return re.search(r"\border\s+by\b", "".join(flat), re.I) is not None


ORDER_SENSITIVE_FN = re.compile(r"\b(row_number|lag|lead|first_value|last_value|nth_value|"
                                r"ntile)\s*\([^()]*\)\s*over\s*\(", re.I)


def order_dependent(sql):
    """True when the answer depends on an unspecified row order: a LIMIT in a
    statement with no ORDER BY, or a window without ORDER BY that has a ROWS
    or GROUPS frame or an order-sensitive function (lag, first_value ...)."""
    low = re.sub(r"'(?:[^']|'')*'", "''", sql.lower())
    if re.search(r"\blimit\b", low) and not re.search(r"\border\s+by\b", low):
        return True
    for m in re.finditer(r"\bover\s*\(", low):
        depth, j = 1, m.end()
        while j < len(low) and depth:
            depth += {"(": 1, ")": -1}.get(low[j], 0)
            j += 1
        spec = low[m.end():j - 1]
        if re.search(r"\border\s+by\b", spec):
            continue
        if re.search(r"\b(rows|groups)\b", spec):
            return True
        if ORDER_SENSITIVE_FN.search(low[max(0, m.start() - 200):m.end()]):
            return True
    return False


PEER_SENSITIVE = re.compile(r"\b(row_number|lag|lead|first_value|last_value|nth_value|ntile)"
                            r"\s*\(|\b(rows|groups)\s+between\b|\brows\s+\S+\s+preceding\b", re.I)


def peer_order_dependent(sql):
    """True when a window function or a ROWS/GROUPS frame may see the rows
    of one ORDER BY peer group in either order: the answer then depends on
    the order ties are read in, which SQL leaves open (the tables here have
    no such order in common with PostgreSQL's)."""
    return re.search(r"\bover\b", sql, re.I) is not None and PEER_SENSITIVE.search(sql) is not None


STATE_CHANGE = re.compile(r"^\s*(insert|update|delete|create|drop|alter|truncate|copy|"
                          r"select\b.*\binto\b|with\b.*\b(insert|update|delete)\b)", re.I | re.S)
TABLE_REF = re.compile(r"(?:\b(?:from|join|into|update|table|references|using)\s+|"
                       r"\binherits\s*\(\s*)(?:only\s+)?([a-z_][a-z0-9_]*)", re.I)


def tables_named(sql):
    return {m.group(1).lower() for m in TABLE_REF.finditer(sql)}


def same_value(a, b):
    # both numeric: exact, scale included (murphy's numeric is exact since
    # 2026-12-07: 1.50 is not 1.5 on the wire)
    if type(a).__name__ == "Decimal" and type(b).__name__ == "Decimal":
        return str(a) == str(b)
    if values_equal(a, b):
        return True
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) or \
            type(a).__name__ == "Decimal" or type(b).__name__ == "Decimal":
        try:
            fa, fb = float(a), float(b)
            return abs(fa - fb) <= REL_TOL * max(abs(fa), abs(fb), 1e-300)
        except (TypeError, ValueError):
            return False
    return a is not None and b is not None and str(a) == str(b)


def _sort_key(row):
    # numerics that are equal as floats (1 and 1.000000000000000000001)
    # still sort apart: they are compared exactly (same_value); a row with
    # a NaN (which compares false with everything) sorts by its text
    k = _float_sort_key(row)
    nan = "nan" in repr(k).lower()
    return (nan, () if nan else k, str(row))


def same_rows(m, p):
    return len(m) == len(p) and all(
        len(x) == len(y) and all(same_value(a, b) for a, b in zip(x, y)) for x, y in zip(m, p))


def _rows_match(sql, mo, po):
    if top_level_order_by(sql):
        return same_rows(mo.rows, po.rows)
    return same_rows(sorted(mo.rows, key=_sort_key), sorted(po.rows, key=_sort_key))


def classify(sql, mo, po):
    if po.error is not None:
        if mo.error is not None:
            return "both-err" if mo.error[0] == po.error[0] else "both-err-diff"
        return "pg-err"
    if mo.error is not None:
        return "unsupported" if mo.error[0] == "0A000" else "murphy-err"
    if (mo.rows is None) != (po.rows is None):
        return "WRONG"
    if mo.rows is None:
        # a command: compare the tag (INSERT 0 3, UPDATE 2 ...)
        return "same" if mo.status == po.status else "WRONG"
    if mo.cols != po.cols and len(mo.cols) == len(po.cols) and _rows_match(sql, mo, po):
        return "names"
    if top_level_order_by(sql):
        if same_rows(mo.rows, po.rows):
            return "same"
        if same_rows(sorted(mo.rows, key=_sort_key), sorted(po.rows, key=_sort_key)):
            return "order"
    elif same_rows(sorted(mo.rows, key=_sort_key), sorted(po.rows, key=_sort_key)):
        return "same"
    if order_dependent(sql) or peer_order_dependent(sql):
        return "order-dep"
    return "WRONG"


class Murphy:
    def __init__(self, binary, followers=2):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="murphy-regress-")
        self.port = free_port(count=followers + 2)
        self.followers = followers

    def start(self):
        subprocess.run([self.binary, "local", "start", "--dir", self.dir, "--followers",
                        str(self.followers), "--pg-port", str(self.port)], check=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        return self.connect()

    def connect(self):
        conn = psycopg2.connect("host=127.0.0.1 port=%d user=murphy dbname=murphy "
                                "connect_timeout=10" % self.port)
        conn.autocommit = True
        return conn

    def alive(self):
        return subprocess.run([self.binary, "local", "status", "--dir", self.dir],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT).returncode == 0

    def stop(self):
        subprocess.run([self.binary, "local", "stop", "--dir", self.dir],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        shutil.rmtree(self.dir, ignore_errors=True)


def run_file(name, pg, binary, log):
    path = os.path.join(HERE, "sql", name + ".sql")
    with open(path) as f:
        stmts = split_statements(f.read())
    admin = pg.connect()
    with admin.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS regress_%s" % name)
        cur.execute("CREATE DATABASE regress_%s TEMPLATE regress_base" % name)
    admin.close()
    pconn = psycopg2.connect(pg.dsn("regress_" + name))
    pconn.autocommit = True
    m = Murphy(binary)
    counts, listed = {}, []
    diverged = set()  # tables whose contents differ after a statement failed on one side
    try:
        mconn = m.start()
        t0 = time.monotonic()
        for s in setup.statements():
            a = execute(mconn, s)
            if a.error is not None:
                raise RuntimeError("murphy setup failed: %s: %s" % (s[:80], a.error))
        log("  %s: setup loaded on murphy in %.1f s, %d statements" %
            (name, time.monotonic() - t0, len(stmts)))
        for lineno, sql in stmts:
            sql = TEMP.sub(lambda mt: "CREATE " + (mt.group(1) or ""), sql)
            if SKIP_LEAD.match(sql) or NONDET.search(sql):
                kind = "skipped"
                mo = po = None
            else:
                po = execute(pconn, sql)
                mo = execute(mconn, sql)
                if mconn.closed:
                    # the session was cut: a node down is the finding; stop this file
                    if not m.alive():
                        counts["NODE-DOWN"] = 1
                        listed.append(("WRONG", name, lineno, sql, mo, po))
                        break
                    mconn = m.connect()
                kind = classify(sql, mo, po)
                if kind in ("WRONG", "murphy-err", "order-dep") and tables_named(sql) & diverged:
                    kind = "cascade"
                # COMMIT of a block an earlier murphy failure aborted: that
                # failure is counted already, its ROLLBACK follows from it
                if kind == "WRONG" and mo.status == "ROLLBACK" and po.status == "COMMIT":
                    kind = "cascade"
                if kind not in ("same", "pg-err", "both-err") and STATE_CHANGE.match(sql):
                    diverged |= tables_named(sql)
            counts[kind] = counts.get(kind, 0) + 1
            if kind in ("WRONG", "names", "order", "order-dep", "cascade", "pg-err", "murphy-err", "unsupported", "both-err-diff"):
                listed.append((kind, name, lineno, sql, mo, po))
        if not m.alive():
            counts["NODE-DOWN"] = 1
    finally:
        pconn.close()
        m.stop()
    return counts, listed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--murphy", default=os.environ.get("MURPHY_BIN",
                                                       os.path.join(ROOT, "build", "murphy")))
    ap.add_argument("--out", help="also write the report (markdown) to this file")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    names = args.names or FILES
    names = [n for n in names if os.path.exists(os.path.join(HERE, "sql", n + ".sql"))]

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    pg = PgServer().start()
    try:
        base = pg.connect()
        with base.cursor() as cur:
            cur.execute("CREATE DATABASE regress_base")
        base.close()
        bconn = psycopg2.connect(pg.dsn("regress_base"))
        bconn.autocommit = True
        for s in setup.statements():
            execute(bconn, s)
        bconn.close()
        results = {}
        wrong = []
        for n in names:
            log("running %s" % n)
            results[n], listed = run_file(n, pg, args.murphy, log)
            wrong += listed
    finally:
        pg.stop()
    report = render(names, results, wrong)
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)


KINDS = ["same", "names", "WRONG", "order", "order-dep", "cascade", "unsupported", "murphy-err", "pg-err", "both-err",
         "both-err-diff", "skipped"]


def render(names, results, wrong):
    out = ["| file | compared | same | other column names | WRONG | order (ties) | order-dependent | cascade | unsupported (0A000) | murphy error "
           "| pg error | both error | both error, other SQLSTATE | skipped |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    tot = {}
    for n in names:
        c = results[n]
        compared = sum(c.get(k, 0) for k in ("same", "names", "WRONG", "order", "order-dep", "cascade",
                                             "unsupported", "murphy-err"))
        for k in KINDS:
            tot[k] = tot.get(k, 0) + c.get(k, 0)
        tot["compared"] = tot.get("compared", 0) + compared
        out.append("| %s | %d | %s |%s" % (n, compared, " | ".join(str(c.get(k, 0)) for k in KINDS),
                                            " NODE DOWN" if c.get("NODE-DOWN") else ""))
    out.append("| **total** | %d | %s |" % (tot.get("compared", 0),
                                            " | ".join(str(tot.get(k, 0)) for k in KINDS)))
    out.append("")
    out.append("compared = statements PostgreSQL answers without error; same/compared = %.1f %%"
               % (100.0 * tot.get("same", 0) / max(1, tot.get("compared", 0))))
    for kind, title in (("WRONG", "Wrong answers (both succeed, results differ)"),
                        ("names", "Same rows, other column names"),
                        ("order", "Same rows in another order (ORDER BY with possible ties?)"),
                        ("order-dep", "Different answers that depend on an unspecified row order"),
                        ("murphy-err", "murphy errors where PostgreSQL succeeds"),
                        ("cascade", "Follow-on differences (a table an earlier failure left different)"),
                        ("pg-err", "murphy accepts what PostgreSQL rejects"),
                        ("unsupported", "Unsupported (0A000)"),
                        ("both-err-diff", "Both fail, other SQLSTATE")):
        items = [w for w in wrong if w[0] == kind]
        items.sort(key=lambda w: len(w[3]))
        out.append("")
        out.append("## %s: %d" % (title, len(items)))
        for kind, n, line, sql, mo, po in items:
            out.append("")
            out.append("- %s.sql:%d" % (n, line))
            out.append("  ```sql")
            out.extend("  " + x for x in sql.splitlines())
            out.append("  ```")
            out.append("  - murphy:   %s" % mo.short(cols=kind == "names"))
            out.append("  - postgres: %s" % po.short(cols=kind == "names"))
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
