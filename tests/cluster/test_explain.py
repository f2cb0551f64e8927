"""EXPLAIN shows the distributed strategy; EXPLAIN ANALYZE shows rows per node."""
import re

import pytest

N = 3000


@pytest.fixture(scope="module", autouse=True)
def table(db):
    db.exec_both("CREATE TABLE ev (id bigint PRIMARY KEY, user_id int, kind text)")
    for k in range(0, N, 1000):
        db.exec_both("INSERT INTO ev VALUES " + ", ".join(
            "(%d, %d, 'k%d')" % (i, i % 97, i % 5) for i in range(k + 1, k + 1001)))
    return db


def plan(db, sql):
    cols, rows = db.murphy("EXPLAIN " + sql)
    assert cols == ["QUERY PLAN"], cols
    return "\n".join(r[0] for r in rows)


def test_point_select_is_router(db):
    text = plan(db, "SELECT * FROM ev WHERE id = 42")
    assert re.search(r"\brouter\b", text, re.I), text
    assert not re.search(r"scatter", text, re.I), text


def test_aggregate_is_scatter_gather(db, cluster):
    text = plan(db, "SELECT kind, count(*) FROM ev GROUP BY kind")
    assert re.search(r"scatter-gather", text, re.I), text
    for i in range(1, cluster.followers + 1):
        assert re.search(r"\bf%d\b" % i, text), "follower f%d not in plan:\n%s" % (i, text)


def test_explain_shows_shard_sql(db):
    text = plan(db, "SELECT count(*) FROM ev WHERE user_id = 5")
    # the SQL each shard runs mentions the filter
    assert re.search(r"user_id", text), text
    assert len(re.findall(r"\bSELECT\b", text, re.I)) >= 1, text


def test_count_distinct_strategies_differ(db):
    on_key = plan(db, "SELECT count(DISTINCT id) FROM ev")
    other = plan(db, "SELECT count(DISTINCT user_id) FROM ev")
    strat = lambda t: re.search(r"strategy: ([^)\n]+)", t)
    assert strat(on_key) and strat(other), (on_key, other)
    assert strat(on_key).group(1) != strat(other).group(1), (on_key, other)


def test_explain_does_not_execute(db):
    db.murphy("EXPLAIN DELETE FROM ev WHERE id = 1")
    db.both("SELECT count(*) FROM ev WHERE id = 1")


def node_rows(text):
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"Node (\S+) -> leader: \d+ tasks?, (\d+) rows", text)}


def test_explain_analyze_rows_per_node(db, cluster):
    text = plan(db, "ANALYZE SELECT id, kind FROM ev")
    per_node = node_rows(text)
    assert set(per_node) == {"f%d" % i for i in range(1, cluster.followers + 1)}, text
    assert sum(per_node.values()) == N, text
    assert all(v > 0 for v in per_node.values()), text


def test_explain_analyze_router_touches_one_node(db):
    text = plan(db, "ANALYZE SELECT * FROM ev WHERE id = 7")
    per_node = node_rows(text)
    assert len(per_node) == 1 and sum(per_node.values()) == 1, text


def test_explain_analyze_partial_aggregates_move_few_rows(db, cluster):
    text = plan(db, "ANALYZE SELECT kind, count(*) FROM ev GROUP BY kind")
    per_node = node_rows(text)
    assert per_node and sum(per_node.values()) < N / 10, text
    assert re.search(r"result: 5 rows", text), text
