#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- dynamic update under load: group commits of mixed prerequisites, queries during an update stream, changes seen at once on every worker, both serial policies.
#
# One ilnpdnsd with three workers serves example.ilnp. (serial-policy
# increment) and unix.test. (serial-policy unixtime, serial 1). load.py
# does the protocol work; this script checks what the server says about it:
#  1. bursts of signed updates sent together over TCP, with prerequisites
#     true and false of every form and pairs racing for one name: each gets
#     its own RCODE, the zone holds exactly the acknowledged changes, the
#     serial moved once per change, and the stats show batches of more than
#     one update (group commit: one transaction, one fsync, RFC 2136 3.5);
#  2. after each NOERROR the next query, from many source ports (spread
#     over the workers by SO_REUSEPORT) and over TCP, sees the change;
#  3. queries keep being answered, right and with the serial never going
#     back, while four clients stream updates (README: updates never block
#     queries); the figures are printed, never asserted;
#  4. the journal holds one entry per serial step, chained;
#  5. serial-policy unixtime: the first change takes the clock (RFC 1982
#     greater than 1), changes within the same second still step by one.
. "${top_srcdir:-$(dirname "$0")/../../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/update/common.sh"

st_need dig nsupdate tsig-keygen named-checkzone python3 timeout mdb_dump
st_need_built "$ST_ILNPDNSD" "$ST_CTL" "$UPD_UPDSEND"
st_init

LOAD="$top_srcdir/tests/system/update-load/load.py"
upd_make_keys
zone="$ST_DIR/example.ilnp.zone"
upd_make_zone "$zone"
cat >"$ST_DIR/unix.test.zone" <<'EOF'
$ORIGIN unix.test.
@	3600	IN	SOA	ns1 hostmaster 1 3600 900 604800 300
	3600	IN	NS	ns1
ns1	3600	IN	A	192.0.2.1
EOF
SECRET=$(upd_secret admin-key)
PORT=$(st_free_port)
conf="$ST_DIR/ilnpdnsd.yaml"
cat >"$conf" <<EOF
server:
  listen: [ "127.0.0.1@$PORT" ]
  database: $ST_DIR/db
  workers: 3
  control: $ST_DIR/ctl.sock
  tcp-max-per-source: 256
  tcp-max-clients: 1024
key:
  - id: admin-key
    algorithm: hmac-sha256
    secret: "$SECRET"
zone:
  - domain: example.ilnp.
    file: $zone
    serial-policy: increment
    journal-max-entries: 1000000
    update-policy:
      - grant admin-key subdomain example.ilnp. ANY
  - domain: unix.test.
    file: $ST_DIR/unix.test.zone
    serial-policy: unixtime
    update-policy:
      - grant admin-key subdomain unix.test. ANY
EOF
st_start_ilnpdnsd "$conf"
ctl() { timeout 10 "$ST_CTL" -s "$ST_DIR/ctl.sock" "$@"; }
# py NAME ARGS...: run load.py, show its lines, pass or fail on its status.
py()
{
	local what=$1 rc
	shift
	PY_OUT=$(timeout 300 python3 "$LOAD" "$@" 2>&1)
	rc=$?
	printf '%s\n' "$PY_OUT" | sed 's/^/    | /'
	st_eq "$what: every load.py check passed" 0 "$rc"
}
# stat_of NAME: a counter of the "update" member of ilnpdns-ctl stats.
stat_of()
{
	printf '%s\n' "$STATS" | python3 -c 'import json, sys
u = json.load(sys.stdin)["update"]
v = u
for k in sys.argv[1].split("."):
    v = v.get(k, 0) if isinstance(v, dict) else 0
print(v)' "$1"
}

S0=$(upd_serial "$PORT")
[ -n "$S0" ] || st_fatal "no SOA from ilnpdnsd"

# --- 1. group commits with mixed prerequisites ------------------------------
py "burst" burst "$PORT" "$UPD_ZONE" admin-key "$SECRET" 20 24
noerror=$(printf '%s\n' "$PY_OUT" | awk '$1 == "noerror" { print $2 }')
S1=$(upd_serial "$PORT")
st_eq "burst: the serial moved once per acknowledged change ($noerror)" \
	"$((S0 + ${noerror:-0}))" "$S1"
STATS=$(ctl stats)
batches=$(stat_of batches)
batched=$(stat_of batched)
singles=$(stat_of batch_size.1)
st_log "figures: $batched updates in $batches group commits ($singles of one update);" \
	"batch sizes $(printf '%s\n' "$STATS" | grep -o '"batch_size":{[^}]*}')"
st_eq "burst: every update went through a batch" 480 "$batched"
if [ "${batched:-0}" -gt "${batches:-0}" ] && [ "${singles:-0}" -lt "${batches:-0}" ]; then
	st_pass "burst: some group commits held several updates ($batched in $batches)"
else
	st_fail "burst: no group commit held more than one update ($batched in $batches)"
fi
st_eq "burst: no commit failed" 0 "$(stat_of commit_failures)"
st_eq "burst: answers by RCODE as load.py expected" \
	"NOERROR=$noerror NXRRSET=60 YXDOMAIN=$((60 + 480 / 8)) NXDOMAIN=60 YXRRSET=60" \
	"NOERROR=$(stat_of rcode.NOERROR) NXRRSET=$(stat_of rcode.NXRRSET)\
 YXDOMAIN=$(stat_of rcode.YXDOMAIN) NXDOMAIN=$(stat_of rcode.NXDOMAIN)\
 YXRRSET=$(stat_of rcode.YXRRSET)"

# --- 2. the next query on any worker sees the change ------------------------
py "visible" visible "$PORT" "$UPD_ZONE" admin-key "$SECRET" 30 12
S2=$(upd_serial "$PORT")
st_eq "visible: one serial step per update" "$((S1 + 30))" "$S2"

# --- 3. queries while updates stream ----------------------------------------
py "idle queries" queries "$PORT" "$UPD_ZONE" 2
clients=
for c in 1 2 3 4; do
	"$UPD_UPDSEND" -y "hmac-sha256:admin-key:$SECRET" -z "$UPD_ZONE" -n 1000000 -d 15 \
		-i $((1000000 + c * 100000)) "127.0.0.1@$PORT" \
		>"$ST_DIR/stream.$c" 2>"$ST_DIR/stream-err.$c" &
	clients="$clients $!"
done
acked() { cat "$ST_DIR"/stream.[1-4] 2>/dev/null | grep -c ' NOERROR$'; }
i=0
while [ "$(acked)" -lt 20 ] && [ $i -lt 150 ]; do
	sleep 0.1
	i=$((i + 1))
done
a0=$(acked)
py "queries during updates" queries "$PORT" "$UPD_ZONE" 6
a1=$(acked)
read -r q_first q_last <<<"$(printf '%s\n' "$PY_OUT" | awk '$1 == "serials" { print $2, $3 }')"
for p in $clients; do
	st_reap "$p" 300
done
st_log "figures: $((a1 - a0)) updates acknowledged during the 6 s of queries;" \
	"serial seen by the queries ${q_first:-?} -> ${q_last:-?}"
if [ "$a1" -gt "$a0" ] && [ -n "${q_last:-}" ] && [ "$q_last" -gt "$q_first" ]; then
	st_pass "updates were committed while the queries ran ($((a1 - a0)) acknowledged)"
else
	st_fail "no update was committed during the query window ($a0 -> $a1 acknowledged," \
		"serial ${q_first:-?} -> ${q_last:-?})"
fi
streamed=$(acked)
st_eq "stream: every update answered NOERROR" "" \
	"$(cat "$ST_DIR"/stream.[1-4] | grep -v ' NOERROR$' | head -n 3)"
S3=$(upd_serial "$PORT")
st_eq "stream: one serial step per acknowledged update" "$((S2 + streamed))" "$S3"

# --- 4. the journal ---------------------------------------------------------
st_stop_ilnpdnsd || st_fail "ilnpdnsd ignored TERM"
st_check_journal "$ST_DIR/db" "" "$((S3 - S0))" "$S0" "$S3" one
st_start_ilnpdnsd "$conf"
st_eq "after restart: the same serial" "$S3" "$(upd_serial "$PORT")"

# --- 5. serial-policy unixtime ----------------------------------------------
nsup()
{
	{
		echo "server 127.0.0.1 $PORT"
		echo "zone unix.test."
		cat
		echo "send"
	} | timeout 20 nsupdate -y "hmac-sha256:admin-key:$SECRET" 2>&1
}
userial() { timeout 10 dig +norec +short +time=2 +tries=1 -p "$PORT" @127.0.0.1 unix.test. SOA | awk '{ print $3 }'; }
st_eq "unixtime zone starts at serial 1" 1 "$(userial)"
t0=$(date +%s)
out=$(printf 'update add a.unix.test. 300 TXT "a"\nupdate add b.unix.test. 300 TXT "b"\n' | nsup)
t1=$(date +%s)
st_eq "unixtime: the update is acknowledged" "" "$out"
u1=$(userial)
if [ -n "$u1" ] && [ "$u1" -ge "$t0" ] && [ "$u1" -le "$t1" ]; then
	st_pass "unixtime: the serial is the clock ($u1 in [$t0, $t1])"
else
	st_fail "unixtime: serial '$u1' is not the clock (between $t0 and $t1)"
fi
# Three changes at once: the clock has not moved past the serial, so each
# steps by one (max(now, serial + 1), never backwards, never equal).
prev=$u1
for n in 1 2 3; do
	out=$(printf 'update add c%s.unix.test. 300 TXT "c"\n' "$n" | nsup)
	st_eq "unixtime: change $n acknowledged" "" "$out"
	cur=$(userial)
	now=$(date +%s)
	if [ "$cur" -gt "$prev" ] && { [ "$cur" = "$((prev + 1))" ] || [ "$cur" -le "$now" ]; }; then
		st_pass "unixtime: change $n moved the serial forward ($prev -> $cur)"
	else
		st_fail "unixtime: change $n: serial $prev -> '$cur' (now $now)"
	fi
	prev=$cur
done
# A serial set ahead of the clock (an SOA update) is followed by +1 steps.
ahead=$((prev + 100000))
out=$(printf 'update add unix.test. 3600 SOA ns1.unix.test. hostmaster.unix.test. %s 3600 900 604800 300\n' \
	"$ahead" | nsup)
st_eq "unixtime: SOA with a serial ahead of the clock acknowledged" "" "$out"
st_eq "unixtime: the serial is the one the SOA update gave" "$ahead" "$(userial)"
out=$(printf 'update add d.unix.test. 300 TXT "d"\n' | nsup)
st_eq "unixtime: change after the jump acknowledged" "" "$out"
st_eq "unixtime: ahead of the clock, the next change steps by one" "$((ahead + 1))" "$(userial)"
out=$(printf 'update add e.unix.test. 300 TXT "e"\n' | nsup)
st_eq "unixtime: the next change acknowledged" "" "$out"
st_eq "unixtime: and again by one" "$((ahead + 2))" "$(userial)"
# The increment zone, beside it, still steps by one.
out=$(printf 'server 127.0.0.1 %s\nzone example.ilnp.\nupdate add inc.example.ilnp. 300 TXT "i"\nsend\n' \
	"$PORT" | timeout 20 nsupdate -y "hmac-sha256:admin-key:$SECRET" 2>&1)
st_eq "increment: change acknowledged" "" "$out"
st_eq "increment: the serial stepped by one" "$((S3 + 1))" "$(upd_serial "$PORT")"
st_done
