# SPDX-License-Identifier: BSD-2-Clause
# dnswire.py -- DNS messages built and parsed, and a TSIG signer, written from the RFCs alone.
"""Shared by the system tests' Python probes (update-load/load.py,
tsig-errors/probe.py, secondaries/poll.py, xfr-basic/dnsmsg.py, and through
dnsprobe.py every probe that asks a query). The TSIG here (RFC 8945) uses
Python's hmac and shares no code with lib/tsig.c, so the tests that sign
with it are an independent oracle for the server's TSIG."""
import base64
import collections
import hashlib
import hmac
import struct
import time

T_A, T_SOA, T_TXT, T_SIG, T_OPT, T_NID, T_L64, T_TSIG, T_ANY = 1, 6, 16, 24, 41, 104, 106, 250, 255
C_IN, C_NONE, C_ANY = 1, 254, 255
OP_QUERY, OP_NOTIFY, OP_UPDATE = 0, 4, 5
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED",
          6: "YXDOMAIN", 7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE", 16: "BADVERS"}


def rcode_name(rcode):
    return RCODES.get(rcode, "RCODE%d" % rcode)


# ---- building ----

def wire(name):
    """name in uncompressed wire form, case kept ("." and "" are the root)."""
    labels = [lab for lab in name.rstrip(".").split(".") if lab]
    return b"".join(bytes([len(lab)]) + lab.encode() for lab in labels) + b"\0"


def rr(name, rtype, rclass, ttl=0, rdata=b""):
    return wire(name) + struct.pack("!HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def txt(text):
    """TXT RDATA of one character-string."""
    return bytes([len(text)]) + text.encode()


def message(qid, opcode, first, sections=((), (), ()), qdcount=None):
    """Header, the first section (list of (name, type, class)), then three RR lists."""
    body = b"".join(wire(n) + struct.pack("!HH", t, c) for n, t, c in first)
    for sec in sections:
        body += b"".join(sec)
    counts = [len(first) if qdcount is None else qdcount] + [len(s) for s in sections]
    return struct.pack("!HHHHHH", qid, opcode << 11, *counts) + body


def query(qid, name, qtype, opcode=OP_QUERY):
    """A question for name/qtype, class IN, RD clear."""
    return message(qid, opcode, [(name, qtype, C_IN)])


def update(qid, zone, prereqs=(), updates=(), extra=(), zocount=None):
    """An UPDATE (RFC 2136 2): zocount copies of the zone entry, then the three RR lists."""
    return message(qid, OP_UPDATE, [(zone, T_SOA, C_IN)] * (zocount or 1),
                   (prereqs, updates, extra))


def with_rr(msg, extra):
    """msg with one more additional RR at its end."""
    arcount = struct.unpack("!H", msg[10:12])[0]
    return msg[:10] + struct.pack("!H", arcount + 1) + msg[12:] + extra


# ---- parsing ----

RR = collections.namedtuple("RR", "section start rtype rclass ttl rdata_at rdata")


def skip_name(msg, pos):
    """Position after the (maybe compressed) name at pos; follows no pointer, so it also
    works on an RDATA cut out of its message."""
    while True:
        n = msg[pos]
        if n == 0:
            return pos + 1
        if n & 0xC0 == 0xC0:
            return pos + 2
        pos += n + 1


def read_name(msg, pos):
    """(name text ending in ".", case kept, position after it), following compression
    pointers."""
    labels, end, hops = [], None, 0
    while True:
        n = msg[pos]
        if n & 0xC0 == 0xC0:
            if end is None:
                end = pos + 2
            pos = ((n & 0x3F) << 8) | msg[pos + 1]
            hops += 1
            if hops > 64:
                raise ValueError("pointer loop")
            continue
        if n == 0:
            return ".".join(labels) + ".", end if end is not None else pos + 1
        labels.append(msg[pos + 1:pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n


def parse(msg):
    """(header (id, flags, qd, an, ns, ar), [RR] of all three sections in order, the
    offset after the last RR); section is 1 (answer), 2 (authority) or 3 (additional)."""
    hdr = struct.unpack("!HHHHHH", msg[:12])
    pos = 12
    for _ in range(hdr[2]):
        pos = skip_name(msg, pos) + 4
    out = []
    for i in range(hdr[3] + hdr[4] + hdr[5]):
        start = pos
        pos = skip_name(msg, pos)
        rtype, rclass, ttl, rdlen = struct.unpack("!HHIH", msg[pos:pos + 10])
        section = 1 if i < hdr[3] else 2 if i < hdr[3] + hdr[4] else 3
        out.append(RR(section, start, rtype, rclass, ttl, pos + 10, msg[pos + 10:pos + 10 + rdlen]))
        pos += 10 + rdlen
    return hdr, out, pos


def answers(msg):
    """[(type, rdata)] of msg's answer section."""
    return [(r.rtype, r.rdata) for r in parse(msg)[1] if r.section == 1]


def texts(msg):
    """The text of every TXT in msg's answer section, in order (the tests write TXT of
    one character-string: its length octet is dropped, anything after it kept)."""
    return [rd[1:].decode() for t, rd in answers(msg) if t == T_TXT]


def soa_serial(rdata):
    """The SERIAL of an SOA RDATA (RFC 1035 3.3.13)."""
    p = skip_name(rdata, skip_name(rdata, 0))
    return struct.unpack("!I", rdata[p:p + 4])[0]


# ---- TSIG, from RFC 8945 4.2 and 4.3 ----

HASHES = {"hmac-md5.sig-alg.reg.int": hashlib.md5, "hmac-sha1": hashlib.sha1,
          "hmac-sha224": hashlib.sha224, "hmac-sha256": hashlib.sha256,
          "hmac-sha384": hashlib.sha384, "hmac-sha512": hashlib.sha512}


class Key:
    """A TSIG key: name (absolute), algorithm name (lowercase, no final dot), secret octets."""

    def __init__(self, name, alg, secret):
        self.name = name if name.endswith(".") else name + "."
        self.alg = alg.rstrip(".").lower()
        self.secret = secret
        self.hash = HASHES[self.alg]
        self.size = self.hash().digest_size

    @classmethod
    def parse(cls, spec):
        """A key from NAME:ALG:BASE64SECRET."""
        name, alg, secret = spec.split(":", 2)
        return cls(name, alg, base64.b64decode(secret))


def tsig_vars(key_name, alg, t, fudge, error, other):
    """The TSIG variables (4.3.3): key name and algorithm in canonical (lowercase) form,
    class ANY, TTL 0, times, error, other data."""
    return (wire(key_name.lower()) + struct.pack("!HI", C_ANY, 0) + wire(alg.lower()) +
            struct.pack("!HIH", t >> 32, t & 0xFFFFFFFF, fudge) +
            struct.pack("!HH", error, len(other)) + other)


def tsig_rr(key_name, alg, t, fudge, mac, orig_id, error, other):
    rdata = (wire(alg) + struct.pack("!HIHH", t >> 32, t & 0xFFFFFFFF, fudge, len(mac)) + mac +
             struct.pack("!HHH", orig_id, error, len(other)) + other)
    return rr(key_name, T_TSIG, C_ANY, 0, rdata)


def sign(msg, key, offset=0, fudge=300, maclen=None, secret=None, alg=None, key_name=None,
         error=0, mac=None, at=None):
    """msg with a TSIG appended (4.2, MAC as in 4.3.3); returns (signed message, the MAC as
    sent). The test cases' knobs: offset (seconds added to the clock), fudge, maclen
    (truncated MAC), secret, alg or key_name other than the key's, error, a given mac, or
    at (Time Signed itself, to sign one message twice alike)."""
    t = (int(time.time()) if at is None else at) + offset
    alg = alg or key.alg
    key_name = key_name or key.name
    digest = hmac.new(secret if secret is not None else key.secret,
                      msg + tsig_vars(key_name, alg, t, fudge, error, b""), key.hash).digest()
    if mac is None:
        mac = digest[:maclen if maclen is not None else len(digest)]
    orig_id = struct.unpack("!H", msg[:2])[0]
    return with_rr(msg, tsig_rr(key_name, alg, t, fudge, mac, orig_id, error, b"")), mac
