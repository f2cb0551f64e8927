"""Raw PostgreSQL v3 protocol helpers for tests that need exact bytes."""
import socket
import struct


def raw(port, timeout=5.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.settimeout(timeout)
    return s


def msg(kind, body=b""):
    return kind + struct.pack("!I", len(body) + 4) + body


def startup(user=b"murphy", db=b"murphy"):
    body = struct.pack("!I", 196608) + b"user\0" + user + b"\0database\0" + db + b"\0\0"
    return struct.pack("!I", len(body) + 4) + body


def read_messages(s, until=b"Z", limit=1 << 20):
    """Read messages until one of type `until`; returns [(type, body)].
    Stops early (returning what it has) when the server closes."""
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
            if kind == until:
                return out
    return out


def logged_in(port):
    s = raw(port)
    s.sendall(startup())
    got = read_messages(s)
    assert got and got[-1][0] == b"Z", got
    return s
