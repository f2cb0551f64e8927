"""A malformed task fails alone on the follower (docs/failures.md, "A
malformed task").

The leader's fault point `garble NODE MODE` (cluster/fault.h) spoils the
next task it sends follower f1: cut to half (truncate), an unknown kind,
a wrong encoding version, 3 bytes appended (trailing).  Each time:

- the follower answers that task with 08P01 naming the defect (a client
  whose statement used it gets that error), and logs it;
- it keeps its connection to the leader (no "reconnecting", never
  "suspect") and stays up (same pid; murphy.nodes says alive, after
  "returning" while a copy that missed a spoiled write catches up);
- the next statements, reads and writes, are answered normally and the
  copies stay identical.

Before this, a malformed task closed the follower's whole connection to
the leader, failing every task on it; murphy-s20 has no `garble` fault
point, so these tests fail there at the first murphy.fault.
"""
import re
import time

import psycopg2
import pytest

from conftest import fault

ROWS = 200
WHY = {
    "truncate": r"truncated task body \(\d+ bytes\), found reading its \w+",
    "kind": r"unknown task kind 250",
    "version": r"task encoding version \d+, expected \d+",
    "trailing": r"3 unexpected bytes after the task's last field",
}


@pytest.fixture(scope="module")
def conn(cluster):
    c = cluster.connect()
    with c.cursor() as cur:
        cur.execute("CREATE TABLE mt (id int PRIMARY KEY, v int) WITH (shards = 4)")
        cur.execute("INSERT INTO mt VALUES " + ", ".join("(%d, 0)" % i for i in range(ROWS)))
    yield c
    c.close()


def one(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()


def log_lines(cluster, needle):
    return [l for l in cluster.logs(lines=100000).splitlines() if needle in l]


def f1_state(conn):
    return one(conn, "SELECT state FROM murphy.nodes WHERE name = 'f1'")[0]


@pytest.mark.parametrize("mode", ["truncate", "kind", "version", "trailing"])
def test_malformed_task_fails_alone(cluster, conn, mode):
    pid = cluster.pid("f1")
    garbled_before = len(log_lines(cluster, "garbling a task to follower f1"))
    named_before = len(log_lines(cluster, "malformed task "))
    fault(conn, "garble f1 %s" % mode)
    errors = []
    # statements until one of their tasks to f1 took the spoiled frame
    # (reads take turns among the copies; writes reach every copy)
    for i in range(40):
        sql = ("SELECT count(*) FROM mt" if i % 2 == 0 else
               "UPDATE mt SET v = v + 1 WHERE id = %d" % (i % ROWS))
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
        except psycopg2.Error as e:
            errors.append(e)
        if len(log_lines(cluster, "garbling a task to follower f1")) > garbled_before:
            break
    else:
        raise AssertionError("no task went to f1")
    deadline = time.monotonic() + 5
    while len(log_lines(cluster, "malformed task ")) == named_before:
        assert time.monotonic() < deadline, "the follower never named the defect"
        time.sleep(0.05)
    named = log_lines(cluster, "malformed task ")[named_before:]
    assert any(" f1 " in l and re.search(WHY[mode], l) for l in named), named
    # a client that got the task's failure sees 08P01 naming the defect
    for e in errors:
        assert e.pgcode == "08P01", (e.pgcode, e.pgerror)
        assert re.search('follower "f1" got a malformed task from the leader: ' + WHY[mode],
                         e.diag.message_primary), e.diag.message_primary
    # the connection was kept, the follower is up and answers at once
    assert not log_lines(cluster, "malformed TASK from the leader; reconnecting")
    assert cluster.pid("f1") == pid
    # connected (a dropped connection shows "suspect"); "returning" while
    # a copy that missed the spoiled write catches up
    assert f1_state(conn) in ("alive", "returning")
    for _ in range(6):  # reads take turns: f1 answers some of them
        assert one(conn, "SELECT count(*) FROM mt") == (ROWS,)
    with conn.cursor() as cur:
        cur.execute("UPDATE mt SET v = v + 1 WHERE id < 10")
        assert cur.rowcount == 10
    assert not log_lines(cluster, "malformed TASK from the leader; reconnecting")
    assert cluster.pid("f1") == pid
    deadline = time.monotonic() + 15
    while f1_state(conn) != "alive":
        assert time.monotonic() < deadline, f1_state(conn)
        time.sleep(0.1)
