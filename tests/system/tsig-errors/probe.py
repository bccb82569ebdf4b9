#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# probe.py -- RFC 8945 on the wire, checked by a TSIG written from the RFC alone (Python hmac).
"""Usage: probe.py PHASE PORT KEY...

KEY is NAME:ALG:BASE64SECRET (ALG as in the TSIG algorithm name, e.g.
hmac-sha256, hmac-md5.sig-alg.reg.int). The first key is the admin key: the
policy lets it change anything in example.ilnp.; "limited-key." may only add
TXT at limited.example.ilnp.; "sha1-key.", "trunc-key." (configured as
hmac-sha256-128) and "md5-key." (hmac-md5, allow-md5) may add TXT anywhere in
the zone.

Signing (../dnswire.py) and verifying (Answer, here) share no code with
lib/tsig.c, so a mistake made the same way on both sides cannot hide. Every check prints "ok   ..." or
"FAIL ..."; the exit status is the number of failures (at most 100).

Phases:
  main   every answer to a request that passed TSIG is signed (updates of
         every RCODE, queries, UDP and TCP); BADKEY, BADSIG unsigned with
         the error in the TSIG; BADTIME signed with the request's time and
         the server's in Other Data; BADTRUNC signed; the truncation rules
         of 5.2.2.1; the request's fudge decides; replays; an
         unauthenticated client gets the same answer whatever the zone
         holds; structure errors (two signatures, TSIG not last).
  limit  (server with update-fail-limit: 3) three forged signatures, then a
         good one from the same source is REFUSED, unsigned.
  replay-save     (issue 3) a signed add, NOERROR, its octets saved in the
                  file $PROBE_STATE, then a second update deletes the TXT;
  replay-restart  (run after ilnpdnsd restarted on the same database) the
                  saved octets again, within the fudge: NOTAUTH/BADTIME,
                  signed, and the TXT stays absent;
  replay-many     a signed add and its undo, then MANY_UPDATES other signed
                  updates (TCP, pipelined, bounded in time), then the add
                  again: NOTAUTH/BADTIME, nothing added.
"""
import hmac
import os
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True  # nothing written beside the sources (distcheck's are read-only)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from dnsprobe import check, connect, failures, framed, recv_msg  # noqa: E402
from dnswire import C_ANY, C_IN, C_NONE, RCODES, T_A, T_ANY, T_OPT, T_SIG, T_SOA  # noqa: E402
from dnswire import T_TSIG, T_TXT, Key, parse, query, read_name, rr, sign  # noqa: E402
from dnswire import texts, tsig_vars, txt, with_rr, wire  # noqa: E402
from dnswire import update as _update  # noqa: E402

BADSIG, BADKEY, BADTIME, BADTRUNC = 16, 17, 18, 22
ZONE = "example.ilnp."
PORT = 0


def update(qid, zone=ZONE, prereqs=(), updates=(), extra=(), zocount=None):
    return _update(qid, zone, prereqs, updates, extra, zocount)


def add_txt(owner, text):
    return rr(owner, T_TXT, C_IN, 300, txt(text))


class Answer:
    """An answer and its TSIG, checked against key and the request MAC it must cover."""

    def __init__(self, data, key, req_mac):
        self.data = data
        self.rcode = None
        self.tsig = None  # dict of the TSIG fields when the last RR is one
        if data is None or len(data) < 12:
            return
        (self.id, flags, _, _, _, ar), rrs, end = parse(data)
        self.rcode = flags & 0xF
        self.qr = bool(flags & 0x8000)
        for r in rrs:
            if r.rtype == T_OPT and r.section == 3:
                self.rcode |= (r.ttl >> 24) << 4  # extended RCODE (RFC 6891 6.1.3)
        if not rrs or rrs[-1].rtype != T_TSIG or end != len(data):
            return
        start = rrs[-1].start
        # Compared and hashed in canonical (lowercase) form (RFC 8945 4.3.3).
        key_name = read_name(data, start)[0].lower()
        alg, p = read_name(data, rrs[-1].rdata_at)
        alg = alg.lower()
        hi, lo, fudge, maclen = struct.unpack("!HIHH", data[p:p + 10])
        mac = data[p + 10:p + 10 + maclen]
        p += 10 + maclen
        orig_id, error, olen = struct.unpack("!HHH", data[p:p + 6])
        other = data[p + 6:p + 6 + olen]
        t = (hi << 32) | lo
        self.tsig = dict(key=key_name, alg=alg.rstrip("."), time=t, fudge=fudge, mac=mac,
                         orig_id=orig_id, error=error, other=other)
        # 4.3.1: request MAC (size and octets), the answer before its TSIG
        # (ID = Original ID, ARCOUNT one less), the TSIG variables.
        unsigned = (struct.pack("!H", orig_id) + data[2:10] + struct.pack("!H", ar - 1) +
                    data[12:start])
        digest = hmac.new(key.secret, struct.pack("!H", len(req_mac)) + req_mac + unsigned +
                          tsig_vars(key_name, alg, t, fudge, error, other), key.hash).digest()
        self.mac_ok = maclen > 0 and hmac.compare_digest(digest[:maclen], mac)

    def name(self):
        if self.rcode is None:
            return "no answer"
        text = RCODES.get(self.rcode, str(self.rcode))
        if self.tsig and self.tsig["error"]:
            text += "(%d)" % self.tsig["error"]
        return text


# ---- transport ----

def send_udp(msg, timeout=10.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(msg, ("127.0.0.1", PORT))
        return s.recv(65535)
    except OSError:
        return None
    finally:
        s.close()


def send_tcp(msgs, timeout=10.0):
    """The messages over one connection, one answer each (None where none came)."""
    out = []
    try:
        s = connect("127.0.0.1", PORT, timeout=timeout)
        for m in msgs:
            s.sendall(framed(m))
            out.append(recv_msg(s))
        s.close()
    except OSError:
        pass
    return out + [None] * (len(msgs) - len(out))


def exchange(msg, key, req_mac, tcp=False):
    data = send_tcp([msg])[0] if tcp else send_udp(msg)
    return Answer(data, key, req_mac)


# ---- checks ----

def txt_of(owner):
    """The TXT strings at owner, asked unsigned."""
    a = send_udp(query(0x7777, owner, T_TXT))
    return None if a is None else sorted(texts(a))


def check_signed(ans, key, want_rcode, what, req_id, req_mac, maclen=None):
    """ans has RCODE want_rcode and a TSIG by key that verifies, error 0, fresh time."""
    ok = (ans.rcode == want_rcode and ans.qr and ans.id == req_id and ans.tsig is not None and
          ans.tsig["error"] == 0 and ans.mac_ok and ans.tsig["key"] == key.name and
          ans.tsig["alg"] == key.alg and ans.tsig["orig_id"] == req_id and
          abs(ans.tsig["time"] - time.time()) <= 60 and
          len(ans.tsig["mac"]) == (maclen or key.size))
    check(ok, "%s: %s, signed by %s, MAC verifies (got %s%s)" % (
        what, RCODES[want_rcode], key.name, ans.name(),
        "" if ans.tsig is None else ", MAC %d octets %s" % (
            len(ans.tsig["mac"]), "good" if ans.mac_ok else "BAD")))


def check_unsigned_error(ans, key_name, alg, error, what):
    """5.3.2: NOTAUTH, a TSIG with the error and an empty MAC."""
    t = ans.tsig
    ok = (ans.rcode == 9 and t is not None and t["error"] == error and len(t["mac"]) == 0 and
          t["key"] == key_name and t["alg"] == alg)
    check(ok, "%s: NOTAUTH, TSIG error %d, MAC size 0 (got %s%s)" % (
        what, error, ans.name(), "" if t is None else ", MAC %d octets" % len(t["mac"])))


def signed_update_rcodes(admin, limited):
    """Every answer to an update that passed TSIG is signed, whatever its RCODE."""
    cases = [
        ("NOERROR add", 0, admin, update(0x100, updates=[add_txt("a1.example.ilnp.", "a1")])),
        ("FORMERR: two zone entries (RFC 2136 3.1.1)", 1, admin,
         update(0x101, zocount=2, updates=[add_txt("a2.example.ilnp.", "x")])),
        ("FORMERR: class NONE delete with a TTL (2.5.4)", 1, admin,
         update(0x102, updates=[rr("a2.example.ilnp.", T_TXT, C_NONE, 5, txt("x"))])),
        ("NOTAUTH: a zone not served (3.1.2)", 9, admin,
         update(0x103, zone="other.ilnp.", updates=[add_txt("x.other.ilnp.", "x")])),
        ("NOTZONE: an owner outside the zone (3.4.1.3)", 10, admin,
         update(0x104, updates=[add_txt("www.example.com.", "x")])),
        ("REFUSED: outside limited-key's policy", 5, limited,
         update(0x105, updates=[add_txt("host1.example.ilnp.", "x")])),
        ("NXDOMAIN: yxdomain prerequisite false", 3, admin,
         update(0x106, prereqs=[rr("nope.example.ilnp.", T_ANY, C_ANY, 0, b"")],
                updates=[add_txt("a3.example.ilnp.", "x")])),
        ("YXDOMAIN: nxdomain prerequisite false", 6, admin,
         update(0x107, prereqs=[rr("host1.example.ilnp.", T_ANY, C_NONE, 0, b"")],
                updates=[add_txt("a3.example.ilnp.", "x")])),
        ("NXRRSET: yxrrset prerequisite false", 8, admin,
         update(0x108, prereqs=[rr("host1.example.ilnp.", T_A, C_ANY, 0, b"")],
                updates=[add_txt("a3.example.ilnp.", "x")])),
        ("YXRRSET: nxrrset prerequisite false", 7, admin,
         update(0x109, prereqs=[rr("limited.example.ilnp.", T_TXT, C_NONE, 0, b"")],
                updates=[add_txt("a3.example.ilnp.", "x")])),
        ("BADVERS: EDNS version 1 (RFC 6891 6.1.3)", 16, admin,
         update(0x10A, updates=[add_txt("a3.example.ilnp.", "x")],
                extra=[b"\0" + struct.pack("!HHIH", T_OPT, 1232, 1 << 16, 0)])),
    ]
    for tcp in (False, True):
        via = "TCP" if tcp else "UDP"
        for what, want, key, msg in cases:
            if tcp:  # a new ID, and for the add a new owner, so nothing repeats
                msg = struct.pack("!H", struct.unpack("!H", msg[:2])[0] | 0x8000) + msg[2:]
                msg = msg.replace(b"\x02a1\x07", b"\x02t1\x07")
            signed, mac = sign(msg, key)
            ans = exchange(signed, key, mac, tcp)
            check_signed(ans, key, want, "update %s: %s" % (via, what),
                         struct.unpack("!H", msg[:2])[0], mac)
    check(txt_of("a1.example.ilnp.") == ["a1"] and txt_of("t1.example.ilnp.") == ["a1"],
          "the two NOERROR adds are served")
    check(txt_of("a3.example.ilnp.") == [] and txt_of("a2.example.ilnp.") == [],
          "none of the refused updates changed the zone")
    # Two signed updates on one connection: each answer signed over its own request.
    m1, mac1 = sign(update(0x120, updates=[add_txt("c1.example.ilnp.", "c1")]), admin)
    m2, mac2 = sign(update(0x121, updates=[add_txt("www.example.com.", "c2")]), admin)
    a1, a2 = send_tcp([m1, m2])
    check_signed(Answer(a1, admin, mac1), admin, 0, "TCP, first of two on one connection",
                 0x120, mac1)
    check_signed(Answer(a2, admin, mac2), admin, 10, "TCP, second of two on one connection",
                 0x121, mac2)


def signed_queries(admin, other):
    for tcp in (False, True):
        via = "TCP" if tcp else "UDP"
        for qid, name, want in ((0x200, ZONE, 0), (0x201, "nope.example.ilnp.", 3),
                                (0x202, "www.example.com.", 5)):
            qid |= 0x10 if tcp else 0
            msg, mac = sign(query(qid, name, T_SOA), admin)
            check_signed(exchange(msg, admin, mac, tcp), admin, want,
                         "query %s %s SOA" % (via, name), qid, mac)
        msg, mac = sign(query(0x210, ZONE, T_SOA), admin, offset=-1000)
        ans = exchange(msg, admin, mac, tcp)
        check(ans.rcode == 9 and ans.tsig is not None and ans.tsig["error"] == BADTIME and
              ans.mac_ok, "query %s, clock 1000 s behind: NOTAUTH/BADTIME, signed (got %s)" % (
                  via, ans.name()))
        msg, mac = sign(query(0x211, ZONE, T_SOA), other)
        check_unsigned_error(exchange(msg, other, mac, tcp), other.name, other.alg, BADKEY,
                             "query %s, unknown key" % via)


def tsig_errors(admin, stranger, sha1, trunc, md5):
    before = txt_of("e.example.ilnp.")
    body = update(0x300, updates=[add_txt("e.example.ilnp.", "err")])

    # BADKEY: an unknown key, and a known key named with another algorithm
    # (5.2.1: the key decides the algorithm, never the message).
    msg, mac = sign(body, stranger)
    check_unsigned_error(exchange(msg, stranger, mac), stranger.name, stranger.alg, BADKEY,
                         "unknown key")
    msg, mac = sign(body, admin, alg="hmac-sha512")
    check_unsigned_error(exchange(msg, admin, mac), admin.name, "hmac-sha512", BADKEY,
                         "admin-key named with hmac-sha512")
    msg, mac = sign(body, admin, alg="hmac-md5.sig-alg.reg.int")
    check_unsigned_error(exchange(msg, admin, mac), admin.name, "hmac-md5.sig-alg.reg.int",
                         BADKEY, "admin-key named with hmac-md5")

    # BADSIG: a wrong secret; a flipped MAC octet; over TCP too.
    for tcp in (False, True):
        msg, mac = sign(body, admin, secret=b"not the secret")
        check_unsigned_error(exchange(msg, admin, mac, tcp), admin.name, admin.alg, BADSIG,
                             "wrong secret (%s)" % ("TCP" if tcp else "UDP"))
    msg, mac = sign(body, admin)
    msg = msg[:-(6 + 1)] + bytes([msg[-7] ^ 1]) + msg[-6:]  # last MAC octet
    check_unsigned_error(exchange(msg, admin, mac), admin.name, admin.alg, BADSIG,
                         "one MAC bit flipped")

    # MAC before time (5.2.3): a forged MAC with a bad time is BADSIG, not BADTIME.
    msg, mac = sign(body, admin, offset=-3600, secret=b"forged")
    check_unsigned_error(exchange(msg, admin, mac), admin.name, admin.alg, BADSIG,
                         "forged MAC and a clock 1 h off: BADSIG, no signed BADTIME")

    # BADTIME (5.2.3): signed, Time Signed = the request's, Other Data = our time.
    for offset in (-1000, 1000):
        msg, mac = sign(body, admin, offset=offset)
        sent = int(time.time()) + offset
        ans = exchange(msg, admin, mac)
        t = ans.tsig
        ok = (ans.rcode == 9 and t is not None and t["error"] == BADTIME and ans.mac_ok and
              abs(t["time"] - sent) <= 2 and len(t["other"]) == 6 and
              abs(int.from_bytes(t["other"], "big") - time.time()) <= 60 and
              len(t["mac"]) == admin.size)
        check(ok, "clock %+d s: NOTAUTH/BADTIME, signed, request's time echoed, server time "
              "in Other Data (got %s%s)" % (offset, ans.name(), "" if t is None else
                                            ", other %d octets, MAC %s" % (
                                                len(t["other"]), "good" if ans.mac_ok
                                                else "bad")))

    # The request's fudge decides (5.2.3), not a constant.
    for offset, fudge, want in ((-400, 600, 0), (400, 600, 0), (-400, 300, BADTIME),
                                (-30, 10, BADTIME)):
        m = update(0x310 + abs(offset) + fudge, updates=[add_txt("f.example.ilnp.",
                                                                 "%d/%d" % (offset, fudge))])
        msg, mac = sign(m, admin, offset=offset, fudge=fudge)
        ans = exchange(msg, admin, mac)
        got = ans.tsig["error"] if ans.tsig else None
        check((want == 0 and ans.rcode == 0 and got == 0 and ans.mac_ok) or
              (want and ans.rcode == 9 and got == want and ans.mac_ok),
              "clock %+d s, fudge %d: %s (got %s)" % (offset, fudge,
                                                     "NOERROR" if want == 0 else "BADTIME",
                                                     ans.name()))
    check(txt_of("f.example.ilnp.") == ["-400/600", "400/600"],
          "only the updates inside their own fudge changed the zone")

    # 5.2.2.1: MAC sizes that are format errors (FORMERR, no signed answer).
    for n, why in ((0, "empty"), (9, "below 10 octets"), (15, "below half of SHA-256"),
                   (33, "longer than SHA-256")):
        if n <= admin.size:
            msg, mac = sign(body, admin, maclen=n)
        else:
            msg, mac = sign(body, admin, mac=sign(body, admin)[1] + b"\0")
        ans = exchange(msg, admin, mac)
        check(ans.rcode == 1 and (ans.tsig is None or len(ans.tsig["mac"]) == 0),
              "MAC of %d octets (%s): FORMERR, unsigned (got %s)" % (n, why, ans.name()))
    msg, mac = sign(body, sha1, maclen=9)
    ans = exchange(msg, sha1, mac)
    check(ans.rcode == 1, "hmac-sha1, MAC of 9 octets: FORMERR (got %s)" % ans.name())

    # 5.2.4 BADTRUNC: allowed by the RFC but shorter than the key accepts; signed.
    for key, n in ((admin, 16), (admin, 31), (sha1, 10)):
        msg, mac = sign(body, key, maclen=n)
        ans = exchange(msg, key, mac)
        t = ans.tsig
        check(ans.rcode == 9 and t is not None and t["error"] == BADTRUNC and ans.mac_ok and
              len(t["mac"]) >= n, "%s, MAC of %d octets: NOTAUTH/BADTRUNC, signed over the "
              "truncated request MAC (got %s)" % (key.name, n, ans.name()))
    # A key configured hmac-sha256-128 takes 16 octets and answers with 16.
    for n in (16, 24, 32):
        m = update(0x330 + n, updates=[add_txt("trunc.example.ilnp.", "t%d" % n)])
        msg, mac = sign(m, trunc, maclen=n)
        check_signed(exchange(msg, trunc, mac), trunc, 0,
                     "trunc-key (hmac-sha256-128), MAC of %d octets" % n, 0x330 + n, mac,
                     maclen=max(16, n))
    check(txt_of("e.example.ilnp.") == before, "no TSIG failure changed the zone")

    # hmac-sha1 and hmac-md5 (the latter allowed by its key: entry), full length.
    for key in (sha1, md5):
        m = update(0x340 + key.size, updates=[add_txt("alg.example.ilnp.", key.alg)])
        msg, mac = sign(m, key)
        check_signed(exchange(msg, key, mac), key, 0, "%s (%s)" % (key.name, key.alg),
                     0x340 + key.size, mac)
    check(txt_of("alg.example.ilnp.") == sorted([sha1.alg, md5.alg]),
          "the hmac-sha1 and hmac-md5 updates are served")

    # An Error field other than 0 in a request, a TSIG before another RR, two TSIGs.
    msg, mac = sign(body, admin, error=BADSIG)
    check(exchange(msg, admin, mac).rcode == 1, "a request with TSIG error 16: FORMERR")
    signed, mac = sign(body, admin)
    opt = b"\0" + struct.pack("!HHIH", T_OPT, 1232, 0, 0)
    check(exchange(with_rr(signed, opt), admin, mac).rcode == 1,
          "a TSIG that is not the last RR: FORMERR")
    check(exchange(sign(signed, admin)[0], admin, mac).rcode == 1, "two TSIG RRs: FORMERR")


def replays(admin):
    m = update(0x400, updates=[add_txt("r.example.ilnp.", "once")])
    msg, mac = sign(m, admin)
    ans = exchange(msg, admin, mac)
    check_signed(ans, admin, 0, "replay: the original", 0x400, mac)
    for tcp in (False, True):
        ans = exchange(msg, admin, mac, tcp)
        check(ans.rcode == 9 and ans.tsig is not None and ans.tsig["error"] == BADTIME and
              ans.mac_ok, "replay of the same octets over %s: NOTAUTH/BADTIME, signed (got %s)"
              % ("TCP" if tcp else "UDP", ans.name()))
    # The same update signed again (new MAC) is a new request.
    msg, mac = sign(m, admin, offset=-1)
    check_signed(exchange(msg, admin, mac), admin, 0, "the same update signed afresh", 0x400,
                 mac)
    check(txt_of("r.example.ilnp.") == ["once"], "replay: the TXT is there once")


def replay_truncated(trunc):
    """A copy whose MAC is cut shorter (still at least the key's minimum) is the same
    request: the replay defence must not count it as a new one."""
    m = update(0x480, updates=[add_txt("trunc.example.ilnp.", "cut")])
    t = int(time.time())
    msg, mac = sign(m, trunc, at=t)
    check_signed(exchange(msg, trunc, mac), trunc, 0, "trunc-key: the original, whole MAC",
                 0x480, mac)
    for n in (16, 24):
        short, smac = sign(m, trunc, at=t, mac=mac[:n])
        ans = exchange(short, trunc, smac)
        check(ans.rcode == 9 and ans.tsig is not None and ans.tsig["error"] == BADTIME,
              "replay with the MAC cut to %d octets: NOTAUTH/BADTIME (got %s)"
              % (n, ans.name()))


def learns_nothing(admin, limited):
    """Without a valid signature, the answer does not depend on the zone's content."""
    true_pre = rr("host1.example.ilnp.", T_ANY, C_ANY, 0, b"")
    false_pre = rr("nope.example.ilnp.", T_ANY, C_ANY, 0, b"")
    bodies = [
        ("true prerequisite", update(0x500, prereqs=[true_pre],
                                     updates=[add_txt("n.example.ilnp.", "x")])),
        ("false prerequisite", update(0x500, prereqs=[false_pre],
                                      updates=[add_txt("n.example.ilnp.", "x")])),
        ("owner outside the zone", update(0x500, updates=[add_txt("www.example.com.", "x")])),
        ("zone not served", update(0x500, zone="other.ilnp.",
                                   updates=[add_txt("n.other.ilnp.", "x")])),
    ]
    for label, sign_it in (("BADSIG", lambda b: sign(b, admin, secret=b"guess")),
                           ("unsigned", lambda b: (b, b""))):
        seen = []
        for what, b in bodies:
            if label == "unsigned" and what == "zone not served":
                continue  # NOTAUTH says which zones are served: public (SOA queries)
            msg, mac = sign_it(b)
            a = exchange(msg, admin, mac)
            seen.append((what, a.rcode, a.tsig and a.tsig["error"],
                         a.tsig and len(a.tsig["mac"])))
        same = len({s[1:] for s in seen}) == 1
        want = (9, BADSIG, 0) if label == "BADSIG" else (5, None, None)
        check(same and seen[0][1:] == want, "%s: the same answer for every zone state (%s)" % (
            label, "; ".join("%s: %s" % (s[0], RCODES.get(s[1], s[1])) for s in seen)))
    # An authentic key without the right: REFUSED before the prerequisites.
    for what, pre in (("true", true_pre), ("false", false_pre)):
        msg, mac = sign(update(0x510, prereqs=[pre], updates=[add_txt("host1.example.ilnp.",
                                                                      "x")]), limited)
        check_signed(exchange(msg, limited, mac), limited, 5,
                     "limited-key outside its policy, %s prerequisite" % what, 0x510, mac)
    check(txt_of("n.example.ilnp.") == [], "nothing was added")


def sig0_structure(admin):
    """RFC 2931 3 and CVE-2024-1975: one SIG(0), the last RR; not with a TSIG."""
    sig = rr(".", T_SIG, C_ANY, 0, struct.pack("!HBBIIIH", 0, 15, 0, 0, 0x7FFFFFFF, 0, 1) +
             wire("host1.example.ilnp.") + b"\1" * 64)
    body = update(0x600, updates=[add_txt("s.example.ilnp.", "x")])
    a = Answer(send_udp(with_rr(with_rr(body, sig), sig)), admin, b"")
    check(a.rcode == 1, "two SIG(0) RRs: FORMERR before any key is looked at (got %s)" %
          a.name())
    opt = b"\0" + struct.pack("!HHIH", T_OPT, 1232, 0, 0)
    a = Answer(send_udp(with_rr(with_rr(body, sig), opt)), admin, b"")
    check(a.rcode == 1, "a SIG(0) that is not the last RR: FORMERR (got %s)" % a.name())
    signed, mac = sign(with_rr(body, sig), admin)
    # TSIG last, a SIG before it: the TSIG is found (it is the last RR) and
    # authenticates; writer.c then looks for no SIG(0) at all, and the SIG is
    # an additional RR that update.c parses and otherwise ignores (RFC 2136
    # applies only the prerequisite and update sections). So: NOERROR, signed, added.
    a = exchange(signed, admin, mac)
    check(a.rcode == 0 and a.tsig is not None and a.mac_ok,
          "SIG then TSIG: NOERROR, judged by the TSIG alone, the answer signed (got %s)" %
          a.name())
    check(txt_of("s.example.ilnp.") == ["x"],
          "SIG then TSIG: the update was applied (s.example.ilnp. TXT \"x\")")
    a = Answer(send_udp(with_rr(sign(body, admin)[0], sig)), admin, b"")
    check(a.rcode == 1, "TSIG then SIG(0): FORMERR (got %s)" % a.name())


def fail_limit(admin):
    for i in range(3):
        msg, mac = sign(update(0x700 + i, updates=[add_txt("l.example.ilnp.", "x")]), admin,
                        secret=b"forged")
        check_unsigned_error(exchange(msg, admin, mac), admin.name, admin.alg, BADSIG,
                             "limit: forgery %d" % (i + 1))
    msg, mac = sign(update(0x710, updates=[add_txt("l.example.ilnp.", "good")]), admin)
    a = exchange(msg, admin, mac)
    check(a.rcode == 5 and a.tsig is None,
          "limit: then a good signature from the same source: REFUSED, no TSIG (got %s)" %
          a.name())
    check(txt_of("l.example.ilnp.") == [], "limit: nothing added")


# ---- replays across restarts and beyond any cache size (issue 3) ----

MANY_UPDATES = 9000  # more than the 8,192 entries of the old in-memory table
MANY_WINDOW = 256    # answers outstanding on the connection at most
MANY_SECONDS = 150   # the bound; well inside the 300 s fudge of the replayed add


def add_then_delete(admin, qid, owner, what):
    """A signed add (NOERROR) and a signed delete of it; returns the add's octets and MAC."""
    msg, mac = sign(update(qid, updates=[add_txt(owner, what)]), admin)
    check_signed(exchange(msg, admin, mac), admin, 0, "%s: the add" % what, qid, mac)
    check(txt_of(owner) == [what], "%s: the TXT is served" % what)
    dmsg, dmac = sign(update(qid + 1, updates=[rr(owner, T_TXT, C_ANY, 0, b"")]), admin)
    check_signed(exchange(dmsg, admin, dmac), admin, 0, "%s: the delete" % what, qid + 1, dmac)
    check(txt_of(owner) == [], "%s: the TXT is gone" % what)
    return msg, mac


def signed_at(msg):
    """Time Signed and MAC of a signed request (its last RR is the TSIG)."""
    p = read_name(msg, parse(msg)[1][-1].rdata_at)[1]
    hi, lo, _, maclen = struct.unpack("!HIHH", msg[p:p + 10])
    return (hi << 32) | lo, msg[p + 10:p + 10 + maclen]


def check_replayed(admin, msg, mac, owner, what):
    qid = struct.unpack("!H", msg[:2])[0]
    age = int(time.time()) - signed_at(msg)[0]
    ans = exchange(msg, admin, mac)
    # Within the fudge, BADTIME can only be the replay defence.
    check(age < 300 and ans.rcode == 9 and ans.id == qid and ans.tsig is not None and
          ans.tsig["error"] == BADTIME and ans.mac_ok,
          "%s: the add replayed %d s after signing: NOTAUTH/BADTIME, signed (got %s)" % (
              what, age, ans.name()))
    check(txt_of(owner) == [], "%s: the TXT stays absent" % what)


def replay_save(admin, path):
    msg, _ = add_then_delete(admin, 0x800, "restart.example.ilnp.", "before-restart")
    with open(path, "wb") as f:
        f.write(msg)


def replay_restart(admin, path):
    with open(path, "rb") as f:
        msg = f.read()
    check_replayed(admin, msg, signed_at(msg)[1], "restart.example.ilnp.", "after a restart")


def replay_many(admin):
    owner = "many.example.ilnp."
    msg, mac = add_then_delete(admin, 0x900, owner, "before-many")
    nope = rr("nope-many.example.ilnp.", T_ANY, C_ANY, 0, b"")
    start = time.monotonic()
    rcodes = {}
    sent = 0
    try:
        s = connect("127.0.0.1", PORT, timeout=30.0)
        while sent < MANY_UPDATES and time.monotonic() - start < MANY_SECONDS:
            n = min(MANY_WINDOW, MANY_UPDATES - sent)
            # Distinct IDs (and times): distinct MACs, each one a new entry.
            batch = [sign(update(0x1000 + sent + i, prereqs=[nope]), admin)[0]
                     for i in range(n)]
            s.sendall(b"".join(framed(m) for m in batch))
            for _ in range(n):
                a = recv_msg(s)
                rc = None if a is None else struct.unpack("!H", a[2:4])[0] & 0xF
                rcodes[rc] = rcodes.get(rc, 0) + 1
            sent += n
        s.close()
    except OSError as e:
        print("replay-many: connection failed after %d: %s" % (sent, e), flush=True)
    took = time.monotonic() - start
    print("replay-many: %d signed updates in %.1f s (%.0f/s)" % (
        sent, took, sent / took if took else 0), flush=True)
    check(sent == MANY_UPDATES and rcodes == {3: MANY_UPDATES},
          "%d other signed updates over TCP, each answered NXDOMAIN (prerequisite) (got %s)" % (
              MANY_UPDATES, rcodes))
    check_replayed(admin, msg, mac, owner, "after %d other updates" % sent)


def main():
    global PORT
    phase, PORT = sys.argv[1], int(sys.argv[2])
    keys = {k.name: k for k in map(Key.parse, sys.argv[3:])}
    admin = keys["admin-key."]
    if phase == "limit":
        fail_limit(admin)
    elif phase == "replay-save":
        replay_save(admin, os.environ["PROBE_STATE"])
    elif phase == "replay-restart":
        replay_restart(admin, os.environ["PROBE_STATE"])
    elif phase == "replay-many":
        replay_many(admin)
    else:
        stranger = Key("stranger-key.", "hmac-sha256", os.urandom(32))
        signed_update_rcodes(admin, keys["limited-key."])
        signed_queries(admin, stranger)
        tsig_errors(admin, stranger, keys["sha1-key."], keys["trunc-key."], keys["md5-key."])
        replays(admin)
        replay_truncated(keys["trunc-key."])
        learns_nothing(admin, keys["limited-key."])
        sig0_structure(admin)
    print("probe.py finished", flush=True)
    return min(failures(), 100)


if __name__ == "__main__":
    sys.exit(main())
