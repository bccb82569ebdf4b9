#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- tests/system/sig0's SIG(0) update cases sent to ilnpdnsd and BIND named; outcomes compared.
#
# Both servers load the same zone with the same KEY records at the signer
# names (dnssec-keygen -T KEY), the same TSIG keys and the same policy: the
# SIG(0) rules below, written alike for both (BIND's self matches the SIG(0)
# signer name, as ours does when the NAME is the signer), then update/common.sh's
# TSIG rules. Every case goes to both; each server's outcome is one line:
# "RCODE, serial STEP, zone: CHANGES", where CHANGES lists the records of the
# watched RRsets that appeared (+) or went away (-). Comparing changes rather
# than content keeps later cases comparable once the servers have diverged.
# A difference is accepted only when allow.txt lists it with the RFC rule
# that settles it; an entry that matches no difference fails, so the list
# stays true.
# shellcheck disable=SC2154 # nokey, rogue and late come from sig0_make_keys
. "${top_srcdir:-$(dirname "$0")/../../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/update/common.sh"
. "$top_srcdir/tests/system/sig0/keys.sh"

st_need dig nsupdate dnssec-keygen tsig-keygen named named-checkconf named-checkzone timeout
st_need_built "$ST_ILNPDNSD" "$UPD_UPDSEND"
ALLOW="$top_srcdir/tests/system/sig0-bind/allow.txt"
[ -f "$ALLOW" ] || st_fatal "$ALLOW is missing"
st_init

upd_make_keys
zone="$ST_DIR/example.ilnp.zone"
upd_make_zone "$zone"
sig0_make_keys "$zone"
named-checkzone -q "$UPD_ZONE" "$zone" || st_fatal "zone with KEY records does not load"

# The SIG(0) rules, the same text for both servers, ahead of the TSIG rules.
sig0_policy()
{
	cat <<'EOF'
grant host1.example.ilnp. self host1.example.ilnp. NID L64 L32 LP
grant nokey.example.ilnp. subdomain example.ilnp. ANY
grant late.example.ilnp. self late.example.ilnp. TXT
EOF
}

PORT=$(st_free_port)
BPORT=$(st_free_port "$PORT")
mapfile -t rules < <(sig0_policy)
upd_ilnp_conf "$ST_DIR/ilnpdnsd.yaml" "$PORT" "$ST_DIR/db" "$zone" "${rules[@]}"
st_start_ilnpdnsd "$ST_DIR/ilnpdnsd.yaml"
# named gets the SIG(0) rules as they are (BIND's self matches the SIG(0)
# signer name), then common.sh's translation of the TSIG rules.
upd_start_named "$BPORT" "$zone" "$(sig0_policy)"
BVER=$(named -v | awk '{ print $2 }')
st_log "ilnpdnsd on $PORT (pid $ILNPDNSD_PID), named $BVER on $BPORT (pid $NAMED_PID)"

# BIND 9.18.28 and later 9.18 releases removed SIG(0) verification
# (CVE-2024-1975): a SIG(0) update is then handled as an unsigned one, which
# allow.txt relies on; checked case by case below.
SIG0_UNVERIFIED=0
case $BVER in
9.18.*)
	p=${BVER#9.18.}
	p=${p%%[!0-9]*}
	[ "${p:-0}" -ge 28 ] && SIG0_UNVERIFIED=1
	;;
esac

# The RRsets whose records are compared after each case.
WATCH="host1.example.ilnp. NID host1.example.ilnp. L64 host1.example.ilnp. L32
	host1.example.ilnp. LP host1.example.ilnp. AAAA host2.example.ilnp. L64
	late.example.ilnp. KEY late.example.ilnp. TXT"
# snap PORT: the watched records, "name type rdata" lower case, sorted.
snap()
{
	# shellcheck disable=SC2086 # WATCH is name/type words on purpose
	timeout 20 dig +norec +noall +answer +time=2 +tries=2 -p "$1" @127.0.0.1 $WATCH |
		awk '$4 != "SOA" { $2 = $3 = ""; print tolower($0) }' | tr -s ' ' | sort -u
}
declare -A SER SNAP
# note WHO PORT RCODE: set RES to the outcome line of the case just sent to
# server WHO (ilnp or named) and keep its serial and records for the next case.
note()
{
	local who=$2 ser now step eff
	ser=$(upd_serial "$3")
	now=$(snap "$3")
	[ -n "$ser" ] || st_fatal "no SOA from $1"
	if [ "$ser" = "${SER[$who]:-}" ]; then
		step=0
	elif [ -n "${SER[$who]:-}" ] && [ "$ser" = "$(upd_serial_next "${SER[$who]}")" ]; then
		step=+1
	else
		step="jump ${SER[$who]:-}->$ser"
	fi
	eff=$({
		comm -13 <(printf '%s\n' "${SNAP[$who]:-}") <(printf '%s\n' "$now") | sed 's/^/+/'
		comm -23 <(printf '%s\n' "${SNAP[$who]:-}") <(printf '%s\n' "$now") | sed 's/^/-/'
	} | grep -v '^[+-]$' | paste -sd ';' | sed 's/;/; /g')
	SER[$who]=$ser
	SNAP[$who]=$now
	RES="$4, serial $step, zone: ${eff:-unchanged}"
}
note ilnpdnsd ilnp "$PORT" start
note BIND named "$BPORT" start
st_eq "both servers start from the same serial" "${SER[ilnp]}" "${SER[named]}"
st_eq "both servers start with the same watched records" "${SNAP[ilnp]}" "${SNAP[named]}"

upd_allow_init "$ALLOW"

# nsup_to PORT KFILE|- [-v]: nsupdate with the body in $BODY, signed with
# SIG(0) by KFILE.private, or unsigned for -; print the RCODE.
nsup_to()
{
	local port=$1 k=$2 out rc
	shift 2
	[ "$k" = - ] || set -- "$@" -k "$k.private"
	out=$(printf '%s\n' "$BODY" | upd_body "$port" | timeout 20 nsupdate "$@" 2>&1)
	rc=$?
	upd_nsupdate_rcode "$out" "$rc"
}
# nsup DESC KFILE [-v]: the commands on stdin to both servers, outcomes
# compared. Where BIND does not verify SIG(0), its answer must be the one it
# gives the same update unsigned (the premise of allow.txt).
nsup()
{
	local desc=$1 k=$2 ri rb ru
	shift 2
	BODY=$(cat)
	note ilnpdnsd ilnp "$PORT" "$(nsup_to "$PORT" "$k" "$@")"
	ri=$RES
	note BIND named "$BPORT" "$(nsup_to "$BPORT" "$k" "$@")"
	rb=$RES
	upd_same "$desc" "$ri" "$rb"
	if [ $SIG0_UNVERIFIED = 1 ] && [ "$k" != - ]; then
		note BIND named "$BPORT" "$(nsup_to "$BPORT" - "$@")"
		ru=$RES
		st_eq "$desc: BIND $BVER answers it as the same update unsigned" "$rb" "$ru"
	fi
}
# send DESC KFILE OFFSET RR: updsend -k (SIG(0)) with the clock OFFSET seconds
# away, to both servers.
send_to()
{
	timeout 20 "$UPD_UPDSEND" -k "$2.private" -T "$3" -a "$4" -z "$UPD_ZONE" "127.0.0.1@$1" |
		awk '{ print $2 }'
}
send()
{
	local ri
	note ilnpdnsd ilnp "$PORT" "$(send_to "$PORT" "$2" "$3" "$4")"
	ri=$RES
	note BIND named "$BPORT" "$(send_to "$BPORT" "$2" "$3" "$4")"
	upd_same "$1" "$ri" "$RES"
}

n=0
for alg in ED25519 ECDSAP256SHA256 RSASHA256; do
	n=$((n + 1))
	nsup "$alg: host1 adds an L64" "${KEY[$alg]}" <<EOF
update add host1.example.ilnp. 0 L64 5$n 2001:db8:50:$n
EOF
	send "$alg: signature expired an hour ago" "${KEY[$alg]}" -3600 \
		"host1.example.ilnp. 0 IN L64 60 2001:db8:60:$n"
	send "$alg: signature valid only from an hour ahead" "${KEY[$alg]}" 3600 \
		"host1.example.ilnp. 0 IN L64 60 2001:db8:60:$n"
done
send "ED25519: clock 200 s behind, inside the window" "${KEY[ED25519]}" -200 \
	"host1.example.ilnp. 0 IN L32 30 10.50.0.0"
nsup "ECDSA over TCP: delete one L64 and replace the NID RRset" "${KEY[ECDSAP256SHA256]}" -v <<'EOF'
update delete host1.example.ilnp. L64 51 2001:db8:50:1
update delete host1.example.ilnp. NID
update add host1.example.ilnp. 0 NID 10 0014:4fff:ff20:5001
EOF
nsup "signer with no KEY in the zone" "$nokey" <<'EOF'
update add host1.example.ilnp. 0 L64 70 2001:db8:70:1
EOF
nsup "wrong key: host1 key whose KEY is not in the zone" "$rogue" <<'EOF'
update add host1.example.ilnp. 0 L64 70 2001:db8:70:1
EOF
nsup "policy: host1 may not add an AAAA" "${KEY[RSASHA256]}" <<'EOF'
update add host1.example.ilnp. 0 AAAA 2001:db8::50
EOF
nsup "policy: host1 may not touch host2" "${KEY[ED25519]}" <<'EOF'
update add host2.example.ilnp. 0 L64 10 2001:db8:50:99
EOF
nsup "unsigned update" - <<'EOF'
update add host1.example.ilnp. 0 L64 71 2001:db8:71:1
EOF

# A KEY added by TSIG (which both servers verify) is used at once; once
# deleted it no longer verifies: the zone holds the keys.
keyrr=$(grep -v '^;' "$late.key" | awk '{ $1 = $2 = $3 = ""; print }')
tsig()
{
	local ri
	BODY=$(cat)
	# shellcheck disable=SC2046 # the key arguments are words on purpose
	note ilnpdnsd ilnp "$PORT" "$(nsup_to "$PORT" - $(upd_key_args admin))"
	ri=$RES
	# shellcheck disable=SC2046
	note BIND named "$BPORT" "$(nsup_to "$BPORT" - $(upd_key_args admin))"
	upd_same "$1" "$ri" "$RES"
}
tsig "TSIG admin-key adds late's KEY" <<EOF
update add late.example.ilnp. 300 KEY $keyrr
EOF
nsup "late signs with the KEY just added" "$late" <<'EOF'
update add late.example.ilnp. 300 TXT "late"
EOF
tsig "TSIG admin-key deletes late's KEY" <<'EOF'
update delete late.example.ilnp. KEY
EOF
nsup "late after its KEY was deleted" "$late" <<'EOF'
update add late.example.ilnp. 300 TXT "too late"
EOF

upd_allow_all_used
st_log "$UPD_DIFFS allowed differences between ilnpdnsd and BIND $BVER"
st_done
