"""Window functions and DISTINCT ON (issue 19), each checked against a real
PostgreSQL on the same rows.

emp is distributed by id: a window partitioned by anything else spans
shards and runs on the leader over the gathered rows.  acct is
distributed by region: a window partitioned by region (with or without
more columns) runs on the followers, each partition inside one shard;
EXPLAIN says which.  The rows hold NULLs in the ordered and partitioned
columns, ties (sal from a few values), and partitions spread over every
shard.  Row order matters where the query has an ORDER BY; the windows'
own orderings end with a unique key wherever a tie would make
PostgreSQL's answer arbitrary (row_number, lag, first_value...).
"""
import random

import pytest

import data

DEPTS = ["eng", "ops", "sales", "hr", None]


def rows_emp():
    rnd = random.Random(19)
    for i in range(1, 241):
        sal = None if i % 23 == 0 else rnd.choice([100, 150, 150, 200, 250, 300, 300, 300])
        bonus = None if i % 17 == 0 else round(rnd.uniform(0, 50), 2)
        yield (i, DEPTS[i % 5] if i % 31 else None, i % 7, sal, bonus, "n%03d" % rnd.randint(1, 90),
               rnd.random() < 0.5)


def rows_acct():
    rnd = random.Random(20)
    for i in range(1, 301):
        region = None if i % 29 == 0 else rnd.randint(1, 12)
        amt = None if i % 13 == 0 else rnd.randint(1, 9) * 10
        yield (i, region, amt, rnd.choice(["a", "b", "c"]))


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for t in ("emp", "acct"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE emp (id int PRIMARY KEY, dept text, grp int, sal int, "
                 "bonus float8, name text, ok boolean)")
    db.p.cursor().execute("CREATE TABLE acct (id int, region int, amt int, note text)")
    db.m.cursor().execute("CREATE TABLE acct (id int, region int, amt int, note text) "
                          "PARTITION BY HASH (region) WITH (shards = 6)")
    for conn in (db.m, db.p):
        cur = conn.cursor()
        data.insert_batches(cur.execute, "emp", list(rows_emp()), batch=500)
        data.insert_batches(cur.execute, "acct", list(rows_acct()), batch=500)
    return db


# Windows whose PARTITION BY lacks the distribution column: the leader.
LEADER = [
    "SELECT id, dept, sal, row_number() OVER (PARTITION BY dept ORDER BY sal, id) FROM emp",
    "SELECT id, rank() OVER (PARTITION BY dept ORDER BY sal), "
    "dense_rank() OVER (PARTITION BY dept ORDER BY sal), "
    "percent_rank() OVER (PARTITION BY dept ORDER BY sal), "
    "cume_dist() OVER (PARTITION BY dept ORDER BY sal) FROM emp",
    "SELECT id, sal, rank() OVER (ORDER BY sal DESC), rank() OVER (ORDER BY sal NULLS FIRST), "
    "dense_rank() OVER (ORDER BY sal DESC NULLS LAST) FROM emp",
    "SELECT id, ntile(3) OVER (ORDER BY sal NULLS FIRST, id), "
    "ntile(7) OVER (PARTITION BY grp ORDER BY id) FROM emp",
    # ntile(NULL): NULL on every row (was XX000)
    "SELECT id, ntile(NULL) OVER (ORDER BY id), ntile(NULL::int) OVER (PARTITION BY grp ORDER BY id), "
    "rank() OVER (ORDER BY id) FROM emp",
    "SELECT id, lag(sal) OVER (PARTITION BY dept ORDER BY id), "
    "lead(sal, 2, -1) OVER (PARTITION BY dept ORDER BY id), "
    "lag(name, 3, 'none') OVER (ORDER BY id), lead(bonus) OVER (ORDER BY id DESC) FROM emp",
    "SELECT id, first_value(name) OVER w, last_value(name) OVER w, nth_value(name, 2) OVER w "
    "FROM emp WINDOW w AS (PARTITION BY dept ORDER BY sal, id)",
    "SELECT id, first_value(id) OVER (PARTITION BY dept ORDER BY sal), "
    "last_value(id) OVER (PARTITION BY dept ORDER BY sal, id ROWS BETWEEN UNBOUNDED PRECEDING "
    "AND UNBOUNDED FOLLOWING) FROM emp WHERE sal IS NOT NULL AND id < 60 AND dept = 'eng'",
    "SELECT id, sum(sal) OVER (PARTITION BY dept), count(*) OVER (), "
    "count(sal) OVER (PARTITION BY dept ORDER BY sal), sum(sal) OVER (ORDER BY sal) FROM emp",
    "SELECT id, avg(sal) OVER (PARTITION BY dept), min(bonus) OVER (ORDER BY id ROWS BETWEEN "
    "2 PRECEDING AND 2 FOLLOWING), max(bonus) OVER (ORDER BY id ROWS 3 PRECEDING) FROM emp",
    "SELECT id, sum(sal) OVER (ORDER BY sal RANGE BETWEEN 100 PRECEDING AND 50 FOLLOWING), "
    "count(*) OVER (ORDER BY sal DESC RANGE BETWEEN CURRENT ROW AND 60 FOLLOWING) FROM emp",
    "SELECT id, sum(sal) OVER (ORDER BY sal GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW "
    "EXCLUDE CURRENT ROW), count(*) OVER (ORDER BY sal ROWS BETWEEN UNBOUNDED PRECEDING AND "
    "CURRENT ROW EXCLUDE TIES), sum(id) OVER (ORDER BY sal RANGE UNBOUNDED PRECEDING "
    "EXCLUDE GROUP) FROM emp",
    "SELECT id, row_number() OVER w, sum(sal) OVER (w ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), "
    "rank() OVER w2 FROM emp WINDOW w AS (PARTITION BY dept ORDER BY sal, id), "
    "w2 AS (w)",
    "SELECT id, rank() OVER (ORDER BY sal DESC) AS r FROM emp WHERE dept <> 'hr' "
    "ORDER BY r, id LIMIT 10 OFFSET 3",
    "SELECT id FROM emp ORDER BY row_number() OVER (ORDER BY bonus DESC, id) LIMIT 5",
    "SELECT DISTINCT dept, count(*) OVER (PARTITION BY dept) FROM emp",
    "SELECT id, bool_and(ok) OVER (PARTITION BY grp ORDER BY id), "
    "bool_or(ok) OVER (PARTITION BY dept), stddev(bonus) OVER (PARTITION BY grp), "
    "var_pop(sal) OVER (PARTITION BY dept ORDER BY id) FROM emp",
    "SELECT id, count(*) FILTER (WHERE sal > 150) OVER (PARTITION BY dept), "
    "sum(sal) FILTER (WHERE ok) OVER (ORDER BY id) FROM emp",
    "SELECT id, sal - lag(sal) OVER (ORDER BY id) AS d, "
    "rank() OVER (PARTITION BY dept ORDER BY sal * 2 + id % 3) FROM emp",
    "SELECT id, row_number() OVER (ORDER BY id) FROM emp WHERE id < 0",
    "SELECT id, lag(sal, -2) OVER (ORDER BY id), lead(sal, -1, 0) OVER (ORDER BY id) FROM emp",
    "SELECT row_number() OVER (), rank() OVER (ORDER BY 1)",
]

# With GROUP BY: over the merged groups, on the leader.
GROUPED = [
    "SELECT dept, sum(sal), rank() OVER (ORDER BY sum(sal) DESC NULLS LAST) FROM emp "
    "GROUP BY dept",
    "SELECT dept, grp, count(*), sum(count(*)) OVER (PARTITION BY dept ORDER BY grp), "
    "sum(sum(sal)) OVER () FROM emp GROUP BY dept, grp",
    "SELECT grp, avg(bonus), lag(max(sal)) OVER (ORDER BY grp) FROM emp GROUP BY grp "
    "HAVING count(*) > 30 ORDER BY grp",
    "SELECT region, count(*), row_number() OVER (ORDER BY count(*) DESC, region) FROM acct "
    "GROUP BY region",
]

# PARTITION BY holds acct's distribution column: on the followers.
PUSHED = [
    # a WHERE over a window's result in a subquery: top-N per group (was an
    # internal error, "misuse of window function": the subquery was merged)
    "SELECT * FROM (SELECT id, region, row_number() OVER (PARTITION BY region ORDER BY amt, id)"
    " AS rn FROM acct) q WHERE rn <= 2 ORDER BY region, rn",
    "SELECT id, s FROM (SELECT id, sum(amt) OVER () AS s FROM acct) q WHERE s > 0 AND id < 20"
    " ORDER BY id",
    "SELECT id, region, amt, row_number() OVER (PARTITION BY region ORDER BY amt, id) FROM acct",
    "SELECT id, sum(amt) OVER (PARTITION BY note, region ORDER BY id), "
    "rank() OVER (PARTITION BY region ORDER BY amt DESC) FROM acct",
    "SELECT id, region, lag(amt) OVER (PARTITION BY region ORDER BY id) FROM acct "
    "ORDER BY region NULLS FIRST, id LIMIT 7",
    "SELECT id, avg(amt) OVER w, count(*) OVER w, first_value(id) OVER w FROM acct "
    "WINDOW w AS (PARTITION BY region ORDER BY amt, id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)",
    "SELECT id, dense_rank() OVER (PARTITION BY region ORDER BY amt) FROM acct WHERE region = 3",
    "SELECT id, row_number() OVER (PARTITION BY region ORDER BY id) FROM acct WHERE amt > 1000",
    "SELECT id, lag(amt, 1, 0.5) OVER (PARTITION BY region ORDER BY id), "
    "lead(note, 1, NULL) OVER (PARTITION BY region ORDER BY id) FROM acct",
]

DISTINCT_ON = [
    "SELECT DISTINCT ON (dept) dept, id, sal FROM emp ORDER BY dept, sal DESC, id",
    "SELECT DISTINCT ON (region) region, id, amt FROM acct ORDER BY region, amt NULLS FIRST, id",
    "SELECT DISTINCT ON (dept, grp) dept, grp, id FROM emp ORDER BY grp, dept, id DESC "
    "LIMIT 5 OFFSET 2",
    "SELECT DISTINCT ON (dept) dept, grp, count(*) FROM emp GROUP BY dept, grp "
    "ORDER BY dept, count(*) DESC, grp",
    "SELECT DISTINCT ON (grp % 3) id, name FROM emp ORDER BY grp % 3, bonus, id",
    "SELECT DISTINCT ON (dept) dept FROM emp",
    "SELECT DISTINCT ON (1) dept, id FROM emp ORDER BY 1, 2",
    "SELECT DISTINCT ON (note) note, id FROM acct WHERE region = 5 ORDER BY note, id",
    "SELECT DISTINCT ON (region, note) region, note, amt FROM acct "
    "ORDER BY region, note, amt DESC NULLS LAST, id LIMIT 12",
    "SELECT DISTINCT ON (dept) id FROM emp WHERE id < 0 ORDER BY dept, id",
    "SELECT DISTINCT ON (region) region, id FROM acct WHERE amt > 1000 ORDER BY region, id",
    "SELECT DISTINCT ON (dept) dept, id, rank() OVER (PARTITION BY dept ORDER BY sal) FROM emp "
    "ORDER BY dept, id",
    "SELECT DISTINCT ON (1) 1, 2",
]


def top_level_order_by(sql):
    """Whether the statement itself (not a window) has an ORDER BY: only
    then does row order count."""
    depth, upper = 0, sql.upper()
    for i, ch in enumerate(upper):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and upper.startswith("ORDER BY", i):
            return True
    return False


@pytest.mark.parametrize("sql", LEADER + GROUPED + PUSHED + DISTINCT_ON)
def test_window_matches_postgres(db, sql):
    db.both(sql, ordered=top_level_order_by(sql))


@pytest.fixture
def repartition(db):
    """murphy.shuffle_strategy = 'repartition': windows that all partition
    by one column of their table move the rows follower to follower by it
    instead of gathering them (auto does it from 100,000 rows)."""
    db.m.cursor().execute("SET murphy.shuffle_strategy = 'repartition'")
    yield db
    db.m.cursor().execute("RESET murphy.shuffle_strategy")


@pytest.mark.parametrize("sql", LEADER + DISTINCT_ON)
def test_window_repartitioned_matches_postgres(repartition, sql):
    repartition.both(sql, ordered=top_level_order_by(sql))


def test_explain_repartition_by_the_partition_key(repartition):
    text = explain(repartition, "SELECT id, rank() OVER (PARTITION BY dept ORDER BY sal), "
                                "sum(sal) OVER (PARTITION BY grp, dept) FROM emp")
    assert "repartition by the window's partition key on \"emp\".\"dept\"" in text, text
    assert "Window functions: on the followers, after the rows are repartitioned" in text, text
    assert "OVER (PARTITION BY" in text.split("Owner query")[1].split("\n")[0], text
    _, rows = repartition.murphy("EXPLAIN ANALYZE SELECT DISTINCT ON (dept) dept, id FROM emp "
                                 "ORDER BY dept, id")
    text = "\n".join(r[0] for r in rows)
    assert "repartition by the window's partition key" in text, text
    # no common partition column: still gathered
    text = explain(repartition, "SELECT id, rank() OVER (PARTITION BY dept), "
                                "rank() OVER (PARTITION BY grp) FROM emp")
    assert "on the leader, over the gathered rows" in text, text


def test_window_after_a_shuffled_join(db):
    """emp JOIN acct on columns that split neither: the owners hold rows by
    the join key, so the windows still run on the leader."""
    db.both("SELECT e.id, a.id, rank() OVER (PARTITION BY e.dept ORDER BY a.amt, a.id) "
            "FROM emp e JOIN acct a ON a.region = e.grp WHERE e.id < 40", ordered=False)


def explain(db, sql):
    _, rows = db.murphy("EXPLAIN " + sql)
    return "\n".join(r[0] for r in rows)


def test_explain_says_where_the_window_runs(db):
    pushed = explain(db, "SELECT id, row_number() OVER (PARTITION BY region ORDER BY id) "
                         "FROM acct")
    assert "Window functions: on the followers" in pushed, pushed
    assert "OVER (PARTITION BY" in pushed.split("Shard query:")[1].split("\n")[0], pushed
    leader = explain(db, "SELECT id, row_number() OVER (PARTITION BY dept ORDER BY id) FROM emp")
    assert "Window functions: on the leader, over the gathered rows" in leader, leader
    assert "OVER" not in leader.split("Shard query:")[1].split("\n")[0], leader
    assert "OVER (PARTITION BY c" in leader.split("Leader final:")[1], leader
    grouped = explain(db, "SELECT dept, rank() OVER (ORDER BY count(*)) FROM emp GROUP BY dept")
    assert "Window functions: on the leader, over the merged groups" in grouped, grouped
    on = explain(db, "SELECT DISTINCT ON (region) region, id FROM acct ORDER BY region, id")
    assert "on the followers" in on and "row_number()" in on.split("Shard query:")[1], on


@pytest.mark.parametrize("sql, sqlstate", [
    ("SELECT id FROM emp WHERE row_number() OVER () > 1", "42P20"),
    ("SELECT dept FROM emp GROUP BY dept HAVING rank() OVER () > 1", "42P20"),
    ("SELECT sum(row_number() OVER ()) FROM emp", "42803"),
    ("SELECT row_number() OVER (ORDER BY rank() OVER ()) FROM emp", "42P20"),
    ("SELECT row_number() FROM emp", "42809"),
    ("SELECT lower(name) OVER () FROM emp", "42809"),
    ("SELECT row_number() OVER w FROM emp", "42704"),
    ("SELECT rank() OVER (w ORDER BY id) FROM emp WINDOW w AS (ORDER BY sal)", "42P20"),
    ("SELECT rank() OVER (w PARTITION BY id) FROM emp WINDOW w AS (ORDER BY sal)", "42P20"),
    ("SELECT rank() OVER (w) FROM emp WINDOW w AS (ORDER BY sal ROWS UNBOUNDED PRECEDING)",
     "42P20"),
    ("SELECT 1 FROM emp WINDOW w AS (ORDER BY sal), w AS (ORDER BY id)", "42P20"),
    ("SELECT sum(sal) OVER (ORDER BY sal, id RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM emp",
     "42P20"),
    ("SELECT sum(sal) OVER (ORDER BY id ROWS BETWEEN -1 PRECEDING AND CURRENT ROW) FROM emp",
     "22013"),
    ("SELECT count(DISTINCT sal) OVER () FROM emp", "0A000"),
    ("SELECT ntile(0) OVER (ORDER BY id) FROM emp", "22014"),
    ("SELECT nth_value(id, 0) OVER (ORDER BY id) FROM emp", "22016"),
    ("SELECT row_number() OVER (ORDER BY id) FROM emp GROUP BY dept", "42803"),
    ("SELECT DISTINCT ON (dept) id FROM emp ORDER BY id", "42P10"),
    ("SELECT DISTINCT ON (7) id FROM emp", "42P10"),
])
def test_window_errors_match_postgres(db, sql, sqlstate):
    db.both_error(sql, sqlstate)


def test_insert_select_with_a_window(db):
    """INSERT ... SELECT plans its source like any SELECT: the window runs
    where it would, its rows are routed to their shards."""
    db.exec_both("DROP TABLE IF EXISTS ranked")
    db.exec_both("CREATE TABLE ranked (id int PRIMARY KEY, r bigint, prev int)")
    db.exec_both("INSERT INTO ranked SELECT id, rank() OVER (PARTITION BY dept ORDER BY sal), "
                 "lag(sal) OVER (ORDER BY id) FROM emp")
    db.both("SELECT * FROM ranked ORDER BY id")


# Cases from PostgreSQL's src/test/regress/sql/window.sql that need no
# subquery, view or tenk1, over its empsalary rows; run over a copy
# distributed by empno (windows on the leader or repartitioned) and one by
# depname (windows by depname on the followers).  Adapted: an ORDER BY that
# leaves ties in PostgreSQL's expected output gets empno as a last key.
EMPSALARY = [("develop", 10, 5200, "2007-08-01"), ("sales", 1, 5000, "2006-10-01"),
             ("personnel", 5, 3500, "2007-12-10"), ("sales", 4, 4800, "2007-08-08"),
             ("personnel", 2, 3900, "2006-12-23"), ("develop", 7, 4200, "2008-01-01"),
             ("develop", 9, 4500, "2008-01-01"), ("sales", 3, 4800, "2007-08-01"),
             ("develop", 8, 6000, "2006-10-01"), ("develop", 11, 5200, "2007-08-15")]

REGRESS = [
    "SELECT depname, empno, salary, sum(salary) OVER (PARTITION BY depname) FROM {t} "
    "ORDER BY depname, salary, empno",
    "SELECT depname, empno, salary, rank() OVER (PARTITION BY depname ORDER BY salary) FROM {t}",
    "SELECT depname, empno, salary, sum(salary) OVER w FROM {t} WINDOW w AS (PARTITION BY depname)",
    "SELECT depname, empno, salary, rank() OVER w FROM {t} "
    "WINDOW w AS (PARTITION BY depname ORDER BY salary) ORDER BY rank() OVER w, empno",
    "SELECT sum(salary), row_number() OVER (ORDER BY depname), "
    "sum(sum(salary)) OVER (ORDER BY depname DESC) FROM {t} GROUP BY depname",
    "SELECT sum(salary) OVER w1, count(*) OVER w2 FROM {t} "
    "WINDOW w1 AS (ORDER BY salary), w2 AS (ORDER BY salary)",
    "SELECT empno, depname, salary, first_value(empno) OVER (PARTITION BY depname ORDER BY empno), "
    "last_value(empno) OVER (PARTITION BY depname ORDER BY empno ROWS BETWEEN UNBOUNDED "
    "PRECEDING AND UNBOUNDED FOLLOWING) FROM {t}",
    "SELECT empno, salary, sum(salary) OVER (ORDER BY enroll_date, empno ROWS BETWEEN 1 PRECEDING "
    "AND 1 FOLLOWING EXCLUDE CURRENT ROW) FROM {t}",
    "SELECT empno, sum(salary) OVER (ORDER BY salary RANGE BETWEEN 1000 PRECEDING AND 500 "
    "FOLLOWING), sum(salary) OVER (ORDER BY salary GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING "
    "EXCLUDE GROUP) FROM {t}",
    "SELECT depname, empno, percent_rank() OVER (PARTITION BY depname ORDER BY salary), "
    "cume_dist() OVER (PARTITION BY depname ORDER BY salary), ntile(3) OVER (ORDER BY empno) "
    "FROM {t}",
    "SELECT rank() OVER (ORDER BY length('abc'))",
    "SELECT DISTINCT ON (depname) depname, empno, salary FROM {t} ORDER BY depname, salary DESC, "
    "empno",
]


@pytest.fixture(scope="module")
def empsalary(db):
    for t in ("empsalary", "empsalary_d"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
        db.p.cursor().execute("CREATE TABLE %s (depname varchar, empno bigint, salary int, "
                              "enroll_date date)" % t)
    db.m.cursor().execute("CREATE TABLE empsalary (depname varchar, empno bigint PRIMARY KEY, "
                          "salary int, enroll_date date)")
    db.m.cursor().execute("CREATE TABLE empsalary_d (depname varchar, empno bigint, salary int, "
                          "enroll_date date) PARTITION BY HASH (depname)")
    for t in ("empsalary", "empsalary_d"):
        for conn in (db.m, db.p):
            data.insert_batches(conn.cursor().execute, t, EMPSALARY)
    return db


@pytest.mark.parametrize("table", ["empsalary", "empsalary_d"])
@pytest.mark.parametrize("sql", REGRESS)
def test_postgres_regression_cases(empsalary, table, sql):
    sql = sql.format(t=table)
    empsalary.both(sql, ordered=top_level_order_by(sql))
