#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- transfers and NOTIFY against a running ilnpdnsd: AXFR and IXFR with TSIG (dig, kdig),
# allow-transfer refusals, IXFR diffs, too-old serials, IXFR over UDP, NOTIFY to a fake secondary,
# inbound NOTIFY, and zone-status, wait-serial and events through ilnpdns-ctl.
#
# The fake secondary (dnsmsg.py) listens on 127.0.0.5, acknowledges every
# NOTIFY and answers SOA queries with the serial in $ST_DIR/serving: the
# test decides what it serves, so wait-serial can be seen to wait for the
# served serial, not for the acknowledgement or the transfer.
. "$(dirname "$0")/../lib.sh"

st_need dig kdig nsupdate python3
st_need_built "$ST_ILNPDNSD" "$ST_CTL"
st_init

PORT=$(st_free_port)
NPORT=$(st_free_port "$PORT")
CONF="$ST_DIR/ilnpdnsd.yaml"
PY="$top_srcdir/tests/system/xfr-basic/dnsmsg.py"
ZONE=example.ilnp.
XFR_SECRET=$(printf 'xfr-secret-of-the-xfr-basic-test' | base64)
UPD_SECRET=$(printf 'upd-secret-of-the-xfr-basic-test' | base64)
XFR="hmac-sha256:xfr-key:$XFR_SECRET"
UPD="hmac-sha256:upd-key:$UPD_SECRET"
CTL() { "$ST_CTL" -s "$ST_DIR/ctl.sock" "$@"; }

SEC_ADDR=127.0.0.5
SEC_RE=${SEC_ADDR//./\\.}
SERVING="$ST_DIR/serving"
# serve SERIAL: what the fake secondary answers to SOA queries from now on.
serve() { echo "$1" >"$SERVING.new" && mv "$SERVING.new" "$SERVING"; }

# Transfers: xfr-key from anywhere, unsigned from 127.0.0.2, upd-key only from 127.0.0.3.
cat >"$CONF" <<EOC
server:
  listen: [ "127.0.0.1@$PORT" ]
  database: $ST_DIR/db
  workers: 2
  control: $ST_DIR/ctl.sock
key:
  - { id: xfr-key, algorithm: hmac-sha256, secret: "$XFR_SECRET" }
  - { id: upd-key, algorithm: hmac-sha256, secret: "$UPD_SECRET" }
zone:
  - domain: $ZONE
    file: $ST_ZONE
    update-policy: [ "grant upd-key subdomain $ZONE ANY" ]
    allow-transfer:
      - { key: xfr-key }
      - 127.0.0.2
      - { address: 127.0.0.3, key: upd-key }
    notify: [ "$SEC_ADDR@$NPORT" ]
    journal-max-entries: 5
EOC

# The fake secondary first, so that the NOTIFY at start reaches it.
SEC_LOG="$ST_DIR/secondary.log"
st_spawn "$ST_DIR/secondary.err.log" \
	python3 "$PY" secondary "$NPORT" "$SEC_ADDR" "$SEC_LOG" "$SERVING"
st_wait_log "$ST_PID" "$SEC_LOG" listening 10 || st_fatal "the fake secondary did not start"
st_start_ilnpdnsd "$CONF"

d() { dig +time=3 +tries=1 -p "$PORT" @127.0.0.1 "$@"; }
# Answer RRs only, one per line, TTL/class columns squeezed.
records() { d +noall +answer "$@" | tr -s ' \t' ' '; }
serial() { d +short "$ZONE" SOA | awk '{print $3}'; }
# The RCODE kdig reports for a failed transfer.
xrcode()
{
	kdig +time=3 +retry=0 -p "$PORT" @127.0.0.1 "$@" 2>&1 |
		sed -n "s/.*server replied with error '\([A-Z]*\)'.*/\1/p" | head -1
}
upd()
{
	printf 'server 127.0.0.1 %s\nzone %s\n%s\nsend\n' "$PORT" "$ZONE" "$1" |
		timeout 20 nsupdate -y "$UPD" >/dev/null 2>&1
}
# wait_for FILE REGEX: up to 10 s.
wait_for()
{
	local i=0
	while [ $i -lt 100 ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

s0=$(serial)
[ -n "$s0" ] || st_fatal "no SOA from ilnpdnsd"

# --- NOTIFY at start, to the fake secondary (which answers NOERROR) ---
wait_for "$SEC_LOG" "notify $ZONE $s0\$"
st_eq "NOTIFY with the SOA hint at start" 0 "$?"
# Acknowledged, but it serves nothing yet (SERVFAIL to SOA queries): not reached.
out=$(CTL wait-serial "$ZONE" "$s0" --timeout 1 2>&1)
st_eq "wait-serial s0 while the secondary serves nothing: exit 1" 1 "$?"
st_grep "the timeout names it: nothing confirmed" \
	"below serial $s0: $SEC_RE@$NPORT nothing confirmed\$" "$out"
serve "$s0"
out=$(CTL wait-serial "$ZONE" "$s0" --timeout 10)
st_eq "wait-serial s0 once it serves s0" "reached $s0" "$out"

# --- AXFR with TSIG ---
dump=$(CTL zone-dump "$ZONE" | grep -c .)
axfr=$(records -y "$XFR" "$ZONE" AXFR)
st_eq "AXFR (dig -y): every RR plus the closing SOA" "$((dump + 1))" "$(printf '%s\n' "$axfr" | grep -c .)"
st_grep "AXFR starts with the SOA" "^$ZONE [0-9]+ IN SOA .* $s0 " "$(printf '%s\n' "$axfr" | head -1)"
st_grep "AXFR ends with the SOA" "^$ZONE [0-9]+ IN SOA .* $s0 " "$(printf '%s\n' "$axfr" | tail -1)"
kaxfr=$(kdig +noall +answer +time=3 +retry=0 -p "$PORT" @127.0.0.1 -y "$XFR" "$ZONE" AXFR 2>&1)
st_eq "AXFR (kdig -y) verifies and has the same RRs" "$((dump + 1))" "$(printf '%s\n' "$kaxfr" | grep -c "IN")"
st_nogrep "kdig sees no TSIG problem" "failed|error|BADSIG" "$kaxfr"

# --- allow-transfer ---
st_eq "unsigned AXFR from 127.0.0.1 is REFUSED" REFUSED "$(xrcode "$ZONE" AXFR)"
st_eq "AXFR signed with another key is REFUSED" REFUSED "$(xrcode -y "$UPD" "$ZONE" AXFR)"
st_grep "that key from its own address is allowed" "IN[[:space:]]+SOA" \
	"$(d -b 127.0.0.3 +noall +answer -y "$UPD" "$ZONE" AXFR)"
st_eq "unsigned AXFR from the allowed address" "$((dump + 1))" \
	"$(d -b 127.0.0.2 +noall +answer "$ZONE" AXFR | grep -c .)"
st_eq "unsigned IXFR over UDP from 127.0.0.1 is REFUSED" REFUSED \
	"$(xrcode +notcp "$ZONE" IXFR="$s0")"
st_eq "AXFR of a zone we do not serve is NOTAUTH" NOTAUTH "$(xrcode -y "$XFR" other.test. AXFR)"
st_eq "AXFR of a name below the apex is NOTAUTH" NOTAUTH "$(xrcode -y "$XFR" host1.$ZONE AXFR)"
st_eq "AXFR over UDP from a refused client: REFUSED" "REFUSED - 0" \
	"$(python3 "$PY" udp-axfr "$PORT" "$ZONE")"
st_eq "AXFR over UDP from an allowed client: empty, TC set" "NOERROR tc 0" \
	"$(python3 "$PY" udp-axfr "$PORT" "$ZONE" 127.0.0.2)"

# --- the change feed and IXFR after updates ---
EV="$ST_DIR/events.out"
"$ST_CTL" -s "$ST_DIR/ctl.sock" events >"$EV" 2>"$ST_DIR/events.err.log" &
EV_PID=$!
ST_PIDS="$ST_PIDS $EV_PID"
# The subscription is in place once the daemon has registered it (info level: not logged here).
sleep 1

upd "update add x1.$ZONE 0 L64 10 2001:db8:99:1"
st_eq "update 1" 0 "$?"
upd "update delete host1.$ZONE L64
update add x2.$ZONE 0 L32 10 10.9.9.2"
st_eq "update 2" 0 "$?"
s2=$(serial)
st_eq "two serial steps" "$((s0 + 2))" "$s2"

ixfr=$(records -y "$XFR" "$ZONE" IXFR="$s0")
st_grep "IXFR from s0 adds the L64" "^x1\.$ZONE 0 IN L64 10 2001:db8:99:1$" "$ixfr"
st_grep "IXFR from s0 adds the L32" "^x2\.$ZONE 0 IN L32 10 10.9.9.2$" "$ixfr"
st_grep "IXFR from s0 has the old serial's SOA" "IN SOA .* $s0 " "$ixfr"
st_grep "IXFR from s0 removes host1's L64" "^host1\.$ZONE [0-9]+ IN L64 " "$ixfr"
st_eq "IXFR is a diff, not the zone" 1 "$([ "$(printf '%s\n' "$ixfr" | grep -c .)" -lt 12 ] && echo 1)"
st_eq "IXFR opens and closes with the new SOA" "$s2 $s2" \
	"$(printf '%s\n' "$ixfr" | sed -n '1p;$p' | awk '{print $7}' | paste -sd ' ')"
kixfr=$(kdig +noall +answer +time=3 +retry=0 -p "$PORT" @127.0.0.1 -y "$XFR" "$ZONE" IXFR="$s0" 2>&1)
st_grep "kdig verifies the signed IXFR" "x1\.$ZONE" "$kixfr"
st_nogrep "kdig IXFR: no TSIG problem" "failed|error|BADSIG" "$kixfr"
st_eq "IXFR from the current serial: one SOA" 1 \
	"$(records -y "$XFR" "$ZONE" IXFR="$s2" | grep -c .)"

# IXFR over UDP: the diff fits in one datagram.
uixfr=$(records +notcp -y "$XFR" "$ZONE" IXFR="$((s0 + 1))")
st_grep "IXFR over UDP carries the diff" "^x2\.$ZONE 0 IN L32 10 10.9.9.2$" "$uixfr"
st_nogrep "IXFR over UDP from s0+1 has no x1" "^x1\." "$uixfr"
st_grep "the UDP IXFR is logged as such" "xfr $ZONE to 127\.0\.0\.1#[0-9]+ key xfr-key\. udp: IXFR incremental" \
	"$(cat "$ST_DIR/ilnpdnsd.log")"
# Too big for 512 octets (the full zone after a too-old serial): the SOA only, the client retries
# over TCP (dig +notcp +ignore shows what came over UDP).
big=$(d +notcp +ignore +noall +answer -y "$XFR" "$ZONE" IXFR=1 | grep -c .)
st_eq "a UDP IXFR that does not fit is the SOA only" 1 "$big"

# The change feed saw both updates, in order, in presentation form.
wait_for "$EV" "\"serial\":$s2," || true
ev=$(cat "$EV")
st_grep "events: the first change" \
	"^\{\"zone\":\"$ZONE\",\"serial\":$((s0 + 1)),\"old_serial\":$s0,\"time\":[0-9]+,\"removed\":\[\],\"added\":\[\"x1\.$ZONE 0 IN L64 10 2001:0?db8:0*99:0*1\"\]\}$" \
	"$ev"
st_grep "events: the second change removes and adds" \
	"\"serial\":$s2,.*\"removed\":\[\"host1\.$ZONE [0-9]+ IN L64 [^]]*\],\"added\":\[\"x2\.$ZONE 0 IN L32 10 10\.9\.9\.2\"\]" \
	"$ev"
st_eq "events: one line per change" 2 "$(grep -c . "$EV")"
kill "$EV_PID" 2>/dev/null
wait "$EV_PID" 2>/dev/null
st_forget "$EV_PID"

# --- NOTIFY after an update, zone-status, wait-serial ---
# The secondary acknowledged s2 but still serves s0 (its SOA says so).
wait_for "$SEC_LOG" "notify $ZONE $s2\$"
st_eq "the secondary is notified of the newest serial" 0 "$?"
nsoa=$(grep -c '^soa ' "$SEC_LOG")
out=$(CTL wait-serial "$ZONE" "$s2" --timeout 2 2>&1)
st_eq "wait-serial does not return on the acknowledgement alone (exit 1 at the timeout)" 1 "$?"
st_grep "the timeout names the target and what it serves" \
	"timeout: 1 of 1 secondaries of $ZONE below serial $s2: $SEC_RE@$NPORT serves $s0\$" "$out"
st_grep "and prints its zone-status line" "^target $SEC_RE@$NPORT	.*acked $s2 .*serving $s0 " "$out"
st_eq "the primary asked the secondary's SOA meanwhile" 1 \
	"$([ "$(grep -c '^soa ' "$SEC_LOG")" -gt "$nsoa" ] && echo 1)"

# The secondary transfers (IXFR from its own address, signed): still not serving.
xf=$(d -b "$SEC_ADDR" +noall +answer -y "$XFR" "$ZONE" IXFR="$s0" | grep -c .)
st_eq "the secondary's IXFR from s0" 1 "$([ "$xf" -ge 4 ] && echo 1)"
WS_OUT="$ST_DIR/wait-serial.out"
CTL wait-serial "$ZONE" "$s2" --timeout 30 >"$WS_OUT" 2>&1 &
WS_PID=$!
ST_PIDS="$ST_PIDS $WS_PID"
sleep 1.5
kill -0 "$WS_PID" 2>/dev/null
st_eq "wait-serial still waits after the transfer while the SOA says $s0" 0 "$?"
status=$(CTL zone-status "$ZONE")
st_grep "zone-status: acked, transferred IXFR, serving per target" \
	"^target $SEC_RE@$NPORT	key -	acked $s2 [0-9T:-]+Z	transferred IXFR $s2 [0-9T:-]+Z	serving $s0 [0-9T:-]+Z	sent [1-9][0-9]*	failures 0	last-rcode NOERROR	notifying -	probes [1-9][0-9]*	probing (yes|no)\$" \
	"$status"
# Now it serves s2: wait-serial returns, with success.
serve "$s2"
t0=$EPOCHREALTIME
wait "$WS_PID"
st_eq "wait-serial returns (exit 0) once the secondary serves s2" 0 "$?"
t1=$EPOCHREALTIME
st_forget "$WS_PID"
st_eq "and says reached" "reached $s2" "$(cat "$WS_OUT")"
st_log "fake secondary serves s2 -> wait-serial returned: $(awk -v a="$t0" -v b="$t1" \
	'BEGIN { printf "%.1f", (b - a) * 1000 }') ms"
status=$(CTL zone-status "$ZONE")
st_grep "zone-status: the zone line" "^zone $ZONE	serial $s2	targets 1\$" "$status"
st_grep "zone-status: serving $s2, no longer probing" \
	"^target $SEC_RE@$NPORT	key -	acked $s2 .*	transferred IXFR $s2 .*	serving $s2 [0-9T:-]+Z	.*	probing no\$" \
	"$status"
out=$(CTL wait-serial "$ZONE" "$((s2 + 1))" --timeout 1 2>&1)
st_eq "wait-serial for a future serial times out with exit 1" 1 "$?"
st_grep "and names the lagging target" \
	"timeout: 1 of 1 secondaries of $ZONE below serial $((s2 + 1)): $SEC_RE@$NPORT serves $s2\$" "$out"
out=$(CTL zone-status other.test. 2>&1)
st_eq "zone-status of an unknown zone fails" 1 "$?"

# A burst is coalesced: several updates, the secondary ends at the last serial.
for i in 3 4 5 6 7; do
	upd "update add x$i.$ZONE 0 L64 10 2001:db8:99:$i" || st_fail "update $i"
done
s7=$(serial)
st_eq "five more serial steps" "$((s0 + 7))" "$s7"
wait_for "$SEC_LOG" "notify $ZONE $s7\$"
out=$(CTL wait-serial "$ZONE" "$s7" --timeout 1 2>&1)
st_eq "after the burst: acknowledged, but serving $s2, so not reached" 1 "$?"
serve "$s7"
out=$(CTL wait-serial "$ZONE" "$s7" --timeout 10)
st_eq "wait-serial after the burst, once it serves $s7" "reached $s7" "$out"
n=$(grep -c "^notify $ZONE" "$SEC_LOG")
st_eq "no more NOTIFYs than changes (coalesced)" 1 "$([ "$n" -le 8 ] && echo 1)"

# --- journal-max-entries 5: s0 is too old now, the full zone comes in IXFR form ---
full=$(records -y "$XFR" "$ZONE" IXFR="$s0")
axfr=$(records -y "$XFR" "$ZONE" AXFR)
st_eq "a too-old serial gets the full zone" "$(printf '%s\n' "$axfr" | sort)" \
	"$(printf '%s\n' "$full" | sort)"
st_grep "logged as a full IXFR" "IXFR full, serial $s7" "$(cat "$ST_DIR/ilnpdnsd.log")"
part=$(records -y "$XFR" "$ZONE" IXFR="$((s0 + 3))")
st_grep "a serial within the journal still gets a diff" "^x7\.$ZONE 0 IN L64" "$part"
st_nogrep "that diff leaves out older changes" "^x1\." "$part"

# --- inbound NOTIFY ---
st_eq "inbound NOTIFY for our zone: NOERROR" "NOERROR qr 4" "$(python3 "$PY" notify "$PORT" "$ZONE")"
st_eq "inbound NOTIFY for another zone: NOTAUTH" "NOTAUTH qr 4" \
	"$(python3 "$PY" notify "$PORT" other.test.)"

# --- zone-import: IXFR falls back to the full zone, the secondary is notified ---
out=$(CTL zone-import "$ZONE" "$ST_ZONE")
st_grep "zone-import" "^imported $ZONE: serial $s0," "$out"
wait_for "$SEC_LOG" "notify $ZONE $s0\$"
st_eq "NOTIFY after the import" 0 "$?"
full=$(records -y "$XFR" "$ZONE" IXFR="$((s0 - 1))")
st_grep "after a re-import the journal is not used" "IXFR full" "$(tail -n 3 "$ST_DIR/ilnpdnsd.log")"
st_nogrep "and the imported zone has no x1" "^x1\." "$full"

st_done
