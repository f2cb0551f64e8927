"""Secondary indexes are catalog objects (catalog_index.c, issue 20).

CREATE INDEX builds the index in every copy of its table's shards; the
catalog names it, so index names behave as PostgreSQL's relation names
(42P07, IF NOT EXISTS, 42704 for DROP of none), DROP INDEX reaches only
its table's copies (with two tables it failed on the other's: "no such
index"), and the catalogs (pg_indexes, \\d) show it across a leader
restart, a RENAME COLUMN, a rolled-back block and a DROP TABLE.  Each
statement runs on murphy and on the PostgreSQL control: same SQLSTATE,
same pg_indexes rows.
"""
import psycopg2
import pytest


def run(conn, sql):
    """(sqlstate or None, notices) of sql on conn."""
    del conn.notices[:]
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
        return None, [n.strip() for n in conn.notices]
    except psycopg2.Error as e:
        return e.pgcode, []


def indexes(conn, table):
    with conn.cursor() as cur:
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s"
                    " ORDER BY indexname", (table,))
        return cur.fetchall()


@pytest.fixture(scope="module")
def both(cluster, pgconn):
    m = cluster.connect()
    for conn in (m, pgconn):
        for sql in ("CREATE TABLE ix1 (id int PRIMARY KEY, v int, w text)",
                    "CREATE TABLE ix2 (id int PRIMARY KEY, v int)"):
            assert run(conn, sql) == (None, [])
    yield m, pgconn
    m.close()


def same(both, sql):
    m, p = both
    got = run(m, sql), run(p, sql)
    assert got[0] == got[1], (sql, got)
    return got[0]


def test_names_are_relations_names(both):
    assert same(both, "CREATE INDEX ix_v ON ix1 (v)") == (None, [])
    for sql in ("CREATE INDEX ix_v ON ix2 (v)",      # another table's index
                "CREATE INDEX ix2 ON ix1 (v)",       # a table's name
                "CREATE INDEX ix1_pkey ON ix1 (w)"):  # a primary key's index
        assert same(both, sql)[0] == "42P07", sql
    assert same(both, "CREATE INDEX IF NOT EXISTS ix_v ON ix2 (v)") == \
        (None, ['NOTICE:  relation "ix_v" already exists, skipping'])
    assert indexes(both[0], "ix2") == indexes(both[1], "ix2")


def test_drop_index_with_several_tables(both):
    same(both, "CREATE INDEX ix_drop ON ix2 (v)")
    assert same(both, "DROP INDEX ix_drop") == (None, [])
    assert same(both, "DROP INDEX ix_drop")[0] == "42704"
    assert same(both, "DROP INDEX IF EXISTS ix_drop") == \
        (None, ['NOTICE:  index "ix_drop" does not exist, skipping'])
    # gone from every copy: the name builds again
    assert same(both, "CREATE INDEX ix_drop ON ix1 (w)") == (None, [])
    assert same(both, "DROP INDEX ix_drop") == (None, [])


def test_catalogs_follow_rename_rollback_and_drop_table(both):
    m, p = both
    for sql in ("CREATE TABLE ix3 (id int PRIMARY KEY, a int, b text)",
                "CREATE INDEX ix3_ab ON ix3 (a DESC, b)",
                "CREATE UNIQUE INDEX ix3_key ON ix3 (id, b)",
                "ALTER TABLE ix3 RENAME COLUMN a TO a2"):
        assert same(both, sql) == (None, []), sql
    assert indexes(m, "ix3") == indexes(p, "ix3")
    assert ("ix3_ab", "CREATE INDEX ix3_ab ON public.ix3 USING btree (a2 DESC, b)") in \
        indexes(m, "ix3")
    # an index a rolled-back block made is gone, name and all
    for conn in (m, p):
        conn.autocommit = False
        with conn.cursor() as cur:
            cur.execute("CREATE INDEX ix3_tmp ON ix3 (b)")
        conn.rollback()
        conn.autocommit = True
    assert indexes(m, "ix3") == indexes(p, "ix3")
    assert same(both, "CREATE INDEX ix3_tmp ON ix3 (b)") == (None, [])
    # DROP TABLE takes its indexes: their names are free again
    assert same(both, "DROP TABLE ix3") == (None, [])
    assert indexes(m, "ix3") == []
    assert same(both, "CREATE INDEX ix3_ab ON ix1 (w)") == (None, [])


def test_indexes_survive_a_leader_restart(cluster, both):
    m, _ = both
    same(both, "CREATE INDEX ix_restart ON ix2 (v, id)")
    before = indexes(m, "ix2")
    cluster.kill9("leader")
    cluster.start()
    conn = cluster.connect()
    try:
        assert indexes(conn, "ix2") == before
        assert run(conn, "CREATE INDEX ix_restart ON ix1 (v)")[0] == "42P07"
        assert run(conn, "DROP INDEX ix_restart") == (None, [])
        assert ("ix_restart",) not in [(n,) for n, _ in indexes(conn, "ix2")]
    finally:
        conn.close()


def schema_indexes(conn, name):
    """pg_indexes and pg_class's namespace of the indexes called name."""
    with conn.cursor() as cur:
        cur.execute("SELECT schemaname, tablename, indexdef FROM pg_indexes"
                    " WHERE indexname = %s ORDER BY schemaname", (name,))
        rows = cur.fetchall()
        cur.execute("SELECT n.nspname FROM pg_class c JOIN pg_namespace n"
                    " ON n.oid = c.relnamespace WHERE c.relname = %s AND c.relkind = 'i'"
                    " ORDER BY 1", (name,))
        return rows, cur.fetchall()


def test_index_names_are_per_schema(cluster, both):
    """An index lives in its table's schema: the same name in two schemas,
    DROP INDEX s.i drops that one, an unqualified name follows search_path,
    and the catalogs show each in its namespace -- across a restart (the
    catalog store keeps two rows of one name)."""
    both = (cluster.connect(), both[1])  # the module's connection saw a restart
    for sql in ("CREATE SCHEMA ixs",
                "CREATE TABLE ixs.t (id int PRIMARY KEY, x int)",
                "CREATE TABLE ixp (id int PRIMARY KEY, x int)",
                "CREATE INDEX ix_same ON ixs.t (x)",
                "CREATE INDEX ix_same ON ixp (x)"):
        assert same(both, sql) == (None, []), sql
    assert same(both, "CREATE INDEX ix_same ON ixs.t (id, x)")[0] == "42P07"
    assert same(both, "CREATE INDEX t ON ixs.t (x)")[0] == "42P07"  # a table of ixs
    assert same(both, "CREATE INDEX t_pkey ON ixs.t (x)")[0] == "42P07"
    assert same(both, "CREATE INDEX t_pkey ON ixp (x)") == (None, [])  # public has no t
    m, p = both
    assert schema_indexes(m, "ix_same") == schema_indexes(p, "ix_same")
    assert schema_indexes(m, "ix_same")[1] == [("ixs",), ("public",)]
    assert same(both, "DROP INDEX ixs.ix_same") == (None, [])
    assert same(both, "DROP INDEX ixs.ix_same")[0] == "42704"
    assert schema_indexes(m, "ix_same") == schema_indexes(p, "ix_same")
    assert same(both, "CREATE INDEX ix_same ON ixs.t (x)") == (None, [])
    cluster.kill9("leader")
    cluster.start()
    m2 = cluster.connect()
    try:
        assert schema_indexes(m2, "ix_same") == schema_indexes(p, "ix_same")
        for conn in (m2, p):  # an unqualified name: the search_path's schema
            assert run(conn, "SET search_path = ixs, public") == (None, [])
            assert run(conn, "DROP INDEX ix_same") == (None, [])
            assert run(conn, "RESET search_path") == (None, [])
        assert schema_indexes(m2, "ix_same") == schema_indexes(p, "ix_same")
        assert schema_indexes(m2, "ix_same")[1] == [("public",)]
        assert run(m2, "DROP INDEX ix_same") == (None, [])
        assert schema_indexes(m2, "ix_same") == ([], [])
    finally:
        m2.close()
