"""A write (or SELECT ... FOR UPDATE) with WHERE dist_key IN (...) or
dist_key = a OR dist_key = b goes only to the shards of those keys
(issue 16; docs/transactions.md "Locks"): EXPLAIN names only those
shards, a block that ran it holds only their locks (murphy.locks), two
blocks over IN-lists of disjoint shards do not wait for each other, and
the answers equal PostgreSQL's, for constants and for parameters sent
through the extended protocol ($1, $2), NULLs, duplicates, keys of one
shard, no match, a range-distributed table and a reference table.
"""
import re

import psycopg2
import pytest

from test_protocol import bind, execute, normalize, parse, SYNC
from wire import login, msg, raw, read_messages

SHARDS = 16


def plan_of(conn, sql):
    with conn.cursor() as cur:
        cur.execute("EXPLAIN " + sql)
        return "\n".join(r[0] for r in cur.fetchall())


def shard_of(conn, table, key):
    plan = plan_of(conn, "SELECT * FROM %s WHERE id = %d" % (table, key))
    return int(re.search(r"\(shard (\d+)\)", plan).group(1))


def shards_line(plan):
    """(n, [shard ids] or None) of the plan's "Shards:" line."""
    m = re.search(r"Shards: (\d+) of \d+(?: \(shards? ([\d, ]+)\))?", plan)
    assert m, plan
    ids = [int(x) for x in m.group(2).split(", ")] if m.group(2) else None
    return int(m.group(1)), ids


def locked_shards(conn, table):
    with conn.cursor() as cur:
        cur.execute("SELECT shard FROM murphy.locks WHERE table_name = %s AND granted "
                    "ORDER BY shard", (table,))
        return [r[0] for r in cur.fetchall()]


def values(n, row):
    """VALUES of rows 1..n, each row % i (murphy has no generate_series)."""
    return "VALUES " + ", ".join("(%s)" % (row % {"i": i}) for i in range(1, n + 1))


def create_both(db, ddl, murphy_tail, pg_tail=""):
    """ddl on both servers, each with its own distribution clause."""
    db.murphy(ddl + murphy_tail)
    with db.p.cursor() as cur:
        cur.execute(ddl + pg_tail)


@pytest.fixture(scope="module")
def keys(db):
    """ids: a, b on two shards; c on a's shard; d, e on two shards of
    their own (neither a's nor b's)."""
    create_both(db, "CREATE TABLE g (id int PRIMARY KEY, v int NOT NULL)",
                " WITH (shards = %d)" % SHARDS)
    db.exec_both("INSERT INTO g " + values(200, "%(i)d, 0"))
    by_shard = {}
    for i in range(1, 201):
        by_shard.setdefault(shard_of(db.m, "g", i), []).append(i)
    groups = [ids for ids in by_shard.values() if len(ids) >= 2]
    assert len(groups) >= 4, by_shard
    a, c = groups[0][:2]
    b, d, e = groups[1][0], groups[2][0], groups[3][0]
    return {"a": a, "b": b, "c": c, "d": d, "e": e,
            "shard": {k: shard_of(db.m, "g", v) for k, v in
                      (("a", a), ("b", b), ("d", d), ("e", e))}}


def test_explain_names_only_the_keys_shards(db, keys):
    a, b, c, d = keys["a"], keys["b"], keys["c"], keys["d"]
    sh = keys["shard"]
    two = sorted([sh["a"], sh["b"]])
    for sql in ("UPDATE g SET v = v + 1 WHERE id IN (%d, %d)" % (a, b),
                "DELETE FROM g WHERE id IN (%d, %d)" % (a, b),
                "UPDATE g SET v = v + 1 WHERE id = %d OR id = %d" % (a, b),
                "UPDATE g SET v = v + 1 WHERE (id IN (%d, %d, NULL, %d)) AND v >= 0"
                % (b, a, a),
                "UPDATE g SET v = v + 1 WHERE id IN (%d, %d, %d)" % (a, c, b),
                "SELECT * FROM g WHERE id IN (%d, %d) FOR UPDATE" % (a, b)):
        plan = plan_of(db.m, sql)
        assert shards_line(plan) == (2, two), plan
    plan = plan_of(db.m, "UPDATE g SET v = v + 1 WHERE id IN (%d, %d)" % (a, b))
    assert "strategy: pruned" in plan, plan
    # keys of one shard: one shard; only NULLs: one shard (no row matches)
    plan = plan_of(db.m, "UPDATE g SET v = v + 1 WHERE id IN (%d, %d)" % (a, c))
    assert shards_line(plan) == (1, [sh["a"]]) and "strategy: router" in plan, plan
    plan = plan_of(db.m, "DELETE FROM g WHERE id IN (NULL)")
    assert shards_line(plan)[0] == 1, plan
    # the one-key fast path is unchanged
    plan = plan_of(db.m, "UPDATE g SET v = v + 1 WHERE id = %d" % d)
    assert shards_line(plan) == (1, [sh["d"]]) and "strategy: router" in plan, plan
    # not a list of keys: every shard
    for where in ("id NOT IN (%d, %d)" % (a, b), "id IN (%d, %d) OR v = 5" % (a, b),
                  "id + 0 IN (%d, %d)" % (a, b)):
        plan = plan_of(db.m, "UPDATE g SET v = v + 1 WHERE " + where)
        assert shards_line(plan) == (SHARDS, None) and "broadcast" in plan, plan


def test_block_locks_only_the_keys_shards(cluster, db, keys):
    a, b = keys["a"], keys["b"]
    two = sorted([keys["shard"]["a"], keys["shard"]["b"]])
    blk = cluster.connect(autocommit=False)
    try:
        for sql in ("UPDATE g SET v = v + 1 WHERE id IN (%d, %d)" % (a, b),
                    "DELETE FROM g WHERE id = %d OR id = %d" % (a, b),
                    "SELECT * FROM g WHERE id IN (%d, %d) FOR UPDATE" % (a, b)):
            with blk.cursor() as cur:
                cur.execute(sql)
            assert locked_shards(db.m, "g") == two, sql
            blk.rollback()
    finally:
        blk.close()


def test_disjoint_in_lists_do_not_wait(cluster, db, keys):
    a, b, d, e = keys["a"], keys["b"], keys["d"], keys["e"]
    first = cluster.connect(autocommit=False)
    second = cluster.connect(autocommit=True)
    with second.cursor() as cur:
        cur.execute("SET lock_timeout = '1s'")
    second.autocommit = False
    try:
        with first.cursor() as cur:
            cur.execute("UPDATE g SET v = v + 1 WHERE id IN (%d, %d)" % (a, b))
        # first holds its shards until COMMIT; second's are others: no wait
        with second.cursor() as cur:
            cur.execute("UPDATE g SET v = v + 1 WHERE id IN (%d, %d)" % (d, e))
            assert cur.rowcount == 2
        second.rollback()  # (murphy only: the table must stay equal to PostgreSQL's)
        # an IN-list that meets first's shards waits (and times out)
        with pytest.raises(psycopg2.Error) as err:
            with second.cursor() as cur:
                cur.execute("UPDATE g SET v = v + 1 WHERE id IN (%d, %d)" % (b, d))
        assert err.value.pgcode == "55P03", err.value
    finally:
        first.close()
        second.close()


def test_results_equal_postgresql(db, keys):
    a, b, c, d = keys["a"], keys["b"], keys["c"], keys["d"]
    for sql in ("UPDATE g SET v = v + 1 WHERE id IN (%d, %d) RETURNING id, v" % (a, b),
                "UPDATE g SET v = v + 10 WHERE id IN (%d, %d, %d, %d, NULL) RETURNING id, v"
                % (a, a, c, b),
                "UPDATE g SET v = v + 1 WHERE id = %d OR id = %d OR id = %d" % (a, d, b),
                "UPDATE g SET v = v + 1 WHERE id IN (NULL)",
                "UPDATE g SET v = v + 1 WHERE id IN (100001, 100002)",
                "UPDATE g SET v = v + 1 WHERE id IN (%d, %d) AND v > 1000" % (a, b),
                "SELECT id, v FROM g WHERE id IN (%d, %d, %d) ORDER BY id" % (a, b, c),
                "SELECT count(*), sum(v) FROM g WHERE id = %d OR id = %d" % (c, d),
                "DELETE FROM g WHERE id IN (%d, %d) RETURNING id" % (c, d),
                "DELETE FROM g WHERE id IN (%d, %d)" % (c, d),
                "SELECT id, v FROM g ORDER BY id"):
        db.both(sql)
    db.m.autocommit = db.p.autocommit = False
    try:
        db.both("SELECT id, v FROM g WHERE id IN (%d, %d) ORDER BY id FOR UPDATE" % (a, b))
    finally:
        db.m.rollback()
        db.p.rollback()
        db.m.autocommit = db.p.autocommit = True


def test_other_key_types_and_tables(db):
    # bigint and text keys (the general IN list, not the integer-text one)
    db.exec_both("CREATE TABLE gb (id bigint PRIMARY KEY, s text NOT NULL, v int)")
    db.exec_both("INSERT INTO gb " + values(50, "%(i)d, 'k%(i)d', 0"))
    plan = plan_of(db.m, "UPDATE gb SET v = 1 WHERE id IN (3, 4)")
    assert shards_line(plan)[0] <= 2, plan
    db.both("UPDATE gb SET v = v + 1 WHERE id IN (3, 4, 3) RETURNING id, v")
    db.exec_both("CREATE TABLE gt (k text PRIMARY KEY, v int)")
    db.exec_both("INSERT INTO gt " + values(50, "'k%(i)d', 0"))
    plan = plan_of(db.m, "DELETE FROM gt WHERE k IN ('k1', 'k2')")
    assert shards_line(plan)[0] <= 2, plan
    db.both("UPDATE gt SET v = v + 1 WHERE k IN ('k1', 'k2', NULL) RETURNING k, v")
    db.both("DELETE FROM gt WHERE k = 'k3' OR k = 'k4' RETURNING k")
    db.both("SELECT k, v FROM gt ORDER BY k")
    # range-distributed: the ranges of the keys
    create_both(db, "CREATE TABLE gr (id int PRIMARY KEY, v int) PARTITION BY RANGE (id)",
                " WITH (range_bounds = '10,20,30')")
    with db.p.cursor() as cur:
        cur.execute("CREATE TABLE gr_all PARTITION OF gr DEFAULT")
    db.exec_both("INSERT INTO gr " + values(40, "%(i)d, 0"))
    plan = plan_of(db.m, "UPDATE gr SET v = 1 WHERE id IN (5, 25)")
    assert shards_line(plan)[0] == 2, plan
    db.both("UPDATE gr SET v = v + 1 WHERE id IN (5, 25, 7) RETURNING id, v")
    db.both("DELETE FROM gr WHERE id = 35 OR id = 15 RETURNING id")
    db.both("SELECT id, v FROM gr ORDER BY id")
    # reference table: every copy, as before
    create_both(db, "CREATE TABLE gref (id int PRIMARY KEY, v int)",
                " WITH (distribution = 'reference')")
    db.exec_both("INSERT INTO gref " + values(10, "%(i)d, 0"))
    db.both("UPDATE gref SET v = v + 1 WHERE id IN (1, 2) RETURNING id, v")
    db.both("SELECT id, v FROM gref ORDER BY id")


def test_parameters_through_the_extended_protocol(cluster, db, keys, pg, pgconn):
    a, b = keys["a"], keys["b"]
    two = sorted([keys["shard"]["a"], keys["shard"]["b"]])
    m = raw(cluster.port)
    login(m)
    p = raw(pg.port)
    login(p, b"postgres", pgconn.info.dbname.encode())
    answers, locked = [], None
    try:
        for s in (m, p):
            s.sendall(msg(b"Q", b"BEGIN\0"))
            read_messages(s)
            s.sendall(parse("", "UPDATE g SET v = v + 1 WHERE id IN ($1, $2, $3) "
                            "RETURNING id, v") +
                      bind("", "", [str(a), str(b), None]) + execute("") + SYNC)
            answers.append(sorted(normalize(read_messages(s))))
            if s is m:  # the block holds only the parameters' shards
                locked = locked_shards(db.m, "g")
            s.sendall(msg(b"Q", b"COMMIT\0"))
            read_messages(s)
    finally:
        m.close()
        p.close()
    assert locked == two
    assert answers[0] == answers[1], answers
    assert any(k == b"C" and body.startswith(b"UPDATE 2") for k, body in answers[0]), answers
    db.both("SELECT id, v FROM g ORDER BY id")
