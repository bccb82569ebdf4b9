#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- kill -9 ilnpdnsd under signed updates, many times: nothing acknowledged lost.
#
# ROUNDS rounds (CRASH_ROUNDS, else 50 with ST_HEAVY=1, else 10) on one
# database. Each round CLIENTS updsend processes (TSIG, TCP, one update after
# another, each adding its own TXT at u<i>.example.ilnp.) and a serial poller
# run against ilnpdnsd until SIGKILL comes at a random point: once the
# clients have answers, after a delay drawn from CRASH_SEED (logged, so a
# failing round can be repeated). updsend writes "<i> NOERROR" to its file
# before it sends the next update, so the file is the record of every
# acknowledgement the server gave before it died. After each restart:
#  - the first query after "ready" is answered, with the zone as it was:
#    nothing is loaded or recovered before queries are served;
#  - every update acknowledged in any round is in the zone (AXFR, and dig
#    for a sample), RFC 2136 3.5: NOERROR only after the change is on disk;
#  - the serial is not below any serial a query saw before the kill nor the
#    last round's, and equals the first serial plus the number of u<i>
#    records (every committed update added one record and moved the serial
#    by one, even those whose NOERROR was lost with the connection);
#  - journal and zone agree: the IXFR from the first serial (the journal,
#    RFC 1995) replayed onto the first zone gives exactly the AXFR.
# At the end the raw journal (mdb_dump, store.h schema) holds one entry per
# serial step, chained old -> new without gaps.
. "${top_srcdir:-$(dirname "$0")/../../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/update/common.sh"

st_need dig tsig-keygen named-checkzone timeout python3 mdb_dump
st_need_built "$ST_ILNPDNSD" "$UPD_UPDSEND"
st_init

if [ "${ST_HEAVY:-0}" = 1 ]; then
	ROUNDS=${CRASH_ROUNDS:-50}
else
	ROUNDS=${CRASH_ROUNDS:-10}
fi
SEED=${CRASH_SEED:-$(($(date +%s) % 1000000))}
CLIENTS=4
PER_CLIENT=20000 # updates a client may send per round (the kill comes first)
MAX_DELAY_MS=800 # the kill comes 0 to this long after the first answers
IXFRCHECK="$top_srcdir/tests/system/crash/ixfrcheck.py"
st_log "$ROUNDS rounds, seed $SEED (CRASH_SEED=$SEED repeats the kill delays)"

upd_setup
# The journal checks read every entry since the first serial: keep them all
# (default 1000); transfers to the test itself from loopback.
echo "    journal-max-entries: 100000000" >>"$conf"
echo "    allow-transfer: [ \"127.0.0.1\" ]" >>"$conf"
KEYARG="$(upd_alg admin-key):admin-key:$(upd_secret admin-key)"

dg() { timeout 30 dig +norec +time=5 +tries=1 -p "$PORT" @127.0.0.1 "$@"; }
# axfr FILE: the zone as transferred, dig's answer lines.
axfr() { dg +noall +answer "$UPD_ZONE" AXFR >"$1"; }
# present AXFRFILE: the indices i of the u<i> TXT records, sorted.
present()
{
	awk '$4 == "TXT" && $1 ~ /^u[0-9]+\.example\.ilnp\.$/ {
		sub(/^u/, "", $1); sub(/\..*/, "", $1); print $1 }' "$1" | sort -u
}
now_ms() { date +%s%3N; }

# restart: start ilnpdnsd, then one query at once; sets RESTART_MS (spawn to
# answer) and FIRST_ANSWER (the serial of that first answer, empty if none).
RESTART_MS_ALL=
restart()
{
	local t0
	t0=$(now_ms)
	st_start_ilnpdnsd "$conf"
	FIRST_ANSWER=$(upd_serial "$PORT")
	RESTART_MS=$(($(now_ms) - t0))
	RESTART_MS_ALL="$RESTART_MS_ALL $RESTART_MS"
}

st_start_ilnpdnsd "$conf"
FIRST_SERIAL=$(upd_serial "$PORT")
[ -n "$FIRST_SERIAL" ] || st_fatal "no SOA from ilnpdnsd"
axfr "$ST_DIR/axfr.first" || st_fatal "no AXFR from ilnpdnsd"
ACKED="$ST_DIR/acked" # every index that got NOERROR, over all rounds
: >"$ACKED"
total_acked=0
last_serial=$FIRST_SERIAL
bad_rounds=0

for round in $(seq 1 "$ROUNDS"); do
	# Serial poller: what queries saw before the kill.
	(
		# One-second timeouts: a query lost with the kill ends the poller soon.
		while kill -0 "$ILNPDNSD_PID" 2>/dev/null; do
			timeout 10 dig +norec +short +time=1 +tries=1 -p "$PORT" @127.0.0.1 \
				"$UPD_ZONE" SOA | awk '{ print $3 }'
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
	# The kill comes once the clients have 20 answers (at most 15 s), then
	# a seeded random delay later, while they are busy.
	i=0
	while [ "$(cat "$ST_DIR"/client.$round.* | wc -l)" -lt 20 ] && [ $i -lt 150 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	delay=$(awk -v s="$SEED" -v r="$round" -v m=$MAX_DELAY_MS \
		'BEGIN { srand(s * 1000 + r); printf "%.3f", int(rand() * m) / 1000 }')
	sleep "$delay"
	kill -KILL "$ILNPDNSD_PID"
	wait "$ILNPDNSD_PID" 2>/dev/null
	st_forget "$ILNPDNSD_PID"
	for p in $clients $poller; do
		st_reap "$p" 100  # clients notice the closed connection at once; bounded anyway
	done
	cat "$ST_DIR"/client.$round.* | awk '$2 == "NOERROR" { print $1 }' | sort -u \
		>"$ST_DIR/acked.$round"
	other=$(cat "$ST_DIR"/client.$round.* | awk '$2 != "NOERROR" && $2 != "NOANSWER"' | head -n 3)
	cut=$(cat "$ST_DIR"/client.$round.* | awk '$2 == "NOANSWER"' | grep -c .)
	n=$(grep -c . "$ST_DIR/acked.$round")
	cat "$ST_DIR/acked.$round" >>"$ACKED"
	total_acked=$((total_acked + n))
	maxpolled=$(sort -n "$ST_DIR/polled.$round" | tail -n 1)

	restart
	serial=$(upd_serial "$PORT")
	axfr "$ST_DIR/axfr.$round"
	present "$ST_DIR/axfr.$round" >"$ST_DIR/present.$round"
	npresent=$(grep -c . "$ST_DIR/present.$round")
	lost=$(sort -u "$ACKED" | comm -23 - "$ST_DIR/present.$round" | wc -l)
	dg +noall +answer "$UPD_ZONE" IXFR="$FIRST_SERIAL" >"$ST_DIR/ixfr.$round"
	replay=$(python3 "$IXFRCHECK" "$ST_DIR/axfr.first" "$ST_DIR/ixfr.$round" \
		"$ST_DIR/axfr.$round" "$FIRST_SERIAL" 2>&1)
	st_log "round $round: killed ${delay}s after the first answers; $n NOERROR, $cut cut off;" \
		"restart to answer ${RESTART_MS} ms; $npresent records, serial $serial" \
		"(queries saw up to ${maxpolled:-none}); journal replay: $replay"

	# One line per round when all is well; each failed check names itself.
	fails=$ST_FAILS
	[ -z "$other" ] || st_fail "round $round: answers other than NOERROR: $other"
	[ "$cut" -gt 0 ] || st_fail "round $round: no client was running when the server was killed"
	[ "$n" -gt 0 ] || st_fail "round $round: no update was acknowledged before the kill"
	[ -n "$FIRST_ANSWER" ] ||
		st_fail "round $round: the first query after the restart got no answer"
	[ "$FIRST_ANSWER" = "$serial" ] ||
		st_fail "round $round: first answer had serial '$FIRST_ANSWER', then '$serial'"
	[ "$lost" -eq 0 ] || st_fail "round $round: $lost acknowledged updates are missing:" \
		"$(sort -u "$ACKED" | comm -23 - "$ST_DIR/present.$round" | head -n 5 | tr '\n' ' ')"
	if [ -z "$serial" ] || [ -z "$maxpolled" ] || [ "$serial" -lt "$maxpolled" ] ||
		[ "$serial" -lt "$last_serial" ]; then
		st_fail "round $round: serial '$serial' after restart; before: queries saw" \
			"'$maxpolled', the last round ended at $last_serial"
	fi
	[ "$serial" = "$((FIRST_SERIAL + npresent))" ] ||
		st_fail "round $round: serial $serial, not first serial + records" \
			"($((FIRST_SERIAL + npresent)))"
	case $replay in
	ok*) ;;
	*) st_fail "round $round: the journal replayed onto the first zone is not the zone" ;;
	esac
	# dig agrees with the transfer for the last few acknowledged records.
	for i in $(tail -n 3 "$ST_DIR/acked.$round"); do
		got=$(upd_rdata "$PORT" "u$i.$UPD_ZONE" TXT)
		[ "$got" = "\"$i\"" ] || st_fail "round $round: dig u$i: '$got'"
	done
	if [ "$ST_FAILS" -eq "$fails" ]; then
		st_pass "round $round: nothing acknowledged lost, serial forward, journal = zone," \
			"answered at once"
	else
		bad_rounds=$((bad_rounds + 1))
	fi
	last_serial=${serial:-$last_serial}
done
lost=$(sort -u "$ACKED" | comm -23 - "$ST_DIR/present.$ROUNDS" | wc -l)
st_log "figures: $ROUNDS kill -9 rounds (seed $SEED), $total_acked updates acknowledged," \
	"$lost lost, $bad_rounds bad rounds; restart to first answer (ms):" \
	"$(echo $RESTART_MS_ALL | tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 }
		END { printf "median %d, max %d", v[int((NR + 1) / 2)], v[NR] }')"
st_eq "acknowledged updates lost over all rounds" 0 "$lost"
[ "$total_acked" -ge $((ROUNDS * 20)) ] ||
	st_fail "only $total_acked updates acknowledged: not a real load"

final=$(upd_serial "$PORT")
st_stop_ilnpdnsd || st_fail "ilnpdnsd ignored TERM at the end"
# The journal: one entry per serial step, from the first serial to the final one.
st_check_journal "$ST_DIR/db" "" "$((final - FIRST_SERIAL))" "$FIRST_SERIAL" "$final" one
st_done
