# SPDX-License-Identifier: BSD-2-Clause
# lib.sh -- shared helpers for the system tests: ports, temp dirs, daemons, checks.
#
# Sourced by tests/system/*/run.sh. The scripts run under automake's test
# harness (top_srcdir and top_builddir exported by tests/Makefile.inc) or by
# hand from a build directory. Every wait is bounded, and only the processes a
# script started (recorded by pid) are stopped, by the EXIT trap.

set -u

# Where the sources and the built programs are. By hand: srcdir from the
# script's location, builddir from the current directory.
: "${top_srcdir:=$(cd "$(dirname "$0")/../../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
ST_ILNPDNSD="$top_builddir/server/ilnpdnsd"
ST_CTL="$top_builddir/server/ilnpdns-ctl"
ST_ZONE="$top_srcdir/zones/example.ilnp.zone"

ST_NAME=$(basename "$(dirname "$0")")
ST_DIR=
ST_PIDS=
ST_FAILS=0
ST_CHECKS=0

st_log()
{
	printf '%s: %s\n' "$ST_NAME" "$*" >&2
}

# Exit 77 (automake SKIP) with the reason. Only for a tool that is really
# not installed; anything of ours that is missing is a failure.
st_skip()
{
	st_log "SKIP: $*"
	exit 77
}

st_fatal()
{
	st_log "FATAL: $*"
	exit 99
}

# st_need TOOL...: skip unless every named program is on PATH.
st_need()
{
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || st_skip "$t is not installed"
	done
}

# st_need_built PATH...: our own programs must have been built.
st_need_built()
{
	local p
	for p in "$@"; do
		[ -x "$p" ] || st_fatal "$p has not been built (run make first)"
	done
}

# st_reap PID [TENTHS]: wait TENTHS/10 s (default 5 s) for PID to end, else KILL; reap; 1 if KILLed.
st_reap()
{
	local pid=$1 n=${2:-50} i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt "$n" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		st_log "pid $pid still running after $((n / 10)).$((n % 10)) s, sending KILL"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 1
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# Stop one process we started: TERM, up to 5 s, then KILL (and return 1).
st_stop_pid()
{
	kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1" 2>/dev/null
	st_reap "$1" 50
}

st_cleanup()
{
	local rc=$? pid f
	for pid in $ST_PIDS; do
		st_stop_pid "$pid"
	done
	# A sanitizer build (--enable-sanitizers) reports into the daemon's log;
	# any report fails the test even if every answer was right.
	local san='ERROR: (Address|Leak)Sanitizer|runtime error:'
	if [ -n "$ST_DIR" ] && [ $rc -ne 77 ] && grep -qE "$san" "$ST_DIR"/*.log 2>/dev/null; then
		st_log "sanitizer report in the daemon log"
		[ $rc -ne 0 ] || rc=1
	fi
	if [ -n "$ST_DIR" ] && [ -d "$ST_DIR" ]; then
		if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
			st_log "failed (exit $rc); logs kept in $ST_DIR"
			for f in "$ST_DIR"/*.log; do
				[ -f "$f" ] || continue
				echo "---- $f (last 30 lines)" >&2
				tail -n 30 "$f" >&2
			done
		else
			rm -rf "$ST_DIR"
		fi
	fi
	exit $rc
}

# st_init: make the scratch directory and install the cleanup trap.
st_init()
{
	ST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ilnpdns-$ST_NAME.XXXXXX") || st_fatal "mktemp failed"
	trap st_cleanup EXIT
	trap 'exit 130' INT TERM HUP
}

# Is PORT (decimal) bound on any local address, for TCP or UDP, v4 or v6?
st_port_in_use()
{
	local hex f
	hex=$(printf ':%04X ' "$1")
	for f in /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6; do
		[ -r "$f" ] || continue
		awk -v h="$hex" 'NR > 1 && index($2 " ", h) { found = 1 } END { exit !found }' \
			"$f" && return 0
	done
	return 1
}

# st_free_port [EXCLUDE...]: print a port in 20000-59999 that nothing uses
# for UDP or TCP and that is not one of EXCLUDE. Another process may still
# take it before the daemon binds; the daemon's readiness wait then fails
# loudly rather than the test talking to a stranger.
st_free_port()
{
	local n=0 p x ok
	while [ $n -lt 200 ]; do
		# BASHPID: command substitutions may start from the same RANDOM seed.
		# Below the kernel's ephemeral range (32768-60999), where client sockets
		# of the tests themselves would otherwise take the chosen port.
		p=$((10000 + (RANDOM * 32768 + RANDOM + BASHPID) % 22000))
		ok=1
		for x in "$@"; do
			[ "$x" = "$p" ] && ok=0
		done
		if [ $ok = 1 ] && ! st_port_in_use "$p"; then
			echo "$p"
			return 0
		fi
		n=$((n + 1))
	done
	st_log "no free loopback port found"
	return 1
}

# Is ::1 configured? (Some containers have no IPv6 loopback.)
st_have_ipv6()
{
	grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null
}

# st_spawn LOG CMD...: run CMD in the background, output appended to LOG;
# sets ST_PID and records it for the EXIT trap.
st_spawn()
{
	local log=$1
	shift
	"$@" >>"$log" 2>&1 &
	ST_PID=$!
	ST_PIDS="$ST_PIDS $ST_PID"
}

# st_forget PID: the process was stopped on purpose; no trap action needed.
st_forget()
{
	local new= p
	for p in $ST_PIDS; do
		[ "$p" = "$1" ] || new="$new $p"
	done
	ST_PIDS=$new
}

# st_wait_log PID LOG PATTERN SECONDS [SEEN]: wait until LOG contains PATTERN
# (fixed string) more than SEEN times (default 0) while PID is alive. Fails
# if PID dies or time runs out.
st_wait_log()
{
	local pid=$1 log=$2 pat=$3 secs=$4 seen=${5:-0} i=0 n
	while [ $i -lt $((secs * 10)) ]; do
		n=$(grep -cF -- "$pat" "$log" 2>/dev/null)
		[ "${n:-0}" -gt "$seen" ] && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			st_log "pid $pid exited before printing '$pat'"
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	st_log "timed out after ${secs}s waiting for '$pat' in $log"
	return 1
}

# st_wait_answer PID ADDR PORT NAME SECONDS: wait until a UDP query for NAME
# SOA gets any reply (for daemons without a readiness line, like nsd -d).
st_wait_answer()
{
	local pid=$1 addr=$2 port=$3 name=$4 secs=$5 i=0
	while [ $i -lt $((secs * 4)) ]; do
		if dig +tries=1 +time=1 +norec -p "$port" @"$addr" "$name" SOA 2>/dev/null |
			grep -q 'status: '; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || {
			st_log "pid $pid exited before answering"
			return 1
		}
		sleep 0.25
		i=$((i + 1))
	done
	st_log "no answer from $addr@$port within ${secs}s"
	return 1
}

# st_ilnpdnsd_conf FILE PORT DBDIR ZONEFILE: write an ilnpdnsd config that
# listens on loopback only (and ::1 when the host has it).
st_ilnpdnsd_conf()
{
	local file=$1 port=$2 db=$3 zone=$4 listen
	[ -n "$port" ] || st_fatal "no port for ilnpdnsd"
	listen="\"127.0.0.1@$port\""
	st_have_ipv6 && listen="$listen, \"::1@$port\""
	cat >"$file" <<EOF
server:
  listen: [ $listen ]
  database: $db
  workers: 2
  ilnp-ttl: 0
  control: $ST_DIR/ctl.sock
zone:
  - domain: example.ilnp.
    file: $zone
EOF
}

# st_start_ilnpdnsd CONF: start ilnpdnsd -f and wait for "ilnpdnsd ready".
# Sets ILNPDNSD_PID.
st_start_ilnpdnsd()
{
	local log="$ST_DIR/ilnpdnsd.log" seen
	# The log is appended to across restarts: wait for a new ready line.
	seen=$(grep -cF "ilnpdnsd ready" "$log" 2>/dev/null)
	st_spawn "$log" "$ST_ILNPDNSD" -f -c "$1"
	ILNPDNSD_PID=$ST_PID
	st_wait_log "$ILNPDNSD_PID" "$log" "ilnpdnsd ready" 15 "${seen:-0}" ||
		st_fatal "ilnpdnsd did not start"
}

# st_stop_ilnpdnsd: stop the ilnpdnsd this script started; 1 if it needed KILL.
st_stop_ilnpdnsd()
{
	local rc=0
	st_stop_pid "$ILNPDNSD_PID" || rc=1
	st_forget "$ILNPDNSD_PID"
	return $rc
}

# st_start_nsd PORT ZONEFILE: run nsd -d on 127.0.0.1 serving example.ilnp.
# Sets NSD_PID.
st_start_nsd()
{
	local port=$1 zone=$2 nd
	[ -n "$port" ] || st_fatal "no port for nsd"
	nd="$ST_DIR/nsd"
	mkdir -p "$nd"
	# username "" keeps the current user (no privilege drop) and chroot ""
	# disables the chroot (nsd.conf(5)). NSD changes to zonesdir and reads
	# $INCLUDE paths from there: the zone's includes are relative to the
	# source tree's root. Everything NSD writes goes to our scratch dir.
	cat >"$nd/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1
  port: $port
  do-ip4: yes
  do-ip6: no
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$top_srcdir"
  database: ""
  zonelistfile: "$nd/zone.list"
  xfrdfile: "$nd/xfrd.state"
  xfrdir: "$nd"
  pidfile: "$nd/nsd.pid"
  logfile: "$nd/nsd.log"
  verbosity: 1
  minimal-responses: yes
  refuse-any: no
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: example.ilnp.
  zonefile: "$zone"
EOF
	st_spawn "$ST_DIR/nsd.log" nsd -d -c "$nd/nsd.conf"
	NSD_PID=$ST_PID
	st_wait_answer "$NSD_PID" 127.0.0.1 "$port" example.ilnp. 15 || {
		cat "$nd/nsd.log" >&2 2>/dev/null
		st_fatal "nsd did not start"
	}
	# NSD answers SERVFAIL for a zone it failed to load.
	if ! dig +norec +short -p "$port" @127.0.0.1 example.ilnp. SOA | grep -q .; then
		cat "$nd/nsd.log" >&2 2>/dev/null
		st_fatal "nsd did not load example.ilnp."
	fi
}

# --- checks -------------------------------------------------------------

# st_check_journal DBDIR WHAT COUNT FIRST LAST [one]: the journal (mdb_dump) holds COUNT
# entries whose serials chain from FIRST to LAST, each starting where the last ended (and
# with "one", each moving the serial by one). Journal values start with old serial u32 |
# new serial u32 (server/store.h); the hex dump of each value begins with them.
st_check_journal()
{
	local chain
	chain=$(mdb_dump -s journal "$1" 2>/dev/null | awk '
		/^HEADER=END/ { body = 1; next }
		body && /^ / { n++; if (n % 2 == 0) print substr($1, 1, 8), substr($1, 9, 8) }' |
		while read -r a b; do echo "$((16#$a)) $((16#$b))"; done)
	st_eq "${2}journal: $3 entries" "$3" "$(printf '%s\n' "$chain" | grep -c .)"
	st_eq "${2}journal: the first entry starts at serial $4" "$4" \
		"$(printf '%s\n' "$chain" | head -n 1 | awk '{ print $1 }')"
	st_eq "${2}journal: the last entry ends at serial $5" "$5" \
		"$(printf '%s\n' "$chain" | tail -n 1 | awk '{ print $2 }')"
	st_eq "${2}journal: every entry starts where the previous ended${6:+, one serial step each}" \
		"" "$(printf '%s\n' "$chain" | awk -v one="${6:-}" 'NR > 1 && $1 != prev { print NR": "$0 }
			one != "" && $2 != $1 + 1 { print NR": "$0 } { prev = $2 }' | head -n 3)"
}

st_pass()
{
	ST_CHECKS=$((ST_CHECKS + 1))
	printf 'ok   %s\n' "$*"
}

st_fail()
{
	ST_CHECKS=$((ST_CHECKS + 1))
	ST_FAILS=$((ST_FAILS + 1))
	printf 'FAIL %s\n' "$*"
}

# st_grep DESC PATTERN TEXT: pass if the extended regex PATTERN matches TEXT.
st_grep()
{
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		st_pass "$1"
	else
		st_fail "$1: /$2/ not found in:"
		printf '%s\n' "$3" | sed 's/^/    | /'
	fi
}

# st_nogrep DESC PATTERN TEXT: pass if PATTERN does not match TEXT.
st_nogrep()
{
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		st_fail "$1: /$2/ unexpectedly found in:"
		printf '%s\n' "$3" | sed 's/^/    | /'
	else
		st_pass "$1"
	fi
}

# st_eq DESC EXPECTED ACTUAL
st_eq()
{
	if [ "$2" = "$3" ]; then
		st_pass "$1"
	else
		st_fail "$1: expected '$2', got '$3'"
	fi
}

# st_done: summary line and exit status for the harness.
st_done()
{
	st_log "$ST_CHECKS checks, $ST_FAILS failed"
	[ "$ST_FAILS" -eq 0 ] || exit 1
	exit 0
}
