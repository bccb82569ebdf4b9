#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- RFC 2136/3007 dynamic update against ilnpdnsd with nsupdate, knsupdate and updsend; every RCODE and the zone checked with dig.
#
# The cases are in cases.sh (shared with update-bind/run.sh); this file
# carries them out against one ilnpdnsd and adds what only ilnpdnsd has: the
# journal (one entry per serial step) and the state after a restart. Then the
# RFC 2136 part (rfc2136.sh) runs again through knsupdate on a fresh server.
. "${top_srcdir:-$(dirname "$0")/../../..}/tests/system/lib.sh"
. "$top_srcdir/tests/system/update/common.sh"

st_need dig nsupdate knsupdate faketime tsig-keygen named-checkzone timeout mdb_dump
st_need_built "$ST_ILNPDNSD" "$ST_CTL" "$UPD_UPDSEND"
st_init

upd_setup
st_start_ilnpdnsd "$conf"
ctl() { timeout 10 "$ST_CTL" -s "$ST_DIR/ctl.sock" "$@"; }

UPD_SERIAL=$(upd_serial "$PORT")
[ -n "$UPD_SERIAL" ] || st_fatal "no SOA from ilnpdnsd"
START_SERIAL=$UPD_SERIAL
UPD_PREV_SERIAL=$UPD_SERIAL
CHANGES=0 # updates after which the served serial had moved (journal entries expected)

# after_update DESC EXPECT GOT: check the RCODE, then read the serial.
after_update()
{
	st_eq "$1: rcode" "$2" "$3"
	UPD_PREV_SERIAL=$UPD_SERIAL
	UPD_SERIAL=$(upd_serial "$PORT")
	if [ -z "$UPD_SERIAL" ]; then
		st_fail "$1: no SOA served after the update"
		UPD_SERIAL=$UPD_PREV_SERIAL
	fi
	[ "$UPD_SERIAL" = "$UPD_PREV_SERIAL" ] || CHANGES=$((CHANGES + 1))
}

u()
{
	after_update "$3" "$2" "$(upd_run_nsupdate "$PORT" "$1")"
}

k()
{
	after_update "knsupdate: $3" "$2" "$(upd_run_knsupdate "$PORT" "$1")"
}

x()
{
	local spec=$1 want=$2 desc=$3 got
	shift 3
	if [ "$spec" = resend ]; then
		got=$(timeout 20 "$UPD_UPDSEND" -r "$ST_DIR/replay.bin" "127.0.0.1@$PORT")
	else
		got=$(timeout 20 "$UPD_UPDSEND" -y "$(upd_alg "$spec-key"):$spec-key:$(upd_secret "$spec-key")" \
			-w "$ST_DIR/replay.bin" -z "$UPD_ZONE" "$@" "127.0.0.1@$PORT")
	fi
	after_update "updsend: $desc" "$want" "$(printf '%s\n' "$got" | awk '{ $1 = ""; sub(/^ /, ""); print }')"
}

ch()
{
	st_eq "$1" "$(upd_serial_next "$UPD_PREV_SERIAL")" "$UPD_SERIAL"
}
nc() { st_eq "$1" "$UPD_PREV_SERIAL" "$UPD_SERIAL"; }
sr() { st_eq "$2" "$1" "$UPD_SERIAL"; }
z() { st_eq "$4" "$3" "$(upd_rdata "$PORT" "$1" "$2")"; }
zsoa()
{
	st_eq "$2" "$1" "$(timeout 10 dig +norec +short +time=2 +tries=1 -p "$PORT" @127.0.0.1 \
		"$UPD_ZONE" SOA | awk '{ $3 = ""; print }' | tr -s ' ')"
}
zx()
{
	st_eq "$3" "$2" "$(timeout 10 dig +norec +time=2 +tries=1 -p "$PORT" @127.0.0.1 "$1" TXT |
		sed -n 's/.*status: \([A-Z]*\).*/\1/p')"
}

# check_journal DB LABEL CHANGES: the journal holds one entry per changing
# update; its serials chain from START_SERIAL to the served one.
check_journal()
{
	st_check_journal "$1" "$2" "$3" "$START_SERIAL" "$UPD_SERIAL"
}

. "$top_srcdir/tests/system/update/cases.sh"

# --- zone section count (RFC 2136 3.1.1): ZOCOUNT must be 1 -----------------
if command -v python3 >/dev/null 2>&1; then
	for zc in 0 2; do
		got=$(timeout 10 python3 - "$PORT" "$zc" <<'EOF'
import socket, struct, sys
port, zc = int(sys.argv[1]), int(sys.argv[2])
zone = b'\x07example\x04ilnp\x00' + struct.pack('>HH', 6, 1)
msg = struct.pack('>HHHHHH', 0x5a5a, 5 << 11, zc, 0, 0, 0) + zone * zc
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(msg, ('127.0.0.1', port))
r = s.recv(4096)
print('id-ok' if r[:2] == msg[:2] else 'id-bad', 'qr' if r[2] & 0x80 else 'noqr',
      'opcode', (r[2] >> 3) & 15, 'rcode', r[3] & 15)
EOF
		)
		st_eq "ZOCOUNT $zc: FORMERR" "id-ok qr opcode 5 rcode 1" "$got"
	done
fi

# --- serial and journal -----------------------------------------------------
st_log "serial $START_SERIAL -> $UPD_SERIAL over $CHANGES changing updates"
# The journal holds one entry per changing update; its serials chain from the
# first serial to the served one. zone-dump shows the same serial.
dump="$ST_DIR/dump.zone"
if ctl zone-dump "$UPD_ZONE" >"$dump" 2>"$ST_DIR/ctl.err"; then
	st_grep "zone-dump carries the served serial" \
		"SOA[[:space:]].* $UPD_SERIAL " "$(grep -w SOA "$dump")"
	if named-checkzone -q "$UPD_ZONE" "$dump" >/dev/null 2>&1; then
		st_pass "the updated zone dump passes named-checkzone"
	else
		st_fail "the updated zone dump fails named-checkzone"
	fi
else
	st_fail "ilnpdns-ctl zone-dump: $(cat "$ST_DIR/ctl.err")"
fi
check_journal "$ST_DIR/db" "" "$CHANGES"

# --- restart: everything acknowledged is still there ------------------------
if st_stop_ilnpdnsd; then
	st_pass "ilnpdnsd stopped on TERM"
else
	st_fail "ilnpdnsd ignored TERM"
fi
st_start_ilnpdnsd "$conf"
st_eq "after restart: same serial" "$UPD_SERIAL" "$(upd_serial "$PORT")"
z p19.example.ilnp. TXT '"once"' "after restart: p19 TXT"
z host1.example.ilnp. L32 '10 10.77.0.0' "after restart: host1 L32"
z example.ilnp. MX '' "after restart: apex MX still deleted"

# --- the RFC 2136 cases once more through knsupdate, on a fresh server -------
# Knot's client builds its messages its own way (name compression, RDATA
# parsing, TCP framing); every prerequisite form, update form and special
# rule must come out the same. The fresh database starts from the zone file.
st_stop_ilnpdnsd || st_fail "ilnpdnsd ignored TERM before the knsupdate pass"
PORT=$(st_free_port)
upd_ilnp_conf "$ST_DIR/ilnpdnsd-k.yaml" "$PORT" "$ST_DIR/db-k" "$zone"
st_start_ilnpdnsd "$ST_DIR/ilnpdnsd-k.yaml"
UPD_SERIAL=$(upd_serial "$PORT")
[ -n "$UPD_SERIAL" ] || st_fatal "no SOA from the fresh ilnpdnsd"
START_SERIAL=$UPD_SERIAL
UPD_PREV_SERIAL=$UPD_SERIAL
CHANGES=0
u() { k "$@"; }
. "$top_srcdir/tests/system/update/rfc2136.sh"
st_log "knsupdate pass: serial $START_SERIAL -> $UPD_SERIAL over $CHANGES changing updates"
check_journal "$ST_DIR/db-k" "knsupdate pass: " "$CHANGES"
st_done
