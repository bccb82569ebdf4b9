#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# failover.sh -- the paper's failover experiment on the rendezvous: namespaces, ilnpdnsd,
# ilnpdns-locmgr and ilnpdns-bench failover, with a markdown table, CSV and JSON as results.
#
#   namespace H (host)                         namespace S (server)
#     up1  fd00:1::10/64  <--- veth --->  s1  fd00:1::1/64
#     up2  fd00:2::10/64  <--- veth --->  s2  fd00:2::1/64
#                                          lo  fd00:99::53  ilnpdnsd, port 53
#                                          lo  fd00:99::1   impairment relay (ilnpdns-bench)
#
# ilnpdns-locmgr in H sends its updates to the relay, which delays and drops them (and the
# answers) before the server; ilnpdns-bench failover in S moves H's address between up1
# and up2 and queries the server directly every millisecond. Needs root (network
# namespaces); exits 77 when they cannot be made, 1 when a failover did not converge or an
# answer was stale, 2 on a usage or set-up error. Everything made here goes on exit.
set -u

usage()
{
	cat <<'EOF'
usage: bench/failover.sh [--quick] [--runs N] [--interval-ms MS] [--delays MS,..] [--losses PCT,..]
                         [--seed N] [--out DIR] [--builddir DIR] [--keep]
  Full mode: 20 failovers per condition, 2000 ms apart, one-way delay 0,10,100 ms x loss
  0,5,10 %. --quick (CI): 3 failovers per condition, 500 ms apart. Results go to DIR
  (default ./failover-results): failover.md, failover.csv, failover.json. --builddir is
  where ilnpdnsd, ilnpdns-locmgr and ilnpdns-bench were built (default: the current
  directory, or $ILNPDNS_BUILDDIR). --keep keeps the work directory (configs, logs).
EOF
}

RUNS=20
INTERVAL=2000
DELAYS=0,10,100
LOSSES=0,5,10
SEED=1
OUT=./failover-results
BUILDDIR=${ILNPDNS_BUILDDIR:-$(pwd)}
KEEP=
ARGS="$*"
while [ $# -gt 0 ]; do
	case $1 in
	--quick) RUNS=3 INTERVAL=500 ;;
	--runs) RUNS=$2; shift ;;
	--interval-ms) INTERVAL=$2; shift ;;
	--delays) DELAYS=$2; shift ;;
	--losses) LOSSES=$2; shift ;;
	--seed) SEED=$2; shift ;;
	--out) OUT=$2; shift ;;
	--builddir) BUILDDIR=$2; shift ;;
	--keep) KEEP=1 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift || { usage >&2; exit 2; }
done

say() { printf 'failover.sh: %s\n' "$*" >&2; }
# The topology and config writers shared with the locator manager tests (H, S, nt_*).
. "$(dirname "$0")/../tests/system/netns.sh" || exit 2

SERVER_BIN="$BUILDDIR/server/ilnpdnsd"
LOCMGR_BIN="$BUILDDIR/updater/ilnpdns-locmgr"
BENCH_BIN="$BUILDDIR/bench/ilnpdns-bench"
for p in "$SERVER_BIN" "$LOCMGR_BIN" "$BENCH_BIN"; do
	[ -x "$p" ] || { say "$p not built (run make, or give --builddir)"; exit 2; }
done
for t in ip tsig-keygen; do
	command -v "$t" >/dev/null 2>&1 || { say "$t is not installed"; exit 2; }
done
if [ "$(id -u)" != 0 ]; then
	say "cannot create network namespaces: not root (uid $(id -u))"
	exit 77
fi
mkdir -p "$OUT" || exit 2
OUT=$(cd "$OUT" && pwd)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ilnpdns-failover.XXXXXX") || exit 2
NSH="fobh$$"
NSS="fobs$$"
NS_MADE=
PIDS=
SRV=$NT_SRV
RELAY=fd00:99::1

# Stop what we started (by pid), then anything left in our own namespaces, then the namespaces.
cleanup()
{
	local p n i
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $PIDS; do
		for i in $(seq 1 30); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PIDS=
	for n in $NS_MADE; do
		for p in $(ip netns pids "$n" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$n" 2>/dev/null
	done
	NS_MADE=
	if [ -n "$KEEP" ]; then
		say "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap 'rc=$?; cleanup; exit $rc' EXIT
trap 'say "interrupted"; exit 130' INT TERM HUP

if ! ip netns add "$NSH" 2>"$WORK/netns.err"; then
	say "cannot create network namespaces: $(cat "$WORK/netns.err")"
	exit 77
fi
NS_MADE="$NSH"
if ! ip netns add "$NSS" 2>"$WORK/netns.err"; then
	say "cannot create network namespaces: $(cat "$WORK/netns.err")"
	exit 77
fi
NS_MADE="$NSH $NSS"

# No duplicate address detection on these links: a tentative link-local address delays
# neighbour discovery on the first packets to a new locator by a second or more.
for n in "$NSH" "$NSS"; do
	ip netns exec "$n" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
done
if ! nt_links "$WORK/veth.err"; then
	say "cannot create veth pairs: $(cat "$WORK/veth.err")"
	exit 77
fi
S ip -6 addr add "$SRV/128" dev lo
S ip -6 addr add "$RELAY/128" dev lo
# onlink: the routes stay while their uplink has no address of its own.
H ip -6 route add fd00:99::/64 via fd00:1::1 dev up1 metric 10 onlink
H ip -6 route add fd00:99::/64 via fd00:2::1 dev up2 metric 20 onlink
nt_wait_carrier 40 || { say "the uplinks have no carrier"; exit 2; }

# --- the server ---------------------------------------------------------------
SECRET=$(nt_key "$WORK/fo.key" fo-key.) || exit 2
nt_zone "$WORK/zone.db"
nt_ilnpdnsd_conf "$WORK" 1 "$WORK/fo.key" fo-key. mn.example.ilnp.
S "$SERVER_BIN" -f -c "$WORK/ilnpdnsd.yaml" >"$WORK/ilnpdnsd.log" 2>&1 &
PIDS="$PIDS $!"
SERVER_PID=$!
i=0
until grep -q "ilnpdnsd ready" "$WORK/ilnpdnsd.log" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -ge 60 ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
		say "ilnpdnsd did not start:"
		tail -n 20 "$WORK/ilnpdnsd.log" >&2
		exit 2
	fi
	sleep 0.25
done

# --- the manager (started by ilnpdns-bench, once per condition) -----------------
nt_locmgr_conf "$WORK/locmgr.yaml" mn.example.ilnp. host "$RELAY@53" fo-key. "$SECRET" 2 1
cat >>"$WORK/locmgr.yaml" <<EOF
daemon:
  control: $WORK/locmgr.sock
  failover-log: $WORK/failover.json
  log-level: info
EOF
if ! "$LOCMGR_BIN" -n -c "$WORK/locmgr.yaml" >/dev/null; then
	say "locmgr configuration rejected"
	exit 2
fi

# --- the experiment -----------------------------------------------------------
CMD="bench/failover.sh${ARGS:+ $ARGS}"
say "delays $DELAYS ms x losses $LOSSES %, $RUNS failovers each, $INTERVAL ms apart"
S "$BENCH_BIN" failover -s "$SRV@53" -r "$RELAY@53" -n mn.example.ilnp. -N "$NSH" \
	-U "up1,fd00:1::10,10" -U "up2,fd00:2::10,20" \
	-F "$WORK/failover.json" -L "$WORK/locmgr.log" \
	-c "$RUNS" -i "$INTERVAL" -D "$DELAYS" -p "$LOSSES" -S "$SEED" \
	--csv "$OUT/failover.csv" --json "$OUT/failover.json" \
	-- ip netns exec "$NSH" "$LOCMGR_BIN" -f -c "$WORK/locmgr.yaml" \
	>"$WORK/table.md" 2>"$WORK/bench.log" &
BENCH_PID=$!
PIDS="$PIDS $BENCH_PID"
wait "$BENCH_PID"
rc=$?
PIDS=" $SERVER_PID"
cat "$WORK/bench.log" >&2
if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
	say "ilnpdns-bench failover failed (status $rc); the manager said:"
	tail -n 30 "$WORK/locmgr.log" >&2 2>/dev/null
	exit 2
fi
{
	echo "Command: \`$CMD\` on $(nproc) cores ($(uname -r)), $(date -u +%Y-%m-%d)."
	echo
	cat "$WORK/table.md"
} >"$OUT/failover.md"
cat "$OUT/failover.md"
if [ $rc -ne 0 ]; then
	say "some failover did not converge, or a stale answer was served"
	cp "$WORK/locmgr.log" "$WORK/ilnpdnsd.log" "$OUT/" 2>/dev/null
fi
exit $rc
