#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- ilnpdns-locmgr in network namespaces: failover by address, link and new prefix, soft
# handoff, unreachable server, restart, site mode; against ilnpdnsd and BIND; failover latency.
#
# Topology (made by nt_init of ../netns.sh, deleted by the EXIT trap):
#
#   namespace H (host)                       namespace S (server)
#     up1  fd00:1::10/64  <--- veth --->  s1  fd00:1::1/64
#     up2  fd00:2::10/64  <--- veth --->  s2  fd00:2::1/64
#                                          lo  fd00:99::53/128  ilnpdnsd or named, port 53
#   H reaches fd00:99::53 via up1 (metric 10) or up2 (metric 20).
#
# ilnpdns-locmgr runs in H watching up1 (preference 10) and up2 (20); waitset.py
# polls the server every millisecond from S. Exit 77 when namespaces cannot be made.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/system/netns.sh"

LOCMGR="$top_builddir/updater/ilnpdns-locmgr"
WAITSET="$top_srcdir/tests/system/locmgr/waitset.py"
st_need ip python3 dig tsig-keygen
st_need_built "$LOCMGR" "$ST_ILNPDNSD"
SRV=$NT_SRV
FAILOVERS=${LOCMGR_FAILOVERS:-24}
nt_init
# The new prefix of the handoff test is reachable back through s1.
S ip -6 route add fd00:3::/64 via fd00:1::10 dev s1

# --- keys and zone --------------------------------------------------------
SECRET=$(nt_key "$ST_DIR/lm.key" lm-key.) || st_fatal tsig-keygen
write_zone()
{
	nt_zone "$1"
	cat >>"$1" <<EOF
site1	IN	L64	10 2001:db8:beef:1
h1	IN	NID	10 0:0:0:11
h1	IN	LP	10 site1
h2	IN	NID	10 0:0:0:12
h2	IN	LP	10 site1
h3	IN	NID	10 0:0:0:13
h3	IN	LP	10 site1
EOF
}

# --- servers ----------------------------------------------------------------
start_ilnpdnsd()
{
	write_zone "$ST_DIR/zone.db"
	nt_ilnpdnsd_conf "$ST_DIR" 2 "$ST_DIR/lm.key" lm-key. mn.example.ilnp. site1.example.ilnp.
	nt_start_ilnpdnsd
}

start_named()
{
	local nd="$ST_DIR/named"
	mkdir -p "$nd"
	[ -f "$nd/example.ilnp.db" ] || write_zone "$nd/example.ilnp.db"
	cat >"$nd/named.conf" <<EOF
options {
	directory "$nd";
	pid-file "$nd/named.pid";
	listen-on { none; };
	listen-on-v6 port 53 { $SRV; };
	recursion no;
	dnssec-validation no;
	notify no;
};
controls { };
key "lm-key" { algorithm hmac-sha256; secret "$SECRET"; };
zone "example.ilnp" {
	type primary;
	file "$nd/example.ilnp.db";
	update-policy {
		grant lm-key name mn.example.ilnp. L64 L32 TXT;
		grant lm-key name site1.example.ilnp. L64 L32 TXT;
		grant lm-key name _seq.mn.example.ilnp. TXT;
		grant lm-key name _seq.site1.example.ilnp. TXT;
	};
};
EOF
	st_spawn "$ST_DIR/named.log" ip netns exec "$NSS" named -g -u root -c "$nd/named.conf"
	SERVER_PID=$ST_PID
	i=0
	until S dig +tries=1 +time=1 +norec @"$SRV" example.ilnp. SOA 2>/dev/null | grep -q 'status: NOERROR'; do
		i=$((i + 1))
		[ $i -lt 40 ] || st_fatal "named did not start"
		kill -0 "$SERVER_PID" 2>/dev/null || st_fatal "named exited"
		sleep 0.25
	done
}

start_server() { "start_$SERVER"; }
stop_server()
{
	st_stop_pid "$SERVER_PID"
	st_forget "$SERVER_PID"
}

# --- the manager ------------------------------------------------------------
# start_locmgr MODE NAME TAG
start_locmgr()
{
	local mode=$1 name=$2 tag=$3
	LM_CONF="$ST_DIR/locmgr-$tag.yaml"
	LM_SOCK="$ST_DIR/lm-$tag.sock"
	# A file per run: failover numbers start again at 1 in a new process.
	LM_RUNS=$((${LM_RUNS:-0} + 1))
	LM_JSON="$ST_DIR/failover-$tag-$LM_RUNS.json"
	LM_LOG="$ST_DIR/locmgr-$tag.log"
	cat >"$ST_DIR/hook.sh" <<'EOF'
#!/bin/sh
# Records what the hook was given: argv and the set (no shell parsing of either).
printf '%s|%s|%s|%s\n' "$1" "$ILNPDNS_NAME" "$ILNPDNS_L64" "$ILNPDNS_OLD_L64" >>"$HOOK_OUT"
EOF
	chmod +x "$ST_DIR/hook.sh"
	nt_locmgr_conf "$LM_CONF" "$name" "$mode" "$SRV@53" lm-key. "$SECRET" "${LM_COALESCE:-10}" 1 \
		"soft-handoff-grace-s: 2"
	cat >>"$LM_CONF" <<EOF
daemon:
  control: $LM_SOCK
  failover-log: $LM_JSON
  hook: [ "$ST_DIR/hook.sh", "a;b \$(touch $ST_DIR/pwned)" ]
  log-level: info
EOF
	"$LOCMGR" -n -c "$LM_CONF" >/dev/null || st_fatal "locmgr config rejected"
	HOOK_OUT="$ST_DIR/hook-$tag.out" st_spawn "$LM_LOG" \
		env HOOK_OUT="$ST_DIR/hook-$tag.out" ip netns exec "$NSH" "$LOCMGR" -f -c "$LM_CONF"
	LM_PID=$ST_PID
	st_wait_log "$LM_PID" "$LM_LOG" "started:" 10 || st_fatal "ilnpdns-locmgr did not start"
}

stop_locmgr()
{
	st_stop_pid "$LM_PID" || st_log "locmgr needed KILL"
	st_forget "$LM_PID"
}

# expect LABEL NAME WANT [CMD...]: run CMD in H, then wait (10 s at most) for WANT at the server.
LAST_MS=
expect()
{
	local label=$1 name=$2 want=$3 out
	shift 3
	ST_CHECKS=$((ST_CHECKS + 1))
	if [ $# -gt 0 ]; then
		out=$(S python3 "$WAITSET" "$SRV" 53 "$name" "$want" 10 ip netns exec "$NSH" "$@")
	else
		out=$(S python3 "$WAITSET" "$SRV" 53 "$name" "$want" 10)
	fi
	if [ $? -eq 0 ]; then
		LAST_MS=$(echo "$out" | sed -n 's/.*ms=//p')
		LAST_SEEN=$(echo "$out" | sed -n 's/.*seen_us=\([0-9]*\).*/\1/p')
		st_log "ok: $label ($LAST_MS ms)"
	else
		ST_FAILS=$((ST_FAILS + 1))
		st_log "FAIL: $label: $out"
		LAST_MS=
		LAST_SEEN=
	fi
}

check()
{
	ST_CHECKS=$((ST_CHECKS + 1))
	if [ "$2" = 0 ]; then
		st_log "ok: $1"
	else
		ST_FAILS=$((ST_FAILS + 1))
		st_log "FAIL: $1"
	fi
}

# The JSON line of the last acknowledged failover.
last_acked() { grep '"outcome":"acked"' "$LM_JSON" | tail -n 1; }
jfield() { echo "$1" | sed -n "s/.*\"$2\":\\([^,}]*\\).*/\\1/p"; }

BOTH="10 fd00:1::,20 fd00:2::"
ONLY2="20 fd00:2::"
ONLY1="10 fd00:1::"

host_scenario()
{
	local tag=$SERVER-host n before
	start_locmgr host mn.example.ilnp. "$tag"
	expect "$SERVER: reconcile at start replaces the stale set" mn.example.ilnp. "$BOTH"
	expect "$SERVER: address deleted" mn.example.ilnp. "$ONLY2" ip -6 addr del fd00:1::10/64 dev up1
	expect "$SERVER: address back" mn.example.ilnp. "$BOTH" ip -6 addr add fd00:1::10/64 dev up1 nodad

	before=$(grep -c '"outcome":"acked"' "$LM_JSON")
	expect "$SERVER: link down" mn.example.ilnp. "$ONLY2" ip link set up1 down
	sleep 0.3
	n=$(grep -c '"outcome":"acked"' "$LM_JSON")
	check "$SERVER: link down made one update (coalesced: $(jfield "$(last_acked)" events) events)" \
		"$([ $((n - before)) = 1 ] && [ "$(jfield "$(last_acked)" updates)" = 1 ] && echo 0 || echo 1)"
	H ip link set up1 up
	H ip -6 addr add fd00:1::10/64 dev up1 nodad 2>/dev/null
	H ip -6 route replace "$SRV/128" via fd00:1::1 dev up1 metric 10
	expect "$SERVER: link up again" mn.example.ilnp. "$BOTH"

	# Soft handoff: the new prefix preferred, the old one kept (ranked 510) for the grace time.
	expect "$SERVER: new prefix, soft handoff" mn.example.ilnp. "10 fd00:3::,20 fd00:2::,510 fd00:1::" \
		ip -6 addr add fd00:3::10/64 dev up1 nodad
	expect "$SERVER: old prefix dropped after the grace time" mn.example.ilnp. "10 fd00:3::,20 fd00:2::"
	expect "$SERVER: new prefix gone, old one back" mn.example.ilnp. "$BOTH" \
		ip -6 addr del fd00:3::10/64 dev up1

	# Server unreachable: three failovers while it is down; only the newest may appear.
	stop_server
	H ip -6 addr del fd00:2::10/64 dev up2
	sleep 0.3
	H ip -6 addr add fd00:2::10/64 dev up2 nodad
	sleep 0.3
	H ip -6 addr del fd00:1::10/64 dev up1
	sleep 0.5
	start_server
	expect "$SERVER: server back: newest set, after retries" mn.example.ilnp. "$ONLY2"
	ok=0
	for i in 1 2 3 4 5; do
		out=$(S python3 "$WAITSET" "$SRV" 53 mn.example.ilnp. "$ONLY2" 1) || ok=1
		sleep 0.1
	done
	check "$SERVER: no stale set afterwards" $ok
	# Retransmitted by the library, or tried again after a backoff: more than one message.
	n=$(jfield "$(last_acked)" attempts)
	check "$SERVER: the acknowledged failover was retried ($n messages, $(jfield "$(last_acked)" tries) tries)" \
		"$([ "${n:-0}" -gt 1 ] && echo 0 || echo 1)"
	n=$(grep -c '"outcome":"superseded"' "$LM_JSON")
	check "$SERVER: the older sets of the outage were superseded, not sent late ($n)" \
		"$([ "$n" -ge 1 ] && echo 0 || echo 1)"
	expect "$SERVER: address back after outage" mn.example.ilnp. "$BOTH" ip -6 addr add fd00:1::10/64 dev up1 nodad

	# Restart during a failover: the change happens while the manager is down.
	stop_locmgr
	H ip -6 addr del fd00:2::10/64 dev up2
	start_locmgr host mn.example.ilnp. "$tag"
	expect "$SERVER: restart reconciles" mn.example.ilnp. "$ONLY1"
	expect "$SERVER: and follows again" mn.example.ilnp. "$BOTH" ip -6 addr add fd00:2::10/64 dev up2 nodad

	# --status: the current set and the failovers.
	out=$(H "$LOCMGR" -c "$LM_CONF" --status)
	echo "$out" | grep -q '^current: 10 fd00:1:0:0, 20 fd00:2:0:0$'
	check "$SERVER: --status shows the current set" $?
	echo "$out" | grep -q '"outcome":"acked"'
	check "$SERVER: --status shows the last failovers" $?
	# The hook: run per acknowledged update, arguments passed verbatim, never through a shell.
	sleep 0.2
	tail -n 1 "$ST_DIR/hook-$tag.out" | grep -qF 'a;b $(touch '"$ST_DIR"'/pwned)|mn.example.ilnp.|10,fd00:1:0:0 20,fd00:2:0:0|10,fd00:1:0:0'
	check "$SERVER: hook got argv and ILNPDNS_L64/ILNPDNS_OLD_L64" $?
	[ ! -e "$ST_DIR/pwned" ]
	check "$SERVER: hook arguments are not shell-evaluated" $?

	# Measurement: FAILOVERS failovers (address deleted / added back, alternately).
	local first_id samples="" acks=""
	first_id=$(( $(jfield "$(last_acked)" failover) + 1 ))
	for i in $(seq 1 $((FAILOVERS / 2))); do
		expect "$SERVER: failover $((2 * i - 1))" mn.example.ilnp. "$ONLY2" ip -6 addr del fd00:1::10/64 dev up1
		samples="$samples ${LAST_MS:-999999}:$LAST_SEEN"
		expect "$SERVER: failover $((2 * i))" mn.example.ilnp. "$BOTH" ip -6 addr add fd00:1::10/64 dev up1 nodad
		samples="$samples ${LAST_MS:-999999}:$LAST_SEEN"
	done
	sleep 0.3
	report "$SERVER" "$first_id" "$samples"
	stop_locmgr
}

# report SERVER FIRST_ID "ms:seen_us ...": figures from the script's clock and the manager's log.
report()
{
	python3 - "$LM_JSON" "$2" "$3" "$1" <<'EOF'
import json, statistics, sys
path, first, samples, server = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4]
recs = [json.loads(l) for l in open(path)]
fos = [r for r in recs if r["failover"] >= first]
acked = [r for r in fos if r["outcome"] == "acked"]
cmd_ms = [float(s.split(":")[0]) for s in samples]
seen = [int(s.split(":")[1]) for s in samples if s.split(":")[1]]
# Kernel event (as the manager stamped it) to the first answer showing the new set.
ev_to_answer = [(s - r["event_us"]) / 1000 for r, s in zip(acked, seen)] if len(acked) == len(seen) else []
ev_to_ack = [r["event_to_ack_ms"] for r in acked]
upd = sum(r["updates"] for r in fos)
att = sum(r["attempts"] for r in fos)
print("%s: %d failovers (%d acknowledged, %d superseded)" % (server, len(fos), len(acked),
      sum(1 for r in fos if r["outcome"] == "superseded")))
print("%s: command to answer:    median %.2f ms, min %.2f, max %.2f" % (server,
      statistics.median(cmd_ms), min(cmd_ms), max(cmd_ms)))
if ev_to_answer:
    print("%s: kernel event to answer: median %.2f ms, min %.2f, max %.2f" % (server,
          statistics.median(ev_to_answer), min(ev_to_answer), max(ev_to_answer)))
print("%s: kernel event to ack:    median %.2f ms" % (server, statistics.median(ev_to_ack)))
print("%s: updates per failover %.2f, messages per failover %.2f (reads included)" % (server,
      upd / len(fos), att / len(fos)))
sys.exit(0 if len(acked) == len(fos) and upd == len(fos) else 1)
EOF
	check "$1: every measured failover took exactly one update" $?
}

site_scenario()
{
	local tag=$SERVER-site h
	start_locmgr site site1.example.ilnp. "$tag"
	expect "$SERVER site: reconcile the site name" site1.example.ilnp. "$BOTH"
	local before
	before=$(grep -c '"outcome":"acked"' "$LM_JSON")
	expect "$SERVER site: site fails over" site1.example.ilnp. "$ONLY2" ip -6 addr del fd00:1::10/64 dev up1
	sleep 0.2
	n=$(grep -c '"outcome":"acked"' "$LM_JSON")
	check "$SERVER site: one update for the whole site" \
		"$([ $((n - before)) = 1 ] && [ "$(jfield "$(last_acked)" updates)" = 1 ] && echo 0 || echo 1)"
	# Every host whose LP names site1 now resolves to the new locator set.
	for h in h1 h2 h3; do
		target=$(S dig +short +norec @"$SRV" "$h.example.ilnp." LP | awk '{print $2}')
		expect "$SERVER site: $h (LP -> $target) moved" "$target" "$ONLY2"
	done
	expect "$SERVER site: back" site1.example.ilnp. "$BOTH" ip -6 addr add fd00:1::10/64 dev up1 nodad
	stop_locmgr
}

SERVERS="ilnpdnsd"
if command -v named >/dev/null 2>&1; then
	SERVERS="$SERVERS named"
else
	st_log "named not installed: BIND part skipped"
fi
for SERVER in $SERVERS; do
	start_server
	host_scenario
	site_scenario
	stop_server
done

st_log "$ST_CHECKS checks, $ST_FAILS failed"
[ "$ST_FAILS" = 0 ]
