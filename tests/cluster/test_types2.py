"""uuid, interval, TimeZone and bytea with PostgreSQL's semantics (issue 19),
differential against a real PostgreSQL 15 on the same rows, compared
exactly as text (test_numeric's `exact`).

uuid: every input form uuid_in takes (hyphens or none, braces, upper
case), lowercase hyphenated output, 22P02 on bad input, casts to and from
text, comparison and ORDER BY (PostgreSQL orders by the 16 bytes; the
stored lowercase text orders alike), a uuid distribution key and primary
key (the same value written in another form finds the same row on the
same shard), GROUP BY, joins on uuid between co-located, non-co-located
and reference tables, COPY, gen_random_uuid() and pg_type / format_type.
"""
import io
import random
import uuid

import pytest

from test_numeric import exact

UUID_ROWS = 400


def _uuid(rnd):
    return str(uuid.UUID(int=rnd.getrandbits(128)))


@pytest.fixture(scope="module")
def loaded(db):
    rnd = random.Random(1919)
    for t in ("u_dist", "u_other", "u_ref", "u_copy", "u_gen"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE u_dist (id uuid PRIMARY KEY, grp int, owner uuid, v text)")
    db.exec_both("CREATE TABLE u_other (k int PRIMARY KEY, ref uuid)")
    db.m.cursor().execute("CREATE TABLE u_ref (owner uuid PRIMARY KEY, name text) "
                          "WITH (distribution = 'reference')")
    db.p.cursor().execute("CREATE TABLE u_ref (owner uuid PRIMARY KEY, name text)")
    owners = [_uuid(rnd) for _ in range(12)]
    ids = [_uuid(rnd) for _ in range(UUID_ROWS)]
    # a few ids that differ only in their last or first byte: order by bytes
    ids[:4] = ["00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-0000000000ff",
               "ffffffff-ffff-ffff-ffff-ffffffffffff", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]
    rows = [(ids[i], i % 9, None if i % 31 == 0 else owners[i % len(owners)], "v%d" % i)
            for i in range(UUID_ROWS)]
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            # ids written in every input form uuid_in takes
            def form(u, i):
                h = u.replace("-", "")
                return [u, u.upper(), "{%s}" % u, h, "{%s}" % h.upper(),
                        "-".join(h[k:k + 4] for k in range(0, 32, 4))][i % 6]
            cur.execute("INSERT INTO u_dist VALUES " + ",".join(
                cur.mogrify("(%s, %s, %s, %s)", (form(r[0], n), r[1], r[2], r[3])).decode()
                for n, r in enumerate(rows)))
            cur.execute("INSERT INTO u_other VALUES " + ",".join(
                cur.mogrify("(%s, %s)", (k, ids[k * 7 % UUID_ROWS] if k % 5 else None)).decode()
                for k in range(120)))
            cur.execute("INSERT INTO u_ref VALUES " + ",".join(
                cur.mogrify("(%s, %s)", (o, "owner%d" % n)).decode()
                for n, o in enumerate(owners[:10])))
    return ids


UUID_CONSTANTS = [
    "SELECT 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid AS a,"
    " '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'::uuid AS b,"
    " 'a0eebc999c0b4ef8bb6d6bb9bd380a11'::uuid AS c,"
    " 'a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11'::uuid AS d,"
    " '{a0eebc999c0b4ef8bb6d6bb9bd380a11}'::uuid AS e",
    "SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid = 'A0EEBC999C0B4EF8BB6D6BB9BD380A11' AS a,"
    " '00000000-0000-0000-0000-000000000001'::uuid < 'ffffffff-0000-0000-0000-000000000000' AS b,"
    " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid <> 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12' AS c",
    "SELECT 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid::text AS a,"
    " 'a0eebc999c0b4ef8bb6d6bb9bd380a11'::text::uuid AS b, NULL::uuid AS c",
    "SELECT length(gen_random_uuid()::text) AS a, gen_random_uuid() <> gen_random_uuid() AS b,"
    " substr(gen_random_uuid()::text, 15, 1) AS version",
]


@pytest.mark.parametrize("sql", UUID_CONSTANTS)
def test_uuid_constants(db, sql):
    exact(db, sql)


@pytest.mark.parametrize("text", [
    "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111",
    "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11",
    "a0e-ebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-", ""])
def test_uuid_bad_input_22P02(db, text):
    err = db.both_error("SELECT %s::uuid", "22P02", (text,))
    assert 'invalid input syntax for type uuid' in str(err)


UUID_TABLE = [
    "SELECT id, grp, owner, v FROM u_dist ORDER BY id",
    "SELECT id FROM u_dist ORDER BY id DESC LIMIT 7",
    "SELECT id, v FROM u_dist WHERE id = 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF'",
    "SELECT id, v FROM u_dist WHERE id = '{a0eebc999c0b4ef8bb6d6bb9bd380a11}'",
    "SELECT v FROM u_dist WHERE id IN ('00000000-0000-0000-0000-000000000000',"
    " '000000000000000000000000000000ff')",
    "SELECT count(*) FROM u_dist WHERE id > '80000000-0000-0000-0000-000000000000'",
    "SELECT owner, count(*), min(v), max(grp) FROM u_dist GROUP BY owner ORDER BY owner",
    "SELECT count(DISTINCT owner) FROM u_dist",
    "SELECT d.v, r.name FROM u_dist d JOIN u_ref r ON d.owner = r.owner ORDER BY d.v",
    "SELECT o.k, d.v FROM u_other o JOIN u_dist d ON d.id = o.ref ORDER BY o.k",
    "SELECT r.name, count(d.id) FROM u_ref r LEFT JOIN u_dist d ON d.owner = r.owner"
    " GROUP BY r.name ORDER BY r.name",
    "SELECT k FROM u_other WHERE ref IN (SELECT id FROM u_dist WHERE grp = 3) ORDER BY k",
    "SELECT upper(id::text) FROM u_dist WHERE grp = 1 ORDER BY 1 LIMIT 5",
]


@pytest.mark.parametrize("sql", UUID_TABLE)
def test_uuid_table(db, loaded, sql):
    exact(db, sql)


def test_uuid_key_routes_every_form_to_one_row(db, loaded):
    # the same key written upper case, braced or without hyphens is one
    # key: an update through one form and a read through another see it
    u = loaded[10]
    db.exec_both("UPDATE u_dist SET v = 'changed' WHERE id = %s", ("{%s}" % u.upper(),))
    exact(db, "SELECT id, v FROM u_dist WHERE id = '%s'" % u.replace("-", ""))
    db.both_error("INSERT INTO u_dist VALUES (%s, 0, NULL, 'dup')", "23505", (u.upper(),))
    db.exec_both("DELETE FROM u_dist WHERE id = %s", (u.replace("-", "").upper(),))
    exact(db, "SELECT count(*) FROM u_dist WHERE id = '%s'" % u)


def test_uuid_copy_and_gen_random_uuid(db):
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE u_copy (id uuid PRIMARY KEY, n int, o uuid)")
            cur.copy_expert("COPY u_copy FROM STDIN", io.StringIO(
                "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11\t1\t\\N\n"
                "{b0eebc999c0b4ef8bb6d6bb9bd380a11}\t2\t0000000000000000000000000000000a\n"))
    exact(db, "SELECT id, n, o FROM u_copy ORDER BY id")
    exact(db, "SELECT n FROM u_copy WHERE id = 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'")
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE u_gen (id uuid PRIMARY KEY, n int)")
            cur.execute("INSERT INTO u_gen VALUES (gen_random_uuid(), 1), (gen_random_uuid(), 2),"
                        " (gen_random_uuid(), 3)")
    _, got = db.murphy("SELECT id::text, n FROM u_gen ORDER BY n")
    assert [r[1] for r in got] == [1, 2, 3]
    assert len({r[0] for r in got}) == 3
    for text, _ in got:
        assert str(uuid.UUID(text)) == text and text[14] == "4" and text[19] in "89ab"
        # each generated key lives where its value hashes: found by key
        assert db.murphy("SELECT n FROM u_gen WHERE id = %s", (text.upper(),))[1]


def test_uuid_no_min_max_in_pg15(db, loaded):
    db.both_error("SELECT min(id) FROM u_dist", "42883")
    db.both_error("SELECT max(owner) FROM u_dist", "42883")


def test_uuid_catalog(db, loaded):
    exact(db, "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), t.typname::text,"
              " t.typlen"
              " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
              " WHERE a.attrelid = 'u_dist'::regclass AND a.attnum > 0 ORDER BY a.attnum")


# ---- interval ---------------------------------------------------------------

INTERVAL_INPUTS = [
    "1 day 2 hours", "2 mons", "1 year 2 mons 3 days 04:05:06.789", "-1 week", "1:30:00",
    "@ 1 hour ago", "P1D", "P1Y2M3DT4H5M6.5S", "PT36H", "P2W", "1.5 years", "1.5 months",
    "1.5 days", "-1 days +02:00:00", "10", "90 minutes", "3 hours 4 min 5 sec", "0",
    "1 day -1 hour", "-1 year -2 mons +3 days -04:05:06", "100 microseconds", "2.5 ms",
    "1 decade 1 century", "  7 DAYS  ", "1 mon -1 day", "25:00:00", "-00:00:01.5",
    "1 hour ago", "1 day ago 2 hours", "1 millennium", "1 week 1 day", "1 day 24 hours",
]


@pytest.mark.parametrize("text", INTERVAL_INPUTS)
def test_interval_input_output(db, text):
    exact(db, "SELECT %s::interval AS v, (%s::interval)::text AS t", (text, text))


INTERVAL_CONSTANTS = [
    "SELECT interval '1 day' = interval '24 hours' AS a, interval '1 mon' = interval '30 days' AS b,"
    " interval '1 day' < interval '25 hours' AS c, interval '-1 day' < interval '1 second' AS d,"
    " interval '1 year' > interval '360 days' AS e",
    "SELECT date '2024-01-31' + interval '1 month' AS a, timestamp '2024-02-29 10:00' + interval '1 year' AS b,"
    " timestamp '2024-03-10 12:00' - interval '1 day 1 hour' AS c, interval '2 hours' + timestamp '2020-01-01' AS d,"
    " date '2024-03-01' - interval '1 day' AS e, timestamptz '2024-01-01 00:00+00' + interval '36 hours' AS f",
    "SELECT timestamp '2024-03-01 12:00' - timestamp '2024-01-01 00:00' AS a,"
    " timestamp '2024-01-01' - timestamp '2024-01-02 01:00:00.5' AS b,"
    " timestamptz '2024-06-01 00:00+00' - timestamptz '2024-05-31 23:00+00' AS c",
    "SELECT interval '1 day' + interval '2 hours' AS a, interval '1 mon' - interval '1 day' AS b,"
    " -interval '1 year 2 days 03:00' AS c, interval '1 hour' * 2.5 AS d, 3 * interval '1 day 1 hour' AS e,"
    " interval '1 mon' / 2 AS f, interval '1 day' / 3 AS g, interval '1 year' * 0.5 AS h",
    "SELECT justify_hours(interval '50 hours') AS a, justify_days(interval '35 days') AS b,"
    " justify_interval(interval '1 mon -1 hour') AS c, justify_hours(interval '-27 hours') AS d,"
    " justify_days(interval '1 mon -40 days') AS e",
    "SELECT extract(epoch from interval '1 day 2 hours') AS a, extract(hour from interval '1 day 26:30:00') AS b,"
    " extract(minute from interval '26:30:00') AS c, extract(second from interval '1:02:03.25') AS d,"
    " extract(year from interval '14 mons') AS e, extract(month from interval '14 mons') AS f,"
    " extract(day from interval '3 days 40 hours') AS g, extract(epoch from interval '1 year') AS h",
    "SELECT date_part('epoch', interval '1 day 02:00:00.5') AS a, date_part('hour', interval '-5 hours') AS b,"
    " date_part('millisecond', interval '1.5 seconds') AS c",
    "SELECT age(timestamp '2024-03-31', timestamp '2024-02-29 12:00') AS a,"
    " age(timestamp '2023-01-15 10:00', timestamp '2024-03-31 08:30:00.25') AS b,"
    " age(date '2024-01-31', date '2023-12-31') AS c, age(timestamp '2001-04-10', timestamp '1957-06-13') AS d,"
    " age(timestamp '2024-05-01', timestamp '2024-03-31') AS e, age(current_date::timestamp) AS f,"
    " age(timestamp '2000-01-01') > interval '20 years' AS g",
    "SELECT make_interval(1, 2, 3, 4, 5, 6, 7.5) AS a, make_interval(0, 0, 0, 10) AS b, make_interval() AS c",
    "SELECT NULL::interval + interval '1 day' AS a, timestamp '2024-01-01' + NULL::interval AS b",
    "SELECT '1 day'::interval::text AS a, '2 hours'::text::interval AS b, timestamp '2020-01-01' + '1 day' AS c,"
    " timestamp '2020-01-02' - '2020-01-01' AS d",
]


@pytest.mark.parametrize("sql", INTERVAL_CONSTANTS)
def test_interval_constants(db, sql):
    exact(db, sql)


@pytest.mark.parametrize("text", ["1 fortnight", "abc", "1 dayz", "P1X", "", "ago", "1 day two hours"])
def test_interval_bad_input(db, text):
    mo = db.both_error("SELECT %s::interval", "22007", (text,))
    assert "invalid input syntax for type interval" in str(mo)


def test_interval_errors(db):
    db.both_error("SELECT '1:99:00'::interval", "22015")
    db.both_error("SELECT interval '1 day' / 0", "22012")
    db.both_error("SELECT interval '1 day' + 1", "42883")
    db.both_error("SELECT interval '1 day' * interval '1 day'", "42883")


@pytest.fixture(scope="module")
def intervals(db):
    rnd = random.Random(20)
    for t in ("iv_dist", "iv_ref", "iv_key"):
        db.exec_both("DROP TABLE IF EXISTS %s" % t)
    db.exec_both("CREATE TABLE iv_dist (id int PRIMARY KEY, grp int, at timestamp, dur interval)")
    db.m.cursor().execute("CREATE TABLE iv_ref (dur interval PRIMARY KEY, name text) "
                          "WITH (distribution = 'reference')")
    db.p.cursor().execute("CREATE TABLE iv_ref (dur interval PRIMARY KEY, name text)")
    rows = []
    for i in range(300):
        dur = None if i % 37 == 0 else "%d mons %d days %d:%02d:%02d.%d" % (
            rnd.randint(-3, 14), rnd.randint(-40, 40), rnd.randint(0, 30), rnd.randint(0, 59),
            rnd.randint(0, 59), rnd.randint(0, 9))
        at = "2024-%02d-%02d %02d:%02d:00" % (rnd.randint(1, 12), rnd.randint(1, 28),
                                             rnd.randint(0, 23), rnd.randint(0, 59))
        rows.append((i, i % 5, at, dur))
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.execute("INSERT INTO iv_dist VALUES " + ",".join(
                cur.mogrify("(%s, %s, %s, %s::interval)", r).decode() for r in rows))
            cur.execute("INSERT INTO iv_ref VALUES ('1 day', 'day'), ('1 hour', 'hour'),"
                        " ('1 mon', 'month'), ('00:00:00', 'zero')")
    return rows


INTERVAL_TABLE = [
    "SELECT id, dur FROM iv_dist ORDER BY dur NULLS FIRST, id",
    "SELECT id, at + dur, at - dur, dur * 2, -dur FROM iv_dist WHERE id < 40 ORDER BY id",
    "SELECT id FROM iv_dist WHERE dur > interval '1 year' ORDER BY id",
    "SELECT count(*) FROM iv_dist WHERE dur BETWEEN '-10 days' AND '10 days'",
    "SELECT grp, min(dur), max(dur), count(dur) FROM iv_dist GROUP BY grp ORDER BY grp",
    "SELECT a.id, b.id, b.at - a.at FROM iv_dist a JOIN iv_dist b ON b.id = a.id + 1"
    " WHERE a.id < 30 ORDER BY a.id",
    "SELECT id, justify_interval(dur), extract(epoch from dur) FROM iv_dist WHERE id < 20 ORDER BY id",
    "SELECT r.name, r.dur FROM iv_ref r ORDER BY r.dur",
    "SELECT r.name FROM iv_ref r WHERE r.dur = '24 hours'",
]


@pytest.mark.parametrize("sql", INTERVAL_TABLE)
def test_interval_table(db, intervals, sql):
    exact(db, sql)


def test_interval_distribution_key_refused(db):
    err = run_murphy_error(db, "CREATE TABLE iv_key (d interval PRIMARY KEY, n int)")
    assert err.pgcode == "0A000" and "interval" in str(err)


def run_murphy_error(db, sql):
    from compare import run
    out = run(db.m, sql)
    assert out.error is not None, "murphy accepted: %s" % sql
    return out.error


# ---- bytea ------------------------------------------------------------------

BYTEA_CONSTANTS = [
    r"SELECT '\x00ff10'::bytea AS a, 'abc\\d\001'::bytea AS b, '\x'::bytea AS c, E'\\x DE AD'::bytea AS d",
    r"SELECT length('\x00ff10'::bytea) AS a, octet_length('\x'::bytea) AS b,"
    r" length('héllo'::text::bytea) AS c",
    r"SELECT '\x0102'::bytea || '\x03'::bytea AS a, '\x01'::bytea || '\x' AS b, NULL::bytea || '\x01'::bytea AS c",
    r"SELECT substring('\x0102030405'::bytea from 2 for 3) AS a, substr('\x0102030405'::bytea, 4) AS b,"
    r" substring('\x0102'::bytea, -1, 3) AS c, substring('\x0102'::bytea, 5) AS d",
    r"SELECT md5('\x00ff'::bytea) AS a, sha256('abc'::bytea) AS b, sha224('\x'::bytea) AS c,"
    r" sha512('abc'::bytea) AS d, sha384('\x00'::bytea) AS e",
    r"SELECT encode('\x00ff5c41'::bytea, 'hex') AS a, encode('\x00ff5c41'::bytea, 'escape') AS b,"
    r" encode('\x00ff5c41'::bytea, 'base64') AS c, encode(sha512('x'::bytea) || sha512('y'::bytea), 'base64') AS d",
    r"SELECT decode('00ff41', 'hex') AS a, decode('AP9cQQ==', 'base64') AS b, decode('a\\b\000', 'escape') AS c,"
    r" decode(encode('\x0001fe'::bytea, 'base64'), 'base64') AS d",
    r"SELECT '\x01'::bytea = '\x01'::bytea AS a, '\x01'::bytea <> '\x0100'::bytea AS b",
]


@pytest.mark.parametrize("sql", BYTEA_CONSTANTS)
def test_bytea_functions(db, sql):
    exact(db, sql)


def test_bytea_errors(db):
    db.both_error(r"SELECT encode('\x00'::bytea, 'rot13')", "22023")
    db.both_error("SELECT decode('0g', 'hex')", "22023")
    db.both_error(r"SELECT substring('\x01'::bytea, 1, -1)", "22011")


def test_bytea_table(db):
    rnd = random.Random(21)
    db.exec_both("DROP TABLE IF EXISTS by_dist")
    db.exec_both("CREATE TABLE by_dist (id int PRIMARY KEY, b bytea)")
    rows = [(i, None if i % 17 == 0 else bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 40))))
            for i in range(200)]
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.execute("INSERT INTO by_dist VALUES " + ",".join(
                cur.mogrify("(%s, %s)", r).decode() for r in rows))
    for sql in ["SELECT id, b, length(b), md5(b), encode(b, 'base64'), encode(b, 'escape') FROM by_dist ORDER BY id",
                r"SELECT id, substring(b from 2 for 4) || '\xff'::bytea, sha256(b) FROM by_dist ORDER BY id",
                "SELECT length(b), count(*) FROM by_dist GROUP BY length(b) ORDER BY 1",
                "SELECT id FROM by_dist WHERE decode(encode(b, 'hex'), 'hex') = b ORDER BY id"]:
        exact(db, sql)


def test_copy_in_and_out_of_the_new_types(db):
    """COPY FROM text parses each type's input forms; COPY TO prints each
    type's output (uuid lowercase, interval postgres style, bytea hex)."""
    data = ("1\tA0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11\t1 day 2 hours\t\\\\x00ff\n"
            "2\t{b0eebc999c0b4ef8bb6d6bb9bd380a11}\tP1Y2M\t\\\\x\n"
            "3\t\\N\t-1 week\t\\N\n")
    outs = []
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS t2_copy")
            cur.execute("CREATE TABLE t2_copy (id int PRIMARY KEY, u uuid, d interval, b bytea)")
            cur.copy_expert("COPY t2_copy FROM STDIN", io.StringIO(data))
            out = io.StringIO()
            cur.copy_expert("COPY (SELECT * FROM t2_copy ORDER BY id) TO STDOUT", out)
            outs.append(out.getvalue())
    assert outs[0] == outs[1]
    assert "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\t1 day 02:00:00\t\\\\x00ff" in outs[0]
