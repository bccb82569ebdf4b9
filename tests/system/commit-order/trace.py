#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""trace.py -- read an strace -f -xx log of ilnpdnsd and check that every update answer follows a durable LMDB commit.

Usage: trace.py TRACE DBDIR UPDATES

RFC 2136 3.5 and issue 3: the NOERROR answer leaves only after the
transaction is on disk. LMDB (without MDB_NOSYNC) commits by writing the
dirty pages to data.mdb, fdatasync() of that fd, then writing the meta page
through a second fd of data.mdb opened O_DSYNC. So between the previous
update answer and each update answer the trace must show, in this order,
an fdatasync/fsync of the data fd and a pwrite64 to the O_DSYNC meta fd,
both by the writer thread; a UDP answer is sent by that same thread
(worker.c udp_reply), a TCP answer by a worker after it (tcp_reply hands
it over). strace writes a syscall's end before any syscall another thread
starts later, so line order is causal order. Update answers are found by
their payload (QR=1, opcode UPDATE); TCP ones after the 2-octet length.
Prints "ok ..." / "FAIL ..." lines; exit status 1 if any check failed.
"""
import os
import re
import sys

LINE = re.compile(r"^(\d+)\s+\S+\s+(.*)$")
CALL = re.compile(r"^(\w+)\((.*)$")
RESUMED = re.compile(r"^<\.\.\. (\w+) resumed>(.*)$")
HEX = re.compile(r"\\x([0-9a-f]{2})")

fails = 0


def check(ok, what):
    global fails
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        fails += 1


def unhex(s):
    return HEX.sub(lambda m: chr(int(m.group(1), 16)), s)


def events(path):
    """Complete syscalls: dicts with start/end line numbers, tid, name, args text, result."""
    pending, out = {}, []
    with open(path, encoding="ascii", errors="replace") as f:
        for n, line in enumerate(f):
            m = LINE.match(line.rstrip("\n"))
            if not m:
                continue
            tid, text = int(m.group(1)), m.group(2)
            r = RESUMED.match(text)
            if r:
                if tid not in pending:
                    continue
                start, name, head = pending.pop(tid)
                text = head + r.group(2)
            else:
                c = CALL.match(text)
                if not c:
                    continue  # signals, exits
                start, name = n, c.group(1)
                if text.endswith("<unfinished ...>"):
                    pending[tid] = (n, name, text[: -len("<unfinished ...>")])
                    continue
            res = re.search(r"\)\s+= (\S+)[^=]*$", text)
            result = res.group(1) if res else "?"
            out.append({"start": start, "end": n, "tid": tid, "name": name, "text": text,
                        "result": result})
    return out


def first_fd(ev):
    m = re.match(r"\w+\((\d+)[,)]", ev["text"])
    return int(m.group(1)) if m else None


def payload_head(ev):
    """The first octets of the message an event sends, or None."""
    m = re.search(r'(?:iov_base=|\w+\(\d+, )"((?:\\x[0-9a-f]{2})+)', ev["text"])
    if not m:
        return None
    return bytes(int(h, 16) for h in HEX.findall(m.group(1)))


def update_answer(ev):
    """(transport, rcode) if ev sends an UPDATE answer (QR=1, opcode 5), else None."""
    head = payload_head(ev)
    if head is None:
        return None
    if ev["name"] == "sendmsg" or ev["name"] == "sendmmsg":
        t, off = "udp", 0
    elif ev["name"] == "sendto" and "{sa_family" not in ev["text"]:
        t, off = "tcp", 2
    else:
        return None
    if len(head) < off + 4 or head[off + 2] & 0xF8 != 0xA8:
        return None
    return t, head[off + 3] & 0x0F


def main():
    trace, dbdir, want = sys.argv[1], os.path.realpath(sys.argv[2]), int(sys.argv[3])
    evs = events(trace)
    data_path = os.path.join(dbdir, "data.mdb")
    opens = [e for e in evs if e["name"] == "openat" and
             unhex(e["text"]).find('"%s"' % data_path) >= 0 and e["result"].isdigit()]
    meta = [e for e in opens if "O_DSYNC" in e["text"]]
    data = [e for e in opens if "O_DSYNC" not in e["text"] and "O_RDWR" in e["text"]]
    check(len(data) == 1, "data.mdb opened once read-write for the data pages (%d)" % len(data))
    check(len(meta) == 1, "data.mdb opened once more, O_DSYNC, for the meta page (%d)" %
          len(meta))
    if len(data) != 1 or len(meta) != 1:
        return 1
    dfd, mfd = int(data[0]["result"]), int(meta[0]["result"])
    print("     data fd %d, meta fd %d: %s" % (dfd, mfd, unhex(meta[0]["text"])))

    answers = [(e, update_answer(e)) for e in evs]
    answers = sorted([(e, a) for e, a in answers if a], key=lambda x: x[0]["start"])
    udp = sum(1 for _, a in answers if a[0] == "udp")
    check(len(answers) == want, "%d update answers found in the trace (%d UDP, %d TCP), %d sent" %
          (len(answers), udp, len(answers) - udp, want))
    # The writer thread is the one that sends UDP update answers; commits
    # by any other thread (the zone import at start) do not count.
    writer = {e["tid"] for e, a in answers if a[0] == "udp"}
    check(len(writer) == 1, "one thread sent every UDP update answer (%s)" % sorted(writer))
    prev = -1
    for i, (e, (t, rcode)) in enumerate(answers):
        what = "answer %d (%s, line %d)" % (i + 1, t, e["start"] + 1)
        check(rcode == 0, what + ": NOERROR")
        win = [x for x in evs if x["start"] > prev and x["end"] < e["start"]]
        syncs = [x for x in win if x["name"] in ("fdatasync", "fsync") and
                 first_fd(x) == dfd and x["result"] == "0" and x["tid"] in writer]
        metas = [x for x in win if x["name"] == "pwrite64" and first_fd(x) == mfd and
                 x["result"].isdigit() and int(x["result"]) > 0 and
                 any(s["end"] < x["start"] and s["tid"] == x["tid"] for s in syncs)]
        check(bool(syncs), what + ": after the previous answer, an fdatasync of the data fd "
              "completed before the send")
        check(bool(metas), what + ": then the meta page was written through the O_DSYNC fd, "
              "by the same thread, before the send")
        if metas and t == "udp":
            check(metas[-1]["tid"] == e["tid"], what + ": sent by the thread that committed "
                  "(tid %d, commit by %d)" % (e["tid"], metas[-1]["tid"]))
        elif metas:
            print("     %s: committed by thread %d, sent by worker thread %d" %
                  (what, metas[-1]["tid"], e["tid"]))
        prev = e["end"]
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
