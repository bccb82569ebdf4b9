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
