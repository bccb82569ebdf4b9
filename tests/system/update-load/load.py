#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# load.py -- TSIG-signed UPDATE bursts, query streams and visibility probes for the update-load test.
"""Usage: load.py burst PORT ZONE KEY SECRET ROUNDS CONNS
          load.py queries PORT ZONE SECONDS
          load.py visible PORT ZONE KEY SECRET COUNT SOCKETS

burst: ROUNDS times, CONNS TCP connections each get one hmac-sha256-signed
  update, all sent before any answer is read, so the writer finds them
  queued together (group commit). Update c of a round has a prerequisite of
  kind c % 8 (RFC 2136 2.4): 0 nxdomain (true), 1 yxrrset value-independent
  (true), 2 yxrrset (false: NXRRSET), 3 nxdomain (false: YXDOMAIN),
  4 yxdomain (false: NXDOMAIN), 5 nxrrset (false: YXRRSET), 6 and 7 the
  same "nxdomain r<round>-<pair>" racing for one name: exactly one NOERROR
  and one YXDOMAIN, whichever order the writer took them in. Every answer
  must carry its own update's RCODE; then the zone must hold exactly the
  records of the NOERROR updates. Prints "noerror N" (changing updates).

queries: SECONDS of UDP queries one after another from 16 sockets in turn
  (host1 L64 and the SOA), each with 3 tries of 2 s: every query answered
  correctly (host1's L64 RRset, which the load does not touch, the same every
  time), the serial never going back (each query is sent after the last
  answer came, so it sees a snapshot at least as new); latency figures
  printed.

visible: COUNT updates over TCP, each adding v<k> TXT; as soon as its
  NOERROR is read, v<k> TXT is asked from SOCKETS fresh UDP sockets (other
  source ports, so SO_REUSEPORT spreads them over the workers) and over TCP:
  every one must see it (RFC 2136 3.5: the answer follows the commit).

Exit status 1 if any check failed."""
import base64
import os
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True  # nothing written beside the sources (distcheck's are read-only)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import dnsprobe  # noqa: E402
from dnswire import C_ANY, C_IN, C_NONE, T_ANY, T_L64, T_NID, T_SOA, T_TXT  # noqa: E402
from dnswire import Key, answers, rcode_name, rr, sign, soa_serial, texts, txt, update  # noqa: E402


def signed_update(qid, zone, prereqs, updates, key):
    return sign(update(qid, zone, prereqs, updates), key)[0]


def rcode_of(resp, qid):
    if resp is None or len(resp) < 12 or struct.unpack("!H", resp[:2])[0] != qid:
        return "NOANSWER"
    return rcode_name(resp[3] & 0xF)


def ask_udp(s, port, qid, name, qtype, timeout=2.0, tries=3):
    """(response or None, seconds) with up to tries sends on socket s."""
    t0 = time.monotonic()
    q = dnsprobe.query(qid, name, qtype)
    s.settimeout(timeout)
    for _ in range(tries):
        s.sendto(q, ("127.0.0.1", port))
        try:
            while True:
                data = s.recv(65535)
                if data[:2] == q[:2]:
                    return data, time.monotonic() - t0
        except socket.timeout:
            continue
    return None, time.monotonic() - t0


def txt_at(port, name, s=None):
    own = s is None
    if own:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    qid = int.from_bytes(os.urandom(2), "big")
    resp, _ = ask_udp(s, port, qid, name, T_TXT)
    if own:
        s.close()
    if resp is None:
        return None, []
    return resp[3] & 0xF, texts(resp)


def burst(port, zone, key, rounds, conns):
    expect_fixed = {0: "NOERROR", 1: "NOERROR", 2: "NXRRSET", 3: "YXDOMAIN", 4: "NXDOMAIN",
                    5: "YXRRSET"}
    results = {}  # i -> (kind, rcode, race name)
    wrong = []
    t0 = time.monotonic()
    for r in range(rounds):
        socks, msgs = [], []
        for c in range(conns):
            i = r * conns + c
            kind = c % 8
            name = "u%d.%s" % (i, zone)
            race = None
            if kind == 0:
                pre = rr(name, T_ANY, C_NONE)
            elif kind == 1:
                pre = rr("host1." + zone, T_NID, C_ANY)
            elif kind == 2:
                pre = rr("nothere%d.%s" % (i, zone), T_TXT, C_ANY)
            elif kind == 3:
                pre = rr("host1." + zone, T_ANY, C_NONE)
            elif kind == 4:
                pre = rr("nope%d.%s" % (i, zone), T_ANY, C_ANY)
            elif kind == 5:
                pre = rr("host1." + zone, T_L64, C_NONE)
            else:
                race = "r%d-%d.%s" % (r, c // 8, zone)
                name = race
                pre = rr(race, T_ANY, C_NONE)
            qid = (i * 7 + 1) & 0xFFFF
            msgs.append((i, kind, race, qid))
            s = dnsprobe.connect("127.0.0.1", port, timeout=20.0)
            s.sendall(dnsprobe.framed(signed_update(qid, zone, [pre],
                                                    [rr(name, T_TXT, C_IN, 0, txt(str(i)))], key)))
            socks.append(s)
        for s, (i, kind, race, qid) in zip(socks, msgs):
            try:
                resp = dnsprobe.recv_msg(s)
            except OSError:
                resp = None
            s.close()
            results[i] = (kind, rcode_of(resp, qid), race)
    took = time.monotonic() - t0
    for i, (kind, rc, race) in sorted(results.items()):
        if kind in expect_fixed and rc != expect_fixed[kind]:
            wrong.append("u%d kind %d: %s, not %s" % (i, kind, rc, expect_fixed[kind]))
    dnsprobe.check(not wrong, "burst: every fixed-prerequisite update got its own RCODE (%d "
                   "updates; %s)" % (len(results), "; ".join(wrong[:3]) or "none wrong"))
    races = {}
    for i, (kind, rc, race) in results.items():
        if race:
            races.setdefault(race, []).append((i, rc))
    bad_race = [n for n, v in races.items()
                if sorted(x[1] for x in v) != ["NOERROR", "YXDOMAIN"]]
    dnsprobe.check(not bad_race, "burst: each of %d racing pairs got one NOERROR and one YXDOMAIN"
                   " (%s)" % (len(races), ", ".join(bad_race[:3]) or "all"))

    # The zone: exactly the NOERROR updates' records.
    missing, extra = [], []
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i, (kind, rc, race) in sorted(results.items()):
        if race:
            continue
        qrc, got = txt_at(port, "u%d.%s" % (i, zone), s)
        if rc == "NOERROR" and got != [str(i)]:
            missing.append("u%d (%s %s)" % (i, qrc, got))
        if rc != "NOERROR" and (qrc != 3 or got):
            extra.append("u%d (%s %s)" % (i, qrc, got))
    for n, v in sorted(races.items()):
        winners = [str(i) for i, rc in v if rc == "NOERROR"]
        qrc, got = txt_at(port, n, s)
        if got != winners:
            missing.append("%s holds %s, winner %s" % (n, got, winners))
    s.close()
    dnsprobe.check(not missing, "burst: every NOERROR update is in the zone, race winners only"
                   " (%s)" % ("; ".join(missing[:3]) or "all there"))
    dnsprobe.check(not extra, "burst: no refused update left a record (%s)"
                   % ("; ".join(extra[:3]) or "none"))
    n_ok = sum(1 for k, rc, _ in results.values() if rc == "NOERROR")
    print("figures: %d signed updates in %d bursts of %d over TCP in %.2f s (%.0f/s), %d NOERROR"
          % (len(results), rounds, conns, took, len(results) / took, n_ok), flush=True)
    print("noerror %d" % n_ok, flush=True)


def serial_of(resp):
    for t, rd in answers(resp):
        if t == T_SOA:
            return soa_serial(rd)
    return None


def queries(port, zone, seconds):
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(16)]
    lat, bad, unanswered, backwards = [], [], 0, 0
    serials = []
    l64_count = None
    n = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        s = socks[n % len(socks)]
        qid = (n * 13 + 5) & 0xFFFF
        soa = n % 2 == 1
        resp, took = ask_udp(s, port, qid, zone if soa else "host1." + zone,
                             T_SOA if soa else T_L64)
        n += 1
        if resp is None:
            unanswered += 1
            continue
        lat.append(took)
        rc, ans = resp[3] & 0xF, answers(resp)
        if soa:
            sr = serial_of(resp)
            if rc != 0 or sr is None:
                bad.append("SOA rcode %d" % rc)
                continue
            if serials and (sr - serials[-1]) % 2**32 >= 2**31:
                backwards += 1
            serials.append(sr)
        else:
            nl64 = len([a for a in ans if a[0] == T_L64])
            if l64_count is None:
                l64_count = nl64
            if rc != 0 or nl64 == 0 or nl64 != l64_count:
                bad.append("host1 L64 rcode %d, %d RRs" % (rc, nl64))
    for s in socks:
        s.close()
    lat.sort()
    dnsprobe.check(unanswered == 0, "queries: every one of %d answered (3 tries of 2 s), %d not"
                   % (n, unanswered))
    dnsprobe.check(not bad, "queries: every answer right (%s)" % ("; ".join(bad[:3]) or "all"))
    dnsprobe.check(backwards == 0, "queries: the serial never went back (%d times)" % backwards)
    if lat:
        print("figures: %d queries in %.1f s (%.0f/s), latency median %.2f ms, 99th %.2f ms, "
              "max %.2f ms" % (n, seconds, n / seconds, lat[len(lat) // 2] * 1000,
                               lat[min(len(lat) - 1, len(lat) * 99 // 100)] * 1000,
                               lat[-1] * 1000), flush=True)
    if serials:
        print("serials %d %d" % (serials[0], serials[-1]), flush=True)


def visible(port, zone, key, count, nsocks):
    late, notok = [], []
    for k in range(count):
        name = "v%d.%s" % (k, zone)
        qid = (k * 11 + 3) & 0xFFFF
        s = dnsprobe.connect("127.0.0.1", port, timeout=20.0)
        s.sendall(dnsprobe.framed(signed_update(qid, zone, [],
                                                [rr(name, T_TXT, C_IN, 0, txt(str(k)))], key)))
        try:
            rc = rcode_of(dnsprobe.recv_msg(s), qid)
        except OSError:
            rc = "NOANSWER"
        s.close()
        if rc != "NOERROR":
            notok.append("v%d: %s" % (k, rc))
            continue
        # At once, from fresh source ports (each maybe another worker), then over TCP.
        for j in range(nsocks):
            qrc, got = txt_at(port, name)
            if got != [str(k)]:
                late.append("v%d udp socket %d: %s %s" % (k, j, qrc, got))
        try:
            t = dnsprobe.connect("127.0.0.1", port, timeout=10.0)
            t.sendall(dnsprobe.framed(dnsprobe.query(qid, name, T_TXT)))
            resp = dnsprobe.recv_msg(t)
            t.close()
            if texts(resp) != [str(k)]:
                late.append("v%d tcp: %s" % (k, answers(resp)))
        except (OSError, TypeError):
            late.append("v%d tcp: no answer" % k)
    dnsprobe.check(not notok, "visible: %d updates acknowledged (%s)"
                   % (count, "; ".join(notok[:3]) or "all NOERROR"))
    dnsprobe.check(not late, "visible: each change seen by the next query from %d UDP source "
                   "ports and TCP (%s)" % (nsocks, "; ".join(late[:3]) or "always"))


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[1]
    if cmd == "burst" and len(argv) == 8:
        burst(int(argv[2]), argv[3], Key(argv[4], "hmac-sha256", base64.b64decode(argv[5])),
              int(argv[6]), int(argv[7]))
    elif cmd == "queries" and len(argv) == 5:
        queries(int(argv[2]), argv[3], float(argv[4]))
    elif cmd == "visible" and len(argv) == 8:
        visible(int(argv[2]), argv[3], Key(argv[4], "hmac-sha256", base64.b64decode(argv[5])),
                int(argv[6]), int(argv[7]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 1 if dnsprobe.failures() else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
