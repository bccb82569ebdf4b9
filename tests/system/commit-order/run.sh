#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- under strace, every update answer is sent only after its LMDB commit is on disk.
#
# A kill -9 test cannot tell a synced commit from one left in the page
# cache (the kernel keeps it either way). This one watches the system calls:
# ilnpdnsd runs under strace -f, signed updates go to it one at a time over
# UDP and TCP, and trace.py checks that before each answer (and after the
# previous one) the writer thread did fdatasync() of data.mdb and then wrote
# the meta page through its O_DSYNC fd: RFC 2136 3.5, NOERROR only once the
# change is durable (README "Dynamic updates").
. "${top_srcdir:-$(dirname "$0")/../../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/update/common.sh"

st_need strace dig nsupdate tsig-keygen named-checkzone timeout python3
st_need_built "$ST_ILNPDNSD"
st_init
strace -o /dev/null true 2>/dev/null || st_skip "strace cannot trace here (ptrace not permitted)"

TRACEPY="$top_srcdir/tests/system/commit-order/trace.py"
N_UDP=${COMMIT_ORDER_UDP:-4}
N_TCP=${COMMIT_ORDER_TCP:-4}
upd_setup
TRACE="$ST_DIR/strace.out"

# LeakSanitizer stops the threads with ptrace at exit, which fails under
# strace: leaks are checked by every other test, not this one.
log="$ST_DIR/ilnpdnsd.log"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" st_spawn "$log" \
	strace -f -tt -xx -s 64 \
	-e trace=openat,fdatasync,fsync,pwrite64,sendmsg,sendmmsg,sendto,writev,write \
	-o "$TRACE" "$ST_ILNPDNSD" -f -c "$conf"
STRACE_PID=$ST_PID
st_wait_log "$STRACE_PID" "$log" "ilnpdnsd ready" 60 || st_fatal "ilnpdnsd did not start under strace"
DAEMON_PID=$(awk '{ print $1 }' "/proc/$STRACE_PID/task/$STRACE_PID/children" 2>/dev/null)
[ -n "$DAEMON_PID" ] || st_fatal "no ilnpdnsd process under strace $STRACE_PID"
# The EXIT trap stops the daemon first (strace then ends by itself).
ST_PIDS="$DAEMON_PID $ST_PIDS"

KEY="-y $(upd_alg admin-key):admin-key:$(upd_secret admin-key)"
# send I OPTS: add c<I>.example.ilnp. TXT; one try only (-r 0), long timeouts,
# so that no retransmission makes a second answer.
send()
{
	# shellcheck disable=SC2086 # KEY and OPTS are words on purpose
	printf 'server 127.0.0.1 %s\nzone %s\nupdate add c%s.%s 0 TXT "c%s"\nsend\n' \
		"$PORT" "$UPD_ZONE" "$1" "$UPD_ZONE" "$1" |
		timeout 90 nsupdate -r 0 -u 60 -t 60 $2 $KEY 2>&1
}
# The first update goes over UDP: its sender is the writer thread.
sent=0
for i in $(seq 1 $((N_UDP + N_TCP))); do
	if [ "$i" -le "$N_UDP" ]; then how=UDP opts=; else how=TCP opts=-v; fi
	out=$(send "$i" "$opts")
	st_eq "update $i over $how acknowledged" "" "$out"
	sent=$((sent + 1))
	st_eq "update $i visible" "\"c$i\"" \
		"$(timeout 10 dig +norec +short +time=5 +tries=1 -p "$PORT" @127.0.0.1 "c$i.$UPD_ZONE" TXT)"
done

# A clean stop, so strace has written every line.
kill -TERM "$DAEMON_PID" 2>/dev/null
st_reap "$STRACE_PID" 300 || st_fail "ilnpdnsd did not stop on TERM within 30 s"
st_forget "$STRACE_PID"
st_forget "$DAEMON_PID"

out=$(python3 "$TRACEPY" "$TRACE" "$ST_DIR/db" "$sent" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/    | /'
st_eq "trace: every update answer followed fdatasync + O_DSYNC meta write ($sent answers)" 0 "$rc"
st_log "figures: $(grep -c . "$TRACE") trace lines," \
	"$(grep -c 'fdatasync(' "$TRACE") fdatasync calls for $sent updates"
st_done
