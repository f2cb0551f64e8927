"""json and jsonb set-returning functions in the select list of a query
over a distributed table (issue 19): SELECT id, jsonb_array_elements(doc)
FROM t runs on the shards, each expanding its own rows with SQLite's
json_each (parser/analyze_json_srf.c sql_json_srf_target, the unnest
mechanism), instead of gathering the table to the leader.  Differential
against a real PostgreSQL 15, compared exactly (jsonb keeps 1.50); EXPLAIN
shows a scatter-gather with the function in the shard SQL."""
import pytest

from compare import exact, run


@pytest.fixture(scope="module")
def jd(db):
    db.exec_both("DROP TABLE IF EXISTS jss_t")
    db.exec_both("CREATE TABLE jss_t (id int PRIMARY KEY, doc jsonb, j json)")
    rows = []
    for i in range(1, 31):
        if i % 10 == 0:
            rows.append("(%d, NULL, NULL)" % i)
        elif i % 4 == 0:
            rows.append("(%d, '[]', '[]')" % i)
        elif i % 3 == 0:
            rows.append("(%d, '{\"k%d\": %d.50, \"s\": \"v\"}', '{\"b\": 1, \"a\": %d}')"
                        % (i, i, i, i))
        else:
            rows.append("(%d, '[%d, \"x%d\", %d.50, null, {\"a\": [1]}]', '[1, \"two\", %d]')"
                        % (i, i, i, i, i))
    db.exec_both("INSERT INTO jss_t VALUES " + ",".join(rows))
    return db


QUERIES = [
    "SELECT id, jsonb_array_elements(doc) FROM jss_t WHERE jsonb_typeof(doc) = 'array'",
    "SELECT id, jsonb_array_elements_text(doc) AS e FROM jss_t"
    " WHERE jsonb_typeof(doc) = 'array' ORDER BY id, e",
    "SELECT id, jsonb_object_keys(doc) FROM jss_t WHERE jsonb_typeof(doc) = 'object'",
    "SELECT id, json_array_elements(j)::text FROM jss_t WHERE json_typeof(j) = 'array'",
    "SELECT id, json_object_keys(j) FROM jss_t WHERE json_typeof(j) = 'object'",
    "SELECT jsonb_array_elements(doc) -> 'a' FROM jss_t WHERE jsonb_typeof(doc) = 'array'",
    "SELECT id, jsonb_array_elements(doc) FROM jss_t WHERE id = 7",
    "SELECT id, jsonb_array_elements('[1, 2]') FROM jss_t WHERE id < 4",
    "SELECT count(*) FROM (SELECT jsonb_array_elements(doc) v FROM jss_t"
    " WHERE jsonb_typeof(doc) = 'array') s",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_select_list_srf(jd, sql):
    exact(jd, sql)


def test_wrong_kind_22023(jd):
    jd.both_error("SELECT id, jsonb_array_elements(doc) FROM jss_t", "22023")


def test_runs_on_the_shards(jd):
    cols, rows = jd.murphy("EXPLAIN SELECT id, jsonb_array_elements(doc) FROM jss_t")
    text = "\n".join(r[0] for r in rows)
    assert "json_each" in text and "gather" in text.lower(), text
    assert "murphy__sub" not in text, text


def test_record_column_0A000(jd):
    assert run(jd.p, "SELECT id, jsonb_each(doc) FROM jss_t WHERE id = 3").error is None
    out = run(jd.m, "SELECT id, jsonb_each(doc) FROM jss_t WHERE id = 3")
    assert out.error is not None and out.error.pgcode == "0A000", out
