"""Create, load, query; the protocol basics; murphy.nodes and murphy.shards."""
import os

import psycopg2
import pytest


def test_select_one(cluster):
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
        assert cur.description[0].type_code == 23
    conn.close()


def test_any_database_name_but_only_known_users(cluster):
    """One database whatever its name; a user needs a role (test_auth.py)."""
    for dbname in ("postgres", "whatever"):
        conn = psycopg2.connect(cluster.dsn(dbname=dbname))
        with conn.cursor() as cur:
            cur.execute("SELECT 2")
            assert cur.fetchone() == (2,)
        conn.close()
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(cluster.dsn(user="alice"))


def test_parameter_status(cluster):
    conn = cluster.connect()
    assert conn.server_version >= 90000
    for name, want in (("server_encoding", "UTF8"), ("client_encoding", "UTF8"),
                       ("standard_conforming_strings", "on"), ("integer_datetimes", "on")):
        assert conn.get_parameter_status(name) == want, name
    assert conn.get_parameter_status("DateStyle").startswith("ISO")
    conn.close()


def test_create_load_query(db):
    db.exec_both("CREATE TABLE kv (k int PRIMARY KEY, v text)")
    db.both("INSERT INTO kv VALUES " + ", ".join("(%d, 'v%d')" % (i, i) for i in range(1, 501)))
    db.both("SELECT count(*), min(k), max(k), sum(k) FROM kv")
    db.both("SELECT v FROM kv WHERE k = 250")
    db.both("SELECT k, v FROM kv WHERE k % 50 = 0")


def test_table_without_primary_key(db):
    db.exec_both("CREATE TABLE nokey (a int, b text)")
    db.both("INSERT INTO nokey VALUES (1, 'x'), (1, 'x'), (2, NULL), (NULL, 'y')")
    db.both("SELECT * FROM nokey")
    db.both("SELECT a, count(*) FROM nokey GROUP BY a")


def test_partition_by_hash_and_shard_count(db):
    db.m.cursor().execute("CREATE TABLE hashed (id bigint, grp int, val text) "
                          "PARTITION BY HASH (grp) WITH (shards = 6)")
    db.p.cursor().execute("CREATE TABLE hashed (id bigint, grp int, val text)")
    rows = ", ".join("(%d, %d, 'g%d')" % (i, i % 40, i % 40) for i in range(1, 1001))
    db.both("INSERT INTO hashed VALUES " + rows)
    db.both("SELECT grp, count(*), min(val) FROM hashed GROUP BY grp")
    cols, shards = db.murphy("SELECT table_name, shard, hash_min, hash_max, node, rows "
                             "FROM murphy.shards WHERE table_name = 'hashed'")
    assert len({r[1] for r in shards}) == 6, shards


def test_shard_ranges_cover_hash_space(db):
    cols, rows = db.murphy("SELECT DISTINCT shard, hash_min, hash_max FROM murphy.shards "
                           "WHERE table_name = 'hashed'")
    ranges = sorted((int(r[1]), int(r[2])) for r in rows)
    assert ranges[0][0] == 0 and ranges[-1][1] == 2 ** 32 - 1, ranges
    for (lo1, hi1), (lo2, hi2) in zip(ranges, ranges[1:]):
        assert lo2 == hi1 + 1, ranges


def test_rows_per_shard_add_up(db, cluster):
    cols, rows = db.murphy("SELECT shard, node, rows FROM murphy.shards WHERE table_name = 'hashed'")
    per_shard = {}
    for shard, node, n in rows:
        assert node in cluster.node_names()[1:], rows
        per_shard.setdefault(shard, set()).add(int(n))
    # every placement of a shard holds the same rows; the shards add up to the table
    assert all(len(v) == 1 for v in per_shard.values()), per_shard
    assert sum(v.pop() for v in per_shard.values()) == 1000
    assert len({r[1] for r in rows}) == cluster.followers, "shards not spread over all followers"


def test_murphy_nodes(db, cluster):
    cols, rows = db.murphy("SELECT name, address, role, state, last_heartbeat FROM murphy.nodes")
    by_name = {r[0]: r for r in rows}
    assert set(by_name) == set(cluster.node_names()), rows
    assert by_name["leader"][2] == "leader"
    for i in range(1, cluster.followers + 1):
        name, address, role, state, heartbeat = by_name["f%d" % i]
        assert role == "follower" and state == "alive", by_name[name]
        assert address.endswith(":%d" % (cluster.port + 1 + i)), address
        assert heartbeat is not None


def test_pid_files_named_after_nodes(db, cluster):
    cols, rows = db.murphy("SELECT name FROM murphy.nodes")
    for (name,) in rows:
        pid = cluster.pid(name)
        assert pid, "no pid file at %s/%s/murphy.pid" % (cluster.dir, name)
        os.kill(pid, 0)


def test_drop_table(db):
    db.exec_both("CREATE TABLE dropme (id int PRIMARY KEY)")
    db.both("DROP TABLE dropme")
    db.both_error("SELECT * FROM dropme", "42P01")
    db.both("DROP TABLE IF EXISTS dropme")
    db.both_error("DROP TABLE dropme", "42P01")
    cols, rows = db.murphy("SELECT count(*) FROM murphy.shards WHERE table_name = 'dropme'")
    assert rows[0][0] == 0


def test_create_index(db):
    db.both("CREATE INDEX kv_v ON kv (v)")
    db.both("SELECT k FROM kv WHERE v = 'v77'")


def test_recreate_table_after_drop(db):
    db.exec_both("CREATE TABLE again (id int PRIMARY KEY, x text)")
    db.exec_both("INSERT INTO again VALUES (1, 'first')")
    db.exec_both("DROP TABLE again")
    db.exec_both("CREATE TABLE again (id int PRIMARY KEY, y int)")
    db.both("INSERT INTO again VALUES (1, 5)")
    db.both("SELECT * FROM again")


def test_notice_response(db):
    """DROP TABLE IF EXISTS on a missing table: a NOTICE, as in PostgreSQL."""
    for conn in (db.m, db.p):
        del conn.notices[:]
    db.both("DROP TABLE IF EXISTS never_created")
    m, p = list(db.m.notices), list(db.p.notices)
    assert len(m) == len(p) == 1, (m, p)
    assert m[0].startswith("NOTICE:") and "never_created" in m[0], m
