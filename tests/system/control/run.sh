#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- ilnpdns-ctl against a running ilnpdnsd: every command, errors, exit codes, the socket's
# mode, dot-stuffed replies, every stats counter against known traffic, the Prometheus listener,
# reload (good and bad), and the query log (silent by default, on with server.log-queries).
. "$(dirname "$0")/../lib.sh"

st_need dig python3
st_need_built "$ST_ILNPDNSD" "$ST_CTL"
st_init

PORT=$(st_free_port)
MPORT=$(st_free_port "$PORT")
CONF="$ST_DIR/ilnpdnsd.yaml"
SOCK="$ST_DIR/ctl.sock"
ZONE="$ST_DIR/ctl.test.zone"

# zone_file FILE SERIAL
zone_file()
{
	cat >"$1" <<EOF
\$ORIGIN ctl.test.
\$TTL 3600
@	IN	SOA	ns1 hostmaster $2 7200 3600 1209600 300
@	IN	NS	ns1
ns1	IN	A	192.0.2.53
host1	IN	L64	10 2001:db8:1140:1000
EOF
}
zone_file "$ZONE" 1
# An RRset too large for 512 octets: truncated over UDP without EDNS (RFC 2181 9).
pad=$(printf 'x%.0s' $(seq 1 60))
for i in $(seq 10 21); do
	printf 'big\tIN\tTXT\t"%s %s"\n' "$pad" "$i" >>"$ZONE"
done

# write_conf [TOP-LEVEL-YAML [SERVER-YAML]]
write_conf()
{
	cat >"$CONF" <<EOF
server:
  listen: [ "127.0.0.1@$PORT" ]
  database: $ST_DIR/db
  workers: 2
  control: $SOCK
  metrics: 127.0.0.1@$MPORT
${2:-}
zone:
  - domain: ctl.test.
    file: $ZONE
${1:-}
EOF
}
write_conf ""
st_start_ilnpdnsd "$CONF"
ctl() { "$ST_CTL" -s "$SOCK" "$@"; }

st_eq "control socket is mode 0600" "srw-------" "$(stat -c %A "$SOCK")"

# status, by -s and by -c (server.control from the file)
out=$(ctl status)
st_eq "status exits 0" 0 "$?"
st_grep "status: version" '^version: [0-9]+\.[0-9]+' "$out"
st_grep "status: workers" '^workers: 2$' "$out"
st_grep "status: zones" '^zones: 1$' "$out"
st_grep "status: config" "^config: $CONF\$" "$out"
out=$(cd / && "$ST_CTL" -c "$CONF" status)
st_grep "status through -c config" "^pid: $ILNPDNSD_PID\$" "$out"

# stats: known traffic (tests/system/control/traffic.py), then every counter checked.
traffic() { python3 "$top_srcdir/tests/system/control/traffic.py" "$PORT" "$@"; }
log_lines() { wc -l <"$ST_DIR/ilnpdnsd.log"; }
before=$(log_lines)
out=$(traffic all)
st_eq "the traffic got the answers expected" "L64 rcode 0 tc 0|L64 rcode 0 tc 0|L64 rcode 0 tc 0|\
tcp A rcode 3|TXT rcode 0 tc 1|short no answer|STATUS rcode 4 tc 0" \
	"$(printf '%s\n' "$out" | paste -sd '|')"
# Nothing per query at the default level (notice, log-queries off).
sleep 0.5
st_eq "seven requests log nothing at the default level" "$before" "$(log_lines)"
ctl stats >"$ST_DIR/stats.json"
st_eq "stats exits 0" 0 "$?"
cat >"$ST_DIR/stats.py" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
# Every counter the issue names is there (by transport, qtype, rcode, truncations, drops).
fields = {"queries": ["udp", "tcp", "total"], "qtype": [], "rcode": [], "opcode": [],
          "truncated": None, "dropped": None, "edns": None,
          "tcp": ["accepted", "refused", "timeouts"],
          "cookies": ["client_only", "valid", "invalid"], "rrl": ["dropped", "slipped"],
          "update": ["received", "rcode", "tsig_failures", "sig0_failures", "limited",
                     "batches", "batched", "commit_failures", "batch_size", "queue_full"]}
for k, sub in fields.items():
    if k not in s:
        print("missing", k)
    elif sub is None and not isinstance(s[k], int):
        print("not a count:", k)
    elif sub is not None:
        for m in sub:
            if m not in s[k]:
                print("missing %s.%s" % (k, m))
q = s["queries"]
print("transport", q["udp"], q["tcp"], q["total"])
print("qtype", sorted(s["qtype"].items()))
print("rcode", sorted(s["rcode"].items()))
print("opcode", sorted(s["opcode"].items()))
print("tc", s["truncated"], "dropped", s["dropped"], "edns", s["edns"])
print("tcp", s["tcp"]["accepted"], "cookies", sum(s["cookies"].values()),
      "rrl", sum(s["rrl"].values()), "updates", sum(s["update"]["received"].values()))
EOF
st_eq "stats: every field, and each count right" "transport 6 1 7
qtype [('A', 2), ('L64', 3), ('TXT', 1)]
rcode [('NOERROR', 4), ('NOTIMP', 1), ('NXDOMAIN', 1)]
opcode [('QUERY', 5), ('STATUS', 1)]
tc 1 dropped 1 edns 1
tcp 1 cookies 0 rrl 0 updates 0" "$(python3 "$ST_DIR/stats.py" "$ST_DIR/stats.json")"

# zone-list
out=$(ctl zone-list)
st_grep "zone-list shows the zone and serial" \
	$'^ctl\\.test\\.\tserial 1\timported [0-9T:Z-]+\tilnp-ttl 0$' "$out"

# zone-import: a relative path is resolved by the client; a bad file changes nothing
zone_file "$ST_DIR/new zone.txt" 2
out=$(cd "$ST_DIR" && "$ST_CTL" -s "$SOCK" zone-import ctl.test "new zone.txt")
st_eq "zone-import exits 0" 0 "$?"
st_grep "zone-import reports the serial" '^imported ctl\.test: serial 2, 4 records' "$out"
printf 'host2 IN L64 10 not-a-locator\n' >>"$ST_DIR/new zone.txt"
sed -i 's/ 2 7200/ 3 7200/' "$ST_DIR/new zone.txt"
err=$(ctl zone-import ctl.test "$ST_DIR/new zone.txt" 2>&1 >/dev/null)
st_eq "zone-import of a bad file exits 1" 1 "$?"
st_grep "the error names file and line" "new zone\\.txt:7: " "$err"
st_eq "the served zone is unchanged" "ns1.ctl.test. hostmaster.ctl.test. 2 7200 3600 1209600 300" \
	"$(dig +short -p "$PORT" @127.0.0.1 ctl.test. SOA)"

# zone-dump, and dot-stuffing: a root zone's lines start with "."
out=$(ctl zone-dump ctl.test.)
st_grep "zone-dump starts with the SOA" $'^ctl\\.test\\.\t3600\tIN\tSOA\t' \
	"$(printf '%s\n' "$out" | head -1)"
st_grep "zone-dump serves ILNP TTL 0" \
	$'^host1\\.ctl\\.test\\.\t0\tIN\tL64\t10 2001:0db8:1140:1000$' "$out"
cat >"$ST_DIR/root.zone" <<'EOF'
. 3600 IN SOA a.root. b.root. 5 3600 900 604800 300
. 3600 IN NS a.root.
a.root. 3600 IN A 192.0.2.1
EOF
ctl zone-import . "$ST_DIR/root.zone" >/dev/null
out=$(ctl zone-dump .)
st_grep "a dumped line starting with a dot comes back unchanged" $'^\\.\t3600\tIN\tSOA\t' "$out"
st_nogrep "no stuffing dots leak out" '^\.\.' "$out"

# errors: exit 1 and a message on stderr
err=$(ctl zone-dump nothere.test 2>&1)
st_eq "zone-dump of an unknown zone exits 1" 1 "$?"
st_grep "and says why" 'no zone nothere\.test in the database' "$err"
err=$(ctl frobnicate 2>&1)
st_eq "an unknown command exits 1" 1 "$?"
err=$(ctl zone-dump 2>&1)
st_eq "a missing argument exits 1" 1 "$?"
st_grep "with a usage line" 'usage: .* zone-dump ZONE' "$err"
err=$(printf 'zone-dump a b\n' | python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read())
print(s.makefile().read(), end="")' "$SOCK")
st_eq "the daemon checks argument counts too" ". error: usage: zone-dump ZONE" "$err"

# metrics
cat >"$ST_DIR/scrape.py" <<'EOF'
import sys, urllib.request, urllib.error
base = "http://127.0.0.1:%s" % sys.argv[1]
r = urllib.request.urlopen(base + "/metrics", timeout=5)
print(r.status, r.headers["Content-Type"])
print(r.read().decode())
try:
    urllib.request.urlopen(base + "/other", timeout=5)
except urllib.error.HTTPError as e:
    print("other", e.code)
EOF
# metric NAME{LABELS} TEXT: the value of one sample in a scrape.
metric()
{
	printf '%s\n' "$2" | awk -v n="$1" '$1 == n { print $2 }'
}
out=$(python3 "$ST_DIR/scrape.py" "$MPORT")
st_grep "metrics: 200 text/plain" '^200 text/plain; version=0\.0\.4' "$out"
st_grep "metrics: other paths are 404" '^other 404$' "$out"
# The counters of "ctl stats" above, plus the UDP SOA query (with EDNS) of the zone-import check.
got=
for m in 'ilnpdns_queries_total{transport="udp"}' 'ilnpdns_queries_total{transport="tcp"}' \
	'ilnpdns_queries_by_qtype_total{qtype="L64"}' 'ilnpdns_queries_by_qtype_total{qtype="A"}' \
	'ilnpdns_queries_by_qtype_total{qtype="TXT"}' \
	'ilnpdns_queries_by_qtype_total{qtype="SOA"}' \
	'ilnpdns_responses_total{rcode="NOERROR"}' \
	'ilnpdns_responses_total{rcode="NXDOMAIN"}' 'ilnpdns_responses_total{rcode="NOTIMP"}' \
	'ilnpdns_queries_by_opcode_total{opcode="STATUS"}' ilnpdns_truncated_total \
	ilnpdns_dropped_total ilnpdns_edns_queries_total ilnpdns_tcp_accepted_total; do
	got="$got $(metric "$m" "$out")"
done
st_eq "metrics: the same counts as ctl stats" " 7 1 3 2 1 1 5 1 1 1 1 1 2 1" "$got"
for m in ilnpdns_tcp_refused_total ilnpdns_tcp_timeouts_total ilnpdns_rrl_dropped_total \
	ilnpdns_rrl_slipped_total 'ilnpdns_cookie_queries_total{cookie="valid"}' \
	'ilnpdns_updates_total{transport="udp"}' ilnpdns_update_queue_full_total; do
	st_eq "metrics: $m is exported" 0 "$(metric "$m" "$out")"
done
# The values move: two more UDP L64 queries, one more short packet (the zone was replaced by
# zone-import above, so the TXT RRset that truncated is gone).
traffic 2 >/dev/null
traffic short >/dev/null
dig +short +tcp -p "$PORT" @127.0.0.1 host1.ctl.test. L64 >/dev/null
out=$(python3 "$ST_DIR/scrape.py" "$MPORT")
st_eq "metrics: UDP queries move (7 + 2 + 1)" 10 \
	"$(metric 'ilnpdns_queries_total{transport="udp"}' "$out")"
st_eq "metrics: TCP queries move (1 + 1)" 2 \
	"$(metric 'ilnpdns_queries_total{transport="tcp"}' "$out")"
st_eq "metrics: L64 queries move (3 + 2 + 1)" 6 \
	"$(metric 'ilnpdns_queries_by_qtype_total{qtype="L64"}' "$out")"
st_eq "metrics: drops move" 2 "$(metric ilnpdns_dropped_total "$out")"
st_eq "metrics: TCP connections move" 2 "$(metric ilnpdns_tcp_accepted_total "$out")"

# reload of a good file takes effect: a new zone is served, and log-queries logs each query.
cat >"$ST_DIR/two.zone" <<'EOF'
$ORIGIN two.test.
@	300	IN	SOA	ns hostmaster 7 3600 600 86400 60
@	300	IN	NS	ns
ns	300	IN	A	192.0.2.1
h	300	IN	L64	10 2001:db8:1:2
EOF
TWO="  - domain: two.test.
    file: $ST_DIR/two.zone"
write_conf "$TWO" "  log-queries: true"
ctl reload >/dev/null
st_eq "reload of a good file exits 0" 0 "$?"
st_grep "reload: the new zone is listed" $'^two\\.test\\.\tserial 7\t' "$(ctl zone-list)"
st_eq "reload: the new zone is served" "10 2001:db8:1:2" \
	"$(dig +short -p "$PORT" @127.0.0.1 h.two.test. L64)"
traffic 1 >/dev/null
dig +short +tcp +nocookie -p "$PORT" @127.0.0.1 NotHere.two.test. A >/dev/null
# wait_logged PATTERN N: up to 5 s until the daemon log has N lines matching PATTERN.
wait_logged()
{
	local i=0
	while [ "$(grep -cE -- "$1" "$ST_DIR/ilnpdnsd.log")" -lt "$2" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
wait_logged 'notice: query tcp ' 1
log=$(cat "$ST_DIR/ilnpdnsd.log")
st_grep "log-queries: a UDP query is logged" \
	'notice: query udp 127\.0\.0\.1@[0-9]+ host1\.ctl\.test\. L64 NOERROR$' "$log"
st_grep "log-queries: a TCP query is logged, its name as asked" \
	'notice: query tcp 127\.0\.0\.1@[0-9]+ NotHere\.two\.test\. A NXDOMAIN edns$' "$log"

# reload of a bad file: the whole file is read before anything changes. The error is on its
# last line, after log-queries is switched off and two.test. left out: neither may happen.
write_conf "rrl:
  enable: true
  slip: 99" "  log-queries: false"
err=$(ctl reload 2>&1)
st_eq "reload of a bad file exits 1" 1 "$?"
st_grep "reload names file, line and key" "$CONF:13: rrl\\.slip: out of range \\(0 to 10\\)" "$err"
write_conf "bogus: 1"
err=$(ctl reload 2>&1)
st_eq "reload of a file with an unknown key exits 1" 1 "$?"
st_grep "reload names file, line and key" "$CONF:11: bogus: unknown key" "$err"
before=$(grep -c 'notice: query ' "$ST_DIR/ilnpdnsd.log")
traffic 1 >/dev/null
wait_logged 'notice: query ' $((before + 1))
st_eq "after the failed reloads queries are still logged: the old configuration stays" \
	$((before + 1)) "$(grep -c 'notice: query ' "$ST_DIR/ilnpdnsd.log")"
st_grep "status names the running configuration" "^config: $CONF\$" "$(ctl status)"

# stop: the daemon exits and removes its socket
ctl stop
st_eq "stop exits 0" 0 "$?"
# An exited child stays a zombie until waited for, and kill -0 still succeeds on it.
alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat"; }
i=0
while alive "$ILNPDNSD_PID" && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
if alive "$ILNPDNSD_PID"; then
	st_fail "daemon still running 5 s after stop"
else
	st_pass "daemon stopped"
	wait "$ILNPDNSD_PID" 2>/dev/null
	st_forget "$ILNPDNSD_PID"
fi
if [ -e "$SOCK" ]; then st_fail "socket left behind"; else st_pass "socket removed"; fi
ctl status >/dev/null 2>&1
st_eq "status without a daemon exits 1" 1 "$?"
st_done
