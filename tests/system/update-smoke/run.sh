#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- a quick end-to-end look at dynamic update: nsupdate -y over UDP and TCP, the result seen
# by dig at once, serial steps, BADSIG and unsigned refusals, and the changes surviving a restart.
. "$(dirname "$0")/../lib.sh"

st_need dig nsupdate
st_need_built "$ST_ILNPDNSD" "$ST_CTL"
st_init

PORT=$(st_free_port)
CONF="$ST_DIR/ilnpdnsd.yaml"
KEYS="$top_srcdir/zones/example.ilnp.keys"
# The published example key (zones/example.ilnp.keys), and a wrong secret under its name.
KEY="hmac-sha256:mn-key.example.ilnp.:Gbjo42zSmcTkV6npRjgnzYRrxtWSviISpuJyiaIbKPQ="
BADKEY="hmac-sha256:mn-key.example.ilnp.:YW5vdGhlci1zZWNyZXQtb2YtMzItb2N0ZXRzLWxvbmc="

cat >"$CONF" <<EOC
server:
  listen: [ "127.0.0.1@$PORT" ]
  database: $ST_DIR/db
  workers: 2
  control: $ST_DIR/ctl.sock
key-file: [ $KEYS ]
zone:
  - domain: example.ilnp.
    file: $ST_ZONE
    update-policy:
      - grant mn-key.example.ilnp. subdomain example.ilnp. L64 L32 NID LP AAAA
EOC
st_start_ilnpdnsd "$CONF"

# nsup [nsupdate options...] < commands: the server line is added here.
nsup()
{
	{
		echo "server 127.0.0.1 $PORT"
		echo "zone example.ilnp."
		cat
		echo "send"
	} | timeout 20 nsupdate "$@" 2>&1
}
q() { dig +short +norec +time=2 +tries=1 -p "$PORT" @127.0.0.1 "$@"; }
serial() { q example.ilnp. SOA | awk '{print $3}'; }

s0=$(serial)
[ -n "$s0" ] || st_fatal "no SOA from ilnpdnsd"

# UDP: add an L64, seen by the very next query.
out=$(nsup -y "$KEY" <<<"update add smoke1.example.ilnp. 0 L64 10 2001:db8:5:1")
st_eq "nsupdate -y over UDP succeeds" 0 "$?"
st_eq "the L64 is served at once" "10 2001:db8:5:1" "$(q smoke1.example.ilnp. L64)"
st_eq "the serial moved by one" "$((s0 + 1))" "$(serial)"

# TCP (-v): a prerequisite that holds, an AAAA add and an L32 add in one update.
out=$(nsup -v -y "$KEY" <<'EOU'
prereq yxrrset smoke1.example.ilnp. L64
update add smoke2.example.ilnp. 0 AAAA 2001:db8::5:2
update add smoke2.example.ilnp. 0 L32 10 10.5.2.0
EOU
)
st_eq "nsupdate -v -y over TCP succeeds" 0 "$?"
st_eq "the AAAA is served" "2001:db8::5:2" "$(q smoke2.example.ilnp. AAAA)"
st_eq "the L32 is served" "10 10.5.2.0" "$(q smoke2.example.ilnp. L32)"
st_eq "one serial step for the whole update" "$((s0 + 2))" "$(serial)"

# A prerequisite that fails: NXRRSET, nothing applied.
out=$(nsup -v -y "$KEY" <<'EOU'
prereq yxrrset nothere.example.ilnp. L64
update add smoke3.example.ilnp. 0 L64 10 2001:db8:5:3
EOU
)
st_grep "false prerequisite is NXRRSET" 'NXRRSET' "$out"
st_eq "nothing applied after NXRRSET" "" "$(q smoke3.example.ilnp. L64)"

# Delete over TCP.
out=$(nsup -v -y "$KEY" <<<"update delete smoke1.example.ilnp. L64")
st_eq "delete over TCP succeeds" 0 "$?"
st_eq "the L64 is gone" "" "$(q smoke1.example.ilnp. L64)"

# A wrong secret: BADSIG, and no change.
out=$(nsup -y "$BADKEY" <<<"update add smoke4.example.ilnp. 0 L64 10 2001:db8:5:4")
st_grep "wrong secret is answered BADSIG" 'BADSIG' "$out"
st_eq "nothing applied after BADSIG" "" "$(q smoke4.example.ilnp. L64)"

# Unsigned: REFUSED (no allow-update-unsigned).
out=$(nsup <<<"update add smoke5.example.ilnp. 0 L64 10 2001:db8:5:5")
st_grep "unsigned update is REFUSED" 'REFUSED' "$out"
# The policy grants no SOA/NS/MX: REFUSED, though the key is good.
out=$(nsup -y "$KEY" <<<"update add example.ilnp. 3600 MX 20 mail2.example.ilnp.")
st_grep "a type outside the policy is REFUSED" 'REFUSED' "$out"
st_eq "serial after the refusals" "$((s0 + 3))" "$(serial)"

log="$ST_DIR/ilnpdnsd.log"
st_grep "one notice line per update" \
	'update example\.ilnp\. from 127\.0\.0\.1#[0-9]+ key mn-key\.example\.ilnp\. tcp: NOERROR, serial' \
	"$(cat "$log")"
st_grep "BADSIG is logged" 'NOTAUTH \(TSIG BADSIG\)' "$(cat "$log")"
stats=$("$ST_CTL" -s "$ST_DIR/ctl.sock" stats)
st_grep "stats count the updates" '"update":\{"received":\{"udp":[1-9][0-9]*,"tcp":[1-9]' "$stats"

# Acknowledged means on disk: the changes survive a restart.
st_stop_ilnpdnsd || st_fail "ilnpdnsd needed KILL to stop"
st_start_ilnpdnsd "$CONF"
st_eq "after a restart: the AAAA" "2001:db8::5:2" "$(q smoke2.example.ilnp. AAAA)"
st_eq "after a restart: the serial" "$((s0 + 3))" "$(serial)"

st_done
