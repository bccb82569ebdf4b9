#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- ilnpdns-ctl against a running ilnpdnsd: every command, errors, exit codes, the socket's
# mode, dot-stuffed replies, and the Prometheus listener.
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

# write_conf EXTRA-LINE
write_conf()
{
	cat >"$CONF" <<EOF
server:
  listen: [ "127.0.0.1@$PORT" ]
  database: $ST_DIR/db
  workers: 2
  control: $SOCK
  metrics: 127.0.0.1@$MPORT
zone:
  - domain: ctl.test.
    file: $ZONE
$1
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

# stats after three UDP queries and one TCP query
for i in 1 2 3; do dig +short -p "$PORT" @127.0.0.1 host1.ctl.test. TYPE106 >/dev/null; done
dig +short +tcp -p "$PORT" @127.0.0.1 nothere.ctl.test. A >/dev/null
out=$(ctl stats)
check=$(printf '%s' "$out" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(s["queries"]["udp"], s["queries"]["tcp"], s["qtype"].get("L64"), s["rcode"].get("NXDOMAIN"))')
st_eq "stats JSON counts by transport, qtype and rcode" "3 1 3 1" "$check"

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
out=$(python3 "$ST_DIR/scrape.py" "$MPORT")
st_grep "metrics: 200 text/plain" '^200 text/plain; version=0\.0\.4' "$out"
st_grep "metrics: queries by transport" '^ilnpdns_queries_total\{transport="udp"\} 4$' "$out"
st_grep "metrics: responses by rcode" '^ilnpdns_responses_total\{rcode="NXDOMAIN"\} 1$' "$out"
st_grep "metrics: other paths are 404" '^other 404$' "$out"

# reload: a bad file is refused and the old configuration stays
write_conf "bogus: 1"
err=$(ctl reload 2>&1)
st_eq "reload of a bad file exits 1" 1 "$?"
st_grep "reload names file, line and key" "$CONF:10: bogus: unknown key" "$err"
write_conf ""
ctl reload >/dev/null
st_eq "reload of a good file exits 0" 0 "$?"

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
