"""Joins of tables that are not co-located (issue 4): repartition and broadcast.

orders is distributed by id (8 shards), lines by order_id (8 shards: co-located
with orders), customers by id (4 shards), notes by customer_id with 2 shards,
regions is a reference table: joining orders to
customers on orders.customer = customers.id can only meet on the followers
after moving rows.  Every query runs with murphy.join_strategy forced to
repartition, to broadcast, and on auto, and must give PostgreSQL's answer
(so the strategies agree).  The data has NULL keys, keys with no match,
many matches per key, and text keys.
"""
import random
import re

import psycopg2
import pytest

import data

ORDERS, CUSTOMERS = 3000, 400


def rows_orders():
    rnd = random.Random(11)
    for i in range(1, ORDERS + 1):
        cust = None if i % 41 == 0 else rnd.randint(1, CUSTOMERS + 50)  # some match nothing
        yield (i, cust, rnd.randint(1, 900), "2026-%02d-%02d" % (1 + i % 12, 1 + i % 28),
               "sku-%d" % rnd.randint(1, 60))


def rows_customers():
    rnd = random.Random(12)
    for i in range(1, CUSTOMERS + 1):
        yield (i, ["north", "south", "east", "west", None][i % 5], "c%d" % i, rnd.randint(18, 90))


def rows_notes():
    for i in range(1, 700):
        yield (i, (i * 7) % (CUSTOMERS + 30) + 1, "note %d" % (i % 17))


def rows_lines():
    rnd = random.Random(13)
    for i in range(1, 2 * ORDERS + 1):
        yield (i, rnd.randint(1, ORDERS + 20), rnd.randint(1, 9))


def rows_skus():
    for i in range(1, 61):
        yield ("sku-%d" % i, ["red", "green", "blue"][i % 3])


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    for t in ("orders", "lines", "customers", "notes", "skus", "regions", "visits"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE orders (id int PRIMARY KEY, customer int, amount int, day date, "
                 "sku text)")
    ddl = [("lines", "(id int PRIMARY KEY, order_id int, qty int)", None),
           ("customers", "(id int PRIMARY KEY, region text, name text, age int)",
            " WITH (shards = 4)"),
           ("notes", "(id int PRIMARY KEY, customer_id int, body text)", None),
           ("skus", "(sku text PRIMARY KEY, color text)", " WITH (shards = 3)"),
           ("regions", "(name text PRIMARY KEY, manager text)", " WITH (distribution = 'reference')"),
           ("visits", "(day date, customer int, pages int)",
            " PARTITION BY RANGE (day) WITH (range_bounds = '2026-04-01,2026-08-01')")]
    for name, cols, opts in ddl:
        db.p.cursor().execute("CREATE TABLE %s %s" % (name, cols))
        if name == "notes":
            db.m.cursor().execute("CREATE TABLE notes (id int, customer_id int, body text) "
                                  "PARTITION BY HASH (customer_id) WITH (shards = 2)")
        elif name == "lines":
            db.m.cursor().execute("CREATE TABLE lines (id int, order_id int, qty int) "
                                  "PARTITION BY HASH (order_id)")
        else:
            db.m.cursor().execute("CREATE TABLE %s %s%s" % (name, cols, opts))
    for conn in (db.m, db.p):
        cur = conn.cursor()
        data.insert_batches(cur.execute, "orders", list(rows_orders()), batch=500)
        data.insert_batches(cur.execute, "customers", list(rows_customers()), batch=500)
        data.insert_batches(cur.execute, "notes", list(rows_notes()), batch=500)
        data.insert_batches(cur.execute, "lines", list(rows_lines()), batch=500)
        data.insert_batches(cur.execute, "skus", list(rows_skus()), batch=500)
        data.insert_batches(cur.execute, "regions",
                            [("north", "ann"), ("south", "bob"), ("east", "cy")])
        data.insert_batches(cur.execute, "visits",
                            [("2026-%02d-%02d" % (1 + i % 12, 1 + i % 28), 1 + i % 420, i % 9)
                             for i in range(900)], batch=500)
    return db


QUERIES = [
    "SELECT o.id, c.name FROM orders o JOIN customers c ON o.customer = c.id",
    "SELECT o.id, c.name, o.amount FROM orders o JOIN customers c ON c.id = o.customer "
    "WHERE o.amount > 800 AND c.age < 40",
    "SELECT c.region, count(*), sum(o.amount), avg(o.amount) FROM orders o "
    "JOIN customers c ON o.customer = c.id GROUP BY c.region",
    "SELECT c.region, count(DISTINCT o.sku) FROM orders o JOIN customers c "
    "ON o.customer = c.id GROUP BY c.region ORDER BY c.region",
    "SELECT count(DISTINCT c.id) FROM orders o JOIN customers c ON o.customer = c.id "
    "WHERE o.amount < 100",
    "SELECT c.name, sum(o.amount) AS total FROM customers c JOIN orders o "
    "ON o.customer = c.id GROUP BY c.name ORDER BY total DESC, c.name LIMIT 10",
    "SELECT o.id, c.name FROM orders o LEFT JOIN customers c ON o.customer = c.id "
    "ORDER BY o.id LIMIT 50",
    "SELECT count(*) FROM orders o LEFT JOIN customers c ON o.customer = c.id WHERE c.id IS NULL",
    "SELECT count(*), count(c.id) FROM orders o LEFT JOIN customers c "
    "ON o.customer = c.id AND c.age > 50",
    "SELECT c.region, count(n.id) FROM customers c JOIN orders o ON o.customer = c.id "
    "JOIN notes n ON n.customer_id = c.id GROUP BY c.region",
    "SELECT o.sku, s.color, count(*) FROM orders o JOIN skus s ON s.sku = o.sku "
    "GROUP BY o.sku, s.color ORDER BY o.sku",
    "SELECT r.manager, count(*) FROM orders o JOIN customers c ON o.customer = c.id "
    "JOIN regions r ON r.name = c.region GROUP BY r.manager",
    "SELECT count(*) FROM orders a JOIN orders b ON a.customer = b.customer AND a.id < b.id",
    "SELECT DISTINCT c.region FROM orders o JOIN customers c ON o.customer = c.id "
    "WHERE o.day >= '2026-06-01' ORDER BY 1",
    "SELECT o.id FROM orders o JOIN customers c ON o.customer = c.id WHERE c.id = 17 ORDER BY 1",
    # orders and lines co-located by the order, customers not
    "SELECT c.region, sum(l.qty), count(*) FROM customers c JOIN orders o ON o.customer = c.id "
    "JOIN lines l ON l.order_id = o.id GROUP BY c.region",
    "SELECT o.id, sum(l.qty) FROM customers c, orders o, lines l WHERE l.order_id = o.id "
    "AND c.id = o.customer AND c.age > 60 GROUP BY o.id ORDER BY 2 DESC, 1 LIMIT 20",
    # filters carried across the join's equalities (o.id's to l.order_id, c.id's to o.customer)
    "SELECT count(*), sum(l.qty) FROM customers c, orders o, lines l WHERE l.order_id = o.id "
    "AND c.id = o.customer AND o.id BETWEEN 100 AND 400 AND c.id IN (SELECT customer_id FROM notes)",
    "SELECT o.id, l.qty FROM orders o JOIN customers c ON c.id = o.customer JOIN lines l "
    "ON l.order_id = o.id WHERE o.id IN (SELECT order_id FROM lines GROUP BY order_id "
    "HAVING sum(qty) > 15) AND c.age >= 30 ORDER BY 1, 2",
    # a table that only filters through its primary key: an IN set (analyze_semifrom.c)
    "SELECT o.id, o.amount FROM orders o, customers c WHERE o.customer = c.id AND c.age > 60 "
    "ORDER BY o.id",
    "SELECT o.id, sum(l.qty) FROM orders o, lines l, customers c WHERE c.id = o.customer "
    "AND l.order_id = o.id AND c.region = 'north' AND c.age BETWEEN 20 AND 50 GROUP BY o.id",
    "SELECT id, amount FROM orders o, customers c WHERE customer = c.id AND age < 30 AND "
    "amount > 500",
    # not a primary key: every match counts (no rewrite)
    "SELECT o.id, count(*) FROM orders o, notes n WHERE n.customer_id = o.customer "
    "AND n.body = 'note 3' GROUP BY o.id",
    # a range table (by day) with a hash table (by id)
    "SELECT c.region, sum(v.pages), count(*) FROM visits v JOIN customers c ON c.id = v.customer "
    "WHERE v.day >= '2026-05-01' GROUP BY c.region",
]


def set_join(db, strategy):
    with db.m.cursor() as cur:
        cur.execute("SET murphy.join_strategy = %s", (strategy,))


@pytest.mark.parametrize("strategy", ["repartition", "broadcast", "auto"])
@pytest.mark.parametrize("sql", QUERIES)
def test_join_matches_postgres(db, strategy, sql):
    set_join(db, strategy)
    try:
        db.both(sql)
    finally:
        set_join(db, "auto")


def explain(db, sql, analyze=True):
    _, rows = db.murphy(("EXPLAIN ANALYZE " if analyze else "EXPLAIN ") + sql)
    return "\n".join(r[0] for r in rows)


def test_explain_names_the_strategy_and_the_traffic(db):
    sql = ("SELECT c.region, count(*) FROM orders o JOIN customers c ON o.customer = c.id "
           "GROUP BY c.region")
    set_join(db, "repartition")
    try:
        rep = explain(db, sql)
        set_join(db, "broadcast")
        bro = explain(db, sql)
    finally:
        set_join(db, "auto")
    assert 'repartition join on "o"."customer" = "c"."id"' in rep, rep
    assert "broadcast join" in bro and "copied to every owner" in bro, bro
    # repartition moves orders; broadcast moves only customers (to every owner)
    moved = lambda text: int(re.search(r"Moved follower -> follower: (\d+) rows", text).group(1))
    assert moved(rep) > moved(bro), (rep, bro)
    _, rows = db.murphy("SELECT strategy FROM murphy.query_stats")
    strategies = [r[0] for r in rows]
    assert any(s.startswith("repartition join on") for s in strategies), strategies
    assert "broadcast join" in strategies, strategies


def test_auto_broadcasts_the_small_side(db):
    # customers (400 rows) against orders (3000) on 3 followers: copying
    # customers to every follower moves fewer rows than moving both
    text = explain(db, "SELECT count(*) FROM orders o JOIN customers c ON o.customer = c.id",
                   analyze=False)
    assert "broadcast join" in text, text


def test_colocated_tables_stay_together_and_the_small_one_is_copied(db):
    # customers (400 rows) first in FROM, orders (3000) and lines (6000)
    # co-located by the order: broadcast keeps orders and lines where their
    # shards are read (lines' shard s read on the follower reading orders'
    # shard s) and copies only customers, so few rows cross the network
    # (copying orders and lines to every owner moves ~18,000)
    sql = ("SELECT c.region, sum(l.qty) FROM customers c JOIN orders o ON o.customer = c.id "
           "JOIN lines l ON l.order_id = o.id GROUP BY c.region")
    set_join(db, "broadcast")
    try:
        text = explain(db, sql)
    finally:
        set_join(db, "auto")
    assert "Table: orders (8 shards): stays on its followers" in text, text
    assert "Table: lines (8 shards): each shard to the owner of orders's shard" in text, text
    assert "Table: customers (4 shards): copied to every owner" in text, text
    moved = int(re.search(r"Moved follower -> follower: (\d+) rows", text).group(1))
    assert moved <= 2 * CUSTOMERS, text


def test_filters_are_carried_across_the_join_key(db):
    # o.id's BETWEEN and IN-set also filter lines' rows (l.order_id = o.id)
    # and c.id's filter the orders (o.customer = c.id) before they are sent
    text = explain(db, "SELECT count(c.name) FROM customers c, orders o, lines l "
                   "WHERE l.order_id = o.id AND c.id = o.customer AND o.id BETWEEN 100 AND 400 "
                   "AND c.id < 50", analyze=False)
    lines_sent = re.search(r'Sent: (SELECT .* FROM main."lines" .*)', text).group(1)
    orders_sent = re.search(r'Sent: (SELECT .* FROM main."orders" .*)', text).group(1)
    assert '"l"."order_id" BETWEEN 100 AND 400' in lines_sent, text
    assert '"o"."customer" < 50' in orders_sent, text
    # not with an outer join: a null-extended row satisfies no equality
    text = explain(db, "SELECT count(*) FROM orders o LEFT JOIN customers c ON c.id = o.customer "
                   "WHERE o.customer < 50", analyze=False)
    customers_sent = re.search(r'Sent: (SELECT .* FROM main."customers" .*)', text).group(1)
    assert "WHERE" not in customers_sent, text


def test_a_table_that_only_filters_becomes_an_in_set(db):
    # customers' columns appear only in its own filter and in o.customer =
    # c.id, its primary key: the join becomes o.customer IN (SELECT c.id ...),
    # orders and lines then join shard by shard, nothing is shuffled
    text = explain(db, "SELECT o.id, sum(l.qty) FROM orders o, lines l, customers c "
                   "WHERE c.id = o.customer AND l.order_id = o.id AND c.age > 60 GROUP BY o.id",
                   analyze=False)
    assert "Subquery 1 (IN / ANY / ALL set" in text, text
    assert 'WHERE ("c"."age" > 60)' in text, text
    assert "Table: lines (8 shards, co-located)" in text, text
    assert "broadcast" not in text and "repartition" not in text, text
    # customers' name is read: a join it stays
    text = explain(db, "SELECT c.name, o.id FROM orders o, customers c WHERE o.customer = c.id "
                   "AND c.age > 60", analyze=False)
    assert "Subquery" not in text and "join" in text, text
    # notes.customer_id is no key of notes: a join it stays
    text = explain(db, "SELECT o.id FROM orders o, notes n WHERE n.customer_id = o.customer",
                   analyze=False)
    assert "Subquery" not in text, text


def test_join_strategy_is_validated(db):
    with pytest.raises(psycopg2.Error) as e:
        db.murphy("SET murphy.join_strategy = 'hash'")
    assert e.value.pgcode == "22023"


def test_unjoinable_is_refused_clearly(db):
    with pytest.raises(psycopg2.Error) as e:
        db.murphy("SELECT count(*) FROM customers c JOIN orders o ON c.id < o.id "
                  "LEFT JOIN notes n ON n.id < o.id")
    assert e.value.pgcode == "0A000" and "cannot join" in str(e.value)
