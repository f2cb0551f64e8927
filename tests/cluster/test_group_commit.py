"""Group commit on the leader: concurrent row inserts into one shard share
one log entry (replication/repl_write.c, group()).  What must hold:

- every insert that was acknowledged is there, exactly once;
- an insert whose row violates a constraint fails alone with its own
  SQLSTATE, even when it was grouped with others (the group is split and
  its members retried one by one), and the others succeed;
- every copy of every shard ends identical (same LSN, current);
- whether an insert may be grouped is the planner's word (no RETURNING,
  no ON CONFLICT), not a word found in its SQL text: a column named
  "RETURNING" does not keep plain inserts apart.
"""
import threading

import psycopg2
import pytest


CLIENTS = 16
PER_CLIENT = 60


def _writer(cluster, cid, ok, failed, errors, table="gc", per_client=PER_CLIENT):
    conn = cluster.connect()
    cur = conn.cursor()
    for i in range(per_client):
        # a small key space on a 2-shard table: many clients hit the same
        # shard at once, and every 10th row reuses a key another client
        # inserts too (one of the two must fail with 23505)
        key = cid * 1000 + i if i % 10 else 999000 + i
        try:
            cur.execute("INSERT INTO %s VALUES (%%s, %%s)" % table, (key, cid))
            ok.append(key)
        except psycopg2.Error as e:
            failed.append(key)
            errors.append(e.pgcode)
    conn.close()


def test_grouped_inserts_all_or_alone(cluster):
    conn = cluster.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE gc (k bigint PRIMARY KEY, c int) WITH (shards = 2)")
    ok, failed, errors = [], [], []
    threads = [threading.Thread(target=_writer, args=(cluster, c, ok, failed, errors))
               for c in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # only duplicate keys failed, each with a unique violation
    assert set(errors) <= {"23505"}
    dup_keys = {999000 + i for i in range(0, PER_CLIENT, 10)}
    assert set(failed) <= dup_keys
    # each shared key was inserted exactly once
    assert len(failed) == len(dup_keys) * (CLIENTS - 1)

    cur.execute("SELECT count(*), count(DISTINCT k) FROM gc")
    assert cur.fetchone() == (len(ok), len(ok))
    cur.execute("SELECT k FROM gc")
    assert sorted(r[0] for r in cur.fetchall()) == sorted(ok)

    # every copy current at the shard's LSN
    cur.execute("SELECT shard, min(applied_lsn), max(applied_lsn), "
                "sum(CASE WHEN state = 'current' THEN 1 ELSE 0 END) FROM murphy.placements "
                "WHERE table_name = 'gc' GROUP BY shard")
    rows = cur.fetchall()
    assert len(rows) == 2
    for shard, lo, hi, current in rows:
        assert lo == hi, "copies of shard %d at different LSNs" % shard
        assert current == cluster.followers
    # grouping happened: fewer log entries than acknowledged inserts
    assert sum(r[2] for r in rows) < len(ok)
    conn.close()


def test_keyword_in_a_name_does_not_stop_grouping(cluster):
    # the shard's INSERT text holds the word RETURNING (the column's name);
    # the statement has no RETURNING clause, so its rows group as any other
    conn = cluster.connect()
    cur = conn.cursor()
    cur.execute('CREATE TABLE gk (k bigint PRIMARY KEY, "RETURNING" int) WITH (shards = 1)')
    ok, failed, errors = [], [], []
    threads = [threading.Thread(target=_writer,
                                args=(cluster, c, ok, failed, errors, "gk", PER_CLIENT // 2))
               for c in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(errors) <= {"23505"}
    cur.execute('SELECT count(*), count(DISTINCT k), count("RETURNING") FROM gk')
    assert cur.fetchone() == (len(ok), len(ok), len(ok))
    cur.execute("SELECT max(applied_lsn) FROM murphy.placements WHERE table_name = 'gk'")
    entries = cur.fetchone()[0]
    assert entries < len(ok), "%d entries for %d inserts: none grouped" % (entries, len(ok))
    conn.close()
