#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- the update cases of tests/system/update run against ilnpdnsd and BIND named side by side; RCODEs and zone content compared.
#
# Both servers load the same flattened example zone, the same TSIG keys and
# the same update policy (common.sh: BIND's rules say name/subdomain where
# ours say self/selfsub with a NAME). Every update of update/cases.sh goes
# to both; the RCODEs, the serial steps and every zone check must agree.
# Then the RFC 2136 part (update/rfc2136.sh) goes through knsupdate to two
# fresh servers, compared the same way.
# A difference is accepted only when allow.txt lists it, with the RFC rule
# that settles it; an entry that no longer matches a difference fails too,
# so the list stays true.
. "${top_srcdir:-$(dirname "$0")/../../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/update/common.sh"

st_need dig nsupdate knsupdate faketime tsig-keygen named named-checkconf named-checkzone timeout
st_need_built "$ST_ILNPDNSD" "$UPD_UPDSEND"
ALLOW="$top_srcdir/tests/system/update-bind/allow.txt"
[ -f "$ALLOW" ] || st_fatal "$ALLOW is missing"
st_init

upd_make_keys
zone="$ST_DIR/example.ilnp.zone"
upd_make_zone "$zone"
upd_allow_init "$ALLOW"

after_update()
{
	upd_same "$1" "$2" "$3"
	UPD_PREV_SERIAL=$UPD_SERIAL
	UPD_SERIAL=$(upd_serial "$PORT")
	B_PREV=$B_SERIAL
	B_SERIAL=$(upd_serial "$BPORT")
}

# The case list's own expected RCODE is checked by update/run.sh; here the
# two servers are held against each other. The body goes to both.
u()
{
	local body
	body=$(cat)
	after_update "$3" "$(printf '%s\n' "$body" | upd_run_nsupdate "$PORT" "$1")" \
		"$(printf '%s\n' "$body" | upd_run_nsupdate "$BPORT" "$1")"
}

k()
{
	local body
	body=$(cat)
	after_update "knsupdate: $3" "$(printf '%s\n' "$body" | upd_run_knsupdate "$PORT" "$1")" \
		"$(printf '%s\n' "$body" | upd_run_knsupdate "$BPORT" "$1")"
}

# updsend_to PORT SPEC ARGS...: the RCODE updsend printed. Each server gets
# its own copy of the request to resend.
updsend_to()
{
	local port=$1 spec=$2
	shift 2
	if [ "$spec" = resend ]; then
		timeout 20 "$UPD_UPDSEND" -r "$ST_DIR/replay-$port.bin" "127.0.0.1@$port"
	else
		timeout 20 "$UPD_UPDSEND" -y "$(upd_alg "$spec-key"):$spec-key:$(upd_secret "$spec-key")" \
			-w "$ST_DIR/replay-$port.bin" -z "$UPD_ZONE" "$@" "127.0.0.1@$port"
	fi | awk '{ $1 = ""; sub(/^ /, ""); print }'
}

x()
{
	local spec=$1 desc=$3
	shift 3
	after_update "updsend: $desc" "$(updsend_to "$PORT" "$spec" "$@")" \
		"$(updsend_to "$BPORT" "$spec" "$@")"
}

# Serial steps: "+1", "0" or "jump" for each server, compared.
step()
{
	if [ "$2" = "$1" ]; then
		echo 0
	elif [ "$2" = "$(upd_serial_next "$1")" ]; then
		echo +1
	else
		echo "jump $1->$2"
	fi
}
ch() { upd_same "$1" "$(step "$UPD_PREV_SERIAL" "$UPD_SERIAL")" "$(step "$B_PREV" "$B_SERIAL")"; }
nc() { ch "$@"; }
sr() { upd_same "$2" "$UPD_SERIAL" "$B_SERIAL"; }
z() { upd_same "$4" "$(upd_rdata "$PORT" "$1" "$2")" "$(upd_rdata "$BPORT" "$1" "$2")"; }
soa_of()
{
	timeout 10 dig +norec +short +time=2 +tries=1 -p "$1" @127.0.0.1 "$UPD_ZONE" SOA |
		awk '{ $3 = ""; print }' | tr -s ' '
}
zsoa() { upd_same "$2" "$(soa_of "$PORT")" "$(soa_of "$BPORT")"; }
status_of()
{
	timeout 10 dig +norec +time=2 +tries=1 -p "$1" @127.0.0.1 "$2" TXT |
		sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}
zx() { upd_same "$3" "$(status_of "$PORT" "$1")" "$(status_of "$BPORT" "$1")"; }

# run_pass SUFFIX PREFIX CASES: ilnpdnsd (ilnpdnsd$SUFFIX.yaml, database db$SUFFIX) and named
# started on fresh ports from the zone file, their first serials compared, then the case file
# CASES sourced against both. PREFIX starts the log line and the check names.
run_pass()
{
	PORT=$(st_free_port)
	BPORT=$(st_free_port "$PORT")
	upd_ilnp_conf "$ST_DIR/ilnpdnsd$1.yaml" "$PORT" "$ST_DIR/db$1" "$zone"
	st_start_ilnpdnsd "$ST_DIR/ilnpdnsd$1.yaml"
	upd_start_named "$BPORT" "$zone"
	st_log "${2}ilnpdnsd on $PORT (pid $ILNPDNSD_PID), named on $BPORT (pid $NAMED_PID)"
	UPD_SERIAL=$(upd_serial "$PORT")
	B_SERIAL=$(upd_serial "$BPORT")
	if [ -z "$UPD_SERIAL" ] || [ -z "$B_SERIAL" ]; then
		st_fatal "${2}no SOA from one of the servers"
	fi
	st_eq "${2}both servers start from the same serial" "$UPD_SERIAL" "$B_SERIAL"
	UPD_PREV_SERIAL=$UPD_SERIAL
	B_PREV=$B_SERIAL
	. "$3"
}

run_pass "" "" "$top_srcdir/tests/system/update/cases.sh"

# The RFC 2136 cases once more through knsupdate, on two fresh servers
# (named's journal and our database both start from the zone file again).
st_stop_ilnpdnsd || st_fail "ilnpdnsd ignored TERM before the knsupdate pass"
st_stop_pid "$NAMED_PID" || st_fail "named ignored TERM before the knsupdate pass"
st_forget "$NAMED_PID"
rm -rf "$ST_DIR/named"
mv "$ST_DIR/named.log" "$ST_DIR/named-nsupdate.log"
u() { k "$@"; }
run_pass -k "knsupdate pass: " "$top_srcdir/tests/system/update/rfc2136.sh"

upd_allow_all_used
st_log "$UPD_DIFFS allowed differences between ilnpdnsd and BIND $(named -v | awk '{ print $2 }')"
st_done
