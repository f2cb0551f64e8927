"""INSERT ... ON CONFLICT DO UPDATE (issue 19), checked against PostgreSQL.

kv is distributed by its primary key k over several shards, so a
multi-row upsert touches several shards: each row goes to its key's shard
and SQLite's UPSERT there does the rest.  Row counts, RETURNING, EXCLUDED,
the WHERE of the update, ON CONSTRAINT, 21000 for two rows with one key,
0A000 for a target without the distribution column, and atomicity: a
multi-shard upsert with one failing row changes nothing.
"""
import psycopg2
import pytest

KV_DDL = "CREATE TABLE kv (k int PRIMARY KEY, v text, n int NOT NULL, g int)"
PAIR_DDL = "CREATE TABLE pair (a int, b int, v int, PRIMARY KEY (a, b))"


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for t in ("kv", "pair"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both(KV_DDL)
    db.exec_both(PAIR_DDL)
    db.exec_both("INSERT INTO kv VALUES " +
                 ", ".join("(%d, 'v%d', %d, %d)" % (i, i, i, i % 3) for i in range(1, 21)))
    return db


def murphy_error(db, sql):
    cur = db.m.cursor()
    try:
        cur.execute(sql)
    except psycopg2.Error as e:
        return e
    finally:
        cur.close()
    raise AssertionError("murphy did not fail: " + sql)


def test_upsert_counts_and_excluded(db):
    db.both("INSERT INTO kv VALUES (1, 'new', 100, 0), (50, 'fresh', 5, 1) "
            "ON CONFLICT (k) DO UPDATE SET v = kv.v || '+' || excluded.v, n = kv.n + excluded.n")
    db.both("SELECT * FROM kv ORDER BY k")


def test_upsert_returning(db):
    db.both("INSERT INTO kv VALUES (2, 'x', 7, 0), (3, 'y', 8, 0), (60, 'z', 9, 0) "
            "ON CONFLICT (k) DO UPDATE SET n = excluded.n * 10 RETURNING k, v, n")
    db.both("INSERT INTO kv AS t (k, v, n) VALUES (4, 'a', 1), (61, 'b', 2) "
            "ON CONFLICT (k) DO UPDATE SET v = t.v || excluded.v RETURNING *")


def test_upsert_where_on_update(db):
    # only rows whose stored n is below the proposed one change: the count says how many
    db.both("INSERT INTO kv VALUES (5, 'w', 1, 0), (6, 'w', 1000, 0), (7, 'w', 0, 0), "
            "(8, 'w', 999, 0) ON CONFLICT (k) DO UPDATE SET n = excluded.n, v = excluded.v "
            "WHERE kv.n < excluded.n RETURNING k, n")
    db.both("SELECT * FROM kv WHERE k BETWEEN 5 AND 8 ORDER BY k")


def test_upsert_on_constraint_and_composite(db):
    db.both("INSERT INTO kv VALUES (9, 'c', 1, 0) ON CONFLICT ON CONSTRAINT kv_pkey "
            "DO UPDATE SET v = 'by constraint'")
    db.both("INSERT INTO pair VALUES (1, 1, 1), (1, 2, 2), (2, 1, 3)")
    db.both("INSERT INTO pair VALUES (1, 1, 10), (1, 3, 30) "
            "ON CONFLICT (a, b) DO UPDATE SET v = pair.v + excluded.v RETURNING a, b, v")
    db.both("SELECT * FROM pair ORDER BY a, b")


def test_duplicates_in_one_statement_are_21000(db):
    before = db.both("SELECT * FROM kv ORDER BY k")
    db.both_error("INSERT INTO kv VALUES (10, 'd', 1, 0), (10, 'e', 2, 0) "
                  "ON CONFLICT (k) DO UPDATE SET n = excluded.n", "21000")
    db.both_error("INSERT INTO kv VALUES (70, 'd', 1, 0), (71, 'x', 1, 0), (70, 'e', 2, 0) "
                  "ON CONFLICT (k) DO UPDATE SET n = excluded.n", "21000")
    assert db.both("SELECT * FROM kv ORDER BY k") == before
    # a NULL never conflicts; equal keys under DO NOTHING are fine
    db.both("INSERT INTO kv VALUES (72, 'd', 1, 0), (72, 'e', 2, 0) ON CONFLICT DO NOTHING")


def test_multi_shard_upsert_with_failing_row_changes_nothing(db):
    _, shards = db.murphy("SELECT DISTINCT shard FROM murphy.shards WHERE table_name = 'kv'")
    assert len(shards) >= 4  # seven keys: several shards, one implicit transaction
    before = db.both("SELECT * FROM kv ORDER BY k")
    # k = 11..16 spread over the shards; k = 13's update divides by zero
    db.both_error("INSERT INTO kv VALUES (11, 'f', 1, 0), (12, 'f', 1, 0), (13, 'f', 0, 0), "
                  "(14, 'f', 1, 0), (15, 'f', 1, 0), (16, 'f', 1, 0), (80, 'new', 1, 0) "
                  "ON CONFLICT (k) DO UPDATE SET n = 100 / excluded.n", "22012")
    assert db.both("SELECT * FROM kv ORDER BY k") == before
    db.both_error("INSERT INTO kv VALUES (17, 'f', 1, 0), (81, 'n', 1, 0) "
                  "ON CONFLICT (k) DO UPDATE SET n = NULL", "23502")
    assert db.both("SELECT * FROM kv ORDER BY k") == before


def test_do_nothing_still_works(db):
    db.both("INSERT INTO kv VALUES (18, 'no', 1, 0), (90, 'yes', 1, 0) ON CONFLICT DO NOTHING "
            "RETURNING k")
    db.both("INSERT INTO kv VALUES (19, 'no', 1, 0) ON CONFLICT (k) DO NOTHING")
    db.both("SELECT * FROM kv WHERE k IN (18, 19, 90) ORDER BY k")


def test_refusals(db):
    # the conflict target must hold the distribution column (PostgreSQL: 42P10, no such key)
    err = murphy_error(db, "INSERT INTO kv VALUES (1, 'a', 1, 0) ON CONFLICT (g) "
                          "DO UPDATE SET n = 1")
    assert err.pgcode == "0A000" and "distribution column" in str(err)
    err = murphy_error(db, "INSERT INTO kv VALUES (1, 'a', 1, 0) ON CONFLICT (k) "
                          "DO UPDATE SET k = 2")
    assert err.pgcode == "0A000" and "distribution column" in str(err)
    db.both_error("INSERT INTO kv VALUES (1, 'a', 1, 0) ON CONFLICT DO UPDATE SET n = 1",
                  "42601")
