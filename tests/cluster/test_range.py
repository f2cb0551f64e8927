"""Range partitioning (issue 4): CREATE TABLE ... PARTITION BY RANGE (col)
WITH (range_bounds = 'v1,...').

k split points make k + 1 shards: (-inf, v1), [v1, v2), ..., [vk, +inf).
Checked against PostgreSQL on the same data (the tables there are ordinary
ones, except where PostgreSQL's own partitioning is the reference):

- events partitioned by RANGE (created_at timestamptz) with monthly bounds:
  murphy.shards shows the bounds and the rows per shard; INSERT, COPY,
  UPDATE and DELETE put and keep every row in the shard whose range holds
  it (read from the placement files themselves);
- queries with range predicates (>=, >, <, <=, BETWEEN, constants and
  parameters, bounds on a split point) read only the overlapping shards
  (EXPLAIN, EXPLAIN ANALYZE's tasks) and answer like PostgreSQL, with
  aggregates, GROUP BY, ORDER BY/LIMIT, count(DISTINCT);
- integer and text range keys, co-located joins of two range tables with
  the same bounds;
- NULL in the range column is refused like PostgreSQL's range-partitioned
  table without a default partition (23514); bad DDL errors;
- a leader restart keeps the bounds.
"""
import bisect
import io
import random
import re
import sqlite3
import struct
import time
from datetime import datetime, timedelta, timezone

import psycopg2
import pytest

from checker import placement_files, wait_consistent
from compare import Compare
from test_reference import check_create_error, insert_rows
from wire import logged_in, msg, read_messages

MONTHS = ["2024-%02d-01" % m for m in range(2, 13)]  # 11 split points: 12 shards
EVENTS_COLS = "(id bigint, user_id int, created_at timestamptz, kind text, amount int)"
KINDS = ["click", "view", "buy", "share", None]


def ts_text(dt):
    return dt.strftime("%Y-%m-%d %H:%M:%S+00")


def event_rows(n, first_id, seed):
    """Events from 2023-12 to 2025-01 (below the first and above the last
    bound too), a few exactly on a split point."""
    rnd = random.Random(seed)
    start = datetime(2023, 12, 1, tzinfo=timezone.utc)
    rows = []
    for i in range(first_id, first_id + n):
        if rnd.random() < 0.03:
            when = datetime(2024, rnd.randint(2, 12), 1, tzinfo=timezone.utc)
        else:
            when = start + timedelta(seconds=rnd.randint(0, 420 * 86400))
        rows.append((i, rnd.randint(1, 400), ts_text(when), rnd.choice(KINDS),
                     rnd.randint(-50, 500)))
    return rows


def copy_rows(conn, table, rows):
    text = "".join("\t".join("\\N" if v is None else str(v) for v in r) + "\n" for r in rows)
    with conn.cursor() as cur:
        cur.copy_expert("COPY %s FROM STDIN" % table, io.StringIO(text))
        return cur.rowcount


def create_both(db, name, cols, murphy_tail, pg_cols=None):
    db.exec_both("DROP TABLE IF EXISTS %s" % name)
    db.murphy("CREATE TABLE %s %s %s" % (name, cols, murphy_tail))
    with db.p.cursor() as cur:
        cur.execute("CREATE TABLE %s %s" % (name, pg_cols or cols))


def murphy_error(db, sql):
    with pytest.raises(psycopg2.Error) as e:
        db.murphy(sql)
    return e.value


def plan(db, sql):
    _, rows = db.murphy("EXPLAIN " + sql)
    return "\n".join(r[0] for r in rows)


def shards_line(text):
    m = re.search(r"Shards: (\d+) of (\d+)", text)
    assert m, text
    return int(m.group(1)), int(m.group(2))


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    with db.p.cursor() as cur:
        cur.execute("SET TimeZone = 'UTC'")
    create_both(db, "events", EVENTS_COLS, "PARTITION BY RANGE (created_at) WITH "
                "(range_bounds = '%s')" % ",".join(MONTHS))
    rows = event_rows(2500, 1, seed=7)
    for conn in (db.m, db.p):
        insert_rows(conn, "events", rows)
    copied = event_rows(1500, 10001, seed=8)
    assert copy_rows(db.m, "events", copied) == copy_rows(db.p, "events", copied) == 1500
    return db


# ---- where rows live ----

def shard_of(created_at):
    """Shard index of a timestamp text ('YYYY-MM-DD HH:MM:SS...')."""
    return bisect.bisect_right(["%s 00:00:00" % m for m in MONTHS], created_at[:19])


def expected_counts(db, table="events", bounds=MONTHS, col="created_at"):
    """Rows per shard according to PostgreSQL's copy of the data."""
    out = []
    edges = [None] + list(bounds) + [None]
    with db.p.cursor() as cur:
        for lo, hi in zip(edges, edges[1:]):
            conds = ["%s IS NOT NULL" % col]
            if lo is not None:
                conds.append("%s >= '%s'" % (col, lo))
            if hi is not None:
                conds.append("%s < '%s'" % (col, hi))
            cur.execute("SELECT count(*) FROM %s WHERE %s" % (table, " AND ".join(conds)))
            out.append(cur.fetchone()[0])
    return out


def murphy_counts(db, table="events"):
    _, rows = db.murphy("SELECT shard, rows FROM murphy.shards WHERE table_name = %s "
                        "ORDER BY shard", (table,))
    return [r[1] for r in rows]


def check_files(cluster, table="events"):
    """Every placement file of the table holds only rows of its shard's range."""
    seen = set()
    for (t, shard, node), info in placement_files(cluster).items():
        if t != table:
            continue
        seen.add(shard)
        db = sqlite3.connect("file:%s?mode=ro" % info[0], uri=True, timeout=5)
        try:
            for (created_at,) in db.execute('SELECT created_at FROM "%s"' % table):
                assert shard_of(created_at) == shard, (node, shard, created_at)
        finally:
            db.close()
    assert seen == set(range(len(MONTHS) + 1))


def test_shards_view_shows_bounds_and_rows(db):
    _, rows = db.murphy("SELECT shard, hash_min, hash_max, range_min, range_max "
                        "FROM murphy.shards WHERE table_name = 'events' ORDER BY shard")
    assert len(rows) == 12
    assert rows[0] == (0, None, None, None, "2024-02-01 00:00:00+00")
    assert rows[1] == (1, None, None, "2024-02-01 00:00:00+00", "2024-03-01 00:00:00+00")
    assert rows[11] == (11, None, None, "2024-12-01 00:00:00+00", None)
    for a, b in zip(rows, rows[1:]):
        assert a[4] == b[3]
    assert murphy_counts(db) == expected_counts(db)
    assert all(n > 0 for n in expected_counts(db))
    # a hash table keeps its hash ranges and no range bounds
    db.exec_both("CREATE TABLE hashed_too (id int PRIMARY KEY)")
    _, rows = db.murphy("SELECT hash_min, range_min, range_max FROM murphy.shards "
                        "WHERE table_name = 'hashed_too' AND shard = 0")
    assert rows == [(0, None, None)]


def test_inserts_and_copy_land_in_their_shard(db, cluster):
    check_files(cluster)
    _, rows = db.murphy("EXPLAIN INSERT INTO events VALUES (1, 1, now(), 'x', 1)")
    assert "routed by range of \"created_at\"" in rows[0][0]


def test_insert_select_routes_by_range(db, cluster):
    create_both(db, "staging", EVENTS_COLS, "WITH (shards = 3)")  # hash-distributed
    for conn in (db.m, db.p):
        insert_rows(conn, "staging", event_rows(600, 50001, seed=9))
    db.exec_both("INSERT INTO events SELECT * FROM staging WHERE id % 2 = 0")
    db.exec_both("INSERT INTO events SELECT id + 100000, user_id, created_at, 'again', amount "
                 "FROM events WHERE created_at >= '2024-05-01' AND created_at < '2024-06-01'")
    assert murphy_counts(db) == expected_counts(db)
    check_files(cluster)


def test_update_and_delete_by_range(db, cluster):
    sql = ("UPDATE events SET amount = amount + 1000 WHERE created_at >= '2024-06-01' "
           "AND created_at < '2024-08-01'")
    assert shards_line(plan(db, sql)) == (2, 12)
    db.both(sql)
    db.both("SELECT count(*), sum(amount) FROM events WHERE amount >= 900")
    sql = "DELETE FROM events WHERE created_at < '2024-01-15'"
    assert shards_line(plan(db, sql)) == (1, 12)
    db.both(sql)
    sql = "DELETE FROM events WHERE created_at >= '2024-12-20' AND kind = 'view'"
    assert shards_line(plan(db, sql)) == (1, 12)
    db.both(sql)
    db.both("UPDATE events SET kind = 'moved' WHERE id % 97 = 3")
    assert murphy_counts(db) == expected_counts(db)
    check_files(cluster)
    wait_consistent(cluster, db.m, tables={"events"})  # every copy got every write


@pytest.mark.parametrize("tail", ["PARTITION BY HASH (k)",
                                  "PARTITION BY RANGE (k) WITH (range_bounds = '100,200')",
                                  ""])
def test_tables_without_a_key_replicate_every_write(db, cluster, tail):
    """The shard table's key is the hidden row id: SQLite's session extension
    captures changes of keyed tables only."""
    name = "nokey_%d" % len(tail)
    create_both(db, name, "(k int, v text)", tail)
    rows = [(i % 300, "v%d" % i) for i in range(900)]
    for conn in (db.m, db.p):
        insert_rows(conn, name, rows, batch=900)  # a batch above the parallel-insert size
    db.both("UPDATE %s SET v = 'moved' WHERE k %% 7 = 3" % name)
    db.both("DELETE FROM %s WHERE k < 50 OR k >= 250" % name)
    db.both("SELECT k, v FROM %s" % name)
    wait_consistent(cluster, db.m, tables={name})
    e = murphy_error(db, "UPDATE events SET created_at = now() WHERE id = 1")
    assert e.pgcode == "0A000", str(e)


# ---- reads: pruning and PostgreSQL's answers ----

RANGE = "created_at >= '2024-03-01' AND created_at < '2024-05-01'"

PRUNED = [
    # (where, shards read)
    (RANGE, 2),
    ("created_at BETWEEN '2024-02-10' AND '2024-02-20 12:00:00+00'", 1),
    ("created_at > '2024-11-30 23:00:00+00'", 2),
    ("created_at <= '2024-02-01 00:00:00+00'", 2),  # the split point itself is shard 1's
    ("created_at < '2024-02-01'", 1),
    ("created_at >= '2024-12-01'", 1),
    ("'2024-08-01' <= created_at AND created_at < '2024-08-01'", 1),  # empty: any one shard
    ("created_at >= '2024-05-01' AND created_at >= '2024-07-01' AND created_at < '2024-10-01'", 3),
    ("created_at >= '2024-03-01 02:00:00+02' AND created_at < '2024-04-01'", 1),
    ("created_at > '2024-06-15' AND kind = 'buy'", 7),
]


@pytest.mark.parametrize("where, nshards", PRUNED)
def test_range_predicates_read_only_overlapping_shards(db, where, nshards):
    sql = "SELECT count(*), sum(amount), min(created_at), max(created_at) FROM events WHERE " + where
    assert shards_line(plan(db, sql)) == (nshards, 12)
    db.both(sql)
    db.both("SELECT id, created_at, kind FROM events WHERE " + where)


def test_explain_analyze_sends_tasks_to_overlapping_shards_only(db):
    _, rows = db.murphy("EXPLAIN ANALYZE SELECT kind, count(*) FROM events WHERE %s "
                        "GROUP BY kind" % RANGE)
    text = "\n".join(r[0] for r in rows)
    tasks = sum(int(n) for n in re.findall(r"-> leader: (\d+) tasks?", text))
    assert tasks == 2, text


QUERIES = [
    "SELECT kind, count(*), sum(amount), avg(amount) FROM events WHERE %s GROUP BY kind" % RANGE,
    "SELECT kind, count(*) AS n FROM events WHERE created_at >= '2024-09-01' GROUP BY kind "
    "HAVING count(*) > 10 ORDER BY n DESC, kind",
    "SELECT id, created_at, amount FROM events WHERE %s ORDER BY created_at DESC, id LIMIT 7" % RANGE,
    "SELECT id, created_at FROM events ORDER BY created_at, id LIMIT 10 OFFSET 5",
    "SELECT count(DISTINCT user_id) FROM events WHERE %s" % RANGE,
    "SELECT count(DISTINCT created_at), count(*) FROM events",
    "SELECT kind, count(DISTINCT user_id) FROM events WHERE created_at < '2024-04-01' GROUP BY kind",
    "SELECT DISTINCT kind FROM events WHERE created_at BETWEEN '2024-07-01' AND '2024-07-31'",
    "SELECT created_at, count(*) FROM events WHERE created_at < '2024-07-01' GROUP BY created_at "
    "HAVING count(*) > 1 ORDER BY created_at",
    "SELECT min(amount), max(amount), count(kind) FROM events WHERE created_at > '2025-01-01'",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_queries_match_postgres(db, sql):
    db.both(sql)


def test_equality_is_a_router_plan(db):
    _, rows = db.murphy("SELECT created_at FROM events WHERE created_at >= '2024-10-01' "
                        "ORDER BY id LIMIT 1")
    when = rows[0][0]
    sql = "SELECT id, kind FROM events WHERE created_at = %s"
    text = plan(db, db.m.cursor().mogrify(sql, (when,)).decode())
    assert "router" in text and "Shards: 1 of 12 (shard 9)" in text, text
    db.both(sql, (when,))


def extended_rows(cluster, sql, params):
    """Parse/Bind/Execute with text parameters on murphy; rows as text."""
    s = logged_in(cluster.port)
    try:
        body = sql.encode() + b"\0"
        bind = b"\0\0" + struct.pack("!HH", 0, len(params))
        for p in params:
            bind += struct.pack("!I", len(p)) + p.encode()
        s.sendall(msg(b"P", b"\0" + body + struct.pack("!H", 0)) +
                  msg(b"B", bind + struct.pack("!H", 0)) +
                  msg(b"E", b"\0" + struct.pack("!I", 0)) + msg(b"S"))
        out = []
        for kind, data in read_messages(s):
            assert kind != b"E", data
            if kind == b"D":
                (n,) = struct.unpack("!H", data[:2])
                off, row = 2, []
                for _ in range(n):
                    (ln,) = struct.unpack("!i", data[off:off + 4])
                    off += 4
                    row.append(None if ln < 0 else data[off:off + ln].decode())
                    off += max(ln, 0)
                out.append(tuple(row))
        return out
    finally:
        s.close()


@pytest.mark.parametrize("lo, hi", [("2024-03-01", "2024-05-01"),
                                    ("2024-02-01 00:00:00+00", "2024-02-01 00:00:00+00"),
                                    ("2023-01-01", "2030-01-01")])
def test_parameters_bound_the_range(db, cluster, lo, hi):
    sql = ("SELECT count(*), sum(amount) FROM events WHERE created_at >= $1 "
           "AND created_at <= $2")
    got = extended_rows(cluster, sql, [lo, hi])
    with db.p.cursor() as cur:
        cur.execute(sql.replace("$1", "%s").replace("$2", "%s"), (lo, hi))
        want = cur.fetchone()
    assert got == [tuple(None if v is None else str(v) for v in want)]


# ---- NULL in the range column ----

def test_null_range_value_is_refused_like_postgres(db):
    create_both(db, "ev_null", "(id int, created_at timestamptz)",
                "PARTITION BY RANGE (created_at)",
                pg_cols="(id int, created_at timestamptz) PARTITION BY RANGE (created_at)")
    with db.p.cursor() as cur:
        cur.execute("CREATE TABLE ev_null_all PARTITION OF ev_null "
                    "FOR VALUES FROM (MINVALUE) TO (MAXVALUE)")
    db.exec_both("INSERT INTO ev_null VALUES (1, '2024-01-01')")
    e = db.both_error("INSERT INTO ev_null VALUES (2, NULL)", "23514")
    with db.p.cursor() as cur:
        with pytest.raises(psycopg2.Error) as pe:
            cur.execute("INSERT INTO ev_null (id) VALUES (3)")
    assert e.diag.message_primary == pe.value.diag.message_primary
    assert e.diag.message_detail == pe.value.diag.message_detail
    db.both_error("INSERT INTO ev_null SELECT id + 10, NULL::timestamptz FROM ev_null", "23514")
    with pytest.raises(psycopg2.Error) as ce:
        copy_rows(db.m, "ev_null", [(4, None)])
    assert ce.value.pgcode == "23514"
    db.both("SELECT * FROM ev_null")
    _, rows = db.murphy("SELECT shard, range_min, range_max, rows FROM murphy.shards "
                        "WHERE table_name = 'ev_null'")
    assert rows == [(0, None, None, 1)]  # no range_bounds: one shard covering everything


# ---- integer and text keys, co-location ----

def test_integer_range_key_and_colocated_join(db, cluster):
    tail = "PARTITION BY RANGE (id) WITH (range_bounds = '1000, 2000, 3000')"
    create_both(db, "accounts", "(id int PRIMARY KEY, owner text, balance bigint)", tail)
    create_both(db, "ledger", "(id int, amount int)", tail)
    rnd = random.Random(3)
    accounts = [(i, "o%d" % (i % 37), rnd.randint(0, 10 ** 6)) for i in range(-200, 4200, 3)]
    ledger = [(rnd.randint(-300, 4300), rnd.randint(-100, 100)) for _ in range(3000)]
    for conn in (db.m, db.p):
        insert_rows(conn, "accounts", accounts)
        insert_rows(conn, "ledger", ledger)
    assert murphy_counts(db, "accounts") == expected_counts(
        db, "accounts", ["1000", "2000", "3000"], "id")
    assert shards_line(plan(db, "SELECT * FROM accounts WHERE id >= 1000 AND id < 2000")) == (1, 4)
    # no integer lies between 999 (or 999.5) and 1000: shard 0 is not read
    assert shards_line(plan(db, "SELECT * FROM accounts WHERE id > 999.5 AND id < 2000")) == (1, 4)
    assert shards_line(plan(db, "SELECT * FROM accounts WHERE id > 999 AND id <= 2999")) == (2, 4)
    assert shards_line(plan(db, "SELECT * FROM accounts WHERE id >= 2999")) == (2, 4)
    assert shards_line(plan(db, "SELECT * FROM accounts WHERE id = 2000")) == (1, 4)
    for sql in [
        "SELECT count(*), sum(balance) FROM accounts WHERE id BETWEEN 500 AND 2500",
        "SELECT id, owner FROM accounts WHERE id > 999.5 AND id < 1010 ORDER BY id",
        "SELECT owner, count(*) FROM accounts WHERE id < 0 OR id > 4000 GROUP BY owner",
        "SELECT a.owner, count(*), sum(l.amount) FROM accounts a JOIN ledger l ON a.id = l.id "
        "WHERE a.id >= 1500 AND a.id < 3500 GROUP BY a.owner",
        "SELECT count(*) FROM ledger l JOIN accounts a ON l.id = a.id",
        "SELECT count(DISTINCT l.id) FROM ledger l LEFT JOIN accounts a ON l.id = a.id "
        "WHERE a.id IS NULL",
    ]:
        db.both(sql)
    text = plan(db, "SELECT count(*) FROM accounts a JOIN ledger l ON a.id = l.id "
                    "WHERE a.id < 1000")
    assert "co-located" in text and shards_line(text) == (1, 4), text


def test_range_and_hash_tables_are_not_colocated(db):
    create_both(db, "acc_hash", "(id int PRIMARY KEY, note text)", "WITH (shards = 4)")
    db.exec_both("INSERT INTO acc_hash VALUES " +
                 ", ".join("(%d, 'n%d')" % (i, i % 5) for i in range(-100, 4100, 7)))
    sql = ("SELECT h.note, count(*) FROM accounts a JOIN acc_hash h ON a.id = h.id "
           "GROUP BY h.note")
    try:
        _, rows = db.murphy(sql)
    except psycopg2.Error as e:
        # before shuffled joins: refused as not co-located, never joined shard by shard
        assert e.pgcode == "0A000", str(e)
        return
    db.both(sql)


def test_text_range_key(db, cluster):
    cols = "(w text PRIMARY KEY, n int)"
    create_both(db, "words", cols, "PARTITION BY RANGE (w) WITH (range_bounds = 'g, n, t')",
                pg_cols='(w text COLLATE "C" PRIMARY KEY, n int)')
    rnd = random.Random(5)
    words = sorted({"".join(rnd.choice("abcdefghijklmnopqrstuvwxyz")
                            for _ in range(rnd.randint(1, 6))) for _ in range(1500)})
    words += ["g", "n", "t", "f", "fz", "zzzz"]
    rows = [(w, i) for i, w in enumerate(sorted(set(words)))]
    for conn in (db.m, db.p):
        insert_rows(conn, "words", rows)
    assert murphy_counts(db, "words") == expected_counts(db, "words", ["g", "n", "t"], "w")
    _, b = db.murphy("SELECT range_min, range_max FROM murphy.shards WHERE table_name = 'words' "
                     "ORDER BY shard")
    assert b == [(None, "g"), ("g", "n"), ("n", "t"), ("t", None)]
    assert shards_line(plan(db, "SELECT * FROM words WHERE w >= 'h' AND w < 'n'")) == (1, 4)
    assert shards_line(plan(db, "SELECT * FROM words WHERE w > 'fzz' AND w <= 'n'")) == (3, 4)
    for sql in ["SELECT count(*), sum(n) FROM words WHERE w >= 'h' AND w < 'n'",
                "SELECT w FROM words WHERE w BETWEEN 'f' AND 'ga' ORDER BY w",
                "SELECT w, n FROM words WHERE w > 's' ORDER BY w DESC LIMIT 5",
                "SELECT count(*) FROM words WHERE w = 'n'",
                "SELECT length(w), count(*) FROM words WHERE w < 'c' OR w >= 'x' GROUP BY 1"]:
        db.both(sql)


def test_date_range_key(db):
    create_both(db, "daily", "(day date, n int)", "PARTITION BY RANGE (day) WITH "
                "(range_bounds = '2024-01-01,2024-07-01')")
    db.exec_both("INSERT INTO daily VALUES ('2023-12-31', 1), ('2024-01-01', 2), "
                 "('2024-06-30', 3), ('2024-07-01', 4), ('2025-02-02', 5)")
    assert murphy_counts(db, "daily") == [1, 2, 2]
    assert shards_line(plan(db, "SELECT * FROM daily WHERE day < '2024-07-01'")) == (2, 3)
    db.both("SELECT day, n FROM daily WHERE day >= '2024-01-01' ORDER BY day")


def test_reference_join_with_range_table(db):
    create_both(db, "kinds", "(kind text PRIMARY KEY, label text)",
                "WITH (distribution = 'reference')")
    db.exec_both("INSERT INTO kinds VALUES ('click', 'C'), ('view', 'V'), ('buy', 'B')")
    sql = ("SELECT k.label, count(*), sum(e.amount) FROM events e JOIN kinds k ON e.kind = k.kind "
           "WHERE e.created_at >= '2024-03-01' AND e.created_at < '2024-05-01' GROUP BY k.label")
    text = plan(db, sql)
    assert "Reference join: kinds" in text and shards_line(text) == (2, 12), text
    db.both(sql)
    db.both("SELECT e.id, k.label FROM kinds k JOIN events e ON e.kind = k.kind "
            "WHERE e.created_at > '2024-12-28' ORDER BY e.id LIMIT 20")


# ---- DDL errors ----

@pytest.mark.parametrize("sql, code, text", [
    ("CREATE TABLE r_bad (a int) PARTITION BY RANGE (a) WITH (range_bounds = '10,5')",
     "22023", '"5" does not come after "10"'),
    ("CREATE TABLE r_bad (a date) PARTITION BY RANGE (a) WITH (range_bounds = '2024-01-01,soon')",
     "22023", '"soon"'),
    ("CREATE TABLE r_bad (a int) PARTITION BY RANGE (a) WITH (range_bounds = '1,,2')",
     "22023", "empty"),
    ("CREATE TABLE r_bad (a int) WITH (range_bounds = '1,2')", "42P16", "PARTITION BY RANGE"),
    ("CREATE TABLE r_bad (a int) PARTITION BY RANGE (a) WITH (range_bounds = '1,2', shards = 2)",
     "42P16", "3 shards"),
    ("CREATE TABLE r_bad (a int) PARTITION BY RANGE (a) WITH (distribution = 'reference')",
     "42P16", "reference"),
    ("CREATE TABLE r_bad (a int) PARTITION BY RANGE (a) WITH (distribution = 'hash')",
     "42P16", "conflicts"),
    ("CREATE TABLE r_bad (a float8) PARTITION BY RANGE (a)", "0A000", "double precision"),
    ("CREATE TABLE r_bad (a int, b int) PARTITION BY RANGE (a, b)", "0A000", "RANGE (column)"),
    ("CREATE TABLE r_bad (a int PRIMARY KEY, b int) PARTITION BY RANGE (b)", "0A000", '"b"'),
])
def test_create_errors(db, sql, code, text):
    check_create_error(db, sql, code, text)


# ---- restart (last: it restarts the module's cluster) ----

def test_leader_restart_keeps_bounds(db, cluster):
    view = ("SELECT table_name, shard, range_min, range_max FROM murphy.shards "
            "WHERE range_min IS NOT NULL OR range_max IS NOT NULL ORDER BY table_name, shard")
    _, before = db.murphy(view)
    assert len(before) > 12
    assert cluster.stop().returncode == 0
    cluster.start()
    conn = cluster.connect()
    try:
        again = Compare(conn, db.p)
        _, after = again.murphy(view)
        assert after == before
        assert shards_line(plan(again, "SELECT count(*) FROM events WHERE " + RANGE)) == (2, 12)
        again.both("SELECT count(*), sum(amount) FROM events WHERE " + RANGE)
        row = (900001, 1, "2024-04-15 10:00:00+00", "late", 5)
        for c in (conn, db.p):
            insert_rows(c, "events", [row])
        again.both("SELECT kind, count(*) FROM events WHERE created_at >= '2024-04-01' "
                   "AND created_at < '2024-05-01' GROUP BY kind")
        # row counts are learned again from the followers as they come back
        deadline = time.time() + 15
        while murphy_counts(again) != expected_counts(again) and time.time() < deadline:
            time.sleep(0.3)
        assert murphy_counts(again) == expected_counts(again)
        check_files(cluster)
    finally:
        conn.close()
