#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- ilnpdns-locmgr under faults: the server always ends with the newest locator set.
#
# The topology of netns.sh: ilnpdns-locmgr in H publishes mn.example.ilnp.
# (up1 preference 10, up2 preference 20, marker guard) to ilnpdnsd in S.
#  (a) ilnpdnsd is down while three failovers happen, then comes back: it
#      ends with the newest set in exactly one update, and the manager's
#      tries (its JSON failover log) back off instead of hammering;
#  (b) LMF_FLAPS rapid link down/up and address delete/add cycles (seeded by
#      LMF_SEED, logged): the published set ends equal to the kernel's;
#  (c) ilnpdnsd stopped (SIGSTOP) so an update waits in its socket, the
#      manager killed (-9) before the answer, the host changes again, the
#      stale update lands: the restarted manager reconciles to the newest set;
#  (d) an older signed update captured by a relay and sent again after a
#      newer set is refused as a TSIG replay and changes nothing, and so it
#      is after a server restart (the store keeps the MACs it saw).
# Exit 77 when namespaces cannot be made.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/system/netns.sh"
. "$top_srcdir/tests/system/update/common.sh"

LOCMGR="$top_builddir/updater/ilnpdns-locmgr"
WAITSET="$top_srcdir/tests/system/locmgr/waitset.py"
RELAY="$top_srcdir/tests/system/locmgr-faults/relay.py"
st_need python3 dig tsig-keygen
st_need_built "$LOCMGR" "$ST_ILNPDNSD" "$UPD_UPDSEND"
nt_init

NAME=mn.example.ilnp.
RETRY_MAX_S=2
DOWN_S=6
FLAPS=${LMF_FLAPS:-20}
SEED=${LMF_SEED:-$(($(date +%s) % 1000000))}
BOTH="10 fd00:1::,20 fd00:2::"
ONLY1="10 fd00:1::"
ONLY2="20 fd00:2::"

SECRET=$(nt_key "$ST_DIR/lm.key" lm-key.) || st_fatal tsig-keygen
nt_zone "$ST_DIR/zone.db"
nt_ilnpdnsd_conf "$ST_DIR" 2 "$ST_DIR/lm.key" lm-key. "$NAME"

start_server() { nt_start_ilnpdnsd; }
stop_server()
{
	st_stop_pid "$SERVER_PID" || st_fail "ilnpdnsd needed KILL"
	st_forget "$SERVER_PID"
}

# start_locmgr [SERVER]: a new manager process (its own JSON failover log).
LM_RUNS=0
start_locmgr()
{
	local srv=${1:-$NT_SRV@53}
	LM_RUNS=$((LM_RUNS + 1))
	LM_JSON="$ST_DIR/failover-$LM_RUNS.json"
	LM_LOG="$ST_DIR/locmgr.log"
	nt_locmgr_conf "$ST_DIR/locmgr.yaml" "$NAME" host "$srv" lm-key. "$SECRET" 10 "$RETRY_MAX_S"
	cat >>"$ST_DIR/locmgr.yaml" <<EOF
daemon:
  control: $ST_DIR/lm.sock
  failover-log: $LM_JSON
  log-level: info
EOF
	local seen
	seen=$(grep -cF "started:" "$LM_LOG" 2>/dev/null)
	st_spawn "$LM_LOG" ip netns exec "$NSH" "$LOCMGR" -f -c "$ST_DIR/locmgr.yaml"
	LM_PID=$ST_PID
	st_wait_log "$LM_PID" "$LM_LOG" "started:" 10 "${seen:-0}" ||
		st_fatal "ilnpdns-locmgr did not start"
}
stop_locmgr()
{
	st_stop_pid "$LM_PID" || st_fail "ilnpdns-locmgr needed KILL"
	st_forget "$LM_PID"
}

# wait_set LABEL WANT [CMD...]: run CMD in H, then wait (15 s at most) until the
# server answers WANT for NAME.
wait_set()
{
	local label=$1 want=$2 out
	shift 2
	if [ $# -gt 0 ]; then
		out=$(S python3 "$WAITSET" "$NT_SRV" 53 "$NAME" "$want" 15 ip netns exec "$NSH" "$@")
	else
		out=$(S python3 "$WAITSET" "$NT_SRV" 53 "$NAME" "$want" 15)
	fi
	if [ $? -eq 0 ]; then
		st_pass "$label"
	else
		st_fail "$label: $out"
	fi
}
serial() { S dig +short +norec +time=2 +tries=2 @"$NT_SRV" example.ilnp. SOA | awk '{ print $3 }'; }
# quiet: wait (at most 16 s) until the manager has nothing in flight: its
# last failover record is acknowledged and no new one came for 2 s. The
# server may show the newest set before that: an update the manager
# superseded after sending it can still land, and the manager then
# re-reads and publishes again (set-locators' marker guard).
quiet()
{
	local i n m
	for i in 1 2 3 4 5 6 7 8; do
		n=$(wc -l <"$LM_JSON")
		sleep 2
		m=$(wc -l <"$LM_JSON")
		[ "$n" = "$m" ] && tail -n 1 "$LM_JSON" | grep -q '"outcome":"acked"' && return 0
	done
	st_log "the manager did not settle within 16 s"
}
# steady LABEL WANT: for 2 retry steps no update reaches the server (the serial
# stays) and the set is WANT: nothing older comes in late.
steady()
{
	local s0 s1
	quiet
	s0=$(serial)
	sleep $((2 * RETRY_MAX_S))
	s1=$(serial)
	if [ -n "$s0" ] && [ "$s0" = "$s1" ]; then
		wait_set "$1" "$2"
	else
		st_fail "$1: the serial moved from '$s0' to '$s1' after the newest set"
	fi
}
# real_set: the locators the kernel says H has (up, global, not tentative).
real_set()
{
	local i out=
	for i in 1 2; do
		H ip -o link show "up$i" | grep -q 'LOWER_UP' || continue
		H ip -6 -o addr show dev "up$i" scope global | grep -v tentative |
			grep -q "fd00:$i::10/64" || continue
		out="$out${out:+,}$((i * 10)) fd00:$i::"
	done
	echo "${out:--}"
}
addr_del() { H ip -6 addr del "fd00:$1::10/64" dev "up$1"; }
addr_add() { H ip -6 addr add "fd00:$1::10/64" dev "up$1" nodad; }
# restore: both uplinks up, addressed and routed.
restore()
{
	local i
	for i in 1 2; do
		H ip link set "up$i" up
		addr_add "$i" 2>/dev/null
		H ip -6 route replace "$NT_SRV/128" via "fd00:$i::1" dev "up$i" metric $((i * 10))
	done
}
# failovers [FROM]: the records of the manager's JSON failover log from the
# FROM'th on (0: all), one line each: id outcome reconcile tries messages
# updates seconds (event to ack, or to the first send) and the new L64 set
# in the notation of wait_set.
failovers()
{
	python3 - "$LM_JSON" "${1:-0}" <<'EOF'
import json, sys
for line in open(sys.argv[1]).readlines()[int(sys.argv[2]):]:
    r = json.loads(line)
    end = r["acked_us"] or r["sent_us"] or r["event_us"]
    new = ",".join("%d %s:%s::" % (p, *l.split(":")[:2]) for p, l in sorted(r["new"]["l64"]))
    print(r["failover"], r["outcome"], str(r["reconcile"]).lower(), r["tries"], r["attempts"],
          r["updates"], "%.1f" % ((end - r["event_us"]) / 1e6), new or "-")
EOF
}

start_server
start_locmgr
wait_set "start: the manager publishes the host's set" "$BOTH"

# --- (a) server down during several failovers -------------------------------
# Linux sends at most one ICMPv6 error per second to a peer: without that
# limit every copy sent to the stopped server fails at once (port
# unreachable), so the time between tries is the manager's backoff alone.
S sysctl -qw net.ipv6.icmp.ratelimit=0 || st_fatal "cannot lift the ICMPv6 rate limit in $NSS"
s0=$(serial)
n0=$(failovers | wc -l)
stop_server
addr_del 1
sleep 0.3
addr_add 1
sleep 0.3
addr_del 2
sleep "$DOWN_S"
start_server
wait_set "(a) server back: the newest set ($ONLY1)" "$ONLY1"
st_eq "(a) one update for the whole outage (serial $s0 + 1)" "$((s0 + 1))" "$(serial)"
steady "(a) and nothing older afterwards" "$ONLY1"
sleep 0.2
failovers "$n0" >"$ST_DIR/outage"
st_log "(a) outage failovers (id outcome reconcile tries messages updates seconds set):" \
	"$(tr '\n' ';' <"$ST_DIR/outage")"
st_eq "(a) outage: older sets superseded, the last acknowledged" "acked" \
	"$(awk '{ print $2 }' "$ST_DIR/outage" | uniq | tr '\n' ' ' | sed 's/^superseded //; s/ $//')"
read -r id _ _ tries msgs _ secs set <<<"$(tail -n 1 "$ST_DIR/outage")"
st_eq "(a) the acknowledged set is the newest" "$ONLY1" "$set"
# Doubling from 250 ms up to retry-max-s: at most 1 + log2(R / 0.25) tries to
# reach R, then one per R (and the one that succeeds). A fixed 250 ms would
# give 4 per second.
bound=$(awk -v d="$secs" -v r=$RETRY_MAX_S \
	'BEGIN { printf "%d", 2 + log(r / 0.25) / log(2) + d / r + 1 }')
st_log "(a) figures: ${secs}s from the last event to the ack, $tries tries, $msgs messages" \
	"(backoff bound $bound)"
if [ "${tries:-0}" -ge 3 ] && [ "$tries" -le "$bound" ]; then
	st_pass "(a) retries back off: $tries tries in ${secs}s (at most $bound)"
else
	st_fail "(a) retries: $tries tries in ${secs}s, expected 3 to $bound"
fi
# The waits the manager announced for that failover: doubling, then at retry-max-s.
waits=$(sed -n "s/.*failover $id: .*retrying in \([0-9]*\) ms.*/\1/p" "$LM_LOG")
st_log "(a) waits between tries (ms): $(echo $waits)"
st_eq "(a) the waits double up to retry-max-s" "" \
	"$(echo "$waits" | awk -v m=$((RETRY_MAX_S * 1000)) '
		NR > 1 && $1 != (2 * p < m ? 2 * p : m) { print "wait " NR ": " $1 " after " p }
		{ p = $1 }
		END { if (p != m) print "never reached " m }')"
restore
wait_set "(a) both uplinks again" "$BOTH"

# --- (b) flapping links -------------------------------------------------------
st_log "(b) $FLAPS flaps, seed $SEED (LMF_SEED=$SEED repeats them)"
n0=$(failovers | wc -l)
RANDOM=$SEED
for _ in $(seq 1 "$FLAPS"); do
	case $((RANDOM % 4)) in
	0) H ip link set up1 down ;;
	1) H ip link set up2 down ;;
	2) addr_del 1 2>/dev/null ;;
	3) addr_del 2 2>/dev/null ;;
	esac
	sleep "0.0$((RANDOM % 10))"
	restore
	sleep "0.0$((RANDOM % 10))"
done
case $((RANDOM % 3)) in
0) final=$BOTH ;;
1) final=$ONLY1 && addr_del 2 ;;
2) final=$ONLY2 && H ip link set up1 down ;;
esac
st_eq "(b) the kernel's final set is the one chosen" "$final" "$(real_set)"
wait_set "(b) after $FLAPS flaps the server has the final real set ($final)" "$final"
steady "(b) and keeps it" "$final"
st_log "(b) figures: $(failovers "$n0" | awk '{ n++; o[$2]++; u += $6; m += $5 }
	END { printf "%d failovers, %d acknowledged, %d superseded, %d updates, %d messages",
		n, o["acked"], o["superseded"], u, m }')"
restore
wait_set "(b) both uplinks again" "$BOTH"

# --- (c) kill -9 between the event and the ack --------------------------------
seen=$(grep -cF "locator set:" "$LM_LOG")
kill -STOP "$SERVER_PID"
addr_del 1
st_wait_log "$LM_PID" "$LM_LOG" "locator set:" 10 "$seen" ||
	st_fail "(c) no failover for the deleted address"
sleep 0.5 # the update and its retransmissions wait in the stopped server's socket
kill -KILL "$LM_PID"
wait "$LM_PID" 2>/dev/null
st_forget "$LM_PID"
restore
addr_del 2
kill -CONT "$SERVER_PID"
wait_set "(c) the dead manager's update ($ONLY2) lands late" "$ONLY2"
start_locmgr
wait_set "(c) the restarted manager reconciles: newest set ($ONLY1)" "$ONLY1"
steady "(c) and nothing older afterwards" "$ONLY1"
st_eq "(c) the restart's first failover: a reconcile, acknowledged" "acked true" \
	"$(failovers | head -n 1 | awk '{ print $2, $3 }')"
stop_locmgr

# --- (d) a late copy of an older update ----------------------------------------
# A relay in S between the manager and ilnpdnsd keeps every UPDATE it forwards.
mkdir -p "$ST_DIR/capture"
st_spawn "$ST_DIR/relay.log" ip netns exec "$NSS" python3 "$RELAY" "$NT_SRV" 5300 "$NT_SRV" 53 \
	"$ST_DIR/capture"
st_wait_log "$ST_PID" "$ST_DIR/relay.log" "relay ready" 10 || st_fatal "the relay did not start"
start_locmgr "$NT_SRV@5300"
restore
wait_set "(d) through the relay: both uplinks" "$BOTH"
ncap=$(ls "$ST_DIR/capture" | wc -l)
wait_set "(d) failover: $ONLY2" "$ONLY2" ip -6 addr del fd00:1::10/64 dev up1
old=$(ls "$ST_DIR/capture" | sed -n "$((ncap + 1))p")
[ -n "$old" ] || st_fatal "(d) the relay saw no update for the failover"
wait_set "(d) newer failover: $BOTH" "$BOTH" ip -6 addr add fd00:1::10/64 dev up1 nodad
s0=$(serial)
replay() { S "$UPD_UPDSEND" -u -r "$ST_DIR/capture/$old" "$NT_SRV@53" | awk '{ print $2 }'; }
rc=$(replay)
st_log "(d) the older update ($old) sent again: $rc"
[ -n "$rc" ] && [ "$rc" != NOERROR ] && [ "$rc" != NOANSWER ]
st_eq "(d) the late copy is refused (got $rc)" 0 $?
st_eq "(d) and changes nothing" "$s0" "$(serial)"
# The MACs seen are kept in the store: a restart forgets none of them.
stop_server
start_server
st_eq "(d) after a server restart, the late copy is refused as before" "$rc" "$(replay)"
st_eq "(d) and changes nothing" "$s0" "$(serial)"
wait_set "(d) the newest set stays" "$BOTH"
stop_locmgr

st_done
