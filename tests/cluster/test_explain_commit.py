"""EXPLAIN ANALYZE of a write runs it (as PostgreSQL does) and names the
commit path it took, which changes with the shards it touched (issue 16,
"Visible"; docs/transactions.md): an autocommit statement on one shard is
its own decision; on several, a two-phase commit with one participant per
shard written: by default staged at quorum (parallel commits), with
`murphy.parallel_commits = off` the decision recorded and one marker per
participant, each phase timed; in a block the commit waits for COMMIT, and the plan says
which path a COMMIT would take now.  Read through psycopg2 and psql.
"""
import re
import subprocess

SHARDS = 4


def scalar(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]


def explain(conn, sql):
    with conn.cursor() as cur:
        cur.execute("EXPLAIN ANALYZE " + sql)
        return "\n".join(r[0] for r in cur.fetchall())


def shard_of(conn, key):
    with conn.cursor() as cur:
        cur.execute("EXPLAIN SELECT * FROM xc WHERE id = %d" % key)
        plan = "\n".join(r[0] for r in cur.fetchall())
    return int(re.search(r"\(shard (\d+)\)", plan).group(1))


def ids_on_shards(conn, n):
    out = {}
    for i in range(1, 500):
        out.setdefault(shard_of(conn, i), i)
        if len(out) == n:
            return sorted(out.values())
    raise AssertionError("fewer than %d shards hold ids" % n)


def make_table(cluster):
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE xc (id int PRIMARY KEY, v int NOT NULL) WITH (shards = %d)"
                    % SHARDS)
        cur.execute("INSERT INTO xc VALUES " + ",".join("(%d, 0)" % i for i in range(1, 101)))
    return conn


def test_explain_analyze_of_writes_names_the_commit_path(cluster):
    conn = make_table(cluster)
    one, two, three = ids_on_shards(conn, 3)

    text = explain(conn, "UPDATE xc SET v = v + 1 WHERE id = %d" % one)
    assert "Commit: autocommit: entry is its own decision" in text, text
    assert "two-phase" not in text, text
    assert scalar(conn, "SELECT v FROM xc WHERE id = %d" % one) == 1  # it ran

    # by default (murphy.parallel_commits on) a multi-shard statement
    # commits by staging markers; off, by a recorded decision and markers
    for ids in ((one, two), (one, two, three)):
        text = explain(conn, "UPDATE xc SET v = v + 1 WHERE id IN (%s)"
                       % ",".join(map(str, ids)))
        m = re.search(r"Commit: two-phase: (\d+) participants, staged at quorum "
                      r"\([\d.]+ ms, 1 round, no decision fsync\): committed; no commit "
                      r"markers", text)
        assert m and int(m.group(1)) == len(ids), text
        assert re.search(r"Writes: %d rows changed, each shard's entry at its write quorum "
                         r"\(prepared\) in 2 rounds" % len(ids), text), text
    with conn.cursor() as cur:
        cur.execute("SET murphy.parallel_commits = off")
    for ids in ((one, two), (one, two, three)):
        text = explain(conn, "UPDATE xc SET v = v + 1 WHERE id IN (%s)"
                       % ",".join(map(str, ids)))
        m = re.search(r"Commit: two-phase: (\d+) participants, decision recorded "
                      r"\(([\d.]+) ms, one decision-log fsync\), (\d+) markers "
                      r"\(1 round at quorum, ([\d.]+) ms\)", text)
        assert m, text
        assert int(m.group(1)) == len(ids) and int(m.group(3)) == len(ids), text
        assert re.search(r"Writes: %d rows changed, each shard's entry at its write quorum "
                         r"\(prepared\) in 2 rounds" % len(ids), text), text
    with conn.cursor() as cur:
        cur.execute("RESET murphy.parallel_commits")

    text = explain(conn, "INSERT INTO xc VALUES (1001, 0)")
    assert "Commit: autocommit: entry is its own decision" in text, text
    assert "in 1 round (the rows go to every copy at once)" in text, text
    text = explain(conn, "DELETE FROM xc WHERE id = 1001")
    assert "Commit: autocommit" in text, text
    assert scalar(conn, "SELECT count(*) FROM xc WHERE id = 1001") == 0

    # in a block: deferred; the path a COMMIT would take grows with the shards
    blk = cluster.connect(autocommit=False)
    txid = scalar(blk, "SELECT txid_current()")
    text = explain(blk, "UPDATE xc SET v = v + 1 WHERE id = %d" % one)
    assert ("Commit: deferred to COMMIT (transaction block, txid %d, 1 shard written so far): "
            "a COMMIT now takes one shard (marker at quorum, 1 round)" % txid) in text, text
    text = explain(blk, "UPDATE xc SET v = v + 1 WHERE id = %d" % two)
    assert "2 shards written so far): a COMMIT now takes two-phase" in text, text
    # a row insert in a block is answered at its primary too (the rows go to
    # every copy at once; COMMIT waits for their quorum)
    text = explain(blk, "INSERT INTO xc VALUES (%d, 0)" % (1000 + one))
    assert ("logged on its primary (pipelined: COMMIT waits for its write quorum) in 1 round "
            "(the rows go to every copy at once)") in text, text
    blk.rollback()
    assert scalar(conn, "SELECT v FROM xc WHERE id = %d" % one) == 5  # the block's undone
    conn.close()


def test_psql_shows_the_commit_path(cluster):
    conn = make_table(cluster) if not table_exists(cluster) else cluster.connect()
    r = subprocess.run(["psql", "-X", "-A", "-t", "-h", "127.0.0.1", "-p", str(cluster.port),
                        "-U", "murphy", "-d", "murphy", "-c",
                        "EXPLAIN ANALYZE UPDATE xc SET v = v + 1"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert re.search(r"Commit: two-phase: %d participants, staged at quorum .*: committed"
                     % SHARDS, r.stdout), r.stdout
    conn.close()


def table_exists(cluster):
    conn = cluster.connect()
    try:
        return scalar(conn, "SELECT count(*) FROM murphy.shards WHERE table_name = 'xc'") > 0
    finally:
        conn.close()
