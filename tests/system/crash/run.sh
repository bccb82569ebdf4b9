#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- crash safety of dynamic update: kill -9 ilnpdnsd under a stream of signed updates, restart, prove nothing acknowledged was lost.
#
# Each round restarts ilnpdnsd on the same database, starts CLIENTS updsend
# processes (TSIG, TCP, one update after another, each adding its own TXT at
# u<i>.example.ilnp.) and a serial poller, then kills the server with
# SIGKILL at a random moment. After the restart:
#  - every update that got NOERROR is in the zone (zone-dump, and dig for a
#    sample), RFC 2136 3.5: NOERROR only after the change is on disk;
#  - the serial is not below any serial a query saw before the kill, and it
#    equals the first serial plus the number of u<i> records present (every
#    committed update added one record and moved the serial by one, even
#    those whose NOERROR was lost with the connection);
# and at the end the journal (read with mdb_dump, store.h schema) holds one
# entry per serial step, chained old -> new without gaps.
. "${top_srcdir:-$(dirname "$0")/../../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/update/common.sh"

st_need dig tsig-keygen named-checkzone timeout
st_need_built "$ST_ILNPDNSD" "$ST_CTL" "$UPD_UPDSEND"
st_init

ROUNDS=${CRASH_ROUNDS:-5}
CLIENTS=4
PER_CLIENT=20000 # updates a client may send per round (the kill comes first)

upd_make_keys
zone="$ST_DIR/example.ilnp.zone"
upd_make_zone "$zone"
PORT=$(st_free_port)
conf="$ST_DIR/ilnpdnsd.yaml"
upd_ilnp_conf "$conf" "$PORT" "$ST_DIR/db" "$zone"
# The journal check at the end reads every entry: keep them all (default 1000).
echo "    journal-max-entries: 100000000" >>"$conf"
ctl() { timeout 20 "$ST_CTL" -s "$ST_DIR/ctl.sock" "$@"; }
KEYARG="$(upd_alg admin-key):admin-key:$(upd_secret admin-key)"

st_start_ilnpdnsd "$conf"
FIRST_SERIAL=$(upd_serial "$PORT")
[ -n "$FIRST_SERIAL" ] || st_fatal "no SOA from ilnpdnsd"
ACKED="$ST_DIR/acked" # every index that got NOERROR, over all rounds
: >"$ACKED"
total_acked=0

# present: the indices i of the u<i> TXT records in the zone, sorted.
present()
{
	ctl zone-dump "$UPD_ZONE" | awk '$4 == "TXT" && $1 ~ /^u[0-9]+\.example\.ilnp\.$/ {
		sub(/^u/, "", $1); sub(/\..*/, "", $1); print $1 }' | sort -u
}

for round in $(seq 1 "$ROUNDS"); do
	[ "$round" -eq 1 ] || st_start_ilnpdnsd "$conf"
	# Serial poller: what queries saw before the kill.
	(
		while kill -0 "$ILNPDNSD_PID" 2>/dev/null; do
			upd_serial "$PORT"
			sleep 0.05
		done
	) >"$ST_DIR/polled.$round" 2>/dev/null &
	poller=$!
	clients=
	for c in $(seq 1 $CLIENTS); do
		# The client's errors go to their own file: its output is the record
		# of answers; a client cut off mid-update may leave a sanitizer report.
		"$UPD_UPDSEND" -y "$KEYARG" -z "$UPD_ZONE" -n $PER_CLIENT -d 20 \
			-i $((round * 100000 + c * 10000)) "127.0.0.1@$PORT" \
			>"$ST_DIR/client.$round.$c" 2>"$ST_DIR/stderr.$round.$c" &
		clients="$clients $!"
	done
	# The kill comes once the clients have 300 answers (at most 15 s), then
	# 0 to 1.5 s later, while they are busy.
	i=0
	while [ "$(cat "$ST_DIR"/client.$round.* | wc -l)" -lt 300 ] && [ $i -lt 150 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", (r % 150) / 100 }')"
	kill -KILL "$ILNPDNSD_PID"
	wait "$ILNPDNSD_PID" 2>/dev/null
	st_forget "$ILNPDNSD_PID"
	for p in $clients $poller; do
		# Clients notice the closed connection at once; bounded anyway.
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	cat "$ST_DIR"/client.$round.* | awk '$2 == "NOERROR" { print $1 }' | sort -u >"$ST_DIR/acked.$round"
	other=$(cat "$ST_DIR"/client.$round.* | awk '$2 != "NOERROR" && $2 != "NOANSWER"' | head -n 3)
	st_eq "round $round: every answered update said NOERROR" "" "$other"
	cut=$(cat "$ST_DIR"/client.$round.* | awk '$2 == "NOANSWER"' | grep -c .)
	if [ "$cut" -gt 0 ]; then
		st_pass "round $round: the kill cut off $cut running clients"
	else
		st_fail "round $round: no client was running when the server was killed"
	fi
	n=$(grep -c . "$ST_DIR/acked.$round")
	cat "$ST_DIR/acked.$round" >>"$ACKED"
	total_acked=$((total_acked + n))
	maxpolled=$(sort -n "$ST_DIR/polled.$round" | tail -n 1)

	st_start_ilnpdnsd "$conf"
	serial=$(upd_serial "$PORT")
	present >"$ST_DIR/present.$round"
	lost=$(sort -u "$ACKED" | comm -23 - "$ST_DIR/present.$round" | head -n 5)
	npresent=$(grep -c . "$ST_DIR/present.$round")
	st_log "round $round: $n NOERROR, killed, restarted: $npresent records, serial $serial (queries saw up to $maxpolled)"
	[ "$n" -gt 0 ] || st_fail "round $round: no update was acknowledged before the kill"
	st_eq "round $round: every NOERROR update of all rounds is in the zone" "" "$lost"
	if [ -n "$maxpolled" ] && [ "$serial" -ge "$maxpolled" ]; then
		st_pass "round $round: serial $serial not below the $maxpolled queries saw"
	else
		st_fail "round $round: serial went backwards: $serial after restart, $maxpolled seen before"
	fi
	st_eq "round $round: serial = first serial + records committed" \
		"$((FIRST_SERIAL + npresent))" "$serial"
	# dig agrees with the dump for the last few acknowledged records.
	for i in $(tail -n 3 "$ST_DIR/acked.$round"); do
		st_eq "round $round: dig sees u$i" "\"$i\"" "$(upd_rdata "$PORT" "u$i.$UPD_ZONE" TXT)"
	done
	[ "$round" -eq "$ROUNDS" ] || {
		st_stop_ilnpdnsd || st_fail "round $round: ilnpdnsd ignored TERM"
	}
done
st_log "$total_acked updates acknowledged over $ROUNDS kill -9 rounds"
[ "$total_acked" -ge 1000 ] || st_fail "only $total_acked updates acknowledged: not a real load"

final=$(upd_serial "$PORT")
st_stop_ilnpdnsd || st_fail "ilnpdnsd ignored TERM at the end"
# The journal: values start with old serial u32 | new serial u32 (store.h).
if command -v mdb_dump >/dev/null 2>&1; then
	chain=$(mdb_dump -s journal "$ST_DIR/db" 2>/dev/null | awk '
		/^HEADER=END/ { body = 1; next }
		body && /^ / { n++; if (n % 2 == 0) print substr($1, 1, 8), substr($1, 9, 8) }' |
		while read -r a b; do echo "$((16#$a)) $((16#$b))"; done)
	st_eq "journal: one entry per serial step" "$((final - FIRST_SERIAL))" \
		"$(printf '%s\n' "$chain" | grep -c .)"
	st_eq "journal: first entry starts at the first serial" "$FIRST_SERIAL" \
		"$(printf '%s\n' "$chain" | head -n 1 | awk '{ print $1 }')"
	st_eq "journal: last entry ends at the final serial" "$final" \
		"$(printf '%s\n' "$chain" | tail -n 1 | awk '{ print $2 }')"
	st_eq "journal: each entry moves the serial by one from where the last ended" "" \
		"$(printf '%s\n' "$chain" | awk 'NR > 1 && $1 != prev { print NR": "$0 } $2 != $1 + 1 { print NR": "$0 } { prev = $2 }' | head -n 3)"
else
	st_log "mdb_dump not installed: journal not read"
fi
st_done
