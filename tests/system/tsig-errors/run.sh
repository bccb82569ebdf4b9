#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- RFC 8945 TSIG answers on the wire, replays (restart, many updates), key sources and algorithms, unsigned sources and the failure limit, with probe.py, nsupdate and knsupdate.
#
# probe.py signs and verifies with its own TSIG (Python hmac, written from
# the RFC), so the server's answers are checked by code that shares nothing
# with lib/tsig.c. The tools then cover what they can do: every algorithm and
# hmac-md5 (allowed by its key: entry) through nsupdate and knsupdate, a key
# from a tsig-keygen file, unknown keys, unsigned updates and
# allow-update-unsigned. Config checks: hmac-md5 in a key file is refused, a
# key file readable by others draws a warning.
. "${top_srcdir:-$(dirname "$0")/../../..}/tests/system/lib.sh"

st_need dig nsupdate knsupdate tsig-keygen python3 timeout
st_need_built "$ST_ILNPDNSD"
st_init

PROBE="$top_srcdir/tests/system/tsig-errors/probe.py"
KD="$ST_DIR/keys"
mkdir -p "$KD"
# keygen NAME ALG: a tsig-keygen file $KD/NAME.key, mode 0600.
keygen() { (umask 077 && tsig-keygen -a "$2" "$1" >"$KD/$1.key") || st_fatal "tsig-keygen $1"; }
secret() { sed -n 's/.*secret "\(.*\)".*/\1/p' "$KD/$1.key"; }
keygen admin-key hmac-sha256
keygen md5-key hmac-md5
keygen md5file-key hmac-md5
for k in limited-key sha1-key sha224-key sha384-key sha512-key trunc-key exposed-key; do
	case $k in
	sha*) keygen $k "hmac-${k%-key}" ;;
	*) keygen $k hmac-sha256 ;;
	esac
done
# trunc-key accepts MACs of 128 bits and more (BIND's hmac-sha256-128).
sed -i 's/algorithm hmac-sha256;/algorithm hmac-sha256-128;/' "$KD/trunc-key.key"
(umask 077 && cat "$KD"/{limited,sha1,sha224,sha384,sha512,trunc}-key.key >"$KD/file-keys.conf")
# A second key file left readable by everyone: loaded, with a warning.
cp "$KD/exposed-key.key" "$KD/exposed.conf"
chmod 644 "$KD/exposed.conf"

zone="$ST_DIR/example.ilnp.zone"
cat >"$zone" <<'EOF'
$TTL 300
example.ilnp.	IN SOA	ns1.example.ilnp. hostmaster.example.ilnp. 1 7200 3600 1209600 300
example.ilnp.	IN NS	ns1.example.ilnp.
ns1.example.ilnp.	IN AAAA	2001:db8::53
host1.example.ilnp.	IN NID	10 0014:4fff:ff20:ee64
host1.example.ilnp.	IN L64	10 2001:db8:1140:1000
limited.example.ilnp.	IN TXT	"before"
EOF

PORT=$(st_free_port)
conf="$ST_DIR/ilnpdnsd.yaml"
# mkconf [LIMIT [UNSIGNED-FROM]]: the config, update-fail-limit LIMIT.
mkconf()
{
	cat >"$conf" <<EOF
server:
  listen: [ "127.0.0.1@$PORT" ]
  database: $ST_DIR/db
  workers: 2
  ilnp-ttl: keep
  control: $ST_DIR/ctl.sock
  update-fail-limit: ${1:-100000}
key:
  - id: admin-key
    algorithm: hmac-sha256
    secret: "$(secret admin-key)"
  - id: md5-key
    algorithm: hmac-md5
    allow-md5: true
    secret: "$(secret md5-key)"
key-file: [ $KD/file-keys.conf, $KD/exposed.conf ]
zone:
  - domain: example.ilnp.
    file: $zone
    allow-update-unsigned: [ ${2:-} ]
    update-policy:
      - grant admin-key subdomain example.ilnp. ANY
      - grant limited-key name limited.example.ilnp. TXT
EOF
	for k in sha1 sha224 sha384 sha512 trunc md5 exposed; do
		echo "      - grant $k-key subdomain example.ilnp. TXT"
	done >>"$conf"
}

# ---- configuration: hmac-md5 only from a key: entry that allows it ----
mkconf
sed "s|key-file: \[ |key-file: [ $KD/md5file-key.key, |" "$conf" >"$ST_DIR/md5file.yaml"
# ok_if DESC CMD...: pass when CMD succeeds.
ok_if()
{
	local d=$1
	shift
	if "$@"; then st_pass "$d"; else st_fail "$d"; fi
}
out=$("$ST_ILNPDNSD" -n -c "$ST_DIR/md5file.yaml" 2>&1)
ok_if "hmac-md5 in a key file: the config is refused" [ $? -ne 0 ]
st_grep "hmac-md5 in a key file: the error names it" 'md5file-key.*hmac-md5.*not allowed' "$out"
sed '/allow-md5: true/d' "$conf" >"$ST_DIR/md5noallow.yaml"
out=$("$ST_ILNPDNSD" -n -c "$ST_DIR/md5noallow.yaml" 2>&1)
ok_if "hmac-md5 key: entry without allow-md5: the config is refused" [ $? -ne 0 ]
st_grep "hmac-md5 without allow-md5: the error says so" 'hmac-md5.*not allowed' "$out"
out=$("$ST_ILNPDNSD" -n -c "$conf" 2>&1)
rc=$?
ok_if "the same config with allow-md5 is good ($(printf '%s' "$out" | tail -n 1))" [ $rc -eq 0 ]

st_start_ilnpdnsd "$conf"
log="$ST_DIR/ilnpdnsd.log"
st_grep "a key file readable by others draws a warning" \
	"key file $KD/exposed.conf is readable by group or others" "$(cat "$log")"
st_nogrep "a 0600 key file draws none" "key file $KD/file-keys.conf is readable" "$(cat "$log")"

# run_probe PHASE: probe.py's ok/FAIL lines become this test's checks; it
# must get to its last line.
run_probe()
{
	local line done=0
	while IFS= read -r line; do
		case $line in
		"ok   "*) st_pass "probe: ${line#ok   }" ;;
		"FAIL "*) st_fail "probe: ${line#FAIL }" ;;
		"probe.py finished") done=1 ;;
		*) st_log "probe: $line" ;;
		esac
	done < <(timeout 300 python3 "$PROBE" "$1" "$PORT" \
		"admin-key.:hmac-sha256:$(secret admin-key)" \
		"limited-key.:hmac-sha256:$(secret limited-key)" \
		"sha1-key.:hmac-sha1:$(secret sha1-key)" \
		"trunc-key.:hmac-sha256:$(secret trunc-key)" \
		"md5-key.:hmac-md5.sig-alg.reg.int:$(secret md5-key)" 2>&1)
	st_eq "probe.py $1 ran to its end" 1 "$done"
}
run_probe main

# ---- replays: across a restart, and after thousands of other updates (issue 3) ----
# The replay table is in the store: the same signed octets are refused after
# ilnpdnsd restarts on the same database, and after more signed updates than
# any fixed-size table would hold.
export PROBE_STATE="$ST_DIR/replay.bin"
replays_logged() { grep -c "NOTAUTH (TSIG replay)" "$log"; }
before=$(replays_logged)
run_probe replay-save
st_stop_ilnpdnsd || st_fail "ilnpdnsd needed KILL"
st_start_ilnpdnsd "$conf"
run_probe replay-restart
run_probe replay-many
st_eq "both replays are logged as TSIG replays" $((before + 2)) "$(replays_logged)"

# ---- the tools: nsupdate and knsupdate on the same cases ----
# upd TOOL KEYARGS [local ADDR]: the commands on stdin; prints the RCODE as
# nsupdate shows it ("NOERROR", "REFUSED", "NOTAUTH(BADKEY)").
upd()
{
	local tool=$1 keyargs=$2 src=${3:-} out rc st
	# shellcheck disable=SC2086 # the key arguments are words on purpose
	out=$({
		echo "server 127.0.0.1 $PORT"
		[ -z "$src" ] || echo "local $src"
		echo "zone example.ilnp."
		cat
		echo send
	} | timeout 20 $tool $keyargs 2>&1)
	rc=$?
	if [ "$tool" = nsupdate ]; then
		st=$(printf '%s\n' "$out" | sed -n 's/^update failed: \([A-Z0-9()]*\).*/\1/p' | head -n 1)
	else
		st=$(printf '%s\n' "$out" | sed -n 's/.*status: \([A-Z]*\).*/\1/p' | head -n 1)
		case $st in BADSIG | BADKEY | BADTIME | BADTRUNC) st="NOTAUTH($st)" ;; esac
	fi
	if [ -n "$st" ]; then
		echo "$st"
	elif [ $rc -eq 0 ] && ! printf '%s\n' "$out" | grep -qi 'error'; then
		echo NOERROR
	else
		echo "ERROR:$(printf '%s\n' "$out" | tail -n 1 | tr -s ' ' _)"
	fi
}
txt() { dig +norec +short +time=2 +tries=2 -p "$PORT" @127.0.0.1 "$1" TXT | sort | tr '\n' ' '; }
y() { echo "-y $2:$1:$(secret "$1")"; }

for tool in nsupdate knsupdate; do
	for k in md5 sha1 sha224 sha384 sha512; do
		alg=hmac-$k
		[ $k = md5 ] && alg=hmac-md5
		st_eq "$tool -y $alg" NOERROR "$(upd $tool "$(y $k-key $alg)" <<EOF
update add $tool.$k.example.ilnp. 300 TXT "$k"
EOF
)"
		st_eq "$tool $alg: the TXT is served" "\"$k\" " "$(txt $tool.$k.example.ilnp.)"
	done
	st_eq "$tool: a key nobody configured: NOTAUTH(BADKEY)" 'NOTAUTH(BADKEY)' \
		"$(upd $tool "-y hmac-sha256:stranger-key:$(secret admin-key)" <<'EOF'
update add stranger.example.ilnp. 300 TXT "x"
EOF
)"
	st_eq "$tool: md5-key used with hmac-sha256: NOTAUTH(BADKEY)" 'NOTAUTH(BADKEY)' \
		"$(upd $tool "$(y md5-key hmac-sha256)" <<'EOF'
update add stranger.example.ilnp. 300 TXT "x"
EOF
)"
	st_eq "$tool: unsigned: REFUSED" REFUSED "$(upd $tool "" <<'EOF'
update add stranger.example.ilnp. 300 TXT "x"
EOF
)"
	st_eq "$tool: limited-key (key file) outside its name: REFUSED" REFUSED \
		"$(upd $tool "$(y limited-key hmac-sha256)" <<'EOF'
update add stranger.example.ilnp. 300 TXT "x"
EOF
)"
	st_eq "$tool: exposed-key (world-readable key file) still works" NOERROR \
		"$(upd $tool "$(y exposed-key hmac-sha256)" <<EOF
update add exposed.example.ilnp. 300 TXT "$tool"
EOF
)"
done
st_eq "refused updates: nothing at stranger" "" "$(txt stranger.example.ilnp.)"
st_eq "nsupdate -k with the tsig-keygen file of limited-key" NOERROR \
	"$(upd nsupdate "-k $KD/limited-key.key" <<'EOF'
update delete limited.example.ilnp. TXT
update add limited.example.ilnp. 300 TXT "after"
EOF
)"
st_eq "limited-key's TXT replaced" '"after" ' "$(txt limited.example.ilnp.)"
st_eq "nsupdate -k trunc-key (hmac-sha256-128 file): 128-bit MACs accepted" NOERROR \
	"$(upd nsupdate "-k $KD/trunc-key.key" <<'EOF'
update add trunc-tool.example.ilnp. 300 TXT "t"
EOF
)"

# ---- allow-update-unsigned lists sources; the failure limit ----
st_stop_ilnpdnsd || st_fail "ilnpdnsd needed KILL"
mkconf 3 '"127.0.0.2/32"'
st_start_ilnpdnsd "$conf"
for tool in nsupdate knsupdate; do
	st_eq "$tool: unsigned from 127.0.0.1, only 127.0.0.2 listed: REFUSED" REFUSED \
		"$(upd $tool "" <<EOF
update add unsigned-$tool.example.ilnp. 300 TXT "no"
EOF
)"
done
st_eq "nsupdate: unsigned from 127.0.0.2 (listed): NOERROR" NOERROR \
	"$(upd nsupdate "" 127.0.0.2 <<'EOF'
update add unsigned.example.ilnp. 300 TXT "lab"
EOF
)"
st_eq "unsigned: only the listed source's TXT" '"lab" ' \
	"$(txt unsigned.example.ilnp.)$(txt unsigned-nsupdate.example.ilnp.)$(txt unsigned-knsupdate.example.ilnp.)"
run_probe limit
st_eq "limit: another source is not limited" NOERROR \
	"$(upd nsupdate "$(y admin-key hmac-sha256)" 127.0.0.2 <<'EOF'
update add other-source.example.ilnp. 300 TXT "ok"
EOF
)"
st_done
