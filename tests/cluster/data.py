"""Deterministic test data shared by the cluster tests.

Rows are plain Python values (dates and timestamps as ISO strings, so they
reach the server as untyped literals, like a user would write them).
"""
import decimal
import random

STATES = ["CA", "TX", "FL", "NY", "PA", "IL", "OH", "WA", "VT", "WY"]
NAMES = ["alice", "Bob", "carol", "Dave", "eve", "Frank", "grace", "Heidi", "ivan", "Judy",
         "mallory", "Niaj", "olivia", "Peggy", "rupert", "Sybil", "trent", "Victor", "walter",
         "Émile", "zoë", "Zed", "a b", "O'Brien"]
USERS_DDL = ("CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL, state text, age int, "
             "score double precision, joined date, active boolean)")
ORDERS_DDL_MURPHY = ("CREATE TABLE orders (id bigint NOT NULL, user_id int, amount numeric, qty int, "
                     "note text, created_at timestamp) PARTITION BY HASH (user_id)")
ORDERS_DDL_PG = ("CREATE TABLE orders (id bigint NOT NULL, user_id int, amount numeric, qty int, "
                 "note text, created_at timestamp)")


def users(n=200, seed=1):
    rnd = random.Random(seed)
    rows = []
    for i in range(1, n + 1):
        state = None if i % 17 == 0 else rnd.choice(STATES[: 3 + (i % 7)])
        age = None if i % 13 == 0 else rnd.randint(18, 80)
        score = None if i % 11 == 0 else round(rnd.uniform(0, 100), 3)
        joined = "2023-%02d-%02d" % (rnd.randint(1, 12), rnd.randint(1, 28))
        name = "%s %d" % (rnd.choice(NAMES), rnd.randint(1, 50))
        rows.append((i, name, state, age, score, joined, rnd.random() < 0.6))
    return rows


def orders(n=1000, users_n=200, seed=2):
    rnd = random.Random(seed)
    rows = []
    for i in range(1, n + 1):
        amount = None if i % 19 == 0 else decimal.Decimal("%d.%02d" % (rnd.randint(0, 500),
                                                                         rnd.randint(0, 99)))
        note = None if i % 5 == 0 else rnd.choice(["gift", "rush", "", "a\tb", "x,y", "Ünïcode"])
        ts = "2024-%02d-%02d %02d:%02d:%02d" % (rnd.randint(1, 12), rnd.randint(1, 28),
                                                rnd.randint(0, 23), rnd.randint(0, 59),
                                                rnd.randint(0, 59))
        rows.append((i, rnd.randint(1, users_n + 10), amount, rnd.randint(1, 10), note, ts))
    return rows


def insert_batches(cursor_exec, table, rows, batch=250):
    """Multi-row INSERTs; cursor_exec(sql, params) runs one statement."""
    for k in range(0, len(rows), batch):
        chunk = rows[k:k + batch]
        ncols = len(chunk[0])
        one = "(" + ", ".join(["%s"] * ncols) + ")"
        sql = "INSERT INTO %s VALUES %s" % (table, ", ".join([one] * len(chunk)))
        cursor_exec(sql, [v for row in chunk for v in row])
