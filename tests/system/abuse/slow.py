#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# slow.py -- TCP slow senders and slow readers against ilnpdnsd (RFC 7766 6.2.3).
"""Usage: slow.py PORT MSG_MS IDLE_MS

The server runs with one worker, tcp-message-timeout MSG_MS and
tcp-idle-timeout IDLE_MS (MSG_MS < IDLE_MS, and both well under the time
the slow sender needs). Steps, each printing "ok ..." or "FAIL ..." lines:
  1. a query sent in two halves half a second apart is answered (the
     deadline is not over-eager);
  2. from 127.0.0.5 a query sent one byte a second, which keeps the idle
     timer from ever running out: the server closes the connection about
     MSG_MS after the first byte, without an answer, while 127.0.0.1 gets
     every UDP and TCP query answered;
  3. from 127.0.0.6, with a small receive buffer, as many pipelined queries
     for a 150-RR name as the kernel takes, never reading: the server stops
     writing, closes the connection within IDLE_MS and some seconds (fewer
     answers arrive than were asked for, then EOF or a reset), and 127.0.0.1
     is answered meanwhile.
Prints "figures: ..." and exits 1 if any check failed.
"""
import errno
import os
import select
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True  # nothing written beside the sources (distcheck's are read-only)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from dnsprobe import check, closed_by_server, connect_from, failures  # noqa: E402
from dnsprobe import framed, good_answer, query, recv_msg, tcp_ask, udp_ask  # noqa: E402

NAME = ("host1.abuse.test.", 106)
BIG = ("big.abuse.test.", 106)


def connect(src, port, rcvbuf=None):
    return connect_from(src, port, timeout=10.0, rcvbuf=rcvbuf)


def ask_others(port, base, n):
    """n queries from 127.0.0.1, alternately UDP and TCP; how many were answered."""
    return sum((udp_ask(base + i, port, NAME) if i % 2 else
                tcp_ask(base + i, port, NAME, timeout=10.0))[0] for i in range(n))


def main():
    port, msg_ms, idle_ms = (int(x) for x in sys.argv[1:4])
    msg, idle = msg_ms / 1000.0, idle_ms / 1000.0

    # 1. Two halves within the deadline: answered.
    s = connect("127.0.0.1", port)
    m = framed(query(11, *NAME))
    s.sendall(m[:len(m) // 2])
    time.sleep(0.5)
    s.sendall(m[len(m) // 2:])
    check(good_answer(recv_msg(s), 11),
          f"a query in two halves 0.5 s apart is answered (deadline {msg_ms} ms)")
    s.close()

    # 2. One byte a second: cut off after the deadline, others served meanwhile.
    s = connect("127.0.0.5", port)
    m = framed(query(12, *NAME))
    t0 = time.monotonic()
    sent, closed_at, answered, served = 0, None, 0, 0
    while sent < len(m) and time.monotonic() - t0 < msg + 10:
        try:
            s.sendall(m[sent:sent + 1])
            sent += 1
        except OSError:
            closed_at = time.monotonic() - t0
            break
        served += ask_others(port, 100 + 2 * sent, 2)
        answered += 2
        r, _, _ = select.select([s], [], [], max(0.0, t0 + sent - time.monotonic()))
        if r and closed_by_server(s):
            closed_at = time.monotonic() - t0
            break
    check(closed_at is not None and closed_at >= msg * 0.8 and sent < len(m),
          f"127.0.0.5 sending a byte a second: closed by the server after "
          f"{-1 if closed_at is None else closed_at:.1f} s, {sent} of {len(m)} octets sent "
          f"(deadline {msg:.1f} s, idle timeout {idle:.1f} s)")
    check(served == answered,
          f"127.0.0.1 meanwhile: {served} of {answered} queries (UDP and TCP) answered")
    s.close()

    # 3. Pipelined queries, never read.
    s = connect("127.0.0.6", port, rcvbuf=4096)
    s.setblocking(False)
    asked, t0, stuck_since = 0, time.monotonic(), None
    while asked < 20000 and time.monotonic() - t0 < 10:
        try:
            s.send(framed(query(asked & 0xFFFF, *BIG)))
            asked += 1
            stuck_since = None
        except BlockingIOError:
            # The server stopped reading: its answers are not taken.
            stuck_since = stuck_since or time.monotonic()
            if time.monotonic() - stuck_since > 1.0:
                break
            time.sleep(0.05)
        except OSError:
            break
    t1 = time.monotonic()
    served = ask_others(port, 1000, 8)
    check(served == 8, f"127.0.0.1 while 127.0.0.6 does not read: {served} of 8 answered")
    # Wait, without reading, for the reset that close() sends over unread input.
    reset_at = None
    while time.monotonic() - t1 < idle + 10:
        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            reset_at = time.monotonic() - t1
            break
        time.sleep(0.25)
    # Then read what is there: a closed connection ends, an open one would
    # go on answering every query asked.
    got, end, buf = 0, "timeout", b""
    s.setblocking(True)
    s.settimeout(5.0)
    while True:
        try:
            c = s.recv(65536)
        except socket.timeout:
            break
        except OSError as e:
            end = errno.errorcode.get(e.errno, str(e.errno))
            break
        if not c:
            end = "EOF"
            break
        buf += c
        while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
            buf = buf[2 + struct.unpack("!H", buf[:2])[0]:]
            got += 1
    check(end in ("EOF", "ECONNRESET") and got < asked,
          f"127.0.0.6 pipelining {asked} queries for a 150-RR answer, never reading: "
          f"closed by the server ({end}; reset seen "
          f"{'never' if reset_at is None else f'{reset_at:.1f} s'} after it stopped sending), "
          f"{got} answers delivered")
    s.close()
    served = ask_others(port, 2000, 4)
    check(served == 4, f"127.0.0.1 afterwards: {served} of 4 answered")
    print(f"figures: slow sender cut after {-1 if closed_at is None else closed_at:.1f} s; "
          f"{asked} pipelined queries, {got} answers before the close", flush=True)
    return 1 if failures() else 0


if __name__ == "__main__":
    sys.exit(main())
