#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# loris.py -- slow-loris against ilnpdnsd: idle, half-prefix and dribbling TCP connections, limits.
"""Usage: loris.py PORT PER_SOURCE TOTAL IDLE_MS V6(0|1)

The server runs with one worker, tcp-max-per-source PER_SOURCE,
tcp-max-clients TOTAL and tcp-idle-timeout IDLE_MS. Steps, each printing
"ok ..." or "FAIL ..." lines and figures:
  1. from 127.0.0.2, 127.0.0.3 (and ::1) PER_SOURCE + 4 connections each:
     exactly PER_SOURCE stay open per source, the others are closed at once;
     of those kept, some send half a length prefix, one dribbles a query one
     byte every 0.25 s;
  2. meanwhile a client at 127.0.0.1 gets every UDP and TCP query answered
     (each within 5 s) and the dribbled query is answered correctly;
  3. from 127.0.0.4 on, 3 more connections than the total leaves room for:
     the total is enforced, UDP is still answered;
  4. every silent or half-prefix connection is closed by the server about
     IDLE_MS after its last byte (RFC 7766 6.2.3), after which TCP from
     127.0.0.1 is served again.
Exit status 1 if any check failed.
"""
import os
import select
import socket
import sys
import time

sys.dont_write_bytecode = True  # nothing written beside the sources (distcheck's are read-only)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from dnsprobe import check, closed_by_server, failures, framed, query, recv_msg  # noqa: E402
from dnsprobe import connect_from as connect  # noqa: E402
from dnsprobe import good_answer as _good_answer  # noqa: E402
from dnsprobe import tcp_ask as _tcp_ask  # noqa: E402
from dnsprobe import udp_ask as _udp_ask  # noqa: E402

NAME = ("host1.abuse.test.", 106)


def good_answer(resp, qid):
    # NOERROR, AA, one answer at least (the L64 of host1).
    return _good_answer(resp, qid, aa=True)


def udp_ask(qid, port):
    return _udp_ask(qid, port, NAME, aa=True)


def tcp_ask(qid, port):
    return _tcp_ask(qid, port, NAME, aa=True)


def open_many(src, port, n):
    """n connections from src; returns (kept, refused) after the server had its say."""
    conns = [connect(src, port) for _ in range(n)]
    time.sleep(0.5)
    kept, refused = [], 0
    for s in conns:
        if closed_by_server(s, 0.0):
            refused += 1
            s.close()
        else:
            kept.append(s)
    return kept, refused


def main():
    port, per_source, total, idle_ms, v6 = (int(x) for x in sys.argv[1:6])
    idle = idle_ms / 1000.0
    sources = ["127.0.0.2", "127.0.0.3"] + (["::1"] if v6 else [])
    held = []  # (socket, time of its last byte)
    refused_total = 0

    # 1. Per-source limit.
    for src in sources:
        t0 = time.monotonic()
        kept, refused = open_many(src, port, per_source + 4)
        refused_total += refused
        check(len(kept) == per_source and refused == 4,
              f"{src}: {per_source + 4} connections, {len(kept)} kept, {refused} closed at once "
              f"(limit {per_source})")
        for i, s in enumerate(kept):
            if i % 2:
                s.sendall(b"\x00")  # half a length prefix, then silence
            held.append((s, time.monotonic() if i % 2 else t0))

    # 2. Another source is still served, over UDP and TCP.
    worst, served = 0.0, 0
    for i in range(8):
        ok, took = udp_ask(900 + i, port) if i % 2 else tcp_ask(900 + i, port)
        served += ok
        worst = max(worst, took)
    check(served == 8, f"127.0.0.1 while {len(held)} connections are held: {served} of 8 queries "
          f"(UDP and TCP) answered, slowest {worst * 1000:.0f} ms")

    # 3. Total limit: fill what is left from fresh sources, then 3 more.
    room = total - len(held)
    kept, refused, want, src = [], 0, room + 3, 4
    t0 = time.monotonic()
    while want > 0:
        k, r = open_many(f"127.0.0.{src}", port, min(per_source, want))
        kept += k
        refused += r
        want -= min(per_source, want)
        src += 1
    refused_total += refused
    check(len(kept) == room and refused == 3,
          f"total limit {total}: {len(held)} held, {room + 3} more from 127.0.0.4-{src - 1}: "
          f"{len(kept)} kept, {refused} closed at once")
    held += [(s, t0) for s in kept]
    ok, took = udp_ask(2000, port)
    check(ok, f"UDP is answered with every TCP slot taken ({took * 1000:.0f} ms)")

    # 4. Idle timeout: every held connection is closed by the server.
    closed, early, late = 0, 0, 0
    deadline = time.monotonic() + idle + 10
    pending = list(held)
    while pending and time.monotonic() < deadline:
        socks = [s for s, _ in pending]
        r, _, _ = select.select(socks, [], [], 0.5)
        for s in r:
            last = next(t for x, t in pending if x is s)
            took = time.monotonic() - last
            try:
                data = s.recv(1)
            except (ConnectionResetError, socket.timeout):
                data = b""
            if data == b"":
                closed += 1
                if took < idle * 0.8:
                    early += 1
            pending = [(x, t) for x, t in pending if x is not s]
            s.close()
    late = len(pending)
    check(closed == len(held) and early == 0 and late == 0,
          f"idle timeout {idle_ms} ms: {closed} of {len(held)} silent or half-prefix "
          f"connections closed by the server ({early} too early, {late} never)")
    ok, took = tcp_ask(3000, port)
    check(ok, f"after the idle connections are gone TCP is served again ({took * 1000:.0f} ms)")
    # The dribbler holds one more slot of 127.0.0.1's own: a query, a byte every 0.25 s.
    drib = connect("127.0.0.1", port, timeout=30)
    drib_msg = framed(query(4711, *NAME))
    drib_at = 0

    # 5. A query dribbled a byte every 0.25 s is served, and so are others meanwhile.
    worst = 0.0
    served_drib = 0
    for i in range(40):
        if drib_at < len(drib_msg):
            drib.sendall(drib_msg[drib_at:drib_at + 1])
            drib_at += 1
        ok, took = udp_ask(1000 + i, port) if i % 4 else tcp_ask(1000 + i, port)
        served_drib += ok
        worst = max(worst, took)
        time.sleep(0.25)
    check(served_drib == 40, f"127.0.0.1 during the slow-loris: {served_drib} of 40 queries (UDP and TCP) "
          f"answered, slowest {worst * 1000:.0f} ms")
    while drib_at < len(drib_msg):
        drib.sendall(drib_msg[drib_at:drib_at + 1])
        drib_at += 1
        time.sleep(0.25)
    check(good_answer(recv_msg(drib), 4711),
          f"a query sent one byte every 0.25 s ({len(drib_msg)} bytes) is answered correctly")
    drib.close()

    print(f"figures: {len(held)} connections held, {refused_total} refused at the limits, "
          f"{served + served_drib} queries answered meanwhile", flush=True)
    return 1 if failures() else 0


if __name__ == "__main__":
    sys.exit(main())
