# SPDX-License-Identifier: BSD-2-Clause
# netns.sh -- the topology of the locator manager tests: a host with two uplinks, a server.
#
# Sourced after lib.sh by tests/system/locmgr/run.sh and locmgr-faults/run.sh, and (without
# lib.sh, for nt_links, nt_wait_carrier, nt_key, nt_zone, nt_ilnpdnsd_conf and nt_locmgr_conf)
# by bench/failover.sh. nt_init makes (and the EXIT trap deletes):
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
	nt_links "$ST_DIR/veth.err" || st_skip "cannot create veth pairs: $(cat "$ST_DIR/veth.err")"
	S ip -6 addr add "$NT_SRV/128" dev lo
	H ip -6 route add "$NT_SRV/128" via fd00:1::1 dev up1 metric 10
	H ip -6 route add "$NT_SRV/128" via fd00:2::1 dev up2 metric 20
	# Bounded wait for the links (carrier) and the path.
	nt_wait_carrier 20 || st_fatal "the uplinks of $NSH have no carrier"
}

# nt_links ERRFILE: lo up in both namespaces, the two veth pairs up with their addresses (no
# DAD). 1, the reason in ERRFILE, when a veth pair cannot be made.
nt_links()
{
	local i
	H ip link set lo up
	S ip link set lo up
	for i in 1 2; do
		ip link add "up$i" netns "$NSH" type veth peer name "s$i" netns "$NSS" 2>"$1" ||
			return 1
		S ip -6 addr add "fd00:$i::1/64" dev "s$i" nodad
		S ip link set "s$i" up
		H ip -6 addr add "fd00:$i::10/64" dev "up$i" nodad
		H ip link set "up$i" up
	done
}

# nt_wait_carrier TRIES: wait (TRIES quarter seconds at most) for carrier on up1 and up2.
nt_wait_carrier()
{
	local i=0
	until [ "$(H ip -o link show up | grep -c 'up[12]@.*LOWER_UP')" = 2 ]; do
		i=$((i + 1))
		[ $i -lt "$1" ] || return 1
		sleep 0.25
	done
}

# nt_key FILE NAME: a new hmac-sha256 TSIG key NAME in FILE (mode 600); prints its secret.
nt_key()
{
	tsig-keygen -a hmac-sha256 "$2" >"$1" || return 1
	chmod 600 "$1"
	sed -n 's/.*secret "\(.*\)";/\1/p' "$1"
}

# nt_zone FILE: example.ilnp. served by ns1 = NT_SRV, with the host mn (a NID and an L64).
nt_zone()
{
	cat >"$1" <<EOF
\$ORIGIN example.ilnp.
\$TTL 3600
@	IN	SOA	ns1 hostmaster 1 7200 3600 1209600 300
@	IN	NS	ns1
ns1	IN	AAAA	$NT_SRV
mn	IN	NID	10 0:0:0:1
mn	IN	L64	10 2001:db8:dead:1
EOF
}

# nt_ilnpdnsd_conf DIR WORKERS KEYFILE KEY NAME...: DIR/ilnpdnsd.yaml, ilnpdnsd on NT_SRV port 53
# with DIR/zone.db; KEY (in KEYFILE) may update each NAME's locators and its marker _seq.NAME.
nt_ilnpdnsd_conf()
{
	local dir=$1 workers=$2 keyfile=$3 key=$4 n
	shift 4
	{
		cat <<EOF
server:
  listen: [ "$NT_SRV@53" ]
  database: $dir/db
  workers: $workers
  ilnp-ttl: 0
  control: $dir/ctl.sock
key-file: $keyfile
zone:
  - domain: example.ilnp.
    file: $dir/zone.db
    update-policy:
EOF
		for n in "$@"; do
			echo "      - grant $key name $n L64 L32 TXT"
		done
		for n in "$@"; do
			echo "      - grant $key name _seq.$n TXT"
		done
	} >"$dir/ilnpdnsd.yaml"
}

# nt_start_ilnpdnsd: ilnpdnsd in S with ST_DIR/ilnpdnsd.yaml (st_spawn); SERVER_PID.
nt_start_ilnpdnsd()
{
	local log="$ST_DIR/ilnpdnsd.log" seen
	seen=$(grep -cF "ilnpdnsd ready" "$log" 2>/dev/null)
	st_spawn "$log" ip netns exec "$NSS" "$ST_ILNPDNSD" -f -c "$ST_DIR/ilnpdnsd.yaml"
	SERVER_PID=$ST_PID
	st_wait_log "$SERVER_PID" "$log" "ilnpdnsd ready" 15 "${seen:-0}" ||
		st_fatal "ilnpdnsd did not start"
}

# nt_locmgr_conf FILE NAME MODE SERVER KEY SECRET COALESCE_MS RETRY_MAX_S [LINE...]: the node
# section of an ilnpdns-locmgr config: NAME in example.ilnp., uplinks up1 (preference 10) and
# up2 (20), ULA, the marker guard, and each LINE ("key: value"). The caller appends the daemon
# section.
nt_locmgr_conf()
{
	local file=$1 l
	cat >"$file" <<EOF
node:
  name: $2
  zone: example.ilnp.
  mode: $3
  servers: [ "$4" ]
  key: { id: $5, algorithm: hmac-sha256, secret: "$6" }
  interfaces:
    - { name: up1, preference: 10 }
    - { name: up2, preference: 20 }
  coalesce-ms: $7
  ula: true
  guard: marker
  marker-name: _seq.$2
  retry-max-s: $8
EOF
	shift 8
	for l in "$@"; do
		echo "  $l"
	done >>"$file"
}
