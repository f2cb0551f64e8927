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


@pytest.fixture(scope="module", autouse=True)
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
def test_uuid_table(db, sql):
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


def test_uuid_no_min_max_in_pg15(db):
    db.both_error("SELECT min(id) FROM u_dist", "42883")
    db.both_error("SELECT max(owner) FROM u_dist", "42883")


def test_uuid_catalog(db):
    exact(db, "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), t.typname::text,"
              " t.typlen"
              " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
              " WHERE a.attrelid = 'u_dist'::regclass AND a.attnum > 0 ORDER BY a.attnum")
