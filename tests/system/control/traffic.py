#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# traffic.py -- known DNS traffic for tests/system/control, each request sent once, so that every
# stats counter has an exact expected value.
"""Usage: traffic.py PORT all|short|N

  all    three UDP L64 queries (the first with EDNS), one TCP A query for a
         missing name, one UDP TXT query whose answer does not fit in 512
         octets (no EDNS), one 5-octet UDP packet (too short for a header)
         and one UDP request with opcode STATUS.
  short  one 5-octet UDP packet.
  N      N plain UDP L64 queries.
Prints one line per request: what came back. No retries, no cookies.
"""
import os
import socket
import struct
import sys

sys.dont_write_bytecode = True  # nothing written beside the sources (distcheck's are read-only)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from dnsprobe import connect, framed, query, recv_msg  # noqa: E402

OPT = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)  # EDNS(0) OPT, no options (RFC 6891)


def udp(port, msg, wait=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(wait)
    s.sendto(msg, ("127.0.0.1", port))
    try:
        r = s.recv(65535)
    except socket.timeout:
        return "no answer"
    finally:
        s.close()
    flags = struct.unpack("!H", r[2:4])[0]
    return "rcode %d tc %d" % (flags & 0xF, flags >> 9 & 1)


def with_opt(msg):
    return msg[:10] + b"\x00\x01" + msg[12:] + OPT  # ARCOUNT 1


def with_opcode(msg, opcode):
    return msg[:2] + struct.pack("!H", opcode << 11) + msg[4:]  # RFC 1035 4.1.1


def main(argv):
    if len(argv) != 3:
        print(__doc__)
        return 2
    port = int(argv[1])
    if argv[2] == "short":
        print("short", udp(port, b"\x12\x34\x00\x00\x00", wait=1.0))
        return 0
    if argv[2] != "all":
        for i in range(int(argv[2])):
            print("L64", udp(port, query(50 + i, "host1.ctl.test.", 106)))
        return 0
    for i in range(3):
        m = query(10 + i, "host1.ctl.test.", 106)
        print("L64", udp(port, with_opt(m) if i == 0 else m))
    s = connect("127.0.0.1", port)
    s.sendall(framed(query(20, "nothere.ctl.test.", 1)))
    r = recv_msg(s)
    s.close()
    print("tcp A", "rcode %d" % (r[3] & 0xF) if r else "no answer")
    print("TXT", udp(port, query(30, "big.ctl.test.", 16)))
    print("short", udp(port, b"\x12\x34\x00\x00\x00", wait=1.0))
    print("STATUS", udp(port, with_opcode(query(40, "host1.ctl.test.", 1), 2)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
