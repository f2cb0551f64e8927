"""A read of a shard whose only write in flight is the lazy commit marker
of a committed transaction does not wait for that marker (issue 16,
docs/transactions.md, "Reads behind a decided transaction's marker").

By parallel commits a multi-shard COMMIT is answered once every staging
marker holds; no commit marker is sent, and a shard nobody writes for a
second gets the marker from the leader's tick (lazy markers), which holds
the shard's lock while it is out.  The transaction is committed and the
marker changes no rows, so a read there goes on: it reads the committed
rows (a copy holding the staging marker serves them to a strong read), and
when the shard's copies cannot be reached it takes the ordinary path — a
strong read fails 08006 naming the shard, an available one with
`murphy.allow_partial_results` answers without it.

On /work/base/murphy-s17 (with `SET murphy.parallel_commits = on`) both
tests fail: the read waits at the shard's gate for the marker until its
statement_timeout (57014).

Real processes; a partition is murphy's transport partition
(`murphy.fault('partition fN leader')`).
"""
import os
import time

import psycopg2
import pytest

from conftest import owned_cluster, timer_args
from test_read_retry import fault, placements, primary_of, rows, wait_all_current, wait_until

SUSPECT_MS = 1000  # a cut node is suspect after 1 s of silence
DEAD_MS = 60000    # and never dead during a test: no rebuild moves copies
LAZY_S = 2.5       # the tick sends a lazy marker 1-2 s after the shard went idle
TIMEOUT = "8s"     # the reads' statement_timeout: on base they wait until it


@pytest.fixture(scope="module")
def cl(request):
    yield from owned_cluster(request, start_args=timer_args(SUSPECT_MS, DEAD_MS))


def connect(cl, *sets):
    conn = cl.connect()
    for s in ("SET murphy.parallel_commits = on", "SET statement_timeout = '%s'" % TIMEOUT) + sets:
        rows(conn, s)
    return conn


def commit_block(cl, *statements):
    """One block of statements committed by parallel commits: its txid."""
    conn = connect(cl)
    conn.autocommit = False
    txid = rows(conn, "SELECT txid_current()")[0][0]
    for sql in statements:
        rows(conn, sql)
    conn.commit()
    conn.close()
    return txid


def wait_lazy_marker(cl, txid, shard, table):
    """Until the leader's tick has sent txid's lazy marker on shard of
    table (its log says so): the marker is out, and cannot land."""
    line = "transaction %d is recorded committed: appending its marker on shard %d of %s" \
        % (txid, shard, table)
    path = os.path.join(cl.dir, "leader", "murphy.log")

    def sent():
        with open(path, errors="replace") as f:
            return any(line in x for x in f)
    wait_until("the lazy marker of %d on shard %d of %s sent" % (txid, shard, table), sent,
               timeout=LAZY_S * 4)


def timed(conn, sql):
    t0 = time.monotonic()
    try:
        got = rows(conn, sql)
    except psycopg2.Error as e:
        got = e
    return time.monotonic() - t0, got


def wait_alive(admin, node):
    wait_until("%s alive again" % node,
               lambda: rows(admin, "SELECT state FROM murphy.nodes WHERE name = %s",
                            (node,)) == [("alive",)])


def test_cut_shard_whose_lazy_marker_is_out_is_left_out_or_named(cl):
    """Two shards, one copy each.  A parallel commit over both, then the
    follower of shard 0 cut before its lazy marker lands: an available read
    with allow_partial_results answers shard 1's rows (the transaction's
    values) with a WARNING naming shard 0, and a strong read fails 08006
    naming it — each within the suspect timeout plus a margin, not at the
    statement_timeout.  Healed, the marker lands and every row is there."""
    admin = cl.connect()
    rows(admin, "CREATE TABLE lz1 (id int PRIMARY KEY, v int) WITH (shards = 2, replicas = 1)")
    rows(admin, "INSERT INTO lz1 SELECT g, g FROM generate_series(1, 100) g")
    wait_all_current(admin, "lz1")
    where = {sh: n for sh, n, _, _, _ in placements(admin, "lz1")}
    assert where[0] != where[1], where
    lost = where[0]
    txid = commit_block(cl, "UPDATE lz1 SET v = v + 1000")
    fault(admin, "partition %s leader" % lost)
    wait_lazy_marker(cl, txid, 0, "lz1")  # out, and it cannot land

    try:
        conn = connect(cl, "SET murphy.read_consistency = 'available'",
                       "SET murphy.allow_partial_results = on")
        took, got = timed(conn, "SELECT id, v FROM lz1")
        notices = list(conn.notices)
        conn.close()
        conn = connect(cl)
        took2, got2 = timed(conn, "SELECT id, v FROM lz1")
        conn.close()
    finally:
        fault(admin, "heal")
    assert not isinstance(got, psycopg2.Error), (took, got)
    assert took < SUSPECT_MS / 1000 + 2.0, took
    assert got and all(v == i + 1000 for i, v in got), got  # the transaction's rows
    assert len(got) < 100, len(got)
    warn = [n for n in notices if "partial result" in n]
    assert len(warn) == 1 and "shard 0 of lz1" in warn[0], notices
    assert isinstance(got2, psycopg2.Error), ("answered with shard 0 cut", got2)
    assert got2.pgcode == "08006", (took2, got2.pgcode, str(got2))
    assert 'shard 0 of table "lz1"' in str(got2), str(got2)
    assert took2 < SUSPECT_MS / 1000 + 2.0, took2

    wait_alive(admin, lost)
    wait_all_current(admin, "lz1")
    got = rows(admin, "SELECT id, v FROM lz1 ORDER BY id")
    assert got == [(i, i + 1000) for i in range(1, 101)], got[:3]
    admin.close()


def test_strong_read_sees_a_commit_whose_lazy_marker_cannot_reach_its_quorum(cl):
    """A parallel commit over two one-shard tables of three copies each,
    then both replicas of the first cut, so that its lazy marker cannot
    reach its quorum: a strong read of it answers from its primary at once,
    with the committed transaction's values.  Healed, the marker lands."""
    admin = cl.connect()
    wait_until("every follower alive", lambda: {s for (s,) in rows(
        admin, "SELECT state FROM murphy.nodes WHERE role = 'follower'")} == {"alive"})
    for t in ("lz3a", "lz3b"):
        rows(admin, "CREATE TABLE %s (id int PRIMARY KEY, v int) WITH (shards = 1, replicas = 3)"
             % t)
        rows(admin, "INSERT INTO %s SELECT g, g FROM generate_series(1, 50) g" % t)
        wait_all_current(admin, t)
    prim = primary_of(admin, "lz3a")
    cut = sorted({n for _, n, _, _, _ in placements(admin, "lz3a")} - {prim})
    assert len(cut) == 2, cut
    txid = commit_block(cl, "UPDATE lz3a SET v = v + 1000", "UPDATE lz3b SET v = v + 1000")
    for n in cut:
        fault(admin, "partition %s leader" % n)
    wait_lazy_marker(cl, txid, 0, "lz3a")  # out, and it cannot reach its quorum
    time.sleep(SUSPECT_MS / 1000 + 0.5)  # the cut copies are suspect: no read goes there

    try:
        conn = connect(cl)
        took, got = timed(conn, "SELECT id, v FROM lz3a ORDER BY id")
        conn.close()
    finally:
        fault(admin, "heal")
    for n in cut:
        wait_alive(admin, n)
    wait_all_current(admin, "lz3a")
    assert not isinstance(got, psycopg2.Error), (took, got)
    assert got == [(i, i + 1000) for i in range(1, 51)], got[:3]
    assert took < 2.0, took
    assert rows(admin, "SELECT id, v FROM lz3b ORDER BY id") == \
        [(i, i + 1000) for i in range(1, 51)]
    admin.close()
