"""Every supported statement, checked against PostgreSQL on the same data.

users is distributed by its primary key (id), orders by PARTITION BY HASH
(user_id): the two are co-located on users.id = orders.user_id.  Each query
in QUERIES is its own test; the write tests at the end use their own table.
"""
import pytest

import data


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    db.exec_both("DROP TABLE IF EXISTS users")
    db.exec_both("DROP TABLE IF EXISTS orders")
    db.exec_both(data.USERS_DDL)
    run_m = lambda sql, p: db.m.cursor().execute(sql, p)
    run_p = lambda sql, p: db.p.cursor().execute(sql, p)
    run_m(data.ORDERS_DDL_MURPHY, None)
    run_p(data.ORDERS_DDL_PG, None)
    for run in (run_m, run_p):
        data.insert_batches(run, "users", data.users())
        data.insert_batches(run, "orders", data.orders())
    return db


QUERIES = [
    # WHERE, expressions, functions
    "SELECT id, name FROM users WHERE id = 7",
    "SELECT * FROM users WHERE id = 13",
    "SELECT id, name, state FROM users WHERE state = 'CA' AND age > 30",
    "SELECT id FROM users WHERE age BETWEEN 20 AND 30 OR state IN ('NY', 'TX')",
    "SELECT id FROM users WHERE id IN (1, 5, 99, 150, 1000)",
    # integer-literal IN lists are planned as text (parser/analyze_expr.c in_int_list)
    "SELECT id FROM users WHERE id NOT IN (-2147483648, -1, 0, 5, 2147483647) AND id < 20",
    "SELECT id FROM users WHERE age::bigint IN (30, 31) OR score IN (1, 2)",
    "SELECT age IN (30, 31) AS a, age IN (30, 32) AS b, count(*) FROM users "
    "GROUP BY age IN (30, 31), age IN (30, 32)",
    "SELECT id, age * 2 + 1 AS x, age / 7 AS intdiv, age % 7 AS m, -age AS neg FROM users",
    "SELECT 7 / 2 AS a, -7 / 2 AS b, 7 % 3 AS c, 7.0 / 2 AS d, 1 + 2 * 3 AS e",
    "SELECT id, score * 2 AS s2, score / 3 AS s3, score + age AS sa FROM users",
    "SELECT id, upper(name) AS u, lower(name) AS l, length(name) AS n FROM users",
    "SELECT id, substr(name, 1, 3) AS s, name || '/' || state AS c FROM users",
    "SELECT id, coalesce(state, 'none') AS st, abs(age - 40) AS d, nullif(age, 30) AS n FROM users",
    "SELECT id, CASE WHEN age < 30 THEN 'young' WHEN age < 60 THEN 'mid' ELSE 'old' END AS band "
    "FROM users",
    "SELECT id, name FROM users WHERE name LIKE 'a%'",
    "SELECT id FROM users WHERE name NOT LIKE '%e%'",
    "SELECT id FROM users WHERE state IS NULL",
    "SELECT id FROM users WHERE age IS NOT NULL AND score IS NULL",
    "SELECT id, name FROM users WHERE name > 'M'",
    "SELECT id, name FROM users WHERE name < 'b' AND name >= 'Z'",
    "SELECT id FROM users WHERE active",
    "SELECT id FROM users WHERE NOT active AND age < 40",
    "SELECT id, joined FROM users WHERE joined >= '2023-06-01'",
    "SELECT id, created_at FROM orders WHERE created_at < '2024-03-01 12:00:00'",
    "SELECT id FROM users WHERE score > 50.5",
    "SELECT id FROM users WHERE age = '42'",
    "SELECT id, amount FROM orders WHERE amount > 250 AND qty >= 5",
    "SELECT id, CAST(age AS text) AS t, CAST(score AS int) AS i FROM users WHERE id < 30",
    # NULL semantics
    "SELECT id FROM users WHERE age = NULL",
    "SELECT count(*) FROM users WHERE NOT (age > 30)",
    "SELECT NULL IS NULL AS a, 1 + NULL AS b, NULL = NULL AS c",
    "SELECT id, age > 30 AS old FROM users",
    # aggregates
    "SELECT count(*) FROM users",
    "SELECT count(*), count(state), count(age), sum(age), min(age), max(age) FROM users",
    "SELECT avg(age) FROM users",
    "SELECT sum(score), avg(score), min(score), max(score) FROM users",
    "SELECT min(name), max(name), min(joined), max(joined) FROM users",
    "SELECT sum(amount), avg(amount), min(amount), max(amount), sum(qty) FROM orders",
    "SELECT min(created_at), max(created_at) FROM orders",
    "SELECT count(*) FROM orders WHERE amount IS NULL",
    "SELECT count(*), sum(age) FROM users WHERE id > 1000",
    # GROUP BY / HAVING
    "SELECT state, count(*) FROM users GROUP BY state",
    "SELECT state, active, count(*), sum(age) FROM users GROUP BY state, active",
    "SELECT state, avg(age), min(score), max(name) FROM users GROUP BY state",
    "SELECT state, avg(age) FROM users GROUP BY state HAVING count(*) > 10",
    "SELECT user_id, sum(qty), count(*) FROM orders GROUP BY user_id HAVING sum(qty) > 30",
    "SELECT qty, count(*), sum(amount) FROM orders GROUP BY qty",
    "SELECT state, count(*) FROM users GROUP BY state ORDER BY count(*) DESC, state LIMIT 5",
    "SELECT age / 10 AS decade, count(*) FROM users GROUP BY age / 10",
    # count(DISTINCT)
    "SELECT count(DISTINCT id) FROM users",
    "SELECT count(DISTINCT user_id) FROM orders",
    "SELECT count(DISTINCT state) FROM users",
    "SELECT count(DISTINCT qty) FROM orders",
    "SELECT count(DISTINCT user_id) FROM orders WHERE qty > 5",
    # ORDER BY, NULL ordering, LIMIT/OFFSET
    "SELECT id, age FROM users ORDER BY age, id",
    "SELECT id, age FROM users ORDER BY age DESC, id",
    "SELECT id, age FROM users ORDER BY age NULLS FIRST, id",
    "SELECT id, age FROM users ORDER BY age DESC NULLS LAST, id LIMIT 10",
    "SELECT id, name FROM users ORDER BY name, id LIMIT 10 OFFSET 5",
    "SELECT id FROM users ORDER BY id LIMIT 5 OFFSET 190",
    "SELECT id, name FROM users ORDER BY id DESC LIMIT 3",
    "SELECT id, state FROM users ORDER BY state DESC, id LIMIT 20",
    "SELECT id, score FROM users ORDER BY score DESC, id LIMIT 7",
    "SELECT id, created_at FROM orders ORDER BY created_at, id LIMIT 15",
    "SELECT id FROM users ORDER BY 1 LIMIT 0",
    # ORDER BY ... USING < / > (as ASC / DESC, NULLS FIRST after >): queries,
    # windows, ordered aggregates, set operations (which took it as ASC)
    "SELECT id, age FROM users ORDER BY age USING >, id",
    "SELECT id, age FROM users ORDER BY age USING <, id USING > LIMIT 20",
    "SELECT id, age FROM users ORDER BY age USING > NULLS LAST, id LIMIT 10",
    "SELECT id, rank() OVER (ORDER BY age USING >) FROM users ORDER BY id",
    "SELECT state, string_agg(name, ',' ORDER BY id USING >) FROM users GROUP BY state "
    "ORDER BY state",
    "SELECT age FROM users UNION SELECT qty FROM orders ORDER BY 1 USING >",
    # DISTINCT
    "SELECT DISTINCT state FROM users",
    "SELECT DISTINCT state, active FROM users",
    "SELECT DISTINCT state FROM users ORDER BY state",
    "SELECT DISTINCT qty FROM orders WHERE qty < 4",
    # co-located joins
    "SELECT u.id, u.name, o.id, o.amount FROM users u JOIN orders o ON o.user_id = u.id WHERE u.id = 5",
    "SELECT u.state, count(*), sum(o.qty) FROM users u JOIN orders o ON o.user_id = u.id "
    "GROUP BY u.state",
    "SELECT count(*) FROM users u JOIN orders o ON u.id = o.user_id WHERE o.qty > 5",
    "SELECT u.id, o.id FROM users u JOIN orders o ON u.id = o.user_id ORDER BY o.id LIMIT 25",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_query(db, sql):
    db.both(sql)


def test_query_with_parameters(db):
    db.both("SELECT id, name FROM users WHERE id = %s", (42,))
    db.both("SELECT count(*) FROM users WHERE state = %s AND age > %s", ("CA", 30))
    db.both("SELECT id FROM users WHERE name = %s", ("O'Brien 7",))


ITEMS_DDL = ("CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, price numeric, "
             "qty int DEFAULT 1)")


def test_insert_multi_row_and_default(db):
    db.exec_both(ITEMS_DDL)
    db.both("INSERT INTO items VALUES (1, 'a', 1.5, 2), (2, 'b', NULL, 3), (3, 'c', 2.25, 4)")
    db.both("INSERT INTO items (id, label, price) VALUES (4, 'd', 10), (5, 'e', 0.5)")
    db.both("SELECT * FROM items")


def test_insert_returning(db):
    db.both("INSERT INTO items VALUES (6, 'f', 3, 1), (7, 'g', 4, 9) RETURNING id, label")
    db.both("INSERT INTO items (id, label) VALUES (8, 'h') RETURNING *")


def test_insert_select(db):
    db.both("INSERT INTO items SELECT id + 100, name, score, age FROM users WHERE id <= 30")
    db.both("SELECT * FROM items")
    # untyped literals in the select list take the target columns' types
    db.both("INSERT INTO items SELECT id + 200, 'n', NULL, '7' FROM users WHERE id <= 5")
    db.both("INSERT INTO items SELECT 300, 'x', '2.5', NULL")
    db.both("INSERT INTO items SELECT 301, 'x', 'y', NULL")  # 22P02 on both
    db.both("INSERT INTO items SELECT 302, NULL, 1, 1")      # 23502 on both
    db.both("SELECT * FROM items WHERE id >= 200")


def test_update(db):
    db.both("UPDATE items SET qty = qty + 1 WHERE id = 1")
    db.both("UPDATE items SET price = price * 2, label = label || '!' WHERE qty > 2")
    db.both("UPDATE items SET qty = NULL WHERE id > 125")
    db.both("UPDATE items SET qty = 0 WHERE id = 99999")
    db.both("SELECT * FROM items")


def test_delete(db):
    db.both("DELETE FROM items WHERE id = 2")
    db.both("DELETE FROM items WHERE price IS NULL OR qty IS NULL")
    db.both("DELETE FROM items WHERE id = 99999")
    db.both("SELECT * FROM items ORDER BY id")
    db.both("SELECT count(*), sum(price), sum(qty) FROM items")


TYPES_DDL = ("CREATE TABLE typed (id int PRIMARY KEY, s smallint, i int, b bigint, t text, "
             "v varchar(10), bo boolean, r real, d double precision, n numeric, dt date, "
             "ts timestamp, tz timestamptz, by bytea)")


def test_types_round_trip(db):
    db.p.cursor().execute("SET TimeZone = 'UTC'")  # murphy shows timestamptz in UTC
    db.exec_both(TYPES_DDL)
    db.both("INSERT INTO typed VALUES "
            "(1, 1, 2, 3000000000, 'text', 'var', true, 1.5, 2.25, 12.5, '2024-02-29', "
            "'2024-02-29 13:14:15', '2024-02-29 13:14:15+00', '\\xdeadbeef'), "
            "(2, -32768, -2147483648, -9223372036854775808, '', '', false, -0.25, -1e100, -0.001, "
            "'1999-12-31', '1999-12-31 23:59:59', '1999-12-31 23:59:59+00', '\\x'), "
            "(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)")
    db.both("SELECT * FROM typed")
    db.both("SELECT id FROM typed WHERE b > 2147483647")
    db.both("SELECT id FROM typed WHERE bo = false")
    db.both("SELECT id, ts FROM typed WHERE ts > '2000-01-01'")
