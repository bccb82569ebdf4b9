#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# update-compare.sh -- signed RFC 2136 updates against ilnpdnsd, BIND and Knot in one run, as a table.
#
# usage: bench/update-compare.sh [--quick] [--count N] [--rounds N] [--hosts N]
#                                [--servers "ilnpdnsd named knotd"]
#
# Generates one zone (bench/zone-gen.sh), starts each server on its own
# loopback port with its own temporary directory and configuration, all with
# their durable defaults, runs the same `ilnpdns-bench update` against each
# (UDP, 1 and 16 updates in flight, 3 rounds, the servers' order alternating)
# and prints a markdown table of the medians over the rounds. --quick (for
# CI) is 200 updates, 1 round. Only the processes it started, by pid, are
# stopped. Find the build through $top_builddir, else ./build, else the
# current directory. Every wait is bounded.
set -eu

args=$*
count=2000
hosts=1000
rounds=3
servers="ilnpdnsd named knotd"
while [ $# -gt 0 ]; do
	case $1 in
	--quick) count=200; rounds=1 ;;
	--count) count=${2:?}; shift ;;
	--rounds) rounds=${2:?}; shift ;;
	--hosts) hosts=${2:?}; shift ;;
	--servers) servers=${2:?}; shift ;;
	-h | --help) sed -n '3,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "update-compare.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

for v in "$count" "$rounds" "$hosts"; do
	case $v in '' | *[!0-9]*) echo "update-compare.sh: not a number: $v" >&2; exit 2 ;; esac
done
[ "$rounds" -ge 1 ] && [ "$count" -ge 1 ] || { echo "update-compare.sh: --count and --rounds must be >= 1" >&2; exit 2; }

srcdir=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${top_builddir:-}" ]; then
	builddir=$top_builddir
elif [ -x "$srcdir/build/bench/ilnpdns-bench" ]; then
	builddir=$srcdir/build
elif [ -x ./build/bench/ilnpdns-bench ]; then
	builddir=$(pwd)/build
else
	builddir=$(pwd)
fi
BENCH=$builddir/bench/ilnpdns-bench
ILNPDNSD=$builddir/server/ilnpdnsd
[ -x "$BENCH" ] || { echo "update-compare.sh: $BENCH not built (set top_builddir)" >&2; exit 2; }
for s in $servers; do
	case $s in
	ilnpdnsd) [ -x "$ILNPDNSD" ] || { echo "update-compare.sh: $ILNPDNSD not built" >&2; exit 2; } ;;
	named | knotd) command -v $s >/dev/null 2>&1 ||
		{ echo "update-compare.sh: $s is not installed" >&2; exit 2; } ;;
	*) echo "update-compare.sh: unknown server $s" >&2; exit 2 ;;
	esac
done

ZONE=example.ilnp.
KEYNAME=bench-key
SECRET=$(head -c 32 /dev/urandom | base64)
KEY=hmac-sha256:$KEYNAME:$SECRET
BASE_PORT=${UPDATE_COMPARE_PORT:-25350}
TMP=$(mktemp -d /tmp/ilnpdns-update-compare.XXXXXX)
PIDS=

log()
{
	printf 'update-compare: %s\n' "$*" >&2
}

# Stop one process we started: TERM, up to 10 s, then KILL.
stop_pid()
{
	kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1" 2>/dev/null || true
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		log "pid $1 ignored TERM for 10 s, sending KILL"
		kill -KILL "$1" 2>/dev/null || true
	fi
	wait "$1" 2>/dev/null || true
}

cleanup()
{
	for p in $PIDS; do
		stop_pid "$p"
	done
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		log "kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

port_of()
{
	case $1 in
	ilnpdnsd) echo $BASE_PORT ;;
	named) echo $((BASE_PORT + 1)) ;;
	knotd) echo $((BASE_PORT + 2)) ;;
	esac
}

port_busy()
{
	ss -Hlnu "sport = :$1" 2>/dev/null | grep -q . ||
		ss -Hlnt "sport = :$1" 2>/dev/null | grep -q .
}

# Wait (at most 60 s) until the server answers the zone's SOA over UDP.
wait_ready()
{
	name=$1 port=$2 pid=$3
	i=0
	while [ $i -lt 600 ]; do
		kill -0 "$pid" 2>/dev/null || { log "$name exited; log:"; tail -20 "$TMP/$name/log" >&2; return 1; }
		if dig +time=1 +tries=1 +short -p "$port" @127.0.0.1 "$ZONE" SOA 2>/dev/null |
			grep -q .; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	log "$name did not answer on port $port within 60 s"
	return 1
}

start_ilnpdnsd()
{
	d=$TMP/ilnpdnsd port=$1
	mkdir -p "$d"
	cp "$TMP/zone" "$d/example.ilnp.zone"
	# Durable defaults: every update is committed (LMDB, fsync) before its
	# NOERROR; concurrent updates share a commit (group commit).
	cat >"$d/ilnpdnsd.yaml" <<EOF
server:
  listen: [ "127.0.0.1@$port" ]
  database: $d/db
  control: $d/ctl.sock
  log-level: warning
key:
  - id: $KEYNAME
    algorithm: hmac-sha256
    secret: "$SECRET"
zone:
  - domain: $ZONE
    file: $d/example.ilnp.zone
    update-policy:
      - grant $KEYNAME subdomain $ZONE ANY
EOF
	"$ILNPDNSD" -f -c "$d/ilnpdnsd.yaml" >"$d/log" 2>&1 &
	LASTPID=$!
}

start_named()
{
	d=$TMP/named port=$1
	mkdir -p "$d"
	cp "$TMP/zone" "$d/example.ilnp.zone"
	# Durable defaults: BIND writes each update to the zone's journal
	# (.jnl) and syncs it before answering; nothing here changes that.
	cat >"$d/named.conf" <<EOF
options {
	directory "$d";
	pid-file "$d/named.pid";
	listen-on port $port { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	notify no;
	dnssec-validation no;
};
controls { };
key "$KEYNAME" {
	algorithm hmac-sha256;
	secret "$SECRET";
};
zone "$ZONE" {
	type primary;
	file "$d/example.ilnp.zone";
	journal "$d/example.ilnp.zone.jnl";
	update-policy { grant $KEYNAME zonesub ANY; };
};
EOF
	named -g -c "$d/named.conf" >"$d/log" 2>&1 &
	LASTPID=$!
}

start_knotd()
{
	d=$TMP/knotd port=$1
	mkdir -p "$d/storage"
	cp "$TMP/zone" "$d/storage/example.ilnp.zone"
	# Durable defaults: each update is stored in the journal (LMDB,
	# journal-db-mode robust, i.e. synced) before the answer;
	# zonefile-sync -1 only keeps the zone file itself unflushed.
	cat >"$d/knot.conf" <<EOF
server:
  listen: 127.0.0.1@$port
  rundir: $d
log:
  - target: stderr
    any: warning
database:
  storage: $d/storage
key:
  - id: $KEYNAME
    algorithm: hmac-sha256
    secret: $SECRET
acl:
  - id: bench-update
    key: $KEYNAME
    action: update
zone:
  - domain: $ZONE
    storage: $d/storage
    file: example.ilnp.zone
    acl: bench-update
    zonefile-sync: -1
EOF
	knotd -c "$d/knot.conf" >"$d/log" 2>&1 &
	LASTPID=$!
}

# One benchmark run: bench SERVER OUTSTANDING ROUND -> JSON in $TMP/result.SERVER.OUTSTANDING.ROUND
bench()
{
	s=$1 c=$2 n=$3 port=$(port_of "$1")
	out=$TMP/result.$s.$c.$n
	log "round $n: $s, $count updates, $c outstanding"
	if ! "$BENCH" update -s "127.0.0.1@$port" -z "$ZONE" -y "$KEY" -n "$count" -c "$c" \
		--visible-sample 10 --json >"$out" 2>"$out.err"; then
		log "$s (-c $c): not every update got a verified NOERROR (see the table)"
		cat "$out.err" >&2
	fi
}

# field FILE KEY: a number or string from the one-key-per-line JSON.
field()
{
	sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$1"
}

# med SERVER OUTSTANDING KEY: the median of KEY over the rounds (the lower
# middle for an even count), empty when no round produced a result.
med()
{
	for f in "$TMP"/result.$1.$2.*; do
		case $f in *.err) continue ;; esac
		[ -s "$f" ] && field "$f" "$3"
	done | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

# sum SERVER OUTSTANDING KEY: KEY added up over the rounds.
sum()
{
	for f in "$TMP"/result.$1.$2.*; do
		case $f in *.err) continue ;; esac
		[ -s "$f" ] && field "$f" "$3"
	done | awk '{ t += $1 } END { print t + 0 }'
}

sh "$srcdir/bench/zone-gen.sh" "$hosts" >"$TMP/zone"

for s in $servers; do
	port=$(port_of "$s")
	if port_busy "$port"; then
		log "port $port is in use (set UPDATE_COMPARE_PORT)"
		exit 1
	fi
	start_$s "$port"
	pid=$LASTPID
	PIDS="$PIDS $pid"
	wait_ready "$s" "$port" "$pid" || exit 1
	log "$s ready on 127.0.0.1@$port (pid $pid)"
done

# Alternate the order from pass to pass so that no server always runs
# first (cold caches) or last.
order=$servers
reversed=
for s in $servers; do reversed="$s $reversed"; done
for c in 1 16; do
	n=1
	while [ $n -le $rounds ]; do
		for s in $order; do
			bench "$s" "$c" "$n"
		done
		if [ "$order" = "$servers" ]; then order=$reversed; else order=$servers; fi
		n=$((n + 1))
	done
done

# The table.
ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'
}

echo
echo "### Signed updates (TSIG hmac-sha256, UDP, $count updates per run, $hosts-host zone, median of $rounds round(s))"
echo
echo "Durable defaults everywhere, no syncing turned off:"
echo "ilnpdnsd: LMDB commit synced before each NOERROR (strace: 1 fdatasync of the data, then the meta page written through an O_DSYNC descriptor: 2 flushes per commit), concurrent updates share a commit (group commit);"
echo "BIND $(named -v | awk '{ print $2 }'): journal (.jnl) written and fsynced before each answer (strace: 2 fsync per update);"
echo "Knot $(knotd --version | awk '{ print $NF }'): journal in LMDB, journal-db-mode robust (strace: 1 fdatasync per update plus LMDB's O_DSYNC meta-page write), zonefile-sync -1."
echo "Visible: for every 10th update, UDP queries for its L64 in a tight loop from the send until the new value shows."
echo
echo "| server | in flight | updates/s | vs BIND | vs Knot | ack p50 ms | ack p99 ms | visible median ms | visible p99 ms | NOERROR->visible median ms | NOERROR/sent |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for c in 1 16; do
	for s in $servers; do
		ups=$(med "$s" "$c" updates_per_s)
		if [ -z "$ups" ]; then
			echo "| $s | $c | failed | | | | | | | | |"
			continue
		fi
		noerror=$(sum "$s" "$c" noerror) sent=$(sum "$s" "$c" sent) note=
		if [ "$noerror" != "$sent" ]; then
			note=" (TSIG failures $(sum "$s" "$c" tsig_failures), lost $(sum "$s" "$c" lost); rcodes:"
			note="$note $(sed -n 's/^  "rcodes": {\(.*\)},$/\1/p' "$TMP"/result.$s.$c.[0-9]* | tr -d '"' | tr '\n' ' '))"
		fi
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s/%s%s |\n' \
			"$s" "$c" "$ups" \
			"$(ratio "$ups" "$(med named "$c" updates_per_s)")" \
			"$(ratio "$ups" "$(med knotd "$c" updates_per_s)")" \
			"$(med "$s" "$c" ack_p50_ms)" "$(med "$s" "$c" ack_p99_ms)" \
			"$(med "$s" "$c" visible_p50_ms)" "$(med "$s" "$c" visible_p99_ms)" \
			"$(med "$s" "$c" ack_to_visible_p50_ms)" \
			"$noerror" "$sent" "$note"
	done
done
echo
echo "Machine: $(nproc) cores, $(uname -sr); $(date -u +%Y-%m-%dT%H:%MZ); command: bench/update-compare.sh $args"
