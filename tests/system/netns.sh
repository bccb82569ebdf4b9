# SPDX-License-Identifier: BSD-2-Clause
# netns.sh -- the topology of the locator manager tests: a host with two uplinks, a server.
#
# Sourced after lib.sh by tests/system/locmgr/run.sh and locmgr-faults/run.sh.
# nt_init makes (and the EXIT trap deletes):
#
#   namespace NSH (host)                     namespace NSS (server)
#     up1  fd00:1::10/64  <--- veth --->  s1  fd00:1::1/64
#     up2  fd00:2::10/64  <--- veth --->  s2  fd00:2::1/64
#                                          lo  fd00:99::53/128 (NT_SRV)
#   H reaches NT_SRV via up1 (metric 10) or up2 (metric 20).
#
# H CMD... and S CMD... run a command in either namespace. The daemons a test
# starts (st_spawn) are stopped before the namespaces go.

NT_SRV=fd00:99::53
NSH="lmh$$"
NSS="lms$$"
NT_MADE=

nt_cleanup()
{
	local n
	for n in $NT_MADE; do
		ip netns del "$n" 2>/dev/null
	done
}

H() { ip netns exec "$NSH" "$@"; }
S() { ip netns exec "$NSS" "$@"; }

# nt_init: st_init, then the namespaces, links, addresses and routes above.
# Exit 77 when the namespaces cannot be made (not root, no netns or veth).
nt_init()
{
	local i
	st_need ip
	[ "$(id -u)" = 0 ] || st_skip "network namespaces need root (uid $(id -u))"
	st_init
	# The namespaces go after the daemons (st_cleanup stops them): chain both.
	trap 'rc=$?; for p in $ST_PIDS; do st_stop_pid "$p"; done; ST_PIDS=; nt_cleanup
		(exit $rc); st_cleanup' EXIT
	if ! ip netns add "$NSH" 2>"$ST_DIR/netns.err"; then
		st_skip "cannot create a network namespace: $(cat "$ST_DIR/netns.err")"
	fi
	NT_MADE="$NSH"
	ip netns add "$NSS" || st_fatal "ip netns add $NSS"
	NT_MADE="$NSH $NSS"
	H ip link set lo up
	S ip link set lo up
	for i in 1 2; do
		ip link add "up$i" netns "$NSH" type veth peer name "s$i" netns "$NSS" ||
			st_skip "cannot create veth pairs"
		S ip -6 addr add "fd00:$i::1/64" dev "s$i" nodad
		S ip link set "s$i" up
		H ip -6 addr add "fd00:$i::10/64" dev "up$i" nodad
		H ip link set "up$i" up
	done
	S ip -6 addr add "$NT_SRV/128" dev lo
	H ip -6 route add "$NT_SRV/128" via fd00:1::1 dev up1 metric 10
	H ip -6 route add "$NT_SRV/128" via fd00:2::1 dev up2 metric 20
	# Bounded wait for the links (carrier) and the path.
	i=0
	until [ "$(H ip -o link show up | grep -c 'up[12]@.*LOWER_UP')" = 2 ]; do
		i=$((i + 1))
		[ $i -lt 20 ] || st_fatal "the uplinks of $NSH have no carrier"
		sleep 0.25
	done
}
