"""Raw PostgreSQL v3 protocol helpers for tests that need exact bytes."""
import base64
import hashlib
import hmac
import os
import socket
import struct

import murphy_auth


def raw(port, timeout=5.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.settimeout(timeout)
    return s


def msg(kind, body=b""):
    return kind + struct.pack("!I", len(body) + 4) + body


def startup(user=b"murphy", db=b"murphy"):
    body = struct.pack("!I", 196608) + b"user\0" + user + b"\0database\0" + db + b"\0\0"
    return struct.pack("!I", len(body) + 4) + body


def _sasl_wait(kind, body):
    """AuthenticationSASL or SASLContinue: the server waits for our answer."""
    return kind == b"R" and struct.unpack("!I", body[:4])[0] in (10, 11)


def read_messages(s, until=b"Z", limit=1 << 20):
    """Read messages until one of type `until` (or, for `until` a function,
    one it returns true for); returns [(type, body)].  Stops early
    (returning what it has) when the server closes."""
    buf, out = b"", []
    while len(buf) < limit:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            raise AssertionError("server neither answered nor closed: %r" % out)
        except ConnectionResetError:
            return out
        if not chunk:
            return out
        buf += chunk
        while len(buf) >= 5:
            kind = buf[:1]
            (n,) = struct.unpack("!I", buf[1:5])
            if len(buf) < 1 + n:
                break
            out.append((kind, buf[5:1 + n]))
            buf = buf[1 + n:]
            if kind == until or (callable(until) and until(*out[-1])):
                return out
    return out


def _scram(s, password, first):
    """SCRAM-SHA-256 (RFC 5802) after AuthenticationSASL: the messages
    from SASLContinue on, up to ReadyForQuery or the server's refusal."""
    nonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = "n=,r=" + nonce
    client_first = ("n,," + first_bare).encode()
    s.sendall(msg(b"p", b"SCRAM-SHA-256\0" + struct.pack("!I", len(client_first)) + client_first))
    got = read_messages(s, until=lambda k, b: _sasl_wait(k, b) or k == b"Z")
    if not got or got[-1][0] != b"R" or struct.unpack("!I", got[-1][1][:4])[0] != 11:
        return first + got
    server_first = got[-1][1][4:].decode()
    attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(attrs["s"]),
                                 int(attrs["i"]))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    without_proof = "c=biws,r=" + attrs["r"]
    auth_message = ",".join((first_bare, server_first, without_proof)).encode()
    sig = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, sig))
    s.sendall(msg(b"p", (without_proof + ",p=" + base64.b64encode(proof).decode()).encode()))
    return first + got + read_messages(s)


def login(s, user=b"murphy", db=b"murphy", password=None):
    """Send the startup packet and, when the server asks for SCRAM-SHA-256,
    prove the password (murphy_auth's by default).  Returns every message
    up to ReadyForQuery (or up to the server's FATAL)."""
    s.sendall(startup(user, db))
    got = read_messages(s, until=lambda k, b: _sasl_wait(k, b) or k == b"Z")
    if got and got[-1][0] == b"R" and struct.unpack("!I", got[-1][1][:4])[0] == 10:
        return _scram(s, password or murphy_auth.PASSWORD, got)
    return got


def logged_in(port):
    s = raw(port)
    got = login(s)
    assert got and got[-1][0] == b"Z", got
    return s
