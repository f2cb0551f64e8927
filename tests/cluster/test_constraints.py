"""CHECK constraints as catalog objects and DROP CONSTRAINT of keys (issue
19, sql/plan_check.c, pgcatalog/pgc_checkdef.c, docs/constraints.md),
differential against PostgreSQL 15: the names PostgreSQL chooses, the text
pg_get_constraintdef prints (pretty or not), pg_constraint,
information_schema.check_constraints / table_constraints, psql's \\d
query, the SQLSTATE and message of a violation on INSERT / UPDATE / COPY,
ADD CONSTRAINT checking the rows of every shard, DROP / RENAME COLUMN
carrying the CHECKs along, and DROP CONSTRAINT of a UNIQUE.  Each change is
checked on every copy's own SQLite file too (its triggers).
"""
import io
import sqlite3

import psycopg2
import pytest

from checker import placement_files, wait_consistent
from conftest import owned_cluster, timer_args
from test_alter_crash import leader_dies_in_alter


def run(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else None


def copy_triggers(cl, table):
    """{(shard, node): set of trigger names} of every copy of table."""
    out = {}
    for (t, shard, node), v in placement_files(cl).items():
        if t != table:
            continue
        db = sqlite3.connect("file:%s?mode=ro" % v[0], uri=True, timeout=5)
        try:
            out[(shard, node)] = {r[0] for r in db.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'trigger'")}
        finally:
            db.close()
    return out


def checks_of(db, table):
    """The table's CHECKs as pg_constraint and pg_get_constraintdef show them."""
    return db.both("SELECT conname::text, contype::text, pg_get_constraintdef(oid), "
                   "pg_get_constraintdef(oid, true) FROM pg_constraint "
                   "WHERE conrelid = '%s'::regclass AND contype = 'c' ORDER BY conname" % table)


CREATE_MANY = """CREATE TABLE ck_many (id int PRIMARY KEY, a int, b bigint, c numeric, d text,
    e varchar(10), f float8, g date, h boolean, i int2,
    CHECK (a > 0), CHECK (b > 0 AND b < 100), CHECK (c > 0), CHECK (c > 1.5),
    CHECK (d <> ''), CHECK (e <> 'x'), CHECK (f > 0), CHECK (g > '2020-01-01'), CHECK (h),
    CHECK (a > -1), CHECK (a IS NOT NULL), CHECK (a IN (1, 2, 3)), CHECK (d IN ('a', 'b')),
    CHECK (a BETWEEN 1 AND 10), CHECK (NOT (a = 5)), CHECK (length(d) < 10))"""

CREATE_MORE = """CREATE TABLE ck_more (id int PRIMARY KEY, a int, b bigint, c numeric,
    d text, i int2,
    CHECK (a + b > 0), CHECK (i > 0), CHECK (a > 0 OR b IS NULL), CHECK (c <> -1.5),
    CHECK (d LIKE 'a%'), CHECK (a * 2 < 100), CHECK (upper(d) = d), CHECK (a <> b),
    CHECK ((a + b) * 2 > a - 1), CHECK (a NOT IN (7, 8)), CHECK (a NOT BETWEEN 50 AND 60))"""


def test_create_table_checks_print_as_postgres(db):
    for sql in (CREATE_MANY, CREATE_MORE):
        name = sql.split()[2]
        db.exec_both("DROP TABLE IF EXISTS %s" % name)
        db.exec_both(sql)
        rows = checks_of(db, name)
        assert len(rows) >= 11
    db.both("SELECT constraint_name::text, check_clause::text "
            "FROM information_schema.check_constraints WHERE constraint_name::text "
            "LIKE 'ck_m%' ORDER BY 1")
    db.both("SELECT constraint_name::text, table_name::text, constraint_type::text "
            "FROM information_schema.table_constraints WHERE table_name::text LIKE 'ck_m%' "
            "AND constraint_type::text IN ('CHECK', 'PRIMARY KEY') "
            "AND constraint_name::text NOT LIKE '%not_null' ORDER BY 1")
    db.both("SELECT relname::text, relchecks FROM pg_class WHERE relname::text LIKE 'ck_m%' "
            "AND relkind = 'r' ORDER BY 1")


def test_names_follow_postgres(db):
    db.exec_both("DROP TABLE IF EXISTS nm")
    db.exec_both("CREATE TABLE nm (c int CHECK (c > 0), d int, CONSTRAINT named CHECK (d < 5), "
                 "CHECK (c < d), CHECK (c > -10), e int CHECK (e > d))")
    db.both("SELECT conname::text, conkey::text FROM pg_constraint WHERE conrelid = 'nm'::regclass "
            "AND contype = 'c' ORDER BY conname")
    db.both("ALTER TABLE nm ADD CHECK (d > -100)")
    db.both("ALTER TABLE nm ADD CHECK (c + d > -1000)")
    db.both_error("ALTER TABLE nm ADD CONSTRAINT named CHECK (d < 6)", "42710")
    db.both_error("CREATE TABLE nm2 (a int CONSTRAINT x CHECK (a > 0), CONSTRAINT x CHECK (a < 9))",
                  "42710")
    db.both_error("CREATE TABLE nm2 (a int CHECK (nope > 0))", "42703")
    checks_of(db, "nm")


def test_psql_describe_lists_check_constraints(db):
    db.exec_both("DROP TABLE IF EXISTS dsc")
    db.exec_both("CREATE TABLE dsc (id int PRIMARY KEY, price numeric CHECK (price > 0), "
                 "name varchar(20), CONSTRAINT name_nonempty CHECK (name <> ''))")
    # psql 15's \d dsc: relchecks first, then the "Check constraints:" query
    db.both("SELECT c.relchecks FROM pg_catalog.pg_class c WHERE c.oid = 'dsc'::regclass")
    db.both("SELECT r.conname::text, pg_catalog.pg_get_constraintdef(r.oid, true) "
            "FROM pg_catalog.pg_constraint r WHERE r.conrelid = 'dsc'::regclass "
            "AND r.contype = 'c' ORDER BY 1")


def test_violations_answer_as_postgres(db):
    db.exec_both("DROP TABLE IF EXISTS vi")
    db.exec_both("DROP TABLE IF EXISTS vi_renamed")
    db.exec_both("CREATE TABLE vi (id int PRIMARY KEY, qty int CHECK (qty >= 0), "
                 "name text, CHECK (length(name) < 5))")
    db.exec_both("INSERT INTO vi SELECT g, g, 'n' FROM generate_series(1, 40) g")
    for sql in ["INSERT INTO vi VALUES (100, -1, 'x')",
                "INSERT INTO vi VALUES (101, 1, 'toolong')",
                "UPDATE vi SET qty = qty - 10",           # some rows on every shard
                "UPDATE vi SET name = 'abcdef' WHERE id = 7"]:
        errs = []
        for conn in (db.m, db.p):
            with pytest.raises(psycopg2.Error) as e:
                run(conn, sql)
            errs.append(e.value)
        assert errs[0].pgcode == errs[1].pgcode == "23514"
        assert errs[0].diag.message_primary == errs[1].diag.message_primary
    db.both("INSERT INTO vi VALUES (102, NULL, NULL)")  # NULL passes
    # COPY: the same check on every row
    for conn in (db.m, db.p):
        with conn.cursor() as cur, pytest.raises(psycopg2.Error) as e:
            cur.copy_expert("COPY vi FROM STDIN", io.StringIO("200\t1\tok\n201\t-3\tok\n"))
        assert e.value.pgcode == "23514"
        assert 'violates check constraint "vi_qty_check"' in e.value.diag.message_primary
    db.both("SELECT count(*), sum(qty) FROM vi")
    # RENAME TO: the message names the table by its new name
    db.both("ALTER TABLE vi RENAME TO vi_renamed")
    errs = []
    for conn in (db.m, db.p):
        with pytest.raises(psycopg2.Error) as e:
            run(conn, "UPDATE vi_renamed SET qty = -1 WHERE id = 5")
        errs.append(e.value)
    assert errs[0].pgcode == errs[1].pgcode == "23514"
    assert errs[0].diag.message_primary == errs[1].diag.message_primary
    checks_of(db, "vi_renamed")


def test_add_check_validates_every_shard(db, cluster):
    db.exec_both("DROP TABLE IF EXISTS av")
    db.exec_both("CREATE TABLE av (id int PRIMARY KEY, v int)")
    db.exec_both("INSERT INTO av SELECT g, g FROM generate_series(1, 50) g")
    db.exec_both("UPDATE av SET v = -1 WHERE id = 37")
    errs = []
    for conn in (db.m, db.p):
        with pytest.raises(psycopg2.Error) as e:
            run(conn, "ALTER TABLE av ADD CONSTRAINT av_pos CHECK (v > 0)")
        errs.append(e.value)
    assert errs[0].pgcode == errs[1].pgcode == "23514"
    assert errs[0].diag.message_primary == errs[1].diag.message_primary
    checks_of(db, "av")  # nothing changed: no constraint
    db.both("INSERT INTO av VALUES (60, -5)")
    db.both("DELETE FROM av WHERE v < 0")
    db.both("ALTER TABLE av ADD CHECK (v > 0)")
    checks_of(db, "av")
    db.both_error("INSERT INTO av VALUES (61, 0)", "23514")
    wait_consistent(cluster, db.m, tables=["av"])
    trig = copy_triggers(cluster, "av")
    assert trig and all(len(t) == 2 for t in trig.values())


def test_drop_constraint_and_if_exists(db, cluster):
    db.exec_both("DROP TABLE IF EXISTS dr")
    db.exec_both("CREATE TABLE dr (id int PRIMARY KEY, a int CHECK (a > 0), b int, "
                 "CONSTRAINT b_small CHECK (b < 10))")
    db.both("ALTER TABLE dr DROP CONSTRAINT dr_a_check")
    db.both("INSERT INTO dr VALUES (1, -1, 1)")
    db.both_error("INSERT INTO dr VALUES (2, 1, 11)", "23514")
    db.both_error("ALTER TABLE dr DROP CONSTRAINT dr_a_check", "42704")
    db.both("ALTER TABLE dr DROP CONSTRAINT IF EXISTS dr_a_check")
    checks_of(db, "dr")
    wait_consistent(cluster, db.m, tables=["dr"])
    trig = copy_triggers(cluster, "dr")
    assert trig and all(len(t) == 2 for t in trig.values())  # b_small's only


def test_drop_and_rename_column_carry_checks(db, cluster):
    db.exec_both("DROP TABLE IF EXISTS rc")
    db.exec_both("CREATE TABLE rc (id int PRIMARY KEY, a int CHECK (a > 0), b int, c int, "
                 "CHECK (b < c), CONSTRAINT c_pos CHECK (c > 0))")
    db.both("ALTER TABLE rc RENAME COLUMN a TO aa")
    checks_of(db, "rc")
    db.both_error("INSERT INTO rc VALUES (1, -1, 1, 2)", "23514")
    db.both("ALTER TABLE rc DROP COLUMN b")  # drops rc_check (b < c) with it
    checks_of(db, "rc")
    db.both("INSERT INTO rc VALUES (1, 1, 2)")
    db.both_error("INSERT INTO rc VALUES (2, 1, -2)", "23514")
    db.both("ALTER TABLE rc DROP COLUMN aa")
    checks_of(db, "rc")
    db.both("INSERT INTO rc VALUES (3, 5)")
    db.both("SELECT * FROM rc ORDER BY id")
    wait_consistent(cluster, db.m, tables=["rc"])
    trig = copy_triggers(cluster, "rc")
    assert trig and all(t == {"_murphy_check_c_pos_INSERT", "_murphy_check_c_pos_UPDATE"}
                        for t in trig.values())


@pytest.mark.parametrize("sql, words", [
    ("ALTER TABLE rf ADD CONSTRAINT c CHECK (b > 0) NOT VALID", "NOT VALID"),
    ("CREATE TABLE rf2 (a int CHECK (a > 0) NO INHERIT)", "NO INHERIT"),
    ("ALTER TABLE rf ADD COLUMN z int CHECK (z > 0)", "ADD COLUMN with CHECK"),
    ("ALTER TABLE rf DROP CONSTRAINT rf_pkey", "PRIMARY KEY"),
])
def test_what_murphy_refuses_is_0A000(cluster, sql, words):
    conn = cluster.connect()
    run(conn, "DROP TABLE IF EXISTS rf")
    run(conn, "CREATE TABLE rf (id int PRIMARY KEY, b int)")
    with pytest.raises(psycopg2.Error) as e:
        run(conn, sql)
    assert e.value.pgcode == "0A000" and words in str(e.value), str(e.value)
    conn.close()


def copy_indexes(cl, table):
    """{(shard, node): set of index names} of every copy of table (SQLite's own
    automatic indexes left out)."""
    out = {}
    for (t, shard, node), v in placement_files(cl).items():
        if t != table:
            continue
        db = sqlite3.connect("file:%s?mode=ro" % v[0], uri=True, timeout=5)
        try:
            out[(shard, node)] = {r[0] for r in db.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'index' "
                "AND name NOT LIKE 'sqlite_autoindex%'")}
        finally:
            db.close()
    return out


def test_unique_constraint_added_listed_and_dropped(db, cluster):
    db.exec_both("DROP TABLE IF EXISTS uk")
    db.exec_both("CREATE TABLE uk (id int NOT NULL, a int, b text)")
    db.exec_both("INSERT INTO uk SELECT g, g % 7, 'x' FROM generate_series(1, 40) g")
    db.exec_both("INSERT INTO uk VALUES (3, 3, 'dup')")
    db.both_error("ALTER TABLE uk ADD UNIQUE (id, a)", "23505")  # nothing changed
    db.both("SELECT conname::text FROM pg_constraint WHERE conrelid = 'uk'::regclass")
    db.exec_both("DELETE FROM uk WHERE b = 'dup'")
    db.both("ALTER TABLE uk ADD UNIQUE (id, a)")
    db.both("ALTER TABLE uk ADD CONSTRAINT uk_id_b UNIQUE (id, b)")
    db.both("SELECT conname::text, contype::text, conkey::text, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE conrelid = 'uk'::regclass ORDER BY 1")
    db.both("SELECT constraint_name::text, constraint_type::text "
            "FROM information_schema.table_constraints WHERE table_name::text = 'uk' "
            "AND constraint_type::text = 'UNIQUE' ORDER BY 1")
    db.both_error("INSERT INTO uk VALUES (3, 3, 'again')", "23505")
    wait_consistent(cluster, db.m, tables=["uk"])
    assert all(ix == {"uk_id_a_key", "uk_id_b"} for ix in copy_indexes(cluster, "uk").values())
    db.both("ALTER TABLE uk DROP CONSTRAINT uk_id_a_key")
    db.both("INSERT INTO uk VALUES (3, 3, 'again')")  # no longer unique
    db.both_error("ALTER TABLE uk DROP CONSTRAINT uk_id_a_key", "42704")
    db.both("SELECT conname::text, contype::text FROM pg_constraint "
            "WHERE conrelid = 'uk'::regclass ORDER BY 1")
    db.both("SELECT indexname::text FROM pg_indexes WHERE tablename = 'uk' ORDER BY 1")
    wait_consistent(cluster, db.m, tables=["uk"])
    assert all(ix == {"uk_id_b"} for ix in copy_indexes(cluster, "uk").values())


def test_unique_constraints_of_create_table_listed(db, cluster):
    """CREATE TABLE's UNIQUE constraints (column and table ones, named and
    not, one key twice) are in pg_constraint, information_schema and
    pg_indexes under PostgreSQL's names, as ALTER TABLE ADD UNIQUE's are;
    DROP CONSTRAINT drops one; a rolled-back CREATE TABLE leaves none."""
    for t in ("cu", "cu_ref"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.both("CREATE TABLE cu (id int PRIMARY KEY, a int, b text, UNIQUE (id, a), "
            "UNIQUE (a, id), CONSTRAINT cu_named UNIQUE (id, b), UNIQUE (id, a))")
    ref = "CREATE TABLE cu_ref (id int PRIMARY KEY, a int CONSTRAINT cu_ref_a_u UNIQUE, b int)"
    run(db.m, ref + " WITH (distribution = 'reference')")  # one shard: any key enforced
    run(db.p, ref)
    where = "conrelid IN ('cu'::regclass, 'cu_ref'::regclass)"
    db.both("SELECT conrelid::regclass::text AS tbl, conname::text, contype::text, conkey::text, "
            "pg_get_constraintdef(oid) FROM pg_constraint WHERE %s ORDER BY 1, 2" % where)
    db.both("SELECT table_name::text, constraint_name::text, constraint_type::text "
            "FROM information_schema.table_constraints WHERE table_name::text IN "
            "('cu', 'cu_ref') AND constraint_type::text IN ('UNIQUE', 'PRIMARY KEY') ORDER BY 1, 2")
    db.both("SELECT table_name::text, constraint_name::text, column_name::text, "
            "ordinal_position FROM information_schema.key_column_usage WHERE table_name::text "
            "IN ('cu', 'cu_ref') ORDER BY 1, 2, 4")
    db.both("SELECT tablename::text, indexname::text, indexdef FROM pg_indexes "
            "WHERE tablename IN ('cu', 'cu_ref') ORDER BY 1, 2")
    db.exec_both("INSERT INTO cu VALUES (1, 1, 'x')")
    db.both("ALTER TABLE cu DROP CONSTRAINT cu_id_a_key1")
    db.both("ALTER TABLE cu DROP CONSTRAINT cu_named")
    db.both("INSERT INTO cu_ref VALUES (1, 1, 1), (2, NULL, 1)")
    db.both_error("INSERT INTO cu_ref VALUES (3, 1, 1)", "23505")
    db.both("SELECT conname::text FROM pg_constraint WHERE %s ORDER BY 1" % where)
    wait_consistent(cluster, db.m, tables=["cu"])
    assert all(ix == {"cu_id_a_key", "cu_a_id_key"} for ix in copy_indexes(cluster, "cu").values())
    db.both_error("CREATE TABLE cu2 (id int PRIMARY KEY, a int, CONSTRAINT cu UNIQUE (id, a))", "42P07")
    for conn in (db.m, db.p):
        run(conn, "BEGIN")
        run(conn, "CREATE TABLE cu3 (id int PRIMARY KEY, UNIQUE (id))")
        run(conn, "ROLLBACK")
    db.both("SELECT count(*) FROM pg_constraint WHERE conname::text LIKE 'cu3%'")
    db.both("CREATE TABLE cu3 (id int PRIMARY KEY, UNIQUE (id))")
    db.both("SELECT conname::text FROM pg_constraint WHERE conname::text LIKE 'cu3%' ORDER BY 1")
    db.both("DROP TABLE cu3")
    db.both("SELECT count(*) FROM pg_constraint WHERE conname::text LIKE 'cu3%'")


def index_columns(cl, table):
    """{(shard, node): {index: [columns]}} of every copy (SQLite's own left out)."""
    out = {}
    for (t, shard, node), v in placement_files(cl).items():
        if t != table:
            continue
        db = sqlite3.connect("file:%s?mode=ro" % v[0], uri=True, timeout=5)
        try:
            names = [r[0] for r in db.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'index' "
                "AND name NOT LIKE 'sqlite_autoindex%'")]
            out[(shard, node)] = {n: [r[2] for r in db.execute('PRAGMA index_info("%s")' % n)]
                                  for n in names}
        finally:
            db.close()
    return out


def test_alter_type_of_an_indexed_column_rebuilds_its_indexes(db, cluster):
    db.exec_both("DROP TABLE IF EXISTS ai")
    db.exec_both("CREATE TABLE ai (id int PRIMARY KEY, a int, b text)")
    db.exec_both("INSERT INTO ai SELECT g, g % 9, g::text FROM generate_series(1, 60) g")
    db.exec_both("CREATE INDEX ai_a ON ai (a)")
    db.exec_both("CREATE UNIQUE INDEX ai_id_a ON ai (id, a DESC)")
    db.exec_both("CREATE INDEX ai_b ON ai (b)")
    db.both("ALTER TABLE ai ALTER COLUMN a TYPE text")       # integer -> text: a new column
    db.both("ALTER TABLE ai ALTER COLUMN b TYPE bigint USING b::bigint")
    db.both("SELECT id, a, b FROM ai WHERE a = '5' ORDER BY id")
    db.both("SELECT count(*) FROM ai WHERE b BETWEEN 10 AND 20")
    db.both_error("INSERT INTO ai VALUES (7, '7', 1)", "23505")  # the key is enforced
    db.both("SELECT indexname::text, indexdef::text FROM pg_indexes WHERE tablename = 'ai' "
            "ORDER BY 1")
    db.both("SELECT column_name::text, data_type::text FROM information_schema.columns "
            "WHERE table_name = 'ai' ORDER BY ordinal_position")
    wait_consistent(cluster, db.m, tables=["ai"])
    for ix in index_columns(cluster, "ai").values():
        assert ix == {"ai_a": ["a"], "ai_id_a": ["id", "a"], "ai_b": ["b"]}, ix
    # a conversion that fails keeps the old column and its index on every copy
    db.exec_both("UPDATE ai SET a = 'x' WHERE id = 3")
    db.both_error("ALTER TABLE ai ALTER COLUMN a TYPE int USING a::int", "22P02")
    db.both("SELECT id, a FROM ai WHERE a = 'x'")
    wait_consistent(cluster, db.m, tables=["ai"])
    for ix in index_columns(cluster, "ai").values():
        assert ix == {"ai_a": ["a"], "ai_id_a": ["id", "a"], "ai_b": ["b"]}, ix


def test_alter_type_of_a_checked_column_checks_again(db, cluster):
    db.exec_both("DROP TABLE IF EXISTS ct")
    db.exec_both("CREATE TABLE ct (id int PRIMARY KEY, a int CHECK (a > 0), b int, "
                 "CHECK (a < b), c numeric CONSTRAINT c_not_two CHECK (c <> 2))")
    db.exec_both("INSERT INTO ct SELECT g, g, g + 1, 1.4 FROM generate_series(1, 30) g")
    db.exec_both("UPDATE ct SET c = 1.6 WHERE id = 17")
    db.both("ALTER TABLE ct ALTER COLUMN a TYPE numeric")   # integer -> numeric: a new column
    checks_of(db, "ct")
    db.both_error("INSERT INTO ct VALUES (100, 0.5, 0, 1)", "23514")
    db.both("INSERT INTO ct VALUES (100, 0.5, 1, 1)")
    # 1.6 becomes 2: the rows are checked again, nothing changes
    errs = []
    for conn in (db.m, db.p):
        with pytest.raises(psycopg2.Error) as e:
            run(conn, "ALTER TABLE ct ALTER COLUMN c TYPE int")
        errs.append(e.value)
    assert errs[0].pgcode == errs[1].pgcode == "23514"
    assert errs[0].diag.message_primary == errs[1].diag.message_primary
    checks_of(db, "ct")
    db.both("SELECT id, a, b, c FROM ct WHERE id IN (17, 100) ORDER BY id")
    wait_consistent(cluster, db.m, tables=["ct"])
    trig = copy_triggers(cluster, "ct")
    assert trig and all(len(t) == 6 for t in trig.values())


def test_a_construct_the_printer_does_not_know_is_kept_as_written(db):
    db.exec_both("DROP TABLE IF EXISTS kw")
    db.exec_both("CREATE TABLE kw (id int PRIMARY KEY, a int, b int, "
                 "CONSTRAINT kw_case CHECK (CASE WHEN a > 0 THEN b > 0 ELSE true END), "
                 "CHECK (COALESCE(b, 0) < 100))")
    db.both("SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'kw'::regclass AND conname::text = 'kw_b_check'")
    assert db.murphy("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                     "WHERE conrelid = 'kw'::regclass AND conname::text = 'kw_case'")[1] == [
        ("CHECK ((CASE WHEN a > 0 THEN b > 0 ELSE true END))",)]
    db.both_error("INSERT INTO kw VALUES (1, 1, -1)", "23514")
    db.both("INSERT INTO kw VALUES (1, -1, -1)")
    db.both("ALTER TABLE kw RENAME COLUMN id TO ident")  # a column it does not name
    with pytest.raises(psycopg2.Error) as e:
        run(db.m, "ALTER TABLE kw RENAME COLUMN a TO aa")
    assert e.value.pgcode == "0A000" and "kw_case" in str(e.value)
    db.both("ALTER TABLE kw DROP COLUMN a")  # drops kw_case with it
    db.both("SELECT conname::text FROM pg_constraint WHERE conrelid = 'kw'::regclass "
            "AND contype = 'c' ORDER BY 1")
    db.both("INSERT INTO kw VALUES (2, -5)")


def test_checks_survive_a_leader_restart(cluster):
    conn = cluster.connect()
    run(conn, "DROP TABLE IF EXISTS rs")
    run(conn, "CREATE TABLE rs (id int PRIMARY KEY, a int CHECK (a > 0))")
    run(conn, "ALTER TABLE rs ADD CONSTRAINT rs_small CHECK (a < 100)")
    run(conn, "ALTER TABLE rs ADD UNIQUE (id, a)")
    conn.close()
    cluster.kill9("leader")
    cluster.start()
    conn = cluster.connect()
    assert run(conn, "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint "
                     "WHERE conrelid = 'rs'::regclass AND contype = 'c' ORDER BY 1") == [
        ("rs_a_check", "CHECK ((a > 0))"), ("rs_small", "CHECK ((a < 100))")]
    assert run(conn, "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint "
                     "WHERE conrelid = 'rs'::regclass AND contype = 'u'") == [
        ("rs_id_a_key", "UNIQUE (id, a)")]
    run(conn, "ALTER TABLE rs DROP CONSTRAINT rs_id_a_key")
    conn.close()


# ---- a leader killed inside the ALTER: catalog and copies agree ----------

@pytest.fixture(scope="module")
def cc(request):
    yield from owned_cluster(request, 3, timer_args(1000, 30000))


def catalog_checks(conn, table):
    return run(conn, "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint "
                     "WHERE conrelid = '%s'::regclass AND contype = 'c' ORDER BY 1" % table)


def every_shard_refuses(conn, table, row_sql, n=20):
    for i in range(n):  # 4 shards: every one is asked
        with pytest.raises(psycopg2.Error) as e:
            run(conn, row_sql % (1000 + i))
        assert e.value.pgcode == "23514"


def make_big(conn, table, extra=""):
    run(conn, "CREATE TABLE %s (id int PRIMARY KEY, a int, b int%s) "
              "WITH (shards = 4, replicas = 3)" % (table, extra))
    run(conn, "INSERT INTO %s SELECT g, g, g FROM generate_series(1, 100) g" % table)


def test_leader_killed_after_the_decision_keeps_the_new_check(cc):
    conn = cc.connect()
    make_big(conn, "ka")
    conn.close()
    conn = leader_dies_in_alter(cc, "txn_after_decision", "ka",
                                "ALTER TABLE ka ADD CONSTRAINT ka_pos CHECK (a > 0)")
    assert catalog_checks(conn, "ka") == [("ka_pos", "CHECK ((a > 0))")]
    trig = copy_triggers(cc, "ka")
    assert len(trig) == 12 and all(len(t) == 2 for t in trig.values())
    every_shard_refuses(conn, "ka", "INSERT INTO ka VALUES (%d, -1, 0)")


def test_leader_killed_before_the_decision_keeps_column_and_check(cc):
    conn = cc.connect()
    make_big(conn, "kb", ", CONSTRAINT kb_pos CHECK (a > 0)")
    conn.close()
    conn = leader_dies_in_alter(cc, "txn_after_prepare", "kb", "ALTER TABLE kb DROP COLUMN a")
    assert catalog_checks(conn, "kb") == [("kb_pos", "CHECK ((a > 0))")]
    trig = copy_triggers(cc, "kb")
    assert len(trig) == 12 and all(len(t) == 2 for t in trig.values())
    every_shard_refuses(conn, "kb", "INSERT INTO kb VALUES (%d, -1, 0)")
    run(conn, "ALTER TABLE kb DROP COLUMN a")  # and it can run again
    assert catalog_checks(conn, "kb") == []
    run(conn, "INSERT INTO kb VALUES (2000, -1)")


def test_leader_killed_before_the_decision_keeps_the_index_on_the_old_column(cc):
    conn = cc.connect()
    make_big(conn, "kc")
    run(conn, "CREATE INDEX kc_a ON kc (a)")
    conn.close()
    conn = leader_dies_in_alter(cc, "txn_after_prepare", "kc",
                                "ALTER TABLE kc ALTER COLUMN a TYPE text")
    assert run(conn, "SELECT data_type::text FROM information_schema.columns "
                     "WHERE table_name = 'kc' AND column_name = 'a'") == [("integer",)]
    ix = index_columns(cc, "kc")
    assert len(ix) == 12 and all(v == {"kc_a": ["a"]} for v in ix.values()), ix
    assert run(conn, "SELECT count(*) FROM kc WHERE a < 50") == [(49,)]
    run(conn, "ALTER TABLE kc ALTER COLUMN a TYPE text")  # and it can run again
    wait_consistent(cc, conn, tables=["kc"], replicas=3, timeout=40)
    ix = index_columns(cc, "kc")
    assert len(ix) == 12 and all(v == {"kc_a": ["a"]} for v in ix.values()), ix
    assert run(conn, "SELECT count(*) FROM kc WHERE a = '7'") == [(1,)]
