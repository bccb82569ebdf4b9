#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- zone import and dump through a running ilnpdnsd: every common type, $INCLUDE and $TTL 0,
# dumps that BIND, NSD and Knot accept, failed imports that leave the served zone as it was, and the
# import rate (printed, never asserted).
. "$(dirname "$0")/../lib.sh"

st_need dig nsupdate named-checkzone named-compilezone nsd-checkzone kzonecheck timeout
IMPORT_RATE="$top_builddir/bench/import-rate"
st_need_built "$ST_ILNPDNSD" "$ST_CTL" "$IMPORT_RATE"
st_init

PORT=$(st_free_port)
CONF="$ST_DIR/ilnpdnsd.yaml"
SOCK="$ST_DIR/ctl.sock"
KEYS="$top_srcdir/zones/example.ilnp.keys"
KEY="hmac-sha256:mn-key.example.ilnp.:Gbjo42zSmcTkV6npRjgnzYRrxtWSviISpuJyiaIbKPQ="
ctl() { timeout 60 "$ST_CTL" -s "$SOCK" "$@"; }
q() { dig +short +norec +time=2 +tries=2 -p "$PORT" @127.0.0.1 "$@"; }
# ttl_of NAME TYPE: the TTL of the first answer RR.
ttl_of()
{
	dig +noall +answer +norec +time=2 +tries=2 -p "$PORT" @127.0.0.1 "$1" "$2" |
		awk '{print $2; exit}'
}
# same_file PASS-DESC FAIL-DESC OLD NEW: pass when the two files are byte for byte the same, else
# fail and show the start of their diff.
same_file()
{
	if cmp -s "$3" "$4"; then
		st_pass "$1"
	else
		st_fail "$2:"
		diff "$3" "$4" | head -n 20 | sed 's/^/    | /'
	fi
}
# canon FILE: the zone as BIND's own parser reads it, one RR per line (an independent oracle);
# BIND resolves $INCLUDE against the current directory.
canon()
{
	(cd "$(dirname "$1")" && named-compilezone -q -i none -k ignore -s full -o - types.test "$1")
}

# write_zone DIR SERIAL: every common type, the RFC 6742 types (short hex groups and upper case on
# input: the dump must print 4 lower-case digits), RFC 3597 forms, and an $INCLUDE with $TTL 0.
write_zone()
{
	mkdir -p "$1/inc"
	cat >"$1/types.zone" <<EOF
; every common type, the RFC 6742 types and RFC 3597 forms
\$ORIGIN types.test.
\$TTL 3600
@	IN	SOA	ns1 hostmaster.types.test. ( $2 ; serial
		7200 3600 1209600 300 )
	IN	NS	ns1
	IN	NS	ns2.types.test.
	IN	MX	10 mail
	IN	TXT	"v=spf1 -all"
	IN	SPF	"v=spf1 -all"
	IN	CAA	0 issue "ca.example.net"
	IN	DNSKEY	257 3 13 ( mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHA
			eF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ== )
	IN	CDNSKEY	257 3 13 ( mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHA
			eF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ== )
	IN	NSEC3PARAM 1 0 0 -
	IN	ZONEMD	2024070101 1 1 ( 0123456789abcdef0123456789abcdef0123456789abcdef
			0123456789abcdef0123456789abcdef0123456789abcdef )
	IN	CSYNC	2024070101 3 A NS AAAA
ns1	IN	A	192.0.2.53
ns2	1h	IN	AAAA	2001:db8::53
mail	IN	A	192.0.2.25
	IN	AAAA	2001:db8::25
www	IN	CNAME	host1
alias	IN	DNAME	types.test.
_sip._udp IN	SRV	10 60 5060 sip
sip	IN	NAPTR	100 10 "U" "E2U+sip" "!^.*\$!sip:info@types.test!" .
	IN	A	192.0.2.80
info	IN	HINFO	"PDP-11/73" "UNIX"
	IN	RP	hostmaster.types.test. info
	IN	LOC	52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m
	IN	AFSDB	1 afs
	IN	KX	10 mail
	IN	URI	10 1 "https://types.test/"
	IN	EUI48	00-00-5e-00-53-2a
	IN	EUI64	00-00-5e-ef-10-00-00-2a
	IN	SSHFP	4 2 123456789abcdef67890123456789abcdef67890123456789abcdef123456789
_443._tcp.www IN TLSA	3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
sec	IN	DS	60485 5 1 2bb183af5f22588179a53b0a98631fad1a292118
	IN	NS	ns.sec
ns.sec	IN	A	192.0.2.99
1.2.0.192.in-addr IN PTR host1
\$INCLUDE inc/hosts.zone
\$TTL 3600
after	IN	TXT	"after the include" "two strings"
gen	IN	TYPE65280 \# 4 0a000001
	IN	TYPE65281 \# 0
	IN	A	\# 4 c0000207
EOF
	cat >"$1/inc/hosts.zone" <<'EOF'
$TTL 0
host1	IN	NID	10 0014:4fff:ff20:ee64
	IN	NID	20 0015:5FFF:FF21:EE65
	IN	L64	10 2001:0DB8:1140:1000
	IN	L32	10 10.1.2.0
	IN	LP	10 l64-subnet1
	IN	AAAA	2001:db8:1140:1000:14:4fff:ff20:ee64
l64-subnet1 IN	L64	10 2001:db8:1140:1000
	IN	L32	10 10.1.2.0
host2	IN	NID	\# 10 000a00166fffff22ee66
EOF
}
write_zone "$ST_DIR/src" 2024070101

cat >"$CONF" <<EOF
server:
  listen: [ "127.0.0.1@$PORT" ]
  database: $ST_DIR/db
  workers: 2
  control: $SOCK
key-file: [ $KEYS ]
zone:
  - domain: types.test.
    file: $ST_DIR/src/types.zone
    ilnp-ttl: keep
    update-policy:
      - grant mn-key.example.ilnp. subdomain types.test. L64
EOF
st_start_ilnpdnsd "$CONF"

# --- the first import, as served --------------------------------------------
st_eq "SOA serial from the file" "2024070101" "$(q types.test. SOA | awk '{print $3}')"
st_eq "\$TTL 0 in the included file is honoured" "0" "$(ttl_of host1.types.test. L64)"
st_eq "\$TTL restated after the \$INCLUDE" "3600" "$(ttl_of after.types.test. TXT)"
st_eq "an explicit unit TTL (1h)" "3600" "$(ttl_of ns2.types.test. AAAA)"
st_eq "NID from the included file" "10 14:4fff:ff20:ee64
20 15:5fff:ff21:ee65" "$(q host1.types.test. NID | sort)"
st_eq "L32" "10 10.1.2.0" "$(q host1.types.test. L32)"
st_eq "LP completed by the origin" "10 l64-subnet1.types.test." "$(q host1.types.test. LP)"
st_eq "NID in RFC 3597 form" "10 16:6fff:ff22:ee66" "$(q host2.types.test. NID)"
st_eq "an unknown type in RFC 3597 form" '\# 4 0A000001' "$(q gen.types.test. TYPE65280)"
st_eq "a known type in RFC 3597 form" "192.0.2.7" "$(q gen.types.test. A)"
st_eq "SRV" "10 60 5060 sip.types.test." "$(q _sip._udp.types.test. SRV)"

# --- zone-dump: the checkers accept it, BIND reads the same zone as from the file -----
ctl zone-dump types.test. >"$ST_DIR/dump1.zone"
st_eq "zone-dump exits 0" 0 "$?"
for chk in "named-checkzone -q -k fail -i local types.test" "nsd-checkzone types.test." \
	"kzonecheck -o types.test."; do
	if out=$($chk "$ST_DIR/dump1.zone" 2>&1); then
		st_pass "${chk%% *} accepts the dump of every type"
	else
		st_fail "${chk%% *} rejects the dump:"
		printf '%s\n' "$out" | sed 's/^/    | /'
	fi
done
# Knot refuses the short groups of the source file, so accepting the dump proves the padding.
if kzonecheck -o types.test. "$ST_DIR/src/types.zone" >/dev/null 2>&1; then
	st_fail "kzonecheck accepts short ILNP groups: the check above proves nothing"
else
	st_pass "kzonecheck refuses the source's short groups (so the dump's padding matters)"
fi
d=$(cat "$ST_DIR/dump1.zone")
st_grep "ILNP printed with 4 lower-case hex digits" \
	$'^host1\\.types\\.test\\.\t0\tIN\tNID\t20 0015:5fff:ff21:ee65$' "$d"
st_grep "short groups padded" \
	$'^l64-subnet1\\.types\\.test\\.\t0\tIN\tL64\t10 2001:0db8:1140:1000$' "$d"
st_grep "unknown type printed in RFC 3597 form" \
	$'^gen\\.types\\.test\\.\t3600\tIN\tTYPE65281\t\\\\# 0$' "$d"
want=$(canon "$ST_DIR/src/types.zone")
got=$(canon "$ST_DIR/dump1.zone")
n=$(printf '%s\n' "$want" | grep -c .)
if [ -n "$want" ] && [ "$want" = "$got" ]; then
	st_pass "BIND reads the same $n records from the dump as from the file"
else
	st_fail "BIND reads the dump differently (< file, > dump):"
	diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -n 20 | sed 's/^/    | /'
fi
st_eq "the dump holds every record of the file" "$n" "$(grep -c $'\tIN\t' "$ST_DIR/dump1.zone")"

# The dump imports again into exactly the same dump.
ctl zone-import types.test. "$ST_DIR/dump1.zone" >/dev/null
st_eq "zone-import of the dump exits 0" 0 "$?"
ctl zone-dump types.test. >"$ST_DIR/dump2.zone"
same_file "dump, import, dump is a fixed point" "the second dump differs" \
	"$ST_DIR/dump1.zone" "$ST_DIR/dump2.zone"

# --- failed imports leave the served zone exactly as it was --------------------
# The database is the truth: a signed update changes the zone first, so "as it was" is not the file.
out=$(timeout 20 nsupdate -y "$KEY" 2>&1 <<EOF
server 127.0.0.1 $PORT
zone types.test.
update delete host1.types.test. L64
update add host1.types.test. 0 L64 10 2001:db8:9140:9000
send
EOF
)
st_eq "the signed update succeeds" 0 "$?"
st_eq "a signed update changes host1's L64" "10 2001:db8:9140:9000" "$(q host1.types.test. L64)"
serial=$(q types.test. SOA | awk '{print $3}')
ctl zone-dump types.test. >"$ST_DIR/before.zone"

# last_line FILE: the number of FILE's last line, where the error was appended.
last_line() { wc -l <"$1" | tr -d ' '; }

# bad_import DESC FILE ERROR-REGEX: zone-import FILE must fail, name where, and change nothing.
bad_import()
{
	local err
	err=$(ctl zone-import types.test. "$2" 2>&1 >/dev/null)
	st_eq "$1: zone-import exits 1" 1 "$?"
	st_grep "$1: the error names file and line" "$3" "$err"
	ctl zone-dump types.test. >"$ST_DIR/after.zone"
	same_file "$1: the dump is byte for byte the same" "$1: the zone changed" \
		"$ST_DIR/before.zone" "$ST_DIR/after.zone"
	st_eq "$1: the serial is served unchanged" "$serial" "$(q types.test. SOA | awk '{print $3}')"
	st_eq "$1: the updated L64 is still served" "10 2001:db8:9140:9000" \
		"$(q host1.types.test. L64)"
	st_eq "$1: a name only in the bad file is not served" "" "$(q new.types.test. A)"
}

# Each bad copy changes records, adds new.types.test and bumps the serial before its one error.
bad_copy()
{
	rm -rf "$ST_DIR/bad"
	write_zone "$ST_DIR/bad" 2024070199
	sed -i 's/^ns1\tIN\tA\t192.0.2.53$/ns1\tIN\tA\t192.0.2.54\nnew\tIN\tA\t192.0.2.1/' \
		"$ST_DIR/bad/types.zone"
}
bad_copy
printf 'host3\tIN\tL64\t10 2001:db8::1\n' >>"$ST_DIR/bad/inc/hosts.zone"
bad_import "error in the \$INCLUDEd file" "$ST_DIR/bad/types.zone" \
	"/bad/inc/hosts\\.zone:$(last_line "$ST_DIR/bad/inc/hosts.zone"): bad L64 RDATA"
bad_copy
printf 'host3\tIN\tNID\t65536 0014:4fff:ff20:ee64\n' >>"$ST_DIR/bad/types.zone"
bad_import "preference out of range on the last line" "$ST_DIR/bad/types.zone" \
	"/bad/types\\.zone:$(last_line "$ST_DIR/bad/types.zone"): bad NID RDATA"
bad_copy
printf 'host3\tIN\tL64\t10 2001:db8:1:2:3\n' >>"$ST_DIR/bad/types.zone"
bad_import "five locator groups" "$ST_DIR/bad/types.zone" \
	"/bad/types\\.zone:$(last_line "$ST_DIR/bad/types.zone"): bad L64 RDATA"
bad_copy
printf 'www\tIN\tTXT\t"beside a CNAME"\n' >>"$ST_DIR/bad/types.zone"
bad_import "CNAME and other data (found after parsing)" "$ST_DIR/bad/types.zone" \
	"/bad/types\\.zone:$(last_line "$ST_DIR/bad/types.zone"): CNAME and other data"
bad_copy
printf '$INCLUDE inc/missing.zone\n' >>"$ST_DIR/bad/types.zone"
bad_import "a missing \$INCLUDE file" "$ST_DIR/bad/types.zone" \
	"/bad/types\\.zone:$(last_line "$ST_DIR/bad/types.zone"): cannot open \\\$INCLUDE file"
bad_import "a missing file" "$ST_DIR/bad/nothere.zone" "bad/nothere\\.zone: No such file"

# --- import rate: a generated zone of ILNP hosts, printed and never asserted -------------------
HOSTS=${ST_IMPORT_HOSTS:-20000}
sh "$top_srcdir/bench/zone-gen.sh" "$HOSTS" >"$ST_DIR/big.zone"
out=$("$IMPORT_RATE" "$ST_DIR/big.zone" example.ilnp. "$ST_DIR/ratedb" 2>&1)
st_grep "import-rate imports all $((4 * HOSTS + 5)) records" \
	"^$((4 * HOSTS + 5)) records, $((4 * HOSTS + 5)) RRsets, 0 warnings in [0-9.]+ s: [0-9]+ rec" \
	"$out"
st_log "bench/import-rate, $HOSTS hosts: $out"
out=$(ctl zone-import example.ilnp. "$ST_DIR/big.zone")
st_grep "zone-import of the generated zone into the running server" \
	"^imported example\\.ilnp\\.: serial 1, $((4 * HOSTS + 5)) records" "$out"
st_log "ilnpdns-ctl zone-import, $HOSTS hosts: $(printf '%s\n' "$out" | head -n 1)"
st_eq "a generated host is served" "10 2001:db8:0:$(printf '%x' $((HOSTS - 1)))" \
	"$(q "h$((HOSTS - 1)).example.ilnp." L64)"
st_done
