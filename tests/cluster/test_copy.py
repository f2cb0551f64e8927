"""COPY FROM STDIN (psycopg2 copy_expert), text and CSV, against PostgreSQL."""
import io

import pytest

DDL = "CREATE TABLE %s (id int PRIMARY KEY, name text, score double precision, born date, note text)"


def copy_both(db, sql, payload):
    """Run the same COPY on both; return the row count (from "COPY n")."""
    counts = []
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.copy_expert(sql, io.StringIO(payload))
            counts.append(cur.rowcount)
    assert counts[0] == counts[1], counts
    return counts[0]


TEXT = (
    "1\talice\t1.5\t2000-01-01\tplain\n"
    "2\tbob\t\\N\t\\N\twith\\ttab\n"
    "3\tcarol\t-2.25\t1999-12-31\tnew\\nline\n"
    "4\t\\N\t0\t2024-02-29\tback\\\\slash\n"
    "5\tÉmile zoë\t1e10\t1970-01-01\t\n"
)

CSV = (
    'id,name,score,born,note\n'
    '1,"Smith, John",1.5,2000-01-01,"said ""hi"""\n'
    '2,plain,,,\n'
    '3,"",-2,1999-12-31,"multi\nline"\n'
    '4,x,3.25,2024-02-29,""\n'
)


def test_copy_text(db):
    db.exec_both(DDL % "c_text")
    assert copy_both(db, "COPY c_text FROM STDIN", TEXT) == 5
    db.both("SELECT * FROM c_text")
    db.both("SELECT id FROM c_text WHERE note IS NULL OR name IS NULL OR score IS NULL")


def test_copy_csv_with_header(db):
    db.exec_both(DDL % "c_csv")
    copy_both(db, "COPY c_csv FROM STDIN WITH (FORMAT csv, HEADER true)", CSV)
    db.both("SELECT * FROM c_csv")
    db.both("SELECT id, name IS NULL AS name_null, note IS NULL AS note_null FROM c_csv")


def test_copy_csv_legacy_syntax(db):
    db.exec_both(DDL % "c_csv2")
    copy_both(db, "COPY c_csv2 FROM STDIN CSV HEADER", CSV)
    db.both("SELECT * FROM c_csv2")


def test_copy_column_list(db):
    db.exec_both(DDL % "c_cols")
    copy_both(db, "COPY c_cols (id, note) FROM STDIN", "1\tone\n2\ttwo\n3\t\\N\n")
    db.both("SELECT * FROM c_cols")


def test_copy_many_rows_spread_over_shards(db):
    db.exec_both(DDL % "c_big")
    n = 20000
    payload = "".join("%d\tname%d\t%d.5\t2020-01-%02d\tnote %d\n" % (i, i % 97, i, 1 + i % 28, i)
                      for i in range(1, n + 1))
    assert copy_both(db, "COPY c_big FROM STDIN", payload) == n
    db.both("SELECT count(*), sum(id), sum(score), min(born), max(name) FROM c_big")
    db.both("SELECT name, count(*) FROM c_big GROUP BY name")
    db.both("SELECT * FROM c_big WHERE id = 12345")
    cols, rows = db.murphy("SELECT node, sum(rows) FROM murphy.shards WHERE table_name = 'c_big' "
                           "GROUP BY node")
    holders = [r for r in rows if r[1] and int(r[1]) > 0]
    assert len(holders) >= 2, "COPY did not spread rows over followers: %r" % rows


def test_copy_bad_row_fails_whole_copy(db):
    db.exec_both(DDL % "c_bad")
    db.exec_both("INSERT INTO c_bad (id, name) VALUES (1000, 'before')")
    bad = "".join("%d\tok\t1\t2020-01-01\tx\n" % i for i in range(1, 200)) + "oops\tbad\t1\t\\N\t\\N\n"
    codes = []
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            with pytest.raises(Exception) as e:
                cur.copy_expert("COPY c_bad FROM STDIN", io.StringIO(bad))
            codes.append(getattr(e.value, "pgcode", None))
    assert codes == ["22P02", "22P02"], codes
    db.both("SELECT * FROM c_bad")


def test_copy_duplicate_key(db):
    db.exec_both(DDL % "c_dup")
    codes = []
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            with pytest.raises(Exception) as e:
                cur.copy_expert("COPY c_dup (id) FROM STDIN", io.StringIO("1\n2\n1\n"))
            codes.append(getattr(e.value, "pgcode", None))
    assert codes == ["23505", "23505"], codes
    db.both("SELECT count(*) FROM c_dup WHERE id = 1")


def test_connection_usable_after_copy(db):
    db.both("SELECT count(*) FROM c_text")
