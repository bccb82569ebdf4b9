#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh -- differential test: NSD and ilnpdnsd serve the same zone; every reply is compared.
#
# NSD 4 is the reference. dnsdiff sends each query of queries.txt to both
# servers and compares the replies section by section; every difference must
# be listed in allow.txt with the RFC that explains it.
. "${top_srcdir:-$(dirname "$0")/../../..}/tests/system/lib.sh"

st_need nsd dig
DNSDIFF="$top_builddir/tests/system/dnsdiff"
st_need_built "$ST_ILNPDNSD" "$DNSDIFF"
[ -f "$ST_ZONE" ] || st_fatal "$ST_ZONE is missing"
here="$top_srcdir/tests/system/diff-nsd"
st_init

nsd_port=$(st_free_port)
st_start_nsd "$nsd_port" "$ST_ZONE"

ilnp_port=$(st_free_port "$nsd_port")
st_ilnpdnsd_conf "$ST_DIR/ilnpdnsd.conf" "$ilnp_port" "$ST_DIR/db" "$ST_ZONE"
st_start_ilnpdnsd "$ST_DIR/ilnpdnsd.conf"

st_log "nsd: 127.0.0.1@$nsd_port (pid $NSD_PID), ilnpdnsd: 127.0.0.1@$ilnp_port (pid $ILNPDNSD_PID)"
"$DNSDIFF" ${DNSDIFF_VERBOSE:+-v} -q "$here/queries.txt" -a "$here/allow.txt" \
	"127.0.0.1@$nsd_port" "127.0.0.1@$ilnp_port"
rc=$?
[ $rc -eq 0 ] || st_log "unexplained differences from NSD (see above)"

# The same queries to ilnpdnsd over IPv6 (NSD still over IPv4): the answers
# must not depend on the address family.
if st_have_ipv6; then
	"$DNSDIFF" -q "$here/queries.txt" -a "$here/allow.txt" \
		"127.0.0.1@$nsd_port" "::1@$ilnp_port" >"$ST_DIR/ipv6.out" 2>&1
	v6=$?
	tail -n 1 "$ST_DIR/ipv6.out" | sed 's/^/IPv6: /'
	if [ $v6 -ne 0 ]; then
		grep -v '^note:' "$ST_DIR/ipv6.out" | head -n 40 >&2
		st_log "IPv6: unexplained differences from NSD (see above)"
		[ $rc -ne 0 ] || rc=1
	fi
else
	st_log "no ::1 on this host: IPv6 pass not run"
fi

# Self-check: with an empty allow-list the known differences (ILNP TTL
# policy, RFC 6742 additional data) must be reported, or dnsdiff compares
# nothing.
"$DNSDIFF" -q "$here/queries.txt" -a /dev/null "127.0.0.1@$nsd_port" "127.0.0.1@$ilnp_port" \
	>"$ST_DIR/selfcheck.out" 2>&1
src=$?
if [ $src -ne 1 ]; then
	st_log "self-check: dnsdiff with an empty allow-list exited $src, want 1"
	tail -n 5 "$ST_DIR/selfcheck.out" >&2
	[ $rc -ne 0 ] || rc=1
fi
exit $rc
