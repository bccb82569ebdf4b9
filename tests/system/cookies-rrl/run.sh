#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- DNS cookies (RFC 7873/9018) with dig and kdig, the SIG(0) cookie-or-TCP gate, and RRL.
#
# Phase 1 (cookies, update.require-cookie-or-tcp on, RRL off): dig +cookie
# and kdig +cookie get a server cookie that is then accepted when echoed;
# a tampered one gets BADCOOKIE on a cookie-only query and a new cookie on a
# normal one; the secret from the config survives a restart (anycast). A
# SIG(0) update over UDP without a valid cookie gets BADCOOKIE (with a
# cookie: ckupd) or REFUSED with TC=1 (no cookie: nsupdate) and costs no
# verification; with the cookie it is applied, and the same
# update over TCP needs none. Phase 2 (RRL on): a bounded burst of identical
# queries from 127.0.0.1 gets drops and slips (TC=1), counted in the stats
# and the metrics; TCP, another network (127.1.0.1, ::1) and a client with a
# valid cookie are still answered in full.
. "${top_srcdir:-$(dirname "$0")/../../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/update/common.sh"

CKUPD="$top_builddir/tests/system/cookies-rrl/ckupd"
BURST="$top_srcdir/tests/system/cookies-rrl/burst.py"
st_need dig kdig nsupdate dnssec-keygen named-checkzone python3 timeout
st_need_built "$ST_ILNPDNSD" "$ST_CTL" "$CKUPD"
st_init

SECRET=0123456789abcdef0123456789abcdef
zone="$ST_DIR/example.ilnp.zone"
upd_make_zone "$zone"
KD="$ST_DIR/sig0"
mkdir -p "$KD"
stem=$(cd "$KD" && dnssec-keygen -q -T KEY -a ED25519 -n HOST host1.example.ilnp. 2>/dev/null) ||
	st_fatal "dnssec-keygen failed"
KEY="$KD/$stem"
grep -v '^;' "$KEY.key" >>"$zone"
named-checkzone -q example.ilnp. "$zone" || st_fatal "zone with the KEY does not load"

PORT=$(st_free_port)
MPORT=$(st_free_port "$PORT")
conf="$ST_DIR/ilnpdnsd.yaml"
listen="\"127.0.0.1@$PORT\""
st_have_ipv6 && listen="$listen, \"::1@$PORT\""
# mkconf RRL-ENABLE
mkconf()
{
	cat >"$conf" <<EOF
server:
  listen: [ $listen ]
  database: $ST_DIR/db
  workers: 2
  control: $ST_DIR/ctl.sock
  metrics: 127.0.0.1@$MPORT
  cookie-secret: $SECRET
update:
  require-cookie-or-tcp: true
rrl:
  enable: $1
  responses-per-second: 5
  slip: 2
zone:
  - domain: example.ilnp.
    file: $zone
    update-policy:
      - grant host1.example.ilnp. self host1.example.ilnp. TXT L64
EOF
}
mkconf false
st_start_ilnpdnsd "$conf"

ctl() { "$ST_CTL" -s "$ST_DIR/ctl.sock" "$@"; }
# counter KEY...: a number from ilnpdns-ctl stats (JSON path, e.g. cookies valid).
counter()
{
	ctl stats | python3 -c 'import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1:]:
    d = d[k]
print(d)' "$@"
}
Q="host1.example.ilnp."
DIG="timeout 10 dig +norec +time=2 +tries=1 -p $PORT @127.0.0.1"
KDIG="timeout 10 kdig +norec +time=2 +retry=0 -p $PORT @127.0.0.1"

# ---- phase 1: cookies ----

out=$($DIG +cookie "$Q" L64)
st_grep "dig +cookie: answered" 'status: NOERROR' "$out"
st_grep "dig +cookie: L64 in the answer" "^$Q.*L64" "$out"
CK=$(printf '%s\n' "$out" | sed -n 's/^; COOKIE: \([0-9a-f]*\).*/\1/p')
st_grep "dig: client cookie + RFC 9018 server cookie (version 1, reserved 0)" \
	'^[0-9a-f]{16}01000000[0-9a-f]{24}$' "$CK"
valid0=$(counter cookies valid)
out=$($DIG +cookie="$CK" "$Q" L64)
st_grep "dig: echoed cookie answered" 'status: NOERROR' "$out"
st_grep "dig: the same cookie back (fresh)" "COOKIE: $CK" "$out"
st_eq "dig: echoed cookie counted valid" $((valid0 + 1)) "$(counter cookies valid)"
out=$($DIG +header-only +cookie="$CK")
st_grep "dig +header-only (QDCOUNT 0) with the valid cookie: NOERROR" 'status: NOERROR' "$out"

out=$($KDIG +cookie "$Q" L64)
st_grep "kdig +cookie: answered" 'status: NOERROR' "$out"
KCK=$(printf '%s\n' "$out" | sed -n 's/^;; COOKIE: \([0-9A-Fa-f]*\).*/\1/p' | tr 'A-F' 'a-f')
st_grep "kdig: got a server cookie" '^[0-9a-f]{16}01000000[0-9a-f]{24}$' "$KCK"
valid0=$(counter cookies valid)
out=$($KDIG +cookie="$KCK" "$Q" L64)
st_grep "kdig: echoed cookie answered" 'status: NOERROR' "$out"
st_eq "kdig: echoed cookie counted valid" $((valid0 + 1)) "$(counter cookies valid)"

# A tampered hash: BADCOOKIE for a cookie-only query, a normal answer with a
# new cookie otherwise (RFC 7873 5.2.4, 5.4).
BAD=${CK:0:40}$(printf '%s' "${CK:40:8}" | tr '0-9a-f' '1-9a-f0')
invalid0=$(counter cookies invalid)
out=$($DIG +header-only +nobadcookie +cookie="$BAD")
st_grep "bad cookie, QDCOUNT 0: BADCOOKIE" 'status: BADCOOKIE' "$out"
out=$($DIG +nobadcookie +cookie="$BAD" "$Q" L64)
st_grep "bad cookie, normal query: answered" 'status: NOERROR' "$out"
st_nogrep "bad cookie: not echoed" "COOKIE: $BAD" "$out"
st_grep "bad cookie: a fresh one instead" "COOKIE: ${CK:0:16}01000000" "$out"
st_eq "bad cookies counted invalid" $((invalid0 + 2)) "$(counter cookies invalid)"
# A cookie from another client address (127.1.0.1) is invalid here.
out=$($DIG -b 127.1.0.1 +header-only +nobadcookie +cookie="$CK")
st_grep "cookie bound to the client address: BADCOOKIE from 127.1.0.1" 'status: BADCOOKIE' \
	"$out"

# The secret comes from the config: cookies survive a restart (anycast peers alike).
st_stop_ilnpdnsd || st_fail "ilnpdnsd ignored TERM"
st_start_ilnpdnsd "$conf"
out=$($DIG +header-only +nobadcookie +cookie="$CK")
st_grep "cookie-secret: a cookie from before the restart is still valid" 'status: NOERROR' "$out"

# ---- phase 1: the SIG(0) gate (update.require-cookie-or-tcp) ----

ops0=$(counter update sig0_failures)
rcv0=$(counter update received udp)
out=$(timeout 20 "$CKUPD" -k "$KEY.private" -c "${CK:0:16}" -z example.ilnp. -o "$Q" -t one \
	"127.0.0.1@$PORT")
st_grep "UDP SIG(0) update with a client cookie only: BADCOOKIE with our cookie" \
	"^BADCOOKIE ${CK:0:16}01000000[0-9a-f]{24} -\$" "$out"
UCK=$(printf '%s\n' "$out" | awk '{ print $2 }')
out=$(timeout 20 "$CKUPD" -k "$KEY.private" -c "$BAD" -z example.ilnp. -o "$Q" -t one \
	"127.0.0.1@$PORT")
st_grep "UDP SIG(0) update with a bad server cookie: BADCOOKIE" '^BADCOOKIE ' "$out"
out=$(timeout 20 "$CKUPD" -k "$KEY.private" -z example.ilnp. -o "$Q" -t one "127.0.0.1@$PORT")
st_grep "UDP SIG(0) update without OPT: REFUSED with TC=1 (go to TCP)" '^REFUSED - tc$' "$out"
st_eq "the gated updates reached no verification (no SIG(0) failure, no answer from the writer)" \
	"$ops0" "$(counter update sig0_failures)"
st_eq "...but are counted as UDP updates" $((rcv0 + 3)) "$(counter update received udp)"
st_eq "...and BADCOOKIE answers counted" 2 "$(counter update rcode BADCOOKIE)"
st_eq "nothing was added" "" "$(upd_rdata "$PORT" "$Q" TXT)"
out=$(timeout 20 "$CKUPD" -k "$KEY.private" -c "$UCK" -z example.ilnp. -o "$Q" -t one \
	"127.0.0.1@$PORT")
st_grep "UDP SIG(0) update with the valid cookie: NOERROR" '^NOERROR ' "$out"
# The writer's answer carries the COOKIE too (RFC 7873 5.2.5): ours, fresh, so echoed as is.
st_grep "...and its answer carries our cookie back, the same one (RFC 9018 4.3)" \
	"^NOERROR $UCK -\$" "$out"
st_eq "the TXT is served" '"one"' "$(upd_rdata "$PORT" "$Q" TXT)"
out=$(upd_body "$PORT" <<EOF | timeout 30 nsupdate -v -k "$KEY.private" 2>&1
update add $Q 0 TXT "two"
EOF
)
st_eq "the same kind of update over TCP (nsupdate -v), no cookie: NOERROR" NOERROR \
	"$(upd_nsupdate_rcode "$out" $?)"
st_eq "the TCP update is served" '"one" | "two"' "$(upd_rdata "$PORT" "$Q" TXT)"
# nsupdate over UDP sends no cookie: REFUSED (TC=1 says why), nothing verified or applied.
tc0=$(counter truncated)
out=$(upd_body "$PORT" <<EOF | timeout 30 nsupdate -k "$KEY.private" 2>&1
update add $Q 0 TXT "three"
EOF
)
st_eq "nsupdate over UDP without a cookie: REFUSED" REFUSED "$(upd_nsupdate_rcode "$out" $?)"
st_eq "nsupdate over UDP: the TC=1 was counted" $((tc0 + 1)) "$(counter truncated)"
st_eq "nsupdate over UDP: not verified" "$ops0" "$(counter update sig0_failures)"
st_eq "nsupdate over UDP: nothing added" '"one" | "two"' "$(upd_rdata "$PORT" "$Q" TXT)"

# ---- phase 2: response rate limiting ----

st_stop_ilnpdnsd || st_fail "ilnpdnsd ignored TERM"
mkconf true
st_start_ilnpdnsd "$conf"
out=$(timeout 30 python3 "$BURST" 127.0.0.1 "$PORT" "$Q" 106 200)
st_log "burst of 200 from 127.0.0.1 at 5/s, slip 2: $out"
read -r _ sent _ full _ tc _ other <<<"$out"
st_eq "burst: every query sent" 200 "$sent"
[ "$full" -ge 5 ] && [ "$full" -lt 100 ] && st_pass "burst: answered in full $full (>= 5, < 100)" ||
	st_fail "burst: $full full answers, expected >= 5 and < 100"
[ "$tc" -ge 20 ] && st_pass "burst: $tc slipped as TC=1" || st_fail "burst: only $tc TC=1 replies"
st_eq "burst: no other replies" 0 "$other"
dropped=$(counter rrl dropped)
slipped=$(counter rrl slipped)
st_log "rrl counters: dropped $dropped slipped $slipped"
[ "$dropped" -ge 20 ] && st_pass "stats: rrl dropped $dropped" || st_fail "stats: rrl dropped $dropped"
[ "$slipped" -ge "$tc" ] && [ "$slipped" -ge 20 ] && st_pass "stats: rrl slipped $slipped" ||
	st_fail "stats: rrl slipped $slipped, $tc TC=1 replies seen"
# Loopback loses nothing in practice; a reply lost on a loaded machine is not a failure.
total=$((full + slipped + dropped))
[ "$total" -le 200 ] && [ "$total" -ge 190 ] &&
	st_pass "full answers, slips and drops add up to the burst ($total of 200)" ||
	st_fail "full $full + slipped $slipped + dropped $dropped = $total, expected about 200"
metrics=$(timeout 10 python3 -c 'import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode())' "$MPORT")
st_grep "metrics: ilnpdns_rrl_dropped_total" "^ilnpdns_rrl_dropped_total $dropped\$" "$metrics"
st_grep "metrics: ilnpdns_rrl_slipped_total" "^ilnpdns_rrl_slipped_total $slipped\$" "$metrics"

out=$($DIG +tcp "$Q" L64)
st_grep "TCP during the limit: answered in full" 'status: NOERROR' "$out"
st_grep "TCP during the limit: not truncated" 'flags: qr aa;' "$out"
out=$(timeout 20 python3 "$BURST" 127.0.0.1 "$PORT" "$Q" 106 4 127.1.0.1)
st_eq "another network (127.1.0.1), same name: all answered" "sent 4 full 4 tc 0 other 0" "$out"
if st_have_ipv6; then
	out=$(timeout 20 python3 "$BURST" ::1 "$PORT" ns1.example.ilnp. 1 4)
	st_eq "::1, another name: all answered" "sent 4 full 4 tc 0 other 0" "$out"
fi
out=$(timeout 20 python3 "$BURST" 127.0.0.1 "$PORT" ns1.example.ilnp. 1 4)
st_eq "127.0.0.1, another name: its own bucket, all answered" "sent 4 full 4 tc 0 other 0" "$out"
# A client with a valid cookie has proved its address: never limited.
n=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	out=$($DIG +cookie="$CK" "$Q" L64)
	printf '%s\n' "$out" | grep -Eq 'flags: qr aa; QUERY: 1, ANSWER: [1-9]' && n=$((n + 1))
done
st_eq "valid cookie from the limited address: 10 of 10 answered in full" 10 "$n"
st_done
