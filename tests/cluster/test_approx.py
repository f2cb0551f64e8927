"""approx_count_distinct(x): HyperLogLog sketches per shard, merged on the
leader (docs/approx.md), against PostgreSQL's exact count(DISTINCT x).

visits is distributed by id; every approx here is over other columns
(values repeat across shards).  Large sets must be within 2.5 % (about 3
standard errors at precision 14), sets below ~1000 values exact.  Router
plans run the whole query in SQLite (mur_approx_count_distinct) and must
give the same number as the scatter-gather plan over the same rows.
"""
import io

import psycopg2
import pytest

from compare import run

ROWS = 120000
TOLERANCE = 0.025

VISITS_DDL = ("CREATE TABLE visits (id bigint PRIMARY KEY, user_id bigint, page text, "
              "bucket int, small int, score double precision, tag text)")
EVENTS_MURPHY = "CREATE TABLE events (user_id int, item text) PARTITION BY HASH (user_id)"
EVENTS_PG = "CREATE TABLE events (user_id int, item text)"


def visit(i):
    user = None if i % 23 == 0 else (i * 7919) % 60000
    page = None if i % 29 == 0 else "page-%d" % (i % 5000)
    tag = None  # only NULLs
    return (i, user, page, i % 10, i % 37, (i % 50) * 0.5, tag)


def copy_text(rows):
    out = io.StringIO()
    for r in rows:
        out.write("\t".join("\\N" if v is None else str(v) for v in r) + "\n")
    out.seek(0)
    return out


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for t in ("visits", "events"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both(VISITS_DDL)
    db.m.cursor().execute(EVENTS_MURPHY)
    db.p.cursor().execute(EVENTS_PG)
    visits = [visit(i) for i in range(1, ROWS + 1)]
    # user 7 has 3000 distinct items (a dense sketch), others a few
    events = [(7, "item-%d" % k) for k in range(3000)] + \
             [(u, "item-%d" % (u % 13)) for u in range(1, 400) for _ in range(2)]
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.copy_expert("COPY visits FROM STDIN", copy_text(visits))
            cur.copy_expert("COPY events FROM STDIN", copy_text(events))
    return db


def murphy_rows(db, sql):
    out = run(db.m, sql)
    assert out.error is None, "%s: %r" % (sql, out)
    return out


def pg_rows(db, sql):
    out = run(db.p, sql)
    assert out.error is None, "%s: %r" % (sql, out)
    return out.rows


def approx_vs_exact(db, template, exact=False, ordered=True):
    """template has {cd}(...): approx_count_distinct on murphy,
    count(DISTINCT ...) on PostgreSQL.  Non-count columns must match;
    counts within TOLERANCE (or equal when exact)."""
    m = murphy_rows(db, template.format(cd="approx_count_distinct"))
    p = pg_rows(db, template.format(cd="count(DISTINCT").replace("count(DISTINCT(", "count(DISTINCT "))
    mrows, prows = m.rows, p
    if not ordered:
        mrows, prows = sorted(mrows, key=repr), sorted(prows, key=repr)
    assert len(mrows) == len(prows), (template, mrows, prows)
    worst = 0.0
    for mr, pr in zip(mrows, prows):
        assert len(mr) == len(pr)
        for a, b in zip(mr, pr):
            if isinstance(a, int) and isinstance(b, int) and b >= 0 and a != b:
                err = abs(a - b) / b if b else float("inf")
                assert not exact and err <= TOLERANCE, \
                    "%s: murphy %r, postgres %r (error %.4f)" % (template, mr, pr, err)
                worst = max(worst, err)
            else:
                assert a == b, "%s: murphy %r, postgres %r" % (template, mr, pr)
    print("\n%s: %d rows, worst relative error %.4f" % (template, len(mrows), worst))
    return m, worst


def test_result_type_and_name(db):
    m = murphy_rows(db, "SELECT approx_count_distinct(user_id) FROM visits")
    assert m.columns == [("approx_count_distinct", 20)]  # bigint
    m = murphy_rows(db, "SELECT approx_count_distinct(page) AS n FROM visits WHERE bucket = 99")
    assert m.columns == [("n", 20)] and m.rows == [(0,)]


def test_integer_column_within_tolerance(db):
    approx_vs_exact(db, "SELECT {cd}(user_id) FROM visits")


def test_text_column_within_tolerance(db):
    approx_vs_exact(db, "SELECT {cd}(page) FROM visits")


def test_filter_counts_only_the_rows_it_passes(db):
    approx_vs_exact(db, "SELECT {cd}(user_id) FILTER (WHERE bucket = 1) FROM visits")


def test_group_by_within_tolerance(db):
    approx_vs_exact(db, "SELECT bucket, {cd}(user_id), {cd}(page), count(*) FROM visits "
                        "GROUP BY bucket ORDER BY bucket")


def test_small_sets_exact(db):
    approx_vs_exact(db, "SELECT {cd}(small), {cd}(score), {cd}(bucket) FROM visits", exact=True)
    approx_vs_exact(db, "SELECT bucket, {cd}(small), {cd}(score) FROM visits "
                        "GROUP BY bucket ORDER BY bucket", exact=True)
    approx_vs_exact(db, "SELECT {cd}(user_id), {cd}(page) FROM visits WHERE id <= 90",
                    exact=True)
    approx_vs_exact(db, "SELECT small, {cd}(user_id) FROM visits WHERE id <= 900 "
                        "GROUP BY small ORDER BY small", exact=True)


def test_nulls_and_empty(db):
    # a column of NULLs, a filter matching nothing, NULL-only groups
    approx_vs_exact(db, "SELECT {cd}(tag), {cd}(user_id) FROM visits WHERE id < 0", exact=True)
    approx_vs_exact(db, "SELECT {cd}(tag) FROM visits", exact=True)
    approx_vs_exact(db, "SELECT bucket, {cd}(tag), {cd}(user_id) FROM visits WHERE id <= 50 "
                        "GROUP BY bucket ORDER BY bucket", exact=True)
    approx_vs_exact(db, "SELECT {cd}(user_id) FROM visits WHERE id = 23", exact=True)  # NULL user


def test_having_order_by_and_expressions(db):
    approx_vs_exact(db, "SELECT bucket, {cd}(small) + 1 AS n FROM visits GROUP BY bucket "
                        "HAVING {cd}(small) > 36 ORDER BY {cd}(small) DESC, bucket", exact=True)
    approx_vs_exact(db, "SELECT {cd}(small * 2), {cd}(upper(page)) FROM visits WHERE id < 500",
                    exact=True)


def test_router_plan_matches_scatter_gather(db):
    """The SQLite aggregate (router) and the hash aggregate (scatter-gather)
    keep the same sketch: the same number, within tolerance of the truth."""
    router = murphy_rows(db, "SELECT approx_count_distinct(item) FROM events WHERE user_id = 7")
    scatter = murphy_rows(db, "SELECT approx_count_distinct(item) FROM events WHERE user_id + 0 = 7")
    assert router.rows == scatter.rows
    assert abs(router.rows[0][0] - 3000) / 3000 <= TOLERANCE
    plans = ["\n".join(r[0] for r in murphy_rows(db, "EXPLAIN " + q).rows) for q in (
        "SELECT approx_count_distinct(item) FROM events WHERE user_id = 7",
        "SELECT approx_count_distinct(item) FROM events WHERE user_id + 0 = 7")]
    assert "router" in plans[0] and "router" not in plans[1], plans
    assert "hll" in plans[1], plans[1]
    approx_vs_exact(db, "SELECT user_id, {cd}(item) FROM events WHERE user_id = 12 "
                        "GROUP BY user_id", exact=True)


@pytest.mark.parametrize("col", ["user_id", "page", "score * id", "score", "small", "tag"])
def test_sketch_in_sqlite_matches_hash_aggregate(db, col):
    """approx_count_distinct(x) alone is sketched by each follower from the
    table's pages (no filter: storage/colscan.c) or inside SQLite
    (mur_hll_sketch, with a filter or an expression); beside another
    aggregate it goes through the hash aggregate's HLL.  Same values, same
    sketches: the same number, for
    ints, texts, floats (half of score * id integral: they count as ints)
    and NULLs, with and without a filter.  Dense sketches (the first three
    columns) give a different number when a register differs;
    test_task_run.c compares the blobs byte for byte."""
    for where in ("", " WHERE bucket < 4", " WHERE id < 0"):
        alone = murphy_rows(db, "SELECT approx_count_distinct(%s) FROM visits%s" % (col, where))
        beside = murphy_rows(db, "SELECT approx_count_distinct(%s), count(*) FROM visits%s"
                             % (col, where))
        assert alone.rows[0][0] == beside.rows[0][0], (col, where, alone.rows, beside.rows)


def test_leader_plan(db):
    m = murphy_rows(db, "SELECT approx_count_distinct(5), approx_count_distinct(NULL::int)")
    assert m.rows == [(1, 0)]


@pytest.mark.parametrize("sqlstate,sql", [
    ("0A000", "SELECT approx_count_distinct(DISTINCT user_id) FROM visits"),
    ("0A000", "SELECT approx_count_distinct(user_id) OVER () FROM visits"),
    ("0A000", "SELECT approx_count_distinct(user_id ORDER BY user_id) FROM visits"),
    ("42883", "SELECT approx_count_distinct() FROM visits"),
    ("42883", "SELECT approx_count_distinct(user_id, page) FROM visits"),
    ("42803", "SELECT id FROM visits WHERE approx_count_distinct(user_id) > 1"),
    ("42803", "SELECT approx_count_distinct(approx_count_distinct(user_id)) FROM visits"),
])
def test_errors(db, sqlstate, sql):
    with pytest.raises(psycopg2.Error) as e:
        db.murphy(sql)
    assert e.value.pgcode == sqlstate, (sql, e.value.pgcode, str(e.value))
    db.murphy("SELECT 1")  # the session still works


def test_distinct_error_says_why(db):
    with pytest.raises(psycopg2.Error) as e:
        db.murphy("SELECT approx_count_distinct(DISTINCT user_id) FROM visits")
    assert "approx_count_distinct(DISTINCT" in str(e.value)
    assert e.value.diag.message_hint and "drop DISTINCT" in e.value.diag.message_hint


@pytest.mark.parametrize("strategy", ["gather", "repartition"])
def test_group_by_under_each_shuffle_strategy(db, strategy):
    """GROUP BY a non-distribution column may merge the sketches on the
    owners of a repartition instead of the leader: the same numbers."""
    sql = ("SELECT small, approx_count_distinct(user_id), approx_count_distinct(page) "
           "FROM visits GROUP BY small ORDER BY small")
    db.murphy("SET murphy.shuffle_strategy = '%s'" % strategy)
    try:
        got = murphy_rows(db, sql).rows
        plan = "\n".join(r[0] for r in murphy_rows(db, "EXPLAIN " + sql).rows)
    finally:
        db.murphy("SET murphy.shuffle_strategy = 'auto'")
    assert ("repartition" in plan.lower()) == (strategy == "repartition"), plan
    db.murphy("SET murphy.shuffle_strategy = 'gather'")
    try:
        reference = murphy_rows(db, sql).rows
    finally:
        db.murphy("SET murphy.shuffle_strategy = 'auto'")
    assert got == reference
    approx_vs_exact(db, "SELECT small, {cd}(user_id), {cd}(page) FROM visits "
                        "GROUP BY small ORDER BY small")
