#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- SIG(0) signed updates (RFC 2931, RFC 3007) against ilnpdnsd: Ed25519, ECDSA P-256, RSA/SHA-256, time window, missing KEY, policy, candidate cap, failure limit.
#
# Keys are made here with dnssec-keygen -T KEY; their KEY records go into the
# zone file before the first start (and one later by update). nsupdate -k
# signs with the current clock; updsend -k signs with a shifted clock for the
# time window (nsupdate hangs under faketime, see updsend.c).
# shellcheck disable=SC2154 # nokey, rogue and late come from sig0_make_keys
. "${top_srcdir:-$(dirname "$0")/../../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/update/common.sh"
. "$top_srcdir/tests/system/sig0/keys.sh"

st_need dig nsupdate dnssec-keygen tsig-keygen named-checkzone timeout
st_need_built "$ST_ILNPDNSD" "$UPD_UPDSEND"
st_init

upd_make_keys
zone="$ST_DIR/example.ilnp.zone"
upd_make_zone "$zone"
sig0_make_keys "$zone"
# The candidate cap (sig0.h, README): signers whose KEY RRset holds decoys
# placed before the real KEY, in file order and in canonical order (each
# decoy is the real RDATA with one octet lowered). capN-tag: N decoys with
# the real key's tag (two octets moved, the tag sum kept), so each costs a
# verification; capN-any: N decoys with other tags, each only looked at.
# decoys FILE N SAMETAG: print N decoy KEY lines for the key in FILE.
decoys()
{
	python3 - "$1" "$2" "$3" <<'PY'
import base64, sys
def tag(rd):  # RFC 4034 Appendix B
	ac = sum(b << 8 if i % 2 == 0 else b for i, b in enumerate(rd))
	return (ac + (ac >> 16)) & 0xFFFF
f = [l for l in open(sys.argv[1]) if not l.startswith(";")][0].split()
k = f.index("KEY")
head, key = f[:k + 4], base64.b64decode("".join(f[k + 4:]))
n, same = int(sys.argv[2]), sys.argv[3] == "1"
rd = bytes([int(f[k + 1]) >> 8, int(f[k + 1]) & 255, int(f[k + 2]), int(f[k + 3])]) + key
out, p = 0, 40  # well inside the RSA modulus
while out < n:
	b = bytearray(rd)
	if b[p] > 0 and (not same or b[p + 2] < 255):
		b[p] -= 1
		if same:
			b[p + 2] += 1
		if (tag(b) == tag(rd)) != same:
			sys.exit("decoy key tag is wrong")
		print(" ".join(head), base64.b64encode(bytes(b[4:])).decode())
		out += 1
	p += 4 if same else 2
PY
}
declare -A CAP
for c in cap1-tag cap2-tag cap15-any cap16-any; do
	CAP[$c]=$(sig0_keygen "$c.example.ilnp." RSASHA256)
	n=${c#cap}
	decoys "${CAP[$c]}.key" "${n%-*}" "$([ "${c#*-}" = tag ] && echo 1 || echo 0)" >>"$zone" ||
		st_fatal "cannot make decoy KEYs for $c"
	grep -v '^;' "${CAP[$c]}.key" >>"$zone"
done
named-checkzone -q example.ilnp. "$zone" || st_fatal "zone with KEY records does not load"

PORT=$(st_free_port)
conf="$ST_DIR/ilnpdnsd.yaml"
mkconf()
{
	upd_ilnp_conf "$conf" "$PORT" "$ST_DIR/db" "$zone" \
		"grant host1.example.ilnp. self NID L64 L32 LP" \
		"grant nokey.example.ilnp. subdomain example.ilnp. ANY" \
		"grant late.example.ilnp. self TXT" \
		"grant cap1-tag.example.ilnp. self TXT" "grant cap2-tag.example.ilnp. self TXT" \
		"grant cap15-any.example.ilnp. self TXT" "grant cap16-any.example.ilnp. self TXT"
}
mkconf
st_start_ilnpdnsd "$conf"

SERIAL=$(upd_serial "$PORT")
[ -n "$SERIAL" ] || st_fatal "no SOA from ilnpdnsd"
PREV=$SERIAL

# check DESC WANT GOT: the RCODE, then the serial moved by one (NOERROR) or
# not at all.
check()
{
	st_eq "$1: rcode" "$2" "$3"
	PREV=$SERIAL
	SERIAL=$(upd_serial "$PORT")
	if [ "$2" = NOERROR ]; then
		st_eq "$1: serial +1" "$(upd_serial_next "$PREV")" "$SERIAL"
	else
		st_eq "$1: serial kept" "$PREV" "$SERIAL"
	fi
}
# nsup DESC WANT KFILE [-v]: nsupdate -k KFILE.private with the commands on stdin.
nsup()
{
	local desc=$1 want=$2 k=$3 out rc
	shift 3
	out=$(upd_body "$PORT" | timeout 20 nsupdate "$@" -k "$k.private" 2>&1)
	rc=$?
	check "$desc" "$want" "$(upd_nsupdate_rcode "$out" "$rc")"
}
# send DESC WANT KFILE OFFSET RR: updsend -k with the clock OFFSET seconds away.
send()
{
	check "$1" "$2" "$(timeout 20 "$UPD_UPDSEND" -k "$3.private" -T "$4" -a "$5" \
		-z "$UPD_ZONE" "127.0.0.1@$PORT" | awk '{ print $2 }')"
}
z() { st_eq "$4" "$3" "$(upd_rdata "$PORT" "$1" "$2")"; }

n=0
for alg in ED25519 ECDSAP256SHA256 RSASHA256; do
	n=$((n + 1))
	nsup "$alg: host1 adds an L64" NOERROR "${KEY[$alg]}" <<EOF
update add host1.example.ilnp. 0 L64 5$n 2001:db8:50:$n
EOF
	z host1.example.ilnp. L64 "10 2001:db8:1140:1000 | 20 2001:db8:2140:2000 | 30 2001:db8:3140:3000$(
		for i in $(seq 1 $n); do printf ' | 5%d 2001:db8:50:%d' "$i" "$i"; done)" \
		"$alg: the L64 is served"
	send "$alg: signature expired an hour ago" REFUSED "${KEY[$alg]}" -3600 \
		"host1.example.ilnp. 0 IN L64 60 2001:db8:60:$n"
	send "$alg: signature valid only from an hour ahead" REFUSED "${KEY[$alg]}" 3600 \
		"host1.example.ilnp. 0 IN L64 60 2001:db8:60:$n"
	z host1.example.ilnp. L32 '10 10.1.2.0 | 20 10.1.4.0' "$alg: nothing of the refused updates"
done
send "ED25519: clock 200 s behind, inside the window" NOERROR "${KEY[ED25519]}" -200 \
	"host1.example.ilnp. 0 IN L32 30 10.50.0.0"
z host1.example.ilnp. L32 '10 10.1.2.0 | 20 10.1.4.0 | 30 10.50.0.0' "skewed SIG(0): L32 added"
nsup "ECDSA over TCP: delete one L64 and replace the NID RRset" NOERROR "${KEY[ECDSAP256SHA256]}" -v <<'EOF'
update delete host1.example.ilnp. L64 51 2001:db8:50:1
update delete host1.example.ilnp. NID
update add host1.example.ilnp. 0 NID 10 0014:4fff:ff20:5001
EOF
z host1.example.ilnp. NID '10 14:4fff:ff20:5001' "SIG(0) over TCP: NID replaced"

nsup "signer with no KEY in the zone" REFUSED "$nokey" <<'EOF'
update add host1.example.ilnp. 0 L64 70 2001:db8:70:1
EOF
nsup "host1 key whose KEY is not in the zone" REFUSED "$rogue" <<'EOF'
update add host1.example.ilnp. 0 L64 70 2001:db8:70:1
EOF
z host1.example.ilnp. L64 '10 2001:db8:1140:1000 | 20 2001:db8:2140:2000 | 30 2001:db8:3140:3000 | 52 2001:db8:50:2 | 53 2001:db8:50:3' \
	"unverifiable signers: nothing added"

nsup "policy: host1 may not add an AAAA" REFUSED "${KEY[RSASHA256]}" <<'EOF'
update add host1.example.ilnp. 0 AAAA 2001:db8::50
EOF
nsup "policy: host1 may not touch host2" REFUSED "${KEY[ED25519]}" <<'EOF'
update add host2.example.ilnp. 0 L64 10 2001:db8:50:99
EOF

# A KEY added by a TSIG-signed update is used at once; once deleted, it no
# longer verifies (the zone, not a cache, holds the keys).
keyrr=$(grep -v '^;' "$late.key" | awk '{ $1 = $2 = $3 = ""; print }')
# shellcheck disable=SC2046 # the key arguments are words on purpose
out=$(upd_body "$PORT" <<EOF | timeout 20 nsupdate $(upd_key_args admin) 2>&1
update add late.example.ilnp. 300 KEY $keyrr
EOF
)
check "admin-key adds late's KEY" NOERROR "$(upd_nsupdate_rcode "$out" $?)"
nsup "late signs with the KEY just added" NOERROR "$late" <<'EOF'
update add late.example.ilnp. 300 TXT "late"
EOF
z late.example.ilnp. TXT '"late"' "late: TXT added"
# shellcheck disable=SC2046 # the key arguments are words on purpose
out=$(upd_body "$PORT" <<EOF | timeout 20 nsupdate $(upd_key_args admin) 2>&1
update delete late.example.ilnp. KEY
EOF
)
check "admin-key deletes late's KEY" NOERROR "$(upd_nsupdate_rcode "$out" $?)"
nsup "late after its KEY was deleted" REFUSED "$late" <<'EOF'
update add late.example.ilnp. 300 TXT "too late"
EOF
z late.example.ilnp. TXT '"late"' "late: the refused TXT is not there"

# Candidate cap: the real KEY behind one decoy of its tag is verified, behind
# two it is never tried (at most ILNPDNS_SIG0_MAX_VERIFY = 2 verifications);
# behind 15 other KEYs it is found, behind 16 it is never looked at
# (ILNPDNS_SIG0_MAX_KEYS = 16).
for c in cap1-tag:NOERROR cap2-tag:REFUSED cap15-any:NOERROR cap16-any:REFUSED; do
	nsup "candidate cap: ${c%:*}" "${c#*:}" "${CAP[${c%:*}]}" <<EOF
update add ${c%:*}.example.ilnp. 300 TXT "signed"
EOF
	want='"signed"'
	[ "${c#*:}" = NOERROR ] || want=
	z "${c%:*}.example.ilnp." TXT "$want" "candidate cap: ${c%:*}: TXT ${want:-absent}"
done

# Per-source failure limit (writer.h): after update-fail-limit failed
# checks within a minute, even a good signature is refused without being
# verified. Restart with a limit of 3.
st_stop_ilnpdnsd || st_fail "ilnpdnsd ignored TERM"
UPD_FAIL_LIMIT=3 mkconf
st_start_ilnpdnsd "$conf"
SERIAL=$(upd_serial "$PORT")
for i in 1 2 3; do
	nsup "failure limit: bad signer $i" REFUSED "$rogue" <<'EOF'
update add host1.example.ilnp. 0 L64 80 2001:db8:80:1
EOF
done
nsup "failure limit: a good signature from the same source is refused now" REFUSED "${KEY[ED25519]}" <<'EOF'
update add host1.example.ilnp. 0 L64 80 2001:db8:80:1
EOF
z host1.example.ilnp. L64 '10 2001:db8:1140:1000 | 20 2001:db8:2140:2000 | 30 2001:db8:3140:3000 | 52 2001:db8:50:2 | 53 2001:db8:50:3' \
	"failure limit: nothing added"
st_done
