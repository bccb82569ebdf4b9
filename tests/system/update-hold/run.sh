#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- queries from many sockets are answered while an update waits for the LMDB write lock.
#
# README "Dynamic updates": updates never block query answering. A speed
# figure cannot prove it; an order of events can. lmdbhold (another process)
# takes the environment's single write lock, so the writer thread cannot
# begin its transaction. A signed update is sent over UDP and is seen to
# wait on the lock (one more thread sleeps on a process-shared futex). Then
# QUERIES queries over UDP and TCP, each from its own socket (spread over
# the workers by SO_REUSEPORT and accept), must all be answered right while
# the update is still unanswered. Only then is the lock released: the
# update must then get NOERROR and its record be served.
. "${top_srcdir:-$(dirname "$0")/../../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/update/common.sh"

st_need dig nsupdate tsig-keygen named-checkzone timeout
HOLD="$top_builddir/tests/system/lmdbhold"
st_need_built "$ST_ILNPDNSD" "$HOLD"
st_init

QUERIES=${HOLD_QUERIES:-30} # of each transport
upd_setup
# A short TCP idle timeout: the held TCP update below outlasts it many times
# over, and RFC 7766 6.2.3 says a connection with a request outstanding is not idle.
sed -i 's/^  workers: 2$/  workers: 3\n  tcp-idle-timeout: 1s/' "$conf"
st_start_ilnpdnsd "$conf"
S0=$(upd_serial "$PORT")
[ -n "$S0" ] || st_fatal "no SOA from ilnpdnsd"
L64=$(upd_rdata "$PORT" host1.example.ilnp. L64)
[ -n "$L64" ] || st_fatal "no L64 for host1.example.ilnp."

# Threads of ilnpdnsd asleep in futex() on a process-shared lock (no
# FUTEX_PRIVATE_FLAG, 0x80): LMDB's writer mutex lives in lock.mdb, shared
# with other processes; the writer's own queue waits are private futexes.
case $(uname -m) in
x86_64) FUTEX_NR=202 ;;
aarch64 | riscv64 | loongarch64) FUTEX_NR=98 ;;
i?86) FUTEX_NR=240 ;;
*) st_fatal "futex syscall number unknown for $(uname -m)" ;;
esac
shared_waiters()
{
	local n=0 nr op rest
	while read -r nr _ op rest; do
		[ "$nr" = "$FUTEX_NR" ] && [ $((op & 128)) -eq 0 ] && n=$((n + 1))
	done < <(cat /proc/"$ILNPDNSD_PID"/task/*/syscall 2>/dev/null)
	echo $n
}

# The holder keeps the lock until a line comes on its stdin (a FIFO).
# (Opened read-write first: opening a FIFO for reading alone would block.)
mkfifo "$ST_DIR/hold.in"
exec 3<>"$ST_DIR/hold.in"
# Not st_spawn: a background command's stdin would be /dev/null.
"$HOLD" "$ST_DIR/db" 300 <"$ST_DIR/hold.in" >"$ST_DIR/hold.log" 2>&1 3>&- &
HOLD_PID=$!
ST_PIDS="$ST_PIDS $HOLD_PID"
st_wait_log "$HOLD_PID" "$ST_DIR/hold.log" "held" 30 || st_fatal "lmdbhold did not take the lock"
st_pass "another process holds the LMDB write lock"

before=$(shared_waiters)
KEY="-y $(upd_alg admin-key):admin-key:$(upd_secret admin-key)"
# Over UDP with one long try: a TCP connection whose only request waits
# this long would meet the server's idle timeout (tcp-idle-timeout).
# shellcheck disable=SC2086 # KEY is words on purpose
printf 'server 127.0.0.1 %s\nzone %s\nupdate add held.%s 0 TXT "h"\nsend\n' \
	"$PORT" "$UPD_ZONE" "$UPD_ZONE" |
	timeout 200 nsupdate -r 0 -u 180 -t 180 $KEY >"$ST_DIR/update.out" 2>&1 3>&- &
UPD_PID=$!
ST_PIDS="$ST_PIDS $UPD_PID"
printf 'server 127.0.0.1 %s\nzone %s\nupdate add heldtcp.%s 0 TXT "t"\nsend\n' \
	"$PORT" "$UPD_ZONE" "$UPD_ZONE" |
	timeout 200 nsupdate -v -t 180 $KEY >"$ST_DIR/update-tcp.out" 2>&1 3>&- &
TCP_PID=$!
ST_PIDS="$ST_PIDS $TCP_PID"
# The writer takes the request and blocks on the lock: one more thread
# waits on a shared futex.
i=0
while [ "$(shared_waiters)" -le "$before" ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ "$(shared_waiters)" -gt "$before" ]; then
	st_pass "the update reached the writer, which waits for the lock"
else
	st_fail "no thread of ilnpdnsd began waiting on a shared lock after the update ($before before)"
fi

# Queries, each its own process and socket, while the update is pending.
bad=0
answered=0
for i in $(seq 1 "$QUERIES"); do
	for t in +notcp +tcp; do
		got=$(timeout 20 dig "$t" +norec +noall +answer +time=5 +tries=1 -p "$PORT" @127.0.0.1 \
			host1.example.ilnp. L64 | awk '$4 == "L64" { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print tolower($0) }' |
			sort | awk 'NR > 1 { printf " | " } { printf "%s", $0 } END { print "" }')
		s=$(timeout 20 dig "$t" +norec +short +time=5 +tries=1 -p "$PORT" @127.0.0.1 \
			"$UPD_ZONE" SOA | awk '{ print $3 }')
		if [ "$got" = "$L64" ] && [ "$s" = "$S0" ]; then
			answered=$((answered + 2))
		else
			bad=$((bad + 1))
			[ $bad -le 3 ] && st_log "query $i $t: L64 '$got', serial '$s'"
		fi
	done
done
pending_out=$(cat "$ST_DIR/update.out")
kill -0 "$UPD_PID" 2>/dev/null && still=yes || still=no
st_eq "all $((QUERIES * 4)) queries (UDP and TCP) answered right during the hold" 0 "$bad"
st_eq "the update was still unanswered after the queries" "yes " "$still $pending_out"
kill -0 "$TCP_PID" 2>/dev/null && still=yes || still=no
st_eq "the TCP update too, its connection kept past the 1 s idle timeout" "yes " \
	"$still $(cat "$ST_DIR/update-tcp.out")"
st_eq "the zone did not change during the hold" "$S0" "$(upd_serial "$PORT")"
st_log "figures: $answered answers while the update waited on the lock"

# Release: the update goes through.
echo release >&3
exec 3>&-
st_reap "$HOLD_PID" 100 || st_fail "lmdbhold did not exit after its stdin closed"
st_forget "$HOLD_PID"
st_grep "lmdbhold released the lock" '^released$' "$(cat "$ST_DIR/hold.log")"
st_reap "$UPD_PID" 600 || st_fail "nsupdate did not finish within 60 s of the release"
st_forget "$UPD_PID"
st_eq "after the release the update is acknowledged (NOERROR)" "" "$(cat "$ST_DIR/update.out")"
st_eq "its record is served" '"h"' \
	"$(timeout 10 dig +norec +short +time=5 +tries=1 -p "$PORT" @127.0.0.1 "held.$UPD_ZONE" TXT)"
st_reap "$TCP_PID" 600 || st_fail "nsupdate -v did not finish within 60 s of the release"
st_forget "$TCP_PID"
st_eq "the TCP update is acknowledged (NOERROR) on the connection it waited on" "" \
	"$(cat "$ST_DIR/update-tcp.out")"
st_eq "its record is served" '"t"' \
	"$(timeout 10 dig +norec +short +time=5 +tries=1 -p "$PORT" @127.0.0.1 "heldtcp.$UPD_ZONE" TXT)"
S1=$(upd_serial_next "$S0")
st_eq "the serial moved by two" "$(upd_serial_next "$S1")" "$(upd_serial "$PORT")"
st_done
