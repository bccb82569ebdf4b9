#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- abuse: slow-loris and TCP limits, UDP response sizes, minimal ANY, big updates, TSIG failures.
#
# loris.py holds idle, half-prefix and dribbling TCP connections from several
# 127.0.0.x sources and ::1 up to and beyond tcp-max-per-source and
# tcp-max-clients while another source is served. Then: UDP answers for a
# name with many RRs stay within 512 octets without EDNS and within
# min(advertised, edns-size) with it, with TC set (RFC 1035 4.2.1, RFC 6891
# 6.2.5); ANY gets one RRset (RFC 8482 4.2); a 64 KiB unsigned UPDATE over
# TCP is REFUSED (RFC 3007 2); TSIG- and SIG(0)-signed updates of
# update.max-rrs + 1 RRs are REFUSED with nothing applied, of exactly
# max-rrs applied; and after update-fail-limit failed TSIG checks a source
# is REFUSED even with a good key, while other sources are not. Last, with
# a short tcp-message-timeout (a restart: TCP settings are read at start),
# slow.py: a byte-a-second sender is cut off after the deadline, a client
# that pipelines queries and never reads is closed, others are served.
. "${top_srcdir:-$(dirname "$0")/../../..}/tests/system/lib.sh"

st_need dig nsupdate python3 dnssec-keygen
st_need_built "$ST_ILNPDNSD" "$ST_CTL"
st_init

PORT=$(st_free_port)
CONF="$ST_DIR/ilnpdnsd.conf"
LOG="$ST_DIR/ilnpdnsd.log"
ZONE="$ST_DIR/abuse.test.zone"
SOCK="$ST_DIR/ctl.sock"
PER_SOURCE=4
TOTAL=16
IDLE_MS=4000
FAIL_LIMIT=5
MAX_RRS=40
MSG_MS=2000
SECRET="YWJ1c2UtdGVzdC1rZXktbm90LWZvci1yZWFsLXVzZSEhIQ=="
V6=0
st_have_ipv6 && V6=1

{
	cat <<'EOF'
$ORIGIN abuse.test.
$TTL 3600
@	IN	SOA	ns1 hostmaster 1 7200 3600 1209600 300
@	IN	NS	ns1
ns1	IN	A	192.0.2.53
host1	IN	L64	10 2001:db8:1140:1000
host1	IN	NID	10 0014:4fff:ff20:ee64
host1	IN	L32	10 10.1.2.0
host1	IN	AAAA	2001:db8:1140:1000:14:4fff:ff20:ee64
EOF
	# 150 L64 records: about 3 KB of answer, more than any UDP limit here;
	# 30 (about 700 octets) fit in 1232 but not in 512.
	for i in $(seq 1 150); do
		printf 'big\tIN\tL64\t%d 2001:db8:%x:1\n' "$i" "$i"
	done
	for i in $(seq 1 30); do
		printf 'mid\tIN\tL64\t%d 2001:db8:%x:2\n' "$i" "$i"
	done
} >"$ZONE"
# A SIG(0) signer inside the zone (its KEY is in the zone, RFC 2931).
stem=$(cd "$ST_DIR" && dnssec-keygen -q -T KEY -a ED25519 -n HOST sig0.abuse.test. 2>/dev/null) ||
	st_fatal "dnssec-keygen failed"
SIG0KEY="$ST_DIR/$stem"
grep -v '^;' "$SIG0KEY.key" >>"$ZONE"

listen="\"127.0.0.1@$PORT\""
[ $V6 = 1 ] && listen="$listen, \"::1@$PORT\""
cat >"$CONF" <<EOF
server:
  listen: [ $listen ]
  database: $ST_DIR/db
  workers: 1
  ilnp-ttl: 0
  control: $SOCK
  edns-size: 1232
  tcp-idle-timeout: ${IDLE_MS}ms
  # loris.py's dribbled query takes about 9 s; slow.py's part restarts with MSG_MS.
  tcp-message-timeout: 60s
  tcp-max-clients: $TOTAL
  tcp-max-per-source: $PER_SOURCE
  update-fail-limit: $FAIL_LIMIT
update:
  max-rrs: $MAX_RRS
key:
  - { id: upd-key., algorithm: hmac-sha256, secret: "$SECRET" }
zone:
  - domain: abuse.test.
    file: $ZONE
    update-policy: [ "grant upd-key. subdomain abuse.test. ANY",
                     "grant sig0.abuse.test. subdomain abuse.test. ANY" ]
EOF
st_start_ilnpdnsd "$CONF"

# ---- slow-loris and TCP limits -----------------------------------------

out=$(timeout 50 python3 "$top_srcdir/tests/system/abuse/loris.py" "$PORT" "$PER_SOURCE" "$TOTAL" \
	"$IDLE_MS" "$V6" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/    | /'
st_eq "slow-loris: every loris.py check passed" 0 "$rc"
st_grep "slow-loris: figures printed" "^figures: [0-9]+ connections held, [1-9][0-9]* refused" "$out"
stats=$("$ST_CTL" -s "$SOCK" stats 2>&1)
st_grep "stats: refused connections counted" '"refused": *[1-9]' "$stats"
st_grep "stats: idle closes counted" '"timeouts": *[1-9]' "$stats"
kill -0 "$ILNPDNSD_PID" 2>/dev/null
st_eq "ilnpdnsd alive after the slow-loris" 0 $?

# ---- UDP response size, TC and minimal ANY ----------------------------

# size ARGS...: the size dig reports for the answer.
size()
{
	dig +norec +ignore +time=3 +tries=2 -p "$PORT" @127.0.0.1 "$@" 2>&1 |
		sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p'
}
flags()
{
	dig +norec +ignore +time=3 +tries=2 -p "$PORT" @127.0.0.1 "$@" 2>&1 | grep '^;; flags:'
}
for case in "+noedns:512" "+bufsize=512:512" "+bufsize=700:700" "+bufsize=1232:1232" \
	"+bufsize=4096:1232"; do
	opt=${case%:*}
	max=${case#*:}
	n=$(size "$opt" big.abuse.test. L64)
	if [ -n "$n" ] && [ "$n" -le "$max" ] && [ "$n" -gt 0 ]; then
		st_pass "UDP $opt: a 150-RR answer is $n octets (limit $max)"
	else
		st_fail "UDP $opt: answer size '$n' over the limit $max"
	fi
	st_grep "UDP $opt: TC set" "flags:.* tc" "$(flags "$opt" big.abuse.test. L64)"
done
n=$(size +noedns mid.abuse.test. L64)
st_grep "UDP +noedns: 30 L64 (about 700 octets) do not fit in 512: TC (size $n)" "flags:.* tc" \
	"$(flags +noedns mid.abuse.test. L64)"
out=$(dig +norec +ignore +bufsize=1232 +time=3 +tries=2 -p "$PORT" @127.0.0.1 mid.abuse.test. L64 2>&1)
st_grep "UDP +bufsize=1232: the 30 L64 fit, whole answer" "ANSWER: 30," "$out"
st_nogrep "UDP +bufsize=1232: the 30 L64 fit, no TC" "^;; flags:.* tc" "$out"
out=$(dig +norec +tcp +time=3 +tries=2 -p "$PORT" @127.0.0.1 big.abuse.test. L64 2>&1)
st_grep "TCP: the whole 150-RR answer" "ANSWER: 150," "$out"
# any_types ARGS...: the distinct types in the answer section of an ANY query.
any_types()
{
	dig +norec +time=3 +tries=2 -p "$PORT" @127.0.0.1 "$@" host1.abuse.test. ANY 2>&1 |
		awk '/^;; ANSWER SECTION:/ { a = 1; next } /^$/ { a = 0 } a { print $4 }' | sort -u |
		tr '\n' ' '
}
# The documented choice (answer.c): over UDP one RRset, the NID; over TCP every RRset.
# (dig 9.18 sends QTYPE ANY over TCP unless told +notcp.)
st_eq "ANY over UDP: one RRset only, the NID (RFC 8482 4.2)" "NID " "$(any_types +notcp +ignore)"
st_eq "ANY over TCP: every RRset" "AAAA L32 L64 NID " "$(any_types +tcp)"

# ---- a 64 KiB UPDATE over TCP, unsigned --------------------------------

out=$(python3 - "$PORT" <<'EOF'
import socket, struct, sys
port = int(sys.argv[1])
apex = b"\x05abuse\x04test\x00"
rrs = b""
n = 0
# TXT RRs of 255-octet strings until the message is just under 64 KiB.
rd = b"\xff" + b"x" * 255
while 12 + len(apex) + 4 + len(rrs) + 2 + 10 + len(rd) <= 65535 - 4:
    rrs += b"\xc0\x0c" + struct.pack("!HHIH", 16, 1, 0, len(rd)) + rd
    n += 1
msg = struct.pack("!HHHHHH", 0x5151, 5 << 11, 1, 0, n, 0) + apex + struct.pack("!HH", 6, 1) + rrs
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(struct.pack("!H", len(msg)) + msg)
def recv_msg():
    h = b""
    while len(h) < 2:
        c = s.recv(2 - len(h))
        if not c:
            return None
        h += c
    want, b = struct.unpack("!H", h)[0], b""
    while len(b) < want:
        c = s.recv(want - len(b))
        if not c:
            return None
        b += c
    return b
a = recv_msg()
rcode = a[3] & 0xF if a else -1
# The connection still serves a query afterwards.
q = struct.pack("!HHHHHH", 7, 0, 1, 0, 0, 0) + b"\x05host1" + apex + struct.pack("!HH", 106, 1)
s.sendall(struct.pack("!H", len(q)) + q)
b = recv_msg()
print(f"size {len(msg)} rrs {n} rcode {rcode} then {'NOERROR' if b and b[3] & 0xF == 0 else 'none'}")
EOF
)
st_grep "64 KiB unsigned UPDATE over TCP: REFUSED, connection still usable ($out)" \
	"^size 6[0-9]{4} rrs [0-9]+ rcode 5 then NOERROR$" "$out"

# ---- update.max-rrs: TSIG and SIG(0) --------------------------------------

# many N AUTH NAME: one update over TCP adding N TXT RRs at NAME.abuse.test.,
# signed as AUTH says (-y ... or -k ...); prints the rcode.
many()
{
	local n=$1 name=$2 o
	shift 2
	o=$({
		printf 'server 127.0.0.1 %s\nzone abuse.test.\n' "$PORT"
		for i in $(seq 1 "$n"); do
			printf 'update add %s.abuse.test. 0 TXT "r%d"\n' "$name" "$i"
		done
		printf 'send\n'
	} | timeout 30 nsupdate -v "$@" 2>&1)
	if [ -z "$o" ]; then
		echo NOERROR
	else
		printf '%s\n' "$o" | sed -n 's/.*status: \([A-Z]*\).*/\1/p; s/.*failed: \([A-Z]*\).*/\1/p' | head -1
	fi
}
# txts NAME: how many TXT RRs NAME.abuse.test. has.
txts()
{
	dig +norec +tcp +short +time=3 +tries=2 -p "$PORT" @127.0.0.1 "$1.abuse.test." TXT | grep -c .
}
soa_serial()
{
	dig +norec +short +time=3 +tries=2 -p "$PORT" @127.0.0.1 abuse.test. SOA | awk '{ print $3 }'
}
for auth in tsig sig0; do
	if [ $auth = tsig ]; then
		set -- -y "hmac-sha256:upd-key.:$SECRET"
	else
		set -- -k "$SIG0KEY.private"
	fi
	s0=$(soa_serial)
	st_eq "$auth: an update of max-rrs + 1 = $((MAX_RRS + 1)) RRs is REFUSED" REFUSED \
		"$(many $((MAX_RRS + 1)) "over-$auth" "$@")"
	st_eq "$auth: nothing of it applied" 0 "$(txts "over-$auth")"
	st_eq "$auth: the serial did not move" "$s0" "$(soa_serial)"
	st_grep "$auth: one log line names the source, zone and count" \
		"update abuse\.test\. from 127\.0\.0\.1#[0-9]+: $((MAX_RRS + 1)) prerequisite and update RRs, update\.max-rrs is $MAX_RRS" \
		"$(cat "$LOG")"
	st_eq "$auth: an update of exactly max-rrs = $MAX_RRS RRs: NOERROR" NOERROR \
		"$(many $MAX_RRS "at-$auth" "$@")"
	st_eq "$auth: all $MAX_RRS applied" "$MAX_RRS" "$(txts "at-$auth")"
done
set --
# The limit comes after authentication: a bad key learns nothing from it.
st_eq "a bad TSIG key with max-rrs + 1 RRs: NOTAUTH, not REFUSED" NOTAUTH \
	"$(many $((MAX_RRS + 1)) over-bad -y "hmac-sha256:upd-key.:d3JvbmctdGVzdC1rZXktbm90LWZvci1yZWFsLXVzZSEhIQ==")"

# ---- repeated TSIG failures from one source ----------------------------

# nsup SRC SECRET: one signed update from source address SRC; prints the rcode.
nsup()
{
	local o
	o=$(printf 'server 127.0.0.1 %s\nlocal %s\nzone abuse.test.\nupdate add t.abuse.test. 0 TXT "x"\nsend\n' \
		"$PORT" "$1" | timeout 20 nsupdate -y "hmac-sha256:upd-key.:$2" 2>&1)
	if [ -z "$o" ]; then
		echo NOERROR
	else
		printf '%s\n' "$o" | sed -n 's/.*status: \([A-Z]*\).*/\1/p; s/.*failed: \([A-Z]*\).*/\1/p' | head -1
	fi
}
BAD="d3JvbmctdGVzdC1rZXktbm90LWZvci1yZWFsLXVzZSEhIQ=="
codes=
for i in $(seq 1 $((FAIL_LIMIT + 2))); do
	codes="$codes $(nsup 127.0.0.2 "$BAD")"
done
st_eq "bad TSIG from 127.0.0.2: NOTAUTH $FAIL_LIMIT times, then REFUSED without checking" \
	"$(for i in $(seq 1 $FAIL_LIMIT); do printf ' NOTAUTH'; done) REFUSED REFUSED" "$codes"
st_eq "a good key from the limited source is REFUSED too" REFUSED "$(nsup 127.0.0.2 "$SECRET")"
st_eq "a good key from another source (127.0.0.1) still works" NOERROR "$(nsup 127.0.0.1 "$SECRET")"
st_grep "the log says why" "127\.0\.0\.2.*REFUSED \(too many failed signatures from source\)" "$(cat "$LOG")"
stats=$("$ST_CTL" -s "$SOCK" stats 2>&1)
st_grep "stats: limited updates counted" '"limited": *[1-9]' "$stats"

# ---- TCP slow senders and slow readers (RFC 7766 6.2.3) -----------------

st_stop_ilnpdnsd || st_fail "ilnpdnsd ignored TERM"
sed -i "s/^  tcp-message-timeout: .*/  tcp-message-timeout: ${MSG_MS}ms/" "$CONF"
st_start_ilnpdnsd "$CONF"
out=$(timeout 120 python3 "$top_srcdir/tests/system/abuse/slow.py" "$PORT" "$MSG_MS" "$IDLE_MS" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/    | /'
st_eq "slow senders and readers: every slow.py check passed" 0 "$rc"
st_grep "slow senders and readers: figures printed" "^figures: slow sender cut after" "$out"
stats=$("$ST_CTL" -s "$SOCK" stats 2>&1)
st_grep "stats: the closes counted as timeouts" '"timeouts": *[2-9]' "$stats"
kill -0 "$ILNPDNSD_PID" 2>/dev/null
st_eq "ilnpdnsd alive after the slow clients" 0 $?
st_done
