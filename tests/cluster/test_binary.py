"""Binary format (format code 1) for every type murphy has: results and
parameters (psycopg 3 binary cursors, asyncpg, raw Bind messages) and
COPY FROM STDIN (FORMAT binary) (asyncpg copy_records_to_table, psycopg 3
Copy.write_row) — issue 20, "Protocol".

Every check runs against murphy and against a real PostgreSQL 15 (the
control): both must give the same values, and binary must give what text
gives.  On the base binary (main 1761bd3) binary results were refused
(0A000 "binary result format is not supported"), date/timestamp/numeric
parameters in binary were refused, and COPY … (FORMAT binary) was refused.
"""
import asyncio
import datetime
import struct
import uuid
from decimal import Decimal

import asyncpg
import psycopg
import pytest

import murphy_auth
from wire import login, msg, raw, read_messages

UTC = datetime.timezone.utc

# (column, SQL type, two values): every type of src/common/value_type.c
COLUMNS = [
    ("b", "bool", [True, False]),
    ("i2", "int2", [-32768, 7]),
    ("i4", "int4", [2147483647, -5]),
    ("i8", "int8", [-9223372036854775808, 1 << 40]),
    ("f4", "float4", [1.5, -0.25]),
    ("f8", "float8", [0.1, -1e300]),
    ("n", "numeric", [Decimal("12345.678"), Decimal("-0.0001")]),
    ("t", "text", ["h\u00e9llo\ttab\\n", ""]),
    ("vc", "varchar(20)", ["abc", "x y"]),
    ("c", "char(4)", ["ab  ", "wxyz"]),
    ("by", "bytea", [b"\x00\xff\\x", b""]),
    ("d", "date", [datetime.date(2024, 2, 29), datetime.date(1, 1, 1)]),
    ("ts", "timestamp", [datetime.datetime(2024, 1, 2, 3, 4, 5, 678901),
                         datetime.datetime(1999, 12, 31, 23, 59, 59)]),
    ("tz", "timestamptz", [datetime.datetime(2024, 6, 1, 12, 0, 0, 1, tzinfo=UTC),
                           datetime.datetime(1970, 1, 1, tzinfo=UTC)]),
    ("u", "uuid", [uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
                   uuid.UUID("ffffffff-0000-0000-0000-00000000000f")]),
    ("iv", "interval", [datetime.timedelta(days=1, seconds=7200, microseconds=5),
                        datetime.timedelta(days=-3, seconds=-3600)]),
]
NAMES = [c[0] for c in COLUMNS]
# row 3: every column NULL
ROWS = [tuple([i + 1] + [c[2][i] for c in COLUMNS]) for i in range(2)] + \
    [tuple([3] + [None] * len(COLUMNS))]
COLS_SQL = ", ".join("%s %s" % (n, t) for n, t, _ in COLUMNS)
SELECT = "SELECT id, %s FROM {t} ORDER BY id" % ", ".join(NAMES)


def _norm(row):
    """asyncpg and psycopg give the same Python types, but tz-aware values
    may come in another zone: compare instants."""
    return tuple(v.astimezone(UTC) if isinstance(v, datetime.datetime) and v.tzinfo else v
                 for v in row)


@pytest.fixture(scope="module")
def targets(cluster, pg, pgconn):
    """libpq DSNs of murphy and of the PostgreSQL control."""
    name = pgconn.info.dbname
    return {"murphy": cluster.dsn(), "postgres": pg.dsn(name)}


def _connect(dsn):
    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute("SET TimeZone = 'UTC'")
    return conn


def _fresh(conn, table):
    conn.execute("DROP TABLE IF EXISTS %s" % table)
    conn.execute("CREATE TABLE %s (id int PRIMARY KEY, %s)" % (table, COLS_SQL))


@pytest.mark.parametrize("target", ["murphy", "postgres"])
def test_psycopg3_binary_round_trip(targets, target):
    """Binary parameters in (%b: every value sent in binary, dates,
    Decimals and bytes included), binary results out, equal to text."""
    with _connect(targets[target]) as conn:
        _fresh(conn, "bin_p3")
        marks = ", ".join(["%b"] * (len(COLUMNS) + 1))
        with conn.cursor() as cur:
            for r in ROWS:
                cur.execute("INSERT INTO bin_p3 VALUES (%s)" % marks, r)
        with conn.cursor(binary=True) as cur:
            cur.execute(SELECT.format(t="bin_p3"))
            assert all(cur.pgresult.fformat(i) == 1 for i in range(cur.pgresult.nfields))
            got_bin = [_norm(r) for r in cur.fetchall()]
        with conn.cursor(binary=False) as cur:
            cur.execute(SELECT.format(t="bin_p3"))
            assert cur.pgresult.fformat(0) == 0
            got_text = [_norm(r) for r in cur.fetchall()]
        assert got_bin == got_text == [_norm(r) for r in ROWS]
        # a binary parameter compared in WHERE finds its row
        with conn.cursor(binary=True) as cur:
            cur.execute("SELECT id FROM bin_p3 WHERE d = %b AND tz = %b AND n = %b",
                        (ROWS[0][12], ROWS[0][14], ROWS[0][7]))
            assert cur.fetchall() == [(1,)]


def test_libpq_result_format_binary_or_text(targets):
    """libpq's resultFormat (a Bind with one format for every column):
    binary bytes for 1, text for 0, on murphy as on PostgreSQL."""
    fmts = {}
    for target, dsn in targets.items():
        with _connect(dsn) as conn:
            res = conn.pgconn.exec_params(b"SELECT 1::int8, 'x'::text, 2.5::float8", [],
                                          result_format=1)
            assert res.status == psycopg.pq.ExecStatus.TUPLES_OK, res.error_message
            pq = conn.pgconn
            pq.send_query_params(b"SELECT 1::int8 AS a, 'x'::text AS b, 2.5::float8 AS c",
                                 [], result_format=0)
            r0 = pq.get_result()
            while pq.get_result() is not None:
                pass
            fmts[target] = ([res.get_value(0, i) for i in range(3)],
                            [r0.fformat(i) for i in range(3)])
    assert fmts["murphy"] == fmts["postgres"]
    assert fmts["murphy"][0] == [struct.pack("!q", 1), b"x", struct.pack("!d", 2.5)]


def test_catalog_types_in_binary(targets):
    """name and oid columns of pg_catalog come in binary too."""
    got = {}
    for target, dsn in targets.items():
        with _connect(dsn) as conn, conn.cursor(binary=True) as cur:
            cur.execute("SELECT typname, oid FROM pg_catalog.pg_type "
                        "WHERE typname IN ('int4', 'date') ORDER BY typname")
            got[target] = cur.fetchall()
    assert got["murphy"] == got["postgres"] == [("date", 1082), ("int4", 23)]


def test_regtype_in_binary(targets):
    """pg_typeof's regtype column in binary is the type's OID, as
    PostgreSQL's regtypesend (it was 42883 "no binary output function
    available for type 2206")."""
    got = {}
    for target, dsn in targets.items():
        with _connect(dsn) as conn:
            conn.execute("DROP TABLE IF EXISTS bin_rt")
            conn.execute("CREATE TABLE bin_rt (id int PRIMARY KEY, v varchar(5), a int[],"
                         " ts timestamptz)")
            conn.execute("INSERT INTO bin_rt VALUES (1, 'x', '{1}', now())")
            res = conn.pgconn.exec_params(
                b"SELECT pg_typeof(id), pg_typeof(v), pg_typeof(a), pg_typeof(ts),"
                b" pg_typeof(id + 0.5) FROM bin_rt", [], result_format=1)
            assert res.status == psycopg.pq.ExecStatus.TUPLES_OK, res.error_message
            got[target] = [res.get_value(0, i) for i in range(res.nfields)]
    assert got["murphy"] == got["postgres"]
    assert got["murphy"] == [struct.pack("!I", o) for o in (23, 1043, 1007, 1184, 1700)]


def _asyncpg_kwargs(dsn):
    kv = dict(p.split("=", 1) for p in dsn.split())
    return {"host": kv["host"], "port": int(kv["port"]), "user": kv["user"],
            "database": kv["dbname"], "password": murphy_auth.PASSWORD}


async def _asyncpg_run(dsn):
    conn = await asyncpg.connect(**_asyncpg_kwargs(dsn))
    try:
        await conn.execute("SET TimeZone = 'UTC'")
        out = {}
        for t in ("bin_ap", "bin_ap_copy"):
            await conn.execute("DROP TABLE IF EXISTS %s" % t)
            await conn.execute("CREATE TABLE %s (id int PRIMARY KEY, %s)" % (t, COLS_SQL))
        marks = ", ".join("$%d" % (i + 1) for i in range(len(COLUMNS) + 1))
        await conn.executemany("INSERT INTO bin_ap VALUES (%s)" % marks, ROWS)
        out["executemany"] = [tuple(r) for r in await conn.fetch(SELECT.format(t="bin_ap"))]
        n = await conn.copy_records_to_table("bin_ap_copy", records=ROWS)
        out["copy_status"] = n
        out["copy"] = [tuple(r) for r in await conn.fetch(SELECT.format(t="bin_ap_copy"))]
        # parameters of every type in a WHERE, results of expressions
        out["where"] = await conn.fetchval(
            "SELECT count(*) FROM bin_ap WHERE b = $1 AND i8 = $2 AND f4 = $3 AND n = $4 "
            "AND by = $5 AND ts = $6 AND c = $7 AND u = $8",
            *[ROWS[0][i] for i in (1, 4, 5, 7, 11, 13, 10, 15)])
        out["expr"] = tuple(await conn.fetchrow(
            "SELECT $1::date + 1, $2::numeric * 2, $3::int4 - 1", datetime.date(2000, 2, 28),
            Decimal("-1.25"), 10))
        return out
    finally:
        await conn.close()


def test_asyncpg_fetch_executemany_copy(targets):
    """asyncpg uses binary for every parameter and result, and binary COPY
    for copy_records_to_table."""
    got = {t: asyncio.run(_asyncpg_run(dsn)) for t, dsn in targets.items()}
    m, p = got["murphy"], got["postgres"]
    want = [_norm(r) for r in ROWS]
    assert [_norm(r) for r in m["executemany"]] == want
    assert [_norm(r) for r in m["copy"]] == want
    assert m["copy_status"] == p["copy_status"] == "COPY 3"
    assert m["where"] == p["where"] == 1
    # Decimal("-2.5") == Decimal("-2.50"): murphy's double numeric keeps no dscale
    assert m["expr"] == p["expr"] == (datetime.date(2000, 2, 29), Decimal("-2.50"), 9)
    assert [_norm(r) for r in p["copy"]] == want


@pytest.mark.parametrize("target", ["murphy", "postgres"])
def test_psycopg3_copy_binary(targets, target):
    """psycopg 3's binary COPY writer: header, tuples, trailer."""
    with _connect(targets[target]) as conn:
        _fresh(conn, "bin_p3_copy")
        with conn.cursor() as cur:
            with cur.copy("COPY bin_p3_copy (id, %s) FROM STDIN (FORMAT BINARY)"
                          % ", ".join(NAMES)) as cp:
                # psycopg 3 has no binary bpchar dumper: text has the same bytes
                cp.set_types(["int4"] + [{"char": "text"}.get(t.split("(")[0], t.split("(")[0])
                                          for _, t, _ in COLUMNS])
                for r in ROWS:
                    cp.write_row(r)
            assert cur.rowcount == len(ROWS)
            cur.execute(SELECT.format(t="bin_p3_copy"))
            assert [_norm(r) for r in cur.fetchall()] == [_norm(r) for r in ROWS]


# ---- errors, on the raw protocol ---------------------------------------------------


def _raw_session(target, targets):
    kv = dict(p.split("=", 1) for p in targets[target].split())
    s = raw(int(kv["port"]))
    got = login(s, user=kv["user"].encode(), db=kv["dbname"].encode())
    assert got and got[-1][0] == b"Z", got
    return s


def _bind_run(s, sql, oids, values, formats, result_formats=()):
    body = b"\0" + sql + b"\0" + struct.pack("!H", len(oids)) + \
        b"".join(struct.pack("!I", o) for o in oids)
    bind = b"\0\0" + struct.pack("!H", len(formats)) + \
        b"".join(struct.pack("!h", f) for f in formats) + struct.pack("!H", len(values))
    for v in values:
        bind += struct.pack("!i", -1) if v is None else struct.pack("!I", len(v)) + v
    bind += struct.pack("!H", len(result_formats)) + \
        b"".join(struct.pack("!h", f) for f in result_formats)
    s.sendall(msg(b"P", body) + msg(b"B", bind) + msg(b"E", b"\0\0\0\0\0") + msg(b"S"))
    return read_messages(s)


def _error_code(got):
    for kind, body in got:
        if kind == b"E":
            for field in body.split(b"\0"):
                if field[:1] == b"C":
                    return field[1:].decode()
    return None


def _rows(got):
    out = []
    for kind, body in got:
        if kind == b"D":
            (n,), off, row = struct.unpack("!H", body[:2]), 2, []
            for _ in range(n):
                (ln,) = struct.unpack("!i", body[off:off + 4])
                off += 4
                row.append(None if ln < 0 else body[off:off + ln])
                off += max(ln, 0)
            out.append(row)
    return out


BAD_PARAMS = [
    (23, b"\0\0\0\1\2"),            # int4 of 5 bytes
    (20, b"\0" * 9),                # int8 of 9 bytes
    (16, b"\1\1"),                  # bool of 2 bytes
    (1082, b"\0\0\0\0\0"),          # date of 5 bytes
    (1700, b"\0\1\0\0\0\0\0\0\x27\x10"),  # numeric digit 10000
    (1700, b"\0\0\0\0\x12\x34\0\0"),      # numeric with a bad sign
]


@pytest.mark.parametrize("oid,value", BAD_PARAMS)
def test_bad_binary_parameter_is_22P03(targets, oid, value):
    """A binary parameter that is not a value of its type: 22P03 at Bind,
    and the session goes on."""
    for target in targets:
        s = _raw_session(target, targets)
        got = _bind_run(s, b"SELECT $1", [oid], [value], [1])
        assert _error_code(got) == "22P03", (target, got)
        assert got[-1][0] == b"Z"
        got = _bind_run(s, b"SELECT $1::int4 + 1", [23], [struct.pack("!i", 41)], [1], [1])
        assert _error_code(got) is None, (target, got)
        assert _rows(got) == [[struct.pack("!i", 42)]], target
        s.close()


def test_binary_parameters_and_results_raw(targets):
    """The exact bytes: numeric, date, timestamptz both ways."""
    cases = [
        (b"SELECT $1::numeric", 1700, struct.pack("!hhHh", 2, 0, 0x4000, 2) +
         struct.pack("!hh", 12, 3400)),                     # -12.34
        (b"SELECT $1::date", 1082, struct.pack("!i", -1)),  # 1999-12-31
        (b"SELECT $1::timestamptz", 1184, struct.pack("!q", 86400 * 1000000 + 5)),
        (b"SELECT $1::float8", 701, struct.pack("!d", float("inf"))),
    ]
    got = {}
    for target in targets:
        s = _raw_session(target, targets)
        s.sendall(msg(b"Q", b"SET TimeZone = 'UTC'\0"))
        read_messages(s)
        out = []
        for sql, oid, value in cases:
            rb = _bind_run(s, sql, [oid], [value], [1], [1])
            rt = _bind_run(s, sql, [oid], [value], [1], [0])
            out.append((_error_code(rb), _rows(rb), _rows(rt)))
        got[target] = out
        s.close()
    assert got["murphy"] == got["postgres"], got
    assert got["murphy"][0][2] == [[b"-12.34"]]
    assert got["murphy"][0][1] == [[cases[0][2]]]  # binary back as sent


def test_per_column_result_formats_raw(targets):
    """A Bind with one format per column: RowDescription (Describe of the
    portal) names them and only the binary columns come in binary."""
    got = {}
    for target in targets:
        s = _raw_session(target, targets)
        sql = b"SELECT 1::int8 AS a, 'x'::text AS b, 2.5::float8 AS c, DATE '2000-01-02' AS d"
        bind = b"\0\0" + struct.pack("!HH", 0, 0) + struct.pack("!Hhhhh", 4, 1, 0, 0, 1)
        s.sendall(msg(b"P", b"\0" + sql + b"\0\0\0") + msg(b"B", bind) +
                  msg(b"D", b"P\0") + msg(b"E", b"\0\0\0\0\0") + msg(b"S"))
        out = read_messages(s)
        desc = [body for kind, body in out if kind == b"T"]
        assert desc, (target, out)
        body, off, fmts = desc[0], 2, []
        for _ in range(struct.unpack("!H", body[:2])[0]):
            off = body.index(b"\0", off) + 1 + 16
            fmts.append(struct.unpack("!h", body[off:off + 2])[0])
            off += 2
        got[target] = (fmts, _rows(out))
        s.close()
    assert got["murphy"] == got["postgres"], got
    assert got["murphy"] == ([1, 0, 0, 1], [[struct.pack("!q", 1), b"x", b"2.5",
                                             struct.pack("!i", 1)]])


NUMERICS = [b"12345.678", b"-0.0001", b"0", b"100", b"10000", b"123456789012", b"0.5",
            b"-7.25"]  # NaN: murphy's double numeric gives NULL for 'NaN'::numeric today


def test_numeric_binary_bytes_match_postgres(targets):
    """numeric_send's exact bytes (ndigits, weight, sign, dscale, base-10000
    digits) for numerics given as text."""
    got = {}
    for target in targets:
        s = _raw_session(target, targets)
        got[target] = [_rows(_bind_run(s, b"SELECT $1::numeric", [1700], [v], [0], [1]))
                       for v in NUMERICS]
        s.close()
    assert got["murphy"] == got["postgres"], got
    assert all(r and r[0][0] for r in got["murphy"])


def test_bad_format_code(targets):
    """A format code other than 0 and 1 is refused, as PostgreSQL does."""
    codes = {}
    for target in targets:
        s = _raw_session(target, targets)
        got = _bind_run(s, b"SELECT $1::int4", [23], [b"1"], [2])
        got2 = _bind_run(s, b"SELECT 1", [], [], [], [7])
        codes[target] = (_error_code(got), _error_code(got2), got2[-1][0])
        s.close()
    assert codes["murphy"] == codes["postgres"], codes


BAD_COPY = [
    b"PGCOPY\n\xff\r\n\1" + b"\0" * 8,                       # signature
    b"PGCOPY\n\xff\r\n\0" + b"\0" * 8 + struct.pack("!h", 3),  # field count
    b"PGCOPY\n\xff\r\n\0" + b"\0" * 8 + struct.pack("!hi", 1, 4) + b"\0\0",  # EOF in tuple
    b"PGCOPY\n\xff\r\n\0" + b"\0" * 8 + struct.pack("!hi", 1, 5) + b"\0" * 5,  # int4 of 5 bytes
]


@pytest.mark.parametrize("data", BAD_COPY)
def test_malformed_binary_copy_is_22P04(targets, data):
    """A malformed binary COPY stream fails the COPY with 22P04 (nothing
    stored) and the session goes on; a field that is not a value of its
    type is 22P03, as in PostgreSQL."""
    codes = {}
    for target, dsn in targets.items():
        with _connect(dsn) as conn:
            conn.execute("DROP TABLE IF EXISTS bin_badcopy")
            conn.execute("CREATE TABLE bin_badcopy (id int PRIMARY KEY)")
            with pytest.raises(psycopg.Error) as e:
                with conn.cursor().copy("COPY bin_badcopy FROM STDIN (FORMAT binary)") as cp:
                    cp.write(data)
            codes[target] = e.value.sqlstate
            assert conn.execute("SELECT count(*) FROM bin_badcopy").fetchone() == (0,)
    assert codes["murphy"] == codes["postgres"], codes
    assert codes["murphy"] == ("22P03" if data == BAD_COPY[-1] else "22P04")
