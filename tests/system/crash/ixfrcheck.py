#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# ixfrcheck.py -- replay the IXFR from the first serial onto the first zone; compare with the AXFR.
"""ixfrcheck.py FIRST_AXFR IXFR CURRENT_AXFR FIRST_SERIAL

Each file is `dig +noall +answer` output. The IXFR was asked from
FIRST_SERIAL; it must be incremental (RFC 1995 section 4: SOA new, then
difference sequences "SOA old, removed..., SOA new, added..." chained from
FIRST_SERIAL, then SOA new again), not a whole zone, which would mean the
journal no longer reaches back to FIRST_SERIAL. Every removed RR must be
in the zone when its sequence applies, every sequence must start at the
serial the previous one ended at, and the result must be exactly the
records of CURRENT_AXFR. Prints "ok SEQUENCES REMOVED ADDED RECORDS" and
exits 0, or prints what differs and exits 1.
"""
import sys


def records(path):
    out = []
    with open(path) as f:
        for line in f:
            if not line.strip() or line.startswith(";"):
                continue
            fld = line.split()
            if len(fld) < 4:
                raise SystemExit("%s: short record: %s" % (path, line.strip()))
            # Owner lowercased (RFC 4343); TTL kept: both transfers apply the same ILNP TTL.
            out.append((fld[0].lower(), fld[1], fld[2], fld[3], " ".join(fld[4:])))
    return out


def is_soa(rr):
    return rr[3] == "SOA"


def serial(rr):
    return int(rr[4].split()[2])


def axfr_set(path):
    rrs = records(path)
    if len(rrs) < 2 or not is_soa(rrs[0]) or rrs[-1] != rrs[0]:
        raise SystemExit("%s: not a complete AXFR (%d records)" % (path, len(rrs)))
    zone = set(rrs[:-1])
    if len(zone) != len(rrs) - 1:
        raise SystemExit("%s: duplicate records in the AXFR" % path)
    return zone, serial(rrs[0])


def main():
    first_zone, first_soa = axfr_set(sys.argv[1])
    cur_zone, cur_serial = axfr_set(sys.argv[3])
    first = int(sys.argv[4])
    if first_soa != first:
        raise SystemExit("first AXFR has serial %d, not %d" % (first_soa, first))
    ixfr = records(sys.argv[2])
    if not ixfr or not is_soa(ixfr[0]):
        raise SystemExit("IXFR from %d: no answer" % first)
    if serial(ixfr[0]) != cur_serial:
        raise SystemExit("IXFR ends at %d, AXFR is at %d" % (serial(ixfr[0]), cur_serial))
    zone = set(first_zone)
    nseq = nrem = nadd = 0
    if len(ixfr) == 1:
        if cur_serial != first:
            raise SystemExit("IXFR says current but the serial moved")
    else:
        if not is_soa(ixfr[1]):
            raise SystemExit("IXFR from %d is a whole zone: the journal does not reach back" %
                             first)
        if ixfr[-1] != ixfr[0]:
            raise SystemExit("IXFR does not end with the new SOA (truncated?)")
        body = ixfr[1:-1]
        at = first
        i = 0
        while i < len(body):
            old = body[i]
            if not is_soa(old) or serial(old) != at:
                raise SystemExit("sequence %d starts at %s, expected serial %d" %
                                 (nseq + 1, old[4], at))
            i += 1
            removed = [old]
            while i < len(body) and not is_soa(body[i]):
                removed.append(body[i])
                i += 1
            if i == len(body):
                raise SystemExit("sequence %d has no new SOA" % (nseq + 1))
            added = [body[i]]
            at = serial(body[i])
            i += 1
            while i < len(body) and not is_soa(body[i]):
                added.append(body[i])
                i += 1
            for rr in removed:
                if rr not in zone:
                    raise SystemExit("sequence %d removes an absent RR: %s" %
                                     (nseq + 1, " ".join(rr)))
                zone.discard(rr)
            zone.update(added)
            nseq += 1
            nrem += len(removed) - 1
            nadd += len(added) - 1
        if at != cur_serial:
            raise SystemExit("the sequences end at %d, not %d" % (at, cur_serial))
    missing = sorted(cur_zone - zone)
    extra = sorted(zone - cur_zone)
    if missing or extra:
        for rr in missing[:5]:
            print("in the zone, not in the replayed journal: " + " ".join(rr))
        for rr in extra[:5]:
            print("in the replayed journal, not in the zone: " + " ".join(rr))
        print("%d missing, %d extra" % (len(missing), len(extra)))
        return 1
    print("ok %d %d %d %d" % (nseq, nrem, nadd, len(zone)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
