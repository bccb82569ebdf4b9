#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- NSD, BIND and Knot as TSIG-keyed secondaries of ilnpdnsd: AXFR, NOTIFY + IXFR, a burst,
# an old secondary, zone-dump under three zone checkers, and the update-to-secondary delay.
#
# Everything runs on loopback: ilnpdnsd on 127.0.0.1, NSD on 127.0.0.2 and
# Knot on 127.0.0.4, each transferring from its own address, so the primary's
# log and `ilnpdns-ctl zone-status` tell them apart. BIND listens only on
# addresses an interface has, so it stays on 127.0.0.1 (its own port); this
# script's own queries and AXFRs leave from 127.0.0.9 to keep 127.0.0.1's
# transfers BIND's. The secondaries' configurations are the templates
# next to this script (the examples of doc/deployment.md); their logs, zone
# copies and journals stay in the scratch directory.
#
# SECONDARIES_PRIMARY=named runs the same secondaries against BIND named as
# the primary: a debugging aid that tells a secondary configuration problem
# from an ilnpdnsd one. The checks that only ilnpdnsd can pass (its control
# commands, its log, its journal limit, zone-dump) run only with ilnpdnsd.
. "$(dirname "$0")/../lib.sh"

st_need dig nsupdate tsig-keygen python3 nsd named knotd named-checkzone nsd-checkzone kzonecheck \
	named-checkconf knotc timeout sort awk
PRIMARY=${SECONDARIES_PRIMARY:-ilnpdnsd}
UPDSEND="$top_builddir/tests/system/updsend"
st_need_built "$UPDSEND"
case $PRIMARY in
ilnpdnsd) st_need_built "$ST_ILNPDNSD" "$ST_CTL" ;;
named) ;;
*) st_fatal "SECONDARIES_PRIMARY must be ilnpdnsd or named" ;;
esac
st_init

TPL="$top_srcdir/tests/system/secondaries"
ZONE=example.ilnp.
KINDS="nsd named knot"
# Bounds: a transfer on loopback takes milliseconds; these only stop a broken
# run from hanging.
WAIT_INITIAL=30
WAIT_CHANGE=10
WAIT_BURST=60
BURST=${SECONDARIES_BURST:-200}
LAT_N=${SECONDARIES_LAT_N:-21}

PPORT=$(st_free_port) || exit 99
declare -A ADDR PORT PID LOG
ADDR[nsd]=127.0.0.2
ADDR[named]=127.0.0.1
ADDR[knot]=127.0.0.4
used=$PPORT
for k in $KINDS; do
	PORT[$k]=$(st_free_port $used) || exit 99
	used="$used ${PORT[$k]}"
	LOG[$k]="$ST_DIR/$k.log"
done

# --- keys and zone --------------------------------------------------------

for k in xfr-key upd-key; do
	(umask 077 && tsig-keygen -a hmac-sha256 "$k" >"$ST_DIR/$k.key") ||
		st_fatal "tsig-keygen $k failed"
done
secret() { sed -n 's/.*secret "\(.*\)".*/\1/p' "$ST_DIR/$1.key"; }
XFR_SECRET=$(secret xfr-key)
UPD_SECRET=$(secret upd-key)
XFR_Y="hmac-sha256:xfr-key:$XFR_SECRET"
UPD_Y="hmac-sha256:upd-key:$UPD_SECRET"

# The example zone flattened (its $INCLUDE is relative to the source tree),
# so every server starts from one self-contained file.
ZFILE="$ST_DIR/example.ilnp.zone"
(cd "$top_srcdir" && named-checkzone -q -D -o "$ZFILE" "$ZONE" zones/example.ilnp.zone) ||
	st_fatal "cannot flatten the example zone"

# --- the primary ----------------------------------------------------------

# ilnpdnsd_conf JOURNAL-MAX NOTIFY(yes|no): the primary's configuration.
ilnpdnsd_conf()
{
	local k
	cat <<EOF
server:
  listen: [ "127.0.0.1@$PPORT" ]
  database: $ST_DIR/db
  workers: 2
  ilnp-ttl: 0
  control: $ST_DIR/ctl.sock
key:
  - { id: xfr-key, algorithm: hmac-sha256, secret: "$XFR_SECRET" }
  - { id: upd-key, algorithm: hmac-sha256, secret: "$UPD_SECRET" }
zone:
  - domain: $ZONE
    file: $ZFILE
    update-policy: [ "grant upd-key subdomain $ZONE ANY" ]
    allow-transfer: [ { key: xfr-key } ]
    journal-max-entries: $1
EOF
	[ "$2" = yes ] || return 0
	echo "    notify:"
	for k in $KINDS; do
		echo "      - { address: \"${ADDR[$k]}@${PORT[$k]}\", key: xfr-key }"
	done
}

# start_primary JOURNAL-MAX NOTIFY: (re)start the primary with that journal
# limit and with or without notify: targets.
start_primary()
{
	if [ "$PRIMARY" = named ]; then
		start_named_primary
		return
	fi
	ilnpdnsd_conf "$1" "$2" >"$ST_DIR/ilnpdnsd.yaml"
	st_start_ilnpdnsd "$ST_DIR/ilnpdnsd.yaml"
}

# The debugging primary: BIND with the same keys, policy and notify list.
start_named_primary()
{
	local d="$ST_DIR/primary" k
	mkdir -p "$d"
	cp "$ZFILE" "$d/example.ilnp.zone"
	{
		cat <<EOF
options {
	directory "$d";
	listen-on port $PPORT { 127.0.0.1; };
	listen-on-v6 { none; };
	pid-file "$d/named.pid";
	session-keyfile "$d/session.key";
	managed-keys-directory "$d";
	recursion no;
	dnssec-validation no;
	notify explicit;
	notify-delay 0;
	notify-source 127.0.0.1;
};
controls { };
EOF
		cat "$ST_DIR/xfr-key.key" "$ST_DIR/upd-key.key"
		echo "zone \"example.ilnp\" {"
		echo "	type primary;"
		echo "	file \"$d/example.ilnp.zone\";"
		echo "	update-policy { grant upd-key subdomain example.ilnp. ANY; };"
		echo "	allow-transfer { key xfr-key; };"
		echo "	also-notify {"
		for k in $KINDS; do
			echo "		${ADDR[$k]} port ${PORT[$k]} key xfr-key;"
		done
		echo "	};"
		echo "};"
	} >"$d/named.conf"
	named-checkconf "$d/named.conf" || st_fatal "named-checkconf failed (primary)"
	st_spawn "$ST_DIR/primary.log" named -g -c "$d/named.conf"
	ILNPDNSD_PID=$ST_PID
	# Not "running": named prints "running on Linux ..." before it loads anything.
	st_wait_log "$ILNPDNSD_PID" "$ST_DIR/primary.log" "all zones loaded" 20 ||
		st_fatal "named (primary) did not start"
}

stop_primary()
{
	st_stop_pid "$ILNPDNSD_PID" || st_fail "the primary needed KILL to stop"
	st_forget "$ILNPDNSD_PID"
}

# --- the secondaries ------------------------------------------------------

# fill TEMPLATE KIND: the template with this run's values.
fill()
{
	local k=$2
	sed -e "s|@DIR@|$ST_DIR/$k|g" -e "s|@ADDR@|${ADDR[$k]}|g" -e "s|@PORT@|${PORT[$k]}|g" \
		-e "s|@PRIMARY@|127.0.0.1|g" -e "s|@PPORT@|$PPORT|g" \
		-e "s|@SECRET@|$XFR_SECRET|g" "$1"
}

start_secondary()
{
	local k=$1 d="$ST_DIR/$1"
	mkdir -p "$d"
	case $k in
	nsd)
		fill "$TPL/nsd.conf.in" nsd >"$d/nsd.conf"
		nsd-checkconf "$d/nsd.conf" || st_fatal "nsd-checkconf rejects the NSD template"
		# nsd.conf's logfile: gets NSD's own lines; -d output goes to LOG.
		st_spawn "${LOG[nsd]}" nsd -d -c "$d/nsd.conf"
		;;
	named)
		fill "$TPL/named.conf.in" named >"$d/named.conf"
		named-checkconf "$d/named.conf" || st_fatal "named-checkconf rejects the BIND template"
		st_spawn "${LOG[named]}" named -g -c "$d/named.conf"
		;;
	knot)
		fill "$TPL/knot.conf.in" knot >"$d/knot.conf"
		knotc -c "$d/knot.conf" conf-check >/dev/null 2>&1 ||
			st_fatal "knotc conf-check rejects the Knot template: $(knotc -c "$d/knot.conf" conf-check 2>&1)"
		st_spawn "${LOG[knot]}" knotd -c "$d/knot.conf"
		;;
	esac
	PID[$k]=$ST_PID
	st_wait_answer "${PID[$k]}" "${ADDR[$k]}" "${PORT[$k]}" "$ZONE" 20 ||
		st_fatal "$k did not start"
}

# The log a kind writes its transfer lines to (NSD: its logfile).
xfr_log()
{
	case $1 in
	nsd) cat "$ST_DIR/nsd/nsd.log" "${LOG[nsd]}" 2>/dev/null ;;
	*) cat "${LOG[$1]}" ;;
	esac
}

# --- queries --------------------------------------------------------------

# q ADDR PORT NAME TYPE: the answer's RDATA, one per line, sorted.
q()
{
	dig -b 127.0.0.9 +short +norec +time=1 +tries=1 -p "$2" @"$1" "$3" "$4" 2>/dev/null | sort
}
serial_of() { q "$1" "$2" "$ZONE" SOA | awk 'NR == 1 { print $3 }'; }
p_serial() { serial_of 127.0.0.1 "$PPORT"; }
s_serial() { serial_of "${ADDR[$1]}" "${PORT[$1]}"; }

# wait_serial KIND SERIAL SECONDS: until the secondary serves SERIAL.
wait_serial()
{
	local k=$1 want=$2 end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do
		[ "$(s_serial "$k")" = "$want" ] && return 0
		kill -0 "${PID[$k]}" 2>/dev/null || return 1
		sleep 0.05
	done
	[ "$(s_serial "$k")" = "$want" ]
}

# axfr ADDR PORT [KEY]: the zone by AXFR, one normalised record a line,
# sorted, the closing SOA dropped; empty on failure.
axfr()
{
	local out
	out=$(timeout 20 dig -b 127.0.0.9 +nocmd +nostats +nocomments +noall +answer +time=5 +tries=1 \
		${3:+-y "$3"} -p "$2" @"$1" "$ZONE" AXFR 2>/dev/null) || return 1
	printf '%s\n' "$out" | grep -v '^;' | awk 'NF { $1 = tolower($1); print }' | sort -u
}

# same_zone KIND DESC: the secondary's AXFR equals the primary's.
same_zone()
{
	local k=$1 a b
	a=$(axfr 127.0.0.1 "$PPORT" "$XFR_Y")
	b=$(axfr "${ADDR[$k]}" "${PORT[$k]}")
	# NSD keeps the names inside RDATA (LP's FQDN here) in lower case: for
	# it the comparison is case-insensitive, as DNS names compare.
	if [ "$k" = nsd ]; then
		a=$(printf '%s\n' "$a" | tr '[:upper:]' '[:lower:]' | sort -u)
		b=$(printf '%s\n' "$b" | tr '[:upper:]' '[:lower:]' | sort -u)
	fi
	if [ -n "$a" ] && [ "$a" = "$b" ]; then
		st_pass "$k: $2 ($(printf '%s\n' "$a" | wc -l) records, same as the primary)"
	else
		st_fail "$k: $2: AXFR differs from the primary's (< primary, > $k)"
		diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | head -n 20 | sed 's/^/    | /'
	fi
}

# nsup: nsupdate -y upd-key with the commands on stdin (several sends allowed).
nsup()
{
	{
		echo "server 127.0.0.1 $PPORT"
		echo "zone $ZONE"
		cat
	} | timeout 120 nsupdate -y "$UPD_Y" 2>&1
}

# --- start ----------------------------------------------------------------

start_primary 1000 yes
S0=$(p_serial)
[ -n "$S0" ] || st_fatal "no SOA from the primary"
st_log "primary $PRIMARY on 127.0.0.1@$PPORT, serial $S0"

# Transfers are refused without the key (allow-transfer: key only).
if [ "$PRIMARY" = ilnpdnsd ]; then
	out=$(timeout 10 dig -b 127.0.0.9 +time=2 +tries=1 -p "$PPORT" @127.0.0.1 "$ZONE" AXFR 2>&1)
	st_grep "an unsigned AXFR is refused" 'Transfer failed|REFUSED' "$out"
fi

for k in $KINDS; do
	start_secondary "$k"
	st_log "$k on ${ADDR[$k]}@${PORT[$k]} (pid ${PID[$k]})"
done

# 1. The initial transfer: every secondary serves the serial and an L64.
L64_HOST2=$(q 127.0.0.1 "$PPORT" host2.example.ilnp. L64)
st_eq "primary serves host2's L64" "10 2001:db8:4140:4000" "$L64_HOST2"
for k in $KINDS; do
	if wait_serial "$k" "$S0" $WAIT_INITIAL; then
		st_pass "$k: initial transfer, serves serial $S0"
	else
		st_fail "$k: no serial $S0 within ${WAIT_INITIAL}s (serves '$(s_serial "$k")')"
	fi
	st_eq "$k: serves host2's L64" "$L64_HOST2" \
		"$(q "${ADDR[$k]}" "${PORT[$k]}" host2.example.ilnp. L64)"
	if [ "$PRIMARY" = ilnpdnsd ]; then
		ttl=$(dig -b 127.0.0.9 +norec +noall +answer -p "${PORT[$k]}" @"${ADDR[$k]}" \
			host2.example.ilnp. L64 | awk '{ print $2; exit }')
		st_eq "$k: the L64 has TTL 0 there too" 0 "$ttl"
	fi
	same_zone "$k" "initial transfer"
done

# 2. One signed update to an L64 RRset reaches every secondary by NOTIFY and IXFR.
# Marks: the log lines from here on are the ones this update caused.
declare -A MARK
mark_logs()
{
	local k
	for k in $KINDS; do MARK[$k]=$(xfr_log "$k" | wc -l); done
	PMARK=$(wc -l <"$PLOG")
}
new_lines() { xfr_log "$1" | tail -n +$((MARK[$1] + 1)); }
new_plines() { tail -n +$((PMARK + 1)) "$PLOG"; }

# primary_xfr_lines KIND: the primary's log lines, since the mark, about
# transfers to that secondary's address.
primary_xfr_lines()
{
	local a=${ADDR[$1]//./\\.}
	if [ "$PRIMARY" = named ]; then
		new_plines | grep -E "client @[^ ]+ $a#[0-9]+/key xfr-key .*(IXFR|AXFR) (started|ended)"
	else
		new_plines | grep -E "$a[#@][0-9]+" | grep -E 'AXFR|IXFR'
	fi
}

# nsd_bytes SERIAL [TEXT]: the size NSD logged for its transfer to SERIAL.
nsd_bytes()
{
	local text=${2:-$(xfr_log nsd)}
	printf '%s\n' "$text" | sed -n "s/.*received update to serial $1 .* of \([0-9]*\) bytes.*/\1/p" |
		head -n 1
}

# check_incremental KIND FROM TO RECORDS: the secondary's transfer to TO was
# incremental, by its own log and by the primary's. RECORDS: how many
# records the IXFR holds (BIND logs that number).
check_incremental()
{
	local k=$1 from=$2 to=$3 n=$4 new full part
	new=$(new_lines "$k")
	case $k in
	nsd)
		# NSD logs the size of each transfer it applied; an IXFR of one
		# change is a fraction of the zone's first transfer.
		full=$(nsd_bytes "$S0")
		part=$(nsd_bytes "$to" "$new")
		if [ -n "$part" ] && [ -n "$full" ] && [ $((part * 4)) -lt "$full" ]; then
			st_pass "nsd: serial $to came in $part bytes (the whole zone took $full): incremental"
		else
			st_fail "nsd: serial $to came in '$part' bytes, the whole zone in '$full': not an IXFR"
		fi
		;;
	named)
		st_grep "named: its transfer to $to held $n records (an IXFR)" \
			"Transfer completed: [0-9]+ messages, $n records, .*\(serial $to\)" "$new"
		;;
	knot)
		st_grep "knot: logs an incoming IXFR" \
			"IXFR, incoming, remote 127\.0\.0\.1@$PPORT, finished" "$new"
		st_nogrep "knot: and no AXFR" 'AXFR' "$new"
		;;
	esac
	if [ "$PRIMARY" = named ]; then
		st_grep "primary: IXFR $from -> $to to $k" "IXFR started: .*serial $from -> $to" \
			"$(primary_xfr_lines "$k")"
	else
		st_grep "ilnpdnsd: an incremental IXFR to $k, $n RRs" \
			"IXFR incremental, serial $to, [0-9]+ messages, $n RRs" "$(primary_xfr_lines "$k")"
	fi
}

# check_full KIND TO: the secondary's transfer to TO carried the whole zone.
check_full()
{
	local k=$1 to=$2 new part full
	new=$(new_lines "$k")
	case $k in
	nsd)
		full=$(nsd_bytes "$S0")
		part=$(nsd_bytes "$to" "$new")
		if [ -n "$part" ] && [ -n "$full" ] && [ $((part * 2)) -gt "$full" ]; then
			st_pass "nsd: serial $to came in $part bytes (first transfer: $full): the whole zone"
		else
			st_fail "nsd: serial $to came in '$part' bytes, the first transfer '$full': not a full one"
		fi
		;;
	named)
		st_grep "named: its transfer to $to held the whole zone" \
			"Transfer completed: [0-9]+ messages, [0-9]{3,} records, .*\(serial $to\)" "$new"
		;;
	knot)
		st_grep "knot: logs a full transfer" \
			"(AXFR, incoming, remote 127\.0\.0\.1@$PPORT, finished|AXFR-style)" "$new"
		;;
	esac
	[ "$PRIMARY" = ilnpdnsd ] || return 0
	st_grep "ilnpdnsd: a full transfer to $k" "(AXFR|IXFR full), serial $to" \
		"$(primary_xfr_lines "$k")"
}

if [ "$PRIMARY" = named ]; then PLOG="$ST_DIR/primary.log"; else PLOG="$ST_DIR/ilnpdnsd.log"; fi
mark_logs
out=$(nsup <<'EOF'
update delete host2.example.ilnp. L64
update add host2.example.ilnp. 0 L64 10 2001:db8:4140:4001
update add host2.example.ilnp. 0 L64 20 2001:db8:4141:4002
send
EOF
)
st_eq "update of host2's L64 RRset succeeds" "" "$out"
S1=$(p_serial)
st_eq "the primary's serial moved by one" "$((S0 + 1))" "$S1"
want=$(printf '10 2001:db8:4140:4001\n20 2001:db8:4141:4002')
for k in $KINDS; do
	if wait_serial "$k" "$S1" $WAIT_CHANGE; then
		st_pass "$k: reached serial $S1 by NOTIFY within ${WAIT_CHANGE}s"
	else
		st_fail "$k: not at serial $S1 after ${WAIT_CHANGE}s (serves '$(s_serial "$k")')"
	fi
	st_eq "$k: serves the new L64 RRset" "$want" \
		"$(q "${ADDR[$k]}" "${PORT[$k]}" host2.example.ilnp. L64)"
done
# A condensed IXFR of one change: SOA, old SOA, the old L64, new SOA, the two
# new L64, SOA: 7 records. (The logs may trail the answers a little.)
sleep 0.3
for k in $KINDS; do check_incremental "$k" "$S0" "$S1" 7; done

# 3. A burst of updates (one nsupdate session, one send each) converges to
# the same zone everywhere. The NOTIFYs coalesce; the secondaries catch up
# with IXFRs spanning several serials.
burst_script()
{
	local i n
	# Every update changes the zone (a new L64 value, or a new L32 value), so
	# each one moves the serial.
	for i in $(seq 1 "$BURST"); do
		n=$((i % 17))
		echo "update delete burst$n.example.ilnp. L64"
		if [ $((i % 5)) -ne 0 ]; then
			echo "update add burst$n.example.ilnp. 0 L64 10 2001:db8:$(printf %x $((4096 + i))):1"
			[ $((i % 3)) -eq 0 ] && echo "update add burst$n.example.ilnp. 0 L64 20 2001:db8:ffff:$n"
			[ $((i % 7)) -eq 0 ] && echo "update add burst$n.example.ilnp. 0 L32 10 10.7.$n.0"
		else
			echo "update delete burst$n.example.ilnp. L32"
			echo "update add burst$n.example.ilnp. 0 L32 10 10.9.$((i / 256)).$((i % 256))"
		fi
		echo "send"
	done
}
t=$SECONDS
out=$(burst_script | nsup)
st_eq "$BURST updates in one nsupdate session succeed" "" "$out"
S2=$(p_serial)
st_eq "the serial moved by $BURST" "$((S1 + BURST))" "$S2"
st_log "$BURST updates took $((SECONDS - t)) s"
for k in $KINDS; do
	if wait_serial "$k" "$S2" $WAIT_BURST; then
		st_pass "$k: caught up with serial $S2"
	else
		st_fail "$k: not at serial $S2 after ${WAIT_BURST}s (serves '$(s_serial "$k")')"
	fi
	same_zone "$k" "after the burst"
done

# 4. A secondary asking from a serial older than the journal gets the whole
# zone. The primary restarts with journal-max-entries 5 and without notify:
# targets, takes 10 updates the secondaries hear nothing of, and restarts
# with its targets: its start-up NOTIFY makes each secondary ask for an IXFR
# from a serial the journal no longer reaches.
if [ "$PRIMARY" = ilnpdnsd ]; then
	stop_primary
	start_primary 5 no
	out=$(for i in $(seq 1 10); do
		echo "update delete old$i.example.ilnp. L64"
		echo "update add old$i.example.ilnp. 0 L64 10 2001:db8:10:$i"
		echo "send"
	done | nsup)
	st_eq "10 updates the secondaries are not told of" "" "$out"
	S3=$(p_serial)
	st_eq "the serial moved by 10" "$((S2 + 10))" "$S3"
	for k in $KINDS; do
		st_eq "$k: still at serial $S2" "$S2" "$(s_serial "$k")"
	done
	stop_primary
	mark_logs
	start_primary 5 yes
	for k in $KINDS; do
		if wait_serial "$k" "$S3" $WAIT_CHANGE; then
			st_pass "$k: the start-up NOTIFY brought it from $S2 to $S3"
		else
			st_fail "$k: not at serial $S3 ${WAIT_CHANGE}s after the primary's restart"
		fi
	done
	sleep 0.3
	for k in $KINDS; do
		check_full "$k" "$S3"
		same_zone "$k" "after the full transfer"
	done

	# 5. zone-dump passes the three servers' zone checkers, and holds
	# what AXFR gives.
	DUMP="$ST_DIR/dump.zone"
	"$ST_CTL" -s "$ST_DIR/ctl.sock" zone-dump "$ZONE" >"$DUMP" || st_fail "zone-dump failed"
	out=$(named-checkzone "$ZONE" "$DUMP" 2>&1)
	st_grep "named-checkzone accepts the zone-dump" "loaded serial $S3" "$out"
	out=$(nsd-checkzone "$ZONE" "$DUMP" 2>&1)
	st_grep "nsd-checkzone accepts the zone-dump" "zone $ZONE is ok" "$out"
	out=$(kzonecheck -o "$ZONE" "$DUMP" 2>&1)
	st_eq "kzonecheck accepts the zone-dump" "0:" "$?:$(printf '%s\n' "$out" | grep -i error)"
	a=$(axfr 127.0.0.1 "$PPORT" "$XFR_Y")
	d=$(named-checkzone -q -D -o - "$ZONE" "$DUMP" | awk 'NF && !/^;/ { $1 = tolower($1); print }' |
		sort -u)
	if [ -n "$a" ] && [ "$a" = "$d" ]; then
		st_pass "the zone-dump holds exactly the AXFR's records"
	else
		st_fail "zone-dump and AXFR differ (< AXFR, > dump)"
		diff <(printf '%s\n' "$a") <(printf '%s\n' "$d") | head -n 20 | sed 's/^/    | /'
	fi

	# zone-status: every target transferred the current serial, and wait-serial
	# saw each one serve it (its SOA answer), after the full transfers.
	out=$("$ST_CTL" -s "$ST_DIR/ctl.sock" wait-serial "$ZONE" "$S3" --timeout 20 2>&1)
	st_eq "wait-serial $S3 after the full transfers" "reached $S3" "$out"
	out=$("$ST_CTL" -s "$ST_DIR/ctl.sock" zone-status "$ZONE" 2>&1)
	for k in $KINDS; do
		st_grep "zone-status: $k (${ADDR[$k]}@${PORT[$k]}) transferred and serves $S3" \
			"^target ${ADDR[$k]//./\\.}@${PORT[$k]}	key xfr-key\.?	.*transferred (AXFR|IXFR) $S3 [^	]*	serving $S3 " \
			"$out"
	done
fi

# 6. wait-serial means served, and the delays. LAT_N signed updates per
# secondary kind, each replacing lat's L64 with a new value. updsend sends the
# update and prints the RCODE the moment the answer is in: that line's
# arrival is the start. With ilnpdnsd as the primary, `ilnpdns-ctl
# wait-serial` runs right after it, and the moment it returns every
# secondary is asked (dig, all three at once): each must already serve the
# new value, every time (an acknowledged NOTIFY or a finished transfer is
# not enough; wait-serial waits for each secondary's own SOA answer).
# Meanwhile poll.py asks the secondary of the round in a tight loop (a dig
# per poll would cost more process start-up than the delay it measures) and
# prints when it first served the new value; its bound only stops a
# secondary that never gets it. One kind polled at a time, so the pollers
# do not take the CPU from each other.
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }'; }
# stats FILE: "median min max" of the numbers in FILE, one a line.
stats()
{
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "- - -"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.1f %.1f %.1f\n", m, v[1], v[NR] }'
}

out=$(printf 'update add lat.example.ilnp. 0 L64 10 2001:db8:2000:1\nsend\n' | nsup)
st_eq "lat's first L64 is added" "" "$out"
old="10 2001:db8:2000:1"
n=0
WS_EARLY=0  # wait-serial returned before poll.py saw the value (timing only)
WS_STALE=0  # a secondary did not serve the value when wait-serial had returned
WS_FAILED=0 # wait-serial did not return success
: >"$ST_DIR/lat.ws"
for k in $KINDS; do
	: >"$ST_DIR/lat.$k"
	: >"$ST_DIR/lat.ws.$k"
	late=0
	for i in $(seq 1 "$LAT_N"); do
		n=$((n + 1))
		v="10 2001:db8:$(printf %x $((8192 + n))):1"
		s=$(($(p_serial) + 1))
		exec 4< <(timeout 20 python3 "$TPL/poll.py" "${ADDR[$k]}" "${PORT[$k]}" lat.example.ilnp. \
			${v% *} ${v#* } 10)
		read -r -t 10 r <&4
		[ "$r" = ready ] || st_fail "$k: poll.py did not start: '$r'"
		# Delete the old value (class NONE), add the new one: one update.
		exec 3< <(timeout 20 "$UPDSEND" -y "$UPD_Y" -z "$ZONE" \
			-a "lat.example.ilnp. 0 NONE L64 $old" -a "lat.example.ilnp. 0 IN L64 $v" \
			"127.0.0.1@$PPORT")
		read -r -t 20 line <&3
		t0=$EPOCHREALTIME
		exec 3<&-
		[ "$line" = "0 NOERROR" ] || st_fail "latency update $n: '$line'"
		old=$v
		tw=
		if [ "$PRIMARY" = ilnpdnsd ]; then
			if "$ST_CTL" -s "$ST_DIR/ctl.sock" wait-serial "$ZONE" "$s" --timeout 20 \
				>"$ST_DIR/ws.out" 2>&1; then
				tw=$EPOCHREALTIME
				ms "$t0" "$tw" >>"$ST_DIR/lat.ws.$k"
				# Every secondary, at once, right now.
				qpids=
				for j in $KINDS; do
					q "${ADDR[$j]}" "${PORT[$j]}" lat.example.ilnp. L64 >"$ST_DIR/now.$j" &
					qpids="$qpids $!"
				done
				# shellcheck disable=SC2086 # the pids, one word each
				wait $qpids
				for j in $KINDS; do
					got=$(cat "$ST_DIR/now.$j")
					if [ "$got" != "$v" ]; then
						WS_STALE=$((WS_STALE + 1))
						st_log "update $n (serial $s): wait-serial returned but $j serves '$got'"
					fi
				done
			else
				WS_FAILED=$((WS_FAILED + 1))
				st_log "update $n: wait-serial $s failed: $(tail -n 1 "$ST_DIR/ws.out")"
			fi
		fi
		read -r -t 20 t1 <&4
		exec 4<&-
		[ -n "$t1" ] || t1=timeout
		if [ "$t1" = timeout ]; then
			late=$((late + 1))
		else
			ms "$t0" "$t1" >>"$ST_DIR/lat.$k"
			[ -n "$tw" ] && awk -v a="$tw" -v b="$t1" 'BEGIN { exit !(a < b) }' &&
				WS_EARLY=$((WS_EARLY + 1))
		fi
	done
	st_eq "$k: served all $LAT_N timed updates within the bound" 0 "$late"
done
if [ "$PRIMARY" = ilnpdnsd ]; then
	st_eq "wait-serial succeeded after each of the $n updates" 0 "$WS_FAILED"
	st_eq "when wait-serial returned, every secondary already served the new L64 ($n updates x 3)" \
		0 "$WS_STALE"
fi
# The lat updates went to every secondary: all three must hold them.
for k in $KINDS; do
	wait_serial "$k" "$(p_serial)" $WAIT_CHANGE || st_fail "$k: missed the last timed update"
done

echo
echo "Update NOERROR -> secondary serves the new L64 (ms; $LAT_N updates each, loopback):"
printf '%-8s %8s %8s %8s\n' secondary median min max
for k in $KINDS; do
	read -r med lo hi < <(stats "$ST_DIR/lat.$k")
	printf '%-8s %8s %8s %8s\n' "$k" "$med" "$lo" "$hi"
	st_log "NOERROR -> $k serves the new L64: median $med ms (min $lo, max $hi; $LAT_N updates)"
done
if [ "$PRIMARY" = ilnpdnsd ]; then
	for k in $KINDS; do
		read -r med lo hi < <(stats "$ST_DIR/lat.ws.$k")
		st_log "NOERROR -> wait-serial returned (all 3 serving), run polling $k:" \
			"median $med ms (min $lo, max $hi; $LAT_N updates)"
	done
	cat "$ST_DIR"/lat.ws.* >"$ST_DIR/lat.ws"
	read -r med lo hi < <(stats "$ST_DIR/lat.ws")
	printf '%-11s %7s %8s %8s  (ilnpdns-ctl wait-serial returning)\n' wait-serial "$med" "$lo" "$hi"
	st_log "NOERROR -> wait-serial returned, all runs: median $med ms (min $lo, max $hi; $n updates)"
	st_log "wait-serial returned before the polled secondary was seen serving in $WS_EARLY" \
		"of $n updates (poll timing; the dig check above is the assertion)"
fi
echo

for k in $KINDS; do same_zone "$k" "at the end"; done
st_done
