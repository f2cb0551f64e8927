#!/usr/bin/python3
"""Parse `strace -f -xx -s 65536` of one murphy process (bench/frames_per_txn.sh):
per transaction, its socket reads and writes by peer, the node-protocol
frames in them by type (TASK by task kind, RESULT early or final), the
pgwire messages written to clients, and how many events each epoll_wait
returned; the bytes read and written by peer ("nodes": every to-* and
from-* link together); with FRAMES_COUNT=TEXT in the
environment, how often TEXT occurs in each link's data (e.g. a statement
tag: bench/results/2026-12-07-rowtag.md).

    frames_per_txn.py STRACE_FILE FDMAP_FILE TRANSACTIONS

FDMAP_FILE: "fd label" lines (label: client, to-f1, from-f2, ...); other
fds (files, eventfds) are counted apart, not parsed."""
import collections
import os
import re
import sys

MSG = {1: "HELLO", 2: "WELCOME", 4: "HEARTBEAT", 5: "TASK", 6: "RESULT", 14: "PEER_ACK",
       16: "SHUFFLE_DATA", 17: "SHUFFLE_ACK"}
KIND = {1: "QUERY", 2: "WRITE", 5: "APPLY", 6: "UNDO", 7: "STATUS", 9: "CATCHUP",
        15: "TXN_STATE", 18: "SYNC"}
IO = re.compile(r'\b(read|write)\((\d+), "((?:\\x[0-9a-f]{2})*)"(?:\.\.\.)?, \d+\) = (-?\d+)')
EPOLL = re.compile(r'\bepoll_wait\(\d+, .*\) = (\d+)')
OTHER = re.compile(r'\b(futex|fdatasync|pwrite64|pread64|writev|readv|sendmsg|recvmsg)\(')


def frames(b):
    """(type, first payload bytes) of each whole node-protocol frame in b."""
    i = 0
    while i + 5 <= len(b):
        n = int.from_bytes(b[i:i + 4], "big")
        yield b[i + 4], b[i + 5:i + 4 + n][:16]
        i += 4 + n


def label(t, p):
    name = MSG.get(t, str(t))
    if t == 5 and len(p) >= 10:  # version, u64 id, kind
        name += ":" + KIND.get(p[9], str(p[9]))
    if t == 6 and len(p) >= 11:  # version, u64 task id, failed, early
        name += ":early" if p[10] else ":final"
    return name


def main():
    fdmap = dict(line.split() for line in open(sys.argv[2]) if line.strip())
    ntx = int(sys.argv[3])
    text = os.environ.get("FRAMES_COUNT", "").encode()
    calls, msgs = collections.Counter(), collections.Counter()
    for line in open(sys.argv[1], errors="replace"):
        m = EPOLL.search(line)
        if m:
            calls["epoll_wait"] += 1
            calls["epoll_wait returning %s events" % min(int(m.group(1)), 5)] += 1
            continue
        m = IO.search(line)
        if not m:
            m = OTHER.search(line)
            if m:
                calls[m.group(1)] += 1
            continue
        name, fd, data, ret = m.group(1), m.group(2), m.group(3), int(m.group(4))
        peer = fdmap.get(fd)
        if peer is None:
            calls["%s (not a socket)" % name] += 1
            continue
        if ret <= 0:
            calls["%s %s returning %d" % (name, peer, ret)] += 1
            continue
        calls["%s %s" % (name, peer)] += 1
        b = bytes(int(x, 16) for x in data.split("\\x")[1:])[:ret]
        calls["bytes %s %s" % (name, peer)] += ret
        if peer != "client":
            calls["bytes %s nodes" % name] += ret
        if text:
            calls["%r in %s %s" % (text.decode(), name, peer)] += b.count(text)
        if peer == "client":  # pgwire: the server's messages (type byte, u32 length)
            i = 0
            while name == "write" and i + 5 <= len(b):
                msgs["%s client %s" % (name, chr(b[i]))] += 1
                i += 1 + int.from_bytes(b[i + 1:i + 5], "big")
            continue
        for t, p in frames(b):
            msgs["%s %s %s" % (name, peer, label(t, p))] += 1
    print("per transaction (%d transactions):" % ntx)
    for k, v in sorted(calls.items()):
        print("  %-44s %6.2f" % (k, v / ntx))
    print("frames / messages per transaction:")
    for k, v in sorted(msgs.items()):
        print("  %-44s %6.2f" % (k, v / ntx))


main()
