"""Long expressions that PostgreSQL answers, answered the same by murphy.

emit.c writes a left-associative chain (a + b + c, a || b || c) without
the parentheses SQLite's parser would stack one per term (YYSTACKDEPTH =
100), and AND/OR lists as balanced trees, so 10,000 conditions stay under
SQLite's expression depth (SQLITE_MAX_EXPR_DEPTH = 1000).  Every case runs
on murphy and PostgreSQL (compare.py) through each place SQLite meets the
expression: the leader alone (no FROM), a follower's shard SQL (WHERE and
select list of a distributed table), the leader's final SQL over merged
shard rows (HAVING, ORDER BY of an aggregate), a shuffle join's side SQL,
INSERT's values on the leader and UPDATE's SET on the followers.

Past what SQLite can hold (an arithmetic chain of more than ~1,000 terms
is an expression tree deeper than 1,000) murphy answers 54001 with a hint.
"""
import random

import psycopg2
import pytest

ROWS = 60


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for t in ("chain_t", "chain_u", "chain_w"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE chain_t (id int PRIMARY KEY, a int, b int, s text, f float8)")
    # chain_u is hash-distributed on a column the join does not use: a join
    # of chain_t and chain_u on a non-distribution key is a shuffle join
    db.m.cursor().execute("CREATE TABLE chain_u (k int, v int) PARTITION BY HASH (v)")
    db.p.cursor().execute("CREATE TABLE chain_u (k int, v int)")
    db.exec_both("CREATE TABLE chain_w (id int PRIMARY KEY, x bigint, s text)")
    rows = ", ".join("(%d, %d, %d, 'r%d', %d.25)" % (i, i % 7, i % 11 + 1, i, i)
                     for i in range(1, ROWS + 1))
    db.exec_both("INSERT INTO chain_t VALUES " + rows)
    db.exec_both("INSERT INTO chain_u VALUES "
                 + ", ".join("(%d, %d)" % (i % 9, i) for i in range(1, 40)))
    return db


def terms(n, fmt="%d", start=1):
    return [fmt % i for i in range(start, start + n)]


SIZES = [30, 100, 500, 900]


# ---- arithmetic and concatenation chains ----

@pytest.mark.parametrize("n", SIZES)
def test_sum_of_constants(db, n):
    db.both("SELECT " + " + ".join(terms(n)))


@pytest.mark.parametrize("n", SIZES)
def test_alternating_sum_and_difference(db, n):
    # 1 - 2 + 3 - 4 ...: wrong if any part were grouped to the right
    db.both("SELECT 1" + "".join(" %s %d" % ("-+"[i % 2], i) for i in range(2, n + 1)))


@pytest.mark.parametrize("n", SIZES)
def test_product(db, n):
    # a product of -1s and 1s with a 2 and 3 in it: its sign counts the -1s
    factors = ["-1" if i % 3 == 0 else "1" for i in range(n - 2)] + ["2", "3"]
    db.both("SELECT " + " * ".join(factors))


@pytest.mark.parametrize("n", SIZES)
def test_concatenation(db, n):
    db.both("SELECT " + " || ".join(terms(n, "'%d'")))


@pytest.mark.parametrize("n", SIZES)
def test_column_chains_in_shard_sql(db, n):
    # select list and WHERE of a distributed table: the followers' SQLite
    cols = ["a", "b", "id"]
    s = " + ".join(cols[i % 3] for i in range(n))
    d = " - ".join(cols[i % 3] for i in range(n))
    c = " || ".join(["s"] * n)
    db.both("SELECT id, %s AS s, %s AS d, %s AS c FROM chain_t WHERE %s > 0"
            % (s, d, c, d.replace(" - ", " + ", n // 2)))


@pytest.mark.parametrize("n", SIZES)
def test_division_chains(db, n):
    # / and % are functions (mur_div, mur_fdiv, mur_mod: 22012 on zero);
    # emit.c folds a chain of one into one call of up to 100 operands
    db.both("SELECT 1e300" + " / 1.5" * n + ", 7e300" + " / 1.25" * n)
    db.both("SELECT 9223372036854775807" + " / 1 / 2 / -1" * (n // 3)
            + ", 1000000007" + " % 1000 % 999 % 500" * (n // 3))
    db.both("SELECT id, f" + " / 1.01" * n + ", id * 1000000" + " / b / 1" * (n // 2)
            + " FROM chain_t")


DIVISION_EDGES = [
    ("SELECT NULL::int / 0 / 0, 5 / NULL / 0, NULL::int % 0 % 0", None),
    ("SELECT 10 / 0 / NULL", "22012"),
    ("SELECT 10 / 2 / 0 / 3", "22012"),
    ("SELECT 10 % 3 % 0", "22012"),
    ("SELECT 10.0 / 4 / 0.0", "22012"),
    ("SELECT (-9223372036854775807 - 1) / 2 / -1 / -1", None),
    ("SELECT (-9223372036854775807 - 1) / 1 / -1 / 2", "22003"),
    ("SELECT id FROM chain_t WHERE id / b / 2 > a % 3 % 2", None),
]


@pytest.mark.parametrize("sql,err", DIVISION_EDGES)
def test_division_chain_edges(db, sql, err):
    if err:
        db.both_error(sql, err)
    else:
        db.both(sql)


def test_chain_past_sqlite_depth_is_54001_with_hint(db):
    """1,500 terms: PostgreSQL answers; murphy refuses cleanly (the tree is
    deeper than SQLite's 1,000) and the session goes on."""
    sql = "SELECT " + " + ".join(terms(1500))
    cur = db.p.cursor()
    cur.execute(sql)
    assert cur.fetchone()[0] == sum(range(1, 1501))
    with pytest.raises(psycopg2.Error) as ei:
        db.m.cursor().execute(sql)
    assert ei.value.pgcode == "54001", ei.value
    assert ei.value.diag.message_hint
    db.both("SELECT 1 + 2 + 3")


# ---- precedence and associativity kept exactly ----

MIXED = [
    "SELECT 100 - 20 - 5 - 1, 100 - (20 - 5) - 1, 100 - (20 - (5 - 1)), (100 - 20) - (5 - 1)",
    "SELECT 1000 / 10 / 5 / 2, 1000 / (10 / 5) / 2, 1000 / (100 / (10 / 2))",
    "SELECT 100 % 7 % 3, 100 % (7 % 4), 2 * 7 % 3, 2 * (7 % 3), 20 / 3 * 3, 20 / (3 * 3)",
    "SELECT 2 * 3 + 4 * 5 - 6 / 2 % 4, (2 + 3) * (4 - 5) * -(6 - 7), 2 - -3, - (1 - 2) - 3",
    "SELECT 10 - 2 + 3 - 4 + 5, 10 - (2 + 3) - (4 + 5), 10 + 2 * 3 - 4 / 2 * 5",
    "SELECT 'x' || 1 + 2, 'x' || 3 * 2 || 'y', 'a' || ('b' || 'c'), ('a' || 'b') || 'c'",
    "SELECT 1 + 2 = 3, 1 + 2 < 2 * 2, 'a' || 'b' = 'ab', 2 * 3 - 1 >= 5 + 0",
    "SELECT (1 < 2) = (2 < 1), (1 = 1) = true, true = (1 = 1), (1 <> 2) <> (3 >= 3)",
    "SELECT (1 < 2) IS DISTINCT FROM (3 = 4), 1 + 1 IS NOT DISTINCT FROM 2, NULL - 1 - 2",
    "SELECT 7.5 / 2.5 / 3, 7.5 / (2.5 / 3), 2.0 * 3.5 - 1.25 - 0.5, 1.5 - (0.25 - 0.125)",
    "SELECT 9223372036854775807 - 1 - 2, 9223372036854775807 - (1 + 2) - 3",
    "SELECT id, a - b - id, a - (b - id), (a + b) * (id - a) - b, id / b / 2, "
    "id / (b / 2 + 1), a || '-' || b || '-' || s, -a - -b, a * b % 5 FROM chain_t",
    "SELECT id FROM chain_t WHERE a + b + 1 > id - a - b AND a * b - 1 < 20 "
    "AND (a < b) = (id % 2 = 0)",
    "SELECT id, f - 1 - 2, f - (1 - 2), f / 2 / 4, f * 2 + a * 3 - b FROM chain_t WHERE id < 20",
]


@pytest.mark.parametrize("sql", MIXED)
def test_mixed_precedence(db, sql):
    db.both(sql)


def test_integer_overflow_per_operator(db):
    # emit.c checks each chain's result (mur_int_chk): test_int_overflow.py
    db.both_error("SELECT 2147483647 + 1", "22003")
    db.both_error("SELECT 1 + 1 + 2147483646", "22003")
    db.both_error("SELECT 9223372036854775807 + 1 - 1 - 1", "22003")
    db.both_error("SELECT a + 2147483647 FROM chain_t WHERE id = 1", "22003")


def random_expr(rnd, depth):
    """A random integer or text expression with explicit parentheses, in
    PostgreSQL's precedence: both sides must group it the same."""
    if depth == 0 or rnd.random() < 0.2:
        return rnd.choice(["a", "b", "id", str(rnd.randint(1, 9)), "-%d" % rnd.randint(1, 9)])
    op = rnd.choice(["+", "-", "*", "/", "%", "+", "-"])
    l, r = random_expr(rnd, depth - 1), random_expr(rnd, depth - 1)
    if op in "/%":
        r = "(%s * 0 + %d)" % (r, rnd.randint(1, 5))  # never divide by zero
    l = "(%s)" % l if rnd.random() < 0.4 else l
    r = "(%s)" % r if rnd.random() < 0.4 else r
    return "%s %s %s" % (l, op, r)


@pytest.mark.parametrize("seed", range(6))
def test_random_trees_group_as_postgres(db, seed):
    rnd = random.Random(seed)
    exprs = [random_expr(rnd, 4) for _ in range(12)]
    preds = ["%s %s %s" % (random_expr(rnd, 2), rnd.choice(["<", "=", ">=", "<>"]),
                           random_expr(rnd, 2)) for _ in range(4)]
    db.both("SELECT id, %s, %s::text || '|' || (%s) FROM chain_t WHERE id < 25 AND (%s)"
            % (", ".join(exprs), exprs[0], exprs[1], " OR ".join(preds)))


# ---- AND / OR lists ----

def conds(n, fmt, start=1000):
    return [fmt % (start + i) for i in range(n)]


@pytest.mark.parametrize("n", [1000, 10000])
def test_and_list_in_shard_where(db, n):
    db.both("SELECT id, a FROM chain_t WHERE " + " AND ".join(conds(n, "a + b <> %d")))


@pytest.mark.parametrize("n", [1000, 10000])
def test_or_list_in_shard_where(db, n):
    # matches the ids from ROWS / 2 on
    db.both("SELECT id FROM chain_t WHERE " + " OR ".join(conds(n, "id = %d", start=ROWS // 2)))


@pytest.mark.parametrize("n", [1000, 10000])
def test_and_of_ors_in_shard_where(db, n):
    groups = ["(a = %d OR b <> %d)" % (i % 7, i % 13) for i in range(n // 2)]
    db.both("SELECT count(*) FROM chain_t WHERE " + " AND ".join(groups))


@pytest.mark.parametrize("n", [1000, 10000])
def test_and_list_on_leader(db, n):
    db.both("SELECT " + " AND ".join(conds(n, "%d > 0")) + " AS x, "
            + " OR ".join(conds(n, "%d < 0")) + " AS y")


@pytest.mark.parametrize("n", [1000, 10000])
def test_having_in_final_sql(db, n):
    sql = ("SELECT a, count(*), sum(b) FROM chain_t GROUP BY a HAVING "
           + " AND ".join(conds(n, "sum(b) <> %d")))
    assert "Leader final" in explain(db, sql)
    db.both(sql)


@pytest.mark.parametrize("n", [100, 500, 900])
def test_order_by_sum_in_final_sql(db, n):
    sql = ("SELECT a, sum(b) AS sb FROM chain_t GROUP BY a ORDER BY "
           + " + ".join(["sum(b)"] + ["a"] * (n - 1)) + " DESC, a")
    assert "Leader final" in explain(db, sql)
    db.both(sql)


@pytest.mark.parametrize("n", [100, 900])
def test_order_by_chain_in_shard_sql(db, n):
    db.both("SELECT id FROM chain_t ORDER BY " + " - ".join(["b"] + ["a"] * (n - 1))
            + ", id LIMIT 12")


@pytest.mark.parametrize("n", [1000, 10000])
def test_and_list_in_shuffle_join(db, n):
    sql = ("SELECT t.id, u.v FROM chain_t t JOIN chain_u u ON u.k = t.a WHERE "
           + " AND ".join(conds(n, "t.b <> %d")))
    assert "shuffle" in explain(db, sql).lower() or "repartition" in explain(db, sql).lower()
    db.both(sql)


# ---- writes ----

@pytest.mark.parametrize("n", [100, 900])
def test_insert_and_update_chains(db, n):
    db.exec_both("DELETE FROM chain_w")
    db.both("INSERT INTO chain_w VALUES (1, %s, %s), (2, 0, 'z')"
            % (" - ".join(terms(n)), " || ".join(terms(min(n, 300), "'%d'"))))
    db.both("UPDATE chain_w SET x = x + " + " + ".join(terms(n)) + " WHERE "
            + " OR ".join(conds(n, "id = %d", start=1)))
    db.both("DELETE FROM chain_w WHERE " + " AND ".join(conds(n, "x <> %d")) + " AND id = 2")
    db.both("SELECT * FROM chain_w ORDER BY id")


def explain(db, sql):
    _, rows = db.murphy("EXPLAIN " + sql)
    return "\n".join(r[0] for r in rows)
