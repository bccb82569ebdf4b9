#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# make-seeds.sh -- remake the checked-in seed corpora of tests/fuzz/corpus/ from real tools.
#
# Usage: tests/fuzz/make-seeds.sh [CORPUS_DIR]   (default: tests/fuzz/corpus next to this script)
#
# Queries and updates are what dig, kdig, drill, nsupdate and knsupdate really send: a small
# listener on loopback records each request (TCP without its length prefix) and answers with
# a bare header so the tool finishes at once. Signed requests use the keys of data/fuzz.yaml
# and the SIG(0) test keys of tests/unit/data/sig0/; the tools sign with the real clock (they
# hang under faketime), so the time is written to data/seed-time and the fuzz targets run
# their clock at it: the signed seeds verify. Zone files,
# configurations and scripts are the repository's own plus small snippets; netlink seeds are
# the captured datagrams of tests/unit/data/netlink/, one file per datagram.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$here/corpus}
port=${SEED_PORT:-53999}
work=$(mktemp -d)
trap 'kill $lpid 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM
mkdir -p "$out/query" "$out/update" "$out/zoneload" "$out/conf" "$out/nsupdate" "$out/netlink"

secret() { sed -n "/id: $1/,/secret/s/.*secret: \"\\(.*\\)\"/\\1/p" "$here/data/fuzz.yaml"; }
K1=$(secret fuzz-key.)
K2=$(secret other-key.)
export TZ=UTC
date +%s > "$here/data/seed-time"

# The listener: each request goes to $work/<label>-<n>.bin, <label> read from $work/label.
cat > "$work/listen.py" <<'PY'
import os, socket, sys, threading
work, port = sys.argv[1], int(sys.argv[2])
n = [0]
lock = threading.Lock()
def save(msg):
    with lock:
        label = open(os.path.join(work, "label")).read().strip()
        n[0] += 1
        with open(os.path.join(work, "%s-%03d.bin" % (label, n[0])), "wb") as f:
            f.write(msg)
def answer(msg):
    # The request's ID and opcode, QR set, no sections: the tool stops waiting.
    return msg[:2] + bytes([msg[2] | 0x80, 0]) + bytes(8) if len(msg) >= 12 else b""
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    while True:
        msg, peer = s.recvfrom(65535)
        save(msg)
        s.sendto(answer(msg), peer)
def tcp_conn(c):
    with c:
        while True:
            hdr = c.recv(2, socket.MSG_WAITALL)
            if len(hdr) < 2:
                return
            msg = c.recv(int.from_bytes(hdr, "big"), socket.MSG_WAITALL)
            save(msg)
            a = answer(msg)
            c.sendall(len(a).to_bytes(2, "big") + a)
def tcp():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(8)
    while True:
        c, _ = s.accept()
        threading.Thread(target=tcp_conn, args=(c,), daemon=True).start()
threading.Thread(target=udp, daemon=True).start()
tcp()
PY
echo start > "$work/label"
python3 "$work/listen.py" "$work" "$port" &
lpid=$!
sleep 1

cap() { # cap LABEL command...: run one tool, its requests labelled LABEL
	echo "$1" > "$work/label"
	shift
	"$@" >/dev/null 2>&1 || true
}
D="dig @127.0.0.1 -p $port +tries=1 +timeout=2"
Z=example.ilnp.
cap q-a $D host1.$Z A
cap q-nid $D host1.$Z NID
cap q-l64 $D host1.$Z L64 +dnssec
cap q-l32 $D l64-subnet1.$Z L32 +noedns
cap q-lp $D lponly.$Z LP +bufsize=512
cap q-any $D host1.$Z ANY
cap q-soa $D $Z SOA +nsid
cap q-ns $D $Z NS +cookie
cap q-mx $D $Z MX +norecurse
cap q-txt $D big.$Z TXT +bufsize=4096
cap q-cname $D www.$Z AAAA
cap q-dname $D x.dname.$Z A
cap q-wild $D a.mobile.$Z L64
cap q-ref $D deep.below.sub.$Z A
cap q-nx $D nothere.$Z A +dnssec
cap q-srv $D _ilnp._udp.$Z SRV
cap q-key $D host1.$Z KEY
cap q-ch $D version.bind CH TXT
cap q-tcp $D +tcp host1.$Z NID
cap q-axfr $D +tcp $Z AXFR
cap q-ixfr $D +tcp $Z IXFR=2024010101
cap q-ixfr-udp $D +notcp $Z IXFR=2024010102
cap q-tsig $D -y hmac-sha256:fuzz-key.:$K1 host1.$Z L64
cap q-tsig512 $D -y hmac-sha512:other-key.:$K2 $Z SOA
cap q-tsig-axfr $D +tcp -y hmac-sha256:fuzz-key.:$K1 $Z AXFR
cap q-tsig-bad $D -y hmac-sha256:fuzz-key.:$K2 host1.$Z L64
cap q-kdig kdig @127.0.0.1 -p $port +retry=0 +time=2 host1.$Z L64 +edns=0 +padding
cap q-kdig-sub kdig @127.0.0.1 -p $port +retry=0 +time=2 host1.$Z NID +subnet=192.0.2.0/24
cap q-drill drill -p $port host1.$Z LP @127.0.0.1
cap q-drill-do drill -D -p $port $Z SOA @127.0.0.1

U="nsupdate -t 2"
upd() { # upd LABEL [options]: an update of host1's locators
	l=$1
	shift
	printf 'server 127.0.0.1 %s\nzone %s\nprereq yxdomain host1.%s\nupdate delete host1.%s L64 10 2001:db8:1140:1000\nupdate add host1.%s 0 L64 20 2001:db8:2140:2000\nupdate add mn.%s 0 NID 10 0014:4fff:ff20:ee99\nsend\n' \
		"$port" "$Z" "$Z" "$Z" "$Z" "$Z" > "$work/script"
	cap "$l" $U "$@" "$work/script"
}
upd u-unsigned
upd u-tsig -y hmac-sha256:fuzz-key.:$K1
upd u-tsig512 -y hmac-sha512:other-key.:$K2
upd u-tsig-badkey -y hmac-sha256:nobody.:$K1
upd u-tcp -v -y hmac-sha256:fuzz-key.:$K1
for k in "$top"/tests/unit/data/sig0/*.private; do
	upd "u-sig0-$(basename "$k" .private | cut -d+ -f2)" -k "$k"
done
printf 'server 127.0.0.1 %s\nzone %s\nprereq nxdomain new.%s\nprereq nxrrset host2.%s LP\nprereq yxrrset host1.%s NID\nprereq yxrrset host1.%s L32 10 10.1.2.0\nupdate delete host2.%s\nupdate delete host1.%s LP\nupdate add new.%s 0 LP 10 l64-subnet1.%s\nupdate add new.%s 0 L32 10 10.9.8.0\nupdate add %s 3600 SOA ns1 hostmaster 2024010199 7200 3600 1209600 300\nsend\n' \
	"$port" "$Z" "$Z" "$Z" "$Z" "$Z" "$Z" "$Z" "$Z" "$Z" "$Z" "$Z" > "$work/script2"
cap u-prereq $U -y hmac-sha256:fuzz-key.:$K1 "$work/script2"
cap u-prereq-unsigned $U "$work/script2"
printf 'server 127.0.0.1 %s\nzone %s\nupdate add host1.%s 0 L64 30 2001:db8:3:3\nsend\n' "$port" "$Z" "$Z" > "$work/script3"
cap u-knsupdate knsupdate -t 2 -y hmac-sha256:fuzz-key.:$K1 "$work/script3"
kill $lpid
wait $lpid 2>/dev/null || true

for f in "$work"/q-*.bin; do cp "$f" "$out/query/$(basename "$f" | sed 's/-[0-9]*\.bin$//').bin"; done
for f in "$work"/u-*.bin; do cp "$f" "$out/update/$(basename "$f" | sed 's/-[0-9]*\.bin$//').bin"; done
# NOTIFY (RFC 1996): the captured SOA query with opcode 4 and AA set.
python3 - "$out/query/q-soa.bin" "$out/query/q-notify.bin" <<'PY'
import sys
m = bytearray(open(sys.argv[1], "rb").read())
m[2] = (m[2] & 0x87) | (4 << 3) | 0x04
open(sys.argv[2], "wb").write(m)
PY
# The update seeds also serve as queries (the server screens opcodes) and vice versa.
cp "$out/update/u-tsig.bin" "$out/query/q-update-tsig.bin"

# Zone files: first octet '0' (ILNP TTL 0) or '1' (keep the file's TTLs), then the text.
{ printf 0; cat "$top/zones/example.ilnp.zone"; } > "$out/zoneload/example.ilnp.zone"
{ printf 1; cat "$here/data/fuzz.zone"; } > "$out/zoneload/fuzz.zone"
SOA='@ 3600 IN SOA ns1 hostmaster 1 7200 3600 1209600 300'
printf '0$ORIGIN example.ilnp.\n$TTL 0\n%s\n@ NS ns1\nns1 A 192.0.2.1\n$INCLUDE inc.zone\n$INCLUDE "inc.zone" sub\n' "$SOA" > "$out/zoneload/include.zone"
printf '0$ORIGIN example.ilnp.\n%s\n@ NS ns1\n$INCLUDE self.zone\n' "$SOA" > "$out/zoneload/include-loop.zone"
printf '1$ORIGIN example.ilnp.\n$TTL 300\n@ IN SOA ( ns1 hostmaster\n 1 ; serial\n 7200 3600 1209600 300 )\n@ NS ns1\nh TYPE104 \\# 10 000A00144FFFFF20EE64\nh TYPE106 \\# 10 00142001DB8114010000\nh L32 10 10.1.2.0\nh LP 10 h\nh2 LP 5 .\nt TXT "a\\"b" "\\065\\066" ( "c" )\n' > "$out/zoneload/syntax.zone"
printf '0$ORIGIN example.ilnp.\n%s\n@ NS ns1\nsub NS ns.sub\nns.sub A 192.0.2.53\n*.w CNAME host1\nhost1 NID 10 0014:4fff:ff20:ee64\nhost1 L64 10 2001:db8:1140:1000\nx 0 IN AAAA 2001:db8::1\nx 1w2d3h4m5s A 192.0.2.2\n' "$SOA" > "$out/zoneload/cut-wild.zone"

# Configurations.
cp "$top/zones/ilnpdnsd.yaml" "$out/conf/ilnpdnsd.yaml"
cp "$here/data/fuzz.yaml" "$out/conf/fuzz.yaml"
cat > "$out/conf/full.yaml" <<'YAML'
server:
  listen: [ "127.0.0.1@5399", "::1" ]
  database: db
  mapsize: 64M
  workers: 2
  ilnp-ttl: keep
  control: ctl.sock
  metrics: 127.0.0.1@9153
  edns-size: 1400
  tcp-idle-timeout: 3s
  tcp-max-clients: 10
  tcp-max-per-source: 2
  log-level: debug
  log: syslog
  update-batch-max: 8
  update-fail-limit: 3
key:
  - id: k1.
    algorithm: hmac-sha384
    secret: "48CCfAfiXlFFrBnQJ3LKPdw++94B8KGRTCin2482nvtDMnnXgkm7JJvl0RLxjMwH"
zone:
  - domain: example.ilnp.
    file: zones/example.ilnp.zone
    ilnp-ttl: 30
    update-policy:
      - grant k1. selfsub host1.example.ilnp. NID L32 L64 LP TYPE65280
      - deny k1. name www.example.ilnp. ANY
    allow-update-unsigned: [ 127.0.0.1, "::1", "10.0.0.0/8", "2001:db8::/32" ]
    serial-policy: unixtime
    notify: [ "127.0.0.1@5301", { address: "::1@5302", key: k1. } ]
    allow-transfer: [ 127.0.0.1, { address: "10.0.0.0/8", key: k1. }, { key: k1. } ]
    journal-max-entries: 10
  - domain: other.ilnp.
YAML
printf 'key-file: [ tests/unit/data/tsig-keygen-k1.key ]\nzone:\n  - domain: a.\n  - domain: b.\n    update-policy: [ "grant k1. subdomain b. ANY" ]\n' > "$out/conf/keyfile.yaml"
printf 'server: { listen: [ "0.0.0.0@53" ], edns-size: 512 }\nzone: []\n' > "$out/conf/flow.yaml"

# nsupdate scripts: the compatibility corpus, plus the commands it does not use.
for f in "$top"/tests/system/nsupdate-compat/corpus/*.txt; do
	sed -e "s/@PORT@/$port/" -e "s|@LIMSECRET@|$K1|" -e "s|@MNSECRET@|$K2|" "$f" > "$out/nsupdate/$(basename "$f")"
done
printf 'server ::1 53\nlocal 127.0.0.1 5000\nclass IN\nttl 300\nkey hmac-sha512:k2 %s\nzone example.ilnp\nadd a.example.ilnp A 192.0.2.1\ndel b.example.ilnp\nprereq nxrrset c.example.ilnp AAAA\nshow\nsend\nanswer\n\nupdate add d.example.ilnp 0 IN LP 10 e.example.ilnp.\n\nhelp\nquit\n' "$K2" > "$out/nsupdate/misc.txt"

# Netlink: one file per captured datagram (4-octet big-endian length, then the datagram).
python3 - "$top/tests/unit/data/netlink" "$out/netlink" <<'PY'
import os, sys
src, dst = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(src)):
    if not name.endswith(".bin"):
        continue
    data = open(os.path.join(src, name), "rb").read()
    i = n = 0
    while i + 4 <= len(data):
        ln = int.from_bytes(data[i:i + 4], "big")
        with open(os.path.join(dst, "%s-%02d.bin" % (name[:-4], n)), "wb") as f:
            f.write(data[i + 4:i + 4 + ln])
        i += 4 + ln
        n += 1
PY
for d in query update zoneload conf nsupdate netlink; do
	echo "$d: $(ls "$out/$d" | wc -l) seeds, $(cat "$out/$d"/* | wc -c) octets"
done
