"""The initial superuser's password from a file (issue 20: "password from a
flag, env var or a generated one"): `murphy leader --password-file FILE`
and `murphy local start --password-file FILE` (datadir.c,
mur_password_file_read).  The flag takes a file, not the password, so the
password never shows in `ps`."""
import os
import shutil
import subprocess
import tempfile
import time

import psycopg2
import pytest

from conftest import MURPHY
from pgserver import free_port

PASSWORD = "it's a pass phrase ✓"  # blanks and quotes are the password's


def write(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def login(port, password, timeout_s=20):
    deadline = time.time() + timeout_s
    while True:
        try:
            conn = psycopg2.connect(host="127.0.0.1", port=port, user="murphy",
                                    dbname="murphy", password=password, connect_timeout=2)
            conn.close()
            return None
        except psycopg2.OperationalError as e:
            if "28P01" in str(e) or "password authentication failed" in str(e):
                return "28P01"
            if time.time() > deadline:
                raise


def leader(d, port, *flags, env):
    return subprocess.Popen([MURPHY, "leader", "--dir", os.path.join(d, "leader"),
                             "--listen", "127.0.0.1:%d" % (port + 1),
                             "--pg", "127.0.0.1:%d" % port] + list(flags),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=env)


def stop(p):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def test_leader_takes_the_password_from_the_file_over_the_env():
    d = tempfile.mkdtemp(prefix="murphy-pwfile-")
    port = free_port(count=2)
    pw_file = os.path.join(d, "pw")
    write(pw_file, PASSWORD + "\nsecond line ignored\n")
    env = dict(os.environ, MURPHY_PASSWORD="from-the-env")
    p = leader(d, port, "--password-file", pw_file, env=env)
    try:
        assert login(port, PASSWORD) is None
        assert login(port, "from-the-env") == "28P01"
        assert login(port, PASSWORD[:-1]) == "28P01"
        # the password never appears on the command line
        assert PASSWORD not in open("/proc/%d/cmdline" % p.pid, errors="replace").read()
        stop(p)
        # a later start: the superuser exists; a changed file is not used (and said so)
        write(pw_file, "another\n")
        p = leader(d, port, "--password-file", pw_file, env=env)
        assert login(port, PASSWORD) is None
        assert login(port, "another") == "28P01"
        stop(p)
        log = open(os.path.join(d, "leader", "murphy.log"), errors="replace").read() \
            if os.path.exists(os.path.join(d, "leader", "murphy.log")) else ""
        out = p.stdout.read().decode(errors="replace") + log
        assert "--password-file not used" in out, out
    finally:
        stop(p)
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("text,mode,says", [
    (PASSWORD, 0o644, "group or world access"),
    ("\n", 0o600, "is empty"),
    (None, 0o600, "cannot read"),
])
def test_leader_refuses_a_bad_password_file(text, mode, says):
    d = tempfile.mkdtemp(prefix="murphy-pwfile-")
    port = free_port(count=2)
    pw_file = os.path.join(d, "pw")
    if text is not None:
        write(pw_file, text, mode)
    env = {k: v for k, v in os.environ.items() if k != "MURPHY_PASSWORD"}
    p = leader(d, port, "--password-file", pw_file, env=env)
    try:
        rc = p.wait(30)
        out = p.stdout.read().decode(errors="replace")
        assert rc != 0 and says in out, out
        # nothing was made: no superuser, no generated password
        assert not os.path.exists(os.path.join(d, "leader", "password"))
    finally:
        stop(p)
        shutil.rmtree(d, ignore_errors=True)


def test_help_says_why_a_file():
    r = subprocess.run([MURPHY, "leader", "--help"], capture_output=True, text=True, timeout=30)
    assert "--password-file FILE" in r.stdout and "ps" in r.stdout, r.stdout
    r = subprocess.run([MURPHY, "local", "start", "--help"], capture_output=True, text=True,
                       timeout=30)
    assert "--password-file FILE" in r.stdout, r.stdout


def test_local_start_with_a_password_file():
    d = tempfile.mkdtemp(prefix="murphy-pwfile-")
    port = free_port(count=5)
    pw_file = os.path.join(tempfile.mkdtemp(prefix="murphy-pwf-"), "pw")
    write(pw_file, PASSWORD + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("MURPHY_PASSWORD", "PGPASSWORD")}
    try:
        r = subprocess.run([MURPHY, "local", "start", "--dir", d, "--followers", "1",
                            "--pg-port", str(port), "--password-file", pw_file],
                           capture_output=True, text=True, timeout=120, env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        assert pw_file in r.stdout and PASSWORD not in r.stdout, r.stdout
        assert not os.path.exists(os.path.join(d, "password"))  # none generated
        assert login(port, PASSWORD) is None
        assert login(port, "x") == "28P01"
    finally:
        subprocess.run([MURPHY, "local", "stop", "--dir", d], capture_output=True, timeout=60)
        shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(os.path.dirname(pw_file), ignore_errors=True)


def test_password_file_with_auth_trust_is_refused():
    d = tempfile.mkdtemp(prefix="murphy-pwfile-")
    pw_file = os.path.join(d, "pw")
    write(pw_file, PASSWORD)
    try:
        r = subprocess.run([MURPHY, "leader", "--dir", os.path.join(d, "leader"), "--listen",
                            "127.0.0.1:1", "--pg", "127.0.0.1:2", "--auth", "trust",
                            "--password-file", pw_file], capture_output=True, text=True,
                           timeout=30)
        assert r.returncode != 0 and "--password-file needs --auth scram" in r.stderr, r.stderr
    finally:
        shutil.rmtree(d, ignore_errors=True)
