#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- a full LMDB map: updates get SERVFAIL with a clear log line, queries go on, nothing is lost.
#
# server.mapsize is set to its 1 MiB minimum and TSIG-signed updates, each
# adding one big TXT record, are sent in rounds (updsend over TCP) until
# the server answers SERVFAIL. Then: the log names the full map and the
# remedy, queries are still answered, every update answered NOERROR is in
# the zone (RFC 2136 3.5: NOERROR only once the change is on disk). The
# mapsize is raised in the configuration and the server restarted: every
# acknowledged update is still there and new updates succeed again.
. "${top_srcdir:-$(dirname "$0")/../../..}/tests/system/lib.sh"

st_need dig
UPDSEND="$top_builddir/tests/system/updsend"
st_need_built "$ST_ILNPDNSD" "$ST_CTL" "$UPDSEND"
st_init

PORT=$(st_free_port)
CONF="$ST_DIR/ilnpdnsd.conf"
LOG="$ST_DIR/ilnpdnsd.log"
ZONE="$ST_DIR/map.test.zone"
SOCK="$ST_DIR/ctl.sock"
SECRET="bWFwZnVsbC10ZXN0LWtleS1ub3QtZm9yLXJlYWwtdXNlIQ=="
KEY="hmac-sha256:upd-key.:$SECRET"
ROUND=50      # updates per updsend run
MAX_ROUNDS=60 # a 1 MiB map fills long before 3000 updates of 1 KiB
# About 1 KiB of TXT per update, so the map fills in a few hundred updates.
S200=$(printf 'x%.0s' $(seq 1 200))
RR="u%u.map.test. 0 IN TXT \"%u\" \"$S200\" \"$S200\" \"$S200\" \"$S200\" \"$S200\""

cat >"$ZONE" <<'EOF'
$ORIGIN map.test.
$TTL 3600
@	IN	SOA	ns1 hostmaster 1 7200 3600 1209600 300
@	IN	NS	ns1
ns1	IN	A	192.0.2.53
host1	IN	L64	10 2001:db8:1140:1000
host1	IN	NID	10 0014:4fff:ff20:ee64
EOF

# write_conf MAPSIZE
write_conf()
{
	cat >"$CONF" <<EOF
server:
  listen: [ "127.0.0.1@$PORT" ]
  database: $ST_DIR/db
  mapsize: $1
  workers: 2
  ilnp-ttl: 0
  control: $SOCK
key:
  - { id: upd-key., algorithm: hmac-sha256, secret: "$SECRET" }
zone:
  - domain: map.test.
    file: $ZONE
    update-policy: [ "grant upd-key. subdomain map.test. ANY" ]
    journal-max-entries: 100000
EOF
}

# send_round FIRST: ROUND updates u<FIRST>.. over one TCP connection; "<i> RCODE" lines appended
# to $ST_DIR/answers.
send_round()
{
	"$UPDSEND" -y "$KEY" -n "$ROUND" -i "$1" -a "$RR" -d 30 -z map.test. "127.0.0.1@$PORT" \
		>>"$ST_DIR/answers" 2>>"$ST_DIR/updsend.err"
}

# check_acked WHEN: every u<i> answered NOERROR is in the zone dump, with its own text.
check_acked()
{
	local missing
	"$ST_CTL" -s "$SOCK" zone-dump map.test. >"$ST_DIR/dump" 2>&1
	missing=$(awk 'FNR == NR {
			if ($1 ~ /^u[0-9]+\.map\.test\.$/ && $0 ~ /TXT/) {
				i = substr($1, 2, index($1, ".") - 2)
				if (index($0, "\"" i "\" ")) have[i] = 1
			}
			next
		}
		$2 == "NOERROR" && !($1 in have) { printf "%s ", $1 }' "$ST_DIR/dump" "$ST_DIR/answers")
	st_eq "$1: every acknowledged update is in the zone ($(grep -c ' NOERROR' "$ST_DIR/answers") of them)" \
		"" "$(printf '%s' "$missing" | head -c 200)"
}

q()
{
	dig +norec +time=3 +tries=2 -p "$PORT" @127.0.0.1 "$@" 2>&1
}

write_conf 1M
st_start_ilnpdnsd "$CONF"
: >"$ST_DIR/answers"

# ---- the storm: rounds until the first SERVFAIL --------------------------

next=1
rounds=0
while [ $rounds -lt $MAX_ROUNDS ] && ! grep -q ' SERVFAIL' "$ST_DIR/answers"; do
	send_round "$next"
	next=$((next + ROUND))
	rounds=$((rounds + 1))
done
# One more round while full: SERVFAIL for most (LMDB may find room for one now and then, in
# pages freed by earlier transactions), and an answer for every update.
send_round "$next"
next=$((next + ROUND))
acked=$(grep -c ' NOERROR' "$ST_DIR/answers")
failed=$(grep -c ' SERVFAIL' "$ST_DIR/answers")
st_log "map full after $acked acknowledged updates ($rounds rounds); $failed SERVFAIL"
st_grep "the map filled up: updates get SERVFAIL" "^[0-9]+ SERVFAIL$" "$(cat "$ST_DIR/answers")"
st_eq "no other rcode than NOERROR and SERVFAIL, no lost answer" "" \
	"$(grep -vE '^[0-9]+ (NOERROR|SERVFAIL)$' "$ST_DIR/answers" | head -5)"
full_fails=$(tail -n "$ROUND" "$ST_DIR/answers" | grep -c ' SERVFAIL$')
if [ "$full_fails" -gt $((ROUND / 2)) ]; then
	st_pass "the round sent while full gets SERVFAIL ($full_fails of $ROUND)"
else
	st_fail "the round sent while full got only $full_fails SERVFAIL of $ROUND"
fi
st_grep "the log says why: the map is full, raise server.mapsize" \
	"map full \(raise server\.mapsize\)" "$(cat "$LOG")"
if kill -0 "$ILNPDNSD_PID" 2>/dev/null; then
	st_pass "ilnpdnsd is alive with a full map"
else
	st_fail "ilnpdnsd died when the map filled"
fi

# ---- queries while full ---------------------------------------------------

out=$(q host1.map.test. L64)
st_grep "full map: UDP query answered (L64, TTL 0)" \
	"^host1\.map\.test\.[[:space:]]+0[[:space:]]+IN[[:space:]]+L64[[:space:]]+10 2001:db8:1140:1000" "$out"
out=$(q +tcp host1.map.test. NID)
st_grep "full map: TCP query answered (NID)" "^host1\.map\.test\.[[:space:]]+0[[:space:]]+IN[[:space:]]+NID" "$out"
first_acked=$(awk '$2 == "NOERROR" { print $1; exit }' "$ST_DIR/answers")
out=$(q "u$first_acked.map.test." TXT)
st_grep "full map: an acknowledged record is served" "^u$first_acked\.map\.test\..*TXT[[:space:]]+\"$first_acked\"" "$out"
serial_full=$(q +short map.test. SOA | awk '{ print $3 }')
st_eq "full map: the serial moved once per acknowledged update" "$((1 + acked))" "$serial_full"
check_acked "full map"

# ---- raise the mapsize, restart: nothing lost, updates work again ---------

st_stop_ilnpdnsd || st_fail "ilnpdnsd needed KILL to stop"
write_conf 16M
st_start_ilnpdnsd "$CONF"
check_acked "after raising mapsize and restarting"
st_eq "after restart: the serial is unchanged" "$serial_full" "$(q +short map.test. SOA | awk '{ print $3 }')"
before=$acked
send_round "$next"
send_round "$((next + ROUND))"
acked=$(grep -c ' NOERROR' "$ST_DIR/answers")
st_eq "after raising mapsize: new updates succeed ($((2 * ROUND)) NOERROR)" "$((before + 2 * ROUND))" "$acked"
st_eq "after raising mapsize: the serial counts every acknowledged update" "$((1 + acked))" \
	"$(q +short map.test. SOA | awk '{ print $3 }')"
check_acked "after the new updates"
out=$(q host1.map.test. L64)
st_grep "queries answered after recovery" "^host1\.map\.test\.[[:space:]]+0[[:space:]]+IN[[:space:]]+L64" "$out"
st_done
