#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# zone-gen.sh -- print an example.ilnp. zone with N ILNP hosts (NID, L64, LP, AAAA) for benchmarks.
set -eu
n=${1:?usage: zone-gen.sh N > file}
case $n in *[!0-9]*) echo "zone-gen.sh: N must be a number" >&2; exit 2;; esac
cat <<HEAD
\$ORIGIN example.ilnp.
\$TTL 3600
@	IN	SOA	ns1 hostmaster 1 7200 3600 1209600 300
	IN	NS	ns1
ns1	IN	A	192.0.2.53
site0	IN	L64	10 2001:0db8:0000:0000
site1	IN	L64	10 2001:0db8:0000:0001
HEAD
# awk: one process, fast enough for millions of lines. NID/L64/LP carry TTL 0
# explicitly; the AAAA keeps the default TTL.
awk -v n="$n" 'BEGIN {
	for (i = 0; i < n; i++) {
		hi = int(i / 65536) % 65536; lo = i % 65536;
		printf "h%d\t0\tIN\tNID\t10 0014:4fff:%04x:%04x\n", i, hi, lo;
		printf "\t0\tIN\tL64\t10 2001:0db8:%04x:%04x\n", hi, lo;
		printf "\t0\tIN\tLP\t10 site%d\n", i % 2;
		printf "\tIN\tAAAA\t2001:db8:%x:%x:14:4fff:%x:%x\n", hi, lo, hi, lo;
	}
}'
