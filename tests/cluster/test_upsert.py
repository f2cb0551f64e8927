"""INSERT ... ON CONFLICT DO UPDATE, UPDATE ... FROM and DELETE ... USING
(issue 19), checked against PostgreSQL.

kv is distributed by its primary key k over several shards, so a
multi-row upsert touches several shards: each row goes to its key's shard
and SQLite's UPSERT there does the rest.  Row counts, RETURNING, EXCLUDED,
the WHERE of the update, ON CONSTRAINT, 21000 for two rows with one key,
0A000 for a target without the distribution column, and atomicity: a
multi-shard upsert with one failing row changes nothing.  The second half
does the same for UPDATE ... FROM / DELETE ... USING over co-located,
reference and non-co-located tables (a target row matched several times
changes once: the counts say so).
"""
import psycopg2
import pytest

from checker import wait_consistent

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
    # a target that is no unique key: PostgreSQL's 42P10 (test_pg_errors.py has more)
    db.both_error("INSERT INTO kv VALUES (1, 'a', 1, 0) ON CONFLICT (g) DO UPDATE SET n = 1",
                  "42P10")
    err = murphy_error(db, "INSERT INTO kv VALUES (1, 'a', 1, 0) ON CONFLICT (k) "
                          "DO UPDATE SET k = 2")
    assert err.pgcode == "0A000" and "distribution column" in str(err)
    db.both_error("INSERT INTO kv VALUES (1, 'a', 1, 0) ON CONFLICT DO UPDATE SET n = 1",
                  "42601")


# ---- UPDATE ... FROM / DELETE ... USING ----
#
# acc is distributed by id; adj is co-located with it (same shard count,
# joined on its distribution column); rate is a reference table; ev is
# distributed by its own id and joined on acc_id (not co-located: the
# rows are found by a shuffled join).

FROM_TABLES = ("acc", "adj", "rate", "ev")


def load_from_tables(db):
    for t in FROM_TABLES:
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE acc (id int PRIMARY KEY, bal int NOT NULL, tier text)")
    db.exec_both("CREATE TABLE adj (id int PRIMARY KEY, delta int)")
    db.m.cursor().execute("CREATE TABLE rate (tier text PRIMARY KEY, pct int) "
                          "WITH (distribution = 'reference')")
    db.p.cursor().execute("CREATE TABLE rate (tier text PRIMARY KEY, pct int)")
    db.exec_both("CREATE TABLE ev (id int PRIMARY KEY, acc_id int, amt int)")
    db.exec_both("INSERT INTO acc VALUES " + ", ".join(
        "(%d, %d, '%s')" % (i, i * 10, "gold" if i % 3 == 0 else "basic") for i in range(1, 31)))
    db.exec_both("INSERT INTO adj VALUES " + ", ".join(
        "(%d, %d)" % (i, i % 4 - 1) for i in range(1, 31, 2)))
    db.exec_both("INSERT INTO rate VALUES ('gold', 5), ('basic', 1)")
    # several events per account: the account changes once (PostgreSQL's rule)
    db.exec_both("INSERT INTO ev VALUES " + ", ".join(
        "(%d, %d, %d)" % (i, i % 7 + 1, i) for i in range(1, 41)))


def test_update_from_co_located_reference_and_shuffled(db):
    load_from_tables(db)
    db.both("UPDATE acc SET bal = acc.bal + adj.delta FROM adj WHERE adj.id = acc.id "
            "AND adj.delta <> 0")
    db.both("UPDATE acc AS a SET bal = a.bal * (100 + r.pct) / 100 FROM rate r "
            "WHERE r.tier = a.tier AND a.id > 20 RETURNING a.id, a.bal, r.pct")
    db.both("UPDATE acc SET tier = 'active' FROM ev WHERE ev.acc_id = acc.id AND ev.amt > 30")
    db.both("UPDATE acc SET bal = 0 FROM adj, rate WHERE adj.id = acc.id "
            "AND rate.tier = acc.tier AND rate.pct > 1 RETURNING *")
    db.both("UPDATE acc SET bal = -1 FROM adj WHERE adj.id = acc.id AND adj.delta > 100")
    db.both("SELECT * FROM acc ORDER BY id")


def test_delete_using(db):
    load_from_tables(db)
    db.both("DELETE FROM acc USING adj WHERE adj.id = acc.id AND adj.delta = 2 RETURNING acc.*")
    db.both("DELETE FROM acc USING ev WHERE ev.acc_id = acc.id AND ev.amt BETWEEN 10 AND 12")
    db.both("DELETE FROM acc a USING rate r WHERE r.tier = a.tier AND r.pct = 5 "
            "RETURNING a.id, r.pct")
    db.both("SELECT * FROM acc ORDER BY id")


def test_update_from_with_failing_row_changes_nothing(db):
    load_from_tables(db)
    before = db.both("SELECT * FROM acc ORDER BY id")
    # acc 3's new balance is NULL: 23502 on one shard, every shard undone
    db.both_error("UPDATE acc SET bal = CASE WHEN acc.id = 3 THEN NULL ELSE acc.bal + 1 END "
                  "FROM rate WHERE rate.tier = acc.tier", "23502")
    db.both_error("UPDATE acc SET bal = acc.bal / (adj.delta - 2) FROM adj "
                  "WHERE adj.id = acc.id", "22012")
    assert db.both("SELECT * FROM acc ORDER BY id") == before


def test_update_from_refusals(db):
    load_from_tables(db)
    err = murphy_error(db, "UPDATE acc SET id = adj.id FROM adj WHERE adj.id = acc.id")
    assert err.pgcode == "0A000" and "distribution column" in str(err)
    err = murphy_error(db, "UPDATE acc SET bal = 1 FROM (SELECT id FROM adj) s "
                           "WHERE s.id = acc.id")
    assert err.pgcode == "0A000" and "UPDATE ... FROM" in str(err)


# ---- ON CONFLICT on a UNIQUE INDEX (not the primary key) ----
#
# A unique index lives in every shard file, so SQLite's UPSERT sees it as
# it sees the primary key.  Before, SQLite refused the target (XX000), and
# the refusal, answered alike by every copy, marked copies not current: the
# table's next write failed "cannot write shard".


def test_upsert_on_unique_index(db, cluster):
    for t in ("ui",):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE ui (id int PRIMARY KEY, k int, v text)")
    db.exec_both("CREATE UNIQUE INDEX ui_id_k ON ui (id, k)")
    db.exec_both("INSERT INTO ui VALUES " +
                 ", ".join("(%d, %d, 'v%d')" % (i, i * 10, i) for i in range(1, 9)))
    db.both("INSERT INTO ui VALUES (1, 10, 'a'), (2, 20, 'b'), (50, 500, 'c') "
            "ON CONFLICT (id, k) DO UPDATE SET v = ui.v || '+' || excluded.v RETURNING *")
    db.both("INSERT INTO ui VALUES (3, 30, 'd') ON CONFLICT (k, id) DO UPDATE SET v = 'r'")
    db.both("INSERT INTO ui VALUES (4, 40, 'e') ON CONFLICT (id, k) DO NOTHING")
    # the update's WHERE still decides, and sees the stored row
    db.both("INSERT INTO ui AS t VALUES (5, 50, 'w'), (6, 60, 'w') ON CONFLICT (id, k) "
            "DO UPDATE SET v = 'where' WHERE t.id = 5 OR t.id = 99 RETURNING *")
    # no conflict on the index's key, one on the primary key: 23505 as in PostgreSQL
    db.both_error("INSERT INTO ui VALUES (7, 71, 'x') ON CONFLICT (id, k) DO UPDATE SET v = 'n'",
                  "23505")
    db.both_error("INSERT INTO ui AS t VALUES (7, 71, 'x') ON CONFLICT (id, k) "
                  "DO UPDATE SET v = 'n' WHERE false", "23505")
    db.both("INSERT INTO ui VALUES (9, NULL, 'null k')")
    db.both_error("INSERT INTO ui VALUES (9, NULL, 'x') ON CONFLICT (id, k) DO UPDATE SET v = 'n'",
                  "23505")
    # the table's next writes go on: every copy is still current
    db.both("INSERT INTO ui VALUES (60, 600, 'f') ON CONFLICT (id) DO UPDATE SET v = 'g'")
    db.both("INSERT INTO ui VALUES (61, 610, 'h')")
    db.both("SELECT * FROM ui ORDER BY id")
    wait_consistent(cluster, db.m, tables=["ui"])


def test_upsert_on_unique_index_of_a_reference_table(db, cluster):
    # one shard: a unique index need not hold the key; (k) is no rowid
    # column and SQLite matches it as is, (id, k) takes the guard
    db.exec_both("DROP TABLE IF EXISTS ur")
    for conn, extra in ((db.m, " WITH (distribution = 'reference')"), (db.p, "")):
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE ur (id int PRIMARY KEY, k int, v text)" + extra)
    db.exec_both("CREATE UNIQUE INDEX ur_k ON ur (k)")
    db.exec_both("CREATE UNIQUE INDEX ur_id_k ON ur (id, k)")
    db.exec_both("INSERT INTO ur VALUES (1, 10, 'a'), (2, 20, 'b')")
    db.both("INSERT INTO ur VALUES (3, 10, 'c') ON CONFLICT (k) DO UPDATE SET v = excluded.v "
            "RETURNING *")
    db.both("INSERT INTO ur VALUES (2, 20, 'd') ON CONFLICT (id, k) DO UPDATE SET v = 'by id, k'")
    db.both_error("INSERT INTO ur VALUES (2, 21, 'e') ON CONFLICT (id, k) DO UPDATE SET v = 'n'",
                  "23505")
    db.both("INSERT INTO ur VALUES (4, 40, 'f')")
    db.both("SELECT * FROM ur ORDER BY id")
    wait_consistent(cluster, db.m, tables=["ur"])


def test_an_error_every_copy_answers_marks_no_copy(db, cluster):
    # chr(0) is 54000 in PostgreSQL; every copy evaluates it alike.  A
    # 54000 (or XX000) is no data error of class 22/23/42: before, every
    # replica that answered it was marked lagging, and the table's next
    # write found too few current copies ("cannot write shard").
    db.exec_both("DROP TABLE IF EXISTS ue")
    db.exec_both("CREATE TABLE ue (id int PRIMARY KEY, k int, v text)")
    db.exec_both("INSERT INTO ue VALUES (1, 10, 'a')")
    for _ in range(3):
        db.both_error("INSERT INTO ue VALUES (1, 0, 'x') ON CONFLICT (id) "
                      "DO UPDATE SET v = chr(excluded.k)", "54000")
    db.both("INSERT INTO ue VALUES (1, 65, 'x') ON CONFLICT (id) DO UPDATE SET v = chr(excluded.k)")
    db.both("INSERT INTO ue VALUES (2, 66, 'y')")
    db.both("SELECT * FROM ue ORDER BY id")
    _, bad = db.murphy("SELECT node, shard, state FROM murphy.placements "
                       "WHERE table_name = 'ue' AND state <> 'current'")
    assert bad == []
    wait_consistent(cluster, db.m, tables=["ue"])
