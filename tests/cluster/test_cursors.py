"""SQL cursors (DECLARE / FETCH / MOVE / CLOSE, psycopg2 named cursors),
portal row limits (Execute with max rows), and SQL PREPARE / EXECUTE /
DEALLOCATE, each compared with PostgreSQL 15 in the same test."""
import psycopg2
import pytest

from test_protocol import SYNC, bind, execute, normalize, parse
from wire import login, raw, read_messages

NROWS = 237


@pytest.fixture(scope="module")
def tables(db):
    db.exec_both("CREATE TABLE cur_t (id int PRIMARY KEY, name text, score float8)")
    for conn in (db.m, db.p):
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO cur_t VALUES (%s, %s, %s)",
                            [(i, "n%d" % i if i % 7 else None, i / 8) for i in range(NROWS)])
    return db


def in_block(conn, statements):
    """Run statements in one block; each gives (status, rows or None) or
    ('ERROR', sqlstate), which ends the block."""
    out = []
    conn.autocommit = False
    try:
        with conn.cursor() as cur:
            for sql in statements:
                try:
                    cur.execute(sql)
                except psycopg2.Error as e:
                    out.append(("ERROR", e.pgcode))
                    break
                rows = cur.fetchall() if cur.description else None
                out.append((cur.statusmessage, rows))
    finally:
        conn.rollback()
        conn.autocommit = True
    return out


def both_in_block(db, statements):
    m, p = in_block(db.m, statements), in_block(db.p, statements)
    assert m == p, "murphy:   %r\npostgres: %r" % (m, p)
    return m


def test_fetch_move_close(tables):
    got = both_in_block(tables, [
        "DECLARE c CURSOR FOR SELECT id, name, score FROM cur_t ORDER BY id",
        "FETCH 3 FROM c", "FETCH NEXT FROM c", "FETCH c", "MOVE 10 IN c",
        "FETCH FORWARD 4 c", "MOVE FORWARD ALL IN c", "FETCH c", "CLOSE c",
        "DECLARE d NO SCROLL CURSOR FOR SELECT count(*), sum(id) FROM cur_t",
        "FETCH ALL d", "FETCH ALL d", "CLOSE ALL", "FETCH d"])
    assert got[1][1] == [(0, None, 0.0), (1, "n1", 0.125), (2, "n2", 0.25)]
    assert got[-1] == ("ERROR", "34000")


def test_cursor_over_distributed_scan_sees_every_row(tables):
    got = both_in_block(tables, [
        "DECLARE s CURSOR FOR SELECT id FROM cur_t WHERE id % 2 = 0 ORDER BY id DESC",
        "FETCH 50 s", "FETCH ALL s", "FETCH 1 s"])
    assert len(got[1][1]) + len(got[2][1]) == (NROWS + 1) // 2 and got[3][1] == []


@pytest.mark.parametrize("statements,state", [
    (["FETCH nope"], "34000"),
    (["CLOSE nope"], "34000"),
    (["DECLARE c CURSOR FOR SELECT 1", "DECLARE c CURSOR FOR SELECT 2"], "42P03"),
    (["DECLARE c CURSOR FOR SELECT * FROM no_such_table"], "42P01"),
])
def test_cursor_errors(tables, statements, state):
    assert both_in_block(tables, statements)[-1] == ("ERROR", state)


def test_declare_outside_block_and_cursor_ends_with_block(tables):
    for conn in (tables.m, tables.p):
        with conn.cursor() as cur:
            with pytest.raises(psycopg2.Error) as ei:
                cur.execute("DECLARE c CURSOR FOR SELECT 1")
            assert ei.value.pgcode == "25P01"
            cur.execute("BEGIN")
            cur.execute("DECLARE c CURSOR FOR SELECT id FROM cur_t ORDER BY id")
            cur.execute("FETCH 2 c")
            assert cur.fetchall() == [(0,), (1,)]
            cur.execute("COMMIT")
            with pytest.raises(psycopg2.Error) as ei:
                cur.execute("FETCH c")
            assert ei.value.pgcode == "34000"


def test_refused_cursor_kinds(tables):
    """What murphy does not build is refused, not done differently."""
    for sql in ("DECLARE h CURSOR WITH HOLD FOR SELECT 1", "DECLARE b BINARY CURSOR FOR SELECT 1"):
        assert in_block(tables.m, [sql]) == [("ERROR", "0A000")]
    assert in_block(tables.m, ["DECLARE c SCROLL CURSOR FOR SELECT 1", "FETCH PRIOR c"]) == [
        ("DECLARE CURSOR", None), ("ERROR", "0A000")]


@pytest.mark.parametrize("itersize", [1, 10, 2000])
def test_psycopg2_named_cursor(cluster, tables, itersize):
    """psycopg2's server-side cursor: DECLARE, then FETCH FORWARD itersize
    until a short batch, then CLOSE."""
    results = []
    for conn in (cluster.connect(autocommit=False), psycopg2.connect(tables.p.dsn)):
        with conn.cursor("named_%d" % itersize) as cur:
            cur.itersize = itersize
            cur.execute("SELECT id, name FROM cur_t WHERE id > %s ORDER BY id", (5,))
            results.append(list(cur))
        conn.commit()
        conn.close()
    assert results[0] == results[1] and len(results[0]) == NROWS - 6


def test_psycopg2_named_cursor_fetchmany(cluster, tables):
    conn = cluster.connect(autocommit=False)
    with conn.cursor("fm") as cur:
        cur.execute("SELECT id FROM cur_t ORDER BY id")
        assert cur.fetchmany(3) == [(0,), (1,), (2,)]
        assert cur.fetchone() == (3,)
        assert len(cur.fetchall()) == NROWS - 4
    conn.rollback()
    conn.close()


def test_prepare_execute_deallocate(tables):
    got = both_in_block(tables, [
        "PREPARE q (int, text) AS SELECT id, name, $2 || '!' FROM cur_t WHERE id = $1",
        "EXECUTE q(8, 'hi')", "EXECUTE q(-1, NULL)", "EXECUTE q (14, 'x''y')",
        "PREPARE r AS SELECT count(*) FROM cur_t WHERE id < $1 AND name IS NOT NULL",
        "EXECUTE r(100)",
        "PREPARE w AS INSERT INTO cur_t VALUES ($1, $2, $3)",
        "EXECUTE w(1000, 'new', 2.5)", "EXECUTE q(1000, 'back')",
        "DEALLOCATE q", "DEALLOCATE ALL", "EXECUTE r(1)"])
    assert got[1][1] == [(8, "n8", "hi!")]
    assert got[-1] == ("ERROR", "26000")


@pytest.mark.parametrize("statements,state", [
    (["EXECUTE nope"], "26000"),
    (["EXECUTE nope(1)"], "26000"),
    (["DEALLOCATE nope"], "26000"),
    (["PREPARE p AS SELECT 1", "PREPARE p AS SELECT 2"], "42P05"),
    (["PREPARE p (int) AS SELECT $1", "EXECUTE p(1, 2)"], "42601"),
    (["PREPARE p AS SELECT * FROM no_such_table"], "42P01"),
])
def test_prepare_errors(tables, statements, state):
    for conn in (tables.m, tables.p):  # prepared statements outlive blocks
        with conn.cursor() as cur:
            cur.execute("DEALLOCATE ALL")
    assert both_in_block(tables, statements)[-1] == ("ERROR", state)


def test_sql_prepare_shares_names_with_protocol(cluster, tables):
    """A statement PREPAREd in SQL is a protocol statement too (and the
    reverse): psycopg2 with autocommit."""
    for conn in (tables.m, tables.p):
        with conn.cursor() as cur:
            cur.execute("PREPARE shared (int) AS SELECT name FROM cur_t WHERE id = $1")
            cur.execute("EXECUTE shared(3)")
            assert cur.fetchall() == [("n3",)]
            cur.execute("DEALLOCATE shared")


@pytest.fixture(scope="module")
def sessions(cluster, pg, pgconn, tables):
    m = raw(cluster.port)
    login(m)
    p = raw(pg.port)
    login(p, b"postgres", pgconn.info.dbname.encode())
    yield m, p
    m.close()
    p.close()


def test_execute_max_rows(sessions):
    """Execute with a row limit: that many DataRows and PortalSuspended,
    the next Execute goes on; the last ends with CommandComplete."""
    payload = (parse("lim", "SELECT id, name FROM cur_t WHERE id < 11 ORDER BY id") +
               bind("pl", "lim") + execute("pl", 4) + execute("pl", 4) + execute("pl", 4) +
               execute("pl", 4) + SYNC)
    answers = []
    for s in sessions:
        s.sendall(payload)
        answers.append(normalize(read_messages(s)))
    assert answers[0] == answers[1], answers
    kinds = b"".join(k for k, _ in answers[0])
    assert kinds == b"12DDDDsDDDDsDDDC" + b"CZ" or kinds == b"12DDDDsDDDDsDDDCCZ", kinds
    assert answers[0][-3] == (b"C", b"SELECT 3\0"), answers[0]


def test_fetch_and_execute_described_over_extended_protocol(cluster, pgconn, tables):
    """psycopg 3 prepares FETCH and EXECUTE (Parse, Describe, Bind,
    Execute): Describe must give the cursor's or the prepared statement's
    columns (it sent NoData, then DataRows: "D message without T")."""
    import psycopg
    got = []
    for dsn in (cluster.dsn(), pgconn.dsn):
        with psycopg.connect(dsn) as conn:
            cur = conn.cursor()
            cur.execute("DECLARE c CURSOR FOR SELECT id, name FROM cur_t ORDER BY id")
            cur.execute("FETCH 3 FROM c", prepare=True)
            one = ([d.name for d in cur.description], cur.fetchall())
            cur.execute("FETCH 2 FROM c", prepare=True)
            two = cur.fetchall()
            cur.execute("PREPARE q2 (int) AS SELECT id, name FROM cur_t WHERE id = $1")
            cur.execute("EXECUTE q2(8)", prepare=True)
            three = ([d.name for d in cur.description], cur.fetchall())
            conn.rollback()
        got.append((one, two, three))
    assert got[0] == got[1]
    assert got[0][0][1] and got[0][1]
