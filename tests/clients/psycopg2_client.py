"""psycopg2 (Debian's python3-psycopg2) as an application uses it:
Decimal, date, datetime (naive and aware), bytes, bool and None
parameters; uuid, interval (timedelta), json and jsonb (Json) both ways; copy_expert both ways (CSV in, text and CSV out of a table and
of a query); a named (server-side) cursor read in itersize batches;
cursor.description's table OID and column number; a transaction rolled
back after an error.

Connects with libpq's environment (PGHOST, PGPORT, PGUSER, PGPASSWORD,
PGDATABASE) and prints one JSON object for the caller to compare with
PostgreSQL's.
"""
import datetime
import io
import json
import sys
from decimal import Decimal

import uuid

import psycopg2
import psycopg2.extras

UTC = datetime.timezone.utc
ROWS = [
    (1, Decimal("12345.6789"), datetime.date(2024, 2, 29),
     datetime.datetime(2024, 2, 29, 23, 59, 59, 999999),
     datetime.datetime(2001, 9, 9, 1, 46, 40, tzinfo=UTC), b"\x00\xff'\\", True, "it's"),
    (2, Decimal("-0.0001"), datetime.date(1999, 12, 31), None, None, b"", False, None),
    (3, None, None, datetime.datetime(1970, 1, 1), None, None, None, "tab\there"),
]


def step(out, name, fn, conn):
    try:
        out[name] = fn(conn)
    except psycopg2.Error as e:
        conn.rollback()
        out[name + "_error"] = "%s %s" % (e.pgcode, str(e).split("\n")[0])


def params(conn):
    with conn.cursor() as cur:
        for r in ROWS:
            cur.execute("INSERT INTO p2_t VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", r)
        cur.execute("SELECT * FROM p2_t WHERE amount > %s OR day < %s ORDER BY id",
                    (Decimal("0"), datetime.date(2000, 1, 1)))
        got = cur.fetchall()
    conn.commit()
    back = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in got]
    return {"equal_to_sent": back == ROWS[:2], "rows": [repr(r) for r in back]}


def uuid_interval_json(conn):
    """uuid.UUID (register_uuid), timedelta and Json parameters, read back
    as the same Python values."""
    psycopg2.extras.register_uuid(conn_or_curs=conn)
    rows = [(1, uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
             datetime.timedelta(days=3, hours=4, microseconds=5), {"a": [1, 2.5, None]},
             {"k": "v", "n": {"x": True}}),
            (2, None, datetime.timedelta(seconds=-90), [1, "two"], None)]
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE p2_u (id int PRIMARY KEY, u uuid, iv interval, j json,"
                    " jb jsonb)")
        for r in rows:
            cur.execute("INSERT INTO p2_u VALUES (%s, %s, %s, %s, %s)",
                        r[:3] + tuple(None if v is None else psycopg2.extras.Json(v)
                                      for v in r[3:]))
        cur.execute("SELECT * FROM p2_u WHERE u = %s OR iv < %s ORDER BY id",
                    (rows[0][1], datetime.timedelta(0)))
        got = cur.fetchall()
        cur.execute("SELECT jb -> 'n' ->> 'x', u::text FROM p2_u WHERE id = 1")
        more = list(cur.fetchone())
        cur.execute("DROP TABLE p2_u")
    conn.commit()
    return {"equal_to_sent": got == rows, "rows": [repr(r) for r in got], "more": more}


def copy_in(conn):
    data = "".join("%d,%d.%02d,2024-01-%02d,,,\\x%02x,%s,\"n,%d\"\n"
                   % (i, i, i % 100, i % 28 + 1, i % 256, "t" if i % 2 else "f", i)
                   for i in range(10, 210))
    with conn.cursor() as cur:
        cur.copy_expert("COPY p2_t FROM STDIN WITH (FORMAT csv)", io.StringIO(data))
        n = cur.rowcount
        cur.execute("SELECT count(*), sum(amount), min(day), max(note) FROM p2_t")
        agg = [str(v) for v in cur.fetchone()]
    conn.commit()
    return [n, agg]


def copy_out(conn):
    outs = {}
    with conn.cursor() as cur:
        for name, sql in (("query_text", "COPY (SELECT id, amount, data, note FROM p2_t"
                                         " WHERE id < 15 ORDER BY id) TO STDOUT"),
                          ("query_csv", "COPY (SELECT * FROM p2_t WHERE id < 12 ORDER BY id)"
                                        " TO STDOUT WITH (FORMAT csv, HEADER)"),
                          ("table_text", "COPY p2_t TO STDOUT")):
            buf = io.StringIO()
            cur.copy_expert(sql, buf)
            lines = buf.getvalue().splitlines()
            # a table's rows come in the shards' order on murphy: compare as a set
            outs[name] = sorted(lines) if name.startswith("table") else lines
    conn.commit()
    outs["table_text"] = [len(outs["table_text"]), outs["table_text"][:3]]
    return outs


def named_cursor(conn):
    with conn.cursor(name="p2_named") as cur:
        cur.itersize = 37
        cur.execute("SELECT id, amount FROM p2_t WHERE id >= %s ORDER BY id", (5,))
        ids = [r[0] for r in cur]
    with conn.cursor(name="p2_named_many") as cur:
        cur.execute("SELECT id FROM p2_t ORDER BY id DESC")
        first = cur.fetchmany(3)
        rest = cur.fetchall()
    conn.commit()
    return [len(ids), ids[:5], ids[-3:], first, len(rest)]


def description(conn):
    """cursor.description: the table (its pg_class OID) and column number
    of each output that is a table's column as is, None for the rest."""
    with conn.cursor() as cur:
        cur.execute("SELECT 'p2_t'::regclass::oid")
        oid = cur.fetchone()[0]
        cur.execute("SELECT note, id, id + 1 AS next, amount, 7 AS seven FROM p2_t t WHERE id = 1")
        got = [[d.name, d.type_code, d.table_oid == oid if d.table_oid else None,
                d.table_column] for d in cur.description]
    conn.commit()
    return got


def rollback_after_failure(conn):
    with conn.cursor() as cur:
        cur.execute("DELETE FROM p2_t WHERE id >= 100")
        try:
            cur.execute("INSERT INTO p2_t (id) VALUES (1)")
        except psycopg2.IntegrityError as e:
            err = e.pgcode
        conn.rollback()
        cur.execute("SELECT count(*) FROM p2_t")
        n = cur.fetchone()[0]
    conn.commit()
    return [err, n]


def main():
    conn = psycopg2.connect("")
    with conn.cursor() as cur:
        cur.execute("SET TimeZone = 'UTC'")
        cur.execute("DROP TABLE IF EXISTS p2_t")
        cur.execute("CREATE TABLE p2_t (id int PRIMARY KEY, amount numeric(12,4), day date,"
                    " at timestamp, atz timestamptz, data bytea, ok bool, note text)")
    conn.commit()
    out = {}
    for fn in (params, uuid_interval_json, copy_in, copy_out, named_cursor, description,
               rollback_after_failure):
        step(out, fn.__name__, fn, conn)
    with conn.cursor() as cur:
        cur.execute("DROP TABLE p2_t")
    conn.commit()
    json.dump(out, sys.stdout, indent=1, sort_keys=True, default=str)


if __name__ == "__main__":
    main()
