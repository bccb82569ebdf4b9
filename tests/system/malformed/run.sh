#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- malformed packets over UDP and TCP get FORMERR/NOTIMP or are dropped; ilnpdnsd survives.
#
# The cases and their expected outcomes (PROTOCOLS.md 7.1) are in pktsend.c.
# They run against IPv4 and, when the host has it, IPv6 loopback; afterwards
# the daemon must still be running and answering.
. "${top_srcdir:-$(dirname "$0")/../../..}/tests/system/lib.sh"

st_need dig
PKTSEND="$top_builddir/tests/system/pktsend"
st_need_built "$ST_ILNPDNSD" "$PKTSEND"
[ -f "$ST_ZONE" ] || st_fatal "$ST_ZONE is missing"
st_init

port=$(st_free_port)
st_ilnpdnsd_conf "$ST_DIR/ilnpdnsd.conf" "$port" "$ST_DIR/db" "$ST_ZONE"
st_start_ilnpdnsd "$ST_DIR/ilnpdnsd.conf"

# The apex SOA exists in any zone; the mixed case also checks the echo.
if "$PKTSEND" -n ExAmple.ILNP. -t SOA "127.0.0.1@$port"; then
	st_pass "pktsend over 127.0.0.1"
else
	st_fail "pktsend over 127.0.0.1"
fi
if st_have_ipv6; then
	if "$PKTSEND" -n example.ilnp. -t SOA "::1@$port"; then
		st_pass "pktsend over ::1"
	else
		st_fail "pktsend over ::1"
	fi
else
	st_log "no ::1 on this host: IPv6 part not run"
fi

if kill -0 "$ILNPDNSD_PID" 2>/dev/null; then
	st_pass "ilnpdnsd still running"
else
	st_fail "ilnpdnsd died"
fi
out=$(dig +norec +time=2 +tries=1 -p "$port" @127.0.0.1 example.ilnp. SOA 2>&1)
st_grep "dig still answers with AA" 'flags: qr aa;.*ANSWER: 1' "$out"
st_done
