#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# poll.py -- ask a server for NAME's L64 in a tight loop; print when it first answers a given value.
#
# Usage: poll.py ADDR PORT NAME PREFERENCE LOCATOR SECONDS
#
# run.sh times the delay from an update's NOERROR to a secondary serving the
# new value. A dig per poll costs tens of milliseconds of process start-up
# here, more than the delay itself; this loop keeps one UDP socket and
# re-asks at once, so its resolution is one round trip (well under a
# millisecond on loopback). It prints "ready" once its first query has been
# answered (so the caller sends the update only when polling runs), then the
# CLOCK_REALTIME time (seconds, as bash's EPOCHREALTIME) of the first answer
# holding exactly that one L64 record, or "timeout" after SECONDS.
import os
import socket
import struct
import sys
import time

T_L64 = 106  # RFC 6742 section 2.3


def wire_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def skip_name(msg, off):
    while True:
        n = msg[off]
        if n == 0:
            return off + 1
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1 + n


def l64_rdatas(msg, qid):
    """The RDATA of every L64 in the answer section; None for a reply to something else."""
    if len(msg) < 12:
        return None
    rid, flags, qd, an = struct.unpack("!HHHH", msg[:8])
    if rid != qid or not flags & 0x8000:
        return None
    off = 12
    for _ in range(qd):
        off = skip_name(msg, off) + 4
    found = []
    for _ in range(an):
        off = skip_name(msg, off)
        rtype, _cls, _ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        if rtype == T_L64:
            found.append(msg[off:off + rdlen])
        off += rdlen
    return found


def main():
    if len(sys.argv) != 7:
        sys.exit("usage: poll.py ADDR PORT NAME PREFERENCE LOCATOR SECONDS")
    addr, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    groups = sys.argv[5].split(":")
    want = struct.pack("!H", int(sys.argv[4])) + b"".join(struct.pack("!H", int(g, 16))
                                                          for g in groups)
    end = time.monotonic() + float(sys.argv[6])
    question = wire_name(name) + struct.pack("!HH", T_L64, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.9", 0))
    s.connect((addr, port))
    s.settimeout(0.2)
    qid = os.getpid() & 0xFFFF
    ready = False
    while time.monotonic() < end:
        qid = (qid + 1) & 0xFFFF
        s.send(struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + question)
        try:
            while True:
                got = l64_rdatas(s.recv(65535), qid)
                if got is not None:
                    break
        except (socket.timeout, ConnectionRefusedError):
            continue
        if got == [want]:
            print(f"{time.time():.6f}", flush=True)
            return
        if not ready:
            print("ready", flush=True)
            ready = True
    print("timeout", flush=True)


main()
