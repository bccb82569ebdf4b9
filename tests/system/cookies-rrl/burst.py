#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# burst.py -- send a bounded burst of identical UDP queries from one socket and count the replies.
#
# Usage: burst.py ADDR PORT QNAME QTYPE COUNT [SOURCE]
# Sends COUNT queries (IDs 1..COUNT, no EDNS) as fast as the socket takes
# them, then reads replies for at most 5 s (less once every query has one).
# Prints one line: "sent N full F tc T other O": full = answers with TC=0
# and at least one answer record, tc = TC=1 replies, other = anything else.
import socket
import struct
import sys
import time


def query(qid, qname, qtype):
    wire = b"".join(
        bytes([len(label)]) + label.encode() for label in qname.rstrip(".").split(".")
    )
    return struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + wire + b"\0" + struct.pack("!HH", qtype, 1)


def main():
    addr, port, qname, qtype, count = sys.argv[1:6]
    source = sys.argv[6] if len(sys.argv) > 6 else None
    port, qtype, count = int(port), int(qtype), int(count)
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    if source:
        s.bind((source, 0))
    s.connect((addr, port))
    for i in range(1, count + 1):
        s.send(query(i, qname, qtype))
    seen, full, tc, other = set(), 0, 0, 0
    deadline = time.monotonic() + 5.0
    while len(seen) < count:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            m = s.recv(65535)
        except socket.timeout:
            break
        if len(m) < 12:
            continue
        qid, flags, _, an = struct.unpack("!HHHH", m[:8])
        if qid in seen or not 1 <= qid <= count:
            continue
        seen.add(qid)
        if flags & 0x0200:
            tc += 1
        elif an > 0:
            full += 1
        else:
            other += 1
    print(f"sent {count} full {full} tc {tc} other {other}")


main()
