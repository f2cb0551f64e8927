"""Reference tables (issue 4): WITH (distribution = 'reference').

One shard with a copy on every follower; a hash-distributed table joins
with it on any condition inside each of its own shards.  Checked against
PostgreSQL on the same data (the tables there are ordinary ones):

- DDL, murphy.shards / murphy.placements, the DDL errors;
- INSERT, UPDATE (the key too: one shard, rows do not move), DELETE, COPY,
  and every copy's file holding the same rows (checker.py);
- reads of reference tables only, and joins with a distributed table on
  non-distribution columns, with WHERE, aggregates, GROUP BY, HAVING,
  ORDER BY / LIMIT, DISTINCT, LEFT JOIN, several reference tables, the
  reference table first in FROM; EXPLAIN names the reference join;
- kill -9 of the follower holding the reference table's primary under
  writes: joins still answer like PostgreSQL, every acknowledged write is
  on every remaining copy, and the follower catches up when it returns;
- a leader restart keeps them (catalog) and their joins;
- a follower that joins after CREATE TABLE gets a copy from a peer.
"""
import io
import os
import random
import signal
import time

import psycopg2
import pytest

from checker import placement_files, wait_consistent
import compare
from compare import Compare
from conftest import Cluster
from test_failures import (DEAD_MS, MAX_PAUSE_S, Writers, check_rows, primary_of,
                           wait_state)
from test_failures import fc  # noqa: F401  (fixture: 4 followers, short failure timers)

NATION_COLS = "(code text PRIMARY KEY, name text, region int)"
REGION_COLS = "(id int PRIMARY KEY, name text)"
EVENTS_COLS = "(id bigint PRIMARY KEY, user_id int, country text, amount int, note text)"
REF = " WITH (distribution = 'reference')"
CODES = ["ar", "au", "br", "ca", "cn", "de", "eg", "es", "fr", "gb", "in", "it", "jp", "ke",
         "mx", "ng", "nl", "pl", "pt", "ru", "se", "tr", "us", "za"]


def nation_rows():
    rnd = random.Random(11)
    rows = [(c, "N-" + c.upper(), rnd.randint(1, 5)) for c in CODES]
    rows.append(("zz", "Nowhere", None))  # a region that joins nothing
    return rows


def region_rows():
    return [(i, "R%d" % i) for i in range(1, 6)]


def event_rows(n=1500, seed=5):
    rnd = random.Random(seed)
    out = []
    for i in range(1, n + 1):
        country = rnd.choice(CODES + ["xx", "yy", None])  # some match no nation
        out.append((i, rnd.randint(1, 300), country, rnd.randint(0, 100),
                    rnd.choice(["a", "b", "c", None])))
    return out


def insert_rows(conn, table, rows, batch=300):
    with conn.cursor() as cur:
        for i in range(0, len(rows), batch):
            part = rows[i:i + batch]
            marks = ", ".join(["(" + ", ".join(["%s"] * len(part[0])) + ")"] * len(part))
            cur.execute("INSERT INTO %s VALUES %s" % (table, marks),
                        [v for r in part for v in r])


def create_both(db, name, cols, murphy_with):
    db.exec_both("DROP TABLE IF EXISTS %s" % name)
    db.murphy("CREATE TABLE %s %s%s" % (name, cols, murphy_with))
    with db.p.cursor() as cur:
        cur.execute("CREATE TABLE %s %s" % (name, cols))


def load(db, prefix=""):
    """nation, region (reference) and events (hash, 4 shards) on both sides."""
    create_both(db, prefix + "nation", NATION_COLS, REF)
    create_both(db, prefix + "region", REGION_COLS, REF)
    create_both(db, prefix + "events", EVENTS_COLS, " WITH (shards = 4)")
    for conn in (db.m, db.p):
        insert_rows(conn, prefix + "nation", nation_rows())
        insert_rows(conn, prefix + "region", region_rows())
        insert_rows(conn, prefix + "events", event_rows())


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    load(db)
    return db


def murphy_error(db, sql):
    with pytest.raises(psycopg2.Error) as e:
        db.murphy(sql)
    return e.value


# ---- DDL and the catalog views ----

def test_copy_on_every_follower(db, cluster):
    _, rows = db.murphy("SELECT shard, hash_min, hash_max, rows FROM murphy.shards "
                        "WHERE table_name = 'nation'")
    assert rows == [(0, 0, 2 ** 32 - 1, len(nation_rows()))]
    _, rows = db.murphy("SELECT node, role, state FROM murphy.placements "
                        "WHERE table_name = 'nation' ORDER BY node")
    assert [r[0] for r in rows] == ["f1", "f2", "f3"]
    assert sorted(r[1] for r in rows) == ["primary", "replica", "replica"]
    assert all(r[2] == "current" for r in rows)
    files = placement_files(cluster)
    assert {n for (t, s, n) in files if t == "nation"} == {"f1", "f2", "f3"}


@pytest.mark.parametrize("sql, code, text", [
    ("CREATE TABLE r_bad (a int) WITH (distribution = 'replicated')", "22023",
     "hash"),
    ("CREATE TABLE r_bad (a int) WITH (distribution = 'reference', shards = 4)", "22023",
     "exactly one shard"),
    ("CREATE TABLE r_bad (a int) WITH (distribution = 'reference', replicas = 2)", "22023",
     "cannot set replicas"),
    ("CREATE TABLE r_bad (a int) PARTITION BY HASH (a) WITH (distribution = 'reference')",
     "42P16", "PARTITION BY"),
])
def test_create_errors(db, sql, code, text):
    check_create_error(db, sql, code, text)


def check_create_error(db, sql, code, text):
    """CREATE TABLE r_bad fails with code, saying text, and leaves nothing."""
    e = murphy_error(db, sql)
    assert e.pgcode == code, str(e)
    assert text in str(e) or text in (e.diag.message_hint or ""), str(e)
    _, rows = db.murphy("SELECT count(*) FROM murphy.shards WHERE table_name = 'r_bad'")
    assert rows == [(0,)]


def test_unique_key_without_distribution_column(db):
    create_both(db, "r_uniq", "(a int, b text UNIQUE)", REF)
    db.exec_both("INSERT INTO r_uniq VALUES (1, 'x'), (2, 'y')")
    db.both("INSERT INTO r_uniq VALUES (3, 'x')")  # 23505 on both
    db.both("SELECT * FROM r_uniq")


# ---- writes ----

def test_writes_match_postgres(db, cluster):
    create_both(db, "ref_w", NATION_COLS, REF)
    db.both("INSERT INTO ref_w VALUES ('a', 'A', 1), ('b', 'B', 2), ('c', 'C', NULL)")
    db.both("INSERT INTO ref_w SELECT code, name, region FROM nation WHERE region > 3")
    db.both("UPDATE ref_w SET region = region + 10 WHERE region IS NOT NULL AND code < 'f'")
    db.both("UPDATE ref_w SET code = 'aa' WHERE code = 'a'")  # the key: one shard, no move
    db.both("DELETE FROM ref_w WHERE region = 12 OR region IS NULL")
    db.both("INSERT INTO ref_w VALUES ('b', 'dup', 0)")  # 23505 on both
    payload = "".join("c%03d\tcopied %d\t%s\n" % (i, i, i % 5 if i % 7 else "\\N")
                      for i in range(200))
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.copy_expert("COPY ref_w FROM STDIN", io.StringIO(payload))
            assert cur.rowcount == 200
    db.both("SELECT * FROM ref_w")
    db.both("SELECT region, count(*) FROM ref_w GROUP BY region ORDER BY region")
    # every copy holds exactly these rows at the same LSN
    wait_consistent(cluster, db.m, timeout=15, replicas=3, tables={"ref_w"})


# ---- reads ----

REFERENCE_ONLY = [
    "SELECT * FROM nation",
    "SELECT name FROM nation WHERE code = 'fr'",
    "SELECT region, count(*), min(name) FROM nation GROUP BY region ORDER BY region",
    "SELECT code FROM nation ORDER BY name DESC LIMIT 3 OFFSET 2",
    "SELECT r.name, count(n.code) FROM region r LEFT JOIN nation n ON n.region = r.id "
    "GROUP BY r.name ORDER BY r.name",
    "SELECT count(DISTINCT region) FROM nation",
]

JOINS = [
    # non-distribution columns, both orders in FROM
    "SELECT e.id, n.name FROM events e JOIN nation n ON e.country = n.code",
    "SELECT n.name, e.id, e.amount FROM nation n JOIN events e ON e.country = n.code "
    "WHERE e.amount > 50 AND n.region IN (1, 2)",
    "SELECT e.id, n.name FROM events e, nation n WHERE e.country = n.code AND n.region = 3",
    # aggregates and GROUP BY over the join
    "SELECT n.region, count(*), sum(e.amount), avg(e.amount), min(e.note), max(n.name) "
    "FROM events e JOIN nation n ON e.country = n.code GROUP BY n.region ORDER BY n.region",
    "SELECT count(*), sum(e.amount) FROM nation n JOIN events e ON e.country = n.code",
    "SELECT n.name, sum(e.amount) AS s FROM events e JOIN nation n ON e.country = n.code "
    "GROUP BY n.name HAVING count(*) > 40 ORDER BY s DESC, n.name LIMIT 5",
    "SELECT r.name, count(*) FROM events e JOIN nation n ON e.country = n.code "
    "JOIN region r ON r.id = n.region WHERE e.note IS NOT NULL GROUP BY r.name ORDER BY 2 DESC, 1",
    "SELECT r.name, e.note, count(*) FROM region r JOIN nation n ON n.region = r.id "
    "JOIN events e ON e.country = n.code GROUP BY r.name, e.note ORDER BY 1, 2",
    "SELECT count(DISTINCT n.code) FROM events e JOIN nation n ON e.country = n.code",
    "SELECT n.region, count(DISTINCT e.user_id) FROM events e JOIN nation n "
    "ON e.country = n.code GROUP BY n.region ORDER BY 1",
    "SELECT count(DISTINCT e.id) FROM nation n JOIN events e ON e.country = n.code",
    # ORDER BY / LIMIT and DISTINCT without aggregates
    "SELECT e.id, n.name FROM events e JOIN nation n ON e.country = n.code "
    "ORDER BY e.amount DESC, e.id LIMIT 10",
    "SELECT DISTINCT n.region FROM events e JOIN nation n ON e.country = n.code",
    # outer join, non-equality conditions, cross join, router
    "SELECT e.id, n.name FROM events e LEFT JOIN nation n ON e.country = n.code WHERE e.id < 120",
    "SELECT count(*) FROM events e JOIN nation n ON e.amount BETWEEN n.region * 10 "
    "AND n.region * 10 + 5",
    "SELECT count(*) FROM events e, region r",
    "SELECT e.id, e.country, n.name, r.name FROM nation n JOIN events e ON e.country = n.code "
    "JOIN region r ON r.id = n.region WHERE e.id = 42",
]


@pytest.mark.parametrize("sql", REFERENCE_ONLY)
def test_reference_only(db, sql):
    db.both(sql)


@pytest.mark.parametrize("sql", JOINS)
def test_join_with_distributed(db, sql):
    db.both(sql)


def test_insert_select_from_join(db):
    create_both(db, "ev_named", "(id bigint PRIMARY KEY, name text)", "")
    db.both("INSERT INTO ev_named SELECT e.id, n.name FROM events e JOIN nation n "
            "ON e.country = n.code WHERE e.amount < 30")
    db.both("SELECT * FROM ev_named")


def test_refused_joins(db):
    # reference rows preserved by a LEFT JOIN: repartitioned by the join key
    db.both("SELECT n.code, count(e.id) FROM nation n LEFT JOIN events e ON e.country = n.code "
            "GROUP BY n.code")
    db.both("SELECT count(*) FROM nation n LEFT JOIN events e ON e.country = n.code")
    # without a join key each shard would emit the unmatched reference rows
    e = murphy_error(db, "SELECT count(*) FROM nation n LEFT JOIN events e ON e.country < n.code")
    assert e.pgcode == "0A000" and "LEFT JOIN reference table" in str(e), str(e)
    # two hash tables that are not co-located: shuffled (test_join_shuffle.py),
    # the reference table copied along with them
    create_both(db, "other", "(id int PRIMARY KEY, x int)", " WITH (shards = 2)")
    db.both("SELECT count(*) FROM events e JOIN nation n ON e.country = n.code "
            "JOIN other o ON o.id = e.user_id")


def test_explain_names_reference_join(db):
    _, rows = db.murphy("EXPLAIN SELECT n.region, count(*) FROM nation n JOIN events e "
                        "ON e.country = n.code GROUP BY n.region")
    text = "\n".join(r[0] for r in rows)
    assert "Reference join: nation" in text, text
    assert "Table: events (4 shards)" in text, text
    assert 'm1."nation"' in text and 'main."events"' in text, text
    _, rows = db.murphy("EXPLAIN SELECT * FROM nation")
    assert "router (reference tables)" in rows[0][0]


# ---- failures ----

def both_retry(db, sql, timeout=10):
    """db.both(sql) once murphy answers: a statement in flight on the killed
    follower, or a shard whose copies are being checked, fails with a clear
    08xxx error for a moment."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        out = compare.run(db.m, sql)
        if out.error is None or not (out.error.pgcode or "").startswith("08"):
            break
        time.sleep(0.2)
    return db.both(sql)


def test_kill9_follower_with_reference_copies(fc, pgconn):
    conn = fc.connect()
    db = Compare(conn, pgconn)
    load(db, prefix="k_")
    db.murphy("CREATE TABLE k_w (id bigint PRIMARY KEY, w int)" + REF)
    victim = primary_of(conn, "k_w", 0)  # the reference table's primary
    queries = [q.replace("events", "k_events").replace("nation", "k_nation")
               .replace("region", "k_region") for q in JOINS[:8]]
    w = Writers(fc, table="k_w").start()
    time.sleep(1.0)
    t_kill = time.time()
    os.kill(fc.pid(victim), signal.SIGKILL)
    for sql in queries[:3]:  # answered while the victim is suspect
        both_retry(db, sql)
    wait_state(conn, victim, ("dead",), DEAD_MS / 1000 + 3)
    time.sleep(1.0)
    t_end = time.time()
    w.stop()
    gap = w.max_gap(t_kill, t_end)
    assert gap <= MAX_PAUSE_S, "writes paused %.2f s after kill -9 of %s" % (gap, victim)
    check_rows(conn, w, table="k_w")
    for sql in queries:
        both_retry(db, sql)
    # no other follower to move them to: the three alive copies are current
    # and equal; the dead node keeps its (stale) placement
    wait_consistent(fc, conn, timeout=15, replicas=3, not_on={victim},
                    tables={"k_w", "k_nation", "k_region"})
    wait_consistent(fc, conn, timeout=20, replicas=3, tables={"k_events"})
    with conn.cursor() as cur:
        cur.execute("SELECT state FROM murphy.placements WHERE table_name = 'k_w' AND node = %s",
                    (victim,))
        assert cur.fetchone()[0] != "current"
    # it returns: its copy catches up, four current copies again
    fc.start()
    wait_consistent(fc, conn, timeout=20, replicas=4, tables={"k_w", "k_nation", "k_region"})
    check_rows(conn, w, table="k_w")
    for sql in queries:
        both_retry(db, sql)
    conn.close()


def small_tables(conn, nat, ev):
    """A reference table nat and a hash table ev; returns their join query
    and its answer."""
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s %s%s" % (nat, NATION_COLS, REF))
        cur.execute("INSERT INTO %s VALUES ('a', 'A', 1), ('b', 'B', 2)" % nat)
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, code text) WITH (shards = 4)" % ev)
        cur.execute("INSERT INTO %s VALUES (1, 'a'), (2, 'b'), (3, 'a'), (4, 'c')" % ev)
    return ("SELECT e.id, n.name FROM %s e JOIN %s n ON n.code = e.code ORDER BY e.id" % (ev, nat),
            [(1, "A"), (2, "B"), (3, "A")])


def fetch_retry(conn, sql, timeout=10):
    """Rows of sql once the shards it reads are served again (08006 until)."""
    deadline = time.time() + timeout
    while True:
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()
        except psycopg2.errors.ConnectionFailure:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def test_leader_restart_keeps_reference_tables(fc):
    conn = fc.connect()
    query, want = small_tables(conn, "r_nat", "r_ev")
    conn.close()
    fc.kill9("leader")
    fc.start()
    conn = fc.connect()
    assert fetch_retry(conn, query) == want
    with conn.cursor() as cur:
        cur.execute("INSERT INTO r_nat VALUES ('c', 'C', 3)")
        cur.execute("SELECT count(*) FROM murphy.placements WHERE table_name = 'r_nat'")
        assert cur.fetchone()[0] == 4
        cur.execute("EXPLAIN " + query)
        assert any("Reference join: r_nat" in r[0] for r in cur.fetchall())
    wait_consistent(fc, conn, timeout=15, replicas=4, tables={"r_nat"})
    conn.close()


class GrowingCluster(Cluster):
    """Started with one follower fewer than it has ports for."""

    def start(self, followers=None):
        return self.run("local", "start", "--dir", self.dir, "--followers",
                        str(followers or self.followers - 1), "--pg-port", str(self.port))


def test_follower_joining_later_gets_a_copy(request):
    c = GrowingCluster(followers=4)
    request.module._murphy_cluster = c
    try:
        c.start()
        conn = c.connect()
        query, want = small_tables(conn, "late", "late_ev")
        wait_consistent(c, conn, timeout=10, replicas=3, tables={"late"})
        c.start(followers=4)  # f4 joins
        wait_consistent(c, conn, timeout=20, replicas=4, tables={"late"})
        with conn.cursor() as cur:
            cur.execute("INSERT INTO late VALUES ('c', 'C', 3)")
            # a table created now has shards led by f4: their joins read f4's copy
            cur.execute("CREATE TABLE late_ev2 (id int PRIMARY KEY, code text) "
                        "WITH (shards = 4, replicas = 1)")
            cur.execute("INSERT INTO late_ev2 SELECT id, code FROM late_ev")
            cur.execute("SELECT count(*) FROM murphy.placements WHERE table_name = 'late_ev2' "
                        "AND node = 'f4'")
            assert cur.fetchone()[0] == 1
        assert fetch_retry(conn, query) == want + [(4, "C")]
        assert fetch_retry(conn, query.replace("late_ev", "late_ev2")) == want + [(4, "C")]
        wait_consistent(c, conn, timeout=10, replicas=4, tables={"late"})
        conn.close()
    finally:
        c.cleanup()
