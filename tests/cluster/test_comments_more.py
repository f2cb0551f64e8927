"""COMMENT ON SEQUENCE and COMMENT ON CONSTRAINT ... ON table (primary key,
CHECK, foreign key, UNIQUE): pg_description and obj_description as
PostgreSQL 15's, errors as its, a comment goes with its object and
survives a leader restart (catalog_comment.c, pgc_comment.c)."""
import pytest

from conftest import Cluster

SCHEMA = [
    "CREATE TABLE cc_p (id int PRIMARY KEY, code text)",
    "ALTER TABLE cc_p ADD CONSTRAINT cc_p_code_key UNIQUE (id, code)",
    "CREATE TABLE cc_t (p int, id int, n int, PRIMARY KEY (p, id))",  # co-located key
    "ALTER TABLE cc_t ADD CONSTRAINT cc_t_n_check CHECK (n > 0)",
    "ALTER TABLE cc_t ADD CONSTRAINT cc_t_p_fkey FOREIGN KEY (p) REFERENCES cc_p (id)",
    "CREATE SEQUENCE cc_seq",
]
COMMENTS = [
    "COMMENT ON SEQUENCE cc_seq IS 'numbers'",
    "COMMENT ON CONSTRAINT cc_t_pkey ON cc_t IS 'the key'",
    "COMMENT ON CONSTRAINT cc_t_n_check ON cc_t IS 'positive'",
    "COMMENT ON CONSTRAINT cc_t_p_fkey ON cc_t IS 'to cc_p'",
    "COMMENT ON CONSTRAINT cc_p_code_key ON public.cc_p IS 'unique pair'",
]
CONSTRAINTS = """
SELECT c.conname::text, c.contype::text, d.description,
       obj_description(c.oid, 'pg_constraint') FROM pg_description d
JOIN pg_constraint c ON c.oid = d.objoid
WHERE d.classoid = 'pg_constraint'::regclass AND c.conname LIKE 'cc_%' ORDER BY 1"""


@pytest.fixture(scope="module")
def both(db):
    for s in SCHEMA + COMMENTS:
        db.exec_both(s)
    return db


def test_sequence_comment_as_postgres(both):
    assert both.both("SELECT obj_description('cc_seq'::regclass, 'pg_class'), "
                     "obj_description('cc_seq'::regclass)") == [("numbers", "numbers")]
    both.both("SELECT c.relname::text, c.relkind::text, d.description FROM pg_description d "
              "JOIN pg_class c ON c.oid = d.objoid WHERE c.relname = 'cc_seq'")


def test_constraint_comments_as_postgres(both):
    rows = both.both(CONSTRAINTS)
    assert len(rows) == 4, rows


def test_errors_as_postgres(both):
    both.both_error("COMMENT ON CONSTRAINT nope ON cc_t IS 'x'", "42704")
    both.both_error("COMMENT ON CONSTRAINT cc_t_pkey ON nope IS 'x'", "42P01")
    both.both_error("COMMENT ON SEQUENCE nope IS 'x'", "42P01")
    both.both_error("COMMENT ON SEQUENCE cc_t IS 'x'", "42809")


def test_comment_goes_with_its_constraint_and_sequence(both):
    both.exec_both("CREATE TABLE cc_g (id int PRIMARY KEY, n int)")
    both.exec_both("ALTER TABLE cc_g ADD CONSTRAINT cc_g_chk CHECK (n > 0)")
    both.exec_both("COMMENT ON CONSTRAINT cc_g_chk ON cc_g IS 'gone soon'")
    both.exec_both("CREATE SEQUENCE cc_gs")
    both.exec_both("COMMENT ON SEQUENCE cc_gs IS 'gone too'")
    both.exec_both("ALTER TABLE cc_g DROP CONSTRAINT cc_g_chk")
    both.exec_both("DROP SEQUENCE cc_gs")
    # a new object of the same name does not inherit the old description
    both.exec_both("ALTER TABLE cc_g ADD CONSTRAINT cc_g_chk CHECK (n > 1)")
    both.exec_both("CREATE SEQUENCE cc_gs")
    assert both.both("SELECT obj_description(c.oid, 'pg_constraint') FROM pg_constraint c "
                     "WHERE conname = 'cc_g_chk'") == [(None,)]
    assert both.both("SELECT obj_description('cc_gs'::regclass, 'pg_class')") == [(None,)]
    both.exec_both("COMMENT ON CONSTRAINT cc_g_chk ON cc_g IS NULL")


def test_comments_survive_leader_restart():
    c = Cluster(followers=1)
    try:
        c.start()
        conn = c.connect()
        with conn.cursor() as cur:
            for s in SCHEMA + COMMENTS:
                cur.execute(s)
        conn.close()
        c.stop()
        c.start()
        conn = c.connect()
        with conn.cursor() as cur:
            cur.execute(CONSTRAINTS)
            assert [r[0] for r in cur.fetchall()] == \
                ["cc_p_code_key", "cc_t_n_check", "cc_t_p_fkey", "cc_t_pkey"]
            cur.execute("SELECT obj_description('cc_seq'::regclass, 'pg_class')")
            assert cur.fetchall() == [("numbers",)]
        conn.close()
    finally:
        c.cleanup()
