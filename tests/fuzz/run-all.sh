#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run-all.sh -- build the libFuzzer targets (clang, ASan+UBSan) and run each for a bounded time.
#
# Usage: tests/fuzz/run-all.sh [--builddir DIR] [--jobs N] SECONDS [TARGET...]
#
# Without --builddir it configures its own tree (./configure --enable-fuzzing CC=clang) in
# $FUZZ_BUILD_DIR (default /tmp/ilnpdns-fuzz-build) and builds the targets there; `make fuzz`
# passes its own tree. Each target runs SECONDS (-max_total_time) on a scratch copy of its
# checked-in seeds, N targets at a time (default 1). Printed per target: executions, exec/s,
# coverage (edges) and the edges the run added, corpus size and findings; a finding's input
# is kept under $FUZZ_OUT/<target>/ (default /tmp/ilnpdns-fuzz-out) for
# tests/fuzz/<target>.repro/. A finding is a crash, a sanitizer report (ASan, UBSan, leak), a
# failed check, an input slower than 10 s or a run that did not end cleanly.
# Exits 1 when any target found something, 2 on a build failure.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=
jobs=1
while [ $# -gt 0 ]; do
	case $1 in
	--builddir) build=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || { echo "usage: $0 [--builddir DIR] [--jobs N] SECONDS [TARGET...]" >&2; exit 2; }
secs=$1
shift
targets=${*:-query update zoneload conf nsupdate netlink}
out=${FUZZ_OUT:-/tmp/ilnpdns-fuzz-out}

if [ -z "$build" ]; then
	build=${FUZZ_BUILD_DIR:-/tmp/ilnpdns-fuzz-build}
	[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi)
	mkdir -p "$build"
	if [ ! -f "$build/Makefile" ]; then
		(cd "$build" && "$top/configure" -q --enable-fuzzing CC=clang) || exit 2
	fi
	bins=
	for t in $targets; do bins="$bins tests/fuzz/fuzz_$t"; done
	(cd "$build" && make -j"$(nproc)" $bins >"$build/fuzz-build.log" 2>&1) ||
		{ tail -30 "$build/fuzz-build.log" >&2; exit 2; }
fi

mkdir -p "$out"
run_one() { # run_one TARGET: fuzz it, then print one summary line
	t=$1
	d=$out/$t
	rm -rf "$d"
	mkdir -p "$d/corpus" "$d/findings"
	# -rss_limit_mb and -timeout: a run-away input is a finding, not a stuck CI job; the
	# outer timeout bounds the run should libFuzzer itself never get back to its clock.
	rc=0
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		timeout -s KILL $((secs + 120)) \
		"$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$d/findings/" "$d/corpus" "$here/corpus/$t" \
		>"$d/log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$d/log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$d/log" | tail -1)
	took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$d/log" | tail -1)
	cov0=$(sed -n 's/.*INITED cov: \([0-9]*\) .*/\1/p' "$d/log" | head -1)
	cov=$(grep -o 'cov: [0-9]*' "$d/log" | tail -1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$d/log" | tail -1 | cut -d' ' -f2)
	seeds=$(ls "$here/corpus/$t" | wc -l)
	n=$(ls "$d/corpus" | wc -l)
	found=$(ls "$d/findings" | wc -l)
	# libFuzzer leaves a file for what it catches; a run that exits non-zero or never
	# says Done (a sanitizer abort in set-up, the outer timeout) counts as one too.
	bad=$found
	if [ "$bad" -eq 0 ] && { [ "$rc" -ne 0 ] || [ -z "$took" ]; }; then bad=1; fi
	printf '%-9s %5ss  execs %10s  exec/s %7s  cov %5s (+%s)  ft %5s  corpus %5s (%s seeds)  findings %s\n' \
		"$t" "${took:-?}" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
		"$(( ${cov:-0} - ${cov0:-${cov:-0}} ))" "${ft:-?}" "$n" "$seeds" "$bad"
	if [ "$bad" -gt 0 ]; then
		echo "    exit status $rc; log $d/log"
		ls "$d/findings" | sed "s|^|    $d/findings/|"
		grep -m3 'ERROR: \|runtime error\|fuzz: check failed\|SUMMARY' "$d/log" | sed 's/^/    /'
	fi
	return 0
}

echo "fuzzing ${secs}s per target, $jobs at a time; logs and findings in $out"
set -- $targets
while [ $# -gt 0 ]; do
	i=0
	while [ $# -gt 0 ] && [ $i -lt "$jobs" ]; do
		run_one "$1" >"$out/$1.summary" &
		i=$((i + 1))
		shift
	done
	wait
done
pass=0
fail=0
for t in $targets; do
	cat "$out/$t.summary"
	if grep -q 'findings 0$' "$out/$t.summary"; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || exit 1
