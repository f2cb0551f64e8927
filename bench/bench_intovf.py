#!/usr/bin/env python3
"""Integer arithmetic with its overflow check (issue 19: emit.c wraps each
chain of integer + - * in mur_int_chk, 22003 past the type's range) and
sum(bigint) as an exact numeric: murphy beside PostgreSQL 15 in one run,
and another murphy build (--base, the before: SQLite's unchecked
arithmetic, sum(bigint) in int64) too.

A table nc (k int PRIMARY KEY, a int, b bigint, v int) of --rows rows,
hash-distributed on murphy; the queries: an integer expression in the
select list summed, one in WHERE, and sum/avg of a bigint column.  Each repetition runs a
query on every system in turn; reported: the median time and the mean
CPU per query (murphy: leader and followers; PostgreSQL: all its
processes), read from /proc around each run, and the answers compared.

  make all && /usr/bin/python3 bench/bench_intovf.py --base /work/base/murphy-s18 \\
      --out bench/results/2026-12-07-intovf.md
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_numcmp  # noqa: E402

QUERIES = (
    ("sum(a * 3 + v - 7)", "SELECT sum(a * 3 + v - 7) FROM nc"),
    ("WHERE a * 2 - v > 0", "SELECT count(*) FROM nc WHERE a * 2 - v > 0"),
    ("sum(b * 2 - 1)", "SELECT sum(b * 2 - 1) FROM nc"),
    ("sum(b), avg(b)", "SELECT sum(b), avg(b) FROM nc"),
)


def load(conn, rows, dist):
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE nc (k int PRIMARY KEY, a int, b bigint, v int)" + dist)
        step = 50000
        for lo in range(1, rows + 1, step):
            cur.execute("INSERT INTO nc SELECT g, g %% 5000, g * 1000003::bigint, g %% 777 "
                        "FROM generate_series(%d, %d) g" % (lo, min(rows, lo + step - 1)))


if __name__ == "__main__":
    sys.exit(bench_numcmp.main(__doc__, QUERIES, load, "Integer arithmetic with overflow checks",
                               "murphy-intovf-"))
