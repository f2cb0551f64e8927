"""json and jsonb (issue 19), differential against a real PostgreSQL 15 on
the same rows, compared EXACTLY as text (psycopg2 is told not to parse
json, so key order, spacing and number spelling count): input
normalization (keys sorted by length then bytes, last duplicate wins,
numbers as numeric prints them), the operators -> ->> #> #>> @> <@ ? ?|
?& || - #-, jsonb ordering and equality, the functions (builders,
to_jsonb, jsonb_typeof, jsonb_array_length, jsonb_extract_path[_text],
jsonb_set, jsonb_pretty, jsonb_strip_nulls), the aggregates json_agg /
jsonb_agg / jsonb_object_agg on distributed and reference tables with
ORDER BY, NULLs and nested values, GROUP BY and DISTINCT on jsonb, WHERE
data->>'k' pushed to the shards (EXPLAIN), bad input SQLSTATEs, a json
column refused as the distribution key, COPY and binary round trips."""
import io
import json
import random

import psycopg2
import psycopg2.extras
import pytest

from compare import exact, run

ROWS = 400


def same_error(db, sql, sqlstate):
    mo, po = run(db.m, sql), run(db.p, sql)
    where = "\n  sql: %s\n  murphy:   %r\n  postgres: %r" % (sql, mo, po)
    assert po.error is not None and po.error.pgcode == sqlstate, "test is wrong:" + where
    assert mo.error is not None and mo.error.pgcode == sqlstate, "murphy differs:" + where


def doc(rnd, depth=0):
    """A random JSON document as text, written with odd spacing, duplicate
    keys and numbers spelled several ways."""
    r = rnd.random()
    if depth > 2 or r < 0.35:
        return rnd.choice([
            str(rnd.randint(-50, 50)), "%d.%d0" % (rnd.randint(0, 9), rnd.randint(0, 9)),
            "1e2", "-0.5E-1", "true", "false", "null",
            json.dumps(rnd.choice(["a", "b", "x y", "é", "tab\tq", "quo\"te", ""])),
        ])
    if r < 0.6:
        items = [doc(rnd, depth + 1) for _ in range(rnd.randint(0, 4))]
        return "[" + " ,".join(items) + "]"
    keys = ["k", "a", "bb", "aa", "name", "tags", "n"]
    pairs = ['%s : %s' % (json.dumps(rnd.choice(keys)), doc(rnd, depth + 1))
             for _ in range(rnd.randint(0, 4))]
    return "{ " + ", ".join(pairs) + "}"


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for conn in (db.m, db.p):
        psycopg2.extras.register_default_json(conn, loads=lambda s: s)
        psycopg2.extras.register_default_jsonb(conn, loads=lambda s: s)
    rnd = random.Random(19)
    for t in ("jdocs", "jref"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE jdocs (id int PRIMARY KEY, data jsonb, j json, grp text)")
    db.m.cursor().execute("CREATE TABLE jref (id int PRIMARY KEY, data jsonb) "
                          "WITH (distribution = 'reference')")
    db.p.cursor().execute("CREATE TABLE jref (id int PRIMARY KEY, data jsonb)")
    rows = []
    for i in range(ROWS):
        d = None if i % 37 == 0 else (
            '{"k": %s, "n": %d, "tags": %s, "sub": %s}' % (
                json.dumps(rnd.choice(["x", "y", "z"])), rnd.randint(0, 20),
                doc(rnd, 1), doc(rnd)) if i % 3 else doc(rnd))
        rows.append((i, d, d, "g%d" % (i % 5)))
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.execute("INSERT INTO jdocs VALUES " + ",".join(
                cur.mogrify("(%s, %s, %s, %s)", r).decode() for r in rows))
            cur.execute("INSERT INTO jref SELECT id, data FROM jdocs WHERE id < 60")
    yield


LITERALS = [
    # json_agg of arrays: ", \n " between them, none before a NULL (was ", ")
    "SELECT json_agg(x ORDER BY x NULLS FIRST)::text, json_agg(x ORDER BY x)::text "
    "FROM (VALUES (ARRAY[1, 2]), (NULL), (ARRAY[3])) v(x)",
    # jsonb - text[] (was 42883): keys off an object, strings off an array
    "SELECT '{\"a\": 1, \"b\": 2, \"c\": 3}'::jsonb - '{a,c}'::text[], "
    "'{\"a\": 1}'::jsonb - ARRAY['a'], '[\"a\", \"b\", 1, \"a\"]'::jsonb - '{a,x}'::text[], "
    "'{\"a\": 1}'::jsonb - '{}'::text[], '{\"a\": 1, \"b\": 2}'::jsonb - ARRAY[NULL, 'b'], "
    "'{\"a\": 1, \"b\": 2}'::jsonb - ARRAY['a']::varchar[], '{\"a\": 1}'::jsonb - NULL::text[]",
    "SELECT '{\"b\": 1, \"a\": 2, \"aa\": [1, 2.50, 1e3], \"a\": 3}'::jsonb",
    "SELECT '{\"b\": 1, \"a\": 2,   \"a\": 3}'::json",
    "SELECT '  [1, \"x\\u00e9\\n\", null, true, {\"z\": {}}, []] '::jsonb",
    "SELECT '\"\\ud83d\\ude00\"'::jsonb, '-0'::jsonb, '0.000'::jsonb, '1E-3'::jsonb",
    "SELECT '{\"a\": {\"b\": [1, {\"c\": 2}]}}'::jsonb -> 'a' -> 'b' -> 1 ->> 'c'",
    "SELECT '[1, 2, 3]'::jsonb -> -1, '[1, 2, 3]'::jsonb -> 5, '{\"a\": 1}'::jsonb -> 0",
    "SELECT '{\"a\": {\"b\": [1, \"two\"]}}'::json #> '{a,b,1}', "
    "'{\"a\": {\"b\": [1, \"two\"]}}'::json #>> '{a,b,1}'",
    "SELECT '{\"a\": 1, \"b\": [1, 2]}'::jsonb @> '{\"b\": [2]}', "
    "'{\"a\": 1}'::jsonb <@ '{\"a\": 1, \"c\": 2}', '[1, [2, 3]]'::jsonb @> '[[3]]', "
    "'[\"a\", \"b\"]'::jsonb @> '\"a\"', '\"a\"'::jsonb @> '[\"a\"]'",
    "SELECT '{\"a\": 1.50, \"b\": \"q\\\"\"}'::jsonb @> '{\"a\": 1.5, \"b\": \"q\\\"\"}', "
    "'{\"a\": 1}'::jsonb @> '{\"a\": 1, \"b\": null}', '{\"a\": [1]}'::jsonb @> '{\"a\": 1}'",
    "SELECT '{\"a\": 1, \"b\": 2}'::jsonb ? 'a', '[\"a\", 1]'::jsonb ? 'a', "
    "'{\"a\": 1}'::jsonb ?| '{b,a}', '{\"a\": 1}'::jsonb ?& '{b,a}'",
    "SELECT '{\"a\": 1, \"b\": 2}'::jsonb || '{\"b\": 3, \"c\": 4}', '[1]'::jsonb || '2', "
    "'{\"a\": 1}'::jsonb || '[2]', '1'::jsonb || '2'",
    "SELECT '{\"a\": 1, \"b\": 2}'::jsonb - 'a', '[\"a\", \"b\", \"a\"]'::jsonb - 'a', "
    "'[1, 2, 3]'::jsonb - 1, '[1, 2, 3]'::jsonb - -1, '{\"a\": {\"b\": 1, \"c\": 2}}'::jsonb #- '{a,b}'",
    "SELECT jsonb_build_object('b', 1, 'a', 'x', 'c', NULL, 'd', true, 'e', 2.50), "
    "json_build_object('b', 1, 'a', 'x'), jsonb_build_array(1, 'a', NULL, '{\"x\": 1}'::jsonb), "
    "json_build_array(1, 'a', NULL)",
    "SELECT to_jsonb(1.50::numeric), to_json('a\"b'::text), to_jsonb(true), "
    "to_json(DATE '2024-02-29'), to_jsonb(TIMESTAMP '2024-02-29 10:11:12.5'), to_jsonb(NULL::int)",
    "SELECT jsonb_typeof('{}'), jsonb_typeof('[]'), jsonb_typeof('1.5'), "
    "jsonb_typeof('\"s\"'), jsonb_typeof('null'), jsonb_typeof('false'), "
    "jsonb_array_length('[1, [2], 3]'), json_array_length('[]')",
    "SELECT jsonb_extract_path('{\"a\": {\"b\": [5, 6]}}', 'a', 'b', '1'), "
    "jsonb_extract_path_text('{\"a\": {\"b\": \"t\"}}', 'a', 'b')",
    "SELECT jsonb_set('{\"a\": {\"b\": 1}}', '{a,b}', '[2]'), "
    "jsonb_set('{\"a\": 1}', '{z}', '3'), jsonb_set('{\"a\": 1}', '{z}', '3', false), "
    "jsonb_set('[1, 2]', '{-1}', '9'), jsonb_set('[1, 2]', '{10}', '9'), "
    "jsonb_set('[1, 2]', '{-10}', '9')",
    "SELECT jsonb_pretty('{\"a\": [1, {\"b\": []}, {}], \"c\": \"x\"}'), jsonb_pretty('[]'), "
    "jsonb_pretty('1')",
    "SELECT jsonb_strip_nulls('{\"a\": null, \"b\": [null, {\"c\": null, \"d\": 1}]}')",
    "SELECT to_json(1e20::float8), to_jsonb(1e20::float8), to_json(-1.5::float4), "
    "to_json('infinity'::timestamp), to_jsonb('\\x01'::bytea), "
    "to_json(TIMESTAMPTZ '2024-01-01 10:00:00+00'), jsonb_build_object(1, 2)",
    "SELECT '{\"a\": 1, \"a\": 2}'::json -> 'a', ' [1] '::json, ' [1] '::json -> 0, "
    "'\"abc\"'::jsonb ? 'abc', '{\"a\": {\"b\": 1}}'::jsonb ? 'b'",
    "SELECT jsonb_set('[1, 2]', '{-10}', '9'), jsonb_set('{\"a\": 1}', '{a,b}', '9'), "
    "'{\"a\": 1}'::jsonb #- '{a,b}', '[1, 2]'::jsonb #> '{x}'",
    "SELECT ('{\"n\": 42}'::jsonb -> 'n')::int + 1, ('{\"f\": true}'::jsonb -> 'f')::boolean",
    "SELECT '{\"a\": 1}'::jsonb = '{ \"a\" : 1 }', '[1, 2]'::jsonb < '[1, 3]', "
    "'{\"a\": 1}'::jsonb > '[1, 2, 3]', '[]'::jsonb < 'null', '1.0'::jsonb = '1.00'",
    # arrays become JSON arrays (they were JSON strings "{1,2}")
    "SELECT to_json(ARRAY[1, NULL, 3]), to_jsonb(ARRAY[1.50, -2]), to_json(ARRAY['x', 'y \"q\"', NULL])",
    "SELECT json_build_object('a', ARRAY[1, 2], 'b', ARRAY[true, false]), "
    "jsonb_build_object('t', ARRAY['x'], 'e', '{}'::int[]), json_build_array(ARRAY['2024-01-01'::date]), "
    "jsonb_build_array(ARRAY['2024-01-01 10:00'::timestamp], ARRAY[7])",
    # a text[] value as the key list or path (was 42883 "jsonb ?| text[]")
    "SELECT '{\"a\":1}'::jsonb ?| ARRAY['a', 'b'], '{\"a\":1}'::jsonb ?& ARRAY['a', 'b'], "
    "'{\"a\":1, \"b\": 2}'::jsonb ?& ARRAY['a', 'b'], '{\"a\":1}'::jsonb ?| ARRAY[NULL, 'a'], "
    "'{\"a\":1}'::jsonb ?| ARRAY[]::text[], '{\"a\":1}'::jsonb ?& ARRAY[]::text[]",
    "SELECT '{\"a\":{\"b\":[1,2]}}'::jsonb #> ARRAY['a', 'b'], "
    "'{\"a\":{\"b\":[1,2]}}'::jsonb #>> ARRAY['a', 'b', '1'], "
    "'{\"a\":{\"b\":[1,2]}}'::jsonb #- ARRAY['a', 'b'], '{\"a b\":1, \"c\\\"d\": 2}'::jsonb ?& ARRAY['c\"d', 'a b']",
]


@pytest.mark.parametrize("sql", LITERALS)
def test_literals(db, sql):
    exact(db, sql)


TABLE = [
    "SELECT id, data, j FROM jdocs",
    "SELECT id, data -> 'k', data ->> 'k', j -> 'tags', j ->> 'n', data #> '{sub,k}', "
    "data #>> '{tags,0}' FROM jdocs",
    "SELECT id FROM jdocs WHERE data ->> 'k' = 'x'",
    "SELECT id FROM jdocs WHERE CASE WHEN jsonb_typeof(data -> 'n') = 'number' "
    "THEN (data -> 'n')::int END > 10",
    "SELECT id FROM jdocs WHERE data @> '{\"k\": \"y\"}'",
    "SELECT id FROM jdocs WHERE data @> '{\"n\": 5.0, \"k\": \"x\"}' OR data @> '{\"tags\": []}' "
    "OR data @> '{\"sub\": null}' OR data @> '[\"x y\"]' OR data <@ '{\"k\": \"z\", \"n\": 3}'",
    "SELECT id FROM jdocs WHERE data ? 'tags' AND NOT data ? 'a'",
    "SELECT id, jsonb_typeof(data), jsonb_typeof(data -> 'sub') FROM jdocs",
    "SELECT id, data || '{\"extra\": [1]}', data - 'k', jsonb_strip_nulls(data) FROM jdocs "
    "WHERE jsonb_typeof(data) = 'object'",
    "SELECT data ->> 'k' AS k, count(*) FROM jdocs GROUP BY data ->> 'k' ORDER BY 1",
    "SELECT data -> 'k', count(*) FROM jdocs GROUP BY 1",
    "SELECT DISTINCT data -> 'k' FROM jdocs",
    "SELECT id, data FROM jdocs ORDER BY data, id",
    "SELECT id, data FROM jdocs ORDER BY data DESC NULLS LAST, id LIMIT 20",
    "SELECT grp, jsonb_agg(data ORDER BY id) FROM jdocs GROUP BY grp",
    "SELECT grp, json_agg(id ORDER BY id DESC) FROM jdocs WHERE id < 50 GROUP BY grp",
    "SELECT jsonb_object_agg(id::text, data -> 'k' ORDER BY id) FROM jdocs WHERE id < 30",
    "SELECT json_object_agg(id, grp ORDER BY id) FROM jdocs WHERE id < 10",
    "SELECT grp, jsonb_agg(data -> 'n' ORDER BY id) FILTER (WHERE id % 2 = 0) FROM jdocs GROUP BY grp",
    "SELECT jsonb_agg(id) FROM jdocs WHERE id < 0",
    "SELECT id, jsonb_build_object('id', id, 'grp', grp, 'k', data -> 'k') FROM jdocs WHERE id < 40",
    "SELECT id, to_jsonb(grp), to_json(id), jsonb_build_array(id, data -> 'n') FROM jdocs "
    "WHERE id < 40",
    "SELECT jsonb_agg(data ORDER BY id) FROM jref",
    "SELECT r.id, r.data -> 'k' FROM jref r JOIN jdocs d ON d.id = r.id WHERE r.data ? 'k'",
    "SELECT count(*) FROM jdocs WHERE data = '{\"a\": 1}' OR data <> 'null'",
    "SELECT id, grp || data, j || grp, 'x' || j FROM jdocs WHERE id < 20",
]


@pytest.mark.parametrize("sql", TABLE)
def test_table(db, sql):
    exact(db, sql)


def test_pushdown_in_explain(db):
    # the filter goes to the shards as the json function, not to the leader
    cur = db.m.cursor()
    cur.execute("EXPLAIN SELECT id FROM jdocs WHERE data ->> 'k' = 'x'")
    plan = "\n".join(r[0] for r in cur.fetchall())
    assert "mur_json_get" in plan, plan


BAD = [
    ("SELECT '1'::jsonb - '{a}'::text[]", "22023"),
    ("SELECT '{\"a\": 1'::jsonb", "22P02"),
    ("SELECT '{a: 1}'::json", "22P02"),
    ("SELECT '[1, 2,]'::jsonb", "22P02"),
    ("SELECT '01'::jsonb", "22P02"),
    ("SELECT '\"\\u0000\"'::jsonb", "22P05"),
    ("SELECT '{\"a\": 1}'::json = '{\"a\": 1}'::json", "42883"),
    ("SELECT '1'::jsonb - 'a'", "22023"),
    ("SELECT jsonb_array_length('{}')", "22023"),
    ("SELECT jsonb_array_length('1')", "22023"),
    ("SELECT '{\"a\": 1}'::jsonb - 0", "22023"),
    ("SELECT jsonb_build_object('a')", "22023"),
    ("SELECT jsonb_typeof('{}'::json)", "42883"),
    ("SELECT 1 @> '1'::jsonb", "42883"),
    ("SELECT j, count(*) FROM jdocs GROUP BY j", "42883"),
    ("SELECT jsonb_set('[1, 2]', '{n}', '8')", "22P02"),
    ("SELECT jsonb_set('-0.05', '{0}', '8')", "22023"),
    ("SELECT '[1]'::jsonb #- '{n}'", "22P02"),
    ("SELECT json_build_object(NULL, 2)", "22023"),
    ("SELECT id FROM jdocs ORDER BY j", "42883"),
    ("SELECT ('{\"a\": 1}'::jsonb)::int", "22023"),
    ("SELECT ('\"x\"'::jsonb)::numeric", "22023"),
    ("SELECT ('1'::jsonb)::boolean", "22023"),
]


@pytest.mark.parametrize("sql,state", BAD)
def test_bad_input(db, sql, state):
    same_error(db, sql, state)


def test_json_distribution_key_refused(db):
    for col in ("json", "jsonb"):
        with pytest.raises(psycopg2.Error) as e:
            db.m.cursor().execute("CREATE TABLE jbad (d %s PRIMARY KEY)" % col)
        assert e.value.pgcode == "0A000", e.value
        assert "distribute" in str(e.value)
    # a reference table may have one
    db.m.cursor().execute("CREATE TABLE jrefkey (d jsonb PRIMARY KEY) "
                          "WITH (distribution = 'reference')")
    db.m.cursor().execute("DROP TABLE jrefkey")


def test_copy_round_trip(db):
    db.exec_both("DROP TABLE IF EXISTS jcopy")
    db.exec_both("CREATE TABLE jcopy (id int PRIMARY KEY, data jsonb, j json)")
    text = '1\t{"b": 1, "a": [1.50, true]}\t{"b" : 1}\n2\t\\N\t[]\n'
    for conn in (db.m, db.p):
        conn.cursor().copy_expert("COPY jcopy FROM STDIN", io.StringIO(text))
    exact(db, "SELECT id, data, j FROM jcopy ORDER BY id")
    outs = []
    for conn in (db.m, db.p):
        buf = io.StringIO()
        conn.cursor().copy_expert("COPY jcopy TO STDOUT", buf)
        outs.append(sorted(buf.getvalue().splitlines()))
    assert outs[0] == outs[1]


def test_catalog_types(db):
    exact(db, "SELECT format_type(3802, NULL), format_type(114, NULL)")
    exact(db, "SELECT typname::text FROM pg_type WHERE oid IN (114, 3802) ORDER BY 1")


def test_binary_round_trip(cluster, pg, pgconn):
    # psycopg 3 sends Jsonb/Json parameters in binary (%b: jsonb version
    # byte 1 + text, json as text) and reads binary results the same way
    import psycopg
    from psycopg.types.json import Json, Jsonb
    doc = {"b": [1, 2.5, None], "a": {"x": "y\u00e9"}}
    got = {}
    for target, dsn in (("murphy", cluster.dsn()), ("postgres", pg.dsn(pgconn.info.dbname))):
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS jbin")
            conn.execute("CREATE TABLE jbin (id int PRIMARY KEY, data jsonb, j json)")
            conn.execute("INSERT INTO jbin VALUES (1, %b, %b)", (Jsonb(doc), Json(doc)))
            with conn.cursor(binary=True) as cur:
                cur.execute("SELECT data, j, data -> 'a', data::text FROM jbin")
                assert all(cur.pgresult.fformat(i) == 1 for i in range(cur.pgresult.nfields))
                got[target] = cur.fetchall()
    assert got["murphy"] == got["postgres"]
    assert got["murphy"][0][0] == doc


WRITES = [
    "UPDATE jw SET data = data || '{\"seen\": true}' WHERE data ->> 'k' = 'x'",
    "UPDATE jw SET data = jsonb_set(data, '{n}', to_jsonb(id * 2)) WHERE id % 4 = 0 "
    "AND jsonb_typeof(data) = 'object'",
    "UPDATE jw SET data = data - 'tags' WHERE data @> '{\"k\": \"z\"}'",
    "DELETE FROM jw WHERE data ? 'seen' AND id % 3 = 0",
    "INSERT INTO jw VALUES (1000, '{\"b\": 1, \"a\": [2, 3.0]}', NULL, 'g9') RETURNING data, j",
    "INSERT INTO jw SELECT id + 2000, data -> 'sub', j, grp FROM jw WHERE id < 30",
]


def test_writes(db):
    # writes that compute jsonb on the shards, then the table as PostgreSQL has it
    db.exec_both("DROP TABLE IF EXISTS jw")
    db.exec_both("CREATE TABLE jw (id int PRIMARY KEY, data jsonb, j json, grp text)")
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.execute("SELECT id, data::text, j::text, grp FROM jdocs")
            rows = cur.fetchall()
            cur.execute("INSERT INTO jw VALUES " + ",".join(
                cur.mogrify("(%s, %s, %s, %s)", r).decode() for r in rows))
    for sql in WRITES:
        if "RETURNING" in sql:
            exact(db, sql)
        else:
            db.exec_both(sql)
    exact(db, "SELECT id, data, j, grp FROM jw")
    exact(db, "SELECT id, coalesce(data -> 'missing', data, 'null'), "
              "CASE WHEN id % 2 = 0 THEN data ELSE '[]' END, data IS NULL FROM jw")


def test_server_side_parameters(cluster, pg, pgconn):
    # psycopg 3 binds parameters on the server: a Jsonb parameter is typed
    # jsonb, a str key is text
    import psycopg
    from psycopg.types.json import Jsonb
    got = {}
    for target, dsn in (("murphy", cluster.dsn()), ("postgres", pg.dsn(pgconn.info.dbname))):
        with psycopg.connect(dsn, autocommit=True) as conn:
            got[target] = [
                conn.execute("SELECT count(*) FROM jdocs WHERE data @> %s",
                             (Jsonb({"k": "x"}),)).fetchall(),
                conn.execute("SELECT id FROM jdocs WHERE data ->> %s = %s ORDER BY id",
                             ("k", "y")).fetchall(),
                conn.execute("SELECT data -> %s FROM jdocs WHERE id = %s",
                             ("sub", 5)).fetchall(),
            ]
    assert got["murphy"] == got["postgres"]
    assert got["murphy"][0][0][0] > 0
