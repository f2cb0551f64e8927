"""Shard statistics (ANALYZE, murphy.stats) and SET murphy.count_distinct.

items is distributed by id over 8 shards; its other columns repeat across
shards.  items_ref is a reference table (one shard) holding part of the
same rows.  The same data is in PostgreSQL.

- ANALYZE fills murphy.stats: rows equal count(*); each column's distinct
  estimates within 3 % of the truth: per shard, as counted in the shard
  files themselves, and for the one shard of the reference table and the
  sum over items' shards of its distribution column, PostgreSQL's
  count(DISTINCT); small sets exact.  The statistics survive kill -9 of the
  leader; ANALYZE of a missing table or column is 42P01 / 42703; VACUUM does
  nothing, VACUUM ANALYZE is ANALYZE, VACUUM FULL / FREEZE are 0A000; a
  table's statistics go with DROP TABLE.
- The cost model uses them: with more than shuffle_auto_rows rows, GROUP BY
  a column of 37 values repartitions before ANALYZE and gathers after it.
- murphy.count_distinct = 'approximate' answers count(DISTINCT) within
  2.5 % of PostgreSQL, with and without GROUP BY (and under both shuffle
  strategies); 'exact' answers exactly; a statement prepared with the
  extended protocol is planned again after each SET.  A bad value is 22023.
"""
import glob
import os
import sqlite3
import struct
import time

import psycopg2
import pytest

from checker import _user_table
from test_approx import VISITS_DDL, copy_text, visit
from test_protocol import SYNC, bind, cstr, execute, parse
from wire import logged_in, msg, read_messages

ROWS = 120000
REF_ROWS = 30000
ESTIMATE_TOL = 0.03
APPROX_TOL = 0.025
COLUMNS = ["id", "user_id", "page", "bucket", "small", "score", "tag"]
DDL = VISITS_DDL.split("visits ", 1)[1]  # test_approx's rows: 60000 users, 5000 pages...


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    db.exec_both("DROP TABLE IF EXISTS items")
    db.exec_both("DROP TABLE IF EXISTS items_ref")
    db.exec_both("CREATE TABLE items " + DDL)
    db.m.cursor().execute("CREATE TABLE items_ref %s WITH (distribution = 'reference')" % DDL)
    db.p.cursor().execute("CREATE TABLE items_ref " + DDL)
    rows = [visit(i) for i in range(1, ROWS + 1)]
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.copy_expert("COPY items FROM STDIN", copy_text(rows))
            cur.copy_expert("COPY items_ref FROM STDIN", copy_text(rows[:REF_ROWS]))
    return db


def query(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else cur.statusmessage


def stats(conn, table):
    """{column: (shards, rows, distinct_per_shard_avg, distinct_max_shard, analyzed_at)}"""
    got = query(conn, "SELECT column_name, shards, rows, distinct_per_shard_avg, "
                      "distinct_max_shard, analyzed_at FROM murphy.stats WHERE table_name = %s",
                (table,))
    return {r[0]: r[1:] for r in got}


def shard_truth(cluster, table):
    """{shard: {column: count(DISTINCT column)}} from one copy of each shard's file."""
    out = {}
    for path in glob.glob(os.path.join(cluster.dir, "f*", "data", "t*_s*.db")):
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
        try:
            if _user_table(db) != table:
                continue
            shard = int(os.path.basename(path).rsplit("_s", 1)[1][:-3])
            sql = "SELECT " + ", ".join('count(DISTINCT "%s")' % c for c in COLUMNS) + \
                  ' FROM "%s"' % table
            out[shard] = dict(zip(COLUMNS, db.execute(sql).fetchone()))
        finally:
            db.close()
    return out


def close(estimate, truth, tol=ESTIMATE_TOL):
    if truth == 0:
        return estimate == 0
    return abs(estimate - truth) / truth <= tol


def test_analyze_fills_murphy_stats(db, cluster):
    assert query(db.m, "SELECT count(*) FROM murphy.stats WHERE table_name = 'items'") == [(0,)]
    assert query(db.m, "ANALYZE") == "ANALYZE"
    st = stats(db.m, "items")
    assert sorted(st) == sorted(COLUMNS)  # not the hidden row id: items has a key
    truth = shard_truth(cluster, "items")
    assert sorted(truth) == list(range(8))
    worst = 0.0
    for col in COLUMNS:
        shards, rows, avg, mx, at = st[col]
        assert (shards, rows) == (8, ROWS), (col, st[col])
        assert at is not None
        per_shard = [truth[s][col] for s in range(8)]
        want_avg, want_max = sum(per_shard) / 8.0, max(per_shard)
        assert close(avg, want_avg) and close(mx, want_max), (col, st[col], per_shard)
        if want_avg:
            worst = max(worst, abs(avg - want_avg) / want_avg, abs(mx - want_max) / want_max)
    print("\nitems: worst per-shard distinct error %.4f" % worst)
    assert st["small"][3] == 37 and st["tag"][3] == 0  # small sets exact, NULLs not counted
    # the distribution column's values are disjoint across shards
    pg_ids = query(db.p, "SELECT count(DISTINCT id) FROM items")[0][0]
    assert close(st["id"][2] * 8, pg_ids), (st["id"], pg_ids)
    # the shards' row estimates are exact now
    assert query(db.m, "SELECT sum(rows) FROM murphy.shards WHERE table_name = 'items'") == \
        [(ROWS,)]


def test_reference_table_against_postgres(db):
    st = stats(db.m, "items_ref")
    worst = 0.0
    for col in COLUMNS:
        pg = query(db.p, 'SELECT count(DISTINCT "%s") FROM items_ref' % col)[0][0]
        shards, rows, avg, mx, _ = st[col]
        assert (shards, rows) == (1, REF_ROWS)
        assert avg == mx and close(mx, pg), (col, st[col], pg)
        worst = max(worst, abs(mx - pg) / pg if pg else 0)
    print("\nitems_ref: worst distinct error against PostgreSQL %.4f" % worst)


def test_analyze_columns_keeps_the_others(db):
    before = stats(db.m, "items")
    time.sleep(0.01)
    db.murphy("INSERT INTO items VALUES (%d, 1, 'x', 1, 1, 1, NULL)" % (ROWS + 1))
    query(db.p, "INSERT INTO items VALUES (%d, 1, 'x', 1, 1, 1, NULL)" % (ROWS + 1))
    assert stats(db.m, "items") == before  # what ANALYZE measured, until the next one
    assert query(db.m, "ANALYZE items (small, page)") == "ANALYZE"
    after = stats(db.m, "items")
    for col in COLUMNS:
        assert after[col][1] == ROWS + 1  # the row count is always measured
        moved = after[col][4] > before[col][4]
        assert moved == (col in ("small", "page")), (col, before[col], after[col])


@pytest.mark.parametrize("sqlstate,sql", [
    ("42P01", "ANALYZE nope"),
    ("42P01", "ANALYZE items, nope"),
    ("42703", "ANALYZE items (nope)"),
    ("0A000", "ANALYZE murphy.shards"),
    ("0A000", "VACUUM FULL"),
    ("0A000", "VACUUM (FREEZE) items"),
    ("42P01", "VACUUM nope"),
])
def test_errors(db, sqlstate, sql):
    with pytest.raises(psycopg2.Error) as e:
        db.murphy(sql)
    assert e.value.pgcode == sqlstate, (sql, e.value.pgcode, str(e.value))


def test_vacuum_analyze_is_analyze(db):
    """VACUUM has nothing to reclaim (tag VACUUM, no effect); VACUUM ANALYZE
    measures as ANALYZE does (issue 16: pgbench -i runs it)."""
    db.murphy("CREATE TABLE vac (id int PRIMARY KEY, v text)")
    db.murphy("INSERT INTO vac VALUES (1, 'a'), (2, 'b'), (3, 'b')")
    assert query(db.m, "VACUUM vac") == "VACUUM"
    assert stats(db.m, "vac") == {}
    assert query(db.m, "VACUUM ANALYZE vac") == "VACUUM"
    assert stats(db.m, "vac")["v"][3] == 2
    db.murphy("DROP TABLE vac")


def test_drop_table_drops_its_stats(db):
    db.murphy("CREATE TABLE gone (id int PRIMARY KEY, v text)")
    db.murphy("INSERT INTO gone VALUES (1, 'a'), (2, 'b'), (3, 'b')")
    assert query(db.m, "ANALYZE gone") == "ANALYZE"
    assert stats(db.m, "gone")["v"][3] == 2
    db.murphy("DROP TABLE gone")
    db.murphy("CREATE TABLE gone (id int PRIMARY KEY, v text)")
    assert stats(db.m, "gone") == {}
    db.murphy("DROP TABLE gone")


def explain(conn, sql):
    return "\n".join(r[0] for r in query(conn, "EXPLAIN " + sql))


def test_auto_strategy_uses_distinct_estimates(db):
    """shuffle_auto_rows (100000) rows, 37 groups: a gather brings 8 × 38
    partial groups at most, which only ANALYZE knows."""
    sql = "SELECT small, count(*) FROM items GROUP BY small"
    db.murphy("CREATE TABLE fresh " + DDL)
    with db.m.cursor() as cur:
        cur.copy_expert("COPY fresh FROM STDIN", copy_text(visit(i) for i in range(1, ROWS + 1)))
    try:
        assert "repartition" in explain(db.m, sql.replace("items", "fresh"))
        db.murphy("ANALYZE fresh")
        assert "repartition" not in explain(db.m, sql.replace("items", "fresh"))
        # a column ANALYZE did not measure still counts as many groups as rows
        assert "repartition" in explain(db.m, "SELECT lower(page), count(*) FROM fresh "
                                              "GROUP BY lower(page)")
    finally:
        db.murphy("DROP TABLE fresh")


# ---- murphy.count_distinct ----

CD_QUERIES = [
    "SELECT count(DISTINCT user_id) FROM items",
    "SELECT count(DISTINCT page) FROM items WHERE small < 30",
    "SELECT small, count(DISTINCT user_id) FROM items GROUP BY small ORDER BY small",
    "SELECT count(DISTINCT id) FROM items",  # co-located when exact
]


def compare_counts(mrows, prows, exact):
    assert len(mrows) == len(prows)
    worst = 0.0
    for mr, pr in zip(mrows, prows):
        for a, b in zip(mr, pr):
            if exact or a == b:
                assert a == b, (mr, pr)
                continue
            err = abs(a - b) / b
            assert err <= APPROX_TOL, (mr, pr, err)
            worst = max(worst, err)
    return worst


@pytest.mark.parametrize("strategy", ["gather", "repartition"])
def test_approximate_within_tolerance(db, strategy):
    db.murphy("SET murphy.shuffle_strategy = '%s'" % strategy)
    try:
        for sql in CD_QUERIES:
            prows = query(db.p, sql)
            assert compare_counts(query(db.m, sql), prows, exact=True) == 0
            db.murphy("SET murphy.count_distinct = 'approximate'")
            try:
                worst = compare_counts(query(db.m, sql), prows, exact=False)
                plan = explain(db.m, sql)
            finally:
                db.murphy("SET murphy.count_distinct = 'exact'")
            print("\n%s (%s): worst error %.4f" % (sql, strategy, worst))
            assert "hll" in plan, plan
            if "GROUP BY" not in sql or strategy == "gather":
                assert "strategy: approximate count distinct" in plan, plan
    finally:
        db.murphy("SET murphy.shuffle_strategy = 'auto'")


def test_approximate_lifts_the_one_column_limit(db):
    """Exact count(DISTINCT) over two non-distribution columns is 0A000;
    sketches of any number of columns merge independently."""
    sql = ("SELECT small, count(DISTINCT user_id), count(DISTINCT page), count(*) FROM items "
           "GROUP BY small ORDER BY small")
    with pytest.raises(psycopg2.Error) as e:
        db.murphy(sql)
    assert e.value.pgcode == "0A000"
    db.murphy("SET murphy.count_distinct = 'approximate'")
    try:
        compare_counts(query(db.m, sql), query(db.p, sql), exact=False)
    finally:
        db.murphy("SET murphy.count_distinct = 'exact'")


def test_setting_is_listed_and_validated(db):
    assert query(db.m, "SHOW murphy.count_distinct") == [("exact",)]
    assert query(db.m, "SELECT setting FROM murphy.settings WHERE name = 'murphy.count_distinct'") \
        == [("exact",)]
    with pytest.raises(psycopg2.Error) as e:
        db.murphy("SET murphy.count_distinct = 'roughly'")
    assert e.value.pgcode == "22023"
    assert e.value.diag.message_hint == "Available values: exact, approximate."
    db.murphy("SET murphy.count_distinct = 'approximate'")
    assert query(db.m, "SHOW murphy.count_distinct") == [("approximate",)]
    db.murphy("RESET murphy.count_distinct")
    assert query(db.m, "SHOW murphy.count_distinct") == [("exact",)]


def data_rows(messages):
    out = []
    for kind, body in messages:
        if kind == b"E":
            raise AssertionError("error: %r" % body)
        if kind != b"D":
            continue
        (n,), off, row = struct.unpack("!H", body[:2]), 2, []
        for _ in range(n):
            (length,) = struct.unpack("!i", body[off:off + 4])
            row.append(None if length < 0 else int(body[off + 4:off + 4 + length]))
            off += 4 + max(length, 0)
        out.append(tuple(row))
    return out


def test_prepared_statement_follows_the_setting(db, cluster):
    """Extended protocol: one Parse, then Bind/Execute after each SET."""
    sqls = {"plain": "SELECT count(DISTINCT user_id) FROM items WHERE small <> $1",
            "grouped": "SELECT small, count(DISTINCT user_id) FROM items WHERE small <> $1 "
                       "GROUP BY small ORDER BY small"}
    s = logged_in(cluster.port)
    try:
        for name, sql in sqls.items():
            s.sendall(parse(name, sql, (23,)) + SYNC)
            assert [m[0] for m in read_messages(s)] == [b"1", b"Z"]

        def run(name):
            s.sendall(bind("", name, ["-1"]) + execute("") + SYNC)
            return data_rows(read_messages(s))

        def set_to(value):
            s.sendall(msg(b"Q", cstr("SET murphy.count_distinct = '%s'" % value)))
            assert b"E" not in [m[0] for m in read_messages(s)]

        for name, sql in sqls.items():
            want = query(db.p, sql.replace("$1", "-1"))
            exact = run(name)
            assert exact == want
            set_to("approximate")
            approx = run(name)
            set_to("exact")
            assert approx != exact  # planned again: sketches now
            compare_counts(approx, want, exact=False)
            assert run(name) == want
    finally:
        s.close()


# ---- last: restarts the leader ----

def test_stats_survive_leader_kill(db, cluster):
    before = {t: stats(db.m, t) for t in ("items", "items_ref")}
    assert before["items"] and before["items_ref"]
    cluster.kill9("leader")
    cluster.start()
    conn = cluster.connect()
    try:
        assert {t: stats(conn, t) for t in ("items", "items_ref")} == before
        # ANALYZE after a restart waits for the copies to report
        assert query(conn, "ANALYZE items_ref") == "ANALYZE"
        assert stats(conn, "items_ref")["small"][1:4] == before["items_ref"]["small"][1:4]
    finally:
        conn.close()
