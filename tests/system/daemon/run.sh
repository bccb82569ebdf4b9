#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- ilnpdnsd transports and life cycle: UDP/TCP on v4/v6, pipelining, half-close, idle
# timeout, connection limits, reply source address, -n, SIGHUP reload, restart, SIGTERM, detach,
# and the built-in defaults (no -c) with -v, in a network namespace of their own.
. "$(dirname "$0")/../lib.sh"

st_need dig kdig python3
st_need_built "$ST_ILNPDNSD" "$ST_CTL"
st_init

PROBE="$top_srcdir/tests/system/daemon/probe.py"
PORT=$(st_free_port)
WPORT=$(st_free_port)
while [ "$WPORT" = "$PORT" ]; do WPORT=$(st_free_port); done
ADDRS=127.0.0.1
st_have_ipv6 && ADDRS="$ADDRS ::1"
CONF="$ST_DIR/ilnpdnsd.conf"
LOG="$ST_DIR/ilnpdnsd.log"
ZONE="$ST_DIR/daemon.test.zone"

# The test's own zone, so that it does not depend on the example zone's content.
cat >"$ZONE" <<'EOF'
$ORIGIN daemon.test.
$TTL 3600
@	IN	SOA	ns1 hostmaster 2024060101 7200 3600 1209600 300
@	IN	NS	ns1
ns1	IN	A	192.0.2.53
ns1	IN	AAAA	2001:db8::53
host1	IN	NID	10 0014:4fff:ff20:ee64
host1	IN	NID	20 0015:5fff:ff21:ee65
host1	IN	L64	10 2001:db8:1140:1000
host1	IN	L64	20 2001:db8:2140:2000
host1	IN	L32	10 10.1.2.0
host1	IN	LP	10 site
site	IN	L64	10 2001:db8:5140:5000
Host2	IN	L64	10 2001:db8:4140:4000
Host2	IN	L32	10 10.1.8.0
EOF

# write_conf [EXTRA-ZONE-YAML]: loopback listeners, plus a wildcard IPv4
# listener on a second port for the reply-source check; short idle timeout
# and a small per-source limit so that both can be observed quickly.
write_conf()
{
	local listen="\"127.0.0.1@$PORT\", \"0.0.0.0@$WPORT\""
	st_have_ipv6 && listen="$listen, \"::1@$PORT\""
	cat >"$CONF" <<EOF
server:
  listen: [ $listen ]
  database: $ST_DIR/db
  workers: 2
  ilnp-ttl: ${ILNP_TTL:-0}
  tcp-idle-timeout: 1s
  tcp-max-per-source: 4
  control: $ST_DIR/ctl.sock
  log-level: info
zone:
  - domain: daemon.test.
    file: $ZONE
${1:-}
EOF
}

# count_log PATTERN: how many lines of the daemon log contain PATTERN.
count_log()
{
	grep -cF -- "$1" "$LOG" 2>/dev/null
}

# wait_log_count PATTERN N: wait up to 5 s until PATTERN is in N lines.
wait_log_count()
{
	local i=0
	while [ $i -lt 50 ]; do
		[ "$(count_log "$1")" -ge "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# q ADDR ARGS...: dig one question at ADDR, printing the full answer.
q()
{
	local addr=$1
	shift
	dig +norec +tries=1 +time=3 -p "$PORT" @"$addr" "$@" 2>&1
}

# ---- command line -------------------------------------------------------

write_conf
out=$("$ST_ILNPDNSD" -n -c "$CONF" 2>&1)
st_eq "-n accepts a valid configuration (exit)" 0 $?
st_grep "-n says so" "configuration OK" "$out"
printf 'server:\n  workers: 2\n  no-such-key: 1\n' >"$ST_DIR/bad.conf"
out=$("$ST_ILNPDNSD" -n -c "$ST_DIR/bad.conf" 2>&1)
st_eq "-n rejects an unknown key (exit)" 1 $?
st_grep "-n names file and line" "bad\.conf:3:" "$out"
out=$("$ST_ILNPDNSD" -h 2>&1)
st_eq "-h exits 0" 0 $?
st_grep "-h prints usage" "usage: ilnpdnsd" "$out"
"$ST_ILNPDNSD" -x >/dev/null 2>&1
st_eq "an unknown option exits 1" 1 $?

# ---- UDP and TCP, IPv4 and IPv6 -----------------------------------------

st_start_ilnpdnsd "$CONF"
st_grep "first start imports the zone" "zone daemon\.test\.: imported" "$(cat "$LOG")"

for a in $ADDRS; do
	out=$(q "$a" host1.daemon.test. L64)
	st_grep "UDP $a: NOERROR" "status: NOERROR" "$out"
	st_grep "UDP $a: AA" "flags: qr aa" "$out"
	st_grep "UDP $a: L64 with TTL 0" "^host1\.daemon\.test\.[[:space:]]+0[[:space:]]+IN[[:space:]]+L64" "$out"
	out=$(q "$a" +tcp host1.daemon.test. NID)
	st_grep "TCP $a: NOERROR" "status: NOERROR" "$out"
	st_grep "TCP $a: NID answer" "^host1\.daemon\.test\.[[:space:]]+0[[:space:]]+IN[[:space:]]+NID" "$out"

	# Several queries reusing one connection, one after the other.
	out=$(kdig +tcp +keepopen +norec +timeout=3 -p "$PORT" @"$a" host1.daemon.test. L64 \
		daemon.test. SOA Host2.daemon.test. L32 2>&1)
	st_eq "TCP $a: three queries on one kept-open connection" 3 \
		"$(printf '%s\n' "$out" | grep -c 'status: NOERROR')"

	# Pipelined: all queries in one write, then FIN (RFC 7766 6.2.1.1, 6.2.4).
	out=$(python3 "$PROBE" pipeline "$a" "$PORT" 50 2>&1)
	st_eq "TCP $a: 50 pipelined queries answered in order after half-close ($out)" 0 $?
done

# Enough pipelined answers that the server's socket buffer fills while the
# client is not reading: answering must pause, then resume, in order.
out=$(python3 "$PROBE" pipeline 127.0.0.1 "$PORT" 30000 slow 2>&1)
st_eq "TCP: 30000 pipelined queries through a slow reader ($out)" 0 $?

# ---- TCP idle timeout and connection limits -----------------------------

out=$(python3 "$PROBE" idle 127.0.0.1 "$PORT" 1000 2>&1)
st_eq "TCP: idle connection closed after the 1 s timeout ($out)" 0 $?
for a in $ADDRS; do
	out=$(python3 "$PROBE" limit "$a" "$PORT" 4 2>&1)
	st_eq "TCP $a: tcp-max-per-source 4 enforced across workers ($out)" 0 $?
done

# The workers' counters, summed by the control socket.
out=$("$ST_CTL" -s "$ST_DIR/ctl.sock" stats 2>&1)
st_grep "stats: UDP queries counted" '"udp": *[1-9]' "$out"
st_grep "stats: TCP queries counted" '"tcp": *[1-9]' "$out"
st_grep "stats: idle closes counted" '"timeouts": *[1-9]' "$out"
st_grep "stats: refused connections counted" '"refused": *[1-9]' "$out"

# ---- the reply leaves from the address the query was sent to -----------

for a in 127.0.0.1 127.0.0.2; do
	out=$(python3 "$PROBE" udpsrc "$a" "$WPORT" 2>&1)
	st_eq "UDP wildcard listener: reply to a query for $a comes from $a ($out)" 0 $?
done

# ---- SIGHUP reload -------------------------------------------------------

cat >"$ST_DIR/two.zone" <<'EOF'
$ORIGIN two.test.
$TTL 300
@	IN	SOA	ns.two.test. hostmaster.two.test. 1 3600 600 86400 60
@	IN	NS	ns
ns	IN	A	192.0.2.1
h	IN	L64	10 2001:db8:1:2
EOF
TWO="  - domain: two.test.
    file: $ST_DIR/two.zone"
ILNP_TTL=30 write_conf "$TWO"
kill -HUP "$ILNPDNSD_PID"
wait_log_count "configuration reloaded" 1
st_eq "SIGHUP reloads the configuration" 0 $?
out=$(q 127.0.0.1 h.two.test. L64)
st_grep "reload: a new zone is imported and served" "^h\.two\.test\.[[:space:]]+30[[:space:]]+IN[[:space:]]+L64" "$out"
out=$(q 127.0.0.1 host1.daemon.test. L64)
st_grep "reload: the new ILNP TTL applies to a zone already held" \
	"^host1\.daemon\.test\.[[:space:]]+30[[:space:]]+IN[[:space:]]+L64" "$out"

cp "$CONF" "$ST_DIR/good.conf"
printf 'server:\n  listen: [\n' >"$CONF"
kill -HUP "$ILNPDNSD_PID"
wait_log_count "reload failed" 1
st_eq "a broken file is reported on reload" 0 $?
st_grep "reload error names file and line" "reload failed.*ilnpdnsd\.conf:[0-9]+:" "$(cat "$LOG")"
out=$(q 127.0.0.1 h.two.test. L64)
st_grep "after a failed reload the old configuration still serves" "status: NOERROR" "$out"
cp "$ST_DIR/good.conf" "$CONF"

# ---- SIGTERM -------------------------------------------------------------

kill -TERM "$ILNPDNSD_PID"
wait "$ILNPDNSD_PID"
st_eq "SIGTERM: exit status 0" 0 $?
st_forget "$ILNPDNSD_PID"
st_grep "SIGTERM: clean shutdown logged" "notice: stopped" "$(cat "$LOG")"

# ---- restart: the database, not the file, is the truth ------------------

sed -i 's/2024060101/2024060102/' "$ZONE"
printf 'added-later\tIN\tL64\t10 2001:db8:9:9\n' >>"$ZONE"
mv "$LOG" "$ST_DIR/first-run.log"
st_start_ilnpdnsd "$CONF"
st_nogrep "restart: no re-import of a zone the database holds" "imported" "$(cat "$LOG")"
out=$(q 127.0.0.1 added-later.daemon.test. L64)
st_grep "restart: a record added to the file afterwards is not served" "status: NXDOMAIN" "$out"
out=$(q 127.0.0.1 h.two.test. L64)
st_grep "restart: the zone imported on reload is still served" "status: NOERROR" "$out"
st_stop_ilnpdnsd

# ---- a port that another process holds is refused, not shared -----------

# Another server holding the port with SO_REUSEPORT (BIND and Knot do) must
# not be joined silently: traffic would be split between the two.
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
time.sleep(10)' "$PORT" &
holder=$!
ST_PIDS="$ST_PIDS $holder"
i=0 # wait until the holder has bound the port (python can be slow to start)
while ! ss -Hlun "sport = :$PORT" 2>/dev/null | grep -q . && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
timeout 10 "$ST_ILNPDNSD" -f -c "$CONF" >"$ST_DIR/inuse.log" 2>&1
st_eq "a listen address held by another process: start fails" 1 $?
st_grep "the log says the address is in use" "address already in use" "$(cat "$ST_DIR/inuse.log")"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
st_forget "$holder"

# ---- without -f: detach once ready, exit status tells -------------------

"$ST_ILNPDNSD" -c "$CONF" >"$ST_DIR/detach.log" 2>&1
st_eq "detached start: the parent exits 0 once the server is ready" 0 $?
dpid=$(sed -n 's/^ilnpdnsd\[\([0-9]*\)\]: notice: ilnpdnsd ready$/\1/p' "$ST_DIR/detach.log")
if [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null; then
	ST_PIDS="$ST_PIDS $dpid"
	st_pass "detached start: the daemon keeps running (pid $dpid)"
	out=$(q 127.0.0.1 +tcp host1.daemon.test. L64)
	st_grep "detached daemon answers" "status: NOERROR" "$out"
	kill -TERM "$dpid"
	i=0
	while kill -0 "$dpid" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$dpid/status" 2>/dev/null &&
		[ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	st_grep "detached daemon stops on SIGTERM" "notice: stopped" "$(cat "$ST_DIR/detach.log")"
	st_forget "$dpid"
else
	st_fail "detached start: no running daemon found ($(cat "$ST_DIR/detach.log"))"
fi
# A database path below a regular file cannot be created.
sed "s#database: .*#database: $ZONE/db#" "$CONF" >"$ST_DIR/nodb.conf"
"$ST_ILNPDNSD" -c "$ST_DIR/nodb.conf" >"$ST_DIR/nodb.log" 2>&1
st_eq "detached start: the parent exits 1 when the server cannot start" 1 $?
dpid=$(sed -n 's/^ilnpdnsd\[\([0-9]*\)\]: notice: ilnpdnsd ready$/\1/p' "$ST_DIR/nodb.log")
[ -n "$dpid" ] && ST_PIDS="$ST_PIDS $dpid" # started after all: the EXIT trap stops it

# ---- no -c: the built-in defaults of the quick start --------------------

# They name zones/... and var/... relative to the current directory: a copy of zones/ in a
# directory of the test's own. Port 5300 of the defaults lives in a network namespace of the
# test's own, so that nothing else on the machine can hold it or see it.
DEF="$ST_DIR/quick"
mkdir -p "$DEF/zones" "$ST_DIR/empty"
# The zone, the hosts file it includes ($INCLUDE) and the key file.
cp "$top_srcdir/zones/example.ilnp.zone" "$top_srcdir/zones/example.ilnp.hosts" \
	"$top_srcdir/zones/example.ilnp.keys" "$DEF/zones/"
chmod 600 "$DEF/zones/example.ilnp.keys"
out=$(cd "$DEF" && "$ST_ILNPDNSD" -n 2>&1)
st_eq "-n without -c checks the built-in defaults (exit)" 0 $?
st_grep "-n without -c says so" "configuration OK" "$out"
out=$(cd "$ST_DIR/empty" && "$ST_ILNPDNSD" -n 2>&1)
st_eq "-n without -c and without the example key file: exit 1" 1 $?
st_grep "and the message names the defaults and the file" \
	"built-in defaults: key-file: zones/example\\.ilnp\\.keys: " "$out"

NS="ilnpd$$"
ns_made=
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && ip netns add "$NS" 2>"$ST_DIR/netns.err"; then
	ns_made=1
	# The namespace goes after the daemons that the EXIT trap stops.
	trap 'rc=$?; for p in $ST_PIDS; do st_stop_pid "$p"; done; ST_PIDS=
		ip netns del "$NS" 2>/dev/null; (exit $rc); st_cleanup' EXIT
	ip netns exec "$NS" ip link set lo up
else
	st_fail "the built-in defaults need a network namespace (root, iproute2): $(cat \
		"$ST_DIR/netns.err" 2>/dev/null)"
fi
# in_ns CMD...: run CMD in the namespace.
in_ns() { ip netns exec "$NS" "$@"; }

# quick_start LOG [OPTION...]: ilnpdnsd -f [OPTION...] with no -c, in $DEF and the namespace
# (ip netns exec execs, so the pid is the daemon's). Sets QPID.
quick_start()
{
	local log=$1
	shift
	cd "$DEF" || return 1
	st_spawn "$log" ip netns exec "$NS" "$ST_ILNPDNSD" -f "$@"
	cd - >/dev/null || return 1
	QPID=$ST_PID
	st_wait_log "$QPID" "$log" "ilnpdnsd ready" 20
}

if [ -n "$ns_made" ]; then
	QLOG="$ST_DIR/quick.log"
	quick_start "$QLOG"
	st_eq "no -c: the daemon starts on the built-in defaults" 0 $?
	out=$(in_ns dig +norec +tries=1 +time=3 -p 5300 @127.0.0.1 host1.example.ilnp. L64 2>&1)
	st_grep "no -c: 127.0.0.1@5300 serves example.ilnp. (AA)" "flags: qr aa" "$out"
	ws='[[:space:]]+'
	st_grep "no -c: the L64 answer has TTL 0" \
		"^host1\\.example\\.ilnp\\.${ws}0${ws}IN${ws}L64${ws}10 2001:db8:1140:1000$" "$out"
	if in_ns ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/'; then
		out=$(in_ns dig +norec +tcp +tries=1 +time=3 -p 5300 @::1 mn.example.ilnp. NID 2>&1)
		st_grep "no -c: ::1@5300 serves over TCP" "status: NOERROR" "$out"
	fi
	st_eq "no -c: the database is created under ./var" 1 \
		"$([ -f "$DEF/var/ilnpdns/data.mdb" ] && echo 1)"
	st_eq "no -c: the control socket ./var/ilnpdns.sock is mode 0600" "srw-------" \
		"$(stat -c %A "$DEF/var/ilnpdns.sock" 2>&1)"
	out=$("$ST_CTL" -s "$DEF/var/ilnpdns.sock" status 2>&1)
	st_grep "no -c: status names the built-in defaults" "^config: built-in defaults$" "$out"
	st_grep "no -c: one worker per CPU" "^workers: $(nproc)$" "$out"
	# The default level is notice: no info or debug lines, and nothing for the queries.
	st_nogrep "no -c: no info lines at the default level" ': (info|debug): ' "$(cat "$QLOG")"
	st_nogrep "no -c: the queries logged nothing" 'query' "$(cat "$QLOG")"
	"$ST_CTL" -s "$DEF/var/ilnpdns.sock" stop >/dev/null
	st_stop_pid "$QPID"
	st_eq "no -c: stopped cleanly" 0 $?
	st_forget "$QPID"

	# -v: one level more (info), still nothing per query.
	QLOG="$ST_DIR/quick-v.log"
	quick_start "$QLOG" -v
	st_eq "-v: the daemon starts" 0 $?
	in_ns dig +norec +tries=1 +time=3 -p 5300 @127.0.0.1 host1.example.ilnp. L64 >/dev/null 2>&1
	st_grep "-v: info lines are logged" "info: [0-9]+ workers listening on 2 addresses" \
		"$(cat "$QLOG")"
	st_nogrep "-v: still no line per query" 'query' "$(cat "$QLOG")"
	st_stop_pid "$QPID"
	st_forget "$QPID"
fi

st_done
