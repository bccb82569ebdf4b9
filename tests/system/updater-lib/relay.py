#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# relay.py -- a loopback UDP relay that drops the first N datagrams toward the server and can add delay.
"""relay.py LISTEN_PORT SERVER_PORT [--drop N] [--delay-ms D] [--ready FILE]

Datagrams from a client go to 127.0.0.1:SERVER_PORT from a socket of their
own per client address, so the answers find their way back. The first N
client datagrams are dropped (counted on stderr); every datagram, both ways,
is held D ms (a one-way delay: the RTT grows by 2 D). SIGUSR1 re-arms the
drop counters from the file named by --drop-file ("N [M]": drop the next N
datagrams toward the server and the next M answers), so a test can make a
later update lose copies or answers without restarting the relay.
--log FILE records every datagram from the client as "req MS" (MS: a
monotonic time in milliseconds, taken on arrival, before any delay), dropped
or not, and every answer passed on to the client as "ans MS" (when sent), so
a test can see the gaps between a client's copies whatever the server does.
"""
import heapq
import select
import signal
import socket
import sys
import time


def main():
    args = sys.argv[1:]
    listen, server = int(args[0]), int(args[1])
    drop, delay, ready, drop_file, log = 0, 0.0, None, None, None
    i = 2
    while i < len(args):
        if args[i] == "--drop":
            drop = int(args[i + 1])
        elif args[i] == "--delay-ms":
            delay = float(args[i + 1]) / 1000.0
        elif args[i] == "--ready":
            ready = args[i + 1]
        elif args[i] == "--drop-file":
            drop_file = args[i + 1]
        elif args[i] == "--log":
            log = open(args[i + 1], "a", buffering=1)
        i += 2
    state = {"drop": drop, "drop_ans": 0}

    def rearm(signum, frame):
        with open(drop_file) as f:
            words = (f.read().split() + ["0", "0"])[:2]
        state["drop"], state["drop_ans"] = int(words[0]), int(words[1])
        sys.stderr.write("relay: drop re-armed to %d requests, %d answers\n"
                         % (state["drop"], state["drop_ans"]))
        sys.stderr.flush()

    if drop_file:
        signal.signal(signal.SIGUSR1, rearm)
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(("127.0.0.1", listen))
    upstream = {}  # client addr -> socket toward the server
    back = {}      # socket fileno -> client addr
    queue = []     # (due, seq, sock, data, dest)
    seq = 0
    passed = dropped = 0
    if ready:
        open(ready, "w").write("ready\n")
    while True:
        socks = [front] + list(upstream.values())
        timeout = None
        if queue:
            timeout = max(0.0, queue[0][0] - time.monotonic())
        try:
            rd, _, _ = select.select(socks, [], [], timeout)
        except InterruptedError:
            continue
        now = time.monotonic()
        for s in rd:
            try:
                data, addr = s.recvfrom(65535)
            except OSError:
                continue
            if s is front:
                if log:
                    log.write("req %.3f\n" % (now * 1000.0))
                if state["drop"] > 0:
                    state["drop"] -= 1
                    dropped += 1
                    sys.stderr.write("relay: dropped #%d (%d octets)\n" % (dropped, len(data)))
                    sys.stderr.flush()
                    continue
                up = upstream.get(addr)
                if up is None:
                    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    up.bind(("127.0.0.1", 0))
                    upstream[addr] = up
                    back[up.fileno()] = addr
                passed += 1
                seq += 1
                heapq.heappush(queue, (now + delay, seq, up, data, ("127.0.0.1", server)))
            else:
                if state["drop_ans"] > 0:
                    state["drop_ans"] -= 1
                    sys.stderr.write("relay: dropped an answer (%d octets)\n" % len(data))
                    sys.stderr.flush()
                    continue
                seq += 1
                heapq.heappush(queue, (now + delay, seq, front, data, back[s.fileno()]))
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, s, data, dest = heapq.heappop(queue)
            try:
                s.sendto(data, dest)
            except OSError:
                pass
            if log and s is front:
                log.write("ans %.3f\n" % (time.monotonic() * 1000.0))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
