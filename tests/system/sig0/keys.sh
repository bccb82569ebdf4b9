# SPDX-License-Identifier: BSD-2-Clause
# keys.sh -- the SIG(0) key pairs of the sig0 and sig0-bind tests, made with dnssec-keygen -T KEY.
#
# Sourced after tests/system/lib.sh by tests/system/sig0/run.sh and
# sig0-bind/run.sh.

# sig0_keygen NAME ALG: make a KEY pair in $SIG0_KD, print the path stem.
sig0_keygen()
{
	local stem
	stem=$(cd "$SIG0_KD" && dnssec-keygen -q -T KEY -a "$2" -n HOST "$1" 2>/dev/null) ||
		st_fatal "dnssec-keygen -a $2 $1 failed"
	echo "$SIG0_KD/$stem"
}

# sig0_make_keys ZONEFILE: make the keys in $ST_DIR/sig0 (SIG0_KD) and set
# KEY[ALG] to host1's Ed25519, ECDSA P-256 and RSA/SHA-256 keys, whose KEY
# records go at the end of ZONEFILE. Keys whose KEY records the zone does
# not hold: nokey (a signer name without any KEY), rogue (a second Ed25519
# key for host1, tag not in the zone) and late (late.example.ilnp.'s key,
# whose KEY an update may add later).
# shellcheck disable=SC2034 # nokey, rogue and late are for the sourcing test
sig0_make_keys()
{
	local alg
	SIG0_KD="$ST_DIR/sig0"
	mkdir -p "$SIG0_KD"
	declare -gA KEY
	for alg in ED25519 ECDSAP256SHA256 RSASHA256; do
		KEY[$alg]=$(sig0_keygen host1.example.ilnp. "$alg")
		grep -v '^;' "${KEY[$alg]}.key" >>"$1"
	done
	nokey=$(sig0_keygen nokey.example.ilnp. ED25519)
	rogue=$(sig0_keygen host1.example.ilnp. ED25519)
	late=$(sig0_keygen late.example.ilnp. ECDSAP256SHA256)
}
