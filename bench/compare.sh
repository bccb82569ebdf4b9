#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# compare.sh -- ilnpdnsd, NSD, Knot and BIND on the same zone, one core each: a markdown table and plots.
#
# usage: bench/compare.sh [--quick] [--hosts N] [--rounds N] [--duration S]
#                         [--servers "ilnpdnsd nsd knotd named"] [--out DIR]
#
# For each zone size (10,000 hosts; in full mode also 1,000,000; --hosts N
# instead: only N), bench/zone-gen.sh makes one zone (NID, L64, LP, AAAA
# per host, TTL 0 on the ILNP types) that every server serves from its own
# loopback port and scratch directory. Each server runs with ONE worker
# pinned to core 0 (taskset -c 0), the generator (ilnpdns-bench) is pinned
# to core 1. Per round and server: start it and time the first answer (cold
# start; ilnpdnsd's database is imported once beforehand, the peers load
# their zone files as they do at every start), a closed-loop UDP query run
# with a realistic mix (40% L64, 20% NID, 20% AAAA, 10% LP, 10% NXDOMAIN),
# resident memory after the load, TSIG-signed updates (ilnpdnsd, Knot,
# BIND: updates/s and update-to-visible latency), stop it. The order of the
# servers alternates from round to round. Each round also measures the
# generator's own ceiling against `ilnpdns-bench responder` pinned the same
# way. Prints a markdown table of the medians and ratios; with --out DIR it
# also writes DIR/compare.md, and in full mode gnuplot PNGs to DIR.
# Full: 3 rounds of 10 s; --quick (CI): 10,000 hosts, 1 round of 5 s, no
# plots, Table VI at TTL 0 only. Only processes this script started are
# stopped, by pid; every wait is bounded. Build: $top_builddir, else
# ./build, else the current directory.
set -eu

args=$*
quick=0
sizes="10000 1000000"
rounds=3
duration=10
ucount=2000
lcount=500
servers="ilnpdnsd nsd knotd named"
out=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--hosts) sizes=${2:?}; shift ;;
	--rounds) rounds=${2:?}; shift ;;
	--duration) duration=${2:?}; shift ;;
	--servers) servers=${2:?}; shift ;;
	--out) out=${2:?}; shift ;;
	-h | --help) sed -n '3,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "compare.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
if [ $quick = 1 ]; then
	case " $args " in *" --hosts "*) ;; *) sizes=10000 ;; esac
	case " $args " in *" --rounds "*) ;; *) rounds=1 ;; esac
	case " $args " in *" --duration "*) ;; *) duration=5 ;; esac
	ucount=200
	lcount=100
fi
for v in $sizes "$rounds" "$duration"; do
	case $v in '' | *[!0-9]*) echo "compare.sh: not a number: $v" >&2; exit 2 ;; esac
done
[ "$rounds" -ge 1 ] && [ "$duration" -ge 1 ] || { echo "compare.sh: --rounds and --duration must be >= 1" >&2; exit 2; }

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
[ -x "$BENCH" ] || { echo "compare.sh: $BENCH not built (set top_builddir)" >&2; exit 2; }
for s in $servers; do
	case $s in
	ilnpdnsd) [ -x "$ILNPDNSD" ] || { echo "compare.sh: $ILNPDNSD not built" >&2; exit 2; } ;;
	nsd | knotd | named) command -v $s >/dev/null 2>&1 ||
		{ echo "compare.sh: $s is not installed" >&2; exit 2; } ;;
	*) echo "compare.sh: unknown server $s" >&2; exit 2 ;;
	esac
done

# One core for the server, another for the generator.
SCORE=0 GCORE=1
if [ "$(nproc)" -lt 2 ]; then
	GCORE=0
	echo "compare.sh: one CPU only: server and generator share it" >&2
fi

ZONE=example.ilnp.
KEYNAME=bench-key
SECRET=$(head -c 32 /dev/urandom | base64)
KEY=hmac-sha256:$KEYNAME:$SECRET
BASE_PORT=${COMPARE_PORT:-25450}
TMP=$(mktemp -d /tmp/ilnpdns-compare.XXXXXX)
PIDS=

log()
{
	printf 'compare: %s\n' "$*" >&2
}

# Stop one process we started: TERM, up to 20 s, then KILL.
stop_pid()
{
	kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null || true; return 0; }
	kill -TERM "$1" 2>/dev/null || true
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		log "pid $1 ignored TERM for 20 s, sending KILL"
		kill -KILL "$1" 2>/dev/null || true
	fi
	wait "$1" 2>/dev/null || true
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
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
	nsd) echo $((BASE_PORT + 1)) ;;
	knotd) echo $((BASE_PORT + 2)) ;;
	named) echo $((BASE_PORT + 3)) ;;
	responder) echo $((BASE_PORT + 4)) ;;
	esac
}

port_busy()
{
	ss -Hlnu "sport = :$1" 2>/dev/null | grep -q . ||
		ss -Hlnt "sport = :$1" 2>/dev/null | grep -q .
}

now_ms()
{
	echo $(($(date +%s%N) / 1000000))
}

# ready PORT: one query for the last host's L64 answered NOERROR?
ready()
{
	"$BENCH" query -s "127.0.0.1@$1" -f "$TMP/ready.q" -n 1 -c 1 --conns 1 --timeout 5 \
		--csv 2>/dev/null | awk -F, 'NR == 2 && $17 == 1 { ok = 1 } END { exit !ok }'
}

# wait_ready NAME PORT PID: poll (bounded: 600 s) until the first answer.
wait_ready()
{
	name=$1 port=$2 pid=$3 end=$(($(now_ms) + 600000))
	while [ "$(now_ms)" -lt $end ]; do
		ready "$port" && return 0
		kill -0 "$pid" 2>/dev/null || { log "$name exited; log:"; tail -20 "$TMP/$name.log" >&2; return 1; }
	done
	log "$name gave no answer on port $port within 600 s"
	return 1
}

conf_ilnpdnsd()
{
	d=$TMP/ilnpdnsd.$hosts
	mkdir -p "$d"
	cat >"$d/ilnpdnsd.yaml" <<EOF
server:
  listen: [ "127.0.0.1@$1" ]
  database: $d/db
  control: $d/ctl.sock
  workers: 1
  log-level: warning
key:
  - id: $KEYNAME
    algorithm: hmac-sha256
    secret: "$SECRET"
zone:
  - domain: $ZONE
    file: $TMP/zone.$hosts
    update-policy:
      - grant $KEYNAME subdomain $ZONE ANY
EOF
}

start_ilnpdnsd()
{
	taskset -c $SCORE "$ILNPDNSD" -f -c "$TMP/ilnpdnsd.$hosts/ilnpdnsd.yaml" >"$TMP/ilnpdnsd.log" 2>&1 &
	LASTPID=$!
}

start_nsd()
{
	d=$TMP/nsd
	rm -rf "$d"
	mkdir -p "$d"
	cp "$TMP/zone.$hosts" "$d/example.ilnp.zone"
	# RRL off (it limits each source to 200 answers/s by default): the
	# generator is one source. No nsd.db: the zone file is read at start.
	cat >"$d/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1@$1
  do-ip6: no
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$d"
  database: ""
  zonelistfile: "$d/zone.list"
  xfrdfile: "$d/xfrd.state"
  xfrdir: "$d"
  pidfile: "$d/nsd.pid"
  logfile: "$TMP/nsd.log"
  verbosity: 0
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: $ZONE
  zonefile: "$d/example.ilnp.zone"
EOF
	taskset -c $SCORE nsd -d -c "$d/nsd.conf" >>"$TMP/nsd.log" 2>&1 &
	LASTPID=$!
}

start_knotd()
{
	d=$TMP/knotd
	rm -rf "$d"
	mkdir -p "$d/storage"
	cp "$TMP/zone.$hosts" "$d/storage/example.ilnp.zone"
	cat >"$d/knot.conf" <<EOF
server:
  listen: 127.0.0.1@$1
  rundir: $d
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
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
	taskset -c $SCORE knotd -c "$d/knot.conf" >"$TMP/knotd.log" 2>&1 &
	LASTPID=$!
}

start_named()
{
	d=$TMP/named
	rm -rf "$d"
	mkdir -p "$d"
	cp "$TMP/zone.$hosts" "$d/example.ilnp.zone"
	cat >"$d/named.conf" <<EOF
options {
	directory "$d";
	pid-file "$d/named.pid";
	listen-on port $1 { 127.0.0.1; };
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
	taskset -c $SCORE named -g -n 1 -c "$d/named.conf" >"$TMP/named.log" 2>&1 &
	LASTPID=$!
}

# mem PID -> "VmRSS_MiB PSS_MiB": VmRSS of the largest process of the
# server's tree, and the proportional set size of the whole tree (NSD forks
# its serving process: their shared zone pages are counted once there).
mem()
{
	tree="$1 $(pgrep -P "$1" 2>/dev/null | tr '\n' ' ')"
	rss=0 pss=0
	for p in $tree; do
		r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)
		q=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
		[ "${r:-0}" -gt $rss ] && rss=$r
		pss=$((pss + ${q:-0}))
	done
	awk -v r="$rss" -v p="$pss" 'BEGIN { printf "%.1f %.1f\n", r / 1024, p / 1024 }'
}

# One round of one server: cold start, queries, memory, updates, stop.
run_server()
{
	s=$1 n=$2 port=$(port_of "$1") pfx=$TMP/res.$hosts.$1.$2
	if port_busy "$port"; then
		log "port $port is in use (set COMPARE_PORT)"
		exit 1
	fi
	t0=$(now_ms)
	start_$s "$port"
	pid=$LASTPID
	PIDS="$PIDS $pid"
	wait_ready "$s" "$port" "$pid" || exit 1
	echo $(($(now_ms) - t0)) >"$pfx.cold"
	log "$hosts hosts, round $n: $s (pid $pid) answered $(cat "$pfx.cold") ms after start; querying for $duration s"
	taskset -c $GCORE "$BENCH" query -s "127.0.0.1@$port" -f "$TMP/mix.$hosts.q" -d "$duration" \
		-c 100 --json >"$pfx.q" 2>"$pfx.q.err" || log "$s: queries lost (see the table)"
	mem "$pid" >"$pfx.mem"
	if [ "$s" != nsd ]; then
		taskset -c $GCORE "$BENCH" update -s "127.0.0.1@$port" -z "$ZONE" -y "$KEY" -n "$ucount" \
			-c 16 --visible-sample 10 --json >"$pfx.u" 2>"$pfx.u.err" ||
			log "$s: not every update got a verified NOERROR (see the table)"
		# Latency on its own: one update at a time, every one probed, so
		# update->visible is not the queueing of the throughput run.
		taskset -c $GCORE "$BENCH" update -s "127.0.0.1@$port" -z "$ZONE" -y "$KEY" -n "$lcount" \
			-c 1 --visible-sample 1 --json >"$pfx.l" 2>"$pfx.l.err" ||
			log "$s: not every single update got a verified NOERROR (see the table)"
	fi
	stop_pid "$pid"
}

run_ceiling()
{
	n=$1 port=$(port_of responder)
	taskset -c $SCORE "$BENCH" responder -l "127.0.0.1@$port" -d $((duration + 60)) 2>/dev/null &
	pid=$!
	PIDS="$PIDS $pid"
	i=0
	while ! ready "$port" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	taskset -c $GCORE "$BENCH" query -s "127.0.0.1@$port" -f "$TMP/mix.$hosts.q" -d "$duration" \
		-c 100 --json >"$TMP/res.$hosts.responder.$n.q" 2>/dev/null || true
	stop_pid "$pid"
}

# field FILE KEY: a number or string from the one-key-per-line JSON.
field()
{
	sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$1"
}

# med SIZE SERVER EXT KEY: median over the rounds (lower middle for an even count).
med()
{
	for f in "$TMP"/res.$1.$2.*.$3; do
		[ -s "$f" ] || continue
		case $4 in
		cold) cat "$f" ;;
		rss) awk '{ print $1 }' "$f" ;;
		pss) awk '{ print $2 }' "$f" ;;
		*) field "$f" "$4" ;;
		esac
	done | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

# sum SIZE SERVER EXT KEY over the rounds.
sum()
{
	for f in "$TMP"/res.$1.$2.*.$3; do
		[ -s "$f" ] && field "$f" "$4"
	done | awk '{ t += $1 } END { print t + 0 }'
}

ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'
}

or_dash()
{
	if [ -n "$1" ]; then echo "$1"; else echo "-"; fi
}

# The realistic mix over N hosts, 100,000 queries (used round and round).
make_queries()
{
	awk -v n="$1" 'BEGIN {
		srand(42);
		for (i = 0; i < 100000; i++) {
			h = int(rand() * n); r = rand();
			if (r < 0.4) t = "L64"; else if (r < 0.6) t = "NID";
			else if (r < 0.8) t = "AAAA"; else if (r < 0.9) t = "LP"; else t = "NX";
			if (t == "NX") printf "nx%d.example.ilnp. L64\n", h;
			else printf "h%d.example.ilnp. %s\n", h, t;
		}
	}'
}

table()
{
	h=$1
	echo
	echo "### $h hosts: median of $rounds round(s), $duration s of queries per run"
	echo
	echo "| server | queries/s | vs NSD | vs Knot | p50 ms | p99 ms | lost | signed updates/s | vs BIND | update->visible median ms, 1 in flight | same, 16 in flight | cold start ms | VmRSS MiB | PSS MiB |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	for s in $servers; do
		q=$(med "$h" "$s" q queries_per_s)
		if [ -z "$q" ]; then
			echo "| $s | failed | | | | | | | | | | | | |"
			continue
		fi
		u=$(med "$h" "$s" u updates_per_s)
		unote=
		if [ "$s" != nsd ] && [ -n "$u" ]; then
			ne=$(sum "$h" "$s" u noerror) se=$(sum "$h" "$s" u sent)
			[ "$ne" = "$se" ] || unote=" ($ne/$se NOERROR)"
		fi
		printf '| %s | %.0f | %s | %s | %s | %s | %s | %s%s | %s | %s | %s | %s | %s | %s |\n' \
			"$s" "$q" \
			"$(ratio "$q" "$(med "$h" nsd q queries_per_s)")" \
			"$(ratio "$q" "$(med "$h" knotd q queries_per_s)")" \
			"$(med "$h" "$s" q p50_ms)" "$(med "$h" "$s" q p99_ms)" \
			"$(sum "$h" "$s" q lost)" \
			"$(or_dash "$u")" "$unote" \
			"$(ratio "$u" "$(med "$h" named u updates_per_s)")" \
			"$(or_dash "$(med "$h" "$s" l visible_p50_ms)")" \
			"$(or_dash "$(med "$h" "$s" u visible_p50_ms)")" \
			"$(med "$h" "$s" cold cold)" \
			"$(med "$h" "$s" mem rss)" "$(med "$h" "$s" mem pss)"
	done
	q=$(med "$h" responder q queries_per_s)
	printf '| generator ceiling (trivial responder) | %.0f | | | %s | %s | %s | | | | | | | |\n' \
		"${q:-0}" "$(med "$h" responder q p50_ms)" "$(med "$h" responder q p99_ms)" \
		"$(sum "$h" responder q lost)"
	echo
	echo "ilnpdnsd: one-off import of the zone file into its database took $(cat "$TMP/import.$h") ms (not part of the cold start)."
}

# Data files and PNGs (full mode with --out only).
plots()
{
	command -v gnuplot >/dev/null 2>&1 || { log "gnuplot not installed: no plots (apt-get install gnuplot-nox)"; return 0; }
	for h in $sizes; do
		: >"$TMP/plot.$h.dat"
		for s in $servers responder; do
			printf '%s %s %s %s %s %s %s\n' "$s" \
				"$(or_dash "$(med "$h" "$s" q queries_per_s)")" \
				"$(or_dash "$(med "$h" "$s" q p50_ms)")" "$(or_dash "$(med "$h" "$s" q p99_ms)")" \
				"$(or_dash "$(med "$h" "$s" cold cold)")" "$(or_dash "$(med "$h" "$s" mem pss)")" \
				"$(or_dash "$(med "$h" "$s" u updates_per_s)")" >>"$TMP/plot.$h.dat"
		done
		cp "$TMP/plot.$h.dat" "$out/compare-$h.dat"
		gnuplot <<EOF
set terminal pngcairo size 900,500 noenhanced
set datafile missing "-"
set style data histograms
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set yrange [0:*]
set key top left
set output "$out/queries-$h.png"
set title "Queries/s, one server core, $h hosts (median of $rounds)"
plot "$TMP/plot.$h.dat" using 2:xtic(1) title "queries/s"
set output "$out/latency-$h.png"
set title "Query latency under closed-loop load (100 in flight), $h hosts"
set ylabel "ms"
plot "$TMP/plot.$h.dat" using 3:xtic(1) title "p50", "" using 4 title "p99"
set output "$out/coldstart-$h.png"
set title "Process start to first answer, $h hosts"
set ylabel "ms (log)"
set logscale y
set yrange [1:*]
plot "$TMP/plot.$h.dat" every ::0::3 using 5:xtic(1) title "cold start"
unset logscale y
set yrange [0:*]
set key top left
set output "$out/memory-$h.png"
set title "Memory after the query load (PSS of the server's processes), $h hosts"
set ylabel "MiB"
plot "$TMP/plot.$h.dat" every ::0::3 using 6:xtic(1) title "PSS"
set output "$out/updates-$h.png"
set title "TSIG-signed updates/s (16 in flight, durable), $h hosts"
set ylabel "updates/s"
plot "$TMP/plot.$h.dat" every ::0::3 using 7:xtic(1) title "updates/s"
EOF
	done
}

printf '%s L64\n' "h0.$ZONE" >"$TMP/ready.q"
started=$(now_ms)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for hosts in $sizes; do
	log "generating the $hosts-host zone and queries"
	sh "$srcdir/bench/zone-gen.sh" "$hosts" >"$TMP/zone.$hosts"
	make_queries "$hosts" >"$TMP/mix.$hosts.q"
	printf '%s L64\n' "h$((hosts - 1)).$ZONE" >"$TMP/ready.q"
	# ilnpdnsd's one-off import: a first start with an empty database.
	case " $servers " in
	*" ilnpdnsd "*)
		conf_ilnpdnsd "$(port_of ilnpdnsd)"
		t0=$(now_ms)
		start_ilnpdnsd
		pid=$LASTPID
		PIDS="$PIDS $pid"
		wait_ready ilnpdnsd "$(port_of ilnpdnsd)" "$pid" || exit 1
		echo $(($(now_ms) - t0)) >"$TMP/import.$hosts"
		stop_pid "$pid"
		log "ilnpdnsd imported $hosts hosts in $(cat "$TMP/import.$hosts") ms"
		;;
	*) echo - >"$TMP/import.$hosts" ;;
	esac
	order=$servers
	reversed=
	for s in $servers; do reversed="$s $reversed"; done
	n=1
	while [ $n -le "$rounds" ]; do
		run_ceiling $n
		for s in $order; do
			run_server "$s" $n
		done
		if [ "$order" = "$servers" ]; then order=$reversed; else order=$servers; fi
		n=$((n + 1))
	done
	# Table VI's rates against ilnpdnsd on this zone.
	case " $servers " in
	*" ilnpdnsd "*)
		start_ilnpdnsd
		pid=$LASTPID
		PIDS="$PIDS $pid"
		wait_ready ilnpdnsd "$(port_of ilnpdnsd)" "$pid" || exit 1
		if [ $quick = 1 ]; then t6="--ttl 0 -d 1 --max-duration 3"; else t6="-d 5 --max-duration $duration"; fi
		# shellcheck disable=SC2086
		taskset -c $GCORE "$BENCH" table6 -s "127.0.0.1@$(port_of ilnpdnsd)" -f "$TMP/mix.$hosts.q" \
			$t6 >"$TMP/table6.$hosts" 2>&1 || log "table6: queries lost at a Table VI rate"
		stop_pid "$pid"
		;;
	esac
done

report()
{
	echo "## ilnpdnsd, NSD, Knot and BIND side by side"
	echo
	echo "One worker each on core $SCORE (ilnpdnsd workers: 1, NSD server-count: 1, Knot udp/tcp/background-workers: 1, BIND -n 1), ilnpdns-bench on core $GCORE."
	echo "Queries: closed loop, 100 in flight over 4 UDP sockets, mix 40% L64, 20% NID, 20% AAAA, 10% LP, 10% NXDOMAIN over all hosts."
	echo "Updates: TSIG hmac-sha256 over UDP, 16 in flight, $ucount per run, durable defaults; update->visible = send until a UDP query shows the new L64 (every 10th update); the latency run: $lcount updates one at a time, every one probed."
	echo "Cold start: process start to the first NOERROR answer for the last host (ilnpdnsd: existing database; peers: loading their zone file)."
	echo "Memory: after the query load; VmRSS of the largest server process, PSS summed over the server's processes."
	for h in $sizes; do
		table "$h"
		if [ -s "$TMP/table6.$h" ]; then
			echo
			echo "#### Table VI query rates against ilnpdnsd, $h hosts"
			echo
			cat "$TMP/table6.$h"
		fi
	done
	echo
	echo "Servers: NSD $(nsd -v 2>&1 | awk 'NR == 1 { print $3 }'), Knot $(knotd --version | awk '{ print $NF }'), BIND $(named -v | awk '{ print $2 }'), ilnpdnsd $(cd "$srcdir" && git rev-parse --short HEAD 2>/dev/null || echo '?') (+ working tree)."
	echo "Machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -sr); load average before the run: $LOAD0."
	echo "Run: $(date -u +%Y-%m-%dT%H:%MZ), $((($(now_ms) - started) / 1000)) s; command: bench/compare.sh $args"
}

if [ -n "$out" ]; then
	mkdir -p "$out"
	report | tee "$out/compare.md"
	[ $quick = 1 ] || plots
else
	report
fi
