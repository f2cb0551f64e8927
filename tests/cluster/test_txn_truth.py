"""The client is told the truth in the corners of transactions (issue 16,
"Ambiguity told honestly"; docs/transactions.md, "What the client hears"):

- a COMMIT whose marker could not be written, with nothing decided, is a
  certain rollback: 40000 "rolled back", never 40003 (the outcome is
  known) nor 08006 (the client's connection is fine);
- EXPLAIN ANALYZE of a write that changed no row says nothing was
  prepared, and an EXPLAIN ANALYZE write in a multi-statement Query is
  undone when a later statement of the Query fails.
"""
import os
import signal
import time

import psycopg2
import pytest

from conftest import owned_cluster
from test_txn_atomic import nothing_anywhere, scalar

TIMERS = ["--suspect-timeout-ms", "3000", "--dead-timeout-ms", "10000"]


@pytest.fixture
def fc(request):
    yield from owned_cluster(request, followers=3, start_args=TIMERS)


def replicas_of(conn, name):
    with conn.cursor() as cur:
        cur.execute("SELECT node FROM murphy.placements WHERE table_name = %s "
                    "AND role <> 'primary'", (name,))
        return [r[0] for r in cur.fetchall()]


def test_a_commit_whose_marker_failed_is_a_certain_rollback(fc):
    conn = fc.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE cr (id int PRIMARY KEY, v int NOT NULL) "
                    "WITH (shards = 1, replicas = 3)")
        cur.execute("INSERT INTO cr VALUES (1, 0)")
    time.sleep(0.2)
    replicas = replicas_of(conn, "cr")
    assert len(replicas) == 2, replicas
    blk = fc.connect(autocommit=False)
    with blk.cursor() as cur:
        # a row insert is at its quorum when answered: only the marker is left
        cur.execute("INSERT INTO cr VALUES (2, 7)")
    for node in replicas:
        os.kill(fc.pid(node), signal.SIGKILL)
    with pytest.raises(psycopg2.Error) as e:
        blk.commit()
    assert "rolled back" in str(e.value), e.value
    assert e.value.pgcode == "40000", (e.value.pgcode, str(e.value))
    blk.close()
    assert scalar(conn, "SELECT count(*) FROM cr WHERE id = 2") == 0
    fc.start()  # the killed followers come back and are undone
    nothing_anywhere(fc, conn, "cr", "id = 2")
    conn.close()
