"""Files of a node are its user's alone: data directories 0700; catalog,
copies, their -wal/-shm, logs, pid files and cluster.secret 0600, whatever
the umask of whoever started the node.  A cluster.secret with group or
world access is refused (as PostgreSQL refuses such a key file)."""
import os
import stat
import subprocess
import tempfile
import shutil

import pytest

from conftest import MURPHY
from pgserver import free_port
from test_fault_flag import BareLeader

REFUSE_WAIT_S = 5


def modes(root):
    """{path relative to root: permission bits} for everything below root."""
    out = {}
    for d, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(d, name)
            out[os.path.relpath(p, root)] = stat.S_IMODE(os.lstat(p).st_mode)
    return out


def test_local_cluster_files_are_private(cluster):
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE private_t (id int PRIMARY KEY, v text)")
        cur.execute("INSERT INTO private_t VALUES (1, 'a'), (2, 'b')")
    conn.close()
    m = modes(cluster.dir)
    for must in ("leader/cluster.secret", "leader/catalog.db", "leader/catalog.db-wal",
                 "leader/catalog.db-shm", "leader/catalog.db-decisions", "leader/murphy.log",
                 "leader/murphy.pid",
                 "f1/cluster.secret", "f1/murphy.log", "f1/data", "local.conf"):
        assert must in m, (must, sorted(m))
    assert any(p.startswith("f1/data/") and p.endswith(".db") for p in m), sorted(m)
    assert stat.S_IMODE(os.stat(cluster.dir).st_mode) == 0o700
    wrong = {p: oct(v) for p, v in m.items()
             if v != (0o700 if os.path.isdir(os.path.join(cluster.dir, p)) else 0o600)}
    assert not wrong, wrong


def test_bare_leader_files_private_under_an_open_umask():
    """Started with umask 0 in a 0755 directory: still 0700 and 0600."""
    d = tempfile.mkdtemp(prefix="murphy-leader-")
    os.chmod(d, 0o755)
    old = os.umask(0)
    try:
        leader = BareLeader(dir=d)
    finally:
        os.umask(old)
    try:
        leader.connect().close()
        m = modes(d)
        for must in ("cluster.secret", "catalog.db", "murphy.pid"):
            assert m.get(must) == 0o600, (must, oct(m.get(must, 0)), m)
        assert all(v == 0o600 for v in m.values()), {p: oct(v) for p, v in m.items()}
        assert stat.S_IMODE(os.stat(d).st_mode) == 0o700
    finally:
        leader.stop()


def start_refused(args, d):
    """Run a node that must refuse to start: its exit code and output."""
    p = subprocess.Popen([MURPHY] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, text=True)
    try:
        out, _ = p.communicate(timeout=REFUSE_WAIT_S)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        pytest.fail("the node started with a readable secret in %s:\n%s" % (d, out[-2000:]))
    return p.returncode, out


@pytest.mark.parametrize("role", ["leader", "follower"])
def test_secret_with_group_access_is_refused(role):
    d = tempfile.mkdtemp(prefix="murphy-secret-")
    path = os.path.join(d, "cluster.secret")
    try:
        with open(path, "w") as f:
            f.write("ab" * 32 + "\n")
        os.chmod(path, 0o640)
        port = free_port(count=2)
        if role == "leader":
            args = ["leader", "--dir", d, "--listen", "127.0.0.1:%d" % (port + 1),
                    "--pg", "127.0.0.1:%d" % port]
        else:
            args = ["follower", "--dir", d, "--listen", "127.0.0.1:%d" % port,
                    "--join", "127.0.0.1:%d" % (port + 1)]
        rc, out = start_refused(args, d)
        assert rc != 0, out
        assert "group or world access" in out and "chmod 600" in out, out
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o640  # left for the user to fix
    finally:
        shutil.rmtree(d, ignore_errors=True)
