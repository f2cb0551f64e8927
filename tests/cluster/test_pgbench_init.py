"""pgbench works against murphy (issue 16): `pgbench -i` and the default
TPC-B script, with real pgbench against a real cluster.

What `pgbench -i` needs, each checked on the followers' own files
(``checker.placement_files``: every copy read directly):

- CREATE TABLE ... WITH (fillfactor = 100): accepted (a heap hint SQLite
  has no use for); pgbench's tables have no key at CREATE, and their first
  column is an integer NOT NULL, which distributes them (aid, bid, tid);
- TRUNCATE: a DELETE of every row through the write path, so every copy
  loses the rows, a copy that was down when it ran included (catch-up);
- COPY ... WITH (FREEZE ON), VACUUM ANALYZE: accepted;
- ALTER TABLE ADD PRIMARY KEY: a unique index on every copy, 23505 on
  duplicates (and then on no copy at all);
- what murphy cannot do is 0A000 naming it: --partitions, --foreign-keys,
  server-side generation (-I G), tablespaces, VACUUM FULL, other storage
  options.
"""
import os
import re
import sqlite3
import subprocess
import time

import psycopg2
import pytest

from checker import placement_files, wait_consistent
from conftest import Cluster

PGBENCH = "pgbench"
TIMEOUT_S = 120


@pytest.fixture(scope="module")
def cl(request):
    c = Cluster()
    request.module._murphy_cluster = c
    try:
        c.start()
        yield c
    finally:
        c.cleanup()


def pgbench(c, *args, check=True):
    r = subprocess.run([PGBENCH, "-h", "127.0.0.1", "-p", str(c.port), "-U", "murphy"]
                       + list(args) + ["murphy"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=TIMEOUT_S)
    if check:
        assert r.returncode == 0, "pgbench %s failed:\n%s\n%s" % (args, r.stdout, r.stderr)
    return r


def one(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def copies(c, table):
    """{shard: {node: rows}} from every copy's file."""
    out = {}
    for (t, shard, node), (_, _, rows, _) in placement_files(c).items():
        if t == table:
            out.setdefault(shard, {})[node] = rows
    return out


def indexes(path, table):
    """Names of the indexes on table in one copy's file (not SQLite's own)."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
    try:
        return {r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND name NOT LIKE 'sqlite_autoindex%'", (table,))}
    finally:
        db.close()


def copy_indexes(c, table):
    """{(shard, node): index names} of every copy of table."""
    return {(s, n): indexes(v[0], table) for (t, s, n), v in placement_files(c).items()
            if t == table}


def sqlstate_of(conn, sql):
    with pytest.raises(psycopg2.Error) as e:
        with conn.cursor() as cur:
            cur.execute(sql)
    return e.value


def test_pgbench_init_loads_every_shard_and_copy(cl):
    """pgbench -i -s 2 succeeds; each table holds its rows once per copy,
    pgbench_accounts spread over all its shards by aid, and every copy has
    the primary key's index."""
    r = pgbench(cl, "-i", "-s", "2")
    assert "done in" in r.stderr, r.stderr
    conn = cl.connect()
    want = {"pgbench_accounts": 200000, "pgbench_branches": 2, "pgbench_tellers": 20,
            "pgbench_history": 0}
    for table, n in want.items():
        assert one(conn, "SELECT count(*) FROM " + table) == n, table
    wait_consistent(cl, conn, tables=set(want), replicas=3)
    for table, n in want.items():
        per_shard = copies(cl, table)
        nshards = one(conn, "SELECT count(*) FROM murphy.shards WHERE table_name = %s", (table,))
        assert len(per_shard) == nshards, (table, per_shard)
        for shard, nodes in per_shard.items():
            assert len(nodes) == 3 and len(set(nodes.values())) == 1, (table, shard, nodes)
        assert sum(next(iter(nodes.values())) for nodes in per_shard.values()) == n, table
        assert sum(sum(nodes.values()) for nodes in per_shard.values()) == 3 * n, table
    accounts = copies(cl, "pgbench_accounts")
    assert all(min(nodes.values()) > 200000 / len(accounts) / 2 for nodes in accounts.values()), \
        accounts  # spread: every shard holds a fair part
    with conn.cursor() as cur:
        cur.execute("EXPLAIN SELECT abalance FROM pgbench_accounts WHERE aid = 12345")
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert "strategy: router" in plan and "Shards: 1 of" in plan, plan  # distributed by aid
    for table in ("pgbench_accounts", "pgbench_branches", "pgbench_tellers"):
        idx = copy_indexes(cl, table)
        assert idx and all(table + "_pkey" in names for names in idx.values()), (table, idx)
    assert not any(copy_indexes(cl, "pgbench_history").values())  # pgbench adds no key there
    conn.close()


def test_tpcb_runs_and_balances_agree(cl):
    """The default TPC-B script runs without errors (each statement commits
    alone: no transactions are claimed) and the balances agree:
    sum(abalance) = sum(tbalance) = sum(bbalance) = sum(delta)."""
    pgbench(cl, "-i", "-s", "1", "-q")
    r = pgbench(cl, "-n", "-c", "4", "-T", "4")
    processed = int(re.search(r"number of transactions actually processed: (\d+)", r.stdout)[1])
    tps = float(re.search(r"tps = ([\d.]+)", r.stdout)[1])
    print("TPC-B, 4 clients, 4 s: %d transactions, %.1f tps" % (processed, tps))
    assert processed > 0 and "number of failed transactions: 0 " in r.stdout, r.stdout
    conn = cl.connect()
    sums = [one(conn, "SELECT sum(%s) FROM %s" % (col, table)) for col, table in
            (("abalance", "pgbench_accounts"), ("tbalance", "pgbench_tellers"),
             ("bbalance", "pgbench_branches"), ("delta", "pgbench_history"))]
    assert len(set(sums)) == 1, sums
    assert one(conn, "SELECT count(*) FROM pgbench_history") == processed
    conn.close()


def test_truncate_empties_every_copy_even_one_that_was_down(cl):
    """TRUNCATE of two tables removes every row from every copy of every
    shard, leaves other tables alone, and a copy whose follower was killed
    while it ran loses its rows too once it is back (the TRUNCATE is a
    logged write that catch-up carries)."""
    conn = cl.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE tr_a (id int NOT NULL, v text) WITH (shards = 4)")
        cur.execute("CREATE TABLE tr_b (id bigint PRIMARY KEY, v text) WITH (shards = 3)")
        cur.execute("CREATE TABLE tr_keep (id int PRIMARY KEY) WITH (shards = 2)")
        for t in ("tr_a", "tr_b", "tr_keep"):
            cur.execute("INSERT INTO %s (id) VALUES %s" % (
                t, ", ".join("(%d)" % i for i in range(1, 201))))
    wait_consistent(cl, conn, tables={"tr_a", "tr_b", "tr_keep"})
    assert all(n == 200 * 3 for n in (sum(sum(x.values()) for x in copies(cl, t).values())
                                      for t in ("tr_a", "tr_b", "tr_keep")))
    os.kill(cl.pid("f3"), 9)
    try:
        deadline = time.time() + 15
        while one(conn, "SELECT state FROM murphy.nodes WHERE name = 'f3'") == "alive":
            assert time.time() < deadline, "f3 still alive"
            time.sleep(0.1)
        with conn.cursor() as cur:
            cur.execute("TRUNCATE TABLE tr_a, tr_b")
            assert cur.statusmessage == "TRUNCATE TABLE"
        assert one(conn, "SELECT count(*) FROM tr_a") == 0
        assert one(conn, "SELECT count(*) FROM tr_b") == 0
        assert any(n > 0 for x in copies(cl, "tr_a").values() for node, n in x.items()
                   if node == "f3")  # f3 missed it
    finally:
        cl.start()  # f3 back: checked and caught up
    wait_consistent(cl, conn, tables={"tr_a", "tr_b", "tr_keep"}, replicas=3)
    for t in ("tr_a", "tr_b"):
        per_shard = copies(cl, t)
        assert per_shard and all(len(x) == 3 and not any(x.values())
                                 for x in per_shard.values()), (t, per_shard)
    assert sum(sum(x.values()) for x in copies(cl, "tr_keep").values()) == 600
    assert one(conn, "SELECT count(*) FROM tr_keep") == 200
    with conn.cursor() as cur:  # the table works after it
        cur.execute("INSERT INTO tr_b VALUES (1, 'x')")
    assert one(conn, "SELECT v FROM tr_b WHERE id = 1") == "x"
    conn.close()


def test_add_primary_key_refuses_duplicates(cl):
    """ADD PRIMARY KEY over duplicate keys is 23505 and leaves the index on
    no copy; without them it builds it on every copy, and a duplicate
    insert is then 23505."""
    conn = cl.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE pk_t (id int NOT NULL, v int) WITH (shards = 4)")
        cur.execute("INSERT INTO pk_t VALUES (1, 1), (2, 2), (3, 3), (2, 4)")
    e = sqlstate_of(conn, "ALTER TABLE pk_t ADD PRIMARY KEY (id)")
    assert e.pgcode == "23505", e
    assert 'could not create unique index "pk_t_pkey"' in e.diag.message_primary, e
    idx = copy_indexes(cl, "pk_t")
    assert len(idx) == 4 * 3 and not any(idx.values()), idx
    with conn.cursor() as cur:
        cur.execute("DELETE FROM pk_t WHERE v = 4")
        cur.execute("ALTER TABLE pk_t ADD PRIMARY KEY (id)")
        assert cur.statusmessage == "ALTER TABLE"
    idx = copy_indexes(cl, "pk_t")
    assert len(idx) == 4 * 3 and all(names == {"pk_t_pkey"} for names in idx.values()), idx
    e = sqlstate_of(conn, "INSERT INTO pk_t VALUES (3, 9)")
    assert e.pgcode == "23505", e
    e = sqlstate_of(conn, "ALTER TABLE pk_t ADD PRIMARY KEY (id)")
    assert e.pgcode == "42P16", e  # one primary key
    conn.close()


REFUSED = [
    # (statement, words the message must hold)
    ("ALTER TABLE ref_t ADD PRIMARY KEY (id)", "distribution column \"v\""),
    ("ALTER TABLE ref_t ALTER COLUMN v TYPE text", "distribution column's type"),
    ("ALTER TABLE ref_t ADD FOREIGN KEY (v) REFERENCES pk_t ON UPDATE CASCADE",
     "ON UPDATE CASCADE"),  # foreign keys themselves: test_foreign_keys.py
    ("VACUUM FULL ref_t", "VACUUM option \"full\""),
    ("VACUUM (FREEZE) ref_t", "VACUUM option \"freeze\""),
    ("CREATE TABLE ref_u (id int) WITH (autovacuum_enabled = off)",
     "table option \"autovacuum_enabled\""),
    ("CREATE TABLE ref_p PARTITION OF ref_t FOR VALUES FROM (1) TO (2)", "PARTITION OF"),
]


@pytest.mark.parametrize("sql,words", REFUSED)
def test_what_murphy_cannot_do_is_0A000(cl, sql, words):
    conn = cl.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS ref_t (id int NOT NULL, v int NOT NULL) "
                    "PARTITION BY HASH (v) WITH (fillfactor = 90)")
        cur.execute("VACUUM ref_t")
        assert cur.statusmessage == "VACUUM"
        cur.execute("VACUUM ANALYZE ref_t")
    e = sqlstate_of(conn, sql)
    assert e.pgcode == "0A000", (sql, e)
    said = "%s\n%s" % (e.diag.message_primary, e.diag.message_detail)
    assert words in said, (sql, said)
    conn.close()


@pytest.mark.parametrize("args,words", [
    (("--partitions", "2"), "PARTITION OF"),
    (("--foreign-keys",), "foreign keys"),
    (("--tablespace", "fast"), "tablespaces"),
    (("--index-tablespace", "fast"), "tablespaces"),
])
def test_pgbench_options_murphy_cannot_honour_are_refused(cl, args, words):
    """pgbench -i with what murphy lacks stops on a 0A000 naming it (the
    message, not a crash or a wrong answer)."""
    r = pgbench(cl, "-i", *args, check=False)
    assert r.returncode != 0, r.stderr
    assert "murphy does not support" in r.stderr and words in r.stderr, r.stderr


def test_pgbench_server_side_generate(cl):
    """pgbench -i -I dtGvp generates the rows in the server with
    generate_series (leader-side, inserted into the shards): every table
    holds its rows, the sums as pgbench writes them."""
    pgbench(cl, "-i", "-I", "dtGvp")
    conn = cl.connect()
    conn.autocommit = True
    for table, n in (("pgbench_branches", 1), ("pgbench_tellers", 10),
                     ("pgbench_accounts", 100000)):
        assert one(conn, "SELECT count(*) FROM " + table) == n, table
    assert one(conn, "SELECT sum(aid) FROM pgbench_accounts") == 100000 * 100001 // 2
    with conn.cursor() as cur:
        cur.execute("INSERT INTO pgbench_history (tid, bid, aid, delta) "
                    "SELECT g, 1, g, g * 2 FROM generate_series(1, 3) AS g")
    assert one(conn, "SELECT sum(delta) FROM pgbench_history WHERE aid <= 3") == 12
    conn.close()
