"""Who gets in, checked against PostgreSQL 15 configured alike (issue 20's
client matrix: "each also run against PostgreSQL as a control").

The control is a PostgreSQL started here with password_encryption =
scram-sha-256, a pg_hba.conf asking scram-sha-256 of every TCP connection
(`host all all 127.0.0.1/32 scram-sha-256`; `hostssl` only for "TLS
required") and ssl=on with the very certificate murphy's leader serves (made
here with the openssl CLI, put where `murphy local start` looks for its
own).  It has murphy's superuser `murphy` with the same password and a
database `murphy`, so every client action below is the same string against
both servers, and the same outcome is asserted: the SQLSTATE and message a
raw SCRAM login gets, what psql and libpq print, what a TLS session
reports, what GRANT / REVOKE let a user do.

Where murphy differs on purpose (docs/decisions.md "Authentication checked
against PostgreSQL"), the difference is asserted explicitly: a plaintext
client refused by --tls-required gets 28000 from both, with murphy's own
message instead of "no pg_hba.conf entry" (murphy has no pg_hba.conf); a
non-superuser calling an admin function, or creating, dropping, altering
or granting on a table, gets 42501 from both, murphy naming its superuser
rule (no EXECUTE grants, no table owners); a superuser's SET ROLE to
another role is 0A000 (no identity switch); an empty SCRAM client nonce is
refused; any database name is taken (murphy has one database).
"""
import os
import re
import shutil
import ssl
import struct
import subprocess
import time

import psycopg2
import pytest

import conftest
import murphy_auth
from conftest import Cluster
from pgserver import PgServer
from test_fault_flag import BareLeader
from test_tls import TlsMitm, make_cert
from wire import login, msg, raw, read_messages, startup

HBA_SCRAM = ["host all all 127.0.0.1/32 scram-sha-256"]
HBA_TLS_ONLY = ["hostssl all all 127.0.0.1/32 scram-sha-256"]


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return make_cert(str(tmp_path_factory.mktemp("authcontrol-cert")))


@pytest.fixture(scope="module")
def cluster(request, cert):
    """A one-follower cluster whose leader serves `cert` (written where
    `murphy local start` keeps its own, which it then does not make)."""
    c = Cluster(followers=1)
    request.module._murphy_cluster = c
    try:
        leader = os.path.join(c.dir, "leader")
        os.makedirs(leader)
        for src, name in zip(cert, ("server.crt", "server.key")):
            shutil.copyfile(src, os.path.join(leader, name))
            os.chmod(os.path.join(leader, name), 0o600)
        c.start()
        yield c
    finally:
        c.cleanup()


@pytest.fixture(scope="module")
def control(cert):
    """PostgreSQL 15 with SCRAM over TCP, ssl=on with `cert`, and murphy's
    superuser and database."""
    server = PgServer(settings={"password_encryption": "scram-sha-256"}, hba=HBA_SCRAM,
                      ssl=cert)
    conftest._pg_servers.append(server)
    try:
        server.start()
        admin = server.connect()
        with admin.cursor() as cur:
            cur.execute("CREATE ROLE murphy SUPERUSER LOGIN PASSWORD %s",
                        (murphy_auth.PASSWORD,))
            cur.execute("CREATE DATABASE murphy OWNER murphy")
        admin.close()
        yield server
    finally:
        server.stop()
        conftest._pg_servers.remove(server)


@pytest.fixture(scope="module")
def servers(cluster, control):
    """{name: port} of murphy and its control."""
    return {"murphy": cluster.port, "postgres": control.port}


def connect(port, user="murphy", password=None, **kw):
    kw.setdefault("sslmode", "disable")
    conn = psycopg2.connect(host=kw.pop("host", "127.0.0.1"), port=port, user=user,
                            dbname="murphy", password=password or murphy_auth.PASSWORD,
                            connect_timeout=10, **kw)
    conn.autocommit = True
    return conn


@pytest.fixture(scope="module")
def admins(servers):
    """A superuser session on each (as `murphy`, over SCRAM)."""
    conns = {name: connect(port) for name, port in servers.items()}
    yield conns
    for c in conns.values():
        c.close()


def on_both(admins, *sqls):
    for conn in admins.values():
        with conn.cursor() as cur:
            for sql in sqls:
                cur.execute(sql)


def one(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def fields(body):
    return dict((f[:1].decode(), f[1:].decode()) for f in body.split(b"\0") if f)


def raw_login(port, user, password):
    """A raw SCRAM login over plaintext: ("ok", None) or the FATAL's
    (SQLSTATE, message)."""
    s = raw(port)
    try:
        got = login(s, user.encode(), b"murphy", password)
    finally:
        s.close()
    assert got, "no answer"
    if got[-1][0] == b"Z":
        return ("ok", None)
    assert got[-1][0] == b"E", got
    f = fields(got[-1][1])
    return f["C"], f["M"]


def libpq_error(e, port):
    """The message of a libpq connection failure, the port taken out."""
    return str(e).replace(str(port), "PORT").strip()


def test_password_encryption_and_the_mechanisms_offered(servers, admins):
    """Both store scram-sha-256 verifiers and ask a plaintext client for
    SCRAM-SHA-256 alone (the -PLUS variant needs TLS)."""
    for conn in admins.values():
        assert one(conn, "SHOW password_encryption") == ("scram-sha-256",)
    offered = {}
    for name, port in servers.items():
        s = raw(port)
        try:
            s.sendall(startup())
            got = read_messages(s, until=b"R")
        finally:
            s.close()
        kind, body = got[-1]
        assert kind == b"R" and struct.unpack("!I", body[:4])[0] == 10, got
        offered[name] = [m for m in body[4:].split(b"\0") if m]
    assert offered["murphy"] == offered["postgres"] == [b"SCRAM-SHA-256"], offered


def test_wrong_password_unknown_dropped_and_nologin_roles(servers, admins):
    on_both(admins, "DROP ROLE IF EXISTS erin, frank",
            "CREATE USER erin PASSWORD 'e'", "CREATE ROLE frank PASSWORD 'f'")
    tries = [("murphy", murphy_auth.PASSWORD), ("murphy", "not-the-password"),
             ("nobody", murphy_auth.PASSWORD), ("erin", "e"), ("erin", "wrong"),
             ("frank", "f"), ("frank", "wrong")]
    before = {name: [raw_login(port, u, p) for u, p in tries] for name, port in servers.items()}
    assert before["murphy"] == before["postgres"], before
    want = [("ok", None), ("28P01", 'password authentication failed for user "murphy"'),
            ("28P01", 'password authentication failed for user "nobody"'), ("ok", None),
            ("28P01", 'password authentication failed for user "erin"'),
            ("28000", 'role "frank" is not permitted to log in'),
            ("28P01", 'password authentication failed for user "frank"')]
    assert before["postgres"] == want, before
    on_both(admins, "DROP ROLE erin")
    after = {name: raw_login(port, "erin", "e") for name, port in servers.items()}
    assert after["murphy"] == after["postgres"] == (
        "28P01", 'password authentication failed for user "erin"'), after
    on_both(admins, "DROP ROLE frank")


def psql(port, password, sql="SELECT current_user, session_user"):
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if password is not None:
        env["PGPASSWORD"] = password
    r = subprocess.run(["psql", "-w", "-X", "-A", "-t", "host=127.0.0.1 port=%d user=murphy "
                        "dbname=murphy sslmode=disable" % port, "-c", sql],
                       capture_output=True, text=True, env=env, timeout=30)
    return r.returncode, r.stdout, r.stderr.replace(str(port), "PORT")


def test_psql_without_a_password_and_with_a_wrong_one(servers):
    for password in (murphy_auth.PASSWORD, None, "wrong"):
        got = {name: psql(port, password) for name, port in servers.items()}
        assert got["murphy"] == got["postgres"], (password, got)
        code, out, err = got["postgres"]
        if password == murphy_auth.PASSWORD:
            assert (code, out) == (0, "murphy|murphy\n"), got
        else:
            assert code != 0 and ("no password supplied" if password is None else
                                  "password authentication failed") in err, got


def test_a_cleartext_password_is_no_answer_to_scram(servers):
    """A client that answers the SCRAM request with its password in clear
    (a PasswordMessage), an empty or an unknown mechanism, is refused by
    both with FATAL 08P01 "client selected an invalid SASL authentication
    mechanism" (murphy said "malformed SASLInitialResponse", and 28000 for
    an unknown mechanism)."""
    for body in (murphy_auth.PASSWORD.encode() + b"\0", b"\0",
                 b"SCRAM-SHA-1\0" + struct.pack("!I", 3) + b"n,,"):
        got = {}
        for name, port in servers.items():
            s = raw(port)
            try:
                s.sendall(startup())
                read_messages(s, until=b"R")
                s.sendall(b"p" + struct.pack("!I", len(body) + 4) + body)
                answer = read_messages(s, until=b"Z")
            finally:
                s.close()
            assert answer and answer[-1][0] == b"E", (name, answer)
            f = fields(answer[-1][1])
            got[name] = (f["S"], f["C"], f["M"])
        assert got["murphy"] == got["postgres"] == (
            "FATAL", "08P01", "client selected an invalid SASL authentication mechanism"), got


def ssl_row(conn):
    return one(conn, "SELECT ssl, version, cipher, bits FROM pg_stat_ssl "
                     "WHERE pid = pg_backend_pid()")


def test_sslmode_require_and_verify_full_with_the_users_certificate(servers, cert):
    """Both serve the test's certificate: the TLS session's pg_stat_ssl row
    and SHOW ssl alike (murphy's bits were 0 without TLS, ssl off),
    verify-full works, a name the certificate lacks fails alike."""
    rows = {}
    for name, port in servers.items():
        conn = connect(port, sslmode="require")
        assert conn.info.ssl_in_use, name
        rows[name] = (ssl_row(conn), conn.info.ssl_attribute("protocol"),
                      one(conn, "SELECT setting FROM pg_settings WHERE name = 'ssl'"),
                      one(conn, "SHOW ssl"))
        conn.close()
        conn = connect(port, sslmode="verify-full", host="localhost", sslrootcert=cert[0])
        assert conn.info.ssl_in_use and one(conn, "SELECT current_user") == ("murphy",)
        conn.close()
        plain = connect(port)
        assert not plain.info.ssl_in_use and ssl_row(plain) == (False, None, None, None)
        plain.close()
    assert rows["murphy"] == rows["postgres"], rows
    assert rows["postgres"][0][0] is True and rows["postgres"][3] == ("on",), rows
    errors = {}
    for name, port in servers.items():  # a name the certificate does not carry
        with pytest.raises(psycopg2.OperationalError) as e:
            connect(port, sslmode="verify-full", host="murphy.invalid", hostaddr="127.0.0.1",
                    sslrootcert=cert[0])
        errors[name] = libpq_error(e.value, port)
    assert errors["murphy"] == errors["postgres"], errors
    assert "does not match host name" in errors["postgres"], errors


def test_scram_channel_binding(servers, cert, tmp_path):
    """channel_binding=require logs in over TLS on both, is refused by
    libpq without TLS, and a man in the middle holding another
    certificate fails the login on both."""
    for name, port in servers.items():
        conn = connect(port, sslmode="require", channel_binding="require")
        assert one(conn, "SELECT 1") == (1,), name
        conn.close()
    errors = {}
    for name, port in servers.items():
        with pytest.raises(psycopg2.OperationalError) as e:
            connect(port, sslmode="disable", channel_binding="require")
        errors[name] = libpq_error(e.value, port)
    assert errors["murphy"] == errors["postgres"], errors
    assert "channel binding required" in errors["postgres"], errors
    other = make_cert(str(tmp_path))
    mitm_errors = {}
    for name, port in servers.items():
        mitm = TlsMitm(port, *other)
        try:
            conn = connect(mitm.port, sslmode="require", channel_binding="disable")
            assert one(conn, "SELECT 2") == (2,), name  # the relay itself works
            conn.close()
            with pytest.raises(psycopg2.OperationalError) as e:
                connect(mitm.port, sslmode="require", channel_binding="require")
            mitm_errors[name] = libpq_error(e.value, mitm.port)
        finally:
            mitm.close()
    assert mitm_errors["murphy"] == mitm_errors["postgres"], mitm_errors
    assert "SCRAM channel binding check failed" in mitm_errors["postgres"], mitm_errors


def plaintext_refusal(port, deadline_s=10):
    """The FATAL (SQLSTATE, message) a plaintext SCRAM login gets, waiting
    (up to deadline_s) while the server still lets it in (PostgreSQL
    rereads pg_hba.conf a moment after the reload)."""
    deadline = time.monotonic() + deadline_s
    while True:
        got = raw_login(port, "murphy", murphy_auth.PASSWORD)
        if got[0] != "ok" or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def test_tls_required_refuses_plaintext(control, cert):
    """murphy's --tls-required against PostgreSQL's hostssl-only
    pg_hba.conf: plaintext gets FATAL 28000 from both (the message is
    murphy's own: it has no pg_hba.conf), sslmode=require logs in."""
    leader = BareLeader("--tls-cert", cert[0], "--tls-key", cert[1], "--tls-required")
    control.set_hba(HBA_TLS_ONLY)
    try:
        leader.connect().close()
        ports = {"murphy": leader.port, "postgres": control.port}
        got = {name: plaintext_refusal(port) for name, port in ports.items()}
        assert got["murphy"][0] == got["postgres"][0] == "28000", got
        assert got["postgres"][1] == ('no pg_hba.conf entry for host "127.0.0.1", user '
                                      '"murphy", database "murphy", no encryption'), got
        assert got["murphy"][1] == "TLS required: this server refuses connections without TLS"
        for name, port in ports.items():
            conn = connect(port, sslmode="require")
            assert conn.info.ssl_in_use and one(conn, "SELECT 1") == (1,), name
            conn.close()
    finally:
        control.set_hba(HBA_SCRAM)
        leader.stop()
    deadline = time.monotonic() + 10  # the next tests log in in plaintext again
    while raw_login(control.port, "murphy", murphy_auth.PASSWORD) != ("ok", None):
        assert time.monotonic() < deadline, "pg_hba.conf not reloaded"
        time.sleep(0.05)


def test_grant_and_revoke_then_select_and_insert_as_the_user(servers, admins):
    on_both(admins, "DROP TABLE IF EXISTS ledger", "DROP ROLE IF EXISTS ivan",
            "CREATE TABLE ledger (id int PRIMARY KEY, v int)", "INSERT INTO ledger VALUES (1, 10)",
            "CREATE USER ivan PASSWORD 'i'")
    users = {name: connect(port, "ivan", "i") for name, port in servers.items()}

    def as_ivan(sql):
        out = {}
        for name, conn in users.items():
            with conn.cursor() as cur:
                try:
                    cur.execute(sql)
                    out[name] = ("ok", cur.fetchall() if cur.description else None)
                except psycopg2.Error as e:
                    out[name] = (e.pgcode, e.diag.message_primary)
        assert out["murphy"] == out["postgres"], (sql, out)
        return out["postgres"]

    denied = ("42501", "permission denied for table ledger")
    try:
        assert as_ivan("SELECT v FROM ledger") == denied
        assert as_ivan("INSERT INTO ledger VALUES (2, 20)") == denied
        on_both(admins, "GRANT SELECT, INSERT ON ledger TO ivan")
        assert as_ivan("INSERT INTO ledger VALUES (2, 20)") == ("ok", None)
        assert as_ivan("SELECT id, v FROM ledger ORDER BY id") == ("ok", [(1, 10), (2, 20)])
        assert as_ivan("UPDATE ledger SET v = 0") == denied
        on_both(admins, "REVOKE SELECT ON ledger FROM ivan")
        assert as_ivan("SELECT v FROM ledger") == denied
        assert as_ivan("INSERT INTO ledger VALUES (3, 30)") == ("ok", None)
        on_both(admins, "REVOKE ALL ON ledger FROM ivan")
        assert as_ivan("INSERT INTO ledger VALUES (4, 40)") == denied
        on_both(admins, "GRANT SELECT ON ledger TO PUBLIC")
        assert as_ivan("SELECT count(*) FROM ledger") == ("ok", [(3,)])
        on_both(admins, "REVOKE SELECT ON ledger FROM PUBLIC")
        assert as_ivan("SELECT v FROM ledger") == denied
    finally:
        for conn in users.values():
            conn.close()
        on_both(admins, "DROP TABLE ledger", "DROP ROLE ivan")


def test_a_non_superuser_cannot_run_an_admin_function(servers, admins):
    """murphy.fault on murphy, pg_read_file (superuser-only unless
    granted) on PostgreSQL: 42501 from both; the superuser runs them."""
    calls = {"murphy": "SELECT murphy.fault('heal')",
             "postgres": "SELECT length(pg_read_file('PG_VERSION')) > 0"}
    on_both(admins, "DROP ROLE IF EXISTS henry", "CREATE USER henry PASSWORD 'h'")
    got = {}
    try:
        for name, port in servers.items():
            conn = connect(port, "henry", "h")
            with pytest.raises(psycopg2.Error) as e:
                one(conn, calls[name])
            got[name] = (e.value.pgcode, e.value.diag.message_primary)
            conn.close()
            assert one(admins[name], calls[name])[0]
    finally:
        on_both(admins, "DROP ROLE henry")
    assert got["murphy"][0] == got["postgres"][0] == "42501", got
    assert got["postgres"][1] == "permission denied for function pg_read_file", got
    assert re.search("superuser", got["murphy"][1]), got


# What a role that is not a superuser may not do: the same SQLSTATE from
# both, and the same message but where murphy's rule is its own (it keeps
# no table owners, so creating, dropping and altering tables and granting
# on them is a superuser's; docs/decisions.md "Authentication checked
# against PostgreSQL").  Each is [statement, murphy's message when it is
# not PostgreSQL's].
AS_A_USER = [
    ("CREATE ROLE x", None),
    ("ALTER ROLE alice SUPERUSER", None),
    ("ALTER ROLE alice LOGIN", None),
    ("ALTER ROLE murphy PASSWORD 'x'", None),
    ("ALTER ROLE bob PASSWORD 'x'", None),
    ("ALTER ROLE nobody PASSWORD 'x'", None),
    ("DROP ROLE bob", None),
    ("SET ROLE murphy", None),
    ("SET ROLE bob", None),
    ("SET SESSION AUTHORIZATION murphy", None),
    ("SET ROLE nobody", None),
    ("SELECT * FROM pt", None),
    ("INSERT INTO pt VALUES (1)", None),
    ("TRUNCATE pt", None),
    ("SELECT has_table_privilege('pt', 'SELECT'), has_table_privilege('murphy', 'pt', 'SELECT')",
     None),
    ("ALTER ROLE alice PASSWORD 'a2'", None),
    ("CREATE TABLE mine (id int)", "permission denied: CREATE TABLE needs a superuser in murphy"),
    ("DROP TABLE pt", "permission denied: DROP TABLE needs a superuser in murphy"),
    ("ALTER TABLE pt ADD COLUMN v int", "permission denied for table pt"),
    ("GRANT SELECT ON pt TO alice", "permission denied to grant privileges"),
    ("REVOKE SELECT ON pt FROM bob", "permission denied to revoke privileges"),
]


def test_what_a_role_that_is_not_a_superuser_may_not_do(servers, admins):
    on_both(admins, "DROP TABLE IF EXISTS pt", "DROP ROLE IF EXISTS alice, bob",
            "CREATE TABLE pt (id int PRIMARY KEY)", "CREATE USER alice PASSWORD 'a'",
            "CREATE USER bob PASSWORD 'b'")
    users = {name: connect(port, "alice", "a") for name, port in servers.items()}
    try:
        for sql, murphy_own in AS_A_USER:
            got = {}
            for name, conn in users.items():
                with conn.cursor() as cur:
                    try:
                        cur.execute(sql)
                        got[name] = ("ok", cur.fetchall() if cur.description else None)
                    except psycopg2.Error as e:
                        got[name] = (e.pgcode, e.diag.message_primary)
            assert got["murphy"][0] == got["postgres"][0], (sql, got)
            if murphy_own is None:
                assert got["murphy"] == got["postgres"], (sql, got)
            else:  # the difference, explicitly
                assert got["postgres"][0] == "42501" and got["postgres"][1] != murphy_own, got
                assert got["murphy"][1] == murphy_own, (sql, got)
        assert one(users["murphy"], "SELECT current_user, session_user") == ("alice", "alice")
    finally:
        for conn in users.values():
            conn.close()
        on_both(admins, "DROP TABLE pt", "DROP ROLE alice, bob")
    for name, port in servers.items():  # ALTER ROLE alice PASSWORD above took
        assert raw_login(port, "alice", "a") == (
            "28P01", 'password authentication failed for user "alice"'), name


def test_a_superuser_cannot_become_another_role(servers, admins):
    """murphy has no identity switch: where PostgreSQL lets a superuser
    SET ROLE, murphy answers 0A000 naming it (never a SET taken and
    ignored); to the session's own role both take it."""
    on_both(admins, "DROP ROLE IF EXISTS carl", "CREATE ROLE carl")
    got = {}
    try:
        for name, conn in admins.items():
            with conn.cursor() as cur:
                cur.execute("SET ROLE murphy")
                cur.execute("RESET ROLE")
                try:
                    cur.execute("SET ROLE carl")
                    cur.execute("SELECT current_user")
                    got[name] = cur.fetchone()
                    cur.execute("RESET ROLE")
                except psycopg2.Error as e:
                    got[name] = (e.pgcode, e.diag.message_primary)
    finally:
        on_both(admins, "DROP ROLE carl")
    assert got["postgres"] == ("carl",), got
    assert got["murphy"] == ("0A000", 'murphy does not support SET ROLE to another user yet '
                             '("carl")'), got


def test_a_database_name_murphy_does_not_have(servers):
    """murphy has one database and takes any name for it at startup (its
    design: test_basic.py::test_any_database_name_but_only_known_users),
    so the maintenance database `postgres` and psql's default (the user's
    name) reach it; current_database() says murphy.  PostgreSQL answers
    3D000.  Authentication comes first on both: a wrong password is 28P01
    whatever the database."""
    got = {}
    for name, port in servers.items():
        s = raw(port)
        try:
            answer = login(s, b"murphy", b"no_such_db", murphy_auth.PASSWORD)
        finally:
            s.close()
        f = fields(answer[-1][1]) if answer[-1][0] == b"E" else {}
        got[name] = (answer[-1][0], f.get("C"), f.get("M"))
        s = raw(port)
        try:
            wrong = login(s, b"murphy", b"no_such_db", "wrong")
        finally:
            s.close()
        assert fields(wrong[-1][1])["C"] == "28P01", (name, wrong)
    assert got["postgres"] == (b"E", "3D000", 'database "no_such_db" does not exist'), got
    assert got["murphy"] == (b"Z", None, None), got
    conn = psycopg2.connect(host="127.0.0.1", port=servers["murphy"], user="murphy",
                            dbname="no_such_db", sslmode="disable", connect_timeout=10)
    assert one(conn, "SELECT current_database()") == ("murphy",)
    conn.close()


SSL_REQUEST = struct.pack("!II", 8, 80877103)
# (over TLS, mechanism, client-first): malformed or refused SCRAM openings
CLIENT_FIRSTS = [
    (False, b"SCRAM-SHA-256", b"p=tls-server-end-point,,n=,r=abc"),
    (False, b"SCRAM-SHA-256-PLUS", b"p=tls-server-end-point,,n=,r=abc"),
    (True, b"SCRAM-SHA-256", b"y,,n=,r=abc"),
    (True, b"SCRAM-SHA-256-PLUS", b"n,,n=,r=abc"),
    (True, b"SCRAM-SHA-256-PLUS", b"p=tls-unique,,n=,r=abc"),
    (True, b"SCRAM-SHA-256", b"p=tls-server-end-point,,n=,r=abc"),
    (False, b"SCRAM-SHA-256", b"x,,n=,r=abc"),
    (False, b"SCRAM-SHA-256", b"n,a=bob,n=,r=abc"),
    (False, b"SCRAM-SHA-256", b"n,,m=x,n=,r=abc"),
    (False, b"SCRAM-SHA-256", b"n,,n=,r="),
]


def scram_opening(port, tls, mech, first):
    """The mechanisms offered and the answer to SASLInitialResponse
    (mech, first): (offered, message type, SQLSTATE, message, detail)."""
    s = raw(port)
    try:
        if tls:
            s.sendall(SSL_REQUEST)
            assert s.recv(1) == b"S"
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(s)
        s.sendall(startup())
        offered = [m for m in read_messages(s, until=b"R")[-1][1][4:].split(b"\0") if m]
        s.sendall(msg(b"p", mech + b"\0" + struct.pack("!I", len(first)) + first))
        got = read_messages(s, until=lambda k, b: k in (b"E", b"Z") or (
            k == b"R" and struct.unpack("!I", b[:4])[0] == 11))
    finally:
        s.close()
    f = fields(got[-1][1]) if got[-1][0] == b"E" else {}
    return offered, got[-1][0], f.get("C"), f.get("M"), f.get("D")


def test_scram_openings_refused_as_postgres(servers):
    """Channel binding flags that do not fit the mechanism or the
    connection, another binding type, an authzid, a mandatory extension:
    the same FATAL (SQLSTATE, message, detail) from both; over TLS both
    offer SCRAM-SHA-256-PLUS first.  murphy answered 28000 where
    PostgreSQL says 08P01, its own messages, and took an authzid and an
    "m=" extension it then ignored.  An empty client nonce PostgreSQL
    takes murphy refuses (08P01): a nonce is what makes the proof fresh."""
    for tls, mech, first in CLIENT_FIRSTS:
        got = {name: scram_opening(port, tls, mech, first) for name, port in servers.items()}
        if first.endswith(b",r="):
            assert got["postgres"][1] == b"R", got  # SASLContinue: taken
            assert got["murphy"][1:4] == (b"E", "08P01", "malformed SCRAM message: client nonce")
            continue
        assert got["murphy"] == got["postgres"], (tls, mech, first, got)
        assert got["postgres"][1] == b"E", got
        assert got["postgres"][0] == ([b"SCRAM-SHA-256-PLUS", b"SCRAM-SHA-256"] if tls
                                      else [b"SCRAM-SHA-256"]), got


def test_role_names_and_password_forms_as_postgres(servers, admins):
    """A superuser's CREATE / ALTER ROLE: reserved names are 42939 (pg_*
    was taken, public / none were 42601), UNENCRYPTED PASSWORD 0A000 (was
    42601), a NULL, empty or md5-hashed password leaves a role nobody can
    log in as under SCRAM (28P01 from both).  VALID UNTIL and RENAME are
    0A000 on murphy (not built), where PostgreSQL takes them."""
    stmts = ["CREATE ROLE pg_mine", "CREATE ROLE public", "CREATE ROLE none",
             "CREATE USER p6 UNENCRYPTED PASSWORD 'x'",
             "CREATE USER p1 PASSWORD NULL", "CREATE USER p2 ENCRYPTED PASSWORD 'x2'",
             "CREATE USER p3 PASSWORD 'md5%s'" % ("0" * 32), "CREATE USER p4 PASSWORD ''",
             "ALTER USER p2 PASSWORD NULL"]
    on_both(admins, "DROP ROLE IF EXISTS p1, p2, p3, p4")
    try:
        for sql in stmts:
            got = {}
            for name, conn in admins.items():
                with conn.cursor() as cur:
                    try:
                        cur.execute(sql)
                        got[name] = ("ok", None, None)
                    except psycopg2.Error as e:
                        got[name] = (e.pgcode, e.diag.message_primary, e.diag.message_detail)
            assert got["murphy"] == got["postgres"], (sql, got)
        assert got["postgres"][0] == "ok"
        for user, password in (("p1", "x"), ("p2", "x2"), ("p3", "x"), ("p4", "")):
            got = {name: raw_login(port, user, password) for name, port in servers.items()}
            assert got["murphy"] == got["postgres"] == (
                "28P01", 'password authentication failed for user "%s"' % user), got
        for sql in ("ALTER USER p2 VALID UNTIL 'infinity'", "ALTER ROLE p2 RENAME TO p7"):
            with pytest.raises(psycopg2.Error) as e:
                one(admins["murphy"], sql)
            assert e.value.pgcode == "0A000", (sql, e.value)
    finally:
        on_both(admins, "DROP ROLE IF EXISTS p1, p2, p3, p4")
