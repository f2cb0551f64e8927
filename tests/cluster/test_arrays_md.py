"""Multidimensional arrays (issue 19), differential against a real
PostgreSQL 15 on the same rows: literals ('{{1,2},{3,4}}'), ARRAY[[...]]
and ARRAY[array, array], int[][] columns on a distributed and a reference
table, subscripts a[i][j] and slices, array_dims / array_ndims /
array_length(a, 2) / cardinality, unnest (flattens), = / < / ORDER BY /
GROUP BY, array_cat, to_json, text and binary output, and PostgreSQL's
errors (22P02 for a non-rectangular literal, 2202E for non-matching
ARRAY[] sub-arrays, 54000 past six dimensions, 22000 / 0A000 of the
one-dimensional functions).  Array values come back as their text."""
import random

import psycopg2
import psycopg2.extensions
import pytest

from compare import exact, run

ARRAY_OIDS = (1000, 1005, 1007, 1016, 1021, 1022, 1231, 1009, 1015, 1014, 1182, 1115, 2951)


def same_error(db, sql, sqlstate, params=None):
    mo, po = run(db.m, sql, params), run(db.p, sql, params)
    where = "\n  sql: %s\n  murphy:   %r\n  postgres: %r" % (sql, mo, po)
    assert po.error is not None and po.error.pgcode == sqlstate, "test is wrong:" + where
    assert mo.error is not None and mo.error.pgcode == sqlstate, "murphy differs:" + where


ROWS = [
    (1, "{{1,2},{3,4}}", "{{a,b},{\"c d\",NULL}}", "{{1.50,2},{3,4.0}}"),
    (2, "{1,2,3,4}", "{a,b}", "{1.5}"),
    (3, "{{1,2,3}}", "{{x},{y},{z}}", "{{{1}},{{2}}}"),
    (4, "{{1},{2},{3}}", "{}", None),
    (5, "{{{1,2},{3,4}},{{5,6},{7,8}}}", "{{\"q\\\"t\",\"\"}}", "{{NULL,1}}"),
    (6, None, None, "{}"),
    (7, "{{1,2},{3,4}}", "{{a,b},{c,d}}", "{{1.5,2.00},{3,4}}"),
    (8, "{{NULL,2},{3,NULL}}", "{{NULL}}", "{{-1,0}}"),
    (9, "{}", "{{b,a}}", "{{2,1}}"),
    (10, "{{2,1},{0,0}}", "{{a,b},{c,d}}", "{{1,2},{3,4}}"),
]


@pytest.fixture(scope="module", autouse=True)
def raw_arrays(db):
    for conn in (db.m, db.p):
        raw = psycopg2.extensions.new_type(ARRAY_OIDS, "RAWARRAY", lambda s, cur: s)
        psycopg2.extensions.register_type(raw, conn)


@pytest.fixture(scope="module")
def loaded(db):
    for t in ("mda", "mdref"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    cols = "(id int PRIMARY KEY, a int[][], t text[][], n numeric[])"
    db.exec_both("CREATE TABLE mda " + cols)
    db.m.cursor().execute("CREATE TABLE mdref " + cols + " WITH (distribution = 'reference')")
    db.p.cursor().execute("CREATE TABLE mdref " + cols)
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            for r in ROWS:
                cur.execute("INSERT INTO mda VALUES (%s, %s, %s, %s)", r)
            cur.execute("INSERT INTO mdref SELECT * FROM mda")
    yield


LITERALS = [
    "SELECT '{{1,2},{3,4}}'::int[], ' { {1 , 2} , { 3,4 } } '::int[], '{{{1}}}'::int[], "
    "'{{1},{NULL}}'::int[]",
    "SELECT '{{\"a b\",NULL},{\"\",\"{x}\"}}'::text[], '{{t,f}}'::bool[], '{{1.50},{2}}'::numeric[]",
    "SELECT '{{{{{{1}}}}}}'::int[], '{{2024-02-29},{1999-01-01}}'::date[], '{{1.5,-0}}'::float8[]",
    "SELECT ARRAY[[1,2],[3,4]], ARRAY[ARRAY[1,2],ARRAY[3,4]], ARRAY[[[1]],[[2]]], "
    "ARRAY[['a','b'],['c',NULL]]",
    "SELECT ARRAY[ARRAY[1,2],ARRAY[3,4]]::bigint[], ARRAY[[1.5],[2]], "
    "ARRAY[ARRAY[]::int[], ARRAY[]::int[]], ARRAY[NULL::int[], NULL]",
    "SELECT '{{1,2},{3,4}}'::int[]::text[], '{{1,2},{3,4}}'::text[]::int[], "
    "'{{1,2}}'::int[]::text, '{{1.005}}'::numeric(10,2)[]",
    "SELECT ('{{1,2},{3,4}}'::int[])[2][1], ('{{1,2},{3,4}}'::int[])[1], "
    "('{{1,2},{3,4}}'::int[])[3][1], ('{{1,2},{3,4}}'::int[])[1][1][1], ('{1,2}'::int[])[1][1]",
    "SELECT ('{{1,2},{3,4}}'::int[])[1:2][2], ('{{1,2},{3,4}}'::int[])[2:2], "
    "('{{1,2},{3,4}}'::int[])[1:1][1:1][1:1], ('{{1,2,3},{4,5,6}}'::int[])[:][2:], "
    "('{{1,2,3},{4,5,6}}'::int[])[2:1], ('{{1,2,3},{4,5,6}}'::int[])[0:9][2:2]",
    "SELECT array_dims('{{1,2},{3,4}}'::int[]), array_dims('{}'::int[]), array_dims('{1}'::int[]), "
    "array_ndims('{{1},{2}}'::int[]), array_ndims('{}'::int[]), "
    "array_length('{{1,2,3},{4,5,6}}'::int[], 2), array_length('{{1,2,3},{4,5,6}}'::int[], 1), "
    "array_length('{{1,2,3},{4,5,6}}'::int[], 3), array_upper('{{1,2,3},{4,5,6}}'::int[], 2), "
    "array_lower('{{1,2,3},{4,5,6}}'::int[], 2), cardinality('{{1,2,3},{4,5,6}}'::int[])",
    "SELECT '{{1,2},{3,4}}'::int[] = '{1,2,3,4}', '{{1,2},{3,4}}'::int[] > '{1,2,3,4}', "
    "'{{1,2}}'::int[] < '{{1},{2}}'::int[], '{1,2,3}'::int[] < '{{1,2},{3,4}}', "
    "'{{1,2},{3,4}}'::int[] = ARRAY[[1,2],[3,4]], '{{1,2}}'::int[] <> '{1,2}', "
    "'{{1.0}}'::numeric[] = '{{1.00}}'::numeric[]",
    "SELECT array_cat('{{1,2}}'::int[], '{3,4}'::int[]), array_cat('{3,4}'::int[], '{{1,2}}'::int[]), "
    "'{{1,2}}'::int[] || '{{3,4}}'::int[], '{{1,2}}'::int[] || '{}'::int[], "
    "'{}'::int[] || '{{1}}'::int[], NULL::int[] || '{{1}}'::int[]",
    "SELECT array_to_string('{{1,2},{3,NULL}}'::int[], ',', '*'), '{{1,2},{3,4}}'::int[] @> '{4}', "
    "'{{1,2},{3,4}}'::int[] && '{9,3}', 3 = ANY('{{1,2},{3,4}}'::int[]), "
    "3 > ALL('{{1,2},{3,4}}'::int[]), '{2}'::int[] <@ '{{1,2}}'::int[]",
    "SELECT to_json('{{1,2},{3,4}}'::int[]), to_jsonb('{{\"a\",NULL}}'::text[]), "
    "json_build_array('{{{1}},{{2}}}'::int[]), to_jsonb('{{t},{f}}'::bool[])",
    "SELECT unnest('{{1,2},{3,4}}'::int[])",
    "SELECT * FROM unnest('{{a,b},{c,NULL}}'::text[]) WITH ORDINALITY",
]


@pytest.mark.parametrize("sql", LITERALS)
def test_literals(db, sql):
    exact(db, sql)


TABLE_QUERIES = [
    "SELECT id, a, t, n FROM {T} ORDER BY id",
    "SELECT id, a[1][2], a[2][1], a[1], t[2][1], n[1][1] FROM {T} ORDER BY id",
    "SELECT id, a[1:1][1:2], a[2:][1], t[1:1], a[1][1][2] FROM {T} ORDER BY id",
    "SELECT id, array_dims(a), array_ndims(a), array_length(a, 1), array_length(a, 2), "
    "array_upper(t, 2), cardinality(a), array_dims(n) FROM {T} ORDER BY id",
    "SELECT id FROM {T} WHERE a = '{{1,2},{3,4}}' ORDER BY id",
    "SELECT id FROM {T} WHERE a[2][2] = 4 OR array_ndims(t) = 2 AND t[1][1] = 'x' ORDER BY id",
    "SELECT a, count(*) FROM {T} GROUP BY a ORDER BY a NULLS FIRST",
    "SELECT DISTINCT t FROM {T} ORDER BY t",
    "SELECT array_dims(n), count(*) FROM {T} GROUP BY n ORDER BY 1, 2",
    "SELECT count(DISTINCT a) FROM {T}",
    "SELECT id, a FROM {T} ORDER BY a DESC NULLS LAST, id LIMIT 6",
    "SELECT id, unnest(a) FROM {T} WHERE id IN (1, 5, 8) ORDER BY id, 2",
    "SELECT id, to_json(t), a || '{{9,9}}'::int[] FROM {T} WHERE id IN (1, 7, 10) ORDER BY id",
    "SELECT id, ARRAY[a[1:1], a[2:2]], ARRAY[[id, id + 1], [id * 2, 0]] FROM {T} "
    "WHERE array_length(a, 2) = 2 ORDER BY id",
    "SELECT count(*) FROM {T} WHERE 3 = ANY(a) AND a @> '{1}'",
    "SELECT x.id, y.id FROM {T} x JOIN {T} y ON x.a = y.a AND x.id < y.id ORDER BY 1, 2",
    # an array sort key inside an aggregate orders by value, not by its text
    "SELECT array_agg(id ORDER BY a, id), string_agg(id::text, ',' ORDER BY n DESC NULLS LAST, id) "
    "FROM {T}",
    "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY a), mode() WITHIN GROUP (ORDER BY t), "
    "json_agg(id ORDER BY t NULLS FIRST, id) FROM {T}",
    # array_agg over arrays: one more dimension
    "SELECT array_agg(a ORDER BY id) FROM {T} WHERE id IN (1, 7, 10)",
    "SELECT array_agg(DISTINCT a) FROM {T} WHERE id IN (1, 7, 10)",
    "SELECT array_agg(n ORDER BY n DESC, id) FILTER (WHERE array_dims(n) = '[1:2][1:2]') FROM {T}",
    "SELECT array_dims(a), array_agg(t ORDER BY id) FROM {T} WHERE array_dims(t) = '[1:2][1:2]' "
    "GROUP BY array_dims(a) ORDER BY 1",
    "SELECT array_agg(a[1:1] ORDER BY id) FROM {T} WHERE array_dims(a) = '[1:2][1:2]'",
    "SELECT array_agg(ARRAY[id, id * 2] ORDER BY id DESC) FROM {T} WHERE id < 5",
]


@pytest.mark.parametrize("table", ["mda", "mdref"])
@pytest.mark.parametrize("sql", TABLE_QUERIES)
def test_table(db, loaded, sql, table):
    exact(db, sql.replace("{T}", table))


def test_writes(db, loaded):
    """INSERT ... SELECT, UPDATE with multidimensional values and an array
    built from columns, then reading them back."""
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS mdw")
            cur.execute("CREATE TABLE mdw (id int PRIMARY KEY, a int[], b numeric(6,1)[][])")
    db.exec_both("INSERT INTO mdw SELECT id, a, n FROM mda WHERE id < 6")
    db.exec_both("INSERT INTO mdw VALUES (20, ARRAY[[1,2],[3,4]], '{{1.25,2.35}}'), "
                 "(21, '{{{7}}}', ARRAY[[0.05]])")
    db.exec_both("UPDATE mdw SET a = ARRAY[a, a] WHERE array_ndims(a) = 2 AND id < 4")
    db.exec_both("UPDATE mdw SET a = a || ARRAY[[8, 9]] WHERE id = 20")
    exact(db, "SELECT id, a, b FROM mdw ORDER BY id")


ERRORS = [
    ("SELECT '{{1,2},{3}}'::int[]", "22P02"),
    ("SELECT '{{1},{2,3}}'::text[]", "22P02"),
    ("SELECT '{{1,2},3}'::int[]", "22P02"),
    ("SELECT '{1,{2}}'::int[]", "22P02"),
    ("SELECT '{{}}'::int[]", "22P02"),
    ("SELECT '{{1,2}{3,4}}'::int[]", "22P02"),
    ("SELECT '{{1,2},}'::int[]", "22P02"),
    ("SELECT '{{1,2}}x'::int[]", "22P02"),
    ("SELECT '{{{{{{{1}}}}}}}'::int[]", "54000"),
    ("SELECT ARRAY[ARRAY[1,2],ARRAY[3]]", "2202E"),
    ("SELECT ARRAY[[1,2],[3]]", "2202E"),
    ("SELECT ARRAY[ARRAY[1,2],NULL]", "2202E"),
    ("SELECT ARRAY[ARRAY[1], ARRAY[]::int[]]", "2202E"),
    ("SELECT ARRAY[a, t::int[]] FROM mda WHERE id = 1", "22P02"),
    ("SELECT ARRAY[a, a[1:1]] FROM mda WHERE id = 1", "2202E"),
    ("SELECT array_cat('{{1,2}}'::int[], '{3}'::int[])", "2202E"),
    ("SELECT '{{1,2}}'::int[] || '{{{3}}}'::int[]", "2202E"),
    ("SELECT array_append('{{1,2}}'::int[], 3)", "22000"),
    ("SELECT 0 || a FROM mda WHERE id = 1", "22000"),
    ("SELECT array_remove('{{1,2}}'::int[], 1)", "0A000"),
    ("SELECT array_position(a, 1) FROM mda WHERE id = 1", "0A000"),
    ("SELECT array_agg(a ORDER BY id) FROM mda", "2202E"),
    ("SELECT array_agg(a) FROM mda WHERE id = 9", "2202E"),
    ("SELECT array_agg(a) FROM mda WHERE id IN (1, 6)", "22004"),
    ("SELECT array_agg(x) FROM (VALUES ('{{{{{{1}}}}}}'::int[])) v(x)", "54000"),
]


@pytest.mark.parametrize("sql,sqlstate", ERRORS)
def test_errors(db, loaded, sql, sqlstate):
    same_error(db, sql, sqlstate)


def test_binary_results_and_parameters(cluster, pg, pgconn, loaded):
    """array_send with more than one dimension: bytes equal PostgreSQL's;
    psycopg 3 binary nested-list parameters (array_recv) round-trip."""
    import psycopg
    got = {}
    for target, dsn in (("murphy", cluster.dsn()), ("postgres", pg.dsn(pgconn.info.dbname))):
        with psycopg.connect(dsn, autocommit=True) as conn:
            res = conn.pgconn.exec_params(
                b"SELECT '{{1,NULL},{-3,4}}'::int[], '{{{a}},{{\"b c\"}}}'::text[], "
                b"'{{1.5},{NULL}}'::numeric[], '{{t,f,t}}'::bool[], a FROM mda WHERE id = 5",
                [], result_format=1)
            assert res.status == psycopg.pq.ExecStatus.TUPLES_OK, res.error_message
            got[target] = [res.get_value(0, i) for i in range(res.nfields)]
            with conn.cursor(binary=True) as cur:
                cur.execute("SELECT %b::int[], %b::text[], array_dims(%b::int8[])",
                            ([[1, None], [3, 4]], [["x"], [None]], [[[1 << 40]]]))
                got[target + "params"] = cur.fetchone()
    assert got["murphy"] == got["postgres"]
    assert got["murphyparams"] == got["postgresparams"] == \
        ([[1, None], [3, 4]], [["x"], [None]], "[1:1][1:1][1:1]")


def test_random_literals_parse_as_postgres(db):
    """Random nested literals over a small alphabet: murphy gives
    PostgreSQL's canonical text, or the same SQLSTATE."""
    rnd = random.Random(2026)
    pieces = ["{", "}", "{", "}", ",", "1", "a", " ", "NULL", "\"x\"", "{1,2}", "{3}", "{}"]
    tried = errors = 0
    for _ in range(700):
        body = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 8)))
        lit = "{" + body + "}"
        tried += 1
        for t in ("text[]", "int[]"):
            sql = "SELECT %s::" + t
            mo, po = run(db.m, sql, (lit,)), run(db.p, sql, (lit,))
            where = "\n  literal: %r as %s\n  murphy:   %r\n  postgres: %r" % (lit, t, mo, po)
            if po.error is not None:
                errors += 1
                assert mo.error is not None and mo.error.pgcode == po.error.pgcode, where
            else:
                assert mo.error is None and mo.rows == po.rows, where
    assert tried - errors / 2 > 50


PERCENTILES = [
    "SELECT percentile_cont(ARRAY[0.25, 0.5, NULL, 1]) WITHIN GROUP (ORDER BY x), "
    "percentile_disc(ARRAY[0.25, 0.5, NULL, 1]) WITHIN GROUP (ORDER BY t) FROM pct",
    "SELECT g, percentile_cont(ARRAY[[0.1, 0.2], [0.3, 1]]) WITHIN GROUP (ORDER BY n), "
    "percentile_disc('{0, 0.5}'::float8[]) WITHIN GROUP (ORDER BY n) FROM pct GROUP BY g ORDER BY g",
    "SELECT percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY x::float8 / 3), "
    "percentile_disc(ARRAY[0.1, 0.6]) WITHIN GROUP (ORDER BY t DESC), "
    "percentile_disc(ARRAY[1, 0]) WITHIN GROUP (ORDER BY d) FROM pct",
    "SELECT percentile_cont(NULL::float8[]) WITHIN GROUP (ORDER BY x), "
    "percentile_cont('{}'::float8[]) WITHIN GROUP (ORDER BY x), "
    "percentile_disc(ARRAY[0.5]) WITHIN GROUP (ORDER BY x) FILTER (WHERE g = 2) FROM pct",
    "SELECT percentile_cont(ARRAY[0.5]) WITHIN GROUP (ORDER BY x), "
    "percentile_disc(ARRAY[0.5]) WITHIN GROUP (ORDER BY t) FROM pct WHERE false",
    "SELECT g, percentile_cont(ARRAY[0.5, 0.75]) WITHIN GROUP (ORDER BY x) AS p FROM pct "
    "GROUP BY g HAVING percentile_cont(ARRAY[0.5]) WITHIN GROUP (ORDER BY x) > '{1}' ORDER BY p",
    "SELECT percentile_disc(ARRAY[0.5, 1]) WITHIN GROUP (ORDER BY n::numeric(5,1)), "
    "pg_typeof(percentile_disc(ARRAY[0.5]) WITHIN GROUP (ORDER BY d))::text FROM pct",
]


@pytest.fixture(scope="module")
def pct(db):
    db.exec_both("DROP TABLE IF EXISTS pct")
    db.exec_both("CREATE TABLE pct (id int PRIMARY KEY, g int, x int, n numeric, t text, d date)")
    db.exec_both("INSERT INTO pct VALUES (1, 1, 1, 1.5, 'a', '2024-01-01'), "
                 "(2, 1, 2, 2.5, 'b c', '2023-05-05'), (3, 1, 3, NULL, 'c', NULL), "
                 "(4, 2, 10, 3, NULL, '2025-12-31'), (5, 2, NULL, 4, 'e', '2024-02-29'), "
                 "(6, 3, 7, 0.25, 'f', '2020-01-01')")


@pytest.mark.parametrize("sql", PERCENTILES)
def test_percentile_over_array_of_fractions(db, pct, sql):
    exact(db, sql)


@pytest.mark.parametrize("sql,sqlstate", [
    ("SELECT percentile_cont(ARRAY[2]) WITHIN GROUP (ORDER BY x) FROM pct", "22003"),
    ("SELECT percentile_disc(ARRAY[0.5, -0.5]) WITHIN GROUP (ORDER BY t) FROM pct", "22003"),
    ("SELECT percentile_cont(ARRAY[0.5]) WITHIN GROUP (ORDER BY t) FROM pct", "42883"),
    ("SELECT percentile_cont('{0.5}') WITHIN GROUP (ORDER BY x) FROM pct", "22P02"),
])
def test_percentile_over_array_of_fractions_errors(db, pct, sql, sqlstate):
    same_error(db, sql, sqlstate)


def test_copy_and_driver_lists(db, loaded):
    """COPY text in and out of multidimensional values, and psycopg2's
    nested lists as parameters (sent as ARRAY[[...], [...]])."""
    import io
    data = "1\t{{1,2},{3,NULL}}\t{{\"a b\"},{\"q\\\\\"x\"}}\n2\t{{{7}}}\t\\N\n"
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS md_copy")
            cur.execute("CREATE TABLE md_copy (id int PRIMARY KEY, a int[], t text[])")
            cur.copy_expert("COPY md_copy FROM STDIN", io.StringIO(data))
            cur.execute("INSERT INTO md_copy VALUES (%s, %s, %s)",
                        (3, [[1, 2], [3, 4]], [["x", None], ["", "y z"]]))
    exact(db, "SELECT id, a, t, array_dims(a) FROM md_copy ORDER BY id")
    outs = []
    for conn in (db.m, db.p):
        buf = io.StringIO()
        with conn.cursor() as cur:
            cur.copy_expert("COPY (SELECT id, a, t FROM md_copy ORDER BY id) TO STDOUT", buf)
        outs.append(buf.getvalue())
    assert outs[0] == outs[1]
    exact(db, "SELECT %s::int[] = '{{1,2},{3,4}}', %s::text[]", ([[1, 2], [3, 4]], [["a"], ["b"]]))


def test_declared_dimensions_are_one_type(db, loaded):
    """int[][] is int[], as in PostgreSQL (format_type, pg_type)."""
    exact(db, "SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute "
              "WHERE attrelid = 'mda'::regclass AND attnum > 0 ORDER BY attnum")
    exact(db, "SELECT '{{1}}'::int[][] = '{{1}}'::int[], pg_typeof('{{1}}'::int[][][])::text")
