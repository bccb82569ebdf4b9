#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- soak: thousands of random and mutated packets over UDP and TCP while real queries are checked.
#
# pktfuzz fuzz sends the packets (kinds in pktfuzz.c) to 127.0.0.1 and ::1;
# at the same time pktfuzz check asks for every RRset of the zone below and
# requires the exact records and TTLs (0 on the ILNP types) in every answer.
# Afterwards the daemon must be alive and answering, and its zone (dump and
# SOA serial) exactly what it was. ST_HEAVY=1 (one CI pass) sends 20000
# packets, otherwise 3000.
. "${top_srcdir:-$(dirname "$0")/../../..}/tests/system/lib.sh"

st_need dig
PKTFUZZ="$top_builddir/tests/system/soak/pktfuzz"
st_need_built "$ST_ILNPDNSD" "$ST_CTL" "$PKTFUZZ"
st_init

COUNT=3000
[ "${ST_HEAVY:-0}" = 1 ] && COUNT=20000
SEED=${SOAK_SEED:-$(( (RANDOM << 15) | RANDOM ))}
PORT=$(st_free_port)
CONF="$ST_DIR/ilnpdnsd.conf"
ZONE="$ST_DIR/soak.test.zone"
SOCK="$ST_DIR/ctl.sock"
ADDRS="127.0.0.1@$PORT"
st_have_ipv6 && ADDRS="$ADDRS ::1@$PORT"

cat >"$ZONE" <<'Z'
$ORIGIN soak.test.
$TTL 3600
@	IN	SOA	ns1 hostmaster 2024060101 7200 3600 1209600 300
@	IN	NS	ns1
ns1	IN	A	192.0.2.53
ns1	IN	AAAA	2001:db8::53
host1	IN	NID	10 0014:4fff:ff20:ee64
host1	IN	NID	20 0015:5fff:ff21:ee65
host1	IN	L64	10 2001:db8:1140:1000
host1	IN	L64	20 2001:db8:2140:2000
host1	IN	L32	10 10.1.2.0
host1	IN	LP	10 site
host1	IN	AAAA	2001:db8:1140:1000:14:4fff:ff20:ee64
Host2	IN	NID	10 0016:6fff:ff22:ee66
Host2	IN	L64	10 2001:db8:4140:4000
mn	IN	NID	10 0017:7fff:ff23:ee67
mn	IN	LP	10 site
site	IN	L64	10 2001:db8:5140:5000
Z
# What every answer must hold: ILNP types with TTL 0 (server.ilnp-ttl), the rest as in the file.
cat >"$ST_DIR/expect.txt" <<'Z'
soak.test. 3600 IN SOA ns1.soak.test. hostmaster.soak.test. 2024060101 7200 3600 1209600 300
soak.test. 3600 IN NS ns1.soak.test.
ns1.soak.test. 3600 IN A 192.0.2.53
ns1.soak.test. 3600 IN AAAA 2001:db8::53
host1.soak.test. 0 IN NID 10 0014:4fff:ff20:ee64
host1.soak.test. 0 IN NID 20 0015:5fff:ff21:ee65
host1.soak.test. 0 IN L64 10 2001:db8:1140:1000
host1.soak.test. 0 IN L64 20 2001:db8:2140:2000
host1.soak.test. 0 IN L32 10 10.1.2.0
host1.soak.test. 0 IN LP 10 site.soak.test.
host1.soak.test. 3600 IN AAAA 2001:db8:1140:1000:14:4fff:ff20:ee64
host2.soak.test. 0 IN NID 10 0016:6fff:ff22:ee66
host2.soak.test. 0 IN L64 10 2001:db8:4140:4000
mn.soak.test. 0 IN NID 10 0017:7fff:ff23:ee67
mn.soak.test. 0 IN LP 10 site.soak.test.
site.soak.test. 0 IN L64 10 2001:db8:5140:5000
Z

# A key the fuzzed updates name (their MACs are random, so they fail), a
# policy that would let it change the locators, no transfers allowed, and a
# failure limit high enough that every signed update reaches the MAC check.
listen="\"127.0.0.1@$PORT\""
st_have_ipv6 && listen="$listen, \"::1@$PORT\""
cat >"$CONF" <<EOF
server:
  listen: [ $listen ]
  database: $ST_DIR/db
  workers: 2
  ilnp-ttl: 0
  control: $SOCK
  tcp-idle-timeout: 2s
  update-fail-limit: 1000000
key:
  - { id: soak-key., algorithm: hmac-sha256, secret: "c29hay1rZXktc2VjcmV0LW5vdC1mb3ItcmVhbC11c2UhIQ==" }
zone:
  - domain: soak.test.
    file: $ZONE
    update-policy: [ "grant soak-key. subdomain soak.test. ANY" ]
EOF
st_start_ilnpdnsd "$CONF"

zone_state()
{
	"$ST_CTL" -s "$SOCK" zone-dump soak.test. 2>&1
	dig +norec +short +time=3 +tries=2 -p "$PORT" @127.0.0.1 soak.test. SOA 2>&1
}
before=$(zone_state)
st_grep "zone dump before the soak" "host1\.soak\.test\." "$before"

# Names to fuzz with: every owner, a missing name, the apex.
NAMES=
for n in soak.test. ns1.soak.test. host1.soak.test. Host2.Soak.Test. mn.soak.test. \
	site.soak.test. nope.soak.test. a.b.host1.soak.test. other.test.; do
	NAMES="$NAMES -N $n"
done

rm -f "$ST_DIR/stop"
# shellcheck disable=SC2086 # ADDRS is a list of words
"$PKTFUZZ" check -e "$ST_DIR/expect.txt" -S "$ST_DIR/stop" -d 50 $ADDRS \
	>"$ST_DIR/check.out" 2>"$ST_DIR/check.err" &
CHECK_PID=$!
ST_PIDS="$ST_PIDS $CHECK_PID"
# shellcheck disable=SC2086
"$PKTFUZZ" fuzz -z soak.test. $NAMES -n "$COUNT" -s "$SEED" -d 40 $ADDRS >"$ST_DIR/fuzz.out" 2>&1
fuzz_rc=$?
touch "$ST_DIR/stop"
wait "$CHECK_PID"
check_rc=$?
st_forget "$CHECK_PID"
cat "$ST_DIR/fuzz.out" "$ST_DIR/check.out"
sed 's/^/    | /' "$ST_DIR/check.err"

st_eq "all $COUNT packets sent within the time bound (seed $SEED)" 0 "$fuzz_rc"
st_grep "the figures per kind are printed" "sent $COUNT packets: random [0-9]+/[0-9]+" \
	"$(cat "$ST_DIR/fuzz.out")"
st_eq "every checked answer during the soak was right (0 wrong, 0 unanswered)" 0 "$check_rc"
st_grep "the checker ran through the soak" "checked [1-9][0-9]* answers.*: 0 wrong, 0 unanswered" \
	"$(cat "$ST_DIR/check.out")"

if kill -0 "$ILNPDNSD_PID" 2>/dev/null; then
	st_pass "ilnpdnsd is alive after the soak"
else
	st_fail "ilnpdnsd died during the soak"
fi
for a in $ADDRS; do
	ip=${a%@*}
	out=$(dig +norec +time=3 +tries=2 -p "$PORT" @"$ip" host1.soak.test. L64 2>&1)
	st_grep "after the soak: UDP $ip answers host1 L64 with TTL 0" \
		"^host1\.soak\.test\.[[:space:]]+0[[:space:]]+IN[[:space:]]+L64[[:space:]]+10 " "$out"
	out=$(dig +norec +tcp +time=3 +tries=2 -p "$PORT" @"$ip" mn.soak.test. NID 2>&1)
	st_grep "after the soak: TCP $ip answers mn NID" \
		"^mn\.soak\.test\.[[:space:]]+0[[:space:]]+IN[[:space:]]+NID" "$out"
done
after=$(zone_state)
if [ "$before" = "$after" ]; then
	st_pass "the zone (dump and SOA serial) is unchanged by the soak"
else
	st_fail "the zone changed during the soak"
	diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed 's/^/    | /'
fi
out=$("$ST_CTL" -s "$SOCK" stats 2>&1)
st_grep "stats: the signed updates were seen and failed authentication" '"tsig_failures": *[1-9]' "$out"
st_log "server counters: $(printf '%s' "$out" | tr -d ' \n' |
	grep -oE '"[a-z_]+":[0-9]+' | tr '\n' ' ')"
st_done
