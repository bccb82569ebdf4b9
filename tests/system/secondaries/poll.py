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

sys.dont_write_bytecode = True  # nothing written beside the sources (distcheck's are read-only)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from dnswire import T_L64, answers, query  # noqa: E402  (L64: RFC 6742 section 2.3)


def l64_rdatas(msg, qid):
    """The RDATA of every L64 in the answer section; None for a reply to something else."""
    if len(msg) < 12:
        return None
    rid, flags = struct.unpack("!HH", msg[:4])
    if rid != qid or not flags & 0x8000:
        return None
    return [rd for t, rd in answers(msg) if t == T_L64]


def main():
    if len(sys.argv) != 7:
        sys.exit("usage: poll.py ADDR PORT NAME PREFERENCE LOCATOR SECONDS")
    addr, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    groups = sys.argv[5].split(":")
    want = struct.pack("!H", int(sys.argv[4])) + b"".join(struct.pack("!H", int(g, 16))
                                                          for g in groups)
    end = time.monotonic() + float(sys.argv[6])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.9", 0))
    s.connect((addr, port))
    s.settimeout(0.2)
    qid = os.getpid() & 0xFFFF
    ready = False
    while time.monotonic() < end:
        qid = (qid + 1) & 0xFFFF
        s.send(query(qid, name, T_L64))
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
