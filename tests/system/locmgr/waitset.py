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

L64 = 106


def want_set(text):
    out = set()
    if text == "-":
        return out
    for item in text.split(","):
        pref, prefix = item.split()
        out.add((int(pref), socket.inet_pton(socket.AF_INET6, prefix)[:8]))
    return out


def qname(name):
    wire = b""
    for label in name.rstrip(".").split("."):
        wire += bytes([len(label)]) + label.encode()
    return wire + b"\0"


def skip_name(msg, pos):
    while True:
        n = msg[pos]
        if n & 0xC0 == 0xC0:
            return pos + 2
        if n == 0:
            return pos + 1
        pos += 1 + n


def l64_set(msg, qid):
    if len(msg) < 12:
        return None
    rid, flags, qd, an = struct.unpack(">HHHH", msg[:8])
    if rid != qid or not flags & 0x8000 or flags & 0xF not in (0, 3):
        return None
    pos = 12
    for _ in range(qd):
        pos = skip_name(msg, pos) + 4
    out = set()
    for _ in range(an):
        pos = skip_name(msg, pos)
        rtype, _cls, _ttl, rdlen = struct.unpack(">HHIH", msg[pos:pos + 10])
        pos += 10
        if rtype == L64 and rdlen == 10:
            out.add((struct.unpack(">H", msg[pos:pos + 2])[0], msg[pos + 2:pos + 10]))
        pos += rdlen
    return out


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
    q = qname(name)
    start_us = time.time_ns() // 1000
    if cmd:
        subprocess.run(cmd, check=True)
    deadline = time.monotonic() + float(timeout)
    last = None
    while time.monotonic() < deadline:
        qid = int.from_bytes(os.urandom(2), "big")
        s.sendto(struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + q + struct.pack(">HH", L64, 1),
                 (server, int(port)))
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
