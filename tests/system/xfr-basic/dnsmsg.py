#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# dnsmsg.py -- the DNS messages of the xfr-basic test that dig cannot make: a fake secondary
# answering NOTIFY and SOA queries, an inbound NOTIFY, and an AXFR over UDP.
import socket
import struct
import sys

RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN",
          "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"]


def wire_name(text):
    out = b""
    for label in text.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def skip_name(msg, pos):
    """Position after the (maybe compressed) name at pos."""
    while True:
        n = msg[pos]
        if n == 0:
            return pos + 1
        if n & 0xC0 == 0xC0:
            return pos + 2
        pos += 1 + n


def query(zone, qtype, opcode=0, qid=0x4242):
    flags = opcode << 11
    return struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 0) + wire_name(zone) + struct.pack(
        "!HH", qtype, 1)


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
    rdata = wire_name("ns1.example.ilnp.") + wire_name("h.example.ilnp.") + struct.pack(
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
            if flags & 0x8000 or opcode not in (0, 4) or qd != 1:
                continue
            pos = skip_name(msg, 12)
            qend = pos + 4
            if opcode == 0:
                if struct.unpack("!H", msg[pos:pos + 2])[0] != 6:
                    continue
                serial = serving(serve_file)
                log.write("soa %s\n" % ("-" if serial is None else serial))
                s.sendto(soa_answer(msg, qend, serial), peer)
                continue
            labels, p = [], 12
            while msg[p]:
                labels.append(msg[p + 1:p + 1 + msg[p]].decode())
                p += 1 + msg[p]
            serial = "-"
            if an >= 1:
                p = skip_name(msg, qend) + 10
                p = skip_name(msg, skip_name(msg, p))
                serial = str(struct.unpack("!I", msg[p:p + 4])[0])
            log.write("notify %s. %s\n" % (".".join(labels), serial))
            # QR, opcode NOTIFY, AA; the question echoed (RFC 1996 4.7).
            ans = struct.pack("!HHHHHH", qid, 0x8000 | (4 << 11) | 0x0400, 1, 0, 0, 0)
            s.sendto(ans + msg[12:qend], peer)


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "secondary":
        secondary(sys.argv[3], port, sys.argv[4], sys.argv[5])
    elif cmd == "notify":
        ans = ask_udp(port, query(sys.argv[3], 6, opcode=4))
        flags = struct.unpack("!H", ans[2:4])[0]
        print(RCODES[flags & 0xF], "qr" if flags & 0x8000 else "-", (flags >> 11) & 0xF)
    elif cmd == "udp-axfr":
        ans = ask_udp(port, query(sys.argv[3], 252), sys.argv[4] if len(sys.argv) > 4 else None)
        flags, qd, an = struct.unpack("!HHH", ans[2:8])
        print(RCODES[flags & 0xF], "tc" if flags & 0x0200 else "-", an)
    else:
        sys.exit("usage: dnsmsg.py secondary PORT ADDR LOG SERVE-FILE | notify|udp-axfr PORT ...")


if __name__ == "__main__":
    main()
