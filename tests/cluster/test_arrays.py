"""Arrays of the base types (issue 19), differential against a real
PostgreSQL 15 on the same rows.  Array values come back as their text
(psycopg2 is told not to parse them), so quoting, NULL elements and the
element spelling count: literals and casts ('{...}'::int[], ARRAY[...],
ARRAY[]::int[]), array columns on distributed and reference tables,
equality and element-wise ORDER BY, x op ANY/ALL (array) with literals,
columns and parameters, subscripts and slices, the array functions and
operators, NULLs and empty arrays, an array distribution key refused,
and psycopg2 lists as parameters round-tripping."""
import datetime
import decimal

import psycopg2
import psycopg2.extensions
import pytest

from compare import exact, run

ARRAY_OIDS = (1000, 1005, 1007, 1016, 1021, 1022, 1231, 1009, 1015, 1014, 1182, 1115, 2951)


def same_error(db, sql, sqlstate):
    mo, po = run(db.m, sql), run(db.p, sql)
    where = "\n  sql: %s\n  murphy:   %r\n  postgres: %r" % (sql, mo, po)
    assert po.error is not None and po.error.pgcode == sqlstate, "test is wrong:" + where
    assert mo.error is not None and mo.error.pgcode == sqlstate, "murphy differs:" + where


ROWS = [
    (1, "{1,2,3}", "{a,b}", "{1.50,2}", "{t,f}", "{2024-01-02}"),
    (2, "{3,2,1}", '{"x y",NULL,""}', "{}", "{NULL}", "{}"),
    (3, "{1,2}", "{a}", "{-1}", "{f}", "{2023-12-31,2024-01-01}"),
    (4, "{1,2,3,4}", '{"q\\"t","b\\\\s"}', "{10.25}", "{t}", "{2024-02-29}"),
    (5, "{}", "{}", None, None, None),
    (6, None, None, "{0.1,0.2}", "{t,t}", "{2020-01-01}"),
    (7, "{10,9}", "{10,9}", "{NULL,1}", "{f,NULL}", "{2025-05-05}"),
    (8, "{1,NULL,3}", "{B,a,NULL}", "{3}", "{t}", "{2024-01-02}"),
    (9, "{-5}", '{"{br}","a,b"}', "{2.0}", "{f}", "{1999-12-31}"),
    (10, "{1,2,3}", "{a,b,c}", "{1.5}", "{t,f,t}", "{2024-01-02}"),
]


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for conn in (db.m, db.p):
        raw = psycopg2.extensions.new_type(ARRAY_OIDS, "RAWARRAY", lambda s, cur: s)
        psycopg2.extensions.register_type(raw, conn)
    for t in ("arr", "arref"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    cols = "(id int PRIMARY KEY, a int[], t text[], n numeric[], b bool[], d date[])"
    db.exec_both("CREATE TABLE arr " + cols)
    db.m.cursor().execute("CREATE TABLE arref " + cols + " WITH (distribution = 'reference')")
    db.p.cursor().execute("CREATE TABLE arref " + cols)
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            for r in ROWS:
                cur.execute("INSERT INTO arr VALUES (%s, %s, %s, %s, %s, %s)", r)
            cur.execute("INSERT INTO arref SELECT * FROM arr")
    yield


LITERALS = [
    "SELECT '{1,2,3}'::int[], '{ 1 , -2,NULL }'::int[], '{}'::int[], ARRAY[]::int[]",
    "SELECT ARRAY[1,2,3], ARRAY[1,NULL], ARRAY[1.5, 2], ARRAY['a', 'b c', NULL, '']",
    "SELECT '{\"a b\",c,\"\",NULL,\"NULL\",null,\"x\\\"y\"}'::text[]",
    "SELECT '{\"{\",\"}\",\",\",\" lead\"}'::varchar[], '{t,false,1,off}'::bool[]",
    "SELECT '{1.50,-0.0,1e3}'::numeric[], '{1.5,Infinity,-0,1e20}'::float8[]",
    "SELECT '{2024-02-29,1999-01-01}'::date[], '{2024-01-01 10:00:00.5}'::timestamp[]",
    "SELECT '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'::uuid[], '{1,2}'::int2[], '{9000000000}'::int8[]",
    "SELECT '{1,2}'::_int4, '{a}'::_text, '{3}'::integer ARRAY, CAST('{x}' AS varchar(5)[])",
    "SELECT ARRAY[1,2]::bigint[], '{1,2}'::int[]::text[], '{1,2}'::text[]::int[], '{x}'::text[]::text",
    "SELECT ARRAY[1,2] = ARRAY[1,2], ARRAY[1,2] < ARRAY[1,3], ARRAY[1,2] < ARRAY[1,2,0], "
    "ARRAY[2] > ARRAY[10], '{10}'::text[] < '{9}'::text[], ARRAY[1,NULL] > ARRAY[1,5], "
    "'{1.0}'::numeric[] = '{1.00}'::numeric[], ARRAY[1,2] <> ARRAY[1]",
    "SELECT 2 = ANY(ARRAY[1,2,3]), 5 = ANY('{1,2}'), 5 = ANY('{1,NULL}'::int[]), "
    "1 <> ALL(ARRAY[2,3]), 1 < ALL(ARRAY[2,NULL]), 3 > ANY('{}'::int[]), 3 > ALL('{}'::int[]), "
    "NULL::int = ANY(ARRAY[1]), 'b' = ANY(ARRAY['a','b']), 2.5 >= ALL(ARRAY[1,2])",
    "SELECT NULL::int = ANY('{}'::int[]), NULL::int <> ALL('{}'::int[]), 3 <> ALL('{1,NULL}'::int[]), "
    "3 <> ALL('{3,NULL}'::int[]), 'x' = ANY('{}'::text[]), true = ANY('{f,NULL}'::bool[]), "
    "DATE '2024-01-02' = ANY('{2024-01-02}'::date[]), 1.0 = ANY('{1.00}'::numeric[])",
    "SELECT (ARRAY[10,20,30])[2], (ARRAY[10,20,30])[5], (ARRAY[10,20,30])[0], "
    "(ARRAY[10,20,30])[2:3], (ARRAY[10,20,30])[:2], (ARRAY[10,20,30])[2:], "
    "(ARRAY[10,20,30])[3:1], ('{a,b}'::text[])[1]",
    "SELECT array_length(ARRAY[1,2,3], 1), array_length('{}'::int[], 1), "
    "array_length(ARRAY[1], 2), cardinality(ARRAY[1,2]), cardinality('{}'::int[]), "
    "array_lower(ARRAY[5,6], 1), array_upper(ARRAY[5,6], 1), array_ndims(ARRAY[1])",
    "SELECT array_position(ARRAY['a','b','a'], 'a'), array_position(ARRAY['a','b','a'], 'a', 2), "
    "array_position(ARRAY[1,NULL], NULL), array_position(ARRAY[1], 9)",
    "SELECT array_append(ARRAY[1,2], 3), array_prepend(0, ARRAY[1]), array_cat(ARRAY[1], ARRAY[2,3]), "
    "ARRAY[1] || ARRAY[2], ARRAY[1] || 2, 0 || ARRAY[1], ARRAY['a'] || 'b'::text, "
    "array_append(NULL::int[], 1), array_cat(NULL::int[], ARRAY[1]), array_remove(ARRAY[1,2,1], 1)",
    "SELECT ARRAY[1,2,3] @> ARRAY[3,1], ARRAY[1,2] @> ARRAY[4], ARRAY[1] <@ ARRAY[1,2], "
    "ARRAY[1,2] && ARRAY[2,5], ARRAY[1,2] && ARRAY[5], ARRAY[1,NULL] @> ARRAY[NULL]::int[], "
    "'{}'::int[] <@ ARRAY[1], ARRAY['a','b'] @> '{b}'",
    "SELECT array_to_string(ARRAY[1,NULL,3], ','), array_to_string(ARRAY[1,NULL,3], ',', '*'), "
    "array_to_string('{}'::int[], ','), array_to_string(ARRAY['a b','c'], '-')",
    "SELECT string_to_array('a,b,,c', ','), string_to_array('a,b,x', ',', 'x'), "
    "string_to_array('', ','), string_to_array('abc', NULL), string_to_array('abc', ''), "
    "string_to_array('a<>b<>', '<>'), string_to_array(NULL, ',')",
]


@pytest.mark.parametrize("sql", LITERALS)
def test_literals(db, sql):
    exact(db, sql)


COLUMN_QUERIES = [
    "SELECT id, a, t, n, b, d FROM {T}",
    "SELECT id, a::text, t::text FROM {T}",
    "SELECT id, a FROM {T} ORDER BY a, id",
    "SELECT id, t FROM {T} ORDER BY t DESC NULLS LAST, id",
    "SELECT id, n FROM {T} ORDER BY n NULLS FIRST, id",
    "SELECT id, d FROM {T} ORDER BY d, id LIMIT 4",
    "SELECT id, a FROM {T} ORDER BY a DESC NULLS LAST, id LIMIT 5",
    "SELECT id, n FROM {T} ORDER BY n DESC, id LIMIT 5",
    "SELECT id FROM {T} WHERE a = '{1,2,3}' ORDER BY id",
    "SELECT id FROM {T} WHERE a = ARRAY[1,2,3] OR a < ARRAY[0] ORDER BY id",
    "SELECT id FROM {T} WHERE 2 = ANY(a) ORDER BY id",
    "SELECT id FROM {T} WHERE 'a' = ANY(t) ORDER BY id",
    "SELECT id FROM {T} WHERE 1.5 = ANY(n) ORDER BY id",
    "SELECT id, 2 <> ALL(a), 3 > ANY(a) FROM {T} ORDER BY id",
    "SELECT id FROM {T} WHERE id = ANY(ARRAY[1,3,5,7]) ORDER BY id",
    "SELECT id FROM {T} WHERE id <> ALL('{1,2,3}') ORDER BY id",
    "SELECT id, a[1], a[2:3], t[2], n[1], b[1], d[1] FROM {T} ORDER BY id",
    "SELECT id, array_length(a, 1), cardinality(t), array_position(t, 'a') FROM {T} ORDER BY id",
    "SELECT id, a || 99, array_prepend(0, a), a || a, array_to_string(t, '|', 'N') FROM {T} ORDER BY id",
    "SELECT id FROM {T} WHERE a @> ARRAY[1,2] ORDER BY id",
    "SELECT id FROM {T} WHERE a && '{3,10}' ORDER BY id",
    "SELECT a, count(*) FROM {T} GROUP BY a ORDER BY a",
    "SELECT DISTINCT t FROM {T} ORDER BY t",
    "SELECT max(id) FROM {T} WHERE a IS NULL OR cardinality(a) = 0",
]


@pytest.mark.parametrize("table", ["arr", "arref"])
@pytest.mark.parametrize("sql", COLUMN_QUERIES)
def test_columns(db, table, sql):
    exact(db, sql.replace("{T}", table))


def test_update_and_params(db):
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.execute("UPDATE arr SET a = a || 7 WHERE id = %s", (3,))
            cur.execute("UPDATE arr SET t = %s WHERE id = %s", (["new", None, "x y"], 4))
    exact(db, "SELECT id, a, t FROM arr WHERE id IN (3, 4) ORDER BY id")
    exact(db, "SELECT id FROM arr WHERE id = ANY(%s) ORDER BY id", ([2, 4, 6, 99],))
    exact(db, "SELECT id FROM arr WHERE 'b' = ANY(t) AND id <> ALL(%s) ORDER BY id", ([1],))
    exact(db, "SELECT id FROM arr WHERE a = %s ORDER BY id", ([1, 2, 3],))
    exact(db, "SELECT %s::int[], %s::text[]", ([], ["a", None, 'q"u']))
    for ids in ([1, 3], [2, 4], [5, 6]):  # one text but its integers: the parse cache
        exact(db, "SELECT id, a[%s] FROM arr WHERE id = ANY(%s) ORDER BY id" % (ids[0], "%s"),
              (ids,))
    big = list(range(0, 20000, 7))  # psycopg2 sends ARRAY[0,7,...]: 2858 elements
    exact(db, "SELECT id FROM arr WHERE id = ANY(%s) ORDER BY id", (big,))
    exact(db, "SELECT cardinality(%s), (%s)[2000]", (big, big))


def test_psycopg2_list_round_trip(cluster):
    """Without the raw caster: psycopg2 sends lists as ARRAY[...] (and an
    empty one as '{}') and reads arrays back as lists."""
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS arr_rt")
        cur.execute("CREATE TABLE arr_rt (id int PRIMARY KEY, a int[], t text[], f float8[], "
                    "n numeric[], d date[], b bool[])")
        vals = (1, [1, None, -3], ["a", "b c", None, "", 'q"', "{x}"], [1.5, 2.0],
                [decimal.Decimal("1.50"), None], [datetime.date(2024, 2, 29)], [True, False])
        cur.execute("INSERT INTO arr_rt VALUES (%s, %s, %s, %s, %s, %s, %s)", vals)
        cur.execute("SELECT id, a, t, f, n, d, b FROM arr_rt WHERE id = %s", (1,))
        assert cur.fetchone() == vals
        cur.execute("SELECT %s = ANY(a), %s::int[] FROM arr_rt", (-3, []))
        assert cur.fetchone() == (True, [])
    conn.close()


def test_errors(db):
    same_error(db, "SELECT '{1,2'::int[]", "22P02")
    same_error(db, "SELECT '{1,x}'::int[]", "22P02")
    same_error(db, "SELECT '1,2'::int[]", "22P02")
    same_error(db, "SELECT ARRAY[1] = ARRAY['x'::text]", "42883")
    same_error(db, "SELECT 1 = ANY(1)", "42809")
    # what murphy refuses with 0A000 (PostgreSQL has it)
    for sql in ("SELECT '[0:1]={1,2}'::int[]", "SELECT ARRAY['1 day'::interval]",
                "SELECT '{}'::timestamptz[]", "SELECT max(a) FROM arr",
                "UPDATE arr SET a[1] = 5 WHERE id = 1"):
        mo = run(db.m, sql)
        assert mo.error is not None and mo.error.pgcode == "0A000", (sql, mo)
    mo = run(db.m, "CREATE TABLE arr_key (k int[], v int) PARTITION BY HASH (k)")
    assert mo.error is not None and mo.error.pgcode == "0A000", mo
    assert "array" in str(mo.error)


AGG_QUERIES = [
    "SELECT array_agg(id ORDER BY id) FROM {T}",
    # an array sort key orders by value ({3,2,1} before {10,9}), not by its text
    "SELECT array_agg(id ORDER BY a, id), string_agg(id::text, ',' ORDER BY n DESC, id) FROM {T}",
    "SELECT array_agg(t[1] ORDER BY t[1] DESC NULLS LAST, id) FROM {T}",
    "SELECT id % 3, array_agg(t[1] ORDER BY id DESC) FROM {T} GROUP BY id % 3 ORDER BY 1",
    "SELECT array_agg(DISTINCT cardinality(a)) FROM {T}",
    "SELECT array_agg(n[1] ORDER BY id) FROM {T}",
    "SELECT array_agg(b[1] ORDER BY b[1] NULLS FIRST, id), array_agg(d[1] ORDER BY id) FROM {T}",
    "SELECT array_agg(id ORDER BY id) FILTER (WHERE 1 = ANY(a)) FROM {T}",
    "SELECT array_agg(id) FROM {T} WHERE id > 100",
    "SELECT cardinality(array_agg(id)) FROM {T}",
]


@pytest.mark.parametrize("table", ["arr", "arref"])
@pytest.mark.parametrize("sql", AGG_QUERIES)
def test_array_agg(db, table, sql):
    exact(db, sql.replace("{T}", table))


UNNEST = [
    "SELECT * FROM unnest(ARRAY[3,1,NULL,2])",
    "SELECT * FROM unnest('{a,\"b c\",NULL}'::text[]) WITH ORDINALITY",
    "SELECT x, n FROM unnest(ARRAY[1.5,2]) WITH ORDINALITY AS u(x, n) ORDER BY n DESC",
    "SELECT u FROM unnest('{}'::int[]) AS u",
    "SELECT sum(x) FROM unnest(ARRAY[1,2,3]) AS t(x)",
    "SELECT unnest(ARRAY['2024-01-01'::date, '2024-02-29'])",
    "SELECT * FROM unnest(NULL::int[])",
]


UNNEST_COLUMNS = [
    "SELECT id, unnest(a) FROM {T} ORDER BY 1, 2",
    "SELECT unnest(t) AS x, id FROM {T} WHERE id < 9",
    "SELECT id, unnest(n) FROM {T} WHERE id = 7",
    "SELECT id, unnest(d) FROM {T} ORDER BY 2 DESC, 1 LIMIT 3",
    "SELECT id, unnest(b) FROM {T} WHERE 2 = ANY(a)",
    "SELECT unnest(a || 0) FROM {T} WHERE id IN (1, 5, 6)",
    "SELECT x, count(*) FROM (SELECT unnest(t) AS x FROM {T}) s GROUP BY x ORDER BY x",
    "SELECT id FROM {T} WHERE id IN (SELECT unnest(a) FROM {T}) ORDER BY id",
    "SELECT (SELECT count(*) FROM (SELECT unnest(a) FROM {T}) u), "
    "(SELECT max(v) FROM (SELECT unnest(n) AS v FROM {T}) w)",
    "WITH u AS (SELECT id, unnest(a) AS v FROM {T}) SELECT v, array_agg(id ORDER BY id) "
    "FROM u GROUP BY v ORDER BY v",
]


@pytest.mark.parametrize("table", ["arr", "arref"])
@pytest.mark.parametrize("sql", UNNEST_COLUMNS)
def test_unnest_in_select_list(db, table, sql):
    exact(db, sql.replace("{T}", table))


@pytest.mark.parametrize("sql", UNNEST)
def test_unnest(db, sql):
    exact(db, sql)


def test_unnest_parameter_and_refusals(db):
    exact(db, "SELECT * FROM unnest(%s::int[]) WITH ORDINALITY", ([5, None, 7],))
    for sql in ("SELECT DISTINCT unnest(a) FROM arr", "SELECT * FROM arr, unnest(arr.a)",
                "SELECT unnest(a), unnest(t) FROM arr",
                "SELECT id FROM arr WHERE unnest(a) > 1"):
        mo = run(db.m, sql)
        assert mo.error is not None and mo.error.pgcode == "0A000", (sql, mo)


def test_binary_results_and_parameters(cluster, pg, pgconn):
    """array_send bytes equal PostgreSQL's (libpq result format 1), and
    psycopg 3 binary list parameters (array_recv) round-trip."""
    import psycopg
    got = {}
    for target, dsn in (("murphy", cluster.dsn()), ("postgres", pg.dsn(pgconn.info.dbname))):
        with psycopg.connect(dsn, autocommit=True) as conn:
            res = conn.pgconn.exec_params(
                b"SELECT ARRAY[1,NULL,-3]::int[], '{}'::int[], ARRAY[1,2]::int8[], "
                b"'{a,\"b c\",NULL}'::text[], '{t,f}'::bool[], '{1.5,NULL}'::numeric[], "
                b"'{2024-02-29}'::date[], '{1.5}'::float8[]", [], result_format=1)
            assert res.status == psycopg.pq.ExecStatus.TUPLES_OK, res.error_message
            got[target] = [res.get_value(0, i) for i in range(res.nfields)]
            with conn.cursor(binary=True) as cur:
                cur.execute("SELECT %b::int[], %b::text[], %b::bigint[]",
                            ([1, None, 3], ["x", None, "q\"u"], [1 << 40]))
                assert cur.fetchone() == ([1, None, 3], ["x", None, "q\"u"], [1 << 40])
            for binary in (True, False):  # $1 = ANY($2) with a typed array parameter
                with conn.cursor(binary=binary) as cur:
                    cur.execute("SELECT id FROM arr WHERE id = ANY(%s) AND %s <> ALL(t) "
                                "ORDER BY id", ([1, 2, 3, 10, 1 << 40], "zz"))
                    got.setdefault(target + str(binary), cur.fetchall())
    assert got["murphy"] == got["postgres"]
    for binary in ("True", "False"):
        assert got["murphy" + binary] == got["postgres" + binary] != []


def test_pg_type_and_format_type(db):
    exact(db, "SELECT oid::int, typname::text, typelem::int, typcategory::text, typlen FROM pg_type "
              "WHERE oid IN (1000, 1005, 1007, 1009, 1016, 1022, 1231, 1182, 2951) ORDER BY oid")
    exact(db, "SELECT t.typname::text, e.typname::text, e.typarray = t.oid FROM pg_type t "
              "JOIN pg_type e ON e.oid = t.typelem WHERE t.oid IN (1007, 1009, 1016) ORDER BY 1")
    exact(db, "SELECT format_type(1007, NULL), format_type(1009, NULL), format_type(1115, NULL)")
    exact(db, "SELECT column_name::text, data_type::text, udt_name::text "
              "FROM information_schema.columns WHERE table_name = 'arr' ORDER BY ordinal_position")
    exact(db, "SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute "
              "WHERE attrelid = 'arr'::regclass AND attnum > 0 ORDER BY attnum")


def test_copy_in_and_out(db):
    """COPY text in and out: the array's text form, escaped for COPY."""
    import io
    data = "1\t{1,2,NULL}\t{\"a b\",\"q\\\\\"x\"}\n2\t\\N\t{}\n"
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS arr_copy")
            cur.execute("CREATE TABLE arr_copy (id int PRIMARY KEY, a int[], t text[])")
            cur.copy_expert("COPY arr_copy FROM STDIN", io.StringIO(data))
    exact(db, "SELECT id, a, t FROM arr_copy ORDER BY id")
    outs = []
    for conn in (db.m, db.p):
        buf = io.StringIO()
        with conn.cursor() as cur:
            cur.copy_expert("COPY (SELECT id, a, t FROM arr_copy ORDER BY id) TO STDOUT", buf)
        outs.append(buf.getvalue())
    assert outs[0] == outs[1]


def test_random_literals_parse_as_postgres(db):
    """Random one-dimensional literals over a small alphabet: murphy gives
    PostgreSQL's canonical text, or the same SQLSTATE (nested braces:
    test_arrays_md.py)."""
    import random
    rnd = random.Random(1907)
    pieces = ["1", "-2", "a", "b c", " ", ",", "\"", "\\", "NULL", "null", "\"\"", "\"x,y\"",
              "{", "}", "\\\"", "\t", "3 4"]
    tried = 0
    for _ in range(1200):
        body = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 6)))
        lit = "{" + body + "}"
        if "{" in body:
            continue
        tried += 1
        for t in ("text[]", "int[]"):
            sql = "SELECT %s::" + t
            mo, po = run(db.m, sql, (lit,)), run(db.p, sql, (lit,))
            where = "\n  literal: %r as %s\n  murphy:   %r\n  postgres: %r" % (lit, t, mo, po)
            if po.error is not None:
                assert mo.error is not None and mo.error.pgcode == po.error.pgcode, where
            else:
                assert mo.error is None and mo.rows == po.rows, where
    assert tried > 100


def test_unnest_in_a_view(db):
    db.exec_both("DROP VIEW IF EXISTS arr_tags")
    db.exec_both("CREATE VIEW arr_tags AS SELECT id, unnest(t) AS tag FROM arr")
    exact(db, "SELECT tag, count(*) FROM arr_tags WHERE tag IS NOT NULL GROUP BY tag ORDER BY tag")
    exact(db, "SELECT id, tag FROM arr_tags WHERE id < 4 ORDER BY id, tag")
    db.exec_both("DROP VIEW arr_tags")


def test_numeric_typmod_arrays_round_their_elements(db):
    """numeric(p,s)[]: every element rounded to the scale on the way in
    (INSERT, UPDATE, COPY, INSERT ... SELECT, a cast), 22003 when one does
    not fit, so arrays of equal values group and DISTINCT together."""
    import io
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS arr_nt")
            cur.execute("CREATE TABLE arr_nt (id int PRIMARY KEY, a numeric(10,2)[], "
                        "b numeric(6,1)[])")
            cur.copy_expert("COPY arr_nt FROM STDIN",
                            io.StringIO("1\t{1.005,2}\t{1.25,NULL,3}\n2\t{1.01,2.0}\t{1.3}\n"))
    db.exec_both("INSERT INTO arr_nt VALUES (3, '{1.01,2.00}', ARRAY[1.34]), "
                 "(4, ARRAY[1.009, 1.999], NULL), (5, NULL, '{}')")
    db.exec_both("INSERT INTO arr_nt SELECT id + 10, b::numeric[], a::numeric[] FROM arr_nt")
    db.exec_both("UPDATE arr_nt SET b = b || 7.77 WHERE id = 2")
    exact(db, "SELECT id, a, b FROM arr_nt ORDER BY id")
    exact(db, "SELECT a, count(*) FROM arr_nt GROUP BY a ORDER BY 1")
    exact(db, "SELECT DISTINCT b FROM arr_nt ORDER BY 1")
    exact(db, "SELECT count(DISTINCT a) FROM arr_nt")
    exact(db, "SELECT '{1.005, -2.5}'::numeric(10,2)[], ARRAY[0.05]::numeric(3,1)[]")
    exact(db, "SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute "
              "WHERE attrelid = 'arr_nt'::regclass AND attnum > 0 ORDER BY attnum")
    for sql in ["INSERT INTO arr_nt VALUES (20, ARRAY[123456789.5], NULL)",
                "UPDATE arr_nt SET b = '{99999.99}' WHERE id = 1",
                "SELECT '{1000}'::numeric(3,1)[]"]:
        same_error(db, sql, "22003")
