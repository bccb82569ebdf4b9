#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- dig, kdig and drill against ilnpdnsd: answer rules, EDNS, TCP, IPv6, restart, zone dump.
#
# Expected data comes from zones/example.ilnp.zone (see its comments). The
# zone is copied to a scratch directory so the restart check can change the
# file and prove that the database, not the file, is served after a restart.
. "${top_srcdir:-$(dirname "$0")/../../..}/tests/system/lib.sh"

st_need dig kdig drill named-checkzone nsd-checkzone kzonecheck timeout
st_need_built "$ST_ILNPDNSD" "$ST_CTL"
[ -f "$ST_ZONE" ] || st_fatal "$ST_ZONE is missing"
st_init

# The zone $INCLUDEs zones/example.ilnp.hosts relative to the tree's root.
mkdir -p "$ST_DIR/zones"
cp "$ST_ZONE" "$top_srcdir/zones/example.ilnp.hosts" "$ST_DIR/zones/"
zone="$ST_DIR/zones/example.ilnp.zone"
port=$(st_free_port)
conf="$ST_DIR/ilnpdnsd.conf"
st_ilnpdnsd_conf "$conf" "$port" "$ST_DIR/db" "$zone"
ctl() { timeout 10 "$ST_CTL" -s "$ST_DIR/ctl.sock" "$@"; }

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
t0=$(date +%s%N)
st_start_ilnpdnsd "$conf"
st_log "ilnpdnsd pid $ILNPDNSD_PID, port $port, ready in $(ms_since "$t0") ms (first import)"

# listeners PROTO ADDR PORT PID: how many sockets PID listens with on ADDR:PORT.
listeners()
{
	local flag=-Hlnup
	[ "$1" = tcp ] && flag=-Hlntp
	ss $flag 2>/dev/null | awk -v a="$2:$3" -v p="pid=$4," '$4 == a && index($0, p)' | grep -c .
}

# check_workers N PORT: N SO_REUSEPORT sockets per transport and address, one per worker.
check_workers()
{
	local n=$1 p=$2 a
	for a in 127.0.0.1 '[::1]'; do
		[ "$a" = 127.0.0.1 ] || st_have_ipv6 || continue
		st_eq "workers: $n: $n UDP sockets on $a:$p" "$n" \
			"$(listeners udp "$a" "$p" "$ILNPDNSD_PID")"
		st_eq "workers: $n: $n TCP sockets on $a:$p" "$n" \
			"$(listeners tcp "$a" "$p" "$ILNPDNSD_PID")"
	done
	local tasks
	tasks=$(ls "/proc/$ILNPDNSD_PID/task" | grep -c .)
	if [ "$tasks" -gt "$n" ]; then
		st_pass "workers: $n: $tasks threads (workers, main loop, writer)"
	else
		st_fail "workers: $n: only $tasks threads"
	fi
}

# ask TOOL NAME TYPE [tool options...]: one query to 127.0.0.1, RD clear.
ask()
{
	local tool=$1 name=$2 type=$3
	shift 3
	case $tool in
	dig) timeout 10 dig +norec +time=2 +tries=1 -p "$port" @127.0.0.1 "$@" "$name" "$type" ;;
	kdig) timeout 10 kdig +norec +time=2 +retry=0 -p "$port" @127.0.0.1 "$@" "$name" "$type" ;;
	drill) timeout 10 drill -o rd -p "$port" "$@" @127.0.0.1 "$name" "$type" ;;
	esac 2>&1
}

# The three tools print the header differently; these read any of them.
status_of()
{
	printf '%s\n' "$1" | sed -n 's/.*\(status\|rcode\): \([A-Z]*\).*/\2/p' | head -n 1
}
flags_of()
{
	printf '%s\n' "$1" | sed -n 's/^;; [Ff]lags: \([a-z ]*\);.*/\1/p' | head -n 1 | xargs
}
# rrs OUTPUT SECTION: the RRs of ANSWER/AUTHORITY/ADDITIONAL, one a line,
# fields separated by single spaces, owner and type lower-cased.
rrs()
{
	printf '%s\n' "$1" | awk -v want="$2" '
		/^;; *[A-Z]+ SECTION:/ {
			sec = $0; sub(/^;; */, "", sec); sub(/ SECTION:.*/, "", sec); next
		}
		/^;/ || NF < 5 { next }
		sec == want { $1 = tolower($1); $4 = toupper($4); $1 = $1; print }'
}
# count_rrs OUTPUT TYPE: how many answer RRs of TYPE.
count_rrs() { rrs "$1" ANSWER | awk -v t="$2" '$4 == t' | grep -c .; }
has_flag() { case " $(flags_of "$1") " in *" $2 "*) return 0 ;; esac; return 1; }

check_flag()
{
	local desc=$1 out=$2 flag=$3 want=$4
	local is=clear
	has_flag "$out" "$flag" && is=set
	if [ "$is" = "$want" ]; then
		st_pass "$desc"
	else
		st_fail "$desc: $flag $is (flags: $(flags_of "$out"))"
	fi
}

# check_ttl0 DESC OUTPUT COUNT TYPE: the answer holds COUNT RRs of TYPE, all TTL 0.
check_ttl0()
{
	local desc=$1 out=$2 count=$3 type=$4 lines n bad
	lines=$(rrs "$out" ANSWER | awk -v t="$type" '$4 == t')
	n=$(printf '%s\n' "$lines" | grep -c .)
	bad=$(printf '%s\n' "$lines" | awk '$2 != 0' | grep -c .)
	if [ "$n" -eq "$count" ] && [ "$bad" -eq 0 ]; then
		st_pass "$desc"
	else
		st_fail "$desc: want $count $type RRs with TTL 0, got:"
		printf '%s\n' "$out" | sed 's/^/    | /'
	fi
}

# check_negative DESC OUTPUT STATUS: AA, empty answer, the zone SOA in the
# authority section with TTL min(3600, MINIMUM 300) = 300 (RFC 2308 5).
check_negative()
{
	local desc=$1 out=$2 status=$3 soa
	st_eq "$desc: status" "$status" "$(status_of "$out")"
	check_flag "$desc: AA" "$out" aa set
	st_eq "$desc: empty answer" "" "$(rrs "$out" ANSWER)"
	soa=$(rrs "$out" AUTHORITY | awk '$4 == "SOA" { print $1, $2 }')
	st_eq "$desc: SOA with negative TTL" "example.ilnp. 300" "$soa"
}

# --- server.workers: threads with SO_REUSEPORT sockets each --------------
check_workers 2 "$port"

# --- the same core rules through each of the three tools -----------------
for tool in dig kdig drill; do
	out=$(ask $tool host1.example.ilnp. NID)
	st_eq "$tool NID: NOERROR" NOERROR "$(status_of "$out")"
	check_flag "$tool NID: AA" "$out" aa set
	check_ttl0 "$tool NID: TTL 0" "$out" 2 NID
	st_grep "$tool NID: RDATA" 'nid[[:space:]]+10 0*14:4fff:ff20:ee64' \
		"$(printf '%s\n' "$out" | tr A-Z a-z)"
	check_ttl0 "$tool L64: TTL 0" "$(ask $tool host1.example.ilnp. L64)" 3 L64
	check_ttl0 "$tool L32: TTL 0" "$(ask $tool host1.example.ilnp. L32)" 2 L32
	check_ttl0 "$tool LP: TTL 0" "$(ask $tool host1.example.ilnp. LP)" 3 LP
	check_negative "$tool NXDOMAIN" "$(ask $tool nope.example.ilnp. A)" NXDOMAIN
	check_negative "$tool NODATA" "$(ask $tool host1.example.ilnp. TXT)" NOERROR
	check_negative "$tool ENT" "$(ask $tool ent.example.ilnp. A)" NOERROR
	out=$(ask $tool www.example.com. A)
	st_eq "$tool out of zone: REFUSED" REFUSED "$(status_of "$out")"
	check_flag "$tool out of zone: no AA" "$out" aa clear
done

# --- RFC 6742 additional-section processing ------------------------------
out=$(ask dig host1.example.ilnp. NID)
add=$(rrs "$out" ADDITIONAL)
h1='^host1\.example\.ilnp\. 0 IN'
st_grep "NID answer carries the owner's L64 (TTL 0)" "$h1 L64 10 2001:0?db8:1140:1000" "$add"
st_grep "NID answer carries the owner's L32" "$h1 L32 10 10\.1\.2\.0" "$add"
st_grep "NID answer carries the owner's LP" "$h1 LP 10 l64-subnet1\.example\.ilnp\." "$add"
out=$(ask dig host1.example.ilnp. LP)
add=$(rrs "$out" ADDITIONAL)
st_grep "LP answer carries the target's L64" \
	'^l64-subnet1\.example\.ilnp\. 0 IN L64 10 2001:0?db8:1140:1000' "$add"
st_grep "LP answer carries the target's L32" \
	'^l32-subnet1\.example\.ilnp\. 0 IN L32 10 10\.1\.2\.0' "$add"
st_nogrep "LP answer: no A/AAAA for targets" ' IN (A|AAAA) ' "$add"

# --- referral, CNAME chain, wildcard -------------------------------------
out=$(ask dig www.sub.example.ilnp. A)
st_eq "referral: NOERROR" NOERROR "$(status_of "$out")"
check_flag "referral: AA clear" "$out" aa clear
st_eq "referral: empty answer" "" "$(rrs "$out" ANSWER)"
ns=$(rrs "$out" AUTHORITY | awk '$1 == "sub.example.ilnp." && $4 == "NS" { print $5 }')
st_eq "referral: NS in authority" "ns.example.net. ns.sub.example.ilnp." "$(sort <<<"$ns" | xargs)"
glue=$(rrs "$out" ADDITIONAL | awk '$1 == "ns.sub.example.ilnp." { print $4, $5 }')
st_eq "referral: in-domain glue" "A 192.0.2.100 AAAA 2001:db8::100" "$(sort <<<"$glue" | xargs)"

out=$(ask kdig a.example.ilnp. NID)
check_flag "CNAME chain: AA" "$out" aa set
chain=$(rrs "$out" ANSWER | awk '{ print $1, $4, ($4 == "CNAME" ? $5 : "") }' | sed 's/ *$//')
st_eq "CNAME chain: a -> b -> host1 -> 2 NID" \
	"a.example.ilnp. CNAME b.example.ilnp.|b.example.ilnp. CNAME host1.example.ilnp.|$(
	)host1.example.ilnp. NID|host1.example.ilnp. NID" "$(sort <<<"$chain" | paste -sd'|')"
out=$(ask dig www.example.ilnp. A)
st_eq "CNAME out of zone: only the CNAME" "www.example.ilnp. CNAME www.example.net." \
	"$(rrs "$out" ANSWER | awk '{ print $1, $4, $5 }')"

out=$(ask dig FOO.Mobile.example.ilnp. NID)
check_flag "wildcard: AA" "$out" aa set
st_grep "wildcard: synthesised NID, owner = QNAME, TTL 0" \
	'^foo\.mobile\.example\.ilnp\. 0 IN NID 10 0*aa:bbff:fecc:dd01$' "$(rrs "$out" ANSWER)"
st_grep "wildcard: question case kept" '^;FOO\.Mobile\.example\.ilnp\.' "$out"
st_eq "wildcard: one RR in the answer" 1 "$(rrs "$out" ANSWER | grep -c .)"
out=$(ask drill foo.mobile.example.ilnp. A)
check_negative "wildcard: NODATA for a missing type" "$out" NOERROR
out=$(ask dig real.mobile.example.ilnp. TXT)
check_negative "wildcard blocked by real.mobile: NODATA" "$out" NOERROR
out=$(ask dig x.real.mobile.example.ilnp. NID)
check_negative "below real.mobile: NXDOMAIN" "$out" NXDOMAIN

# --- QNAME case, EDNS ----------------------------------------------------
out=$(ask dig HoSt1.ExAmPlE.iLnP. L64)
st_grep "question echoed with the query's case" \
	'^;HoSt1\.ExAmPlE\.iLnP\.[[:space:]]+IN[[:space:]]+L64' "$out"
out=$(ask dig host1.example.ilnp. L64 +noedns)
st_nogrep "no EDNS in the query: no OPT in the reply" 'OPT PSEUDOSECTION' "$out"
out=$(ask dig host1.example.ilnp. L64 +edns=0 +bufsize=4096 +dnssec)
st_grep "EDNS echoed: version 0, DO copied, 1232 advertised" \
	'^; EDNS: version: 0, flags: do; udp: 1232' "$out"
out=$(ask dig example.ilnp. SOA +edns=1 +noednsneg)
st_eq "EDNS version 1: BADVERS" BADVERS "$(status_of "$out")"
st_grep "BADVERS reply carries OPT version 0" '^; EDNS: version: 0' "$out"
st_eq "BADVERS: no answer" "" "$(rrs "$out" ANSWER)"

# --- truncation without EDNS, then TCP (RFC 2181 9, RFC 7766) -------------
out=$(ask dig big.example.ilnp. AAAA +noedns +ignore)
check_flag "dig: 40 AAAA over UDP without EDNS: TC" "$out" tc set
st_eq "dig: TC reply holds no partial RRset" "" "$(rrs "$out" ANSWER)"
st_eq "dig: retried over TCP by dig: 40 AAAA" 40 \
	"$(count_rrs "$(ask dig big.example.ilnp. AAAA +noedns)" AAAA)"
out=$(ask kdig big.example.ilnp. AAAA +ignore)
check_flag "kdig: UDP without EDNS: TC" "$out" tc set
st_eq "kdig: over TCP: 40 AAAA" 40 "$(count_rrs "$(ask kdig big.example.ilnp. AAAA +tcp)" AAAA)"
out=$(ask drill big.example.ilnp. AAAA)
check_flag "drill: UDP without EDNS: TC" "$out" tc set
out=$(ask drill big.example.ilnp. AAAA -t)
check_flag "drill: over TCP: no TC" "$out" tc clear
st_eq "drill: over TCP: 40 AAAA" 40 "$(count_rrs "$out" AAAA)"
out=$(ask dig big.example.ilnp. AAAA +edns=0)
st_eq "dig: with EDNS 1232 it fits" 40 "$(count_rrs "$out" AAAA)"

# --- IPv6 loopback -------------------------------------------------------
if st_have_ipv6; then
	out=$(timeout 10 dig +norec +time=2 +tries=1 -p "$port" @::1 host1.example.ilnp. L64)
	check_ttl0 "IPv6 ::1 UDP: L64" "$out" 3 L64
	out=$(timeout 10 kdig +norec +tcp +time=2 -p "$port" @::1 host1.example.ilnp. NID)
	check_ttl0 "IPv6 ::1 TCP: NID" "$out" 2 NID
else
	st_log "no ::1 on this host: IPv6 checks not run"
fi

# --- zone-dump passes three zone checkers and matches the source ---------
dump="$ST_DIR/dump.zone"
if ctl zone-dump example.ilnp. >"$dump" 2>"$ST_DIR/ctl.log"; then
	st_pass "ilnpdns-ctl zone-dump"
else
	st_fail "ilnpdns-ctl zone-dump: $(cat "$ST_DIR/ctl.log")"
fi
# check_cmd DESC CMD...: pass if CMD exits 0, else fail with its output.
check_cmd()
{
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		st_pass "$desc"
	else
		st_fail "$desc: $out"
	fi
}
check_cmd "dump passes named-checkzone" named-checkzone example.ilnp. "$dump"
check_cmd "dump passes nsd-checkzone" nsd-checkzone example.ilnp. "$dump"
check_cmd "dump passes kzonecheck" kzonecheck -o example.ilnp. "$dump"
# Same records as the source, with the ILNP types at their served TTL 0.
# Owner names compare case-insensitively (RFC 4343); RDATA as written.
canon()
{
	named-checkzone -q -D -o - example.ilnp. "$1" 2>/dev/null |
		awk '{ $1 = tolower($1); print }' | sort
}
want=$(cd "$ST_DIR" && canon "$zone" | awk '$4 ~ /^(NID|L32|L64|LP)$/ { $2 = 0 } { print }' | sort)
got=$(canon "$dump")
if [ -n "$want" ] && [ "$want" = "$got" ]; then
	st_pass "dump holds the zone's $(printf '%s\n' "$got" | wc -l) records, ILNP TTL 0"
else
	st_fail "dump differs from the zone file (< zone, > dump):"
	diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -n 20 | sed 's/^/    | /'
fi

# --- restart: the database, not the file, is the truth ------------------
if st_stop_ilnpdnsd; then
	st_pass "ilnpdnsd stopped on TERM"
else
	st_fail "ilnpdnsd ignored TERM for 5 s"
fi
# A different file under the same name: a restart must not read it.
cat >"$zone" <<'EOF'
$ORIGIN example.ilnp.
$TTL 60
@ SOA ns1 hostmaster 2024060199 7200 3600 1209600 60
  NS ns1
ns1 A 192.0.2.53
probe TXT "from the changed file"
EOF
t0=$(date +%s%N)
st_start_ilnpdnsd "$conf"
st_log "restarted (pid $ILNPDNSD_PID), ready in $(ms_since "$t0") ms"
check_ttl0 "after restart: host1 L64 still served" "$(ask dig host1.example.ilnp. L64)" 3 L64
st_eq "after restart: file not re-read (probe NXDOMAIN)" NXDOMAIN \
	"$(status_of "$(ask dig probe.example.ilnp. TXT)")"
out=$(ask dig example.ilnp. SOA)
st_grep "after restart: old SOA serial" ' 2024060101 ' "$(rrs "$out" ANSWER)"

# zone-import replaces the zone on purpose.
check_cmd "ilnpdns-ctl zone-import" ctl zone-import example.ilnp. "$zone"
st_eq "after zone-import: probe served" NOERROR "$(status_of "$(ask dig probe.example.ilnp. TXT)")"
st_eq "after zone-import: host1 gone" NXDOMAIN "$(status_of "$(ask dig host1.example.ilnp. L64)")"
out=$(ctl stats 2>&1)
st_grep "ilnpdns-ctl stats prints JSON" '^[[:space:]]*\{' "$out"

# ilnpdns-ctl stop ends the daemon within a bounded time.
ctl stop >/dev/null 2>&1
if st_reap "$ILNPDNSD_PID" 50; then
	st_pass "ilnpdns-ctl stop"
else
	st_fail "ilnpdns-ctl stop: daemon still running after 5 s"
fi
st_forget "$ILNPDNSD_PID"

# --- the ILNP TTL: server.ilnp-ttl, a zone's override, keep ----------------
# The same effective TTL in answers, additional data, zone dumps and AXFR
# (issue 2), whatever the TTL in the file; other types keep theirs.
port=$(st_free_port "$port")
conf="$ST_DIR/ttl.conf"
write_ttl_zone()
{
	cat >"$ST_DIR/zones/$1.zone" <<EOF
\$ORIGIN $1.
\$TTL 120
@	SOA	ns hostmaster 1 7200 3600 1209600 60
	NS	ns
ns	A	192.0.2.1
h	NID	10 0014:4fff:ff20:ee64
h	300 L64	10 2001:0db8:1140:1000
h	300 L32	10 10.1.2.0
h	300 LP	10 net
h	A	192.0.2.2
net	300 L64	10 2001:0db8:2140:2000
EOF
}
for z in inherit.test seven.test keep.test; do write_ttl_zone $z; done
listen="\"127.0.0.1@$port\""
st_have_ipv6 && listen="$listen, \"::1@$port\""
cat >"$conf" <<EOF
server:
  listen: [ $listen ]
  database: $ST_DIR/db-ttl
  workers: 3
  ilnp-ttl: 30
  control: $ST_DIR/ctl.sock
zone:
  - domain: inherit.test.
    file: $ST_DIR/zones/inherit.test.zone
    allow-transfer: [ 127.0.0.1 ]
  - domain: seven.test.
    file: $ST_DIR/zones/seven.test.zone
    ilnp-ttl: 7
    allow-transfer: [ 127.0.0.1 ]
  - domain: keep.test.
    file: $ST_DIR/zones/keep.test.zone
    ilnp-ttl: keep
    allow-transfer: [ 127.0.0.1 ]
EOF
st_start_ilnpdnsd "$conf"
check_workers 3 "$port"

# ilnp_ttls TEXT: "owner type ttl" of every ILNP RR in dig or dump text, sorted, on one line.
ilnp_ttls()
{
	printf '%s\n' "$1" | awk '$4 ~ /^(NID|L32|L64|LP)$/ { print tolower($1), $4, $2 }' |
		sort -u | paste -sd' '
}
for zt in inherit.test:30 seven.test:7 keep.test:keep; do
	z=${zt%%:*} ttl=${zt#*:} t=${zt#*:} nid=${zt#*:}
	# keep: the file's TTLs, 120 ($TTL) for the NID and 300 for the rest.
	[ "$ttl" = keep ] && t=300 nid=120
	want="h.$z. L32 $t h.$z. L64 $t h.$z. LP $t h.$z. NID $nid net.$z. L64 $t"
	out=$(ask dig "h.$z." NID)
	st_eq "ilnp-ttl $ttl ($z): NID answer and RFC 6742 additional data" "$want" \
		"$(ilnp_ttls "$(rrs "$out" ANSWER; rrs "$out" ADDITIONAL)")"
	out=$(ask dig "h.$z." A)
	st_eq "ilnp-ttl $ttl ($z): A keeps its TTL" "h.$z. 120" \
		"$(rrs "$out" ANSWER | awk '{ print $1, $2 }')"
	st_eq "ilnp-ttl $ttl ($z): zone-dump" "$want" "$(ilnp_ttls "$(ctl zone-dump "$z." 2>&1)")"
	out=$(timeout 10 dig +time=3 +tries=1 -p "$port" @127.0.0.1 "$z." AXFR 2>&1)
	st_eq "ilnp-ttl $ttl ($z): AXFR" "$want" \
		"$(ilnp_ttls "$(printf '%s\n' "$out" | grep -v '^;' | tr -s ' \t' ' ')")"
done
st_done

