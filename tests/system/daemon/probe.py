#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# probe.py -- transport probes for tests/system/daemon: TCP pipelining, half-close, idle, limits, UDP source.
"""Usage: probe.py CHECK ADDR PORT [ARGS]

Each check prints one line and exits 0 when the server behaved, 1 when not.
  pipeline ADDR PORT N [slow]  N queries in one write, then FIN; every answer
                               must come back, in order (RFC 7766 6.2.1.1).
                               "slow": a tiny receive window, reading late, so
                               the server has to wait for the socket to drain.
  idle ADDR PORT MS            a silent connection is closed by the server
                               after about MS milliseconds (RFC 7766 6.2.3).
  limit ADDR PORT K            K connections from one address are served,
                               the next one is closed unanswered, and after
                               closing one of the K a new one is served.
  udpsrc ADDR PORT             a UDP answer comes from ADDR, the address the
                               query went to.
"""
import os
import socket
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True  # nothing written beside the sources (distcheck's are read-only)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from dnsprobe import connect, family, framed, query, recv_msg  # noqa: E402

# Names of the zone run.sh writes; every one answers NOERROR with data.
NAMES = [("host1.daemon.test.", 106), ("host1.daemon.test.", 104), ("daemon.test.", 6),
         ("Host2.Daemon.TEST.", 106), ("ns1.daemon.test.", 1)]


def ask(s, qid):
    name, qtype = NAMES[qid % len(NAMES)]
    s.sendall(framed(query(qid, name, qtype)))
    resp = recv_msg(s)
    return resp is not None and struct.unpack("!H", resp[:2])[0] == qid and resp[3] & 0xF == 0


def check_pipeline(addr, port, n, slow):
    s = connect(addr, port, rcvbuf=4096 if slow else None, timeout=10.0)
    ids = [(i * 7919 + 1) & 0xFFFF for i in range(n)]
    burst = b"".join(framed(query(q, *NAMES[i % len(NAMES)])) for i, q in enumerate(ids))

    def send():
        s.sendall(burst)
        # Half-close: the answers must still come (RFC 7766 6.2.4).
        s.shutdown(socket.SHUT_WR)

    sender = threading.Thread(target=send)
    sender.start()
    if slow:
        time.sleep(0.3)
    got = []
    while True:
        resp = recv_msg(s)
        if resp is None:
            break
        qid, flags = struct.unpack("!HH", resp[:4])
        if not flags & 0x8000 or flags & 0xF != 0:
            print(f"answer {len(got)}: flags {flags:#06x}")
            return 1
        got.append(qid)
    sender.join()
    s.close()
    if got != ids:
        first = next((i for i, (a, b) in enumerate(zip(got, ids)) if a != b), min(len(got), n))
        print(f"pipeline: {len(got)} of {n} answers, first mismatch at {first}")
        return 1
    print(f"pipeline: {n} answers in order after FIN{' through a slow reader' if slow else ''}")
    return 0


def check_idle(addr, port, ms):
    s = connect(addr, port, timeout=ms / 1000.0 + 5)
    start = time.monotonic()
    if not ask(s, 1):
        print("idle: the first query was not answered")
        return 1
    try:
        data = s.recv(1)
    except ConnectionResetError:
        data = b""
    took = (time.monotonic() - start) * 1000
    if data != b"":
        print(f"idle: unexpected data {data!r}")
        return 1
    if took < ms * 0.8 or took > ms + 3000:
        print(f"idle: closed after {took:.0f} ms, expected about {ms} ms")
        return 1
    print(f"idle: closed by the server after {took:.0f} ms (timeout {ms} ms)")
    return 0


def refused(s):
    """True if the server closes s without answering a query."""
    try:
        s.sendall(framed(query(4242, *NAMES[0])))
        return recv_msg(s) is None
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def check_limit(addr, port, k):
    held = [connect(addr, port) for _ in range(k)]
    for i, s in enumerate(held):
        if not ask(s, 100 + i):
            print(f"limit: connection {i + 1} of {k} was not served")
            return 1
    extra = connect(addr, port, timeout=3.0)
    if not refused(extra):
        print(f"limit: connection {k + 1} from one address was served")
        return 1
    extra.close()
    held.pop().close()
    time.sleep(0.3)  # the server sees the FIN and releases the slot
    again = connect(addr, port)
    ok = ask(again, 200)
    for s in held + [again]:
        s.close()
    if not ok:
        print("limit: no service after a connection was freed")
        return 1
    print(f"limit: {k} served, connection {k + 1} refused, freed slot reused")
    return 0


def check_udpsrc(addr, port):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.settimeout(3.0)
    s.sendto(query(77, *NAMES[0]), (addr, port))
    try:
        data, src = s.recvfrom(65535)
    except socket.timeout:
        print("udpsrc: no answer")
        return 1
    if src[0] != addr or src[1] != port:
        print(f"udpsrc: answer from {src[0]} port {src[1]}, query went to {addr} port {port}")
        return 1
    if struct.unpack("!H", data[:2])[0] != 77:
        print("udpsrc: wrong ID")
        return 1
    print(f"udpsrc: answer from {addr}")
    return 0


def main(argv):
    if len(argv) < 4:
        print(__doc__)
        return 2
    check, addr, port = argv[1], argv[2], int(argv[3])
    if check == "pipeline":
        return check_pipeline(addr, port, int(argv[4]), len(argv) > 5 and argv[5] == "slow")
    if check == "idle":
        return check_idle(addr, port, int(argv[4]))
    if check == "limit":
        return check_limit(addr, port, int(argv[4]))
    if check == "udpsrc":
        return check_udpsrc(addr, port)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
