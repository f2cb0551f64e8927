"""varchar(n) / char(n) hold what they declare on every write path, as
PostgreSQL's assignment does: INSERT of constants (the leader encodes the
row), INSERT … SELECT, UPDATE SET and ON CONFLICT DO UPDATE (the
followers' SQL) refuse a longer value with 22001 naming the type, and cut
spaces past the limit instead of refusing them.  Before: UPDATE SET v =
'abcdef' on a varchar(3) succeeded and stored it, and INSERT of 'abc   '
was refused where PostgreSQL stores 'abc'."""
import pytest

STEPS = [
    "INSERT INTO vc VALUES (1, 'abc', 'ab')",
    "INSERT INTO vc VALUES (2, 'abc   ', 'ab    ')",
    "UPDATE vc SET v = 'abcdef' WHERE id = 1",
    "UPDATE vc SET c = 'abcd' WHERE id = 1",
    "UPDATE vc SET v = 12345 WHERE id = 1",
    "UPDATE vc SET v = 'xy  z' WHERE id = 1",
    "UPDATE vc SET v = 'xy    ' WHERE id = 1",
    "UPDATE vc SET v = v || 'é' WHERE id = 1",
    "INSERT INTO vc VALUES (1, 'a', 'b') ON CONFLICT (id) DO UPDATE SET v = 'zzzzz'",
    "INSERT INTO vc SELECT 9, v || 'q', c FROM vc WHERE id = 2",
    "INSERT INTO vc SELECT 8, v || '  ', c FROM vc WHERE id = 2",
    "INSERT INTO vc VALUES (3, 'ééé', 'ééé'), (4, 'éééé', 'x')",
]


@pytest.fixture(scope="module")
def vc(db):
    db.exec_both("DROP TABLE IF EXISTS vc")
    db.exec_both("CREATE TABLE vc (id int PRIMARY KEY, v varchar(3), c char(3))")
    return db


def test_every_write_path_keeps_the_declared_length(vc):
    for sql in STEPS:
        vc.both(sql)  # same outcome: the same rows changed, or the same SQLSTATE
    vc.both("SELECT id, v, length(v), octet_length(v) FROM vc ORDER BY id")


def test_the_message_names_the_type(vc):
    e = vc.both_error("UPDATE vc SET c = 'abcd' WHERE id = 1", "22001")
    assert e.diag.message_primary == "value too long for type character(3)"
    e = vc.both_error("UPDATE vc SET v = 'abcd' WHERE id = 1", "22001")
    assert e.diag.message_primary == "value too long for type character varying(3)"
