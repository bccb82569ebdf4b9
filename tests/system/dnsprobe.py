# SPDX-License-Identifier: BSD-2-Clause
# dnsprobe.py -- DNS query, framing and socket helpers shared by the system tests' Python probes.
"""Imported by abuse/loris.py, abuse/slow.py, daemon/probe.py, control/traffic.py,
update-load/load.py and tsig-errors/probe.py (from their parent directory, so a
test runs them as python3 PATH/script.py); message building is in dnswire.py."""
import select
import socket
import struct
import time

from dnswire import query  # noqa: F401 -- re-exported: the probes take query from here

_FAILS = 0


def check(ok, what):
    """Print an "ok"/"FAIL" line for one check and count the failures."""
    global _FAILS
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        _FAILS += 1


def failures():
    return _FAILS


def framed(msg):
    """msg with the two-octet length prefix of DNS over TCP (RFC 1035 4.2.2)."""
    return struct.pack("!H", len(msg)) + msg


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def recv_msg(s):
    """One length-prefixed message from s; None on EOF."""
    hdr = recv_exact(s, 2)
    if hdr is None:
        return None
    (length,) = struct.unpack("!H", hdr)
    return recv_exact(s, length)


def connect(addr, port, timeout=5.0, rcvbuf=None, src=None):
    """A TCP connection to addr, from src when given (bound before connecting)."""
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    if src is not None:
        s.bind((src, 0))
    s.connect((addr, port))
    return s


def connect_from(src, port, timeout=5.0, rcvbuf=None):
    """A TCP connection from the loopback address src to the loopback of its family."""
    dst = "::1" if family(src) == socket.AF_INET6 else "127.0.0.1"
    return connect(dst, port, timeout=timeout, rcvbuf=rcvbuf, src=src)


def closed_by_server(s, wait=0.0):
    """True if the server closes s (EOF or reset) within wait seconds; reads nothing."""
    r, _, _ = select.select([s], [], [], wait)
    if not r:
        return False
    try:
        return s.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def good_answer(resp, qid, aa=False):
    """resp answers qid: QR, NOERROR, one answer at least (and AA when aa)."""
    if resp is None or len(resp) < 12:
        return False
    rid, flags, _, an = struct.unpack("!HHHH", resp[:8])
    return bool(rid == qid and flags & 0x8000 and (not aa or flags & 0x0400) and flags & 0xF == 0
                and an >= 1)


def udp_ask(qid, port, qname, aa=False):
    """qname asked over UDP from 127.0.0.1 (5 s at most): (answered well, seconds taken)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(5.0)
    t = time.monotonic()
    try:
        s.sendto(query(qid, *qname), ("127.0.0.1", port))
        data = s.recv(65535)
    except socket.timeout:
        data = None
    s.close()
    return good_answer(data, qid, aa), time.monotonic() - t


def tcp_ask(qid, port, qname, aa=False, timeout=5.0):
    """qname asked over a new TCP connection from 127.0.0.1: (answered well, seconds taken)."""
    t = time.monotonic()
    try:
        s = connect_from("127.0.0.1", port, timeout=timeout)
        s.sendall(framed(query(qid, *qname)))
        ok = good_answer(recv_msg(s), qid, aa)
        s.close()
    except OSError:
        ok = False
    return ok, time.monotonic() - t
