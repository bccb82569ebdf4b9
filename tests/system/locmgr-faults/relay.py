#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# relay.py -- a UDP DNS relay that keeps a copy of every UPDATE it forwards, to be sent again late.
"""relay.py LISTEN_ADDR LISTEN_PORT SERVER_ADDR SERVER_PORT DIR

Forwards each datagram from a client to the server from a socket of its
own per client (so answers find their way back) and saves each request
with opcode UPDATE (5) unchanged as DIR/upd-NNNN.bin, numbered in arrival
order. Prints "relay ready" once listening. Runs until killed.
"""
import os
import select
import socket
import sys


def main():
    laddr, lport, saddr, sport, out = sys.argv[1:6]
    family = socket.AF_INET6 if ":" in laddr else socket.AF_INET
    lsock = socket.socket(family, socket.SOCK_DGRAM)
    lsock.bind((laddr, int(lport)))
    server = (saddr, int(sport))
    upstream = {}  # client address -> socket towards the server
    back = {}      # that socket -> client address
    saved = 0
    print("relay ready", flush=True)
    while True:
        ready, _, _ = select.select([lsock] + list(back), [], [])
        for s in ready:
            try:
                data, peer = s.recvfrom(65535)
            except OSError:
                continue  # ICMP errors from a server that is down
            if s is lsock:
                if len(data) >= 12 and (data[2] >> 3) & 0xF == 5:
                    saved += 1
                    with open(os.path.join(out, "upd-%04d.bin" % saved), "wb") as f:
                        f.write(data)
                u = upstream.get(peer)
                if u is None:
                    u = socket.socket(family, socket.SOCK_DGRAM)
                    upstream[peer] = u
                    back[u] = peer
                u.sendto(data, server)
            else:
                lsock.sendto(data, back[s])


if __name__ == "__main__":
    main()
