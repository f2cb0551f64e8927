"""`murphy demo` on a small data set: starts a cluster, loads users and
events through COPY, is idempotent, and the data has the promised shape."""
import os
import shutil
import subprocess
import tempfile

import psycopg2
import pytest

from conftest import MURPHY
from pgserver import free_port

EVENTS, USERS = 20000, 2000


@pytest.fixture(scope="module")
def demo():
    d = tempfile.mkdtemp(prefix="murphy-demo-")
    port = free_port(count=5)
    yield d, port
    subprocess.run([MURPHY, "local", "stop", "--dir", d], capture_output=True, timeout=60)
    shutil.rmtree(d, ignore_errors=True)


def run_demo(d, port, *flags):
    r = subprocess.run([MURPHY, "demo", "--dir", d, "--pg-port", str(port), "--events",
                        str(EVENTS), "--users", str(USERS)] + list(flags),
                       capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, "demo failed:\n%s\n%s" % (r.stdout, r.stderr)
    return r


def query(port, sql):
    conn = psycopg2.connect(host="127.0.0.1", port=port, user="murphy", dbname="murphy")
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def test_demo_loads_sample_data(demo):
    d, port = demo
    r = run_demo(d, port, "--no-psql")
    assert "postgresql://murphy@127.0.0.1:%d/murphy" % port in r.stdout
    assert "psql -h 127.0.0.1 -p %d" % port in r.stdout
    assert query(port, "SELECT count(*), count(DISTINCT id) FROM events") == [(EVENTS, EVENTS)]
    assert query(port, "SELECT count(*) FROM users") == [(USERS,)]
    assert all(os.path.exists(os.path.join(d, n, "murphy.pid")) for n in ("leader", "f1", "f2", "f3"))


def test_demo_data_shape(demo):
    d, port = demo
    states = query(port, "SELECT state, count(*) FROM users GROUP BY state ORDER BY count(*) DESC")
    assert all(len(s) == 2 and s.isupper() for s, _ in states)
    assert len(states) > 10 and states[0][1] > 3 * states[-1][1], "state not skewed: %r" % states
    kinds = query(port, "SELECT count(DISTINCT kind) FROM events")
    assert 4 <= kinds[0][0] <= 8
    (lo, hi), = query(port, "SELECT min(user_id), max(user_id) FROM events")
    assert lo >= 1 and hi <= USERS
    (first, last), = query(port, "SELECT min(created_at), max(created_at) FROM events")
    assert 300 <= (last - first).days <= 366
    spread = query(port, "SELECT node, sum(rows) FROM murphy.shards WHERE table_name = 'events' "
                         "GROUP BY node")
    assert len(spread) == 3 and all(int(n) > 0 for _, n in spread), spread


def test_demo_again_keeps_data(demo):
    """Also `make demo` without a terminal (tests/fresh): no --no-psql, stdin
    is /dev/null, so the demo must not open psql, and must exit leaving the
    cluster up."""
    d, port = demo
    r = run_demo(d, port)
    assert "already" in r.stdout
    assert "Opening psql" not in r.stdout and "Stop the cluster with" in r.stdout
    assert query(port, "SELECT count(*) FROM events") == [(EVENTS,)]
