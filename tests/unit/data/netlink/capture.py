#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# capture.py -- record raw rtnetlink datagrams for test_netlink.c (run as root; see README).
"""Usage: capture.py OUTDIR

Creates the network namespace lmcap, listens there on a NETLINK_ROUTE socket
subscribed to links, addresses and routes, runs the steps below one by one
and writes every datagram the kernel sends after a step to
OUTDIR/NN-step.bin (several datagrams of one step are concatenated, each
preceded by a 4-octet big-endian length). The namespace is deleted at the end.
"""
import os
import socket
import struct
import subprocess
import sys
import time

NS = "lmcap"
GROUPS = 0x1 | 0x10 | 0x40 | 0x100 | 0x400  # LINK, IPV4_IFADDR, IPV4_ROUTE, IPV6_IFADDR, IPV6_ROUTE

STEPS = [
    ("link-add", "ip link add up0 type veth peer name up0p"),
    ("link-up", "ip link set up0p up && ip link set up0 up"),
    ("addr6-tentative", "ip -6 addr add fd00:1::10/64 dev up0"),
    ("addr6-dad-done", "sleep 2.5"),
    ("addr6-nodad", "ip -6 addr add fd00:2::10/64 dev up0 nodad"),
    ("addr6-deprecated", "ip -6 addr change fd00:2::10/64 dev up0 preferred_lft 0"),
    ("route6-default", "ip -6 route add default via fd00:1::1 dev up0"),
    ("addr4-add", "ip addr add 10.1.0.10/24 dev up0"),
    ("addr6-del", "ip -6 addr del fd00:2::10/64 dev up0"),
    ("link-down", "ip link set up0 down"),
]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    if os.environ.get("LMCAP_INSIDE") != "1":
        # Re-run inside the namespace: listening and the steps share it.
        subprocess.run(["ip", "netns", "add", NS], check=True)
        try:
            env = dict(os.environ, LMCAP_INSIDE="1")
            subprocess.run(["ip", "netns", "exec", NS, sys.executable, os.path.abspath(__file__),
                            out], check=True, env=env)
        finally:
            subprocess.run(["ip", "netns", "del", NS])
        return
    if True:
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)  # NETLINK_ROUTE
        s.bind((0, GROUPS))
        s.settimeout(0.5)
        subprocess.run("ip link set lo up", shell=True, check=True)
        time.sleep(0.2)
        while True:  # drain what lo brought
            try:
                s.recv(65536)
            except socket.timeout:
                break
        for i, (name, cmd) in enumerate(STEPS):
            subprocess.run(cmd, shell=True, check=True)
            data = b""
            while True:
                try:
                    d = s.recv(65536)
                except socket.timeout:
                    break
                data += struct.pack(">I", len(d)) + d
            with open(os.path.join(out, "%02d-%s.bin" % (i, name)), "wb") as f:
                f.write(data)
            print("%02d-%s: %d octets" % (i, name, len(data)))


if __name__ == "__main__":
    main()
