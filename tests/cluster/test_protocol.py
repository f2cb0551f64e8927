"""The extended query protocol (Parse/Bind/Describe/Execute/Sync), byte for
byte against PostgreSQL: the same messages go to both servers and the
answers must match (RowDescription compared on names and type OIDs only,
since table OIDs and attribute numbers are server-specific)."""
import struct

import pytest

from wire import login, msg, raw, read_messages


@pytest.fixture(scope="module", autouse=True)
def table(db):
    db.exec_both("CREATE TABLE ext (id int PRIMARY KEY, name text, score double precision)")
    db.exec_both("INSERT INTO ext VALUES (1, 'one', 1.5), (2, 'two', NULL), (3, NULL, -3), "
                 "(4, 'four', 4.25), (5, 'five', 0)")


def cstr(s):
    return s.encode() + b"\0"


def parse(name, sql, oids=()):
    return msg(b"P", cstr(name) + cstr(sql) + struct.pack("!H", len(oids)) +
               b"".join(struct.pack("!I", o) for o in oids))


def bind(portal, stmt, params=()):
    body = cstr(portal) + cstr(stmt) + struct.pack("!H", 0) + struct.pack("!H", len(params))
    for p in params:
        if p is None:
            body += struct.pack("!i", -1)
        else:
            body += struct.pack("!I", len(p)) + p.encode()
    return msg(b"B", body + struct.pack("!H", 0))


def describe(kind, name):
    return msg(b"D", kind + cstr(name))


def execute(portal, max_rows=0):
    return msg(b"E", cstr(portal) + struct.pack("!I", max_rows))


SYNC = msg(b"S")


def row_description(body):
    (n,) = struct.unpack("!H", body[:2])
    off, cols = 2, []
    for _ in range(n):
        end = body.index(b"\0", off)
        name = body[off:end].decode()
        _table, _att, oid, _len, _mod, fmt = struct.unpack("!IHIhiH", body[end + 1:end + 19])
        cols.append((name, oid, fmt))
        off = end + 19
    return cols


def normalize(messages):
    out = []
    for kind, body in messages:
        if kind in (b"N", b"S", b"K"):  # notices, parameter status, key data
            continue
        if kind == b"T":
            out.append((kind, row_description(body)))
        elif kind == b"E":
            fields = dict((f[:1], f[1:]) for f in body.split(b"\0") if f)
            out.append((kind, fields.get(b"C")))
        else:
            out.append((kind, body))
    return out


@pytest.fixture(scope="module")
def sessions(cluster, pg, pgconn):
    m = raw(cluster.port)
    login(m)
    p = raw(pg.port)
    login(p, b"postgres", pgconn.info.dbname.encode())
    yield m, p
    m.close()
    p.close()


def both(sessions, payload, ignore=()):
    answers = []
    for s in sessions:
        s.sendall(payload)
        answers.append([m for m in normalize(read_messages(s)) if m[0] not in ignore])
    assert answers[0] == answers[1], "murphy:   %r\npostgres: %r" % tuple(answers)
    return answers[0]


def test_parse_bind_execute(sessions):
    got = both(sessions, parse("", "SELECT id, name, score FROM ext WHERE id = $1") +
               bind("", "", ["4"]) + describe(b"P", "") + execute("") + SYNC)
    assert [k for k, _ in got] == [b"1", b"2", b"T", b"D", b"C", b"Z"], got


def test_describe_statement_infers_parameter_types(sessions):
    got = both(sessions, parse("s1", "SELECT name FROM ext WHERE id = $1 AND score > $2") +
               describe(b"S", "s1") + SYNC)
    assert [k for k, _ in got] == [b"1", b"t", b"T", b"Z"], got


def test_named_statement_reused_with_different_parameters(sessions):
    both(sessions, parse("s2", "SELECT id, name FROM ext WHERE id >= $1 ORDER BY id") + SYNC)
    for p in ("1", "3", "5", "6"):
        both(sessions, bind("", "s2", [p]) + execute("") + SYNC)


def test_null_and_text_parameters(sessions):
    both(sessions, parse("", "SELECT count(*) FROM ext WHERE name = $1 OR score = $2") +
         bind("", "", ["two", None]) + execute("") + SYNC)


def test_insert_with_parameters(sessions):
    both(sessions, parse("ins", "INSERT INTO ext VALUES ($1, $2, $3)") + SYNC)
    both(sessions, bind("", "ins", ["10", "ten", "10.5"]) + execute("") +
         bind("", "ins", ["11", None, None]) + execute("") + SYNC)
    both(sessions, parse("", "SELECT * FROM ext WHERE id >= 10 ORDER BY id") + bind("", "") +
         describe(b"P", "") + execute("") + SYNC)


def test_error_skips_to_sync(sessions):
    got = both(sessions, parse("", "SELEC nonsense") + bind("", "") + execute("") + SYNC)
    assert [k for k, _ in got] == [b"E", b"Z"], got
    got = both(sessions, bind("", "ins", ["1", "dup", "0"]) + execute("") + SYNC)
    assert got[-2] == (b"E", b"23505") and got[-1][0] == b"Z", got
    # PostgreSQL rejects the bad parameter at Bind, murphy at Execute (after
    # BindComplete); what a client sees is the same error and the same recovery
    got = both(sessions, bind("", "ins", ["abc", "x", "0"]) + execute("") + SYNC, ignore=(b"2",))
    assert got == [(b"E", b"22P02"), (b"Z", b"I")], got
    # and the session goes on
    both(sessions, parse("", "SELECT count(*) FROM ext") + bind("", "") + execute("") + SYNC)


def test_close_statement(sessions):
    both(sessions, parse("gone", "SELECT 1") + msg(b"C", b"S" + cstr("gone")) + SYNC)
    got = both(sessions, bind("", "gone") + execute("") + SYNC)
    assert got[0] == (b"E", b"26000"), got
