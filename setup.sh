#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# setup.sh -- install what ilnpdns needs on Debian 12, build it, run it or test it.
#   ./setup.sh run    install, build, start ilnpdnsd on its built-in defaults, dig an L64
#   ./setup.sh test   install, build, run the whole test suite (plain and sanitizers)
set -eu
cd "$(dirname "$0")"

DEPS="build-essential autoconf automake libtool pkg-config libldns-dev libevent-dev libssl-dev
liblmdb-dev libyaml-dev libcmocka-dev dnsutils bind9-utils knot-dnsutils knot-dnssecutils ldnsutils
nsd bind9 knot lmdb-utils faketime mandoc iproute2 procps python3 strace
clang libclang-rt-dev systemd"

install_deps() {
	missing=""
	for p in $DEPS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
	$SUDO apt-get update -q
	# The peers' packages start their daemons on port 53 where systemd runs;
	# policy-rc.d keeps them stopped: our tests start their own instances.
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod 755 /usr/sbin/policy-rc.d
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
	$SUDO rm -f /usr/sbin/policy-rc.d
}

# libFuzzer targets with ASan and UBSan, 60 s each, two at a time (tests/fuzz/README.md);
# libclang-rt-dev brings libclang_rt.fuzzer, which clang only recommends.
fuzz() {
	FUZZ_BUILD_DIR=$PWD/build-fuzz FUZZ_OUT=$PWD/build-fuzz/fuzz-out tests/fuzz/run-all.sh --jobs 2 60
}

build() { # build DIR [configure args...]
	dir=$1; shift
	[ -x configure ] || autoreconf -fi
	mkdir -p "$dir"
	( cd "$dir" && { [ -f Makefile ] || ../configure -q "$@"; } && make -j"$(nproc)" )
}

# The quick mode of each side-by-side benchmark: figures printed, nothing
# asserted on speed (this machine is shared); a benchmark that cannot run fails.
bench_quick() {
	top_builddir=$(pwd)/build bench/compare.sh --quick --out build/bench-quick
	top_builddir=$(pwd)/build bench/update-compare.sh --quick
}

case "${1:-}" in
run)
	install_deps
	build build
	# Built-in defaults: zones/example.ilnp.zone on 127.0.0.1@5300 and ::1@5300,
	# LMDB under ./var/, control socket ./var/ilnpdns.sock.
	chmod 600 zones/example.ilnp.keys # git does not keep the mode; ilnpdnsd warns about readable keys
	./build/server/ilnpdnsd -f &
	pid=$!
	trap 'kill "$pid" 2>/dev/null; wait "$pid"; exit 0' INT TERM
	i=0
	until dig +time=1 +tries=1 @127.0.0.1 -p 5300 example.ilnp. SOA >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -lt 50 ] && kill -0 "$pid" 2>/dev/null || { echo "ilnpdnsd did not start" >&2; exit 1; }
		sleep 0.2
	done
	dig @127.0.0.1 -p 5300 host1.example.ilnp. L64
	# A failover of mn.example.ilnp.: a TSIG-signed update (the published example
	# key) replaces its locators, and the next query already sees them, TTL 0.
	echo "== signed update: mn.example.ilnp. moves to locator 2001:db8:9140:9000"
	nsupdate -k zones/example.ilnp.keys <<-EOF
	server 127.0.0.1 5300
	zone example.ilnp.
	update delete mn.example.ilnp. L64
	update add mn.example.ilnp. 0 L64 10 2001:0db8:9140:9000
	send
	EOF
	dig @127.0.0.1 -p 5300 mn.example.ilnp. L64
	echo "ilnpdnsd is running (pid $pid) on 127.0.0.1@5300 and ::1@5300; Ctrl-C stops it."
	wait "$pid"
	;;
test)
	install_deps
	build build
	build build-san --enable-sanitizers CC=gcc
	( cd build-san && make -j"$(nproc)" check ) || { cat build-san/test-suite.log; exit 1; }
	# The plain pass is distcheck's own `make check`: the release tarball, built
	# out of tree from a read-only source. ST_HEAVY: the long fault and soak
	# rounds (kill -9 storms, packet soaks) run in full there; the sanitizer
	# pass runs fewer.
	( cd build && ST_HEAVY=1 make -j"$(nproc)" distcheck ) >build/distcheck.log 2>&1 || {
		tail -50 build/distcheck.log
		cat build/ilnpdns-*/_build/sub/test-suite.log 2>/dev/null
		exit 1
	}
	grep -E '^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS|# [A-Z]+:)' build/distcheck.log
	fuzz
	bench_quick
	echo "all tests passed (plain, sanitizers, distcheck, fuzzing); quick benchmarks ran"
	;;
*)
	echo "usage: $0 run|test" >&2
	exit 2
	;;
esac
