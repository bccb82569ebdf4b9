#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# waitset.py -- run a command, then poll a DNS server every millisecond until a name's L64 set is the one wanted.
"""waitset.py SERVER PORT NAME WANT TIMEOUT [CMD...]

WANT is "pref prefix,pref prefix" ("10 fd00:1::,20 fd00:2::"), order free;
"-" is the empty set. Prints "start_us=... seen_us=... ms=..." (realtime
microseconds: before CMD was started, and when an answer first showed WANT)
and exits 0, or prints the last set seen and exits 1 after TIMEOUT seconds.
Plain UDP queries for type L64 (106), RD clear; loopback or namespace
addresses only.
"""
import os
import socket
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # nothing written beside the sources (distcheck's are read-only)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import dnswire  # noqa: E402
from dnswire import T_L64  # noqa: E402


def want_set(text):
    out = set()
    if text == "-":
        return out
    for item in text.split(","):
        pref, prefix = item.split()
        out.add((int(pref), socket.inet_pton(socket.AF_INET6, prefix)[:8]))
    return out


def l64_set(msg, qid):
    """The answer's L64 set as (preference, locator octets), or None when msg is not the
    NOERROR or NXDOMAIN response to query qid."""
    if len(msg) < 12:
        return None
    rid, flags = struct.unpack(">HH", msg[:4])
    if rid != qid or not flags & 0x8000 or flags & 0xF not in (0, 3):
        return None
    return {(struct.unpack(">H", rd[:2])[0], rd[2:10])
            for rtype, rd in dnswire.answers(msg) if rtype == T_L64 and len(rd) == 10}


def fmt(s):
    return ",".join("%d %s" % (p, socket.inet_ntop(socket.AF_INET6, l + bytes(8)))
                    for p, l in sorted(s)) or "-"


def main():
    server, port, name, want, timeout = sys.argv[1:6]
    cmd = sys.argv[6:]
    want = want_set(want)
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(0.2)
    start_us = time.time_ns() // 1000
    if cmd:
        subprocess.run(cmd, check=True)
    deadline = time.monotonic() + float(timeout)
    last = None
    while time.monotonic() < deadline:
        qid = int.from_bytes(os.urandom(2), "big")
        s.sendto(dnswire.query(qid, name, T_L64), (server, int(port)))
        try:
            while True:
                got = l64_set(s.recv(4096), qid)
                if got is not None:
                    break
        except socket.timeout:
            continue
        seen_us = time.time_ns() // 1000
        last = got
        if got == want:
            print("start_us=%d seen_us=%d ms=%.3f" % (start_us, seen_us,
                                                      (seen_us - start_us) / 1000.0))
            return 0
        time.sleep(0.001)
    print("timeout: last set %s, wanted %s" % (fmt(last) if last is not None else "none",
                                               fmt(want)))
    return 1


if __name__ == "__main__":
    sys.exit(main())
