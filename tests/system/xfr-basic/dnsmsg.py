#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# dnsmsg.py -- the DNS messages of the xfr-basic test that dig cannot make: a fake secondary
# answering NOTIFY and SOA queries, an inbound NOTIFY, and an AXFR over UDP.
import os
import socket
import struct
import sys

sys.dont_write_bytecode = True  # nothing written beside the sources (distcheck's are read-only)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from dnswire import OP_NOTIFY, OP_QUERY, T_SOA, query, rcode_name, read_name  # noqa: E402
from dnswire import skip_name, soa_serial, wire  # noqa: E402

T_AXFR = 252
QID = 0x4242


def ask_udp(port, msg, src=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if src:
        s.bind((src, 0))
    s.settimeout(3)
    s.sendto(msg, ("127.0.0.1", port))
    ans, _ = s.recvfrom(65535)
    return ans


def serving(path):
    """The serial the test says this secondary serves (the file's number), or None."""
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def soa_answer(msg, qend, serial):
    """The answer to an SOA query: the question echoed, one SOA with that serial (RCODE
    SERVFAIL, no answer, when it serves nothing, as a secondary without the zone)."""
    qid, flags = struct.unpack("!HH", msg[:4])
    if serial is None:
        return struct.pack("!HHHHHH", qid, 0x8000 | 2, 1, 0, 0, 0) + msg[12:qend]
    rdata = wire("ns1.example.ilnp.") + wire("h.example.ilnp.") + struct.pack(
        "!IIIII", serial, 3600, 900, 604800, 0)
    rr = struct.pack("!HHHIH", 0xC00C, 6, 1, 0, len(rdata)) + rdata
    return struct.pack("!HHHHHH", qid, 0x8400, 1, 1, 0, 0) + msg[12:qend] + rr


def secondary(addr, port, out, serve_file):
    """Answer every NOTIFY NOERROR, logging 'notify ZONE SERIAL' (serial from the SOA hint);
    answer SOA queries with the serial in serve_file, logging 'soa SERIAL'."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    with open(out, "a", buffering=1) as log:
        log.write("listening\n")
        while True:
            msg, peer = s.recvfrom(65535)
            qid, flags, qd, an = struct.unpack("!HHHH", msg[:8])
            opcode = (flags >> 11) & 0xF
            if flags & 0x8000 or opcode not in (OP_QUERY, OP_NOTIFY) or qd != 1:
                continue
            pos = skip_name(msg, 12)
            qend = pos + 4
            if opcode == OP_QUERY:
                if struct.unpack("!H", msg[pos:pos + 2])[0] != T_SOA:
                    continue
                serial = serving(serve_file)
                log.write("soa %s\n" % ("-" if serial is None else serial))
                s.sendto(soa_answer(msg, qend, serial), peer)
                continue
            serial = "-"
            if an >= 1:
                serial = str(soa_serial(msg[skip_name(msg, qend) + 10:]))
            log.write("notify %s %s\n" % (read_name(msg, 12)[0], serial))
            # QR, opcode NOTIFY, AA; the question echoed (RFC 1996 4.7).
            ans = struct.pack("!HHHHHH", qid, 0x8000 | (OP_NOTIFY << 11) | 0x0400, 1, 0, 0, 0)
            s.sendto(ans + msg[12:qend], peer)


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "secondary":
        secondary(sys.argv[3], port, sys.argv[4], sys.argv[5])
    elif cmd == "notify":
        ans = ask_udp(port, query(QID, sys.argv[3], T_SOA, opcode=OP_NOTIFY))
        flags = struct.unpack("!H", ans[2:4])[0]
        print(rcode_name(flags & 0xF), "qr" if flags & 0x8000 else "-", (flags >> 11) & 0xF)
    elif cmd == "udp-axfr":
        ans = ask_udp(port, query(QID, sys.argv[3], T_AXFR),
                      sys.argv[4] if len(sys.argv) > 4 else None)
        flags, qd, an = struct.unpack("!HHH", ans[2:8])
        print(rcode_name(flags & 0xF), "tc" if flags & 0x0200 else "-", an)
    else:
        sys.exit("usage: dnsmsg.py secondary PORT ADDR LOG SERVE-FILE | notify|udp-axfr PORT ...")


if __name__ == "__main__":
    main()
